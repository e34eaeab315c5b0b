//! `minzheng governance …` and this area's benchmark scenarios: the same services as the pages.

use crate::bench::{Figures, backend_name, ms, peak_rss_mb, print, scratch, stats};
use crate::config::Config;
use clap::Subcommand;
use minzheng_access::Principal;
use minzheng_governance::indicators::{self, Level};
use minzheng_kernel::region::{RegionLevel, RegionTree};
use minzheng_store::{DatabaseUrl, Db, Value};
use std::time::{Duration, Instant};

/// The commands of the governance area.
#[derive(Subcommand)]
pub enum Command {
    /// Says what the area holds: requests per step, meetings, pushed tasks.
    Status,
    /// Prints a community's public board (what anyone sees, masked).
    Board {
        /// The community's 12-digit code.
        community: String,
    },
    /// Prints the indicators per district, street or community.
    Indicators {
        /// `district`, `street` or `community`.
        #[arg(long, default_value = "district")]
        level: String,
        /// Only codes starting with this.
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Rebuilds the indicators' running totals from the requests (after a bulk import, or to repair).
    Retally,
}

/// The benchmark scenarios of the governance area (`minzheng bench …`).
#[derive(Subcommand)]
pub enum BenchCommand {
    /// The public board and the indicators over a generated Chongqing-wide set of requests: the
    /// services, the pages over HTTP, and the same SQL through the raw driver in the same run.
    GovernanceBoard {
        /// Requests generated across every community of Chongqing.
        #[arg(long, default_value_t = 1_000_000)]
        requests: i64,
        /// Repetitions of each measurement.
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
}

/// Runs a command of this area.
pub fn run(config: &Config, command: Command) -> Result<(), String> {
    let db = crate::open(config)?;
    let system = Principal::system("cli");
    let today = minzheng_kernel::id_number::china_today();
    match command {
        Command::Status => {
            let rows = db
                .read(|tx| {
                    tx.query(
                        "SELECT step, COUNT(*) FROM request GROUP BY step ORDER BY step",
                        minzheng_store::params![],
                    )
                })
                .map_err(|e| e.to_string())?;
            for r in rows {
                let (s, n): (String, i64) = (
                    r.get(0).map_err(|e| e.to_string())?,
                    r.get(1).map_err(|e| e.to_string())?,
                );
                println!("{s}\t{n}");
            }
            Ok(())
        }
        Command::Board { community } => {
            let b = db
                .read(|tx| indicators::board(tx, &community, today))
                .map_err(|e| e.to_string())?;
            println!("{} 公示栏", b.name);
            for r in b.rows {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}%\t{}",
                    r.id,
                    r.step,
                    r.category,
                    r.raiser,
                    r.owner,
                    r.deadline,
                    r.percent_done,
                    r.summary
                );
            }
            Ok(())
        }
        Command::Retally => {
            let n = db
                .write(minzheng_governance::tally::rebuild)
                .map_err(|e| e.to_string())?;
            println!("已重建 {n} 行统计累计值");
            Ok(())
        }
        Command::Indicators { level, prefix } => {
            let level = Level::from_id(&level).ok_or("level 应为 district、street 或 community")?;
            let ind = db
                .read(|tx| indicators::indicators(tx, &system, level, prefix.as_deref(), today))
                .map_err(|e| e.to_string())?;
            println!("单位\t诉求数\t按时办结率\t满意率\t平均评分\t重新办理率");
            for r in ind.rows.iter().chain(std::iter::once(&ind.total)) {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    r.name,
                    r.total,
                    r.on_time_rate,
                    r.satisfaction_rate,
                    r.mean_rating,
                    r.reopen_rate
                );
            }
            Ok(())
        }
    }
}

/// Runs a benchmark scenario of this area.
pub fn bench(database_url: Option<&str>, command: BenchCommand) -> Result<(), String> {
    match command {
        BenchCommand::GovernanceBoard { requests, runs } => {
            board_bench(database_url, requests, runs)
        }
    }
}

fn p95(samples: &[Duration]) -> f64 {
    let mut s = samples.to_vec();
    s.sort();
    let i = ((s.len() as f64) * 0.95).ceil() as usize;
    ms(s[i.saturating_sub(1).min(s.len() - 1)])
}

