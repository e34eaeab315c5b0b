//! `minzheng benefits …`: a policy what-if and an enrolment import from the command line, over the
//! same services as the pages, and `minzheng bench whatif`, which times the what-if over a register
//! of N synthetic entitlements beside a bare scan of the same rows.

use crate::bench::{Figures, backend_name, peak_rss_mb, print, scratch, stats};
use crate::config::Config;
use clap::Subcommand;
use minzheng_access::Principal;
use minzheng_benefits::whatif::{self, Outcome, Proposal};
use minzheng_kernel::money::Fen;
use minzheng_store::{DatabaseUrl, params};
use std::time::Instant;

/// The benefits commands.
#[derive(Subcommand)]
pub enum Command {
    /// Policy what-if: a month's payroll under a proposed standard beside today's rules (read only).
    WhatIf {
        /// The program code, e.g. dibao_urban.
        #[arg(long)]
        program: String,
        /// The proposed monthly standard per person, in yuan.
        #[arg(long)]
        standard: String,
        /// The first month it applies to, YYYY-MM.
        #[arg(long)]
        from: String,
        /// The month evaluated, YYYY-MM (default: the first month).
        #[arg(long)]
        month: Option<String>,
        /// Limits the change to a region (2, 4 or 6 digits); default the whole city.
        #[arg(long)]
        region: Option<String>,
        /// Also prints every district's rows.
        #[arg(long)]
        districts: bool,
    },
    /// Imports enrolments from a CSV file (UTF-8 or GBK, as Excel saves it) whole or not at all,
    /// for the programs whose registries come from other departments (disability subsidies,
    /// children); a file with any bad line changes nothing and every bad line is listed (line,
    /// field, reason). Columns:
    /// program,id_number,name,region_code,members,counted_income,supplement,care_tier,bank_code,
    /// account_kind,account_no,start_month,end_month.
    ImportEnrolments {
        /// The CSV file.
        path: std::path::PathBuf,
    },
}

fn proposal(
    program: &str,
    standard: &str,
    from: &str,
    region: Option<&str>,
) -> Result<Proposal, String> {
    let change =
        whatif::parse_change(program, standard, from, region).map_err(|e| e.to_string())?;
    Ok(Proposal {
        changes: vec![change],
    })
}

