//! 居民身份证号码 (GB 11643-1999): the 18-character resident ID number, validated once at the edge so
//! that every area can trust an [`IdNumber`] it is handed.
//!
//! Layout: positions 1–6 the county-level code where the number was first issued, 7–14 the birth
//! date `YYYYMMDD`, 15–17 a sequence (odd = male, even = female), 18 the ISO 7064 MOD 11-2 check
//! character (`0`–`9` or `X`).
//!
//! Two ways in:
//! - [`IdNumber::parse`] for what people type: it trims whitespace (also NBSP and the ideographic
//!   space), turns full-width characters into ASCII, uppercases `x`, upgrades a 15-digit
//!   first-generation number, and lists every such change in [`ParsedIdNumber::normalizations`];
//! - [`IdNumber::parse_strict`] for data that must already be canonical (files, APIs, the database).
//!
//! The kernel has no clock: "not born in the future" needs `today` from the caller.
//! Only the province prefix of the region code is checked; an abolished or unknown county code is
//! reported (see [`ParsedIdNumber::county`]) but never makes a number invalid, because a number keeps
//! the code of the place where it was first issued.

use std::borrow::Cow;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::county_codes::{self, CountyEntry};

/// ISO 7064 MOD 11-2 weights, `2^(17-i) mod 11` for positions 1..=17.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character by `sum mod 11`.
const CHECK_CHARACTERS: [u8; 11] = *b"10X98765432";

/// A valid 18-character resident ID number in canonical form (ASCII digits, uppercase `X`).
///
/// Once a value exists it is valid, so functions taking an `IdNumber` need no checks of their own.
/// `Debug` prints the masked form so that numbers do not leak into logs; `Display` and
/// [`IdNumber::as_str`] give the whole number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber {
    text: [u8; 18],
    birth_date: NaiveDate,
}

/// Sex as encoded in position 17 of the number (odd = male, even = female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男: odd sequence digit.
    Male,
    /// 女: even sequence digit.
    Female,
}

impl Sex {
    /// The label a screen shows: `男` or `女`.
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// A change the lenient parsers made to the input, so that a form can tell the user what it
/// understood and an import can count rows that were not typed canonically. Shared with
/// [`crate::credit_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    /// Leading or trailing whitespace was removed (spaces, tabs, line breaks, NBSP U+00A0,
    /// ideographic space U+3000, zero-width space U+200B, BOM U+FEFF).
    TrimmedWhitespace,
    /// Full-width digits or letters (`５００１０３`, `Ｘ`) were turned into ASCII.
    FullWidthToAscii,
    /// A lowercase letter (`x`) was uppercased.
    Uppercased,
    /// A 15-digit first-generation number (GB 11643-1989) was upgraded to 18 digits.
    ConvertedFrom15,
}

impl fmt::Display for Normalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Normalization::TrimmedWhitespace => "去掉了首尾空白",
            Normalization::FullWidthToAscii => "全角字符已转为半角",
            Normalization::Uppercased => "小写字母已转为大写",
            Normalization::ConvertedFrom15 => "15 位旧号码已升级为 18 位",
        };
        f.write_str(text)
    }
}

/// What [`IdNumber::parse`] found: the number, what it had to change, and the county its region
/// code names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedIdNumber {
    /// The valid number in canonical form.
    pub id_number: IdNumber,
    /// Every change made to the input, in the order applied; empty when it was canonical.
    pub normalizations: Vec<Normalization>,
    /// The county-level code in the historical table, or `None` when the table does not know it
    /// (the number is valid all the same).
    pub county: Option<&'static CountyEntry>,
}

impl ParsedIdNumber {
    /// Whether the input was a 15-digit first-generation number.
    pub fn converted_from_15(&self) -> bool {
        self.normalizations
            .contains(&Normalization::ConvertedFrom15)
    }
}

