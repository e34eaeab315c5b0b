//! What a citizen can do to someone else's case, and what floods and slips of the finger are
//! refused, on both backends: self-declared ID numbers reach only self-registered households, a
//! second application keeps every member the citizen lists, a 0-yuan case says so, anonymous
//! objections are limited while those with a contact are still taken, amounts have a maximum.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{Principal, Role};
use minzheng_assistance::AssistanceError;
use minzheng_assistance::cases::{self, OnlineApplication, OnlineMember};
use minzheng_assistance::households::{self, NewHousehold, NewMember};
use minzheng_assistance::queries;
use minzheng_store::audit::AuditContext;
use minzheng_store::{Db, params};

mod common;
use common::{account, d, id};

fn staff(db: &Db, username: &str, role: Role, scope: &str) -> Principal {
    let new = NewAccount {
        username: username.into(),
        display_name: username.into(),
        role,
        scope: scope.into(),
        unit_id: None,
        password: "Minzheng-2026".into(),
        phone: None,
    };
    let a = db
        .write(|tx| accounts::create(tx, &Principal::system("test"), &new))
        .unwrap();
    Principal {
        account_id: a.id,
        username: a.username,
        display_name: a.display_name,
        role,
        scope_code: scope.into(),
        unit_id: None,
        address: None,
        request_id: None,
    }
}

fn count(db: &Db, sql: &str, key: i64) -> i64 {
    db.read(|tx| -> Result<i64, minzheng_store::StoreError> {
        tx.query_one(sql, params![key])?.get(0)
    })
    .unwrap()
}

fn online(members: Vec<OnlineMember>) -> OnlineApplication {
    OnlineApplication {
        program: "dibao".into(),
        region_code: "500103001003".into(),
        address: "渝中区七星岗街道华一坡 8 号 2-1".into(),
        members,
        reason: "失业后家庭无收入来源".into(),
        documents: vec!["application_form".into(), "hukou".into(), "id_cards".into()],
        authorization_signed: true,
        ..OnlineApplication::default()
    }
}

fn member(name: &str, number: &str, relation: &str) -> OnlineMember {
    OnlineMember {
        name: name.into(),
        id_number: number.into(),
        relation: relation.into(),
    }
}

fn message(e: AssistanceError) -> String {
    match e {
        AssistanceError::Invalid(m) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_self_declared_number_reaches_only_a_household_the_account_registered() {
    for t in minzheng_store::testing::databases("assist_trust_binding") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        let street = staff(db, "street", Role::StreetOfficer, "500103001");
        let today = d("2026-03-02");
        // The real person's household, registered by staff at the counter.
        let victim = id("500103", "1970-04-04", 17);
        let hid = db
            .write(|tx| {
                let hid = households::create_household(
                    tx,
                    &street,
                    &NewHousehold {
                        region_code: "500103001003".into(),
                        address: "渝中区七星岗街道华一坡 20 号".into(),
                    },
                )?;
                households::add_member(
                    tx,
                    &street,
                    hid,
                    &NewMember {
                        id_number: victim.clone(),
                        name: "周国强".into(),
                        relation: "head".into(),
                        co_resident: true,
                        exclusion: "none".into(),
                        ..NewMember::default()
                    },
                    today,
                )?;
                Ok::<_, AssistanceError>(hid)
            })
            .unwrap();
        // Someone binds the victim's number on their own phone (self-declared, not verified).
        let impostor = account(
            db,
            "13900000001",
            Role::Citizen,
            "",
            Some(("13900000001", &victim, "周国强")),
        );
        let e = db
            .write(|tx| cases::apply_online(tx, &impostor, &online(vec![]), today))
            .unwrap_err();
        let m = message(e);
        assert!(m.contains("尚未实名核验"), "{}: {m}", t.label);
        assert!(
            !m.contains(&hid.to_string()),
            "{}: the refusal names no household",
            t.label
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM assistance_application WHERE household_id = $1",
                hid
            ),
            0,
            "{}",
            t.label
        );
        // Once the number is verified (online or at a counter), the same account may apply.
        db.write(|tx| {
            tx.execute(
                "UPDATE account SET id_verified_at = '2026-03-02T01:00:00Z', id_verified_by = 'street' WHERE id = $1",
                params![impostor.account_id],
            )
        })
        .unwrap();
        let case = db
            .write(|tx| cases::apply_online(tx, &impostor, &online(vec![]), today))
            .unwrap();
        assert!(case > 0, "{}", t.label);
    }
}

