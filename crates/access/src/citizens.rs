//! A citizen's account bound to their ID number: the number is validated (GB 11643), stored in its
//! canonical form, unique across accounts, and shown masked.

use crate::principal::Principal;
use crate::roles::Role;
use crate::{AccessError, now_text};
use chrono::NaiveDate;
use minzheng_kernel::id_number::IdNumber;
use minzheng_store::audit::{self, AuditEntry, subject_key};
use minzheng_store::{Tx, params};

/// What a citizen's own page shows about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenProfile {
    /// Phone, masked.
    pub phone: String,
    /// ID number, masked, once bound.
    pub id_number: Option<String>,
    /// Real name, once bound.
    pub real_name: Option<String>,
}

/// The signed-in citizen's profile.
pub fn profile(tx: &mut Tx<'_>, me: &Principal) -> Result<CitizenProfile, AccessError> {
    let r = tx
        .query_opt(
            "SELECT phone, id_number, real_name FROM account WHERE id = $1 AND role = 'citizen'",
            params![me.account_id],
        )?
        .ok_or(AccessError::NotFound)?;
    Ok(CitizenProfile {
        phone: minzheng_kernel::mask::phone(&r.get::<Option<String>>(0)?.unwrap_or_default()),
        id_number: r
            .get::<Option<String>>(1)?
            .map(|n| minzheng_kernel::mask::id_number(&n)),
        real_name: r.get(2)?,
    })
}

/// Binds the citizen's account to their ID number and name. A number typed with spaces, full-width
/// digits or a lowercase x is accepted in its canonical form; a number bound to another account is
/// refused (the person must go to a counter, where staff check the card).
pub fn bind_id_number(
    tx: &mut Tx<'_>,
    me: &Principal,
    id_input: &str,
    real_name: &str,
    today: NaiveDate,
) -> Result<CitizenProfile, AccessError> {
    if me.role != Role::Citizen {
        return Err(AccessError::Forbidden(
            "绑定身份证号码（仅限居民本人）".into(),
        ));
    }
    let parsed =
        IdNumber::parse(id_input, today).map_err(|e| AccessError::Invalid(e.to_string()))?;
    let name = real_name.trim();
    let name_ok = (2..=20).contains(&name.chars().count())
        && name.chars().all(|c| !c.is_ascii_digit() && !c.is_control());
    if !name_ok {
        return Err(AccessError::Invalid(
            "请填写身份证上的姓名（2 至 20 个字）".into(),
        ));
    }
    let number = parsed.id_number.as_str().to_owned();
    let current: Option<String> = tx
        .query_one(
            "SELECT id_number FROM account WHERE id = $1",
            params![me.account_id],
        )?
        .get(0)?;
    if current.as_deref().is_some_and(|c| c != number) {
        return Err(AccessError::Invalid(
            "账户已绑定其他身份证号码；如需更改，请到街道或社区窗口办理".into(),
        ));
    }
    tx.execute(
        "UPDATE account SET id_number = $1, real_name = $2, display_name = $2, updated_at = $3 WHERE id = $4",
        params![number, name, now_text(chrono::Utc::now()), me.account_id],
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            AccessError::Invalid("该身份证号码已绑定其他账户；如非本人操作，请到街道或社区窗口办理".into())
        } else {
            e.into()
        }
    })?;
    audit::append(
        tx,
        &me.audit(),
        AuditEntry {
            action: "account.bind_id_number",
            record_type: "account",
            record_id: me.account_id.to_string(),
            subject_key: Some(subject_key(tx, &number)?),
            before: None,
            after: None,
            detail: serde_json::json!({ "id_number": parsed.id_number.masked() }),
        },
    )?;
    profile(tx, me)
}
