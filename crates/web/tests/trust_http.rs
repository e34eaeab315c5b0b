//! The holes of the outside tries, over HTTP on every backend: where sign-in may send a person,
//! requests from other sites, messages in URLs, one's own password, the session cookie, the
//! development inbox behind a real gateway, and the client address behind a proxy.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::notify::{Message, Sender};
use minzheng_access::{AccessError, Principal, Role};
use minzheng_store::testing::databases;
use minzheng_store::{Db, params};
use minzheng_web::testing::{Browser, TestServer, request};
use minzheng_web::{AppState, WebConfig};

const PW: &str = "Minzheng-2026";

fn staff(db: &Db, username: &str, role: Role, scope: &str) -> i64 {
    db.write(|tx| {
        accounts::create(
            tx,
            &Principal::system("test"),
            &NewAccount {
                username: username.into(),
                display_name: username.into(),
                role,
                scope: scope.into(),
                unit_id: None,
                password: PW.into(),
                phone: None,
            },
        )
    })
    .map(|a| a.id)
    .map_err(|e: AccessError| e)
    .unwrap()
}

fn sign_in_to(server: &TestServer, next: &str) -> minzheng_web::testing::TestResponse {
    let mut b = Browser::new(server.addr);
    b.get("/sign-in");
    b.post_form(
        "/sign-in",
        &[("username", "admin"), ("password", PW), ("next", next)],
    )
}

#[test]
fn sign_in_follows_only_paths_of_this_site() {
    for t in databases("trust_next") {
        staff(&t, "admin", Role::CityAdmin, "50");
        let server = TestServer::start(t.db.clone());
        for bad in [
            "//evil.example/x",
            "/\\evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "https://evil.example/",
            "/x\r\nSet-Cookie: a=b",
            "javascript:alert(1)",
            "/%2F%2Fevil.example",
        ] {
            let r = sign_in_to(&server, bad);
            assert_eq!(r.status, 303, "{}: {bad:?}: {}", t.label, r.text());
            assert_eq!(
                r.header("location"),
                Some("/account"),
                "{}: {bad:?}",
                t.label
            );
        }
        let r = sign_in_to(&server, "/assistance?state=submitted");
        assert_eq!(r.header("location"), Some("/assistance?state=submitted"));
    }
}

