//! Accounts, scopes, sign-in, sessions, one-time codes and the outbox on every backend of the run.

use chrono::{Duration, Utc};
use minzheng_access::accounts::{self, AccountFilter, NewAccount};
use minzheng_access::notify::{self, Channel, LogSender, Message, Sender};
use minzheng_access::sessions::{self, SessionPolicy};
use minzheng_access::{AccessError, Principal, Role, otp, sign_in};
use minzheng_store::testing::databases;
use minzheng_store::{Db, params};
use std::sync::Mutex;

fn new(username: &str, role: Role, scope: &str) -> NewAccount {
    NewAccount {
        username: username.into(),
        display_name: format!("{username} 同志"),
        role,
        scope: scope.into(),
        unit_id: matches!(role, Role::InstitutionStaff | Role::MarriageRegistrar).then_some(1),
        password: "Chongqing-2026".into(),
        phone: None,
    }
}

fn principal_of(db: &Db, username: &str) -> Principal {
    let a = db
        .read(|tx| accounts::find_by_username(tx, username))
        .unwrap()
        .unwrap();
    Principal {
        account_id: a.id,
        username: a.username,
        display_name: a.display_name,
        role: a.role,
        scope_code: a.scope,
        unit_id: a.unit_id,
        address: Some("127.0.0.1".into()),
        request_id: None,
    }
}

fn seed(db: &Db) {
    let system = Principal::system("test");
    db.write(|tx| {
        for (u, r, s) in [
            ("city", Role::CityAdmin, "50"),
            ("yz-admin", Role::DistrictAdmin, "500103"),
            ("jb-admin", Role::DistrictAdmin, "500105"),
            ("yz-reviewer", Role::DistrictReviewer, "500103"),
            ("yz-street", Role::StreetOfficer, "500103001"),
            ("jb-street", Role::StreetOfficer, "500105001"),
            ("auditor", Role::Auditor, "50"),
        ] {
            accounts::create(tx, &system, &new(u, r, s))?;
        }
        Ok::<_, AccessError>(())
    })
    .unwrap();
}

#[test]
fn administrators_see_and_create_only_within_their_scope() {
    for t in databases("accounts_scope") {
        seed(&t);
        let city = principal_of(&t, "city");
        let yz = principal_of(&t, "yz-admin");
        let names = |p: &Principal| -> Vec<String> {
            t.read(|tx| accounts::list(tx, p, &AccountFilter::default()))
                .unwrap()
                .into_iter()
                .map(|a| a.username)
                .collect()
        };
        assert_eq!(names(&city).len(), 7, "{}", t.label);
        assert_eq!(
            names(&yz),
            vec!["yz-admin", "yz-reviewer", "yz-street"],
            "{}",
            t.label
        );
        assert_eq!(t.read(|tx| accounts::count(tx, &yz)).unwrap(), 3);
        let jb_street = principal_of(&t, "jb-street");
        let direct = t.read(|tx| accounts::get(tx, &yz, jb_street.account_id));
        assert!(
            matches!(direct, Err(AccessError::NotFound)),
            "{}: another district's account does not exist",
            t.label
        );

        let err = t
            .write(|tx| accounts::create(tx, &yz, &new("yz-city", Role::CityAdmin, "50")))
            .unwrap_err();
        assert!(
            matches!(err, AccessError::Forbidden(_)),
            "{}: {err}",
            t.label
        );
        let err = t
            .write(|tx| accounts::create(tx, &yz, &new("jb-x", Role::StreetOfficer, "500105002")))
            .unwrap_err();
        assert!(
            matches!(err, AccessError::Forbidden(_)),
            "{}: {err}",
            t.label
        );
        let err = t
            .write(|tx| accounts::create(tx, &yz, &new("yz-bad", Role::StreetOfficer, "500103")))
            .unwrap_err();
        assert!(err.to_string().contains("9 位"), "{err}");
        let mut weak = new("yz-weak", Role::StreetOfficer, "500103002");
        weak.password = "password".into();
        assert!(matches!(
            t.write(|tx| accounts::create(tx, &yz, &weak)),
            Err(AccessError::WeakPassword(_))
        ));
        let made = t
            .write(|tx| {
                accounts::create(
                    tx,
                    &yz,
                    &new("yz-street2", Role::StreetOfficer, "500103002"),
                )
            })
            .unwrap();
        assert_eq!(made.scope, "500103002");
        let dup = t
            .write(|tx| {
                accounts::create(
                    tx,
                    &city,
                    &new("yz-street2", Role::StreetOfficer, "500103003"),
                )
            })
            .unwrap_err();
        assert!(dup.to_string().contains("已被使用"), "{dup}");

        let street = principal_of(&t, "yz-street");
        assert!(matches!(
            t.read(|tx| accounts::list(tx, &street, &AccountFilter::default())),
            Err(AccessError::Forbidden(_))
        ));
        let audited: i64 = t
            .read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'account.create'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(
            audited, 8,
            "{}: every creation audited, refusals not",
            t.label
        );
    }
}

