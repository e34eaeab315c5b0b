//! Dated policy parameters in the database. The seed (data/policy-parameters.csv, compiled into the
//! kernel) is copied in on start-up, row by row, only where a row is missing; administrators add
//! superseding rows. No row is ever updated or deleted, so any past month can be recomputed with
//! exactly the values it was paid with.

use crate::ReferenceError;
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_kernel::params::{Confidence, ParamKey, ParamRow, ParamSet, ParamUnit, ParamValue};
use minzheng_store::audit::{self, AuditContext, AuditEntry};
use minzheng_store::{Row, Tx, params};

const COLUMNS: &str = "key, region_scope, value, unit, valid_from, source, confidence, note";

fn from_row(r: &Row) -> Result<ParamRow, ReferenceError> {
    let unit: ParamUnit = r.get::<String>(3)?.parse()?;
    let confidence: Confidence = r.get::<String>(6)?.parse()?;
    Ok(ParamRow {
        key: ParamKey::new(&r.get::<String>(0)?)?,
        region_scope: r.get(1)?,
        value: ParamValue::new(r.get(2)?, unit)?,
        valid_from: r.get(4)?,
        source: r.get(5)?,
        confidence,
        note: r.get(7)?,
    })
}

fn insert(tx: &mut Tx<'_>, row: &ParamRow, origin: &str, by: &str) -> Result<(), ReferenceError> {
    tx.execute(
        "INSERT INTO policy_parameter (key, region_scope, value, unit, valid_from, source, confidence, note, origin, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        params![
            row.key.as_str(),
            row.region_scope,
            row.value.amount(),
            row.unit().code(),
            row.valid_from,
            row.source,
            row.confidence.code(),
            row.note,
            origin,
            minzheng_store::format_instant(chrono::Utc::now()),
            by
        ],
    )?;
    Ok(())
}

/// Copies the seed rows that the database does not have yet; returns how many were added.
/// Safe to run at every start and from several instances at once (the unique key decides).
pub fn sync_seed(tx: &mut Tx<'_>) -> Result<usize, ReferenceError> {
    if tx.backend() == minzheng_store::Backend::Postgres {
        // Instances starting together take turns here instead of colliding on the unique key.
        tx.query("SELECT pg_advisory_xact_lock(7210002)", params![])?;
    }
    let existing = parameter_set(tx)?;
    let mut added = 0;
    for row in ParamSet::builtin().rows() {
        let present = existing
            .history(row.key.as_str(), &row.region_scope)
            .iter()
            .any(|r| r.valid_from == row.valid_from);
        if !present {
            insert(tx, row, "seed", "system:seed")?;
            added += 1;
        }
    }
    if added > 0 {
        audit::append(
            tx,
            &AuditContext::system("seed"),
            AuditEntry {
                action: "parameter.seed",
                record_type: "policy_parameter",
                record_id: "seed".into(),
                subject_key: None,
                before: None,
                after: None,
                detail: serde_json::json!({ "rows": added }),
            },
        )?;
    }
    Ok(added)
}

/// The parameter set as `parameter_set` reads it, parsed once per version of the table and shared:
/// the services of a busy page or a booking rush read it on every request. Rows are only ever
/// added (a new dated row supersedes an older one), so the row count, the highest id, the newest
/// creation time and the sum of values identify the set; a change of any of them reloads it. A few
/// versions are kept, for processes that serve several databases (tests, benchmarks).
pub fn current(tx: &mut Tx<'_>) -> Result<std::sync::Arc<ParamSet>, ReferenceError> {
    use std::sync::{Arc, Mutex};
    type Version = (i64, i64, String, i64);
    static CACHE: Mutex<Vec<(Version, Arc<ParamSet>)>> = Mutex::new(Vec::new());
    let r = tx.query_one(
        "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(MAX(created_at), ''),
                COALESCE(CAST(SUM(value) AS BIGINT), 0) FROM policy_parameter",
        params![],
    )?;
    let version: Version = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
    if let Some((_, set)) = CACHE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|(v, _)| *v == version)
    {
        return Ok(set.clone());
    }
    let set = Arc::new(parameter_set(tx)?);
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    cache.retain(|(v, _)| *v != version);
    cache.push((version, set.clone()));
    if cache.len() > 8 {
        cache.remove(0);
    }
    Ok(set)
}

