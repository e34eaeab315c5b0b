//! `minzheng bench NAME`: named scenarios measured beside the raw database doing the same work in the
//! same run, printed as a table and as one JSON line. These machines are noisy: figures are medians
//! of several runs, and ratios to the raw engine matter more than absolute numbers.

use clap::Subcommand;
use minzheng_access::Principal;
use minzheng_store::{DatabaseUrl, Db, StoreError, ToValue, Value, params};
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// A scoped list page and count over N rows: with the region-scope filter, without it, and the
    /// same SQL through the raw driver.
    ScopeList {
        /// Rows in the scratch table.
        #[arg(long, default_value_t = 1_000_000)]
        rows: i64,
        /// Repetitions of each query.
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
    /// Staff sign-ins per second (argon2id verification plus the session write).
    Login {
        /// Sign-ins measured.
        #[arg(long, default_value_t = 40)]
        runs: usize,
        /// Threads signing in at once.
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// `minzheng generate` at a scale, beside the raw driver bulk-inserting the same rows into
    /// tables with the same indexes.
    Generate {
        /// demo, district[:CODE] or chongqing.
        #[arg(long, default_value = "district")]
        scale: String,
        /// The seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The assistance area's scenarios.
    #[command(flatten)]
    Assistance(crate::assistance::BenchCommand),
    /// The institutions area's scenarios.
    #[command(flatten)]
    Institutions(crate::institutions::BenchCommand),
    /// The marriage area's scenarios.
    #[command(flatten)]
    Marriage(crate::marriage::BenchCommand),
    /// The payroll's scenarios.
    #[command(flatten)]
    Payroll(crate::payroll::BenchCommand),
    /// The policy what-ifs' scenario.
    #[command(flatten)]
    WhatIf(crate::benefits::BenchCommand),
    /// The governance area's scenarios.
    #[command(flatten)]
    Governance(crate::governance::BenchCommand),
    /// Requests per second of a path under a 64-connection wrk load against an in-process server.
    Http {
        /// Path to load.
        #[arg(long, default_value = "/healthz")]
        path: String,
        /// Open connections.
        #[arg(long, default_value_t = 64)]
        connections: u32,
        /// Seconds of load.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
    },
}

/// One scenario's figures.
#[derive(Debug, Serialize)]
pub(crate) struct Figures {
    pub(crate) scenario: String,
    pub(crate) backend: String,
    pub(crate) runs: usize,
    pub(crate) median_ms: f64,
    pub(crate) min_ms: f64,
    pub(crate) max_ms: f64,
    pub(crate) per_second: f64,
    pub(crate) raw_median_ms: Option<f64>,
    pub(crate) ratio_to_raw: Option<f64>,
    pub(crate) peak_rss_mb: f64,
    pub(crate) note: String,
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let median = samples[samples.len() / 2];
    (ms(median), ms(samples[0]), ms(samples[samples.len() - 1]))
}

pub(crate) fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// The resident set now, in MB.
pub(crate) fn resident_mb() -> f64 {
    status_mb("VmRSS:")
}

/// A memory figure of this process from /proc/self/status (Linux), in MB; 0 elsewhere.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

pub(crate) fn print(f: &Figures) {
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>12} {:>10} {:>8}",
        "scenario", "median ms", "min ms", "max ms", "per second", "raw ms", "ratio"
    );
    println!(
        "{:<28} {:>10.3} {:>10.3} {:>10.3} {:>12.0} {:>10} {:>8}",
        format!("{} ({})", f.scenario, f.backend),
        f.median_ms,
        f.min_ms,
        f.max_ms,
        f.per_second,
        f.raw_median_ms
            .map(|v| format!("{v:.3}"))
            .unwrap_or_else(|| "-".into()),
        f.ratio_to_raw
            .map(|v| format!("{v:.2}"))
            .unwrap_or_else(|| "-".into()),
    );
    if !f.note.is_empty() {
        println!("  {}", f.note);
    }
    println!("{}", serde_json::to_string(f).unwrap_or_default());
}

