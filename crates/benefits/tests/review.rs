//! Periodic review (动态管理, RULES.md §1.6) on both backends: the interval of each household
//! situation for urban and rural dibao with exact due months, idempotent scheduling, a decrease
//! that changes the next month's payment and not the computed one, a stop refused without a
//! written reason, and the phase-out period (渐退期) in force from 2021-07 but not before.

mod common;

use common::*;

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_benefits::BenefitsError;
use minzheng_benefits::enrolments::{self, NewEnrolment};
use minzheng_benefits::payroll;
use minzheng_benefits::programs::Program;
use minzheng_benefits::review::{self, Category, Figures, Finding, Outcome};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_store::{Db, params};

/// The district office of 渝中区: enrols, reviews.
fn district() -> Principal {
    who(Role::DistrictAdmin, "500103", "yuzhong")
}

fn id(seq: u16) -> IdNumber {
    IdNumber::generate("500103", NaiveDate::from_ymd_opt(1960, 1, 1).unwrap(), seq).unwrap()
}

/// 渝中区 七星岗街道 华一坡社区 (urban), and a village code under the same street (rural: the
/// 201 village part; synthetic, so one district office covers both).
const URBAN: &str = "500103001003";
const RURAL: &str = "500103001201";

fn household(
    program: Program,
    seq: u16,
    community: &str,
    start: &str,
    members: i64,
    income: i64,
) -> NewEnrolment {
    NewEnrolment {
        name: format!("复核{seq}"),
        members,
        counted_income: Fen(income),
        ..common::enrolment(program, id(seq), seq, community, start)
    }
}

fn setup(db: &Db) {
    db.write(minzheng_reference::parameters::sync_seed).unwrap();
}

fn enrol(db: &Db, e: &NewEnrolment) -> i64 {
    db.write(|tx| enrolments::enrol(tx, &district(), e))
        .unwrap()
}

fn compute(db: &Db, m: &str) {
    payroll::compute_month(db, &city(), month(m), &mut |_, _, _| {}).unwrap();
}

fn schedule(db: &Db, m: &str) -> review::ScheduleOutcome {
    db.write(|tx| review::schedule(tx, &district(), month(m)))
        .unwrap()
}

