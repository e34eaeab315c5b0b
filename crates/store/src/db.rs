//! One `Db` over two backends: SQLite (the default, one file) and PostgreSQL (production).
//!
//! The API is synchronous on purpose: a service is a plain function over `&mut Tx`, run on a
//! blocking thread by the web layer. Every statement uses `$1…$N` placeholders; both backends
//! accept them (SQLite binds them by name), so one SQL text serves both where the dialects agree.

use crate::StoreError;
use crate::audit::AuditKeys;
use crate::value::{Row, ToValue, Value};
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Duration;

/// Which engine a `Db` talks to; services branch on it only where the dialects differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A parsed database address: what `--database-url` and `MINZHENG_DATABASE_URL` accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite:PATH`, `sqlite://PATH` or a plain path.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, passed to the driver as is.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses an address; an unknown scheme is an error, never a guess.
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(StoreError::BadUrl("地址为空".into()));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_owned()));
        }
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StoreError::BadUrl(format!("{s}：缺少文件路径")));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if s.contains("://")
            || s.split_once(':')
                .is_some_and(|(scheme, _)| scheme.len() > 1)
        {
            return Err(StoreError::BadUrl(format!(
                "{s}：不支持的地址，应为 sqlite:文件路径 或 postgres://用户@主机/数据库"
            )));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(s)))
    }

    /// The address with any password hidden, for logs and messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
            DatabaseUrl::Postgres(u) => match (u.find("://"), u.rfind('@')) {
                (Some(a), Some(b)) if b > a => {
                    let cred = &u[a + 3..b];
                    match cred.split_once(':') {
                        Some((user, _)) => format!("{}{}:***{}", &u[..a + 3], user, &u[b..]),
                        None => u.clone(),
                    }
                }
                _ => u.clone(),
            },
        }
    }
}

struct PgConn {
    client: postgres::Client,
    stmts: HashMap<String, postgres::Statement>,
}

enum Conn {
    Sqlite(rusqlite::Connection),
    Pg(Box<PgConn>),
}

struct PoolState {
    idle: Vec<Conn>,
    total: usize,
}

struct Inner {
    url: DatabaseUrl,
    backend: Backend,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
    audit_keys: RwLock<Option<Arc<AuditKeys>>>,
}

/// The database handle: cheap to clone, shared by every request and job.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({})", self.inner.url.redacted())
    }
}

const POOL_WAIT: Duration = Duration::from_secs(30);
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

