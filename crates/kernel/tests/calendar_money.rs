//! The working-day calendar against the published notices (RULES.md §15), and money in fen.

use chrono::{Datelike, NaiveDate, Weekday};
use minzheng_kernel::calendar::{
    CALENDAR_CSV_HEADER, Calendar, CalendarDay, CalendarError, DayKind, NoticeKind, WorkdayCount,
};
use minzheng_kernel::money::{Fen, MoneyError, percent_string};
use proptest::prelude::*;

fn d(text: &str) -> NaiveDate {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => date,
        Err(e) => panic!("bad test date {text}: {e}"),
    }
}

fn cal() -> &'static Calendar {
    Calendar::builtin()
}

fn firm(date: &str) -> CalendarDay {
    CalendarDay {
        date: d(date),
        provisional: false,
    }
}

fn provisional(date: &str) -> CalendarDay {
    CalendarDay {
        date: d(date),
        provisional: true,
    }
}

fn add(calendar: &Calendar, date: &str, n: u32) -> CalendarDay {
    match calendar.add_workdays(d(date), n) {
        Ok(day) => day,
        Err(e) => panic!("add_workdays({date}, {n}): {e}"),
    }
}

fn civil(calendar: &Calendar, date: &str, n: u32) -> CalendarDay {
    match calendar.civil_code_deadline(d(date), n) {
        Ok(day) => day,
        Err(e) => panic!("civil_code_deadline({date}, {n}): {e}"),
    }
}

/// A holiday period as published: name, first and last rest day, make-up working days.
struct Period {
    name: &'static str,
    first: &'static str,
    last: &'static str,
    makeup: &'static [&'static str],
}

const fn p(
    name: &'static str,
    first: &'static str,
    last: &'static str,
    makeup: &'static [&'static str],
) -> Period {
    Period {
        name,
        first,
        last,
        makeup,
    }
}

/// Every holiday period 2019–2026: 2019–2021 as listed in RULES.md §15.1, 2022–2026 from the
/// State Council notices (国办发明电) as carried by `data/cn-calendar.csv`.
const PERIODS: &[Period] = &[
    // 2019
    p("元旦", "2018-12-30", "2019-01-01", &["2018-12-29"]),
    p(
        "春节",
        "2019-02-04",
        "2019-02-10",
        &["2019-02-02", "2019-02-03"],
    ),
    p("清明", "2019-04-05", "2019-04-07", &[]),
    p(
        "劳动节",
        "2019-05-01",
        "2019-05-04",
        &["2019-04-28", "2019-05-05"],
    ),
    p("端午", "2019-06-07", "2019-06-09", &[]),
    p("中秋", "2019-09-13", "2019-09-15", &[]),
    p(
        "国庆节",
        "2019-10-01",
        "2019-10-07",
        &["2019-09-29", "2019-10-12"],
    ),
    // 2020 (Spring Festival extended to 02-02 by the COVID notice; the 02-01 make-up day cancelled)
    p("元旦", "2020-01-01", "2020-01-01", &[]),
    p("春节", "2020-01-24", "2020-02-02", &["2020-01-19"]),
    p("清明", "2020-04-04", "2020-04-06", &[]),
    p(
        "劳动节",
        "2020-05-01",
        "2020-05-05",
        &["2020-04-26", "2020-05-09"],
    ),
    p("端午", "2020-06-25", "2020-06-27", &["2020-06-28"]),
    p(
        "国庆节",
        "2020-10-01",
        "2020-10-08",
        &["2020-09-27", "2020-10-10"],
    ),
    // 2021
    p("元旦", "2021-01-01", "2021-01-03", &[]),
    p(
        "春节",
        "2021-02-11",
        "2021-02-17",
        &["2021-02-07", "2021-02-20"],
    ),
    p("清明", "2021-04-03", "2021-04-05", &[]),
    p(
        "劳动节",
        "2021-05-01",
        "2021-05-05",
        &["2021-04-25", "2021-05-08"],
    ),
    p("端午", "2021-06-12", "2021-06-14", &[]),
    p("中秋", "2021-09-19", "2021-09-21", &["2021-09-18"]),
    p(
        "国庆节",
        "2021-10-01",
        "2021-10-07",
        &["2021-09-26", "2021-10-09"],
    ),
    // 2022
    p("元旦", "2022-01-01", "2022-01-03", &[]),
    p(
        "春节",
        "2022-01-31",
        "2022-02-06",
        &["2022-01-29", "2022-01-30"],
    ),
    p("清明", "2022-04-03", "2022-04-05", &["2022-04-02"]),
    p(
        "劳动节",
        "2022-04-30",
        "2022-05-04",
        &["2022-04-24", "2022-05-07"],
    ),
    p("端午", "2022-06-03", "2022-06-05", &[]),
    p("中秋", "2022-09-10", "2022-09-12", &[]),
    p(
        "国庆节",
        "2022-10-01",
        "2022-10-07",
        &["2022-10-08", "2022-10-09"],
    ),
    // 2023 (元旦 starts in 2022)
    p("元旦", "2022-12-31", "2023-01-02", &[]),
    p(
        "春节",
        "2023-01-21",
        "2023-01-27",
        &["2023-01-28", "2023-01-29"],
    ),
    p("清明", "2023-04-05", "2023-04-05", &[]),
    p(
        "劳动节",
        "2023-04-29",
        "2023-05-03",
        &["2023-04-23", "2023-05-06"],
    ),
    p("端午", "2023-06-22", "2023-06-24", &["2023-06-25"]),
    p(
        "中秋",
        "2023-09-29",
        "2023-10-06",
        &["2023-10-07", "2023-10-08"],
    ),
    // 2024 (元旦 starts in 2023; 端午 06-10 joined to the weekend)
    p("元旦", "2023-12-30", "2024-01-01", &[]),
    p(
        "春节",
        "2024-02-10",
        "2024-02-17",
        &["2024-02-04", "2024-02-18"],
    ),
    p("清明", "2024-04-04", "2024-04-06", &["2024-04-07"]),
    p(
        "劳动节",
        "2024-05-01",
        "2024-05-05",
        &["2024-04-28", "2024-05-11"],
    ),
    p("端午", "2024-06-08", "2024-06-10", &[]),
    p("中秋", "2024-09-15", "2024-09-17", &["2024-09-14"]),
    p(
        "国庆节",
        "2024-10-01",
        "2024-10-07",
        &["2024-09-29", "2024-10-12"],
    ),
    // 2025 (13 statutory days: 除夕 and May 2 added)
    p("元旦", "2025-01-01", "2025-01-01", &[]),
    p(
        "春节",
        "2025-01-28",
        "2025-02-04",
        &["2025-01-26", "2025-02-08"],
    ),
    p("清明", "2025-04-04", "2025-04-06", &[]),
    p("劳动节", "2025-05-01", "2025-05-05", &["2025-04-27"]),
    p("端午", "2025-05-31", "2025-06-02", &[]),
    p(
        "国庆节",
        "2025-10-01",
        "2025-10-08",
        &["2025-09-28", "2025-10-11"],
    ),
    // 2026
    p("元旦", "2026-01-01", "2026-01-03", &["2026-01-04"]),
    p(
        "春节",
        "2026-02-15",
        "2026-02-23",
        &["2026-02-14", "2026-02-28"],
    ),
    p("清明", "2026-04-04", "2026-04-06", &[]),
    p("劳动节", "2026-05-01", "2026-05-05", &["2026-05-09"]),
    p("端午", "2026-06-19", "2026-06-21", &[]),
    p("中秋", "2026-09-25", "2026-09-27", &[]),
    p(
        "国庆节",
        "2026-10-01",
        "2026-10-07",
        &["2026-09-20", "2026-10-10"],
    ),
];

