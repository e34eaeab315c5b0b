//! Dated policy parameters: every amount, period, time limit, threshold, ratio and switch a rule uses.
//!
//! Rules never hold such numbers as literals. They ask
//! [`ParamSet::value_of`]`(key, region_code, date)` and get the row in force for that region on
//! that date, with its source and its confidence mark (RULES.md §0), so a screen can say where a
//! number comes from and whether it still needs confirming.
//!
//! The compiled-in table is `data/policy-parameters.csv` ([`ParamSet::builtin`]). Its columns are
//! [`CSV_HEADER`]; lines starting with `#` and blank lines are comments. Each row has:
//!
//! - `key`: dotted lowercase English built from the glossary, e.g. `dibao.standard.urban`;
//! - `region_scope`: empty for national, otherwise a division-code prefix of 2, 4, 6, 9 or 12
//!   digits (`50` Chongqing city-wide, `500108` 南岸区);
//! - `value`: an integer in its `unit` (see [`ParamUnit`]; money is always whole fen);
//! - `valid_from`: `YYYY-MM-DD`, inclusive. There is no `valid_to`: a row holds until the next row
//!   of the same key and scope supersedes it. Rows are never edited once used; a new dated row is
//!   added instead ([`ParamSet::with_row`]).
//!
//! Lookup: among the rows of the key whose scope is a prefix of the region code and whose
//! `valid_from` is on or before the date, take those with the longest scope, then the latest
//! `valid_from`. So a district row overrides the city-wide row from its own date on, and before
//! that date the city-wide (or national) row still answers.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The compiled-in parameter table, so every caller sees the same numbers without any I/O.
const BUILTIN_CSV: &str = include_str!("../../../data/policy-parameters.csv");

/// The header line a parameter CSV must start with (after comments), so a file with shifted or
/// renamed columns is refused instead of being read wrongly.
pub const CSV_HEADER: &str = "key,region_scope,value,unit,valid_from,source,confidence,note";

/// Number of columns in [`CSV_HEADER`].
const COLUMN_COUNT: usize = 8;

/// Longest accepted key, to keep keys readable and storable in a fixed-width column.
const MAX_KEY_LEN: usize = 100;