impl Db {
    /// Opens the database and checks that it is one; creates an SQLite file (and its folder) that
    /// does not exist yet. Nothing is written to a file that turns out not to be a database.
    pub fn open(url: &DatabaseUrl, pool_size: usize) -> Result<Db, StoreError> {
        let backend = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty() && !d.exists())
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Open(format!("无法创建目录 {}：{e}", dir.display()))
                    })?;
                }
                Backend::Sqlite
            }
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        let db = Db {
            inner: Arc::new(Inner {
                url: url.clone(),
                backend,
                max: pool_size.max(1),
                state: Mutex::new(PoolState {
                    idle: Vec::new(),
                    total: 0,
                }),
                freed: Condvar::new(),
                audit_keys: RwLock::new(None),
            }),
        };
        // Open one connection now, so a bad address or a bad file fails at start-up.
        let first = db.connect()?;
        db.release(first);
        db.lock_state().total = 1;
        Ok(db)
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The address this handle was opened with.
    pub fn url(&self) -> &DatabaseUrl {
        &self.inner.url
    }

    /// Sets the keys that seal audit rows and checkpoints (from the key file, outside the
    /// database): done once at start, before any audited write. Every transaction reaches them,
    /// so services need not carry them.
    pub fn set_audit_keys(&self, keys: Arc<AuditKeys>) {
        *self
            .inner
            .audit_keys
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(keys);
    }

    /// The audit keys set with [`Db::set_audit_keys`], if any.
    pub fn audit_keys(&self) -> Option<Arc<AuditKeys>> {
        self.inner
            .audit_keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, PoolState> {
        // A panic while holding this lock cannot leave the pool inconsistent: recover.
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn connect(&self) -> Result<Conn, StoreError> {
        match &self.inner.url {
            DatabaseUrl::Sqlite(path) => open_sqlite(path).map(Conn::Sqlite),
            DatabaseUrl::Postgres(url) => {
                let client = postgres::Client::connect(url, postgres::NoTls).map_err(|e| {
                    StoreError::Open(format!(
                        "无法连接 PostgreSQL {}：{e}",
                        self.inner.url.redacted()
                    ))
                })?;
                Ok(Conn::Pg(Box::new(PgConn {
                    client,
                    stmts: HashMap::new(),
                })))
            }
        }
    }

    fn acquire(&self) -> Result<Conn, StoreError> {
        let mut state = self.lock_state();
        loop {
            if let Some(c) = state.idle.pop() {
                return Ok(c);
            }
            if state.total < self.inner.max {
                state.total += 1;
                drop(state);
                return self.connect().inspect_err(|_| self.lock_state().total -= 1);
            }
            let (s, timeout) = self
                .inner
                .freed
                .wait_timeout(state, POOL_WAIT)
                .unwrap_or_else(|p| p.into_inner());
            state = s;
            if timeout.timed_out() && state.idle.is_empty() && state.total >= self.inner.max {
                return Err(StoreError::PoolTimeout);
            }
        }
    }

    fn release(&self, conn: Conn) {
        let healthy = match &conn {
            Conn::Sqlite(c) => {
                if !c.is_autocommit() {
                    // A panic inside a transaction left it open: never hand that to the next caller.
                    c.execute_batch("ROLLBACK").is_ok()
                } else {
                    true
                }
            }
            Conn::Pg(pg) => !pg.client.is_closed(),
        };
        let mut state = self.lock_state();
        if healthy {
            state.idle.push(conn);
        } else {
            state.total = state.total.saturating_sub(1);
        }
        drop(state);
        self.inner.freed.notify_one();
    }

    /// Runs `f` in a write transaction: committed when `f` returns `Ok`, rolled back otherwise.
    /// On SQLite the transaction is `BEGIN IMMEDIATE`, so writers queue on the busy timeout
    /// instead of failing when a reader upgrades.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction(true, f)
    }

    /// Runs `f` in a read transaction (a consistent snapshot); any change it makes is rolled back.
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction(false, f)
    }

    fn transaction<T, E: From<StoreError>>(
        &self,
        write: bool,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.acquire()?;
        let result = run_in_tx(&mut conn, write, self.audit_keys(), f);
        self.release(conn);
        result
    }

    /// Closes every idle connection (tests drop their database after this).
    pub fn close(&self) {
        let mut state = self.lock_state();
        let n = state.idle.len();
        state.idle.clear();
        state.total = state.total.saturating_sub(n);
    }
}

fn run_in_tx<T, E: From<StoreError>>(
    conn: &mut Conn,
    write: bool,
    audit_keys: Option<Arc<AuditKeys>>,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
) -> Result<T, E> {
    match conn {
        Conn::Sqlite(c) => {
            c.execute_batch(if write { "BEGIN IMMEDIATE" } else { "BEGIN" })
                .map_err(StoreError::from)?;
            let mut tx = Tx {
                inner: TxInner::Sqlite(c),
                audit_keys,
            };
            match f(&mut tx) {
                Ok(v) if write => match c.execute_batch("COMMIT") {
                    Ok(()) => Ok(v),
                    Err(e) => {
                        let _ = c.execute_batch("ROLLBACK");
                        Err(StoreError::from(e).into())
                    }
                },
                Ok(v) => {
                    c.execute_batch("ROLLBACK").map_err(StoreError::from)?;
                    Ok(v)
                }
                Err(e) => {
                    let _ = c.execute_batch("ROLLBACK");
                    Err(e)
                }
            }
        }
        Conn::Pg(pg) => {
            let PgConn { client, stmts } = &mut **pg;
            let t = if write {
                client.transaction()
            } else {
                client.build_transaction().read_only(true).start()
            }
            .map_err(StoreError::from)?;
            let mut tx = Tx {
                inner: TxInner::Pg { tx: t, stmts },
                audit_keys,
            };
            let result = f(&mut tx);
            let TxInner::Pg { tx: t, .. } = tx.inner else {
                unreachable!("a PostgreSQL connection makes a PostgreSQL transaction")
            };
            match result {
                Ok(v) => {
                    t.commit().map_err(StoreError::from)?;
                    Ok(v)
                }
                Err(e) => {
                    let _ = t.rollback();
                    Err(e)
                }
            }
        }
    }
}

