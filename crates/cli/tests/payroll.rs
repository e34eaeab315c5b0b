//! `minzheng payroll compute` killed halfway, on every backend of the run: each district cycle is
//! either whole (its lines agree with its control totals) or absent, and a rerun completes the month
//! without paying anyone twice. Two runs at once pay everyone once.

use minzheng_store::testing::{TestDb, databases};
use minzheng_store::{DatabaseUrl, Db, params};
use std::process::{Command, Stdio};
use std::time::Duration;

fn url_of(db: &Db) -> String {
    match db.url() {
        DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
        DatabaseUrl::Postgres(u) => u.clone(),
    }
}

fn minzheng(t: &TestDb, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_minzheng"));
    c.env_remove("MINZHENG_DATABASE_URL")
        .env("MINZHENG_AUDIT_KEY_FILE", t.audit_key_file())
        .args(["--database-url", &url_of(t)])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Every cycle's lines agree with its recorded count and total, and no line lacks its cycle.
fn assert_whole(db: &Db, label: &str) -> i64 {
    db.read(|tx| {
        let orphans: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM payment p WHERE NOT EXISTS (SELECT 1 FROM payroll_cycle c WHERE c.id = p.cycle_id)",
                params![],
            )?
            .get(0)?;
        assert_eq!(orphans, 0, "{label}: lines without a cycle");
        let broken: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM payroll_cycle c WHERE c.line_count <> (SELECT COUNT(*) FROM payment p WHERE p.cycle_id = c.id)
                   OR c.total_fen <> (SELECT COALESCE(CAST(SUM(p.amount_fen) AS BIGINT), 0) FROM payment p WHERE p.cycle_id = c.id)",
                params![],
            )?
            .get(0)?;
        assert_eq!(broken, 0, "{label}: a cycle disagrees with its lines");
        tx.query_one("SELECT COUNT(*) FROM payment", params![])?.get(0)
    })
    .unwrap()
}

#[test]
fn a_killed_payroll_leaves_whole_cycles_or_none_and_a_rerun_completes_it() {
    for t in databases("payroll_kill") {
        let g = minzheng(&t, &["generate", "--scale", "demo", "--seed", "3"])
            .status()
            .unwrap();
        assert!(g.success(), "{}", t.label);
        let month = minzheng_kernel::month::Month::of(minzheng_kernel::id_number::china_today())
            .to_string();
        for delay in [5_u64, 40, 120] {
            let mut child = minzheng(&t, &["payroll", "compute", &month])
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(delay));
            let _ = child.kill();
            let _ = child.wait();
            assert_whole(&t, t.label);
        }
        let done = minzheng(&t, &["payroll", "compute", &month])
            .status()
            .unwrap();
        assert!(done.success(), "{}", t.label);
        let lines = assert_whole(&t, t.label);
        let (payable, cycles): (i64, i64) = t
            .read(|tx| {
                let p: i64 = tx
                    .query_one(
                        "SELECT COUNT(*) FROM enrolment WHERE status = 'active' AND start_month <= $1
                           AND (end_month IS NULL OR end_month >= $1)",
                        params![month],
                    )?
                    .get(0)?;
                let c: i64 = tx
                    .query_one("SELECT COUNT(*) FROM payroll_cycle", params![])?
                    .get(0)?;
                Ok::<_, minzheng_store::StoreError>((p, c))
            })
            .unwrap();
        // The demo population lives in two districts; every payable entitlement is paid once.
        assert_eq!(cycles, 2, "{}", t.label);
        assert_eq!(lines, payable, "{}", t.label);
        // Two more runs at once change nothing.
        let a = minzheng(&t, &["payroll", "compute", &month])
            .spawn()
            .unwrap();
        let b = minzheng(&t, &["payroll", "compute", &month])
            .spawn()
            .unwrap();
        for mut c in [a, b] {
            assert!(c.wait().unwrap().success(), "{}", t.label);
        }
        assert_eq!(assert_whole(&t, t.label), lines, "{}", t.label);
    }
}
