//! Booking and cancelling appointments: every check of RULES §8 before a place is taken, and a
//! place taken only by the conditional update that cannot overbook.

use crate::MarriageError;
use crate::rules::{self, Kind, Party, status};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use minzheng_access::{Action, Principal, Role, notify};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::params::ParamSet;
use minzheng_reference::calendar::CalendarInForce;
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Row, Tx, format_instant, params};
use serde::{Deserialize, Serialize};

/// What the rules of a booking read, loaded once per transaction (the writer loads it once for a
/// whole batch).
pub struct BookingRules {
    /// The dated parameters.
    pub params: std::sync::Arc<ParamSet>,
    /// The calendar in force.
    pub calendar: CalendarInForce,
}

impl BookingRules {
    /// Loads the parameters and the calendar in force.
    pub fn load(tx: &mut Tx<'_>) -> Result<BookingRules, MarriageError> {
        Ok(BookingRules {
            params: minzheng_reference::parameters::current(tx)?,
            calendar: minzheng_reference::calendar::calendar(tx)?,
        })
    }
}

/// On PostgreSQL, takes the audit chain's head lock first. Every change here ends by appending
/// to the audit log, which locks the head; taking it before the slot rows gives every writer of
/// this area the same lock order (head, then slots), so two instances cannot deadlock.
pub fn lock_audit_head(tx: &mut Tx<'_>) -> Result<(), MarriageError> {
    if tx.backend() == minzheng_store::Backend::Postgres {
        tx.query(
            "SELECT last_seq FROM audit_head WHERE id = 1 FOR UPDATE",
            params![],
        )?;
    }
    Ok(())
}

fn transient(e: &MarriageError) -> bool {
    match e {
        MarriageError::Conflict => true,
        MarriageError::Store(s) => {
            let m = s.to_string();
            m.contains("deadlock") || m.contains("could not serialize")
        }
        _ => false,
    }
}

/// One party as typed into the booking form.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PartyInput {
    /// Name as on the ID card.
    pub name: String,
    /// The 18-character ID number.
    pub id_number: String,
    /// The 6-digit county code of the 户籍.
    pub hukou: String,
}

/// A booking request.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct BookingInput {
    /// The slot.
    pub slot_id: i64,
    /// What for.
    pub kind: Kind,
    /// The first party (the one booking, or their partner).
    pub party1: PartyInput,
    /// The second party.
    pub party2: PartyInput,
    /// A key the client makes once per booking and sends again on a retry.
    pub idempotency_key: String,
}

/// An appointment as its holder and the desk see it (ID numbers masked).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Appointment {
    /// Id (the booking number).
    pub id: i64,
    /// The slot.
    pub slot_id: i64,
    /// The office.
    pub office_id: i64,
    /// Office name.
    pub office_name: String,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    /// Window start.
    pub starts_at: String,
    /// What for.
    pub kind: Kind,
    /// `booked`, `cancelled`, `checked_in`, `done`, `refused`, `no_show`.
    pub status: String,
    /// First party's name.
    pub party1_name: String,
    /// First party's ID number, masked.
    pub party1_id_masked: String,
    /// Second party's name.
    pub party2_name: String,
    /// Second party's ID number, masked.
    pub party2_id_masked: String,
    /// Refusal reason or outcome.
    pub outcome_reason: Option<String>,
    /// The certificate issued.
    pub certificate_number: Option<String>,
}

impl Appointment {
    /// Status in Chinese.
    pub fn status_zh(&self) -> &'static str {
        status::label_zh(&self.status)
    }
    /// Kind in Chinese.
    pub fn kind_zh(&self) -> &'static str {
        self.kind.name_zh()
    }
}

pub(crate) const APPOINTMENT_COLUMNS: &str = "a.id, a.slot_id, a.office_id, o.name, a.day, a.starts_at, a.kind, a.status, a.party1_name, a.party1_id_number, a.party2_name, a.party2_id_number, a.outcome_reason, a.certificate_number";

