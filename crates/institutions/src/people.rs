//! Residents and staff of one institution (its own staff only): admission and discharge, care level
//! and room, the staff roster and duty shifts, and the acts the five suspensions stop: visits,
//! admission consultations, new admissions, group activities and re-entry after going outside.

use crate::InstitutionsError;
use crate::common::{self, InstitutionRef, own_institution};
use crate::epidemic;
use crate::rules::{self, Suspension};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::params::ParamUnit;
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Tx, params};
use serde::{Deserialize, Serialize};

/// Care levels (照护等级).
pub const CARE_LEVELS: [(&str, &str); 4] = [
    ("self_care", "自理"),
    ("partial", "半失能"),
    ("full", "失能"),
    ("special", "特级护理"),
];

fn operator_unit(tx: &mut Tx<'_>, who: &Principal) -> Result<InstitutionRef, InstitutionsError> {
    who.require(Action::InstitutionOperate)?;
    own_institution(tx, who)
}

/// What is filled in to admit a resident.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewResident {
    /// Name.
    pub name: String,
    /// ID number (GB 11643).
    pub id_number: String,
    /// Care level id.
    pub care_level: String,
    /// Residential area (楼栋/区), where deliveries are sent.
    pub area: String,
    /// Room.
    pub room: String,
    /// Admission day.
    pub admitted_on: NaiveDate,
}

/// A resident as lists show them (ID number masked).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Resident {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// ID number, masked.
    pub id_number_masked: String,
    /// Care level.
    pub care_level: String,
    /// Area.
    pub area: String,
    /// Room.
    pub room: String,
    /// `in`, `away` or `discharged`.
    pub status: String,
    /// Admission day.
    pub admitted_on: String,
}

/// Admits a resident; refused while a closed-management order covers the institution.
pub fn admit(tx: &mut Tx<'_>, who: &Principal, n: &NewResident) -> Result<i64, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let name = common::required(&n.name, "姓名", 50)?;
    let id = IdNumber::parse_strict(n.id_number.trim(), n.admitted_on)
        .map_err(|e| InstitutionsError::Invalid(format!("身份证号码有误：{e}")))?;
    if !CARE_LEVELS.iter().any(|c| c.0 == n.care_level) {
        return Err(InstitutionsError::Invalid(format!(
            "照护等级“{}”无效",
            n.care_level
        )));
    }
    let area = common::required(&n.area, "居住区", 50)?;
    let room = common::required(&n.room, "房间", 20)?;
    epidemic::enforce(tx, &inst, Suspension::NewAdmissions, n.admitted_on)?;
    let present: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM resident WHERE institution_id = $1 AND id_number = $2 AND status <> 'discharged'",
            params![inst.id, id.as_str()],
        )?
        .get(0)?;
    if present > 0 {
        return Err(InstitutionsError::Invalid("此人已在本机构入住".into()));
    }
    let rid: i64 = tx
        .query_one(
            "INSERT INTO resident (institution_id, name, id_number, care_level, area, room, status, admitted_on, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'in', $7, $8) RETURNING id",
            params![inst.id, name, id.as_str(), n.care_level, area, room, n.admitted_on, common::now()],
        )?
        .get(0)?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "resident.admit",
            record_type: "resident",
            record_id: rid.to_string(),
            subject_key: Some(audit::subject_key(tx, id.as_str())?),
            before: None,
            after: None,
            detail: serde_json::json!({ "institution_id": inst.id, "on": n.admitted_on }),
        },
    )?;
    Ok(rid)
}

fn resident_of(
    tx: &mut Tx<'_>,
    inst: &InstitutionRef,
    id: i64,
) -> Result<(String, String), InstitutionsError> {
    let r = tx
        .query_opt(
            "SELECT name, status FROM resident WHERE id = $1 AND institution_id = $2",
            params![id, inst.id],
        )?
        .ok_or(InstitutionsError::NotFound)?;
    Ok((r.get(0)?, r.get(1)?))
}

fn set_status(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    from: &[&str],
    to: &str,
    on: NaiveDate,
    action: &str,
) -> Result<(), InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let (_, status) = resident_of(tx, &inst, id)?;
    if !from.contains(&status.as_str()) {
        return Err(InstitutionsError::Invalid(format!(
            "该老人当前状态为“{}”，不能办理",
            status_zh(&status)
        )));
    }
    let discharged = (to == "discharged").then_some(on);
    tx.execute(
        "UPDATE resident SET status = $1, discharged_on = COALESCE($2, discharged_on) WHERE id = $3",
        params![to, discharged, id],
    )?;
    common::audit(
        tx,
        who,
        action,
        "resident",
        id,
        serde_json::json!({ "on": on }),
    )
}

