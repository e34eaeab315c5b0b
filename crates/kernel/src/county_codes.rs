//! The historical table of county-level division codes (GB/T 2260, six digits), 1980–2024, plus
//! Chongqing's change of 2025-11-06.
//!
//! An ID number keeps the county code of the place where it was first issued, so codes that were
//! abolished long ago still appear on valid numbers. This table lets a screen say "500101 万县区
//! (1997), 万州区 (1998–2024)" instead of "unknown"; it never decides whether a number is valid.
//!
//! The data is `data/cn-county-codes-by-year-1980-2024.csv` (columns
//! `code,name,first_year,last_year,years_present`, one row per name a code carried; see
//! `data/README.md` for its provenance), compiled in and parsed once on first use.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};

const COUNTY_CSV: &str = include_str!("../../../data/cn-county-codes-by-year-1980-2024.csv");

/// The last year the compiled table covers for the whole country. A name whose `last_year` is
/// this year was still in force when the table was made; for 2025 only Chongqing's change is known.
pub const TABLE_LAST_FULL_YEAR: u16 = 2024;

/// The day Chongqing abolished 江北区 (500105) and 渝北区 (500112) and created 两江新区 (500157).
pub fn chongqing_2025_change_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 6).unwrap_or(NaiveDate::MIN)
}

/// A run of consecutive years, both ends included, during which a code carried one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct YearRange {
    /// First year of the run.
    pub first: u16,
    /// Last year of the run (included).
    pub last: u16,
}

impl YearRange {
    /// Whether `year` falls inside the run.
    pub fn contains(&self, year: u16) -> bool {
        self.first <= year && year <= self.last
    }
}

/// One name a code carried and the years it was published under that name. A code can carry
/// several names over time (500101 was 万县区 in 1997, then 万州区).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountyName {
    /// The name, e.g. `渝中区`.
    pub name: &'static str,
    /// First year the code appeared with this name.
    pub first_year: u16,
    /// Last year the code appeared with this name.
    pub last_year: u16,
    /// The years it was actually published, which can have gaps (`1980-1981;1983-2024`).
    pub years_present: Vec<YearRange>,
}

impl CountyName {
    /// Whether the code was published under this name in `year`.
    pub fn in_force_in_year(&self, year: u16) -> bool {
        self.years_present.iter().any(|range| range.contains(year))
    }
}

/// Everything the table knows about one six-digit county-level code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountyEntry {
    /// The six-digit code.
    pub code: &'static str,
    /// The names the code carried, oldest first (never empty).
    pub names: Vec<CountyName>,
    /// Exact day the code was created, where known (only for the 2025 change).
    pub created_on: Option<NaiveDate>,
    /// Exact day the code was abolished, where known (only for the 2025 change).
    pub abolished_on: Option<NaiveDate>,
}

impl CountyEntry {
    /// First year the code appears in the table under any name.
    pub fn first_year(&self) -> u16 {
        self.names.iter().map(|n| n.first_year).min().unwrap_or(0)
    }

    /// Last year the code appears in the table under any name.
    pub fn last_year(&self) -> u16 {
        self.names.iter().map(|n| n.last_year).max().unwrap_or(0)
    }

    /// The most recent name, the one a screen should show next to the code.
    pub fn latest_name(&self) -> &'static str {
        self.names
            .iter()
            .max_by_key(|n| n.last_year)
            .map(|n| n.name)
            .unwrap_or("")
    }

    /// The name the code carried in `year`, if it was in force that year.
    pub fn name_in_year(&self, year: u16) -> Option<&'static str> {
        self.names
            .iter()
            .find(|n| n.in_force_in_year(year))
            .map(|n| n.name)
    }

    /// Whether the code was in force (under any name) in `year`.
    pub fn in_force_in_year(&self, year: u16) -> bool {
        self.name_in_year(year).is_some()
    }

    /// Whether the code was in force on `date`: the year must be covered, and the exact creation or
    /// abolition day is respected where it is known. After the table's last year, a code that was
    /// current at its end is taken as still in force (the table cannot know later changes).
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        if self.created_on.is_some_and(|created| date < created) {
            return false;
        }
        if self.abolished_on.is_some_and(|abolished| date >= abolished) {
            return false;
        }
        let Ok(year) = u16::try_from(date.year()) else {
            return false;
        };
        if year > TABLE_LAST_FULL_YEAR && self.is_current() {
            // Past the end of the table, a code that was current at its end is taken as still in force.
            return true;
        }
        self.in_force_in_year(year)
    }

    /// Whether the code was still in force at the end of what the table knows.
    pub fn is_current(&self) -> bool {
        self.abolished_on.is_none() && self.last_year() >= TABLE_LAST_FULL_YEAR
    }
}