pub(crate) fn appointment_from(r: &Row) -> Result<Appointment, MarriageError> {
    let kind: String = r.get(6)?;
    Ok(Appointment {
        id: r.get(0)?,
        slot_id: r.get(1)?,
        office_id: r.get(2)?,
        office_name: r.get(3)?,
        day: r.get(4)?,
        starts_at: r.get(5)?,
        kind: Kind::parse(&kind)
            .ok_or_else(|| MarriageError::Internal(format!("unknown kind {kind}")))?,
        status: r.get(7)?,
        party1_name: r.get(8)?,
        party1_id_masked: minzheng_kernel::mask::id_number(&r.get::<String>(9)?),
        party2_name: r.get(10)?,
        party2_id_masked: minzheng_kernel::mask::id_number(&r.get::<String>(11)?),
        outcome_reason: r.get(12)?,
        certificate_number: r.get(13)?,
    })
}

/// One appointment by id (no scope: callers check who may see it).
pub(crate) fn appointment_row(tx: &mut Tx<'_>, id: i64) -> Result<Appointment, MarriageError> {
    let r = tx
        .query_opt(
            &format!(
                "SELECT {APPOINTMENT_COLUMNS} FROM appointment a JOIN marriage_office o ON o.id = a.office_id WHERE a.id = $1"
            ),
            params![id],
        )?
        .ok_or(MarriageError::NotFound)?;
    appointment_from(&r)
}

/// Parses one party of a form: a valid ID number (strict, uppercase X), a name, a 户籍 county.
pub fn parse_party(p: &PartyInput, label: &str, today: NaiveDate) -> Result<Party, MarriageError> {
    let id_text = p.id_number.trim().to_uppercase();
    let id = IdNumber::parse_strict(&id_text, today)
        .map_err(|e| MarriageError::Invalid(format!("{label}身份证号码无效：{e}")))?;
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(MarriageError::Invalid(format!(
            "请填写{label}姓名（不超过 40 字）"
        )));
    }
    let hukou = rules::parse_hukou(&p.hukou)
        .map_err(|r| MarriageError::Invalid(format!("{label}{}", r.0)))?;
    Ok(Party {
        name: name.to_owned(),
        id,
        hukou,
    })
}

fn check_key(key: &str) -> Result<(), MarriageError> {
    let ok = (8..=100).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(MarriageError::Invalid(
            "请求标识无效：应为 8 到 100 个字母、数字、- 或 _".into(),
        ))
    }
}

/// Whether either person is recorded as married in minzheng's own registry.
pub(crate) fn married_in_registry(
    tx: &mut Tx<'_>,
    ids: [&str; 2],
) -> Result<Option<String>, MarriageError> {
    let r = tx.query_opt(
        "SELECT party1_id_number, party2_id_number FROM marriage_bond
         WHERE divorced_on IS NULL AND (party1_id_number IN ($1, $2) OR party2_id_number IN ($1, $2))
         LIMIT 1",
        params![ids[0], ids[1]],
    )?;
    match r {
        None => Ok(None),
        Some(r) => {
            let (a, b): (String, String) = (r.get(0)?, r.get(1)?);
            Ok(Some(if ids.contains(&a.as_str()) { a } else { b }))
        }
    }
}

/// The divorce application under way for this couple (either order), if any:
/// (id, cool_end, window_end).
pub(crate) fn open_divorce(
    tx: &mut Tx<'_>,
    ids: [&str; 2],
) -> Result<Option<(i64, NaiveDate, NaiveDate)>, MarriageError> {
    let r = tx.query_opt(
        "SELECT id, cool_end, window_end FROM divorce_application
         WHERE status = 'cooling' AND ((party1_id_number = $1 AND party2_id_number = $2) OR (party1_id_number = $2 AND party2_id_number = $1))
         ORDER BY id DESC LIMIT 1",
        params![ids[0], ids[1]],
    )?;
    Ok(match r {
        Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?)),
        None => None,
    })
}

