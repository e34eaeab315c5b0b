//! A district's cycle seen from one of its streets, over HTTP on both backends: the street officer
//! sees, counts and exports the lines of the street only (the cycle page, the month's list, both
//! downloads and the whole month), never the district's control totals or its bank files; whole ID
//! numbers go only to a role allowed to see them; every export and bank-file download is audited
//! with what left and what was in it whole.

mod common;

use common::*;

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_benefits::enrolments::{self, NewEnrolment};
use minzheng_benefits::payroll;
use minzheng_benefits::programs::Program;
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::sheet::unzip;
use minzheng_store::{Db, params};
use minzheng_web::testing::{Browser, TestServer};

/// 渝中区 解放碑街道 民生路社区: the same district, another street.
const JIEFANGBEI: &str = "500103003013";

fn orphan(seq: u16, community: &str) -> NewEnrolment {
    let id_number =
        IdNumber::generate("500103", NaiveDate::from_ymd_opt(2012, 1, 1).unwrap(), seq).unwrap();
    NewEnrolment {
        bank_code: "ICBC".into(),
        account_kind: "bank".into(),
        ..enrolment(
            Program::OrphanDispersed,
            id_number,
            seq,
            community,
            "2020-06",
        )
    }
}

/// Two orphans in 七星岗街道 and three in 解放碑街道 of 渝中区, the month computed: one cycle of
/// five lines, 1204 yuan each.
fn setup(db: &Db) -> (i64, Vec<NewEnrolment>) {
    db.write(minzheng_reference::parameters::sync_seed).unwrap();
    let people = vec![
        orphan(1, YUZHONG),
        orphan(2, "500103001006"),
        orphan(3, JIEFANGBEI),
        orphan(4, JIEFANGBEI),
        orphan(5, JIEFANGBEI),
    ];
    db.write(|tx| {
        for e in &people {
            enrolments::enrol(tx, &Principal::system("test"), e)?;
        }
        Ok::<_, minzheng_benefits::BenefitsError>(())
    })
    .unwrap();
    payroll::compute_month(db, &city(), month("2020-06"), &mut |_, _, _| {}).unwrap();
    account(db, "yz-street", Role::StreetOfficer, "500103001");
    account(db, "yz-admin", Role::DistrictAdmin, "500103");
    account(db, "city-admin", Role::CityAdmin, "50");
    let id = db
        .read(|tx| {
            tx.query_one("SELECT id FROM payroll_cycle", params![])?
                .get(0)
        })
        .unwrap();
    (id, people)
}

