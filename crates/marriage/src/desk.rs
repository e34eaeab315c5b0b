//! The registrar's desk, scoped to the registrar's own office (`principal.unit_id`): the day's
//! list, check-in with both ID numbers (the booking checks run again on the day), registration
//! with a unique certificate number, refusal with the legal reason, and the divorce cooling-off.

use crate::MarriageError;
use crate::rules::{self, Kind, Party, status};
use crate::services::{
    APPOINTMENT_COLUMNS, Appointment, BookingRules, appointment_from, appointment_row,
    married_in_registry, open_divorce,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use minzheng_access::{Action, Principal};
use minzheng_kernel::id_number::IdNumber;
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Tx, format_instant, params};
use serde::Serialize;

/// The registrar's office, or a refusal for an account without one.
pub fn own_office(
    tx: &mut Tx<'_>,
    who: &Principal,
) -> Result<crate::offices::Office, MarriageError> {
    who.require(Action::MarriageDesk)?;
    let id = who
        .unit_id
        .ok_or_else(|| MarriageError::Invalid("您的账户未关联婚姻登记处，请联系管理员".into()))?;
    crate::offices::office(tx, id)
}

/// The appointments of the registrar's office on `day`, by window.
pub fn day_list(
    tx: &mut Tx<'_>,
    who: &Principal,
    day: NaiveDate,
) -> Result<Vec<Appointment>, MarriageError> {
    let o = own_office(tx, who)?;
    tx.query(
        &format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM appointment a JOIN marriage_office o ON o.id = a.office_id
             WHERE a.office_id = $1 AND a.day = $2 AND a.status <> 'cancelled' ORDER BY a.starts_at, a.id"
        ),
        params![o.id, day],
    )?
    .iter()
    .map(appointment_from)
    .collect()
}

fn desk_appointment(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
) -> Result<(crate::offices::Office, Appointment), MarriageError> {
    let o = own_office(tx, who)?;
    let appt = appointment_row(tx, id)?;
    if appt.office_id != o.id {
        return Err(MarriageError::NotFound);
    }
    Ok((o, appt))
}

/// One appointment of the registrar's office.
pub fn appointment(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
) -> Result<Appointment, MarriageError> {
    Ok(desk_appointment(tx, who, id)?.1)
}

fn parties(tx: &mut Tx<'_>, id: i64) -> Result<(Party, Party), MarriageError> {
    let r = tx.query_one(
        "SELECT party1_name, party1_id_number, party1_hukou, party2_name, party2_id_number, party2_hukou FROM appointment WHERE id = $1",
        params![id],
    )?;
    let far = NaiveDate::from_ymd_opt(2999, 12, 31).unwrap_or_default();
    let p = |name: String, idn: String, hukou: String| -> Result<Party, MarriageError> {
        Ok(Party {
            name,
            id: IdNumber::parse_strict(&idn, far)
                .map_err(|e| MarriageError::Internal(e.to_string()))?,
            hukou,
        })
    };
    Ok((
        p(r.get(0)?, r.get(1)?, r.get(2)?)?,
        p(r.get(3)?, r.get(4)?, r.get(5)?)?,
    ))
}

#[allow(clippy::too_many_arguments)]
fn set_status(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    from: &str,
    to: &str,
    reason: Option<&str>,
    certificate: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), MarriageError> {
    let n = tx.execute(
        "UPDATE appointment SET status = $3, outcome_reason = $4, certificate_number = $5, updated_at = $6 WHERE id = $1 AND status = $2",
        params![id, from, to, reason, certificate, format_instant(now)],
    )?;
    if n != 1 {
        return Err(MarriageError::Conflict);
    }
    if to != status::CHECKED_IN {
        tx.execute(
            "UPDATE appointment_person SET active = FALSE WHERE appointment_id = $1",
            params![id],
        )?;
    }
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "marriage.appointment.status",
            record_type: "appointment",
            record_id: id.to_string(),
            subject_key: None,
            before: Some(serde_json::json!({ "status": from })),
            after: Some(serde_json::json!({ "status": to })),
            detail: serde_json::json!({ "status": to, "reason": reason, "certificate": certificate }),
        },
    )?;
    Ok(())
}

