//! Signed checkpoints of the chain head, written outside the database.
//!
//! Keyed hashes stop anyone without the key from editing a row, but not from cutting off the last
//! rows and moving the head back, or from putting back an older copy of the database: every row
//! that is left is genuine. A checkpoint is the head as it was (row count, last hash, how many rows
//! predate keying), signed with the chain key and appended as one JSON line to a file the database
//! cannot reach. [`super::verify_with`] checks the chain against every checkpoint: a chain shorter
//! than one, or a row whose hash differs from one, is broken.
//!
//! Each checkpoint names its chain (today the one chain, [`CHAIN`]), so per-district chains can
//! later write theirs to the same file.

use super::keys::{private_file, write_synced};
use crate::{Db, StoreError, params};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The name of the one chain there is today.
pub const CHAIN: &str = "audit";

const DOMAIN: &str = "minzheng-audit-checkpoint-v1";

/// One line of the checkpoint file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Which chain.
    pub chain: String,
    /// The head's sequence number: how many rows the chain had.
    pub seq: i64,
    /// The hash of that row.
    pub hash: String,
    /// How many rows at the start of the chain predate keyed hashes (0 on a database created
    /// with them): rows without a key id are accepted only this far.
    pub unkeyed: i64,
    /// When it was taken (RFC 3339, UTC).
    pub at: String,
    /// The chain key that signed it.
    pub key: i64,
    /// HMAC-SHA256 of the fields above.
    pub mac: String,
    /// Where it was read from, for messages (file and line); not written.
    #[serde(skip)]
    pub source: String,
}

impl Checkpoint {
    fn signed_parts(&self) -> [String; 6] {
        [
            self.chain.clone(),
            self.seq.to_string(),
            self.hash.clone(),
            self.unkeyed.to_string(),
            self.at.clone(),
            self.key.to_string(),
        ]
    }

    /// The signature these fields should carry under `keys`, or `None` without the signing key.
    pub(crate) fn expected_mac(&self, keys: &super::AuditKeys) -> Option<String> {
        let parts = self.signed_parts();
        let refs: Vec<Option<&str>> = parts.iter().map(|p| Some(p.as_str())).collect();
        keys.seal(self.key, DOMAIN, &refs)
    }

    /// How a message names it: where it is and what it recorded.
    pub fn describe(&self) -> String {
        format!(
            "检查点（{}，{}，链长 {} 行）",
            self.source, self.at, self.seq
        )
    }
}

/// Takes a checkpoint of the committed head, signed with the newest key of the database's key
/// set; `None` while the chain is empty (there is nothing to protect yet).
pub fn take(db: &Db) -> Result<Option<Checkpoint>, StoreError> {
    db.read(|tx| {
        let keys = tx.audit_keys()?;
        let head = tx.query_one(
            "SELECT last_seq, last_hash FROM audit_head WHERE id = 1",
            params![],
        )?;
        let seq: i64 = head.get(0)?;
        if seq == 0 {
            return Ok(None);
        }
        let unkeyed: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE key_id IS NULL",
                params![],
            )?
            .get(0)?;
        let mut cp = Checkpoint {
            chain: CHAIN.into(),
            seq,
            hash: head.get(1)?,
            unkeyed,
            at: crate::format_instant(chrono::Utc::now()),
            key: keys.newest_id(),
            mac: String::new(),
            source: String::new(),
        };
        cp.mac = cp.expected_mac(&keys).unwrap_or_default();
        Ok(Some(cp))
    })
}

/// Appends a checkpoint to the file as one JSON line (creating the file, mode 0600), flushed to
/// the disk before returning.
pub fn append(path: &Path, cp: &Checkpoint) -> Result<(), StoreError> {
    let mut line = serde_json::to_string(cp)
        .map_err(|e| StoreError::AuditKeys(format!("检查点无法序列化：{e}")))?;
    line.push('\n');
    let mut f = private_file(path, false)?;
    write_synced(&mut f, path, line.as_bytes())
}

/// Reads every checkpoint in the file; a file that does not exist has none. A line that is not a
/// checkpoint is an error naming the line: the file is damaged or was edited.
pub fn read(path: &Path) -> Result<Vec<Checkpoint>, StoreError> {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(StoreError::AuditKeys(format!(
                "无法读取检查点文件 {shown}：{e}"
            )));
        }
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut cp: Checkpoint = serde_json::from_str(line).map_err(|e| {
            StoreError::AuditKeys(format!(
                "检查点文件 {shown} 第 {} 行不是检查点（{e}）：文件损坏或被改动",
                i + 1
            ))
        })?;
        cp.source = format!("{shown} 第 {} 行", i + 1);
        out.push(cp);
    }
    Ok(out)
}