#[test]
fn sign_in_locks_an_account_after_five_failures_and_sessions_expire() {
    for t in databases("sign_in") {
        seed(&t);
        let policy = SessionPolicy::default();
        let now = Utc::now();
        let s =
            sign_in::password_sign_in(&t, "yz-street", "Chongqing-2026", "10.0.0.1", now, &policy)
                .unwrap();
        let live = t
            .read(|tx| sessions::lookup(tx, &s.token, now + Duration::minutes(29), &policy))
            .unwrap();
        assert_eq!(live.unwrap().0.principal.username, "yz-street");
        let idle = t
            .read(|tx| sessions::lookup(tx, &s.token, now + Duration::minutes(31), &policy))
            .unwrap();
        assert!(idle.is_none(), "{}: idle expiry", t.label);
        t.write(|tx| {
            sessions::touch(
                tx,
                &s.token,
                now + Duration::hours(11) + Duration::minutes(50),
            )
        })
        .unwrap();
        let past = t
            .read(|tx| sessions::lookup(tx, &s.token, now + Duration::hours(12), &policy))
            .unwrap();
        assert!(
            past.is_none(),
            "{}: absolute expiry even when active",
            t.label
        );

        for i in 0..4 {
            let e = sign_in::password_sign_in(&t, "yz-street", "wrong", "10.0.0.2", now, &policy)
                .unwrap_err();
            assert!(
                matches!(e, AccessError::BadCredentials),
                "{}: attempt {i}: {e}",
                t.label
            );
        }
        let e = sign_in::password_sign_in(&t, "yz-street", "wrong", "10.0.0.2", now, &policy)
            .unwrap_err();
        assert!(matches!(e, AccessError::Locked(_)), "{}: {e}", t.label);
        let e =
            sign_in::password_sign_in(&t, "yz-street", "Chongqing-2026", "10.0.0.3", now, &policy)
                .unwrap_err();
        assert!(
            matches!(e, AccessError::Locked(_)),
            "{}: locked even with the right password",
            t.label
        );
        let later = now + Duration::minutes(16);
        sign_in::password_sign_in(
            &t,
            "yz-street",
            "Chongqing-2026",
            "10.0.0.3",
            later,
            &policy,
        )
        .unwrap();

        for _ in 0..sign_in::ADDRESS_FAILURE_LIMIT {
            let _ = sign_in::password_sign_in(&t, "nobody", "x", "10.9.9.9", later, &policy);
        }
        let e = sign_in::password_sign_in(&t, "city", "Chongqing-2026", "10.9.9.9", later, &policy)
            .unwrap_err();
        assert!(
            matches!(e, AccessError::TooManyAttempts),
            "{}: {e}",
            t.label
        );

        // Sign-out everywhere ends every session of the account.
        let a = sign_in::password_sign_in(&t, "city", "Chongqing-2026", "10.0.0.4", later, &policy)
            .unwrap();
        let b = sign_in::password_sign_in(&t, "city", "Chongqing-2026", "10.0.0.5", later, &policy)
            .unwrap();
        let city = principal_of(&t, "city");
        assert_eq!(
            t.write(|tx| sessions::revoke_all(tx, city.account_id))
                .unwrap(),
            2
        );
        for s in [a, b] {
            assert!(
                t.read(|tx| sessions::lookup(tx, &s.token, later, &policy))
                    .unwrap()
                    .is_none()
            );
        }
        let locks: i64 = t
            .read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'account.lock'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(locks, 1);
    }
}

fn code_from_outbox(db: &Db, phone: &str) -> String {
    let body: String = db
        .read(|tx| {
            tx.query_one(
                "SELECT body FROM notification WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
                params![phone],
            )?
            .get(0)
        })
        .unwrap();
    body.chars()
        .filter(|c| c.is_ascii_digit())
        .take(6)
        .collect()
}

