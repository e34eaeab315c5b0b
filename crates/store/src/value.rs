//! The values that cross the database boundary, the same for both backends.
//!
//! Columns use a small set of types on purpose (BIGINT, TEXT, BLOB/BYTEA, BOOLEAN), so one SQL text
//! serves SQLite and PostgreSQL: money is integer fen, dates are `YYYY-MM-DD` text, instants are
//! RFC 3339 UTC text with microseconds (they sort as text).

use crate::StoreError;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// One SQL value, bound as a parameter or read from a row.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// SQL NULL.
    #[default]
    Null,
    /// Any integer column (BIGINT everywhere).
    Int(i64),
    /// Text, also dates and instants.
    Text(String),
    /// BLOB (SQLite) or BYTEA (PostgreSQL).
    Bytes(Vec<u8>),
    /// BOOLEAN on PostgreSQL, 0/1 on SQLite.
    Bool(bool),
    /// Only ever read (averages); money is never a float.
    Float(f64),
}

/// Turns a Rust value into a bound parameter.
pub trait ToValue {
    /// The parameter value.
    fn to_value(&self) -> Value;
}

/// Reads a Rust value out of a column.
pub trait FromValue: Sized {
    /// Converts, or says which type was expected.
    fn from_value(value: Value) -> Result<Self, StoreError>;
}

fn mismatch(expected: &'static str, found: &Value) -> StoreError {
    StoreError::Decode(format!("expected {expected}, found {found:?}"))
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for i64 {
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
}
impl ToValue for i32 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for u32 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Bytes(self.clone())
    }
}
impl ToValue for NaiveDate {
    fn to_value(&self) -> Value {
        Value::Text(self.format("%Y-%m-%d").to_string())
    }
}
impl ToValue for DateTime<Utc> {
    fn to_value(&self) -> Value {
        Value::Text(format_instant(*self))
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}

/// The one text form of an instant, so that instants compare correctly as text on both backends.
pub fn format_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        Ok(value)
    }
}
impl FromValue for i64 {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Int(i) => Ok(i),
            Value::Bool(b) => Ok(i64::from(b)),
            other => Err(mismatch("integer", &other)),
        }
    }
}
impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Bool(b) => Ok(b),
            Value::Int(i) => Ok(i != 0),
            other => Err(mismatch("boolean", &other)),
        }
    }
}
impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Text(s) => Ok(s),
            other => Err(mismatch("text", &other)),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Bytes(b) => Ok(b),
            other => Err(mismatch("bytes", &other)),
        }
    }
}
impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Float(f) => Ok(f),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Ok(i as f64),
            other => Err(mismatch("float", &other)),
        }
    }
}
impl FromValue for NaiveDate {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        let s = String::from_value(value)?;
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|e| StoreError::Decode(format!("bad date {s:?}: {e}")))
    }
}
impl FromValue for DateTime<Utc> {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        let s = String::from_value(value)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Decode(format!("bad instant {s:?}: {e}")))
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// One result row: values in column order.
#[derive(Debug, Clone)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    pub(crate) fn new(values: Vec<Value>) -> Self {
        Row { values }
    }

    /// The value of column `idx` (0-based) as `T`.
    pub fn get<T: FromValue>(&self, idx: usize) -> Result<T, StoreError> {
        let v = self
            .values
            .get(idx)
            .cloned()
            .ok_or_else(|| StoreError::Decode(format!("no column {idx}")))?;
        T::from_value(v).map_err(|e| match e {
            StoreError::Decode(m) => StoreError::Decode(format!("column {idx}: {m}")),
            other => other,
        })
    }

    /// Moves the value of column `idx` out as `T` (leaving NULL behind): no copy of the text,
    /// for loops over many rows.
    pub fn take<T: FromValue>(&mut self, idx: usize) -> Result<T, StoreError> {
        let v = self
            .values
            .get_mut(idx)
            .map(std::mem::take)
            .ok_or_else(|| StoreError::Decode(format!("no column {idx}")))?;
        T::from_value(v).map_err(|e| match e {
            StoreError::Decode(m) => StoreError::Decode(format!("column {idx}: {m}")),
            other => other,
        })
    }

    /// How many columns the row has.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Builds a parameter slice: `params![a, b]` is `&[&a as &dyn ToValue, &b]`.
#[macro_export]
macro_rules! params {
    () => { &[] as &[&dyn $crate::ToValue] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::ToValue),+] as &[&dyn $crate::ToValue] };
}