/// Checks both parties in: the ID numbers shown at the desk must be the booked ones (either
/// order), and every check of booking is run again for today. A failed check writes nothing; the
/// registrar then refuses with the reason.
pub fn check_in(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    id_numbers: [&str; 2],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Appointment, MarriageError> {
    let (o, appt) = desk_appointment(tx, who, id)?;
    crate::services::lock_audit_head(tx)?;
    if appt.status != status::BOOKED {
        return Err(MarriageError::Invalid(format!(
            "该预约状态为“{}”，不能签到",
            appt.status_zh()
        )));
    }
    if appt.day != today {
        return Err(MarriageError::Invalid(format!(
            "该预约的登记日为 {}，不是今天",
            appt.day
        )));
    }
    let (a, b) = parties(tx, id)?;
    let mut given: Vec<String> = id_numbers.iter().map(|s| s.trim().to_uppercase()).collect();
    given.sort();
    let mut booked = vec![a.id.as_str().to_owned(), b.id.as_str().to_owned()];
    booked.sort();
    if given != booked {
        return Err(MarriageError::Invalid(
            "出示的身份证号码与预约的双方不一致：须双方本人到场".into(),
        ));
    }
    let r = BookingRules::load(tx)?;
    rules::check_parties(appt.kind, &a, &b, today, &r.params)?;
    rules::office_may_serve(&o.region_code, &a, &b, today, &r.params)?;
    if appt.kind == Kind::Marriage
        && let Some(x) = married_in_registry(tx, [a.id.as_str(), b.id.as_str()])?
    {
        let name = if x == a.id.as_str() { &a.name } else { &b.name };
        return Err(MarriageError::Invalid(format!(
            "{name} 在婚姻登记记录中为已婚（民法典第一千零四十二条）"
        )));
    }
    set_status(
        tx,
        who,
        id,
        status::BOOKED,
        status::CHECKED_IN,
        None,
        None,
        now,
    )?;
    appointment_row(tx, id)
}

fn next_certificate(
    tx: &mut Tx<'_>,
    office: &crate::offices::Office,
    prefix: &str,
    year: i32,
) -> Result<String, MarriageError> {
    tx.execute(
        "INSERT INTO marriage_certificate_counter (office_id, prefix, year, last) VALUES ($1, $2, $3, 0)
         ON CONFLICT (office_id, prefix, year) DO NOTHING",
        params![office.id, prefix, i64::from(year)],
    )?;
    let seq: i64 = tx
        .query_one(
            "UPDATE marriage_certificate_counter SET last = last + 1 WHERE office_id = $1 AND prefix = $2 AND year = $3 RETURNING last",
            params![office.id, prefix, i64::from(year)],
        )?
        .get(0)?;
    Ok(rules::certificate_number(prefix, &office.code, year, seq))
}

#[allow(clippy::too_many_arguments)]
fn issue(
    tx: &mut Tx<'_>,
    who: &Principal,
    office: &crate::offices::Office,
    prefix: &str,
    kind: &str,
    day: NaiveDate,
    ids: [&str; 2],
    appointment_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<String, MarriageError> {
    let number = next_certificate(tx, office, prefix, day.year())?;
    tx.execute(
        "INSERT INTO marriage_certificate (certificate_number, kind, office_id, day, party1_id_number, party2_id_number, appointment_id, registrar, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![number, kind, office.id, day, ids[0], ids[1], appointment_id, who.username, format_instant(now)],
    )?;
    Ok(number)
}

/// What registering a checked-in appointment produced.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The appointment after.
    pub appointment: Appointment,
    /// The certificate issued, if one was.
    pub certificate_number: Option<String>,
    /// The divorce application opened, for a divorce with cooling-off.
    pub divorce_application_id: Option<i64>,
}

/// Registers a checked-in appointment: a marriage (结婚证 J…), a divorce application (the
/// cooling-off starts; registered on the spot when no cooling-off applies, before 2021), the
/// certificate of a divorce whose cooling-off has ended, or a reissue (B…).
pub fn register(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Outcome, MarriageError> {
    let (o, appt) = desk_appointment(tx, who, id)?;
    crate::services::lock_audit_head(tx)?;
    if appt.status != status::CHECKED_IN {
        return Err(MarriageError::Invalid("请先为双方办理签到".into()));
    }
    let (a, b) = parties(tx, id)?;
    let ids = [a.id.as_str(), b.id.as_str()];
    let r = BookingRules::load(tx)?;
    let (certificate, reason, divorce_id) = match appt.kind {
        Kind::Marriage => {
            let number = issue(tx, who, &o, "J", "marriage", today, ids, Some(id), now)?;
            let inserted = tx.execute(
                "INSERT INTO marriage_bond (party1_id_number, party2_id_number, married_on, certificate_number) VALUES ($1, $2, $3, $4)",
                params![ids[0], ids[1], today, number],
            );
            match inserted {
                Err(e) if e.is_unique_violation() => {
                    return Err(MarriageError::Invalid(
                        "一方在婚姻登记记录中已为已婚，不能登记".into(),
                    ));
                }
                other => {
                    other?;
                }
            }
            (Some(number), Some("结婚登记，已发结婚证".to_owned()), None)
        }
        Kind::Divorce => {
            let (cool_end, window_end) = rules::cooling_off(today, &r.calendar, &r.params)?;
            if cool_end == today {
                let number = issue(tx, who, &o, "L", "divorce", today, ids, Some(id), now)?;
                end_bond(tx, ids, today, &number)?;
                (
                    Some(number),
                    Some("当场办理离婚登记，已发离婚证".to_owned()),
                    None,
                )
            } else {
                let app_id: i64 = tx
                    .query_one(
                        "INSERT INTO divorce_application (office_id, appointment_id, party1_name, party1_id_number, party2_name, party2_id_number,
                            received_on, cool_end, window_end, status, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'cooling', $10, $10) RETURNING id",
                        params![o.id, id, a.name, ids[0], b.name, ids[1], today, cool_end, window_end, format_instant(now)],
                    )?
                    .get(0)?;
                (
                    None,
                    Some(format!(
                        "已受理离婚登记申请，冷静期至 {cool_end}；{window_end} 前双方须共同到场申请发证"
                    )),
                    Some(app_id),
                )
            }
        }
        Kind::DivorceCompletion => {
            let Some((app_id, cool_end, window_end)) = open_divorce(tx, ids)? else {
                return Err(MarriageError::Invalid(
                    "未找到双方正在办理的离婚登记申请".into(),
                ));
            };
            if today <= cool_end {
                return Err(MarriageError::Invalid(format!(
                    "冷静期至 {cool_end} 届满，届满前不能发证"
                )));
            }
            if today > window_end {
                return Err(MarriageError::Invalid(format!(
                    "已超过 {window_end}：冷静期届满后 30 日内未申请发证，视为撤回离婚登记申请"
                )));
            }
            let number = issue(tx, who, &o, "L", "divorce", today, ids, Some(id), now)?;
            end_bond(tx, ids, today, &number)?;
            tx.execute(
                "UPDATE divorce_application SET status = 'registered', ended_on = $2, certificate_number = $3, updated_at = $4 WHERE id = $1",
                params![app_id, today, number, format_instant(now)],
            )?;
            (
                Some(number),
                Some("离婚登记，已发离婚证".to_owned()),
                Some(app_id),
            )
        }
        Kind::Reissue => {
            let number = issue(tx, who, &o, "B", "reissue", today, ids, Some(id), now)?;
            (Some(number), Some("已补发婚姻登记证".to_owned()), None)
        }
    };
    set_status(
        tx,
        who,
        id,
        status::CHECKED_IN,
        status::DONE,
        reason.as_deref(),
        certificate.as_deref(),
        now,
    )?;
    Ok(Outcome {
        appointment: appointment_row(tx, id)?,
        certificate_number: certificate,
        divorce_application_id: divorce_id,
    })
}

fn end_bond(
    tx: &mut Tx<'_>,
    ids: [&str; 2],
    day: NaiveDate,
    number: &str,
) -> Result<(), MarriageError> {
    tx.execute(
        "UPDATE marriage_bond SET divorced_on = $3, divorce_certificate_number = $4
         WHERE divorced_on IS NULL AND ((party1_id_number = $1 AND party2_id_number = $2) OR (party1_id_number = $2 AND party2_id_number = $1))",
        params![ids[0], ids[1], day, number],
    )?;
    Ok(())
}

/// Refuses a booked or checked-in appointment with one of the legal reasons (and a note).
pub fn refuse(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    reason_code: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Appointment, MarriageError> {
    let (_, appt) = desk_appointment(tx, who, id)?;
    crate::services::lock_audit_head(tx)?;
    let Some(text) = rules::refusal_reason(reason_code) else {
        return Err(MarriageError::Invalid("请选择不予办理的法定理由".into()));
    };
    if appt.status != status::BOOKED && appt.status != status::CHECKED_IN {
        return Err(MarriageError::Invalid(format!(
            "该预约状态为“{}”，不能再作处理",
            appt.status_zh()
        )));
    }
    let note = note.trim();
    let reason = if note.is_empty() {
        text.to_owned()
    } else {
        format!("{text}：{note}")
    };
    set_status(
        tx,
        who,
        id,
        &appt.status,
        status::REFUSED,
        Some(&reason),
        None,
        now,
    )?;
    appointment_row(tx, id)
}

/// A divorce application as the desk follows it.
#[derive(Debug, Clone, Serialize)]
pub struct DivorceApplication {
    /// Id.
    pub id: i64,
    /// Names.
    pub party1_name: String,
    /// Second party's name.
    pub party2_name: String,
    /// Day received (day 0).
    pub received_on: NaiveDate,
    /// Last day of the cooling-off.
    pub cool_end: NaiveDate,
    /// Last day to appear together for the certificate.
    pub window_end: NaiveDate,
    /// Stored status: `cooling`, `withdrawn`, `registered`, `deemed_withdrawn`.
    pub status: String,
    /// The state today, in Chinese.
    pub state_zh: String,
    /// Ending reason.
    pub ended_reason: Option<String>,
}

/// The state of a divorce application on `today`, per RULES §8.3.
pub fn divorce_state(
    status: &str,
    cool_end: NaiveDate,
    window_end: NaiveDate,
    today: NaiveDate,
) -> &'static str {
    match status {
        "withdrawn" => "已撤回",
        "registered" => "已登记离婚",
        "deemed_withdrawn" => "视为撤回",
        _ if today <= cool_end => "冷静期中",
        _ if today <= window_end => "待双方到场申请发证",
        _ => "视为撤回",
    }
}

/// The divorce applications of the registrar's office, newest first.
pub fn divorce_applications(
    tx: &mut Tx<'_>,
    who: &Principal,
    today: NaiveDate,
) -> Result<Vec<DivorceApplication>, MarriageError> {
    let o = own_office(tx, who)?;
    tx.query(
        "SELECT id, party1_name, party2_name, received_on, cool_end, window_end, status, ended_reason
         FROM divorce_application WHERE office_id = $1 ORDER BY id DESC LIMIT 200",
        params![o.id],
    )?
    .iter()
    .map(|r| {
        let status: String = r.get(6)?;
        let (cool_end, window_end) = (r.get(4)?, r.get(5)?);
        Ok(DivorceApplication {
            id: r.get(0)?,
            party1_name: r.get(1)?,
            party2_name: r.get(2)?,
            received_on: r.get(3)?,
            cool_end,
            window_end,
            state_zh: divorce_state(&status, cool_end, window_end, today).into(),
            status,
            ended_reason: r.get(7)?,
        })
    })
    .collect()
}

/// Records a withdrawal by either party during the cooling-off (撤回离婚登记申请): the party's ID
/// number must be one of the two; the application ends.
pub fn withdraw_divorce(
    tx: &mut Tx<'_>,
    who: &Principal,
    application_id: i64,
    party_id_number: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), MarriageError> {
    let o = own_office(tx, who)?;
    crate::services::lock_audit_head(tx)?;
    let r = tx
        .query_opt(
            "SELECT party1_id_number, party2_id_number, status, cool_end FROM divorce_application WHERE id = $1 AND office_id = $2",
            params![application_id, o.id],
        )?
        .ok_or(MarriageError::NotFound)?;
    let (p1, p2, st, cool_end): (String, String, String, NaiveDate) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
    let given = party_id_number.trim().to_uppercase();
    if given != p1 && given != p2 {
        return Err(MarriageError::Invalid(
            "撤回须由申请的一方本人凭身份证办理".into(),
        ));
    }
    if st != "cooling" || today > cool_end {
        return Err(MarriageError::Invalid(
            "只能在冷静期内撤回离婚登记申请".into(),
        ));
    }
    tx.execute(
        "UPDATE divorce_application SET status = 'withdrawn', ended_on = $2, ended_reason = '一方于冷静期内撤回申请', updated_at = $3 WHERE id = $1 AND status = 'cooling'",
        params![application_id, today, format_instant(now)],
    )?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "marriage.divorce.withdraw",
            record_type: "divorce_application",
            record_id: application_id.to_string(),
            subject_key: Some(audit::subject_key(tx, &given)?),
            before: Some(serde_json::json!({ "status": "cooling" })),
            after: Some(serde_json::json!({ "status": "withdrawn" })),
            detail: serde_json::json!({ "day": today }),
        },
    )?;
    Ok(())
}
