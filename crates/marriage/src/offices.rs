//! The offices, their dated status (open, or suspended with a reason), special dates, and the time
//! slots of each day with their quotas and release instants.

use crate::MarriageError;
use crate::rules;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use minzheng_access::{Action, Principal};
use minzheng_kernel::calendar::Calendar;
use minzheng_kernel::params::ParamSet;
use minzheng_kernel::region::{RegionLevel, RegionTree};
use minzheng_store::audit::{self, AuditContext, AuditEntry};
use minzheng_store::{Row, Tx, format_instant, params};
use serde::Serialize;

/// A marriage registration office.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Office {
    /// Id (1 = 渝中区, 2 = 沙坪坝区 in the demo set).
    pub id: i64,
    /// The code printed in certificate numbers.
    pub code: String,
    /// Name.
    pub name: String,
    /// `county`, `city` or `zone` (development zone).
    pub kind: String,
    /// The region code prefix it serves under the 户籍 rule (a county, or `50` for the city office).
    pub region_code: String,
    /// Address.
    pub address: String,
    /// Opening hours, as shown to citizens.
    pub hours: String,
    /// Services offered: `marriage,divorce,reissue`.
    pub services: String,
    /// The day's windows, `09:00-10:30,...`.
    pub windows: String,
    /// Places per window on an ordinary day.
    pub slot_quota: i64,
}

const OFFICE_COLUMNS: &str =
    "id, code, name, kind, region_code, address, hours, services, windows, slot_quota";

fn office_from(r: &Row) -> Result<Office, MarriageError> {
    Ok(Office {
        id: r.get(0)?,
        code: r.get(1)?,
        name: r.get(2)?,
        kind: r.get(3)?,
        region_code: r.get(4)?,
        address: r.get(5)?,
        hours: r.get(6)?,
        services: r.get(7)?,
        windows: r.get(8)?,
        slot_quota: r.get(9)?,
    })
}

impl Office {
    /// Whether the office offers a service code.
    pub fn offers(&self, service: &str) -> bool {
        self.services.split(',').any(|s| s.trim() == service)
    }

    /// The services in Chinese.
    pub fn services_zh(&self) -> String {
        self.services
            .split(',')
            .map(|s| match s.trim() {
                "marriage" => "结婚登记",
                "divorce" => "离婚登记",
                "reissue" => "补领证件",
                _ => "其他",
            })
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// Every office, by id.
pub fn offices(tx: &mut Tx<'_>) -> Result<Vec<Office>, MarriageError> {
    tx.query(
        &format!("SELECT {OFFICE_COLUMNS} FROM marriage_office ORDER BY id"),
        params![],
    )?
    .iter()
    .map(office_from)
    .collect()
}

/// One office (offices are public information).
pub fn office(tx: &mut Tx<'_>, id: i64) -> Result<Office, MarriageError> {
    let r = tx
        .query_opt(
            &format!("SELECT {OFFICE_COLUMNS} FROM marriage_office WHERE id = $1"),
            params![id],
        )?
        .ok_or(MarriageError::NotFound)?;
    office_from(&r)
}

/// The reason an office is suspended on `day`, if it is.
pub fn suspension_on(
    tx: &mut Tx<'_>,
    office_id: i64,
    day: NaiveDate,
) -> Result<Option<String>, MarriageError> {
    let r = tx.query_opt(
        "SELECT reason FROM marriage_office_suspension
         WHERE office_id = $1 AND from_date <= $2 AND (to_date IS NULL OR to_date >= $2)
         ORDER BY from_date DESC LIMIT 1",
        params![office_id, day],
    )?;
    Ok(match r {
        Some(r) => Some(r.get(0)?),
        None => None,
    })
}

/// An office with its status on a day, for the list pages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficeStatus {
    /// The office.
    pub office: Office,
    /// Why it is suspended that day; `None` when open.
    pub suspended: Option<String>,
}

/// Every office with its status on `day`.
pub fn offices_on(tx: &mut Tx<'_>, day: NaiveDate) -> Result<Vec<OfficeStatus>, MarriageError> {
    let all = offices(tx)?;
    let rows = tx.query(
        "SELECT office_id, reason FROM marriage_office_suspension
         WHERE from_date <= $1 AND (to_date IS NULL OR to_date >= $1)",
        params![day],
    )?;
    let mut suspended = std::collections::HashMap::new();
    for r in rows {
        suspended.insert(r.get::<i64>(0)?, r.get::<String>(1)?);
    }
    Ok(all
        .into_iter()
        .map(|o| OfficeStatus {
            suspended: suspended.get(&o.id).cloned(),
            office: o,
        })
        .collect())
}

fn require_office_manage(
    tx: &mut Tx<'_>,
    who: &Principal,
    office_id: i64,
) -> Result<Office, MarriageError> {
    who.require(Action::MarriageOfficeManage)?;
    crate::services::lock_audit_head(tx)?;
    let o = office(tx, office_id)?;
    let scope = who.scope();
    if !(scope.contains(&o.region_code) || who.scope_code.len() <= 2) {
        return Err(MarriageError::NotFound);
    }
    Ok(o)
}

/// Suspends an office from a day (to a day, or until further notice), closing its slots then.
/// Booked appointments in the period stay for the desk to handle; the count is returned.
pub fn suspend(
    tx: &mut Tx<'_>,
    who: &Principal,
    office_id: i64,
    from: NaiveDate,
    to: Option<NaiveDate>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, MarriageError> {
    let o = require_office_manage(tx, who, office_id)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(MarriageError::Invalid("请填写暂停办理的原因".into()));
    }
    if to.is_some_and(|t| t < from) {
        return Err(MarriageError::Invalid("结束日期不能早于开始日期".into()));
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO marriage_office_suspension (office_id, from_date, to_date, reason, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            params![office_id, from, to, reason, format_instant(now), who.username],
        )?
        .get(0)?;
    let to_text = to
        .map(|t| t.to_string())
        .unwrap_or_else(|| "9999-12-31".into());
    tx.execute(
        "UPDATE time_slot SET closed = TRUE WHERE office_id = $1 AND day >= $2 AND day <= $3",
        params![office_id, from, to_text],
    )?;
    let affected: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM appointment WHERE office_id = $1 AND day >= $2 AND day <= $3 AND status = 'booked'",
            params![office_id, from, to_text],
        )?
        .get(0)?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "marriage.office.suspend",
            record_type: "marriage_office",
            record_id: o.id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "suspension": id, "from": from, "to": to, "reason": reason, "booked": affected }),
        },
    )?;
    Ok(affected)
}

