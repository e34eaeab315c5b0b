//! The audit log: append-only and hash-chained, written in the same transaction as the change it
//! records. Each row carries the hash of the one before, so an edited, deleted or inserted row
//! breaks the chain and [`verify`] names the first row where it breaks.
//!
//! The hashes are keyed (HMAC-SHA256 with a chain key from the key file, [`AuditKeys`], never in
//! the database), so someone who can write the database cannot recompute them after an edit.
//! Each row records the id of the key that sealed it, so keys can be rotated. Signed
//! [`checkpoint`]s of the head, kept outside the database, reveal a cut-off tail or an older copy
//! put back.

pub mod checkpoint;
mod keys;

pub use checkpoint::{CHAIN, Checkpoint};
pub use keys::AuditKeys;

use crate::{Backend, Db, StoreError, Tx, params};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

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

/// The key under which a person's ID number is searchable in the log: a keyed hash (HMAC with
/// the subject secret of the key file, which never rotates), so the log cannot be searched, nor
/// its keys reversed by enumerating ID numbers, without the key file.
pub fn subject_key(tx: &Tx<'_>, id_number: &str) -> Result<String, StoreError> {
    Ok(tx.audit_keys()?.subject_key(id_number))
}

/// The search key rows written before keyed hashes carry: an unkeyed SHA-256 of the ID number.
/// Only to find those rows; never written any more.
pub fn unkeyed_subject_key(id_number: &str) -> String {
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

const ROW_DOMAIN: &str = "minzheng-audit-row-v2";

/// The HMAC of a row under chain key `key_id` (which the hash covers too, so a row cannot be
/// passed off as sealed by another key); `None` when the key set lacks that key.
fn keyed_hash(keys: &AuditKeys, key_id: i64, f: &Fields<'_>) -> Option<String> {
    let seq = f.seq.to_string();
    let key = key_id.to_string();
    keys.seal(
        key_id,
        ROW_DOMAIN,
        &[
            Some(&key),
            Some(f.prev_hash),
            Some(&seq),
            Some(f.at),
            Some(f.actor),
            Some(f.role),
            Some(f.action),
            Some(f.record_type),
            Some(f.record_id),
            f.subject_key,
            f.before_digest,
            f.after_digest,
            Some(f.detail),
            f.address,
            f.request_id,
        ],
    )
}

/// The unkeyed SHA-256 of rows written before keyed hashes: only to verify those rows.
fn unkeyed_hash(f: &Fields<'_>) -> String {
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
/// The row is sealed with the newest chain key of the database's key set ([`Db::set_audit_keys`]);
/// without a key set nothing is written. The chain head is one locked row, so concurrent writers
/// take turns here; that is the price of a gapless chain and it is paid only by transactions that
/// change data.
pub fn append(
    tx: &mut Tx<'_>,
    ctx: &AuditContext,
    entry: AuditEntry<'_>,
) -> Result<i64, StoreError> {
    let keys = tx.audit_keys()?;
    let key_id = keys.newest_id();
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
    let hash = keyed_hash(&keys, key_id, &fields)
        .ok_or_else(|| StoreError::AuditKeys(format!("审计密钥 {key_id} 不存在")))?;
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, role, action, record_type, record_id, subject_key,
            before_digest, after_digest, detail, address, request_id, prev_hash, hash, key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
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
            hash,
            key_id
        ],
    )?;
    tx.execute(
        "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1",
        params![seq, hash],
    )?;
    Ok(seq)
}

/// Whether any row is sealed with a chain key (false also on a database not yet migrated this far):
/// when it is, the key file must be found, never replaced by a new one.
pub fn has_keyed_rows(db: &Db) -> Result<bool, StoreError> {
    db.read(|tx| {
        let column_sql = match tx.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM pragma_table_info('audit_log') WHERE name = 'key_id'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = 'audit_log' AND column_name = 'key_id'"
            }
        };
        let columns: i64 = tx.query_one(column_sql, params![])?.get(0)?;
        if columns == 0 {
            return Ok(false);
        }
        Ok(tx
            .query_opt(
                "SELECT seq FROM audit_log WHERE key_id IS NOT NULL LIMIT 1",
                params![],
            )?
            .is_some())
    })
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
        /// What was found, in Chinese, naming the row or the checkpoint.
        reason: String,
    },
}

