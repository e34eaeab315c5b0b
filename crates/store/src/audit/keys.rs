//! The secrets that seal the audit log, kept in a file outside the database.
//!
//! Whoever can write the database can recompute an unkeyed hash; they cannot recompute an HMAC
//! without the key. The key file holds:
//!
//! - one `subject` secret: the key of [`AuditKeys::subject_key`], the person search key. It never
//!   changes, or rows written before a change could no longer be found by ID number;
//! - one or more `key ID SECRET` lines: the chain keys. The highest id seals new rows and
//!   checkpoints; older ones stay in the file so the rows they sealed still verify (rotation).
//!
//! ```text
//! # minzheng audit keys
//! subject 5f2c…(64 hex digits)
//! key 1 9a41…(64 hex digits)
//! key 2 03be…(64 hex digits)
//! ```

use crate::StoreError;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of every secret: the output size of SHA-256, the most HMAC-SHA256 can use.
const SECRET_BYTES: usize = 32;

const FILE_HEADER: &str = "# minzheng 审计密钥：不要放进数据库或数据库的备份；多个实例共用同一文件。\n\
# subject：人员检索键的密钥，永不更换。key 编号 密钥：链密钥，编号最大者封存新记录，旧密钥须保留。\n";

/// One secret with its HMAC state prepared, so sealing a row does not redo the key schedule.
struct Secret {
    bytes: [u8; SECRET_BYTES],
    mac: HmacSha256,
}

impl Secret {
    fn new(bytes: [u8; SECRET_BYTES]) -> Secret {
        let mac = <HmacSha256 as KeyInit>::new_from_slice(&bytes)
            .expect("HMAC takes a key of any length");
        Secret { bytes, mac }
    }

    fn random() -> Result<Secret, StoreError> {
        let mut bytes = [0_u8; SECRET_BYTES];
        getrandom::fill(&mut bytes)
            .map_err(|e| StoreError::AuditKeys(format!("无法生成随机密钥：{e}")))?;
        Ok(Secret::new(bytes))
    }

    /// HMAC-SHA256 over a domain and fields, each field length-prefixed (and `None` distinct
    /// from the empty text), so no two different rows give the same input.
    fn mac(&self, domain: &str, parts: &[Option<&str>]) -> String {
        let mut m = self.mac.clone();
        feed(&mut m, Some(domain));
        for p in parts {
            feed(&mut m, *p);
        }
        hex::encode(m.finalize().into_bytes())
    }
}

fn feed(m: &mut HmacSha256, part: Option<&str>) {
    match part {
        None => m.update(&[0]),
        Some(s) => {
            m.update(&[1]);
            m.update(&(s.len() as u64).to_le_bytes());
            m.update(s.as_bytes());
        }
    }
}

/// The audit secrets of one deployment: the subject key and the chain keys by id.
pub struct AuditKeys {
    subject: Secret,
    chain: BTreeMap<i64, Secret>,
}

impl std::fmt::Debug for AuditKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets themselves: this ends up in logs.
        write!(f, "AuditKeys(keys {:?})", self.key_ids())
    }
}

fn bad(source: &str, line: usize, what: &str) -> StoreError {
    StoreError::AuditKeys(format!("审计密钥文件 {source} 第 {line} 行：{what}"))
}

fn parse_secret(source: &str, line: usize, text: &str) -> Result<Secret, StoreError> {
    let bytes = hex::decode(text)
        .ok()
        .and_then(|b| <[u8; SECRET_BYTES]>::try_from(b).ok())
        .ok_or_else(|| bad(source, line, "密钥应为 64 位十六进制数字"))?;
    Ok(Secret::new(bytes))
}

impl AuditKeys {
    /// A fresh set: a new subject secret and chain key 1, from the system's random source.
    pub fn generate() -> Result<AuditKeys, StoreError> {
        Ok(AuditKeys {
            subject: Secret::random()?,
            chain: BTreeMap::from([(1, Secret::random()?)]),
        })
    }

