//! `minzheng payroll …`: the monthly payroll from the command line, over the same services as the
//! pages, and `minzheng bench payroll`, which computes one month for a Chongqing-sized register
//! beside the raw driver bulk-inserting the same lines.

use crate::bench::{Figures, backend_name, peak_rss_mb, print, resident_mb, scratch};
use crate::config::Config;
use clap::Subcommand;
use minzheng_access::Principal;
use minzheng_benefits::programs::Program;
use minzheng_benefits::{bank, export, payroll};
use minzheng_kernel::money::Fen;
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
        /// The cycle id (see `payroll report`), or a month (YYYY-MM) for every computed cycle of it.
        cycle: String,
    },
    /// Authorizes an approved cycle for payment (as the system).
    Authorize {
        /// The cycle id, or a month for every approved cycle of it.
        cycle: String,
    },
    /// Releases an authorized cycle (or every authorized cycle of a month) and writes its bank
    /// files, one per bank, into a folder; a released cycle's files are written again as they were.
    BankFiles {
        /// The cycle id, or a month.
        cycle: String,
        /// The folder the files are written to.
        #[arg(long, default_value = ".")]
        out: std::path::PathBuf,
    },
    /// Imports a bank's return file for one bank file (see `payroll bank-files`): whole or not
    /// at all, every problem listed with its line number.
    ImportReturn {
        /// The bank file id.
        bank_file: i64,
        /// The return file.
        path: std::path::PathBuf,
    },
    /// Closes a reconciled cycle (or every reconciled cycle of a month).
    Close {
        /// The cycle id, or a month.
        cycle: String,
    },
    /// Lists failed payments waiting on the worklist (the account must be corrected).
    Worklist,
    /// Exports every line of a cycle, or of a whole month, as Excel (`.xlsx`, going on over
    /// further sheets beyond 1,048,576 rows, with a summary sheet of the control totals) or CSV,
    /// by the file name's extension.
    Export {
        /// The cycle id, or a month (YYYY-MM) for all its cycles.
        cycle: String,
        /// The file written, e.g. 500103-2020-03.xlsx.
        #[arg(long)]
        out: std::path::PathBuf,
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

/// The principal a command acts as: a named staff account (`--as`), with its role and scope, or
/// the system (`what` names it in the audit log).
pub(crate) fn actor(db: &Db, username: Option<&str>, what: &str) -> Result<Principal, String> {
    let Some(username) = username else {
        return Ok(Principal::system(what));
    };
    let account = db
        .read(|tx| minzheng_access::accounts::find_by_username(tx, username))
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("没有用户名为 {username} 的账户"))?;
    if account.disabled {
        return Err(format!("账户 {username} 已停用"));
    }
    Ok(Principal {
        account_id: account.id,
        username: account.username,
        display_name: account.display_name,
        role: account.role,
        scope_code: account.scope,
        unit_id: account.unit_id,
        address: None,
        request_id: None,
    })
}