fn open_sqlite(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let shown = path.display();
    let c = rusqlite::Connection::open(path)
        .map_err(|e| StoreError::Open(format!("无法打开数据库文件 {shown}：{e}")))?;
    // Read before anything writes: a file that is not a database must stay untouched.
    c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| StoreError::Open(format!("{shown} 不是 SQLite 数据库：{e}")))?;
    c.busy_timeout(Duration::from_millis(u64::from(SQLITE_BUSY_TIMEOUT_MS)))
        .map_err(StoreError::from)?;
    // A 64 MiB page cache per connection (SQLite's default is 2 MiB) and reads through a memory
    // map: a payroll or an import touches indexes far larger than the default cache, and with it
    // spends its time copying pages from the OS (measured: 3× slower on a 300k-line payroll).
    // Both are ceilings, not allocations: an idle connection holds almost nothing.
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824;",
    )
    .map_err(|e| StoreError::Open(format!("无法设置数据库 {shown}：{e}")))?;
    // The query planner stability guarantee: a statement's plan does not depend on the values bound
    // to it. Without it the bundled SQLite (built with STAT4) recompiles a cached statement whenever
    // a bound value the planner looked at changes: a third of the booking writer's time in profiles.
    c.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(|e| StoreError::Open(format!("无法设置数据库 {shown}：{e}")))?;
    c.set_prepared_statement_cache_capacity(256);
    Ok(c)
}

/// An open transaction: the only way services touch the database.
pub struct Tx<'a> {
    inner: TxInner<'a>,
    audit_keys: Option<Arc<AuditKeys>>,
}

enum TxInner<'a> {
    Sqlite(&'a rusqlite::Connection),
    Pg {
        tx: postgres::Transaction<'a>,
        stmts: &'a mut HashMap<String, postgres::Statement>,
    },
}

