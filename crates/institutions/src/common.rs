//! What every service of the area shares: the scoped look-up of an institution, the scope
//! condition (region, plus the own institution for institution staff), the audit row, parameters.

use crate::InstitutionsError;
use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_kernel::params::ParamUnit;
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Tx, Value};

/// An institution or facility as the other services need it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InstitutionRef {
    /// Its id (the `unit_id` of its staff accounts).
    pub id: i64,
    /// `institution` or `community_care_facility`.
    pub category: String,
    /// Kind (welfare_home, center, …).
    pub kind: String,
    /// Name.
    pub name: String,
    /// 12-digit region code.
    pub region_code: String,
}

/// The condition that limits rows to what `who` may see: the region scope on `region_col` and, for
/// institution staff, their own institution on `id_col`. Values are numbered from `$first`.
pub fn visible(
    who: &Principal,
    region_col: &str,
    id_col: &str,
    first: usize,
) -> (String, Vec<Value>) {
    let (cond, vals) = who.scope().sql(region_col, first);
    let mut values: Vec<Value> = vals.into_iter().map(Value::Text).collect();
    if who.role == Role::InstitutionStaff {
        let n = first + values.len();
        values.push(Value::Int(who.unit_id.unwrap_or(-1)));
        return (format!("({cond} AND {id_col} = ${n})"), values);
    }
    (cond, values)
}

/// Binds a value list as parameters.
pub fn refs(values: &[Value]) -> Vec<&dyn minzheng_store::ToValue> {
    values
        .iter()
        .map(|v| v as &dyn minzheng_store::ToValue)
        .collect()
}

/// The institution `id` if `who` may see it; otherwise not found (it does not exist for them).
pub fn institution_for(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
) -> Result<InstitutionRef, InstitutionsError> {
    let (cond, mut values) = visible(who, "region_code", "id", 2);
    values.insert(0, Value::Int(id));
    let sql = format!(
        "SELECT id, category, kind, name, region_code FROM institution WHERE id = $1 AND {cond}"
    );
    let row = tx
        .query_opt(&sql, &refs(&values))?
        .ok_or(InstitutionsError::NotFound)?;
    Ok(InstitutionRef {
        id: row.get(0)?,
        category: row.get(1)?,
        kind: row.get(2)?,
        name: row.get(3)?,
        region_code: row.get(4)?,
    })
}

/// The institution of the signed-in institution staff member (the only one they operate).
pub fn own_institution(
    tx: &mut Tx<'_>,
    who: &Principal,
) -> Result<InstitutionRef, InstitutionsError> {
    let id = who.unit_id.ok_or_else(|| {
        InstitutionsError::Invalid("您的账户未关联机构，不能办理机构日常事务".into())
    })?;
    institution_for(tx, who, id)
}

/// Writes the audit row of a change.
pub fn audit(
    tx: &mut Tx<'_>,
    who: &Principal,
    action: &str,
    record_type: &str,
    record_id: i64,
    detail: serde_json::Value,
) -> Result<(), InstitutionsError> {
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action,
            record_type,
            record_id: record_id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail,
        },
    )?;
    Ok(())
}

/// The current instant as stored.
pub fn now() -> String {
    minzheng_store::format_instant(chrono::Utc::now())
}

/// A parameter in `unit` for a region on a date.
pub fn param(
    tx: &mut Tx<'_>,
    key: &str,
    region: &str,
    date: NaiveDate,
    unit: ParamUnit,
) -> Result<i64, InstitutionsError> {
    let set = minzheng_reference::parameters::current(tx)?;
    Ok(set.value_of(key, region, date)?.amount_in(unit)?)
}

/// A required text field, trimmed, or the refusal naming it.
pub fn required(value: &str, label: &str, max_chars: usize) -> Result<String, InstitutionsError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(InstitutionsError::Invalid(format!("请填写{label}")));
    }
    if v.chars().count() > max_chars {
        return Err(InstitutionsError::Invalid(format!(
            "{label}过长：最多 {max_chars} 个字"
        )));
    }
    Ok(v.to_owned())
}

/// A count that may not be negative.
pub fn count(v: i64, label: &str) -> Result<i64, InstitutionsError> {
    if v < 0 {
        return Err(InstitutionsError::Invalid(format!("{label}不能为负数")));
    }
    if v > MAX_PEOPLE {
        return Err(InstitutionsError::Invalid(format!(
            "{label}不能超过 {MAX_PEOPLE}：一所机构的人数不会更多，请核对"
        )));
    }
    Ok(v)
}

/// The most people any count in one institution's report may name (the largest institutions
/// have a few thousand beds).
pub const MAX_PEOPLE: i64 = 20_000;