/// Opens or closes one day at an office (七夕 on a Saturday, a closure for works), with an
/// optional quota per window for that day. Closing a day with bookings is refused.
#[allow(clippy::too_many_arguments)]
pub fn set_special_date(
    tx: &mut Tx<'_>,
    who: &Principal,
    office_id: i64,
    day: NaiveDate,
    open: bool,
    quota: Option<i64>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize, MarriageError> {
    let o = require_office_manage(tx, who, office_id)?;
    if reason.trim().is_empty() {
        return Err(MarriageError::Invalid("请填写原因".into()));
    }
    if quota.is_some_and(|q| !(1..=10_000).contains(&q)) {
        return Err(MarriageError::Invalid(
            "每时段名额应在 1 到 10000 之间".into(),
        ));
    }
    if !open {
        let booked: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM appointment WHERE office_id = $1 AND day = $2 AND status = 'booked'",
                params![office_id, day],
            )?
            .get(0)?;
        if booked > 0 {
            return Err(MarriageError::Invalid(format!(
                "{day} 已有 {booked} 个有效预约，不能关闭；请先联系预约人"
            )));
        }
    }
    let r = tx.execute(
        "INSERT INTO marriage_special_date (office_id, day, open, quota, reason, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![office_id, day, open, quota, reason.trim(), format_instant(now), who.username],
    );
    match r {
        Err(e) if e.is_unique_violation() => {
            return Err(MarriageError::Invalid(format!("{day} 已设为特殊日期")));
        }
        other => {
            other?;
        }
    }
    let n = if open {
        let params_set = minzheng_reference::parameters::current(tx)?;
        insert_day(tx, &o, day, quota.unwrap_or(o.slot_quota), &params_set)?
    } else {
        tx.execute(
            "UPDATE time_slot SET closed = TRUE WHERE office_id = $1 AND day = $2",
            params![office_id, day],
        )? as usize
    };
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "marriage.special_date",
            record_type: "marriage_office",
            record_id: o.id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "day": day, "open": open, "quota": quota, "slots": n }),
        },
    )?;
    Ok(n)
}

fn windows(o: &Office) -> Vec<(String, String)> {
    o.windows
        .split(',')
        .filter_map(|w| w.trim().split_once('-'))
        .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
        .collect()
}

fn insert_day(
    tx: &mut Tx<'_>,
    o: &Office,
    day: NaiveDate,
    quota: i64,
    params_set: &ParamSet,
) -> Result<usize, MarriageError> {
    let release = format_instant(rules::release_at(day, params_set)?);
    let mut n = 0;
    for (start, end) in windows(o) {
        n += tx.execute(
            "INSERT INTO time_slot (office_id, day, starts_at, ends_at, quota, booked, release_at, closed)
             VALUES ($1, $2, $3, $4, $5, 0, $6, FALSE)
             ON CONFLICT (office_id, day, starts_at) DO NOTHING",
            params![o.id, day, start, end, quota, release],
        )? as usize;
    }
    Ok(n)
}

