//! The price subsidy (价格临时补贴) on both backends: the trigger on either index, exact amounts
//! with the 15-yuan floor, the district lines the payroll pays (dibao households by members,
//! tekun, orphans, imported recipients; disability-only people excluded; one subsidy per person),
//! indices final once paid, an all-or-nothing recipients import, and the page over HTTP.

mod common;

use common::*;

use chrono::NaiveDate;
use minzheng_access::Role;
use minzheng_benefits::BenefitsError;
use minzheng_benefits::enrolments::{self, NewEnrolment};
use minzheng_benefits::prices::{self, PriceIndex, PriceLine, Recorded};
use minzheng_benefits::programs::{CareTier, Program};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::params::ParamSet;
use minzheng_store::{Db, params};
use minzheng_web::testing::{Browser, TestServer};

fn id(seq: u16) -> IdNumber {
    IdNumber::generate("500103", NaiveDate::from_ymd_opt(1960, 1, 1).unwrap(), seq).unwrap()
}

fn index(cpi: i64, food: i64, scpi: Option<i64>) -> PriceIndex {
    PriceIndex {
        cpi_yoy_bp: cpi,
        food_cpi_yoy_bp: food,
        scpi_yoy_bp: scpi,
    }
}

fn new(program: Program, seq: u16, community: &str) -> NewEnrolment {
    enrolment(program, id(seq), seq, community, "2019-01")
}

fn setup(db: &Db) {
    db.write(minzheng_reference::parameters::sync_seed).unwrap();
}

fn count(db: &Db, sql: &str) -> i64 {
    db.read(|tx| tx.query_one(sql, params![])?.get::<i64>(0))
        .unwrap()
}

fn lines(db: &Db, m: &str, district: &str) -> Vec<PriceLine> {
    db.read(|tx| {
        let p = minzheng_reference::parameters::parameter_set(tx)?;
        prices::district_lines(tx, &p, month(m), district)
    })
    .unwrap()
}

fn record(db: &Db, m: &str, cpi: &str, food: &str, scpi: &str) -> Result<Recorded, BenefitsError> {
    db.write(|tx| {
        prices::record_index(
            tx,
            &city(),
            month(m),
            cpi,
            food,
            scpi,
            "重庆市统计局 月度数据",
        )
    })
}

#[test]
fn trigger_on_either_index_and_none_below_the_thresholds() {
    let p = ParamSet::builtin();
    let m = month("2019-11");
    // CPI alone: 3.5 % reaches the 3.5 % threshold.
    let t = prices::trigger(p, m, &index(350, 100, None))
        .unwrap()
        .unwrap();
    assert!(t.by_cpi && !t.by_food);
    assert_eq!(
        t.explanation,
        "2019-11 启动价格临时补贴：CPI同比 3.5% ≥ 3.5%"
    );
    // Food alone: 6 % reaches the 6 % threshold.
    let t = prices::trigger(p, m, &index(200, 600, None))
        .unwrap()
        .unwrap();
    assert!(!t.by_cpi && t.by_food);
    assert_eq!(t.food_threshold_bp, 600);
    // Both.
    let t = prices::trigger(p, m, &index(450, 1910, None))
        .unwrap()
        .unwrap();
    assert!(t.by_cpi && t.by_food);
    // Just below both: 3.49 % and 5.99 %.
    assert_eq!(prices::trigger(p, m, &index(349, 599, None)).unwrap(), None);
    // 2022-09 to 2023-03 the CPI threshold was lowered to 3.0 %.
    assert!(
        prices::trigger(p, month("2022-10"), &index(300, 0, None))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        prices::trigger(p, month("2023-04"), &index(300, 0, None)).unwrap(),
        None
    );
}