/// Discharges a resident.
pub fn discharge(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    on: NaiveDate,
) -> Result<(), InstitutionsError> {
    set_status(
        tx,
        who,
        id,
        &["in", "away"],
        "discharged",
        on,
        "resident.discharge",
    )
}

/// Records that a resident went outside (hospital, family); coming back goes through [`record_return`].
pub fn leave(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    on: NaiveDate,
) -> Result<(), InstitutionsError> {
    set_status(tx, who, id, &["in"], "away", on, "resident.leave")
}

/// The residential-status name.
pub fn status_zh(s: &str) -> &str {
    match s {
        "in" => "在院",
        "away" => "外出",
        "discharged" => "已出院",
        other => other,
    }
}

/// The residents of one's own institution (not discharged first).
pub fn residents(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<Resident>, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    tx.query(
        "SELECT id, name, id_number, care_level, area, room, status, admitted_on FROM resident
         WHERE institution_id = $1 ORDER BY status = 'discharged', area, room, id",
        params![inst.id],
    )?
    .iter()
    .map(|r| {
        Ok(Resident {
            id: r.get(0)?,
            name: r.get(1)?,
            id_number_masked: minzheng_kernel::mask::id_number(&r.get::<String>(2)?),
            care_level: r.get(3)?,
            area: r.get(4)?,
            room: r.get(5)?,
            status: r.get(6)?,
            admitted_on: r.get(7)?,
        })
    })
    .collect()
}

/// Records an admission consultation; refused under an order.
pub fn consult(
    tx: &mut Tx<'_>,
    who: &Principal,
    enquirer: &str,
    phone: &str,
    on: NaiveDate,
) -> Result<i64, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let enquirer = common::required(enquirer, "咨询人姓名", 50)?;
    let phone = common::required(phone, "联系电话", 20)?;
    epidemic::enforce(tx, &inst, Suspension::AdmissionConsultations, on)?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO admission_consultation (institution_id, enquirer_name, phone, consulted_on, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            params![inst.id, enquirer, phone, on, who.username, common::now()],
        )?
        .get(0)?;
    common::audit(
        tx,
        who,
        "admission_consultation.record",
        "admission_consultation",
        id,
        serde_json::json!({ "on": on }),
    )?;
    Ok(id)
}

/// Books a family visit; refused under an order.
pub fn request_visit(
    tx: &mut Tx<'_>,
    who: &Principal,
    resident_id: i64,
    visitor: &str,
    on: NaiveDate,
) -> Result<i64, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let visitor = common::required(visitor, "探视人姓名", 50)?;
    let (_, status) = resident_of(tx, &inst, resident_id)?;
    if status != "in" {
        return Err(InstitutionsError::Invalid(
            "该老人不在院，不能预约探视".into(),
        ));
    }
    epidemic::enforce(tx, &inst, Suspension::Visits, on)?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO visit_request (institution_id, resident_id, visitor_name, visit_on, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            params![inst.id, resident_id, visitor, on, who.username, common::now()],
        )?
        .get(0)?;
    common::audit(
        tx,
        who,
        "visit_request.create",
        "visit_request",
        id,
        serde_json::json!({ "on": on }),
    )?;
    Ok(id)
}

/// Schedules a group activity; refused under an order.
pub fn schedule_activity(
    tx: &mut Tx<'_>,
    who: &Principal,
    title: &str,
    on: NaiveDate,
) -> Result<i64, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let title = common::required(title, "活动名称", 100)?;
    epidemic::enforce(tx, &inst, Suspension::GroupActivities, on)?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO group_activity (institution_id, title, activity_on, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            params![inst.id, title, on, who.username, common::now()],
        )?
        .get(0)?;
    common::audit(
        tx,
        who,
        "group_activity.schedule",
        "group_activity",
        id,
        serde_json::json!({ "on": on }),
    )?;
    Ok(id)
}

/// Adds a staff member to the roster.
pub fn add_staff(
    tx: &mut Tx<'_>,
    who: &Principal,
    name: &str,
    post: &str,
    phone: Option<&str>,
) -> Result<i64, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let name = common::required(name, "姓名", 50)?;
    let post = common::required(post, "岗位", 50)?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO staff_member (institution_id, name, post, phone, status, created_at)
             VALUES ($1, $2, $3, $4, 'in', $5) RETURNING id",
            params![
                inst.id,
                name,
                post,
                phone.map(str::trim).filter(|p| !p.is_empty()),
                common::now()
            ],
        )?
        .get(0)?;
    common::audit(
        tx,
        who,
        "staff_member.add",
        "staff_member",
        id,
        serde_json::json!({ "post": post }),
    )?;
    Ok(id)
}

