//! Access over HTTP: sign-in, CSRF, the scope matrix on account listings, counts and record URLs,
//! masking, and citizens' sign-in by code, on every backend of the run.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{AccessError, Principal, Role};
use minzheng_store::testing::databases;
use minzheng_store::{Db, params};
use minzheng_web::testing::{Browser, TestServer};

const PW: &str = "Minzheng-2026";

/// Two districts, each with one account of every district-level role, plus the city roles.
const ACCOUNTS: &[(&str, Role, &str, Option<i64>)] = &[
    ("admin", Role::CityAdmin, "50", None),
    ("auditor", Role::Auditor, "50", None),
    ("yz-admin", Role::DistrictAdmin, "500103", None),
    ("yz-reviewer", Role::DistrictReviewer, "500103", None),
    ("yz-street", Role::StreetOfficer, "500103001", None),
    ("yz-community", Role::CommunityWorker, "500103001003", None),
    ("yz-institution", Role::InstitutionStaff, "500103", Some(1)),
    ("yz-registrar", Role::MarriageRegistrar, "500103", Some(1)),
    ("spb-admin", Role::DistrictAdmin, "500106", None),
    ("spb-reviewer", Role::DistrictReviewer, "500106", None),
    ("spb-street", Role::StreetOfficer, "500106001", None),
    ("spb-community", Role::CommunityWorker, "500106001001", None),
    ("spb-institution", Role::InstitutionStaff, "500106", Some(2)),
    ("spb-registrar", Role::MarriageRegistrar, "500106", Some(2)),
];

fn seed(db: &Db) -> Vec<(String, i64, String)> {
    let system = Principal::system("test");
    db.write(|tx| {
        let mut out = Vec::new();
        for (u, role, scope, unit) in ACCOUNTS {
            let a = accounts::create(
                tx,
                &system,
                &NewAccount {
                    username: (*u).into(),
                    display_name: format!("{u} 同志"),
                    role: *role,
                    scope: (*scope).into(),
                    unit_id: *unit,
                    password: PW.into(),
                    phone: Some(format!("1380000{:04}", out.len())),
                },
            )?;
            out.push((a.username, a.id, a.scope));
        }
        Ok::<_, AccessError>(out)
    })
    .unwrap()
}

fn listed_usernames(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<a href=\"/admin/accounts/") {
        let after = &rest[i..];
        let start = after.find('>').unwrap() + 1;
        let end = after.find("</a>").unwrap();
        out.push(after[start..end].to_owned());
        rest = &after[end..];
    }
    out.sort();
    out
}

#[test]
fn every_role_sees_exactly_its_scope_on_the_list_the_count_and_the_record_url() {
    for t in databases("scope_matrix") {
        let all = seed(&t);
        let server = TestServer::start(t.db.clone());
        for (username, role, scope, _) in ACCOUNTS {
            let mut b = Browser::new(server.addr);
            b.sign_in(username, PW);
            use minzheng_access::Action;
            for (path, action) in [
                ("/admin/audit", Action::AuditRead),
                ("/dev/inbox", Action::InboxRead),
                ("/tools/check", Action::ToolsUse),
                ("/admin/calendar", Action::CalendarManage),
            ] {
                let want = if role.can(action) { 200 } else { 403 };
                assert_eq!(
                    b.get(path).status,
                    want,
                    "{}: {username} on {path}",
                    t.label
                );
            }
            let page = b.get("/admin/accounts");
            let may_read = role.can(minzheng_access::Action::AccountRead);
            if !may_read {
                assert_eq!(
                    page.status, 403,
                    "{}: {username} must not list accounts",
                    t.label
                );
                for (_, id, _) in &all {
                    assert_eq!(
                        b.get(&format!("/admin/accounts/{id}")).status,
                        403,
                        "{}: {username}",
                        t.label
                    );
                }
                continue;
            }
            assert_eq!(page.status, 200, "{}: {username}", t.label);
            let html = page.text();
            let mut expected: Vec<String> = all
                .iter()
                .filter(|(_, _, s)| s.starts_with(scope))
                .map(|(u, _, _)| u.clone())
                .collect();
            expected.sort();
            assert_eq!(
                listed_usernames(&html),
                expected,
                "{}: list of {username}",
                t.label
            );
            assert!(
                html.contains(&format!("共有 {} 个", expected.len())),
                "{}: count of {username}",
                t.label
            );
            for (other, id, s) in &all {
                let status = b.get(&format!("/admin/accounts/{id}")).status;
                let want = if s.starts_with(scope) { 200 } else { 404 };
                assert_eq!(status, want, "{}: {username} opening {other}", t.label);
            }
        }
    }
}

