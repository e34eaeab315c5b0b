//! Region codes and the Chongqing region tree (行政区划).
//!
//! Every row that belongs to a place carries a 12-digit statistical code (统计用区划代码, NBS), and
//! every staff account has a region scope. This module answers, in memory and in well under a
//! microsecond, the questions every area asks of those codes: what is this code, what is above and
//! below it, is it inside this scope *on this date*, and which code prefixes select a scope in SQL.
//!
//! Division changes are dated events ([`DivisionChange`]), never edits: on 2025-11-06 江北区
//! (500105) and 渝北区 (500112) were abolished and 两江新区 (500157) created, and townships moved
//! between 两江新区 and 北碚区. A moved township keeps its 12-digit code (records keep their
//! codes) and gets a dated parent link, so the tree as of 2025-01-01 and the tree as of 2026-02-01
//! are both correct, and a code prefix alone no longer decides membership after the change: use
//! [`RegionTree::is_within`] in Rust and [`RegionTree::scope_prefixes`] in SQL (the two agree
//! exactly on every code of the tree). A code of a unit that does not exist on the date asked
//! about belongs to the unit that answers for it ([`RegionTree::current_unit`]): after the change
//! 江北区's own code 500105000000 belongs to 两江新区, so old records stay inside some scope.
//!
//! Two code systems exist and are never mixed: the canonical nodes use NBS codes ([`RegionCode`]),
//! the Ministry of Civil Affairs township codes ([`McaCode`]) are kept as aliases matched by
//! (county after the change, name).
//!
//! Sources (compiled in): `data/chongqing-divisions-nbs-2023.csv` (NBS edition of 2023-06-30) and
//! `data/chongqing-divisions-mca-2025.csv` (MCA, as of 2025-12-31); see `data/README.md`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::str::FromStr;
use std::sync::LazyLock;

const NBS_CSV: &str = include_str!("../../../data/chongqing-divisions-nbs-2023.csv");
const MCA_CSV: &str = include_str!("../../../data/chongqing-divisions-mca-2025.csv");

/// A date from constant parts (`NaiveDate::MIN` if the parts were not a date).
const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(day) => day,
        None => NaiveDate::MIN,
    }
}

/// The date of the MCA file: the tree as of this date is the one its townships are matched against.
pub const MCA_AS_OF: NaiveDate = date(2025, 12, 31);

/// The first day of the 2025 Chongqing change (江北区 and 渝北区 abolished, 两江新区 set up).
pub const CHONGQING_CHANGE_DATE: NaiveDate = date(2025, 11, 6);

/// "No node" in the index arrays.
const NONE: u32 = u32::MAX;

