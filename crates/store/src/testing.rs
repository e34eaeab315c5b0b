//! Fresh databases for tests: every test gets its own SQLite file and, when
//! `MINZHENG_TEST_DATABASE_URL` is set, its own PostgreSQL database, created here and dropped after.
//!
//! Tests never share data. If the variable is set and the server cannot be reached the test fails:
//! CI must not pass quietly on one backend. Each database gets its own freshly generated audit keys,
//! so audited writes work as in production; [`TestDb::audit_key_file`] hands them to a child process.

use crate::audit::AuditKeys;
use crate::{DatabaseUrl, Db, migrations};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable CI sets to the PostgreSQL server every database test also runs on.
pub const TEST_DATABASE_URL_VAR: &str = "MINZHENG_TEST_DATABASE_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database that exists for one test and is removed when dropped.
pub struct TestDb {
    /// The handle the test uses.
    pub db: Db,
    /// A short label for assertion messages: `sqlite` or `postgres`.
    pub label: &'static str,
    /// A folder of this test's own: the SQLite file's, or one made for a PostgreSQL database.
    dir: PathBuf,
    cleanup: Cleanup,
}

enum Cleanup {
    File,
    PgDatabase { admin_url: String, name: String },
}

impl std::ops::Deref for TestDb {
    type Target = Db;
    fn deref(&self) -> &Db {
        &self.db
    }
}

impl TestDb {
    /// Writes this database's audit keys to a key file and returns its path, for a `minzheng`
    /// child process (`MINZHENG_AUDIT_KEY_FILE`) to seal and verify rows as the test does. For
    /// SQLite it is the file a binary finds by default, `audit.key` beside the database.
    pub fn audit_key_file(&self) -> PathBuf {
        let path = self.dir.join("audit.key");
        if !path.exists() {
            let keys = self
                .db
                .audit_keys()
                .expect("test databases have audit keys");
            keys.write_new(&path).expect("write the test key file");
        }
        path
    }
}

fn with_test_keys(db: Db) -> Db {
    db.set_audit_keys(Arc::new(
        AuditKeys::generate().expect("generate test audit keys"),
    ));
    db
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.db.close();
        let _ = std::fs::remove_dir_all(&self.dir);
        match &self.cleanup {
            Cleanup::File => {}
            Cleanup::PgDatabase { admin_url, name } => {
                if let Ok(mut c) = postgres::Client::connect(admin_url, postgres::NoTls) {
                    let _ =
                        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

fn unique_name(test: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let clean: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    format!("mzt_{clean}_{}_{n}_{nanos}", std::process::id())
}

/// A fresh, empty SQLite database in its own temporary folder (not migrated).
pub fn sqlite_empty(test: &str) -> TestDb {
    let dir = std::env::temp_dir().join(unique_name(test));
    let path = dir.join("test.db");
    let db = Db::open(&DatabaseUrl::Sqlite(path), 4).expect("open test SQLite database");
    TestDb {
        db: with_test_keys(db),
        label: "sqlite",
        dir,
        cleanup: Cleanup::File,
    }
}

/// A fresh, empty PostgreSQL database when the variable is set (not migrated).
///
/// # Panics
/// When the variable is set but the server cannot be reached or the database cannot be created.
pub fn postgres_empty(test: &str) -> Option<TestDb> {
    let admin_url = std::env::var(TEST_DATABASE_URL_VAR)
        .ok()
        .filter(|s| !s.is_empty())?;
    let name = unique_name(test);
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap_or_else(|e| {
        panic!("{TEST_DATABASE_URL_VAR}={admin_url} is set but unreachable: {e}")
    });
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let url = with_database(&admin_url, &name);
    let db = Db::open(&DatabaseUrl::Postgres(url), 4).expect("open test PostgreSQL database");
    Some(TestDb {
        db: with_test_keys(db),
        label: "postgres",
        dir: std::env::temp_dir().join(&name),
        cleanup: Cleanup::PgDatabase { admin_url, name },
    })
}

/// Replaces the database name in a `postgres://` URL (keeping any query string).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

/// Every backend this run tests on, each empty (not migrated): SQLite always, PostgreSQL when set.
pub fn empty_databases(test: &str) -> Vec<TestDb> {
    let mut out = vec![sqlite_empty(test)];
    out.extend(postgres_empty(test));
    out
}

/// Every backend this run tests on, each freshly migrated.
pub fn databases(test: &str) -> Vec<TestDb> {
    let dbs = empty_databases(test);
    for t in &dbs {
        migrations::migrate(&t.db).unwrap_or_else(|e| panic!("migrate {}: {e}", t.label));
    }
    dbs
}
