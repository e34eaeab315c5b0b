//! `minzheng check id-number|credit-code`: one value per line on standard input, one JSON report
//! per line on standard output, in the same order, so a list can be checked with a pipe.

use clap::Subcommand;
use minzheng_kernel::checks;
use std::io::{BufRead, Write};

#[derive(Subcommand)]
pub enum CheckCommand {
    /// Resident ID numbers (GB 11643).
    IdNumber {
        /// Accept only the canonical form (no spaces, full-width digits or lowercase x).
        #[arg(long)]
        strict: bool,
    },
    /// Unified social credit codes (GB 32100).
    CreditCode {
        /// Accept only the canonical form.
        #[arg(long)]
        strict: bool,
    },
}

pub fn run(command: CheckCommand) -> Result<(), String> {
    let today = minzheng_kernel::id_number::china_today();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut total, mut valid) = (0_u64, 0_u64);
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| format!("无法读取输入：{e}"))?;
        let report = match &command {
            CheckCommand::IdNumber { strict } => checks::check_id_number(&line, today, *strict),
            CheckCommand::CreditCode { strict } => checks::check_credit_code(&line, *strict),
        };
        total += 1;
        valid += u64::from(report.valid);
        let json = serde_json::to_string(&report).map_err(|e| e.to_string())?;
        writeln!(out, "{json}").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("共 {total} 个，有效 {valid} 个，无效 {} 个", total - valid);
    Ok(())
}