/// Why a parameter table or lookup failed. Messages are Chinese because administrators read them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A problem on one line of a CSV text; the line number counts from 1, comments included.
    #[error("参数表第 {line} 行：{source}")]
    AtLine {
        /// 1-based line number in the CSV text.
        line: usize,
        /// What is wrong on that line.
        source: Box<ParamError>,
    },
    /// The CSV text is malformed (columns, quotes, header).
    #[error("格式错误：{message}")]
    Format {
        /// Description of the problem.
        message: String,
    },
    /// A key is not dotted lowercase English.
    #[error("参数键 “{key}” 不合法：{reason}")]
    BadKey {
        /// The key as given.
        key: String,
        /// Why it is refused.
        reason: String,
    },
    /// A unit is not one of [`ParamUnit::ALL`].
    #[error("未知单位 “{unit}”，可用单位：{}", ParamUnit::codes_joined())]
    UnknownUnit {
        /// The unit as given.
        unit: String,
    },
    /// A confidence mark is not P, S, M or OPEN.
    #[error("置信度 “{text}” 不合法，应为 P、S、M 或 OPEN")]
    BadConfidence {
        /// The mark as given.
        text: String,
    },
    /// A date is not a real `YYYY-MM-DD` date.
    #[error("日期 “{text}” 不合法，应为 YYYY-MM-DD 格式的真实日期")]
    BadDate {
        /// The date as given.
        text: String,
    },
    /// A value is not an integer.
    #[error("取值 “{text}” 不是整数（金额一律以分为单位，比例用万分点）")]
    BadNumber {
        /// The value as given.
        text: String,
    },
    /// A value is an integer but not allowed in its unit.
    #[error("取值 {value} 不适用于单位 {unit}：{reason}")]
    BadValue {
        /// The value.
        value: i64,
        /// Its unit.
        unit: ParamUnit,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A region scope is not empty or 2, 4, 6, 9 or 12 digits.
    #[error("区划范围 “{scope}” 不合法：应为空（全国）或 2、4、6、9、12 位数字")]
    BadScope {
        /// The scope as given.
        scope: String,
    },
    /// A region code given to a lookup is not digits.
    #[error("区划代码 “{region}” 不合法：应为数字（空表示全国）")]
    BadRegion {
        /// The region code as given.
        region: String,
    },
    /// A row has no source citation.
    #[error("参数 {key} 缺少来源（source），每个取值都必须注明出处")]
    MissingSource {
        /// The key of the row.
        key: String,
    },
    /// A text field contains a line break, which the CSV form cannot hold.
    #[error("参数 {key} 的文字字段含有换行")]
    LineBreakInText {
        /// The key of the row.
        key: String,
    },
    /// A row with the same key, scope and `valid_from` already exists; rows are never replaced.
    #[error(
        "参数 {key} 在区划范围 “{scope}” 自 {valid_from} 起已有取值，不能重复定义；请用新的生效日期追加一行"
    )]
    Duplicate {
        /// The key.
        key: String,
        /// The scope.
        scope: String,
        /// The date both rows start on.
        valid_from: NaiveDate,
    },
    /// A row's unit differs from the unit of the key's other rows.
    #[error("参数 {key} 的单位 {found} 与已有行的单位 {expected} 不一致")]
    UnitConflict {
        /// The key.
        key: String,
        /// The unit of the rows already present.
        expected: ParamUnit,
        /// The unit of the new row.
        found: ParamUnit,
    },
    /// No row has this key at all.
    #[error("未知参数 {key}")]
    UnknownKey {
        /// The key asked for.
        key: String,
    },
    /// The key exists but no row's scope covers the region.
    #[error("参数 {key} 对区划 {} 没有适用的取值", region_label(.region))]
    NoValueForRegion {
        /// The key asked for.
        key: String,
        /// The region code asked for.
        region: String,
    },
    /// Rows cover the region but all start after the date.
    #[error("参数 {key} 在 {earliest} 之前没有取值（区划 {}，日期 {date}）", region_label(.region))]
    NoValueBefore {
        /// The key asked for.
        key: String,
        /// The region code asked for.
        region: String,
        /// The date asked for.
        date: NaiveDate,
        /// The earliest `valid_from` among the rows covering the region.
        earliest: NaiveDate,
    },
    /// A rule read a parameter in a unit it does not have.
    #[error("参数 {key} 的单位是 {found}，不是 {wanted}")]
    WrongUnit {
        /// The key read.
        key: String,
        /// The unit the rule wanted.
        wanted: ParamUnit,
        /// The unit the parameter has.
        found: ParamUnit,
    },
}

/// How a region code is named in messages: the empty code means the whole country.
fn region_label(region: &str) -> String {
    if region.is_empty() {
        "全国".to_string()
    } else {
        region.to_string()
    }
}

/// A validated parameter key: dotted lowercase English, at least two segments, each starting
/// with a letter (`dibao.standard.urban`). Validation keeps typos out of the table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ParamKey(String);

impl ParamKey {
    /// Checks and wraps a key, so that only well-formed keys reach the table.
    pub fn new(text: &str) -> Result<ParamKey, ParamError> {
        let refuse = |reason: &str| ParamError::BadKey {
            key: text.to_string(),
            reason: reason.to_string(),
        };
        if text.is_empty() {
            return Err(refuse("不能为空"));
        }
        if text.len() > MAX_KEY_LEN {
            return Err(refuse("长度超过 100 个字符"));
        }
        let segments: Vec<&str> = text.split('.').collect();
        if segments.len() < 2 {
            return Err(refuse("至少要有两段，用点分隔，如 dibao.standard.urban"));
        }
        for segment in segments {
            let mut chars = segment.chars();
            match chars.next() {
                None => return Err(refuse("含有空段（连续的点或首尾的点）")),
                Some(first) if !first.is_ascii_lowercase() => {
                    return Err(refuse("每段必须以小写英文字母开头"));
                }
                Some(_) => {}
            }
            if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                return Err(refuse("只能用小写英文字母、数字、下划线和点"));
            }
        }
        Ok(ParamKey(text.to_string()))
    }

    /// The key as text, for lookups and display.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ParamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ParamKey {
    type Err = ParamError;

    fn from_str(text: &str) -> Result<ParamKey, ParamError> {
        ParamKey::new(text)
    }
}