const STEPS: [&str; 8] = [
    "collect",
    "screen",
    "decide",
    "deliberate",
    "publicize",
    "implement",
    "revise",
    "closed",
];
const TRIAGE: [&str; 3] = ["major", "minor", "private"];

fn generate(
    db: &Db,
    n: i64,
    communities: &[String],
    today: chrono::NaiveDate,
) -> Result<Duration, String> {
    let start = Instant::now();
    let cols = [
        "cycle",
        "region_code",
        "street_code",
        "district_code",
        "step",
        "channel",
        "category",
        "description",
        "raiser_name",
        "raised_by",
        "raised_on",
        "raised_at",
        "triage",
        "decision",
        "owner_kind",
        "owner_name",
        "deadline",
        "percent_done",
        "on_time",
        "rating",
        "reopened",
        "updated_at",
    ];
    let day = today.to_string();
    let at = minzheng_store::format_instant(chrono::Utc::now());
    let batch = 100_000;
    let mut done = 0;
    while done < n {
        let hi = (done + batch).min(n);
        db.write(|tx| {
            tx.bulk_insert(
                "request",
                &cols,
                &mut (done..hi).map(|i| {
                    let code = &communities[(i as usize * 7919) % communities.len()];
                    let s = (i % 8) as usize;
                    let t = |v: &str| Value::Text(v.to_owned());
                    let opt = |c: bool, v: Value| if c { v } else { Value::Null };
                    let ended = s >= 6;
                    vec![
                        Value::Int(1),
                        t(code),
                        t(&code[..9]),
                        t(&code[..6]),
                        t(STEPS[s]),
                        t("behalf"),
                        t("facilities"),
                        t("楼道路灯损坏，夜间出行不便，请尽快维修"),
                        t("张三明"),
                        t("bench"),
                        t(&day),
                        t(&at),
                        opt(s >= 1, t(TRIAGE[(i % 3) as usize])),
                        opt(s >= 2, t("accepted")),
                        opt(s >= 2, t("cadre")),
                        opt(s >= 2, t("王建国")),
                        opt(s >= 2, t(&day)),
                        Value::Int(if ended {
                            100
                        } else if s == 5 {
                            60
                        } else {
                            0
                        }),
                        opt(ended, Value::Bool(i % 5 != 0)),
                        opt(ended && i % 2 == 0, Value::Int(1 + i % 5)),
                        Value::Bool(s == 7 && i % 10 == 0),
                        t(&at),
                    ]
                }),
            )
        })
        .map_err(|e| e.to_string())?;
        done = hi;
    }
    let analyze = match db.backend() {
        minzheng_store::Backend::Postgres => "ANALYZE request",
        minzheng_store::Backend::Sqlite => "ANALYZE",
    };
    db.write(|tx| tx.execute_batch(analyze))
        .map_err(|e| e.to_string())?;
    Ok(start.elapsed())
}

/// The same SQL the services run, through the raw driver (rusqlite / postgres) with no layer of ours.
fn raw_times(
    db: &Db,
    sql: &[&str],
    text_param: Option<&str>,
    runs: usize,
) -> Result<Vec<Duration>, String> {
    let mut samples = Vec::new();
    match db.url() {
        DatabaseUrl::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
            for _ in 0..runs {
                let t = Instant::now();
                for q in sql {
                    let q = q.replace("$1", "?1");
                    let mut stmt = c.prepare_cached(&q).map_err(|e| e.to_string())?;
                    let p: Vec<&dyn rusqlite::ToSql> = match &text_param {
                        Some(v) => vec![v as &dyn rusqlite::ToSql],
                        None => vec![],
                    };
                    let mut rows = stmt.query(p.as_slice()).map_err(|e| e.to_string())?;
                    while rows.next().map_err(|e| e.to_string())?.is_some() {}
                }
                samples.push(t.elapsed());
            }
        }
        DatabaseUrl::Postgres(url) => {
            let mut c =
                postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
            let stmts: Vec<postgres::Statement> = sql
                .iter()
                .map(|q| c.prepare(q))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
            for _ in 0..runs {
                let t = Instant::now();
                for s in &stmts {
                    let p: Vec<&(dyn postgres::types::ToSql + Sync)> = match &text_param {
                        Some(v) => vec![v as &(dyn postgres::types::ToSql + Sync)],
                        None => vec![],
                    };
                    c.query(s, &p).map_err(|e| e.to_string())?;
                }
                samples.push(t.elapsed());
            }
        }
    }
    Ok(samples)
}