/// Why a line of the compiled table could not be read (only a broken data file can cause this).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("县级区划代码表第 {line} 行格式错误：{reason}")]
struct TableError {
    /// One-based line number in the CSV file (0 when the error is not about one line).
    line: usize,
    /// What was wrong with it.
    reason: String,
}

/// The parsed table: entries sorted by code, and the codes as numbers in the same order, so that
/// a lookup binary-searches 25 KB of integers instead of the entries themselves.
struct Table {
    keys: Vec<u32>,
    entries: Vec<CountyEntry>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| match parse_table(COUNTY_CSV) {
    Ok(entries) => Table {
        keys: entries
            .iter()
            .map(|entry| numeric_code(entry.code).unwrap_or(u32::MAX))
            .collect(),
        entries,
    },
    // The file is compiled in and a test reads all of it, so this cannot happen in a build that passed its tests.
    Err(error) => panic!("{error}"),
});

/// Six ASCII digits as a number; `None` for anything else.
fn numeric_code(code: &str) -> Option<u32> {
    if code.len() != 6 {
        return None;
    }
    code.bytes().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Looks up a six-digit county-level code. `None` means the code is not in the table, which does
/// not make an ID number invalid.
pub fn lookup(code: &str) -> Option<&'static CountyEntry> {
    let key = numeric_code(code)?;
    let table: &'static Table = &TABLE;
    let index = table.keys.binary_search(&key).ok()?;
    table.entries.get(index)
}

/// Every entry of the table, sorted by code: for listings and checks over the whole table.
pub fn entries() -> &'static [CountyEntry] {
    &TABLE.entries
}

/// The name of the province-level unit a code starts with (`50` → `重庆市`), or `None` when the
/// first two digits are not a province of GB/T 2260 nor one of the codes used for residence permits
/// of Hong Kong, Macao and Taiwan residents (81, 82, 83).
pub fn province_name(code: &str) -> Option<&'static str> {
    let name = match code.get(..2)? {
        "11" => "北京市",
        "12" => "天津市",
        "13" => "河北省",
        "14" => "山西省",
        "15" => "内蒙古自治区",
        "21" => "辽宁省",
        "22" => "吉林省",
        "23" => "黑龙江省",
        "31" => "上海市",
        "32" => "江苏省",
        "33" => "浙江省",
        "34" => "安徽省",
        "35" => "福建省",
        "36" => "江西省",
        "37" => "山东省",
        "41" => "河南省",
        "42" => "湖北省",
        "43" => "湖南省",
        "44" => "广东省",
        "45" => "广西壮族自治区",
        "46" => "海南省",
        "50" => "重庆市",
        "51" => "四川省",
        "52" => "贵州省",
        "53" => "云南省",
        "54" => "西藏自治区",
        "61" => "陕西省",
        "62" => "甘肃省",
        "63" => "青海省",
        "64" => "宁夏回族自治区",
        "65" => "新疆维吾尔自治区",
        "71" => "台湾省",
        "81" => "香港特别行政区",
        "82" => "澳门特别行政区",
        "83" => "台湾地区（居住证）",
        _ => return None,
    };
    Some(name)
}

/// Whether the first two digits of `code` are a real province-level prefix (see [`province_name`]).
pub fn is_province_prefix(code: &str) -> bool {
    province_name(code).is_some()
}

