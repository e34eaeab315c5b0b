//! The demo data set: small, realistic, and only ever loaded into an empty database.
//!
//! Every change to the database writes an audit row, so an empty audit log is an empty database.
//! Each area adds its part of the demo set here as it is built.

use minzheng_store::audit::{self, AuditContext, AuditEntry};
use minzheng_store::{Db, StoreError, params};

/// Loads the demo set, or says why not.
pub fn load(db: &Db) -> Result<String, String> {
    db.write(|tx| {
        let changes: i64 = tx.query_one("SELECT COUNT(*) FROM audit_log", params![])?.get(0)?;
        if changes > 0 {
            return Ok(Err(format!(
                "数据库不是空的（已有 {changes} 条变更记录）：演示数据只装入空数据库，现有数据未作任何改动"
            )));
        }
        let ctx = AuditContext::system("demo");
        audit::append(
            tx,
            &ctx,
            AuditEntry {
                action: "demo.load",
                record_type: "database",
                record_id: "demo".into(),
                subject_key: None,
                before: None,
                after: None,
                detail: serde_json::json!({ "version": env!("CARGO_PKG_VERSION") }),
            },
        )?;
        Ok::<_, StoreError>(Ok("演示数据已装入".to_owned()))
    })
    .map_err(|e| e.to_string())?
}
