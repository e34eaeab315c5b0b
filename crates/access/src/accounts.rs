//! Staff accounts: created, listed, disabled and reset within the administrator's own scope.

use crate::principal::Principal;
use crate::roles::{Action, Role};
use crate::{AccessError, now_text, password};
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Row, ToValue, Tx, Value, params};
use serde::Serialize;

/// A staff account as lists and pages show it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Its id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role identifier.
    pub role: Role,
    /// Region code prefix it works in.
    pub scope: String,
    /// Institution or office, for those roles.
    pub unit_id: Option<i64>,
    /// Whether it may sign in.
    pub disabled: bool,
    /// Mobile number (masked unless the viewer may unmask).
    pub phone: Option<String>,
    /// Locked until this instant after repeated failures.
    pub locked_until: Option<String>,
}

/// What an administrator fills in to create a staff account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Sign-in name: 3–32 of a–z, 0–9, `.`, `_`, `-`.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Region code prefix (its length must fit the role's level).
    pub scope: String,
    /// Institution or office id, required for those roles.
    pub unit_id: Option<i64>,
    /// Initial password (checked against the rules).
    pub password: String,
    /// Mobile number, optional.
    pub phone: Option<String>,
}

const COLUMNS: &str =
    "id, username, display_name, role, scope, unit_id, disabled, phone, locked_until";

fn from_row(r: &Row) -> Result<Account, AccessError> {
    let role: String = r.get(3)?;
    Ok(Account {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::from_id(&role)
            .ok_or_else(|| AccessError::Internal(format!("unknown role {role}")))?,
        scope: r.get(4)?,
        unit_id: r.get(5)?,
        disabled: r.get(6)?,
        phone: r.get(7)?,
        locked_until: r.get(8)?,
    })
}

/// What the account search box matches: the username and the name's Chinese, pinyin and initials.
fn account_search_keys(username: &str, display_name: &str) -> String {
    let keys = minzheng_kernel::pinyin_keys::search_keys(
        display_name,
        minzheng_kernel::pinyin_keys::NameKind::Person,
    );
    format!(
        "{}{}|",
        keys.to_index_string(),
        minzheng_kernel::pinyin_keys::normalize_query(username)
    )
}

fn validate_username(u: &str) -> Result<(), AccessError> {
    let ok = (3..=32).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AccessError::Invalid(
            "用户名须为 3–32 位小写字母、数字或 . _ -".into(),
        ))
    }
}

/// Checks that `actor` may administer an account of `role` in `scope`.
fn check_reach(actor: &Principal, role: Role, scope: &str) -> Result<(), AccessError> {
    actor.require(Action::AccountManage)?;
    // The command line acts as the system and may manage every staff role, auditors included.
    let system_reach = actor.is_system() && role != Role::Citizen;
    if !(actor.role.may_administer(role) || system_reach) {
        return Err(AccessError::Forbidden(format!(
            "创建或管理“{}”账户",
            role.name_zh()
        )));
    }
    if !actor.scope().contains(scope) {
        return Err(AccessError::Forbidden(format!(
            "管理辖区 {scope} 的账户（您的辖区为 {}）",
            actor.scope_code
        )));
    }
    Ok(())
}

