//! Sessions kept in the database, so any app instance can serve any request. The cookie carries a
//! random token; the database keeps only its SHA-256, so a copy of the table opens no session.

use crate::principal::Principal;
use crate::roles::Role;
use crate::{AccessError, now_text, random_token};
use chrono::{DateTime, Duration, Utc};
use minzheng_store::{Tx, params};
use sha2::{Digest, Sha256};

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    /// 30 minutes idle, 12 hours absolute: a counter shift, not a week on a shared computer.
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// What a new session hands back: the cookie value and the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The cookie value (never stored).
    pub token: String,
    /// The token every state-changing request of this session must carry.
    pub csrf_token: String,
}

/// A live session with its user.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// The user.
    pub principal: Principal,
    /// The session's CSRF token.
    pub csrf_token: String,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a session for an account.
pub fn create(
    tx: &mut Tx<'_>,
    account_id: i64,
    address: Option<&str>,
    now: DateTime<Utc>,
    policy: &SessionPolicy,
) -> Result<NewSession, AccessError> {
    let token = random_token(32)?;
    let csrf_token = random_token(24)?;
    tx.execute(
        "INSERT INTO session (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at, address, revoked)
         VALUES ($1, $2, $3, $4, $4, $5, $6, FALSE)",
        params![token_hash(&token), account_id, csrf_token, now_text(now), now_text(now + policy.absolute), address],
    )?;
    Ok(NewSession { token, csrf_token })
}

/// How often the last-seen time is written: idle expiry needs no per-request write.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Resolves a cookie token to its user, or `None` when the session is unknown, revoked, idle too
/// long, past its absolute end, or its account is disabled. Returns whether it should be touched.
pub fn lookup(
    tx: &mut Tx<'_>,
    token: &str,
    now: DateTime<Utc>,
    policy: &SessionPolicy,
) -> Result<Option<(LiveSession, bool)>, AccessError> {
    let row = tx.query_opt(
        "SELECT s.csrf_token, s.last_seen_at, s.expires_at, s.revoked,
                a.id, a.username, a.display_name, a.role, a.scope, a.unit_id, a.disabled
         FROM session s JOIN account a ON a.id = s.account_id
         WHERE s.token_hash = $1",
        params![token_hash(token)],
    )?;
    let Some(r) = row else { return Ok(None) };
    let last_seen: DateTime<Utc> = r.get(1)?;
    let expires: DateTime<Utc> = r.get(2)?;
    let revoked: bool = r.get(3)?;
    let disabled: bool = r.get(10)?;
    if revoked || disabled || now >= expires || now - last_seen >= policy.idle {
        return Ok(None);
    }
    let role: String = r.get(7)?;
    let principal = Principal {
        account_id: r.get(4)?,
        username: r.get(5)?,
        display_name: r.get(6)?,
        role: Role::from_id(&role)
            .ok_or_else(|| AccessError::Internal(format!("unknown role {role}")))?,
        scope_code: r.get(8)?,
        unit_id: r.get(9)?,
        address: None,
        request_id: None,
    };
    Ok(Some((
        LiveSession {
            principal,
            csrf_token: r.get(0)?,
        },
        now - last_seen >= TOUCH_EVERY,
    )))
}

/// Records activity, keeping an active session alive.
pub fn touch(tx: &mut Tx<'_>, token: &str, now: DateTime<Utc>) -> Result<(), AccessError> {
    tx.execute(
        "UPDATE session SET last_seen_at = $1 WHERE token_hash = $2",
        params![now_text(now), token_hash(token)],
    )?;
    Ok(())
}

/// Ends one session (sign-out).
pub fn revoke(tx: &mut Tx<'_>, token: &str) -> Result<(), AccessError> {
    tx.execute(
        "UPDATE session SET revoked = TRUE WHERE token_hash = $1",
        params![token_hash(token)],
    )?;
    Ok(())
}

/// Ends every session of an account (sign-out everywhere, disabling, password reset).
pub fn revoke_all(tx: &mut Tx<'_>, account_id: i64) -> Result<u64, AccessError> {
    Ok(tx.execute(
        "UPDATE session SET revoked = TRUE WHERE account_id = $1 AND revoked = FALSE",
        params![account_id],
    )?)
}
