//! The payroll on both backends: exact amounts, a standard change mid-year, arrears, idempotent
//! recompute, death → stop and recovery, control totals at every step, scope.

mod common;

use common::*;

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_benefits::BenefitsError;
use minzheng_benefits::enrolments::{self, NewEnrolment, StopKind};
use minzheng_benefits::payroll::{self, MonthOutcome};
use minzheng_benefits::programs::{CareTier, Program};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_store::{Db, params};

fn id(seq: u16) -> IdNumber {
    IdNumber::generate("500103", NaiveDate::from_ymd_opt(1950, 1, 1).unwrap(), seq).unwrap()
}

fn new(program: Program, seq: u16, community: &str, start: &str) -> NewEnrolment {
    enrolment(program, id(seq), seq, community, start)
}

fn setup(db: &Db) {
    db.write(minzheng_reference::parameters::sync_seed).unwrap();
}

fn compute(db: &Db, m: &str) -> MonthOutcome {
    payroll::compute_month(db, &city(), month(m), &mut |_, _, _| {}).unwrap()
}

fn amounts(db: &Db, id_number: &IdNumber) -> Vec<(String, String, i64)> {
    db.read(|tx| {
        let rows = tx.query(
            "SELECT kind, for_month, amount_fen FROM payment WHERE id_number = $1 ORDER BY id",
            params![id_number.as_str()],
        )?;
        rows.iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
    })
    .unwrap()
}

/// 渝中区 七星岗街道 华一坡社区 (urban) and a 沙坪坝区 community.

#[test]
fn amounts_standard_change_arrears_and_idempotent_recompute() {
    for t in minzheng_store::testing::databases("benefits_amounts") {
        let db = &t.db;
        setup(db);
        // A dibao household of 3 with 900 yuan of income and a 60-yuan supplement, from 2020-05.
        let mut dibao = new(Program::DibaoUrban, 11, YUZHONG, "2020-05");
        dibao.members = 3;
        dibao.counted_income = Fen(90_000);
        dibao.supplement = Fen(6_000);
        let mut tekun = new(Program::TekunDispersed, 13, YUZHONG, "2020-06");
        tekun.care_tier = Some(CareTier::Partial);
        let late = new(Program::OrphanDispersed, 15, YUZHONG, "2020-04");
        db.write(|tx| {
            enrolments::enrol(tx, &city(), &dibao)?;
            enrolments::enrol(tx, &city(), &tekun)?;
            Ok::<_, BenefitsError>(())
        })
        .unwrap();

        let june = compute(db, "2020-06");
        assert_eq!(
            june.lines_written(),
            3,
            "{}: dibao May arrears + June, tekun June",
            t.label
        );
        // Dibao: May and June at 580: 3 × 580 − 900 + 60 = 900.
        assert_eq!(
            amounts(db, &dibao.id_number),
            vec![
                ("arrears".into(), "2020-05".into(), 90_000),
                ("regular".into(), "2020-06".into(), 90_000)
            ]
        );
        // Tekun: 754 + 200 (partial care) = 954.
        assert_eq!(
            amounts(db, &tekun.id_number),
            vec![("regular".into(), "2020-06".into(), 95_400)]
        );

        // The same month again: nothing changes and it says so.
        let again = compute(db, "2020-06");
        assert_eq!(again.lines_written(), 0);
        assert_eq!(again.already(), 1);

        // An orphan enrolled late, from 2020-04: July pays April to June as arrears, at 1204.
        db.write(|tx| enrolments::enrol(tx, &city(), &late))
            .unwrap();
        compute(db, "2020-07");
        // July: the urban standard is 620 from 2020-07: 3 × 620 − 900 + 60 = 1020.
        assert_eq!(
            amounts(db, &dibao.id_number).last().unwrap(),
            &("regular".to_string(), "2020-07".to_string(), 102_000)
        );
        let orphan = amounts(db, &late.id_number);
        assert_eq!(
            orphan,
            vec![
                ("arrears".into(), "2020-04".into(), 120_400),
                ("arrears".into(), "2020-05".into(), 120_400),
                ("arrears".into(), "2020-06".into(), 120_400),
                ("regular".into(), "2020-07".into(), 120_400),
            ],
            "{}",
            t.label
        );
        // The database itself refuses a second payment for the same person, program and month.
        let dup = db.write(|tx| {
            tx.execute(
                "INSERT INTO payment (cycle_id, enrolment_id, program, id_number, region_code, bank_code, kind,
                     for_month, amount_fen, explanation)
                 SELECT cycle_id, enrolment_id, program, id_number, region_code, bank_code, 'arrears', for_month,
                     amount_fen, explanation FROM payment WHERE kind = 'regular' AND for_month = '2020-07' AND program = 'orphan_dispersed'",
                params![],
            )
        });
        assert!(
            matches!(&dup, Err(e) if e.is_unique_violation()),
            "{}: {dup:?}",
            t.label
        );
    }
}

