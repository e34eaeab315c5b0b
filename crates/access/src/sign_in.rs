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

/// How long an address stays familiar to an account after a successful sign-in from it.
pub const FAMILIAR_ADDRESS: Duration = Duration::days(30);

/// Signs a staff member in and opens a session.
///
/// The account's failure count is taken before the password is checked, in one conditional update
/// of the account row: of any number of guesses sent at once, at most [`ACCOUNT_FAILURE_LIMIT`] are
/// checked before the account locks, and a right password checked while the lock is being set
/// does not open a session. Whatever the password, nothing else is decided outside that row.
///
/// An address over [`ADDRESS_FAILURE_LIMIT`] is refused for every account that has not signed in
/// from it before, so an office behind one proxy or NAT is not locked out by a colleague's typing,
/// while a new address spraying guesses over many accounts is.
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
    let (address_failures, familiar, account) = db.read(|tx| {
        let f: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM sign_in_attempt WHERE address = $1 AND at >= $2 AND success = FALSE",
                params![address, since],
            )?
            .get(0)?;
        // Asked only of an address over its limit: most sign-ins never need it.
        let familiar = f >= ADDRESS_FAILURE_LIMIT
            && tx
                .query_opt(
                    "SELECT 1 FROM sign_in_attempt WHERE address = $1 AND username = $2 AND success = TRUE AND at >= $3 LIMIT 1",
                    params![address, username, now_text(now - FAMILIAR_ADDRESS)],
                )?
                .is_some();
        let a = tx.query_opt(
            "SELECT id, password_hash FROM account WHERE username = $1 AND role <> 'citizen'",
            params![username],
        )?;
        let a = match a {
            Some(r) => Some((r.get::<i64>(0)?, r.get::<Option<String>>(1)?)),
            None => None,
        };
        Ok::<_, AccessError>((f, familiar, a))
    })?;
    if address_failures >= ADDRESS_FAILURE_LIMIT && !familiar {
        return Err(AccessError::TooManyAttempts);
    }
    let record = |tx: &mut minzheng_store::Tx<'_>, success: bool| {
        tx.execute(
            "INSERT INTO sign_in_attempt (address, username, at, success) VALUES ($1, $2, $3, $4)",
            params![address, username, now_text(now), success],
        )
    };
    let ctx = AuditContext {
        actor: username.clone(),
        role: "anonymous".into(),
        address: Some(address.to_owned()),
        request_id: None,
    };
    let Some((id, stored_hash)) = account else {
        // The same work as for a known account, so the answer does not tell which usernames exist.
        password::verify(given_password, DUMMY_HASH);
        db.write(|tx| record(tx, false))?;
        return Err(AccessError::BadCredentials);
    };
    // Take the attempt first: the count this guess holds decides whether it is checked at all.
    let taken = db.write(|tx| -> Result<Result<i64, AccessError>, AccessError> {
        let row = tx.query_opt(
            "UPDATE account SET failed_attempts = failed_attempts + 1
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) RETURNING failed_attempts",
            params![id, now_text(now)],
        )?;
        match row {
            Some(r) => {
                let n: i64 = r.get(0)?;
                if n > ACCOUNT_FAILURE_LIMIT {
                    record(tx, false)?;
                    return Ok(Err(AccessError::Locked(china_time(now + ACCOUNT_LOCK))));
                }
                Ok(Ok(n))
            }
            None => {
                record(tx, false)?;
                let until: Option<DateTime<Utc>> = tx
                    .query_one("SELECT locked_until FROM account WHERE id = $1", params![id])?
                    .get(0)?;
                Ok(Err(AccessError::Locked(china_time(until.unwrap_or(now + ACCOUNT_LOCK)))))
            }
        }
    })?;
    let attempt = taken?;
    let password_ok = stored_hash
        .as_deref()
        .is_some_and(|h| password::verify(given_password, h));
    db.write(
        |tx| -> Result<Result<NewSession, AccessError>, AccessError> {
            if !password_ok {
                record(tx, false)?;
                if attempt >= ACCOUNT_FAILURE_LIMIT {
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
                            detail: serde_json::json!({ "failures": attempt }),
                        },
                    )?;
                    // Committed, so the lock holds; the caller is told about it.
                    return Ok(Err(AccessError::Locked(china_time(until))));
                }
                return Ok(Err(AccessError::BadCredentials));
            }
            // The right password: it counts only if the account was not locked meanwhile.
            let row = tx.query_opt(
                "UPDATE account SET failed_attempts = 0, locked_until = NULL
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) RETURNING disabled",
                params![id, now_text(now)],
            )?;
            let Some(row) = row else {
                record(tx, false)?;
                let until: Option<DateTime<Utc>> = tx
                    .query_one(
                        "SELECT locked_until FROM account WHERE id = $1",
                        params![id],
                    )?
                    .get(0)?;
                return Ok(Err(AccessError::Locked(china_time(
                    until.unwrap_or(now + ACCOUNT_LOCK),
                ))));
            };
            if row.get::<bool>(0)? {
                record(tx, false)?;
                return Ok(Err(AccessError::Disabled));
            }
            record(tx, true)?;
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
        },
    )?
}