/// Books a slot for a couple. Checks, in order, and refuses with the reason in Chinese, writing
/// nothing: the key (a retry returns the booking it made), the ID numbers, the slot (exists, open,
/// released, not past), the office (open that day, offers the service, may serve the couple on
/// that day), real name (the booking citizen is one of the parties), ages, the registry, no-show
/// blocks, one active appointment per person; then takes the place by the conditional update.
pub fn book(
    tx: &mut Tx<'_>,
    who: &Principal,
    input: &BookingInput,
    rules_in: &BookingRules,
    now: DateTime<Utc>,
) -> Result<Appointment, MarriageError> {
    who.require(Action::MarriageBook)?;
    book_inner(tx, who, input, rules_in, now, true)
}

fn book_inner(
    tx: &mut Tx<'_>,
    who: &Principal,
    input: &BookingInput,
    rules_in: &BookingRules,
    now: DateTime<Utc>,
    real_name: bool,
) -> Result<Appointment, MarriageError> {
    let params_set = &rules_in.params;
    let key = input.idempotency_key.trim();
    check_key(key)?;
    if let Some(r) = tx.query_opt(
        "SELECT id, account_id FROM appointment WHERE idempotency_key = $1",
        params![key],
    )? {
        let (id, account): (i64, i64) = (r.get(0)?, r.get(1)?);
        if account != who.account_id {
            return Err(MarriageError::Invalid(
                "请求标识已被使用，请刷新页面后重新提交".into(),
            ));
        }
        return appointment_row(tx, id);
    }
    let today = (now + Duration::hours(8)).date_naive();
    let a = parse_party(&input.party1, "一方", today)?;
    let b = parse_party(&input.party2, "另一方", today)?;

    let slot = tx
        .query_opt(
            "SELECT s.office_id, s.day, s.starts_at, s.release_at, s.closed, o.region_code, o.services, o.name,
                (SELECT x.reason FROM marriage_office_suspension x
                 WHERE x.office_id = s.office_id AND x.from_date <= s.day AND (x.to_date IS NULL OR x.to_date >= s.day)
                 ORDER BY x.from_date DESC LIMIT 1),
                (SELECT c.id_number FROM account c WHERE c.id = $2),
                (SELECT c.phone FROM account c WHERE c.id = $2)
             FROM time_slot s JOIN marriage_office o ON o.id = s.office_id WHERE s.id = $1",
            params![input.slot_id, who.account_id],
        )?
        .ok_or_else(|| MarriageError::Invalid("所选时段不存在，请重新选择".into()))?;
    let office_id: i64 = slot.get(0)?;
    let day: NaiveDate = slot.get(1)?;
    let starts_at: String = slot.get(2)?;
    let release_at: String = slot.get(3)?;
    let closed: bool = slot.get(4)?;
    let region: String = slot.get(5)?;
    let services: String = slot.get(6)?;
    let office_name: String = slot.get(7)?;
    if closed {
        return Err(MarriageError::Invalid(format!(
            "{office_name} {day} {starts_at} 时段已停止预约"
        )));
    }
    let start_time = NaiveTime::parse_from_str(&starts_at, "%H:%M")
        .map_err(|_| MarriageError::Internal(format!("slot start {starts_at}")))?;
    if rules::china_instant(day, start_time) <= now {
        return Err(MarriageError::Invalid(format!(
            "{day} {starts_at} 时段已过，请选择以后的时段"
        )));
    }
    if release_at.as_str() > format_instant(now).as_str() {
        let local = chrono::DateTime::parse_from_rfc3339(&release_at)
            .map(|t| {
                (t.with_timezone(&Utc) + Duration::hours(8))
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or(release_at.clone());
        return Err(MarriageError::Invalid(format!(
            "{day} 的号源尚未放出，将于 {local}（北京时间）开放预约"
        )));
    }
    let suspended: Option<String> = slot.get(8)?;
    if let Some(reason) = suspended {
        return Err(MarriageError::Invalid(format!(
            "{office_name} {day} 暂停办理：{reason}"
        )));
    }
    if !services.split(',').any(|s| s == input.kind.service()) {
        return Err(MarriageError::Invalid(format!(
            "{office_name}不办理{}",
            input.kind.name_zh()
        )));
    }
    let phone: Option<String> = if real_name {
        let own: Option<String> = slot.get(9)?;
        let Some(own) = own else {
            return Err(MarriageError::Invalid(
                "请先在“我的账户”中绑定本人身份证号码（婚姻登记实行实名预约）".into(),
            ));
        };
        if own != a.id.as_str() && own != b.id.as_str() {
            return Err(MarriageError::Invalid(
                "预约须由登记当事人本人提交：双方中应有一方是您本人（实名预约，不得转让）".into(),
            ));
        }
        slot.get(10)?
    } else {
        None
    };
    rules::check_parties(input.kind, &a, &b, day, params_set)?;
    rules::office_may_serve(&region, &a, &b, day, params_set)?;
    let ids = [a.id.as_str(), b.id.as_str()];
    // Everything the registry knows about the two people, in one round trip.
    let lookback = rules::parameter(
        params_set,
        "marriage.appointment.no_show_lookback_days",
        today,
    )?;
    let facts = tx.query_one(
        "SELECT
           (SELECT CASE WHEN m.party1_id_number IN ($1, $2) THEN m.party1_id_number ELSE m.party2_id_number END
              FROM marriage_bond m
             WHERE m.divorced_on IS NULL AND (m.party1_id_number IN ($1, $2) OR m.party2_id_number IN ($1, $2)) LIMIT 1),
           (SELECT MIN(p.id_number) FROM appointment_person p WHERE p.active = TRUE AND p.id_number IN ($1, $2)),
           (SELECT COUNT(*) FROM appointment_person p JOIN appointment x ON x.id = p.appointment_id
             WHERE p.id_number = $1 AND x.status = 'no_show' AND x.day >= $3),
           (SELECT MAX(x.day) FROM appointment_person p JOIN appointment x ON x.id = p.appointment_id
             WHERE p.id_number = $1 AND x.status = 'no_show' AND x.day >= $3),
           (SELECT COUNT(*) FROM appointment_person p JOIN appointment x ON x.id = p.appointment_id
             WHERE p.id_number = $2 AND x.status = 'no_show' AND x.day >= $3),
           (SELECT MAX(x.day) FROM appointment_person p JOIN appointment x ON x.id = p.appointment_id
             WHERE p.id_number = $2 AND x.status = 'no_show' AND x.day >= $3)",
        params![ids[0], ids[1], today - Duration::days(lookback)],
    )?;
    let name_of = |id: &str| {
        if id == a.id.as_str() {
            a.name.clone()
        } else {
            b.name.clone()
        }
    };
    match input.kind {
        Kind::Marriage => {
            let married: Option<String> = facts.get(0)?;
            if let Some(who_married) = married {
                let name = name_of(&who_married);
                return Err(MarriageError::Invalid(format!(
                    "{name} 在婚姻登记记录中为已婚，不能预约结婚登记（民法典第一千零四十二条）"
                )));
            }
        }
        Kind::Divorce => {
            if open_divorce(tx, ids)?.is_some() {
                return Err(MarriageError::Invalid(
                    "双方已有一件正在冷静期中的离婚登记申请".into(),
                ));
            }
        }
        Kind::DivorceCompletion => match open_divorce(tx, ids)? {
            None => {
                return Err(MarriageError::Invalid(
                    "未找到双方正在办理的离婚登记申请：请先预约“离婚登记申请”".into(),
                ));
            }
            Some((_, cool_end, window_end)) => {
                if day <= cool_end || day > window_end {
                    return Err(MarriageError::Invalid(format!(
                        "离婚发证须在冷静期届满后、{window_end} 之前办理（冷静期至 {cool_end}），所选日期 {day} 不在此期间"
                    )));
                }
            }
        },
        Kind::Reissue => {}
    }
    let limit = rules::parameter(params_set, "marriage.appointment.no_show_limit", today)?;
    let block = rules::parameter(params_set, "marriage.appointment.no_show_block_days", today)?;
    for (p, col) in [(&a, 2), (&b, 4)] {
        let count: i64 = facts.get(col)?;
        let last: Option<NaiveDate> = facts.get(col + 1)?;
        if count >= limit
            && let Some(last) = last
            && last + Duration::days(block) >= today
        {
            return Err(MarriageError::Invalid(format!(
                "{} 多次预约未到场，{} 前暂停网上预约",
                p.name,
                last + Duration::days(block)
            )));
        }
    }
    let active: Option<String> = facts.get(1)?;
    if let Some(id) = active {
        let name = name_of(&id);
        return Err(MarriageError::Invalid(format!(
            "{name} 已有一个有效预约：每人同一时间只能有一个预约，请先办理或取消"
        )));
    }
    // The place: taken only if one is left. Never read-then-write.
    let took = tx.execute(
        "UPDATE time_slot SET booked = booked + 1 WHERE id = $1 AND booked < quota AND closed = FALSE",
        params![input.slot_id],
    )?;
    if took == 0 {
        return Err(MarriageError::Invalid(format!(
            "{office_name} {day} {starts_at} 时段已约满，请选择其他时段"
        )));
    }
    let now_text = format_instant(now);
    let inserted = tx.query_one(
        "INSERT INTO appointment (slot_id, office_id, day, starts_at, kind, status, account_id,
            party1_name, party1_id_number, party1_hukou, party2_name, party2_id_number, party2_hukou,
            phone, idempotency_key, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'booked', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
        params![
            input.slot_id,
            office_id,
            day,
            starts_at,
            input.kind.id(),
            who.account_id,
            a.name,
            a.id.as_str(),
            a.hukou,
            b.name,
            b.id.as_str(),
            b.hukou,
            phone,
            key,
            now_text
        ],
    );
    let id: i64 = match inserted {
        Ok(r) => r.get(0)?,
        Err(e) if e.is_unique_violation() => return Err(MarriageError::Conflict),
        Err(e) => return Err(e.into()),
    };
    match tx.execute(
        "INSERT INTO appointment_person (appointment_id, id_number, active) VALUES ($1, $2, TRUE), ($1, $3, TRUE)",
        params![id, ids[0], ids[1]],
    ) {
        Ok(_) => {}
        Err(e) if e.is_unique_violation() => return Err(MarriageError::Conflict),
        Err(e) => return Err(e.into()),
    }
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "marriage.appointment.book",
            record_type: "appointment",
            record_id: id.to_string(),
            subject_key: Some(audit::subject_key(tx, a.id.as_str())?),
            before: None,
            after: Some(
                serde_json::json!({ "slot": input.slot_id, "kind": input.kind.id(), "day": day, "parties": [a.id.as_str(), b.id.as_str()] }),
            ),
            detail: serde_json::json!({ "office": office_id, "day": day, "starts_at": starts_at, "kind": input.kind.id() }),
        },
    )?;
    if let Some(phone) = &phone {
        notify::enqueue(
            tx,
            &who.audit(),
            notify::Channel::Sms,
            phone,
            "婚姻登记预约成功",
            &format!(
                "您已预约{office_name} {day} {starts_at} 的{}，预约号 {id}。请双方本人携带身份证按时到场。如需取消，请在时段开始前办理。",
                input.kind.name_zh()
            ),
            now,
        )?;
    }
    Ok(Appointment {
        id,
        slot_id: input.slot_id,
        office_id,
        office_name,
        day,
        starts_at,
        kind: input.kind,
        status: status::BOOKED.into(),
        party1_name: a.name.clone(),
        party1_id_masked: a.id.masked(),
        party2_name: b.name.clone(),
        party2_id_masked: b.id.masked(),
        outcome_reason: None,
        certificate_number: None,
    })
}

