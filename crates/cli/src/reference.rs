//! `minzheng calendar …` and `minzheng regions …`: the working-day calendar and the region tree
//! for staff at a terminal, through the same services as the pages and the API.

use chrono::NaiveDate;
use clap::Subcommand;
use minzheng_access::Principal;
use minzheng_reference::{ReferenceError, calendar, regions};
use minzheng_store::Db;

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// The N-th working day after DATE (N = 0: DATE itself if a working day, else the next one).
    AddWorkdays {
        /// Start date, YYYY-MM-DD.
        date: String,
        /// Working days to add.
        n: u32,
    },
    /// Working days in (FROM, TO].
    Workdays {
        /// From (not counted), YYYY-MM-DD.
        from: String,
        /// To (counted), YYYY-MM-DD.
        to: String,
    },
    /// Loads a year's holiday notice from a file (`date,kind,name_zh` lines).
    Load {
        /// The notice file.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
pub enum RegionsCommand {
    /// A division on a date: name, path, parent, subdivisions.
    Show {
        /// 2, 6, 9 or 12-digit code.
        code: String,
        /// Date, YYYY-MM-DD (default today).
        #[arg(long)]
        as_of: Option<String>,
    },
}

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("日期“{s}”无效：应为 YYYY-MM-DD"))
}

fn err(e: ReferenceError) -> String {
    match e {
        ReferenceError::Internal(c) => c,
        other => other.to_string(),
    }
}

fn provisional_note(p: bool) -> &'static str {
    if p {
        "（超出已发布节假日安排的年份，按周末推算，仅供参考）"
    } else {
        ""
    }
}

pub fn calendar(db: &Db, command: CalendarCommand) -> Result<(), String> {
    match command {
        CalendarCommand::AddWorkdays { date: d, n } => {
            let start = date(&d)?;
            let day = db
                .read(|tx| {
                    let c = calendar::calendar(tx)?;
                    c.add_workdays(start, n)
                        .map_err(|e| ReferenceError::Invalid(e.to_string()))
                })
                .map_err(err)?;
            println!("{}{}", day.date, provisional_note(day.provisional));
        }
        CalendarCommand::Workdays { from, to } => {
            let (f, t) = (date(&from)?, date(&to)?);
            let count = db
                .read(|tx| Ok::<_, ReferenceError>(calendar::calendar(tx)?.workdays_between(f, t)))
                .map_err(err)?;
            println!("{}{}", count.workdays, provisional_note(count.provisional));
        }
        CalendarCommand::Load { file } => {
            let text = crate::read_import(&file)?;
            let actor = Principal::system("cli");
            let notice = db
                .write(|tx| calendar::load_notice(tx, &actor, &text))
                .map_err(err)?;
            println!(
                "已载入 {} 年节假日安排（{} 条）",
                notice.year(),
                notice.entries().len()
            );
        }
    }
    Ok(())
}

pub fn regions(command: RegionsCommand) -> Result<(), String> {
    match command {
        RegionsCommand::Show { code, as_of } => {
            let on = match as_of {
                Some(d) => date(&d)?,
                None => minzheng_kernel::id_number::china_today(),
            };
            let v = regions::show(&code, on).map_err(err)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
            );
        }
    }
    Ok(())
}
