//! Daily health reports, incident reports that escalate at once to the district and the city
//! worklists, and the dashboard of who reported today.

use crate::InstitutionsError;
use crate::common::{self, refs, visible};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_store::{Tx, Value, params};
use serde::{Deserialize, Serialize};

/// A daily health report as filled in.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewHealthReport {
    /// The institution reporting (must be one's own).
    pub institution_id: i64,
    /// The day reported on (not in the future).
    pub report_date: NaiveDate,
    /// Residents with fever.
    pub residents_fever: i64,
    /// Residents with other symptoms.
    pub residents_symptoms: i64,
    /// Staff with fever.
    pub staff_fever: i64,
    /// Staff with other symptoms.
    pub staff_symptoms: i64,
    /// People in isolation.
    pub in_isolation: i64,
    /// People tested that day.
    pub tested: i64,
}

/// Submits a daily health report. Refused for a future date, for an institution outside one's own,
/// and a second time for the same day.
pub fn submit_health_report(
    tx: &mut Tx<'_>,
    who: &Principal,
    n: &NewHealthReport,
    today: NaiveDate,
) -> Result<i64, InstitutionsError> {
    who.require(Action::InstitutionOperate)?;
    let inst = common::institution_for(tx, who, n.institution_id)
        .map_err(|_| InstitutionsError::Invalid("只能为本机构上报健康日报".into()))?;
    if n.report_date > today {
        return Err(InstitutionsError::Invalid(format!(
            "不能为未来日期 {} 上报健康日报（今天是 {today}）",
            n.report_date
        )));
    }
    for (v, label) in [
        (n.residents_fever, "发热老人数"),
        (n.residents_symptoms, "有症状老人数"),
        (n.staff_fever, "发热工作人员数"),
        (n.staff_symptoms, "有症状工作人员数"),
        (n.in_isolation, "隔离人数"),
        (n.tested, "检测人数"),
    ] {
        common::count(v, label)?;
    }
    let r = tx.query_one(
        "INSERT INTO health_report (institution_id, region_code, report_date, residents_fever, residents_symptoms, staff_fever, staff_symptoms, in_isolation, tested, reported_by, reported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        params![
            inst.id,
            inst.region_code,
            n.report_date,
            n.residents_fever,
            n.residents_symptoms,
            n.staff_fever,
            n.staff_symptoms,
            n.in_isolation,
            n.tested,
            who.username,
            common::now()
        ],
    );
    let id: i64 = match r {
        Ok(row) => row.get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(InstitutionsError::Invalid(format!(
                "{} 的健康日报已上报",
                n.report_date
            )));
        }
        Err(e) => return Err(e.into()),
    };
    common::audit(
        tx,
        who,
        "health_report.submit",
        "health_report",
        id,
        serde_json::json!({ "institution_id": inst.id, "date": n.report_date }),
    )?;
    Ok(id)
}

/// An incident as reported.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewIncident {
    /// `suspected` or `confirmed`.
    pub kind: String,
    /// `resident` or `staff`.
    pub person_kind: String,
    /// How many people.
    pub persons: i64,
    /// When it happened (not in the future).
    pub occurred_on: NaiveDate,
    /// What happened (no names needed).
    pub description: String,
}

