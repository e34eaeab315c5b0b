//! Calendar, regions and parameters over HTTP: public reads and the administrators' pages.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{AccessError, Principal, Role};
use minzheng_store::testing::databases;
use minzheng_web::testing::{Browser, TestServer, get};

const PW: &str = "Chongqing-2026";

#[test]
fn reference_reads_are_exact_and_only_administrators_change_them() {
    for t in databases("reference_http") {
        t.write(minzheng_reference::parameters::sync_seed).unwrap();
        t.write(|tx| {
            for (u, role, scope) in [
                ("city", Role::CityAdmin, "50"),
                ("street", Role::StreetOfficer, "500103001"),
            ] {
                accounts::create(
                    tx,
                    &Principal::system("test"),
                    &NewAccount {
                        username: u.into(),
                        display_name: u.into(),
                        role,
                        scope: scope.into(),
                        unit_id: None,
                        password: PW.into(),
                        phone: None,
                    },
                )?;
            }
            Ok::<_, AccessError>(())
        })
        .unwrap();
        let server = TestServer::start(t.db.clone());
        let a = server.addr;
        let j = get(a, "/api/v1/calendar/add-workdays?date=2020-01-20&n=5").json();
        assert_eq!(
            (j["date"].as_str(), j["provisional"].as_bool()),
            (Some("2020-02-04"), Some(false)),
            "{}",
            t.label
        );
        let j = get(a, "/api/v1/calendar/workdays?from=2019-09-27&to=2019-10-08").json();
        assert_eq!(j["workdays"], 3);
        let r = get(a, "/api/v1/calendar/add-workdays?date=2020-13-01&n=1");
        assert_eq!(r.status, 400);
        assert!(r.json()["error"].as_str().unwrap().contains("2020-13-01"));
        let j = get(a, "/api/v1/regions/500105?as_of=2026-02-01").json();
        assert_eq!(
            (j["name"].as_str(), j["exists"].as_bool()),
            (Some("江北区"), Some(false))
        );
        let j = get(
            a,
            "/api/v1/parameters/dibao.standard.urban?region=500103001001&date=2019-06-01",
        )
        .json();
        assert_eq!(
            (j["value"].as_i64(), j["unit"].as_str()),
            (Some(58000), Some("fen_per_month")),
            "{}",
            t.label
        );
        assert_eq!(get(a, "/api/v1/parameters/no.such.key").status, 400);

        let mut street = Browser::new(a);
        street.sign_in("street", PW);
        assert_eq!(street.get("/admin/calendar").status, 403);
        assert_eq!(
            street.get("/admin/parameters").status,
            200,
            "{}: everyone may read the standards",
            t.label
        );
        let mut city = Browser::new(a);
        city.sign_in("city", PW);
        assert_eq!(city.get("/admin/calendar").status, 200);
        let notice = "date,kind,name_zh\n2027-01-01,holiday,元旦\n2027-02-06,makeup_workday,春节\n2027-02-08,holiday,春节\n";
        let r = city.post_form("/admin/calendar", &[("text", notice)]);
        assert!(
            r.text().contains("已载入 2027 年"),
            "{}: {}",
            t.label,
            r.text()
        );
        let j = get(a, "/api/v1/calendar/add-workdays?date=2026-12-31&n=1").json();
        assert_eq!(
            (j["date"].as_str(), j["provisional"].as_bool()),
            (Some("2027-01-04"), Some(false)),
            "{}",
            t.label
        );

        city.get("/admin/parameters/dibao.standard.urban");
        let r = city.post_form(
            "/admin/parameters/dibao.standard.urban",
            &[
                ("region_scope", "50"),
                ("value", "790"),
                ("valid_from", "2026-07-01"),
                ("source", "渝民发〔2026〕9号"),
                ("confidence", "S"),
                ("note", ""),
            ],
        );
        assert_eq!(r.status, 303, "{}: {}", t.label, r.text());
        let j = get(a, "/api/v1/parameters/dibao.standard.urban?date=2026-07-01").json();
        assert_eq!(j["value"], 79000);
        let page = city.get("/admin/parameters?date=2026-07-01").text();
        assert!(page.contains("¥790.00"), "{}", t.label);
        street.get("/admin/parameters/dibao.standard.urban");
        let r = street.post_form(
            "/admin/parameters/dibao.standard.urban",
            &[
                ("region_scope", "50"),
                ("value", "1"),
                ("valid_from", "2026-08-01"),
                ("source", "x"),
                ("confidence", "S"),
                ("note", ""),
            ],
        );
        assert_eq!(r.status, 403, "{}", t.label);
    }
}
