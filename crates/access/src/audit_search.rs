//! Searching the audit log: by actor, record, person (ID number) and time, newest first.

use crate::AccessError;
use crate::principal::Principal;
use crate::roles::Action;
use minzheng_store::audit::{subject_key, unkeyed_subject_key};
use minzheng_store::{Tx, params};
use serde::Serialize;

/// What the auditor searches by; empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Account name of the actor.
    pub actor: Option<String>,
    /// Record type, e.g. `account`.
    pub record_type: Option<String>,
    /// Record id.
    pub record_id: Option<String>,
    /// A person's ID number (searched by its key; the log holds no ID numbers in clear).
    pub id_number: Option<String>,
    /// From this instant (RFC 3339 or `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Before this instant.
    pub to: Option<String>,
    /// Rows before this sequence number (paging).
    pub before_seq: Option<i64>,
}

/// One row as the auditor sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditRow {
    /// Sequence number in the chain.
    pub seq: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// In which role.
    pub role: String,
    /// What.
    pub action: String,
    /// On which kind of record.
    pub record_type: String,
    /// Which record.
    pub record_id: String,
    /// From where.
    pub address: Option<String>,
    /// Which request.
    pub request_id: Option<String>,
    /// Details in clear (never sensitive values).
    pub detail: String,
}

/// Rows per page.
pub const PAGE: i64 = 100;

fn blank(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Searches the log. (`CAST($n AS …) IS NULL` lets PostgreSQL type an optional filter.)
pub fn search(
    tx: &mut Tx<'_>,
    viewer: &Principal,
    q: &AuditQuery,
) -> Result<Vec<AuditRow>, AccessError> {
    viewer.require(Action::AuditRead)?;
    let number = blank(&q.id_number).map(|n| {
        let today = minzheng_kernel::id_number::china_today();
        match minzheng_kernel::id_number::IdNumber::parse(&n, today) {
            Ok(p) => p.id_number.as_str().to_owned(),
            Err(_) => n.to_uppercase(),
        }
    });
    // Rows written before keyed hashes carry the unkeyed key: look for both.
    let subject = number.as_deref().map(|n| subject_key(tx, n)).transpose()?;
    let unkeyed_subject = number.as_deref().map(unkeyed_subject_key);
    let rows = tx.query(
        "SELECT seq, at, actor, role, action, record_type, record_id, address, request_id, detail FROM audit_log
         WHERE (CAST($1 AS TEXT) IS NULL OR actor = $1)
           AND (CAST($2 AS TEXT) IS NULL OR record_type = $2)
           AND (CAST($3 AS TEXT) IS NULL OR record_id = $3)
           AND (CAST($4 AS TEXT) IS NULL OR subject_key = $4 OR (subject_key = $9 AND key_id IS NULL))
           AND (CAST($5 AS TEXT) IS NULL OR at >= $5)
           AND (CAST($6 AS TEXT) IS NULL OR at < $6)
           AND (CAST($7 AS BIGINT) IS NULL OR seq < $7)
         ORDER BY seq DESC LIMIT $8",
        params![
            blank(&q.actor),
            blank(&q.record_type),
            blank(&q.record_id),
            subject,
            blank(&q.from),
            blank(&q.to),
            q.before_seq,
            PAGE,
            unkeyed_subject
        ],
    )?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                role: r.get(3)?,
                action: r.get(4)?,
                record_type: r.get(5)?,
                record_id: r.get(6)?,
                address: r.get(7)?,
                request_id: r.get(8)?,
                detail: r.get(9)?,
            })
        })
        .collect()
}