/// Why a string is not a valid ID number. The Display text is the Chinese message a form shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Nothing but whitespace was given.
    #[error("身份证号码为空")]
    Empty,
    /// Not 18 characters (nor 15 for the lenient parser).
    #[error("身份证号码应为 18 位，实为 {length} 位")]
    WrongLength {
        /// Number of characters after normalization.
        length: usize,
    },
    /// A character that cannot appear at that position.
    #[error("身份证号码第 {position} 位“{character}”无效：前 17 位应为数字，第 18 位为数字或 X")]
    BadCharacter {
        /// One-based position in the (trimmed) input.
        position: usize,
        /// The offending character as typed.
        character: char,
    },
    /// The first two digits are not a province-level code.
    #[error("身份证号码前两位 {prefix} 不是有效的省级行政区划代码")]
    BadProvince {
        /// The two digits found.
        prefix: String,
    },
    /// Positions 7–14 are not a calendar date.
    #[error("身份证号码中的出生日期 {text} 不是有效日期")]
    BadBirthDate {
        /// The eight digits found (or the date given to the generator).
        text: String,
    },
    /// A real date, but before 1900-01-01.
    #[error("身份证号码中的出生日期 {date} 早于 1900-01-01")]
    BirthDateTooEarly {
        /// The birth date found.
        date: NaiveDate,
    },
    /// A real date, but after the caller's today.
    #[error("身份证号码中的出生日期 {date} 晚于今天 {today}")]
    BirthDateInFuture {
        /// The birth date found.
        date: NaiveDate,
        /// The date the caller gave as today.
        today: NaiveDate,
    },
    /// The check character does not match the first 17 digits.
    #[error("身份证号码校验位错误：应为 {expected}，实为 {found}")]
    BadCheckDigit {
        /// The check character the first 17 digits require.
        expected: char,
        /// The check character found.
        found: char,
    },
    /// Generator input: the region code is not six digits.
    #[error("地址码 {region} 应为 6 位数字")]
    BadRegionCode {
        /// The region code given.
        region: String,
    },
    /// Generator input: the sequence is above 999.
    #[error("顺序码 {sequence} 超出 0–999")]
    BadSequence {
        /// The sequence given.
        sequence: u16,
    },
}

impl IdNumber {
    /// Parses what a person typed or pasted, normalizing it first (see [`Normalization`]), and
    /// upgrading a 15-digit number to 18. `today` is the civil date in China, given by the caller.
    pub fn parse(input: &str, today: NaiveDate) -> Result<ParsedIdNumber, IdNumberError> {
        let (text, mut normalizations) = normalize_typed(input);
        if text.is_empty() {
            return Err(IdNumberError::Empty);
        }
        let length = text.chars().count();
        let id_number = match length {
            18 => check_18(&text, today)?,
            15 => {
                let upgraded = upgrade_15(&text)?;
                normalizations.push(Normalization::ConvertedFrom15);
                check_18(&upgraded, today)?
            }
            _ => return Err(IdNumberError::WrongLength { length }),
        };
        Ok(ParsedIdNumber {
            id_number,
            normalizations,
            county: id_number.county(),
        })
    }

    /// Parses a number that must already be canonical: exactly 18 characters, ASCII digits and
    /// an uppercase `X`, no whitespace. For files, APIs and stored data.
    pub fn parse_strict(input: &str, today: NaiveDate) -> Result<IdNumber, IdNumberError> {
        if input.is_empty() {
            return Err(IdNumberError::Empty);
        }
        let length = input.chars().count();
        if length != 18 {
            return Err(IdNumberError::WrongLength { length });
        }
        check_18(input, today)
    }