fn figure(
    scenario: &str,
    backend: &str,
    samples: Vec<Duration>,
    raw: Option<Vec<Duration>>,
    note: String,
) {
    let p = p95(&samples);
    let runs = samples.len();
    let (m, lo, hi) = stats(samples);
    let raw_m = raw.map(|r| stats(r).0);
    print(&Figures {
        scenario: scenario.into(),
        backend: backend.into(),
        runs,
        median_ms: m,
        min_ms: lo,
        max_ms: hi,
        per_second: 1000.0 / m,
        raw_median_ms: raw_m,
        ratio_to_raw: raw_m.map(|r| m / r),
        peak_rss_mb: peak_rss_mb(),
        note: format!("p95 {p:.3} ms; {note}"),
    });
}

fn board_bench(url: Option<&str>, n: i64, runs: usize) -> Result<(), String> {
    let s = scratch(url)?;
    let db = &s.db;
    minzheng_store::migrations::migrate(db).map_err(|e| e.to_string())?;
    db.write(minzheng_reference::parameters::sync_seed)
        .map_err(|e| e.to_string())?;
    let today = minzheng_kernel::id_number::china_today();
    let tree = RegionTree::chongqing();
    let communities: Vec<String> = tree
        .nodes()
        .iter()
        .filter(|x| x.level() == RegionLevel::Community && tree.exists_on(x.code, today))
        .map(|x| format!("{:012}", x.code.as_u64()))
        .collect();
    let load = generate(db, n, &communities, today)?;
    let t = Instant::now();
    let tally_rows = db
        .write(minzheng_governance::tally::rebuild)
        .map_err(|e| e.to_string())?;
    let tally = t.elapsed();
    let backend = backend_name(db);
    let load_note = format!(
        "{n} requests over {} communities loaded in {:.1} s, {tally_rows} running totals rebuilt in {:.1} s",
        communities.len(),
        load.as_secs_f64(),
        tally.as_secs_f64()
    );

    // The public board of a community, rotating through communities (the service, masked).
    let pick = |k: usize| communities[(k * 104_729) % communities.len()].clone();
    let mut samples = Vec::new();
    for k in 0..runs {
        let code = pick(k);
        let t = Instant::now();
        let b = db
            .read(|tx| indicators::board(tx, &code, today))
            .map_err(|e| e.to_string())?;
        samples.push(t.elapsed());
        std::hint::black_box(b);
    }
    let board_sql = [
        "SELECT step, COUNT(*) FROM request WHERE region_code = $1 GROUP BY step",
        "SELECT id, cycle, step, category, description, raiser_name, raised_on, triage, decision, owner_kind, owner_name,
            deadline, percent_done, on_time, rating FROM request WHERE region_code = $1 ORDER BY id DESC LIMIT 100",
    ];
    let code = pick(0);
    let raw = raw_times(db, &board_sql, Some(&code), runs)?;
    figure(
        "governance board (service)",
        &backend,
        samples,
        Some(raw),
        format!("raw = its two queries through the driver; {load_note}"),
    );

    // Indicators city-wide per district, and one district per street (the services).
    let city = Principal::system("bench");
    let district = Principal {
        scope_code: "500103".into(),
        role: minzheng_access::Role::DistrictAdmin,
        ..Principal::system("bench")
    };
    let ind_sql = |d: usize, cond: &str| {
        format!(
            "SELECT SUBSTR(region_code, 1, {d}), triage, CAST(SUM(total) AS BIGINT), CAST(SUM(completed) AS BIGINT),
                CAST(SUM(on_time) AS BIGINT), CAST(SUM(rated) AS BIGINT), CAST(SUM(rating_sum) AS BIGINT),
                CAST(SUM(rating_1) AS BIGINT), CAST(SUM(rating_2) AS BIGINT), CAST(SUM(rating_3) AS BIGINT),
                CAST(SUM(rating_4) AS BIGINT), CAST(SUM(rating_5) AS BIGINT), CAST(SUM(ended) AS BIGINT),
                CAST(SUM(reopened) AS BIGINT)
             FROM request_tally WHERE {cond} GROUP BY SUBSTR(region_code, 1, {d}), triage"
        )
    };
    // What the totals replace: the same figures straight from the requests, through the driver.
    let scan_sql = "SELECT SUBSTR(region_code, 1, 6), triage, COUNT(*),
            CAST(SUM(CASE WHEN on_time IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
            CAST(SUM(CASE WHEN on_time THEN 1 ELSE 0 END) AS BIGINT),
            CAST(SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
            CAST(COALESCE(SUM(rating), 0) AS BIGINT),
            CAST(SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END) AS BIGINT),
            CAST(SUM(CASE WHEN step IN ('revise', 'closed') THEN 1 ELSE 0 END) AS BIGINT),
            CAST(SUM(CASE WHEN reopened THEN 1 ELSE 0 END) AS BIGINT)
         FROM request GROUP BY SUBSTR(region_code, 1, 6), triage";
    let scan = raw_times(db, &[scan_sql], None, 3)?;
    figure(
        "indicators by scanning requests (raw)",
        &backend,
        scan,
        None,
        "city by district straight from the 1M-row table through the driver: what request_tally avoids".into(),
    );
    for (name, who, level, raw_sql, rows_note) in [
        (
            "indicators city by district",
            &city,
            Level::District,
            ind_sql(6, "1 = 1"),
            "all requests",
        ),
        (
            "indicators 500103 by street",
            &district,
            Level::Street,
            ind_sql(9, "region_code >= '500103' AND region_code < '500103:'"),
            "渝中区 only",
        ),
    ] {
        let runs_here = runs.clamp(3, 10);
        let mut samples = Vec::new();
        let mut units = 0;
        for _ in 0..runs_here {
            let t = Instant::now();
            let ind = db
                .read(|tx| indicators::indicators(tx, who, level, None, today))
                .map_err(|e| e.to_string())?;
            samples.push(t.elapsed());
            units = ind.rows.len();
        }
        let raw = raw_times(db, &[raw_sql.as_str()], None, runs_here)?;
        figure(
            &format!("{name} (service)"),
            &backend,
            samples,
            Some(raw),
            format!("{units} units, {rows_note}; raw = the grouped SQL through the driver"),
        );
    }

    // The pages over HTTP on an in-process server (board anonymous; indicators signed in).
    db.write(|tx| {
        minzheng_access::accounts::create(
            tx,
            &Principal::system("bench"),
            &minzheng_access::accounts::NewAccount {
                username: "bench-admin".into(),
                display_name: "压测管理员".into(),
                role: minzheng_access::Role::CityAdmin,
                scope: "50".into(),
                unit_id: None,
                password: "Bench-Password-2026".into(),
                phone: None,
            },
        )
    })
    .map_err(|e| e.to_string())?;
    let server = minzheng_web::testing::TestServer::start(db.clone());
    let mut anon = minzheng_web::testing::Browser::new(server.addr);
    let mut samples = Vec::new();
    for k in 0..runs {
        let path = format!("/governance/board/{}", pick(k));
        let t = Instant::now();
        let r = anon.get(&path);
        samples.push(t.elapsed());
        if r.status != 200 {
            return Err(format!("{path}: {}", r.status));
        }
    }
    figure(
        "GET /governance/board/{code}",
        &backend,
        samples,
        None,
        "HTTP/1.1 page, anonymous, in-process server".into(),
    );
    let mut staff = minzheng_web::testing::Browser::new(server.addr);
    staff.sign_in("bench-admin", "Bench-Password-2026");
    for path in [
        "/governance/indicators?level=district",
        "/governance/indicators?level=street&prefix=500103",
    ] {
        let mut samples = Vec::new();
        for _ in 0..runs.clamp(3, 10) {
            let t = Instant::now();
            let r = staff.get(path);
            samples.push(t.elapsed());
            if r.status != 200 {
                return Err(format!("{path}: {}", r.status));
            }
        }
        figure(
            &format!("GET {path}"),
            &backend,
            samples,
            None,
            "HTTP/1.1 page, city administrator".into(),
        );
    }
    Ok(())
}