/// The CSV rows after the header, without the byte-order mark.
fn csv_lines(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("byte-order mark");
    text.trim_end_matches("\r\n")
        .split("\r\n")
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// The detail of the last audit row of `action`.
fn last_detail(db: &Db, action: &str) -> serde_json::Value {
    let text: String = db
        .read(|tx| {
            tx.query_one(
                "SELECT detail FROM audit_log WHERE action = $1 ORDER BY seq DESC LIMIT 1",
                params![action],
            )?
            .get(0)
        })
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_street_officer_sees_counts_and_exports_the_lines_of_the_street_only() {
    for t in minzheng_store::testing::databases("benefits_street_scope") {
        let db = &t.db;
        let (id, people) = setup(db);
        let server = TestServer::start(db.clone());
        let mut street = Browser::new(server.addr);
        street.sign_in("yz-street", PASSWORD);

        // The month's list counts the street's two lines, not the district's five.
        let home = street.get("/benefits?month=2020-06").text();
        assert!(
            home.contains("<td>已生成</td><td>2</td><td>¥2,408.00</td>"),
            "{}: {home}",
            t.label
        );
        assert!(!home.contains("¥6,020.00"), "{}: {home}", t.label);

        // The cycle page: the street's lines, their count and sum, no district control totals.
        let page = street.get(&format!("/benefits/cycles/{id}"));
        assert_eq!(page.status, 200, "{}", t.label);
        let text = page.text();
        assert!(text.contains("part-of-district"), "{}: {text}", t.label);
        assert!(text.contains("<tr><th>笔数</th><td>2</td></tr>"), "{text}");
        assert!(
            text.contains(r#"<td id="cycle-total">¥2,408.00</td>"#),
            "{text}"
        );
        assert!(text.contains("本辖区合计"), "{text}");
        assert!(
            text.contains("<td>散居孤儿</td><td>ICBC</td><td>—</td><td>—</td><td>2</td><td>¥2,408.00</td><td>—</td>"),
            "{text}"
        );
        assert!(!text.contains(JIEFANGBEI), "{}: {text}", t.label);
        for p in &people[2..] {
            assert!(!text.contains(p.id_number.as_str()), "{}", t.label);
        }
        // A street officer may see ID numbers whole: the street's own.
        assert!(text.contains(people[0].id_number.as_str()), "{text}");

        // Both downloads of the cycle and the whole month: the street's two lines.
        for path in [
            format!("/benefits/cycles/{id}/export.csv"),
            "/benefits/months/2020-06/export.csv".to_owned(),
        ] {
            let csv = street.get(&path);
            assert_eq!(csv.status, 200, "{}: {path}", t.label);
            let lines = csv_lines(&csv.body);
            let regions: Vec<&str> = lines.iter().map(|l| l[3].as_str()).collect();
            assert_eq!(
                regions,
                vec![YUZHONG, "500103001006"],
                "{}: {path}",
                t.label
            );
            assert_eq!(lines[0][2], people[0].id_number.as_str());
            let detail = last_detail(db, "payroll.export");
            assert_eq!(detail["lines"], 2, "{}: {detail}", t.label);
            assert_eq!(detail["total_fen"], 240_800, "{detail}");
            assert_eq!(
                detail["scope"],
                serde_json::json!(["500103001"]),
                "{detail}"
            );
            assert_eq!(
                detail["unmasked"],
                serde_json::json!(["id_number"]),
                "{detail}"
            );
        }
        assert_eq!(
            last_detail(db, "payroll.export")["whole_districts"],
            serde_json::json!([])
        );
        let xlsx = street.get(&format!("/benefits/cycles/{id}/export.xlsx"));
        assert_eq!(xlsx.status, 200, "{}", t.label);
        assert_eq!(last_detail(db, "payroll.export")["whole_district"], false);
        let parts = unzip(&xlsx.body).unwrap();
        let all: String = parts
            .iter()
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert!(!all.contains(JIEFANGBEI), "{}", t.label);
        assert!(all.contains("仅含您辖区内的明细"), "{}", t.label);
        // The district's control figures (5 lines, 6020 yuan) are not in the workbook.
        assert!(!all.contains("6020"), "{}", t.label);

        // The district administrator: the whole district, its control totals, ID numbers masked.
        let mut admin = Browser::new(server.addr);
        admin.sign_in("yz-admin", PASSWORD);
        let csv = admin.get(&format!("/benefits/cycles/{id}/export.csv"));
        let lines = csv_lines(&csv.body);
        assert_eq!(lines.len(), 5, "{}", t.label);
        assert!(lines.iter().all(|l| l[2].contains("********")), "{lines:?}");
        let detail = last_detail(db, "payroll.export");
        assert_eq!(detail["whole_district"], true, "{detail}");
        assert_eq!(detail["unmasked"], serde_json::json!([]), "{detail}");
        let page = admin.get(&format!("/benefits/cycles/{id}")).text();
        assert!(page.contains("<td>散居孤儿</td><td>ICBC</td><td>5</td><td>¥6,020.00</td><td>5</td><td>¥6,020.00</td><td>相符</td>"), "{page}");
    }
}

#[test]
fn bank_files_are_the_districts_and_every_download_is_audited() {
    for t in minzheng_store::testing::databases("benefits_bank_scope") {
        let db = &t.db;
        let (id, _) = setup(db);
        let district = who(Role::DistrictAdmin, "500103", "yz-admin");
        db.write(|tx| payroll::advance(tx, &district, id, "approved"))
            .unwrap();
        db.write(|tx| payroll::advance(tx, &city(), id, "authorized"))
            .unwrap();
        db.write(|tx| minzheng_benefits::bank::release(tx, &city(), id))
            .unwrap();
        let file: i64 = db
            .read(|tx| tx.query_one("SELECT id FROM bank_file", params![])?.get(0))
            .unwrap();
        let server = TestServer::start(db.clone());
        // A street officer may not take the district's bank file (the permission table gives the
        // release to the city and the districts), nor see its list.
        let mut street = Browser::new(server.addr);
        street.sign_in("yz-street", PASSWORD);
        assert_eq!(
            street.get(&format!("/benefits/bank-files/{file}")).status,
            403,
            "{}",
            t.label
        );
        assert!(
            !street
                .get(&format!("/benefits/cycles/{id}"))
                .text()
                .contains("bank-files"),
            "{}",
            t.label
        );
        // Even with the permission, a scope holding part of the district does not reach the
        // cycle's steps or files.
        let part = who(Role::DistrictAdmin, "500103001", "part");
        let refused = db.read(|tx| minzheng_benefits::bank::bank_files(tx, &part, id));
        assert!(
            matches!(refused, Err(minzheng_benefits::BenefitsError::Access(_))),
            "{}: {refused:?}",
            t.label
        );
        let audited = |db: &Db| -> i64 {
            db.read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'payroll.bank_file.download'",
                    params![],
                )?
                .get(0)
            })
            .unwrap()
        };
        assert_eq!(audited(db), 0, "{}", t.label);
        let mut admin = Browser::new(server.addr);
        admin.sign_in("yz-admin", PASSWORD);
        let r = admin.get(&format!("/benefits/bank-files/{file}"));
        assert_eq!(r.status, 200, "{}", t.label);
        assert_eq!(audited(db), 1, "{}", t.label);
        let detail = last_detail(db, "payroll.bank_file.download");
        assert_eq!(detail["lines"], 5, "{detail}");
        assert_eq!(
            detail["unmasked"],
            serde_json::json!(["id_number", "name", "account_no"]),
            "{detail}"
        );
    }
}