/// Reports an incident of one's own institution and puts it on the district and city worklists
/// in the same transaction; returns its id.
pub fn report_incident(
    tx: &mut Tx<'_>,
    who: &Principal,
    n: &NewIncident,
    today: NaiveDate,
) -> Result<i64, InstitutionsError> {
    who.require(Action::InstitutionOperate)?;
    let inst = common::own_institution(tx, who)?;
    if !matches!(n.kind.as_str(), "suspected" | "confirmed") {
        return Err(InstitutionsError::Invalid("类别应为疑似或确诊".into()));
    }
    if !matches!(n.person_kind.as_str(), "resident" | "staff") {
        return Err(InstitutionsError::Invalid(
            "人员类别应为老人或工作人员".into(),
        ));
    }
    if n.persons < 1 {
        return Err(InstitutionsError::Invalid("人数至少为 1".into()));
    }
    if n.occurred_on > today {
        return Err(InstitutionsError::Invalid("发生日期不能晚于今天".into()));
    }
    let description = common::required(&n.description, "情况说明", 1000)?;
    let now = common::now();
    let id: i64 = tx
        .query_one(
            "INSERT INTO incident (institution_id, region_code, kind, person_kind, persons, occurred_on, description, reported_by, reported_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            params![inst.id, inst.region_code, n.kind, n.person_kind, n.persons, n.occurred_on, description, who.username, now],
        )?
        .get(0)?;
    let district = format!(
        "{:0<12}",
        &inst.region_code[..6.min(inst.region_code.len())]
    );
    for (level, code) in [("district", district.as_str()), ("city", "500000000000")] {
        tx.execute(
            "INSERT INTO incident_worklist (incident_id, level, region_code, created_at) VALUES ($1, $2, $3, $4)",
            params![id, level, code, now],
        )?;
    }
    // Tell the district's administrators and the city's at once (the outbox delivers it).
    let recipients: Vec<String> = tx
        .query(
            "SELECT username FROM account WHERE disabled = FALSE AND ((role = 'district_admin' AND scope = $1) OR (role = 'city_admin' AND scope = '50')) ORDER BY id",
            params![&inst.region_code[..6.min(inst.region_code.len())]],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_, _>>()?;
    let subject = format!(
        "{}：{}{} {} 人",
        inst.name,
        if n.kind == "confirmed" {
            "确诊"
        } else {
            "疑似"
        },
        if n.person_kind == "staff" {
            "工作人员"
        } else {
            "老人"
        },
        n.persons
    );
    for r in recipients {
        minzheng_access::notify::enqueue(
            tx,
            &who.audit(),
            minzheng_access::notify::Channel::Staff,
            &r,
            &subject,
            &format!(
                "{}（{}）。请在“疫情事件督办”签收。",
                description, n.occurred_on
            ),
            chrono::Utc::now(),
        )?;
    }
    common::audit(
        tx,
        who,
        "incident.report",
        "incident",
        id,
        serde_json::json!({ "kind": n.kind, "persons": n.persons, "escalated": ["district", "city"] }),
    )?;
    Ok(id)
}

/// A worklist line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WorkItem {
    /// Worklist item id.
    pub id: i64,
    /// `district` or `city`.
    pub level: String,
    /// Incident id.
    pub incident_id: i64,
    /// Institution name.
    pub institution: String,
    /// Institution region.
    pub region_code: String,
    /// `suspected` or `confirmed`.
    pub kind: String,
    /// People.
    pub persons: i64,
    /// When.
    pub occurred_on: String,
    /// What.
    pub description: String,
    /// Acknowledged at.
    pub acknowledged_at: Option<String>,
    /// By whom.
    pub acknowledged_by: Option<String>,
}

/// The worklist level of a user: the city for city-wide accounts, the district otherwise.
pub fn level_of(who: &Principal) -> &'static str {
    if who.scope_code.len() <= 2 {
        "city"
    } else {
        "district"
    }
}

/// The incidents escalated to `who`'s level, inside their scope, unacknowledged first.
pub fn worklist(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<WorkItem>, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let (cond, mut values) = visible(who, "i.region_code", "i.institution_id", 2);
    values.insert(0, Value::Text(level_of(who).into()));
    let sql = format!(
        "SELECT w.id, w.level, i.id, n.name, i.region_code, i.kind, i.persons, i.occurred_on, i.description, w.acknowledged_at, w.acknowledged_by
         FROM incident_worklist w JOIN incident i ON i.id = w.incident_id JOIN institution n ON n.id = i.institution_id
         WHERE w.level = $1 AND {cond}
         ORDER BY w.acknowledged_at IS NOT NULL, w.id DESC LIMIT 200"
    );
    tx.query(&sql, &refs(&values))?
        .iter()
        .map(|r| {
            Ok(WorkItem {
                id: r.get(0)?,
                level: r.get(1)?,
                incident_id: r.get(2)?,
                institution: r.get(3)?,
                region_code: r.get(4)?,
                kind: r.get(5)?,
                persons: r.get(6)?,
                occurred_on: r.get(7)?,
                description: r.get(8)?,
                acknowledged_at: r.get(9)?,
                acknowledged_by: r.get(10)?,
            })
        })
        .collect()
}

