//! 工作日日历: statutory holidays, make-up working days (调休上班) and the working-day arithmetic
//! that every time limit in minzheng uses (RULES.md §15).
//!
//! The days come from the State Council General Office's yearly notices, never from a rule:
//! [`Calendar::builtin`] holds every date 2004-01-01..2026-12-31 (`data/cn-calendar.csv`), and an
//! administrator adds a new year by loading its notice ([`Calendar::parse_year_notice`], then
//! [`Calendar::with_year`]).
//!
//! Counting rules, decided here once for every caller:
//! - a working day is a Monday–Friday that is not a holiday, or a make-up working day;
//! - [`Calendar::add_workdays`] returns the n-th working day **after** the start (the start itself
//!   is not counted: 行政许可法 art. 82); `n = 0` rolls the start forward to a working day;
//! - [`Calendar::workdays_between`] counts the working days in `(from, to]`;
//! - [`Calendar::civil_code_deadline`] counts calendar days from the next day (民法典 art. 201) and
//!   moves a last day that is not a working day (a holiday or a weekend rest day, i.e. a 法定休假日)
//!   to the first working day after it (art. 203). A make-up working day is a working day and does
//!   not move.
//!
//! Outside the loaded years (after the last one, and also before 2004) the only rule known is
//! "Monday–Friday work, Saturday and Sunday rest". Results that depend on such a day are computed
//! with that rule and marked `provisional`, so that a screen can say "以国务院办公厅通知为准" and
//! recompute once the notice is loaded. Nothing panics for any date `NaiveDate` can hold; a result
//! that would fall outside that range is [`CalendarError::OutOfRange`].
//!
//! Speed: the days are one array from 1 January of the first loaded year, with a prefix count of
//! working days and the list of working days in order. Both queries are two array reads plus
//! arithmetic, whatever the distance (no day-by-day loop).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The published calendar compiled in (see `data/README.md`).
const BUILTIN_CSV: &str = include_str!("../../../data/cn-calendar.csv");

/// The header line `data/cn-calendar.csv` and [`Calendar::from_csv`] use.
pub const CALENDAR_CSV_HEADER: &str =
    "date,weekday,is_holiday,is_workday,is_in_lieu,kind,holiday_name,holiday_name_zh";

/// The header line of a year notice (see [`Calendar::parse_year_notice`]).
pub const YEAR_NOTICE_HEADER: &str = "date,kind,name_zh";

/// Longest holiday name accepted in a notice, in characters (the longest published one, the 2015
/// 抗战胜利 70 周年纪念日, has 26).
const MAX_NAME_CHARS: usize = 40;

static BUILTIN: LazyLock<Calendar> = LazyLock::new(|| match Calendar::from_csv(BUILTIN_CSV) {
    Ok(calendar) => calendar,
    // The file is compiled in and the tests load it, so a build that passed its tests cannot get here.
    Err(e) => panic!("内置节假日日历数据有误：{e}"),
});

