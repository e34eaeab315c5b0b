//! Over HTTP on both backends, on the demo data of the area: the gate officer logs a delivery,
//! collection before disinfection is refused with the reason and nothing written, the item is
//! disinfected, the area is told and collects it; another institution cannot touch it; the
//! dashboard and the API answer within the caller's scope.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{Principal, Role};
use minzheng_kernel::id_number::china_today;
use minzheng_store::{Db, params};
use minzheng_web::testing::{Browser, TestServer, request};

fn account(db: &Db, username: &str, role: Role, scope: &str, unit: Option<i64>) {
    db.write(|tx| {
        accounts::create(
            tx,
            &Principal::system("test"),
            &NewAccount {
                username: username.into(),
                display_name: format!("{username}测试"),
                role,
                scope: scope.into(),
                unit_id: unit,
                password: "Minzheng-2026".into(),
                phone: None,
            },
        )
    })
    .unwrap();
}

fn delivery_status(db: &Db, id: i64) -> (String, Option<String>) {
    db.read(|tx| {
        let r = tx.query_one(
            "SELECT status, collected_at FROM delivery WHERE id = $1",
            params![id],
        )?;
        Ok::<_, minzheng_store::StoreError>((r.get(0)?, r.get(1)?))
    })
    .unwrap()
}