#[test]
fn a_second_application_keeps_every_member_the_citizen_lists_and_a_zero_case_says_so() {
    for t in minzheng_store::testing::databases("assist_trust_members") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        let street = staff(db, "street", Role::StreetOfficer, "500103001");
        let today = d("2026-03-02");
        let me = id("500103", "1985-03-12", 23);
        let spouse = id("500103", "1987-06-01", 24);
        let child = id("500103", "2016-05-01", 25);
        let citizen = account(
            db,
            "13900000002",
            Role::Citizen,
            "",
            Some(("13900000002", &me, "王建国")),
        );
        // First on their own, then withdrawn.
        let first = db
            .write(|tx| cases::apply_online(tx, &citizen, &online(vec![]), today))
            .unwrap();
        db.write(|tx| cases::withdraw(tx, &citizen, first, "先补齐家人信息", today))
            .unwrap();
        // Again, now with the spouse and the child: the self-registered household takes them.
        let second = db
            .write(|tx| {
                cases::apply_online(
                    tx,
                    &citizen,
                    &online(vec![
                        member("李秀英", &spouse, "spouse"),
                        member("王小明", &child, "child"),
                        member("王建国", &me, "head"),
                    ]),
                    today,
                )
            })
            .unwrap();
        let hid = count(
            db,
            "SELECT household_id FROM assistance_application WHERE id = $1",
            second,
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM household_member WHERE household_id = $1 AND active",
                hid
            ),
            3,
            "{}: head, spouse and child",
            t.label
        );
        // A computed 0 is shown as such on the case and on the worklist.
        db.write(|tx| {
            tx.execute(
                "UPDATE assistance_application SET amount_fen = 0 WHERE id = $1",
                params![second],
            )
        })
        .unwrap();
        let view = db
            .read(|tx| queries::case_view(tx, &street, second, today))
            .unwrap();
        assert!(view.ineligible, "{}", t.label);
        let list = db
            .read(|tx| queries::worklist(tx, &street, &queries::WorklistQuery::default(), today))
            .unwrap();
        let item = list.iter().find(|i| i.id == second).unwrap();
        assert!(item.ineligible, "{}", t.label);
    }
}

#[test]
fn anonymous_objections_are_limited_and_one_with_a_contact_is_still_taken() {
    for t in minzheng_store::testing::databases("assist_trust_objections") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        for (u, r, s) in [
            ("yuzhong-street", Role::StreetOfficer, "500103001"),
            ("yuzhong-reviewer", Role::DistrictReviewer, "500103"),
            ("yuzhong-community", Role::CommunityWorker, "500103001003"),
            ("shapingba-street", Role::StreetOfficer, "500106001"),
            ("shapingba-reviewer", Role::DistrictReviewer, "500106"),
            ("shapingba-community", Role::CommunityWorker, "500106001001"),
        ] {
            staff(db, u, r, s);
        }
        let seeded = d("2020-06-15");
        db.write(|tx| minzheng_assistance::demo::seed(tx, seeded))
            .unwrap();
        let (notice, starts): (i64, String) = db
            .read(|tx| -> Result<(i64, String), minzheng_store::StoreError> {
                let r = tx.query_one(
                    "SELECT id, starts_on FROM public_notice WHERE status = 'open' ORDER BY id LIMIT 1",
                    params![],
                )?;
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        let today = d(&starts);
        let from = |address: &str| AuditContext {
            actor: "anonymous".into(),
            role: "anonymous".into(),
            address: Some(address.into()),
            request_id: None,
        };
        let object = |ctx: &AuditContext, contact: &str| {
            db.write(|tx| {
                cases::object(
                    tx,
                    ctx,
                    notice,
                    "匿名",
                    contact,
                    "该户有经营收入未申报",
                    today,
                )
            })
        };
        let before = count(
            db,
            "SELECT COUNT(*) FROM notice_objection WHERE notice_id = $1",
            notice,
        );
        let flood = from("203.0.113.9");
        for _ in 0..3 {
            object(&flood, "").unwrap();
        }
        let m = message(object(&flood, "").unwrap_err());
        assert!(m.contains("留下联系电话"), "{}: {m}", t.label);
        // The same address with a callable contact is still heard.
        object(&flood, "138 0000 1234").unwrap();
        // Contact text is a phone number, not a place to store a megabyte.
        let big = "1".repeat(1_900_000);
        assert!(message(object(&from("203.0.113.10"), &big).unwrap_err()).contains("联系方式"));
        assert!(
            message(object(&from("203.0.113.10"), "请打电话").unwrap_err()).contains("联系方式")
        );
        // Twenty anonymous objections a day per notice, from any number of addresses.
        for i in 0..17 {
            object(&from(&format!("198.51.100.{i}")), "").unwrap();
        }
        let m = message(object(&from("198.51.100.200"), "").unwrap_err());
        assert!(m.contains("匿名异议已达上限"), "{}: {m}", t.label);
        object(&from("198.51.100.200"), "023-63881234").unwrap();
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM notice_objection WHERE notice_id = $1",
                notice
            ) - before,
            22,
            "{}: 20 anonymous and 2 with a contact",
            t.label
        );
    }
}

#[test]
fn amounts_past_their_stated_maximum_are_refused() {
    for t in minzheng_store::testing::databases("assist_trust_amounts") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        let me = id("500103", "1980-01-01", 31);
        let citizen = account(
            db,
            "13900000003",
            Role::Citizen,
            "",
            Some(("13900000003", &me, "陈大勇")),
        );
        let form = OnlineApplication {
            program: "temporary_assistance".into(),
            subtype: Some("expenditure".into()),
            requested: Some("999,999,999,999".into()),
            ..online(vec![])
        };
        let m = message(
            db.write(|tx| cases::apply_online(tx, &citizen, &form, d("2026-03-02")))
                .unwrap_err(),
        );
        assert!(m.contains("不能超过 1000000 元"), "{}: {m}", t.label);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM assistance_application WHERE id > $1",
                0
            ),
            0,
            "{}",
            t.label
        );
    }
}
