//! Safety inspections (安全生产检查) by 双随机: institutions and inspectors drawn at random from a
//! recorded seed and recorded pools, so anyone can re-run the draw and get the same result; then
//! the inspection record with its findings, a rectification deadline in working days, and the
//! follow-up. States: `planned → rectifying → closed`, or `planned → closed` when nothing was found.

use crate::common::{self, refs, visible};
use crate::{InstitutionsError, rules};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_kernel::params::ParamUnit;
use minzheng_kernel::region::RegionScope;
use minzheng_store::{Tx, Value, params};
use serde::Serialize;

/// Adds an enforcement officer to the inspector pool of a region.
pub fn add_inspector(
    tx: &mut Tx<'_>,
    who: &Principal,
    name: &str,
    certificate_no: &str,
    region: &str,
) -> Result<i64, InstitutionsError> {
    who.require(Action::InspectionManage)?;
    let name = common::required(name, "姓名", 50)?;
    let cert = common::required(certificate_no, "执法证号", 40)?;
    let prefix = RegionScope::parse(region)
        .map_err(|e| InstitutionsError::Invalid(format!("所属区域无效：{e}")))?
        .prefix();
    let code = format!("{prefix:0<12}");
    if !who.scope().contains(&code) {
        return Err(InstitutionsError::Invalid(
            "所属区域超出您的管辖范围".into(),
        ));
    }
    let r = tx.query_one(
        "INSERT INTO inspector (name, certificate_no, region_code, active, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        params![name, cert, code, true, common::now()],
    );
    let id: i64 = match r {
        Ok(row) => row.get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(InstitutionsError::Invalid(format!(
                "执法证号 {cert} 已登记"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    common::audit(
        tx,
        who,
        "inspector.add",
        "inspector",
        id,
        serde_json::json!({ "region": code }),
    )?;
    Ok(id)
}

/// The result of a draw.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Draw {
    /// Draw id.
    pub id: i64,
    /// The seed, as recorded.
    pub seed: u64,
    /// (institution id, inspector ids, inspection id) in drawing order.
    pub picks: Vec<(i64, Vec<i64>, i64)>,
}

fn ids_text(v: &[i64]) -> String {
    v.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn ids_parse(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|p| p.trim().parse().ok()).collect()
}

/// Draws `institutions_drawn` institutions of `region` (open on `drawn_on`) and, for each, as
/// many inspectors as `enforcement.min_officers_on_site` asks (or `inspectors_each` if larger)
/// from the active inspectors in `who`'s scope; plans one inspection per institution.
/// `seed = None` takes one from the clock; it is recorded either way.
pub fn draw(
    tx: &mut Tx<'_>,
    who: &Principal,
    region: &str,
    drawn_on: NaiveDate,
    institutions_drawn: usize,
    inspectors_each: usize,
    seed: Option<u64>,
) -> Result<Draw, InstitutionsError> {
    who.require(Action::InspectionManage)?;
    let prefix = RegionScope::parse(region)
        .map_err(|e| InstitutionsError::Invalid(format!("抽查区域无效：{e}")))?
        .prefix();
    if !who.scope().contains(&format!("{prefix:0<12}")) {
        return Err(InstitutionsError::Invalid(
            "抽查区域超出您的管辖范围".into(),
        ));
    }
    let min = common::param(
        tx,
        "enforcement.min_officers_on_site",
        &format!("{prefix:0<12}"),
        drawn_on,
        ParamUnit::Count,
    )?;
    if (inspectors_each as i64) < min {
        return Err(InstitutionsError::Invalid(format!(
            "每个检查组至少 {min} 名执法人员"
        )));
    }
    if institutions_drawn == 0 {
        return Err(InstitutionsError::Invalid("抽取机构数至少为 1".into()));
    }
    let pool: Vec<i64> = tx
        .query(
            "SELECT id FROM institution WHERE region_code >= $1 AND region_code < $2 AND opened_on <= $3 AND (closed_on IS NULL OR closed_on > $3) ORDER BY id",
            params![prefix.clone(), format!("{prefix}:"), drawn_on],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_, _>>()?;
    let (cond, values) = who.scope().sql("region_code", 1);
    let values: Vec<Value> = values.into_iter().map(Value::Text).collect();
    let inspectors: Vec<i64> = tx
        .query(
            &format!("SELECT id FROM inspector WHERE active = TRUE AND {cond} ORDER BY id"),
            &refs(&values),
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_, _>>()?;
    if pool.is_empty() {
        return Err(InstitutionsError::Invalid("该区域没有可抽查的机构".into()));
    }
    if inspectors.len() < inspectors_each {
        return Err(InstitutionsError::Invalid(format!(
            "执法人员库只有 {} 人，不足每组 {inspectors_each} 人",
            inspectors.len()
        )));
    }
    let seed = seed.unwrap_or_else(|| {
        let t = chrono::Utc::now();
        (t.timestamp() as u64).wrapping_mul(1_000_000_007) ^ u64::from(t.timestamp_subsec_nanos())
    });
    let picks = rules::draw(
        seed,
        &pool,
        &inspectors,
        institutions_drawn,
        inspectors_each,
    );
    let now = common::now();
    let draw_id: i64 = tx
        .query_one(
            "INSERT INTO inspection_draw (region_code, drawn_on, seed, institution_pool, inspector_pool, institutions_drawn, inspectors_each, drawn_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            params![
                prefix,
                drawn_on,
                seed.to_string(),
                ids_text(&pool),
                ids_text(&inspectors),
                institutions_drawn as i64,
                inspectors_each as i64,
                who.username,
                now
            ],
        )?
        .get(0)?;
    let mut out = Vec::new();
    for (inst, team) in picks {
        let region_code: String = tx
            .query_one(
                "SELECT region_code FROM institution WHERE id = $1",
                params![inst],
            )?
            .get(0)?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO safety_inspection (draw_id, institution_id, region_code, inspectors, status, created_at)
                 VALUES ($1, $2, $3, $4, 'planned', $5) RETURNING id",
                params![draw_id, inst, region_code, ids_text(&team), now],
            )?
            .get(0)?;
        out.push((inst, team, id));
    }
    common::audit(
        tx,
        who,
        "inspection.draw",
        "inspection_draw",
        draw_id,
        serde_json::json!({ "seed": seed.to_string(), "pool": pool.len(), "drawn": out.len() }),
    )?;
    Ok(Draw {
        id: draw_id,
        seed,
        picks: out,
    })
}

/// Re-runs a recorded draw from its seed and pools and says whether the planned inspections match.
pub fn recheck(tx: &mut Tx<'_>, who: &Principal, draw_id: i64) -> Result<bool, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let r = tx
        .query_opt(
            "SELECT seed, institution_pool, inspector_pool, institutions_drawn, inspectors_each, region_code FROM inspection_draw WHERE id = $1",
            params![draw_id],
        )?
        .ok_or(InstitutionsError::NotFound)?;
    let region: String = r.get(5)?;
    if !who.scope().contains(&format!("{region:0<12}")) && !who.scope_code.is_empty() {
        return Err(InstitutionsError::NotFound);
    }
    let seed: u64 = r
        .get::<String>(0)?
        .parse()
        .map_err(|_| InstitutionsError::Internal("stored seed".into()))?;
    let expected = rules::draw(
        seed,
        &ids_parse(&r.get::<String>(1)?),
        &ids_parse(&r.get::<String>(2)?),
        r.get::<i64>(3)? as usize,
        r.get::<i64>(4)? as usize,
    );
    let stored: Vec<(i64, Vec<i64>)> = tx
        .query(
            "SELECT institution_id, inspectors FROM safety_inspection WHERE draw_id = $1 ORDER BY id",
            params![draw_id],
        )?
        .iter()
        .map(|r| Ok((r.get(0)?, ids_parse(&r.get::<String>(1)?))))
        .collect::<Result<_, InstitutionsError>>()?;
    Ok(stored == expected)
}

/// Records the inspection: findings (one per line; none means no problem found) and, when there
/// are findings, the rectification deadline `rectification_workdays` working days after the
/// inspection (default `institutions.rectification.workdays`).
pub fn record(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    inspected_on: NaiveDate,
    findings: &str,
    rectification_workdays: Option<u32>,
) -> Result<Option<NaiveDate>, InstitutionsError> {
    who.require(Action::InspectionManage)?;
    let (status, region) = inspection(tx, who, id)?;
    if status != "planned" {
        return Err(InstitutionsError::Invalid("该检查已记录".into()));
    }
    let findings = findings.trim();
    let deadline = if findings.is_empty() {
        None
    } else {
        let n = match rectification_workdays {
            Some(n) if n > 0 => n,
            Some(_) => return Err(InstitutionsError::Invalid("整改期限至少 1 个工作日".into())),
            None => u32::try_from(common::param(
                tx,
                "institutions.rectification.workdays",
                &region,
                inspected_on,
                ParamUnit::Workdays,
            )?)
            .map_err(|_| InstitutionsError::Internal("rectification workdays".into()))?,
        };
        let cal = minzheng_reference::calendar::calendar(tx)?;
        Some(
            cal.add_workdays(inspected_on, n)
                .map_err(|e| InstitutionsError::Invalid(e.to_string()))?
                .date,
        )
    };
    let new_status = if deadline.is_some() {
        "rectifying"
    } else {
        "closed"
    };
    tx.execute(
        "UPDATE safety_inspection SET status = $1, inspected_on = $2, findings = $3, rectification_deadline = $4 WHERE id = $5",
        params![new_status, inspected_on, findings, deadline, id],
    )?;
    common::audit(
        tx,
        who,
        "inspection.record",
        "safety_inspection",
        id,
        serde_json::json!({ "status": new_status, "deadline": deadline }),
    )?;
    Ok(deadline)
}

fn inspection(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
) -> Result<(String, String), InstitutionsError> {
    let (cond, mut values) = visible(who, "region_code", "institution_id", 2);
    values.insert(0, Value::Int(id));
    let r = tx
        .query_opt(
            &format!("SELECT status, region_code FROM safety_inspection WHERE id = $1 AND {cond}"),
            &refs(&values),
        )?
        .ok_or(InstitutionsError::NotFound)?;
    Ok((r.get(0)?, r.get(1)?))
}

/// Records the follow-up of a rectification and closes the inspection.
pub fn follow_up(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    rectified_on: NaiveDate,
    note: &str,
) -> Result<(), InstitutionsError> {
    who.require(Action::InspectionManage)?;
    let (status, _) = inspection(tx, who, id)?;
    if status != "rectifying" {
        return Err(InstitutionsError::Invalid("该检查没有待整改的问题".into()));
    }
    let note = common::required(note, "复查情况", 1000)?;
    tx.execute(
        "UPDATE safety_inspection SET status = 'closed', rectified_on = $1, follow_up = $2 WHERE id = $3",
        params![rectified_on, note, id],
    )?;
    common::audit(
        tx,
        who,
        "inspection.follow_up",
        "safety_inspection",
        id,
        serde_json::json!({ "on": rectified_on }),
    )
}

/// An inspection line of the list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectionLine {
    /// Id.
    pub id: i64,
    /// Institution.
    pub institution: String,
    /// State.
    pub status: String,
    /// Inspector ids.
    pub inspectors: String,
    /// Inspected on.
    pub inspected_on: Option<String>,
    /// Findings.
    pub findings: Option<String>,
    /// Deadline.
    pub deadline: Option<String>,
    /// Whether the deadline has passed without follow-up.
    pub overdue: bool,
}

/// Inspections in scope, open first; overdue rectifications are flagged.
pub fn list(
    tx: &mut Tx<'_>,
    who: &Principal,
    today: NaiveDate,
) -> Result<Vec<InspectionLine>, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let (cond, values) = visible(who, "s.region_code", "s.institution_id", 1);
    let today = today.format("%Y-%m-%d").to_string();
    tx.query(
        &format!(
            "SELECT s.id, i.name, s.status, s.inspectors, s.inspected_on, s.findings, s.rectification_deadline
             FROM safety_inspection s JOIN institution i ON i.id = s.institution_id WHERE {cond}
             ORDER BY s.status = 'closed', s.id DESC LIMIT 200"
        ),
        &refs(&values),
    )?
    .iter()
    .map(|r| {
        let status: String = r.get(2)?;
        let deadline: Option<String> = r.get(6)?;
        Ok(InspectionLine {
            id: r.get(0)?,
            institution: r.get(1)?,
            overdue: status == "rectifying" && deadline.as_deref().is_some_and(|d| d < today.as_str()),
            status,
            inspectors: r.get(3)?,
            inspected_on: r.get(4)?,
            findings: r.get(5)?,
            deadline,
        })
    })
    .collect()
}