/// What the calendar can go wrong on: a data file or notice that does not parse, a year that does
/// not fit, a date beyond what can be represented. Messages are for the administrator who loads data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The first line is not the expected header.
    #[error("第 {line} 行：表头应为“{expected}”")]
    BadHeader {
        /// 1-based line number in the text.
        line: usize,
        /// The header that was expected.
        expected: &'static str,
    },
    /// A line does not parse or contradicts itself; `reason` says how.
    #[error("第 {line} 行：{reason}")]
    BadLine {
        /// 1-based line number in the text.
        line: usize,
        /// What is wrong, in Chinese.
        reason: String,
    },
    /// The text has a header but no dates.
    #[error("没有任何日期行")]
    Empty,
    /// A calendar file must hold whole years so that "which years are loaded" has one answer.
    #[error("日历数据须按整年提供（从 1 月 1 日到 12 月 31 日），实为 {first} 至 {last}")]
    NotWholeYears {
        /// First date in the file.
        first: NaiveDate,
        /// Last date in the file.
        last: NaiveDate,
    },
    /// A notice lists a date outside its year (other than December of the year before).
    #[error(
        "第 {line} 行：{date} 不属于 {year} 年；一份放假通知只能包含本年日期，以及上一年 12 月的元旦假期或调休日期"
    )]
    DateOutsideYear {
        /// 1-based line number in the text.
        line: usize,
        /// The offending date.
        date: NaiveDate,
        /// The notice's year.
        year: i32,
    },
    /// The same date is listed twice in a notice.
    #[error("第 {line} 行：日期 {date} 重复")]
    DuplicateDate {
        /// 1-based line number of the second occurrence.
        line: usize,
        /// The repeated date.
        date: NaiveDate,
    },
    /// 调休上班 only ever moves work onto a Saturday or Sunday.
    #[error("第 {line} 行：调休上班日 {date} 是{weekday}，调休上班日只能是周六或周日")]
    MakeupNotWeekend {
        /// 1-based line number in the text.
        line: usize,
        /// The offending date.
        date: NaiveDate,
        /// Its weekday in Chinese.
        weekday: &'static str,
    },
    /// A notice without any holiday in its own year is not a holiday notice.
    #[error("{year} 年放假通知没有列出本年的任何放假日期")]
    NoHolidays {
        /// The notice's year.
        year: i32,
    },
    /// Years are kept contiguous: a notice may replace a loaded year or add the year just before
    /// or just after them.
    #[error(
        "不能载入 {year} 年：日历已有 {first_year}–{last_year} 年，只能替换其中一年或增加 {before} 年、{after} 年"
    )]
    YearNotAdjacent {
        /// The notice's year.
        year: i32,
        /// First loaded year.
        first_year: i32,
        /// Last loaded year.
        last_year: i32,
        /// The year that may be added before.
        before: i32,
        /// The year that may be added after.
        after: i32,
    },
    /// A notice changes December of the year before, which is not loaded.
    #[error("{year} 年放假通知包含 {previous} 年 12 月的日期，但日历未载入 {previous} 年")]
    PreviousYearNotLoaded {
        /// The notice's year.
        year: i32,
        /// The year before it.
        previous: i32,
    },
    /// The result would be outside the dates `NaiveDate` can represent.
    #[error("日期超出可计算范围")]
    OutOfRange,
}

/// What kind of day a date is. The serde names are the `kind` column of `cn-calendar.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// Monday–Friday, not a holiday.
    Workday,
    /// Saturday or Sunday, not a make-up working day.
    Weekend,
    /// A rest day of a holiday period fixed by the notice (may fall on a weekend).
    Holiday,
    /// 调休上班: a Saturday or Sunday worked in exchange for a holiday.
    MakeupWorkday,
}

impl DayKind {
    /// Whether offices are open: the only question deadlines ask.
    pub fn is_workday(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeupWorkday)
    }

    /// The label a screen shows.
    pub fn label_zh(self) -> &'static str {
        match self {
            DayKind::Workday => "工作日",
            DayKind::Weekend => "周末休息日",
            DayKind::Holiday => "法定节假日",
            DayKind::MakeupWorkday => "调休上班日",
        }
    }

    /// The word used in the `kind` column of the data files.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Workday => "workday",
            DayKind::Weekend => "weekend",
            DayKind::Holiday => "holiday",
            DayKind::MakeupWorkday => "makeup_workday",
        }
    }

    fn parse(word: &str) -> Option<DayKind> {
        match word {
            "workday" => Some(DayKind::Workday),
            "weekend" => Some(DayKind::Weekend),
            "holiday" => Some(DayKind::Holiday),
            "makeup_workday" => Some(DayKind::MakeupWorkday),
            _ => None,
        }
    }
}

/// One date as the calendar sees it, for a date picker or a "why is this the deadline" explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayInfo<'a> {
    /// The date asked about.
    pub date: NaiveDate,
    /// Its kind.
    pub kind: DayKind,
    /// The holiday a holiday or make-up day belongs to, e.g. `春节`; `None` for ordinary days.
    pub holiday_name_zh: Option<&'a str>,
    /// True when the date is outside the loaded years and `kind` comes from the weekends-only rule.
    pub provisional: bool,
}

/// A date computed by the calendar, with whether a not-yet-published year was involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CalendarDay {
    /// The computed date.
    pub date: NaiveDate,
    /// True when at least one day the result depends on lies outside the loaded years, so the
    /// weekends-only rule was used and the date may change once that year's notice is loaded.
    pub provisional: bool,
}