#[test]
fn the_gate_officer_logs_disinfects_and_the_area_collects_over_http() {
    for t in minzheng_store::testing::databases("inst_http_gate") {
        let db = &t.db;
        db.write(
            |tx| -> Result<(), minzheng_institutions::InstitutionsError> {
                minzheng_reference::parameters::sync_seed(tx)?;
                minzheng_institutions::demo::seed(tx, china_today())?;
                Ok(())
            },
        )
        .unwrap();
        account(db, "yz-gate", Role::InstitutionStaff, "500103", Some(1));
        account(db, "spb-gate", Role::InstitutionStaff, "500106", Some(2));
        account(db, "yz-admin", Role::DistrictAdmin, "500103", None);
        let server = TestServer::start(db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("yz-gate", "Minzheng-2026");
        let page = b.get("/institutions/gate");
        assert_eq!(page.status, 200, "{}", page.text());
        assert!(page.text().contains("渝中区社会福利院"));
        assert!(
            page.text().contains("降压药两盒"),
            "the demo's open item is listed"
        );
        let resident: i64 = db
            .read(|tx| {
                tx.query_one(
                    "SELECT MIN(id) FROM resident WHERE institution_id = 1",
                    params![],
                )?
                .get::<i64>(0)
            })
            .unwrap();
        let r = b.post_form(
            "/institutions/gate/deliveries",
            &[
                ("sender_name", "王小明"),
                ("sender_phone", "13812345678"),
                ("items", "牛奶一箱"),
                ("resident_id", &resident.to_string()),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let id: i64 = db
            .read(|tx| {
                tx.query_one("SELECT MAX(id) FROM delivery", params![])?
                    .get::<i64>(0)
            })
            .unwrap();
        // Bad input: no items. Refused with the reason, nothing written.
        let before: i64 = db
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM delivery", params![])?
                    .get::<i64>(0)
            })
            .unwrap();
        let r = b.post_form(
            "/institutions/gate/deliveries",
            &[
                ("sender_name", "x"),
                ("sender_phone", "1"),
                ("items", " "),
                ("resident_id", &resident.to_string()),
            ],
        );
        assert_eq!(r.status, 400);
        assert!(r.text().contains("请填写物品"), "{}", r.text());
        let after: i64 = db
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM delivery", params![])?
                    .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(before, after);
        // Collection before disinfection: refused, still open.
        let r = b.post_form(
            &format!("/institutions/gate/deliveries/{id}/collect"),
            &[("collected_by", "一号楼护理员")],
        );
        assert_eq!(r.status, 400);
        assert!(r.text().contains("尚无消毒记录"), "{}", r.text());
        assert_eq!(delivery_status(db, id), ("received".into(), None));
        // Another institution's staff cannot touch it.
        let mut other = Browser::new(server.addr);
        other.sign_in("spb-gate", "Minzheng-2026");
        other.get("/institutions/gate");
        let r = other.post_form(
            &format!("/institutions/gate/deliveries/{id}/disinfect"),
            &[("method", "紫外线")],
        );
        assert_eq!(r.status, 404);
        assert!(
            !other
                .get("/institutions/gate")
                .text()
                .contains(&format!("第 {id} 号"))
        );
        // Disinfect, tell the area, collect.
        let r = b.post_form(
            &format!("/institutions/gate/deliveries/{id}/disinfect"),
            &[("method", "75%酒精擦拭")],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let r = b.post_form(&format!("/institutions/gate/deliveries/{id}/notify"), &[]);
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(delivery_status(db, id).0, "notified");
        let r = b.post_form(
            &format!("/institutions/gate/deliveries/{id}/collect"),
            &[("collected_by", "一号楼护理员")],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let (status, at) = delivery_status(db, id);
        assert_eq!(status, "collected");
        assert!(at.is_some());
        // The dashboard and the API: the district sees its units; a future health report is refused.
        let home = b.get("/institutions");
        assert_eq!(home.status, 200);
        assert!(home.text().contains("健康日报看板"));
        let tomorrow = (china_today() + chrono::Days::new(1)).to_string();
        let r = b.post_form(
            "/institutions/health-reports",
            &[("report_date", &tomorrow)],
        );
        assert_eq!(r.status, 400);
        assert!(r.text().contains("未来日期"), "{}", r.text());
        let mut admin = Browser::new(server.addr);
        admin.sign_in("yz-admin", "Minzheng-2026");
        let api = admin.get("/api/v1/institutions/dashboard");
        assert_eq!(api.status, 200, "{}", api.text());
        let j = api.json();
        // 渝中区 in the demo: two institutions and three facilities, all reporting today.
        assert_eq!(j["units"], 5, "{j}");
        assert_eq!(j["reporting"], 5, "{j}");
        assert_eq!(admin.get("/institutions/registry").status, 200);
        assert_eq!(admin.get("/institutions/orders").status, 200);
        assert_eq!(admin.get("/institutions/worklist").status, 200);
        assert_eq!(admin.get("/institutions/inspections").status, 200);
        assert_eq!(admin.get("/institutions/policies").status, 200);
        let doc = minzheng_web::testing::get(server.addr, "/api/openapi.json").text();
        for path in [
            "/api/v1/institutions/dashboard",
            "/api/v1/institutions/cases/{id}/records",
        ] {
            assert!(
                doc.contains(path),
                "{path} missing from the OpenAPI document"
            );
        }
        let cov = admin.get("/api/v1/institutions/coverage").json();
        assert_eq!(cov["region"], "500103", "{cov}");
        // An incident reported through the form reaches the district worklist and its inbox at once.
        b.get("/institutions");
        let r = b.post_form(
            "/institutions/incidents",
            &[
                ("kind", "suspected"),
                ("person_kind", "resident"),
                ("persons", "1"),
                ("occurred_on", &china_today().to_string()),
                ("description", "一名老人发热，已单间隔离"),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let queued: i64 = db
            .read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM notification WHERE recipient = 'yz-admin' AND channel = 'staff'",
                    params![],
                )?
                .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(queued, 1);
        let w = admin.get("/institutions/worklist");
        assert!(
            w.text().contains("一名老人发热") && w.text().contains("待签收"),
            "{}",
            w.text()
        );
        // The district's staff cannot open the gate page (no institution of their own).
        assert_eq!(admin.get("/institutions/gate").status, 403);
    }
}

#[test]
fn the_forms_enforce_a_closed_management_order_and_the_legal_review_gate() {
    for t in minzheng_store::testing::databases("inst_http_forms") {
        let db = &t.db;
        db.write(
            |tx| -> Result<(), minzheng_institutions::InstitutionsError> {
                minzheng_reference::parameters::sync_seed(tx)?;
                minzheng_institutions::demo::seed(tx, china_today())?;
                Ok(())
            },
        )
        .unwrap();
        account(db, "yz-staff", Role::InstitutionStaff, "500103", Some(1));
        account(db, "yz-admin", Role::DistrictAdmin, "500103", None);
        account(db, "yz-reviewer", Role::DistrictReviewer, "500103", None);
        let server = TestServer::start(db.clone());
        let today = china_today().to_string();
        let mut admin = Browser::new(server.addr);
        admin.sign_in("yz-admin", "Minzheng-2026");
        admin.get("/institutions/orders");
        let r = admin.post_form(
            "/institutions/orders",
            &[
                ("title", "关于渝中区养老机构封闭管理的通知"),
                ("issuer", "渝中区民政局"),
                ("from_date", &today),
                ("regions", ""),
                ("kinds", ""),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let order: i64 = db
            .read(|tx| {
                tx.query_one("SELECT MAX(id) FROM epidemic_order", params![])?
                    .get::<i64>(0)
            })
            .unwrap();

        let mut staff = Browser::new(server.addr);
        staff.sign_in("yz-staff", "Minzheng-2026");
        assert_eq!(staff.get("/institutions/residents").status, 200);
        let residents = |db: &Db| -> i64 {
            db.read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM resident", params![])?
                    .get::<i64>(0)
            })
            .unwrap()
        };
        let before = residents(db);
        let admit = [
            ("name", "赵爷爷"),
            ("id_number", "110101194501011237"),
            ("care_level", "self_care"),
            ("area", "一号楼"),
            ("room", "301"),
            ("on", today.as_str()),
        ];
        let id_ok = {
            let first17 = &admit[1].1[..17];
            format!(
                "{first17}{}",
                minzheng_kernel::id_number::check_character(first17).unwrap()
            )
        };
        let mut fields: Vec<(&str, &str)> = admit.to_vec();
        fields[1].1 = &id_ok;
        let r = staff.post_form("/institutions/residents/admit", &fields);
        assert_eq!(r.status, 400);
        assert!(
            r.text().contains("暂停新入住") && r.text().contains(&format!("第 {order} 号")),
            "{}",
            r.text()
        );
        assert_eq!(residents(db), before, "nothing written");
        let r = staff.post_form(
            "/institutions/residents/activity",
            &[("title", "生日会"), ("on", &today)],
        );
        assert_eq!(r.status, 400);
        assert!(r.text().contains("暂停集体活动"));

        let tomorrow = (china_today() + chrono::Days::new(1)).to_string();
        let r = admin.post_form(
            &format!("/institutions/orders/{order}/lift"),
            &[("lifted_on", &tomorrow), ("reason", "风险解除")],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let mut later = fields.clone();
        later[5].1 = &tomorrow;
        staff.get("/institutions/residents");
        let r = staff.post_form("/institutions/residents/admit", &later);
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(residents(db), before + 1);

        // The demo's major case: no decision without legal review; the reviewer approves; decided.
        let case: i64 = db
            .read(|tx| {
                tx.query_one("SELECT MAX(id) FROM enforcement_case", params![])?
                    .get::<i64>(0)
            })
            .unwrap();
        admin.get("/institutions/inspections");
        let decide = [
            ("id", case.to_string()),
            ("decision", "责令改正，罚款一万元".into()),
            ("on", today.clone()),
        ];
        let decide: Vec<(&str, &str)> = decide.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = admin.post_form("/institutions/inspections/decide", &decide);
        assert_eq!(r.status, 400);
        assert!(r.text().contains("须先经法制审核"), "{}", r.text());
        let mut reviewer = Browser::new(server.addr);
        reviewer.sign_in("yz-reviewer", "Minzheng-2026");
        reviewer.get("/institutions/inspections");
        let r = reviewer.post_form(
            "/institutions/inspections/review",
            &[
                ("id", &case.to_string()),
                ("approved", "1"),
                ("opinion", "事实清楚"),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let r = admin.post_form("/institutions/inspections/decide", &decide);
        assert_eq!(r.status, 303, "{}", r.text());
        let status: String = db
            .read(|tx| {
                tx.query_one(
                    "SELECT status FROM enforcement_case WHERE id = $1",
                    params![case],
                )?
                .get::<String>(0)
            })
            .unwrap();
        assert_eq!(status, "decided");
        // The full-process record takes a media file through the API and answers its SHA-256.
        let png = b"\x89PNG\r\n\x1a\n-site-photo".to_vec();
        let cookie = format!("mz_session={}", admin.cookie("mz_session").unwrap());
        let csrf = admin.csrf.clone().unwrap();
        let r = request(
            server.addr,
            "POST",
            &format!(
                "/api/v1/institutions/cases/{case}/records?step=service&note=%E9%80%81%E8%BE%BE&file_name=a.png"
            ),
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("content-type", "application/octet-stream"),
            ],
            &png,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        use sha2::Digest;
        assert_eq!(r.json()["sha256"], hex::encode(sha2::Sha256::digest(&png)));
        // A health report through the API: a repeat of the demo's today is refused.
        let mut app = Browser::new(server.addr);
        app.sign_in("yz-staff", "Minzheng-2026");
        app.get("/institutions");
        let cookie = format!("mz_session={}", app.cookie("mz_session").unwrap());
        let csrf = app.csrf.clone().unwrap();
        let body = format!(
            r#"{{"report_date":"{today}","residents_fever":0,"residents_symptoms":0,"staff_fever":0,"staff_symptoms":0,"in_isolation":0,"tested":3}}"#
        );
        let r = request(
            server.addr,
            "POST",
            "/api/v1/institutions/health-reports",
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("content-type", "application/json"),
            ],
            body.as_bytes(),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.json()["error"].as_str().unwrap().contains("已上报"));
    }
}