#[test]
fn amount_is_the_average_standard_times_scpi_rounded_with_a_floor() {
    let p = ParamSet::builtin();
    let m = month("2019-11");
    // 2019-11: urban 580, rural 440, average 510 × SCPI 4.6 % = 23.46 → 23 yuan.
    let a = prices::amount(p, "500103", m, &index(300, 1910, Some(460)))
        .unwrap()
        .unwrap();
    assert_eq!(a.fen, Fen(2_300));
    assert_eq!(
        a.explanation,
        "价格临时补贴 2019-11：城乡低保标准平均 510.00 元 × SCPI 同比 4.6% = 23.46 元，取整 23.00 元"
    );
    // Half up: 510 × 4.7 % = 23.97 → 24.
    let a = prices::amount(p, "500103", m, &index(300, 1910, Some(470)))
        .unwrap()
        .unwrap();
    assert_eq!(a.fen, Fen(2_400));
    // A small SCPI: 510 × 2 % = 10.20 → 10, below the floor: 15.
    let a = prices::amount(p, "500103", m, &index(360, 100, Some(200)))
        .unwrap()
        .unwrap();
    assert_eq!(a.fen, Fen(1_500));
    assert_eq!(
        a.explanation,
        "价格临时补贴 2019-11：城乡低保标准平均 510.00 元 × SCPI 同比 2.0% = 10.20 元，取整 10.00 元，不足 15.00 元按 15.00 元发放"
    );
    // 2021-12: (636 + 515) / 2 = 575.50 × 3 % = 17.265 → 17.
    let a = prices::amount(p, "500103", month("2021-12"), &index(100, 600, Some(300)))
        .unwrap()
        .unwrap();
    assert_eq!(a.fen, Fen(1_700));
    assert!(a.explanation.contains("575.50 元"), "{}", a.explanation);
    // Not triggered: nothing, even with an SCPI.
    assert_eq!(
        prices::amount(p, "500103", m, &index(349, 599, Some(460))).unwrap(),
        None
    );
    // Triggered without the SCPI the amount needs: refused, not paid at a guess.
    let missing = prices::amount(p, "500103", m, &index(400, 100, None));
    assert!(
        matches!(missing, Err(BenefitsError::Invalid(ref m)) if m.contains("SCPI")),
        "{missing:?}"
    );
}