#[test]
fn every_holiday_period_2019_to_2026_is_exact() {
    let calendar = cal();
    for period in PERIODS {
        let first = d(period.first);
        let last = d(period.last);
        let context = format!("{} {}–{}", period.name, period.first, period.last);
        let before = first.pred_opt().unwrap_or(first);
        let after = last.succ_opt().unwrap_or(last);
        assert!(calendar.is_workday(before), "day before {context}");
        assert!(calendar.is_workday(after), "day after {context}");
        let mut named = false;
        for date in first.iter_days().take_while(|x| *x <= last) {
            let info = calendar.day_kind(date);
            assert!(!info.provisional, "{date}");
            assert!(!calendar.is_workday(date), "{date} in {context}");
            assert!(
                matches!(info.kind, DayKind::Holiday | DayKind::Weekend),
                "{date} in {context}: {:?}",
                info.kind
            );
            named |= info.kind == DayKind::Holiday && info.holiday_name_zh == Some(period.name);
        }
        assert!(named, "no day of {context} is named {}", period.name);
        for makeup in period.makeup {
            let info = calendar.day_kind(d(makeup));
            assert_eq!(info.kind, DayKind::MakeupWorkday, "{makeup} ({context})");
            assert!(calendar.is_workday(d(makeup)));
            assert!(matches!(d(makeup).weekday(), Weekday::Sat | Weekday::Sun));
        }
    }
}

#[test]
fn covid_extension_of_2020_is_in_the_calendar() {
    let calendar = cal();
    let info = calendar.day_kind(d("2020-02-01"));
    assert_eq!(info.kind, DayKind::Holiday);
    assert_eq!(info.holiday_name_zh, Some("春节"));
    assert_eq!(calendar.day_kind(d("2020-01-31")).kind, DayKind::Holiday);
    assert_eq!(calendar.day_kind(d("2020-02-03")).kind, DayKind::Workday);
    assert_eq!(calendar.day_kind(d("2020-02-03")).holiday_name_zh, None);
}

#[test]
fn builtin_calendar_covers_2004_to_2026() {
    let calendar = cal();
    assert_eq!(calendar.first_year(), 2004);
    assert_eq!(calendar.last_year(), 2026);
    assert_eq!(calendar.day_kind(d("2004-01-01")).kind, DayKind::Holiday);
    assert!(!calendar.day_kind(d("2026-12-31")).provisional);
    assert!(calendar.day_kind(d("2027-01-01")).provisional);
    assert!(calendar.day_kind(d("2003-12-31")).provisional);
    // 2015 one-off: the 70th anniversary of the victory (09-03 and 09-04 off, Sunday 09-06 worked).
    assert_eq!(calendar.day_kind(d("2015-09-04")).kind, DayKind::Holiday);
    assert_eq!(
        calendar.day_kind(d("2015-09-06")).kind,
        DayKind::MakeupWorkday
    );
}

#[test]
fn rules_worked_examples() {
    let calendar = cal();
    assert_eq!(add(calendar, "2019-09-20", 30), firm("2019-11-06"));
    assert_eq!(add(calendar, "2020-01-10", 30), firm("2020-02-28"));
    assert_eq!(add(calendar, "2019-09-27", 7), firm("2019-10-12"));
}

