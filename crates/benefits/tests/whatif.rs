//! Policy what-ifs on both backends: hand-computed households gained and lost by raising and
//! lowering a standard, the what-if equal to a real recompute once the parameter row exists, scope,
//! and nothing written.

mod common;

use common::*;

use chrono::NaiveDate;
use minzheng_access::Role;
use minzheng_benefits::BenefitsError;
use minzheng_benefits::enrolments::{self, NewEnrolment};
use minzheng_benefits::payroll;
use minzheng_benefits::programs::{CareTier, Program};
use minzheng_benefits::whatif::{self, Change, Figures, Outcome, Proposal};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::params::Confidence;
use minzheng_store::{Db, params};
use std::collections::BTreeMap;

fn id(district: &str, seq: u16) -> IdNumber {
    IdNumber::generate(district, NaiveDate::from_ymd_opt(1950, 1, 1).unwrap(), seq).unwrap()
}

fn new(program: Program, seq: u16, community: &str, start: &str) -> NewEnrolment {
    enrolment(program, id(&community[..6], seq), seq, community, start)
}

fn dibao(seq: u16, community: &str, members: i64, income: i64, supplement: i64) -> NewEnrolment {
    let mut e = new(Program::DibaoUrban, seq, community, "2020-01");
    e.members = members;
    e.counted_income = Fen(income);
    e.supplement = Fen(supplement);
    e
}

fn enrol_all(db: &Db, list: &[NewEnrolment]) {
    db.write(|tx| {
        for e in list {
            enrolments::enrol(tx, &city(), e)?;
        }
        Ok::<_, BenefitsError>(())
    })
    .unwrap();
}

fn change(program: Program, fen: i64, from: &str, region: Option<&str>) -> Proposal {
    Proposal {
        changes: vec![Change::new(program, Fen(fen), month(from), region).unwrap()],
    }
}

fn line(out: &Outcome, district: &str, program: Program) -> Figures {
    out.lines
        .iter()
        .find(|l| l.district == district && l.program == program)
        .map(|l| l.figures.clone())
        .unwrap_or_default()
}

fn counts(db: &Db) -> (i64, i64, i64, i64) {
    db.read(|tx| {
        let mut n = Vec::new();
        for table in ["enrolment", "payment", "audit_log", "policy_parameter"] {
            n.push(
                tx.query_one(&format!("SELECT COUNT(*) FROM {table}"), params![])?
                    .get::<i64>(0)?,
            );
        }
        Ok::<_, minzheng_store::StoreError>((n[0], n[1], n[2], n[3]))
    })
    .unwrap()
}

