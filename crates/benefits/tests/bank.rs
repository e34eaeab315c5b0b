//! Bank files and returns on both backends: a cycle released as one file per bank in its layout
//! (fixed-width GBK, CSV UTF-8), a return with failures (one reissued next cycle, one on the
//! worklist until the account is corrected), reconciled and closed; and return files refused
//! whole, line by line, with nothing applied.

mod common;

use common::*;

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_benefits::bank::{self, BankFile};
use minzheng_benefits::enrolments::{self, NewEnrolment};
use minzheng_benefits::payroll;
use minzheng_benefits::programs::Program;
use minzheng_benefits::{BenefitsError, LineProblem};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::region::RegionCode;
use minzheng_store::{Db, params};

fn district() -> Principal {
    who(Role::DistrictAdmin, "500103", "yuzhong-admin")
}

fn id(seq: u16) -> IdNumber {
    IdNumber::generate("500103", NaiveDate::from_ymd_opt(1950, 1, 1).unwrap(), seq).unwrap()
}

fn person(seq: u16, name: &str, bank: &str, kind: &str) -> NewEnrolment {
    NewEnrolment {
        program: Program::OrphanDispersed,
        id_number: id(seq),
        name: name.into(),
        household_id: None,
        region_code: RegionCode::parse(YUZHONG).unwrap(),
        members: 1,
        counted_income: Fen(0),
        supplement: Fen(0),
        care_tier: None,
        bank_code: bank.into(),
        account_kind: kind.into(),
        account_no: format!("6230{seq:012}"),
        start_month: month("2020-06"),
        end_month: None,
        reason: "测试登记".into(),
    }
}

/// Four orphans (1204 yuan each in 2020), two paid by CQRCB (fixed width, GBK, social-security
/// card) and two by ICBC (CSV, UTF-8), computed, approved, authorized and released for 2020-06.
fn released(db: &Db) -> (i64, Vec<BankFile>) {
    db.write(minzheng_reference::parameters::sync_seed).unwrap();
    db.write(|tx| {
        enrolments::enrol(tx, &city(), &person(1, "欧阳小明", "CQRCB", "ssc"))?;
        enrolments::enrol(tx, &city(), &person(2, "李𠀾", "CQRCB", "ssc"))?;
        enrolments::enrol(tx, &city(), &person(3, "王,五", "ICBC", "bank"))?;
        enrolments::enrol(tx, &city(), &person(4, "赵六", "ICBC", "ssc"))?;
        Ok::<_, BenefitsError>(())
    })
    .unwrap();
    payroll::compute_month(db, &city(), month("2020-06"), &mut |_, _, _| {}).unwrap();
    let cycle = db
        .read(|tx| payroll::cycles(tx, &city(), month("2020-06")))
        .unwrap()
        .remove(0);
    // Releasing before finance has authorized is refused.
    let early = db.write(|tx| bank::release(tx, &city(), cycle.id));
    assert!(
        matches!(&early, Err(BenefitsError::Conflict(m)) if m.contains("须经财政批准")),
        "{early:?}"
    );
    db.write(|tx| payroll::advance(tx, &district(), cycle.id, "approved"))
        .unwrap();
    db.write(|tx| payroll::advance(tx, &city(), cycle.id, "authorized"))
        .unwrap();
    let release = db.write(|tx| bank::release(tx, &city(), cycle.id)).unwrap();
    assert!(!release.already);
    assert_eq!(release.warnings.len(), 1, "{:?}", release.warnings);
    assert!(release.warnings[0].contains("GBK"));
    (cycle.id, release.files)
}

