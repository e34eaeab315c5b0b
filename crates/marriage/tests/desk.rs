//! The registrar's desk on both backends: check-in, registration with a certificate number, a
//! divorce whose cooling-off ends on a holiday, a withdrawal, the office scope, no-shows.

mod common;

use common::*;
use minzheng_marriage::rules::Kind;
use minzheng_marriage::{MarriageError, desk, services};
use minzheng_store::params;

#[test]
fn a_marriage_is_registered_with_a_unique_certificate_and_the_registry_then_refuses_bigamy() {
    for t in minzheng_store::testing::databases("marriage_register") {
        let db = &t.db;
        setup(db);
        open(db, 1, "2020-05-20", "2020-05-22");
        let slot = slot_id(db, 1, "2020-05-20", "09:00");
        let him = id("500103", "1990-01-01", 11);
        let her = id("500103", "1992-01-01", 12);
        let c = citizen(db, 1, &him);
        let a = book(
            db,
            &c,
            &input(
                slot,
                Kind::Marriage,
                ("张三", &him, "500103"),
                ("李四", &her, "500103"),
                "desk-key-0001",
            ),
            at("2020-05-14T02:00:00Z"),
        )
        .unwrap();
        let reg = registrar(1, "500103");
        let day = d("2020-05-20");
        let now = at("2020-05-20T01:30:00Z");
        // The day list shows it; another office's registrar cannot see or touch it.
        let list = db.read(|tx| desk::day_list(tx, &reg, day)).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].party1_name, "张三");
        let other = registrar(2, "500106");
        assert!(matches!(
            db.read(|tx| desk::appointment(tx, &other, a.id)),
            Err(MarriageError::NotFound)
        ));
        assert!(
            db.read(|tx| desk::day_list(tx, &other, day))
                .unwrap()
                .is_empty()
        );
        // Wrong ID numbers at the desk: refused, nothing written.
        let stranger = id("500103", "1991-01-01", 13);
        let r = db.write(|tx| desk::check_in(tx, &reg, a.id, [&him, &stranger], day, now));
        assert!(matches!(r, Err(MarriageError::Invalid(m)) if m.contains("不一致")));
        db.write(|tx| desk::check_in(tx, &reg, a.id, [&her, &him.to_lowercase()], day, now))
            .unwrap();
        let out = db
            .write(|tx| desk::register(tx, &reg, a.id, day, now))
            .unwrap();
        assert_eq!(
            out.certificate_number.as_deref(),
            Some("J500103-2020-000001"),
            "{}",
            t.label
        );
        assert_eq!(out.appointment.status, "done");

        // The next couple gets the next number.
        let him2 = id("500103", "1989-02-02", 21);
        let her2 = id("500103", "1991-02-02", 22);
        let c2 = citizen(db, 2, &her2);
        let a2 = book(
            db,
            &c2,
            &input(
                slot,
                Kind::Marriage,
                ("王五", &him2, "500103"),
                ("赵六", &her2, "500103"),
                "desk-key-0002",
            ),
            at("2020-05-14T02:00:00Z"),
        )
        .unwrap();
        db.write(|tx| desk::check_in(tx, &reg, a2.id, [&him2, &her2], day, now))
            .unwrap();
        let out2 = db
            .write(|tx| desk::register(tx, &reg, a2.id, day, now))
            .unwrap();
        assert_eq!(
            out2.certificate_number.as_deref(),
            Some("J500103-2020-000002")
        );

        // Now married in minzheng's registry: a new marriage booking for him is refused.
        let third = id("500103", "1993-03-03", 32);
        let slot2 = slot_id(db, 1, "2020-05-21", "09:00");
        let r = book(
            db,
            &c,
            &input(
                slot2,
                Kind::Marriage,
                ("张三", &him, "500103"),
                ("孙七", &third, "500103"),
                "desk-key-0003",
            ),
            at("2020-05-20T02:00:00Z"),
        );
        assert!(
            matches!(r, Err(MarriageError::Invalid(m)) if m.contains("已婚")),
            "{}",
            t.label
        );
    }
}