/// Books in its own transaction, retrying once when a concurrent request with the same key or
/// person won the race (the retry then answers with the settled outcome).
pub fn book_in_tx_with_retry(
    db: &minzheng_store::Db,
    who: &Principal,
    input: &BookingInput,
    now: DateTime<Utc>,
) -> Result<Appointment, MarriageError> {
    let mut last = MarriageError::Conflict;
    for _ in 0..4 {
        match db.write(|tx| {
            lock_audit_head(tx)?;
            let r = BookingRules::load(tx)?;
            book(tx, who, input, &r, now)
        }) {
            Err(e) if transient(&e) => last = e,
            other => return other,
        }
    }
    Err(last)
}

/// The citizen's own appointments, newest first.
pub fn my_appointments(
    tx: &mut Tx<'_>,
    who: &Principal,
) -> Result<Vec<Appointment>, MarriageError> {
    who.require(Action::MarriageBook)?;
    tx.query(
        &format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM appointment a JOIN marriage_office o ON o.id = a.office_id
             WHERE a.account_id = $1 ORDER BY a.day DESC, a.id DESC LIMIT 50"
        ),
        params![who.account_id],
    )?
    .iter()
    .map(appointment_from)
    .collect()
}

/// One of the citizen's own appointments (someone else's is not found).
pub fn my_appointment(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
) -> Result<Appointment, MarriageError> {
    who.require(Action::MarriageBook)?;
    let owner: Option<i64> = tx
        .query_opt(
            "SELECT account_id FROM appointment WHERE id = $1",
            params![id],
        )?
        .map(|r| r.get(0))
        .transpose()?;
    if owner != Some(who.account_id) {
        return Err(MarriageError::NotFound);
    }
    appointment_row(tx, id)
}

