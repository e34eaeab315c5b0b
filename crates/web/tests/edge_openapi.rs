//! The OpenAPI document says how the API authenticates and what it answers, and the API holds to
//! it, on both backends: the session cookie and the CSRF header as security schemes on the
//! operations that need them, every refusal documented with the JSON error body, no operation
//! that needs a session answering without one, and a body of the wrong JSON type refused with 422
//! in Chinese on every operation that takes JSON.

mod edge_common;

use edge_common::{PASSWORD, session, staff};
use minzheng_access::Role;
use minzheng_web::testing::{Browser, TestServer, request};
use serde_json::{Value, json};

/// Every operation of the document: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    out
}

/// The request's JSON schema, with a `$ref` to the components resolved.
fn body_schema<'a>(doc: &'a Value, op: &'a Value) -> Option<&'a Value> {
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let name = schema["$ref"].as_str()?.rsplit('/').next()?;
    Some(&doc["components"]["schemas"][name])
}

/// The path with every `{param}` set to 1.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        out.push('1');
        rest = &rest[rest[i..].find('}').unwrap() + i + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_document_declares_its_authentication_and_refusals_and_the_api_keeps_to_it() {
    for t in minzheng_store::testing::databases("edge_openapi") {
        staff(&t.db, "city", Role::CityAdmin, "50");
        let server = TestServer::start(t.db.clone());
        let doc = request(server.addr, "GET", "/api/openapi.json", &[], b"").json();
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(
            schemes["session"],
            json!({"type": "apiKey", "in": "cookie", "name": "mz_session", "description": "登录后由 /sign-in 设置的会话 Cookie"})
        );
        assert_eq!(
            (
                &schemes["csrf"]["type"],
                &schemes["csrf"]["in"],
                &schemes["csrf"]["name"]
            ),
            (&json!("apiKey"), &json!("header"), &json!("X-CSRF-Token"))
        );
        let error = &doc["components"]["schemas"]["ErrorBody"];
        assert_eq!(error["required"], json!(["error", "status", "code"]));

        let ops = operations(&doc);
        assert!(ops.len() >= 30, "{} operations", ops.len());
        let mut secured = 0;
        for (method, path, op) in &ops {
            let what = format!("{}: {method} {path}", t.label);
            let security = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: no security"));
            let open = security.iter().any(|s| s == &json!({}));
            let session = security
                .iter()
                .find(|s| s.get("session").is_some())
                .unwrap_or_else(|| panic!("{what}: the session is not among its schemes"));
            // A change needs the CSRF header beside the cookie; a read does not.
            assert_eq!(session.get("csrf").is_some(), method != "get", "{what}");
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                if status.starts_with('4') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{what}: {status}"
                    );
                }
            }
            if !open {
                secured += 1;
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{what}"
                );
            }
            if path.contains('{') {
                assert!(
                    responses.contains_key("404") && responses.contains_key("400"),
                    "{what}"
                );
            }
            let json_body = body_schema(&doc, op).is_some();
            if json_body {
                for s in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(s), "{what}: {s}");
                }
            }

            // Without a session: never an answer, for an operation that needs one; never a 401,
            // for one that does not; and always a status the document names.
            let body: &[u8] = if json_body { b"{}" } else { b"" };
            let headers: &[(&str, &str)] = if json_body {
                &[("content-type", "application/json")]
            } else {
                &[]
            };
            let r = request(
                server.addr,
                &method.to_uppercase(),
                &concrete(path),
                headers,
                body,
            );
            assert!(
                responses.contains_key(&r.status.to_string()),
                "{what}: {} is not documented: {}",
                r.status,
                r.text()
            );
            if open {
                assert_ne!(r.status, 401, "{what}");
            } else {
                assert!(
                    r.status >= 400,
                    "{what}: answered {} without a session",
                    r.status
                );
            }
        }
        assert!(secured >= 18, "{secured} operations need a session");

        // A body of the wrong JSON type: a number where the document says a string.
        let mut b = Browser::new(server.addr);
        b.sign_in("city", PASSWORD);
        b.get("/account");
        let cookie = session(&b);
        let csrf = b.csrf.clone().unwrap();
        let mut checked = 0;
        for (method, path, op) in &ops {
            let Some(schema) = body_schema(&doc, op) else {
                continue;
            };
            let Some((field, _)) = schema["properties"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(_, p)| p["type"] == "string")
            else {
                continue;
            };
            let what = format!("{}: {method} {path} ({field})", t.label);
            let body = json!({ field.as_str(): 12345 }).to_string();
            let r = request(
                server.addr,
                &method.to_uppercase(),
                &concrete(path),
                &[
                    ("cookie", &cookie),
                    ("x-csrf-token", &csrf),
                    ("content-type", "application/json"),
                ],
                body.as_bytes(),
            );
            assert_eq!(r.status, 422, "{what}: {}", r.text());
            let error = r.json()["error"].as_str().unwrap_or_default().to_owned();
            assert_eq!(
                error,
                format!("JSON 内容有误：字段 {field} 类型不对，应为文字（字符串）。"),
                "{what}"
            );
            assert_eq!(r.json()["code"], "unprocessable");
            checked += 1;
        }
        assert!(
            checked >= 8,
            "{checked} operations take JSON with a string field"
        );
    }
}