#[test]
fn a_divorce_whose_cooling_off_ends_on_a_holiday_rolls_past_it_and_a_withdrawal_ends_another() {
    for t in minzheng_store::testing::databases("marriage_cooling_off") {
        let db = &t.db;
        setup(db);
        // 2021-09-01 (Wednesday): +30 days is 2021-10-01, National Day: the period ends 2021-10-08.
        open(db, 1, "2021-09-01", "2021-09-01");
        open(db, 1, "2021-10-08", "2021-10-12");
        let slot = slot_id(db, 1, "2021-09-01", "09:00");
        let him = id("500103", "1985-01-01", 11);
        let her = id("500103", "1987-01-01", 12);
        let c = citizen(db, 1, &him);
        let reg = registrar(1, "500103");
        let day = d("2021-09-01");
        let a = book(
            db,
            &c,
            &input(
                slot,
                Kind::Divorce,
                ("甲", &him, "500103"),
                ("乙", &her, "500103"),
                "div-key-0001",
            ),
            at("2021-08-30T02:00:00Z"),
        )
        .unwrap();
        db.write(|tx| {
            desk::check_in(
                tx,
                &reg,
                a.id,
                [&him, &her],
                day,
                at("2021-09-01T01:00:00Z"),
            )
        })
        .unwrap();
        let out = db
            .write(|tx| desk::register(tx, &reg, a.id, day, at("2021-09-01T01:10:00Z")))
            .unwrap();
        assert!(
            out.certificate_number.is_none(),
            "no certificate during the cooling-off"
        );
        let app_id = out.divorce_application_id.unwrap();
        let apps = db
            .read(|tx| desk::divorce_applications(tx, &reg, d("2021-10-08")))
            .unwrap();
        assert_eq!(apps[0].cool_end, d("2021-10-08"), "{}", t.label);
        // 10-08 + 30 = 11-07, a Sunday: the window ends Monday 11-08.
        assert_eq!(apps[0].window_end, d("2021-11-08"));
        assert_eq!(apps[0].state_zh, "冷静期中");

        // The certificate cannot be booked on the last day of the cooling-off, only after it.
        let last_day = slot_id(db, 1, "2021-10-08", "09:00");
        let r = book(
            db,
            &c,
            &input(
                last_day,
                Kind::DivorceCompletion,
                ("甲", &him, "500103"),
                ("乙", &her, "500103"),
                "div-key-0002",
            ),
            at("2021-10-04T02:00:00Z"),
        );
        assert!(
            matches!(r, Err(MarriageError::Invalid(m)) if m.contains("冷静期")),
            "{}",
            t.label
        );
        let after = slot_id(db, 1, "2021-10-11", "09:00");
        let done = book(
            db,
            &c,
            &input(
                after,
                Kind::DivorceCompletion,
                ("甲", &him, "500103"),
                ("乙", &her, "500103"),
                "div-key-0003",
            ),
            at("2021-10-04T02:00:00Z"),
        )
        .unwrap();
        let day2 = d("2021-10-11");
        db.write(|tx| {
            desk::check_in(
                tx,
                &reg,
                done.id,
                [&him, &her],
                day2,
                at("2021-10-11T01:00:00Z"),
            )
        })
        .unwrap();
        let out = db
            .write(|tx| desk::register(tx, &reg, done.id, day2, at("2021-10-11T01:05:00Z")))
            .unwrap();
        assert_eq!(
            out.certificate_number.as_deref(),
            Some("L500103-2021-000001")
        );
        assert_eq!(out.divorce_application_id, Some(app_id));

        // Another couple withdraws during the cooling-off: the application ends.
        let him2 = id("500103", "1986-01-01", 21);
        let her2 = id("500103", "1988-01-01", 22);
        let c2 = citizen(db, 2, &her2);
        let a2 = book(
            db,
            &c2,
            &input(
                slot,
                Kind::Divorce,
                ("丙", &him2, "500103"),
                ("丁", &her2, "500103"),
                "div-key-0004",
            ),
            at("2021-08-30T02:00:00Z"),
        )
        .unwrap();
        db.write(|tx| {
            desk::check_in(
                tx,
                &reg,
                a2.id,
                [&him2, &her2],
                day,
                at("2021-09-01T02:00:00Z"),
            )
        })
        .unwrap();
        let o2 = db
            .write(|tx| desk::register(tx, &reg, a2.id, day, at("2021-09-01T02:05:00Z")))
            .unwrap();
        let app2 = o2.divorce_application_id.unwrap();
        let stranger = id("500103", "1970-01-01", 33);
        let r = db.write(|tx| {
            desk::withdraw_divorce(
                tx,
                &reg,
                app2,
                &stranger,
                d("2021-09-10"),
                at("2021-09-10T02:00:00Z"),
            )
        });
        assert!(matches!(r, Err(MarriageError::Invalid(_))));
        db.write(|tx| {
            desk::withdraw_divorce(
                tx,
                &reg,
                app2,
                &her2,
                d("2021-09-10"),
                at("2021-09-10T02:00:00Z"),
            )
        })
        .unwrap();
        let apps = db
            .read(|tx| desk::divorce_applications(tx, &reg, d("2021-09-10")))
            .unwrap();
        let withdrawn = apps.iter().find(|a| a.id == app2).unwrap();
        assert_eq!(withdrawn.state_zh, "已撤回");
        // Withdrawn: no certificate can be booked for them.
        let r = book(
            db,
            &c2,
            &input(
                after,
                Kind::DivorceCompletion,
                ("丙", &him2, "500103"),
                ("丁", &her2, "500103"),
                "div-key-0005",
            ),
            at("2021-10-04T02:00:00Z"),
        );
        assert!(matches!(r, Err(MarriageError::Invalid(m)) if m.contains("未找到")));
    }
}