/// Cancels one's own appointment up to the cut-off before its window starts; the place returns
/// to the slot and both parties may book again.
pub fn cancel(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Appointment, MarriageError> {
    let appt = my_appointment(tx, who, id)?;
    lock_audit_head(tx)?;
    if appt.status != status::BOOKED {
        return Err(MarriageError::Invalid(format!(
            "该预约状态为“{}”，不能取消",
            appt.status_zh()
        )));
    }
    let params_set = minzheng_reference::parameters::current(tx)?;
    let cutoff = rules::parameter(
        &params_set,
        "marriage.appointment.cancel_cutoff_hours",
        appt.day,
    )?;
    let start = NaiveTime::parse_from_str(&appt.starts_at, "%H:%M")
        .map_err(|_| MarriageError::Internal("slot start".into()))?;
    if rules::china_instant(appt.day, start) - Duration::hours(cutoff) < now {
        return Err(MarriageError::Invalid(format!(
            "距预约时段开始已不足 {cutoff} 小时，不能网上取消；如不能到场，请致电登记处"
        )));
    }
    let changed = tx.execute(
        "UPDATE appointment SET status = 'cancelled', updated_at = $2 WHERE id = $1 AND status = 'booked'",
        params![id, format_instant(now)],
    )?;
    if changed != 1 {
        return Err(MarriageError::Conflict);
    }
    tx.execute(
        "UPDATE time_slot SET booked = booked - 1 WHERE id = $1 AND booked > 0",
        params![appt.slot_id],
    )?;
    tx.execute(
        "UPDATE appointment_person SET active = FALSE WHERE appointment_id = $1",
        params![id],
    )?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "marriage.appointment.cancel",
            record_type: "appointment",
            record_id: id.to_string(),
            subject_key: None,
            before: Some(serde_json::json!({ "status": "booked" })),
            after: Some(serde_json::json!({ "status": "cancelled" })),
            detail: serde_json::json!({ "slot": appt.slot_id }),
        },
    )?;
    let phone: Option<String> = tx
        .query_opt("SELECT phone FROM appointment WHERE id = $1", params![id])?
        .map(|r| r.get(0))
        .transpose()?
        .flatten();
    if let Some(phone) = phone {
        notify::enqueue(
            tx,
            &who.audit(),
            notify::Channel::Sms,
            &phone,
            "婚姻登记预约已取消",
            &format!(
                "您在{} {} {} 的预约（预约号 {id}）已取消。",
                appt.office_name, appt.day, appt.starts_at
            ),
            now,
        )?;
    }
    appointment_row(tx, id)
}

