//! Enrolments from the assistance area's decisions, on both backends: the payroll pays exactly
//! what each approved decision computed (dibao with supplements, tekun with its care tier,
//! temporary assistance once), from the first month the decision set; both sides agree again
//! after a standard change; a retry enrols nothing twice; the first-month proration is a
//! parameter; and a standard given twice for the same date is refused.

mod common;

use common::*;

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_benefits::BenefitsError;
use minzheng_benefits::decisions::{self, Payout};
use minzheng_benefits::enrolments::{self, NewEnrolment};
use minzheng_benefits::payroll;
use minzheng_benefits::programs::Program;
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::params::Confidence;
use minzheng_kernel::region::RegionCode;
use minzheng_reference::parameters::{self, NewParameter};
use minzheng_store::{Db, params};

fn payout(seq: i64) -> Payout {
    Payout {
        bank_code: "CQRCB".into(),
        account_kind: "ssc".into(),
        account_no: format!("6230{seq:012}"),
        institutional: false,
    }
}

fn setup(db: &Db) {
    db.write(parameters::sync_seed).unwrap();
    account(db, "yuzhong-street", Role::StreetOfficer, "500103001");
    account(db, "yuzhong-reviewer", Role::DistrictReviewer, "500103");
    account(db, "shapingba-street", Role::StreetOfficer, "500106001");
    account(db, "shapingba-reviewer", Role::DistrictReviewer, "500106");
    account(db, "jiefangbei-street", Role::StreetOfficer, "500103003");
    account(
        db,
        "yuzhong-community",
        Role::CommunityWorker,
        "500103001003",
    );
    account(
        db,
        "shapingba-community",
        Role::CommunityWorker,
        "500106001001",
    );
}

/// (application id, program, amount decided, first month)
fn approved(db: &Db) -> Vec<(i64, String, i64, String)> {
    db.read(|tx| {
        let rows = tx.query(
            "SELECT id, program, amount_fen, first_month FROM assistance_application WHERE state = 'approved' ORDER BY id",
            params![],
        )?;
        rows.iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
    })
    .unwrap()
}

fn line(db: &Db, enrolment: i64, month: &str) -> Option<(String, i64)> {
    db.read(|tx| {
        tx.query_opt(
            "SELECT kind, amount_fen FROM payment WHERE enrolment_id = $1 AND for_month = $2",
            params![enrolment, month],
        )?
        .map(|r| Ok::<_, minzheng_store::StoreError>((r.get(0)?, r.get(1)?)))
        .transpose()
    })
    .unwrap()
}