/// Reads the CSV text into entries sorted by code, then applies the 2025 Chongqing change.
fn parse_table(text: &'static str) -> Result<Vec<CountyEntry>, TableError> {
    let mut entries: Vec<CountyEntry> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        if index == 0 || line.trim().is_empty() {
            continue;
        }
        let (code, name) = parse_line(line).map_err(|reason| TableError {
            line: line_number,
            reason,
        })?;
        match entries.last_mut() {
            Some(last) if last.code == code => last.names.push(name),
            _ => entries.push(CountyEntry {
                code,
                names: vec![name],
                created_on: None,
                abolished_on: None,
            }),
        }
    }
    entries.sort_by(|a, b| a.code.cmp(b.code));
    for pair in entries.windows(2) {
        if pair[0].code == pair[1].code {
            return Err(TableError {
                line: 0,
                reason: format!("代码 {} 的行不连续", pair[0].code),
            });
        }
    }
    for entry in &mut entries {
        entry.names.sort_by_key(|n| n.first_year);
    }
    apply_chongqing_2025(&mut entries);
    Ok(entries)
}

fn parse_line(line: &'static str) -> Result<(&'static str, CountyName), String> {
    let fields: Vec<&'static str> = line.split(',').collect();
    let [code, name, first, last, present] = fields.as_slice() else {
        return Err(format!("应有 5 列，实有 {} 列", fields.len()));
    };
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("代码 {code} 不是 6 位数字"));
    }
    let first_year = parse_year(first)?;
    let last_year = parse_year(last)?;
    let mut years_present = Vec::new();
    for part in present.split(';') {
        let range = match part.split_once('-') {
            Some((a, b)) => YearRange {
                first: parse_year(a)?,
                last: parse_year(b)?,
            },
            None => {
                let year = parse_year(part)?;
                YearRange {
                    first: year,
                    last: year,
                }
            }
        };
        years_present.push(range);
    }
    let name = CountyName {
        name,
        first_year,
        last_year,
        years_present,
    };
    Ok((code, name))
}

fn parse_year(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(year) if (1900..=2100).contains(&year) => Ok(year),
        _ => Err(format!("年份 {text} 无效")),
    }
}

/// 2025-11-06: 江北区 (500105) and 渝北区 (500112) abolished, 两江新区 (500157) created.
fn apply_chongqing_2025(entries: &mut Vec<CountyEntry>) {
    let change = chongqing_2025_change_date();
    for entry in entries.iter_mut() {
        if entry.code == "500105" || entry.code == "500112" {
            if let Some(name) = entry.names.last_mut() {
                name.last_year = 2025;
                if let Some(range) = name.years_present.last_mut() {
                    range.last = 2025;
                }
            }
            entry.abolished_on = Some(change);
        }
    }
    if lookup_in(entries, "500157").is_none() {
        entries.push(CountyEntry {
            code: "500157",
            names: vec![CountyName {
                name: "两江新区",
                first_year: 2025,
                last_year: 2025,
                years_present: vec![YearRange {
                    first: 2025,
                    last: 2025,
                }],
            }],
            created_on: Some(change),
            abolished_on: None,
        });
        entries.sort_by(|a, b| a.code.cmp(b.code));
    }
}

fn lookup_in<'a>(entries: &'a [CountyEntry], code: &str) -> Option<&'a CountyEntry> {
    entries.iter().find(|entry| entry.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_table_parses() {
        let table = parse_table(COUNTY_CSV).expect("the compiled table parses");
        // 6,196 codes in the file plus 两江新区.
        assert_eq!(table.len(), 6_197);
        let names: usize = table.iter().map(|e| e.names.len()).sum();
        assert_eq!(names, 7_038);
        assert!(table.windows(2).all(|w| w[0].code < w[1].code));
    }

    #[test]
    fn a_broken_line_is_reported_with_its_number() {
        let error =
            parse_table("code,name,first_year,last_year,years_present\n500103,渝中区,1997\n");
        assert_eq!(
            error,
            Err(TableError {
                line: 2,
                reason: "应有 5 列，实有 3 列".to_string()
            })
        );
    }
}
