//! Holiday notices of new years, kept in the database: the binary ships the calendar up to its
//! last published year; when the State Council publishes the next year's notice, an administrator
//! loads it (command line or page) and every instance computes deadlines with it from then on.

use crate::ReferenceError;
use minzheng_access::{Action, Principal};
use minzheng_kernel::calendar::{Calendar, YearNotice};
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Tx, params};
use std::collections::BTreeMap;

/// The calendar in force: the built-in one, or a copy with the loaded years.
pub enum CalendarInForce {
    /// No notice loaded: the calendar compiled into the binary.
    Builtin(&'static Calendar),
    /// The built-in calendar with the notices loaded by administrators.
    Loaded(Box<Calendar>),
}

impl std::ops::Deref for CalendarInForce {
    type Target = Calendar;
    fn deref(&self) -> &Calendar {
        match self {
            CalendarInForce::Builtin(c) => c,
            CalendarInForce::Loaded(c) => c,
        }
    }
}

fn notices(tx: &mut Tx<'_>) -> Result<BTreeMap<i64, String>, ReferenceError> {
    // The newest notice of a year wins (a corrected notice is loaded again, never edited).
    let rows = tx.query(
        "SELECT year, content FROM calendar_notice ORDER BY year, id",
        params![],
    )?;
    let mut out = BTreeMap::new();
    for r in rows {
        out.insert(r.get::<i64>(0)?, r.get::<String>(1)?);
    }
    Ok(out)
}

/// The calendar every deadline is computed with.
pub fn calendar(tx: &mut Tx<'_>) -> Result<CalendarInForce, ReferenceError> {
    let loaded = notices(tx)?;
    if loaded.is_empty() {
        return Ok(CalendarInForce::Builtin(Calendar::builtin()));
    }
    let mut cal = Calendar::builtin().clone();
    for (year, text) in loaded {
        let notice = Calendar::parse_year_notice(&text).map_err(|e| {
            ReferenceError::Internal(format!("stored notice of {year} no longer parses: {e}"))
        })?;
        cal = cal
            .with_year(&notice)
            .map_err(|e| ReferenceError::Internal(format!("stored notice of {year}: {e}")))?;
    }
    Ok(CalendarInForce::Loaded(Box::new(cal)))
}

/// Loads a year's notice (format: `date,kind,name_zh` lines, see the kernel's calendar module).
/// It must fit the calendar in force (the year right after the last loaded one, or a loaded year
/// being corrected); nothing is stored otherwise.
pub fn load_notice(
    tx: &mut Tx<'_>,
    actor: &Principal,
    text: &str,
) -> Result<YearNotice, ReferenceError> {
    actor.require(Action::CalendarManage)?;
    let notice =
        Calendar::parse_year_notice(text).map_err(|e| ReferenceError::Invalid(e.to_string()))?;
    let current = calendar(tx)?;
    current
        .with_year(&notice)
        .map_err(|e| ReferenceError::Invalid(e.to_string()))?;
    let canonical = notice.to_text();
    tx.execute(
        "INSERT INTO calendar_notice (year, content, loaded_at, loaded_by) VALUES ($1, $2, $3, $4)",
        params![
            i64::from(notice.year()),
            canonical,
            minzheng_store::format_instant(chrono::Utc::now()),
            actor.username
        ],
    )?;
    audit::append(
        tx,
        &actor.audit(),
        AuditEntry {
            action: "calendar.load_notice",
            record_type: "calendar_notice",
            record_id: notice.year().to_string(),
            subject_key: None,
            before: None,
            after: Some(serde_json::json!({ "text": canonical })),
            detail: serde_json::json!({ "year": notice.year(), "entries": notice.entries().len() }),
        },
    )?;
    Ok(notice)
}
