//! The holes found when the platform was tried from outside, each closed on every backend: a staff
//! phone is no way in by SMS, a burst of guesses is checked at most five times, an office behind
//! one address keeps signing in, nobody resets their own or the auditor's password, codes are
//! capped per day and leave the outbox once a gateway delivered them, and an ID number is bound
//! only as verified, as declared, or as a claim for staff to decide.

use chrono::{Duration, Utc};
use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::citizens::{self, BindOutcome, Binding, DisputeDecision};
use minzheng_access::identity::{ListVerifier, RealNameVerifier, Verdict};
use minzheng_access::notify::{self, Message, Sender};
use minzheng_access::sessions::{self, SessionPolicy};
use minzheng_access::{AccessError, Principal, Role, otp, sign_in};
use minzheng_store::testing::databases;
use minzheng_store::{Db, params};

const PASSWORD: &str = "Chongqing-2026";

fn create(db: &Db, username: &str, role: Role, scope: &str, phone: Option<&str>) -> Principal {
    let a = db
        .write(|tx| {
            accounts::create(
                tx,
                &Principal::system("test"),
                &NewAccount {
                    username: username.into(),
                    display_name: username.into(),
                    role,
                    scope: scope.into(),
                    unit_id: None,
                    password: PASSWORD.into(),
                    phone: phone.map(str::to_owned),
                },
            )
        })
        .unwrap();
    Principal {
        account_id: a.id,
        username: a.username,
        display_name: a.display_name,
        role,
        scope_code: scope.into(),
        unit_id: None,
        address: Some("127.0.0.1".into()),
        request_id: None,
    }
}

fn last_code(db: &Db, phone: &str) -> String {
    let body: String = db
        .read(|tx| {
            tx.query_one(
                "SELECT body FROM notification WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
                params![phone],
            )?
            .get(0)
        })
        .unwrap();
    body.chars().filter(char::is_ascii_digit).take(6).collect()
}

fn citizen(db: &Db, phone: &str) -> Principal {
    let now = Utc::now();
    let policy = SessionPolicy::default();
    db.write(|tx| otp::request_code(tx, phone, "10.1.1.1", now))
        .unwrap();
    let code = last_code(db, phone);
    let s = db
        .write(|tx| otp::sign_in_with_code(tx, phone, &code, "10.1.1.1", now, &policy))
        .unwrap()
        .unwrap();
    db.read(|tx| sessions::lookup(tx, &s.token, now, &policy))
        .unwrap()
        .unwrap()
        .0
        .principal
}

fn scalar(db: &Db, sql: &str, key: i64) -> i64 {
    db.read(|tx| -> Result<i64, minzheng_store::StoreError> {
        tx.query_one(sql, params![key])?.get(0)
    })
    .unwrap()
}

#[test]
fn a_one_time_code_to_a_staff_phone_opens_a_citizen_account_never_the_staff_one() {
    for t in databases("trust_sms_staff") {
        let street = create(
            &t,
            "street",
            Role::StreetOfficer,
            "500103001",
            Some("13700001111"),
        );
        let me = citizen(&t, "13700001111");
        assert_eq!(me.role, Role::Citizen, "{}", t.label);
        assert_ne!(me.account_id, street.account_id, "{}", t.label);
        assert_eq!(
            scalar(
                &t,
                "SELECT COUNT(*) FROM session WHERE account_id = $1",
                street.account_id
            ),
            0,
            "{}: no session for the staff account",
            t.label
        );
        // The staff member keeps signing in with the password only.
        sign_in::password_sign_in(
            &t,
            "street",
            PASSWORD,
            "10.0.0.1",
            Utc::now(),
            &SessionPolicy::default(),
        )
        .unwrap();
    }
}

