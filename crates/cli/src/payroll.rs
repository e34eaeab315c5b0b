//! `minzheng payroll …`: the monthly payroll from the command line, over the same services as the
//! pages, and `minzheng bench payroll`, which computes one month for a Chongqing-sized register
//! beside the raw driver bulk-inserting the same lines.

use crate::bench::{Figures, backend_name, peak_rss_mb, print, scratch};
use crate::config::Config;
use clap::Subcommand;
use minzheng_access::Principal;
use minzheng_benefits::payroll;
use minzheng_benefits::programs::Program;
use minzheng_kernel::month::Month;
use minzheng_kernel::region::{RegionLevel, RegionTree};
use minzheng_store::{DatabaseUrl, Db, Value, params};
use std::io::Write;
use std::time::Instant;

/// The payroll commands.
#[derive(Subcommand)]
pub enum Command {
    /// Computes a month for every district (a snapshot of every payable entitlement).
    Compute {
        /// The month, YYYY-MM.
        month: String,
    },
    /// Approves a district's computed cycle after checking its control totals (as the system).
    Approve {
        /// The cycle id (see `payroll report`).
        cycle: i64,
    },
    /// Authorizes an approved cycle for payment (as the system).
    Authorize {
        /// The cycle id.
        cycle: i64,
    },
    /// Lists a month's cycles with their control totals.
    Report {
        /// The month, YYYY-MM.
        month: String,
    },
}

fn parse_month(s: &str) -> Result<Month, String> {
    Month::parse(s).map_err(|e| e.to_string())
}