/// Acknowledges a worklist item of one's own level and scope.
pub fn acknowledge(tx: &mut Tx<'_>, who: &Principal, id: i64) -> Result<(), InstitutionsError> {
    who.require(Action::EpidemicOrderManage)?;
    let item = worklist(tx, who)?
        .into_iter()
        .find(|w| w.id == id)
        .ok_or(InstitutionsError::NotFound)?;
    if item.acknowledged_at.is_some() {
        return Err(InstitutionsError::Invalid("该事项已签收".into()));
    }
    tx.execute(
        "UPDATE incident_worklist SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3",
        params![common::now(), who.username, id],
    )?;
    common::audit(
        tx,
        who,
        "incident.acknowledge",
        "incident_worklist",
        id,
        serde_json::json!({}),
    )
}

/// The dashboard of one day over `who`'s scope.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Dashboard {
    /// The day.
    pub date: NaiveDate,
    /// Institutions and facilities open on the day.
    pub units: i64,
    /// Of those, how many reported for the day.
    pub reporting: i64,
    /// How many did not.
    pub missing: i64,
    /// The first of those that did not (by region), for follow-up.
    pub missing_list: Vec<(i64, String, String)>,
    /// People with fever reported that day (residents and staff).
    pub fever: i64,
    /// People in isolation reported that day.
    pub in_isolation: i64,
    /// Suspected incidents up to the day.
    pub suspected: i64,
    /// Confirmed infections (persons) up to the day.
    pub infections: i64,
    /// Day of the last confirmed case.
    pub last_case_on: Option<String>,
    /// Days from the last confirmed case to the day (`None`: no case ever).
    pub days_since_last_case: Option<i64>,
}

/// Computes the dashboard (four statements, each served by an index).
pub fn dashboard(
    tx: &mut Tx<'_>,
    who: &Principal,
    date: NaiveDate,
) -> Result<Dashboard, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let (cond, vals) = visible(who, "region_code", "id", 2);
    let mut v = vec![Value::Text(date.format("%Y-%m-%d").to_string())];
    v.extend(vals);
    let units: i64 = tx
        .query_one(
            &format!(
                "SELECT COUNT(*) FROM institution WHERE opened_on <= $1 AND (closed_on IS NULL OR closed_on > $1) AND {cond}"
            ),
            &refs(&v),
        )?
        .get(0)?;
    let (hcond, hvals) = visible(who, "region_code", "institution_id", 2);
    let mut hv = vec![v[0].clone()];
    hv.extend(hvals);
    let r = tx.query_one(
        &format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(residents_fever + staff_fever), 0) AS BIGINT), CAST(COALESCE(SUM(in_isolation), 0) AS BIGINT)
             FROM health_report WHERE report_date = $1 AND {hcond}"
        ),
        &refs(&hv),
    )?;
    let reporting: i64 = r.get(0)?;
    let fever: i64 = r.get(1)?;
    let in_isolation: i64 = r.get(2)?;
    let (mcond, mvals) = visible(who, "i.region_code", "i.id", 2);
    let mut mv = vec![v[0].clone()];
    mv.extend(mvals);
    let missing_list = tx
        .query(
            &format!(
                "SELECT i.id, i.name, i.region_code FROM institution i
                 WHERE i.opened_on <= $1 AND (i.closed_on IS NULL OR i.closed_on > $1) AND {mcond}
                   AND NOT EXISTS (SELECT 1 FROM health_report h WHERE h.institution_id = i.id AND h.report_date = $1)
                 ORDER BY i.region_code, i.id LIMIT 20"
            ),
            &refs(&mv),
        )?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .collect::<Result<Vec<_>, InstitutionsError>>()?;
    let r = tx.query_one(
        &format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'suspected' THEN persons ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN kind = 'confirmed' THEN persons ELSE 0 END), 0) AS BIGINT),
                    MAX(CASE WHEN kind = 'confirmed' THEN occurred_on END)
             FROM incident WHERE occurred_on <= $1 AND {hcond}"
        ),
        &refs(&hv),
    )?;
    let suspected: i64 = r.get(0)?;
    let infections: i64 = r.get(1)?;
    let last_case_on: Option<String> = r.get(2)?;
    let days_since_last_case = last_case_on
        .as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .map(|d| (date - d).num_days());
    Ok(Dashboard {
        date,
        units,
        reporting,
        missing: units - reporting,
        missing_list,
        fever,
        in_isolation,
        suspected,
        infections,
        last_case_on,
        days_since_last_case,
    })
}