#[test]
fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    for t in databases("csrf") {
        seed(&t);
        let server = TestServer::start(t.db.clone());
        let mut b = Browser::new(server.addr);
        b.get("/sign-in");
        let r = b.post_raw("/sign-in", &[("username", "admin"), ("password", PW)]);
        assert_eq!(r.status, 403, "{}: sign-in without token", t.label);
        assert!(r.text().contains("请求已失效"));
        b.sign_in("yz-admin", PW);
        let before: i64 = t
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM account", params![])?
                    .get(0)
            })
            .unwrap();
        let form = [
            ("username", "yz-new"),
            ("display_name", "新同志"),
            ("role", "street_officer"),
            ("scope", "500103002"),
            ("password", PW),
        ];
        let r = b.post_raw("/admin/accounts", &form);
        assert_eq!(r.status, 403, "{}", t.label);
        let r = b.post_raw(
            "/admin/accounts",
            &[form.as_slice(), &[("_csrf", "forged")]].concat(),
        );
        assert_eq!(r.status, 403, "{}", t.label);
        let after: i64 = t
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM account", params![])?
                    .get(0)
            })
            .unwrap();
        assert_eq!(before, after);
        b.get("/admin/accounts");
        let r = b.post_form("/admin/accounts", &form);
        assert_eq!(r.status, 303, "{}: {}", t.label, r.text());
        let created: i64 = t
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM account", params![])?
                    .get(0)
            })
            .unwrap();
        assert_eq!(created, before + 1);
        // A district administrator cannot create a city-wide account.
        b.get("/admin/accounts");
        let r = b.post_form(
            "/admin/accounts",
            &[
                ("username", "yz-city"),
                ("display_name", "越权"),
                ("role", "city_admin"),
                ("scope", "50"),
                ("password", PW),
            ],
        );
        assert_eq!(r.status, 400, "{}", t.label);
        assert!(r.text().contains("没有权限"), "{}", r.text());
    }
}

#[test]
fn cookies_are_flagged_sessions_end_at_sign_out_and_personal_data_is_masked() {
    for t in databases("masking") {
        let all = seed(&t);
        let server = TestServer::start(t.db.clone());
        let mut b = Browser::new(server.addr);
        b.get("/sign-in");
        let r = b.post_form("/sign-in", &[("username", "admin"), ("password", PW)]);
        let set = r.header("set-cookie").unwrap_or_default().to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        let list = b.get("/admin/accounts").text();
        assert!(
            list.contains("138****0000") && !list.contains("13800000000"),
            "{}: masked in the list",
            t.label
        );
        let yz_street = all.iter().find(|(u, _, _)| u == "yz-street").unwrap().1;
        b.get(&format!("/admin/accounts/{yz_street}"));
        let shown = b.post_form(&format!("/admin/accounts/{yz_street}/reveal-phone"), &[]);
        assert_eq!(shown.status, 200);
        assert!(shown.text().contains("13800000004"), "{}", t.label);
        let audited: i64 = t
            .read(|tx| tx.query_one("SELECT COUNT(*) FROM audit_log WHERE action = 'person.unmask' AND actor = 'admin'", params![])?.get(0))
            .unwrap();
        assert_eq!(audited, 1, "{}: the whole view is audited", t.label);

        let mut d = Browser::new(server.addr);
        d.sign_in("yz-admin", PW);
        d.get(&format!("/admin/accounts/{yz_street}"));
        let refused = d.post_form(&format!("/admin/accounts/{yz_street}/reveal-phone"), &[]);
        assert_eq!(
            refused.status, 403,
            "{}: unmasking is a permission",
            t.label
        );

        b.get("/account");
        let out = b.post_form("/sign-out", &[]);
        assert_eq!(out.status, 303);
        let after = b.get("/admin/accounts");
        assert_eq!(after.status, 303, "{}: signed out", t.label);
        assert!(
            after
                .header("location")
                .unwrap_or_default()
                .starts_with("/sign-in")
        );
    }
}

#[test]
fn citizens_sign_in_by_code_and_see_only_their_own_pages() {
    for t in databases("citizen_http") {
        seed(&t);
        let server = TestServer::start(t.db.clone());
        let mut c = Browser::new(server.addr);
        c.get("/citizen/sign-in");
        let r = c.post_form("/citizen/code", &[("phone", "139 0000 1234")]);
        assert_eq!(r.status, 200, "{}: {}", t.label, r.text());
        let body: String = t
            .read(|tx| {
                tx.query_one(
                    "SELECT body FROM notification WHERE recipient = '13900001234'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        let code: String = body
            .chars()
            .filter(|ch| ch.is_ascii_digit())
            .take(6)
            .collect();
        let r = c.post_form(
            "/citizen/sign-in",
            &[("phone", "13900001234"), ("code", &code)],
        );
        assert_eq!(r.status, 303, "{}: {}", t.label, r.text());
        assert_eq!(c.get("/citizen").status, 200);
        let birth = chrono::NaiveDate::from_ymd_opt(1990, 3, 7).unwrap();
        let id = minzheng_kernel::id_number::IdNumber::generate("500103", birth, 123).unwrap();
        let bad = c.post_form(
            "/citizen/id-number",
            &[("real_name", "张三"), ("id_number", "500103199003071230")],
        );
        assert_eq!(bad.status, 400, "{}", t.label);
        assert!(bad.text().contains("校验"), "{}", bad.text());
        let typed = format!(" {} ", id.as_str().to_lowercase());
        let ok = c.post_form(
            "/citizen/id-number",
            &[("real_name", "张三"), ("id_number", &typed)],
        );
        assert_eq!(ok.status, 303, "{}: {}", t.label, ok.text());
        let home = c.get("/citizen").text();
        assert!(
            home.contains(&id.masked()) && !home.contains(id.as_str()),
            "{}: shown masked",
            t.label
        );
        let stored: String = t
            .read(|tx| {
                tx.query_one(
                    "SELECT id_number FROM account WHERE phone = '13900001234'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(stored, id.as_str(), "{}: stored canonical", t.label);
        assert_eq!(
            c.get("/admin/accounts").status,
            403,
            "{}: citizens never see staff pages",
            t.label
        );
        assert_eq!(c.get("/account").status, 403);
    }
}