/// A database that exists for the run: a temporary SQLite file, or a scratch database on the
/// PostgreSQL server named by the URL. Removed afterwards.
pub(crate) struct Scratch {
    pub(crate) db: Db,
    drop_pg: Option<(String, String)>,
    dir: Option<std::path::PathBuf>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.db.close();
        if let Some((admin, name)) = &self.drop_pg
            && let Ok(mut c) = postgres::Client::connect(admin, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

pub(crate) fn scratch(url: Option<&str>) -> Result<Scratch, String> {
    let scratch = scratch_unkeyed(url)?;
    // A scratch database is sealed with keys of its own, which go away with it.
    let keys = minzheng_store::audit::AuditKeys::generate().map_err(|e| e.to_string())?;
    scratch.db.set_audit_keys(std::sync::Arc::new(keys));
    Ok(scratch)
}

fn scratch_unkeyed(url: Option<&str>) -> Result<Scratch, String> {
    match url
        .map(DatabaseUrl::parse)
        .transpose()
        .map_err(|e| e.to_string())?
    {
        Some(DatabaseUrl::Postgres(admin)) => {
            let name = format!("minzheng_bench_{}", std::process::id());
            let mut c =
                postgres::Client::connect(&admin, postgres::NoTls).map_err(|e| e.to_string())?;
            c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                .map_err(|e| e.to_string())?;
            c.batch_execute(&format!("CREATE DATABASE {name}"))
                .map_err(|e| e.to_string())?;
            let url = minzheng_store::testing::with_database(&admin, &name);
            let db = Db::open(&DatabaseUrl::Postgres(url), 8).map_err(|e| e.to_string())?;
            Ok(Scratch {
                db,
                drop_pg: Some((admin, name)),
                dir: None,
            })
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("minzheng-bench-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let db = Db::open(&DatabaseUrl::Sqlite(dir.join("bench.db")), 8)
                .map_err(|e| e.to_string())?;
            Ok(Scratch {
                db,
                drop_pg: None,
                dir: Some(dir),
            })
        }
    }
}

pub(crate) fn backend_name(db: &Db) -> String {
    match db.backend() {
        minzheng_store::Backend::Sqlite => "sqlite".into(),
        minzheng_store::Backend::Postgres => "postgres".into(),
    }
}

pub fn run(database_url: Option<&str>, command: BenchCommand) -> Result<(), String> {
    match command {
        BenchCommand::ScopeList { rows, runs } => scope_list(database_url, rows, runs),
        BenchCommand::Login { runs, threads } => login(database_url, runs, threads),
        BenchCommand::Http {
            path,
            connections,
            seconds,
        } => http(&path, connections, seconds),
        BenchCommand::Generate { scale, seed } => generate(database_url, &scale, seed),
        BenchCommand::Assistance(c) => crate::assistance::bench(database_url, c),
        BenchCommand::Institutions(c) => crate::institutions::bench(database_url, c),
        BenchCommand::Marriage(c) => crate::marriage::bench(database_url, c),
        BenchCommand::Governance(c) => crate::governance::bench(database_url, c),
        BenchCommand::Payroll(c) => crate::payroll::bench(database_url, c),
        BenchCommand::WhatIf(c) => crate::benefits::bench(database_url, c),
    }
}

fn scope_list(url: Option<&str>, rows: i64, runs: usize) -> Result<(), String> {
    let s = scratch(url)?;
    let db = &s.db;
    let tree = minzheng_kernel::region::RegionTree::chongqing();
    let communities: Vec<String> = tree
        .nodes()
        .iter()
        .filter(|n| n.level() == minzheng_kernel::region::RegionLevel::Community)
        .map(|n| format!("{:012}", n.code.as_u64()))
        .collect();
    let blob_free = "CREATE TABLE bench_case (id BIGINT PRIMARY KEY, region_code TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL);
                     CREATE INDEX bench_case_region ON bench_case (region_code, id);";
    let load_start = Instant::now();
    db.write(|tx| {
        tx.execute_batch(blob_free)?;
        tx.bulk_insert(
            "bench_case",
            &["id", "region_code", "name", "status"],
            &mut (0..rows).map(|i| {
                let code = &communities[(i as usize * 7919) % communities.len()];
                vec![
                    Value::Int(i),
                    Value::Text(code.clone()),
                    Value::Text(format!("案件{i}")),
                    Value::Text("open".into()),
                ]
            }),
        )
    })
    .map_err(|e: StoreError| e.to_string())?;
    let load = load_start.elapsed();
    if db.backend() == minzheng_store::Backend::Postgres {
        db.write(|tx| tx.execute_batch("ANALYZE bench_case"))
            .map_err(|e| e.to_string())?;
    }
    // The scope of a district reviewer of 渝中区, through the same code the areas use.
    let viewer = Principal {
        scope_code: "500103".into(),
        ..Principal::system("bench")
    };
    let (cond, scope_values) = viewer.scope().sql("region_code", 1);
    let scoped_list =
        format!("SELECT id, region_code, name FROM bench_case WHERE {cond} ORDER BY id LIMIT 50");
    let scoped_count = format!("SELECT COUNT(*) FROM bench_case WHERE {cond}");
    let values: Vec<Value> = scope_values.into_iter().map(Value::Text).collect();
    let refs: Vec<&dyn ToValue> = values.iter().map(|v| v as &dyn ToValue).collect();

    let time = |sql: &str, p: &[&dyn ToValue]| -> Result<(Vec<Duration>, i64), String> {
        let mut samples = Vec::new();
        let mut last = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let r = db.read(|tx| tx.query(sql, p)).map_err(|e| e.to_string())?;
            samples.push(t.elapsed());
            last = r
                .first()
                .map(|row| row.get::<i64>(0).unwrap_or(0))
                .unwrap_or(0);
        }
        Ok((samples, last))
    };
    let (with_list, _) = time(&scoped_list, &refs)?;
    let (without_list, _) = time(
        "SELECT id, region_code, name FROM bench_case ORDER BY id LIMIT 50",
        params![],
    )?;
    let (with_count, in_scope) = time(&scoped_count, &refs)?;
    let (without_count, all) = time("SELECT COUNT(*) FROM bench_case", params![])?;
    let raw = raw_count(db, &scoped_count, &values, runs)?;
    let backend = backend_name(db);
    let (m, lo, hi) = stats(with_list);
    let (m2, _, _) = stats(without_list);
    print(&Figures {
        scenario: "scope-list page of 50".into(),
        backend: backend.clone(),
        runs,
        median_ms: m,
        min_ms: lo,
        max_ms: hi,
        per_second: 1000.0 / m,
        raw_median_ms: Some(m2),
        ratio_to_raw: Some(m / m2),
        peak_rss_mb: peak_rss_mb(),
        note: format!(
            "raw = the same page without the scope filter; {rows} rows loaded in {:.1} s ({:.0} rows/s)",
            load.as_secs_f64(),
            rows as f64 / load.as_secs_f64()
        ),
    });
    let (m, lo, hi) = stats(with_count);
    let (m2, _, _) = stats(without_count);
    print(&Figures {
        scenario: "scope-list count".into(),
        backend: backend.clone(),
        runs,
        median_ms: m,
        min_ms: lo,
        max_ms: hi,
        per_second: 1000.0 / m,
        raw_median_ms: Some(m2),
        ratio_to_raw: Some(m / m2),
        peak_rss_mb: peak_rss_mb(),
        note: format!("{in_scope} of {all} rows in scope 500103; raw = the unscoped count"),
    });
    let (m, _, _) = stats(raw);
    let (ours, lo, hi) = stats(time(&scoped_count, &refs)?.0);
    print(&Figures {
        scenario: "scoped count via Db vs driver".into(),
        backend,
        runs,
        median_ms: ours,
        min_ms: lo,
        max_ms: hi,
        per_second: 1000.0 / ours,
        raw_median_ms: Some(m),
        ratio_to_raw: Some(ours / m),
        peak_rss_mb: peak_rss_mb(),
        note: "raw = the same SQL through rusqlite/postgres directly".into(),
    });
    Ok(())
}

fn raw_count(db: &Db, sql: &str, values: &[Value], runs: usize) -> Result<Vec<Duration>, String> {
    let text: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::Text(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    let mut samples = Vec::new();
    match db.url() {
        DatabaseUrl::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
            let sqlite_sql = (1..=text.len()).rev().fold(sql.to_owned(), |s, i| {
                s.replace(&format!("${i}"), &format!("?{i}"))
            });
            let mut stmt = c.prepare(&sqlite_sql).map_err(|e| e.to_string())?;
            for _ in 0..runs {
                let t = Instant::now();
                let _: i64 = stmt
                    .query_row(rusqlite::params_from_iter(text.iter()), |r| r.get(0))
                    .map_err(|e| e.to_string())?;
                samples.push(t.elapsed());
            }
        }
        DatabaseUrl::Postgres(url) => {
            let mut c =
                postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
            let stmt = c.prepare(sql).map_err(|e| e.to_string())?;
            let p: Vec<&(dyn postgres::types::ToSql + Sync)> = text
                .iter()
                .map(|s| s as &(dyn postgres::types::ToSql + Sync))
                .collect();
            for _ in 0..runs {
                let t = Instant::now();
                let _ = c.query_one(&stmt, &p).map_err(|e| e.to_string())?;
                samples.push(t.elapsed());
            }
        }
    }
    Ok(samples)
}

fn login(url: Option<&str>, runs: usize, threads: usize) -> Result<(), String> {
    let s = scratch(url)?;
    let db = s.db.clone();
    minzheng_store::migrations::migrate(&db).map_err(|e| e.to_string())?;
    crate::demo::load(&db)?;
    let policy = minzheng_access::sessions::SessionPolicy::default();
    let raw_hash =
        minzheng_access::password::hash(crate::demo::DEMO_PASSWORD).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    for _ in 0..runs.min(20) {
        let t = Instant::now();
        let _ = minzheng_access::password::verify(crate::demo::DEMO_PASSWORD, &raw_hash);
        raw.push(t.elapsed());
    }
    let per_thread = runs.div_ceil(threads.max(1));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads.max(1))
        .map(|i| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut samples = Vec::new();
                for n in 0..per_thread {
                    let t = Instant::now();
                    let address = format!("10.1.{i}.{}", n % 250);
                    minzheng_access::sign_in::password_sign_in(
                        &db,
                        "yuzhong-street",
                        crate::demo::DEMO_PASSWORD,
                        &address,
                        chrono::Utc::now(),
                        &policy,
                    )
                    .map_err(|e| e.to_string())?;
                    samples.push(t.elapsed());
                }
                Ok::<_, String>(samples)
            })
        })
        .collect();
    let mut samples = Vec::new();
    for h in handles {
        samples.extend(
            h.join()
                .map_err(|_| "bench thread panicked".to_string())??,
        );
    }
    let wall = start.elapsed();
    let count = samples.len();
    let (m, lo, hi) = stats(samples);
    let (raw_m, _, _) = stats(raw);
    print(&Figures {
        scenario: format!("login x{threads} threads"),
        backend: backend_name(&db),
        runs: count,
        median_ms: m,
        min_ms: lo,
        max_ms: hi,
        per_second: count as f64 / wall.as_secs_f64(),
        raw_median_ms: Some(raw_m),
        ratio_to_raw: Some(m / raw_m),
        peak_rss_mb: peak_rss_mb(),
        note: "raw = one argon2id verification (m=19 MiB, t=2, p=1) alone".into(),
    });
    Ok(())
}