#[test]
fn death_stops_the_next_cycle_and_recovers_what_was_paid_after_it() {
    for t in minzheng_store::testing::databases("benefits_death") {
        let db = &t.db;
        setup(db);
        let person = new(Program::DisabilityLiving, 21, YUZHONG, "2020-01");
        db.write(|tx| enrolments::enrol(tx, &city(), &person))
            .unwrap();
        compute(db, "2020-01");
        compute(db, "2020-02");
        compute(db, "2020-03");
        // Died on 2020-01-20, recorded only in March: February and March were paid after it.
        let outcome = db
            .write(|tx| {
                enrolments::record_stop(
                    tx,
                    &city(),
                    &person.id_number,
                    StopKind::Death,
                    NaiveDate::from_ymd_opt(2020, 1, 20).unwrap(),
                    "殡葬记录",
                )
            })
            .unwrap();
        assert_eq!(outcome.enrolments_stopped, 1);
        let retry = db
            .write(|tx| {
                enrolments::record_stop(
                    tx,
                    &city(),
                    &person.id_number,
                    StopKind::Death,
                    NaiveDate::from_ymd_opt(2020, 1, 20).unwrap(),
                    "殡葬记录",
                )
            })
            .unwrap();
        assert!(retry.already_recorded);
        compute(db, "2020-04");
        assert_eq!(
            amounts(db, &person.id_number),
            vec![
                ("regular".into(), "2020-01".into(), 7_000),
                ("regular".into(), "2020-02".into(), 7_000),
                ("regular".into(), "2020-03".into(), 7_000),
                ("recovery".into(), "2020-02".into(), -7_000),
                ("recovery".into(), "2020-03".into(), -7_000),
            ],
            "{}",
            t.label
        );
        // May recovers nothing again and pays nothing.
        compute(db, "2020-05");
        assert_eq!(amounts(db, &person.id_number).len(), 5);
    }
}

#[test]
fn stages_check_control_totals_and_roles() {
    for t in minzheng_store::testing::databases("benefits_stages") {
        let db = &t.db;
        setup(db);
        for seq in 31..36 {
            db.write(|tx| {
                enrolments::enrol(
                    tx,
                    &city(),
                    &new(Program::DisabilityCare, seq, YUZHONG, "2020-03"),
                )
            })
            .unwrap();
        }
        let out = compute(db, "2020-03");
        assert_eq!(out.districts.len(), 1);
        assert_eq!(out.districts[0].total_fen, 5 * 8_000);
        let reviewer = who(Role::DistrictReviewer, "500103", "reviewer");
        let other = who(Role::DistrictReviewer, "500106", "other");
        let cycles = db
            .read(|tx| payroll::cycles(tx, &reviewer, month("2020-03")))
            .unwrap();
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].line_count, 5);
        let cycle_id = cycles[0].id;
        // Another district's reviewer sees nothing and cannot approve it.
        assert!(
            db.read(|tx| payroll::cycles(tx, &other, month("2020-03")))
                .unwrap()
                .is_empty()
        );
        assert!(
            db.write(|tx| payroll::advance(tx, &other, cycle_id, "approved"))
                .is_err()
        );
        // Finance cannot authorize before the district approves.
        let err = db
            .write(|tx| payroll::advance(tx, &city(), cycle_id, "authorized"))
            .unwrap_err();
        assert!(err.to_string().contains("须在“区县已审核”之后"), "{err}");
        // A tampered line breaks the control totals: approval is refused and nothing moves.
        db.write(|tx| {
            tx.execute(
                "UPDATE payment SET amount_fen = amount_fen + 1 WHERE id = (SELECT MIN(id) FROM payment)",
                params![],
            )
        })
        .unwrap();
        let err = db
            .write(|tx| payroll::advance(tx, &reviewer, cycle_id, "approved"))
            .unwrap_err();
        assert!(err.to_string().contains("控制数不符"), "{err}");
        db.write(|tx| {
            tx.execute(
                "UPDATE payment SET amount_fen = amount_fen - 1 WHERE id = (SELECT MIN(id) FROM payment)",
                params![],
            )
        })
        .unwrap();
        let approved = db
            .write(|tx| payroll::advance(tx, &reviewer, cycle_id, "approved"))
            .unwrap();
        assert_eq!(approved.status, "approved");
        // The reviewer may not authorize (finance does).
        assert!(
            db.write(|tx| payroll::advance(tx, &reviewer, cycle_id, "authorized"))
                .is_err()
        );
        let authorized = db
            .write(|tx| payroll::advance(tx, &city(), cycle_id, "authorized"))
            .unwrap();
        assert_eq!(authorized.status, "authorized");
    }
}

