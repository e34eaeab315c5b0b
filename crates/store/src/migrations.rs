//! Schema migrations, one ordered list with an SQLite and a PostgreSQL text for each step.
//!
//! Applied steps are recorded with the SHA-256 of their text: a step edited after it was applied,
//! or a database migrated by a newer binary, stops start-up with a clear message and no change.

use crate::{Backend, Db, StoreError, Tx, params};
use sha2::{Digest, Sha256};

/// One migration step.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Its order; never reused.
    pub version: i64,
    /// File name without `.sql`, e.g. `0001_foundation`.
    pub name: &'static str,
    /// The SQLite text.
    pub sqlite: &'static str,
    /// The PostgreSQL text.
    pub postgres: &'static str,
}

impl Migration {
    /// The text for a backend.
    pub fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }

    /// The checksum recorded when the step is applied.
    pub fn checksum(&self, backend: Backend) -> String {
        hex::encode(Sha256::digest(self.sql(backend).as_bytes()))
    }
}

macro_rules! migration {
    ($version:expr, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }
    };
}

/// Every migration, in order. Add new steps at the end; never edit one that has shipped.
pub static MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_foundation"),
    migration!(2, "0002_access"),
    migration!(3, "0003_reference"),
    migration!(4, "0004_population"),
    migration!(5, "0005_marriage"),
    migration!(6, "0006_governance"),
    migration!(7, "0007_institutions"),
    migration!(8, "0008_assistance"),
    migration!(9, "0009_benefits"),
    migration!(10, "0010_payroll_release"),
    migration!(11, "0011_benefit_review"),
    migration!(12, "0012_price_subsidy"),
    migration!(13, "0013_trust"),
    migration!(14, "0014_audit_keys"),
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Steps applied by this run, by name.
    pub applied: Vec<String>,
    /// Steps that were already there.
    pub already: usize,
}

/// Brings the schema up to date in one transaction (on PostgreSQL under an advisory lock, so two
/// instances starting together do not race).
pub fn migrate(db: &Db) -> Result<MigrationReport, StoreError> {
    db.write(|tx| {
        if tx.backend() == Backend::Postgres {
            tx.query("SELECT pg_advisory_xact_lock(7210001)", params![])?;
        }
        tx.execute_batch(CREATE_TABLE)?;
        let applied = verify_applied(tx)?;
        let mut report = MigrationReport { applied: Vec::new(), already: applied };
        let now = crate::format_instant(chrono::Utc::now());
        for m in &MIGRATIONS[applied..] {
            tx.execute_batch(m.sql(tx.backend())).map_err(|e| {
                StoreError::Migration(format!("迁移 {} 执行失败：{e}", m.name))
            })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                params![m.version, m.name, m.checksum(tx.backend()), now],
            )?;
            report.applied.push(m.name.to_owned());
        }
        Ok(report)
    })
}

/// Checks the recorded steps against this binary's list and returns how many are applied.
fn verify_applied(tx: &mut Tx<'_>) -> Result<usize, StoreError> {
    let rows = tx.query(
        "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
        params![],
    )?;
    for (i, row) in rows.iter().enumerate() {
        let version: i64 = row.get(0)?;
        let name: String = row.get(1)?;
        let checksum: String = row.get(2)?;
        let Some(known) = MIGRATIONS.get(i).filter(|m| m.version == version) else {
            return Err(StoreError::Migration(format!(
                "数据库含有本程序不认识的迁移 {name}（版本 {version}）：请使用更新版本的 minzheng"
            )));
        };
        if known.checksum(tx.backend()) != checksum {
            return Err(StoreError::Migration(format!(
                "迁移 {name} 在应用后被修改（校验和不符）：已应用的迁移不得修改，请新增迁移"
            )));
        }
    }
    Ok(rows.len())
}

/// Whether the schema is fully migrated and unedited: what `/readyz` reports.
pub fn is_current(db: &Db) -> Result<bool, StoreError> {
    db.read(|tx| {
        let exists = match tx.backend() {
            Backend::Sqlite => tx.query_opt(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
                params![],
            )?,
            Backend::Postgres => tx.query_opt(
                "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
                params![],
            )?,
        };
        if exists.is_none() {
            return Ok(false);
        }
        Ok(verify_applied(tx)? == MIGRATIONS.len())
    })
}

/// The shape of a schema, comparable across backends: tables, columns with a type class, and
/// index names. Used to prove that the two migration sets build the same database.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaOutline {
    /// `(table, column, type class)`; the class is `int`, `text`, `bytes`, `bool` or `float`.
    pub columns: std::collections::BTreeSet<(String, String, String)>,
    /// Index names other than primary keys.
    pub indexes: std::collections::BTreeSet<String>,
}

fn type_class(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let class = if t.contains("int") {
        "int"
    } else if t.contains("char") || t.contains("text") {
        "text"
    } else if t.contains("blob") || t.contains("bytea") {
        "bytes"
    } else if t.contains("bool") {
        "bool"
    } else if t.contains("real") || t.contains("double") || t.contains("float") {
        "float"
    } else {
        return t;
    };
    class.to_owned()
}

/// Reads the outline of the current database.
pub fn schema_outline(db: &Db) -> Result<SchemaOutline, StoreError> {
    db.read(|tx| {
        let mut out = SchemaOutline::default();
        let (cols_sql, idx_sql) = match tx.backend() {
            Backend::Sqlite => (
                "SELECT m.name, p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'",
            ),
            Backend::Postgres => (
                "SELECT table_name::TEXT, column_name::TEXT, data_type::TEXT FROM information_schema.columns
                 WHERE table_schema = current_schema()",
                "SELECT indexname::TEXT FROM pg_indexes WHERE schemaname = current_schema()
                 AND indexname NOT LIKE '%\\_pkey'",
            ),
        };
        for r in tx.query(cols_sql, params![])? {
            out.columns.insert((r.get(0)?, r.get(1)?, type_class(&r.get::<String>(2)?)));
        }
        for r in tx.query(idx_sql, params![])? {
            out.indexes.insert(r.get(0)?);
        }
        Ok(out)
    })
}