#[test]
fn refusals_carry_the_legal_reason_and_no_shows_block_booking_for_a_while() {
    for t in minzheng_store::testing::databases("marriage_refuse_no_show") {
        let db = &t.db;
        setup(db);
        open(db, 1, "2020-05-18", "2020-05-29");
        let reg = registrar(1, "500103");
        let him = id("500103", "1990-01-01", 11);
        let her = id("500103", "1992-01-01", 12);
        let c = citizen(db, 1, &him);
        let couple = |slot: i64, key: &str| {
            input(
                slot,
                Kind::Marriage,
                ("甲", &him, "500103"),
                ("乙", &her, "500103"),
                key,
            )
        };
        let a = book(
            db,
            &c,
            &couple(slot_id(db, 1, "2020-05-18", "09:00"), "ns-key-0001"),
            at("2020-05-12T02:00:00Z"),
        )
        .unwrap();
        let r =
            db.write(|tx| desk::refuse(tx, &reg, a.id, "nonsense", "", at("2020-05-18T02:00:00Z")));
        assert!(matches!(r, Err(MarriageError::Invalid(_))));
        let refused = db
            .write(|tx| {
                desk::refuse(
                    tx,
                    &reg,
                    a.id,
                    "not_voluntary",
                    "女方当场表示不愿意",
                    at("2020-05-18T02:00:00Z"),
                )
            })
            .unwrap();
        assert_eq!(refused.status, "refused");
        assert!(
            refused
                .outcome_reason
                .unwrap()
                .contains("民法典第一千零四十六条")
        );

        // Two no-shows (limit 2): blocked for 90 days from the last one.
        for (i, day) in ["2020-05-19", "2020-05-20"].iter().enumerate() {
            let now = at(&format!(
                "{}T00:00:00Z",
                (d(day) - chrono::Duration::days(3))
            ));
            book(
                db,
                &c,
                &couple(slot_id(db, 1, day, "09:00"), &format!("ns-key-01{i}0")),
                now,
            )
            .unwrap();
            let next = d(day) + chrono::Duration::days(1);
            let n = db
                .write(|tx| services::mark_no_shows(tx, &system(), Some(1), next))
                .unwrap();
            assert_eq!(n, 1);
        }
        let before = footprint(db);
        let r = book(
            db,
            &c,
            &couple(slot_id(db, 1, "2020-05-25", "09:00"), "ns-key-0200"),
            at("2020-05-21T02:00:00Z"),
        );
        assert!(
            matches!(r, Err(MarriageError::Invalid(m)) if m.contains("暂停网上预约")),
            "{}",
            t.label
        );
        assert_eq!(footprint(db), before);

        // Statistics of the month see one refusal and two no-shows at 渝中区.
        let stats = db
            .read(|tx| {
                minzheng_marriage::stats::month(
                    tx,
                    &reg,
                    minzheng_kernel::month::Month::parse("2020-05").unwrap(),
                )
            })
            .unwrap();
        assert_eq!(stats.len(), 1, "a registrar sees their own office");
        assert_eq!((stats[0].appointments, stats[0].no_shows), (3, 2));
        assert_eq!(stats[0].no_show_rate(), "66.7%");
        let cancelled: i64 = db
            .read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM appointment WHERE status = 'cancelled'",
                    params![],
                )?
                .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(cancelled, 0);
    }
}

#[test]
fn a_citizen_cancels_before_the_cut_off_and_the_place_returns() {
    for t in minzheng_store::testing::databases("marriage_cancel") {
        let db = &t.db;
        setup(db);
        open(db, 1, "2020-05-20", "2020-05-20");
        let slot = slot_id(db, 1, "2020-05-20", "09:00");
        let him = id("500103", "1990-01-01", 11);
        let her = id("500103", "1992-01-01", 12);
        let c = citizen(db, 1, &him);
        let a = book(
            db,
            &c,
            &input(
                slot,
                Kind::Marriage,
                ("甲", &him, "500103"),
                ("乙", &her, "500103"),
                "cancel-key-01",
            ),
            at("2020-05-14T02:00:00Z"),
        )
        .unwrap();
        // 24 hours before 09:00 on the 20th is 09:00 on the 19th, 01:00 UTC.
        let late = db.write(|tx| services::cancel(tx, &c, a.id, at("2020-05-19T01:30:00Z")));
        assert!(matches!(late, Err(MarriageError::Invalid(m)) if m.contains("24 小时")));
        let other = citizen(db, 2, &her);
        assert!(matches!(
            db.write(|tx| services::cancel(tx, &other, a.id, at("2020-05-15T00:00:00Z"))),
            Err(MarriageError::NotFound)
        ));
        let done = db
            .write(|tx| services::cancel(tx, &c, a.id, at("2020-05-15T00:00:00Z")))
            .unwrap();
        assert_eq!(done.status, "cancelled");
        let booked: i64 = db
            .read(|tx| {
                tx.query_one("SELECT booked FROM time_slot WHERE id = $1", params![slot])?
                    .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(booked, 0, "{}", t.label);
        // Both may book again; the confirmation and the cancellation went to the outbox.
        book(
            db,
            &c,
            &input(
                slot,
                Kind::Marriage,
                ("甲", &him, "500103"),
                ("乙", &her, "500103"),
                "cancel-key-02",
            ),
            at("2020-05-15T00:00:00Z"),
        )
        .unwrap();
        let sms: i64 = db
            .read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM notification WHERE subject LIKE '婚姻登记预约%'",
                    params![],
                )?
                .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(sms, 3);
    }
}
