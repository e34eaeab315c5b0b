//! Online backup: a consistent copy of a running SQLite database. PostgreSQL has pg_dump for that.

use crate::{DatabaseUrl, Db, StoreError};
use std::path::Path;

/// What to tell an operator who asks for a backup of a PostgreSQL database.
pub const POSTGRES_ADVICE: &str = "PostgreSQL 数据库请用 pg_dump 备份，例如：\n  pg_dump --format=custom --file=minzheng-$(date +%F).dump \"$MINZHENG_DATABASE_URL\"\n恢复：pg_restore --clean --dbname=\"$MINZHENG_DATABASE_URL\" minzheng-YYYY-MM-DD.dump";

/// Copies the SQLite database to `to` while it stays in use (SQLite's online backup API copies
/// a consistent snapshot page by page). Refuses to overwrite an existing file.
pub fn sqlite_backup(db: &Db, to: &Path) -> Result<u64, StoreError> {
    let DatabaseUrl::Sqlite(from) = db.url() else {
        return Err(StoreError::Io(POSTGRES_ADVICE.into()));
    };
    if to.exists() {
        return Err(StoreError::Io(format!(
            "{} 已存在：请换一个文件名，备份不会覆盖已有文件",
            to.display()
        )));
    }
    let src =
        rusqlite::Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| StoreError::Io(format!("无法打开 {}：{e}", from.display())))?;
    let mut dst = rusqlite::Connection::open(to)
        .map_err(|e| StoreError::Io(format!("无法创建 {}：{e}", to.display())))?;
    {
        let backup = rusqlite::backup::Backup::new(&src, &mut dst)
            .map_err(|e| StoreError::Io(format!("备份失败：{e}")))?;
        backup
            .run_to_completion(1024, std::time::Duration::from_millis(0), None)
            .map_err(|e| StoreError::Io(format!("备份失败：{e}")))?;
    }
    let pages: i64 = dst
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(|e| StoreError::Io(format!("备份校验失败：{e}")))?;
    let ok: String = dst
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| StoreError::Io(format!("备份校验失败：{e}")))?;
    if ok != "ok" {
        return Err(StoreError::Io(format!("备份文件完整性检查未通过：{ok}")));
    }
    Ok(u64::try_from(pages).unwrap_or(0))
}
