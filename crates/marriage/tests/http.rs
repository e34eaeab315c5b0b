//! Over HTTP on both backends: a citizen signs in by SMS code, binds their ID number, books on the
//! booking page and sees the confirmation; bad input is refused with nothing written; the
//! registrar sees the couple on the day list; 200 concurrent API bookings for 10 places give 10.

mod common;

use common::*;
use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{Principal, Role};
use minzheng_kernel::id_number::china_today;
use minzheng_store::{Db, params};
use minzheng_web::testing::{Browser, TestServer, request};

/// The first day after today that office 1 has slots for, opened from tomorrow for six days
/// (all released already: places are released seven days ahead).
fn open_soon(db: &Db) -> String {
    let today = china_today();
    let from = (today + chrono::Duration::days(1)).to_string();
    let to = (today + chrono::Duration::days(6)).to_string();
    open(db, 1, &from, &to);
    db.read(|tx| {
        tx.query_one(
            "SELECT MIN(day) FROM time_slot WHERE office_id = 1 AND day > $1",
            params![today],
        )?
        .get::<String>(0)
    })
    .unwrap()
}

fn citizen_signs_in(db: &Db, b: &mut Browser, phone: &str) {
    b.get("/citizen/sign-in");
    let r = b.post_form("/citizen/code", &[("phone", phone)]);
    assert_eq!(r.status, 200, "{}", r.text());
    let body: String = db
        .read(|tx| {
            tx.query_one(
                "SELECT body FROM notification WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
                params![phone],
            )?
            .get::<String>(0)
        })
        .unwrap();
    let code: String = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| s.len() == 6)
        .unwrap()
        .to_owned();
    let r = b.post_form("/citizen/sign-in", &[("phone", phone), ("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.text());
}

#[test]
fn a_couple_books_on_the_page_and_the_registrar_sees_them_on_the_day_list() {
    for t in minzheng_store::testing::databases("marriage_http_pages") {
        let db = &t.db;
        setup(db);
        let day = open_soon(db);
        db.write(|tx| {
            accounts::create(
                tx,
                &Principal::system("test"),
                &NewAccount {
                    username: "yz-registrar".into(),
                    display_name: "渝中区婚姻登记员".into(),
                    role: Role::MarriageRegistrar,
                    scope: "500103".into(),
                    unit_id: Some(1),
                    password: "Minzheng-2026".into(),
                    phone: None,
                },
            )
        })
        .unwrap();
        let server = TestServer::start(db.clone());
        let mut b = Browser::new(server.addr);
        citizen_signs_in(db, &mut b, "13900000001");
        let him = id("500103", "1990-01-01", 11);
        let her = id("500106", "1992-01-01", 12);
        b.get("/citizen");
        let r = b.post_form(
            "/citizen/id-number",
            &[("id_number", &him), ("real_name", "张伟")],
        );
        assert_eq!(r.status, 303, "{}", r.text());

        let page = b.get(&format!("/marriage/book?office=1&day={day}"));
        assert_eq!(page.status, 200);
        assert!(page.text().contains("剩余 10 个"), "{}", page.text());
        let slot = slot_id(db, 1, &day, "09:00").to_string();
        let html = page.text();
        let key_at = html.find("name=\"idempotency_key\" value=\"").unwrap() + 30;
        let key = html[key_at..key_at + html[key_at..].find('"').unwrap()].to_owned();
        let mut fields = vec![
            ("office", "1"),
            ("day", day.as_str()),
            ("slot_id", slot.as_str()),
            ("kind", "marriage"),
            ("party1_name", "张伟"),
            ("party1_id_number", him.as_str()),
            ("party1_hukou", "500103"),
            ("party2_name", "李娜"),
            ("party2_id_number", "500106199201010000"),
            ("party2_hukou", "500106"),
            ("idempotency_key", key.as_str()),
        ];
        let before = footprint(db);
        let r = b.post_form("/marriage/book", &fields);
        assert_eq!(r.status, 400, "{}", t.label);
        assert!(r.text().contains("身份证号码无效"), "{}", r.text());
        assert_eq!(footprint(db), before, "nothing written");

        fields[8] = ("party2_id_number", her.as_str());
        let r = b.post_form("/marriage/book", &fields);
        assert_eq!(r.status, 303, "{}", r.text());
        let to = r.header("location").unwrap().to_owned();
        let again = b.post_form("/marriage/book", &fields);
        assert_eq!(
            again.header("location"),
            Some(to.as_str()),
            "the retried form gives the same booking"
        );
        let confirm = b.get(&to);
        assert!(confirm.text().contains("预约成功"), "{}", confirm.text());
        assert!(confirm.text().contains("渝中区婚姻登记处"));
        let left = b.get(&format!("/marriage/slots/{slot}/left"));
        assert_eq!(left.text().trim(), "剩余 9 个");

        let mut desk = Browser::new(server.addr);
        desk.sign_in("yz-registrar", "Minzheng-2026");
        let list = desk.get(&format!("/marriage/desk?day={day}"));
        assert_eq!(list.status, 200);
        assert!(
            list.text().contains("张伟") && list.text().contains("李娜"),
            "{}",
            list.text()
        );
        // The citizen cannot open the desk.
        assert_eq!(b.get("/marriage/desk").status, 403);
        // The desk's other pages, the citizen's list, the office page and the statistics render.
        let appt_id = to
            .trim_start_matches("/marriage/my/")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let page = desk.get(&format!("/marriage/desk/{appt_id}"));
        assert_eq!(page.status, 200);
        assert!(page.text().contains("签到核验"), "{}", page.text());
        let early = desk.post_form(
            &format!("/marriage/desk/{appt_id}/check-in"),
            &[("id_number_1", him.as_str()), ("id_number_2", her.as_str())],
        );
        assert_eq!(early.status, 400);
        assert!(early.text().contains("不是今天"), "{}", early.text());
        assert_eq!(desk.get("/marriage/desk/divorces").status, 200);
        let stats = desk.get("/marriage/stats");
        assert_eq!(stats.status, 200);
        assert!(
            stats.text().contains("渝中区婚姻登记处")
                && !stats.text().contains("沙坪坝区婚姻登记处")
        );
        assert!(b.get("/marriage/my").text().contains("已预约"));
        let office = b.get(&format!("/marriage/offices/1?day={day}"));
        assert!(office.text().contains("09:00–10:30"), "{}", office.text());
        let index = b.get("/marriage");
        assert!(index.text().contains("万州区婚姻登记处") && index.text().contains("预约登记"));
        let doc = minzheng_web::testing::get(server.addr, "/api/openapi.json");
        assert!(doc.text().contains("/api/v1/marriage/appointments"));
        let slots = minzheng_web::testing::get(
            server.addr,
            &format!("/api/v1/marriage/offices/1/slots?day={day}"),
        );
        assert_eq!(slots.json()[0]["remaining"], 9);
    }
}

#[test]
fn two_hundred_concurrent_api_bookings_for_ten_places_give_exactly_ten() {
    for t in minzheng_store::testing::databases("marriage_http_rush") {
        let db = &t.db;
        setup(db);
        let day = open_soon(db);
        let slot = slot_id(db, 1, &day, "09:00");
        let mut clients = Vec::new();
        for i in 0..200i64 {
            let him = id("500103", "1990-01-01", (2 * i + 1) as u16);
            let her = id("500106", "1992-01-01", (2 * i + 2) as u16);
            let c = citizen(db, i, &him);
            let s = db
                .write(|tx| {
                    minzheng_access::sessions::create(
                        tx,
                        c.account_id,
                        None,
                        chrono::Utc::now(),
                        &Default::default(),
                    )
                })
                .unwrap();
            let body = serde_json::json!({
                "slot_id": slot, "kind": "marriage",
                "party1": { "name": "甲", "id_number": him, "hukou": "500103" },
                "party2": { "name": "乙", "id_number": her, "hukou": "500106" },
                "idempotency_key": format!("http-rush-{i:05}"),
            });
            clients.push((s, body.to_string()));
        }
        let server = TestServer::start(db.clone());
        let addr = server.addr;
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(clients.len()));
        let handles: Vec<_> = clients
            .into_iter()
            .map(|(s, body)| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    let cookie = format!("mz_session={}", s.token);
                    request(
                        addr,
                        "POST",
                        "/api/v1/marriage/appointments",
                        &[
                            ("cookie", &cookie),
                            ("x-csrf-token", &s.csrf_token),
                            ("content-type", "application/json"),
                        ],
                        body.as_bytes(),
                    )
                })
            })
            .collect();
        let mut created = 0;
        for h in handles {
            let r = h.join().unwrap();
            match r.status {
                201 => created += 1,
                400 => assert!(r.text().contains("已约满"), "{}", r.text()),
                other => panic!("{}: status {other}: {}", t.label, r.text()),
            }
        }
        assert_eq!(created, 10, "{}", t.label);
        let booked: i64 = db
            .read(|tx| {
                tx.query_one("SELECT booked FROM time_slot WHERE id = $1", params![slot])?
                    .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(booked, 10);
    }
}
