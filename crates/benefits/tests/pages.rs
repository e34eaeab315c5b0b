//! The payroll pages over HTTP on both backends: a district computes its month from the home page,
//! the cycle lists its control totals, approving twice is refused with the reason, another
//! district sees nothing, the city authorizes, both downloads carry exactly the cycle's lines and
//! sum, the enrolments are found masked, and a tampered line shows the control-total error.

mod common;

use common::*;

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_benefits::BenefitsError;
use minzheng_benefits::enrolments::{self, NewEnrolment};
use minzheng_benefits::programs::{CareTier, Program};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::sheet::unzip;
use minzheng_store::{Db, params};
use minzheng_web::testing::{Browser, TestResponse, TestServer};

fn new(program: Program, seq: u16) -> NewEnrolment {
    let id_number =
        IdNumber::generate("500103", NaiveDate::from_ymd_opt(1950, 1, 1).unwrap(), seq).unwrap();
    enrolment(program, id_number, seq, YUZHONG, "2020-06")
}

/// Three beneficiaries of 渝中区 from 2020-06: 900 + 954 + 1204 = 3058 yuan for June 2020.
fn setup(db: &Db) -> Vec<NewEnrolment> {
    db.write(minzheng_reference::parameters::sync_seed).unwrap();
    // A dibao household of 3 with 900 yuan of income and a 60-yuan supplement: 3 × 580 − 900 + 60.
    let mut dibao = new(Program::DibaoUrban, 11);
    dibao.members = 3;
    dibao.counted_income = Fen(90_000);
    dibao.supplement = Fen(6_000);
    // Tekun, partial care: 754 + 200.
    let mut tekun = new(Program::TekunDispersed, 13);
    tekun.care_tier = Some(CareTier::Partial);
    // A dispersed orphan: 1204.
    let orphan = new(Program::OrphanDispersed, 15);
    let all = vec![dibao, tekun, orphan];
    db.write(|tx| {
        for e in &all {
            enrolments::enrol(tx, &Principal::system("test"), e)?;
        }
        Ok::<_, BenefitsError>(())
    })
    .unwrap();
    account(db, "yz-benefits", Role::DistrictAdmin, "500103");
    account(db, "spb-benefits", Role::DistrictAdmin, "500106");
    account(db, "city-benefits", Role::CityAdmin, "50");
    all
}

/// Uploads a bank's return file from the cycle page as htmx does (multipart, the CSRF header).
fn upload_return(server: &TestServer, b: &Browser, file_id: i64, bytes: &[u8]) -> TestResponse {
    let mut body = Vec::new();
    body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"return.txt\"\r\nContent-Type: text/plain\r\n\r\n");
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let cookie = format!("mz_session={}", b.cookie("mz_session").unwrap_or_default());
    let csrf = b.csrf.clone().unwrap_or_default();
    minzheng_web::testing::request(
        server.addr,
        "POST",
        &format!("/benefits/bank-files/{file_id}/return"),
        &[
            ("cookie", &cookie),
            ("x-csrf-token", &csrf),
            ("hx-request", "true"),
            ("content-type", "multipart/form-data; boundary=XyZ"),
        ],
        &body,
    )
}

fn one<T: minzheng_store::FromValue>(db: &Db, sql: &str) -> T {
    db.read(|tx| tx.query_one(sql, params![])?.get::<T>(0))
        .unwrap()
}