/// The open task of an enrolment: (id, category, interval, key, due month).
fn open_task(db: &Db, enrolment_id: i64) -> (i64, String, i64, String, String) {
    db.read(|tx| {
        let r = tx.query_one(
            "SELECT id, category, interval_months, interval_key, due_month FROM review_task
             WHERE enrolment_id = $1 AND status = 'due'",
            params![enrolment_id],
        )?;
        Ok::<_, minzheng_store::StoreError>((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
}

fn lines(db: &Db, id_number: &IdNumber) -> Vec<(String, String, i64)> {
    db.read(|tx| {
        let rows = tx.query(
            "SELECT kind, for_month, amount_fen FROM payment WHERE id_number = $1 ORDER BY for_month, id",
            params![id_number.as_str()],
        )?;
        rows.iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
    })
    .unwrap()
}

fn count(db: &Db, sql: &str) -> i64 {
    db.read(|tx| tx.query_one(sql, params![])?.get::<i64>(0))
        .unwrap()
}

/// (status, end_month, members, counted_income_fen) of an enrolment.
fn enrolment(db: &Db, id: i64) -> (String, Option<String>, i64, i64) {
    db.read(|tx| {
        let r = tx.query_one(
            "SELECT status, end_month, members, counted_income_fen FROM enrolment WHERE id = $1",
            params![id],
        )?;
        Ok::<_, minzheng_store::StoreError>((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })
    .unwrap()
}

fn record(db: &Db, task: i64, f: &Finding) -> Result<review::Recorded, BenefitsError> {
    db.write(|tx| review::record_outcome(tx, &district(), task, f))
}

fn finding(outcome: Outcome, m: &str, reason: &str, figures: Option<(i64, i64)>) -> Finding {
    Finding {
        outcome,
        review_month: month(m),
        reason: reason.into(),
        figures: figures.map(|(members, income)| Figures {
            members,
            counted_income: Fen(income),
            supplement: Fen(0),
        }),
    }
}

#[test]
fn intervals_per_category_urban_and_rural_and_idempotent_scheduling() {
    for t in minzheng_store::testing::databases("review_intervals") {
        let db = &t.db;
        setup(db);
        let start = "2021-01";
        let cases = [
            // (program, community, category set by staff, expected due month, expected key)
            (
                Program::DibaoUrban,
                URBAN,
                Some(Category::AbleUnemployed),
                "2021-02",
                "dibao.review.interval.able_unemployed_urban",
            ),
            (
                Program::DibaoRural,
                RURAL,
                Some(Category::AbleUnemployed),
                "2021-04",
                "dibao.review.interval.able_unemployed_rural",
            ),
            (
                Program::DibaoUrban,
                URBAN,
                Some(Category::SevereMemberStable),
                "2022-01",
                "dibao.review.interval.severe_member_stable_income",
            ),
            (
                Program::DibaoRural,
                RURAL,
                Some(Category::SevereMemberStable),
                "2022-01",
                "dibao.review.interval.severe_member_stable_income",
            ),
            (
                Program::DibaoUrban,
                URBAN,
                None,
                "2021-07",
                "dibao.review.interval.stable",
            ),
            (
                Program::DibaoRural,
                RURAL,
                Some(Category::Stable),
                "2021-07",
                "dibao.review.interval.stable",
            ),
        ];
        let mut ids = Vec::new();
        for (i, (program, community, category, _, _)) in cases.iter().enumerate() {
            let e = household(*program, 100 + i as u16, community, start, 2, 30_000);
            let eid = enrol(db, &e);
            if let Some(c) = category {
                db.write(|tx| review::set_category(tx, &district(), eid, *c, "入户调查记录"))
                    .unwrap();
            }
            ids.push(eid);
        }
        // A tekun person is not reviewed here, nor a dibao enrolment starting after the month.
        let mut tekun = household(Program::TekunDispersed, 120, URBAN, start, 1, 0);
        tekun.care_tier = Some(minzheng_benefits::programs::CareTier::SelfCare);
        enrol(db, &tekun);
        enrol(
            db,
            &household(Program::DibaoUrban, 121, URBAN, "2021-02", 1, 0),
        );

        let first = schedule(db, start);
        assert_eq!(first.created, 6, "{}: {first:?}", t.label);
        assert_eq!(
            first.profiles_created, 1,
            "{}: the urban one left unset",
            t.label
        );
        for (eid, (_, _, category, due, key)) in ids.iter().zip(cases.iter()) {
            let (_, cat, _, k, d) = open_task(db, *eid);
            assert_eq!(&d, due, "{}: enrolment {eid}", t.label);
            assert_eq!(&k, key, "{}", t.label);
            assert_eq!(
                cat,
                category.unwrap_or(Category::Stable).code(),
                "{}",
                t.label
            );
        }
        let (_, _, months, _, _) = open_task(db, ids[0]);
        assert_eq!(months, 1, "{}: urban able-unemployed monthly", t.label);
        let (_, _, months, _, _) = open_task(db, ids[1]);
        assert_eq!(months, 3, "{}: rural able-unemployed quarterly", t.label);

        // Scheduling again the same month changes nothing and says so.
        let again = schedule(db, start);
        assert!(!again.changed(), "{}: {again:?}", t.label);
        assert_eq!(again.already_open, 6);
        assert!(again.message_zh().contains("没有新增"));
        assert_eq!(count(db, "SELECT COUNT(*) FROM review_task"), 6);
        assert_eq!(count(db, "SELECT COUNT(*) FROM review_profile"), 6);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'benefits.review.schedule'"
            ),
            1,
            "{}: one audit row for the run that changed something",
            t.label
        );

        // The worklist: due by 2021-07, most overdue first.
        let list = db
            .read(|tx| review::due(tx, &district(), month("2021-07")))
            .unwrap();
        let seen: Vec<(i64, String, i32)> = list
            .iter()
            .map(|d| (d.enrolment_id, d.due_month.clone(), d.overdue_months))
            .collect();
        assert_eq!(
            seen,
            vec![
                (ids[0], "2021-02".into(), 5),
                (ids[1], "2021-04".into(), 3),
                (ids[4], "2021-07".into(), 0),
                (ids[5], "2021-07".into(), 0),
            ],
            "{}",
            t.label
        );
        // Another district's office sees none of them.
        let other = who(Role::DistrictAdmin, "500106", "shapingba");
        assert!(
            db.read(|tx| review::due(tx, &other, month("2021-07")))
                .unwrap()
                .is_empty()
        );

        // Recording the monthly review schedules the next one a month on; the quarterly one three.
        let (task, ..) = open_task(db, ids[0]);
        let done = record(db, task, &finding(Outcome::Unchanged, "2021-02", "", None)).unwrap();
        assert_eq!(done.next_task.map(|(_, d)| d), Some(month("2021-03")));
        let (task, ..) = open_task(db, ids[1]);
        let done = record(db, task, &finding(Outcome::Unchanged, "2021-05", "", None)).unwrap();
        assert_eq!(done.next_task.map(|(_, d)| d), Some(month("2021-08")));
        // Recording twice is refused.
        let twice = record(db, task, &finding(Outcome::Unchanged, "2021-05", "", None));
        assert!(
            matches!(twice, Err(BenefitsError::Conflict(_))),
            "{twice:?}"
        );
        // The next scheduling run finds every enrolment with its open task.
        let third = schedule(db, "2021-05");
        assert_eq!(
            (third.created, third.already_open),
            (1, 6),
            "{}: {third:?}",
            t.label
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM enrolment_event WHERE reason LIKE '定期复核%'"
            ),
            2
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'benefits.review.record'"
            ),
            2
        );
        // Staff find a seriously ill member in the rural stable household: its open task moves
        // from 2021-07 to a year after the start.
        db.write(|tx| {
            review::set_category(
                tx,
                &district(),
                ids[5],
                Category::SevereMemberStable,
                "住院证明",
            )
        })
        .unwrap();
        let (_, cat, months, _, due) = open_task(db, ids[5]);
        assert_eq!(
            (cat.as_str(), months, due.as_str()),
            ("severe_member_stable", 12, "2022-01")
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'benefits.review.category'"
            ),
            6,
            "{}: five set before scheduling, one now",
            t.label
        );
        // Without a reason it is refused.
        let refused =
            db.write(|tx| review::set_category(tx, &district(), ids[5], Category::Stable, " "));
        assert!(
            matches!(refused, Err(BenefitsError::Invalid(_))),
            "{refused:?}"
        );
    }
}

#[test]
fn decrease_changes_the_next_month_and_not_the_computed_one() {
    for t in minzheng_store::testing::databases("review_decrease") {
        let db = &t.db;
        setup(db);
        // 3 members, 900 yuan of income, from 2022-01: 3 × 636 − 900 = 1008 yuan.
        let e = household(Program::DibaoUrban, 201, URBAN, "2022-01", 3, 90_000);
        let eid = enrol(db, &e);
        schedule(db, "2022-01");
        let (task, _, _, _, due) = open_task(db, eid);
        assert_eq!(due, "2022-07");

        let lower = finding(Outcome::Decrease, "2022-07", "收入增加", Some((3, 120_000)));
        // July is not computed yet: the decrease would reach July itself, so it is refused.
        let early = record(db, task, &lower);
        assert!(
            matches!(early, Err(BenefitsError::Conflict(_))),
            "{}: {early:?}",
            t.label
        );
        assert_eq!(enrolment(db, eid).3, 90_000, "{}: nothing changed", t.label);

        compute(db, "2022-07");
        // An "increase" whose figures pay less is refused.
        let wrong = record(
            db,
            task,
            &finding(Outcome::Increase, "2022-07", "核对", Some((3, 120_000))),
        );
        assert!(matches!(wrong, Err(BenefitsError::Invalid(_))), "{wrong:?}");

        // The income rose to 1200 yuan: 3 × 636 − 1200 = 708 yuan from August.
        let done = record(db, task, &lower).unwrap();
        assert_eq!(done.new_amount, Some(Fen(70_800)), "{}", t.label);
        assert_eq!(done.effective_month, month("2022-08"));
        assert_eq!(done.next_task.map(|(_, d)| d), Some(month("2023-01")));
        assert_eq!(enrolment(db, eid), ("active".into(), None, 3, 120_000));

        compute(db, "2022-08");
        let paid = lines(db, &e.id_number);
        assert_eq!(
            paid.len(),
            8,
            "{}: arrears Jan–Jun, July, August: {paid:?}",
            t.label
        );
        assert_eq!(
            paid[6],
            ("regular".into(), "2022-07".into(), 100_800),
            "{}: the computed July line is unchanged",
            t.label
        );
        assert_eq!(
            paid[7],
            ("regular".into(), "2022-08".into(), 70_800),
            "{}",
            t.label
        );
        let event: String = db
            .read(|tx| {
                tx.query_one(
                    "SELECT effective_month FROM enrolment_event WHERE enrolment_id = $1 ORDER BY id DESC LIMIT 1",
                    params![eid],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(event, "2022-08");
    }
}

#[test]
fn stop_needs_a_written_reason_and_ends_after_the_review_month() {
    for t in minzheng_store::testing::databases("review_stop") {
        let db = &t.db;
        setup(db);
        let e = household(Program::DibaoUrban, 301, URBAN, "2022-01", 2, 50_000);
        let eid = enrol(db, &e);
        schedule(db, "2022-01");
        let (task, ..) = open_task(db, eid);
        compute(db, "2022-07");
        let events = count(db, "SELECT COUNT(*) FROM enrolment_event");
        let audits = count(db, "SELECT COUNT(*) FROM audit_log");
        for reason in ["", "  ", "拒绝"] {
            let refused = record(db, task, &finding(Outcome::Stop, "2022-07", reason, None));
            assert!(
                matches!(&refused, Err(BenefitsError::Invalid(m)) if m.contains("理由")),
                "{}: {refused:?}",
                t.label
            );
        }
        assert_eq!(enrolment(db, eid), ("active".into(), None, 2, 50_000));
        assert_eq!(
            open_task(db, eid).0,
            task,
            "{}: the task is still open",
            t.label
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM enrolment_event"), events);
        assert_eq!(count(db, "SELECT COUNT(*) FROM audit_log"), audits);

        // With a written reason (a sanction, income unchanged): the last month paid is July.
        let done = record(
            db,
            task,
            &finding(
                Outcome::Stop,
                "2022-07",
                "无正当理由三次拒绝介绍的工作",
                None,
            ),
        )
        .unwrap();
        assert_eq!(done.end_month, Some(month("2022-07")));
        assert_eq!(done.phase_out_months, None);
        assert_eq!(done.next_task, None);
        assert_eq!(
            enrolment(db, eid),
            ("stopped".into(), Some("2022-07".into()), 2, 50_000)
        );
        compute(db, "2022-08");
        assert_eq!(
            lines(db, &e.id_number).last().unwrap().1,
            "2022-07",
            "{}: nothing for August",
            t.label
        );
        // Nothing more to schedule for it.
        let s = schedule(db, "2022-08");
        assert_eq!(s.created, 0, "{}: {s:?}", t.label);
    }
}

#[test]
fn income_above_the_standard_in_2022_gets_six_phase_out_months() {
    for t in minzheng_store::testing::databases("review_phase_out") {
        let db = &t.db;
        setup(db);
        // 2 members, 800 yuan: 2 × 636 − 800 = 472 yuan; from 2022-09 2 × 717 − 800 = 634 yuan.
        let e = household(Program::DibaoUrban, 401, URBAN, "2022-01", 2, 80_000);
        let eid = enrol(db, &e);
        schedule(db, "2022-01");
        let (task, ..) = open_task(db, eid);
        compute(db, "2022-07");
        // The review in July finds 2000 yuan of income, above 2 × 636.
        let done = record(
            db,
            task,
            &finding(
                Outcome::Stop,
                "2022-07",
                "家庭成员就业，收入超过标准",
                Some((2, 200_000)),
            ),
        )
        .unwrap();
        assert_eq!(done.phase_out_months, Some(6), "{}", t.label);
        assert_eq!(done.end_month, Some(month("2023-01")));
        assert_eq!(
            enrolment(db, eid),
            ("active".into(), Some("2023-01".into()), 2, 80_000),
            "{}: paid on its old basis until the end of the phase-out",
            t.label
        );
        for m in [
            "2022-08", "2022-09", "2022-10", "2022-11", "2022-12", "2023-01", "2023-02",
        ] {
            compute(db, m);
        }
        let paid: Vec<(String, String, i64)> = lines(db, &e.id_number)
            .into_iter()
            .filter(|l| l.1.as_str() >= "2022-08")
            .collect();
        assert_eq!(
            paid,
            vec![
                ("regular".into(), "2022-08".into(), 47_200),
                ("regular".into(), "2022-09".into(), 63_400),
                ("regular".into(), "2022-10".into(), 63_400),
                ("regular".into(), "2022-11".into(), 63_400),
                ("regular".into(), "2022-12".into(), 63_400),
                ("regular".into(), "2023-01".into(), 63_400),
            ],
            "{}: six months after the review, nothing for 2023-02",
            t.label
        );
        // No review is scheduled during the phase-out.
        assert_eq!(schedule(db, "2022-12").created, 0);
    }
}

#[test]
fn before_2021_07_there_is_no_phase_out() {
    for t in minzheng_store::testing::databases("review_no_phase_out") {
        let db = &t.db;
        setup(db);
        // 2 members, 800 yuan, from 2020-07: 2 × 620 − 800 = 440 yuan.
        let e = household(Program::DibaoUrban, 501, URBAN, "2020-07", 2, 80_000);
        let eid = enrol(db, &e);
        schedule(db, "2020-07");
        let (task, _, _, _, due) = open_task(db, eid);
        assert_eq!(due, "2021-01");
        compute(db, "2021-01");
        let done = record(
            db,
            task,
            &finding(
                Outcome::Stop,
                "2021-01",
                "家庭成员就业，收入超过标准",
                Some((2, 150_000)),
            ),
        )
        .unwrap();
        assert_eq!(done.phase_out_months, None, "{}", t.label);
        assert_eq!(done.end_month, Some(month("2021-01")));
        assert_eq!(
            enrolment(db, eid),
            ("stopped".into(), Some("2021-01".into()), 2, 80_000)
        );
        compute(db, "2021-02");
        let paid = lines(db, &e.id_number);
        assert_eq!(
            paid.len(),
            7,
            "{}: arrears 2020-07..12 and January: {paid:?}",
            t.label
        );
        assert_eq!(
            paid.last().unwrap(),
            &("regular".into(), "2021-01".into(), 44_000)
        );
    }
}

#[test]
fn review_pages_schedule_refuse_and_record() {
    use minzheng_access::accounts::{self, NewAccount};
    use minzheng_web::testing::{Browser, TestServer};
    for t in minzheng_store::testing::databases("review_http") {
        let db = &t.db;
        setup(db);
        for (username, role, scope) in [
            ("yuzhong-admin", Role::DistrictAdmin, "500103"),
            ("city-admin", Role::CityAdmin, "50"),
        ] {
            let new = NewAccount {
                username: username.into(),
                display_name: username.into(),
                role,
                scope: scope.into(),
                unit_id: None,
                password: PASSWORD.into(),
                phone: None,
            };
            db.write(|tx| accounts::create(tx, &Principal::system("test"), &new))
                .unwrap();
        }
        let e = household(Program::DibaoUrban, 601, URBAN, "2022-01", 2, 50_000);
        let eid = enrol(db, &e);
        let server = TestServer::start(db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("yuzhong-admin", PASSWORD);

        let empty = b.get("/benefits/reviews?month=2022-01");
        assert_eq!(empty.status, 200, "{}", t.label);
        assert!(empty.text().contains("没有到期的复核任务"));
        let r = b.post_form("/benefits/reviews/schedule", &[("month", "2022-01")]);
        assert_eq!(r.status, 303, "{}: {}", t.label, r.text());
        let page = b.get("/benefits/reviews?month=2022-07");
        assert_eq!(page.status, 200);
        let text = page.text();
        // A district administrator may not see names whole: masked, as in every list.
        assert!(text.contains("复***1"), "{}", t.label);
        assert!(!text.contains("复核601"), "{}", t.label);
        assert!(text.contains("应于 2022-07 复核"), "{}", t.label);
        let (task, ..) = open_task(db, eid);

        // A stop without a written reason: the page again with the reason, 400, nothing changed.
        let r = b.post_form(
            &format!("/benefits/reviews/{task}/outcome"),
            &[
                ("outcome", "stop"),
                ("review_month", "2022-07"),
                ("reason", ""),
                ("month", "2022-07"),
            ],
        );
        assert_eq!(r.status, 400, "{}", t.label);
        assert!(r.text().contains("理由"), "{}", t.label);
        assert_eq!(enrolment(db, eid).0, "active");

        // Unchanged: recorded, back to the list with a message, the next review in 2023-01.
        let r = b.post_form(
            &format!("/benefits/reviews/{task}/outcome"),
            &[
                ("outcome", "unchanged"),
                ("review_month", "2022-07"),
                ("month", "2022-07"),
            ],
        );
        assert_eq!(r.status, 303, "{}: {}", t.label, r.text());
        let to = r.header("location").unwrap_or_default().to_owned();
        assert!(
            to.starts_with("/benefits/reviews?month=2022-07&msg="),
            "{to}"
        );
        assert_eq!(open_task(db, eid).4, "2023-01");

        // A city administrator has no review right.
        let mut c = Browser::new(server.addr);
        c.sign_in("city-admin", PASSWORD);
        assert_eq!(c.get("/benefits/reviews").status, 403, "{}", t.label);
    }
}