#[test]
fn the_payroll_pays_what_each_decision_computed() {
    for t in minzheng_store::testing::databases("benefits_decisions") {
        let db = &t.db;
        setup(db);
        let today = NaiveDate::from_ymd_opt(2020, 6, 15).unwrap();
        db.write(|tx| minzheng_assistance::demo::seed(tx, today))
            .unwrap();
        let decided = approved(db);
        let mut enrolled = Vec::new();
        for (i, (app, program, amount, first)) in decided.iter().enumerate() {
            let out = db
                .write(|tx| decisions::enrol_from_decision(tx, &city(), *app, &payout(i as i64)))
                .unwrap();
            assert!(!out.already);
            enrolled.push((out.enrolment_id, program.clone(), *amount, first.clone()));
        }
        let programs: std::collections::BTreeSet<&str> =
            decided.iter().map(|d| d.1.as_str()).collect();
        assert_eq!(
            programs.into_iter().collect::<Vec<_>>(),
            vec!["dibao", "tekun", "temporary_assistance"],
            "{}: the demo approves every program",
            t.label
        );
        // A retry enrols nothing twice.
        let again = db
            .write(|tx| decisions::enrol_from_decision(tx, &city(), decided[0].0, &payout(0)))
            .unwrap();
        assert!(again.already);
        assert_eq!(again.enrolment_id, enrolled[0].0);

        // June: every decision's first month is paid at exactly the amount decided (a regular
        // line for June, an arrears line for an earlier first month; temporary assistance once).
        payroll::compute_month(
            db,
            &city(),
            Month::parse("2020-06").unwrap(),
            &mut |_, _, _| {},
        )
        .unwrap();
        for (enrolment, program, amount, first) in &enrolled {
            let (kind, paid) = line(db, *enrolment, first)
                .unwrap_or_else(|| panic!("{}: no line for {program} {first}", t.label));
            assert_eq!(
                paid, *amount,
                "{}: {program} enrolment {enrolment}",
                t.label
            );
            let expected_kind = if first == "2020-06" {
                "regular"
            } else {
                "arrears"
            };
            assert_eq!(kind, expected_kind);
        }

        // July: the urban standard is 620. The payroll's amount for every dibao and tekun
        // enrolment equals what the assistance rule computes for the same household on 1 July.
        payroll::compute_month(
            db,
            &city(),
            Month::parse("2020-07").unwrap(),
            &mut |_, _, _| {},
        )
        .unwrap();
        let july = NaiveDate::from_ymd_opt(2020, 7, 1).unwrap();
        let mut compared = 0;
        for ((app, program, _, _), (enrolment, _, _, _)) in decided.iter().zip(&enrolled) {
            let paid = line(db, *enrolment, "2020-07");
            if program == "temporary_assistance" {
                assert_eq!(paid, None, "temporary assistance is paid once");
                continue;
            }
            let (rule, at_decision) = db
                .read(|tx| {
                    let case = minzheng_assistance::cases::load(tx, &city(), *app)?;
                    let decided = case_decided_on(tx, *app)?;
                    Ok::<_, minzheng_assistance::AssistanceError>((
                        minzheng_assistance::cases::compute_amount(tx, &case, july)?,
                        minzheng_assistance::cases::compute_amount(tx, &case, decided)?,
                    ))
                })
                .unwrap();
            // A member who turned 70 since the decision has a supplement the frozen facts do
            // not know yet (the periodic review adds it): the two differ by exactly that.
            let aged = rule.supplements.0 - at_decision.supplements.0;
            assert_eq!(
                paid.map(|p| p.1),
                Some(rule.total.0 - aged),
                "{}: application {app}",
                t.label
            );
            if aged == 0 {
                compared += 1;
            }
        }
        assert!(compared >= 4, "{compared}");
        // The decision's amount changed with the standard for the urban dibao households.
        assert!(
            decided
                .iter()
                .zip(&enrolled)
                .any(|((_, p, amount, _), (e, _, _, _))| p == "dibao"
                    && line(db, *e, "2020-07").unwrap().1 > *amount)
        );
    }
}

#[test]
fn first_month_proration_is_a_parameter_and_standards_do_not_overlap() {
    for t in minzheng_store::testing::databases("benefits_proration") {
        let db = &t.db;
        db.write(parameters::sync_seed).unwrap();
        let who = city();
        let admin = Principal {
            role: Role::CityAdmin,
            ..city()
        };
        let orphan = |seq: u16, start: &str| NewEnrolment {
            program: Program::OrphanDispersed,
            id_number: IdNumber::generate(
                "500103",
                NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(),
                seq,
            )
            .unwrap(),
            name: format!("儿童{seq}"),
            household_id: None,
            region_code: RegionCode::parse("500103001003").unwrap(),
            members: 1,
            counted_income: Fen(0),
            supplement: Fen(0),
            care_tier: None,
            bank_code: "CQRCB".into(),
            account_kind: "ssc".into(),
            account_no: format!("6230{seq:012}"),
            start_month: Month::parse(start).unwrap(),
            end_month: None,
            reason: "测试".into(),
        };
        // Decided on 11 June: without proration (Chongqing) the whole of June is paid.
        let whole = db
            .write(|tx| enrolments::enrol(tx, &who, &orphan(1, "2020-06")))
            .unwrap();
        // Proration switched on from 2020-07: decided on 11 July, 21 of 31 days are paid:
        // 1204 × 21 / 31 = 815.61 yuan.
        db.write(|tx| {
            parameters::add(
                tx,
                &admin,
                &NewParameter {
                    key: "dibao.payment.prorate_first_month".into(),
                    region_scope: "50".into(),
                    value: "1".into(),
                    valid_from: NaiveDate::from_ymd_opt(2020, 7, 1).unwrap(),
                    source: "测试用通知".into(),
                    confidence: Confidence::Open,
                    note: String::new(),
                },
            )
        })
        .unwrap();
        let part = db
            .write(|tx| enrolments::enrol(tx, &who, &orphan(2, "2020-07")))
            .unwrap();
        db.write(|tx| {
            tx.execute(
                "UPDATE enrolment SET decided_on = '2020-06-11' WHERE id = $1",
                params![whole],
            )?;
            tx.execute(
                "UPDATE enrolment SET decided_on = '2020-07-11' WHERE id = $1",
                params![part],
            )
        })
        .unwrap();
        for m in ["2020-06", "2020-07", "2020-08"] {
            payroll::compute_month(db, &who, Month::parse(m).unwrap(), &mut |_, _, _| {}).unwrap();
        }
        assert_eq!(
            line(db, whole, "2020-06").unwrap().1,
            120_400,
            "{}",
            t.label
        );
        assert_eq!(line(db, part, "2020-07").unwrap().1, 81_561);
        assert_eq!(line(db, part, "2020-08").unwrap().1, 120_400);

        // A second urban standard for a date that already has one is refused, nothing added.
        let before: i64 = db
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM policy_parameter", params![])?
                    .get::<i64>(0)
            })
            .unwrap();
        let twice = db.write(|tx| {
            parameters::add(
                tx,
                &admin,
                &NewParameter {
                    key: "dibao.standard.urban".into(),
                    region_scope: "50".into(),
                    value: "650".into(),
                    valid_from: NaiveDate::from_ymd_opt(2020, 7, 1).unwrap(),
                    source: "重复的通知".into(),
                    confidence: Confidence::S,
                    note: String::new(),
                },
            )
        });
        assert!(twice.is_err(), "{twice:?}");
        let after: i64 = db
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM policy_parameter", params![])?
                    .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(before, after);
    }
}