/// Marks as no-shows the appointments still `booked` whose day has passed (of one office, or of
/// all with `None`), releasing their parties; the no-show count feeds the booking block.
pub fn mark_no_shows(
    tx: &mut Tx<'_>,
    who: &Principal,
    office_id: Option<i64>,
    today: NaiveDate,
) -> Result<u64, MarriageError> {
    lock_audit_head(tx)?;
    let ids: Vec<i64> = tx
        .query(
            "SELECT id FROM appointment WHERE status = 'booked' AND day < $1 AND (CAST($2 AS BIGINT) IS NULL OR office_id = $2)",
            params![today, office_id],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(0);
    }
    for id in &ids {
        tx.execute(
            "UPDATE appointment SET status = 'no_show' WHERE id = $1 AND status = 'booked'",
            params![id],
        )?;
        tx.execute(
            "UPDATE appointment_person SET active = FALSE WHERE appointment_id = $1",
            params![id],
        )?;
    }
    tx.execute(
        "UPDATE divorce_application SET status = 'deemed_withdrawn', ended_on = window_end, ended_reason = '冷静期届满后 30 日内双方未申请发证，视为撤回'
         WHERE status = 'cooling' AND window_end < $1",
        params![today],
    )?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "marriage.appointment.no_show",
            record_type: "appointment",
            record_id: office_id
                .map(|o| o.to_string())
                .unwrap_or_else(|| "all".into()),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "appointments": ids.len(), "before": today }),
        },
    )?;
    Ok(ids.len() as u64)
}

