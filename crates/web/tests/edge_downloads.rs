//! Export downloads as a browser asks for them (`Accept-Encoding: gzip`), on every backend: the
//! whole file arrives, a streamed payroll export of several chunks as much as a one-line one.

mod edge_common;

use chrono::NaiveDate;
use edge_common::{PASSWORD, session, staff};
use minzheng_access::{Principal, Role};
use minzheng_benefits::BenefitsError;
use minzheng_benefits::enrolments::{self, NewEnrolment};
use minzheng_benefits::programs::Program;
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::region::RegionCode;
use minzheng_kernel::sheet::unzip;
use minzheng_store::{Db, params};
use minzheng_web::testing::{Browser, TestResponse, TestServer, request};
use std::io::Read;

fn orphan(seq: u16) -> NewEnrolment {
    let birth =
        NaiveDate::from_ymd_opt(2015, 1, 1).unwrap() + chrono::Days::new(u64::from(seq / 1000));
    NewEnrolment {
        program: Program::OrphanDispersed,
        id_number: IdNumber::generate("500103", birth, seq % 1000).unwrap(),
        name: format!("测试{seq}"),
        household_id: None,
        region_code: RegionCode::parse("500103001003").unwrap(),
        members: 1,
        counted_income: Fen(0),
        supplement: Fen(0),
        care_tier: None,
        bank_code: "CQRCB".into(),
        account_kind: "ssc".into(),
        account_no: format!("6230{seq:012}"),
        start_month: Month::parse("2020-06").unwrap(),
        end_month: None,
        reason: "测试登记".into(),
    }
}

/// `lines` orphans of 渝中区 paid for June 2020, and a district administrator to sign in as.
fn payroll(db: &Db, lines: u16) -> i64 {
    db.write(minzheng_reference::parameters::sync_seed).unwrap();
    db.write(|tx| {
        for seq in 1..=lines {
            enrolments::enrol(tx, &Principal::system("test"), &orphan(seq))?;
        }
        Ok::<_, BenefitsError>(())
    })
    .unwrap();
    staff(db, "yz-benefits", Role::DistrictAdmin, "500103");
    minzheng_benefits::payroll::compute_month(
        db,
        &Principal::system("test"),
        Month::parse("2020-06").unwrap(),
        &mut |_, _, _| {},
    )
    .unwrap();
    db.read(|tx| {
        tx.query_one("SELECT id FROM payroll_cycle", params![])?
            .get::<i64>(0)
    })
    .unwrap()
}

/// GET as a browser does: with the session cookie and `Accept-Encoding: gzip`, the body
/// decompressed when the server compressed it.
fn browser_get(server: &TestServer, b: &Browser, path: &str) -> (TestResponse, Vec<u8>) {
    let cookie = session(b);
    let r = request(
        server.addr,
        "GET",
        path,
        &[
            ("cookie", &cookie),
            ("accept-encoding", "gzip, deflate, br"),
        ],
        b"",
    );
    let body = if r.header("content-encoding") == Some("gzip") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&r.body[..])
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("{path}: gzip cut short ({e}) after {} bytes", out.len()));
        out
    } else {
        r.body.clone()
    };
    (r, body)
}

#[test]
fn exports_download_whole_when_the_browser_accepts_gzip() {
    // One line (one small chunk) and 1,500 lines (several 64-KiB chunks of CSV).
    for lines in [1u16, 1500] {
        for t in minzheng_store::testing::databases(&format!("edge_downloads_{lines}")) {
            let db = &t.db;
            let id = payroll(db, lines);
            let server = TestServer::start(db.clone());
            let mut b = Browser::new(server.addr);
            b.sign_in("yz-benefits", PASSWORD);
            for path in [
                format!("/benefits/cycles/{id}/export.csv"),
                "/benefits/months/2020-06/export.csv".to_owned(),
            ] {
                let (r, body) = browser_get(&server, &b, &path);
                assert_eq!(r.status, 200, "{}: {path}", t.label);
                assert_eq!(r.header("content-encoding"), Some("gzip"), "{path}");
                let text = std::str::from_utf8(&body).unwrap();
                let text = text.strip_prefix('\u{feff}').expect("byte-order mark");
                assert_eq!(
                    text.trim_end_matches("\r\n").split("\r\n").count(),
                    1 + lines as usize,
                    "{}: {path}",
                    t.label
                );
            }
            for path in [
                format!("/benefits/cycles/{id}/export.xlsx"),
                "/benefits/months/2020-06/export.xlsx".to_owned(),
            ] {
                let (r, body) = browser_get(&server, &b, &path);
                assert_eq!(r.status, 200, "{}: {path}", t.label);
                // A workbook is a zip archive already: it goes out as it is.
                assert_eq!(r.header("content-encoding"), None, "{path}");
                let files = unzip(&body).unwrap_or_else(|e| panic!("{}: {path}: {e}", t.label));
                let sheet = std::str::from_utf8(&files[0].1).unwrap();
                assert_eq!(sheet.matches("<row ").count(), 1 + lines as usize);
            }
        }
    }
}