/// Creates a staff account. The scope must lie inside the creator's, and the role may not reach
/// further than the creator's own: a district administrator cannot create a city-wide account.
pub fn create(
    tx: &mut Tx<'_>,
    actor: &Principal,
    new: &NewAccount,
) -> Result<Account, AccessError> {
    let username = new.username.trim().to_lowercase();
    validate_username(&username)?;
    if !new.role.is_staff() {
        return Err(AccessError::Invalid(
            "居民账户由居民本人用手机号登录时建立".into(),
        ));
    }
    let scope = new.scope.trim().to_owned();
    let digits_ok = scope.chars().all(|c| c.is_ascii_digit())
        && new
            .role
            .scope_digits()
            .is_some_and(|d| d.contains(&scope.len()));
    if !digits_ok {
        return Err(AccessError::Invalid(format!(
            "“{}”的辖区应为 {} 位区划代码",
            new.role.name_zh(),
            new.role
                .scope_digits()
                .unwrap_or(&[])
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(" 或 ")
        )));
    }
    if matches!(new.role, Role::InstitutionStaff | Role::MarriageRegistrar) && new.unit_id.is_none()
    {
        return Err(AccessError::Invalid(
            "机构工作人员和婚姻登记员须指定所属机构或登记处".into(),
        ));
    }
    check_reach(actor, new.role, &scope)?;
    password::check_strength(&new.password, &username)?;
    let display_name = new.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 40 {
        return Err(AccessError::Invalid("姓名不能为空，且不超过 40 字".into()));
    }
    let phone = match &new.phone {
        Some(p) if !p.trim().is_empty() => Some(crate::otp::normalize_phone(p)?),
        _ => None,
    };
    let hash = password::hash(&new.password)?;
    let now = now_text(chrono::Utc::now());
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO account (username, display_name, search_keys, role, scope, unit_id, password_hash, phone, disabled,
                    failed_attempts, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, 0, $9, $9) RETURNING {COLUMNS}"
            ),
            params![username, display_name, account_search_keys(&username, display_name), new.role.id(), scope, new.unit_id, hash, phone, now],
        )
        .map_err(|e| {
            if e.is_unique_violation() {
                AccessError::Invalid(format!("用户名 {username} 已被使用"))
            } else {
                e.into()
            }
        })?;
    let account = from_row(&row)?;
    audit::append(
        tx,
        &actor.audit(),
        AuditEntry {
            action: "account.create",
            record_type: "account",
            record_id: account.id.to_string(),
            subject_key: None,
            before: None,
            after: Some(
                serde_json::json!({ "username": account.username, "role": account.role, "scope": account.scope }),
            ),
            detail: serde_json::json!({ "username": account.username, "role": account.role.id(), "scope": account.scope }),
        },
    )?;
    Ok(account)
}

/// Optional filters of the account list.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Only this role.
    pub role: Option<Role>,
    /// Username or display name containing this.
    pub text: Option<String>,
}

fn scoped_query(viewer: &Principal, extra: &str, extra_values: Vec<Value>) -> (String, Vec<Value>) {
    let first = extra_values.len() + 1;
    let (cond, scope_values) = viewer.scope().sql("scope", first);
    let sql = format!(
        "SELECT {COLUMNS} FROM account WHERE role <> 'citizen' AND {cond}{extra} ORDER BY scope, username"
    );
    let mut values = extra_values;
    values.extend(scope_values.into_iter().map(Value::Text));
    (sql, values)
}

fn run(tx: &mut Tx<'_>, sql: &str, values: &[Value]) -> Result<Vec<Row>, AccessError> {
    let refs: Vec<&dyn ToValue> = values.iter().map(|v| v as &dyn ToValue).collect();
    Ok(tx.query(sql, &refs)?)
}

/// Lists and records always show personal data masked, whoever looks: seeing it whole is a
/// separate, audited act ([`reveal_phone`]), not a page choice.
fn mask_for(_viewer: &Principal, mut a: Account) -> Account {
    a.phone = a.phone.map(|p| minzheng_kernel::mask::phone(&p));
    a
}

/// Shows an account's phone number whole to a viewer allowed to unmask, and audits that they did.
pub fn reveal_phone(
    tx: &mut Tx<'_>,
    viewer: &Principal,
    id: i64,
) -> Result<Option<String>, AccessError> {
    viewer.require(Action::PersonUnmask)?;
    let a = get(tx, viewer, id)?;
    let phone: Option<String> = tx
        .query_one("SELECT phone FROM account WHERE id = $1", params![id])?
        .get(0)?;
    audit::append(
        tx,
        &viewer.audit(),
        AuditEntry {
            action: "person.unmask",
            record_type: "account",
            record_id: id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "field": "phone", "username": a.username }),
        },
    )?;
    Ok(phone)
}

/// Changes one's own password after checking the current one; ends one's other sessions.
pub fn change_own_password(
    tx: &mut Tx<'_>,
    me: &Principal,
    current: &str,
    new_password: &str,
) -> Result<(), AccessError> {
    let stored: Option<String> = tx
        .query_opt(
            "SELECT password_hash FROM account WHERE id = $1",
            params![me.account_id],
        )?
        .ok_or(AccessError::NotFound)?
        .get(0)?;
    if !stored.is_some_and(|h| password::verify(current, &h)) {
        return Err(AccessError::Invalid("当前密码不正确".into()));
    }
    reset_password(tx, me, me.account_id, new_password)
}

