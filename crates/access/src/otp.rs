//! Citizens sign in with their mobile number and a one-time code sent by SMS. The first sign-in
//! creates the citizen's account; binding it to an ID number is a separate, validated step.

use crate::notify;
use crate::sessions::{self, NewSession, SessionPolicy};
use crate::{AccessError, now_text};
use chrono::{DateTime, Duration, Utc};
use minzheng_store::audit::{self, AuditContext, AuditEntry};
use minzheng_store::{Tx, params};
use sha2::{Digest, Sha256};

/// How long a code is valid.
pub const CODE_VALIDITY: Duration = Duration::minutes(5);
/// Least time between two codes to one phone.
pub const RESEND_AFTER: Duration = Duration::seconds(60);
/// Codes one address may request per hour.
pub const ADDRESS_HOURLY_LIMIT: i64 = 10;
/// Codes one phone may receive per day (each one is a paid text message to a real person).
pub const PHONE_DAILY_LIMIT: i64 = 10;
/// Codes one address may request per day.
pub const ADDRESS_DAILY_LIMIT: i64 = 30;
/// Wrong tries allowed per code.
pub const MAX_TRIES: i64 = 5;

/// Checks and normalises a mainland mobile number: 11 digits starting with 1 (spaces, dashes and
/// a +86 prefix are removed).
pub fn normalize_phone(input: &str) -> Result<String, AccessError> {
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let digits = digits.strip_prefix("+86").unwrap_or(&digits).to_owned();
    let ok =
        digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(digits)
    } else {
        Err(AccessError::Invalid(
            "手机号码应为 11 位数字，以 1 开头".into(),
        ))
    }
}

fn code_hash(phone: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{phone}:{code}").as_bytes()))
}

fn six_digits() -> Result<String, AccessError> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map_err(|e| AccessError::Internal(format!("getrandom: {e}")))?;
    Ok(format!("{:06}", u32::from_le_bytes(b) % 1_000_000))
}

/// Sends a code to `phone` (through the outbox). Returns the code's id.
pub fn request_code(
    tx: &mut Tx<'_>,
    phone: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<i64, AccessError> {
    let phone = normalize_phone(phone)?;
    let recent: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM one_time_code WHERE phone = $1 AND created_at > $2",
            params![phone, now_text(now - RESEND_AFTER)],
        )?
        .get(0)?;
    if recent > 0 {
        return Err(AccessError::BadCode("验证码已发送，请 60 秒后再试".into()));
    }
    let from_address: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM one_time_code WHERE address = $1 AND created_at > $2",
            params![address, now_text(now - Duration::hours(1))],
        )?
        .get(0)?;
    if from_address >= ADDRESS_HOURLY_LIMIT {
        return Err(AccessError::BadCode(
            "获取验证码过于频繁，请 1 小时后再试".into(),
        ));
    }
    let day = now_text(now - Duration::hours(24));
    let to_phone: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM one_time_code WHERE phone = $1 AND created_at > $2",
            params![phone, day],
        )?
        .get(0)?;
    if to_phone >= PHONE_DAILY_LIMIT {
        return Err(AccessError::BadCode(format!(
            "该手机号 24 小时内已获取 {PHONE_DAILY_LIMIT} 次验证码，请明天再试"
        )));
    }
    let from_address_today: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM one_time_code WHERE address = $1 AND created_at > $2",
            params![address, day],
        )?
        .get(0)?;
    if from_address_today >= ADDRESS_DAILY_LIMIT {
        return Err(AccessError::BadCode(
            "本网络 24 小时内获取验证码次数过多，请明天再试".into(),
        ));
    }
    let code = six_digits()?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO one_time_code (phone, code_hash, address, created_at, expires_at, attempts, used)
             VALUES ($1, $2, $3, $4, $5, 0, FALSE) RETURNING id",
            params![phone, code_hash(&phone, &code), address, now_text(now), now_text(now + CODE_VALIDITY)],
        )?
        .get(0)?;
    let ctx = AuditContext {
        actor: "anonymous".into(),
        role: "anonymous".into(),
        address: Some(address.into()),
        request_id: None,
    };
    notify::enqueue_secret(
        tx,
        &ctx,
        notify::Channel::Sms,
        &phone,
        "登录验证码",
        &format!("您的民政综合服务平台登录验证码为 {code}，5 分钟内有效。如非本人操作，请忽略。"),
        now,
    )?;
    Ok(id)
}

/// Checks a code and signs the citizen in, creating their account on first sign-in.
/// Returns the session, or an error saying what was wrong (the tries are counted either way).
pub fn sign_in_with_code(
    tx: &mut Tx<'_>,
    phone: &str,
    code: &str,
    address: &str,
    now: DateTime<Utc>,
    policy: &SessionPolicy,
) -> Result<Result<NewSession, AccessError>, AccessError> {
    let phone = normalize_phone(phone)?;
    let row = tx.query_opt(
        "SELECT id, code_hash, attempts FROM one_time_code
         WHERE phone = $1 AND used = FALSE AND expires_at > $2 ORDER BY id DESC LIMIT 1",
        params![phone, now_text(now)],
    )?;
    let Some(row) = row else {
        return Ok(Err(AccessError::BadCode(
            "验证码已过期或未发送，请重新获取".into(),
        )));
    };
    let (id, hash, attempts): (i64, String, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
    if attempts >= MAX_TRIES {
        return Ok(Err(AccessError::BadCode(
            "验证码错误次数过多，请重新获取".into(),
        )));
    }
    if hash != code_hash(&phone, code.trim()) {
        tx.execute(
            "UPDATE one_time_code SET attempts = attempts + 1 WHERE id = $1",
            params![id],
        )?;
        return Ok(Err(AccessError::BadCode("验证码错误".into())));
    }
    tx.execute(
        "UPDATE one_time_code SET used = TRUE WHERE id = $1",
        params![id],
    )?;
    let existing = tx.query_opt(
        "SELECT id, disabled FROM account WHERE phone = $1 AND role = 'citizen'",
        params![phone],
    )?;
    let ctx = AuditContext {
        actor: format!("citizen:{}", minzheng_kernel::mask::phone(&phone)),
        role: "citizen".into(),
        address: Some(address.into()),
        request_id: None,
    };
    let account_id = match existing {
        Some(r) => {
            if r.get::<bool>(1)? {
                return Ok(Err(AccessError::Disabled));
            }
            r.get::<i64>(0)?
        }
        None => {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO account (username, display_name, search_keys, role, scope, phone, disabled, failed_attempts, created_at, updated_at)
                     VALUES ($1, $2, '', 'citizen', '', $3, FALSE, 0, $4, $4) RETURNING id",
                    params![format!("citizen-{phone}"), "居民", phone, now_text(now)],
                )?
                .get(0)?;
            audit::append(
                tx,
                &ctx,
                AuditEntry {
                    action: "account.create_citizen",
                    record_type: "account",
                    record_id: id.to_string(),
                    subject_key: None,
                    before: None,
                    after: None,
                    detail: serde_json::json!({ "phone": minzheng_kernel::mask::phone(&phone) }),
                },
            )?;
            id
        }
    };
    let session = sessions::create(tx, account_id, Some(address), now, policy)?;
    audit::append(
        tx,
        &ctx,
        AuditEntry {
            action: "session.sign_in",
            record_type: "account",
            record_id: account_id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "method": "one_time_code" }),
        },
    )?;
    Ok(Ok(session))
}