impl TryFrom<String> for ParamKey {
    type Error = ParamError;

    fn try_from(text: String) -> Result<ParamKey, ParamError> {
        ParamKey::new(&text)
    }
}

impl From<ParamKey> for String {
    fn from(key: ParamKey) -> String {
        key.0
    }
}

/// The unit of a parameter value. The set is small and closed so that every rule knows how to
/// read every number; all values are integers in their unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamUnit {
    /// Money per person (or household) per month, in fen.
    FenPerMonth,
    /// A sum of money, in fen.
    Fen,
    /// Calendar days (a regulation saying 日).
    Days,
    /// Working days (工作日), counted with the calendar of `calendar`.
    Workdays,
    /// Months.
    Months,
    /// Years (also ages in full years).
    Years,
    /// Hours (volunteer service time).
    Hours,
    /// A ratio in basis points: 25 % = 2500, 3.5 % = 350. At most 10000.
    BasisPoints,
    /// A multiple in thousandths: 1.5 × = 1500.
    MultipleMilli,
    /// A number of things (persons, members, times).
    Count,
    /// A grade or level number (disability grade 1–4, star 1–5).
    Level,
    /// A switch: 0 = off, 1 = on.
    Bool,
    /// A day of the year as MMDD: 331 = 31 March.
    MonthDay,
}

impl ParamUnit {
    /// Every unit, for documentation, error messages and exhaustive tests.
    pub const ALL: [ParamUnit; 13] = [
        ParamUnit::FenPerMonth,
        ParamUnit::Fen,
        ParamUnit::Days,
        ParamUnit::Workdays,
        ParamUnit::Months,
        ParamUnit::Years,
        ParamUnit::Hours,
        ParamUnit::BasisPoints,
        ParamUnit::MultipleMilli,
        ParamUnit::Count,
        ParamUnit::Level,
        ParamUnit::Bool,
        ParamUnit::MonthDay,
    ];