fn file_bytes(db: &Db, file: &BankFile) -> Vec<u8> {
    let mut out = Vec::new();
    db.read(|tx| bank::write_file(tx, &city(), file.id, &mut out))
        .unwrap();
    out
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

/// A return file from an issued one: each detail line answered by `answer(seq)`, appended as the
/// layout wants it (fixed: status, code, message; CSV: three more fields).
fn answer(issued: &[u8], csv: bool, answer: impl Fn(usize) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, line) in issued.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        out.extend_from_slice(line);
        if i > 0 {
            if csv {
                out.push(b',');
            }
            out.extend_from_slice(&answer(i));
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn results(db: &Db) -> Vec<(String, String, String)> {
    db.read(|tx| {
        let rows = tx.query(
            "SELECT p.id_number, f.outcome, f.follow_up FROM payment_result f JOIN payment p ON p.id = f.payment_id ORDER BY p.id",
            params![],
        )?;
        rows.iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
    })
    .unwrap()
}

fn status(db: &Db, cycle_id: i64) -> String {
    db.read(|tx| {
        tx.query_one(
            "SELECT status FROM payroll_cycle WHERE id = $1",
            params![cycle_id],
        )?
        .get::<String>(0)
    })
    .unwrap()
}

#[test]
fn release_return_with_failures_reissue_and_close() {
    for t in minzheng_store::testing::databases("benefits_bank") {
        let db = &t.db;
        let (cycle_id, files) = released(db);
        assert_eq!(
            files
                .iter()
                .map(|f| (f.bank_code.as_str(), f.line_count, f.total_fen))
                .collect::<Vec<_>>(),
            vec![("CQRCB", 2, 240_800), ("ICBC", 2, 240_800)],
            "{}",
            t.label
        );
        assert_eq!(files[0].file_name, "CQRCB_500103_202006.txt");
        assert_eq!(files[1].file_name, "ICBC_500103_202006.csv");
        assert_eq!(status(db, cycle_id), "released");

        // The fixed-width GBK file: a 46-byte control record, then 120-byte lines.
        let cqrcb = file_bytes(db, &files[0]);
        let lines: Vec<&[u8]> = cqrcb
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| l.strip_suffix(b"\r").unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], b"H500103202006CQRCB   0000000002000000000240800");
        assert!(lines[1..].iter().all(|l| l.len() == 120));
        let name = encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(&lines[1][54..84])
            .unwrap();
        assert_eq!(name.trim_end(), "欧阳小明");
        assert_eq!(&lines[1][102..114], b"000000120400");
        let rare = encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(&lines[2][54..84])
            .unwrap();
        assert_eq!(rare.trim_end(), "李?");
        // Written again, byte for byte the same (the checksum is verified).
        assert_eq!(file_bytes(db, &files[0]), cqrcb);

        // The CSV file, with the name holding a comma quoted.
        let icbc = String::from_utf8(file_bytes(db, &files[1])).unwrap();
        let icbc_lines: Vec<&str> = icbc.lines().collect();
        assert_eq!(icbc_lines[0], "H,500103,202006,ICBC,2,2408.00");
        assert!(
            icbc_lines[1].contains(",\"王,五\",") && icbc_lines[1].ends_with(",1204.00,202006"),
            "{}",
            icbc_lines[1]
        );

        // CQRCB: the second card was closed (an account problem: the worklist).
        let cq_return = answer(&cqrcb, false, |seq| {
            if seq == 2 {
                gbk("F1001账户已销户")
            } else {
                b"S0000".to_vec()
            }
        });
        let out = db
            .write(|tx| bank::import_return(tx, &city(), files[0].id, &cq_return))
            .unwrap();
        assert_eq!(
            (out.paid, out.failed, out.to_worklist, out.to_next_cycle),
            (1, 1, 1, 0)
        );
        assert!(!out.cycle_reconciled);
        assert_eq!(status(db, cycle_id), "released");
        // The same file again changes nothing; a different one is refused.
        let again = db
            .write(|tx| bank::import_return(tx, &city(), files[0].id, &cq_return))
            .unwrap();
        assert!(again.already);
        let other = answer(&cqrcb, false, |_| b"S0000".to_vec());
        let refused = db.write(|tx| bank::import_return(tx, &city(), files[0].id, &other));
        assert!(
            matches!(refused, Err(BenefitsError::Conflict(_))),
            "{refused:?}"
        );

        // ICBC: the bank's system was busy for the first line (retried next cycle).
        let icbc_return = answer(icbc.as_bytes(), true, |seq| {
            if seq == 1 {
                "F,2001,系统繁忙".as_bytes().to_vec()
            } else {
                b"S,0000,".to_vec()
            }
        });
        let out = db
            .write(|tx| bank::import_return(tx, &city(), files[1].id, &icbc_return))
            .unwrap();
        assert_eq!((out.paid, out.failed, out.to_next_cycle), (1, 1, 1));
        assert!(out.cycle_reconciled);
        assert_eq!(status(db, cycle_id), "reconciled");
        assert_eq!(
            results(db),
            vec![
                (id(1).as_str().into(), "paid".into(), "none".into()),
                (id(2).as_str().into(), "failed".into(), "worklist".into()),
                (id(3).as_str().into(), "failed".into(), "next_cycle".into()),
                (id(4).as_str().into(), "paid".into(), "none".into()),
            ]
        );
        db.write(|tx| payroll::advance(tx, &city(), cycle_id, "closed"))
            .unwrap();
        assert_eq!(status(db, cycle_id), "closed");

        // July: the busy-bank failure is reissued; the closed card waits on the worklist.
        payroll::compute_month(db, &city(), month("2020-07"), &mut |_, _, _| {}).unwrap();
        let reissues = |db: &Db| {
            db.read(|tx| {
                let rows = tx.query(
                    "SELECT id_number, for_month, amount_fen FROM payment WHERE kind = 'reissue' ORDER BY id",
                    params![],
                )?;
                rows.iter()
                    .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .collect::<Result<Vec<(String, String, i64)>, minzheng_store::StoreError>>()
            })
            .unwrap()
        };
        assert_eq!(
            reissues(db),
            vec![(id(3).as_str().to_owned(), "2020-06".to_owned(), 120_400)]
        );
        let worklist = db.read(|tx| bank::worklist(tx, &district())).unwrap();
        assert_eq!(worklist.len(), 1);
        assert!(worklist[0].reason.contains("账户已销户"));
        let payment_id = worklist[0].payment_id;
        // Resolving needs a written note; then August reissues it.
        let bare = db.write(|tx| bank::resolve_failure(tx, &district(), payment_id, " "));
        assert!(matches!(bare, Err(BenefitsError::Invalid(_))), "{bare:?}");
        db.write(|tx| bank::resolve_failure(tx, &district(), payment_id, "已更正社保卡号"))
            .unwrap();
        assert!(
            db.read(|tx| bank::worklist(tx, &district()))
                .unwrap()
                .is_empty()
        );
        payroll::compute_month(db, &city(), month("2020-08"), &mut |_, _, _| {}).unwrap();
        assert_eq!(
            reissues(db),
            vec![
                (id(3).as_str().to_owned(), "2020-06".to_owned(), 120_400),
                (id(2).as_str().to_owned(), "2020-06".to_owned(), 120_400)
            ]
        );
    }
}