/// Province codes of GB/T 2260 (the first two digits of every region code).
const PROVINCES: [u64; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// What can go wrong with a region code, a scope or the reference data; the message is shown to
/// users as it is, so it is in Chinese and names the code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// The text is not a region code at all.
    #[error("区划代码 {input} 格式不正确：{reason}")]
    InvalidCode {
        /// What was typed.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// The code is well formed but cannot be an access scope.
    #[error("区划范围 {input} 不正确：{reason}")]
    InvalidScope {
        /// What was given.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// The code is well formed but names no unit of the tree.
    #[error("区划代码 {0} 不存在")]
    NotFound(RegionCode),
    /// The unit exists in the tree but not on the date asked about.
    #[error("区划代码 {code}（{name}）在 {date} 不存在：{detail}")]
    NotInForce {
        /// The unit's code.
        code: RegionCode,
        /// The unit's name.
        name: String,
        /// The date asked about.
        date: NaiveDate,
        /// When it was set up or abolished.
        detail: String,
    },
    /// The MCA code is not in the MCA reference file.
    #[error("民政部区划代码 {0} 不存在")]
    McaNotFound(McaCode),
    /// The MCA code exists but no NBS unit has the same name in the same county.
    #[error("民政部区划代码 {code}（{name}）没有对应的统计用区划代码")]
    McaUnmatched {
        /// The MCA code.
        code: McaCode,
        /// Its name in the MCA file.
        name: String,
    },
    /// A line of a reference file could not be read.
    #[error("区划数据 {file} 第 {line} 行有误：{reason}")]
    Data {
        /// Which file.
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A division change cannot be applied to the tree.
    #[error("{date} 的区划调整无法应用：{reason}")]
    Change {
        /// The date of the change.
        date: NaiveDate,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid_code(input: &str, reason: impl Into<String>) -> RegionError {
    RegionError::InvalidCode {
        input: input.to_owned(),
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------

/// The level a code's digits name. `Prefecture` exists only for codes (the 5001 市辖区 and 5002 县
/// placeholders of Chongqing, 地级市 elsewhere); the tree has no prefecture nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省级 (Chongqing itself): digits 1–2.
    Province,
    /// 地级: digits 3–4.
    Prefecture,
    /// 区县 (`district`): digits 5–6.
    District,
    /// 街道 / 乡镇 (`subdistrict`): digits 7–9.
    Subdistrict,
    /// 村（居）民委员会 (`community`): digits 10–12.
    Community,
}

impl RegionLevel {
    /// How many leading digits identify a unit of this level (the length of its scope prefix).
    pub fn prefix_len(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::Prefecture => 4,
            RegionLevel::District => 6,
            RegionLevel::Subdistrict => 9,
            RegionLevel::Community => 12,
        }
    }

    /// The Chinese label screens show.
    pub fn name_zh(self) -> &'static str {
        match self {
            RegionLevel::Province => "省级",
            RegionLevel::Prefecture => "地级",
            RegionLevel::District => "区县",
            RegionLevel::Subdistrict => "街道乡镇",
            RegionLevel::Community => "村（社区）",
        }
    }

    /// Depth in the tree (province 0 … community 3); prefecture shares the district's parent.
    fn depth(self) -> u8 {
        match self {
            RegionLevel::Province => 0,
            RegionLevel::Prefecture | RegionLevel::District => 1,
            RegionLevel::Subdistrict => 2,
            RegionLevel::Community => 3,
        }
    }
}

/// A canonical 12-digit statistical region code (统计用区划代码, NBS), e.g. `500103001001`.
///
/// Validated: once a value exists it has 12 digits, a GB/T 2260 province, and no non-zero part
/// below a zero prefecture or township part. [`RegionCode::parse`] also accepts the 2, 4, 6 and
/// 9-digit forms people type (`50`, `5001`, `500103`, `500103001`) and pads them with zeros to 12.
/// It says nothing about whether the unit exists: ask the [`RegionTree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(u64);

impl RegionCode {
    /// Parses a code of 2, 4, 6, 9 or 12 digits (surrounding whitespace ignored, full-width
    /// digits `０`–`９` as typed with a Chinese input method accepted), padding the shorter forms
    /// with zeros to the canonical 12 digits.
    pub fn parse(input: &str) -> Result<RegionCode, RegionError> {
        let halfwidth: String = input
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .collect();
        let s = halfwidth.as_str();
        if s.is_empty() {
            return Err(invalid_code(input, "不能为空"));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid_code(input, "只能由数字组成"));
        }
        if !matches!(s.len(), 2 | 4 | 6 | 9 | 12) {
            return Err(invalid_code(input, "应为 2、4、6、9 或 12 位数字"));
        }
        let mut value: u64 = 0;
        for b in s.bytes() {
            value = value * 10 + u64::from(b - b'0');
        }
        for _ in s.len()..12 {
            value *= 10;
        }
        RegionCode::check(value).map_err(|reason| invalid_code(input, reason))
    }

    /// Builds a code from its 12-digit numeric value (as stored in an integer column).
    pub fn from_u64(value: u64) -> Result<RegionCode, RegionError> {
        RegionCode::check(value).map_err(|reason| invalid_code(&value.to_string(), reason))
    }

    fn check(value: u64) -> Result<RegionCode, String> {
        if !(100_000_000_000..1_000_000_000_000).contains(&value) {
            return Err("应为 12 位数字且不以 0 开头".into());
        }
        let code = RegionCode(value);
        let province = value / 10_000_000_000;
        if !PROVINCES.contains(&province) {
            return Err(format!("省级代码 {province} 不存在"));
        }
        if code.prefecture_part() == 0
            && (code.county_part() != 0 || code.township_part() != 0 || code.village_part() != 0)
        {
            return Err("地级段为 00 时下级段必须为 0".into());
        }
        if code.township_part() == 0 && code.village_part() != 0 {
            return Err("乡级段为 000 时村级段必须为 000".into());
        }
        Ok(code)
    }

    /// The code as a number, for integer keys and columns.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    fn prefecture_part(self) -> u64 {
        self.0 / 100_000_000 % 100
    }

    fn county_part(self) -> u64 {
        self.0 / 1_000_000 % 100
    }

    fn township_part(self) -> u64 {
        self.0 / 1000 % 1000
    }

    fn village_part(self) -> u64 {
        self.0 % 1000
    }

    /// The level named by the digits: the deepest non-zero part.
    pub fn level(self) -> RegionLevel {
        if self.village_part() != 0 {
            RegionLevel::Community
        } else if self.township_part() != 0 {
            RegionLevel::Subdistrict
        } else if self.county_part() != 0 {
            RegionLevel::District
        } else if self.prefecture_part() != 0 {
            RegionLevel::Prefecture
        } else {
            RegionLevel::Province
        }
    }

    /// A 村民委员会: positions 10–12 in 200–399.
    pub fn is_village(self) -> bool {
        (200..=399).contains(&self.village_part())
    }

    /// A 居民委员会 (urban community): positions 10–12 in 001–199.
    pub fn is_urban_community(self) -> bool {
        (1..=199).contains(&self.village_part())
    }

    /// The leading digits that identify the unit at its own level (`50`, `500103`, `500103001`,
    /// `500103001001`): what a scope prefix of this unit looks like.
    pub fn prefix(self) -> String {
        let s = self.to_string();
        s[..self.level().prefix_len()].to_owned()
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012}", self.0)
    }
}

impl FromStr for RegionCode {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<RegionCode, RegionError> {
        RegionCode::parse(s)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionError;

    fn try_from(s: String) -> Result<RegionCode, RegionError> {
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(code: RegionCode) -> String {
        code.to_string()
    }
}

/// An access scope: a region code prefix of 2, 6, 9 or 12 digits (`50` the city, `500103` a
/// district, `500103001` a street, `500103001001` a community), as DESIGN §5 says.
///
/// Which codes it contains depends on the date (units move between districts): ask
/// [`RegionTree::is_within`] or [`RegionTree::scope_prefixes`], never `starts_with` alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionScope(RegionCode);

impl RegionScope {
    /// The whole city (`50`).
    pub const CITY: RegionScope = RegionScope(RegionCode(500_000_000_000));

    /// Parses a scope prefix of 2, 6, 9 or 12 digits; a 12-digit code with trailing zeros is taken
    /// at its own level (`500103000000` is the district scope `500103`). 4-digit prefixes
    /// (the 5001/5002 placeholders) are refused.
    pub fn parse(input: &str) -> Result<RegionScope, RegionError> {
        let trimmed = input.trim();
        if trimmed.len() == 4 {
            return Err(RegionError::InvalidScope {
                input: input.to_owned(),
                reason: "应为 2、6、9 或 12 位数字".into(),
            });
        }
        let code = RegionCode::parse(trimmed).map_err(|e| match e {
            RegionError::InvalidCode { reason, .. } => RegionError::InvalidScope {
                input: input.to_owned(),
                reason,
            },
            other => other,
        })?;
        RegionScope::from_code(code)
    }

    /// The scope of one unit. Prefecture-level codes are refused: they are placeholders here.
    pub fn from_code(code: RegionCode) -> Result<RegionScope, RegionError> {
        if code.level() == RegionLevel::Prefecture {
            return Err(RegionError::InvalidScope {
                input: code.to_string(),
                reason: "地级代码不能作为范围（应为 2、6、9 或 12 位）".into(),
            });
        }
        Ok(RegionScope(code))
    }

    /// The unit whose subtree this scope is.
    pub fn code(self) -> RegionCode {
        self.0
    }

    /// The prefix as typed and stored (`50`, `500103`, …).
    pub fn prefix(self) -> String {
        self.0.prefix()
    }
}

impl fmt::Display for RegionScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.prefix())
    }
}

impl FromStr for RegionScope {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<RegionScope, RegionError> {
        RegionScope::parse(s)
    }
}

impl TryFrom<String> for RegionScope {
    type Error = RegionError;

    fn try_from(s: String) -> Result<RegionScope, RegionError> {
        RegionScope::parse(&s)
    }
}

impl From<RegionScope> for String {
    fn from(scope: RegionScope) -> String {
        scope.prefix()
    }
}

/// A Ministry of Civil Affairs code (6 digits for the province and counties, 9 for townships).
///
/// A separate type so that it can never be stored where an NBS [`RegionCode`] belongs: the two
/// systems give different 9-digit codes to the same township. Convert with
/// [`RegionTree::from_mca`] and [`RegionTree::mca_alias`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct McaCode(u64);

impl McaCode {
    /// Parses 6 or 9 ASCII digits with a GB/T 2260 province.
    pub fn parse(input: &str) -> Result<McaCode, RegionError> {
        let s = input.trim();
        if !(s.len() == 6 || s.len() == 9) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid_code(input, "民政部代码应为 6 或 9 位数字"));
        }
        let value: u64 = s
            .parse()
            .map_err(|_| invalid_code(input, "民政部代码应为 6 或 9 位数字"))?;
        let province = if s.len() == 6 {
            value / 10_000
        } else {
            value / 10_000_000
        };
        if !PROVINCES.contains(&province) {
            return Err(invalid_code(input, format!("省级代码 {province} 不存在")));
        }
        Ok(McaCode(value))
    }

    /// The code as a number (6 or 9 digits).
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// Township codes have 9 digits, county and province codes 6.
    pub fn is_township(self) -> bool {
        self.0 >= 100_000_000
    }
}

impl fmt::Display for McaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for McaCode {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<McaCode, RegionError> {
        McaCode::parse(s)
    }
}

impl TryFrom<String> for McaCode {
    type Error = RegionError;

    fn try_from(s: String) -> Result<McaCode, RegionError> {
        McaCode::parse(&s)
    }
}

impl From<McaCode> for String {
    fn from(code: McaCode) -> String {
        code.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Nodes and changes
// ---------------------------------------------------------------------------------------------

/// Which authority's code system a node's code belongs to. Never mixed: see `data/README.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeSystem {
    /// 国家统计局 统计用区划代码: the canonical system of the tree and of every record.
    Nbs,
    /// 民政部 行政区划代码: units the NBS edition does not have yet (两江新区 500157). At county
    /// level both systems use the same GB/T 2260 code.
    Mca,
}

/// What a node is: its level, and at the two lowest levels its kind (glossary: `street` /
/// `township`, `urban_community` / `village`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    /// 重庆市.
    Province,
    /// 区 or 县 (`district`).
    District,
    /// 街道 (township part 000–099).
    Street,
    /// 镇 (township part 100–199).
    Town,
    /// 乡 (township part 200–299).
    Township,
    /// 居民委员会 (village part 001–199).
    UrbanCommunity,
    /// 村民委员会 (village part 200–399).
    Village,
}

