//! Two app instances over one database behave as one system: a session opened on one is honoured
//! by the other, and background deliveries are claimed exactly once however many instances run.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::notify::{self, Channel, Message, Sender};
use minzheng_access::{AccessError, Principal, Role};
use minzheng_store::testing::databases;
use minzheng_store::{DatabaseUrl, Db, params};
use minzheng_web::testing::{Browser, TestServer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

struct Counting {
    seen: Mutex<HashMap<i64, u32>>,
}

impl Sender for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn send(&self, m: &Message) -> Result<(), String> {
        *self.seen.lock().unwrap().entry(m.id).or_default() += 1;
        std::thread::sleep(std::time::Duration::from_micros(200));
        Ok(())
    }
}

#[test]
fn two_instances_share_sessions_and_claim_each_job_once() {
    for t in databases("instances") {
        // A second, independent handle to the same database: what a second process would open.
        let url: DatabaseUrl = t.db.url().clone();
        let other = Db::open(&url, 4).unwrap();
        t.write(|tx| {
            accounts::create(
                tx,
                &Principal::system("test"),
                &NewAccount {
                    username: "city".into(),
                    display_name: "市局".into(),
                    role: Role::CityAdmin,
                    scope: "50".into(),
                    unit_id: None,
                    password: "Chongqing-2026".into(),
                    phone: None,
                },
            )
        })
        .unwrap();
        let a = TestServer::start(t.db.clone());
        let b = TestServer::start(other.clone());
        let mut on_a = Browser::new(a.addr);
        on_a.sign_in("city", "Chongqing-2026");
        let session = on_a.cookie("mz_session").unwrap().to_owned();
        let mut on_b = Browser::new(b.addr);
        // Carry the cookie to the other instance, as a load balancer would.
        let r = minzheng_web::testing::request(
            b.addr,
            "GET",
            "/account",
            &[("cookie", &format!("mz_session={session}"))],
            b"",
        );
        assert_eq!(r.status, 200, "{}: instance B honours A's session", t.label);
        assert!(r.text().contains("市局"));
        assert_eq!(
            on_b.get("/account").status,
            303,
            "{}: without the cookie B asks to sign in",
            t.label
        );

        let now = chrono::Utc::now();
        let ctx = minzheng_store::audit::AuditContext::system("test");
        t.write(|tx| {
            for i in 0..300 {
                notify::enqueue(
                    tx,
                    &ctx,
                    Channel::Sms,
                    "13900000000",
                    "通知",
                    &format!("{i}"),
                    now,
                )?;
            }
            Ok::<_, AccessError>(())
        })
        .unwrap();
        let sender = Arc::new(Counting {
            seen: Mutex::new(HashMap::new()),
        });
        let mut workers = Vec::new();
        for (i, db) in [t.db.clone(), other.clone(), t.db.clone(), other.clone()]
            .into_iter()
            .enumerate()
        {
            let sender = sender.clone();
            workers.push(std::thread::spawn(move || {
                let mut sent = 0;
                loop {
                    let r =
                        notify::deliver_due(&db, sender.as_ref(), &format!("w{i}"), now).unwrap();
                    sent += r.sent;
                    if r.sent == 0 {
                        return sent;
                    }
                }
            }));
        }
        let total: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
        let seen = sender.seen.lock().unwrap();
        assert_eq!(total, 300, "{}", t.label);
        assert_eq!(seen.len(), 300, "{}: every message delivered", t.label);
        assert!(
            seen.values().all(|n| *n == 1),
            "{}: none delivered twice",
            t.label
        );
        let queued: i64 = t
            .read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM notification WHERE status <> 'sent'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(queued, 0);
        drop(a);
        drop(b);
        other.close();
    }
}
