//! Who may see and change what: staff and citizen accounts, roles and their permission table,
//! region scopes applied in the queries themselves, sessions shared through the database,
//! sign-in with lockout, one-time codes, the audit search and the notification outbox.
//!
//! Every area receives a [`Principal`] and asks it; none checks roles by name.

pub mod accounts;
pub mod audit_search;
pub mod citizens;
pub mod identity;
pub mod notify;
pub mod otp;
pub mod password;
mod principal;
pub mod roles;
pub mod sessions;
pub mod sign_in;

pub use principal::{Principal, Scope};
pub use roles::{Action, Role};

use minzheng_store::StoreError;

/// The one error type of the access layer; `Display` is what the user reads.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Not signed in, or the session ended.
    #[error("请先登录")]
    NotSignedIn,
    /// Signed in, but the permission table does not grant this.
    #[error("您没有权限{0}")]
    Forbidden(String),
    /// The record does not exist for this user (outside the scope, or nowhere).
    #[error("记录不存在")]
    NotFound,
    /// Username or password wrong (deliberately not saying which).
    #[error("用户名或密码错误")]
    BadCredentials,
    /// The account is locked after repeated failures.
    #[error("账户因多次登录失败已锁定，请于 {0} 后再试或联系管理员")]
    Locked(String),
    /// Too many attempts from this address.
    #[error("登录尝试过于频繁，请 15 分钟后再试")]
    TooManyAttempts,
    /// The account is disabled.
    #[error("账户已停用，请联系管理员")]
    Disabled,
    /// The password does not meet the rules.
    #[error("{0}")]
    WeakPassword(String),
    /// Input that must be corrected, with the reason.
    #[error("{0}")]
    Invalid(String),
    /// A one-time code was wrong, expired or used up.
    #[error("{0}")]
    BadCode(String),
    /// Something broke; the user sees a generic message.
    #[error("系统内部错误")]
    Internal(String),
}

impl From<StoreError> for AccessError {
    fn from(e: StoreError) -> Self {
        AccessError::Internal(e.to_string())
    }
}

/// Random bytes as hex: session tokens, CSRF tokens.
pub fn random_token(bytes: usize) -> Result<String, AccessError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| AccessError::Internal(format!("getrandom: {e}")))?;
    Ok(hex::encode(buf))
}

/// The current instant in the one text form the database stores.
pub fn now_text(now: chrono::DateTime<chrono::Utc>) -> String {
    minzheng_store::format_instant(now)
}