/// A count of working days, with whether a not-yet-published year was involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkdayCount {
    /// Working days in `(from, to]`; negative when `to` is before `from`.
    pub workdays: i64,
    /// True when a counted day lies outside the loaded years (weekends-only rule used).
    pub provisional: bool,
}

/// The two kinds of line in a year notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A rest day of a holiday period (放假).
    Holiday,
    /// A Saturday or Sunday that is worked (调休上班).
    MakeupWorkday,
}

impl NoticeKind {
    fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Holiday => "holiday",
            NoticeKind::MakeupWorkday => "makeup_workday",
        }
    }

    fn day_kind(self) -> DayKind {
        match self {
            NoticeKind::Holiday => DayKind::Holiday,
            NoticeKind::MakeupWorkday => DayKind::MakeupWorkday,
        }
    }
}

/// One line of a year notice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NoticeEntry {
    /// The date.
    pub date: NaiveDate,
    /// Rest or make-up work.
    pub kind: NoticeKind,
    /// The holiday it belongs to (`春节`); may be empty for a make-up day.
    pub name_zh: String,
}

/// One year's 放假通知, validated, ready for [`Calendar::with_year`].
///
/// Only [`Calendar::parse_year_notice`] (which checks it: one year, no duplicates, make-up days
/// on weekends, at least one holiday) and [`Calendar::year_notice`] (which exports what is loaded)
/// make one, so entries are always sorted, unique and of their year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearNotice {
    year: i32,
    entries: Vec<NoticeEntry>,
}

impl YearNotice {
    /// The year the notice is for.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The listed dates in date order (December dates of the year before come first).
    pub fn entries(&self) -> &[NoticeEntry] {
        &self.entries
    }

    /// The notice in the text format [`Calendar::parse_year_notice`] reads, to show or store it.
    pub fn to_text(&self) -> String {
        let mut out = format!("# {} 年放假通知\n{YEAR_NOTICE_HEADER}\n", self.year);
        for entry in &self.entries {
            out.push_str(&format!(
                "{},{},{}\n",
                entry.date.format("%Y-%m-%d"),
                entry.kind.as_str(),
                entry.name_zh
            ));
        }
        out
    }
}

/// One stored day: its kind and an index into `Calendar::names` (0 = no name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Day {
    kind: DayKind,
    name: u32,
}

/// The working-day calendar: the loaded years, day by day, plus the index that makes counting fast.
///
/// Cheap to share (`&Calendar` or `Arc<Calendar>`); loading a year gives a new value, so readers
/// never see a half-loaded year.
#[derive(Clone)]
pub struct Calendar {
    first_year: i32,
    last_year: i32,
    /// `num_days_from_ce` of 1 January of `first_year`.
    first_dn: i64,
    days: Vec<Day>,
    /// Holiday names; index 0 is the empty name.
    names: Vec<String>,
    /// `prefix[i]` = working days among `days[..i]`; one longer than `days`.
    prefix: Vec<u32>,
    /// Offsets (into `days`) of the working days, in order.
    workday_offsets: Vec<u32>,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("first_year", &self.first_year)
            .field("last_year", &self.last_year)
            .field("days", &self.days.len())
            .field("workdays", &self.workday_offsets.len())
            .finish()
    }
}