/// Runs a payroll command.
pub fn run(config: &Config, command: Command) -> Result<(), String> {
    let db = crate::open_migrated(config)?;
    let system = Principal::system("payroll");
    match command {
        Command::Compute { month } => {
            let month = parse_month(&month)?;
            let start = Instant::now();
            let out = payroll::compute_month(&db, &system, month, &mut |i, n, d| {
                eprint!(
                    "\r[{i}/{n}] {} {}",
                    d.district,
                    if d.already {
                        "已生成过，未改动"
                    } else {
                        "已生成"
                    }
                );
                let _ = std::io::stderr().flush();
            })
            .map_err(|e| e.to_string())?;
            eprintln!();
            if out.lines_written() == 0 && out.already() > 0 {
                println!("{month} 的发放名册已生成过：本次没有任何改动");
            } else {
                println!(
                    "{month}：生成 {} 个区县名册、{} 笔发放（其中补发 {}、追回 {}），用时 {:.1} 秒",
                    out.districts.iter().filter(|d| !d.already).count(),
                    out.lines_written(),
                    out.districts.iter().map(|d| d.arrears).sum::<u64>(),
                    out.districts.iter().map(|d| d.recoveries).sum::<u64>(),
                    start.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        Command::Approve { cycle } | Command::Authorize { cycle } => {
            let to = if matches!(command, Command::Approve { .. }) {
                "approved"
            } else {
                "authorized"
            };
            let c = db
                .write(|tx| payroll::advance(tx, &system, cycle, to))
                .map_err(|e| e.to_string())?;
            println!(
                "{} 月 {} 名册：{}（{} 笔，{} 元，控制数核对一致）",
                c.month,
                c.district_code,
                payroll::stage_name(&c.status),
                c.line_count,
                minzheng_kernel::money::Fen(c.total_fen).yuan_string()
            );
            Ok(())
        }
        Command::Report { month } => {
            let month = parse_month(&month)?;
            let cycles = db
                .read(|tx| payroll::cycles(tx, &system, month))
                .map_err(|e| e.to_string())?;
            println!(
                "{:<8} {:<8} {:<10} {:>10} {:>16}",
                "名册", "区县", "状态", "笔数", "金额(元)"
            );
            for c in &cycles {
                println!(
                    "{:<8} {:<8} {:<10} {:>10} {:>16}",
                    c.id,
                    c.district_code,
                    payroll::stage_name(&c.status),
                    c.line_count,
                    minzheng_kernel::money::Fen(c.total_fen).yuan_string()
                );
            }
            Ok(())
        }
    }
}

/// How the bench spreads entitlements over the programs (per mille), after the city's 2019
/// figures: about a third disability subsidies, half dibao, the rest tekun and children.
const MIX: [(Program, u32); 9] = [
    (Program::DibaoUrban, 150),
    (Program::DibaoRural, 380),
    (Program::TekunInstitutional, 40),
    (Program::TekunDispersed, 90),
    (Program::OrphanInstitutional, 5),
    (Program::OrphanDispersed, 5),
    (Program::UnattendedChild, 10),
    (Program::DisabilityLiving, 170),
    (Program::DisabilityCare, 150),
];

const BANKS: [&str; 4] = ["CQRCB", "ICBC", "CCB", "PSBC"];

/// The columns of a bulk-loaded enrolment, in the order the loaders fill them.
pub(crate) const ENROLMENT_COLUMNS: &[&str] = &[
    "program",
    "id_number",
    "name",
    "household_id",
    "region_code",
    "area_type",
    "members",
    "counted_income_fen",
    "supplement_fen",
    "care_tier",
    "bank_code",
    "account_kind",
    "account_no",
    "start_month",
    "end_month",
    "first_paid_month",
    "status",
    "reason",
    "source",
    "created_at",
    "updated_at",
];

/// Writes `count` synthetic entitlements over every community of the city, already in payment
/// (their start spread over the 24 months before `month`), through the bulk path.
pub fn load_entitlements(db: &Db, count: u64, month: Month) -> Result<(), String> {
    let communities: Vec<(String, bool)> = RegionTree::chongqing()
        .nodes()
        .iter()
        .filter(|n| n.level() == RegionLevel::Community && n.exists_on(month.first_day()))
        .map(|n| (format!("{:012}", n.code.as_u64()), n.code.is_village()))
        .collect();
    let now = minzheng_store::format_instant(chrono::Utc::now());
    let base = chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default();
    db.write(|tx| -> Result<(), minzheng_store::StoreError> {
        let mut batch: Vec<Vec<Value>> = Vec::with_capacity(10_000);
        for i in 0..count {
            let mut pick = (i * 7919 % 1000) as u32;
            let mut program = Program::DibaoUrban;
            for (p, share) in MIX {
                if pick < share {
                    program = p;
                    break;
                }
                pick -= share;
            }
            let (community, rural) = &communities[(i as usize * 104_729) % communities.len()];
            let birth = base + chrono::Duration::days((i / 1000) as i64);
            let id = minzheng_kernel::id_number::IdNumber::generate(
                &community[..6],
                birth,
                (i % 1000) as u16,
            )
            .map_err(|e| minzheng_store::StoreError::Io(e.to_string()))?;
            let start = month.plus(-((i % 24) as i32) - 1);
            let household = program.per_household();
            let members = if household { 1 + (i % 4) as i64 } else { 1 };
            let income = if household {
                (i % 5) as i64 * 10_000
            } else {
                0
            };
            batch.push(vec![
                Value::Text(program.code().into()),
                Value::Text(id.as_str().into()),
                Value::Text(format!("享受人{i}")),
                Value::Null,
                Value::Text(community.clone()),
                Value::Text(if *rural { "rural" } else { "urban" }.into()),
                Value::Int(members),
                Value::Int(income),
                Value::Int(if i % 3 == 0 && household { 6_000 } else { 0 }),
                if program.needs_care_tier() {
                    Value::Text(["full", "partial", "self_care"][(i % 3) as usize].into())
                } else {
                    Value::Null
                },
                Value::Text(BANKS[(i % 4) as usize].into()),
                Value::Text(if i % 5 == 0 { "bank" } else { "ssc" }.into()),
                Value::Text(format!("6217{i:015}")),
                Value::Text(start.to_string()),
                Value::Null,
                Value::Text(start.to_string()),
                Value::Text("active".into()),
                Value::Text("合成数据".into()),
                Value::Text("synthetic".into()),
                Value::Text(now.clone()),
                Value::Text(now.clone()),
            ]);
            if batch.len() == 10_000 {
                tx.bulk_insert("enrolment", ENROLMENT_COLUMNS, &mut batch.drain(..))?;
            }
        }
        tx.bulk_insert("enrolment", ENROLMENT_COLUMNS, &mut batch.drain(..))?;
        Ok(())
    })
    .map_err(|e| e.to_string())
}

/// The benchmark scenarios of the payroll.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Computes and stores one month for N entitlements, beside the raw driver bulk-inserting the
    /// same lines into a table with the same indexes.
    Payroll {
        /// Entitlements in the register.
        #[arg(long, default_value_t = 1_500_000)]
        entitlements: u64,
        /// The month computed.
        #[arg(long, default_value = "2020-03")]
        month: String,
    },
}

const RAW_TABLE: &str = "CREATE TABLE bench_payment_raw (
    cycle_id BIGINT NOT NULL, enrolment_id BIGINT NOT NULL, program TEXT NOT NULL, id_number TEXT NOT NULL,
    region_code TEXT NOT NULL, bank_code TEXT NOT NULL, kind TEXT NOT NULL, for_month TEXT NOT NULL,
    amount_fen BIGINT NOT NULL, explanation TEXT NOT NULL, recovers_payment_id BIGINT);
CREATE UNIQUE INDEX bench_raw_once ON bench_payment_raw (program, id_number, for_month) WHERE kind <> 'recovery';
CREATE UNIQUE INDEX bench_raw_recovered ON bench_payment_raw (recovers_payment_id) WHERE kind = 'recovery';
CREATE INDEX bench_raw_cycle ON bench_payment_raw (cycle_id);
CREATE INDEX bench_raw_id_number ON bench_payment_raw (id_number, for_month);";

type RawLine = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
);