impl Tx<'_> {
    /// Which engine, for the few statements whose dialects differ.
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Pg { .. } => Backend::Postgres,
        }
    }

    /// The audit keys of the database this transaction runs on; an error when none were set.
    pub(crate) fn audit_keys(&self) -> Result<Arc<AuditKeys>, StoreError> {
        self.audit_keys.clone().ok_or_else(|| {
            StoreError::AuditKeys(
                "未配置审计密钥：审计记录须以密钥文件中的密钥封存，见 audit_key_file".into(),
            )
        })
    }

    /// Runs a statement and returns how many rows it changed.
    pub fn execute(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<u64, StoreError> {
        match &mut self.inner {
            TxInner::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql).map_err(|e| StoreError::sql(sql, e))?;
                bind_sqlite(&mut stmt, sql, params)?;
                let n = stmt.raw_execute().map_err(|e| StoreError::sql(sql, e))?;
                Ok(n as u64)
            }
            TxInner::Pg { tx, stmts } => {
                let stmt = pg_prepare(tx, stmts, sql)?;
                let values = pg_params(params);
                let refs: Vec<&(dyn ToSql + Sync)> =
                    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                tx.execute(&stmt, &refs)
                    .map_err(|e| StoreError::sql(sql, e))
            }
        }
    }

    /// Runs a query and returns all its rows.
    pub fn query(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<Vec<Row>, StoreError> {
        match &mut self.inner {
            TxInner::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql).map_err(|e| StoreError::sql(sql, e))?;
                bind_sqlite(&mut stmt, sql, params)?;
                let ncols = stmt.column_count();
                let mut rows = stmt.raw_query();
                let mut out = Vec::new();
                while let Some(r) = rows.next().map_err(|e| StoreError::sql(sql, e))? {
                    let mut values = Vec::with_capacity(ncols);
                    for i in 0..ncols {
                        values.push(sqlite_value(
                            r.get_ref(i).map_err(|e| StoreError::sql(sql, e))?,
                        )?);
                    }
                    out.push(Row::new(values));
                }
                Ok(out)
            }
            TxInner::Pg { tx, stmts } => {
                let stmt = pg_prepare(tx, stmts, sql)?;
                let values = pg_params(params);
                let refs: Vec<&(dyn ToSql + Sync)> =
                    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                let rows = tx
                    .query(&stmt, &refs)
                    .map_err(|e| StoreError::sql(sql, e))?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let mut values = Vec::with_capacity(r.len());
                    for i in 0..r.len() {
                        let PgAny(v) = r.try_get(i).map_err(|e| StoreError::sql(sql, e))?;
                        values.push(v);
                    }
                    out.push(Row::new(values));
                }
                Ok(out)
            }
        }
    }

    /// Runs a query and hands each row to `each` as it is read, without collecting them: for the
    /// large scans of batch jobs (a payroll reads a district's entitlements this way). On PostgreSQL
    /// the rows arrive in portions of the driver's stream.
    pub fn query_each<E: From<StoreError>>(
        &mut self,
        sql: &str,
        params: &[&dyn ToValue],
        mut each: impl FnMut(Row) -> Result<(), E>,
    ) -> Result<(), E> {
        match &mut self.inner {
            TxInner::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql).map_err(|e| StoreError::sql(sql, e))?;
                bind_sqlite(&mut stmt, sql, params)?;
                let ncols = stmt.column_count();
                let mut rows = stmt.raw_query();
                while let Some(r) = rows.next().map_err(|e| StoreError::sql(sql, e))? {
                    let mut values = Vec::with_capacity(ncols);
                    for i in 0..ncols {
                        values.push(sqlite_value(
                            r.get_ref(i).map_err(|e| StoreError::sql(sql, e))?,
                        )?);
                    }
                    each(Row::new(values))?;
                }
                Ok(())
            }
            TxInner::Pg { tx, stmts } => {
                let stmt = pg_prepare(tx, stmts, sql)?;
                let values = pg_params(params);
                let mut rows = tx
                    .query_raw(&stmt, values.iter().map(|v| v as &(dyn ToSql + Sync)))
                    .map_err(|e| StoreError::sql(sql, e))?;
                while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)
                    .map_err(|e| StoreError::sql(sql, e))?
                {
                    let mut values = Vec::with_capacity(r.len());
                    for i in 0..r.len() {
                        let PgAny(v) = r.try_get(i).map_err(|e| StoreError::sql(sql, e))?;
                        values.push(v);
                    }
                    each(Row::new(values))?;
                }
                Ok(())
            }
        }
    }

    /// Runs a query that must return exactly one row.
    pub fn query_one(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<Row, StoreError> {
        let mut rows = self.query(sql, params)?;
        match rows.len() {
            1 => Ok(rows.remove(0)),
            n => Err(StoreError::RowCount {
                expected: 1,
                found: n,
                sql: short(sql),
            }),
        }
    }

    /// Runs a query that returns at most one row.
    pub fn query_opt(
        &mut self,
        sql: &str,
        params: &[&dyn ToValue],
    ) -> Result<Option<Row>, StoreError> {
        let mut rows = self.query(sql, params)?;
        match rows.len() {
            0 => Ok(None),
            1 => Ok(Some(rows.remove(0))),
            n => Err(StoreError::RowCount {
                expected: 1,
                found: n,
                sql: short(sql),
            }),
        }
    }

    /// Runs several statements without parameters (migrations, test set-up).
    pub fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        match &mut self.inner {
            TxInner::Sqlite(c) => c.execute_batch(sql).map_err(|e| StoreError::sql(sql, e)),
            TxInner::Pg { tx, .. } => tx.batch_execute(sql).map_err(|e| StoreError::sql(sql, e)),
        }
    }
}