#[test]
fn raising_gains_and_lowering_loses_exact_households_and_cost() {
    for t in minzheng_store::testing::databases("benefits_whatif_hand") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        // 2020-03: urban standard 580 yuan.
        let gained = dibao(1, YUZHONG, 1, 60_000, 0); // 580 − 600 < 0: nothing; 620 − 600 = 20.
        let raised = dibao(2, YUZHONG, 3, 90_000, 6_000); // 3 × 580 − 900 + 60 = 900; at 620: 1020.
        let above = dibao(3, YUZHONG, 2, 124_000, 0); // 1240 ≥ 2 × 620: nothing either way.
        let rounded = dibao(4, YUZHONG, 2, 44_050, 0); // 1160 − 440.50 = 719.50 → 720; 799.50 → 800.
        let later = {
            let mut e = dibao(5, YUZHONG, 1, 0, 0);
            e.start_month = month("2020-04"); // not running in March: not considered
            e
        };
        let elsewhere = dibao(6, SHAPINGBA, 1, 0, 0); // 580 in 沙坪坝
        let disabled = new(Program::DisabilityLiving, 7, YUZHONG, "2020-01"); // 70, unchanged
        let mut tekun = new(Program::TekunDispersed, 8, YUZHONG, "2020-01");
        tekun.care_tier = Some(CareTier::Partial); // 754 + 200
        enrol_all(
            db,
            &[
                gained, raised, above, rounded, later, elsewhere, disabled, tekun,
            ],
        );
        let before = counts(db);

        let out = whatif::evaluate(
            db,
            &city(),
            &change(Program::DibaoUrban, 62_000, "2020-03", None),
            month("2020-03"),
        )
        .unwrap();
        assert_eq!(
            line(&out, "500103", Program::DibaoUrban),
            Figures {
                enrolments: 4,
                payable_now: 2,
                payable_proposed: 3,
                gained: 1,
                lost: 0,
                cost_now: 90_000 + 72_000,
                cost_proposed: 102_000 + 2_000 + 80_000,
            },
            "{}",
            t.label
        );
        assert_eq!(line(&out, "500103", Program::DibaoUrban).change(), 22_000);
        assert_eq!(
            line(&out, "500106", Program::DibaoUrban),
            Figures {
                enrolments: 1,
                payable_now: 1,
                payable_proposed: 1,
                gained: 0,
                lost: 0,
                cost_now: 58_000,
                cost_proposed: 62_000,
            }
        );
        let same = line(&out, "500103", Program::DisabilityLiving);
        assert_eq!((same.cost_now, same.cost_proposed), (7_000, 7_000));
        let tekun_line = line(&out, "500103", Program::TekunDispersed);
        assert_eq!((tekun_line.cost_now, tekun_line.change()), (95_400, 0));
        assert_eq!(out.total.change(), 22_000 + 4_000);
        assert_eq!(out.total.gained, 1);
        assert_eq!(out.total.enrolments, 7);
        assert_eq!(
            out.by_program
                .iter()
                .find(|(p, _)| *p == Program::DibaoUrban)
                .map(|(_, f)| (f.enrolments, f.change())),
            Some((5, 26_000))
        );

        // Before the change's month nothing changes.
        let early = whatif::evaluate(
            db,
            &city(),
            &change(Program::DibaoUrban, 62_000, "2020-04", None),
            month("2020-03"),
        )
        .unwrap();
        assert_eq!(early.total.change(), 0);
        assert_eq!(early.total.cost_now, out.total.cost_now);

        // Lowering to 300 from January: the household of 3 loses everything (3 × 300 − 900 = 0,
        // its supplement goes with it), the household of 2 keeps 600 − 440.50 = 159.50 → 160.
        let lower = whatif::evaluate(
            db,
            &city(),
            &change(Program::DibaoUrban, 30_000, "2020-01", Some("500103")),
            month("2020-03"),
        )
        .unwrap();
        assert_eq!(
            line(&lower, "500103", Program::DibaoUrban),
            Figures {
                enrolments: 4,
                payable_now: 2,
                payable_proposed: 1,
                gained: 0,
                lost: 1,
                cost_now: 162_000,
                cost_proposed: 16_000,
            },
            "{}",
            t.label
        );
        // Limited to 渝中区: 沙坪坝区 unchanged.
        assert_eq!(line(&lower, "500106", Program::DibaoUrban).change(), 0);
        assert_eq!(lower.total.change(), 16_000 - 162_000);

        // A district officer sees its district only; a reviewer may not run what-ifs.
        let district = who(Role::DistrictAdmin, "500106", "spb");
        let mine = whatif::evaluate(
            db,
            &district,
            &change(Program::DibaoUrban, 62_000, "2020-03", None),
            month("2020-03"),
        )
        .unwrap();
        assert_eq!(mine.lines.len(), 1);
        assert_eq!(mine.lines[0].district, "500106");
        let reviewer = who(Role::DistrictReviewer, "500103", "rev");
        let refused = whatif::evaluate(
            db,
            &reviewer,
            &change(Program::DibaoUrban, 62_000, "2020-03", None),
            month("2020-03"),
        );
        assert!(
            matches!(refused, Err(BenefitsError::Access(_))),
            "{refused:?}"
        );

        // Nothing was written by any of them.
        assert_eq!(counts(db), before, "{}", t.label);
    }
}

#[test]
fn whatif_equals_the_payroll_once_the_parameter_row_exists() {
    for t in minzheng_store::testing::databases("benefits_whatif_recompute") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        // 2020-09: urban standard 620 (from 2020-07). A spread of households around it, in two
        // districts, with the other programs beside them.
        let mut list = Vec::new();
        for i in 0..36u16 {
            let community = if i % 2 == 0 { YUZHONG } else { SHAPINGBA };
            let members = 1 + i64::from(i % 3);
            // Income per person from 560 to 700 yuan: some below 620, some between 620 and 650,
            // some above 650.
            let income = members * (56_000 + i64::from(i) * 400) + i64::from(i % 5) * 37;
            let supplement = if i % 4 == 0 { 6_000 } else { 0 };
            let mut e = dibao(100 + i, community, members, income, supplement);
            e.start_month = month(["2020-06", "2020-09", "2020-01"][usize::from(i % 3)]);
            list.push(e);
        }
        let mut tekun = new(Program::TekunInstitutional, 200, SHAPINGBA, "2020-02");
        tekun.care_tier = Some(CareTier::Full);
        list.push(tekun);
        list.push(new(Program::DisabilityCare, 201, YUZHONG, "2020-09"));
        list.push(new(Program::OrphanDispersed, 202, SHAPINGBA, "2020-05"));
        let mut ended = dibao(203, YUZHONG, 1, 0, 0);
        ended.end_month = Some(month("2020-08")); // ended before September: not considered
        list.push(ended);
        enrol_all(db, &list);

        let m = month("2020-09");
        let proposal = change(Program::DibaoUrban, 65_000, "2020-09", None);
        let out = whatif::evaluate(db, &city(), &proposal, m).unwrap();
        assert!(out.total.gained > 0, "{}: {:?}", t.label, out.total);
        assert!(out.total.change() > 0);

        // The real parameter row for the same standard, then the real payroll of the month.
        db.write(|tx| {
            minzheng_reference::parameters::add(
                tx,
                &city(),
                &minzheng_reference::parameters::NewParameter {
                    key: "dibao.standard.urban".into(),
                    region_scope: "50".into(),
                    value: "650".into(),
                    valid_from: NaiveDate::from_ymd_opt(2020, 9, 1).unwrap(),
                    source: "测算用".into(),
                    confidence: Confidence::Open,
                    note: String::new(),
                },
            )
        })
        .unwrap();
        payroll::compute_month(db, &city(), m, &mut |_, _, _| {}).unwrap();
        let paid: BTreeMap<(String, String), (u64, i64)> = db
            .read(|tx| {
                let rows = tx.query(
                    "SELECT substr(region_code, 1, 6), program, COUNT(*), CAST(SUM(amount_fen) AS BIGINT)
                     FROM payment WHERE kind = 'regular' AND for_month = $1
                     GROUP BY substr(region_code, 1, 6), program",
                    params![m.to_string()],
                )?;
                rows.iter()
                    .map(|r| Ok(((r.get(0)?, r.get(1)?), (r.get::<i64>(2)? as u64, r.get(3)?))))
                    .collect::<Result<BTreeMap<_, _>, minzheng_store::StoreError>>()
            })
            .unwrap();
        let proposed: BTreeMap<(String, String), (u64, i64)> = out
            .lines
            .iter()
            .filter(|l| l.figures.payable_proposed > 0)
            .map(|l| {
                (
                    (l.district.clone(), l.program.code().to_owned()),
                    (l.figures.payable_proposed, l.figures.cost_proposed),
                )
            })
            .collect();
        assert_eq!(proposed, paid, "{}", t.label);
        assert_eq!(proposed.len(), 5, "{}: {proposed:?}", t.label);

        // With the row in force, the same what-if now changes nothing.
        let again = whatif::evaluate(db, &city(), &proposal, m).unwrap();
        assert_eq!(again.total.change(), 0);
        assert_eq!(again.total.cost_now, out.total.cost_proposed);
    }
}

