//! Policy what-ifs (政策调整测算): what a proposed change of standards would do to one month's
//! payroll, beside today's rules. Every entitlement the payroll of that month would pay (the same
//! selection as `payroll::plan_district`) is computed twice with the one rule,
//! [`monthly_amount`]: once with the standards in force, once with the proposed ones. Nothing is
//! written: the evaluation runs in a read transaction.
//!
//! A proposal changes standards, not the formula: the tekun basic standard is one parameter for
//! both tekun programs, so proposing it for either changes both, as a real parameter row would.

use crate::BenefitsError;
use crate::enrolments::PAYABLE_STATUS;
use crate::programs::{Basis, CareTier, Program, Standards, monthly_amount, prorated};
use minzheng_access::{Action, Principal};
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::params::ParamSet;
use minzheng_kernel::region::{RegionCode, RegionTree};
use minzheng_store::{Db, ToValue, Tx, Value};
use std::collections::{BTreeMap, HashMap};

/// One proposed change: a program's per-person standard from a month on, city-wide or in the
/// districts under a region prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The program whose standard changes.
    pub program: Program,
    /// The new monthly standard per person.
    pub standard: Fen,
    /// The first month it applies to.
    pub from: Month,
    /// Where it applies: a region prefix of 2, 4 or 6 digits (`50`, a district); `None` for the
    /// whole city.
    pub region: Option<String>,
}

impl Change {
    /// Checks the change and builds it; refuses programs without a monthly standard.
    pub fn new(
        program: Program,
        standard: Fen,
        from: Month,
        region: Option<&str>,
    ) -> Result<Change, BenefitsError> {
        if matches!(
            program,
            Program::TemporaryAssistance | Program::PriceSubsidy
        ) {
            return Err(BenefitsError::Invalid(format!(
                "{} 没有按月的保障标准，无法测算标准调整",
                program.name_zh()
            )));
        }
        if standard.0 <= 0 {
            return Err(BenefitsError::Invalid(format!(
                "拟调整的标准 {} 元无效：应大于零",
                standard.yuan_string()
            )));
        }
        let region = region.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = region
            && (!r.bytes().all(|b| b.is_ascii_digit()) || ![2, 4, 6].contains(&r.len()))
        {
            return Err(BenefitsError::Invalid(format!(
                "适用区划“{r}”无效：应为 2、4 或 6 位区划代码（全市或区县）"
            )));
        }
        Ok(Change {
            program,
            standard,
            from,
            region: region.map(str::to_owned),
        })
    }

    fn applies(&self, district: &str, month: Month) -> bool {
        month >= self.from
            && self
                .region
                .as_deref()
                .is_none_or(|r| district.starts_with(r))
    }

    /// How the change reads: `城市低保标准 620.00 元，自 2020-07 起（500103）`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{}标准 {} 元，自 {} 起",
            self.program.name_zh(),
            self.standard.yuan_string(),
            self.from
        );
        if let Some(r) = &self.region {
            s.push_str(&format!("（适用区划 {r}）"));
        }
        s
    }
}

/// A proposal: one or more dated changes of standards; later ones win where they overlap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proposal {
    /// The changes, in any order.
    pub changes: Vec<Change>,
}

impl Proposal {
    /// The standards of `district` in `now`'s month under the proposal.
    pub fn apply(&self, district: &str, now: Standards) -> Standards {
        let mut changes: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| c.applies(district, now.month))
            .collect();
        changes.sort_by_key(|c| (c.from, c.region.as_ref().map_or(0, String::len)));
        changes
            .into_iter()
            .fold(now, |s, c| s.with_standard(c.program, c.standard))
    }
}

/// One district and program, today and under the proposal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Entitlements considered (active and running in the month).
    pub enrolments: u64,
    /// Payable under today's rules.
    pub payable_now: u64,
    /// Payable under the proposal.
    pub payable_proposed: u64,
    /// Not payable today, payable under the proposal (dibao income at or above today's standard,
    /// below the proposed one).
    pub gained: u64,
    /// Payable today, not under the proposal.
    pub lost: u64,
    /// The month's cost under today's rules.
    pub cost_now: i64,
    /// The month's cost under the proposal.
    pub cost_proposed: i64,
}

impl Figures {
    /// The change of the month's cost (proposal − today), in fen.
    pub fn change(&self) -> i64 {
        self.cost_proposed - self.cost_now
    }

    fn add(&mut self, other: &Figures) {
        self.enrolments += other.enrolments;
        self.payable_now += other.payable_now;
        self.payable_proposed += other.payable_proposed;
        self.gained += other.gained;
        self.lost += other.lost;
        self.cost_now += other.cost_now;
        self.cost_proposed += other.cost_proposed;
    }
}