/// Sends `n` sign-ins at once from ten addresses; `password(i)` is the i-th guess.
fn burst(
    db: &Db,
    n: usize,
    password: impl Fn(usize) -> &'static str + Sync,
) -> Vec<Result<(), AccessError>> {
    let now = Utc::now();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let db = db.clone();
                let pw = password(i);
                s.spawn(move || {
                    sign_in::password_sign_in(
                        &db,
                        "target",
                        pw,
                        &format!("10.9.0.{}", i % 10),
                        now,
                        &SessionPolicy::default(),
                    )
                    .map(|_| ())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn a_burst_of_guesses_is_checked_at_most_five_times_and_a_lock_holds_against_the_right_one() {
    for t in databases("trust_burst") {
        create(&t, "target", Role::DistrictAdmin, "500103", None);
        let outcomes = burst(&t, 30, |i| if i == 17 { PASSWORD } else { "Wrong-guess-1" });
        let wrong = outcomes
            .iter()
            .filter(|o| matches!(o, Err(AccessError::BadCredentials)))
            .count();
        let signed_in = outcomes.iter().filter(|o| o.is_ok()).count();
        let locked = outcomes
            .iter()
            .filter(|o| matches!(o, Err(AccessError::Locked(_))))
            .count();
        assert_eq!(wrong + signed_in + locked, 30, "{}: {outcomes:?}", t.label);
        // Each lock window lets through at most four wrong answers plus the one that locks; a right
        // password checked in time resets the count once.
        assert!(
            wrong <= 8,
            "{}: {wrong} guesses were checked and answered",
            t.label
        );
        assert!(signed_in <= 1, "{}", t.label);
        if signed_in == 0 {
            let locked_until: Option<String> = t
                .read(|tx| {
                    tx.query_one(
                        "SELECT locked_until FROM account WHERE username = 'target'",
                        params![],
                    )?
                    .get(0)
                })
                .unwrap();
            assert!(locked_until.is_some(), "{}", t.label);
        }
    }
}

#[test]
fn thirty_wrong_guesses_at_once_lock_the_account_after_five_checks() {
    for t in databases("trust_burst_wrong") {
        create(&t, "target", Role::DistrictAdmin, "500103", None);
        let now = Utc::now();
        let outcomes = burst(&t, 30, |_| "Wrong-guess-1");
        let wrong = outcomes
            .iter()
            .filter(|o| matches!(o, Err(AccessError::BadCredentials)))
            .count();
        assert_eq!(wrong, 4, "{}: {outcomes:?}", t.label);
        assert_eq!(
            scalar(
                &t,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'account.lock' AND seq > $1",
                0
            ),
            1,
            "{}",
            t.label
        );
        // The right password now changes nothing until the lock ends.
        let e = sign_in::password_sign_in(
            &t,
            "target",
            PASSWORD,
            "10.8.0.1",
            now,
            &SessionPolicy::default(),
        )
        .unwrap_err();
        assert!(matches!(e, AccessError::Locked(_)), "{}: {e}", t.label);
        sign_in::password_sign_in(
            &t,
            "target",
            PASSWORD,
            "10.8.0.1",
            now + sign_in::ACCOUNT_LOCK + Duration::seconds(1),
            &SessionPolicy::default(),
        )
        .unwrap();
    }
}

#[test]
fn an_office_behind_one_address_is_not_locked_out_by_failures_from_it() {
    for t in databases("trust_proxy_address") {
        create(&t, "clerk", Role::StreetOfficer, "500103001", None);
        create(&t, "newcomer", Role::StreetOfficer, "500103001", None);
        let policy = SessionPolicy::default();
        let now = Utc::now();
        let office = "192.0.2.50";
        sign_in::password_sign_in(&t, "clerk", PASSWORD, office, now, &policy).unwrap();
        for i in 0..sign_in::ADDRESS_FAILURE_LIMIT {
            let _ = sign_in::password_sign_in(&t, &format!("typo{i}"), "x", office, now, &policy);
        }
        // The clerk who signed in from here before still can; an account never seen here cannot.
        sign_in::password_sign_in(&t, "clerk", PASSWORD, office, now, &policy).unwrap();
        let e =
            sign_in::password_sign_in(&t, "newcomer", PASSWORD, office, now, &policy).unwrap_err();
        assert!(
            matches!(e, AccessError::TooManyAttempts),
            "{}: {e}",
            t.label
        );
    }
}

#[test]
fn no_one_resets_their_own_password_or_the_auditors_and_a_refusal_changes_nothing() {
    for t in databases("trust_reset") {
        let city = create(&t, "city", Role::CityAdmin, "50", None);
        let auditor = create(&t, "auditor", Role::Auditor, "50", None);
        let hash = |id: i64| -> String {
            t.read(|tx| {
                tx.query_one(
                    "SELECT password_hash FROM account WHERE id = $1",
                    params![id],
                )?
                .get(0)
            })
            .unwrap()
        };
        let (own, theirs) = (hash(city.account_id), hash(auditor.account_id));
        for target in [city.account_id, auditor.account_id] {
            let e = t
                .write(|tx| accounts::reset_password(tx, &city, target, "Another-Pass-2026"))
                .unwrap_err();
            assert!(matches!(e, AccessError::Forbidden(_)), "{}: {e}", t.label);
        }
        assert_eq!(hash(city.account_id), own, "{}", t.label);
        assert_eq!(hash(auditor.account_id), theirs, "{}", t.label);
        assert!(
            t.write(|tx| accounts::set_disabled(tx, &city, auditor.account_id, true))
                .is_err()
        );
        // The command line (the system) still manages auditors.
        t.write(|tx| {
            accounts::reset_password(
                tx,
                &Principal::system("cli"),
                auditor.account_id,
                "Another-Pass-2026",
            )
        })
        .unwrap();
        assert_ne!(hash(auditor.account_id), theirs, "{}", t.label);
    }
}

#[test]
fn codes_are_capped_per_phone_and_address_per_day() {
    for t in databases("trust_sms_caps") {
        let start = Utc::now();
        let phone = "13600002222";
        for i in 0..otp::PHONE_DAILY_LIMIT {
            let at = start + Duration::minutes(2 * i);
            t.write(|tx| otp::request_code(tx, phone, &format!("10.2.0.{i}"), at))
                .unwrap();
        }
        let e = t
            .write(|tx| otp::request_code(tx, phone, "10.2.1.1", start + Duration::hours(3)))
            .unwrap_err();
        assert!(
            e.to_string().contains("24 小时内已获取"),
            "{}: {e}",
            t.label
        );
        // One address asking for many phones, slowly enough for the hourly limit.
        let address = "10.3.0.1";
        for i in 0..otp::ADDRESS_DAILY_LIMIT {
            let at = start + Duration::minutes(7 * i);
            t.write(|tx| otp::request_code(tx, &format!("135{:08}", 10_000 + i), address, at))
                .unwrap();
        }
        let e = t
            .write(|tx| otp::request_code(tx, "13599999999", address, start + Duration::hours(5)))
            .unwrap_err();
        assert!(e.to_string().contains("明天再试"), "{}: {e}", t.label);
    }
}

struct Gateway;

impl Sender for Gateway {
    fn name(&self) -> &'static str {
        "test_gateway"
    }

    fn send(&self, _: &Message) -> Result<(), String> {
        Ok(())
    }
}

#[test]
fn a_delivered_code_leaves_the_outbox_unless_the_outbox_is_the_inbox() {
    for t in databases("trust_redact") {
        let now = Utc::now();
        t.write(|tx| otp::request_code(tx, "13600003333", "10.4.0.1", now))
            .unwrap();
        let code = last_code(&t, "13600003333");
        assert_eq!(code.len(), 6);
        notify::deliver_due(&t, &Gateway, "w1", now).unwrap();
        let body: String = t
            .read(|tx| {
                tx.query_one(
                    "SELECT body FROM notification WHERE recipient = '13600003333'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(body, notify::REDACTED_BODY, "{}", t.label);
        // The code itself still works: it is kept only as a hash.
        let s = t
            .write(|tx| {
                otp::sign_in_with_code(
                    tx,
                    "13600003333",
                    &code,
                    "10.4.0.1",
                    now,
                    &SessionPolicy::default(),
                )
            })
            .unwrap();
        assert!(s.is_ok(), "{}", t.label);
        // With the built-in sender the development inbox is where the code is read.
        t.write(|tx| otp::request_code(tx, "13600004444", "10.4.0.2", now))
            .unwrap();
        notify::deliver_due(&t, &notify::LogSender, "w2", now).unwrap();
        assert_eq!(last_code(&t, "13600004444").len(), 6, "{}", t.label);
    }
}

#[test]
fn an_id_number_is_bound_verified_as_declared_or_as_a_claim_staff_decide() {
    for t in databases("trust_binding") {
        let street = create(&t, "street", Role::StreetOfficer, "500103001", None);
        let today = minzheng_kernel::id_number::china_today();
        let number = minzheng_kernel::id_number::IdNumber::generate(
            "500103",
            chrono::NaiveDate::from_ymd_opt(1975, 5, 5).unwrap(),
            41,
        )
        .unwrap();
        let verifier = ListVerifier {
            known: vec![(number.as_str().to_owned(), "刘芳".to_owned())],
        };
        let impostor = citizen(&t, "13600005555");
        let owner = citizen(&t, "13600006666");
        // A name that does not go with the number is refused and binds nothing.
        let wrong = Binding::parse(number.as_str(), "刘方", today).unwrap();
        let verdict = verifier.verify(number.as_str(), "刘方");
        assert_eq!(verdict, Verdict::Mismatch);
        assert!(
            t.write(|tx| citizens::bind_id_number(
                tx,
                &impostor,
                &wrong,
                &verdict,
                verifier.name()
            ))
            .is_err()
        );
        // Without an online verifier, the first to type the number holds it as declared.
        let declared = Binding::parse(number.as_str(), "刘芳", today).unwrap();
        let none = Verdict::Unavailable("未配置".into());
        let o = t
            .write(|tx| citizens::bind_id_number(tx, &impostor, &declared, &none, "counter"))
            .unwrap();
        assert_eq!(o, BindOutcome::SelfDeclared, "{}", t.label);
        assert!(!t.read(|tx| citizens::is_verified(tx, &impostor)).unwrap());
        // The real person is not locked out: their claim goes to the staff worklist, committed.
        let o = t
            .write(|tx| {
                citizens::bind_id_number(tx, &owner, &declared, &Verdict::Match, verifier.name())
            })
            .unwrap();
        assert_eq!(o, BindOutcome::Disputed, "{}", t.label);
        assert!(
            t.read(|tx| citizens::profile(tx, &owner))
                .unwrap()
                .dispute_open
        );
        let disputes = t.read(|tx| citizens::open_disputes(tx, &street)).unwrap();
        assert_eq!(disputes.len(), 1, "{}", t.label);
        assert!(
            !disputes[0].id_number.contains(&number.as_str()[6..14]),
            "masked"
        );
        // Citizens cannot reach the worklist.
        assert!(t.read(|tx| citizens::open_disputes(tx, &owner)).is_err());
        // Staff see the owner's card: a wrong number typed is refused; the right one moves it.
        let other = minzheng_kernel::id_number::IdNumber::generate(
            "500103",
            chrono::NaiveDate::from_ymd_opt(1975, 5, 5).unwrap(),
            42,
        )
        .unwrap();
        assert!(
            t.write(|tx| {
                citizens::resolve_dispute(
                    tx,
                    &street,
                    disputes[0].id,
                    other.as_str(),
                    DisputeDecision::ToClaimant,
                    "查验身份证",
                    today,
                )
            })
            .is_err()
        );
        t.write(|tx| {
            citizens::resolve_dispute(
                tx,
                &street,
                disputes[0].id,
                number.as_str(),
                DisputeDecision::ToClaimant,
                "查验本人身份证原件",
                today,
            )
        })
        .unwrap();
        assert!(
            t.read(|tx| citizens::is_verified(tx, &owner)).unwrap(),
            "{}",
            t.label
        );
        assert_eq!(
            t.read(|tx| citizens::profile(tx, &impostor))
                .unwrap()
                .id_number,
            None
        );
        assert!(
            t.read(|tx| citizens::open_disputes(tx, &street))
                .unwrap()
                .is_empty()
        );
        // A declared binding verified at the counter.
        let third = citizen(&t, "13600007777");
        let mine = minzheng_kernel::id_number::IdNumber::generate(
            "500106",
            chrono::NaiveDate::from_ymd_opt(1990, 1, 2).unwrap(),
            43,
        )
        .unwrap();
        let b = Binding::parse(mine.as_str(), "赵敏", today).unwrap();
        t.write(|tx| citizens::bind_id_number(tx, &third, &b, &none, "counter"))
            .unwrap();
        let found = t
            .read(|tx| citizens::find_for_counter(tx, &street, "136 0000 7777"))
            .unwrap()
            .unwrap();
        t.write(|tx| {
            citizens::verify_at_counter(tx, &street, found.account_id, mine.as_str(), today)
        })
        .unwrap();
        assert!(
            t.read(|tx| citizens::is_verified(tx, &third)).unwrap(),
            "{}",
            t.label
        );
    }
}
