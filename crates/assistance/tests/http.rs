//! The pages, print views, public notice page and JSON API over HTTP, and the demo seed, on both
//! backends.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{Principal, Role};
use minzheng_store::{Db, params};
use minzheng_web::testing::{Browser, TestServer, request};

const PASSWORD: &str = "Minzheng-2026";

fn staff(db: &Db, username: &str, role: Role, scope: &str) {
    let new = NewAccount {
        username: username.into(),
        display_name: username.into(),
        role,
        scope: scope.into(),
        unit_id: None,
        password: PASSWORD.into(),
        phone: None,
    };
    db.write(|tx| accounts::create(tx, &Principal::system("test"), &new))
        .unwrap();
}

fn setup(db: &Db) {
    db.write(minzheng_reference::parameters::sync_seed).unwrap();
    staff(db, "yuzhong-street", Role::StreetOfficer, "500103001");
    staff(db, "yuzhong-reviewer", Role::DistrictReviewer, "500103");
    staff(db, "shapingba-street", Role::StreetOfficer, "500106001");
    staff(db, "shapingba-reviewer", Role::DistrictReviewer, "500106");
    staff(db, "jiefangbei-street", Role::StreetOfficer, "500103003");
    staff(
        db,
        "yuzhong-community",
        Role::CommunityWorker,
        "500103001003",
    );
    staff(
        db,
        "shapingba-community",
        Role::CommunityWorker,
        "500106001001",
    );
}

fn location(r: &minzheng_web::testing::TestResponse) -> String {
    r.header("location").unwrap_or_default().to_owned()
}