/// A row of the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The district (6 digits).
    pub district: String,
    /// Its name.
    pub district_name: String,
    /// The program.
    pub program: Program,
    /// The figures.
    pub figures: Figures,
}

/// The outcome of a what-if for one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The month evaluated.
    pub month: Month,
    /// The proposal evaluated.
    pub proposal: Proposal,
    /// Per district and program, in code order.
    pub lines: Vec<Line>,
    /// Per program over every district, in program order.
    pub by_program: Vec<(Program, Figures)>,
    /// Over everything.
    pub total: Figures,
}

/// Runs the what-if for `month` over the principal's scope, in a read transaction.
pub fn evaluate(
    db: &Db,
    who: &Principal,
    proposal: &Proposal,
    month: Month,
) -> Result<Outcome, BenefitsError> {
    db.read(|tx| evaluate_in(tx, who, proposal, month))
}

/// Per district: the standards in force, the proposed ones, for each program whether its
/// standard is the same under both (then its amounts are computed once), and the sums so far.
struct District {
    now: Standards,
    proposed: Standards,
    same: [bool; Program::ALL.len()],
    figures: [Figures; Program::ALL.len()],
}

fn program_index(p: Program) -> usize {
    Program::ALL.iter().position(|q| *q == p).unwrap_or(0)
}

/// The what-if inside the caller's transaction (which it does not write to).
pub fn evaluate_in(
    tx: &mut Tx<'_>,
    who: &Principal,
    proposal: &Proposal,
    month: Month,
) -> Result<Outcome, BenefitsError> {
    who.require(Action::PolicyWhatIf)?;
    if proposal.changes.is_empty() {
        return Err(BenefitsError::Invalid("请至少填写一项标准调整".into()));
    }
    let params = minzheng_reference::parameters::current(tx)?;
    let m = month.to_string();
    let (scope_sql, scope_values) = who.scope_on(month.first_day()).sql("region_code", 2);
    let sql = format!(
        "SELECT program, region_code, members, counted_income_fen, supplement_fen, care_tier, fixed_amount_fen,
                decided_on
         FROM enrolment
         WHERE {PAYABLE_STATUS} AND start_month <= $1 AND (end_month IS NULL OR end_month >= $1)
           AND {scope_sql}"
    );
    let mut values: Vec<Value> = vec![Value::Text(m)];
    values.extend(scope_values.into_iter().map(Value::Text));
    let refs: Vec<&dyn ToValue> = values.iter().map(|v| v as &dyn ToValue).collect();

    let mut districts: HashMap<String, District> = HashMap::new();
    tx.query_each(&sql, &refs, |mut row| -> Result<(), BenefitsError> {
        let program = Program::parse(&row.take::<String>(0)?)?;
        if program == Program::PriceSubsidy {
            // Paid from the price indices, not from a standard: outside a standards what-if.
            return Ok(());
        }
        let region: String = row.take(1)?;
        let district = region.get(..6).unwrap_or(&region);
        let care: Option<String> = row.take(5)?;
        let basis = Basis {
            members: row.take(2)?,
            counted_income: Fen(row.take(3)?),
            supplement: Fen(row.take(4)?),
            care_tier: care.as_deref().map(CareTier::parse).transpose()?,
            fixed: Fen(row.take(6)?),
        };
        // A first month decided mid-month is prorated when the parameter says so, as the payroll does.
        let decided_on = row
            .take::<Option<String>>(7)?
            .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        if !districts.contains_key(district) {
            let d = District::read(&params, proposal, district, month)?;
            districts.insert(district.to_owned(), d);
        }
        let Some(d) = districts.get_mut(district) else {
            return Ok(());
        };
        let i = program_index(program);
        let now =
            monthly_amount(program, &basis, &d.now)?.map(|a| prorated(a, decided_on, &d.now).fen.0);
        let proposed = if d.same[i] {
            now
        } else {
            monthly_amount(program, &basis, &d.proposed)?
                .map(|a| prorated(a, decided_on, &d.proposed).fen.0)
        };
        let f = &mut d.figures[i];
        f.enrolments += 1;
        if let Some(a) = now {
            f.payable_now += 1;
            f.cost_now += a;
        }
        if let Some(a) = proposed {
            f.payable_proposed += 1;
            f.cost_proposed += a;
        }
        match (now, proposed) {
            (None, Some(_)) => f.gained += 1,
            (Some(_), None) => f.lost += 1,
            _ => {}
        }
        Ok(())
    })?;

    let tree = RegionTree::chongqing();
    let sorted: BTreeMap<String, District> = districts.into_iter().collect();
    let mut by_program: BTreeMap<Program, Figures> = BTreeMap::new();
    let mut total = Figures::default();
    let mut lines = Vec::new();
    for (district, d) in sorted {
        let district_name = RegionCode::parse(&district)
            .ok()
            .and_then(|c| tree.lookup(c).ok())
            .map(|n| n.name.clone())
            .unwrap_or_else(|| district.clone());
        for (program, figures) in Program::ALL.into_iter().zip(d.figures) {
            if figures.enrolments == 0 {
                continue;
            }
            by_program.entry(program).or_default().add(&figures);
            total.add(&figures);
            lines.push(Line {
                district: district.clone(),
                district_name: district_name.clone(),
                program,
                figures,
            });
        }
    }
    Ok(Outcome {
        month,
        proposal: proposal.clone(),
        lines,
        by_program: by_program.into_iter().collect(),
        total,
    })
}