/// Runs a payroll command.
pub fn run(config: &Config, actor_name: Option<&str>, command: Command) -> Result<(), String> {
    let db = crate::open_migrated(config)?;
    let system = actor(&db, actor_name, "payroll")?;
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
        Command::Approve { ref cycle }
        | Command::Authorize { ref cycle }
        | Command::Close { ref cycle } => {
            let (from, to) = match command {
                Command::Approve { .. } => ("computed", "approved"),
                Command::Authorize { .. } => ("approved", "authorized"),
                _ => ("reconciled", "closed"),
            };
            for id in cycle_ids(&db, &system, cycle, from)? {
                let c = db
                    .write(|tx| payroll::advance(tx, &system, id, to))
                    .map_err(|e| e.to_string())?;
                println!(
                    "{} 月 {} 名册：{}（{} 笔，{} 元，控制数核对一致）",
                    c.month,
                    c.district_code,
                    payroll::stage_name(&c.status),
                    c.line_count,
                    Fen(c.total_fen).yuan_string()
                );
            }
            Ok(())
        }
        Command::BankFiles { cycle, out } => {
            std::fs::create_dir_all(&out).map_err(|e| format!("{}：{e}", out.display()))?;
            let ids = cycle_ids(&db, &system, &cycle, "authorized")?;
            let start = Instant::now();
            let (mut files, mut lines) = (0, 0);
            for id in ids {
                let release = db
                    .write(|tx| bank::release(tx, &system, id))
                    .map_err(|e| e.to_string())?;
                for w in &release.warnings {
                    eprintln!("提示：{w}");
                }
                for f in &release.files {
                    write_bank_file(&db, &system, f, &out)?;
                    files += 1;
                    lines += f.line_count;
                    println!(
                        "{}  代发文件 {}：{} 笔，{} 元，SHA-256 {}",
                        f.id,
                        f.file_name,
                        f.line_count,
                        Fen(f.total_fen).yuan_string(),
                        f.sha256
                    );
                }
            }
            println!(
                "共 {files} 个代发文件、{lines} 笔，写入 {}，用时 {:.1} 秒",
                out.display(),
                start.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::ImportReturn { bank_file, path } => {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}：{e}", path.display()))?;
            let r = db
                .write(|tx| bank::import_return(tx, &system, bank_file, &bytes))
                .map_err(|e| e.to_string())?;
            if r.already {
                println!("这份回盘已导入过：本次没有任何改动");
            } else {
                println!(
                    "回盘已导入：成功 {} 笔 {} 元，失败 {} 笔 {} 元（下期重发 {}，转待处理清单 {}）{}",
                    r.paid,
                    Fen(r.paid_fen).yuan_string(),
                    r.failed,
                    Fen(r.failed_fen).yuan_string(),
                    r.to_next_cycle,
                    r.to_worklist,
                    if r.cycle_reconciled {
                        "；该名册各银行均已回盘，已对账"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        Command::Export { cycle, out } => {
            let format = match out.extension().and_then(|e| e.to_str()) {
                Some("xlsx") => export::Format::Xlsx,
                Some("csv") => export::Format::Csv,
                _ => return Err("导出文件名应以 .xlsx 或 .csv 结尾".into()),
            };
            let start = Instant::now();
            let partial = out.with_extension("partial");
            let file = std::fs::File::create(&partial)
                .map_err(|e| format!("{}：{e}", partial.display()))?;
            let out_file = std::io::BufWriter::new(file);
            let written = match cycle.parse::<i64>() {
                Ok(id) => db.write(|tx| {
                    export::record_export(tx, &system, id, format)?;
                    export::write_cycle(tx, &system, id, format, out_file)
                }),
                Err(_) => {
                    let month = parse_month(&cycle)?;
                    db.write(|tx| {
                        export::record_month_export(tx, &system, month, format)?;
                        export::write_month(tx, &system, month, format, out_file)
                    })
                }
            };
            let (mut w, done) = match written {
                Ok(x) => x,
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e.to_string());
                }
            };
            w.flush().map_err(|e| e.to_string())?;
            drop(w);
            std::fs::rename(&partial, &out).map_err(|e| format!("{}：{e}", out.display()))?;
            println!(
                "已导出 {} 笔、{} 元到 {}，用时 {:.1} 秒",
                done.lines,
                Fen(done.total_fen).yuan_string(),
                out.display(),
                start.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Worklist => {
            let list = db
                .read(|tx| bank::worklist(tx, &system))
                .map_err(|e| e.to_string())?;
            println!("待处理的发放失败 {} 笔", list.len());
            for f in list {
                println!(
                    "{}  {}  {}  {} 元  {}",
                    f.payment_id,
                    f.region_code,
                    f.for_month,
                    Fen(f.amount_fen).yuan_string(),
                    f.reason
                );
            }
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

/// The cycles a command names: one id, or every cycle of a month at the stage `from`.
fn cycle_ids(db: &Db, who: &Principal, given: &str, from: &str) -> Result<Vec<i64>, String> {
    if let Ok(id) = given.parse::<i64>() {
        return Ok(vec![id]);
    }
    let month = parse_month(given)?;
    let cycles = db
        .read(|tx| payroll::cycles(tx, who, month))
        .map_err(|e| e.to_string())?;
    Ok(cycles
        .into_iter()
        .filter(|c| c.status == from || (from == "authorized" && c.status == "released"))
        .map(|c| c.id)
        .collect())
}

/// Writes a bank file into `dir` through a temporary file, kept only when its checksum agrees;
/// the file leaving the system is recorded first, as on the page.
fn write_bank_file(
    db: &Db,
    who: &Principal,
    file: &bank::BankFile,
    dir: &std::path::Path,
) -> Result<(), String> {
    db.write(|tx| bank::record_download(tx, who, file.id))
        .map_err(|e| e.to_string())?;
    let path = dir.join(&file.file_name);
    let partial = dir.join(format!("{}.partial", file.file_name));
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&partial).map_err(|e| format!("{}：{e}", partial.display()))?,
    );
    let written = db.read(|tx| bank::write_file(tx, who, file.id, &mut out));
    drop(out);
    match written {
        Ok(_) => std::fs::rename(&partial, &path).map_err(|e| format!("{}：{e}", path.display())),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e.to_string())
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
                // Accounts at the banks that take them; social-security cards everywhere.
                Value::Text(
                    if i % 5 == 0 && matches!(i % 4, 1 | 2) {
                        "bank"
                    } else {
                        "ssc"
                    }
                    .into(),
                ),
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
    /// Releases the bank files of a month of N lines (one file per bank and district, written to
    /// a scratch folder) and imports a return for each with one line in a hundred failed.
    BankFiles {
        /// Payment lines (one per entitlement).
        #[arg(long, default_value_t = 1_000_000)]
        lines: u64,
        /// The month.
        #[arg(long, default_value = "2020-03")]
        month: String,
    },
}

const RAW_TABLE: &str = "CREATE TABLE bench_payment_raw (
    cycle_id BIGINT NOT NULL, enrolment_id BIGINT NOT NULL, program TEXT NOT NULL, id_number TEXT NOT NULL,
    region_code TEXT NOT NULL, bank_code TEXT NOT NULL, kind TEXT NOT NULL, for_month TEXT NOT NULL,
    amount_fen BIGINT NOT NULL, explanation TEXT NOT NULL, recovers_payment_id BIGINT,
    reissues_payment_id BIGINT, payee_name TEXT NOT NULL, account_kind TEXT NOT NULL, account_no TEXT NOT NULL);
CREATE UNIQUE INDEX bench_raw_once ON bench_payment_raw (program, id_number, for_month) WHERE kind IN ('regular', 'arrears');
CREATE UNIQUE INDEX bench_raw_reissued ON bench_payment_raw (reissues_payment_id) WHERE kind = 'reissue';
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
    String,
    String,
    String,
);

/// Runs a payroll benchmark.
pub fn bench(database_url: Option<&str>, command: BenchCommand) -> Result<(), String> {
    let (entitlements, month) = match command {
        BenchCommand::Payroll {
            entitlements,
            month,
        } => (entitlements, month),
        BenchCommand::BankFiles { lines, month } => {
            return bench_bank_files(database_url, lines, &month);
        }
    };
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
                "SELECT cycle_id, enrolment_id, program, id_number, region_code, bank_code, kind, for_month, amount_fen, explanation,
                        payee_name, account_kind, account_no FROM payment ORDER BY id",
                params![],
            )?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?,
                        r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?,
                    ))
                })
                .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
        })
        .map_err(|e| e.to_string())?;
    db.write(|tx| tx.execute_batch(RAW_TABLE))
        .map_err(|e| e.to_string())?;
    let raw = raw_insert(db.url(), &rows)?;
    drop(rows);
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
    bench_month_export(db, month)
}