fn case_decided_on(
    tx: &mut minzheng_store::Tx<'_>,
    app: i64,
) -> Result<NaiveDate, minzheng_assistance::AssistanceError> {
    let d: String = tx
        .query_one(
            "SELECT decided_on FROM assistance_application WHERE id = $1",
            params![app],
        )?
        .get(0)?;
    Ok(NaiveDate::parse_from_str(&d, "%Y-%m-%d").unwrap())
}

#[test]
fn a_finished_enrolment_ends_so_the_person_can_be_enrolled_again() {
    for t in minzheng_store::testing::databases("benefits_ended") {
        let db = &t.db;
        db.write(parameters::sync_seed).unwrap();
        let who = city();
        let orphan = NewEnrolment {
            program: Program::OrphanDispersed,
            id_number: IdNumber::generate(
                "500103",
                NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(),
                81,
            )
            .unwrap(),
            name: "儿童81".into(),
            household_id: None,
            region_code: RegionCode::parse("500103001003").unwrap(),
            members: 1,
            counted_income: Fen(0),
            supplement: Fen(0),
            care_tier: None,
            bank_code: "CQRCB".into(),
            account_kind: "ssc".into(),
            account_no: "6230000000000081".into(),
            start_month: Month::parse("2020-05").unwrap(),
            end_month: Some(Month::parse("2020-06").unwrap()),
            reason: "测试".into(),
        };
        let first = db.write(|tx| enrolments::enrol(tx, &who, &orphan)).unwrap();
        // While it runs, the same person cannot be enrolled twice.
        let again = orphan.clone();
        assert!(db.write(|tx| enrolments::enrol(tx, &who, &again)).is_err());
        for m in ["2020-05", "2020-06", "2020-07"] {
            payroll::compute_month(db, &who, Month::parse(m).unwrap(), &mut |_, _, _| {}).unwrap();
        }
        assert_eq!(line(db, first, "2020-06").unwrap().1, 120_400);
        assert_eq!(line(db, first, "2020-07"), None);
        let (status, events): (String, i64) = db
            .read(|tx| {
                let s = tx
                    .query_one("SELECT status FROM enrolment WHERE id = $1", params![first])?
                    .get(0)?;
                let n = tx
                    .query_one(
                        "SELECT COUNT(*) FROM enrolment_event WHERE enrolment_id = $1 AND reason LIKE '期满%'",
                        params![first],
                    )?
                    .get(0)?;
                Ok::<_, minzheng_store::StoreError>((s, n))
            })
            .unwrap();
        assert_eq!((status.as_str(), events), ("stopped", 1), "{}", t.label);
        // A new decision for the same child from 2020-09 is enrolled.
        let renewed = NewEnrolment {
            start_month: Month::parse("2020-09").unwrap(),
            end_month: None,
            ..orphan.clone()
        };
        db.write(|tx| enrolments::enrol(tx, &who, &renewed))
            .unwrap();
        // Price subsidy and temporary assistance are not enrolled by hand.
        for program in [Program::PriceSubsidy, Program::TemporaryAssistance] {
            let e = NewEnrolment {
                program,
                ..orphan.clone()
            };
            let r = db.write(|tx| enrolments::enrol(tx, &who, &e));
            assert!(matches!(r, Err(BenefitsError::Invalid(_))), "{r:?}");
        }
    }
}