impl District {
    fn read(
        params: &ParamSet,
        proposal: &Proposal,
        district: &str,
        month: Month,
    ) -> Result<District, BenefitsError> {
        let now = Standards::read(params, district, month)?;
        let proposed = proposal.apply(district, now);
        let mut same = [true; Program::ALL.len()];
        for (i, p) in Program::ALL.into_iter().enumerate() {
            same[i] = match (now.standard_of(p), proposed.standard_of(p)) {
                (Ok(a), Ok(b)) => a == b,
                (Err(_), Err(_)) => true,
                _ => false,
            };
        }
        Ok(District {
            now,
            proposed,
            same,
            figures: Default::default(),
        })
    }
}

/// Reads a proposal's one change as a form or the command line gives it: program code, the new
/// standard in yuan, the first month, and optionally a region prefix.
pub fn parse_change(
    program: &str,
    standard_yuan: &str,
    from: &str,
    region: Option<&str>,
) -> Result<Change, BenefitsError> {
    let program = Program::parse(program.trim())?;
    let standard = Fen::parse_yuan(standard_yuan)
        .map_err(|e| BenefitsError::Invalid(format!("拟调整的标准：{e}")))?;
    let from = parse_month(from, "起始月份")?;
    Change::new(program, standard, from, region)
}

/// Reads a month typed as `YYYY-MM`, naming the field in the refusal.
pub fn parse_month(text: &str, label: &str) -> Result<Month, BenefitsError> {
    Month::parse(text)
        .map_err(|_| BenefitsError::Invalid(format!("{label}“{}”无效：应为 YYYY-MM", text.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_changes_win_and_regions_limit_them() {
        let month = Month::parse("2020-09").unwrap();
        let now = Standards::read(ParamSet::builtin(), "500103", month).unwrap();
        let p = Proposal {
            changes: vec![
                Change::new(
                    Program::DibaoUrban,
                    Fen(66_000),
                    Month::parse("2020-08").unwrap(),
                    None,
                )
                .unwrap(),
                Change::new(
                    Program::DibaoUrban,
                    Fen(65_000),
                    Month::parse("2020-07").unwrap(),
                    None,
                )
                .unwrap(),
                Change::new(
                    Program::DibaoRural,
                    Fen(50_000),
                    Month::parse("2020-07").unwrap(),
                    Some("500106"),
                )
                .unwrap(),
            ],
        };
        let s = p.apply("500103", now);
        assert_eq!(s.standard_of(Program::DibaoUrban).unwrap(), Fen(66_000));
        assert_eq!(
            s.standard_of(Program::DibaoRural).unwrap(),
            now.standard_of(Program::DibaoRural).unwrap()
        );
        let s = p.apply("500106", now);
        assert_eq!(s.standard_of(Program::DibaoRural).unwrap(), Fen(50_000));
        // Before its month a change does nothing.
        let july = Standards::read(
            ParamSet::builtin(),
            "500103",
            Month::parse("2020-07").unwrap(),
        )
        .unwrap();
        assert_eq!(
            p.apply("500103", july)
                .standard_of(Program::DibaoUrban)
                .unwrap(),
            Fen(65_000)
        );
    }

    #[test]
    fn refuses_programs_without_a_standard_and_bad_input() {
        assert!(parse_change("temporary_assistance", "100", "2020-07", None).is_err());
        assert!(parse_change("dibao_urban", "abc", "2020-07", None).is_err());
        assert!(parse_change("dibao_urban", "620", "2020-7", None).is_err());
        assert!(parse_change("dibao_urban", "620", "2020-07", Some("5001031")).is_err());
        assert!(parse_change("dibao_urban", "0", "2020-07", None).is_err());
        let c = parse_change("dibao_urban", "620", "2020-07", Some("500103")).unwrap();
        assert_eq!(c.standard, Fen(62_000));
    }
}