/// Runs a benefits command, as the staff account `actor_name` (`--as`) or the system.
pub fn run(config: &Config, actor_name: Option<&str>, command: Command) -> Result<(), String> {
    let (program, standard, from, month, region, districts) = match command {
        Command::WhatIf {
            program,
            standard,
            from,
            month,
            region,
            districts,
        } => (program, standard, from, month, region, districts),
        Command::ImportEnrolments { path } => {
            let text = crate::read_import(&path)?;
            let db = crate::open_migrated(config)?;
            let who = crate::payroll::actor(&db, actor_name, "import")?;
            let n = db.write(|tx| minzheng_benefits::enrolments::import_csv(tx, &who, &text));
            match n {
                Ok(n) => {
                    println!("已导入 {n} 名享受人员");
                    return Ok(());
                }
                // Every refused line on a line of its own, then the summary as the error.
                Err(minzheng_benefits::BenefitsError::Lines(problems)) => {
                    for p in &problems {
                        eprintln!("{p}");
                    }
                    return Err(format!(
                        "{} 有 {} 处问题，未导入任何内容（各行原因见上）",
                        path.display(),
                        problems.len()
                    ));
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    };
    let p = proposal(&program, &standard, &from, region.as_deref())?;
    let month = whatif::parse_month(month.as_deref().unwrap_or(&from), "测算月份")
        .map_err(|e| e.to_string())?;
    let db = crate::open_migrated(config)?;
    let who = crate::payroll::actor(&db, actor_name, "whatif")?;
    let t = Instant::now();
    let out = whatif::evaluate(&db, &who, &p, month).map_err(|e| e.to_string())?;
    print_outcome(&out, districts);
    println!(
        "用时 {:.2} 秒（只读测算，未改动任何数据）",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_outcome(out: &Outcome, districts: bool) {
    let described: Vec<String> = out.proposal.changes.iter().map(|c| c.describe()).collect();
    println!("{} 月测算：{}", out.month, described.join("；"));
    println!(
        "{:<24} {:<14} {:>8} {:>8} {:>8} {:>6} {:>6} {:>16} {:>16} {:>14}",
        "区县",
        "项目",
        "在保",
        "现行可发",
        "调整后",
        "新增",
        "减少",
        "现行(元)",
        "调整后(元)",
        "变化(元)"
    );
    let row = |place: &str, program: &str, f: &whatif::Figures| {
        println!(
            "{:<24} {:<14} {:>8} {:>8} {:>8} {:>6} {:>6} {:>16} {:>16} {:>14}",
            place,
            program,
            f.enrolments,
            f.payable_now,
            f.payable_proposed,
            f.gained,
            f.lost,
            Fen(f.cost_now).yuan_string(),
            Fen(f.cost_proposed).yuan_string(),
            Fen(f.change()).yuan_string()
        );
    };
    if districts {
        for l in &out.lines {
            row(
                &format!("{} {}", l.district, l.district_name),
                l.program.name_zh(),
                &l.figures,
            );
        }
    }
    for (p, f) in &out.by_program {
        row("全市（范围内）", p.name_zh(), f);
    }
    row("合计", "", &out.total);
}

/// The benchmark scenario of the what-ifs.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Times a policy what-if (one proposed standard, one month) over N synthetic entitlements,
    /// beside a bare scan of the same rows through the same store.
    Whatif {
        /// Households (entitlements) in the register.
        #[arg(long, default_value_t = 1_000_000)]
        households: u64,
        /// The month evaluated (the entitlements run in the 24 months before it).
        #[arg(long, default_value = "2020-03")]
        month: String,
        /// The program whose standard changes.
        #[arg(long, default_value = "dibao_urban")]
        program: String,
        /// The proposed standard in yuan.
        #[arg(long, default_value = "620")]
        standard: String,
        /// Runs of each measurement.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

/// Runs the what-if benchmark.
pub fn bench(database_url: Option<&str>, command: BenchCommand) -> Result<(), String> {
    let BenchCommand::Whatif {
        households,
        month,
        program,
        standard,
        runs,
    } = command;
    let p = proposal(&program, &standard, &month, None)?;
    let month = whatif::parse_month(&month, "测算月份").map_err(|e| e.to_string())?;
    let s = scratch(database_url)?;
    let db = &s.db;
    minzheng_store::migrations::migrate(db).map_err(|e| e.to_string())?;
    db.write(minzheng_reference::parameters::sync_seed)
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    crate::payroll::load_entitlements(db, households, month)?;
    let load_seconds = t.elapsed().as_secs_f64();
    if let DatabaseUrl::Postgres(_) = db.url() {
        db.write(|tx| tx.execute_batch("ANALYZE enrolment"))
            .map_err(|e| e.to_string())?;
    }
    let rss_after_load = peak_rss_mb();
    let who = Principal::system("bench");
    let runs = runs.max(1);
    let mut samples = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let out = whatif::evaluate(db, &who, &p, month).map_err(|e| e.to_string())?;
        samples.push(t.elapsed());
        last = Some(out);
    }
    let peak = peak_rss_mb();
    let out = last.ok_or("no run")?;
    // The same rows read and decoded, nothing computed: what the scan alone costs.
    let m = month.to_string();
    let mut raw = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut n = 0u64;
        db.read(|tx| {
            tx.query_each(
                "SELECT program, region_code, members, counted_income_fen, supplement_fen, care_tier, fixed_amount_fen
                 FROM enrolment
                 WHERE status = 'active' AND start_month <= $1 AND (end_month IS NULL OR end_month >= $1) AND 1 = 1",
                params![m],
                |row| -> Result<(), minzheng_store::StoreError> {
                    n += u64::from(row.get::<i64>(2)? > 0);
                    Ok(())
                },
            )
        })
        .map_err(|e| e.to_string())?;
        raw.push(t.elapsed());
    }
    // The rule alone, in memory: the same number of amounts computed twice (today, proposal) with
    // their explanations, to show what share of the what-if the formula takes.
    let rule = {
        use minzheng_benefits::programs::{Basis, Program, Standards, monthly_amount};
        let params = minzheng_kernel::params::ParamSet::builtin();
        let now = Standards::read(params, "500103", month).map_err(|e| e.to_string())?;
        let proposed = p.apply("500103", now);
        let t = Instant::now();
        let mut sum = 0i64;
        for i in 0..out.total.enrolments as i64 {
            let basis = Basis {
                members: 1 + i % 4,
                counted_income: Fen(i % 5 * 10_000),
                supplement: Fen(0),
                care_tier: None,
                fixed: Fen(0),
            };
            for s in [&now, &proposed] {
                if let Some(a) =
                    monthly_amount(Program::DibaoUrban, &basis, s).map_err(|e| e.to_string())?
                {
                    sum += a.fen.0;
                }
            }
        }
        std::hint::black_box(sum);
        t.elapsed().as_secs_f64() * 1000.0
    };
    let (median, min, max) = stats(samples);
    let (raw_median, _, _) = stats(raw);
    let rows = out.total.enrolments;
    print(&Figures {
        scenario: "whatif".into(),
        backend: backend_name(db),
        runs,
        median_ms: median,
        min_ms: min,
        max_ms: max,
        per_second: rows as f64 / (median / 1000.0).max(1e-9),
        raw_median_ms: Some(raw_median),
        ratio_to_raw: Some(median / raw_median.max(1e-9)),
        peak_rss_mb: peak,
        note: format!(
            "{households} entitlements loaded in {load_seconds:.1} s; {rows} evaluated over {} district×program rows; \
             {}: cost {} → {} yuan, gained {}, lost {}; raw = the same scan with nothing computed; \
             the rule alone (2 × {rows} dibao amounts with explanations, in memory): {rule:.0} ms; \
             peak RSS after the load, before any what-if: {rss_after_load:.0} MB",
            out.lines.len(),
            out.proposal
                .changes
                .iter()
                .map(|c| c.describe())
                .collect::<Vec<_>>()
                .join("；"),
            Fen(out.total.cost_now).yuan_string(),
            Fen(out.total.cost_proposed).yuan_string(),
            out.total.gained,
            out.total.lost
        ),
    });
    Ok(())
}