    /// Reads a key file's text; `source` names the file in messages.
    pub fn parse(text: &str, source: &str) -> Result<AuditKeys, StoreError> {
        let mut subject = None;
        let mut chain = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["subject", secret] => {
                    if subject.is_some() {
                        return Err(bad(source, n, "subject 只能有一行"));
                    }
                    subject = Some(parse_secret(source, n, secret)?);
                }
                ["key", id, secret] => {
                    let id: i64 = id
                        .parse()
                        .ok()
                        .filter(|id| *id > 0)
                        .ok_or_else(|| bad(source, n, "密钥编号应为正整数"))?;
                    if chain.insert(id, parse_secret(source, n, secret)?).is_some() {
                        return Err(bad(source, n, &format!("密钥编号 {id} 重复")));
                    }
                }
                _ => {
                    return Err(bad(source, n, "应为“subject 密钥”或“key 编号 密钥”"));
                }
            }
        }
        let subject = subject.ok_or_else(|| {
            StoreError::AuditKeys(format!("审计密钥文件 {source} 缺少 subject 行"))
        })?;
        if chain.is_empty() {
            return Err(StoreError::AuditKeys(format!(
                "审计密钥文件 {source} 没有 key 行"
            )));
        }
        Ok(AuditKeys { subject, chain })
    }

    /// The text of a key file holding these keys.
    pub fn to_file_text(&self) -> String {
        let mut out = String::from(FILE_HEADER);
        out.push_str(&format!("subject {}\n", hex::encode(self.subject.bytes)));
        for (id, s) in &self.chain {
            out.push_str(&format!("key {id} {}\n", hex::encode(s.bytes)));
        }
        out
    }

    /// Loads a key file. A file others may read is used, with a warning in the log.
    pub fn load(path: &Path) -> Result<AuditKeys, StoreError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| StoreError::AuditKeys(format!("无法读取审计密钥文件 {shown}：{e}")))?;
        warn_if_readable_by_others(path);
        AuditKeys::parse(&text, &shown)
    }

    /// Generates a key set and writes it to a new file (mode 0600); an existing file is never
    /// overwritten, since its keys are the only way to verify the rows they sealed.
    pub fn create(path: &Path) -> Result<AuditKeys, StoreError> {
        let keys = AuditKeys::generate()?;
        keys.write_new(path)?;
        Ok(keys)
    }

    /// Writes these keys to a new file (mode 0600, folders made as needed); an existing file is
    /// never overwritten.
    pub fn write_new(&self, path: &Path) -> Result<(), StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::AuditKeys(format!("无法创建目录 {}：{e}", dir.display()))
            })?;
        }
        let mut f = private_file(path, true)?;
        write_synced(&mut f, path, self.to_file_text().as_bytes())
    }

    /// Adds a new chain key to an existing key file and returns its id: it seals new rows from the
    /// next start of each instance on; the older keys stay, so the rows they sealed still verify.
    pub fn rotate(path: &Path) -> Result<i64, StoreError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| StoreError::AuditKeys(format!("无法读取审计密钥文件 {shown}：{e}")))?;
        let id = AuditKeys::parse(&text, &shown)?.newest_id() + 1;
        let secret = Secret::random()?;
        let newline = if text.ends_with('\n') { "" } else { "\n" };
        let line = format!("{newline}key {id} {}\n", hex::encode(secret.bytes));
        let mut f = private_file(path, false)?;
        write_synced(&mut f, path, line.as_bytes())?;
        Ok(id)
    }

    /// The id of the key that seals new rows and checkpoints: the highest.
    pub fn newest_id(&self) -> i64 {
        self.chain.keys().next_back().copied().unwrap_or(0)
    }

    /// Every chain key id in the file, ascending.
    pub fn key_ids(&self) -> Vec<i64> {
        self.chain.keys().copied().collect()
    }

    /// Whether the file holds this chain key.
    pub fn has_key(&self, id: i64) -> bool {
        self.chain.contains_key(&id)
    }

    /// The key under which a person's ID number is searchable in the log: an HMAC with the subject
    /// secret, so the ~10^11 possible numbers cannot be enumerated against the log without it.
    pub fn subject_key(&self, id_number: &str) -> String {
        self.subject.mac("minzheng-subject-v2", &[Some(id_number)])
    }

    /// HMAC with chain key `id`, or `None` when the file does not hold that key.
    pub(crate) fn seal(&self, id: i64, domain: &str, parts: &[Option<&str>]) -> Option<String> {
        self.chain.get(&id).map(|s| s.mac(domain, parts))
    }
}

/// Opens a file only its owner may read: created new (`create_new`) or appended to.
pub(crate) fn private_file(path: &Path, create_new: bool) -> Result<std::fs::File, StoreError> {
    let mut o = std::fs::OpenOptions::new();
    if create_new {
        o.write(true).create_new(true);
    } else {
        o.append(true).create(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
        .map_err(|e| StoreError::AuditKeys(format!("无法创建文件 {}：{e}", path.display())))
}

/// Writes and flushes to the disk: a key or checkpoint lost in a crash cannot be recomputed.
pub(crate) fn write_synced(
    f: &mut std::fs::File,
    path: &Path,
    bytes: &[u8],
) -> Result<(), StoreError> {
    f.write_all(bytes)
        .and_then(|()| f.sync_data())
        .map_err(|e| StoreError::AuditKeys(format!("无法写入文件 {}：{e}", path.display())))
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                file = %path.display(),
                mode = format!("{:o}", m.permissions().mode() & 0o777),
                "the audit key file can be read by other users: chmod 600 it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