#[test]
fn refused_proposals_say_why() {
    let e = whatif::parse_change("price_subsidy", "100", "2020-07", None).unwrap_err();
    assert!(e.to_string().contains("没有按月的保障标准"), "{e}");
    let e = whatif::parse_change("dibao_urban", "六百", "2020-07", None).unwrap_err();
    assert!(e.to_string().contains("拟调整的标准"), "{e}");
    let e = whatif::parse_month("2020/07", "测算月份").unwrap_err();
    assert!(e.to_string().contains("测算月份"), "{e}");
    let e = whatif::parse_change("nope", "620", "2020-07", None).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
}

#[test]
fn the_page_shows_the_result_beside_todays_rules_and_refuses_with_the_reason() {
    use minzheng_web::testing::{Browser, TestServer};
    for t in minzheng_store::testing::databases("benefits_whatif_page") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        enrol_all(
            db,
            &[
                dibao(1, YUZHONG, 1, 60_000, 0),
                dibao(2, YUZHONG, 3, 90_000, 6_000),
            ],
        );
        account(db, "yz-whatif", Role::DistrictAdmin, "500103");
        account(db, "yz-reviewer", Role::DistrictReviewer, "500103");
        let before = counts(db);
        let server = TestServer::start(db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("yz-whatif", "Minzheng-2026");

        let form = b.get("/benefits/what-if");
        assert_eq!(form.status, 200, "{}: {}", t.label, form.text());
        assert!(form.text().contains("政策调整测算"));
        assert!(form.text().contains(r#"<option value="dibao_urban""#));
        assert!(!form.text().contains("price_subsidy"));

        let r = b.get(
            "/benefits/what-if?program=dibao_urban&standard=620&from=2020-03&month=2020-03&region=",
        );
        let text = r.text();
        assert_eq!(r.status, 200, "{}: {text}", t.label);
        assert!(
            text.contains("2020-03 月测算：城市低保标准 620.00 元，自 2020-03 起"),
            "{text}"
        );
        // Household of 1 gained (20 yuan), household of 3 raised 900 → 1020.
        assert!(
            text.contains("<td>500103 渝中区</td><td>城市低保</td><td>2</td><td>1</td><td>2</td><td>1</td><td>0</td><td>900.00</td><td>1040.00</td><td>+140.00</td>"),
            "{}: {text}",
            t.label
        );

        let bad =
            b.get("/benefits/what-if?program=dibao_urban&standard=abc&from=2020-03&month=2020-03");
        assert_eq!(bad.status, 400, "{}", bad.text());
        assert!(bad.text().contains("拟调整的标准"), "{}", bad.text());
        let bad =
            b.get("/benefits/what-if?program=dibao_urban&standard=620&from=2020-03&month=2020-3");
        assert_eq!(bad.status, 400);
        assert!(
            bad.text().contains("测算月份“2020-3”无效"),
            "{}",
            bad.text()
        );

        let mut reviewer = Browser::new(server.addr);
        reviewer.sign_in("yz-reviewer", "Minzheng-2026");
        assert_eq!(reviewer.get("/benefits/what-if").status, 403);
        assert_eq!(counts(db).0, before.0);
        assert_eq!(counts(db).1, before.1);
    }
}
