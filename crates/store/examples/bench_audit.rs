//! What keyed audit hashes cost: audited writes per second (one transaction with one audit row and
//! its subject key each, as a service writes them), the chain walk of `verify`, and one subject key,
//! on SQLite and, when `MINZHENG_TEST_DATABASE_URL` is set, PostgreSQL.
//!
//! `cargo run --release -p minzheng-store --example bench_audit [WRITES]`

use minzheng_store::audit::{self, AuditContext, AuditEntry, AuditKeys};
use minzheng_store::testing::{TestDb, postgres_empty, sqlite_empty};
use minzheng_store::{StoreError, migrations};
use std::time::Instant;

const PERSON: &str = "500103198808080771";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn audited_writes(t: &TestDb, n: usize) -> f64 {
    let ctx = AuditContext::system("bench");
    let start = Instant::now();
    for i in 0..n {
        t.write(|tx| {
            let subject = audit::subject_key(tx, PERSON)?;
            audit::append(
                tx,
                &ctx,
                AuditEntry {
                    action: "bench.change",
                    record_type: "sample",
                    record_id: i.to_string(),
                    subject_key: Some(subject),
                    before: Some(serde_json::json!({ "status": "before", "n": i })),
                    after: Some(serde_json::json!({ "status": "after", "n": i })),
                    detail: serde_json::json!({ "reason": "benchmark", "n": i }),
                },
            )?;
            Ok::<_, StoreError>(())
        })
        .expect("audited write");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let writes: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("WRITES is a number"))
        .unwrap_or(3000);
    let mut dbs = vec![sqlite_empty("bench_audit")];
    dbs.extend(postgres_empty("bench_audit"));
    println!("| backend | audited writes/s (median of 3 × {writes}) | verify rows/s |");
    println!("|---|---|---|");
    for t in &dbs {
        migrations::migrate(t).expect("migrate");
        let runs: Vec<f64> = (0..3).map(|_| audited_writes(t, writes)).collect();
        let rows = 3 * writes;
        let start = Instant::now();
        let status = audit::verify(t).expect("verify");
        let verify = rows as f64 / start.elapsed().as_secs_f64();
        assert_eq!(status, audit::ChainStatus::Intact { rows: rows as i64 });
        println!(
            "| {} | {:.0} (runs {}) | {:.0} |",
            t.label,
            median(runs.clone()),
            runs.iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(" / "),
            verify
        );
    }
    let keys = AuditKeys::generate().expect("keys");
    let n = 1_000_000;
    let start = Instant::now();
    let mut sink = 0_usize;
    for _ in 0..n {
        sink += keys.subject_key(PERSON).len();
    }
    let keyed = start.elapsed().as_nanos() as f64 / n as f64;
    let start = Instant::now();
    for _ in 0..n {
        sink += audit::unkeyed_subject_key(PERSON).len();
    }
    let unkeyed = start.elapsed().as_nanos() as f64 / n as f64;
    println!("subject key: keyed {keyed:.0} ns, unkeyed {unkeyed:.0} ns ({sink} bytes)");
}