/// A staff member on the roster.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StaffMember {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Post.
    pub post: String,
    /// `in` or `away`.
    pub status: String,
}

/// The roster of one's own institution.
pub fn staff(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<StaffMember>, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    tx.query(
        "SELECT id, name, post, status FROM staff_member WHERE institution_id = $1 ORDER BY id",
        params![inst.id],
    )?
    .iter()
    .map(|r| {
        Ok(StaffMember {
            id: r.get(0)?,
            name: r.get(1)?,
            post: r.get(2)?,
            status: r.get(3)?,
        })
    })
    .collect()
}

/// Records a duty shift (`post = gate` for gate duty) with its length in minutes.
pub fn add_shift(
    tx: &mut Tx<'_>,
    who: &Principal,
    staff_id: i64,
    post: &str,
    on: NaiveDate,
    starts: &str,
    ends: &str,
) -> Result<i64, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let post = common::required(post, "岗位", 30)?;
    let minutes = rules::shift_minutes(starts, ends).ok_or_else(|| {
        InstitutionsError::Invalid("班次时间无效：应为 HH:MM，且上下班时间不同".into())
    })?;
    tx.query_opt(
        "SELECT id FROM staff_member WHERE id = $1 AND institution_id = $2",
        params![staff_id, inst.id],
    )?
    .ok_or(InstitutionsError::NotFound)?;
    let r = tx.query_one(
        "INSERT INTO duty_shift (institution_id, staff_id, post, duty_date, starts_at, ends_at, minutes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        params![inst.id, staff_id, post, on, starts.trim(), ends.trim(), minutes, common::now()],
    );
    let id: i64 = match r {
        Ok(row) => row.get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(InstitutionsError::Invalid("该班次已登记".into()));
        }
        Err(e) => return Err(e.into()),
    };
    common::audit(
        tx,
        who,
        "duty_shift.add",
        "duty_shift",
        id,
        serde_json::json!({ "post": post, "on": on }),
    )?;
    Ok(id)
}

/// Hours on one post per staff member over a period.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DutyHours {
    /// Staff member.
    pub name: String,
    /// Shifts.
    pub shifts: i64,
    /// Total minutes.
    pub minutes: i64,
}

/// Gate duty (or any post) of one's own institution over `[from, to]`.
pub fn duty_hours(
    tx: &mut Tx<'_>,
    who: &Principal,
    post: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DutyHours>, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    tx.query(
        "SELECT s.name, COUNT(*), CAST(SUM(d.minutes) AS BIGINT) FROM duty_shift d JOIN staff_member s ON s.id = d.staff_id
         WHERE d.institution_id = $1 AND d.post = $2 AND d.duty_date >= $3 AND d.duty_date <= $4
         GROUP BY s.id, s.name ORDER BY s.id",
        params![inst.id, post, from, to],
    )?
    .iter()
    .map(|r| {
        Ok(DutyHours {
            name: r.get(0)?,
            shifts: r.get(1)?,
            minutes: r.get(2)?,
        })
    })
    .collect()
}

/// A return from outside and its quarantine.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Reentry {
    /// Id.
    pub id: i64,
    /// `resident` or `staff`.
    pub person_kind: String,
    /// Name.
    pub person_name: String,
    /// Day back at the gate.
    pub returned_on: String,
    /// The order that required the quarantine.
    pub order_id: Option<i64>,
    /// Last day of quarantine.
    pub quarantine_until: Option<String>,
    /// `quarantine`, `cleared` or `entered`.
    pub status: String,
}