impl RegionKind {
    /// The level this kind sits at.
    pub fn level(self) -> RegionLevel {
        match self {
            RegionKind::Province => RegionLevel::Province,
            RegionKind::District => RegionLevel::District,
            RegionKind::Street | RegionKind::Town | RegionKind::Township => {
                RegionLevel::Subdistrict
            }
            RegionKind::UrbanCommunity | RegionKind::Village => RegionLevel::Community,
        }
    }

    /// The Chinese label screens show.
    pub fn name_zh(self) -> &'static str {
        match self {
            RegionKind::Province => "直辖市",
            RegionKind::District => "区县",
            RegionKind::Street => "街道",
            RegionKind::Town => "镇",
            RegionKind::Township => "乡",
            RegionKind::UrbanCommunity => "社区（居委会）",
            RegionKind::Village => "村（村委会）",
        }
    }

    /// The kind a code's digits give (township part 000–099 street, 100–199 town, 200–299 乡;
    /// village part 001–199 居委会, 200–399 村委会); `None` for parts outside those ranges and for
    /// prefecture codes.
    pub fn from_code(code: RegionCode) -> Option<RegionKind> {
        match code.level() {
            RegionLevel::Province => Some(RegionKind::Province),
            RegionLevel::Prefecture => None,
            RegionLevel::District => Some(RegionKind::District),
            RegionLevel::Subdistrict => match code.township_part() {
                1..=99 => Some(RegionKind::Street),
                100..=199 => Some(RegionKind::Town),
                200..=299 => Some(RegionKind::Township),
                _ => None,
            },
            RegionLevel::Community => {
                if code.is_urban_community() {
                    Some(RegionKind::UrbanCommunity)
                } else if code.is_village() {
                    Some(RegionKind::Village)
                } else {
                    None
                }
            }
        }
    }
}

/// One unit of the region tree. Its parent is not a field: it depends on the date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionNode {
    /// The 12-digit code records carry (kept when the unit moves).
    pub code: RegionCode,
    /// Which system the code comes from.
    pub system: CodeSystem,
    /// Level and kind.
    pub kind: RegionKind,
    /// The standard name (unique only within the parent: 双龙镇 is in four counties).
    pub name: String,
    /// First day in force; `None` means since before the reference data (the NBS 2023 edition).
    pub valid_from: Option<NaiveDate>,
    /// First day no longer in force (the interval is half-open); `None` means still in force.
    pub valid_to: Option<NaiveDate>,
}

impl RegionNode {
    /// The node's level.
    pub fn level(&self) -> RegionLevel {
        self.kind.level()
    }

    /// Whether the unit exists on `date` (`valid_from <= date < valid_to`).
    pub fn exists_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date < to)
    }
}

/// A dated parent link: from `valid_from` (inclusive) to `valid_to` (exclusive) the unit sat under
/// `parent`. Shows a moved township's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentLink {
    /// The parent unit.
    pub parent: RegionCode,
    /// First day of the link; `None` means since before the reference data.
    pub valid_from: Option<NaiveDate>,
    /// First day after it; `None` means still in force.
    pub valid_to: Option<NaiveDate>,
}

/// The kind of a division change (行政区划管理条例 §10.2). Only the kinds the Chongqing data needs
/// are implemented; renames and boundary changes would add dated names and are not modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionChangeKind {
    /// 设立: `affected` is the one new unit, `to` its parent, `name` its name.
    Establish,
    /// 撤销: `affected` units end on `date`; `to` is the successor that answers for their codes.
    Abolish,
    /// 隶属变更: `affected` units move, with their subtrees and codes, under `to`.
    Transfer,
}

impl DivisionChangeKind {
    /// The Chinese label screens show.
    pub fn name_zh(self) -> &'static str {
        match self {
            DivisionChangeKind::Establish => "设立",
            DivisionChangeKind::Abolish => "撤销",
            DivisionChangeKind::Transfer => "隶属变更",
        }
    }
}

/// A dated division change event, applied to the tree rather than edited into it, so any past
/// date can still be asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivisionChange {
    /// What happened.
    pub kind: DivisionChangeKind,
    /// The day it took effect (the first day of the new tree).
    pub date: NaiveDate,
    /// The units concerned (NBS codes, or the new unit's code).
    pub affected: Vec<RegionCode>,
    /// New parent (Establish, Transfer) or successor (Abolish).
    pub to: Option<RegionCode>,
    /// The new unit's name (Establish).
    pub name: Option<String>,
    /// A human note: what, and where it comes from.
    pub note: String,
}

/// A township's 12-digit code from its 9 digits (internal constants only).
fn township(nine: u64) -> RegionCode {
    RegionCode(nine * 1000)
}

/// A county's 12-digit code from its 6 digits (internal constants only).
fn county(six: u64) -> RegionCode {
    RegionCode(six * 1_000_000)
}

/// The division changes of Chongqing after the NBS 2023 edition that the tree applies: the
/// 2025-11-06 change (data/README.md item 1), checked against the MCA 2025 file by the tests.
pub fn chongqing_changes() -> Vec<DivisionChange> {
    let date = CHONGQING_CHANGE_DATE;
    let liangjiang = county(500157);
    let beibei = county(500109);
    let to_beibei: Vec<RegionCode> = [500112133, 500112135, 500112138, 500112140, 500112143]
        .into_iter()
        .map(township)
        .collect();
    let from_beibei: Vec<RegionCode> = [500109006, 500109008, 500109009, 500109104, 500109108]
        .into_iter()
        .map(township)
        .collect();
    let jiangbei: Vec<RegionCode> = [
        500105001, 500105002, 500105003, 500105004, 500105005, 500105006, 500105007, 500105008,
        500105009, 500105100, 500105101, 500105102,
    ]
    .into_iter()
    .map(township)
    .collect();
    let yubei: Vec<RegionCode> = [
        500112002, 500112004, 500112007, 500112008, 500112009, 500112010, 500112011, 500112012,
        500112013, 500112014, 500112015, 500112016, 500112017, 500112018, 500112019, 500112020,
        500112021, 500112022, 500112023, 500112129, 500112131, 500112139, 500112141, 500112142,
        500112144,
    ]
    .into_iter()
    .map(township)
    .collect();
    vec![
        DivisionChange {
            kind: DivisionChangeKind::Establish,
            date,
            affected: vec![liangjiang],
            to: Some(RegionScope::CITY.code()),
            name: Some("两江新区".into()),
            note: "设立两江新区（行政区，500157）；人民政府于 2026-01-25 成立".into(),
        },
        DivisionChange {
            kind: DivisionChangeKind::Transfer,
            date,
            affected: to_beibei,
            to: Some(beibei),
            note: "原渝北区大湾镇、统景镇、大盛镇、兴隆镇、茨竹镇划归北碚区".into(),
            name: None,
        },
        DivisionChange {
            kind: DivisionChangeKind::Transfer,
            date,
            affected: from_beibei,
            to: Some(liangjiang),
            note: "北碚区水土街道、复兴街道、蔡家岗街道、施家梁镇、童家溪镇划归两江新区".into(),
            name: None,
        },
        DivisionChange {
            kind: DivisionChangeKind::Transfer,
            date,
            affected: jiangbei,
            to: Some(liangjiang),
            note: "原江北区全部街道、镇划归两江新区".into(),
            name: None,
        },
        DivisionChange {
            kind: DivisionChangeKind::Transfer,
            date,
            affected: yubei,
            to: Some(liangjiang),
            note: "原渝北区其余街道、镇（上述五镇以外）划归两江新区".into(),
            name: None,
        },
        DivisionChange {
            kind: DivisionChangeKind::Abolish,
            date,
            affected: vec![county(500105), county(500112)],
            to: Some(liangjiang),
            note: "撤销江北区、渝北区；两江新区承接其事务".into(),
            name: None,
        },
    ]
}

