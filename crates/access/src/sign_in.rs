//! Staff sign-in with a password, with lockout per account and per address.
//!
//! The password is checked outside any transaction (argon2 takes tens of milliseconds and must not
//! hold the SQLite writer); the outcome is then recorded in one short write transaction.

use crate::sessions::{self, NewSession, SessionPolicy};
use crate::{AccessError, now_text, password};
use chrono::{DateTime, Duration, Utc};
use minzheng_store::audit::{self, AuditContext, AuditEntry};
use minzheng_store::{Db, params};

/// Failures in a row after which an account is locked.
pub const ACCOUNT_FAILURE_LIMIT: i64 = 5;
/// How long an account stays locked.
pub const ACCOUNT_LOCK: Duration = Duration::minutes(15);
/// Failures from one address within [`ADDRESS_WINDOW`] after which it is refused.
pub const ADDRESS_FAILURE_LIMIT: i64 = 20;
/// The window over which failures from one address are counted.
pub const ADDRESS_WINDOW: Duration = Duration::minutes(15);

/// A valid argon2id hash of a random string: checked against when the username is unknown, so the
/// answer takes as long as for a known one.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy";

/// An instant as Beijing time of day, for messages.
fn china_time(t: DateTime<Utc>) -> String {
    (t + Duration::hours(8)).format("%H:%M").to_string()
}

/// Signs a staff member in and opens a session.
pub fn password_sign_in(
    db: &Db,
    username: &str,
    given_password: &str,
    address: &str,
    now: DateTime<Utc>,
    policy: &SessionPolicy,
) -> Result<NewSession, AccessError> {
    let username = username.trim().to_lowercase();
    let since = now_text(now - ADDRESS_WINDOW);
    let (address_failures, account) = db.read(|tx| {
        let f: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM sign_in_attempt WHERE address = $1 AND at >= $2 AND success = FALSE",
                params![address, since],
            )?
            .get(0)?;
        let a = tx.query_opt(
            "SELECT id, password_hash, disabled, locked_until, role FROM account WHERE username = $1 AND role <> 'citizen'",
            params![username],
        )?;
        let a = match a {
            Some(r) => Some((
                r.get::<i64>(0)?,
                r.get::<Option<String>>(1)?,
                r.get::<bool>(2)?,
                r.get::<Option<DateTime<Utc>>>(3)?,
            )),
            None => None,
        };
        Ok::<_, AccessError>((f, a))
    })?;
    if address_failures >= ADDRESS_FAILURE_LIMIT {
        return Err(AccessError::TooManyAttempts);
    }
    let stored_hash = account
        .as_ref()
        .and_then(|a| a.1.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_owned());
    let password_ok = password::verify(given_password, &stored_hash) && account.is_some();
    let ctx = AuditContext {
        actor: username.clone(),
        role: "anonymous".into(),
        address: Some(address.to_owned()),
        request_id: None,
    };
    db.write(|tx| -> Result<Result<NewSession, AccessError>, AccessError> {
        let record = |tx: &mut minzheng_store::Tx<'_>, success: bool| {
            tx.execute(
                "INSERT INTO sign_in_attempt (address, username, at, success) VALUES ($1, $2, $3, $4)",
                params![address, username, now_text(now), success],
            )
        };
        let Some((id, _, disabled, locked_until)) = account else {
            record(tx, false)?;
            return Ok(Err(AccessError::BadCredentials));
        };
        if let Some(until) = locked_until.filter(|u| *u > now) {
            record(tx, false)?;
            return Ok(Err(AccessError::Locked(china_time(until))));
        }
        if !password_ok {
            record(tx, false)?;
            let failures: i64 = tx
                .query_one(
                    "UPDATE account SET failed_attempts = failed_attempts + 1 WHERE id = $1 RETURNING failed_attempts",
                    params![id],
                )?
                .get(0)?;
            if failures >= ACCOUNT_FAILURE_LIMIT {
                let until = now + ACCOUNT_LOCK;
                tx.execute(
                    "UPDATE account SET locked_until = $1, failed_attempts = 0 WHERE id = $2",
                    params![now_text(until), id],
                )?;
                audit::append(
                    tx,
                    &ctx,
                    AuditEntry {
                        action: "account.lock",
                        record_type: "account",
                        record_id: id.to_string(),
                        subject_key: None,
                        before: None,
                        after: None,
                        detail: serde_json::json!({ "failures": failures }),
                    },
                )?;
                // Committed, so the lock holds; the caller is told about it.
                return Ok(Err(AccessError::Locked(china_time(until))));
            }
            return Ok(Err(AccessError::BadCredentials));
        }
        if disabled {
            record(tx, false)?;
            return Ok(Err(AccessError::Disabled));
        }
        record(tx, true)?;
        tx.execute("UPDATE account SET failed_attempts = 0, locked_until = NULL WHERE id = $1", params![id])?;
        let session = sessions::create(tx, id, Some(address), now, policy)?;
        audit::append(
            tx,
            &ctx,
            AuditEntry {
                action: "session.sign_in",
                record_type: "account",
                record_id: id.to_string(),
                subject_key: None,
                before: None,
                after: None,
                detail: serde_json::json!({}),
            },
        )?;
        Ok(Ok(session))
    })?
}
