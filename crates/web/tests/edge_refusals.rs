//! Every refusal a person or a program can see is in Chinese, on both backends: malformed forms,
//! queries, paths and JSON bodies, the wrong content type, the wrong method, a body too large and
//! a path that does not exist, as the Chinese page, or under `/api` as the JSON error with its
//! stable code. Nothing the client sent is repeated back.

mod edge_common;

use edge_common::{PASSWORD, session, staff};
use minzheng_access::Role;
use minzheng_web::testing::{Browser, TestServer, request};

/// One bad request and what it must be answered.
struct Bad {
    method: &'static str,
    path: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    status: u16,
    /// The Chinese words the answer must hold.
    says: &'static str,
}

fn bad(
    method: &'static str,
    path: &'static str,
    content_type: &'static str,
    body: &[u8],
    status: u16,
    says: &'static str,
) -> Bad {
    Bad {
        method,
        path,
        content_type,
        body: body.to_vec(),
        status,
        says,
    }
}

#[test]
fn malformed_requests_are_refused_in_chinese() {
    for t in minzheng_store::testing::databases("edge_refusals") {
        staff(&t.db, "street", Role::StreetOfficer, "500103001");
        let server = TestServer::start(t.db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("street", PASSWORD);
        assert_eq!(b.get("/tools/check").status, 200);
        let csrf = b.csrf.clone().unwrap();
        let cookie = session(&b);
        let form = "application/x-www-form-urlencoded";
        let json = "application/json";
        let with_csrf = |fields: &str| format!("{fields}&_csrf={csrf}").into_bytes();
        let huge = format!("{{\"values\": [\"{}\"]}}", "1".repeat(3 * 1024 * 1024));

        let pages = [
            // A form without a field the handler needs.
            bad(
                "POST",
                "/tools/check",
                form,
                &with_csrf("kind=id_number"),
                422,
                "表单内容有误：缺少字段 text",
            ),
            // A form sent as JSON.
            bad(
                "POST",
                "/tools/check",
                json,
                b"{\"kind\":\"id_number\",\"text\":\"1\"}",
                415,
                "请以表单方式提交",
            ),
            // A path id that is not a number (and holds markup that must not come back).
            bad(
                "GET",
                "/assistance/cases/zzz%3Cb%3E",
                "",
                b"",
                400,
                "网址有误：参数应为整数",
            ),
            // A page that only takes a form, opened with GET.
            bad(
                "GET",
                "/assistance/households",
                "",
                b"",
                405,
                "此网址不能直接打开",
            ),
            bad(
                "GET",
                "/no/such/page",
                "",
                b"",
                404,
                "您访问的页面或记录不存在",
            ),
        ];
        let api = [
            bad(
                "GET",
                "/api/v1/calendar/add-workdays?date=2020-01-01&n=zzz",
                "",
                b"",
                400,
                "网址中的查询参数有误：字段 n 应为整数",
            ),
            bad(
                "GET",
                "/api/v1/calendar/add-workdays?date=2020-01-01",
                "",
                b"",
                400,
                "网址中的查询参数有误：缺少字段 n",
            ),
            bad(
                "POST",
                "/api/v1/check/id-numbers",
                json,
                b"{\"values\": [",
                400,
                "JSON 格式有误，无法解析",
            ),
            bad(
                "POST",
                "/api/v1/check/id-numbers",
                json,
                b"",
                400,
                "JSON 格式有误，无法解析：内容为空",
            ),
            // A number where a string is expected, and a string where a list is.
            bad(
                "POST",
                "/api/v1/check/id-numbers",
                json,
                b"{\"values\": [1]}",
                422,
                "JSON 内容有误：字段 values[0] 类型不对，应为文字（字符串）",
            ),
            bad(
                "POST",
                "/api/v1/check/id-numbers",
                json,
                b"{\"values\": \"zzz\"}",
                422,
                "JSON 内容有误：字段 values 类型不对，应为列表（数组）",
            ),
            bad(
                "POST",
                "/api/v1/check/id-numbers",
                json,
                b"{}",
                422,
                "JSON 内容有误：缺少字段 values",
            ),
            bad(
                "POST",
                "/api/v1/check/id-numbers",
                "text/plain",
                b"{\"values\": []}",
                415,
                "请以 JSON 提交",
            ),
            bad(
                "POST",
                "/api/v1/check/id-numbers",
                json,
                huge.as_bytes(),
                413,
                "提交的内容超过 2 MB 的上限",
            ),
            bad(
                "DELETE",
                "/api/v1/check/id-numbers",
                "",
                b"",
                405,
                "此网址不接受 DELETE 请求",
            ),
            bad("GET", "/api/v1/no/such/thing", "", b"", 404, "不存在"),
        ];
        for (is_api, list) in [(false, &pages[..]), (true, &api[..])] {
            for r in list {
                let mut headers =
                    vec![("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
                if !r.content_type.is_empty() {
                    headers.push(("content-type", r.content_type));
                }
                let got = request(server.addr, r.method, r.path, &headers, &r.body);
                let what = format!("{}: {} {}", t.label, r.method, r.path);
                assert_eq!(got.status, r.status, "{what}: {}", got.text());
                let text = got.text();
                assert!(!text.contains("zzz"), "{what}: the input is echoed: {text}");
                if is_api {
                    assert_eq!(
                        got.header("content-type"),
                        Some("application/json"),
                        "{what}"
                    );
                    let body = got.json();
                    let error = body["error"].as_str().unwrap_or_default();
                    assert!(error.contains(r.says), "{what}: {error}");
                    assert_eq!(body["status"], r.status, "{what}");
                    let code = body["code"].as_str().unwrap_or_default();
                    assert_eq!(
                        code,
                        minzheng_web::error::code(got.status.try_into().unwrap()),
                        "{what}"
                    );
                } else {
                    assert!(
                        got.header("content-type")
                            .is_some_and(|c| c.starts_with("text/html")),
                        "{what}"
                    );
                    assert!(
                        text.contains("lang=\"zh-CN\"") && text.contains(r.says),
                        "{what}: {text}"
                    );
                }
                if r.status == 405 {
                    assert!(
                        got.header("allow").is_some(),
                        "{what}: 405 names the allowed methods"
                    );
                }
            }
        }
        // The codes a program reads.
        let r = request(server.addr, "DELETE", "/api/v1/check/id-numbers", &[], b"");
        assert_eq!(r.json()["code"], "method_not_allowed");
        let r = request(
            server.addr,
            "POST",
            "/api/v1/check/id-numbers",
            &[("content-type", "application/json")],
            b"{\"values\": []}",
        );
        assert_eq!(
            (r.status, r.json()["code"].as_str()),
            (401, Some("unauthorized"))
        );
    }
}