/// Records a resident or staff member back at the gate from outside. Under an order they go into
/// a quarantine of `institutions.quarantine.days` days first; otherwise they are cleared at once.
pub fn record_return(
    tx: &mut Tx<'_>,
    who: &Principal,
    person_kind: &str,
    person_id: i64,
    returned_on: NaiveDate,
) -> Result<i64, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let name: String = match person_kind {
        "resident" => {
            let (name, status) = resident_of(tx, &inst, person_id)?;
            if status != "away" {
                return Err(InstitutionsError::Invalid("该老人未登记外出".into()));
            }
            name
        }
        "staff" => tx
            .query_opt(
                "SELECT name FROM staff_member WHERE id = $1 AND institution_id = $2",
                params![person_id, inst.id],
            )?
            .ok_or(InstitutionsError::NotFound)?
            .get(0)?,
        _ => {
            return Err(InstitutionsError::Invalid(
                "人员类别应为老人或工作人员".into(),
            ));
        }
    };
    let open: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM reentry WHERE institution_id = $1 AND person_kind = $2 AND person_id = $3 AND status <> 'entered'",
            params![inst.id, person_kind, person_id],
        )?
        .get(0)?;
    if open > 0 {
        return Err(InstitutionsError::Invalid(
            "此人已有未完成的返回登记".into(),
        ));
    }
    let order = epidemic::in_force(tx, &inst, returned_on)?;
    let (status, until, order_id) = match &order {
        Some(o) => {
            let days = common::param(
                tx,
                "institutions.quarantine.days",
                &inst.region_code,
                returned_on,
                ParamUnit::Days,
            )?;
            (
                "quarantine",
                Some(returned_on + chrono::Days::new(days.max(0) as u64)),
                Some(o.id),
            )
        }
        None => ("cleared", None, None),
    };
    if person_kind == "staff" {
        tx.execute(
            "UPDATE staff_member SET status = 'away' WHERE id = $1",
            params![person_id],
        )?;
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO reentry (institution_id, person_kind, person_id, person_name, returned_on, order_id, quarantine_until, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            params![inst.id, person_kind, person_id, name, returned_on, order_id, until, status, common::now()],
        )?
        .get(0)?;
    common::audit(
        tx,
        who,
        "reentry.record",
        "reentry",
        id,
        serde_json::json!({ "kind": person_kind, "status": status, "order_id": order_id }),
    )?;
    Ok(id)
}

fn reentry_row(
    tx: &mut Tx<'_>,
    inst: &InstitutionRef,
    id: i64,
) -> Result<Reentry, InstitutionsError> {
    let r = tx
        .query_opt(
            "SELECT id, person_kind, person_name, returned_on, order_id, quarantine_until, status FROM reentry WHERE id = $1 AND institution_id = $2",
            params![id, inst.id],
        )?
        .ok_or(InstitutionsError::NotFound)?;
    Ok(Reentry {
        id: r.get(0)?,
        person_kind: r.get(1)?,
        person_name: r.get(2)?,
        returned_on: r.get(3)?,
        order_id: r.get(4)?,
        quarantine_until: r.get(5)?,
        status: r.get(6)?,
    })
}

/// Records that the quarantine was passed (on or after its last day).
pub fn pass_quarantine(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    on: NaiveDate,
) -> Result<(), InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let r = reentry_row(tx, &inst, id)?;
    if r.status != "quarantine" {
        return Err(InstitutionsError::Invalid("该登记不在隔离观察中".into()));
    }
    if let Some(until) = &r.quarantine_until
        && on.format("%Y-%m-%d").to_string() < *until
    {
        return Err(InstitutionsError::Invalid(format!(
            "隔离观察至 {until} 期满，期满前不能解除"
        )));
    }
    tx.execute(
        "UPDATE reentry SET status = 'cleared', passed_on = $1, passed_by = $2 WHERE id = $3",
        params![on, who.username, id],
    )?;
    common::audit(
        tx,
        who,
        "reentry.pass_quarantine",
        "reentry",
        id,
        serde_json::json!({ "on": on }),
    )
}

/// Lets the person back in: allowed once the quarantine is passed, or when no order covers the
/// institution any more (the suspension is released by lifting).
pub fn reenter(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    on: NaiveDate,
) -> Result<(), InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let r = reentry_row(tx, &inst, id)?;
    match r.status.as_str() {
        "cleared" => {}
        "quarantine" => {
            if let Some(o) = epidemic::in_force(tx, &inst, on)? {
                return Err(InstitutionsError::Invalid(format!(
                    "{}；须隔离观察期满并登记后方可入院",
                    o.refusal(Suspension::ReturnsFromOutside)
                )));
            }
        }
        _ => return Err(InstitutionsError::Invalid("此人已入院".into())),
    }
    tx.execute(
        "UPDATE reentry SET status = 'entered', entered_on = $1 WHERE id = $2",
        params![on, id],
    )?;
    let person: i64 = tx
        .query_one("SELECT person_id FROM reentry WHERE id = $1", params![id])?
        .get(0)?;
    let table = if r.person_kind == "resident" {
        "resident"
    } else {
        "staff_member"
    };
    tx.execute(
        &format!("UPDATE {table} SET status = 'in' WHERE id = $1"),
        params![person],
    )?;
    common::audit(
        tx,
        who,
        "reentry.enter",
        "reentry",
        id,
        serde_json::json!({ "on": on }),
    )
}

/// Open returns of one's own institution.
pub fn reentries(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<Reentry>, InstitutionsError> {
    let inst = operator_unit(tx, who)?;
    let ids: Vec<i64> = tx
        .query(
            "SELECT id FROM reentry WHERE institution_id = $1 AND status <> 'entered' ORDER BY id",
            params![inst.id],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_, _>>()?;
    ids.into_iter()
        .map(|id| reentry_row(tx, &inst, id))
        .collect()
}
