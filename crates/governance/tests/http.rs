//! The pages and API of the area over HTTP, on every backend of the run: a citizen raises a request
//! from the phone form and finds it on the public board (no sign-in, masked); staff screen it, the
//! wrong role is refused on the page with the reason; photos upload as multipart; the JSON API.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{Principal, Role};
use minzheng_store::params;
use minzheng_store::testing::databases;
use minzheng_web::testing::{Browser, TestServer, request};

const PASSWORD: &str = "Minzheng-2026";

fn seed(db: &minzheng_store::Db) {
    let system = Principal::system("test");
    db.write(|tx| {
        minzheng_reference::parameters::sync_seed(tx).unwrap();
        for (u, role, scope) in [
            ("hua-worker", Role::CommunityWorker, "500103001003"),
            ("qxg-street", Role::StreetOfficer, "500103001"),
        ] {
            accounts::create(
                tx,
                &system,
                &NewAccount {
                    username: u.into(),
                    display_name: format!("{u} 同志"),
                    role,
                    scope: scope.into(),
                    unit_id: None,
                    password: PASSWORD.into(),
                    phone: None,
                },
            )?;
        }
        Ok::<_, minzheng_access::AccessError>(())
    })
    .unwrap();
}

fn citizen(server: &TestServer, db: &minzheng_store::Db, phone: &str) -> Browser {
    let mut c = Browser::new(server.addr);
    c.get("/citizen/sign-in");
    let r = c.post_form("/citizen/code", &[("phone", phone)]);
    assert_eq!(r.status, 200, "{}", r.text());
    let body: String = db
        .read(|tx| {
            tx.query_one(
                "SELECT body FROM notification WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
                params![phone],
            )?
            .get(0)
        })
        .unwrap();
    let code: String = body
        .chars()
        .filter(|ch| ch.is_ascii_digit())
        .take(6)
        .collect();
    let r = c.post_form("/citizen/sign-in", &[("phone", phone), ("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.text());
    c
}

fn count(db: &minzheng_store::Db, sql: &str) -> i64 {
    db.read(|tx| tx.query_one(sql, params![])?.get::<i64>(0))
        .unwrap()
}

#[test]
fn a_resident_raises_a_request_and_finds_it_on_the_public_board() {
    for t in databases("governance_http") {
        let db = &t.db;
        seed(db);
        let server = TestServer::start(db.clone());
        let mut c = citizen(&server, db, "13912345678");
        assert_eq!(c.get("/governance/requests/new").status, 200);
        // Bad input: the reason on the page, nothing written.
        let bad = c.post_form(
            "/governance/requests",
            &[
                ("community", "500103"),
                ("category", "facilities"),
                ("description", "路灯坏了很久了"),
            ],
        );
        assert_eq!(bad.status, 400, "{}", t.label);
        assert!(
            bad.text().contains("不是现有的村（社区）"),
            "{}",
            bad.text()
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM request"), 0);
        let r = c.post_form(
            "/governance/requests",
            &[
                ("community", "500103001003"),
                ("category", "facilities"),
                ("description", "5号楼前路灯坏了，联系13912345678"),
            ],
        );
        assert_eq!(r.status, 303, "{}: {}", t.label, r.text());
        let to = r.header("location").unwrap().to_owned();
        let id: i64 = to
            .trim_start_matches("/governance/requests/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let page = c.get(&to).text();
        assert!(
            page.contains("收单") && page.contains("5号楼前路灯坏了"),
            "{page}"
        );

        // Photos: multipart through the htmx form (CSRF in the header).
        let boundary = "XyZ123";
        let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"灯.png\"\r\nContent-Type: image/png\r\n\r\n").into_bytes();
        body.extend_from_slice(b"\x89PNG\r\n\x1a\n0123456789");
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let cookie = format!("mz_session={}", c.cookie("mz_session").unwrap());
        let csrf = c.csrf.clone().unwrap();
        let ct = format!("multipart/form-data; boundary={boundary}");
        let up = request(
            server.addr,
            "POST",
            &format!("/governance/requests/{id}/photos"),
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("content-type", &ct),
                ("hx-request", "true"),
            ],
            &body,
        );
        assert_eq!(up.status, 200, "{}", up.text());
        assert!(up.header("hx-redirect").is_some(), "{}", up.text());
        let aid: i64 = db
            .read(|tx| {
                tx.query_one("SELECT attachment_id FROM request_photo", params![])?
                    .get(0)
            })
            .unwrap();
        let img = c.get(&format!("/governance/requests/{id}/photos/{aid}"));
        assert_eq!(
            (img.status, img.header("content-type")),
            (200, Some("image/png"))
        );
        // A text file posing as a photo is refused with the reason, nothing linked.
        let mut fake = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"x.png\"\r\n\r\n").into_bytes();
        fake.extend_from_slice(b"just text");
        fake.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let refused = request(
            server.addr,
            "POST",
            &format!("/governance/requests/{id}/photos"),
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("content-type", &ct),
                ("hx-request", "true"),
            ],
            &fake,
        );
        assert!(refused.text().contains("error-box"), "{}", refused.text());
        assert_eq!(count(db, "SELECT COUNT(*) FROM request_photo"), 1);

        // The public board: no sign-in, the request is there, the phone is masked.
        let mut anon = Browser::new(server.addr);
        let board = anon.get("/governance/board/500103001003");
        assert_eq!(board.status, 200, "{}", t.label);
        let text = board.text();
        assert!(
            text.contains("5号楼前路灯坏了") && text.contains("139****5678"),
            "{text}"
        );
        assert!(!text.contains("13912345678"));
        let json = anon.get("/api/v1/governance/board/500103001003");
        assert_eq!(json.status, 200);
        assert_eq!(json.json()["rows"][0]["id"], id);
        assert_eq!(anon.get("/governance/board/500103001").status, 404);
        // Anonymous visitors cannot open the request itself.
        assert_ne!(anon.get(&to).status, 200);

        // Staff: the community worker screens it; the worker may not decide (定单 is the street's).
        let mut w = Browser::new(server.addr);
        w.sign_in("hua-worker", PASSWORD);
        assert!(w.get("/governance").text().contains("5号楼前路灯坏了"));
        let r = w.post_form(
            &format!("/governance/requests/{id}/screen"),
            &[("triage", "minor"), ("reason", "社区协调物业")],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let r = w.post_form(
            &format!("/governance/requests/{id}/decide"),
            &[
                ("decision", "accept"),
                ("reason", "需要修"),
                ("owner_kind", "cadre"),
                ("owner_name", "王书记"),
                ("plan", "联系物业更换路灯"),
                ("deadline_workdays", "5"),
            ],
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.text().contains("您没有权限"), "{}", r.text());
        // Out of order: publicizing before 定单 and 议单.
        let r = w.post_form(&format!("/governance/requests/{id}/publicize"), &[]);
        assert_eq!(r.status, 400);
        assert!(r.text().contains("不能晒单公开"), "{}", r.text());
        let mut s = Browser::new(server.addr);
        s.sign_in("qxg-street", PASSWORD);
        s.get(&format!("/governance/requests/{id}"));
        let r = s.post_form(
            &format!("/governance/requests/{id}/decide"),
            &[
                ("decision", "accept"),
                ("reason", "需要修"),
                ("owner_kind", "cadre"),
                ("owner_name", "王书记"),
                ("plan", "联系物业更换路灯"),
                ("budget", "300"),
                ("deadline_workdays", "5"),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM request WHERE step = 'decide' AND budget_fen = 30000"
            ),
            1
        );
        // A citizen is not staff: the rating of someone else's request is invisible to another citizen.
        let mut other = citizen(&server, db, "13700000000");
        assert_eq!(other.get(&format!("/governance/requests/{id}")).status, 404);

        // A council meeting over the pages: quorum refused, votes, a non-participant refused.
        let r = w.post_form(
            "/governance/meetings",
            &[
                ("community", "500103001003"),
                ("council_kind", "coordination"),
                ("request_id", &id.to_string()),
                ("topic", "路灯维修"),
                ("held_on", "2026-11-30"),
                ("participants", "hua-worker qxg-street"),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let mpath = r.header("location").unwrap().to_owned();
        assert!(w.get(&mpath).text().contains("提交表决"));
        let r = w.post_form(
            &format!("{mpath}/resolve"),
            &[("resolution", "同意"), ("minutes", "会议记录")],
        );
        assert_eq!(r.status, 400);
        assert!(r.text().contains("未达到法定人数"), "{}", r.text());
        assert_eq!(
            w.post_form(&format!("{mpath}/vote"), &[("choice", "yes")])
                .status,
            303
        );
        other.get("/governance/requests/new");
        let r = other.post_form(&format!("{mpath}/vote"), &[("choice", "no")]);
        assert_eq!(r.status, 403, "{}", r.text());
        assert!(r.text().contains("不是本次会议的参会人员"));
        assert_eq!(
            s.post_form(&format!("{mpath}/vote"), &[("choice", "yes")])
                .status,
            303
        );
        assert_eq!(
            w.post_form(
                &format!("{mpath}/resolve"),
                &[("resolution", "同意更换路灯"), ("minutes", "到会 2 人")]
            )
            .status,
            303
        );
        let r = w.post_form(
            &format!("/governance/requests/{id}/deliberate"),
            &[(
                "meeting_id",
                mpath.trim_start_matches("/governance/meetings/"),
            )],
        );
        assert_eq!(r.status, 303, "{}", r.text());

        // The staff pages and the API answer.
        for p in [
            "/governance/councils?community=500103001003",
            "/governance/duty-lists?community=500103001003",
            "/governance/indicators",
            "/governance/indicators?level=community&prefix=500103001",
            "/governance/options",
        ] {
            assert_eq!(s.get(p).status, 200, "{p}");
        }
        let api = s.get("/api/v1/governance/requests");
        assert_eq!(api.status, 200);
        assert_eq!(api.json().as_array().unwrap().len(), 1);
        let ind = s.get("/api/v1/governance/indicators?level=street");
        assert_eq!(ind.json()["total"]["total"], 1);
        let doc = anon.get("/api/openapi.json").text();
        assert!(doc.contains("/api/v1/governance/tasks"));
    }
}

#[test]
fn a_forbidden_task_pushed_over_the_api_is_refused_with_its_item() {
    for t in databases("governance_push_http") {
        let db = &t.db;
        seed(db);
        let server = TestServer::start(db.clone());
        let mut s = Browser::new(server.addr);
        s.sign_in("qxg-street", PASSWORD);
        s.get("/governance/duty-lists?community=500103001003");
        let r = s.post_form(
            "/governance/duty-lists",
            &[
                ("community", "500103001003"),
                ("effective_from", "2020-01-01"),
                ("forbidden", "招商引资\n安全生产执法"),
                ("certificate", "居住证明"),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let page = s.post_form(
            "/governance/tasks",
            &[
                ("community", "500103001003"),
                ("kind", "task"),
                ("title", "年度招商引资任务"),
                ("department", "区商务委"),
            ],
        );
        assert!(
            page.text().contains("已拒收") && page.text().contains("负面事项清单"),
            "{}",
            page.text()
        );
        let cookie = format!("mz_session={}", s.cookie("mz_session").unwrap());
        let csrf = s.csrf.clone().unwrap();
        let body = serde_json::json!({ "community": "500103001003", "kind": "certificate", "title": "无犯罪记录证明", "department": "区公安分局" }).to_string();
        let r = request(
            server.addr,
            "POST",
            "/api/v1/governance/tasks",
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("content-type", "application/json"),
            ],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        assert_eq!(
            (v["accepted"].as_bool(), v["list"].as_str()),
            (Some(false), Some("依法出具证明事项清单"))
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM pushed_task WHERE outcome = 'refused'"
            ),
            2,
            "{}",
            t.label
        );
    }
}