/// The demo bookings: three couples at 渝中区 on the next open day, booked as the system.
pub fn seed_bookings(tx: &mut Tx<'_>, today: NaiveDate) -> Result<usize, MarriageError> {
    let rules_in = BookingRules::load(tx)?;
    let slot = tx.query_opt(
        "SELECT id FROM time_slot WHERE office_id = 1 AND day > $1 AND closed = FALSE ORDER BY day, starts_at LIMIT 1",
        params![today],
    )?;
    let Some(slot) = slot else { return Ok(0) };
    let slot_id: i64 = slot.get(0)?;
    let system = Principal {
        role: Role::CityAdmin,
        ..Principal::system("demo")
    };
    let couples = [
        ("张伟", "1990-03-15", 11, "李娜", "1992-07-08", 22),
        ("王强", "1988-11-02", 31, "刘芳", "1991-01-20", 42),
        ("陈杰", "1995-05-05", 51, "杨静", "1996-09-09", 62),
    ];
    let mut n = 0;
    for (i, (m, mb, ms, f, fb, fs)) in couples.iter().enumerate() {
        let make_id = |birth: &str, seq: u16| -> Result<String, MarriageError> {
            let d = NaiveDate::parse_from_str(birth, "%Y-%m-%d")
                .map_err(|e| MarriageError::Internal(e.to_string()))?;
            Ok(IdNumber::generate("500103", d, seq)
                .map_err(|e| MarriageError::Internal(e.to_string()))?
                .as_str()
                .to_owned())
        };
        let input = BookingInput {
            slot_id,
            kind: Kind::Marriage,
            party1: PartyInput {
                name: (*m).into(),
                id_number: make_id(mb, *ms as u16)?,
                hukou: "500103".into(),
            },
            party2: PartyInput {
                name: (*f).into(),
                id_number: make_id(fb, *fs as u16)?,
                hukou: "500106".into(),
            },
            idempotency_key: format!("demo-booking-{i}"),
        };
        // The slot of the next open day is released by now only if it is within the lead days;
        // the demo books "as of" its release instant so that it always works.
        let release: String = tx
            .query_one(
                "SELECT release_at FROM time_slot WHERE id = $1",
                params![slot_id],
            )?
            .get(0)?;
        let at = chrono::DateTime::parse_from_rfc3339(&release)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| MarriageError::Internal(e.to_string()))?;
        book_inner(tx, &system, &input, &rules_in, at.max(Utc::now()), false)?;
        n += 1;
    }
    Ok(n)
}
