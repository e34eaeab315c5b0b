//! The audit log: append-only and hash-chained, written in the same transaction as the change it
//! records. Each row carries the hash of the one before, so an edited, deleted or inserted row
//! breaks the chain and [`verify`] names the first row where it breaks.

use crate::{Backend, Db, StoreError, Tx, params};
use sha2::{Digest, Sha256};

/// Who is acting, from where: taken once per request and handed to every service call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditContext {
    /// Account name, or `system` for jobs and commands.
    pub actor: String,
    /// The actor's role identifier.
    pub role: String,
    /// Client address, when the change came over HTTP.
    pub address: Option<String>,
    /// The request id, to find the request in the logs.
    pub request_id: Option<String>,
}

impl AuditContext {
    /// The context of a command-line or background action.
    pub fn system(what: &str) -> Self {
        AuditContext {
            actor: format!("system:{what}"),
            role: "system".into(),
            address: None,
            request_id: None,
        }
    }
}

/// One audited change.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// What was done, e.g. `attachment.put`, `account.create`.
    pub action: &'a str,
    /// The kind of record, e.g. `attachment`.
    pub record_type: &'a str,
    /// The record's id.
    pub record_id: String,
    /// A person the change concerns, as [`subject_key`] of their ID number, so auditors can find
    /// every change about a person without the log holding ID numbers in clear.
    pub subject_key: Option<String>,
    /// The record before the change (its digest is stored, not the content).
    pub before: Option<serde_json::Value>,
    /// The record after the change (digest stored).
    pub after: Option<serde_json::Value>,
    /// A short, non-sensitive description kept in clear.
    pub detail: serde_json::Value,
}

/// The key under which a person's ID number is searchable in the log.
pub fn subject_key(id_number: &str) -> String {
    hex::encode(Sha256::digest(
        format!("minzheng-subject:{id_number}").as_bytes(),
    ))
}

fn digest(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref()
        .map(|v| hex::encode(Sha256::digest(v.to_string().as_bytes())))
}

/// The fields of a row that the hash covers, in order.
struct Fields<'a> {
    seq: i64,
    at: &'a str,
    actor: &'a str,
    role: &'a str,
    action: &'a str,
    record_type: &'a str,
    record_id: &'a str,
    subject_key: Option<&'a str>,
    before_digest: Option<&'a str>,
    after_digest: Option<&'a str>,
    detail: &'a str,
    address: Option<&'a str>,
    request_id: Option<&'a str>,
    prev_hash: &'a str,
}