    /// The code used in the CSV `unit` column.
    pub fn code(self) -> &'static str {
        match self {
            ParamUnit::FenPerMonth => "fen_per_month",
            ParamUnit::Fen => "fen",
            ParamUnit::Days => "days",
            ParamUnit::Workdays => "workdays",
            ParamUnit::Months => "months",
            ParamUnit::Years => "years",
            ParamUnit::Hours => "hours",
            ParamUnit::BasisPoints => "basis_points",
            ParamUnit::MultipleMilli => "multiple_milli",
            ParamUnit::Count => "count",
            ParamUnit::Level => "level",
            ParamUnit::Bool => "bool",
            ParamUnit::MonthDay => "month_day",
        }
    }

    /// A Chinese label for screens that list parameters.
    pub fn label_zh(self) -> &'static str {
        match self {
            ParamUnit::FenPerMonth => "分/月",
            ParamUnit::Fen => "分",
            ParamUnit::Days => "日",
            ParamUnit::Workdays => "工作日",
            ParamUnit::Months => "个月",
            ParamUnit::Years => "年",
            ParamUnit::Hours => "小时",
            ParamUnit::BasisPoints => "万分点",
            ParamUnit::MultipleMilli => "千分倍",
            ParamUnit::Count => "个",
            ParamUnit::Level => "级",
            ParamUnit::Bool => "开关",
            ParamUnit::MonthDay => "月日",
        }
    }

    /// All codes joined, for the "unknown unit" message.
    fn codes_joined() -> String {
        let codes: Vec<&str> = ParamUnit::ALL.iter().map(|unit| unit.code()).collect();
        codes.join("、")
    }

    /// Checks that a value makes sense in this unit: nothing is negative, switches are 0 or 1,
    /// ratios are at most 100 %, and a month-day is a real day.
    pub fn check(self, value: i64) -> Result<(), ParamError> {
        let refuse = |reason: &'static str| ParamError::BadValue {
            value,
            unit: self,
            reason,
        };
        if value < 0 {
            return Err(refuse("不能为负数"));
        }
        match self {
            ParamUnit::Bool if value > 1 => Err(refuse("开关只能是 0 或 1")),
            ParamUnit::BasisPoints if value > 10_000 => Err(refuse(
                "比例不能超过 10000 万分点（100%），倍数请用 multiple_milli",
            )),
            ParamUnit::MonthDay if month_day_of(value).is_none() => {
                Err(refuse("应为 MMDD 形式的真实月日，如 331 表示 3 月 31 日"))
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for ParamUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for ParamUnit {
    type Err = ParamError;

    fn from_str(text: &str) -> Result<ParamUnit, ParamError> {
        ParamUnit::ALL
            .iter()
            .copied()
            .find(|unit| unit.code() == text)
            .ok_or_else(|| ParamError::UnknownUnit {
                unit: text.to_string(),
            })
    }
}

/// Splits an MMDD value into (month, day) if it names a day that exists in a leap year.
fn month_day_of(value: i64) -> Option<(u32, u32)> {
    let month = u32::try_from(value / 100).ok()?;
    let day = u32::try_from(value % 100).ok()?;
    NaiveDate::from_ymd_opt(2000, month, day).map(|date| (date.month(), date.day()))
}

/// How sure we are of a value, as marked in RULES.md §0. Screens show M and OPEN values as
/// "to be confirmed" so nobody mistakes a hypothesis for the law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Confidence {
    /// Read in the primary legal text.
    P,
    /// Corroborated by secondary sources.
    S,
    /// Recalled from the official document, not verified.
    M,
    /// Not determined: a placeholder or estimate until the client confirms it.
    #[serde(rename = "OPEN")]
    Open,
}

impl Confidence {
    /// The mark used in the CSV `confidence` column.
    pub fn code(self) -> &'static str {
        match self {
            Confidence::P => "P",
            Confidence::S => "S",
            Confidence::M => "M",
            Confidence::Open => "OPEN",
        }
    }

    /// A Chinese label for screens.
    pub fn label_zh(self) -> &'static str {
        match self {
            Confidence::P => "原文核实",
            Confidence::S => "二手来源印证",
            Confidence::M => "凭记忆，待核实",
            Confidence::Open => "未确定，待客户确认",
        }
    }

    /// Whether the value must be confirmed before it is relied on (M and OPEN).
    pub fn needs_confirmation(self) -> bool {
        matches!(self, Confidence::M | Confidence::Open)
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Confidence {
    type Err = ParamError;

    fn from_str(text: &str) -> Result<Confidence, ParamError> {
        match text {
            "P" => Ok(Confidence::P),
            "S" => Ok(Confidence::S),
            "M" => Ok(Confidence::M),
            "OPEN" => Ok(Confidence::Open),
            _ => Err(ParamError::BadConfidence {
                text: text.to_string(),
            }),
        }
    }
}

/// A parameter value: an integer together with its unit, so a rule cannot read days as fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParamValue {
    amount: i64,
    unit: ParamUnit,
}

impl ParamValue {
    /// Builds a value after checking it fits its unit ([`ParamUnit::check`]).
    pub fn new(amount: i64, unit: ParamUnit) -> Result<ParamValue, ParamError> {
        unit.check(amount)?;
        Ok(ParamValue { amount, unit })
    }

    /// The raw integer, whatever the unit; prefer the typed helpers in rules.
    pub fn amount(&self) -> i64 {
        self.amount
    }

    /// The unit of the value.
    pub fn unit(&self) -> ParamUnit {
        self.unit
    }

    /// The amount if the unit is `unit`.
    pub fn in_unit(&self, unit: ParamUnit) -> Option<i64> {
        if self.unit == unit {
            Some(self.amount)
        } else {
            None
        }
    }

    /// Money in fen, for `fen` and `fen_per_month` values.
    pub fn as_fen(&self) -> Option<i64> {
        match self.unit {
            ParamUnit::Fen | ParamUnit::FenPerMonth => Some(self.amount),
            _ => None,
        }
    }

    /// Calendar days.
    pub fn as_days(&self) -> Option<i64> {
        self.in_unit(ParamUnit::Days)
    }

    /// Working days.
    pub fn as_workdays(&self) -> Option<i64> {
        self.in_unit(ParamUnit::Workdays)
    }

