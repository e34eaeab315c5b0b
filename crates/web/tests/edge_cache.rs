//! Nothing with personal data stays in the browser's or a proxy's cache, on both backends: every
//! page, API answer, error and redirect carries `Cache-Control: no-store` (a photo a handler
//! marked cacheable as well), only the static assets keep theirs; after signing out, the same
//! page asked again is not shown.

mod edge_common;

use edge_common::{PASSWORD, session, staff};
use minzheng_access::Role;
use minzheng_web::testing::{Browser, TestServer, request};

#[test]
fn pages_and_api_answers_are_never_stored_and_assets_are() {
    for t in minzheng_store::testing::databases("edge_cache") {
        staff(&t.db, "city", Role::CityAdmin, "50");
        let server = TestServer::start(t.db.clone());
        let mut b = Browser::new(server.addr);
        for path in ["/", "/sign-in", "/account", "/api/v1", "/no/such/page"] {
            let r = b.get(path);
            assert_eq!(
                r.header("cache-control"),
                Some("no-store"),
                "{}: {path} ({})",
                t.label,
                r.status
            );
        }
        b.sign_in("city", PASSWORD);
        let cookie = session(&b);
        for path in [
            "/account",
            "/admin/accounts",
            "/admin/audit",
            "/assistance",
            "/api/v1/assistance/worklist",
            "/api/v1/governance/requests",
            "/api/openapi.json",
            "/api/v1/no/such/thing",
            "/assistance/cases/abc",
        ] {
            let r = request(server.addr, "GET", path, &[("cookie", &cookie)], b"");
            assert_eq!(
                r.header("cache-control"),
                Some("no-store"),
                "{}: {path} ({})",
                t.label,
                r.status
            );
        }
        // A form's redirect too.
        b.get("/account");
        let r = b.post_form("/sign-out", &[]);
        assert_eq!(r.status, 303);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        // Signed out, the same page is not shown again with the old cookie.
        let again = request(server.addr, "GET", "/account", &[("cookie", &cookie)], b"");
        assert_eq!(again.status, 303, "{}", t.label);
        assert!(again.header("location").unwrap().starts_with("/sign-in"));
        assert!(!again.text().contains("city测试"));

        let css = b.get("/assets/app.css");
        assert_eq!(css.status, 200);
        assert_eq!(css.header("cache-control"), Some("public, max-age=86400"));
    }
}