/// The staff accounts inside the viewer's scope.
pub fn list(
    tx: &mut Tx<'_>,
    viewer: &Principal,
    filter: &AccountFilter,
) -> Result<Vec<Account>, AccessError> {
    viewer.require(Action::AccountRead)?;
    let mut extra = String::new();
    let mut values = Vec::new();
    if let Some(role) = filter.role {
        values.push(Value::Text(role.id().into()));
        extra.push_str(&format!(" AND role = ${}", values.len()));
    }
    if let Some(text) = filter.text.as_ref().filter(|t| !t.trim().is_empty()) {
        values.push(Value::Text(minzheng_store::like_contains(text.trim())));
        extra.push_str(&format!(
            " AND (username LIKE ${0} {1} OR display_name LIKE ${0} {1})",
            values.len(),
            minzheng_store::LIKE_ESCAPE
        ));
    }
    let (sql, values) = scoped_query(viewer, &extra, values);
    run(tx, &sql, &values)?
        .iter()
        .map(|r| from_row(r).map(|a| mask_for(viewer, a)))
        .collect()
}

/// How many staff accounts the viewer can see (the same scope as the list).
pub fn count(tx: &mut Tx<'_>, viewer: &Principal) -> Result<i64, AccessError> {
    viewer.require(Action::AccountRead)?;
    let (cond, values) = viewer.scope().sql("scope", 1);
    let values: Vec<Value> = values.into_iter().map(Value::Text).collect();
    let rows = run(
        tx,
        &format!("SELECT COUNT(*) FROM account WHERE role <> 'citizen' AND {cond}"),
        &values,
    )?;
    Ok(rows[0].get(0)?)
}

/// One account, if it exists inside the viewer's scope; otherwise it does not exist for them.
pub fn get(tx: &mut Tx<'_>, viewer: &Principal, id: i64) -> Result<Account, AccessError> {
    viewer.require(Action::AccountRead)?;
    let (sql, values) = scoped_query(viewer, " AND id = $1", vec![Value::Int(id)]);
    let rows = run(tx, &sql, &values)?;
    rows.first()
        .map(from_row)
        .transpose()?
        .map(|a| mask_for(viewer, a))
        .ok_or(AccessError::NotFound)
}

fn get_for_change(tx: &mut Tx<'_>, actor: &Principal, id: i64) -> Result<Account, AccessError> {
    let a = get(tx, actor, id)?;
    check_reach(actor, a.role, &a.scope)?;
    Ok(a)
}

/// Disables or re-enables an account; disabling also ends its sessions.
pub fn set_disabled(
    tx: &mut Tx<'_>,
    actor: &Principal,
    id: i64,
    disabled: bool,
) -> Result<Account, AccessError> {
    let before = get_for_change(tx, actor, id)?;
    if id == actor.account_id && disabled {
        return Err(AccessError::Invalid("不能停用自己的账户".into()));
    }
    let now = now_text(chrono::Utc::now());
    tx.execute(
        "UPDATE account SET disabled = $1, updated_at = $2 WHERE id = $3",
        params![disabled, now, id],
    )?;
    if disabled {
        crate::sessions::revoke_all(tx, id)?;
    }
    audit::append(
        tx,
        &actor.audit(),
        AuditEntry {
            action: if disabled {
                "account.disable"
            } else {
                "account.enable"
            },
            record_type: "account",
            record_id: id.to_string(),
            subject_key: None,
            before: Some(serde_json::json!({ "disabled": before.disabled })),
            after: Some(serde_json::json!({ "disabled": disabled })),
            detail: serde_json::json!({ "username": before.username }),
        },
    )?;
    get(tx, actor, id)
}

/// Sets a new password chosen by an administrator (or by the user for themself), unlocks the
/// account and ends its sessions.
pub fn reset_password(
    tx: &mut Tx<'_>,
    actor: &Principal,
    id: i64,
    new_password: &str,
) -> Result<(), AccessError> {
    if id == actor.account_id {
        return Err(AccessError::Forbidden(
            "重置自己的密码；请在“我的账户”中输入原密码后修改".into(),
        ));
    }
    let target = get_for_change(tx, actor, id)?;
    password::check_strength(new_password, &target.username)?;
    let hash = password::hash(new_password)?;
    let now = now_text(chrono::Utc::now());
    tx.execute(
        "UPDATE account SET password_hash = $1, failed_attempts = 0, locked_until = NULL, updated_at = $2 WHERE id = $3",
        params![hash, now, id],
    )?;
    crate::sessions::revoke_all(tx, id)?;
    audit::append(
        tx,
        &actor.audit(),
        AuditEntry {
            action: "account.reset_password",
            record_type: "account",
            record_id: id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "username": target.username }),
        },
    )?;
    Ok(())
}

/// Finds an account by username, for the command line (which acts as the system).
pub fn find_by_username(tx: &mut Tx<'_>, username: &str) -> Result<Option<Account>, AccessError> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM account WHERE username = $1"),
        params![username.trim().to_lowercase()],
    )?
    .map(|r| from_row(&r))
    .transpose()
}