fn http(path: &str, connections: u32, seconds: u32) -> Result<(), String> {
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        return Err("需要 wrk：apt-get install wrk（scripts/install-test-deps.sh 会安装）".into());
    }
    let s = scratch(None)?;
    minzheng_store::migrations::migrate(&s.db).map_err(|e| e.to_string())?;
    crate::demo::load(&s.db)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let config = minzheng_web::WebConfig {
        listen: "127.0.0.1:0".parse().map_err(|_| "addr")?,
        ..Default::default()
    };
    let running = runtime
        .block_on(minzheng_web::spawn(minzheng_web::AppState::new(
            s.db.clone(),
            config,
        )))
        .map_err(|e| e.to_string())?;
    let url = format!("http://{}{}", running.addr, path);
    let threads = connections.min(2).to_string();
    let out = std::process::Command::new("wrk")
        .args([
            "-t",
            &threads,
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--latency",
            &url,
        ])
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rps = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| format!("wrk 输出无法解析：{text}"))?;
    let p99 = text
        .lines()
        .find(|l| l.trim_start().starts_with("99%"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    let p50 = text
        .lines()
        .find(|l| l.trim_start().starts_with("50%"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    let _ = runtime.block_on(running.stop());
    print(&Figures {
        scenario: format!("http GET {path} c={connections}"),
        backend: "sqlite".into(),
        runs: 1,
        median_ms: 0.0,
        min_ms: 0.0,
        max_ms: 0.0,
        per_second: rps,
        raw_median_ms: None,
        ratio_to_raw: None,
        peak_rss_mb: peak_rss_mb(),
        note: format!("wrk and the server share the 2 cores; latency {p50}, {p99}"),
    });
    Ok(())
}

/// The population tables with the indexes the migrations give them, for the raw side of
/// `bench generate` (same rows, same indexes, no application code).
const RAW_POPULATION: &[(&str, &str, &str)] = &[
    (
        "household",
        "CREATE TABLE raw_household (id BIGINT PRIMARY KEY, region_code TEXT NOT NULL, area_type TEXT NOT NULL,
            address TEXT NOT NULL, deposits_fen BIGINT NOT NULL, vehicles BIGINT NOT NULL, housing_units BIGINT NOT NULL,
            origin TEXT NOT NULL, created_at TEXT NOT NULL);
         CREATE INDEX raw_household_region ON raw_household (region_code, id);",
        "id, region_code, area_type, address, deposits_fen, vehicles, housing_units, origin, created_at",
    ),
    (
        "person",
        "CREATE TABLE raw_person (id BIGINT PRIMARY KEY, household_id BIGINT NOT NULL, id_number TEXT NOT NULL,
            name TEXT NOT NULL, search_keys TEXT NOT NULL, sex TEXT NOT NULL, birth_date TEXT NOT NULL, relation TEXT NOT NULL,
            hukou_region TEXT NOT NULL, region_code TEXT NOT NULL, monthly_income_fen BIGINT NOT NULL, disability_kind TEXT,
            disability_level BIGINT, serious_illness BOOLEAN NOT NULL, student BOOLEAN NOT NULL, created_at TEXT NOT NULL);
         CREATE UNIQUE INDEX raw_person_id_number ON raw_person (id_number);
         CREATE INDEX raw_person_household ON raw_person (household_id);
         CREATE INDEX raw_person_region ON raw_person (region_code, id);",
        "id, household_id, id_number, name, search_keys, sex, birth_date, relation, hukou_region, region_code,
         monthly_income_fen, disability_kind, disability_level, serious_illness, student, created_at",
    ),
    (
        "enrolment",
        "CREATE TABLE raw_enrolment (program TEXT NOT NULL, id_number TEXT NOT NULL, name TEXT NOT NULL, household_id BIGINT,
            region_code TEXT NOT NULL, area_type TEXT NOT NULL, members BIGINT NOT NULL, counted_income_fen BIGINT NOT NULL,
            supplement_fen BIGINT NOT NULL, care_tier TEXT, bank_code TEXT NOT NULL, account_kind TEXT NOT NULL,
            account_no TEXT NOT NULL, start_month TEXT NOT NULL, end_month TEXT, first_paid_month TEXT, status TEXT NOT NULL,
            reason TEXT NOT NULL, source TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
         CREATE UNIQUE INDEX raw_enrolment_one_open ON raw_enrolment (program, id_number) WHERE status <> 'stopped';
         CREATE INDEX raw_enrolment_region ON raw_enrolment (region_code);
         CREATE INDEX raw_enrolment_id_number ON raw_enrolment (id_number);
         CREATE INDEX raw_enrolment_unpaid ON raw_enrolment (region_code) WHERE first_paid_month IS NULL;",
        "program, id_number, name, household_id, region_code, area_type, members, counted_income_fen, supplement_fen,
         care_tier, bank_code, account_kind, account_no, start_month, end_month, first_paid_month, status, reason, source,
         created_at, updated_at",
    ),
];

fn generate(url: Option<&str>, scale: &str, seed: u64) -> Result<(), String> {
    let scale = minzheng_synth::Scale::parse(scale).map_err(|e| e.to_string())?;
    let s = scratch(url)?;
    let db = &s.db;
    minzheng_store::migrations::migrate(db).map_err(|e| e.to_string())?;
    db.write(minzheng_reference::parameters::sync_seed)
        .map_err(|e| e.to_string())?;
    let g = crate::generate::run(db, scale, seed, false)?;
    let peak = peak_rss_mb();
    let mut tables = Vec::new();
    for (table, ddl, columns) in RAW_POPULATION {
        let rows = db
            .read(|tx| tx.query(&format!("SELECT {columns} FROM {table}"), params![]))
            .map_err(|e| e.to_string())?;
        db.write(|tx| tx.execute_batch(ddl))
            .map_err(|e| e.to_string())?;
        tables.push((format!("raw_{table}"), columns.to_string(), rows));
    }
    let t = Instant::now();
    raw_bulk(db.url(), &tables)?;
    let raw = t.elapsed();
    let rows: usize = tables.iter().map(|(_, _, r)| r.len()).sum();
    let ms_ours = g.seconds * 1000.0;
    let ms_raw = ms(raw);
    print(&Figures {
        scenario: format!("generate {}", scale.label_zh()),
        backend: backend_name(db),
        runs: 1,
        median_ms: ms_ours,
        min_ms: ms_ours,
        max_ms: ms_ours,
        per_second: rows as f64 / g.seconds.max(1e-9),
        raw_median_ms: Some(ms_raw),
        ratio_to_raw: Some(ms_ours / ms_raw.max(1e-9)),
        peak_rss_mb: peak,
        note: format!(
            "{} households, {} people, {} enrolments ({} beneficiaries): {rows} rows; the raw side \
             inserts the same rows into tables with the same indexes in one transaction",
            g.households, g.people, g.enrolments, g.beneficiaries
        ),
    });
    Ok(())
}

/// Inserts rows through the driver alone: prepared inserts in one transaction on SQLite, COPY on
/// PostgreSQL.
fn raw_bulk(
    url: &DatabaseUrl,
    tables: &[(String, String, Vec<minzheng_store::Row>)],
) -> Result<(), String> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
            let tx = c.transaction().map_err(|e| e.to_string())?;
            for (table, columns, rows) in tables {
                let n = columns.split(',').count();
                let marks: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
                let mut stmt = tx
                    .prepare(&format!(
                        "INSERT INTO {table} ({columns}) VALUES ({})",
                        marks.join(", ")
                    ))
                    .map_err(|e| e.to_string())?;
                for r in rows {
                    let values: Vec<rusqlite::types::Value> = (0..n)
                        .map(|i| match r.get::<Value>(i) {
                            Ok(Value::Int(v)) => rusqlite::types::Value::Integer(v),
                            Ok(Value::Text(v)) => rusqlite::types::Value::Text(v),
                            Ok(Value::Bool(v)) => rusqlite::types::Value::Integer(i64::from(v)),
                            _ => rusqlite::types::Value::Null,
                        })
                        .collect();
                    stmt.execute(rusqlite::params_from_iter(values))
                        .map_err(|e| e.to_string())?;
                }
            }
            tx.commit().map_err(|e| e.to_string())
        }
        DatabaseUrl::Postgres(url) => {
            use std::io::Write as _;
            let mut c =
                postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
            let mut tx = c.transaction().map_err(|e| e.to_string())?;
            for (table, columns, rows) in tables {
                let n = columns.split(',').count();
                let mut w = tx
                    .copy_in(&format!("COPY {table} ({columns}) FROM STDIN"))
                    .map_err(|e| e.to_string())?;
                let mut buf = String::with_capacity(1 << 20);
                for r in rows {
                    for i in 0..n {
                        if i > 0 {
                            buf.push('\t');
                        }
                        match r.get::<Value>(i) {
                            Ok(Value::Int(v)) => buf.push_str(&v.to_string()),
                            Ok(Value::Text(v)) => buf.push_str(&v.replace('\\', "\\\\")),
                            Ok(Value::Bool(v)) => buf.push(if v { 't' } else { 'f' }),
                            _ => buf.push_str("\\N"),
                        }
                    }
                    buf.push('\n');
                    if buf.len() > 1 << 20 {
                        w.write_all(buf.as_bytes()).map_err(|e| e.to_string())?;
                        buf.clear();
                    }
                }
                w.write_all(buf.as_bytes()).map_err(|e| e.to_string())?;
                w.finish().map_err(|e| e.to_string())?;
            }
            tx.commit().map_err(|e| e.to_string())
        }
    }
}