#[test]
fn add_workdays_across_golden_week_and_spring_festival() {
    let calendar = cal();
    // 2024 国庆: 09-29 (Sun) worked, 10-01..07 off.
    assert_eq!(add(calendar, "2024-09-27", 1), firm("2024-09-29"));
    assert_eq!(add(calendar, "2024-09-27", 2), firm("2024-09-30"));
    assert_eq!(add(calendar, "2024-09-27", 3), firm("2024-10-08"));
    assert_eq!(add(calendar, "2024-09-30", 1), firm("2024-10-08"));
    assert_eq!(add(calendar, "2024-10-03", 1), firm("2024-10-08"));
    // 2026 春节: 02-14 (Sat) worked, 02-15..23 off, 02-28 (Sat) worked.
    assert_eq!(add(calendar, "2026-02-13", 1), firm("2026-02-14"));
    assert_eq!(add(calendar, "2026-02-13", 2), firm("2026-02-24"));
    assert_eq!(add(calendar, "2026-02-16", 1), firm("2026-02-24"));
    assert_eq!(add(calendar, "2026-02-24", 4), firm("2026-02-28"));
    assert_eq!(add(calendar, "2026-02-24", 5), firm("2026-03-02"));
    // 2020 春节 with the COVID extension.
    assert_eq!(add(calendar, "2020-01-23", 1), firm("2020-02-03"));
    // n = 0 rolls forward to a working day, or stays.
    assert_eq!(add(calendar, "2026-02-16", 0), firm("2026-02-24"));
    assert_eq!(add(calendar, "2026-02-14", 0), firm("2026-02-14"));
    assert_eq!(add(calendar, "2026-03-02", 0), firm("2026-03-02"));
}

#[test]
fn workdays_between_counts_the_half_open_interval() {
    let calendar = cal();
    let count = |a: &str, b: &str| calendar.workdays_between(d(a), d(b));
    let firm_count = |workdays| WorkdayCount {
        workdays,
        provisional: false,
    };
    assert_eq!(count("2024-09-30", "2024-10-08"), firm_count(1));
    assert_eq!(count("2024-09-30", "2024-10-07"), firm_count(0));
    assert_eq!(count("2019-09-20", "2019-11-06"), firm_count(30));
    assert_eq!(count("2019-11-06", "2019-09-20"), firm_count(-30));
    assert_eq!(count("2019-09-20", "2019-09-20"), firm_count(0));
    // Whole years, (Dec 31 of the year before, Dec 31].
    assert_eq!(count("2019-12-31", "2020-12-31"), firm_count(249));
    assert_eq!(count("2024-12-31", "2025-12-31"), firm_count(248));
    // 12-31, then 2027-01-01, 01-04, 01-05 by the weekends-only rule.
    assert_eq!(
        count("2026-12-30", "2027-01-05"),
        WorkdayCount {
            workdays: 4,
            provisional: true
        }
    );
}