    /// Months.
    pub fn as_months(&self) -> Option<i64> {
        self.in_unit(ParamUnit::Months)
    }

    /// Years (or an age in full years).
    pub fn as_years(&self) -> Option<i64> {
        self.in_unit(ParamUnit::Years)
    }

    /// Hours.
    pub fn as_hours(&self) -> Option<i64> {
        self.in_unit(ParamUnit::Hours)
    }

    /// A ratio in basis points (2500 = 25 %).
    pub fn as_basis_points(&self) -> Option<i64> {
        self.in_unit(ParamUnit::BasisPoints)
    }

    /// A multiple in thousandths (1500 = 1.5 ×).
    pub fn as_multiple_milli(&self) -> Option<i64> {
        self.in_unit(ParamUnit::MultipleMilli)
    }

    /// A count.
    pub fn as_count(&self) -> Option<i64> {
        self.in_unit(ParamUnit::Count)
    }

    /// A grade or level number.
    pub fn as_level(&self) -> Option<i64> {
        self.in_unit(ParamUnit::Level)
    }

    /// A switch.
    pub fn as_bool(&self) -> Option<bool> {
        self.in_unit(ParamUnit::Bool).map(|value| value == 1)
    }

    /// A day of the year as (month, day).
    pub fn as_month_day(&self) -> Option<(u32, u32)> {
        self.in_unit(ParamUnit::MonthDay).and_then(month_day_of)
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit)
    }
}

/// One dated row of the parameter table: the value a key has in a region scope from a date on,
/// with the citation and confidence a screen shows next to any number it uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamRow {
    /// What the number is, e.g. `dibao.standard.urban`.
    pub key: ParamKey,
    /// Empty for national, otherwise a division-code prefix (`50`, `500108`).
    pub region_scope: String,
    /// The number and its unit.
    pub value: ParamValue,
    /// First day the row applies (inclusive); the next row of the same key and scope ends it.
    pub valid_from: NaiveDate,
    /// Short citation as in RULES.md, with its section number.
    pub source: String,
    /// Confidence mark of RULES.md §0.
    pub confidence: Confidence,
    /// Short explanation, Chinese or English; may be empty.
    pub note: String,
}

impl ParamRow {
    /// The unit of the row's value.
    pub fn unit(&self) -> ParamUnit {
        self.value.unit()
    }

    /// Whether the row's scope covers a region code (the scope is a prefix of it).
    pub fn applies_to(&self, region_code: &str) -> bool {
        region_code.starts_with(&self.region_scope)
    }

    /// The value in `unit`, or an error naming the key, for rules that expect one unit.
    pub fn amount_in(&self, unit: ParamUnit) -> Result<i64, ParamError> {
        self.value
            .in_unit(unit)
            .ok_or_else(|| self.wrong_unit(unit))
    }

    /// Money in fen (`fen` or `fen_per_month`), or an error naming the key.
    pub fn fen(&self) -> Result<i64, ParamError> {
        self.value
            .as_fen()
            .ok_or_else(|| self.wrong_unit(ParamUnit::Fen))
    }

    /// A switch, or an error naming the key.
    pub fn flag(&self) -> Result<bool, ParamError> {
        self.value
            .as_bool()
            .ok_or_else(|| self.wrong_unit(ParamUnit::Bool))
    }

    /// A (month, day), or an error naming the key.
    pub fn month_day(&self) -> Result<(u32, u32), ParamError> {
        self.value
            .as_month_day()
            .ok_or_else(|| self.wrong_unit(ParamUnit::MonthDay))
    }

    fn wrong_unit(&self, wanted: ParamUnit) -> ParamError {
        ParamError::WrongUnit {
            key: self.key.to_string(),
            wanted,
            found: self.unit(),
        }
    }

    /// Checks what a row needs on its own: a valid scope, a source, no line breaks. The key and
    /// value are already checked by their types.
    fn check(&self) -> Result<(), ParamError> {
        check_scope(&self.region_scope)?;
        self.value.unit().check(self.value.amount())?;
        if self.source.trim().is_empty() {
            return Err(ParamError::MissingSource {
                key: self.key.to_string(),
            });
        }
        if self.source.contains(['\n', '\r']) || self.note.contains(['\n', '\r']) {
            return Err(ParamError::LineBreakInText {
                key: self.key.to_string(),
            });
        }
        Ok(())
    }

