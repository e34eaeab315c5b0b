//! Photos of documents uploaded as a phone sends them (multipart through htmx), on both backends,
//! on the staff route and the citizen's: a 3 MiB photo is taken, an 11 MB one is refused by the
//! attachment policy in Chinese, and a body past the upload limit is refused with a Chinese 413;
//! a refused upload stores nothing.

use chrono::NaiveDate;
mod edge_common;

use edge_common::{PASSWORD, session, staff};
use minzheng_access::{Principal, Role};
use minzheng_assistance::cases::{self, OnlineApplication};
use minzheng_kernel::id_number::IdNumber;
use minzheng_store::{Db, params};
use minzheng_web::testing::{Browser, TestResponse, TestServer, request};

const PHONE: &str = "13800000001";

fn count(db: &Db, sql: &str) -> i64 {
    db.read(|tx| tx.query_one(sql, params![])?.get::<i64>(0))
        .unwrap()
}

/// A citizen signed in with a one-time code, as the sign-in page does it.
fn citizen(server: &TestServer, db: &Db) -> Browser {
    let mut c = Browser::new(server.addr);
    c.get("/citizen/sign-in");
    let r = c.post_form("/citizen/code", &[("phone", PHONE)]);
    assert_eq!(r.status, 200, "{}", r.text());
    let body: String = db
        .read(|tx| {
            tx.query_one(
                "SELECT body FROM notification WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
                params![PHONE],
            )?
            .get(0)
        })
        .unwrap();
    let code: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
    let r = c.post_form("/citizen/sign-in", &[("phone", PHONE), ("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.text());
    c
}

/// The citizen's own online application for a dibao of a household of one.
fn application(db: &Db) -> i64 {
    let (account_id, head) = db
        .write(|tx| -> Result<(i64, String), minzheng_store::StoreError> {
            let id: i64 = tx
                .query_one("SELECT id FROM account WHERE phone = $1", params![PHONE])?
                .get(0)?;
            let head =
                IdNumber::generate("500103", NaiveDate::from_ymd_opt(1985, 3, 12).unwrap(), 11)
                    .unwrap()
                    .as_str()
                    .to_owned();
            tx.execute(
                "UPDATE account SET id_number = $1, real_name = '王建国' WHERE id = $2",
                params![head, id],
            )?;
            Ok((id, head))
        })
        .unwrap();
    assert_eq!(head.len(), 18);
    let who = Principal {
        account_id,
        username: PHONE.into(),
        display_name: "王建国".into(),
        role: Role::Citizen,
        scope_code: String::new(),
        unit_id: None,
        address: None,
        request_id: None,
    };
    let form = OnlineApplication {
        program: "dibao".into(),
        region_code: "500103001003".into(),
        address: "渝中区七星岗街道华一坡 12 号 3-1".into(),
        reason: "失业，家庭收入低".into(),
        documents: vec!["application_form".into(), "hukou".into(), "id_cards".into()],
        authorization_signed: true,
        ..OnlineApplication::default()
    };
    let today = minzheng_kernel::id_number::china_today();
    db.write(|tx| cases::apply_online(tx, &who, &form, today))
        .unwrap()
}

/// A PNG of `size` bytes (the signature, then filler).
fn png(size: usize) -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
    p.resize(size, 7);
    p
}

/// Uploads one photo of the income proof as htmx sends it.
fn upload(server: &TestServer, b: &mut Browser, path: &str, photo: &[u8]) -> TestResponse {
    b.get(path.trim_end_matches("/documents"));
    let mut body = Vec::with_capacity(photo.len() + 512);
    body.extend_from_slice(
        b"--XyZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nincome_proof\r\n",
    );
    body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"proof.png\"\r\nContent-Type: image/png\r\n\r\n");
    body.extend_from_slice(photo);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let cookie = session(b);
    let csrf = b.csrf.clone().unwrap();
    request(
        server.addr,
        "POST",
        path,
        &[
            ("cookie", &cookie),
            ("x-csrf-token", &csrf),
            ("hx-request", "true"),
            ("content-type", "multipart/form-data; boundary=XyZ"),
        ],
        &body,
    )
}

#[test]
fn photos_up_to_the_policy_are_taken_on_the_staff_and_the_citizen_route() {
    for t in minzheng_store::testing::databases("edge_uploads") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        staff(db, "yuzhong-street", Role::StreetOfficer, "500103001");
        let server = TestServer::start(db.clone());
        let mut c = citizen(&server, db);
        let case = application(db);
        let mut s = Browser::new(server.addr);
        s.sign_in("yuzhong-street", PASSWORD);
        let docs = "SELECT COUNT(*) FROM assistance_document";
        let routes = [
            (&mut s, format!("/assistance/cases/{case}/documents")),
            (&mut c, format!("/assistance/mine/{case}/documents")),
        ];
        for (n, (b, path)) in routes.into_iter().enumerate() {
            let n = n as i64;
            let what = format!("{}: {path}", t.label);
            // 3 MiB: over axum's 2 MiB default, well under the 10 MiB of the policy.
            let r = upload(&server, b, &path, &png(3 * 1024 * 1024));
            assert_eq!(r.status, 200, "{what}: {}", r.text());
            assert!(r.header("hx-redirect").is_some(), "{what}: {}", r.text());
            assert_eq!(r.text(), "已上传 1 张照片", "{what}");
            assert_eq!(count(db, docs), 2 * n + 1, "{what}");

            // 11 MB: under the upload body limit, over the policy: refused by name, in Chinese.
            let r = upload(&server, b, &path, &png(11_000_000));
            assert_eq!(r.status, 200, "{what}: htmx shows the reason in the form");
            assert!(
                r.text().contains("“proof.png”：文件过大：上限为 10240 KB"),
                "{what}: {}",
                r.text()
            );
            assert_eq!(count(db, docs), 2 * n + 1, "{what}: nothing stored");

            // Past the upload body limit (21 MiB): a Chinese 413 page, nothing stored.
            let r = upload(&server, b, &path, &png(22 * 1024 * 1024));
            assert_eq!(r.status, 413, "{what}");
            let text = r.text();
            assert!(
                text.contains("lang=\"zh-CN\"") && text.contains("上传的内容超过 21 MB 的上限"),
                "{what}: {text}"
            );
            assert!(!text.contains("Failed to buffer"), "{what}");
            assert_eq!(count(db, docs), 2 * n + 1, "{what}");

            // A second photo of 3 MiB is taken as well.
            let r = upload(&server, b, &path, &png(3 * 1024 * 1024 + 5));
            assert_eq!(r.text(), "已上传 1 张照片", "{what}");
            assert_eq!(count(db, docs), 2 * n + 2, "{what}");
        }
    }
}