fn open_days_inner(
    tx: &mut Tx<'_>,
    o: &Office,
    from: NaiveDate,
    to: NaiveDate,
    cal: &Calendar,
    params_set: &ParamSet,
) -> Result<usize, MarriageError> {
    let specials: std::collections::HashMap<String, (bool, Option<i64>)> = tx
        .query(
            "SELECT day, open, quota FROM marriage_special_date WHERE office_id = $1 AND day >= $2 AND day <= $3",
            params![o.id, from, to],
        )?
        .iter()
        .map(|r| Ok((r.get::<String>(0)?, (r.get::<bool>(1)?, r.get::<Option<i64>>(2)?))))
        .collect::<Result<_, MarriageError>>()?;
    let mut n = 0;
    let mut day = from;
    while day <= to {
        let special = specials.get(&day.to_string());
        let open = match special {
            Some((open, _)) => *open,
            None => rules::calendar_open(cal, day),
        };
        if open && suspension_on(tx, o.id, day)?.is_none() {
            let quota = special.and_then(|s| s.1).unwrap_or(o.slot_quota);
            n += insert_day(tx, o, day, quota, params_set)?;
        }
        day += Duration::days(1);
    }
    Ok(n)
}

/// Creates the slots of an office for the days `from..=to`: working days of the calendar in force
/// (make-up days included, statutory holidays excluded), special dates as set, no suspended day.
/// Days that already have slots keep them. Returns how many slots were made.
pub fn open_days(
    tx: &mut Tx<'_>,
    who: &Principal,
    office_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<usize, MarriageError> {
    let o = require_office_manage(tx, who, office_id)?;
    if to < from || (to - from).num_days() > 366 {
        return Err(MarriageError::Invalid(
            "日期范围无效：结束日期应不早于开始日期，且不超过一年".into(),
        ));
    }
    let cal = minzheng_reference::calendar::calendar(tx)?;
    let params_set = minzheng_reference::parameters::current(tx)?;
    let n = open_days_inner(tx, &o, from, to, &cal, &params_set)?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "marriage.slots.open",
            record_type: "marriage_office",
            record_id: o.id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "from": from, "to": to, "slots": n }),
        },
    )?;
    Ok(n)
}

/// A slot as the booking page and the desk show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    /// Id.
    pub id: i64,
    /// Office.
    pub office_id: i64,
    /// Day.
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    /// Start, HH:MM Beijing time.
    pub starts_at: String,
    /// End.
    pub ends_at: String,
    /// Places.
    pub quota: i64,
    /// Places taken.
    pub booked: i64,
    /// Places left (0 when closed or not yet released).
    pub remaining: i64,
    /// When its places are released.
    pub release_at: String,
    /// Whether its places have been released.
    pub released: bool,
    /// Closed by a suspension or a special date.
    pub closed: bool,
}

