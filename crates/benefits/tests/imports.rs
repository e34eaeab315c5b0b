//! Every field of every import checked by the rules the forms use, on both backends: a register
//! or a recipient list with any bad line changes nothing and names every bad line with its field
//! and reason; the same value typed on the enrolment form is refused the same way; a start month
//! outside the payable window never reaches the payroll.

mod common;

use common::*;

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_benefits::enrolments::{self, NewEnrolment};
use minzheng_benefits::programs::Program;
use minzheng_benefits::{BenefitsError, LineProblem, payroll, prices};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::month::Month;
use minzheng_store::{Db, params};

fn id(seq: u16) -> IdNumber {
    IdNumber::generate("500103", NaiveDate::from_ymd_opt(1960, 1, 1).unwrap(), seq).unwrap()
}

fn count(db: &Db, sql: &str) -> i64 {
    db.read(|tx| tx.query_one(sql, params![])?.get(0)).unwrap()
}

/// The problems of a file refused line by line.
fn refused<T: std::fmt::Debug>(r: Result<T, BenefitsError>) -> Vec<LineProblem> {
    match r {
        Err(BenefitsError::Lines(p)) => p,
        other => panic!("expected a refusal line by line, got {other:?}"),
    }
}

/// Each problem's line and field.
fn places(problems: &[LineProblem]) -> Vec<(usize, &'static str)> {
    problems.iter().map(|p| (p.line, p.field)).collect()
}

#[test]
fn a_register_with_bad_fields_changes_nothing_and_names_every_bad_line_and_field() {
    for t in minzheng_store::testing::databases("benefits_import_fields") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        let line = |seq: u16, name: &str, bank: &str, kind: &str, account: &str, start: &str| {
            format!(
                "disability_care,{},{name},{YUZHONG},1,,,,{bank},{kind},{account},{start},",
                id(seq).as_str()
            )
        };
        let next = Month::of(minzheng_kernel::id_number::china_today()).plus(1);
        let huge = "6".repeat(1 << 20);
        let file = [
            enrolments::IMPORT_COLUMNS.to_owned(),
            line(1, "残联甲", "CQRCB", "ssc", "6230000000000001", "2020-01"),
            line(2, "残联乙", "NOBANK", "ssc", "6230000000000002", "2020-01"),
            line(3, "残联丙", "CQRCB", "ssc", "6230000000000003", "1900-01"),
            line(4, "残联丁", "CQRCB", "ssc", &huge, "2020-01"),
            line(5, "残联\0戊", "CQRCB", "ssc", "6230000000000005", "2020-01"),
            // CQRCB pays social-security cards only: its bank file would stop at this line.
            line(6, "残联己", "CQRCB", "bank", "6230000000000006", "2020-01"),
            line(
                7,
                "残联庚",
                "ICBC",
                "bank",
                "6222000000000007",
                &next.plus(1).to_string(),
            ),
            // Three problems on one line: each is named.
            line(8, "", "NOBANK", "card", "62-30", "2020-13"),
            line(
                9,
                "残联壬",
                "ICBC",
                "bank",
                "6222000000000009",
                &next.to_string(),
            ),
        ]
        .join("\n");
        let audit_before = count(db, "SELECT COUNT(*) FROM audit_log");
        let officer = who(Role::DistrictAdmin, "500103", "yuzhong-admin");
        let r = db.write(|tx| enrolments::import_csv(tx, &officer, &file));
        let refused = refused(r);
        assert_eq!(
            places(&refused),
            vec![
                (3, "代发银行"),
                (4, "起始月份"),
                (5, "账号"),
                (6, "姓名"),
                (7, "账户类型"),
                (8, "起始月份"),
                (9, "姓名"),
                (9, "代发银行"),
                (9, "账户类型"),
                (9, "账号"),
                (9, "起始月份"),
            ],
            "{}: {refused:#?}",
            t.label
        );
        let text = BenefitsError::Lines(refused.clone()).to_string();
        assert!(text.contains("第 4 行，起始月份：1900-01 早于重度残疾人护理补贴在本地最早的保障标准（2016-05 起）"), "{text}");
        assert!(text.contains("第 5 行，账号：过长"), "{text}");
        assert!(text.contains("第 6 行，姓名：含不可见的控制字符"), "{text}");
        assert!(
            text.contains("第 3 行，代发银行：“NOBANK”不是已登记代发文件格式的银行"),
            "{text}"
        );
        assert!(text.contains("晚于下个月"), "{text}");
        // The 1 MiB value is not echoed back.
        assert!(text.len() < 4096, "{} bytes", text.len());
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM enrolment"),
            0,
            "{}",
            t.label
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM audit_log"),
            audit_before,
            "{}",
            t.label
        );
        // The good lines alone import, and the month computes.
        let good = [
            line(1, "残联甲", "CQRCB", "ssc", "6230000000000001", "2020-01"),
            line(
                10,
                "残联癸",
                "ICBC",
                "bank",
                "6222000000000010",
                &next.to_string(),
            ),
        ]
        .join("\n");
        assert_eq!(
            db.write(|tx| enrolments::import_csv(tx, &officer, &good))
                .unwrap(),
            2,
            "{}",
            t.label
        );
        payroll::compute_month(db, &city(), month("2020-01"), &mut |_, _, _| {}).unwrap();
        assert_eq!(count(db, "SELECT COUNT(*) FROM payment"), 1, "{}", t.label);
    }
}

