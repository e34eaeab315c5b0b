//! The checking tools over HTTP: the paste page and the batch API with its limits.

use chrono::NaiveDate;
use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{Principal, Role};
use minzheng_kernel::id_number::IdNumber;
use minzheng_store::testing::sqlite_empty;
use minzheng_web::testing::{Browser, TestServer, request};

#[test]
fn pasted_lists_and_api_batches_are_checked_with_reasons() {
    let t = sqlite_empty("tools");
    minzheng_store::migrations::migrate(&t).unwrap();
    t.write(|tx| {
        accounts::create(
            tx,
            &Principal::system("test"),
            &NewAccount {
                username: "street".into(),
                display_name: "经办".into(),
                role: Role::StreetOfficer,
                scope: "500103001".into(),
                unit_id: None,
                password: "Chongqing-2026".into(),
                phone: None,
            },
        )
    })
    .unwrap();
    let server = TestServer::start(t.db.clone());
    let good =
        IdNumber::generate("500103", NaiveDate::from_ymd_opt(1956, 2, 29).unwrap(), 12).unwrap();
    let mut b = Browser::new(server.addr);
    assert_eq!(b.get("/tools/check").status, 303, "sign-in first");
    b.sign_in("street", "Chongqing-2026");
    assert_eq!(b.get("/tools/check").status, 200);
    let pasted = format!(
        "{}\n５００１０３１９５６０２２９００１２\tX\n\n123",
        good.as_str().to_lowercase()
    );
    let page = b.post_form("/tools/check", &[("kind", "id_number"), ("text", &pasted)]);
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("共 4 个，有效 1 个，无效 3 个"), "{html}");
    assert!(
        html.contains("1956-02-29 出生") && html.contains("渝中区"),
        "{html}"
    );

    let csrf = b.csrf.clone().unwrap();
    let cookie = format!("mz_session={}", b.cookie("mz_session").unwrap());
    let body = serde_json::json!({ "values": [good.as_str(), format!(" {} ", good.as_str()), "110"], "strict": true }).to_string();
    let headers = [
        ("cookie", cookie.as_str()),
        ("content-type", "application/json"),
        ("x-csrf-token", csrf.as_str()),
    ];
    let r = request(
        server.addr,
        "POST",
        "/api/v1/check/id-numbers",
        &headers,
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(
        (j["total"].as_u64(), j["valid"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(j["results"][0]["id_number"]["sex"], "female");
    assert!(
        j["results"][1]["reason"].is_string(),
        "strict refuses surrounding spaces"
    );

    let too_many = serde_json::json!({ "values": vec!["1"; 10_001] }).to_string();
    let r = request(
        server.addr,
        "POST",
        "/api/v1/check/id-numbers",
        &headers,
        too_many.as_bytes(),
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("10000"));
    let no_csrf = [
        ("cookie", cookie.as_str()),
        ("content-type", "application/json"),
    ];
    let r = request(
        server.addr,
        "POST",
        "/api/v1/check/id-numbers",
        &no_csrf,
        body.as_bytes(),
    );
    assert_eq!(r.status, 403);
    assert!(r.json()["error"].as_str().unwrap().contains("CSRF"));
    let anonymous = [("content-type", "application/json")];
    let r = request(
        server.addr,
        "POST",
        "/api/v1/check/credit-codes",
        &anonymous,
        body.as_bytes(),
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "请先登录");
}
