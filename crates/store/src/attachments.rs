//! The attachment store: photos, scans and recordings of every area, kept in the database so that
//! every app instance sees them and a backup holds them.
//!
//! A file is read as a stream in chunks of [`CHUNK_BYTES`], hashed on the way, checked against the
//! size limit before the limit is passed, and typed from its first bytes, never from its name.
//! It is written inside the caller's transaction: a refused file leaves nothing behind, and the
//! same bytes uploaded twice are stored once (the SHA-256 is unique).

use crate::audit::{AuditContext, AuditEntry};
use crate::{StoreError, Tx, params};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

/// Size of one stored chunk: small enough to bind as one parameter, large enough to be few rows.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// The content types the platform accepts, recognised by their magic bytes.
pub const KNOWN_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "audio/mpeg",
    "audio/wav",
    "audio/amr",
    "video/mp4",
    "application/zip",
];

/// What an upload may be: the caller's area decides.
#[derive(Debug, Clone)]
pub struct AttachmentPolicy {
    /// Largest accepted size in bytes.
    pub max_bytes: u64,
    /// Accepted content types (a subset of [`KNOWN_TYPES`]).
    pub allowed: Vec<&'static str>,
}

impl Default for AttachmentPolicy {
    /// Photos, scans and recordings up to 20 MiB: what a counter or a phone produces.
    fn default() -> Self {
        AttachmentPolicy {
            max_bytes: 20 * 1024 * 1024,
            allowed: KNOWN_TYPES.to_vec(),
        }
    }
}

/// A stored attachment's description.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttachmentMeta {
    /// Its id, which records refer to.
    pub id: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Type detected from the bytes.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// The name the uploader gave (shown, never trusted).
    pub file_name: String,
}

/// Detects a content type from the first bytes of a file.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"WAVE") {
        Some("audio/wav")
    } else if starts(b"%PDF-") {
        Some("application/pdf")
    } else if starts(b"ID3") || (head.len() > 1 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        Some("audio/mpeg")
    } else if starts(b"#!AMR") {
        Some("audio/amr")
    } else if head.get(4..8) == Some(b"ftyp") {
        Some("video/mp4")
    } else if starts(b"PK\x03\x04") {
        Some("application/zip")
    } else {
        None
    }
}

static PENDING: AtomicU64 = AtomicU64::new(0);

/// Reads `reader` to its end and stores it; returns the stored (or already stored) attachment.
pub fn put(
    tx: &mut Tx<'_>,
    reader: &mut dyn Read,
    file_name: &str,
    ctx: &AuditContext,
    policy: &AttachmentPolicy,
) -> Result<AttachmentMeta, StoreError> {
    let file_name: String = file_name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let pending = format!(
        "pending-{}-{}",
        std::process::id(),
        PENDING.fetch_add(1, Ordering::Relaxed)
    );
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut hasher = Sha256::new();
    let mut total: u64 = 0;
    let mut seq: i64 = 0;
    let mut id: Option<i64> = None;
    let mut content_type: &'static str = "";
    loop {
        let n = read_full(reader, &mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > policy.max_bytes {
            return Err(StoreError::Attachment(format!(
                "文件过大：上限为 {} KB",
                policy.max_bytes / 1024
            )));
        }
        let chunk = &buf[..n];
        if id.is_none() {
            content_type = sniff(chunk)
                .filter(|t| policy.allowed.contains(t))
                .ok_or_else(|| {
                    StoreError::Attachment(format!(
                        "不支持的文件类型（按内容识别）：只接受 {}",
                        policy.allowed.join("、")
                    ))
                })?;
            let row = tx.query_one(
                "INSERT INTO attachment (sha256, content_type, size_bytes, file_name, created_at, created_by)
                 VALUES ($1, $2, 0, $3, $4, $5) RETURNING id",
                params![pending, content_type, file_name, crate::format_instant(chrono::Utc::now()), ctx.actor],
            )?;
            id = Some(row.get(0)?);
        }
        hasher.update(chunk);
        tx.execute(
            "INSERT INTO attachment_chunk (attachment_id, seq, data) VALUES ($1, $2, $3)",
            params![id, seq, chunk],
        )?;
        seq += 1;
    }
    let Some(id) = id else {
        return Err(StoreError::Attachment("文件为空".into()));
    };
    let sha256 = hex::encode(hasher.finalize());
    if let Some(existing) = find_by_sha256(tx, &sha256)? {
        tx.execute(
            "DELETE FROM attachment_chunk WHERE attachment_id = $1",
            params![id],
        )?;
        tx.execute("DELETE FROM attachment WHERE id = $1", params![id])?;
        return Ok(existing);
    }
    let size = i64::try_from(total).map_err(|_| StoreError::Attachment("文件过大".into()))?;
    tx.execute(
        "UPDATE attachment SET sha256 = $1, size_bytes = $2 WHERE id = $3",
        params![sha256, size, id],
    )?;
    crate::audit::append(
        tx,
        ctx,
        AuditEntry {
            action: "attachment.put",
            record_type: "attachment",
            record_id: id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "sha256": sha256, "content_type": content_type, "size_bytes": size }),
        },
    )?;
    Ok(AttachmentMeta {
        id,
        sha256,
        content_type: content_type.to_owned(),
        size_bytes: size,
        file_name,
    })
}

fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> Result<usize, StoreError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(StoreError::Io(format!("上传中断：{e}"))),
        }
    }
    Ok(filled)
}

fn meta_from_row(row: &crate::Row) -> Result<AttachmentMeta, StoreError> {
    Ok(AttachmentMeta {
        id: row.get(0)?,
        sha256: row.get(1)?,
        content_type: row.get(2)?,
        size_bytes: row.get(3)?,
        file_name: row.get(4)?,
    })
}

fn find_by_sha256(tx: &mut Tx<'_>, sha256: &str) -> Result<Option<AttachmentMeta>, StoreError> {
    tx.query_opt(
        "SELECT id, sha256, content_type, size_bytes, file_name FROM attachment WHERE sha256 = $1",
        params![sha256],
    )?
    .map(|r| meta_from_row(&r))
    .transpose()
}

/// The description of an attachment, if it exists.
pub fn meta(tx: &mut Tx<'_>, id: i64) -> Result<Option<AttachmentMeta>, StoreError> {
    tx.query_opt(
        "SELECT id, sha256, content_type, size_bytes, file_name FROM attachment WHERE id = $1",
        params![id],
    )?
    .map(|r| meta_from_row(&r))
    .transpose()
}

/// One chunk of an attachment's bytes (`None` past the last), so a download can stream.
pub fn chunk(tx: &mut Tx<'_>, id: i64, seq: i64) -> Result<Option<Vec<u8>>, StoreError> {
    tx.query_opt(
        "SELECT data FROM attachment_chunk WHERE attachment_id = $1 AND seq = $2",
        params![id, seq],
    )?
    .map(|r| r.get(0))
    .transpose()
}

/// All the bytes of an attachment (for small files and tests).
pub fn read_all(tx: &mut Tx<'_>, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
    if meta(tx, id)?.is_none() {
        return Ok(None);
    }
    let rows = tx.query(
        "SELECT data FROM attachment_chunk WHERE attachment_id = $1 ORDER BY seq",
        params![id],
    )?;
    let mut out = Vec::new();
    for r in rows {
        out.extend_from_slice(&r.get::<Vec<u8>>(0)?);
    }
    Ok(Some(out))
}
