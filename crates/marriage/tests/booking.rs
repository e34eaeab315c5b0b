//! Booking on both backends: the age boundary, the 2025-05-10 jurisdiction change, bad input
//! refused with nothing written, a retried key, and 200 concurrent bookings for 10 places.

mod common;

use common::*;
use minzheng_marriage::MarriageError;
use minzheng_marriage::rules::Kind;
use minzheng_store::{Db, params};

fn refused(r: Result<minzheng_marriage::services::Appointment, MarriageError>, needle: &str) {
    match r {
        Err(MarriageError::Invalid(m)) => {
            assert!(m.contains(needle), "message {m:?} lacks {needle:?}")
        }
        other => panic!("expected a refusal containing {needle:?}, got {other:?}"),
    }
}

#[test]
fn the_age_limit_is_reached_on_the_exact_birthday() {
    for t in minzheng_store::testing::databases("marriage_age") {
        let db = &t.db;
        setup(db);
        open(db, 1, "2020-05-20", "2020-05-20");
        let slot = slot_id(db, 1, "2020-05-20", "09:00");
        let now = at("2020-05-14T02:00:00Z");
        // He turns 22 on the registration day itself; one day younger is refused.
        let young = id("500103", "1998-05-21", 11);
        let her = id("500103", "2000-05-20", 12);
        let c = citizen(db, 1, &her);
        let before = footprint(db);
        refused(
            book(
                db,
                &c,
                &input(
                    slot,
                    Kind::Marriage,
                    ("张三", &young, "500103"),
                    ("李四", &her, "500103"),
                    "age-key-0001",
                ),
                now,
            ),
            "未达法定婚龄 22 周岁",
        );
        assert_eq!(
            footprint(db),
            before,
            "{}: a refusal writes nothing",
            t.label
        );

        let exact = id("500103", "1998-05-20", 13);
        let a = book(
            db,
            &c,
            &input(
                slot,
                Kind::Marriage,
                ("张三", &exact, "500103"),
                ("李四", &her, "500103"),
                "age-key-0002",
            ),
            now,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", t.label));
        assert_eq!(a.status, "booked");
        assert_eq!(a.day, d("2020-05-20"));

        // A woman one day short of 20.
        let man = id("500103", "1990-01-01", 15);
        let girl = id("500103", "2000-05-21", 14);
        let c2 = citizen(db, 2, &girl);
        refused(
            book(
                db,
                &c2,
                &input(
                    slot,
                    Kind::Marriage,
                    ("王五", &man, "500103"),
                    ("赵六", &girl, "500103"),
                    "age-key-0003",
                ),
                now,
            ),
            "未达法定婚龄 20 周岁",
        );
    }
}

#[test]
fn the_hukou_rule_holds_until_2025_05_10_and_any_office_serves_after() {
    for t in minzheng_store::testing::databases("marriage_jurisdiction") {
        let db = &t.db;
        setup(db);
        // 2025-05-09 is a Friday, 2025-05-12 a Monday.
        open(db, 1, "2025-05-09", "2025-05-12");
        let before_slot = slot_id(db, 1, "2025-05-09", "09:00");
        let after_slot = slot_id(db, 1, "2025-05-12", "09:00");
        let now = at("2025-05-05T02:00:00Z");
        let him = id("500101", "1990-01-01", 11);
        let her = id("500106", "1992-01-01", 12);
        let c = citizen(db, 1, &him);
        let before = footprint(db);
        // Neither 户籍 is in 渝中区: refused on the 9th.
        refused(
            book(
                db,
                &c,
                &input(
                    before_slot,
                    Kind::Marriage,
                    ("甲", &him, "500101"),
                    ("乙", &her, "500106"),
                    "juris-key-01",
                ),
                now,
            ),
            "常住户口所在地",
        );
        assert_eq!(footprint(db), before);
        // From the 10th any office serves them.
        let a = book(
            db,
            &c,
            &input(
                after_slot,
                Kind::Marriage,
                ("甲", &him, "500101"),
                ("乙", &her, "500106"),
                "juris-key-02",
            ),
            now,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", t.label));
        assert_eq!(a.office_id, 1);
        // And before, the office of either party's 户籍 does (沙坪坝区 is office 2).
        open(db, 2, "2025-05-09", "2025-05-09");
        let him2 = id("500101", "1991-01-01", 21);
        let her2 = id("500106", "1993-01-01", 22);
        let c2 = citizen(db, 2, &her2);
        let s2 = slot_id(db, 2, "2025-05-09", "09:00");
        book(
            db,
            &c2,
            &input(
                s2,
                Kind::Marriage,
                ("丙", &him2, "500101"),
                ("丁", &her2, "500106"),
                "juris-key-03",
            ),
            now,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", t.label));
    }
}

#[test]
fn bad_input_is_refused_in_chinese_and_nothing_is_written() {
    for t in minzheng_store::testing::databases("marriage_bad_input") {
        let db = &t.db;
        setup(db);
        open(db, 1, "2020-05-20", "2020-05-21");
        let slot = slot_id(db, 1, "2020-05-20", "09:00");
        let now = at("2020-05-14T02:00:00Z");
        let him = id("500103", "1990-01-01", 11);
        let her = id("500103", "1992-01-01", 12);
        let c = citizen(db, 1, &him);
        let before = footprint(db);
        let ok_a = ("甲", him.as_str(), "500103");
        let ok_b = ("乙", her.as_str(), "500103");
        // An invalid ID number (check digit).
        let mut bad = him.clone();
        let last = if bad.ends_with('1') { "2" } else { "1" };
        bad.replace_range(17..18, last);
        refused(
            book(
                db,
                &c,
                &input(
                    slot,
                    Kind::Marriage,
                    ("甲", &bad, "500103"),
                    ok_b,
                    "bad-key-0001",
                ),
                now,
            ),
            "身份证号码无效",
        );
        // The same person twice.
        refused(
            book(
                db,
                &c,
                &input(slot, Kind::Marriage, ok_a, ok_a, "bad-key-0002"),
                now,
            ),
            "双方身份证号码相同",
        );
        // A slot that does not exist.
        refused(
            book(
                db,
                &c,
                &input(999_999, Kind::Marriage, ok_a, ok_b, "bad-key-0003"),
                now,
            ),
            "时段不存在",
        );
        // A slot whose time has passed.
        refused(
            book(
                db,
                &c,
                &input(slot, Kind::Marriage, ok_a, ok_b, "bad-key-0004"),
                at("2020-05-20T03:00:00Z"),
            ),
            "已过",
        );
        // A slot not yet released (released 2020-05-13 08:00 Beijing time).
        refused(
            book(
                db,
                &c,
                &input(slot, Kind::Marriage, ok_a, ok_b, "bad-key-0005"),
                at("2020-05-12T23:59:00Z"),
            ),
            "尚未放出",
        );
        // Someone else's booking: real-name only.
        let other = citizen(db, 2, &id("500103", "1980-01-01", 31));
        refused(
            book(
                db,
                &other,
                &input(slot, Kind::Marriage, ok_a, ok_b, "bad-key-0006"),
                now,
            ),
            "本人",
        );
        // A bad key.
        refused(
            book(
                db,
                &c,
                &input(slot, Kind::Marriage, ok_a, ok_b, "short"),
                now,
            ),
            "请求标识无效",
        );
        // A closed office: 万州区 is suspended from 2020-03-03.
        let wanzhou: i64 = db
            .read(|tx| {
                tx.query_one(
                    "SELECT id FROM marriage_office WHERE code = '500101'",
                    params![],
                )?
                .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(
            open(db, wanzhou, "2020-03-10", "2020-03-10"),
            0,
            "no slots while suspended"
        );
        assert_eq!(
            open(db, wanzhou, "2020-03-17", "2020-03-17"),
            4,
            "open again after"
        );
        assert_eq!(footprint(db).0, before.0);
        assert_eq!(footprint(db).1, before.1);

        // A person with an active booking.
        book(
            db,
            &c,
            &input(slot, Kind::Marriage, ok_a, ok_b, "good-key-0001"),
            now,
        )
        .unwrap();
        let before = footprint(db);
        let third = id("500103", "1993-03-03", 42);
        let slot2 = slot_id(db, 1, "2020-05-21", "09:00");
        refused(
            book(
                db,
                &c,
                &input(
                    slot2,
                    Kind::Marriage,
                    ok_a,
                    ("丙", &third, "500103"),
                    "bad-key-0007",
                ),
                now,
            ),
            "已有一个有效预约",
        );
        assert_eq!(footprint(db), before);

        // A full slot.
        db.write(|tx| {
            tx.execute(
                "UPDATE time_slot SET quota = 1 WHERE id = $1",
                params![slot],
            )
        })
        .unwrap();
        let him3 = id("500103", "1985-01-01", 51);
        let c3 = citizen(db, 3, &him3);
        refused(
            book(
                db,
                &c3,
                &input(
                    slot,
                    Kind::Marriage,
                    ("戊", &him3, "500103"),
                    ("己", &third, "500103"),
                    "bad-key-0008",
                ),
                now,
            ),
            "已约满",
        );
        assert_eq!(footprint(db), before, "{}: nothing written", t.label);

        // An office suspended after its slots were opened: the slots close, booking is refused.
        open(db, 2, "2020-05-20", "2020-05-20");
        let s2 = slot_id(db, 2, "2020-05-20", "09:00");
        db.write(|tx| {
            minzheng_marriage::offices::suspend(
                tx,
                &system(),
                2,
                d("2020-05-19"),
                Some(d("2020-05-22")),
                "办公场所维修",
                now,
            )
        })
        .unwrap();
        let him4 = id("500106", "1984-01-01", 61);
        let her4 = id("500106", "1986-01-01", 62);
        let c4 = citizen(db, 4, &him4);
        let before = footprint(db);
        refused(
            book(
                db,
                &c4,
                &input(
                    s2,
                    Kind::Marriage,
                    ("庚", &him4, "500106"),
                    ("辛", &her4, "500106"),
                    "bad-key-0009",
                ),
                now,
            ),
            "停止预约",
        );
        assert_eq!(footprint(db), before);
    }
}

#[test]
fn a_retried_key_returns_the_same_booking() {
    for t in minzheng_store::testing::databases("marriage_idempotency") {
        let db = &t.db;
        setup(db);
        open(db, 1, "2020-05-20", "2020-05-20");
        let slot = slot_id(db, 1, "2020-05-20", "09:00");
        let now = at("2020-05-14T02:00:00Z");
        let him = id("500103", "1990-01-01", 11);
        let her = id("500103", "1992-01-01", 12);
        let c = citizen(db, 1, &him);
        let inp = input(
            slot,
            Kind::Marriage,
            ("甲", &him, "500103"),
            ("乙", &her, "500103"),
            "retry-key-0001",
        );
        let first = book(db, &c, &inp, now).unwrap();
        let again = book(db, &c, &inp, now).unwrap();
        assert_eq!(first.id, again.id);
        // Through the writer too, and from several threads at once.
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (db, c, inp) = (db.clone(), c.clone(), inp.clone());
                std::thread::spawn(move || {
                    minzheng_marriage::writer::book_blocking(&db, c, inp, now)
                        .unwrap()
                        .id
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), first.id);
        }
        let booked: i64 = db
            .read(|tx| {
                tx.query_one("SELECT booked FROM time_slot WHERE id = $1", params![slot])?
                    .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(booked, 1, "{}", t.label);
        // Another account cannot reuse the key.
        let other = citizen(db, 2, &her);
        refused(book(db, &other, &inp, now), "请求标识已被使用");
    }
}

fn rush(db: &Db, label: &str) {
    setup(db);
    open(db, 1, "2020-05-20", "2020-05-20");
    let slot = slot_id(db, 1, "2020-05-20", "09:00");
    let now = at("2020-05-14T02:00:00Z");
    let mut jobs = Vec::new();
    for i in 0..200i64 {
        let him = id("500103", "1990-01-01", (2 * i + 1) as u16);
        let her = id("500106", "1992-01-01", (2 * i + 2) as u16);
        let c = citizen(db, i, &him);
        jobs.push((
            c,
            input(
                slot,
                Kind::Marriage,
                ("甲", &him, "500103"),
                ("乙", &her, "500106"),
                &format!("rush-key-{i:05}"),
            ),
        ));
    }
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(jobs.len()));
    let handles: Vec<_> = jobs
        .into_iter()
        .enumerate()
        .map(|(i, (c, inp))| {
            let (db, barrier) = (db.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                // Half through the process's writer, half each in a transaction of its own.
                if i % 2 == 0 {
                    minzheng_marriage::writer::book_blocking(&db, c, inp, now)
                } else {
                    minzheng_marriage::services::book_in_tx_with_retry(&db, &c, &inp, now)
                }
            })
        })
        .collect();
    let mut ok = 0;
    for h in handles {
        match h.join().unwrap() {
            Ok(_) => ok += 1,
            Err(MarriageError::Invalid(m)) => assert!(m.contains("已约满"), "{label}: {m}"),
            Err(e) => panic!("{label}: {e}"),
        }
    }
    assert_eq!(ok, 10, "{label}: exactly the quota");
    let (booked, rows): (i64, i64) = db
        .read(|tx| {
            let b: i64 = tx
                .query_one("SELECT booked FROM time_slot WHERE id = $1", params![slot])?
                .get(0)?;
            let n: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM appointment WHERE slot_id = $1",
                    params![slot],
                )?
                .get(0)?;
            Ok::<_, minzheng_store::StoreError>((b, n))
        })
        .unwrap();
    assert_eq!((booked, rows), (10, 10), "{label}");
}

#[test]
fn two_hundred_concurrent_bookings_for_ten_places_give_exactly_ten() {
    for t in minzheng_store::testing::databases("marriage_rush") {
        rush(&t.db, t.label);
    }
}