fn row_hash(f: &Fields<'_>) -> String {
    let mut h = Sha256::new();
    let seq = f.seq.to_string();
    let parts: [&str; 14] = [
        f.prev_hash,
        &seq,
        f.at,
        f.actor,
        f.role,
        f.action,
        f.record_type,
        f.record_id,
        f.subject_key.unwrap_or("\u{0}"),
        f.before_digest.unwrap_or("\u{0}"),
        f.after_digest.unwrap_or("\u{0}"),
        f.detail,
        f.address.unwrap_or("\u{0}"),
        f.request_id.unwrap_or("\u{0}"),
    ];
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// Appends one row to the chain inside the caller's transaction and returns its sequence number.
///
/// The chain head is one locked row, so concurrent writers take turns here; that is the price of
/// a gapless chain and it is paid only by transactions that change data.
pub fn append(
    tx: &mut Tx<'_>,
    ctx: &AuditContext,
    entry: AuditEntry<'_>,
) -> Result<i64, StoreError> {
    let head_sql = match tx.backend() {
        Backend::Sqlite => "SELECT last_seq, last_hash FROM audit_head WHERE id = 1",
        Backend::Postgres => "SELECT last_seq, last_hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    let head = tx.query_one(head_sql, params![])?;
    let last_seq: i64 = head.get(0)?;
    let prev_hash: String = head.get(1)?;
    let seq = last_seq + 1;
    let at = crate::format_instant(chrono::Utc::now());
    let before_digest = digest(&entry.before);
    let after_digest = digest(&entry.after);
    let detail = entry.detail.to_string();
    let fields = Fields {
        seq,
        at: &at,
        actor: &ctx.actor,
        role: &ctx.role,
        action: entry.action,
        record_type: entry.record_type,
        record_id: &entry.record_id,
        subject_key: entry.subject_key.as_deref(),
        before_digest: before_digest.as_deref(),
        after_digest: after_digest.as_deref(),
        detail: &detail,
        address: ctx.address.as_deref(),
        request_id: ctx.request_id.as_deref(),
        prev_hash: &prev_hash,
    };
    let hash = row_hash(&fields);
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, role, action, record_type, record_id, subject_key,
            before_digest, after_digest, detail, address, request_id, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        params![
            seq,
            at,
            ctx.actor,
            ctx.role,
            entry.action,
            entry.record_type,
            entry.record_id,
            entry.subject_key,
            before_digest,
            after_digest,
            detail,
            ctx.address,
            ctx.request_id,
            prev_hash,
            hash
        ],
    )?;
    tx.execute(
        "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1",
        params![seq, hash],
    )?;
    Ok(seq)
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStatus {
    /// Every row checked out.
    Intact {
        /// Rows checked.
        rows: i64,
    },
    /// The first row where the chain breaks, and why.
    Broken {
        /// The sequence number of the first bad row (or where a row is missing).
        seq: i64,
        /// What was found, in Chinese.
        reason: String,
    },
}

const VERIFY_PAGE: i64 = 10_000;

/// Walks the whole chain in order and names the first broken row.
pub fn verify(db: &Db) -> Result<ChainStatus, StoreError> {
    db.read(|tx| {
        let mut expected_seq = 1_i64;
        let mut prev = "0".repeat(64);
        loop {
            let rows = tx.query(
                "SELECT seq, at, actor, role, action, record_type, record_id, subject_key, before_digest,
                        after_digest, detail, address, request_id, prev_hash, hash
                 FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
                params![expected_seq, VERIFY_PAGE],
            )?;
            let page_len = rows.len();
            for r in rows {
                let seq: i64 = r.get(0)?;
                if seq != expected_seq {
                    return Ok(ChainStatus::Broken {
                        seq: expected_seq,
                        reason: format!("第 {expected_seq} 行缺失（下一行为第 {seq} 行）：有记录被删除"),
                    });
                }
                let strings: Vec<Option<String>> =
                    (1..15).map(|i| r.get::<Option<String>>(i)).collect::<Result<_, _>>()?;
                let s = |i: usize| strings[i - 1].as_deref();
                let stored_prev = s(13).unwrap_or_default();
                if stored_prev != prev {
                    return Ok(ChainStatus::Broken {
                        seq,
                        reason: format!("第 {seq} 行的前序哈希与上一行不符：有记录被插入或替换"),
                    });
                }
                let fields = Fields {
                    seq,
                    at: s(1).unwrap_or_default(),
                    actor: s(2).unwrap_or_default(),
                    role: s(3).unwrap_or_default(),
                    action: s(4).unwrap_or_default(),
                    record_type: s(5).unwrap_or_default(),
                    record_id: s(6).unwrap_or_default(),
                    subject_key: s(7),
                    before_digest: s(8),
                    after_digest: s(9),
                    detail: s(10).unwrap_or_default(),
                    address: s(11),
                    request_id: s(12),
                    prev_hash: stored_prev,
                };
                let hash = s(14).unwrap_or_default();
                if row_hash(&fields) != hash {
                    return Ok(ChainStatus::Broken {
                        seq,
                        reason: format!("第 {seq} 行的内容与其哈希不符：记录被修改"),
                    });
                }
                prev = hash.to_owned();
                expected_seq += 1;
            }
            if (page_len as i64) < VERIFY_PAGE {
                break;
            }
        }
        let head = tx.query_one("SELECT last_seq, last_hash FROM audit_head WHERE id = 1", params![])?;
        let last_seq: i64 = head.get(0)?;
        let last_hash: String = head.get(1)?;
        if last_seq != expected_seq - 1 || last_hash != prev {
            return Ok(ChainStatus::Broken {
                seq: expected_seq.min(last_seq + 1).max(1),
                reason: format!(
                    "链尾不符：记录到第 {} 行，链头记为第 {last_seq} 行：末尾有记录被删除或插入",
                    expected_seq - 1
                ),
            });
        }
        Ok(ChainStatus::Intact { rows: expected_seq - 1 })
    })
}