/// Every parameter row in the database as the set rules read: `value_of(key, region, date)`.
pub fn parameter_set(tx: &mut Tx<'_>) -> Result<ParamSet, ReferenceError> {
    let rows = tx.query(
        &format!("SELECT {COLUMNS} FROM policy_parameter ORDER BY id"),
        params![],
    )?;
    let parsed: Vec<ParamRow> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok(ParamSet::from_rows(parsed)?)
}

/// What an administrator fills in to supersede a parameter from a date.
#[derive(Debug, Clone)]
pub struct NewParameter {
    /// Existing key.
    pub key: String,
    /// Region scope (`50`, a district, or empty for national).
    pub region_scope: String,
    /// Value typed in the key's unit (money in yuan, e.g. `770` or `770.50`).
    pub value: String,
    /// First day it applies.
    pub valid_from: NaiveDate,
    /// Where it comes from (document number, notice).
    pub source: String,
    /// Confidence mark.
    pub confidence: Confidence,
    /// Short explanation.
    pub note: String,
}

fn parse_value(text: &str, unit: ParamUnit) -> Result<i64, ReferenceError> {
    let t = text.trim();
    match unit {
        ParamUnit::Fen | ParamUnit::FenPerMonth => {
            let (yuan, frac) = t.split_once('.').unwrap_or((t, ""));
            let ok = !yuan.is_empty()
                && yuan.chars().all(|c| c.is_ascii_digit())
                && frac.len() <= 2
                && frac.chars().all(|c| c.is_ascii_digit());
            if !ok {
                return Err(ReferenceError::Invalid(format!(
                    "金额“{t}”无效：应为元，最多两位小数，如 770 或 770.50"
                )));
            }
            let fen = format!("{frac:0<2}").parse::<i64>().unwrap_or(0);
            yuan.parse::<i64>()
                .ok()
                .and_then(|y| y.checked_mul(100))
                .and_then(|y| y.checked_add(fen))
                .ok_or_else(|| ReferenceError::Invalid(format!("金额“{t}”过大")))
        }
        _ => t.parse::<i64>().map_err(|_| {
            ReferenceError::Invalid(format!("“{t}”应为整数（单位：{}）", unit.label_zh()))
        }),
    }
}

/// Adds a dated row that supersedes the key's earlier rows from `valid_from` on, for the scope.
/// The key must exist (its unit is fixed); the same key, scope and date cannot be given twice.
pub fn add(
    tx: &mut Tx<'_>,
    actor: &Principal,
    new: &NewParameter,
) -> Result<ParamRow, ReferenceError> {
    actor.require(Action::ParameterManage)?;
    let set = parameter_set(tx)?;
    let key = ParamKey::new(new.key.trim())?;
    let unit = set
        .rows()
        .iter()
        .find(|r| r.key == key)
        .map(|r| r.unit())
        .ok_or_else(|| ReferenceError::Invalid(format!("参数 {} 不存在", key.as_str())))?;
    let scope = new.region_scope.trim().to_owned();
    if !scope.chars().all(|c| c.is_ascii_digit()) || ![0, 2, 4, 6, 9, 12].contains(&scope.len()) {
        return Err(ReferenceError::Invalid(
            "适用区划应为空（全国）或 2、4、6、9、12 位区划代码".into(),
        ));
    }
    if new.source.trim().is_empty() {
        return Err(ReferenceError::Invalid(
            "请填写依据（文件名称和文号）".into(),
        ));
    }
    let row = ParamRow {
        key,
        region_scope: scope,
        value: ParamValue::new(parse_value(&new.value, unit)?, unit)?,
        valid_from: new.valid_from,
        source: new.source.trim().to_owned(),
        confidence: new.confidence,
        note: new.note.trim().to_owned(),
    };
    // Checks the row against the whole set (duplicates, unit) before anything is written.
    set.with_row(row.clone())?;
    insert(tx, &row, "admin", &actor.username)?;
    audit::append(
        tx,
        &actor.audit(),
        AuditEntry {
            action: "parameter.add",
            record_type: "policy_parameter",
            record_id: format!(
                "{}@{}@{}",
                row.key.as_str(),
                row.region_scope,
                row.valid_from
            ),
            subject_key: None,
            before: None,
            after: Some(serde_json::json!({ "value": row.value.amount(), "unit": unit.code() })),
            detail: serde_json::json!({ "key": row.key.as_str(), "scope": row.region_scope, "valid_from": row.valid_from, "value": row.value.amount() }),
        },
    )?;
    Ok(row)
}