#[test]
fn a_post_from_another_site_is_refused_even_with_the_token() {
    for t in databases("trust_origin") {
        staff(&t, "admin", Role::CityAdmin, "50");
        let server = TestServer::start(t.db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("admin", PW);
        b.get("/account");
        let csrf = b.csrf.clone().unwrap();
        let fields = [("_csrf", csrf.as_str())];
        let r = b.post_with_headers(
            "/account/sign-out-everywhere",
            &fields,
            &[("origin", "http://evil.example")],
        );
        assert_eq!(r.status, 403, "{}", t.label);
        assert_eq!(
            b.get("/account").status,
            200,
            "{}: the session is still open",
            t.label
        );
        let own = format!("http://{}", server.addr);
        let r = b.post_with_headers("/account/sign-out-everywhere", &fields, &[("origin", &own)]);
        assert_eq!(r.status, 303, "{}: {}", t.label, r.text());
    }
}

fn citizen(server: &TestServer, db: &Db, phone: &str) -> Browser {
    let mut b = Browser::new(server.addr);
    b.get("/citizen/sign-in");
    b.post_form("/citizen/code", &[("phone", phone)]);
    let body: String = db
        .read(|tx| {
            tx.query_one(
                "SELECT body FROM notification WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
                params![phone],
            )?
            .get(0)
        })
        .unwrap();
    let code: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
    let r = b.post_form("/citizen/sign-in", &[("phone", phone), ("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.text());
    b
}

#[test]
fn a_message_in_a_url_is_shown_only_when_this_server_wrote_it_for_this_visitor() {
    for t in databases("trust_flash") {
        let server = TestServer::start(t.db.clone());
        let mut me = citizen(&server, &t.db, "13700002001");
        me.get("/citizen");
        let number = minzheng_kernel::id_number::IdNumber::generate(
            "500103",
            chrono::NaiveDate::from_ymd_opt(1980, 2, 2).unwrap(),
            11,
        )
        .unwrap();
        let r = me.post_form(
            "/citizen/id-number",
            &[("id_number", number.as_str()), ("real_name", "孙丽")],
        );
        let to = r.header("location").unwrap().to_owned();
        assert!(
            to.contains("msg=") && to.contains("msig="),
            "{}: {to}",
            t.label
        );
        assert!(
            me.get(&to).text().contains("身份证号码已绑定"),
            "{}",
            t.label
        );
        // The same link in another person's browser shows no message.
        let mut other = citizen(&server, &t.db, "13700002002");
        assert!(
            !other.get(&to).text().contains("身份证号码已绑定"),
            "{}",
            t.label
        );
        // Nor does a message someone wrote into a link, signed or not.
        let phish = minzheng_web::auth::urlencode("请将保障金转入账户 6222 0000");
        for url in [
            format!("/citizen?msg={phish}"),
            format!("/citizen?msg={phish}&msig=00112233445566778899aabbccddeeff"),
        ] {
            let page = other.get(&url);
            assert_eq!(page.status, 200, "{}", t.label);
            assert!(!page.text().contains("6222 0000"), "{}: {url}", t.label);
        }
    }
}

#[test]
fn nobody_resets_their_own_password_without_the_old_one() {
    for t in databases("trust_own_reset") {
        let id = staff(&t, "admin", Role::CityAdmin, "50");
        let server = TestServer::start(t.db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("admin", PW);
        b.get(&format!("/admin/accounts/{id}"));
        let r = b.post_form(
            &format!("/admin/accounts/{id}/reset-password"),
            &[("new_password", "Changed-Pass-2026")],
        );
        assert_eq!(r.status, 403, "{}: {}", t.label, r.text());
        assert!(r.text().contains("原密码"), "{}", t.label);
        // Nothing changed: the old password still opens the account, the session still works.
        assert_eq!(b.get("/account").status, 200, "{}", t.label);
        Browser::new(server.addr).sign_in("admin", PW);
    }
}

#[test]
fn the_session_cookie_ends_with_the_browser_unless_asked_to_remember() {
    for t in databases("trust_cookie") {
        staff(&t, "admin", Role::CityAdmin, "50");
        let server = TestServer::start(t.db.clone());
        let cookie_of = |remember: bool| {
            let mut b = Browser::new(server.addr);
            b.get("/sign-in");
            let mut fields = vec![("username", "admin"), ("password", PW)];
            if remember {
                fields.push(("remember", "1"));
            }
            let r = b.post_form("/sign-in", &fields);
            r.headers
                .iter()
                .find(|(k, v)| k == "set-cookie" && v.starts_with("mz_session="))
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert!(!cookie_of(false).contains("Max-Age"), "{}", t.label);
        assert!(cookie_of(true).contains("Max-Age=43200"), "{}", t.label);
    }
}

struct Gateway;

impl Sender for Gateway {
    fn name(&self) -> &'static str {
        "gateway"
    }

    fn send(&self, _: &Message) -> Result<(), String> {
        Ok(())
    }
}

#[test]
fn the_development_inbox_is_gone_once_a_gateway_sends_the_messages() {
    for t in databases("trust_inbox") {
        staff(&t, "admin", Role::CityAdmin, "50");
        let dev = TestServer::start(t.db.clone());
        let mut b = Browser::new(dev.addr);
        b.sign_in("admin", PW);
        let page = b.get("/dev/inbox");
        assert_eq!(page.status, 200, "{}", t.label);
        assert!(page.text().contains("未配置短信网关"), "{}", t.label);
        drop(dev);
        let mut state = AppState::new(t.db.clone(), WebConfig::default());
        state.sender = std::sync::Arc::new(Gateway);
        let real = TestServer::start_state(state);
        let mut b = Browser::new(real.addr);
        b.sign_in("admin", PW);
        assert_eq!(b.get("/dev/inbox").status, 404, "{}", t.label);
    }
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    for t in databases("trust_forwarded") {
        staff(&t, "admin", Role::CityAdmin, "50");
        let config = WebConfig {
            trusted_proxies: minzheng_web::proxies::TrustedProxies::parse(&["127.0.0.1"]).unwrap(),
            ..WebConfig::default()
        };
        let server = TestServer::start_with(t.db.clone(), config);
        let page = request(server.addr, "GET", "/sign-in", &[], b"");
        let csrf_cookie = page
            .headers
            .iter()
            .find(|(k, v)| k == "set-cookie" && v.starts_with("mz_csrf="))
            .map(|(_, v)| v.split(';').next().unwrap().to_owned())
            .unwrap();
        let token = csrf_cookie.trim_start_matches("mz_csrf=").to_owned();
        let body = format!("username=admin&password=wrong&_csrf={token}");
        for forwarded in ["203.0.113.7", "9.9.9.9, 203.0.113.8"] {
            let r = request(
                server.addr,
                "POST",
                "/sign-in",
                &[
                    ("cookie", &csrf_cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("x-forwarded-for", forwarded),
                ],
                body.as_bytes(),
            );
            assert_eq!(r.status, 401, "{}", t.label);
        }
        let addresses: Vec<String> = t
            .read(|tx| -> Result<Vec<String>, minzheng_store::StoreError> {
                tx.query("SELECT address FROM sign_in_attempt ORDER BY id", params![])?
                    .into_iter()
                    .map(|r| r.get(0))
                    .collect()
            })
            .unwrap();
        assert_eq!(addresses, vec!["203.0.113.7", "203.0.113.8"], "{}", t.label);
    }
}
