//! What fuzzing the API from its OpenAPI document found, kept found, on both backends.

mod edge_common;

use edge_common::{PASSWORD, session, staff};
use minzheng_access::Role;
use minzheng_web::testing::{Browser, TestServer, request};

#[test]
fn a_worklist_page_far_past_the_end_is_empty_not_an_overflow() {
    for t in minzheng_store::testing::databases("edge_fuzz_worklist") {
        staff(&t.db, "street", Role::StreetOfficer, "500103001");
        let server = TestServer::start(t.db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("street", PASSWORD);
        let cookie = session(&b);
        for query in [
            "limit=-9223372036854775808&offset=9223372036854775806",
            "limit=500&offset=9223372036854775807",
            "limit=9223372036854775807&offset=9223372036854775807",
        ] {
            let r = request(
                server.addr,
                "GET",
                &format!("/api/v1/assistance/worklist?{query}"),
                &[("cookie", &cookie)],
                b"",
            );
            assert_eq!(r.status, 200, "{}: {query}: {}", t.label, r.text());
            assert_eq!(r.json(), serde_json::json!([]), "{query}");
        }
    }
}