#[test]
fn district_lines_cover_each_person_once() {
    for t in minzheng_store::testing::databases("prices_lines") {
        let db = &t.db;
        setup(db);
        let mut dibao = new(Program::DibaoUrban, 11, YUZHONG);
        dibao.members = 3;
        dibao.counted_income = Fen(90_000);
        let mut tekun = new(Program::TekunDispersed, 13, YUZHONG);
        tekun.care_tier = Some(CareTier::Partial);
        let orphan = new(Program::OrphanDispersed, 15, YUZHONG);
        let disabled = new(Program::DisabilityLiving, 17, YUZHONG);
        // One person on two covered programs is paid once.
        let mut twice_tekun = new(Program::TekunInstitutional, 19, YUZHONG);
        twice_tekun.care_tier = Some(CareTier::Full);
        let twice_orphan = new(Program::OrphanInstitutional, 19, YUZHONG);
        // Covered only from 2021-11 (children's groups); enrolled from the allowance's first month.
        let child = NewEnrolment {
            start_month: month("2020-01"),
            ..new(Program::UnattendedChild, 21, YUZHONG)
        };
        // Another district.
        let elsewhere = new(Program::TekunDispersed, 23, SHAPINGBA);
        let elsewhere = NewEnrolment {
            care_tier: Some(CareTier::SelfCare),
            ..elsewhere
        };
        db.write(|tx| {
            for e in [
                &dibao,
                &tekun,
                &orphan,
                &disabled,
                &twice_tekun,
                &twice_orphan,
                &child,
                &elsewhere,
            ] {
                enrolments::enrol(tx, &city(), e)?;
            }
            Ok::<_, BenefitsError>(())
        })
        .unwrap();
        // An unemployment-insurance recipient (also the tekun person: paid once), and one in
        // Shapingba.
        let csv = format!(
            "{}\nunemployment_insurance,{},失业甲,{YUZHONG},ICBC,bank,6222000011112222,2019-06,2020-06\n\
             领取失业保险金人员,{},特困兼失业,{YUZHONG},ICBC,bank,6222000011113333,2019-06,\n\
             entitled_groups,{},优抚乙,{SHAPINGBA},CCB,bank,6227000011114444,2018-01,\n",
            prices::RECIPIENT_COLUMNS,
            id(31).as_str(),
            id(13).as_str(),
            id(33).as_str(),
        );
        let imported = db
            .write(|tx| prices::import_recipients(tx, &city(), &csv))
            .unwrap();
        assert_eq!(imported, 3, "{}", t.label);

        // No indices for the month: nothing.
        assert!(lines(db, "2019-11", "500103").is_empty());
        // Entered but below both thresholds: nothing.
        assert_eq!(
            record(db, "2019-10", "3.0", "5.99", "").unwrap(),
            Recorded::Created
        );
        assert!(lines(db, "2019-10", "500103").is_empty());

        // 2019-11: food CPI 19.1 %, SCPI 4.6 %: 23 yuan a person.
        assert_eq!(
            record(db, "2019-11", "3.8", "19.1", "4.6").unwrap(),
            Recorded::Created
        );
        let got = lines(db, "2019-11", "500103");
        let by_id = |n: &IdNumber| got.iter().find(|l| l.id_number == n.as_str());
        assert_eq!(got.len(), 5, "{}: {got:#?}", t.label);
        // Dibao household of 3: 69 yuan to its beneficiary.
        let d = by_id(&dibao.id_number).unwrap();
        assert_eq!(d.amount, Fen(6_900));
        assert!(d.enrolment_id > 0 && d.recipient_id().is_none());
        assert_eq!(
            d.explanation,
            "价格临时补贴 2019-11：城乡低保标准平均 510.00 元 × SCPI 同比 4.6% = 23.46 元，取整 23.00 元；城市低保家庭保障 3 人，合计 69.00 元"
        );
        assert_eq!(d.region_code, YUZHONG);
        assert_eq!(d.bank_code, "CQRCB");
        assert_eq!(d.for_month, month("2019-11"));
        assert_eq!(by_id(&tekun.id_number).unwrap().amount, Fen(2_300));
        assert!(
            by_id(&tekun.id_number).unwrap().enrolment_id > 0,
            "enrolment kept over the import"
        );
        assert_eq!(by_id(&orphan.id_number).unwrap().amount, Fen(2_300));
        assert_eq!(
            got.iter()
                .filter(|l| l.id_number == twice_tekun.id_number.as_str())
                .count(),
            1
        );
        assert!(
            by_id(&disabled.id_number).is_none(),
            "disability only: not covered"
        );
        assert!(
            by_id(&child.id_number).is_none(),
            "children's groups covered from 2021-11"
        );
        let u = by_id(&id(31)).unwrap();
        assert_eq!(u.amount, Fen(2_300));
        assert_eq!(u.bank_code, "ICBC");
        assert!(u.enrolment_id < 0);
        let rid: i64 = db
            .read(|tx| {
                tx.query_one(
                    "SELECT id FROM price_subsidy_recipient WHERE id_number = $1",
                    params![id(31).as_str()],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(u.recipient_id(), Some(rid));
        assert!(
            u.explanation.ends_with("；领取失业保险金人员"),
            "{}",
            u.explanation
        );
        let total: i64 = got.iter().map(|l| l.amount.0).sum();
        assert_eq!(total, 6_900 + 4 * 2_300);

        // Shapingba: the tekun person and the entitled-groups recipient.
        let sha = lines(db, "2019-11", "500106");
        assert_eq!(sha.len(), 2, "{}: {sha:#?}", t.label);
        assert!(sha.iter().all(|l| l.amount == Fen(2_300)));

        // 2021-12: 17 yuan; the unattended child is covered now; the UI recipient's period ended.
        assert_eq!(
            record(db, "2021-12", "1.0", "6.0", "3.0").unwrap(),
            Recorded::Created
        );
        let dec = lines(db, "2021-12", "500103");
        assert_eq!(dec.len(), 5, "{}: {dec:#?}", t.label);
        assert_eq!(
            dec.iter()
                .find(|l| l.id_number == child.id_number.as_str())
                .unwrap()
                .amount,
            Fen(1_700)
        );
        assert!(dec.iter().all(|l| l.id_number != id(31).as_str()));
        assert_eq!(
            dec.iter()
                .find(|l| l.id_number == dibao.id_number.as_str())
                .unwrap()
                .amount,
            Fen(5_100)
        );
    }
}

#[test]
fn indices_are_corrected_with_an_audit_row_and_final_once_paid() {
    for t in minzheng_store::testing::databases("prices_record") {
        let db = &t.db;
        setup(db);
        let audit_rows = |db: &Db| count(db, "SELECT COUNT(*) FROM audit_log");
        assert_eq!(
            record(db, "2019-11", "3.8", "19.1", "4.6").unwrap(),
            Recorded::Created
        );
        let a0 = audit_rows(db);
        // The same again: nothing changes.
        assert_eq!(
            record(db, "2019-11", "3.80", "19.10", "4.6").unwrap(),
            Recorded::Unchanged
        );
        assert_eq!(audit_rows(db), a0);
        // A correction: updated, with before and after in the audit row.
        assert_eq!(
            record(db, "2019-11", "3.8", "19.1", "4.7").unwrap(),
            Recorded::Corrected
        );
        assert_eq!(audit_rows(db), a0 + 1);
        let detail: String = db
            .read(|tx| {
                tx.query_one(
                    "SELECT detail FROM audit_log WHERE action = 'benefits.price_index.correct'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(detail["before"]["scpi_yoy_bp"], 460);
        assert_eq!(detail["after"]["scpi_yoy_bp"], 470);

        // Bad input: refused, nothing changed.
        for (cpi, food, scpi) in [
            ("36", "19.1", "4.7"),    // implausible CPI
            ("3.8", "19.123", "4.7"), // three decimals
            ("3,8", "19.1", "4.7"),   // a comma
            ("3.8", "19.1", ""),      // triggered without SCPI
        ] {
            let r = record(db, "2019-11", cpi, food, scpi);
            assert!(
                matches!(r, Err(BenefitsError::Invalid(_))),
                "{cpi} {food} {scpi}: {r:?}"
            );
        }
        // A month not over yet.
        let next = Month::of(minzheng_kernel::id_number::china_today());
        let r = db.write(|tx| prices::record_index(tx, &city(), next, "1", "1", "", "x"));
        assert!(matches!(r, Err(BenefitsError::Invalid(_))), "{r:?}");
        // Not allowed without the permission.
        let district = who(Role::DistrictAdmin, "500103", "district");
        let r =
            db.write(|tx| prices::record_index(tx, &district, month("2019-12"), "1", "1", "", "x"));
        assert!(matches!(r, Err(BenefitsError::Access(_))), "{r:?}");

        // Paid: a price-subsidy payment for 2019-11 exists. A change is refused and nothing moves.
        db.write(|tx| {
            tx.execute(
                "INSERT INTO payment (cycle_id, enrolment_id, program, id_number, region_code, bank_code, kind,
                     for_month, amount_fen, explanation)
                 VALUES (1, 1, 'price_subsidy', $1, $2, 'CQRCB', 'regular', '2019-11', 2400, 'x')",
                params![id(11).as_str(), YUZHONG],
            )
        })
        .unwrap();
        let a1 = audit_rows(db);
        let paid_in = |d: &str| {
            db.read(|tx| prices::paid_in_district(tx, month("2019-11"), d))
                .unwrap()
        };
        assert!(paid_in("500103") && !paid_in("500106"));
        let r = record(db, "2019-11", "3.8", "19.1", "5.0");
        assert!(
            matches!(r, Err(BenefitsError::Conflict(ref m)) if m.contains("已经发放")),
            "{r:?}"
        );
        let stored = db
            .read(|tx| prices::index_of(tx, month("2019-11")))
            .unwrap()
            .unwrap();
        assert_eq!(stored.index, index(380, 1910, Some(470)));
        assert_eq!(audit_rows(db), a1);
        // Another month is still open.
        assert_eq!(
            record(db, "2019-12", "4.5", "17.4", "4.9").unwrap(),
            Recorded::Created
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM price_index"),
            2,
            "{}",
            t.label
        );
    }
}

#[test]
fn a_bad_import_line_is_named_and_nothing_is_imported() {
    for t in minzheng_store::testing::databases("prices_import") {
        let db = &t.db;
        setup(db);
        let good = |seq: u16| {
            format!(
                "entitled_groups,{},优抚{seq},{YUZHONG},CQRCB,ssc,6230{seq:012},2019-01,",
                id(seq).as_str()
            )
        };
        let mut bad_id = id(42).as_str().to_owned();
        bad_id.replace_range(17..18, if bad_id.ends_with('0') { "1" } else { "0" });
        let csv = format!(
            "{}\n{}\nentitled_groups,{bad_id},错号,{YUZHONG},CQRCB,ssc,6230000000000042,2019-01,\n\n{}\nentitled_groups,{},错区,500103001,CQRCB,ssc,62300000044,2019-01,\n",
            good(40),
            good(41),
            good(43),
            id(44).as_str()
        );
        let r = db.write(|tx| prices::import_recipients(tx, &city(), &csv));
        let m = match r {
            Err(e @ BenefitsError::Lines(_)) => e.to_string(),
            other => panic!("{}: {other:?}", t.label),
        };
        assert!(m.contains("有 2 处问题"), "{m}");
        assert!(m.contains("第 3 行，身份证号：身份证号码"), "{m}");
        assert!(m.contains("第 6 行，区划代码："), "{m}");
        assert_eq!(count(db, "SELECT COUNT(*) FROM price_subsidy_recipient"), 0);

        // The good lines alone import; the same file again overlaps and is refused whole.
        let ok = format!("{}\n{}\n", good(40), good(41));
        assert_eq!(
            db.write(|tx| prices::import_recipients(tx, &city(), &ok))
                .unwrap(),
            2
        );
        let again = format!("{}\n{}\n", good(45), good(40));
        let r = db.write(|tx| prices::import_recipients(tx, &city(), &again));
        assert!(
            matches!(&r, Err(e @ BenefitsError::Lines(_)) if e.to_string().contains("第 2 行：此人已登记为优抚对象")),
            "{r:?}"
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM price_subsidy_recipient"), 2);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'benefits.price_recipient.import'"
            ),
            2,
            "{}",
            t.label
        );
    }
}

#[test]
fn the_page_lists_months_records_indices_and_imports_recipients() {
    for t in minzheng_store::testing::databases("prices_http") {
        let db = &t.db;
        setup(db);
        account(db, "cityprice", Role::CityAdmin, "50");
        account(db, "yuzhong", Role::DistrictAdmin, "500103");
        let server = TestServer::start(db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("cityprice", PASSWORD);
        let empty = b.get("/benefits/prices");
        assert_eq!(empty.status, 200, "{}: {}", t.label, empty.text());
        assert!(empty.text().contains("尚未录入物价指数"));

        let fields = |cpi: &'static str| {
            [
                ("month", "2019-11"),
                ("cpi", cpi),
                ("food", "19.1"),
                ("scpi", "4.6"),
                ("source", "重庆市统计局"),
            ]
        };
        let r = b.post_form("/benefits/prices", &fields("3.8"));
        assert_eq!(r.status, 303, "{}: {}", t.label, r.text());
        let page = b.get(r.header("location").unwrap());
        let text = page.text();
        assert!(text.contains("2019-11 物价指数已录入"), "{text}");
        assert!(text.contains("食品CPI同比 19.1% ≥ 6.0%"), "{text}");
        assert!(text.contains("取整 23.00 元"), "{text}");

        // A typing error is refused with the reason, and what was typed stays in the form.
        let bad = b.post_form("/benefits/prices", &fields("38"));
        assert_eq!(bad.status, 400);
        assert!(bad.text().contains("不在合理范围"), "{}", bad.text());
        assert!(bad.text().contains("value=\"38\""));

        // Import: a bad line refuses the whole text, with its line number.
        let good = format!(
            "unemployment_insurance,{},失业甲,{YUZHONG},ICBC,bank,6222000011112222,2019-06,",
            id(31).as_str()
        );
        let csv =
            format!("{good}\nunemployment_insurance,123,失业乙,{YUZHONG},ICBC,bank,1,2019-06,");
        let bad = b.post_form("/benefits/prices/recipients", &[("csv", &csv)]);
        assert_eq!(bad.status, 400);
        assert!(bad.text().contains("第 2 行"), "{}", bad.text());
        assert_eq!(count(db, "SELECT COUNT(*) FROM price_subsidy_recipient"), 0);
        let r = b.post_form("/benefits/prices/recipients", &[("csv", &good)]);
        assert_eq!(r.status, 303, "{}", r.text());
        let page = b.get(r.header("location").unwrap());
        assert!(page.text().contains("已导入 1 名补贴对象"));
        assert!(
            page.text()
                .contains("领取失业保险金人员（unemployment_insurance）：1 人")
        );

        // A district administrator reads the page but may not enter indices.
        let mut d = Browser::new(server.addr);
        d.sign_in("yuzhong", PASSWORD);
        let page = d.get("/benefits/prices");
        assert_eq!(page.status, 200);
        assert!(
            !page
                .text()
                .contains("action=\"/benefits/prices/recipients\"")
        );
        let r = d.post_form("/benefits/prices", &fields("3.9"));
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            db.read(|tx| prices::index_of(tx, month("2019-11")))
                .unwrap()
                .unwrap()
                .index
                .cpi_yoy_bp,
            380
        );
    }
}

/// (program, for_month, amount) of a person's price-subsidy lines.
fn subsidy_lines(db: &Db, id_number: &IdNumber) -> Vec<(String, i64)> {
    db.read(|tx| {
        let rows = tx.query(
            "SELECT for_month, amount_fen FROM payment WHERE program = 'price_subsidy' AND id_number = $1 ORDER BY id",
            params![id_number.as_str()],
        )?;
        rows.iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
    })
    .unwrap()
}

#[test]
fn the_subsidy_joins_the_next_cycle_once() {
    for t in minzheng_store::testing::databases("prices_cycle") {
        let db = &t.db;
        setup(db);
        let mut dibao = new(Program::DibaoUrban, 41, YUZHONG);
        dibao.members = 3;
        dibao.counted_income = Fen(90_000);
        let orphan = new(Program::OrphanDispersed, 43, YUZHONG);
        db.write(|tx| {
            enrolments::enrol(tx, &city(), &dibao)?;
            enrolments::enrol(tx, &city(), &orphan)?;
            Ok::<_, BenefitsError>(())
        })
        .unwrap();
        let compute = |m: &str| {
            minzheng_benefits::payroll::compute_month(db, &city(), month(m), &mut |_, _, _| {})
                .unwrap()
        };
        compute("2019-11");
        // November's indices are published in December: SCPI 4.6 % of the average standard
        // 510 yuan = 23.46, 23 yuan a person.
        record(db, "2019-11", "4.5", "19.1", "4.6").unwrap();
        let december = compute("2019-12");
        assert_eq!(
            december
                .districts
                .iter()
                .map(|d| d.price_subsidies)
                .sum::<u64>(),
            2,
            "{}",
            t.label
        );
        assert_eq!(
            subsidy_lines(db, &dibao.id_number),
            vec![("2019-11".to_owned(), 6_900)]
        );
        assert_eq!(
            subsidy_lines(db, &orphan.id_number),
            vec![("2019-11".to_owned(), 2_300)]
        );
        // The next cycle does not pay November again, and its indices are now final.
        let january = compute("2020-01");
        assert_eq!(
            january
                .districts
                .iter()
                .map(|d| d.price_subsidies)
                .sum::<u64>(),
            0
        );
        assert_eq!(subsidy_lines(db, &orphan.id_number).len(), 1);
        assert!(record(db, "2019-11", "4.5", "19.1", "4.7").is_err());
    }
}

#[test]
fn a_failed_subsidy_to_an_imported_recipient_is_reissued_to_their_account() {
    for t in minzheng_store::testing::databases("prices_reissue") {
        let db = &t.db;
        setup(db);
        let csv = format!(
            "unemployment_insurance,{},失业丙,{YUZHONG},ICBC,bank,6222000011115555,2019-06,\n",
            id(51).as_str()
        );
        db.write(|tx| prices::import_recipients(tx, &city(), &csv))
            .unwrap();
        record(db, "2019-11", "4.5", "19.1", "4.6").unwrap();
        let compute = |m: &str| {
            minzheng_benefits::payroll::compute_month(db, &city(), month(m), &mut |_, _, _| {})
                .unwrap()
        };
        compute("2019-12");
        let cycle = db
            .read(|tx| minzheng_benefits::payroll::cycles(tx, &city(), month("2019-12")))
            .unwrap()
            .remove(0);
        let district = who(Role::DistrictAdmin, "500103", "yz");
        db.write(|tx| minzheng_benefits::payroll::advance(tx, &district, cycle.id, "approved"))
            .unwrap();
        db.write(|tx| minzheng_benefits::payroll::advance(tx, &city(), cycle.id, "authorized"))
            .unwrap();
        let release = db
            .write(|tx| minzheng_benefits::bank::release(tx, &city(), cycle.id))
            .unwrap();
        assert_eq!(release.files.len(), 1, "{}", t.label);
        let mut issued = Vec::new();
        db.read(|tx| {
            minzheng_benefits::bank::write_file(tx, &city(), release.files[0].id, &mut issued)
        })
        .unwrap();
        // The bank was busy: the one line failed with a code it will retry.
        let text = String::from_utf8(issued).unwrap();
        let mut lines = text.lines();
        let answer = format!(
            "{}\r\n{},F,2001,系统繁忙\r\n",
            lines.next().unwrap(),
            lines.next().unwrap()
        );
        db.write(|tx| {
            minzheng_benefits::bank::import_return(
                tx,
                &city(),
                release.files[0].id,
                answer.as_bytes(),
            )
        })
        .unwrap();
        compute("2020-01");
        let reissued: Vec<(String, String, i64, String)> = db
            .read(|tx| {
                tx.query(
                    "SELECT program, for_month, amount_fen, account_no FROM payment WHERE kind = 'reissue'",
                    params![],
                )?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
            })
            .unwrap();
        assert_eq!(
            reissued,
            vec![(
                "price_subsidy".to_owned(),
                "2019-11".to_owned(),
                2_300,
                "6222000011115555".to_owned()
            )]
        );
    }
}