fn entered(seq: u16) -> NewEnrolment {
    enrolment(Program::OrphanDispersed, id(seq), seq, YUZHONG, "2020-01")
}

#[test]
fn the_form_refuses_what_the_import_refuses() {
    for t in minzheng_store::testing::databases("benefits_form_fields") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        let cases: Vec<(NewEnrolment, &str)> = vec![
            (
                NewEnrolment {
                    bank_code: "NOBANK".into(),
                    ..entered(1)
                },
                "代发银行：“NOBANK”不是已登记代发文件格式的银行",
            ),
            (
                NewEnrolment {
                    start_month: month("1900-01"),
                    ..entered(2)
                },
                "起始月份：1900-01 早于散居孤儿在本地最早的保障标准（2019-01 起）",
            ),
            (
                NewEnrolment {
                    account_no: "6".repeat(64),
                    ..entered(3)
                },
                "账号：64 位，应为 8 至 32 位数字",
            ),
            (
                NewEnrolment {
                    name: "孤\0儿".into(),
                    ..entered(4)
                },
                "姓名：含不可见的控制字符",
            ),
            (
                NewEnrolment {
                    account_kind: "bank".into(),
                    ..entered(5)
                },
                "账户类型：重庆农村商业银行 只代发到社保卡",
            ),
        ];
        for (e, message) in cases {
            let err = db
                .write(|tx| enrolments::enrol(tx, &Principal::system("test"), &e))
                .unwrap_err();
            assert!(
                matches!(err, BenefitsError::Invalid(_)) && err.to_string().contains(message),
                "{}: {err}",
                t.label
            );
        }
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM enrolment"),
            0,
            "{}",
            t.label
        );
    }
}

#[test]
fn a_recipient_list_is_checked_by_the_same_rules() {
    for t in minzheng_store::testing::databases("benefits_recipient_fields") {
        let db = &t.db;
        db.write(minzheng_reference::parameters::sync_seed).unwrap();
        let line = |seq: u16, bank: &str, account: &str, start: &str| {
            format!(
                "entitled_groups,{},优抚{seq},{YUZHONG},{bank},bank,{account},{start},",
                id(seq).as_str()
            )
        };
        let csv = [
            line(1, "ICBC", "6222000000000001", "2019-01"),
            line(2, "NOBANK", "6222000000000002", "2019-01"),
            line(3, "ICBC", "6222000000000003", "1900-01"),
            line(4, "ICBC", &"6".repeat(1 << 20), "2019-01"),
            line(5, "CQRCB", "6222000000000005", "2019-01"),
        ]
        .join("\n");
        let r = db.write(|tx| prices::import_recipients(tx, &city(), &csv));
        assert_eq!(
            places(&refused(r)),
            vec![
                (2, "代发银行"),
                (3, "起始月份"),
                (4, "账号"),
                (5, "账户类型")
            ],
            "{}",
            t.label
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM price_subsidy_recipient"),
            0,
            "{}",
            t.label
        );
    }
}