#[test]
fn citizens_sign_in_with_a_one_time_code() {
    for t in databases("otp") {
        let policy = SessionPolicy::default();
        let now = Utc::now();
        let phone = "13812345678";
        assert!(
            t.write(|tx| otp::request_code(tx, "1381234", "1.1.1.1", now))
                .is_err()
        );
        t.write(|tx| otp::request_code(tx, "138 1234 5678", "1.1.1.1", now))
            .unwrap();
        let again = t
            .write(|tx| otp::request_code(tx, phone, "1.1.1.1", now + Duration::seconds(10)))
            .unwrap_err();
        assert!(again.to_string().contains("60 秒"), "{again}");
        let code = code_from_outbox(&t, phone);
        assert_eq!(code.len(), 6);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let r = t
            .write(|tx| otp::sign_in_with_code(tx, phone, wrong, "1.1.1.1", now, &policy))
            .unwrap();
        assert!(matches!(r, Err(AccessError::BadCode(_))));
        let s = t
            .write(|tx| otp::sign_in_with_code(tx, phone, &code, "1.1.1.1", now, &policy))
            .unwrap()
            .unwrap();
        let (live, _) = t
            .read(|tx| sessions::lookup(tx, &s.token, now, &policy))
            .unwrap()
            .unwrap();
        assert_eq!(live.principal.role, Role::Citizen, "{}", t.label);
        let reuse = t
            .write(|tx| otp::sign_in_with_code(tx, phone, &code, "1.1.1.1", now, &policy))
            .unwrap();
        assert!(
            matches!(reuse, Err(AccessError::BadCode(_))),
            "{}: a code works once",
            t.label
        );
        let late = now + Duration::minutes(2);
        t.write(|tx| otp::request_code(tx, phone, "1.1.1.1", late))
            .unwrap();
        let code2 = code_from_outbox(&t, phone);
        let expired = t
            .write(|tx| {
                otp::sign_in_with_code(
                    tx,
                    phone,
                    &code2,
                    "1.1.1.1",
                    late + Duration::minutes(6),
                    &policy,
                )
            })
            .unwrap();
        assert!(
            matches!(expired, Err(AccessError::BadCode(_))),
            "{}: expired",
            t.label
        );
        let citizens: i64 = t
            .read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM account WHERE role = 'citizen'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(citizens, 1);
    }
}

struct FlakyGateway {
    up: Mutex<bool>,
    delivered: Mutex<Vec<i64>>,
}

impl Sender for FlakyGateway {
    fn name(&self) -> &'static str {
        "flaky"
    }
    fn send(&self, m: &Message) -> Result<(), String> {
        if *self.up.lock().unwrap() {
            self.delivered.lock().unwrap().push(m.id);
            Ok(())
        } else {
            Err("gateway down".into())
        }
    }
}

#[test]
fn messages_survive_a_gateway_outage_and_are_claimed_once() {
    for t in databases("outbox") {
        let now = Utc::now();
        let ctx = minzheng_store::audit::AuditContext::system("test");
        t.write(|tx| {
            for i in 0..5 {
                notify::enqueue(
                    tx,
                    &ctx,
                    Channel::Sms,
                    "13900000000",
                    "通知",
                    &format!("第 {i} 条"),
                    now,
                )?;
            }
            Ok::<_, AccessError>(())
        })
        .unwrap();
        let gw = FlakyGateway {
            up: Mutex::new(false),
            delivered: Mutex::new(vec![]),
        };
        let r = notify::deliver_due(&t, &gw, "w1", now).unwrap();
        assert_eq!((r.sent, r.failed), (0, 5), "{}", t.label);
        // Not due again before the back-off has passed.
        assert_eq!(
            notify::deliver_due(&t, &gw, "w1", now + Duration::seconds(5))
                .unwrap()
                .failed,
            0
        );
        *gw.up.lock().unwrap() = true;
        let later = now + Duration::seconds(11);
        // Two workers: the first claims everything, the second finds nothing claimed twice.
        let first = t
            .write(|tx| notify::claim_due(tx, "w1", later, 100))
            .unwrap();
        let second = t
            .write(|tx| notify::claim_due(tx, "w2", later, 100))
            .unwrap();
        assert_eq!((first.len(), second.len()), (5, 0), "{}", t.label);
        // After the claim lapses the messages are delivered exactly once.
        let r = notify::deliver_due(&t, &gw, "w2", later + Duration::minutes(3)).unwrap();
        assert_eq!((r.sent, r.failed), (5, 0));
        assert_eq!(gw.delivered.lock().unwrap().len(), 5);
        let r = notify::deliver_due(&t, &LogSender, "w3", later + Duration::hours(2)).unwrap();
        assert_eq!(r.sent, 0, "{}: sent messages stay sent", t.label);
        let statuses: Vec<(String, i64)> = t
            .read(|tx| {
                tx.query(
                    "SELECT status, attempts FROM notification ORDER BY id",
                    params![],
                )?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?)))
                .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
            })
            .unwrap();
        assert!(
            statuses.iter().all(|(s, a)| s == "sent" && *a == 2),
            "{statuses:?}"
        );
    }
}

#[test]
fn permission_table_in_the_docs_is_current() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ACCESS.md"))
        .unwrap();
    assert!(
        doc.contains(&minzheng_access::roles::permission_table_markdown()),
        "docs/ACCESS.md is out of date; paste:\n{}",
        minzheng_access::roles::permission_table_markdown()
    );
}

