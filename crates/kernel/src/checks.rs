//! One checking report per value, the same for the command line (`minzheng check`), the JSON API
//! and the page where staff paste a column from Excel: what was typed, whether it is valid, the
//! canonical form, why not, and what the value tells.

use crate::credit_code::CreditCode;
use crate::id_number::{IdNumber, Sex};
use chrono::NaiveDate;
use serde::Serialize;

/// The most values one request may check (a district's list fits; a city's goes through import).
pub const MAX_BATCH: usize = 10_000;

/// The report for one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The value as given.
    pub input: String,
    /// Whether it is valid.
    pub valid: bool,
    /// The canonical form, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<String>,
    /// Why it is not valid (Chinese), when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What had to be changed to read it (Chinese), e.g. full-width digits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub normalizations: Vec<String>,
    /// Warnings that do not make it invalid (Chinese).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// What an ID number tells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<IdNumberFacts>,
    /// What a credit code tells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<CreditCodeFacts>,
}

/// Facts derived from a valid ID number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdNumberFacts {
    /// Birth date.
    pub birth_date: NaiveDate,
    /// `male` or `female`.
    pub sex: &'static str,
    /// Age in full years (周岁) on the day checked.
    pub age: Option<u32>,
    /// The six-digit region code of registration.
    pub region_code: String,
    /// Its name in the historical county table, if known (a number stays valid either way).
    pub region_name: Option<String>,
    /// Whether the county table knows the code.
    pub region_known: bool,
    /// Whether the input was a 15-digit first-generation number.
    pub converted_from_15: bool,
    /// The masked form for lists.
    pub masked: String,
}

/// Facts derived from a valid credit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditCodeFacts {
    /// Registration authority (e.g. 民政).
    pub registration_authority: String,
    /// Organization type (e.g. 社会团体).
    pub organization_type: String,
    /// Six-digit region code.
    pub region_code: String,
    /// The embedded nine-character organization code.
    pub organization_code: String,
}

fn empty(input: &str) -> CheckReport {
    CheckReport {
        input: input.to_owned(),
        valid: false,
        normalized: None,
        reason: None,
        normalizations: Vec::new(),
        warnings: Vec::new(),
        id_number: None,
        credit_code: None,
    }
}

/// Checks one ID number; `strict` accepts only the canonical form.
pub fn check_id_number(input: &str, today: NaiveDate, strict: bool) -> CheckReport {
    let mut r = empty(input);
    let parsed = if strict {
        IdNumber::parse_strict(input, today).map(|n| (n, Vec::new()))
    } else {
        IdNumber::parse(input, today).map(|p| (p.id_number, p.normalizations))
    };
    match parsed {
        Ok((n, norms)) => {
            let county = n.county();
            r.valid = true;
            r.normalized = Some(n.as_str().to_owned());
            r.normalizations = norms.iter().map(ToString::to_string).collect();
            r.id_number = Some(IdNumberFacts {
                birth_date: n.birth_date(),
                sex: match n.sex() {
                    Sex::Male => "male",
                    Sex::Female => "female",
                },
                age: n.age_on(today),
                region_code: n.region_code().to_owned(),
                region_name: county.map(|c| c.latest_name().to_owned()),
                region_known: county.is_some(),
                converted_from_15: norms
                    .contains(&crate::id_number::Normalization::ConvertedFrom15),
                masked: n.masked(),
            });
        }
        Err(e) => r.reason = Some(e.to_string()),
    }
    r
}

/// Checks one unified social credit code; `strict` accepts only the canonical form.
pub fn check_credit_code(input: &str, strict: bool) -> CheckReport {
    let mut r = empty(input);
    let parsed = if strict {
        CreditCode::parse_strict(input).map(|c| (c, Vec::new(), c.warnings()))
    } else {
        CreditCode::parse(input).map(|p| (p.credit_code, p.normalizations, p.warnings))
    };
    match parsed {
        Ok((c, norms, warnings)) => {
            r.valid = true;
            r.normalized = Some(c.as_str().to_owned());
            r.normalizations = norms.iter().map(ToString::to_string).collect();
            r.warnings = warnings.iter().map(ToString::to_string).collect();
            r.credit_code = Some(CreditCodeFacts {
                registration_authority: c.registration_authority().name_zh().to_owned(),
                organization_type: c.organization_type().name_zh().to_owned(),
                region_code: c.region_code().to_owned(),
                organization_code: c.organization_code().to_owned(),
            });
        }
        Err(e) => r.reason = Some(e.to_string()),
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_say_what_was_typed_and_what_it_means() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let n = IdNumber::generate("500103", NaiveDate::from_ymd_opt(1990, 11, 30).unwrap(), 7)
            .unwrap();
        let typed = format!("\u{3000}{}", n.as_str());
        let r = check_id_number(&typed, today, false);
        assert!(r.valid);
        assert_eq!(r.normalized.as_deref(), Some(n.as_str()));
        assert_eq!(r.normalizations, vec!["去掉了首尾空白"]);
        let facts = r.id_number.unwrap();
        assert_eq!(
            (facts.sex, facts.age, facts.region_name.as_deref()),
            ("male", Some(35), Some("渝中区"))
        );
        let strict = check_id_number(&typed, today, true);
        assert!(!strict.valid && strict.reason.is_some());
        let last = n.as_str().chars().last().unwrap();
        let other = if last == '0' { '1' } else { '0' };
        let bad = check_id_number(&format!("{}{other}", &n.as_str()[..17]), today, false);
        assert!(!bad.valid);
        assert!(bad.reason.unwrap().contains("校验"));

        let code = CreditCode::generate(
            crate::credit_code::RegistrationAuthority::CivilAffairs,
            '1',
            "500103",
            "MJP49769",
        )
        .unwrap();
        let c = check_credit_code(&format!(" {} ", code.as_str().to_lowercase()), false);
        assert!(c.valid, "{c:?}");
        assert_eq!(c.normalized.as_deref(), Some(code.as_str()));
        let facts = c.credit_code.unwrap();
        assert_eq!(
            (
                facts.registration_authority.as_str(),
                facts.region_code.as_str()
            ),
            ("民政", "500103")
        );
        assert!(!check_credit_code(&code.as_str()[..17], false).valid);
    }
}