impl Calendar {
    /// The published calendar 2004–2026 compiled into the binary (parsed once, then shared).
    pub fn builtin() -> &'static Calendar {
        &BUILTIN
    }

    /// Reads a calendar in the format of `data/cn-calendar.csv`: the header
    /// [`CALENDAR_CSV_HEADER`], then one line per date, consecutive, whole years. Every column is
    /// checked against the others (weekday against the date, flags against `kind`), and the first
    /// problem is reported with its line number.
    pub fn from_csv(text: &str) -> Result<Calendar, CalendarError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
        match lines.next() {
            Some((_, header)) if header.trim() == CALENDAR_CSV_HEADER => {}
            _ => {
                return Err(CalendarError::BadHeader {
                    line: 1,
                    expected: CALENDAR_CSV_HEADER,
                });
            }
        }
        let mut names = vec![String::new()];
        let mut days = Vec::new();
        let mut first: Option<NaiveDate> = None;
        let mut previous: Option<NaiveDate> = None;
        for (line, text) in lines {
            if text.trim().is_empty() {
                continue;
            }
            let bad = |reason: String| CalendarError::BadLine { line, reason };
            let fields: Vec<&str> = text.split(',').map(str::trim).collect();
            if fields.len() != 8 {
                return Err(bad(format!("应有 8 列，实有 {} 列", fields.len())));
            }
            let date = parse_iso_date(fields[0])
                .ok_or_else(|| bad(format!("日期“{}”无效，应为 YYYY-MM-DD", fields[0])))?;
            if let Some(prev) = previous {
                let expected = prev.succ_opt().ok_or(CalendarError::OutOfRange)?;
                if date != expected {
                    return Err(bad(format!(
                        "日期不连续：上一行是 {prev}，本行应为 {expected}，实为 {date}"
                    )));
                }
            }
            let weekday = date.weekday();
            if fields[1] != weekday.number_from_monday().to_string() {
                return Err(bad(format!(
                    "星期列为“{}”，但 {date} 是{}（应为 {}）",
                    fields[1],
                    weekday_zh(weekday),
                    weekday.number_from_monday()
                )));
            }
            let is_holiday = parse_flag(fields[2]).ok_or_else(|| bad(flag_reason("is_holiday")))?;
            let is_workday = parse_flag(fields[3]).ok_or_else(|| bad(flag_reason("is_workday")))?;
            parse_flag(fields[4]).ok_or_else(|| bad(flag_reason("is_in_lieu")))?;
            let kind = DayKind::parse(fields[5]).ok_or_else(|| {
                bad(format!(
                    "kind“{}”无效，应为 workday、weekend、holiday 或 makeup_workday",
                    fields[5]
                ))
            })?;
            if is_workday != kind.is_workday() || is_holiday == kind.is_workday() {
                return Err(bad(format!(
                    "kind 为 {}，但 is_holiday={} 且 is_workday={}",
                    kind.as_str(),
                    fields[2],
                    fields[3]
                )));
            }
            let on_weekend = is_weekend(weekday);
            let kind_fits_weekday = match kind {
                DayKind::Workday => !on_weekend,
                DayKind::Weekend | DayKind::MakeupWorkday => on_weekend,
                DayKind::Holiday => true,
            };
            if !kind_fits_weekday {
                return Err(bad(format!(
                    "{date} 是{}，不能是“{}”",
                    weekday_zh(weekday),
                    kind.label_zh()
                )));
            }
            let name_zh = fields[7];
            if kind == DayKind::Holiday && name_zh.is_empty() {
                return Err(bad(
                    "法定节假日须写明节日名称（holiday_name_zh）".to_string()
                ));
            }
            let name = if matches!(kind, DayKind::Holiday | DayKind::MakeupWorkday) {
                intern(&mut names, name_zh)
            } else {
                0
            };
            days.push(Day { kind, name });
            first.get_or_insert(date);
            previous = Some(date);
        }
        let (Some(first), Some(last)) = (first, previous) else {
            return Err(CalendarError::Empty);
        };
        if (first.month(), first.day()) != (1, 1) || (last.month(), last.day()) != (12, 31) {
            return Err(CalendarError::NotWholeYears { first, last });
        }
        Ok(Calendar::build(first.year(), days, names))
    }

    /// Reads one year's 放假通知 as typed by an administrator from the State Council notice.
    ///
    /// Format (UTF-8 text; blank lines and lines starting with `#` are ignored):
    ///
    /// ```text
    /// # 2027 年放假通知（国办发明电〔2026〕X号）
    /// date,kind,name_zh
    /// 2027-01-01,holiday,元旦
    /// 2027-02-06,makeup_workday,春节
    /// 2027-02-07,holiday,春节
    /// ```
    ///
    /// - `kind` is `holiday` (a rest day of a holiday period, weekend days inside the period may be
    ///   listed too) or `makeup_workday` (调休上班, must be a Saturday or Sunday);
    /// - `name_zh` is the holiday's name; required for `holiday`, optional for `makeup_workday`;
    /// - every date of the year not listed is a working day Monday–Friday and a rest day on
    ///   Saturday and Sunday;
    /// - dates belong to one year, the notice's year (the latest year listed), except that dates in
    ///   December of the year before are allowed, because a notice can start the 元旦 break or put a
    ///   make-up day there (the 2019, 2023 and 2024 notices did);
    /// - no date twice, at least one holiday in the notice's year.
    pub fn parse_year_notice(text: &str) -> Result<YearNotice, CalendarError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut seen_header = false;
        let mut rows: Vec<(usize, NoticeEntry)> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if !seen_header {
                if trimmed != YEAR_NOTICE_HEADER {
                    return Err(CalendarError::BadHeader {
                        line,
                        expected: YEAR_NOTICE_HEADER,
                    });
                }
                seen_header = true;
                continue;
            }
            let bad = |reason: String| CalendarError::BadLine { line, reason };
            let fields: Vec<&str> = trimmed.split(',').map(str::trim).collect();
            if fields.len() != 3 {
                return Err(bad(format!(
                    "应有 3 列（date,kind,name_zh），实有 {} 列；节日名称中不能有逗号",
                    fields.len()
                )));
            }
            let date = parse_iso_date(fields[0])
                .ok_or_else(|| bad(format!("日期“{}”无效，应为 YYYY-MM-DD", fields[0])))?;
            let kind = match fields[1] {
                "holiday" => NoticeKind::Holiday,
                "makeup_workday" => NoticeKind::MakeupWorkday,
                other => {
                    return Err(bad(format!(
                        "kind“{other}”无效，应为 holiday（放假）或 makeup_workday（调休上班）"
                    )));
                }
            };
            let name_zh = fields[2];
            if kind == NoticeKind::Holiday && name_zh.is_empty() {
                return Err(bad("放假日期须写明节日名称".to_string()));
            }
            if name_zh.chars().count() > MAX_NAME_CHARS {
                return Err(bad(format!("节日名称超过 {MAX_NAME_CHARS} 个字")));
            }
            if name_zh.chars().any(|c| c.is_control() || c == '"') {
                return Err(bad("节日名称中有控制字符或引号".to_string()));
            }
            let weekday = date.weekday();
            if kind == NoticeKind::MakeupWorkday && !is_weekend(weekday) {
                return Err(CalendarError::MakeupNotWeekend {
                    line,
                    date,
                    weekday: weekday_zh(weekday),
                });
            }
            rows.push((
                line,
                NoticeEntry {
                    date,
                    kind,
                    name_zh: name_zh.to_string(),
                },
            ));
        }
        if !seen_header {
            return Err(CalendarError::BadHeader {
                line: 1,
                expected: YEAR_NOTICE_HEADER,
            });
        }
        let Some(year) = rows.iter().map(|(_, entry)| entry.date.year()).max() else {
            return Err(CalendarError::Empty);
        };
        let mut by_date: BTreeMap<NaiveDate, NoticeEntry> = BTreeMap::new();
        for (line, entry) in rows {
            let date = entry.date;
            let in_year = date.year() == year;
            let previous_december = date.year() == year - 1 && date.month() == 12;
            if !in_year && !previous_december {
                return Err(CalendarError::DateOutsideYear { line, date, year });
            }
            if by_date.insert(date, entry).is_some() {
                return Err(CalendarError::DuplicateDate { line, date });
            }
        }
        let has_holiday = by_date
            .values()
            .any(|entry| entry.kind == NoticeKind::Holiday && entry.date.year() == year);
        if !has_holiday {
            return Err(CalendarError::NoHolidays { year });
        }
        Ok(YearNotice {
            year,
            entries: by_date.into_values().collect(),
        })
    }

    /// A new calendar with `notice` loaded: it replaces a loaded year, or adds the year just after
    /// the last (the usual case, each autumn) or just before the first. Years stay contiguous so
    /// that "loaded" means one range.
    ///
    /// The notice decides every day of its year; its December dates of the year before overwrite
    /// just those days. Replacing a year resets its December too, so if the next year's notice
    /// changed late December, load that notice again afterwards.
    pub fn with_year(&self, notice: &YearNotice) -> Result<Calendar, CalendarError> {
        let year = notice.year;
        if year < self.first_year - 1 || year > self.last_year + 1 {
            return Err(CalendarError::YearNotAdjacent {
                year,
                first_year: self.first_year,
                last_year: self.last_year,
                before: self.first_year - 1,
                after: self.last_year + 1,
            });
        }
        let has_previous_december = notice.entries.iter().any(|e| e.date.year() < year);
        if has_previous_december && year - 1 < self.first_year {
            return Err(CalendarError::PreviousYearNotLoaded {
                year,
                previous: year - 1,
            });
        }
        let mut names = self.names.clone();
        let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).ok_or(CalendarError::OutOfRange)?;
        let dec31 = NaiveDate::from_ymd_opt(year, 12, 31).ok_or(CalendarError::OutOfRange)?;
        let mut year_days: Vec<Day> = jan1
            .iter_days()
            .take_while(|d| *d <= dec31)
            .map(|d| Day {
                kind: weekday_rule(d.weekday()),
                name: 0,
            })
            .collect();
        for entry in notice.entries.iter().filter(|e| e.date.year() == year) {
            let offset = (day_number(entry.date) - day_number(jan1)) as usize;
            year_days[offset] = Day {
                kind: entry.kind.day_kind(),
                name: intern(&mut names, &entry.name_zh),
            };
        }
        let (first_year, mut days) = if year == self.last_year + 1 {
            let mut days = self.days.clone();
            days.extend(year_days);
            (self.first_year, days)
        } else if year == self.first_year - 1 {
            let mut days = year_days;
            days.extend_from_slice(&self.days);
            (year, days)
        } else {
            let start = (day_number(jan1) - self.first_dn) as usize;
            let mut days = self.days.clone();
            days.splice(start..start + year_days.len(), year_days);
            (self.first_year, days)
        };
        let first_dn =
            day_number(NaiveDate::from_ymd_opt(first_year, 1, 1).ok_or(CalendarError::OutOfRange)?);
        for entry in notice.entries.iter().filter(|e| e.date.year() < year) {
            let offset = (day_number(entry.date) - first_dn) as usize;
            days[offset] = Day {
                kind: entry.kind.day_kind(),
                name: intern(&mut names, &entry.name_zh),
            };
        }
        Ok(Calendar::build(first_year, days, names))
    }

    /// A loaded year as a notice (its holidays and make-up days), to show an administrator what is
    /// in force or to start the next year's notice from. `None` if the year is not loaded.
    pub fn year_notice(&self, year: i32) -> Option<YearNotice> {
        if year < self.first_year || year > self.last_year {
            return None;
        }
        let jan1 = NaiveDate::from_ymd_opt(year, 1, 1)?;
        let entries: Vec<NoticeEntry> = jan1
            .iter_days()
            .take_while(|d| d.year() == year)
            .filter_map(|date| {
                let day = self.days[(day_number(date) - self.first_dn) as usize];
                let kind = match day.kind {
                    DayKind::Holiday => NoticeKind::Holiday,
                    DayKind::MakeupWorkday => NoticeKind::MakeupWorkday,
                    DayKind::Workday | DayKind::Weekend => return None,
                };
                Some(NoticeEntry {
                    date,
                    kind,
                    name_zh: self.names[day.name as usize].clone(),
                })
            })
            .collect();
        Some(YearNotice { year, entries })
    }

    /// First year loaded from a notice (2004 for the built-in calendar).
    pub fn first_year(&self) -> i32 {
        self.first_year
    }

    /// Last year loaded from a notice: results past its 31 December are provisional.
    pub fn last_year(&self) -> i32 {
        self.last_year
    }

    /// Whether offices are open on `date` (weekends-only rule outside the loaded years).
    pub fn is_workday(&self, date: NaiveDate) -> bool {
        self.kind_at(day_number(date)).is_workday()
    }

    /// The kind of `date` with its holiday name, and whether it comes from a loaded notice.
    pub fn day_kind(&self, date: NaiveDate) -> DayInfo<'_> {
        let dn = day_number(date);
        match self.offset(dn) {
            Some(offset) => {
                let day = self.days[offset];
                DayInfo {
                    date,
                    kind: day.kind,
                    holiday_name_zh: (day.name != 0)
                        .then(|| self.names[day.name as usize].as_str()),
                    provisional: false,
                }
            }
            None => DayInfo {
                date,
                kind: weekday_rule(date.weekday()),
                holiday_name_zh: None,
                provisional: true,
            },
        }
    }

    /// The `n`-th working day after `date` (`date` itself is not counted), for limits written in
    /// 工作日. `n = 0` gives `date` if it is a working day, else the next working day.
    ///
    /// `provisional` is true if any day from the day after `date` (from `date` itself when `n = 0`)
    /// up to the result lies outside the loaded years.
    pub fn add_workdays(&self, date: NaiveDate, n: u32) -> Result<CalendarDay, CalendarError> {
        let x = day_number(date);
        let (target, span_start) = if n == 0 {
            (self.workdays_before(x), x)
        } else {
            (self.workdays_before(x + 1) + i64::from(n) - 1, x + 1)
        };
        let result = self.nth_workday(target);
        Ok(CalendarDay {
            date: from_day_number(result).ok_or(CalendarError::OutOfRange)?,
            provisional: !self.covers(span_start, result),
        })
    }

    /// The number of working days in `(from, to]`: `from` is not counted, `to` is. So
    /// `workdays_between(d, add_workdays(d, n).date) == n` for n ≥ 1. When `to` is before `from`
    /// the count is the negative of `workdays_between(to, from)`.
    pub fn workdays_between(&self, from: NaiveDate, to: NaiveDate) -> WorkdayCount {
        let a = day_number(from);
        let b = day_number(to);
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        WorkdayCount {
            workdays: self.workdays_before(b + 1) - self.workdays_before(a + 1),
            provisional: low != high && !self.covers(low + 1, high),
        }
    }

    /// The last day of a period of `n_days` days counted per the civil code (民法典 art. 201, 203):
    /// start + `n_days` calendar days, moved to the next working day if that day is a holiday or a
    /// weekend rest day (法定休假日). A make-up working day is a working day and ends the period.
    /// Used for limits written in 日 (calendar days), e.g. the 30-day dibao procedure.
    ///
    /// `provisional` is true if the nominal last day or any day it was moved over lies outside the
    /// loaded years.
    pub fn civil_code_deadline(
        &self,
        start: NaiveDate,
        n_days: u32,
    ) -> Result<CalendarDay, CalendarError> {
        let last = day_number(start) + i64::from(n_days);
        let result = self.nth_workday(self.workdays_before(last));
        Ok(CalendarDay {
            date: from_day_number(result).ok_or(CalendarError::OutOfRange)?,
            provisional: !self.covers(last, result),
        })
    }

    /// Builds the index over `days`, which start on 1 January of `first_year` and end on 31 December.
    fn build(first_year: i32, days: Vec<Day>, names: Vec<String>) -> Calendar {
        let first_dn = NaiveDate::from_ymd_opt(first_year, 1, 1).map_or(0, day_number);
        let mut prefix = Vec::with_capacity(days.len() + 1);
        let mut workday_offsets = Vec::new();
        let mut count = 0u32;
        prefix.push(0);
        for (offset, day) in days.iter().enumerate() {
            if day.kind.is_workday() {
                workday_offsets.push(offset as u32);
                count += 1;
            }
            prefix.push(count);
        }
        let last_dn = first_dn + days.len() as i64 - 1;
        let last_year = from_day_number(last_dn).map_or(first_year, |d| d.year());
        Calendar {
            first_year,
            last_year,
            first_dn,
            days,
            names,
            prefix,
            workday_offsets,
        }
    }

    /// Day number just after the last loaded day.
    fn end_dn(&self) -> i64 {
        self.first_dn + self.days.len() as i64
    }

    fn offset(&self, dn: i64) -> Option<usize> {
        (dn >= self.first_dn && dn < self.end_dn()).then(|| (dn - self.first_dn) as usize)
    }

    /// Whether every day in `[from, to]` is loaded (true for an empty range).
    fn covers(&self, from: i64, to: i64) -> bool {
        from > to || (from >= self.first_dn && to < self.end_dn())
    }

    fn kind_at(&self, dn: i64) -> DayKind {
        match self.offset(dn) {
            Some(offset) => self.days[offset].kind,
            None => weekday_rule(weekday_of(dn)),
        }
    }

    /// Working days in `[first_dn, x)`, or minus the working days in `[x, first_dn)` when `x` is
    /// before the loaded range; outside the range the weekends-only rule counts.
    fn workdays_before(&self, x: i64) -> i64 {
        let end = self.end_dn();
        if x <= self.first_dn {
            weekdays_before(x) - weekdays_before(self.first_dn)
        } else if x >= end {
            self.workday_offsets.len() as i64 + weekdays_before(x) - weekdays_before(end)
        } else {
            i64::from(self.prefix[(x - self.first_dn) as usize])
        }
    }

    /// The day number of the working day `d` with `workdays_before(d) == t`.
    fn nth_workday(&self, t: i64) -> i64 {
        let total = self.workday_offsets.len() as i64;
        if t < 0 {
            weekday_with_index(weekdays_before(self.first_dn) + t)
        } else if t < total {
            self.first_dn + i64::from(self.workday_offsets[t as usize])
        } else {
            weekday_with_index(weekdays_before(self.end_dn()) + t - total)
        }
    }
}