/// A gateway on loopback that refuses the first `fail` posts, then accepts; records the bodies.
fn fake_gateway(fail: usize) -> (String, std::sync::Arc<Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sms/send", listener.local_addr().unwrap());
    let bodies = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let mut s = stream.unwrap();
            let mut buf = vec![0u8; 8192];
            let n = s.read(&mut buf).unwrap_or(0);
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
            let status = if i < fail {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            if i >= fail {
                seen.lock().unwrap().push(body);
            }
            let _ = s.write_all(
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    (url, bodies)
}

#[test]
fn the_sms_gateway_sender_retries_until_the_gateway_accepts() {
    for t in databases("gateway") {
        let (url, bodies) = fake_gateway(2);
        let sender = notify::HttpSender {
            url,
            timeout: std::time::Duration::from_secs(5),
        };
        let now = Utc::now();
        let ctx = minzheng_store::audit::AuditContext::system("test");
        t.write(|tx| {
            notify::enqueue(
                tx,
                &ctx,
                Channel::Sms,
                "13611112222",
                "结果通知",
                "您的申请已受理。",
                now,
            )
        })
        .unwrap();
        assert_eq!(
            notify::deliver_due(&t, &sender, "w", now).unwrap().failed,
            1
        );
        assert_eq!(
            notify::deliver_due(&t, &sender, "w", now + Duration::seconds(11))
                .unwrap()
                .failed,
            1
        );
        let r = notify::deliver_due(&t, &sender, "w", now + Duration::seconds(40)).unwrap();
        assert_eq!((r.sent, r.failed), (1, 0), "{}", t.label);
        let got = bodies.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        let json: serde_json::Value = serde_json::from_str(&got[0]).unwrap();
        assert_eq!(
            (json["to"].as_str(), json["text"].as_str()),
            (Some("13611112222"), Some("您的申请已受理。"))
        );
        let (status, attempts, via): (String, i64, String) = t
            .read(|tx| {
                let r = tx.query_one(
                    "SELECT status, attempts, sent_via FROM notification",
                    params![],
                )?;
                Ok::<_, minzheng_store::StoreError>((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(
            (status.as_str(), attempts, via.as_str()),
            ("sent", 3, "sms_gateway"),
            "{}",
            t.label
        );
    }
}

#[test]
fn auditors_find_every_change_about_a_person_by_any_typed_form_of_the_id_number() {
    use minzheng_access::audit_search::{self, AuditQuery};
    use minzheng_access::citizens;
    for t in databases("audit_search") {
        seed(&t);
        let now = Utc::now();
        let policy = SessionPolicy::default();
        t.write(|tx| otp::request_code(tx, "13512345678", "1.1.1.1", now))
            .unwrap();
        let code = code_from_outbox(&t, "13512345678");
        let s = t
            .write(|tx| otp::sign_in_with_code(tx, "13512345678", &code, "1.1.1.1", now, &policy))
            .unwrap()
            .unwrap();
        let (live, _) = t
            .read(|tx| sessions::lookup(tx, &s.token, now, &policy))
            .unwrap()
            .unwrap();
        let id = minzheng_kernel::id_number::IdNumber::generate(
            "500103",
            chrono::NaiveDate::from_ymd_opt(1988, 8, 8).unwrap(),
            77,
        )
        .unwrap();
        let today = minzheng_kernel::id_number::china_today();
        let binding = citizens::Binding::parse(id.as_str(), "李四", today).unwrap();
        t.write(|tx| {
            citizens::bind_id_number(
                tx,
                &live.principal,
                &binding,
                &minzheng_access::identity::Verdict::Unavailable(String::new()),
                "counter",
            )
        })
        .unwrap();

        let auditor = principal_of(&t, "auditor");
        let typed = format!(" {} ", id.as_str().to_lowercase());
        let rows = t
            .read(|tx| {
                audit_search::search(
                    tx,
                    &auditor,
                    &AuditQuery {
                        id_number: Some(typed),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        assert_eq!(
            rows.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
            vec!["account.bind_id_number"],
            "{}",
            t.label
        );
        assert!(
            !rows[0].detail.contains(id.as_str()),
            "{}: the log keeps the number masked",
            t.label
        );
        let by_actor = t
            .read(|tx| {
                audit_search::search(
                    tx,
                    &auditor,
                    &AuditQuery {
                        actor: Some("system:test".into()),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        assert_eq!(by_actor.len(), 7, "{}: the seven seeded accounts", t.label);
        let future = t
            .read(|tx| {
                audit_search::search(
                    tx,
                    &auditor,
                    &AuditQuery {
                        from: Some("2999-01-01".into()),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        assert!(future.is_empty());
        let street = principal_of(&t, "yz-street");
        assert!(matches!(
            t.read(|tx| audit_search::search(tx, &street, &AuditQuery::default())),
            Err(AccessError::Forbidden(_))
        ));
    }
}