#[test]
fn past_the_last_year_results_are_provisional_until_the_notice_is_loaded() {
    let calendar = cal();
    assert_eq!(add(calendar, "2026-12-30", 1), firm("2026-12-31"));
    assert_eq!(add(calendar, "2026-12-31", 1), provisional("2027-01-01"));
    assert_eq!(add(calendar, "2026-12-25", 5), provisional("2027-01-01"));
    assert_eq!(add(calendar, "2026-12-31", 2), provisional("2027-01-04"));
    assert_eq!(add(calendar, "2030-06-07", 1), provisional("2030-06-10"));
    assert_eq!(civil(calendar, "2026-12-02", 30), provisional("2027-01-01"));

    let notice = match Calendar::parse_year_notice(NOTICE_2027) {
        Ok(notice) => notice,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(notice.year(), 2027);
    assert_eq!(notice.entries().len(), 8);
    let loaded = match calendar.with_year(&notice) {
        Ok(loaded) => loaded,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(loaded.last_year(), 2027);
    assert_eq!(add(&loaded, "2026-12-31", 1), firm("2027-01-04"));
    assert_eq!(add(&loaded, "2026-12-25", 5), firm("2027-01-04"));
    assert_eq!(add(&loaded, "2027-02-05", 1), firm("2027-02-06"));
    assert_eq!(add(&loaded, "2027-02-05", 2), firm("2027-02-15"));
    assert_eq!(civil(&loaded, "2026-12-02", 30), firm("2027-01-04"));
    assert_eq!(add(&loaded, "2027-12-31", 1), provisional("2028-01-03"));
    let info = loaded.day_kind(d("2027-02-10"));
    assert_eq!(info.kind, DayKind::Holiday);
    assert_eq!(info.holiday_name_zh, Some("春节"));
    assert!(!info.provisional);
    assert_eq!(loaded.day_kind(d("2027-03-01")).kind, DayKind::Workday);
    assert_eq!(loaded.day_kind(d("2027-03-06")).kind, DayKind::Weekend);
    // The built-in calendar itself is unchanged.
    assert_eq!(add(calendar, "2026-12-31", 1), provisional("2027-01-01"));
}

/// A made-up 2027 notice for the tests (not the official one, which does not exist yet).
const NOTICE_2027: &str = "\
# 测试用的虚构 2027 年通知（非官方数据）
date,kind,name_zh

2027-01-01,holiday,元旦
2027-02-06,makeup_workday,春节
2027-02-08,holiday,春节
2027-02-09,holiday,春节
2027-02-10,holiday,春节
2027-02-11,holiday,春节
2027-02-12,holiday,春节
2027-02-20,makeup_workday,
";

#[test]
fn civil_code_deadline_rolls_over_rest_days_only() {
    let calendar = cal();
    // Last day a Monday: no move.
    assert_eq!(civil(calendar, "2019-09-23", 7), firm("2019-09-30"));
    // Last day 10-01 (国庆): moves past the whole break to 10-08.
    assert_eq!(civil(calendar, "2019-09-24", 7), firm("2019-10-08"));
    // Last day Sat 10-12, a make-up working day: no move.
    assert_eq!(civil(calendar, "2019-10-05", 7), firm("2019-10-12"));
    // Last day a Saturday: moves to Monday.
    assert_eq!(civil(calendar, "2019-11-01", 1), firm("2019-11-04"));
    // Last day inside the extended 2020 Spring Festival.
    // Last day 01-30 inside the extended 2020 Spring Festival: moves to Monday 02-03.
    assert_eq!(civil(calendar, "2020-01-20", 10), firm("2020-02-03"));
    // 30 days of the dibao procedure from a day before 国庆 2024.
    assert_eq!(civil(calendar, "2024-09-01", 30), firm("2024-10-08"));
    assert_eq!(civil(calendar, "2024-09-01", 29), firm("2024-09-30"));
    assert_eq!(civil(calendar, "2026-12-01", 30), firm("2026-12-31"));
}

#[test]
fn dates_before_2004_use_the_weekends_rule_and_are_provisional() {
    let calendar = cal();
    let info = calendar.day_kind(d("2003-10-01"));
    assert_eq!(info.kind, DayKind::Workday);
    assert!(info.provisional);
    assert_eq!(add(calendar, "2003-12-30", 1), provisional("2003-12-31"));
    // (2003-12-31, 2004-01-02] lies in 2004 only, and 2004-01-01 was 元旦.
    assert_eq!(add(calendar, "2003-12-31", 1), firm("2004-01-02"));
    assert_eq!(add(calendar, "2003-12-26", 1), provisional("2003-12-29"));
    assert_eq!(add(calendar, "1999-01-01", 0), provisional("1999-01-01"));
    assert_eq!(add(calendar, "1999-01-02", 0), provisional("1999-01-04"));
}

#[test]
fn extreme_dates_never_panic() {
    let calendar = cal();
    assert_eq!(
        calendar.add_workdays(NaiveDate::MAX, 1),
        Err(CalendarError::OutOfRange)
    );
    assert_eq!(
        calendar.civil_code_deadline(NaiveDate::MAX, u32::MAX),
        Err(CalendarError::OutOfRange)
    );
    assert_eq!(
        calendar.add_workdays(d("2020-01-01"), u32::MAX),
        Err(CalendarError::OutOfRange)
    );
    assert!(calendar.add_workdays(NaiveDate::MIN, 10).is_ok());
    let all = calendar.workdays_between(NaiveDate::MIN, NaiveDate::MAX);
    assert!(all.provisional && all.workdays > 0);
    let _ = calendar.day_kind(NaiveDate::MIN);
    let _ = calendar.is_workday(NaiveDate::MAX);
}

#[test]
fn year_notices_are_validated() {
    let parse = Calendar::parse_year_notice;
    assert_eq!(
        parse("date,kind\n2027-01-01,holiday,元旦\n"),
        Err(CalendarError::BadHeader {
            line: 1,
            expected: "date,kind,name_zh"
        })
    );
    assert_eq!(
        parse("# nothing\n"),
        Err(CalendarError::BadHeader {
            line: 1,
            expected: "date,kind,name_zh"
        })
    );
    assert_eq!(parse("date,kind,name_zh\n"), Err(CalendarError::Empty));
    assert_eq!(
        parse("date,kind,name_zh\n2027-01-01,holiday,元旦\n2028-01-01,holiday,元旦\n"),
        Err(CalendarError::DateOutsideYear {
            line: 2,
            date: d("2027-01-01"),
            year: 2028
        })
    );
    assert_eq!(
        parse("date,kind,name_zh\n2027-01-01,holiday,元旦\n2026-11-30,holiday,元旦\n"),
        Err(CalendarError::DateOutsideYear {
            line: 3,
            date: d("2026-11-30"),
            year: 2027
        })
    );
    assert_eq!(
        parse("date,kind,name_zh\n2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n"),
        Err(CalendarError::DuplicateDate {
            line: 3,
            date: d("2027-01-01")
        })
    );
    let makeup_on_monday =
        parse("date,kind,name_zh\n2027-01-01,holiday,元旦\n2027-01-04,makeup_workday,元旦\n");
    assert_eq!(
        makeup_on_monday,
        Err(CalendarError::MakeupNotWeekend {
            line: 3,
            date: d("2027-01-04"),
            weekday: "星期一"
        })
    );
    assert_eq!(
        parse("date,kind,name_zh\n2027-01-02,makeup_workday,元旦\n"),
        Err(CalendarError::NoHolidays { year: 2027 })
    );
    for (text, line) in [
        ("date,kind,name_zh\n2027-01-01,holiday,\n", 2),
        ("date,kind,name_zh\n2027-01-01,rest,元旦\n", 2),
        ("date,kind,name_zh\n2027-1-1,holiday,元旦\n", 2),
        ("date,kind,name_zh\n2027-02-30,holiday,春节\n", 2),
        ("\n\ndate,kind,name_zh\n2027-01-01,holiday,元旦,1\n", 4),
    ] {
        match parse(text) {
            Err(CalendarError::BadLine { line: got, .. }) => assert_eq!(got, line, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    let error = parse("date,kind,name_zh\n2027-01-01,rest,元旦\n")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("第 2 行：kind“rest”无效，应为 holiday（放假）或 makeup_workday（调休上班）")
    );
}

#[test]
fn with_year_keeps_years_contiguous() {
    let calendar = cal();
    let notice = |text: &str| match Calendar::parse_year_notice(text) {
        Ok(notice) => notice,
        Err(e) => panic!("{e}"),
    };
    let far = notice("date,kind,name_zh\n2029-01-01,holiday,元旦\n");
    assert_eq!(
        calendar.with_year(&far).err(),
        Some(CalendarError::YearNotAdjacent {
            year: 2029,
            first_year: 2004,
            last_year: 2026,
            before: 2003,
            after: 2027
        })
    );
    // 2003 may be added in front; its own December cannot reach into 2002.
    let earlier = notice("date,kind,name_zh\n2003-10-01,holiday,国庆节\n");
    let with_2003 = match calendar.with_year(&earlier) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(with_2003.first_year(), 2003);
    assert_eq!(add(&with_2003, "2003-09-30", 1), firm("2003-10-02"));
    assert_eq!(add(&with_2003, "2003-12-31", 1), firm("2004-01-02"));
    let reaching_back =
        notice("date,kind,name_zh\n2002-12-31,holiday,元旦\n2003-01-01,holiday,元旦\n");
    assert_eq!(
        calendar.with_year(&reaching_back).err(),
        Some(CalendarError::PreviousYearNotLoaded {
            year: 2003,
            previous: 2002
        })
    );
    // A 2027 notice that starts 元旦 on 2026-12-31 changes that day of 2026.
    let straddling =
        notice("date,kind,name_zh\n2026-12-31,holiday,元旦\n2027-01-01,holiday,元旦\n");
    let loaded = match calendar.with_year(&straddling) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(loaded.day_kind(d("2026-12-31")).kind, DayKind::Holiday);
    assert_eq!(add(&loaded, "2026-12-30", 1), firm("2027-01-04"));
    // Replacing a loaded year: 2020 as first announced (春节 01-24..01-30, Sat 02-01 worked).
    let original_2020 = notice(
        "date,kind,name_zh\n\
         2020-01-01,holiday,元旦\n\
         2020-01-19,makeup_workday,春节\n\
         2020-01-24,holiday,春节\n2020-01-25,holiday,春节\n2020-01-26,holiday,春节\n\
         2020-01-27,holiday,春节\n2020-01-28,holiday,春节\n2020-01-29,holiday,春节\n\
         2020-01-30,holiday,春节\n\
         2020-02-01,makeup_workday,春节\n",
    );
    let replaced = match calendar.with_year(&original_2020) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(replaced.first_year(), 2004);
    assert_eq!(replaced.last_year(), 2026);
    assert_eq!(add(&replaced, "2020-01-23", 1), firm("2020-01-31"));
    assert_eq!(add(&replaced, "2020-01-23", 2), firm("2020-02-01"));
    assert_eq!(add(&replaced, "2019-12-31", 1), firm("2020-01-02"));
    // Other years are untouched.
    assert_eq!(add(&replaced, "2019-09-20", 30), firm("2019-11-06"));
    assert_eq!(add(&replaced, "2021-02-10", 1), firm("2021-02-18"));
}

#[test]
fn every_builtin_year_round_trips_through_the_notice_format() {
    let builtin = cal();
    let mut rebuilt = builtin.clone();
    for year in 2004..=2026 {
        let notice = match builtin.year_notice(year) {
            Some(notice) => notice,
            None => panic!("{year} missing"),
        };
        let reparsed = Calendar::parse_year_notice(&notice.to_text());
        assert_eq!(reparsed.as_ref(), Ok(&notice), "{year}");
        assert!(
            notice
                .entries()
                .iter()
                .any(|e| e.kind == NoticeKind::Holiday)
        );
        rebuilt = match rebuilt.with_year(&notice) {
            Ok(c) => c,
            Err(e) => panic!("{year}: {e}"),
        };
    }
    assert_eq!(builtin.year_notice(2027), None);
    for date in d("2004-01-01").iter_days().take_while(|x| x.year() <= 2026) {
        assert_eq!(rebuilt.day_kind(date), builtin.day_kind(date), "{date}");
    }
}

/// A valid calendar file for one year by the weekends rule, as lines (header first).
fn weekday_rule_csv(year: i32) -> Vec<String> {
    let mut lines = vec![CALENDAR_CSV_HEADER.to_string()];
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    for date in jan1.iter_days().take_while(|x| x.year() == year) {
        let weekday = date.weekday().number_from_monday();
        let row = if weekday >= 6 {
            format!("{date},{weekday},1,0,0,weekend,,")
        } else {
            format!("{date},{weekday},0,1,0,workday,,")
        };
        lines.push(row);
    }
    lines
}

#[test]
fn from_csv_reports_the_line() {
    let good = weekday_rule_csv(2030);
    assert!(Calendar::from_csv(&good.join("\n")).is_ok());
    let crlf = format!("\u{feff}{}\r\n", good.join("\r\n"));
    let parsed = Calendar::from_csv(&crlf);
    assert_eq!(parsed.as_ref().map(Calendar::last_year).ok(), Some(2030));

    let with = |line: usize, text: &str| {
        let mut lines = good.clone();
        lines[line - 1] = text.to_string();
        Calendar::from_csv(&lines.join("\n"))
    };
    let reason = |result: Result<Calendar, CalendarError>| match result {
        Err(CalendarError::BadLine { line, reason }) => (line, reason),
        other => panic!("{other:?}"),
    };
    // 2030-01-01 is a Tuesday; line 2 is 2030-01-01, line 6 is 2030-01-05 (Saturday).
    assert_eq!(
        reason(with(3, "2030-01-03,4,0,1,0,workday,,")),
        (
            3,
            "日期不连续：上一行是 2030-01-01，本行应为 2030-01-02，实为 2030-01-03".to_string()
        )
    );
    assert_eq!(
        reason(with(2, "2030-01-01,3,0,1,0,workday,,")),
        (
            2,
            "星期列为“3”，但 2030-01-01 是星期二（应为 2）".to_string()
        )
    );
    assert_eq!(reason(with(2, "2030-01-01,2,1,1,0,workday,,")).0, 2);
    assert_eq!(reason(with(6, "2030-01-05,6,0,1,0,workday,,")).0, 6);
    assert_eq!(reason(with(6, "2030-01-05,6,1,0,0,holiday,,")).0, 6);
    assert_eq!(reason(with(2, "2030-01-01,2,0,1,0,workday")).0, 2);
    assert_eq!(reason(with(2, "2030-01-01,2,0,1,2,workday,,")).0, 2);
    assert_eq!(reason(with(2, "2030-01-01,2,0,1,0,work,,")).0, 2);
    assert_eq!(
        reason(with(2, "2030-01-01,2,0,1,0,makeup_workday,,")),
        (2, "2030-01-01 是星期二，不能是“调休上班日”".to_string())
    );
    // A make-up Saturday with a name is valid.
    assert!(with(6, "2030-01-05,6,0,1,0,makeup_workday,New Year's Day,元旦").is_ok());
    assert!(matches!(
        with(1, "date,weekday"),
        Err(CalendarError::BadHeader { line: 1, .. })
    ));
    assert_eq!(
        Calendar::from_csv(CALENDAR_CSV_HEADER).err(),
        Some(CalendarError::Empty)
    );
    let half_year = good[..100].join("\n");
    assert_eq!(
        Calendar::from_csv(&half_year).err(),
        Some(CalendarError::NotWholeYears {
            first: d("2030-01-01"),
            last: d("2030-04-09")
        })
    );
}

/// Day-by-day reference: the n-th working day after `start` (n = 0: roll forward).
fn slow_add(calendar: &Calendar, start: NaiveDate, n: u32) -> NaiveDate {
    let mut date = start;
    if n == 0 {
        while !calendar.is_workday(date) {
            date = date.succ_opt().unwrap_or(date);
        }
        return date;
    }
    let mut left = n;
    while left > 0 {
        date = date.succ_opt().unwrap_or(date);
        if calendar.is_workday(date) {
            left -= 1;
        }
    }
    date
}

fn slow_between(calendar: &Calendar, from: NaiveDate, to: NaiveDate) -> i64 {
    let (low, high, sign) = if from <= to {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let count = low
        .iter_days()
        .skip(1)
        .take_while(|x| *x <= high)
        .filter(|x| calendar.is_workday(*x))
        .count();
    sign * count as i64
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 1999-01-01 ..= 2030-12-31, so both edges of the loaded range are crossed.
    let first = d("1999-01-01");
    (0i64..11_688).prop_map(move |offset| first + chrono::Duration::days(offset))
}

proptest! {
    #[test]
    fn add_workdays_matches_counting_day_by_day(start in any_date(), n in 0u32..400) {
        let calendar = cal();
        let fast = calendar.add_workdays(start, n);
        let expected = slow_add(calendar, start, n);
        prop_assert_eq!(fast.clone().map(|x| x.date), Ok(expected));
        let span_start = if n == 0 { start } else { start.succ_opt().unwrap_or(start) };
        let all_loaded = span_start.year() >= 2004 && expected.year() <= 2026;
        prop_assert_eq!(fast.map(|x| x.provisional), Ok(!all_loaded));
        if n > 0 {
            prop_assert_eq!(calendar.workdays_between(start, expected).workdays, i64::from(n));
        }
    }

    #[test]
    fn workdays_between_matches_counting_day_by_day(a in any_date(), b in any_date()) {
        let calendar = cal();
        prop_assert_eq!(calendar.workdays_between(a, b).workdays, slow_between(calendar, a, b));
        prop_assert_eq!(
            calendar.workdays_between(a, b).workdays,
            -calendar.workdays_between(b, a).workdays
        );
    }

    #[test]
    fn civil_code_deadline_is_the_rolled_last_day(start in any_date(), n in 0u32..200) {
        let calendar = cal();
        let last = start + chrono::Duration::days(i64::from(n));
        let expected = slow_add(calendar, last, 0);
        prop_assert_eq!(calendar.civil_code_deadline(start, n).map(|x| x.date), Ok(expected));
    }
}

// ---------------------------------------------------------------- money

fn yuan(text: &str) -> Fen {
    match Fen::parse_yuan(text) {
        Ok(fen) => fen,
        Err(e) => panic!("{text}: {e}"),
    }
}

#[test]
fn uppercase_amounts() {
    let cases = [
        ("10", "壹拾元整"),
        ("100.05", "壹佰元零伍分"),
        ("1,000,000.00", "壹佰万元整"),
        ("0.50", "伍角整"),
        ("0.05", "伍分"),
        ("0.55", "伍角伍分"),
        ("0", "零元整"),
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("1,004,000.10", "壹佰万肆仟元壹角整"),
        ("1,000,000,001", "壹拾亿零壹元整"),
        ("100,000,001", "壹亿零壹元整"),
        ("100,010,000", "壹亿零壹万元整"),
        ("100,100,000", "壹亿零壹拾万元整"),
        ("110", "壹佰壹拾元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("1409.50", "壹仟肆佰零玖元伍角整"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("1,000,000,000,000", "壹万亿元整"),
        ("1,000,100,000,000", "壹万零壹亿元整"),
        ("-12.30", "负壹拾贰元叁角整"),
        ("620", "陆佰贰拾元整"),
    ];
    for (amount, expected) in cases {
        assert_eq!(yuan(amount).chinese_uppercase(), expected, "{amount}");
    }
    assert_eq!(
        Fen(i64::MAX).chinese_uppercase(),
        "玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分"
    );
    assert!(Fen(i64::MIN).chinese_uppercase().starts_with("负玖亿"));
}

#[test]
fn display_and_yuan_string() {
    assert_eq!(Fen(123_456).to_string(), "¥1,234.56");
    assert_eq!(Fen(-123_456).to_string(), "-¥1,234.56");
    assert_eq!(Fen(5).to_string(), "¥0.05");
    assert_eq!(Fen(0).to_string(), "¥0.00");
    assert_eq!(Fen(99_900).to_string(), "¥999.00");
    assert_eq!(Fen(100_000).to_string(), "¥1,000.00");
    assert_eq!(Fen(100_000_000).to_string(), "¥1,000,000.00");
    assert_eq!(Fen(i64::MIN).to_string(), "-¥92,233,720,368,547,758.08");
    assert_eq!(format!("{:>10}", Fen(100)), "     ¥1.00");
    assert_eq!(Fen(123_456).yuan_string(), "1234.56");
    assert_eq!(Fen(-5).yuan_string(), "-0.05");
    assert_eq!(Fen(62_000).yuan_string(), "620.00");
}

#[test]
fn parsing_what_staff_type() {
    assert_eq!(yuan("1234.56"), Fen(123_456));
    assert_eq!(yuan("1,234.5"), Fen(123_450));
    assert_eq!(yuan("¥12"), Fen(1_200));
    assert_eq!(yuan("￥12元"), Fen(1_200));
    assert_eq!(yuan("１，２３４．５６"), Fen(123_456));
    assert_eq!(yuan("  620 "), Fen(62_000));
    assert_eq!(yuan("-3.5"), Fen(-350));
    assert_eq!(yuan("-¥1,234.56"), Fen(-123_456));
    assert_eq!(yuan("0.5"), Fen(50));
    assert_eq!(yuan("0.05"), Fen(5));
    assert_eq!(yuan("1,234,567.89"), Fen(123_456_789));
    assert_eq!(yuan("92233720368547758.07"), Fen(i64::MAX));
    assert_eq!("12.30".parse::<Fen>(), Ok(Fen(1_230)));

    assert_eq!(Fen::parse_yuan(""), Err(MoneyError::Empty));
    assert_eq!(Fen::parse_yuan(" \u{3000} "), Err(MoneyError::Empty));
    assert_eq!(
        Fen::parse_yuan("1.234"),
        Err(MoneyError::TooManyDecimals {
            input: "1.234".into(),
            decimals: 3
        })
    );
    for bad in ["12,34", "1,2345", "1234,567", ",123"] {
        assert!(
            matches!(Fen::parse_yuan(bad), Err(MoneyError::BadGrouping { .. })),
            "{bad}"
        );
    }
    for bad in [
        "abc",
        "12.",
        ".5",
        "1.2.3",
        "12元5角",
        "¥",
        "-",
        "1 234",
        "+5",
        "1e3",
        "12.a",
    ] {
        assert!(
            matches!(Fen::parse_yuan(bad), Err(MoneyError::Invalid { .. })),
            "{bad}"
        );
    }
    assert_eq!(
        Fen::parse_yuan("92233720368547758.08"),
        Err(MoneyError::Overflow)
    );
    assert_eq!(
        Fen::parse_yuan("99999999999999999999"),
        Err(MoneyError::Overflow)
    );
    assert_eq!(
        Fen::parse_yuan("1.234")
            .err()
            .map(|e| e.to_string())
            .as_deref(),
        Some("金额“1.234”有 3 位小数，金额只能精确到分（最多两位小数）")
    );
    assert_eq!(
        Fen::parse_yuan("abc")
            .err()
            .map(|e| e.to_string())
            .as_deref(),
        Some(
            "金额“abc”无法识别：请填写以元为单位的数字，可带千分位逗号、小数点和 ¥，例如 1,234.56"
        )
    );
}

#[test]
fn checked_arithmetic_never_wraps() {
    assert_eq!(Fen::from_yuan(620), Ok(Fen(62_000)));
    assert_eq!(Fen::from_yuan(i64::MAX), Err(MoneyError::Overflow));
    assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), Err(MoneyError::Overflow));
    assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), Err(MoneyError::Overflow));
    assert_eq!(Fen(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
    assert_eq!(Fen(62_000).checked_mul(3), Ok(Fen(186_000)));
    assert_eq!(Fen(10).checked_sub(Fen(25)), Ok(Fen(-15)));
    assert_eq!(
        Fen::checked_sum([Fen(100), Fen(250), Fen(-50)]),
        Ok(Fen(300))
    );
    assert_eq!(
        Fen::checked_sum([Fen(i64::MAX), Fen(1), Fen(-5)]),
        Err(MoneyError::Overflow)
    );
    assert_eq!(MoneyError::Overflow.to_string(), "金额超出可表示的范围");
}

#[test]
fn ratios_round_half_away_from_zero() {
    assert_eq!(Fen(1000).mul_ratio(1, 3), Ok(Fen(333)));
    assert_eq!(Fen(1000).mul_ratio(2, 3), Ok(Fen(667)));
    assert_eq!(Fen(-1000).mul_ratio(2, 3), Ok(Fen(-667)));
    assert_eq!(Fen(5).mul_ratio(1, 2), Ok(Fen(3)));
    assert_eq!(Fen(-5).mul_ratio(1, 2), Ok(Fen(-3)));
    assert_eq!(Fen(5).mul_ratio(1, -2), Ok(Fen(-3)));
    assert_eq!(Fen(4).mul_ratio(1, 3), Ok(Fen(1)));
    assert_eq!(Fen(62_000).mul_ratio(15, 100), Ok(Fen(9_300)));
    assert_eq!(Fen(62_000).mul_ratio(17, 31), Ok(Fen(34_000)));
    assert_eq!(Fen(i64::MAX).mul_ratio(3, 3), Ok(Fen(i64::MAX)));
    assert_eq!(Fen(i64::MAX).mul_ratio(3, 2), Err(MoneyError::Overflow));
    assert_eq!(Fen(1).mul_ratio(1, 0), Err(MoneyError::ZeroDivisor));
    assert_eq!(Fen(100_000).per_capita(3), Ok(Fen(33_333)));
    assert_eq!(Fen(200).per_capita(3), Ok(Fen(67)));
    assert_eq!(Fen(200).per_capita(0), Err(MoneyError::ZeroDivisor));
}

#[test]
fn split_evenly_gives_the_remainder_to_the_first_shares() {
    assert_eq!(
        Fen(100).split_evenly(3),
        Ok(vec![Fen(34), Fen(33), Fen(33)])
    );
    assert_eq!(
        Fen(-100).split_evenly(3),
        Ok(vec![Fen(-34), Fen(-33), Fen(-33)])
    );
    assert_eq!(
        Fen(2).split_evenly(5),
        Ok(vec![Fen(1), Fen(1), Fen(0), Fen(0), Fen(0)])
    );
    assert_eq!(Fen(7).split_evenly(1), Ok(vec![Fen(7)]));
    assert_eq!(Fen(7).split_evenly(0), Err(MoneyError::ZeroDivisor));
}

#[test]
fn percentages_are_exact() {
    let pct = |part, whole, decimals| percent_string(part, whole, decimals);
    assert_eq!(pct(1, 3, 2).as_deref(), Ok("33.33%"));
    assert_eq!(pct(2, 3, 2).as_deref(), Ok("66.67%"));
    assert_eq!(pct(1, 8, 1).as_deref(), Ok("12.5%"));
    assert_eq!(pct(1, 8, 0).as_deref(), Ok("13%"));
    assert_eq!(pct(1, 200, 0).as_deref(), Ok("1%"));
    assert_eq!(pct(1, 1, 2).as_deref(), Ok("100.00%"));
    assert_eq!(pct(3, 2, 1).as_deref(), Ok("150.0%"));
    assert_eq!(pct(-1, 3, 2).as_deref(), Ok("-33.33%"));
    assert_eq!(pct(-1, 1000, 0).as_deref(), Ok("0%"));
    assert_eq!(pct(0, 5, 2).as_deref(), Ok("0.00%"));
    assert_eq!(pct(1, 7, 6).as_deref(), Ok("14.285714%"));
    assert_eq!(pct(5, 0, 2), Err(MoneyError::ZeroDivisor));
    assert_eq!(
        pct(1, 3, 7),
        Err(MoneyError::TooManyPercentDecimals {
            requested: 7,
            max: 6
        })
    );
    assert_eq!(pct(i64::MAX, 1, 0).as_deref(), Ok("922337203685477580700%"));
    assert_eq!(
        pct(i64::MIN, -1, 0).as_deref(),
        Ok("922337203685477580800%")
    );
}

#[test]
fn fen_deserializes_from_an_integer() {
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error, I64Deserializer};
    let deserializer: I64Deserializer<Error> = 123_456i64.into_deserializer();
    assert_eq!(Fen::deserialize(deserializer), Ok(Fen(123_456)));
}

proptest! {
    #[test]
    fn split_evenly_sums_back_exactly(total in any::<i64>(), shares in 1u32..500) {
        let parts = Fen(total).split_evenly(shares).unwrap_or_default();
        prop_assert_eq!(parts.len(), shares as usize);
        prop_assert_eq!(Fen::checked_sum(parts.iter().copied()), Ok(Fen(total)));
        let max = parts.iter().map(|f| f.0).max().unwrap_or(0);
        let min = parts.iter().map(|f| f.0).min().unwrap_or(0);
        prop_assert!(max - min <= 1);
        prop_assert!(parts.windows(2).all(|w| w[0].0.abs() >= w[1].0.abs()));
    }

    #[test]
    fn yuan_string_and_display_parse_back(fen in any::<i64>().prop_filter("not MIN", |f| *f != i64::MIN)) {
        prop_assert_eq!(Fen::parse_yuan(&Fen(fen).yuan_string()), Ok(Fen(fen)));
        prop_assert_eq!(Fen::parse_yuan(&Fen(fen).to_string()), Ok(Fen(fen)));
    }

    #[test]
    fn per_capita_is_the_nearest_fen(total in -10_000_000_000i64..10_000_000_000, persons in 1u32..20) {
        let share = Fen(total).per_capita(persons).map(|f| f.0).unwrap_or(i64::MAX);
        let exact = total as f64 / f64::from(persons);
        prop_assert!((share as f64 - exact).abs() <= 0.5 + 1e-6);
    }
}
