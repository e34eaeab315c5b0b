//! Bulk loading: the fast path for imports, synthetic data and payroll lines.
//!
//! PostgreSQL gets `COPY … FROM STDIN` (text format); SQLite gets one cached prepared `INSERT`
//! run per row inside the caller's transaction, which is what SQLite is fastest at. Either way the
//! rows land in the caller's transaction: all or nothing.

use crate::db::TxBulk;
use crate::{StoreError, Tx, Value};
use std::io::Write;

fn copy_escape(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"\\N"),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        Value::Float(f) => out.extend_from_slice(f.to_string().as_bytes()),
        Value::Text(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
        Value::Bytes(bytes) => {
            out.extend_from_slice(b"\\\\x");
            for b in bytes {
                out.extend_from_slice(format!("{b:02x}").as_bytes());
            }
        }
    }
}

impl Tx<'_> {
    /// Inserts many rows into `table` (`columns` in order) and returns how many were written.
    /// Names are the caller's constants, never user input.
    pub fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &mut dyn Iterator<Item = Vec<Value>>,
    ) -> Result<u64, StoreError> {
        let cols = columns.join(", ");
        match self.bulk_target() {
            TxBulk::Sqlite(c) => {
                let placeholders: Vec<String> =
                    (1..=columns.len()).map(|i| format!("?{i}")).collect();
                let sql = format!(
                    "INSERT INTO {table} ({cols}) VALUES ({})",
                    placeholders.join(", ")
                );
                let mut stmt = c
                    .prepare_cached(&sql)
                    .map_err(|e| StoreError::sql(&sql, e))?;
                let mut n = 0_u64;
                for row in rows {
                    if row.len() != columns.len() {
                        return Err(StoreError::Params {
                            sql: sql.clone(),
                            expected: columns.len(),
                            given: row.len(),
                        });
                    }
                    for (i, v) in row.into_iter().enumerate() {
                        let v = match v {
                            Value::Null => rusqlite::types::Value::Null,
                            Value::Int(i) => rusqlite::types::Value::Integer(i),
                            Value::Bool(b) => rusqlite::types::Value::Integer(i64::from(b)),
                            Value::Text(s) => rusqlite::types::Value::Text(s),
                            Value::Bytes(b) => rusqlite::types::Value::Blob(b),
                            Value::Float(f) => rusqlite::types::Value::Real(f),
                        };
                        stmt.raw_bind_parameter(i + 1, v)
                            .map_err(|e| StoreError::sql(&sql, e))?;
                    }
                    stmt.raw_execute().map_err(|e| StoreError::sql(&sql, e))?;
                    n += 1;
                }
                Ok(n)
            }
            TxBulk::Pg(tx) => {
                let sql = format!("COPY {table} ({cols}) FROM STDIN");
                let mut writer = tx.copy_in(&sql).map_err(|e| StoreError::sql(&sql, e))?;
                let mut buf = Vec::with_capacity(1 << 20);
                let mut n = 0_u64;
                for row in rows {
                    if row.len() != columns.len() {
                        return Err(StoreError::Params {
                            sql: sql.clone(),
                            expected: columns.len(),
                            given: row.len(),
                        });
                    }
                    for (i, v) in row.iter().enumerate() {
                        if i > 0 {
                            buf.push(b'\t');
                        }
                        copy_escape(v, &mut buf);
                    }
                    buf.push(b'\n');
                    n += 1;
                    if buf.len() >= 1 << 20 {
                        writer
                            .write_all(&buf)
                            .map_err(|e| StoreError::Io(format!("COPY {table}: {e}")))?;
                        buf.clear();
                    }
                }
                writer
                    .write_all(&buf)
                    .map_err(|e| StoreError::Io(format!("COPY {table}: {e}")))?;
                writer.finish().map_err(|e| StoreError::sql(&sql, e))?;
                Ok(n)
            }
        }
    }
}