/// The slots of an office on a day.
pub fn slots(
    tx: &mut Tx<'_>,
    office_id: i64,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<SlotView>, MarriageError> {
    let now_text = format_instant(now);
    tx.query(
        "SELECT id, office_id, day, starts_at, ends_at, quota, booked, release_at, closed
         FROM time_slot WHERE office_id = $1 AND day = $2 ORDER BY starts_at",
        params![office_id, day],
    )?
    .iter()
    .map(|r| {
        let release_at: String = r.get(7)?;
        let released = release_at <= now_text;
        let closed: bool = r.get(8)?;
        let (quota, booked): (i64, i64) = (r.get(5)?, r.get(6)?);
        Ok(SlotView {
            id: r.get(0)?,
            office_id: r.get(1)?,
            day: r.get(2)?,
            starts_at: r.get(3)?,
            ends_at: r.get(4)?,
            quota,
            booked,
            remaining: if released && !closed {
                quota - booked
            } else {
                0
            },
            release_at,
            released,
            closed,
        })
    })
    .collect()
}

/// The days after `today` on which the office has open slots, for the booking form.
pub fn bookable_days(
    tx: &mut Tx<'_>,
    office_id: i64,
    today: NaiveDate,
) -> Result<Vec<NaiveDate>, MarriageError> {
    tx.query(
        "SELECT DISTINCT day FROM time_slot WHERE office_id = $1 AND day > $2 AND closed = FALSE ORDER BY day LIMIT 31",
        params![office_id, today],
    )?
    .iter()
    .map(|r| Ok(r.get::<NaiveDate>(0)?))
    .collect()
}

const WINDOWS: &str = "09:00-10:30,10:30-12:00,14:00-15:30,15:30-17:00";

/// The 41 offices of the demo set, derived from the region tree: unit 1 is 渝中区, unit 2 is
/// 沙坪坝区, then every other county-level unit, the city-level office, the 两江新区 office and
/// the 万盛经开区 office. 万州区 is suspended from 2020-03-03 (it had not reopened with the others in March 2020; the
/// end date, 2020-03-16, is a demo value).
pub fn seed_offices(tx: &mut Tx<'_>) -> Result<usize, MarriageError> {
    let tree = RegionTree::chongqing();
    let on = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let mut counties: Vec<(String, String)> = tree
        .nodes()
        .iter()
        .filter(|n| n.level() == RegionLevel::District && n.exists_on(on))
        .map(|n| (n.code.prefix(), n.name.clone()))
        .collect();
    counties.sort();
    counties.dedup();
    let first = ["500103", "500106"];
    let mut ordered: Vec<(String, String, &str)> = Vec::new();
    for code in first {
        if let Some((c, n)) = counties.iter().find(|(c, _)| c == code) {
            ordered.push((c.clone(), n.clone(), "county"));
        }
    }
    for (c, n) in &counties {
        if !first.contains(&c.as_str()) {
            ordered.push((c.clone(), n.clone(), "county"));
        }
    }
    ordered.push(("50".into(), "重庆市".into(), "city"));
    ordered.push(("500157".into(), "两江新区".into(), "zone"));
    ordered.push(("500110".into(), "万盛经开区".into(), "zone"));
    let now = format_instant(Utc::now());
    for (i, (region, name, kind)) in ordered.iter().enumerate() {
        let id = i as i64 + 1;
        let (code, office_name, address) = match *kind {
            "city" => (
                "500000".to_owned(),
                "重庆市婚姻登记处".to_owned(),
                "重庆市渝北区（市民政局）".to_owned(),
            ),
            "zone" if name == "万盛经开区" => (
                "500110WS".to_owned(),
                "万盛经开区婚姻登记处".to_owned(),
                "重庆市万盛经开区".to_owned(),
            ),
            _ => (
                region.clone(),
                format!("{name}婚姻登记处"),
                format!("重庆市{name}民政局"),
            ),
        };
        let services = "marriage,divorce,reissue";
        tx.execute(
            &format!(
                "INSERT INTO marriage_office ({OFFICE_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ),
            params![
                id,
                code,
                office_name,
                *kind,
                region.clone(),
                address,
                "周一至周五 9:00-12:00，14:00-17:00（法定节假日休息，调休上班日照常办理）",
                services,
                WINDOWS,
                10i64,
                now
            ],
        )?;
    }
    if let Some(pos) = ordered.iter().position(|(c, _, _)| c == "500101") {
        tx.execute(
            "INSERT INTO marriage_office_suspension (office_id, from_date, to_date, reason, created_at, created_by)
             VALUES ($1, '2020-03-03', '2020-03-16', '疫情防控期间暂停办理（2020-03 全市恢复预约登记时万州区未恢复；恢复日期为演示取值）', $2, 'system:demo')",
            params![pos as i64 + 1, now],
        )?;
    }
    audit::append(
        tx,
        &AuditContext::system("demo"),
        AuditEntry {
            action: "marriage.office.seed",
            record_type: "marriage_office",
            record_id: "demo".into(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "offices": ordered.len() }),
        },
    )?;
    Ok(ordered.len())
}

/// The demo slots: every open office, from today to ten days ahead.
pub fn seed_slots(tx: &mut Tx<'_>, today: NaiveDate) -> Result<usize, MarriageError> {
    let cal = minzheng_reference::calendar::calendar(tx)?;
    let params_set = minzheng_reference::parameters::current(tx)?;
    let mut n = 0;
    for o in offices(tx)? {
        n += open_days_inner(tx, &o, today, today + Duration::days(10), &cal, &params_set)?;
    }
    audit::append(
        tx,
        &AuditContext::system("demo"),
        AuditEntry {
            action: "marriage.slots.open",
            record_type: "time_slot",
            record_id: "demo".into(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "slots": n }),
        },
    )?;
    Ok(n)
}

/// The county-level codes a 户籍 may be in, with names, for the booking form.
pub fn hukou_choices() -> Vec<(String, String)> {
    let tree = RegionTree::chongqing();
    let today = minzheng_kernel::id_number::china_today();
    let mut v: Vec<(String, String)> = tree
        .nodes()
        .iter()
        .filter(|n| n.level() == RegionLevel::District && n.exists_on(today))
        .map(|n| (n.code.prefix(), n.name.clone()))
        .collect();
    v.sort();
    v.dedup();
    v
}