/// How the MCA file's units matched the NBS nodes (by code and name for the province and
/// counties, by county after the change and name for townships).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McaAliasReport {
    /// The date the MCA file describes; townships are matched against the tree on this date.
    pub as_of: NaiveDate,
    /// County-level units in the MCA file.
    pub mca_counties: usize,
    /// Of which matched an NBS node.
    pub counties_matched: usize,
    /// Townships in the MCA file.
    pub mca_townships: usize,
    /// Of which matched an NBS node.
    pub townships_matched: usize,
    /// Of the matched townships, how many also have the same 9 digits in both systems.
    pub townships_same_code: usize,
    /// MCA units with no NBS node: (MCA code, name, MCA county code).
    pub unmatched_mca: Vec<(McaCode, String, McaCode)>,
    /// NBS townships in force on `as_of` with no MCA unit: (code, name, county on `as_of`).
    pub unmatched_nbs: Vec<(RegionCode, String, RegionCode)>,
}

// ---------------------------------------------------------------------------------------------
// The tree
// ---------------------------------------------------------------------------------------------

/// A hasher for u64 code keys: a multiply and a fold, enough for codes and much cheaper than
/// SipHash (the index is built from trusted reference data, not from user input).
#[derive(Default, Clone, Copy)]
struct CodeHasher(u64);

impl Hasher for CodeHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let h = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}

type CodeMap<V> = HashMap<u64, V, BuildHasherDefault<CodeHasher>>;

/// A dated move of one node (sorted by node, then date).
#[derive(Debug, Clone, Copy)]
struct Move {
    node: u32,
    date: NaiveDate,
    parent: u32,
}

/// The tree between two change dates: parents, children, a pre-order numbering for O(1)
/// ancestor tests, and the unit that answers for each code that does not exist in the epoch.
#[derive(Debug, Clone)]
struct Epoch {
    /// Whether the node exists in this epoch.
    alive: Vec<bool>,
    /// Parent index (NONE for the root and for nodes that do not exist).
    parent: Vec<u32>,
    /// The existing node that answers for the code: itself, its successor, or its future parent.
    holder: Vec<u32>,
    /// Pre-order number (NONE for nodes that do not exist).
    pre: Vec<u32>,
    /// Subtree size including the node (0 for nodes that do not exist).
    size: Vec<u32>,
    /// Pre-order number → node.
    order: Vec<u32>,
    /// Children of node i are `child_list[child_start[i]..child_start[i + 1]]`, sorted by code.
    child_start: Vec<u32>,
    child_list: Vec<u32>,
    /// Nodes that do not exist in this epoch but have a holder.
    ghosts: Vec<u32>,
}

impl Epoch {
    fn heap_bytes(&self) -> usize {
        self.alive.capacity()
            + 4 * (self.parent.capacity()
                + self.holder.capacity()
                + self.pre.capacity()
                + self.size.capacity()
                + self.order.capacity()
                + self.child_start.capacity()
                + self.child_list.capacity()
                + self.ghosts.capacity())
    }

    /// Whether node `n`'s code is inside node `s`'s subtree.
    fn within(&self, n: u32, s: u32) -> bool {
        let (n, s) = (n as usize, s as usize);
        if !self.alive[s] {
            return false;
        }
        let h = self.holder[n];
        if h == NONE {
            return false;
        }
        let p = self.pre[h as usize];
        let start = self.pre[s];
        p >= start && p - start < self.size[s]
    }
}

/// The region tree of Chongqing: NBS 2023 nodes plus the dated changes since, in memory.
///
/// Built once ([`RegionTree::chongqing`]) and shared; every query takes the date it is about.
/// Lookups, ancestor tests and [`RegionTree::is_within`] cost a hash lookup and a few array reads.
#[derive(Debug, Clone)]
pub struct RegionTree {
    /// All nodes that ever exist in the data, sorted by code.
    nodes: Vec<RegionNode>,
    /// Code → index into `nodes`.
    index: CodeMap<u32>,
    /// Parent before any move (NONE for the root and for units established by a change).
    base_parent: Vec<u32>,
    /// Dated moves, sorted by node then date.
    moves: Vec<Move>,
    /// Nearest existing code whose digits are a shorter prefix of the node's (static).
    digit_parent: Vec<u32>,
    /// Number of nodes whose digit chain passes through the node, itself included (static).
    digit_size: Vec<u32>,
    /// First days of epochs 1.. (sorted change dates).
    epoch_starts: Vec<NaiveDate>,
    /// Epoch 0 is before the first change.
    epochs: Vec<Epoch>,
    /// The changes applied, in the order given.
    changes: Vec<DivisionChange>,
    /// MCA code → NBS node index.
    mca_to_nbs: CodeMap<u32>,
    /// NBS node index → MCA code.
    nbs_to_mca: CodeMap<McaCode>,
    /// Names of every MCA unit, for error messages.
    mca_names: CodeMap<String>,
    report: McaAliasReport,
}

static CHONGQING: LazyLock<RegionTree> = LazyLock::new(|| {
    match RegionTree::from_sources(NBS_CSV, MCA_CSV, &chongqing_changes()) {
        Ok(tree) => tree,
        // The compiled-in data is checked by the tests; a failure here is a build defect.
        Err(e) => panic!("内置区划数据有误：{e}"),
    }
});

/// One parsed row of a reference file.
struct Row<'a> {
    line: usize,
    level: &'a str,
    code: &'a str,
    name: &'a str,
    parent: &'a str,
}

fn rows<'a>(file: &'static str, text: &'a str) -> Result<Vec<Row<'a>>, RegionError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if i == 0 || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 4 {
            return Err(RegionError::Data {
                file,
                line: i + 1,
                reason: format!("应有 4 列，实有 {} 列", fields.len()),
            });
        }
        out.push(Row {
            line: i + 1,
            level: fields[0].trim(),
            code: fields[1].trim(),
            name: fields[2].trim(),
            parent: fields[3].trim(),
        });
    }
    Ok(out)
}

fn data_error(file: &'static str, line: usize, reason: impl Into<String>) -> RegionError {
    RegionError::Data {
        file,
        line,
        reason: reason.into(),
    }
}

fn change_error(date: NaiveDate, reason: impl Into<String>) -> RegionError {
    RegionError::Change {
        date,
        reason: reason.into(),
    }
}

/// A node before indexing.
struct Draft {
    node: RegionNode,
    parent: Option<RegionCode>,
    /// Line in the NBS file (0 for units set up by a change).
    line: usize,
}