#[test]
fn bad_enrolments_are_refused_and_write_nothing() {
    for t in minzheng_store::testing::databases("benefits_refused") {
        let db = &t.db;
        setup(db);
        let ok = new(Program::OrphanDispersed, 41, YUZHONG, "2020-03");
        db.write(|tx| enrolments::enrol(tx, &city(), &ok)).unwrap();
        let mut end_before_start = new(Program::OrphanDispersed, 43, YUZHONG, "2020-03");
        end_before_start.end_month = Some(month("2020-02"));
        let mut tekun_without_tier = new(Program::TekunDispersed, 45, YUZHONG, "2020-03");
        tekun_without_tier.care_tier = None;
        let street = who(Role::StreetOfficer, "500106001", "street");
        let cases: Vec<(NewEnrolment, Principal, &str)> = vec![
            (ok.clone(), city(), "不能重复登记"),
            (
                end_before_start,
                city(),
                "终止月份：2020-02 早于起始月份 2020-03",
            ),
            (tekun_without_tier, city(), "护理等级"),
            (
                new(Program::OrphanDispersed, 47, YUZHONG, "2020-03"),
                street,
                "不在您的管辖范围",
            ),
        ];
        for (e, p, message) in cases {
            let err = db.write(|tx| enrolments::enrol(tx, &p, &e)).unwrap_err();
            assert!(err.to_string().contains(message), "{}: {err}", t.label);
        }
        let count: i64 = db
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM enrolment", params![])?
                    .get(0)
            })
            .unwrap();
        assert_eq!(count, 1, "{}", t.label);
    }
}

#[test]
fn a_death_recorded_before_its_month_is_computed_is_paid_to_that_month() {
    for t in minzheng_store::testing::databases("benefits_death_month") {
        let db = &t.db;
        setup(db);
        let orphan = new(Program::OrphanDispersed, 61, YUZHONG, "2020-05");
        db.write(|tx| enrolments::enrol(tx, &city(), &orphan))
            .unwrap();
        compute(db, "2020-05");
        // Died on 10 June, recorded before June was computed: June is still due, July is not.
        db.write(|tx| {
            enrolments::record_stop(
                tx,
                &city(),
                &orphan.id_number,
                StopKind::Death,
                NaiveDate::from_ymd_opt(2020, 6, 10).unwrap(),
                "殡葬服务记录",
            )
        })
        .unwrap();
        compute(db, "2020-06");
        compute(db, "2020-07");
        assert_eq!(
            amounts(db, &orphan.id_number),
            vec![
                ("regular".to_string(), "2020-05".to_string(), 120_400),
                ("regular".to_string(), "2020-06".to_string(), 120_400)
            ],
            "{}",
            t.label
        );
    }
}