    /// The row as one CSV line (without line end), quoting fields that need it.
    pub fn to_csv_line(&self) -> String {
        let fields = [
            self.key.to_string(),
            self.region_scope.clone(),
            self.value.amount().to_string(),
            self.unit().code().to_string(),
            self.valid_from.format("%Y-%m-%d").to_string(),
            self.source.clone(),
            self.confidence.code().to_string(),
            self.note.clone(),
        ];
        let quoted: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
        quoted.join(",")
    }
}

/// Quotes a CSV field if it contains a comma or a quote.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// A scope is empty (national) or the digits of a division-code level: 2, 4, 6, 9 or 12.
fn check_scope(scope: &str) -> Result<(), ParamError> {
    let length_ok = matches!(scope.len(), 0 | 2 | 4 | 6 | 9 | 12);
    if length_ok && scope.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ParamError::BadScope {
            scope: scope.to_string(),
        })
    }
}

/// A strict `YYYY-MM-DD` date: exactly ten characters, zero-padded, and a real day.
fn parse_date(text: &str) -> Result<NaiveDate, ParamError> {
    let bad = || ParamError::BadDate {
        text: text.to_string(),
    };
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err(bad());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())
}

/// An integer value as written in the CSV: optional minus sign and digits only.
fn parse_amount(text: &str) -> Result<i64, ParamError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(ParamError::BadNumber {
            text: text.to_string(),
        });
    }
    text.parse::<i64>().map_err(|_| ParamError::BadNumber {
        text: text.to_string(),
    })
}

/// Splits one CSV line into fields: commas separate, double quotes enclose fields that contain
/// commas, and `""` inside quotes is a quote. A quoted field cannot span lines.
fn split_csv_line(line: &str) -> Result<Vec<String>, ParamError> {
    let format = |message: &str| ParamError::Format {
        message: message.to_string(),
    };
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(format("引号没有闭合（带引号的字段不能跨行）")),
                    Some('"') => {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            field.push('"');
                        } else {
                            break;
                        }
                    }
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err(format("右引号后面应是逗号或行尾")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => {
                        fields.push(field);
                        break;
                    }
                    Some('"') => return Err(format("未加引号的字段中不能出现引号")),
                    Some(c) => field.push(c),
                }
            }
        }
    }
}

/// Builds a row from the eight CSV fields.
fn row_from_fields(fields: &[String]) -> Result<ParamRow, ParamError> {
    if fields.len() != COLUMN_COUNT {
        return Err(ParamError::Format {
            message: format!(
                "应有 {COLUMN_COUNT} 列（{CSV_HEADER}），实际 {} 列；含逗号的字段请加双引号",
                fields.len()
            ),
        });
    }
    let key = ParamKey::new(&fields[0])?;
    check_scope(&fields[1])?;
    let amount = parse_amount(&fields[2])?;
    let unit: ParamUnit = fields[3].parse()?;
    let value = ParamValue::new(amount, unit)?;
    let valid_from = parse_date(&fields[4])?;
    let confidence: Confidence = fields[6].parse()?;
    let row = ParamRow {
        key,
        region_scope: fields[1].clone(),
        value,
        valid_from,
        source: fields[5].clone(),
        confidence,
        note: fields[7].clone(),
    };
    row.check()?;
    Ok(row)
}

/// The parameter table, indexed for lookups: rows grouped by key, each group sorted by scope
/// length (longest first), then `valid_from` (latest first), then scope text (so the order does
/// not depend on insertion order); the first row that covers the region and date wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamSet {
    by_key: HashMap<String, Vec<ParamRow>>,
    row_count: usize,
}

static BUILTIN: LazyLock<ParamSet> = LazyLock::new(|| match ParamSet::from_csv(BUILTIN_CSV) {
    Ok(set) => set,
    Err(error) => panic!("内置参数表 data/policy-parameters.csv 有误：{error}"),
});