/// The whole month exported as Excel and as CSV into a scratch folder: beyond 1,048,576 rows the
/// workbook goes on over further sheets, which the zip's directory shows.
fn bench_month_export(db: &Db, month: Month) -> Result<(), String> {
    let who = Principal::system("bench");
    // The peak memory from here is the export's: the high-water mark of the resident set is reset
    // (Linux: writing 5), and what the process already held is taken off.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let held = resident_mb();
    let dir = std::env::temp_dir().join(format!("minzheng-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for format in [export::Format::Xlsx, export::Format::Csv] {
        let path = dir.join(format!("month.{}", format.extension()));
        let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
        let t = Instant::now();
        let (w, done) = db
            .read(|tx| export::write_month(tx, &who, month, format, std::io::BufWriter::new(file)))
            .map_err(|e| e.to_string())?;
        drop(w);
        let time = t.elapsed();
        let peak = (peak_rss_mb() - held).max(0.0);
        let bytes = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
        let sheets = if format == export::Format::Xlsx {
            let names = zip_names(&path)?;
            format!(
                ", worksheets {}",
                names
                    .iter()
                    .filter(|n| n.starts_with("xl/worksheets/"))
                    .count()
            )
        } else {
            String::new()
        };
        let ms = time.as_secs_f64() * 1000.0;
        print(&Figures {
            scenario: format!("payroll-export-{}", format.extension()),
            backend: backend_name(db),
            runs: 1,
            median_ms: ms,
            min_ms: ms,
            max_ms: ms,
            per_second: done.lines as f64 / time.as_secs_f64().max(1e-9),
            raw_median_ms: None,
            ratio_to_raw: None,
            peak_rss_mb: peak,
            note: format!(
                "{} lines, {:.0} MB{sheets}; peak RSS is what the export added to the {held:.0} MB held before",
                done.lines,
                bytes as f64 / 1e6
            ),
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The entry names of a zip file, from its central directory (without reading the entries).
fn zip_names(path: &std::path::Path) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let end = bytes
        .windows(4)
        .rposition(|w| w == [0x50, 0x4b, 0x05, 0x06])
        .ok_or("zip 无效：没有目录结束记录")?;
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
    let u32_at = |i: usize| {
        u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as usize
    };
    let (count, mut at) = (u16_at(end + 10), u32_at(end + 16));
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        let (name_len, extra, comment) = (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32));
        names.push(String::from_utf8_lossy(&bytes[at + 46..at + 46 + name_len]).into_owned());
        at += 46 + name_len + extra + comment;
    }
    Ok(names)
}

fn raw_insert(url: &DatabaseUrl, rows: &[RawLine]) -> Result<std::time::Duration, String> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
            let t = Instant::now();
            let tx = c.transaction().map_err(|e| e.to_string())?;
            {
                let mut stmt = tx
                    .prepare("INSERT INTO bench_payment_raw (cycle_id, enrolment_id, program, id_number, region_code, bank_code, kind, for_month, amount_fen, explanation, payee_name, account_kind, account_no) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
                    .map_err(|e| e.to_string())?;
                for r in rows {
                    stmt.execute(rusqlite::params![
                        r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12
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
                    .copy_in("COPY bench_payment_raw (cycle_id, enrolment_id, program, id_number, region_code, bank_code, kind, for_month, amount_fen, explanation, payee_name, account_kind, account_no) FROM STDIN")
                    .map_err(|e| e.to_string())?;
                let mut buf = String::with_capacity(1 << 20);
                for r in rows {
                    use std::fmt::Write as _;
                    let _ = writeln!(
                        buf,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.0,
                        r.1,
                        r.2,
                        r.3,
                        r.4,
                        r.5,
                        r.6,
                        r.7,
                        r.8,
                        r.9.replace('\\', "\\\\"),
                        r.10,
                        r.11,
                        r.12
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

fn bench_bank_files(database_url: Option<&str>, lines: u64, month: &str) -> Result<(), String> {
    let month = parse_month(month)?;
    let s = scratch(database_url)?;
    let db = &s.db;
    minzheng_store::migrations::migrate(db).map_err(|e| e.to_string())?;
    db.write(minzheng_reference::parameters::sync_seed)
        .map_err(|e| e.to_string())?;
    load_entitlements(db, lines, month)?;
    let system = Principal::system("bench");
    // The districts' approvals, by a district administrator's rights over the whole city.
    let districts = Principal {
        role: minzheng_access::Role::DistrictAdmin,
        ..Principal::system("bench-district")
    };
    payroll::compute_month(db, &system, month, &mut |_, _, _| {}).map_err(|e| e.to_string())?;
    let cycles = db
        .read(|tx| payroll::cycles(tx, &system, month))
        .map_err(|e| e.to_string())?;
    for c in &cycles {
        db.write(|tx| payroll::advance(tx, &districts, c.id, "approved"))
            .map_err(|e| e.to_string())?;
        db.write(|tx| payroll::advance(tx, &system, c.id, "authorized"))
            .map_err(|e| e.to_string())?;
    }
    let dir = std::env::temp_dir().join(format!("minzheng-bank-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let mut files = Vec::new();
    for c in &cycles {
        let release = db
            .write(|tx| bank::release(tx, &system, c.id))
            .map_err(|e| e.to_string())?;
        for f in &release.files {
            write_bank_file(db, &system, f, &dir)?;
        }
        files.extend(release.files);
    }
    let release_time = t.elapsed();
    let written: i64 = files.iter().map(|f| f.line_count).sum();
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(&f.file_name)).ok())
        .map(|m| m.len())
        .sum();
    // The banks' answers (not timed): every line back with S, one in a hundred failed.
    let mut returns = Vec::new();
    for f in &files {
        let issued = std::fs::read(dir.join(&f.file_name)).map_err(|e| e.to_string())?;
        let csv = f.file_name.ends_with(".csv");
        let mut out = Vec::with_capacity(issued.len() + issued.len() / 10);
        for (i, line) in issued.split(|b| *b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            out.extend_from_slice(line);
            if i > 0 {
                let answer: &[u8] = match (csv, i % 100 == 0) {
                    (true, true) => b",F,2001,busy",
                    (true, false) => b",S,0000,",
                    (false, true) => b"F2001busy",
                    (false, false) => b"S0000",
                };
                out.extend_from_slice(answer);
            }
            out.extend_from_slice(b"\r\n");
        }
        returns.push((f.id, out));
    }
    let t = Instant::now();
    let mut failed = 0;
    for (id, bytes) in &returns {
        let r = db
            .write(|tx| bank::import_return(tx, &system, *id, bytes))
            .map_err(|e| e.to_string())?;
        failed += r.failed;
    }
    let import_time = t.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    let peak = peak_rss_mb();
    for (scenario, time, note) in [
        (
            "bank-files-release",
            release_time,
            format!(
                "{} files, {written} lines, {:.0} MB written (release, checksum, write again and verify)",
                files.len(),
                bytes as f64 / 1e6
            ),
        ),
        (
            "bank-return-import",
            import_time,
            format!(
                "{} return files, {written} lines checked, {failed} failed lines recorded",
                returns.len()
            ),
        ),
    ] {
        let ms = time.as_secs_f64() * 1000.0;
        print(&Figures {
            scenario: scenario.into(),
            backend: backend_name(db),
            runs: 1,
            median_ms: ms,
            min_ms: ms,
            max_ms: ms,
            per_second: written as f64 / time.as_secs_f64().max(1e-9),
            raw_median_ms: None,
            ratio_to_raw: None,
            peak_rss_mb: peak,
            note,
        });
    }
    Ok(())
}