/// The CSV body without its byte-order mark, as rows of fields (no field here holds a comma).
fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("byte-order mark");
    assert!(text.ends_with("\r\n"));
    text.trim_end_matches("\r\n")
        .split("\r\n")
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[test]
fn compute_approve_authorize_export_and_scope_over_http() {
    for t in minzheng_store::testing::databases("benefits_pages") {
        let db = &t.db;
        let people = setup(db);
        let server = TestServer::start(db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("yz-benefits", PASSWORD);

        // Nothing computed yet.
        let home = b.get("/benefits?month=2020-06");
        assert_eq!(home.status, 200, "{}: {}", t.label, home.text());
        assert!(home.text().contains("尚未生成发放名册"));
        assert!(home.text().contains("/benefits/reviews"));
        let bad = b.post_form("/benefits/compute", &[("month", "2020-13")]);
        assert_eq!(bad.status, 400);
        assert!(bad.text().contains("月份“2020-13”无效"), "{}", bad.text());
        let future = b.post_form("/benefits/compute", &[("month", "2030-01")]);
        assert_eq!(future.status, 400);
        assert!(
            future.text().contains("不能生成 2030-01 的发放名册"),
            "{}",
            future.text()
        );
        assert_eq!(one::<i64>(db, "SELECT COUNT(*) FROM payroll_cycle"), 0);

        // Computing from the page: one district (the user's), three lines, 3058 yuan.
        let r = b.post_form("/benefits/compute", &[("month", "2020-06")]);
        assert_eq!(r.status, 303, "{}: {}", t.label, r.text());
        let to = r.header("location").unwrap().to_owned();
        assert!(to.starts_with("/benefits?month=2020-06&msg="), "{to}");
        let home = b.get(&to);
        let text = home.text();
        assert!(
            text.contains("已生成 1 个区县的发放名册，共 3 笔、¥3,058.00"),
            "{}: {text}",
            t.label
        );
        assert!(text.contains("渝中区（500103）"), "{text}");
        assert!(
            text.contains("<td>已生成</td><td>3</td><td>¥3,058.00</td>"),
            "{text}"
        );
        let id: i64 = one(db, "SELECT id FROM payroll_cycle");
        assert_eq!(one::<i64>(db, "SELECT COUNT(*) FROM payroll_cycle"), 1);
        // Again: nothing twice.
        let r = b.post_form("/benefits/compute", &[("month", "2020-06")]);
        assert!(
            b.get(r.header("location").unwrap())
                .text()
                .contains("1 个区县此前已生成")
        );
        assert_eq!(one::<i64>(db, "SELECT COUNT(*) FROM payment"), 3);

        // The cycle: control totals per program and bank next to the sums, lines explained, masked.
        let page = b.get(&format!("/benefits/cycles/{id}"));
        assert_eq!(page.status, 200, "{}", page.text());
        let text = page.text();
        assert!(text.contains(r#"<td id="cycle-status">已生成</td>"#));
        assert!(
            text.contains("<td>特困分散供养</td><td>CQRCB</td><td>1</td><td>¥954.00</td><td>1</td><td>¥954.00</td><td>相符</td>"),
            "{text}"
        );
        assert!(!text.contains("check-error"));
        assert!(text.contains("已生成：yz-benefits"));
        assert!(text.contains("500103********"), "ID numbers masked");
        assert!(!text.contains(people[0].id_number.as_str()));
        assert!(text.contains("第 1 / 1 页"));
        assert!(text.contains("区县审核通过"));

        // Another district: not found, for the page, the steps and the downloads.
        let mut other = Browser::new(server.addr);
        other.sign_in("spb-benefits", PASSWORD);
        assert_eq!(other.get(&format!("/benefits/cycles/{id}")).status, 404);
        // (a page with a form first, for the session's CSRF token)
        other.get("/benefits");
        assert_eq!(
            other
                .post_form(&format!("/benefits/cycles/{id}/approve"), &[])
                .status,
            404
        );
        assert_eq!(
            other
                .get(&format!("/benefits/cycles/{id}/export.csv"))
                .status,
            404
        );
        assert!(
            !other
                .get("/benefits?month=2020-06")
                .text()
                .contains("500103")
        );
        assert_eq!(
            one::<String>(db, "SELECT status FROM payroll_cycle"),
            "computed"
        );

        // Approve; a second approve is refused with the reason and changes nothing.
        let r = b.post_form(&format!("/benefits/cycles/{id}/approve"), &[]);
        assert_eq!(r.status, 303, "{}", r.text());
        assert!(
            b.get(r.header("location").unwrap())
                .text()
                .contains("已审核通过")
        );
        assert_eq!(
            one::<String>(db, "SELECT status FROM payroll_cycle"),
            "approved"
        );
        let again = b.post_form(&format!("/benefits/cycles/{id}/approve"), &[]);
        assert_eq!(again.status, 400);
        assert!(
            again
                .text()
                .contains("2020-06 月 500103 的发放名册当前为“区县已审核”，这一步须在“已生成”之后"),
            "{}",
            again.text()
        );
        // The district cannot authorize; the city can.
        assert_eq!(
            b.post_form(&format!("/benefits/cycles/{id}/authorize"), &[])
                .status,
            403
        );
        let mut city = Browser::new(server.addr);
        city.sign_in("city-benefits", PASSWORD);
        city.get(&format!("/benefits/cycles/{id}"));
        let r = city.post_form(&format!("/benefits/cycles/{id}/authorize"), &[]);
        assert_eq!(r.status, 303, "{}", r.text());
        let page = city.get(r.header("location").unwrap()).text();
        assert!(page.contains(r#"<td id="cycle-status">财政已批准</td>"#));
        assert!(
            page.contains("区县已审核：yz-benefits") && page.contains("财政已批准：city-benefits")
        );
        // The city may see ID numbers whole.
        assert!(page.contains(people[1].id_number.as_str()));

        // CSV: the header and exactly the cycle's lines, summing to its total.
        let csv = b.get(&format!("/benefits/cycles/{id}/export.csv"));
        assert_eq!(csv.status, 200, "{}", csv.text());
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        let disposition = csv.header("content-disposition").unwrap();
        assert!(
            disposition.contains(
                "filename*=UTF-8''%E5%8F%91%E6%94%BE%E6%98%8E%E7%BB%86-500103-2020-06.csv"
            ),
            "{disposition}"
        );
        let rows = csv_rows(&csv.body);
        assert_eq!(rows.len(), 1 + 3);
        assert_eq!(
            rows[0].join(","),
            "编号,项目,身份证号,区划,银行,类型,所属月份,金额(元),说明"
        );
        let sum: i64 = rows[1..]
            .iter()
            .map(|r| Fen::parse_yuan(&r[7]).unwrap().0)
            .sum();
        assert_eq!(sum, 305_800);
        assert!(
            rows[1..]
                .iter()
                .all(|r| r[5] == "正常" && r[6] == "2020-06")
        );
        assert!(rows[1..].iter().all(|r| r[2].starts_with("500103********")));

        // XLSX: the lines sheet and the summary read back.
        let xlsx = b.get(&format!("/benefits/cycles/{id}/export.xlsx"));
        assert_eq!(xlsx.status, 200);
        assert!(
            xlsx.header("content-disposition")
                .unwrap()
                .contains("-500103-2020-06.xlsx")
        );
        let files = unzip(&xlsx.body).unwrap();
        let sheet = |name: &str| {
            String::from_utf8(
                files
                    .iter()
                    .find(|(n, _)| n == name)
                    .unwrap_or_else(|| panic!("{name}"))
                    .1
                    .clone(),
            )
            .unwrap()
        };
        let lines = sheet("xl/worksheets/sheet1.xml");
        assert_eq!(lines.matches("<row ").count(), 1 + 3);
        assert!(lines.contains("<t>城市低保</t>"));
        assert!(lines.contains("<v>900.00</v>") && lines.contains("<v>1204.00</v>"));
        let summary = sheet("xl/worksheets/sheet2.xml");
        assert!(summary.contains("<t>合计</t>"));
        assert!(summary.contains("<v>3058.00</v>"));
        assert!(sheet("xl/workbook.xml").contains(r#"<sheet name="汇总""#));
        assert_eq!(
            one::<i64>(
                db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'payroll.export'"
            ),
            2
        );

        // Enrolments: found by name and by ID number within scope, masked; the detail lists payments.
        let list = b.get("/benefits/enrolments?q=测试&program=");
        assert_eq!(list.status, 200, "{}", list.text());
        assert_eq!(
            list.text().matches("href=\"/benefits/enrolments/").count(),
            3
        );
        assert!(list.text().contains("测**3"));
        let by_id = b.get(&format!(
            "/benefits/enrolments?q={}",
            people[2].id_number.as_str()
        ));
        assert_eq!(
            by_id.text().matches("href=\"/benefits/enrolments/").count(),
            1
        );
        let filtered = b.get("/benefits/enrolments?program=tekun_dispersed");
        assert_eq!(
            filtered
                .text()
                .matches("href=\"/benefits/enrolments/")
                .count(),
            1
        );
        assert_eq!(
            other
                .get("/benefits/enrolments?q=测试")
                .text()
                .matches("href=\"/benefits/enrolments/")
                .count(),
            0
        );
        let eid: i64 = one(
            db,
            "SELECT id FROM enrolment WHERE program = 'orphan_dispersed'",
        );
        let detail = b.get(&format!("/benefits/enrolments/{eid}"));
        assert_eq!(detail.status, 200, "{}", detail.text());
        assert!(detail.text().contains("散居孤儿"));
        assert!(detail.text().contains("¥1,204.00"));
        assert!(detail.text().contains("待银行回盘"));
        assert_eq!(
            other.get(&format!("/benefits/enrolments/{eid}")).status,
            404
        );

        // A line changed behind the payroll's back: the page says so, prominently.
        db.write(|tx| {
            tx.execute(
                "UPDATE payment SET amount_fen = amount_fen + 100 WHERE program = 'orphan_dispersed'",
                params![],
            )
        })
        .unwrap();
        let page = b.get(&format!("/benefits/cycles/{id}")).text();
        assert!(page.contains(r#"id="check-error""#), "{page}");
        assert!(page.contains("控制数不符"), "{page}");
        assert!(page.contains("<span class=\"badge\">不符</span>"));
    }
}

#[test]
fn a_larger_cycle_pages_its_lines_and_streams_whole_downloads() {
    for t in minzheng_store::testing::databases("benefits_pages_large") {
        let db = &t.db;
        setup(db);
        // 600 more orphans at 1204 yuan: 603 lines, enough for four pages and several body chunks.
        db.write(|tx| {
            for seq in 100..700 {
                enrolments::enrol(
                    tx,
                    &Principal::system("test"),
                    &new(Program::OrphanDispersed, seq),
                )?;
            }
            Ok::<_, BenefitsError>(())
        })
        .unwrap();
        minzheng_benefits::payroll::compute_month(
            db,
            &Principal::system("test"),
            Month::parse("2020-06").unwrap(),
            &mut |_, _, _| {},
        )
        .unwrap();
        let id: i64 = one(db, "SELECT id FROM payroll_cycle");
        let expected: i64 = 305_800 + 600 * 120_400;
        assert_eq!(
            one::<i64>(db, "SELECT total_fen FROM payroll_cycle"),
            expected
        );
        let server = TestServer::start(db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("yz-benefits", PASSWORD);

        let first = b.get(&format!("/benefits/cycles/{id}")).text();
        assert!(first.contains("第 1 / 4 页"), "{}: {first}", t.label);
        assert_eq!(first.matches("<tr><td>").count(), 200 + 3, "lines + totals");
        assert!(first.contains("?page=2\">下一页"));
        let last = b.get(&format!("/benefits/cycles/{id}?page=4")).text();
        assert!(last.contains("第 4 / 4 页"));
        assert_eq!(last.matches("<tr><td>").count(), 3 + 3);
        assert!(!last.contains("下一页"));
        assert_eq!(b.get(&format!("/benefits/cycles/{id}?page=x")).status, 400);

        let csv = b.get(&format!("/benefits/cycles/{id}/export.csv"));
        assert_eq!(csv.status, 200);
        assert!(
            csv.body.len() > 64 * 1024,
            "more than one chunk: {}",
            csv.body.len()
        );
        let rows = csv_rows(&csv.body);
        assert_eq!(rows.len(), 1 + 603);
        let sum: i64 = rows[1..]
            .iter()
            .map(|r| Fen::parse_yuan(&r[7]).unwrap().0)
            .sum();
        assert_eq!(sum, expected);
        let ids: Vec<i64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in line order");

        let xlsx = b.get(&format!("/benefits/cycles/{id}/export.xlsx"));
        let files = unzip(&xlsx.body).unwrap();
        let lines = std::str::from_utf8(&files[0].1).unwrap();
        assert_eq!(files[0].0, "xl/worksheets/sheet1.xml");
        assert_eq!(lines.matches("<row ").count(), 1 + 603);
        assert!(
            std::str::from_utf8(&files[1].1)
                .unwrap()
                .contains(&format!("<v>{}</v>", Fen(expected).yuan_string()))
        );
    }
}

/// The second half of a cycle over HTTP: release, the bank file downloaded byte for byte, a
/// return uploaded as htmx sends it (a refused one first), the worklist and its resolution, and
/// closing the reconciled cycle.
#[test]
fn release_return_worklist_and_close_over_http() {
    for t in minzheng_store::testing::databases("benefits_pages_bank") {
        let db = &t.db;
        setup(db);
        let server = TestServer::start(db.clone());
        let mut district = Browser::new(server.addr);
        district.sign_in("yz-benefits", PASSWORD);
        let mut city = Browser::new(server.addr);
        city.sign_in("city-benefits", PASSWORD);
        city.get("/benefits?month=2020-06");
        let r = city.post_form("/benefits/compute", &[("month", "2020-06")]);
        assert_eq!(r.status, 303, "{}: {}", t.label, r.text());
        let id: i64 = one(db, "SELECT id FROM payroll_cycle");
        let path = format!("/benefits/cycles/{id}");
        district.get(&path);
        assert_eq!(
            district.post_form(&format!("{path}/approve"), &[]).status,
            303
        );
        city.get(&path);
        assert_eq!(
            city.post_form(&format!("{path}/authorize"), &[]).status,
            303
        );
        let page = city.get(&path);
        assert!(page.text().contains("生成银行代发文件"), "{}", page.text());
        let r = city.post_form(&format!("{path}/release"), &[]);
        assert_eq!(r.status, 303, "{}", r.text());
        let page = city.get(&path).text();
        assert!(page.contains("已生成代发文件"), "{page}");
        assert!(page.contains("CQRCB_500103_202006.txt"), "{page}");

        // The file, as the bank receives it: the control record says 3 lines, 3058 yuan.
        let file_id: i64 = one(db, "SELECT id FROM bank_file");
        let file = city.get(&format!("/benefits/bank-files/{file_id}"));
        assert_eq!(file.status, 200);
        assert!(
            file.header("content-disposition")
                .unwrap()
                .contains("CQRCB_500103_202006.txt")
        );
        assert!(
            file.body
                .starts_with(b"H500103202006CQRCB   0000000003000000000305800")
        );
        // Another district cannot download it.
        let mut other = Browser::new(server.addr);
        other.sign_in("spb-benefits", PASSWORD);
        assert_eq!(
            other.get(&format!("/benefits/bank-files/{file_id}")).status,
            404
        );

        let upload = |b: &Browser, bytes: &[u8]| upload_return(&server, b, file_id, bytes);
        let lines: Vec<&[u8]> = file
            .body
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| l.strip_suffix(b"\r").unwrap())
            .collect();
        let answer = |second: &[u8]| {
            let mut out = lines[0].to_vec();
            out.extend_from_slice(b"\r\n");
            for (i, l) in lines[1..].iter().enumerate() {
                out.extend_from_slice(l);
                out.extend_from_slice(if i == 1 { second } else { b"S0000" });
                out.extend_from_slice(b"\r\n");
            }
            out
        };
        // A return missing a line is refused with its reason; nothing is recorded.
        let short: Vec<u8> = answer(b"S0000")
            .split(|b| *b == b'\n')
            .take(3)
            .flat_map(|l| [l, b"\n"].concat())
            .collect();
        // (htmx places only a 2xx answer: the refusal comes as 200 so that it shows.)
        let refused = upload(&city, &short);
        assert_eq!(refused.status, 200, "{}", refused.text());
        assert!(
            refused
                .text()
                .contains("CQRCB_500103_202006.txt 的回盘未导入，没有任何改动"),
            "{}",
            refused.text()
        );
        assert_eq!(one::<i64>(db, "SELECT COUNT(*) FROM payment_result"), 0);
        // The second line's card was closed.
        // The bank answers in GBK, as its file was written.
        let done = upload(
            &city,
            &answer(&encoding_rs::GBK.encode("F1001账户已销户").0),
        );
        assert_eq!(done.status, 200, "{}", done.text());
        assert_eq!(
            done.header("hx-redirect").map(|h| h.starts_with(&path)),
            Some(true)
        );
        assert!(done.text().contains("成功 2 笔"), "{}", done.text());
        assert!(done.text().contains("名册已对账"), "{}", done.text());

        // The district's worklist shows it; resolving it needs a note.
        let list = district.get("/benefits/worklist").text();
        assert!(list.contains("账户已销户"), "{list}");
        let failed: i64 = one(
            db,
            "SELECT payment_id FROM payment_result WHERE outcome = 'failed'",
        );
        let r = district.post_form(
            &format!("/benefits/worklist/{failed}/resolve"),
            &[("note", "已更正社保卡号")],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert!(
            district
                .get("/benefits/worklist")
                .text()
                .contains("没有待处理")
        );

        // Closing the reconciled cycle.
        city.get(&path);
        assert_eq!(city.post_form(&format!("{path}/close"), &[]).status, 303);
        assert_eq!(
            one::<String>(db, "SELECT status FROM payroll_cycle"),
            "closed"
        );

        // The whole month in the user's scope: here the one cycle, its 3 lines after the header.
        let month = city.get("/benefits/months/2020-06/export.csv");
        assert_eq!(month.status, 200, "{}", month.text());
        assert!(
            month
                .header("content-disposition")
                .unwrap()
                .contains("2020-06.csv")
        );
        assert_eq!(csv_rows(&month.body).len(), 4);
        // Another district has nothing to export that month.
        assert_eq!(other.get("/benefits/months/2020-06/export.csv").status, 400);
    }
}

/// A return with errors, uploaded from the cycle page (htmx): the answer lists every refused line
/// with its number and reason (all of them, not the first fifty), htmx can place it (2xx), and
/// nothing is applied.
#[test]
fn a_refused_return_lists_every_refused_line_on_the_page() {
    for t in minzheng_store::testing::databases("benefits_pages_return_refused") {
        let db = &t.db;
        setup(db);
        let city = Principal {
            role: Role::CityAdmin,
            ..Principal::system("test")
        };
        let district = Principal {
            role: Role::DistrictAdmin,
            scope_code: "500103".into(),
            ..Principal::system("test")
        };
        use minzheng_benefits::{bank, payroll};
        payroll::compute_month(
            db,
            &city,
            Month::parse("2020-06").unwrap(),
            &mut |_, _, _| {},
        )
        .unwrap();
        let id: i64 = one(db, "SELECT id FROM payroll_cycle");
        db.write(|tx| payroll::advance(tx, &district, id, "approved"))
            .unwrap();
        db.write(|tx| payroll::advance(tx, &city, id, "authorized"))
            .unwrap();
        db.write(|tx| bank::release(tx, &city, id)).unwrap();
        let file_id: i64 = one(db, "SELECT id FROM bank_file");
        let server = TestServer::start(db.clone());
        let mut b = Browser::new(server.addr);
        b.sign_in("city-benefits", PASSWORD);
        b.get(&format!("/benefits/cycles/{id}"));
        // The control record, then 60 lines too short to be return lines.
        let mut text = String::from("H500103202006CQRCB   0000000003000000000305800\r\n");
        for i in 0..60 {
            text.push_str(&format!("D{i:08}\r\n"));
        }
        let r = upload_return(&server, &b, file_id, text.as_bytes());
        assert_eq!(r.status, 200, "{}: {}", t.label, r.text());
        let answer = r.text();
        assert!(
            answer.contains("CQRCB_500103_202006.txt 的回盘未导入，没有任何改动：共 60 处问题"),
            "{answer}"
        );
        for line in 2..=61 {
            assert!(
                answer.contains(&format!("<li>第 {line} 行：长度 9 字节")),
                "{}: line {line} missing in {answer}",
                t.label
            );
        }
        assert_eq!(one::<i64>(db, "SELECT COUNT(*) FROM bank_return"), 0);
        assert_eq!(one::<i64>(db, "SELECT COUNT(*) FROM payment_result"), 0);
        assert_eq!(
            one::<String>(db, "SELECT status FROM payroll_cycle"),
            "released"
        );
    }
}