impl ParamSet {
    /// An empty set, for tests and for a database layer that adds its rows one by one.
    pub fn new() -> ParamSet {
        ParamSet::default()
    }

    /// The compiled-in table `data/policy-parameters.csv`, parsed once. The file is checked by the
    /// crate's tests, so a parse failure here is a build defect and panics with the line number.
    pub fn builtin() -> &'static ParamSet {
        &BUILTIN
    }

    /// Parses a parameter CSV (see the module documentation). Refuses unknown units, bad keys,
    /// scopes, values and dates, duplicate (key, scope, valid_from) and mixed units per key, with
    /// the line number in the message.
    pub fn from_csv(text: &str) -> Result<ParamSet, ParamError> {
        let mut set = ParamSet::new();
        let mut seen_header = false;
        let mut first_line_of: HashMap<(String, String, NaiveDate), usize> = HashMap::new();
        for (index, raw_line) in text.lines().enumerate() {
            let line_no = index + 1;
            let at_line = |error: ParamError| ParamError::AtLine {
                line: line_no,
                source: Box::new(error),
            };
            let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
            let line = if index == 0 {
                line.strip_prefix('\u{feff}').unwrap_or(line)
            } else {
                line
            };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if !seen_header {
                if line != CSV_HEADER {
                    return Err(at_line(ParamError::Format {
                        message: format!("第一行（注释之外）应是表头 {CSV_HEADER}"),
                    }));
                }
                seen_header = true;
                continue;
            }
            let fields = split_csv_line(line).map_err(at_line)?;
            let row = row_from_fields(&fields).map_err(at_line)?;
            let identity = (
                row.key.to_string(),
                row.region_scope.clone(),
                row.valid_from,
            );
            if let Some(first) = first_line_of.get(&identity) {
                return Err(at_line(ParamError::Format {
                    message: format!(
                        "参数 {} 在区划范围 “{}” 自 {} 起的取值与第 {first} 行重复",
                        identity.0, identity.1, identity.2
                    ),
                }));
            }
            first_line_of.insert(identity, line_no);
            set.insert(row).map_err(at_line)?;
        }
        if !seen_header {
            return Err(ParamError::Format {
                message: format!("没有表头 {CSV_HEADER}"),
            });
        }
        Ok(set)
    }

    /// Builds a set from rows kept elsewhere (the database), with the same checks as the CSV.
    pub fn from_rows(rows: impl IntoIterator<Item = ParamRow>) -> Result<ParamSet, ParamError> {
        let mut set = ParamSet::new();
        for row in rows {
            set.insert(row)?;
        }
        Ok(set)
    }

    /// Adds a row in place. Refuses a row that repeats an existing (key, scope, valid_from) —
    /// a used value is never replaced, a later row supersedes it — or that changes the key's unit.
    pub fn insert(&mut self, row: ParamRow) -> Result<(), ParamError> {
        row.check()?;
        let rows = self.by_key.entry(row.key.to_string()).or_default();
        if let Some(existing) = rows.first()
            && existing.unit() != row.unit()
        {
            return Err(ParamError::UnitConflict {
                key: row.key.to_string(),
                expected: existing.unit(),
                found: row.unit(),
            });
        }
        if rows
            .iter()
            .any(|r| r.region_scope == row.region_scope && r.valid_from == row.valid_from)
        {
            return Err(ParamError::Duplicate {
                key: row.key.to_string(),
                scope: row.region_scope.clone(),
                valid_from: row.valid_from,
            });
        }
        rows.push(row);
        rows.sort_by(|a, b| {
            b.region_scope
                .len()
                .cmp(&a.region_scope.len())
                .then(b.valid_from.cmp(&a.valid_from))
                .then(a.region_scope.cmp(&b.region_scope))
        });
        self.row_count += 1;
        Ok(())
    }

    /// Returns the set with one more row, typically a new dated value that supersedes the old one
    /// from its `valid_from` on. Same checks as [`ParamSet::insert`].
    pub fn with_row(mut self, row: ParamRow) -> Result<ParamSet, ParamError> {
        self.insert(row)?;
        Ok(self)
    }

    /// The row in force for `key` in `region_code` on `date`: among rows whose scope is a prefix
    /// of the region code and whose `valid_from` is not after the date, the longest scope wins,
    /// then the latest `valid_from`. `region_code` is digits (6 or 12 usually); empty asks for
    /// the national value only.
    pub fn value_of(
        &self,
        key: &str,
        region_code: &str,
        date: NaiveDate,
    ) -> Result<&ParamRow, ParamError> {
        if !region_code.chars().all(|c| c.is_ascii_digit()) {
            return Err(ParamError::BadRegion {
                region: region_code.to_string(),
            });
        }
        let rows = self.by_key.get(key).ok_or_else(|| ParamError::UnknownKey {
            key: key.to_string(),
        })?;
        let mut earliest: Option<NaiveDate> = None;
        for row in rows {
            if !row.applies_to(region_code) {
                continue;
            }
            if row.valid_from <= date {
                return Ok(row);
            }
            earliest = Some(match earliest {
                Some(current) if current <= row.valid_from => current,
                _ => row.valid_from,
            });
        }
        match earliest {
            Some(earliest) => Err(ParamError::NoValueBefore {
                key: key.to_string(),
                region: region_code.to_string(),
                date,
                earliest,
            }),
            None => Err(ParamError::NoValueForRegion {
                key: key.to_string(),
                region: region_code.to_string(),
            }),
        }
    }

    /// All rows of `key` with exactly this scope, oldest first: the timeline a screen shows.
    pub fn history(&self, key: &str, scope: &str) -> Vec<&ParamRow> {
        let mut rows: Vec<&ParamRow> = self
            .by_key
            .get(key)
            .map(|rows| rows.iter().filter(|r| r.region_scope == scope).collect())
            .unwrap_or_default();
        rows.sort_by_key(|r| r.valid_from);
        rows
    }

    /// Every key, sorted, for listings and completeness checks.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.by_key.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    /// Every row, sorted by key, scope and `valid_from`, for export and storage.
    pub fn rows(&self) -> Vec<&ParamRow> {
        let mut rows: Vec<&ParamRow> = self.by_key.values().flatten().collect();
        rows.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then(a.region_scope.cmp(&b.region_scope))
                .then(a.valid_from.cmp(&b.valid_from))
        });
        rows
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.row_count
    }

    /// Whether the set has no rows.
    pub fn is_empty(&self) -> bool {
        self.row_count == 0
    }

    /// The set as CSV text (header plus rows, sorted), readable again by [`ParamSet::from_csv`].
    pub fn to_csv(&self) -> String {
        let mut text = String::from(CSV_HEADER);
        text.push('\n');
        for row in self.rows() {
            text.push_str(&row.to_csv_line());
            text.push('\n');
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields() {
        let fields = split_csv_line(r#"a,"b,c"#);
        assert_eq!(
            fields,
            Err(ParamError::Format {
                message: "引号没有闭合（带引号的字段不能跨行）".to_string()
            })
        );
        let fields = split_csv_line(r#"a,"b,c","say ""hi""",,"#).expect("valid line");
        assert_eq!(fields, vec!["a", "b,c", "say \"hi\"", "", ""]);
    }

    #[test]
    fn refuses_stray_quotes() {
        assert!(split_csv_line(r#"a,b"c,d"#).is_err());
        assert!(split_csv_line(r#"a,"b"c,d"#).is_err());
    }

    #[test]
    fn strict_dates() {
        assert_eq!(
            parse_date("2019-07-01"),
            Ok(NaiveDate::from_ymd_opt(2019, 7, 1).expect("real date"))
        );
        for bad in [
            "2019-7-1",
            "2019-02-30",
            "2019/07/01",
            "20190701",
            " 2019-07-01",
            "",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_are_plain_integers() {
        assert_eq!(parse_amount("58000"), Ok(58000));
        assert_eq!(parse_amount("-1"), Ok(-1));
        for bad in ["580.00", "5_800", "+5", "", "-", " 1", "1e3"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn month_days() {
        assert_eq!(month_day_of(331), Some((3, 31)));
        assert_eq!(month_day_of(229), Some((2, 29)));
        assert_eq!(month_day_of(230), None);
        assert_eq!(month_day_of(1301), None);
        assert_eq!(month_day_of(0), None);
    }
}