/// What the bulk loader writes through.
pub(crate) enum TxBulk<'t, 'a> {
    Sqlite(&'a rusqlite::Connection),
    Pg(&'t mut postgres::Transaction<'a>),
}

impl<'a> Tx<'a> {
    pub(crate) fn bulk_target(&mut self) -> TxBulk<'_, 'a> {
        match &mut self.inner {
            TxInner::Sqlite(c) => TxBulk::Sqlite(c),
            TxInner::Pg { tx, .. } => TxBulk::Pg(tx),
        }
    }
}

fn short(sql: &str) -> String {
    let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(120).collect()
}

fn bind_sqlite(
    stmt: &mut rusqlite::CachedStatement<'_>,
    sql: &str,
    params: &[&dyn ToValue],
) -> Result<(), StoreError> {
    if stmt.parameter_count() != params.len() {
        return Err(StoreError::Params {
            sql: short(sql),
            expected: stmt.parameter_count(),
            given: params.len(),
        });
    }
    for (i, p) in params.iter().enumerate() {
        let name = format!("${}", i + 1);
        let idx = stmt
            .parameter_index(&name)
            .map_err(|e| StoreError::sql(sql, e))?
            .ok_or_else(|| StoreError::Params {
                sql: short(sql),
                expected: stmt.parameter_count(),
                given: params.len(),
            })?;
        let v = match p.to_value() {
            Value::Null => rusqlite::types::Value::Null,
            Value::Int(i) => rusqlite::types::Value::Integer(i),
            Value::Bool(b) => rusqlite::types::Value::Integer(i64::from(b)),
            Value::Text(s) => rusqlite::types::Value::Text(s),
            Value::Bytes(b) => rusqlite::types::Value::Blob(b),
            Value::Float(f) => rusqlite::types::Value::Real(f),
        };
        stmt.raw_bind_parameter(idx, v)
            .map_err(|e| StoreError::sql(sql, e))?;
    }
    Ok(())
}

fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Result<Value, StoreError> {
    use rusqlite::types::ValueRef;
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Float(f),
        ValueRef::Text(t) => Value::Text(
            String::from_utf8(t.to_vec())
                .map_err(|e| StoreError::Decode(format!("text is not UTF-8: {e}")))?,
        ),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    })
}

fn pg_prepare(
    tx: &mut postgres::Transaction<'_>,
    stmts: &mut HashMap<String, postgres::Statement>,
    sql: &str,
) -> Result<postgres::Statement, StoreError> {
    if let Some(s) = stmts.get(sql) {
        return Ok(s.clone());
    }
    let s = tx.prepare(sql).map_err(|e| StoreError::sql(sql, e))?;
    stmts.insert(sql.to_owned(), s.clone());
    Ok(s)
}

fn pg_params(params: &[&dyn ToValue]) -> Vec<PgParam> {
    params.iter().map(|p| PgParam(p.to_value())).collect()
}

/// A parameter that adapts to the type PostgreSQL inferred for its placeholder.
#[derive(Debug)]
struct PgParam(Value);

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for PgParam {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        match &self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                _ => Err(format!("integer parameter for a column of type {ty}").into()),
            },
            Value::Bool(b) => match *ty {
                Type::BOOL => b.to_sql(ty, out),
                Type::INT8 => i64::from(*b).to_sql(ty, out),
                _ => Err(format!("boolean parameter for a column of type {ty}").into()),
            },
            Value::Text(s) if <&str as ToSql>::accepts(ty) => s.as_str().to_sql(ty, out),
            Value::Text(_) => Err(format!("text parameter for a column of type {ty}").into()),
            Value::Bytes(b) if *ty == Type::BYTEA => b.as_slice().to_sql(ty, out),
            Value::Bytes(_) => Err(format!("bytes parameter for a column of type {ty}").into()),
            Value::Float(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                _ => Err(format!("float parameter for a column of type {ty}").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A column read as whatever type PostgreSQL sent.
struct PgAny(Value);

impl<'a> FromSql<'a> for PgAny {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let v = match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::OID => Value::Int(i64::from(u32::from_sql(ty, raw)?)),
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::VOID => Value::Null,
            Type::BYTEA => Value::Bytes(Vec::<u8>::from_sql(ty, raw)?),
            Type::FLOAT8 => Value::Float(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Float(f64::from(f32::from_sql(ty, raw)?)),
            _ if <String as FromSql>::accepts(ty) => Value::Text(String::from_sql(ty, raw)?),
            _ => {
                return Err(format!(
                    "column type {ty} is not supported: CAST it to BIGINT or TEXT in the query"
                )
                .into());
            }
        };
        Ok(PgAny(v))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(PgAny(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}