/// Runs a payroll benchmark.
pub fn bench(database_url: Option<&str>, command: BenchCommand) -> Result<(), String> {
    let BenchCommand::Payroll {
        entitlements,
        month,
    } = command;
    let month = parse_month(&month)?;
    let s = scratch(database_url)?;
    let db = &s.db;
    minzheng_store::migrations::migrate(db).map_err(|e| e.to_string())?;
    db.write(minzheng_reference::parameters::sync_seed)
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    load_entitlements(db, entitlements, month)?;
    let load_seconds = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let out = payroll::compute_month(db, &Principal::system("bench"), month, &mut |_, _, _| {})
        .map_err(|e| e.to_string())?;
    let compute = t.elapsed();
    let lines = out.lines_written();
    // Before the raw side reads every line back into memory.
    let peak = peak_rss_mb();

    // The same lines, read back (not timed), then written by the raw driver.
    let rows: Vec<RawLine> = db
        .read(|tx| {
            let rows = tx.query(
                "SELECT cycle_id, enrolment_id, program, id_number, region_code, bank_code, kind, for_month, amount_fen, explanation FROM payment ORDER BY id",
                params![],
            )?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?,
                        r.get(7)?, r.get(8)?, r.get(9)?,
                    ))
                })
                .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
        })
        .map_err(|e| e.to_string())?;
    db.write(|tx| tx.execute_batch(RAW_TABLE))
        .map_err(|e| e.to_string())?;
    let raw = raw_insert(db.url(), &rows)?;
    let again = Instant::now();
    let second = payroll::compute_month(db, &Principal::system("bench"), month, &mut |_, _, _| {})
        .map_err(|e| e.to_string())?;
    let second_ms = again.elapsed().as_secs_f64() * 1000.0;
    let compute_ms = compute.as_secs_f64() * 1000.0;
    let raw_ms = raw.as_secs_f64() * 1000.0;
    print(&Figures {
        scenario: "payroll-compute".into(),
        backend: backend_name(db),
        runs: 1,
        median_ms: compute_ms,
        min_ms: compute_ms,
        max_ms: compute_ms,
        per_second: lines as f64 / compute.as_secs_f64().max(1e-9),
        raw_median_ms: Some(raw_ms),
        ratio_to_raw: Some(compute_ms / raw_ms.max(1e-9)),
        peak_rss_mb: peak,
        note: format!(
            "{entitlements} entitlements loaded in {load_seconds:.1} s; {lines} lines over {} districts; \
             rerun of the computed month wrote {} lines in {second_ms:.0} ms",
            out.districts.len(),
            second.lines_written()
        ),
    });
    Ok(())
}

fn raw_insert(url: &DatabaseUrl, rows: &[RawLine]) -> Result<std::time::Duration, String> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
            let t = Instant::now();
            let tx = c.transaction().map_err(|e| e.to_string())?;
            {
                let mut stmt = tx
                    .prepare("INSERT INTO bench_payment_raw (cycle_id, enrolment_id, program, id_number, region_code, bank_code, kind, for_month, amount_fen, explanation) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
                    .map_err(|e| e.to_string())?;
                for r in rows {
                    stmt.execute(rusqlite::params![
                        r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9
                    ])
                    .map_err(|e| e.to_string())?;
                }
            }
            tx.commit().map_err(|e| e.to_string())?;
            Ok(t.elapsed())
        }
        DatabaseUrl::Postgres(url) => {
            let mut c =
                postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
            let t = Instant::now();
            let mut tx = c.transaction().map_err(|e| e.to_string())?;
            {
                let mut w = tx
                    .copy_in("COPY bench_payment_raw (cycle_id, enrolment_id, program, id_number, region_code, bank_code, kind, for_month, amount_fen, explanation) FROM STDIN")
                    .map_err(|e| e.to_string())?;
                let mut buf = String::with_capacity(1 << 20);
                for r in rows {
                    use std::fmt::Write as _;
                    let _ = writeln!(
                        buf,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.0,
                        r.1,
                        r.2,
                        r.3,
                        r.4,
                        r.5,
                        r.6,
                        r.7,
                        r.8,
                        r.9.replace('\\', "\\\\")
                    );
                    if buf.len() > 1 << 20 {
                        w.write_all(buf.as_bytes()).map_err(|e| e.to_string())?;
                        buf.clear();
                    }
                }
                w.write_all(buf.as_bytes()).map_err(|e| e.to_string())?;
                w.finish().map_err(|e| e.to_string())?;
            }
            tx.commit().map_err(|e| e.to_string())?;
            Ok(t.elapsed())
        }
    }
}