#[test]
fn an_imported_register_is_enrolled_whole_or_refused_line_by_line() {
    for t in minzheng_store::testing::databases("benefits_import") {
        let db = &t.db;
        setup(db);
        let line = |seq: u16, program: &str, community: &str| {
            format!(
                "{program},{},残联{seq},{community},1,,,,CQRCB,ssc,6230{seq:012},2020-01,",
                id(seq).as_str()
            )
        };
        let count = |db: &Db| -> i64 {
            db.read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM enrolment", params![])?
                    .get::<i64>(0)
            })
            .unwrap()
        };
        // Line 3 repeats line 2's person and program; line 4 is outside 渝中区 for a district
        // officer; line 5 ends before it starts.
        let bad = [
            minzheng_benefits::enrolments::IMPORT_COLUMNS.to_owned(),
            line(71, "disability_living", YUZHONG),
            line(71, "困难残疾人生活补贴", YUZHONG),
            line(72, "disability_care", "500106001001"),
            line(73, "disability_care", YUZHONG).replace("2020-01,", "2020-05,2020-01"),
        ]
        .join("\n");
        let officer = who(Role::DistrictAdmin, "500103", "yuzhong-admin");
        let refused = db.write(|tx| enrolments::import_csv(tx, &officer, &bad));
        let problems = match refused {
            Err(BenefitsError::Lines(p)) => p,
            other => panic!("{}: {other:?}", t.label),
        };
        assert_eq!(
            problems.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![3, 4, 5],
            "{problems:?}"
        );
        assert!(problems[0].reason.contains("与第 2 行为同一人同一项目"));
        assert!(problems[1].reason.contains("不在您的管辖范围内"));
        assert!(problems[2].reason.contains("早于起始月份"));
        assert_eq!(count(db), 0);

        let good = [
            line(71, "disability_living", YUZHONG),
            line(71, "disability_care", YUZHONG),
        ]
        .join("\n");
        let n = db
            .write(|tx| enrolments::import_csv(tx, &officer, &good))
            .unwrap();
        assert_eq!(n, 2);
        // Imported people are paid like anyone: each subsidy at its standard of the month.
        compute(db, "2020-01");
        let s = minzheng_benefits::programs::Standards::read(
            minzheng_kernel::params::ParamSet::builtin(),
            "500103",
            month("2020-01"),
        )
        .unwrap();
        let expected: Vec<(String, String, i64)> =
            [Program::DisabilityLiving, Program::DisabilityCare]
                .iter()
                .map(|p| {
                    (
                        "regular".to_owned(),
                        "2020-01".to_owned(),
                        s.standard_of(*p).unwrap().0,
                    )
                })
                .collect();
        assert_eq!(amounts(db, &id(71)), expected);
        let sources: Vec<String> = db
            .read(|tx| {
                tx.query("SELECT source FROM enrolment ORDER BY id", params![])?
                    .iter()
                    .map(|r| r.get(0))
                    .collect::<Result<Vec<String>, _>>()
            })
            .unwrap();
        assert_eq!(sources, vec!["imported", "imported"]);
        // The same file again: both already enrolled, nothing added.
        let again = db.write(|tx| enrolments::import_csv(tx, &officer, &good));
        assert!(
            matches!(again, Err(BenefitsError::Lines(ref p)) if p.len() == 2),
            "{again:?}"
        );
        assert_eq!(count(db), 2);
    }
}

#[test]
fn a_month_beyond_next_is_refused_and_nothing_is_written() {
    for t in minzheng_store::testing::databases("benefits_future_month") {
        let db = &t.db;
        setup(db);
        let orphan = new(Program::OrphanDispersed, 91, YUZHONG, "2020-01");
        db.write(|tx| enrolments::enrol(tx, &city(), &orphan))
            .unwrap();
        let count =
            |sql: &str| -> i64 { db.read(|tx| tx.query_one(sql, params![])?.get(0)).unwrap() };
        let audit = count("SELECT COUNT(*) FROM audit_log");
        let next =
            minzheng_kernel::month::Month::of(minzheng_kernel::id_number::china_today()).plus(1);
        let params = minzheng_kernel::params::ParamSet::builtin();
        for m in ["2030-01".to_owned(), next.plus(1).to_string()] {
            let refused = payroll::compute_month(db, &city(), month(&m), &mut |_, _, _| {});
            assert!(
                matches!(&refused, Err(BenefitsError::Invalid(msg))
                    if *msg == format!("不能生成 {m} 的发放名册：最远只能生成下个月（{next}）的名册")),
                "{}: {refused:?}",
                t.label
            );
            let one =
                db.write(|tx| payroll::compute_district(tx, &city(), params, month(&m), "500103"));
            assert!(
                matches!(one, Err(BenefitsError::Invalid(_))),
                "{}: {one:?}",
                t.label
            );
        }
        assert_eq!(
            count("SELECT COUNT(*) FROM payroll_cycle"),
            0,
            "{}",
            t.label
        );
        assert_eq!(count("SELECT COUNT(*) FROM payment"), 0, "{}", t.label);
        assert_eq!(
            count("SELECT COUNT(*) FROM audit_log"),
            audit,
            "{}",
            t.label
        );
        // Next month itself is computed (the banks pay before it starts).
        let out = payroll::compute_month(db, &city(), next, &mut |_, _, _| {}).unwrap();
        assert_eq!(out.districts.len(), 1, "{}", t.label);
    }
}