#[test]
fn counter_case_through_the_pages_with_print_views_and_scope() {
    for t in minzheng_store::testing::databases("assist_http") {
        let db = &t.db;
        setup(db);
        let server = TestServer::start(db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("yuzhong-street", PASSWORD);
        let home = b.get("/assistance");
        assert_eq!(home.status, 200);
        assert!(home.text().contains("待办案件"));
        let r = b.post_form(
            "/assistance/households",
            &[
                ("region_code", "500103001003"),
                ("address", "华一坡 18 号 2-1"),
            ],
        );
        assert_eq!(r.status, 303);
        let hh_url = location(&r);
        let hh_path = hh_url.split('?').next().unwrap().to_owned();
        b.get(&hh_path);
        let id = minzheng_kernel::id_number::IdNumber::generate(
            "500103",
            chrono::NaiveDate::from_ymd_opt(1950, 5, 5).unwrap(),
            77,
        )
        .unwrap();
        let r = b.post_form(
            &format!("{hh_path}/members"),
            &[
                ("name", "陈桂兰"),
                ("id_number", id.as_str()),
                ("relation", "head"),
                ("co_resident", "1"),
                ("exclusion", "none"),
            ],
        );
        assert!(
            location(&r).contains("%E5%B7%B2%E6%B7%BB%E5%8A%A0"),
            "{}",
            location(&r)
        );
        // A bad ID number: refused with a Chinese message, nothing added.
        let r = b.post_form(
            &format!("{hh_path}/members"),
            &[
                ("name", "陈某"),
                ("id_number", "500103195005050771"),
                ("relation", "spouse"),
                ("co_resident", "1"),
            ],
        );
        assert!(location(&r).contains("msg="));
        let person: i64 = db
            .read(|tx| -> Result<i64, minzheng_store::StoreError> {
                tx.query_one("SELECT id FROM person WHERE name = '陈桂兰'", params![])?
                    .get(0)
            })
            .unwrap();
        assert_eq!(
            db.read(|tx| -> Result<i64, minzheng_store::StoreError> {
                tx.query_one("SELECT COUNT(*) FROM household_member", params![])?
                    .get(0)
            })
            .unwrap(),
            1
        );
        b.get(&hh_path);
        let r = b.post_form(
            &format!("{hh_path}/apply"),
            &[
                ("program", "dibao"),
                ("channel", "counter"),
                ("applicant", &person.to_string()),
                ("reason", "独居老人无收入来源"),
                ("documents", "application_form"),
                ("documents", "hukou"),
                ("documents", "id_cards"),
                ("documents", "income_proof"),
                ("authorization", "1"),
                ("phone", "13912345678"),
            ],
        );
        let case_url = location(&r);
        assert!(case_url.starts_with("/assistance/cases/"), "{case_url}");
        let case_path = case_url.split('?').next().unwrap().to_owned();
        let page = b.get(&case_path);
        assert!(page.text().contains("已提交，待受理"));
        b.post_form(&format!("{case_path}/step/accept"), &[]);
        let page = b.get(&case_path);
        assert!(page.text().contains("已受理"), "{}", page.text());
        // A photo of the income proof, uploaded as htmx does (multipart with the CSRF header).
        let png: &[u8] = b"\x89PNG\r\n\x1a\n0000000000000000";
        let mut body = Vec::new();
        body.extend_from_slice(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nincome_proof\r\n",
        );
        body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"proof.png\"\r\nContent-Type: image/png\r\n\r\n");
        body.extend_from_slice(png);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        let cookie = format!("mz_session={}", b.cookie("mz_session").unwrap_or_default());
        let csrf = b.csrf.clone().unwrap_or_default();
        let up = request(
            server.addr,
            "POST",
            &format!("{case_path}/documents"),
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("hx-request", "true"),
                ("content-type", "multipart/form-data; boundary=XyZ"),
            ],
            &body,
        );
        assert_eq!(up.status, 200, "{}", up.text());
        assert!(up.header("hx-redirect").is_some(), "{}", up.text());
        let page = b.get(&case_path);
        assert!(page.text().contains("proof.png"));
        let doc: i64 = db
            .read(|tx| -> Result<i64, minzheng_store::StoreError> {
                tx.query_one("SELECT id FROM assistance_document", params![])?
                    .get(0)
            })
            .unwrap();
        let got = b.get(&format!("{case_path}/documents/{doc}"));
        assert_eq!(got.status, 200);
        assert_eq!(got.header("content-type"), Some("image/png"));
        let print = b.get(&format!("{case_path}/print/acceptance"));
        assert_eq!(print.status, 200);
        assert!(print.text().contains("受理通知书"));
        // No refusal notice for a case that was not refused.
        assert_eq!(b.get(&format!("{case_path}/print/refusal")).status, 400);
        // A transition not allowed now: the page says so, the state is unchanged.
        let r = b.post_form(&format!("{case_path}/step/approve"), &[]);
        assert!(location(&r).contains("msg="));
        b.post_form(
            &format!("{case_path}/step/means_check"),
            &[("amount", "0"), ("flag", "1"), ("text", "无收入")],
        );
        b.post_form(&format!("{case_path}/step/refuse"), &[("text", "测试")]);
        // Another street's officer: not found, and nothing in their worklist.
        let mut other = Browser::new(server.addr);
        other.sign_in("jiefangbei-street", PASSWORD);
        assert_eq!(other.get(&case_path).status, 404);
        assert!(!other.get("/assistance").text().contains(&case_path));
        // The district reviewer refuses with reasons; the refusal notice prints them.
        let mut rev = Browser::new(server.addr);
        rev.sign_in("yuzhong-reviewer", PASSWORD);
        rev.get(&case_path);
        rev.post_form(
            &format!("{case_path}/step/refuse"),
            &[("text", "经核查，申请人有赡养人且赡养能力充足")],
        );
        let notice = rev.get(&format!("{case_path}/print/refusal"));
        assert_eq!(notice.status, 200);
        assert!(notice.text().contains("赡养能力充足"));
        // The JSON API answers the worklist of the caller's scope.
        let cookie = format!(
            "mz_session={}",
            rev.cookie("mz_session").unwrap_or_default()
        );
        let api = request(
            server.addr,
            "GET",
            "/api/v1/assistance/worklist",
            &[("cookie", &cookie)],
            b"",
        );
        assert_eq!(api.status, 200, "{}", api.text());
        assert!(api.json().is_array());
        // The public notice page needs no sign-in.
        let public = minzheng_web::testing::get(server.addr, "/assistance/notices?region=500103");
        assert_eq!(public.status, 200);
        assert!(public.text().contains("社会救助公示"));
    }
}

#[test]
fn demo_seed_covers_every_state() {
    for t in minzheng_store::testing::databases("assist_demo") {
        let db = &t.db;
        setup(db);
        let today = chrono::NaiveDate::from_ymd_opt(2020, 6, 15).unwrap();
        let line = db
            .write(|tx| minzheng_assistance::demo::seed(tx, today))
            .unwrap();
        assert!(line.contains("240 户"), "{line}");
        let states: Vec<String> = db
            .read(|tx| -> Result<Vec<String>, minzheng_store::StoreError> {
                tx.query(
                    "SELECT DISTINCT state FROM assistance_application ORDER BY state",
                    params![],
                )?
                .into_iter()
                .map(|r| r.get(0))
                .collect()
            })
            .unwrap();
        assert_eq!(states.len(), 13, "{states:?}");
    }
}