/// What [`verify_with`] found, with the figures an operator wants beside the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Intact, or the first break.
    pub status: ChainStatus,
    /// Rows before keyed hashes (no key id), checked with the unkeyed hash.
    pub unkeyed_rows: i64,
    /// Rows checked per chain key id.
    pub rows_by_key: BTreeMap<i64, i64>,
    /// Checkpoints the chain was checked against.
    pub checkpoints: usize,
}

const VERIFY_PAGE: i64 = 10_000;

fn broken(seq: i64, reason: String) -> ChainStatus {
    ChainStatus::Broken { seq, reason }
}

/// Walks the whole chain in order with the database's key set and names the first broken row.
/// Without checkpoints a cut-off tail cannot be told from a short chain: use [`verify_with`].
pub fn verify(db: &Db) -> Result<ChainStatus, StoreError> {
    Ok(verify_with(db, &[])?.status)
}

/// Walks the whole chain and checks it against `checkpoints` (see [`checkpoint`]): each row's
/// keyed hash, the links between rows, the head, and for every checkpoint that the chain still
/// reaches it and has the hash it recorded there.
///
/// Rows without a key id were written before keyed hashes. They are accepted only as the start of
/// the chain, and only as far as every checkpoint says such rows went (the first checkpoint after
/// the upgrade seals them); with no checkpoint, none are accepted, since anyone could rewrite the
/// whole chain as such rows.
pub fn verify_with(db: &Db, checkpoints: &[Checkpoint]) -> Result<Verification, StoreError> {
    let keys = db
        .audit_keys()
        .ok_or_else(|| StoreError::AuditKeys("未配置审计密钥，无法核对审计日志".into()))?;
    let mut report = Verification {
        status: ChainStatus::Intact { rows: 0 },
        unkeyed_rows: 0,
        rows_by_key: BTreeMap::new(),
        checkpoints: 0,
    };
    let mut ours: Vec<&Checkpoint> = checkpoints.iter().filter(|c| c.chain == CHAIN).collect();
    ours.sort_by_key(|c| c.seq);
    for cp in &ours {
        if !keys.has_key(cp.key) {
            report.status = broken(
                cp.seq,
                format!(
                    "{}以密钥 {} 签名，密钥文件中没有密钥 {}：请把该密钥加回密钥文件后再核对",
                    cp.describe(),
                    cp.key,
                    cp.key
                ),
            );
            return Ok(report);
        }
        if cp.expected_mac(&keys).as_deref() != Some(cp.mac.as_str()) {
            report.status = broken(
                cp.seq,
                format!("{}的签名不符：检查点文件被改动", cp.describe()),
            );
            return Ok(report);
        }
    }
    report.checkpoints = ours.len();
    // Rows without a key id are accepted only as far as every checkpoint vouches for them.
    let unkeyed_allowed = ours.iter().map(|c| c.unkeyed).min().unwrap_or(0);
    let status = db.read(|tx| {
        let mut expected_seq = 1_i64;
        let mut prev = "0".repeat(64);
        let mut first_keyed: Option<i64> = None;
        let mut next_cp = 0_usize;
        loop {
            let rows = tx.query(
                "SELECT seq, at, actor, role, action, record_type, record_id, subject_key, before_digest,
                        after_digest, detail, address, request_id, prev_hash, hash, key_id
                 FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
                params![expected_seq, VERIFY_PAGE],
            )?;
            let page_len = rows.len();
            for r in rows {
                let seq: i64 = r.get(0)?;
                if seq != expected_seq {
                    return Ok(broken(
                        expected_seq,
                        format!("第 {expected_seq} 行缺失（下一行为第 {seq} 行）：有记录被删除"),
                    ));
                }
                let strings: Vec<Option<String>> =
                    (1..15).map(|i| r.get::<Option<String>>(i)).collect::<Result<_, _>>()?;
                let key_id: Option<i64> = r.get(15)?;
                let s = |i: usize| strings[i - 1].as_deref();
                let stored_prev = s(13).unwrap_or_default();
                if stored_prev != prev {
                    return Ok(broken(
                        seq,
                        format!("第 {seq} 行的前序哈希与上一行不符：有记录被插入或替换"),
                    ));
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
                let computed = match key_id {
                    Some(k) => {
                        first_keyed.get_or_insert(seq);
                        match keyed_hash(&keys, k, &fields) {
                            Some(h) => h,
                            None => {
                                return Ok(broken(
                                    seq,
                                    format!(
                                        "第 {seq} 行以密钥 {k} 封存，密钥文件中没有密钥 {k}：请把该密钥加回密钥文件后再核对"
                                    ),
                                ));
                            }
                        }
                    }
                    None => {
                        if let Some(first) = first_keyed {
                            return Ok(broken(
                                seq,
                                format!(
                                    "第 {seq} 行没有密钥编号，却排在以密钥封存的第 {first} 行之后：该行是伪造或被替换的"
                                ),
                            ));
                        }
                        if seq > unkeyed_allowed {
                            let why = if ours.is_empty() {
                                "没有检查点可以证明这些行在升级前就已存在".to_owned()
                            } else {
                                format!("检查点只为前 {unkeyed_allowed} 行作证")
                            };
                            return Ok(broken(
                                seq,
                                format!(
                                    "第 {seq} 行没有密钥编号（升级前的记录或伪造的记录），{why}：\
                                     若确为升级前的记录且数据库未被改动，请运行 minzheng audit checkpoint 封存"
                                ),
                            ));
                        }
                        unkeyed_hash(&fields)
                    }
                };
                if computed != hash {
                    return Ok(broken(
                        seq,
                        format!("第 {seq} 行的内容与其哈希不符：记录被修改"),
                    ));
                }
                while let Some(cp) = ours.get(next_cp).filter(|c| c.seq <= seq) {
                    if cp.seq == seq && cp.hash != hash {
                        return Ok(broken(
                            seq,
                            format!(
                                "第 {seq} 行的哈希与{}记录的不符：第 {seq} 行或其之前的记录被改写",
                                cp.describe()
                            ),
                        ));
                    }
                    next_cp += 1;
                }
                match key_id {
                    Some(k) => *report.rows_by_key.entry(k).or_default() += 1,
                    None => report.unkeyed_rows += 1,
                }
                prev = hash.to_owned();
                expected_seq += 1;
            }
            if (page_len as i64) < VERIFY_PAGE {
                break;
            }
        }
        let rows = expected_seq - 1;
        if let Some(cp) = ours.last().filter(|c| c.seq > rows) {
            return Ok(broken(
                rows + 1,
                format!(
                    "链只有 {rows} 行，而{}：末尾第 {}–{} 行被截去",
                    cp.describe(),
                    rows + 1,
                    cp.seq
                ),
            ));
        }
        let head = tx.query_one("SELECT last_seq, last_hash FROM audit_head WHERE id = 1", params![])?;
        let last_seq: i64 = head.get(0)?;
        let last_hash: String = head.get(1)?;
        if last_seq != rows || last_hash != prev {
            return Ok(broken(
                expected_seq.min(last_seq + 1).max(1),
                format!(
                    "链尾不符：记录到第 {rows} 行，链头记为第 {last_seq} 行：末尾有记录被删除或插入"
                ),
            ));
        }
        Ok::<_, StoreError>(ChainStatus::Intact { rows })
    })?;
    report.status = status;
    Ok(report)
}