/// `num_days_from_ce` as i64, so that day arithmetic cannot overflow.
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

fn from_day_number(dn: i64) -> Option<NaiveDate> {
    i32::try_from(dn)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// Weekday of a day number: day 1 (0001-01-01, proleptic Gregorian) was a Monday.
fn weekday_of(dn: i64) -> Weekday {
    match (dn - 1).rem_euclid(7) {
        0 => Weekday::Mon,
        1 => Weekday::Tue,
        2 => Weekday::Wed,
        3 => Weekday::Thu,
        4 => Weekday::Fri,
        5 => Weekday::Sat,
        _ => Weekday::Sun,
    }
}

/// Monday–Friday days in `[1, x)` (negative for x < 1), by whole weeks plus the remainder.
fn weekdays_before(x: i64) -> i64 {
    let k = x - 1;
    k.div_euclid(7) * 5 + k.rem_euclid(7).min(5)
}

/// The Monday–Friday day `d` with `weekdays_before(d) == m`.
fn weekday_with_index(m: i64) -> i64 {
    1 + m.div_euclid(5) * 7 + m.rem_euclid(5)
}

fn is_weekend(weekday: Weekday) -> bool {
    matches!(weekday, Weekday::Sat | Weekday::Sun)
}

/// The rule for a day no notice mentions.
fn weekday_rule(weekday: Weekday) -> DayKind {
    if is_weekend(weekday) {
        DayKind::Weekend
    } else {
        DayKind::Workday
    }
}

fn weekday_zh(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

/// Strict `YYYY-MM-DD` (four-digit year), the only date form the data files use.
fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

fn parse_flag(text: &str) -> Option<bool> {
    match text {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

fn flag_reason(column: &str) -> String {
    format!("{column} 列应为 0 或 1")
}

/// Index of `name` in `names`, adding it if new; the empty name is index 0.
fn intern(names: &mut Vec<String>, name: &str) -> u32 {
    if name.is_empty() {
        return 0;
    }
    match names.iter().position(|n| n == name) {
        Some(index) => index as u32,
        None => {
            names.push(name.to_string());
            (names.len() - 1) as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_agree_with_chrono() {
        let start = NaiveDate::from_ymd_opt(1999, 12, 20).unwrap_or_default();
        for date in start.iter_days().take(800) {
            let dn = day_number(date);
            assert_eq!(weekday_of(dn), date.weekday());
            assert_eq!(from_day_number(dn), Some(date));
            let count = weekdays_before(dn + 1) - weekdays_before(dn);
            assert_eq!(count == 1, !is_weekend(date.weekday()));
            if !is_weekend(date.weekday()) {
                assert_eq!(weekday_with_index(weekdays_before(dn)), dn);
            }
        }
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            parse_iso_date("2020-02-29"),
            NaiveDate::from_ymd_opt(2020, 2, 29)
        );
        for bad in [
            "2019-02-29",
            "2020-2-29",
            "+020-02-29",
            "2020/02/29",
            "20200229",
            "",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }
}
