//! The one error type of the storage layer.

/// What can go wrong in the database layer. The `Display` text is for operators' logs and
/// start-up messages; areas map these to their own user-facing messages.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The address given is not one this system understands.
    #[error("数据库地址无效：{0}")]
    BadUrl(String),
    /// The database could not be opened or is not a database.
    #[error("{0}")]
    Open(String),
    /// No connection became free in time.
    #[error("数据库连接繁忙，请稍后重试")]
    PoolTimeout,
    /// A statement failed.
    #[error("SQL 执行失败（{sql}）：{cause}")]
    Sql {
        /// The first characters of the statement.
        sql: String,
        /// The driver's message.
        cause: String,
        /// Whether the failure was a unique or primary key violation.
        unique_violation: bool,
    },
    /// The number of parameters does not match the placeholders.
    #[error("SQL 参数个数不符（{sql}）：需要 {expected} 个，给了 {given} 个")]
    Params {
        /// The first characters of the statement.
        sql: String,
        /// Placeholders in the statement.
        expected: usize,
        /// Parameters given.
        given: usize,
    },
    /// A query returned another number of rows than the caller required.
    #[error("查询应返回 {expected} 行，实际 {found} 行（{sql}）")]
    RowCount {
        /// Rows required.
        expected: usize,
        /// Rows returned.
        found: usize,
        /// The first characters of the statement.
        sql: String,
    },
    /// A column held another type than the caller asked for.
    #[error("数据类型不符：{0}")]
    Decode(String),
    /// Migrations are missing, edited or unknown.
    #[error("{0}")]
    Migration(String),
    /// An attachment was refused (size, type); nothing was stored.
    #[error("{0}")]
    Attachment(String),
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(String),
    /// The audit keys are missing, unreadable or lack a key a row needs.
    #[error("{0}")]
    AuditKeys(String),
}

impl StoreError {
    pub(crate) fn sql(sql: &str, e: impl std::fmt::Display + IsUnique) -> StoreError {
        let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        StoreError::Sql {
            sql: one_line.chars().take(120).collect(),
            unique_violation: e.is_unique(),
            cause: e.to_string(),
        }
    }

    /// True when a unique key refused the write: the caller can turn a retry into "already done".
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            StoreError::Sql {
                unique_violation: true,
                ..
            }
        )
    }
}

/// Whether a driver error is a unique-key violation, the same question on both backends.
pub(crate) trait IsUnique {
    fn is_unique(&self) -> bool;
}

impl IsUnique for rusqlite::Error {
    fn is_unique(&self) -> bool {
        matches!(
            self.sqlite_error_code(),
            Some(rusqlite::ErrorCode::ConstraintViolation)
        ) && self.to_string().contains("UNIQUE")
    }
}

impl IsUnique for postgres::Error {
    fn is_unique(&self) -> bool {
        self.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::sql("", e)
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError::sql("", e)
    }
}