    /// Builds a valid number for synthetic data and tests: `region6` (six digits with a real
    /// province prefix), `birth` (from 1900-01-01; not checked against any today) and `sequence`
    /// 0..=999, whose parity decides the sex (odd = male). The same inputs always give the same number.
    pub fn generate(
        region6: &str,
        birth: NaiveDate,
        sequence: u16,
    ) -> Result<IdNumber, IdNumberError> {
        if region6.len() != 6 || !region6.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdNumberError::BadRegionCode {
                region: region6.to_string(),
            });
        }
        if !county_codes::is_province_prefix(region6) {
            return Err(IdNumberError::BadProvince {
                prefix: region6[..2].to_string(),
            });
        }
        if sequence > 999 {
            return Err(IdNumberError::BadSequence { sequence });
        }
        if birth < earliest_birth_date() {
            return Err(IdNumberError::BirthDateTooEarly { date: birth });
        }
        if birth.year() > 9999 {
            return Err(IdNumberError::BadBirthDate {
                text: birth.to_string(),
            });
        }
        let first17 = format!(
            "{region6}{:04}{:02}{:02}{sequence:03}",
            birth.year(),
            birth.month(),
            birth.day()
        );
        let mut text = [0u8; 18];
        text[..17].copy_from_slice(first17.as_bytes());
        text[17] = check_character_of(&text);
        Ok(IdNumber {
            text,
            birth_date: birth,
        })
    }

    /// The whole number as text, e.g. `500103199001011232`.
    pub fn as_str(&self) -> &str {
        // Always ASCII: an IdNumber is only built from checked digits and `X`.
        std::str::from_utf8(&self.text).unwrap_or("")
    }

    /// Positions 1–6: the county-level code where the number was first issued.
    pub fn region_code(&self) -> &str {
        &self.as_str()[..6]
    }

    /// The county-level code in the historical table, if the table knows it.
    pub fn county(&self) -> Option<&'static CountyEntry> {
        county_codes::lookup(self.region_code())
    }

    /// Positions 7–14 as a date.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Positions 15–17, 0..=999.
    pub fn sequence(&self) -> u16 {
        self.text[14..17]
            .iter()
            .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'))
    }

    /// Sex from position 17: odd = male, even = female.
    pub fn sex(&self) -> Sex {
        if (self.text[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Position 18, `0`–`9` or `X`.
    pub fn check_character(&self) -> char {
        char::from(self.text[17])
    }

    /// Age in full years (周岁) on `on`, or `None` if `on` is before the birth date.
    ///
    /// Rule: a person is one year older on each birthday itself (so 年满 60 周岁 on the 60th
    /// birthday, and still one year younger the day before). Someone born on 29 February becomes a
    /// year older on 1 March in a non-leap year (28 February is still the day before the birthday)
    /// and on 29 February in a leap year. (Criminal law counts from the day after the birthday;
    /// that rule is not this one.)
    pub fn age_on(&self, on: NaiveDate) -> Option<u32> {
        age_in_full_years(self.birth_date, on)
    }

    /// `500103********123X`: first 6 and last 4 characters, for lists, exports and public pages.
    pub fn masked(&self) -> String {
        crate::mask::id_number(self.as_str())
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for IdNumber {
    /// Strict: only the canonical form is accepted, checked against [`china_today`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        IdNumber::parse_strict(&text, china_today()).map_err(serde::de::Error::custom)
    }
}

/// Today's civil date in China (UTC+8), from the system clock. Only for [`IdNumber`]'s
/// `Deserialize`, which has no other way to learn the date; everything else takes `today` from
/// the caller so that results are reproducible.
pub fn china_today() -> NaiveDate {
    (chrono::Utc::now() + chrono::TimeDelta::hours(8)).date_naive()
}

/// The check character the first 17 digits require, or `None` if `first17` is not 17 ASCII digits.
/// Lets a form say which last character it expected.
pub fn check_character(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut text = [0u8; 18];
    text[..17].copy_from_slice(first17.as_bytes());
    Some(char::from(check_character_of(&text)))
}

/// Age in full years from `birth` to `on` (see [`IdNumber::age_on`] for the rule).
fn age_in_full_years(birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    if on < birth {
        return None;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

fn earliest_birth_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// `Σ d_i × W_i` over the first 17 digits (ASCII bytes).
fn weighted_sum(text: &[u8; 18]) -> u32 {
    text[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum()
}

fn check_character_of(text: &[u8; 18]) -> u8 {
    CHECK_CHARACTERS[(weighted_sum(text) % 11) as usize]
}

/// Checks an 18-character string in canonical form. The caller has counted 18 characters.
fn check_18(input: &str, today: NaiveDate) -> Result<IdNumber, IdNumberError> {
    let mut text = [0u8; 18];
    for (index, character) in input.chars().enumerate() {
        let allowed = character.is_ascii_digit() || (index == 17 && character == 'X');
        if !allowed || index >= 18 {
            return Err(IdNumberError::BadCharacter {
                position: index + 1,
                character,
            });
        }
        text[index] = character as u8;
    }
    check_canonical(text, today)
}

/// Province, birth date and check character of 18 canonical bytes.
fn check_canonical(text: [u8; 18], today: NaiveDate) -> Result<IdNumber, IdNumberError> {
    let digits = |range: std::ops::Range<usize>| -> u32 {
        text[range]
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    let prefix = [text[0], text[1]];
    let prefix = std::str::from_utf8(&prefix).unwrap_or("");
    if !county_codes::is_province_prefix(prefix) {
        return Err(IdNumberError::BadProvince {
            prefix: prefix.to_string(),
        });
    }
    let year = digits(6..10);
    let birth_date = NaiveDate::from_ymd_opt(year as i32, digits(10..12), digits(12..14))
        .ok_or_else(|| IdNumberError::BadBirthDate {
            text: String::from_utf8_lossy(&text[6..14]).into_owned(),
        })?;
    if birth_date < earliest_birth_date() {
        return Err(IdNumberError::BirthDateTooEarly { date: birth_date });
    }
    if birth_date > today {
        return Err(IdNumberError::BirthDateInFuture {
            date: birth_date,
            today,
        });
    }
    let expected = check_character_of(&text);
    if text[17] != expected {
        return Err(IdNumberError::BadCheckDigit {
            expected: char::from(expected),
            found: char::from(text[17]),
        });
    }
    Ok(IdNumber { text, birth_date })
}

/// 15 digits (6 region + YYMMDD + 3 sequence) → 18 characters: `19` inserted before the year and
/// the check character appended.
fn upgrade_15(input: &str) -> Result<String, IdNumberError> {
    for (index, character) in input.chars().enumerate() {
        if !character.is_ascii_digit() {
            return Err(IdNumberError::BadCharacter {
                position: index + 1,
                character,
            });
        }
    }
    let mut text = [0u8; 18];
    text[..6].copy_from_slice(&input.as_bytes()[..6]);
    text[6..8].copy_from_slice(b"19");
    text[8..17].copy_from_slice(&input.as_bytes()[6..15]);
    text[17] = check_character_of(&text);
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// Whitespace the lenient parsers trim from both ends: Unicode White_Space (which includes NBSP
/// and U+3000) plus the zero-width space and BOM that pasting from web pages and Excel leaves.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

/// What people really type, made canonical: trim [`is_blank`] characters, full-width ASCII
/// (U+FF01..U+FF5E) to ASCII, lowercase ASCII letters to uppercase. Returns the text and the list
/// of changes made. Used by [`IdNumber::parse`] and [`crate::credit_code::CreditCode::parse`].
pub(crate) fn normalize_typed(input: &str) -> (Cow<'_, str>, Vec<Normalization>) {
    // Fast path for the common case: printable ASCII without lowercase has nothing to change.
    if input
        .bytes()
        .all(|b| b.is_ascii_graphic() && !b.is_ascii_lowercase())
    {
        return (Cow::Borrowed(input), Vec::new());
    }
    let mut normalizations = Vec::new();
    let trimmed = input.trim_matches(is_blank);
    if trimmed.len() != input.len() {
        normalizations.push(Normalization::TrimmedWhitespace);
    }
    let needs_mapping = trimmed
        .chars()
        .any(|c| c.is_ascii_lowercase() || ('\u{FF01}'..='\u{FF5E}').contains(&c));
    if !needs_mapping {
        return (Cow::Borrowed(trimmed), normalizations);
    }
    let mut full_width = false;
    let mut lowercase = false;
    let mut text = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        let mut c = c;
        if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
            full_width = true;
            c = char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c);
        }
        if c.is_ascii_lowercase() {
            lowercase = true;
            c = c.to_ascii_uppercase();
        }
        text.push(c);
    }
    if full_width {
        normalizations.push(Normalization::FullWidthToAscii);
    }
    if lowercase {
        normalizations.push(Normalization::Uppercased);
    }
    (Cow::Owned(text), normalizations)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(first17: &str) -> [u8; 18] {
        let mut text = [b'0'; 18];
        text[..17].copy_from_slice(first17.as_bytes());
        text
    }

    #[test]
    fn weighted_sums_of_the_worked_examples() {
        // RULES.md §13.1: S, S mod 11, check.
        let cases = [
            ("11010519491231002", 167, 'X'),
            ("34052419800101001", 189, 'X'),
            ("50010319900101123", 153, '2'),
            ("44052418800101001", 195, '4'),
        ];
        for (first17, sum, check) in cases {
            assert_eq!(weighted_sum(&bytes(first17)), sum, "{first17}");
            assert_eq!(check_character(first17), Some(check), "{first17}");
        }
    }

    #[test]
    fn weights_are_powers_of_two_mod_11() {
        for (i, w) in WEIGHTS.iter().enumerate() {
            assert_eq!(*w, 2u32.pow(17 - i as u32) % 11);
        }
    }

    #[test]
    fn normalize_reports_each_change_once() {
        let (text, changes) = normalize_typed("\u{3000}５００１０３１９９００１０１１２３ｘ\u{a0}");
        assert_eq!(text, "50010319900101123X");
        assert_eq!(
            changes,
            vec![
                Normalization::TrimmedWhitespace,
                Normalization::FullWidthToAscii,
                Normalization::Uppercased
            ]
        );
        let (text, changes) = normalize_typed("500103199001011232");
        assert!(matches!(text, Cow::Borrowed(_)));
        assert!(changes.is_empty());
    }
}
