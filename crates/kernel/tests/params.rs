//! Dated policy parameters: the compiled-in table of RULES.md numbers, the lookup rules (longest
//! region scope, latest date on or before the day asked), superseding rows, and refusal of bad rows.

use chrono::NaiveDate;
use minzheng_kernel::params::{
    CSV_HEADER, Confidence, ParamError, ParamKey, ParamRow, ParamSet, ParamUnit, ParamValue,
};
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test dates are real")
}

fn set() -> &'static ParamSet {
    ParamSet::builtin()
}

/// The value in fen of a money parameter.
fn fen(key: &str, region: &str, on: NaiveDate) -> i64 {
    set()
        .value_of(key, region, on)
        .unwrap_or_else(|e| panic!("{e}"))
        .fen()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The raw amount of any parameter.
fn amount(key: &str, region: &str, on: NaiveDate) -> i64 {
    set()
        .value_of(key, region, on)
        .unwrap_or_else(|e| panic!("{e}"))
        .value
        .amount()
}

fn flag(key: &str, region: &str, on: NaiveDate) -> bool {
    set()
        .value_of(key, region, on)
        .unwrap_or_else(|e| panic!("{e}"))
        .flag()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// 渝中区, a Chongqing district with no district-specific rows.
const YUZHONG: &str = "500103";
/// 南岸区, which has its own funeral-waiver rows.
const NANAN: &str = "500108";
/// 北京市东城区, outside Chongqing.
const BEIJING: &str = "110101";

// ---------------------------------------------------------------- the compiled-in table

#[test]
fn builtin_table_parses_and_is_substantial() {
    let set = set();
    assert!(set.len() >= 300, "{} rows", set.len());
    assert!(set.keys().len() >= 220, "{} keys", set.keys().len());
    assert!(!set.is_empty());
    let again = ParamSet::from_csv(include_str!("../../../data/policy-parameters.csv"))
        .expect("the table parses");
    assert_eq!(&again, set);
}

#[test]
fn every_row_is_what_its_own_scope_and_date_resolve_to() {
    for row in set().rows() {
        let found = set()
            .value_of(row.key.as_str(), &row.region_scope, row.valid_from)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found, row);
        let later = set()
            .value_of(row.key.as_str(), &row.region_scope, date(2030, 1, 1))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(later.key, row.key);
        assert!(later.valid_from >= row.valid_from);
    }
}

#[test]
fn every_key_resolves_on_a_date_after_its_first_row() {
    for key in set().keys() {
        let rows: Vec<&ParamRow> = set()
            .rows()
            .into_iter()
            .filter(|r| r.key.as_str() == key)
            .collect();
        let first = rows
            .iter()
            .map(|r| r.valid_from)
            .min()
            .expect("a key has rows");
        let region = &rows
            .iter()
            .find(|r| r.valid_from == first)
            .expect("the first row")
            .region_scope;
        let after = first.succ_opt().expect("a next day");
        assert!(set().value_of(key, region, after).is_ok(), "{key}");
    }
}

#[test]
fn every_row_cites_a_section_of_rules() {
    for row in set().rows() {
        assert!(
            row.source.contains('§'),
            "{} has source {}",
            row.key,
            row.source
        );
    }
}

#[test]
fn keys_are_unique_in_unit() {
    for key in set().keys() {
        let units: Vec<ParamUnit> = set()
            .rows()
            .into_iter()
            .filter(|r| r.key.as_str() == key)
            .map(|r| r.unit())
            .collect();
        assert!(units.windows(2).all(|w| w[0] == w[1]), "{key}");
    }
}

#[test]
fn round_trips_through_csv() {
    let text = set().to_csv();
    let again = ParamSet::from_csv(&text).expect("exported CSV parses");
    assert_eq!(&again, set());
    assert!(text.starts_with(CSV_HEADER));
}

// ---------------------------------------------------------------- Chongqing standards timeline

/// One change of the Chongqing standards: (date as y, m, d), urban, rural, tekun basic, in fen.
type Change = ((i32, u32, u32), i64, i64, i64);

/// The changes of RULES.md §1.4 (the 2019, 2020 and 2024 dates are estimates marked OPEN).
const TIMELINE: [Change; 8] = [
    ((2017, 1, 1), 50_000, 35_000, 65_000),
    ((2018, 1, 1), 54_600, 41_000, 71_000),
    ((2019, 1, 1), 58_000, 44_000, 75_400),
    ((2020, 7, 1), 62_000, 49_600, 80_600),
    ((2021, 9, 1), 63_600, 51_500, 82_700),
    ((2022, 9, 1), 71_700, 58_100, 93_200),
    ((2024, 7, 1), 75_000, 61_000, 97_500),
    ((2025, 7, 1), 77_000, 63_000, 100_100),
];

#[test]
fn chongqing_dibao_and_tekun_standards_on_both_sides_of_each_change() {
    for (i, &((y, m, d), urban, rural, tekun)) in TIMELINE.iter().enumerate() {
        let on = date(y, m, d);
        assert_eq!(fen("dibao.standard.urban", YUZHONG, on), urban, "{on}");
        assert_eq!(fen("dibao.standard.rural", YUZHONG, on), rural, "{on}");
        assert_eq!(fen("tekun.standard.basic", YUZHONG, on), tekun, "{on}");
        let day_before = on.pred_opt().expect("a previous day");
        if i > 0 {
            let (_, urban_before, rural_before, tekun_before) = TIMELINE[i - 1];
            assert_eq!(
                fen("dibao.standard.urban", YUZHONG, day_before),
                urban_before
            );
            assert_eq!(
                fen("dibao.standard.rural", YUZHONG, day_before),
                rural_before
            );
            assert_eq!(
                fen("tekun.standard.basic", YUZHONG, day_before),
                tekun_before
            );
        }
    }
}

#[test]
fn client_period_values() {
    assert_eq!(
        fen("dibao.standard.urban", YUZHONG, date(2019, 6, 30)),
        58_000
    );
    assert_eq!(
        fen("dibao.standard.rural", YUZHONG, date(2019, 6, 30)),
        44_000
    );
    assert_eq!(
        fen("dibao.standard.urban", YUZHONG, date(2020, 6, 30)),
        58_000
    );
    assert_eq!(
        fen("dibao.standard.urban", YUZHONG, date(2020, 12, 31)),
        62_000
    );
    assert_eq!(
        fen("dibao.standard.rural", YUZHONG, date(2020, 12, 31)),
        49_600
    );
    assert_eq!(
        fen("tekun.standard.basic", YUZHONG, date(2020, 12, 31)),
        80_600
    );
    assert_eq!(
        fen("orphan.allowance.institutional", YUZHONG, date(2020, 5, 1)),
        140_400
    );
    assert_eq!(
        fen("orphan.allowance.dispersed", YUZHONG, date(2020, 5, 1)),
        120_400
    );
    assert_eq!(
        fen("unattended_child.allowance", YUZHONG, date(2020, 5, 1)),
        120_400
    );
    assert_eq!(fen("tekun.care.full", YUZHONG, date(2019, 3, 1)), 30_000);
    assert_eq!(fen("tekun.care.partial", YUZHONG, date(2019, 3, 1)), 20_000);
    assert_eq!(fen("tekun.care.self_care", YUZHONG, date(2019, 3, 1)), 0);
    assert_eq!(
        fen(
            "dibao.category_supplement.disabled",
            YUZHONG,
            date(2019, 3, 1)
        ),
        4_000
    );
    assert_eq!(
        fen(
            "dibao.category_supplement.student",
            YUZHONG,
            date(2019, 3, 1)
        ),
        10_000
    );
    assert_eq!(
        fen("price_subsidy.min_amount", YUZHONG, date(2019, 3, 1)),
        1_500
    );
    assert_eq!(
        amount("dibao.decision.time_limit_days", YUZHONG, date(2019, 3, 1)),
        30
    );
    assert!(flag("dibao.appraisal.mandatory", YUZHONG, date(2019, 3, 1)));
    assert!(!flag(
        "dibao.decision.clock_workdays",
        YUZHONG,
        date(2019, 3, 1)
    ));
    assert_eq!(amount("public_notice.days", YUZHONG, date(2019, 3, 1)), 7);
    assert_eq!(
        amount("public_notice.renotice_days", YUZHONG, date(2019, 3, 1)),
        3
    );
    assert_eq!(
        amount("marriage.cooling_off.days", YUZHONG, date(2020, 12, 31)),
        0
    );
    assert_eq!(
        amount("marriage.cooling_off.days", YUZHONG, date(2021, 1, 1)),
        30
    );
    assert_eq!(
        amount("marriage.min_age.male", YUZHONG, date(2019, 3, 1)),
        22
    );
    assert_eq!(
        amount("marriage.min_age.female", YUZHONG, date(2019, 3, 1)),
        20
    );
}

#[test]
fn which_standard_is_open_and_which_is_sourced() {
    let row = set()
        .value_of("dibao.standard.urban", YUZHONG, date(2019, 6, 1))
        .expect("2019 value");
    assert_eq!(row.confidence, Confidence::Open);
    assert!(row.confidence.needs_confirmation());
    let row = set()
        .value_of("dibao.standard.urban", YUZHONG, date(2021, 10, 1))
        .expect("2021 value");
    assert_eq!(row.confidence, Confidence::S);
    assert_eq!(row.source, "§1.4 澎湃新闻 2021-08-06");
    assert_eq!(row.unit(), ParamUnit::FenPerMonth);
}

#[test]
fn tekun_basic_is_thirteen_tenths_of_urban_dibao_at_every_data_point() {
    let multiple = amount(
        "tekun.standard.dibao_urban_multiple",
        YUZHONG,
        date(2019, 1, 1),
    );
    assert_eq!(multiple, 1300);
    for row in set().history("dibao.standard.urban", "50") {
        let urban = row.fen().expect("money");
        let tekun = fen("tekun.standard.basic", YUZHONG, row.valid_from);
        // Rounded to whole yuan: 546 × 1.3 = 709.8 → 710.
        let derived_yuan = (urban * multiple / 1000 + 50) / 100;
        assert_eq!(tekun, derived_yuan * 100, "{}", row.valid_from);
    }
}

#[test]
fn orphan_rates_differ_by_two_hundred_yuan() {
    let gap = fen(
        "orphan.allowance.institutional_dispersed_gap",
        YUZHONG,
        date(2025, 1, 1),
    );
    for row in set().history("orphan.allowance.institutional", "50") {
        let dispersed = fen("orphan.allowance.dispersed", YUZHONG, row.valid_from);
        assert_eq!(row.fen().expect("money") - dispersed, gap);
    }
}

#[test]
fn history_is_oldest_first() {
    let values: Vec<i64> = set()
        .history("dibao.standard.urban", "50")
        .iter()
        .map(|r| r.value.amount())
        .collect();
    assert_eq!(
        values,
        vec![
            50_000, 54_600, 58_000, 62_000, 63_600, 71_700, 75_000, 77_000
        ]
    );
    assert!(set().history("dibao.standard.urban", "").is_empty());
    assert!(set().history("no.such_key", "50").is_empty());
}

// ---------------------------------------------------------------- scope precedence

#[test]
fn chongqing_rows_override_national_rows() {
    // Clergy living apart: 1 year in Chongqing 2016 [P], 3 years nationally [S].
    let key = "dibao.household.clergy_away.min_years";
    assert_eq!(amount(key, YUZHONG, date(2019, 1, 1)), 1);
    assert_eq!(amount(key, BEIJING, date(2019, 1, 1)), 3);
    assert_eq!(amount(key, "", date(2019, 1, 1)), 3);
    // Before the Chongqing regulation the national row still answers for Chongqing.
    assert_eq!(amount(key, YUZHONG, date(2015, 1, 1)), 3);
    // First payment month: the month of approval in Chongqing, the month after elsewhere (2021+).
    let key = "dibao.payment.start_month_offset";
    assert_eq!(amount(key, YUZHONG, date(2022, 1, 1)), 0);
    assert_eq!(amount(key, BEIJING, date(2022, 1, 1)), 1);
    // The scope that answers is the one shown.
    let row = set()
        .value_of("dibao.appraisal.mandatory", YUZHONG, date(2022, 1, 1))
        .expect("a value");
    assert_eq!(row.region_scope, "50");
    assert!(row.flag().expect("a switch"));
    let row = set()
        .value_of("dibao.appraisal.mandatory", BEIJING, date(2022, 1, 1))
        .expect("a value");
    assert_eq!(row.region_scope, "");
    assert!(!row.flag().expect("a switch"));
}

#[test]
fn other_localities_have_their_own_rows() {
    let key = "dibao.decision.time_limit_workdays";
    assert_eq!(amount(key, "410102", date(2022, 1, 1)), 25); // 郑州
    assert_eq!(amount(key, "370202", date(2022, 1, 1)), 20); // 青岛
    assert_eq!(amount(key, BEIJING, date(2022, 1, 1)), 30);
    let key = "dibao.decision.extended_time_limit_workdays";
    assert_eq!(amount(key, "410102", date(2022, 1, 1)), 40);
    assert_eq!(amount(key, BEIJING, date(2022, 1, 1)), 45);
}

#[test]
fn nanan_district_overrides_the_city_wide_funeral_waiver() {
    let key = "funeral_waiver.flat_amount";
    assert_eq!(fen(key, NANAN, date(2019, 1, 1)), 168_800);
    assert_eq!(fen(key, "500108001001", date(2019, 1, 1)), 168_800);
    assert_eq!(fen(key, YUZHONG, date(2019, 1, 1)), 0);
    // Before the district row, the city-wide row answers for 南岸 too.
    assert_eq!(fen(key, NANAN, date(2016, 12, 31)), 0);
    assert!(flag(
        "funeral_waiver.eligible.organ_donor",
        NANAN,
        date(2019, 1, 1)
    ));
    assert!(!flag(
        "funeral_waiver.eligible.organ_donor",
        YUZHONG,
        date(2019, 1, 1)
    ));
    assert_eq!(
        fen("funeral_waiver.urn.max_price", NANAN, date(2019, 1, 1)),
        20_000
    );
    assert_eq!(
        set()
            .value_of(
                "funeral_waiver.cold_storage.max_days",
                NANAN,
                date(2019, 1, 1)
            )
            .expect("a value")
            .value
            .as_days(),
        Some(3)
    );
}

#[test]
fn national_price_subsidy_lowering_reaches_chongqing() {
    let key = "price_subsidy.trigger.cpi_yoy";
    assert_eq!(amount(key, YUZHONG, date(2019, 6, 1)), 350);
    assert_eq!(amount(key, YUZHONG, date(2022, 9, 1)), 300);
    assert_eq!(amount(key, YUZHONG, date(2023, 3, 31)), 300);
    assert_eq!(amount(key, YUZHONG, date(2023, 4, 1)), 350);
    assert_eq!(
        amount(
            "price_subsidy.trigger.food_cpi_yoy",
            YUZHONG,
            date(2019, 6, 1)
        ),
        600
    );
}

// ---------------------------------------------------------------- lookup errors

#[test]
fn before_the_first_date_there_is_no_value() {
    let error = set()
        .value_of("dibao.standard.urban", YUZHONG, date(2016, 12, 31))
        .expect_err("nothing before 2017");
    assert_eq!(
        error,
        ParamError::NoValueBefore {
            key: "dibao.standard.urban".to_string(),
            region: YUZHONG.to_string(),
            date: date(2016, 12, 31),
            earliest: date(2017, 1, 1),
        }
    );
    assert_eq!(
        error.to_string(),
        "参数 dibao.standard.urban 在 2017-01-01 之前没有取值（区划 500103，日期 2016-12-31）"
    );
    let error = set()
        .value_of("marriage.cooling_off.days", "", date(2000, 1, 1))
        .expect_err("nothing before 2003");
    assert_eq!(
        error.to_string(),
        "参数 marriage.cooling_off.days 在 2003-10-01 之前没有取值（区划 全国，日期 2000-01-01）"
    );
}

#[test]
fn outside_the_scope_there_is_no_value() {
    let error = set()
        .value_of("dibao.standard.urban", BEIJING, date(2020, 1, 1))
        .expect_err("Chongqing only");
    assert_eq!(
        error.to_string(),
        "参数 dibao.standard.urban 对区划 110101 没有适用的取值"
    );
    assert!(matches!(
        set().value_of("dibao.standard.urban", "", date(2020, 1, 1)),
        Err(ParamError::NoValueForRegion { .. })
    ));
}

#[test]
fn unknown_keys_and_bad_regions_are_refused() {
    assert_eq!(
        set().value_of("dibao.standard.suburban", YUZHONG, date(2020, 1, 1)),
        Err(ParamError::UnknownKey {
            key: "dibao.standard.suburban".to_string()
        })
    );
    assert_eq!(
        set()
            .value_of("dibao.standard.urban", "50010X", date(2020, 1, 1))
            .map_err(|e| e.to_string()),
        Err("区划代码 “50010X” 不合法：应为数字（空表示全国）".to_string())
    );
}

#[test]
fn reading_in_the_wrong_unit_is_an_error() {
    let row = set()
        .value_of("public_notice.days", YUZHONG, date(2020, 1, 1))
        .expect("a value");
    assert_eq!(row.value.as_days(), Some(7));
    assert_eq!(row.value.as_workdays(), None);
    assert_eq!(row.value.as_fen(), None);
    assert_eq!(row.amount_in(ParamUnit::Days), Ok(7));
    assert_eq!(
        row.fen().map_err(|e| e.to_string()),
        Err("参数 public_notice.days 的单位是 days，不是 fen".to_string())
    );
    assert_eq!(
        row.amount_in(ParamUnit::Workdays),
        Err(ParamError::WrongUnit {
            key: "public_notice.days".to_string(),
            wanted: ParamUnit::Workdays,
            found: ParamUnit::Days,
        })
    );
    let deadline = set()
        .value_of(
            "organization.annual_report.registry_deadline",
            "",
            date(2020, 1, 1),
        )
        .expect("a value");
    assert_eq!(deadline.month_day(), Ok((5, 31)));
    let ratio = set()
        .value_of(
            "dibao.county_review.sample_home_visit_share",
            YUZHONG,
            date(2020, 1, 1),
        )
        .expect("a value");
    assert_eq!(ratio.value.as_basis_points(), Some(3000));
    let multiple = set()
        .value_of("dibao.marginal.income_multiple", YUZHONG, date(2022, 1, 1))
        .expect("a value");
    assert_eq!(multiple.value.as_multiple_milli(), Some(1500));
}

// ---------------------------------------------------------------- superseding rows

fn row(key: &str, scope: &str, value: i64, unit: ParamUnit, from: NaiveDate) -> ParamRow {
    ParamRow {
        key: ParamKey::new(key).expect("a valid key"),
        region_scope: scope.to_string(),
        value: ParamValue::new(value, unit).expect("a valid value"),
        valid_from: from,
        source: "§1.4 test".to_string(),
        confidence: Confidence::S,
        note: String::new(),
    }
}

#[test]
fn a_new_dated_row_supersedes_from_its_date() {
    let updated = set()
        .clone()
        .with_row(row(
            "dibao.standard.urban",
            "50",
            80_000,
            ParamUnit::FenPerMonth,
            date(2026, 7, 1),
        ))
        .expect("a new dated row is accepted");
    let key = "dibao.standard.urban";
    let before = updated
        .value_of(key, YUZHONG, date(2026, 6, 30))
        .expect("a value");
    assert_eq!(before.fen(), Ok(77_000));
    let after = updated
        .value_of(key, YUZHONG, date(2026, 7, 1))
        .expect("a value");
    assert_eq!(after.fen(), Ok(80_000));
    assert_eq!(updated.len(), set().len() + 1);
    // The compiled-in set is untouched.
    assert_eq!(fen(key, YUZHONG, date(2026, 7, 1)), 77_000);
}

#[test]
fn a_district_row_added_later_takes_precedence_in_its_district_only() {
    let updated = set()
        .clone()
        .with_row(row(
            "dibao.category_supplement.student",
            "500108",
            12_000,
            ParamUnit::FenPerMonth,
            date(2020, 1, 1),
        ))
        .expect("accepted");
    let key = "dibao.category_supplement.student";
    let value = |region: &str, on| {
        updated
            .value_of(key, region, on)
            .expect("a value")
            .fen()
            .expect("money")
    };
    assert_eq!(value(NANAN, date(2020, 1, 1)), 12_000);
    assert_eq!(value(NANAN, date(2019, 12, 31)), 10_000);
    assert_eq!(value(YUZHONG, date(2020, 1, 1)), 10_000);
}

#[test]
fn a_used_row_is_never_replaced_in_place() {
    let error = set()
        .clone()
        .with_row(row(
            "dibao.standard.urban",
            "50",
            59_000,
            ParamUnit::FenPerMonth,
            date(2019, 1, 1),
        ))
        .expect_err("same key, scope and date");
    assert_eq!(
        error,
        ParamError::Duplicate {
            key: "dibao.standard.urban".to_string(),
            scope: "50".to_string(),
            valid_from: date(2019, 1, 1),
        }
    );
}

#[test]
fn a_row_cannot_change_the_unit_of_its_key() {
    let error = set()
        .clone()
        .with_row(row(
            "dibao.standard.urban",
            "50",
            600,
            ParamUnit::Fen,
            date(2030, 1, 1),
        ))
        .expect_err("money per month stays money per month");
    assert_eq!(
        error,
        ParamError::UnitConflict {
            key: "dibao.standard.urban".to_string(),
            expected: ParamUnit::FenPerMonth,
            found: ParamUnit::Fen,
        }
    );
}

#[test]
fn rows_from_elsewhere_are_checked_like_csv_rows() {
    let mut bad_scope = row("a.b", "500", 1, ParamUnit::Count, date(2020, 1, 1));
    assert!(matches!(
        ParamSet::new().with_row(bad_scope.clone()),
        Err(ParamError::BadScope { .. })
    ));
    bad_scope.region_scope = "50".to_string();
    bad_scope.source = " ".to_string();
    assert!(matches!(
        ParamSet::new().with_row(bad_scope.clone()),
        Err(ParamError::MissingSource { .. })
    ));
    bad_scope.source = "§0".to_string();
    bad_scope.note = "two\nlines".to_string();
    assert!(matches!(
        ParamSet::new().with_row(bad_scope),
        Err(ParamError::LineBreakInText { .. })
    ));
    let set = ParamSet::from_rows(vec![
        row("a.b", "", 1, ParamUnit::Count, date(2020, 1, 1)),
        row("a.b", "50", 2, ParamUnit::Count, date(2021, 1, 1)),
    ])
    .expect("valid rows");
    assert_eq!(set.len(), 2);
    assert_eq!(set.keys(), vec!["a.b"]);
}

// ---------------------------------------------------------------- [M] and [OPEN] rules of RULES.md

/// Every rule RULES.md marks [M] that has a number, by the key that holds it.
const M_RULES: &[&str] = &[
    "dibao.county_review.sample_home_visit_share", // §1.5 入户抽查 ≥30 %
    "dibao.county_review.close_relative_home_visit_share", // §1.5 close relatives 100 %
    "dibao.decision.extended_time_limit_workdays", // §1.5 ≤45 working days
    "home_visit.min_staff",                        // §1.5 ≥2 staff
    "dibao.single_person.enabled",                 // §1.2 单人保
    "dibao.single_person.max_disability_grade",
    "dibao.single_person.max_disability_grade_mental",
    "dibao.phase_out.months_min", // §1.6 3–6 months
    "dibao.phase_out.months_max",
    "tekun.no_work_capacity.min_age", // §2.1 detailed tests
    "tekun.no_work_capacity.below_age",
    "tekun.no_work_capacity.max_grade_intellectual_mental",
    "tekun.no_work_capacity.max_grade_physical",
    "tekun.no_work_capacity.max_grade_visual",
    "tekun.obligor_unable.dibao_min_age",
    "tekun.obligor_unable.min_age",
    "tekun.minor.support_until_age",
    "tekun.minor.continue_in_school",
    "tekun.township_opinion.time_limit_workdays", // §2.2 20 working days
    "tekun.county_decision.time_limit_workdays",
    "tekun.procedure.single_confirm_stage",
    "orphan.max_age",                                      // §6.1 under 18
    "unattended_child.allowance.follows_orphan_dispersed", // §6.2 参照孤儿标准
    "unattended_child.max_age",                            // §6.2 62号 from 2020-01-01
    "left_behind_child.below_age",                         // §6.3 under 16
    "left_behind_child.contact.alert_after_days",
    "disability_subsidy.care.max_grade", // §7
    "disability_subsidy.both_allowed",
    "marriage.registration.inter_provincial_pilot", // §8.4 CQ first batch
    "organization.annual_report_replaces_inspection", // §11.1 年报 from ~2018
    "enforcement.publication.workdays",             // §14.1 7 working days
];

/// Every rule RULES.md marks [OPEN] (or gives only an estimate for) that has a number or an
/// estimate, by the key that holds it.
const OPEN_RULES: &[&str] = &[
    "dibao.standard.urban", // §1.4 2019/2020/2022/2024 dates
    "dibao.standard.rural",
    "tekun.standard.basic",
    "orphan.allowance.institutional", // §1.4/§6.1
    "orphan.allowance.dispersed",
    "unattended_child.allowance",
    "unattended_child.top_up_only",              // §6.2 补差
    "dibao.category_supplement.highest_of_five", // §1.3 highest of the five
    "dibao.payment.rounding_unit",               // §1.3 rounding
    "dibao.payment.minimum",
    "dibao.household.exclude_compulsory_rehab", // §17#3 union for 2021+
    "dibao.household.exclude_declared_missing",
    "dibao.income.employment_cost.enabled", // §18 q2
    "dibao.income.employment_cost.share",
    "dibao.income.exclude_resident_basic_pension", // after 十四五
    "dibao.phase_out.months",                      // §1.6 OPEN for CQ
    "tekun.care.full",                             // §2.3 / §18 q4
    "tekun.care.partial",
    "tekun.care.self_care",
    "temporary_assistance.cap.standard_multiple", // §3.3 / §18 q5
    "temporary_assistance.cap.per_person",
    "temporary_assistance.township_approval.max_standard_multiple",
    "temporary_assistance.decision.time_limit_workdays",
    "price_subsidy.rounding_unit", // §4.2
    "disability_subsidy.living",   // §7 / §18 q7
    "disability_subsidy.care",
    "disability_subsidy.living.excludes_orphan_and_tekun",
    "organization.annual_report_replaces_inspection", // §11.1 / §18 q12
    "mask.id_number.keep_prefix",                     // §16 no masking standard
    "mask.id_number.keep_suffix",
];

#[test]
fn every_m_and_open_rule_has_a_row_with_that_mark() {
    for (keys, mark) in [(M_RULES, Confidence::M), (OPEN_RULES, Confidence::Open)] {
        for key in keys {
            let marks: Vec<Confidence> = set()
                .rows()
                .into_iter()
                .filter(|r| r.key.as_str() == *key)
                .map(|r| r.confidence)
                .collect();
            assert!(!marks.is_empty(), "{key} has no row");
            assert!(marks.contains(&mark), "{key} has no {mark} row");
        }
    }
}

// ---------------------------------------------------------------- refusing bad CSV

fn parse_error(rows: &str) -> String {
    let text = format!("# comment\n{CSV_HEADER}\n{rows}\n");
    ParamSet::from_csv(&text)
        .expect_err("the row is refused")
        .to_string()
}

const GOOD: &str = "dibao.standard.urban,50,58000,fen_per_month,2019-01-01,§1.4,OPEN,";

#[test]
fn a_good_row_parses() {
    let text = format!(
        "{CSV_HEADER}\n{GOOD}\n\"a.b\",,1,bool,2019-01-01,\"§1, quoted\",P,\"say \"\"x\"\"\"\n"
    );
    let set = ParamSet::from_csv(&text).expect("valid");
    assert_eq!(set.len(), 2);
    let row = set.value_of("a.b", "", date(2019, 1, 1)).expect("a value");
    assert_eq!(row.source, "§1, quoted");
    assert_eq!(row.note, "say \"x\"");
    assert_eq!(row.flag(), Ok(true));
    assert!(row.to_csv_line().contains("\"§1, quoted\""));
}

#[test]
fn unknown_units_are_refused() {
    let message = parse_error("a.b,50,1,fen_per_day,2019-01-01,§1,P,");
    assert!(
        message.starts_with(
            "参数表第 3 行：未知单位 “fen_per_day”，可用单位：fen_per_month、fen、days"
        ),
        "{message}"
    );
}

#[test]
fn duplicates_are_refused_with_both_lines() {
    let message = parse_error(&format!("{GOOD}\n{GOOD}"));
    assert_eq!(
        message,
        "参数表第 4 行：格式错误：参数 dibao.standard.urban 在区划范围 “50” 自 2019-01-01 起的取值与第 3 行重复"
    );
    // The same key and date in another scope is not a duplicate.
    let text = format!(
        "{CSV_HEADER}\n{GOOD}\ndibao.standard.urban,5001,58000,fen_per_month,2019-01-01,§1.4,OPEN,\n"
    );
    assert!(ParamSet::from_csv(&text).is_ok());
}

#[test]
fn bad_dates_are_refused() {
    for bad in [
        "2019-02-30",
        "2019-1-1",
        "2019/01/01",
        "",
        "2019-01-01T00:00",
    ] {
        let message = parse_error(&format!("a.b,,1,count,{bad},§1,P,"));
        assert_eq!(
            message,
            format!("参数表第 3 行：日期 “{bad}” 不合法，应为 YYYY-MM-DD 格式的真实日期")
        );
    }
}

#[test]
fn bad_keys_are_refused() {
    for bad in [
        "dibao",
        "Dibao.standard",
        "dibao..urban",
        "dibao.standard-urban",
        "1dibao.x",
        "dibao.2x",
        "",
    ] {
        let message = parse_error(&format!("{bad},,1,count,2019-01-01,§1,P,"));
        assert!(
            message.starts_with(&format!("参数表第 3 行：参数键 “{bad}” 不合法")),
            "{message}"
        );
    }
    assert!(ParamKey::new("volunteer.star_1.min_hours").is_ok());
    assert!(ParamKey::new(&format!("a.{}", "b".repeat(99))).is_err());
}

#[test]
fn bad_values_are_refused() {
    let cases = [
        (
            "a.b,,2,bool,2019-01-01,§1,P,",
            "取值 2 不适用于单位 bool：开关只能是 0 或 1",
        ),
        (
            "a.b,,-1,days,2019-01-01,§1,P,",
            "取值 -1 不适用于单位 days：不能为负数",
        ),
        (
            "a.b,,10001,basis_points,2019-01-01,§1,P,",
            "取值 10001 不适用于单位 basis_points：比例不能超过 10000 万分点（100%），倍数请用 multiple_milli",
        ),
        (
            "a.b,,230,month_day,2019-01-01,§1,P,",
            "取值 230 不适用于单位 month_day：应为 MMDD 形式的真实月日，如 331 表示 3 月 31 日",
        ),
        (
            "a.b,,580.5,fen,2019-01-01,§1,P,",
            "取值 “580.5” 不是整数（金额一律以分为单位，比例用万分点）",
        ),
        (
            "a.b,,,fen,2019-01-01,§1,P,",
            "取值 “” 不是整数（金额一律以分为单位，比例用万分点）",
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(parse_error(line), format!("参数表第 3 行：{expected}"));
    }
}

#[test]
fn bad_scopes_confidences_and_sources_are_refused() {
    assert_eq!(
        parse_error("a.b,500,1,count,2019-01-01,§1,P,"),
        "参数表第 3 行：区划范围 “500” 不合法：应为空（全国）或 2、4、6、9、12 位数字"
    );
    assert_eq!(
        parse_error("a.b,5x,1,count,2019-01-01,§1,P,"),
        "参数表第 3 行：区划范围 “5x” 不合法：应为空（全国）或 2、4、6、9、12 位数字"
    );
    assert_eq!(
        parse_error("a.b,50,1,count,2019-01-01,§1,open,"),
        "参数表第 3 行：置信度 “open” 不合法，应为 P、S、M 或 OPEN"
    );
    assert_eq!(
        parse_error("a.b,50,1,count,2019-01-01,,P,"),
        "参数表第 3 行：参数 a.b 缺少来源（source），每个取值都必须注明出处"
    );
}

#[test]
fn malformed_lines_are_refused() {
    assert_eq!(
        parse_error("a.b,50,1,count,2019-01-01,§1, with comma,P,"),
        format!(
            "参数表第 3 行：格式错误：应有 8 列（{CSV_HEADER}），实际 9 列；含逗号的字段请加双引号"
        )
    );
    assert_eq!(
        parse_error("a.b,50,1,count,2019-01-01,\"§1,P,"),
        "参数表第 3 行：格式错误：引号没有闭合（带引号的字段不能跨行）"
    );
    assert_eq!(
        parse_error("a.b,50,1,count,2019-01-01,§1 \"x\",P,"),
        "参数表第 3 行：格式错误：未加引号的字段中不能出现引号"
    );
    assert_eq!(
        parse_error(&format!(
            "{GOOD}\ndibao.standard.urban,50,600,fen,2020-01-01,§1,P,"
        )),
        "参数表第 4 行：参数 dibao.standard.urban 的单位 fen 与已有行的单位 fen_per_month 不一致"
    );
}

#[test]
fn the_header_is_required() {
    let error = ParamSet::from_csv(&format!("{GOOD}\n")).expect_err("no header");
    assert_eq!(
        error.to_string(),
        format!("参数表第 1 行：格式错误：第一行（注释之外）应是表头 {CSV_HEADER}")
    );
    let error = ParamSet::from_csv("# only comments\n\n").expect_err("no header");
    assert_eq!(
        error.to_string(),
        format!("格式错误：没有表头 {CSV_HEADER}")
    );
    // A byte-order mark and Windows line ends are tolerated.
    let text = format!("\u{feff}{CSV_HEADER}\r\n{GOOD}\r\n");
    assert_eq!(ParamSet::from_csv(&text).map(|s| s.len()), Ok(1));
}

// ---------------------------------------------------------------- properties

proptest! {
    #[test]
    fn chongqing_standards_never_decrease(
        a in 0i64..5_000, b in 0i64..5_000, county in 1u32..=43
    ) {
        let start = date(2017, 1, 1);
        let (early, late) = (a.min(b), a.max(b));
        let d1 = start + chrono::Days::new(u64::try_from(early).unwrap_or(0));
        let d2 = start + chrono::Days::new(u64::try_from(late).unwrap_or(0));
        let region = format!("5001{county:02}");
        for key in ["dibao.standard.urban", "dibao.standard.rural", "tekun.standard.basic"] {
            let v1 = fen(key, &region, d1);
            let v2 = fen(key, &region, d2);
            prop_assert!(v1 <= v2, "{key} {d1} {v1} > {d2} {v2}");
            prop_assert!(fen("dibao.standard.rural", &region, d1) < fen("dibao.standard.urban", &region, d1));
        }
    }

    #[test]
    fn lookups_never_panic(region in "[0-9]{0,12}", days in 0i64..20_000, key_index in 0usize..400) {
        let keys = set().keys();
        let key = keys[key_index % keys.len()];
        let on = date(1990, 1, 1) + chrono::Days::new(u64::try_from(days).unwrap_or(0));
        match set().value_of(key, &region, on) {
            Ok(row) => {
                prop_assert!(region.starts_with(&row.region_scope));
                prop_assert!(row.valid_from <= on);
            }
            Err(ParamError::NoValueBefore { earliest, .. }) => prop_assert!(earliest > on),
            Err(ParamError::NoValueForRegion { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected {other}"),
        }
    }
}