fn problems(r: Result<bank::ReturnOutcome, BenefitsError>) -> Vec<LineProblem> {
    match r {
        Err(BenefitsError::Lines(p)) => p,
        other => panic!("expected a refusal line by line, got {other:?}"),
    }
}

#[test]
fn bad_return_files_are_refused_whole_with_line_numbers() {
    for t in minzheng_store::testing::databases("benefits_bank_bad") {
        let db = &t.db;
        let (cycle_id, files) = released(db);
        let icbc = String::from_utf8(file_bytes(db, &files[1])).unwrap();
        let lines: Vec<String> = icbc.lines().map(|l| l.to_owned()).collect();
        let ok = |l: &str| format!("{l},S,0000,");
        let import = |text: String| {
            db.write(|tx| bank::import_return(tx, &city(), files[1].id, text.as_bytes()))
        };

        // A line matching no payment (an id the file does not hold) and a duplicated line.
        let stranger = lines[2].replacen(
            &format!(",{},", lines[2].split(',').nth(2).unwrap()),
            ",999999,",
            1,
        );
        let text = [
            lines[0].clone(),
            ok(&lines[1]),
            ok(&lines[1]),
            ok(&stranger),
        ]
        .join("\r\n");
        let p = problems(import(text));
        assert_eq!(p.len(), 2, "{}: {p:?}", t.label);
        assert_eq!(p[0].line, 3);
        assert!(p[0].reason.contains("与第 2 行重复"), "{}", p[0].reason);
        assert_eq!(p[1].line, 4);
        assert!(p[1].reason.contains("不对应"), "{}", p[1].reason);

        // A control record that disagrees with the file as issued.
        let text = [
            "H,500103,202006,ICBC,2,2408.01".to_owned(),
            ok(&lines[1]),
            ok(&lines[2]),
        ]
        .join("\r\n");
        let p = problems(import(text));
        assert_eq!(p.len(), 1);
        assert!(p[0].reason.contains("控制记录为 2 笔 2408.01 元"), "{p:?}");

        // A line missing, and a line with an amount changed.
        let p = problems(import([lines[0].clone(), ok(&lines[1])].join("\r\n")));
        assert!(p[0].reason.contains("明细合计 1 笔"), "{p:?}");
        let changed = lines[2].replace(",1204.00,", ",1240.00,");
        let p = problems(import(
            [lines[0].clone(), ok(&lines[1]), ok(&changed)].join("\r\n"),
        ));
        assert_eq!(p[0].line, 3);
        assert!(p[0].reason.contains("与代发文件不符"), "{p:?}");

        // A status that is neither S nor F.
        let p = problems(import(
            [
                lines[0].clone(),
                ok(&lines[1]),
                format!("{},X,0000,", lines[2]),
            ]
            .join("\r\n"),
        ));
        assert!(p[0].reason.contains("处理结果“X”无效"), "{p:?}");

        // The bank's message is kept with the result: a megabyte of it, or a NUL byte, is refused.
        let p = problems(import(
            [
                lines[0].clone(),
                format!("{},F,2001,{}", lines[1], "忙".repeat(1 << 18)),
                format!("{},F,2001,系统\0繁忙", lines[2]),
            ]
            .join("\r\n"),
        ));
        assert_eq!(
            p.iter().map(|p| (p.line, p.field)).collect::<Vec<_>>(),
            vec![(2, "银行说明"), (3, "银行说明")],
            "{p:?}"
        );
        assert!(
            p[0].reason.contains("过长") && p[1].reason.contains("控制字符"),
            "{p:?}"
        );

        // Nothing was applied: no result, no return, the cycle still released.
        assert!(results(db).is_empty());
        let returns: i64 = db
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM bank_return", params![])?
                    .get::<i64>(0)
            })
            .unwrap();
        assert_eq!(returns, 0);
        assert_eq!(status(db, cycle_id), "released");
    }
}