impl RegionTree {
    /// The Chongqing tree from the compiled-in reference data and [`chongqing_changes`], built on
    /// first use and shared by every caller.
    pub fn chongqing() -> &'static RegionTree {
        &CHONGQING
    }

    /// Builds a tree from an NBS file and an MCA file (the `level,code,name,parent_code` CSV of
    /// `data/`) and a list of dated changes. For tests and for loading a newer edition or new
    /// changes; most callers want [`RegionTree::chongqing`].
    pub fn from_sources(
        nbs_csv: &str,
        mca_csv: &str,
        changes: &[DivisionChange],
    ) -> Result<RegionTree, RegionError> {
        const NBS: &str = "NBS";
        let nbs_rows = rows(NBS, nbs_csv)?;

        // 1. Nodes of the NBS file; the 4-digit placeholders are skipped and their children hang
        //    under the province.
        let mut placeholders: Vec<RegionCode> = Vec::new();
        let mut province: Option<RegionCode> = None;
        let mut drafts: Vec<Draft> = Vec::new();
        for row in &nbs_rows {
            let code = RegionCode::parse(row.code)
                .map_err(|e| data_error(NBS, row.line, e.to_string()))?;
            if row.level == "city" || code.level() == RegionLevel::Prefecture {
                placeholders.push(code);
                continue;
            }
            let kind = RegionKind::from_code(code).ok_or_else(|| {
                data_error(NBS, row.line, format!("代码 {code} 的层级或类别无法识别"))
            })?;
            let expected = match kind.level() {
                RegionLevel::Province => "province",
                RegionLevel::Prefecture => "city",
                RegionLevel::District => "county",
                RegionLevel::Subdistrict => "township",
                RegionLevel::Community => "village",
            };
            if row.level != expected {
                return Err(data_error(
                    NBS,
                    row.line,
                    format!("代码 {code} 应为 {expected} 层级，文件写作 {}", row.level),
                ));
            }
            let parent = if row.parent.is_empty() {
                None
            } else {
                let p = RegionCode::parse(row.parent)
                    .map_err(|e| data_error(NBS, row.line, e.to_string()))?;
                Some(p)
            };
            if kind == RegionKind::Province {
                province = Some(code);
            }
            drafts.push(Draft {
                node: RegionNode {
                    code,
                    system: CodeSystem::Nbs,
                    kind,
                    name: row.name.to_owned(),
                    valid_from: None,
                    valid_to: None,
                },
                parent,
                line: row.line,
            });
        }
        let Some(province) = province else {
            return Err(data_error(NBS, 1, "没有省级区划"));
        };
        for d in &mut drafts {
            if let Some(p) = d.parent
                && placeholders.contains(&p)
            {
                d.parent = Some(province);
            }
        }

        // 2. Units set up by a change are nodes too, from their first day.
        let mut sorted_changes: Vec<&DivisionChange> = changes.iter().collect();
        sorted_changes.sort_by_key(|c| c.date);
        for change in &sorted_changes {
            if change.kind != DivisionChangeKind::Establish {
                continue;
            }
            let (Some(name), [code]) = (&change.name, change.affected.as_slice()) else {
                return Err(change_error(change.date, "设立须给出一个代码和名称"));
            };
            let kind = RegionKind::from_code(*code)
                .ok_or_else(|| change_error(change.date, format!("代码 {code} 的层级无法识别")))?;
            drafts.push(Draft {
                node: RegionNode {
                    code: *code,
                    system: CodeSystem::Mca,
                    kind,
                    name: name.clone(),
                    valid_from: Some(change.date),
                    valid_to: None,
                },
                parent: None,
                line: 0,
            });
        }

        // 3. Arena sorted by code, and the index.
        drafts.sort_by_key(|d| d.node.code);
        let mut index: CodeMap<u32> = CodeMap::default();
        index.reserve(drafts.len());
        for (i, d) in drafts.iter().enumerate() {
            if index.insert(d.node.code.as_u64(), i as u32).is_some() {
                return Err(data_error(
                    NBS,
                    d.line,
                    format!("代码 {} 重复", d.node.code),
                ));
            }
        }
        let find = |code: RegionCode| index.get(&code.as_u64()).copied();
        let mut base_parent = Vec::with_capacity(drafts.len());
        for d in &drafts {
            match d.parent {
                None => base_parent.push(NONE),
                Some(p) => match find(p) {
                    Some(pi) => base_parent.push(pi),
                    None => {
                        return Err(data_error(
                            NBS,
                            d.line,
                            format!("{} 的上级 {p} 不存在", d.node.code),
                        ));
                    }
                },
            }
        }
        let mut nodes: Vec<RegionNode> = drafts.into_iter().map(|d| d.node).collect();

        // 4. The changes: dated moves, ends and successors.
        let mut moves: Vec<Move> = Vec::new();
        let mut successors: Vec<(u32, u32)> = Vec::new();
        for change in &sorted_changes {
            let date = change.date;
            let target = match change.to {
                Some(to) => Some(
                    find(to).ok_or_else(|| change_error(date, format!("目标区划 {to} 不存在")))?,
                ),
                None => None,
            };
            for code in &change.affected {
                let i =
                    find(*code).ok_or_else(|| change_error(date, format!("区划 {code} 不存在")))?;
                match change.kind {
                    DivisionChangeKind::Establish => {
                        let Some(t) = target else {
                            return Err(change_error(date, "设立须给出上级"));
                        };
                        moves.push(Move {
                            node: i,
                            date,
                            parent: t,
                        });
                    }
                    DivisionChangeKind::Transfer => {
                        let Some(t) = target else {
                            return Err(change_error(date, "隶属变更须给出新的上级"));
                        };
                        moves.push(Move {
                            node: i,
                            date,
                            parent: t,
                        });
                    }
                    DivisionChangeKind::Abolish => {
                        let node = &mut nodes[i as usize];
                        if node.valid_to.is_some() {
                            return Err(change_error(date, format!("区划 {code} 已撤销")));
                        }
                        node.valid_to = Some(date);
                        if let Some(t) = target {
                            successors.push((i, t));
                        }
                    }
                }
            }
        }
        moves.sort_by_key(|m| (m.node, m.date));

        // 5. The static digit hierarchy (what a LIKE prefix selects).
        let digit_parent: Vec<u32> = nodes
            .iter()
            .map(|n| {
                let s = n.code.to_string();
                let own = n.code.level().prefix_len();
                for len in [9usize, 6, 4, 2] {
                    if len >= own {
                        continue;
                    }
                    let padded = format!("{:0<12}", &s[..len]);
                    if let Ok(c) = padded.parse::<u64>()
                        && let Some(&pi) = index.get(&c)
                    {
                        return pi;
                    }
                }
                NONE
            })
            .collect();
        let mut digit_size = vec![1u32; nodes.len()];
        for i in 0..nodes.len() {
            let mut p = digit_parent[i];
            while p != NONE {
                digit_size[p as usize] += 1;
                p = digit_parent[p as usize];
            }
        }

        // 6. One epoch per interval between change dates.
        let mut epoch_starts: Vec<NaiveDate> = sorted_changes.iter().map(|c| c.date).collect();
        epoch_starts.dedup();
        let mut epochs = Vec::with_capacity(epoch_starts.len() + 1);
        for e in 0..=epoch_starts.len() {
            let date = if e == 0 {
                NaiveDate::MIN
            } else {
                epoch_starts[e - 1]
            };
            epochs.push(build_epoch(
                &nodes,
                &base_parent,
                &moves,
                &successors,
                date,
            )?);
        }

        let mut tree = RegionTree {
            nodes,
            index,
            base_parent,
            moves,
            digit_parent,
            digit_size,
            epoch_starts,
            epochs,
            changes: changes.to_vec(),
            mca_to_nbs: CodeMap::default(),
            nbs_to_mca: CodeMap::default(),
            mca_names: CodeMap::default(),
            report: McaAliasReport {
                as_of: NaiveDate::MIN,
                mca_counties: 0,
                counties_matched: 0,
                mca_townships: 0,
                townships_matched: 0,
                townships_same_code: 0,
                unmatched_mca: Vec::new(),
                unmatched_nbs: Vec::new(),
            },
        };
        tree.match_mca(mca_csv)?;
        Ok(tree)
    }

    /// Matches the MCA file's units to NBS nodes and fills the alias maps and the report.
    fn match_mca(&mut self, mca_csv: &str) -> Result<(), RegionError> {
        const MCA: &str = "MCA";
        let as_of = MCA_AS_OF;
        let e = self.epoch_index(as_of);
        let mut report = McaAliasReport {
            as_of,
            mca_counties: 0,
            counties_matched: 0,
            mca_townships: 0,
            townships_matched: 0,
            townships_same_code: 0,
            unmatched_mca: Vec::new(),
            unmatched_nbs: Vec::new(),
        };
        for row in rows(MCA, mca_csv)? {
            let code =
                McaCode::parse(row.code).map_err(|e| data_error(MCA, row.line, e.to_string()))?;
            let parent = if row.parent.is_empty() {
                None
            } else {
                Some(
                    McaCode::parse(row.parent)
                        .map_err(|e| data_error(MCA, row.line, e.to_string()))?,
                )
            };
            self.mca_names.insert(code.as_u64(), row.name.to_owned());
            let matched: Option<u32> = match row.level {
                "province" | "county" => {
                    if row.level == "county" {
                        report.mca_counties += 1;
                    }
                    // 6-digit codes are shared by both systems at these levels: same code, same name.
                    let nbs = code.as_u64() * 1_000_000;
                    self.index
                        .get(&nbs)
                        .copied()
                        .filter(|&i| self.nodes[i as usize].name == row.name)
                }
                "township" => {
                    report.mca_townships += 1;
                    let county = parent.and_then(|p| self.mca_to_nbs.get(&p.as_u64()).copied());
                    county.and_then(|c| {
                        let ep = &self.epochs[e];
                        let (a, b) = (
                            ep.child_start[c as usize] as usize,
                            ep.child_start[c as usize + 1] as usize,
                        );
                        ep.child_list[a..b]
                            .iter()
                            .copied()
                            .find(|&k| self.nodes[k as usize].name == row.name)
                    })
                }
                other => {
                    return Err(data_error(MCA, row.line, format!("未知层级 {other}")));
                }
            };
            match matched {
                Some(i) => {
                    if row.level == "county" {
                        report.counties_matched += 1;
                    }
                    if row.level == "township" {
                        report.townships_matched += 1;
                        if self.nodes[i as usize].code.as_u64() == code.as_u64() * 1000 {
                            report.townships_same_code += 1;
                        }
                    }
                    self.mca_to_nbs.insert(code.as_u64(), i);
                    self.nbs_to_mca.insert(u64::from(i), code);
                }
                None => {
                    let county = parent.unwrap_or(code);
                    report
                        .unmatched_mca
                        .push((code, row.name.to_owned(), county));
                }
            }
        }
        let ep = &self.epochs[e];
        for (i, node) in self.nodes.iter().enumerate() {
            if node.level() == RegionLevel::Subdistrict
                && ep.alive[i]
                && !self.nbs_to_mca.contains_key(&(i as u64))
            {
                let county = self.nodes[ep.parent[i] as usize].code;
                report
                    .unmatched_nbs
                    .push((node.code, node.name.clone(), county));
            }
        }
        self.report = report;
        Ok(())
    }

    fn epoch_index(&self, date: NaiveDate) -> usize {
        self.epoch_starts.partition_point(|start| *start <= date)
    }

    fn idx(&self, code: RegionCode) -> Option<u32> {
        self.index.get(&code.as_u64()).copied()
    }

    /// Index of a unit that must exist on `date`, or the error that says why not.
    fn idx_on(&self, code: RegionCode, date: NaiveDate) -> Result<(usize, usize), RegionError> {
        let i = self.idx(code).ok_or(RegionError::NotFound(code))?;
        let e = self.epoch_index(date);
        if self.epochs[e].alive[i as usize] {
            return Ok((i as usize, e));
        }
        let node = &self.nodes[i as usize];
        let detail = match (node.valid_from, node.valid_to) {
            (Some(from), _) if date < from => format!("{from} 设立"),
            (_, Some(to)) => format!("已于 {to} 撤销"),
            _ => "不在该日期的区划中".to_owned(),
        };
        Err(RegionError::NotInForce {
            code,
            name: node.name.clone(),
            date,
            detail,
        })
    }

    /// The unit with this code, whatever its dates (records keep codes of abolished units).
    pub fn lookup(&self, code: RegionCode) -> Result<&RegionNode, RegionError> {
        self.idx(code)
            .map(|i| &self.nodes[i as usize])
            .ok_or(RegionError::NotFound(code))
    }

    /// Whether the unit exists on `date` (false for unknown codes).
    pub fn exists_on(&self, code: RegionCode, date: NaiveDate) -> bool {
        self.idx(code)
            .is_some_and(|i| self.epochs[self.epoch_index(date)].alive[i as usize])
    }

    /// The parent on `date` (`None` for the province). Errors if the unit does not exist then.
    pub fn parent(
        &self,
        code: RegionCode,
        date: NaiveDate,
    ) -> Result<Option<&RegionNode>, RegionError> {
        let (i, e) = self.idx_on(code, date)?;
        let p = self.epochs[e].parent[i];
        Ok((p != NONE).then(|| &self.nodes[p as usize]))
    }

    /// The ancestors on `date`, nearest first (parent, grandparent, …, the province).
    pub fn ancestors(
        &self,
        code: RegionCode,
        date: NaiveDate,
    ) -> Result<Vec<&RegionNode>, RegionError> {
        let (i, e) = self.idx_on(code, date)?;
        let parents = &self.epochs[e].parent;
        let mut out = Vec::with_capacity(4);
        let mut p = parents[i];
        while p != NONE {
            out.push(&self.nodes[p as usize]);
            p = parents[p as usize];
        }
        Ok(out)
    }

    /// The children on `date`, sorted by code.
    pub fn children(
        &self,
        code: RegionCode,
        date: NaiveDate,
    ) -> Result<Vec<&RegionNode>, RegionError> {
        let (i, e) = self.idx_on(code, date)?;
        let ep = &self.epochs[e];
        let (a, b) = (ep.child_start[i] as usize, ep.child_start[i + 1] as usize);
        Ok(ep.child_list[a..b]
            .iter()
            .map(|&k| &self.nodes[k as usize])
            .collect())
    }

    /// The child of `parent` named `name` on `date`: names are unique only within a parent.
    pub fn child_by_name(
        &self,
        parent: RegionCode,
        name: &str,
        date: NaiveDate,
    ) -> Result<Option<&RegionNode>, RegionError> {
        Ok(self
            .children(parent, date)?
            .into_iter()
            .find(|n| n.name == name))
    }

    /// How many units lie below this one on `date` (itself not counted).
    pub fn descendant_count(
        &self,
        code: RegionCode,
        date: NaiveDate,
    ) -> Result<usize, RegionError> {
        let (i, e) = self.idx_on(code, date)?;
        Ok(self.epochs[e].size[i] as usize - 1)
    }

    /// Whether a record carrying `code` is inside `scope` on `date`: the access check.
    ///
    /// A code of a unit that does not exist on `date` counts as part of the unit that answers for
    /// it ([`RegionTree::current_unit`]): an abolished district's code belongs to its successor,
    /// a unit set up later belongs to its future parent. A scope whose own unit does not exist on
    /// `date`, and a code unknown to the tree, contain and are contained in nothing.
    pub fn is_within(&self, code: RegionCode, scope: RegionScope, date: NaiveDate) -> bool {
        let (Some(n), Some(s)) = (self.idx(code), self.idx(scope.code())) else {
            return false;
        };
        self.epochs[self.epoch_index(date)].within(n, s)
    }

    /// The unit that answers on `date` for records carrying `code`: the unit itself while it
    /// exists, the successor named by its abolition after (两江新区 for 江北区 after 2025-11-06),
    /// and the parent it will be set up under before it exists.
    pub fn current_unit(
        &self,
        code: RegionCode,
        date: NaiveDate,
    ) -> Result<&RegionNode, RegionError> {
        let i = self.idx(code).ok_or(RegionError::NotFound(code))?;
        let h = self.epochs[self.epoch_index(date)].holder[i as usize];
        if h == NONE {
            return self.idx_on(code, date).map(|(i, _)| &self.nodes[i]);
        }
        Ok(&self.nodes[h as usize])
    }

    /// The minimal set of code prefixes whose union is exactly the scope on `date`, for SQL:
    /// `region_code LIKE p || '%'` over these prefixes selects the same codes of the tree as
    /// [`RegionTree::is_within`] (codes unknown to the tree are not covered by that promise).
    ///
    /// Before 2025-11-06 a district scope is its own 6-digit prefix; after, 两江新区 is
    /// `500105` (all of the former 江北区), `500112000000` and the township prefixes of the former
    /// 渝北区 without its five towns, the five 北碚 prefixes and `500157`. Sorted; empty when the
    /// scope's unit does not exist on `date` or is unknown.
    pub fn scope_prefixes(&self, scope: RegionScope, date: NaiveDate) -> Vec<String> {
        let Some(s) = self.idx(scope.code()) else {
            return Vec::new();
        };
        let ep = &self.epochs[self.epoch_index(date)];
        let s = s as usize;
        if !ep.alive[s] {
            return Vec::new();
        }
        // The codes inside the scope: the subtree in pre-order, plus codes it answers for.
        let start = ep.pre[s] as usize;
        let mut inside: Vec<u32> = ep.order[start..start + ep.size[s] as usize].to_vec();
        for &g in &ep.ghosts {
            if ep.within(g, s as u32) {
                inside.push(g);
            }
        }
        // How many codes of each digit subtree are inside: a prefix can be used whole when all are.
        let mut count = vec![0u32; self.nodes.len()];
        for &c in &inside {
            let mut v = c;
            while v != NONE {
                count[v as usize] += 1;
                v = self.digit_parent[v as usize];
            }
        }
        let full = |v: u32| v != NONE && count[v as usize] == self.digit_size[v as usize];
        let mut out: Vec<String> = Vec::new();
        for &c in &inside {
            let code = self.nodes[c as usize].code;
            if full(c) {
                if !full(self.digit_parent[c as usize]) {
                    out.push(code.prefix());
                }
            } else {
                out.push(code.to_string());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// `重庆市/两江新区/水土街道`: the names from the province down on `date`.
    pub fn name_path(&self, code: RegionCode, date: NaiveDate) -> Result<String, RegionError> {
        let ancestors = self.ancestors(code, date)?;
        let node = self.lookup(code)?;
        let mut parts: Vec<&str> = ancestors.iter().rev().map(|n| n.name.as_str()).collect();
        parts.push(&node.name);
        Ok(parts.join("/"))
    }

    /// The unit's parents over time, oldest first.
    pub fn parent_links(&self, code: RegionCode) -> Result<Vec<ParentLink>, RegionError> {
        let i = self.idx(code).ok_or(RegionError::NotFound(code))?;
        let node = &self.nodes[i as usize];
        let mut links: Vec<ParentLink> = Vec::new();
        let base = self.base_parent[i as usize];
        if base != NONE {
            links.push(ParentLink {
                parent: self.nodes[base as usize].code,
                valid_from: node.valid_from,
                valid_to: node.valid_to,
            });
        }
        let a = self.moves.partition_point(|m| m.node < i);
        let b = self.moves.partition_point(|m| m.node <= i);
        for m in &self.moves[a..b] {
            if let Some(last) = links.last_mut() {
                last.valid_to = Some(m.date);
            }
            links.push(ParentLink {
                parent: self.nodes[m.parent as usize].code,
                valid_from: Some(m.date),
                valid_to: node.valid_to,
            });
        }
        Ok(links)
    }

    /// How many units of `kind` exist on `date`.
    pub fn count(&self, kind: RegionKind, date: NaiveDate) -> usize {
        let ep = &self.epochs[self.epoch_index(date)];
        self.nodes
            .iter()
            .zip(&ep.alive)
            .filter(|(n, alive)| **alive && n.kind == kind)
            .count()
    }

    /// How many units of `level` exist on `date`.
    pub fn count_level(&self, level: RegionLevel, date: NaiveDate) -> usize {
        let ep = &self.epochs[self.epoch_index(date)];
        self.nodes
            .iter()
            .zip(&ep.alive)
            .filter(|(n, alive)| **alive && n.level() == level)
            .count()
    }

    /// Every node that exists at any date, sorted by code.
    pub fn nodes(&self) -> &[RegionNode] {
        &self.nodes
    }

    /// The changes applied to the tree.
    pub fn changes(&self) -> &[DivisionChange] {
        &self.changes
    }

    /// The MCA code of an NBS unit (province, county or township), when one matched.
    pub fn mca_alias(&self, nbs: RegionCode) -> Option<McaCode> {
        let i = self.idx(nbs)?;
        self.nbs_to_mca.get(&u64::from(i)).copied()
    }

    /// The NBS code of the unit an MCA code names, matched by (county after the change, name).
    pub fn from_mca(&self, mca: McaCode) -> Result<RegionCode, RegionError> {
        if let Some(&i) = self.mca_to_nbs.get(&mca.as_u64()) {
            return Ok(self.nodes[i as usize].code);
        }
        match self.mca_names.get(&mca.as_u64()) {
            Some(name) => Err(RegionError::McaUnmatched {
                code: mca,
                name: name.clone(),
            }),
            None => Err(RegionError::McaNotFound(mca)),
        }
    }

    /// How the MCA units matched: counts and the units left unmatched on either side.
    pub fn mca_report(&self) -> &McaAliasReport {
        &self.report
    }

    /// Approximate heap bytes held by the tree (vector capacities, name strings, hash tables),
    /// for the benchmark report.
    pub fn heap_bytes(&self) -> usize {
        fn map_bytes<V>(capacity: usize) -> usize {
            // hashbrown: buckets ≈ capacity × 8/7, each a key, a value and a control byte.
            capacity * 8 / 7 * (8 + std::mem::size_of::<V>() + 1)
        }
        let names: usize = self.nodes.iter().map(|n| n.name.capacity()).sum();
        let mca_names: usize = self.mca_names.values().map(String::capacity).sum();
        let changes: usize = self
            .changes
            .iter()
            .map(|c| {
                std::mem::size_of::<DivisionChange>()
                    + c.affected.capacity() * 8
                    + c.note.capacity()
                    + c.name.as_ref().map_or(0, String::capacity)
            })
            .sum();
        self.nodes.capacity() * std::mem::size_of::<RegionNode>()
            + names
            + map_bytes::<u32>(self.index.capacity())
            + 4 * (self.base_parent.capacity()
                + self.digit_parent.capacity()
                + self.digit_size.capacity())
            + self.moves.capacity() * std::mem::size_of::<Move>()
            + self.epoch_starts.capacity() * std::mem::size_of::<NaiveDate>()
            + self.epochs.iter().map(Epoch::heap_bytes).sum::<usize>()
            + changes
            + map_bytes::<u32>(self.mca_to_nbs.capacity())
            + map_bytes::<McaCode>(self.nbs_to_mca.capacity())
            + map_bytes::<String>(self.mca_names.capacity())
            + mca_names
            + (self.report.unmatched_mca.capacity() + self.report.unmatched_nbs.capacity()) * 48
    }
}

/// The parent of node `i` on `date` from its base link and dated moves.
fn parent_on(
    i: usize,
    date: NaiveDate,
    base_parent: &[u32],
    moves: &[Move],
    strictly_before: bool,
) -> u32 {
    let mut p = base_parent[i];
    let a = moves.partition_point(|m| (m.node as usize) < i);
    for m in &moves[a..] {
        if m.node as usize != i {
            break;
        }
        let in_force = if strictly_before {
            m.date < date
        } else {
            m.date <= date
        };
        if in_force {
            p = m.parent;
        }
    }
    p
}

fn build_epoch(
    nodes: &[RegionNode],
    base_parent: &[u32],
    moves: &[Move],
    successors: &[(u32, u32)],
    date: NaiveDate,
) -> Result<Epoch, RegionError> {
    let n = nodes.len();
    let alive: Vec<bool> = nodes.iter().map(|node| node.exists_on(date)).collect();
    let mut parent = vec![NONE; n];
    let mut roots: Vec<u32> = Vec::new();
    for i in 0..n {
        if !alive[i] {
            continue;
        }
        let p = parent_on(i, date, base_parent, moves, false);
        if p == NONE {
            if nodes[i].kind != RegionKind::Province {
                return Err(change_error(date, format!("{} 没有上级", nodes[i].code)));
            }
            roots.push(i as u32);
            continue;
        }
        let pn = &nodes[p as usize];
        if !alive[p as usize] {
            return Err(change_error(
                date,
                format!(
                    "{}（{}）的上级 {}（{}）在该日不存在",
                    nodes[i].code, nodes[i].name, pn.code, pn.name
                ),
            ));
        }
        if pn.level().depth() + 1 != nodes[i].level().depth() {
            return Err(change_error(
                date,
                format!("{} 不能隶属于 {}：层级不符", nodes[i].code, pn.code),
            ));
        }
        parent[i] = p;
    }

    // Children, sorted by code because the arena is.
    let mut child_start = vec![0u32; n + 1];
    for &p in &parent {
        if p != NONE {
            child_start[p as usize + 1] += 1;
        }
    }
    for i in 0..n {
        child_start[i + 1] += child_start[i];
    }
    let mut fill = child_start.clone();
    let mut child_list = vec![0u32; child_start[n] as usize];
    for (i, &p) in parent.iter().enumerate() {
        if p != NONE {
            child_list[fill[p as usize] as usize] = i as u32;
            fill[p as usize] += 1;
        }
    }

    // Pre-order numbering and subtree sizes.
    let mut pre = vec![NONE; n];
    let mut order: Vec<u32> = Vec::with_capacity(n);
    let mut stack: Vec<u32> = roots.iter().rev().copied().collect();
    while let Some(v) = stack.pop() {
        pre[v as usize] = order.len() as u32;
        order.push(v);
        let (a, b) = (
            child_start[v as usize] as usize,
            child_start[v as usize + 1] as usize,
        );
        stack.extend(child_list[a..b].iter().rev());
    }
    let mut size = vec![0u32; n];
    for &v in order.iter().rev() {
        size[v as usize] += 1;
        let p = parent[v as usize];
        if p != NONE {
            size[p as usize] += size[v as usize];
        }
    }

    // Who answers for codes of units that do not exist in this epoch.
    let mut holder = vec![NONE; n];
    let mut ghosts = Vec::new();
    for i in 0..n {
        if alive[i] {
            holder[i] = i as u32;
            continue;
        }
        let mut cur = i;
        let mut found = NONE;
        for _ in 0..n {
            if alive[cur] {
                found = cur as u32;
                break;
            }
            let node = &nodes[cur];
            let next = match (node.valid_from, node.valid_to) {
                (Some(from), _) if date < from => parent_on(cur, from, base_parent, moves, false),
                (_, Some(to)) => successors
                    .iter()
                    .find(|(k, _)| *k as usize == cur)
                    .map(|(_, s)| *s)
                    .unwrap_or_else(|| parent_on(cur, to, base_parent, moves, true)),
                _ => NONE,
            };
            if next == NONE {
                break;
            }
            cur = next as usize;
        }
        holder[i] = found;
        if found != NONE {
            ghosts.push(i as u32);
        }
    }

    Ok(Epoch {
        alive,
        parent,
        holder,
        pre,
        size,
        order,
        child_start,
        child_list,
        ghosts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
    }

    /// Every scope against every code on both sides of the change, as exact sets over the whole
    /// arena: the codes `scope_prefixes` selects (ranges over the sorted codes) must be the codes
    /// inside the scope (its subtree on that date plus the codes it answers for).
    #[test]
    fn scope_prefixes_select_exactly_the_scope_for_every_node() {
        let tree = RegionTree::chongqing();
        let codes: Vec<u64> = tree.nodes.iter().map(|n| n.code.as_u64()).collect();
        let n = codes.len();
        for date in [day(2025, 1, 1), day(2026, 2, 1)] {
            let ep = &tree.epochs[tree.epoch_index(date)];
            let mut checked = 0usize;
            for (s, scope_node) in tree.nodes.iter().enumerate() {
                let Ok(scope) = RegionScope::from_code(scope_node.code) else {
                    continue;
                };
                let mut by_prefix = vec![false; n];
                for p in tree.scope_prefixes(scope, date) {
                    let width = 10u64.pow(12 - p.len() as u32);
                    let v: u64 = p.parse().unwrap_or(0);
                    let a = codes.partition_point(|&c| c < v * width);
                    let b = codes.partition_point(|&c| c < (v + 1) * width);
                    for m in &mut by_prefix[a..b] {
                        *m = true;
                    }
                }
                let mut inside = vec![false; n];
                if ep.alive[s] {
                    let start = ep.pre[s] as usize;
                    for &c in &ep.order[start..start + ep.size[s] as usize] {
                        inside[c as usize] = true;
                    }
                    for &g in &ep.ghosts {
                        let h = ep.holder[g as usize] as usize;
                        let ph = ep.pre[h];
                        if ph >= ep.pre[s] && ph - ep.pre[s] < ep.size[s] {
                            inside[g as usize] = true;
                        }
                    }
                }
                assert!(
                    by_prefix == inside,
                    "scope {} on {date}: prefixes and subtree differ",
                    scope_node.code
                );
                checked += 1;
            }
            assert_eq!(checked, n);
        }
    }
}
