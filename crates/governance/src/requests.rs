//! Residents' requests through the seven steps: each service checks the permission and the state
//! machine first, validates the input, then writes the change, the event row and the audit row in
//! the caller's transaction. A refused input returns before anything is written.

use crate::GovernanceError;
use crate::rules::{self, Act, Step};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal, Role};
use minzheng_kernel::money::Fen;
use minzheng_kernel::region::{RegionCode, RegionLevel, RegionTree};
use minzheng_store::attachments::{self, AttachmentPolicy};
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Row, ToValue, Tx, Value, params};
use serde::Serialize;

/// A photo handed in with a request or a progress update.
#[derive(Debug, Clone)]
pub struct Photo {
    /// The name the uploader gave (shown, never trusted).
    pub file_name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Photos: images only, up to 10 MiB each.
fn photo_policy() -> AttachmentPolicy {
    AttachmentPolicy {
        max_bytes: 10 * 1024 * 1024,
        allowed: vec!["image/jpeg", "image/png", "image/gif", "image/webp"],
    }
}

fn invalid(m: impl Into<String>) -> GovernanceError {
    GovernanceError::Invalid(m.into())
}

fn now() -> String {
    minzheng_store::format_instant(chrono::Utc::now())
}

/// One configured option (a step, triage class, list kind, category, channel, council or owner kind).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Choice {
    /// Identifier.
    pub code: String,
    /// Chinese label (configurable).
    pub name: String,
    /// What it does, for kinds where that matters (`referral`, `allow`, `forbid`, `certificate`).
    pub flag: String,
}

/// The configured options of one kind, in their order.
pub fn choices(tx: &mut Tx<'_>, kind: &str) -> Result<Vec<Choice>, GovernanceError> {
    let rows = tx.query(
        "SELECT code, name_zh, flag FROM governance_option WHERE kind = $1 ORDER BY position, code",
        params![kind],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Choice {
                code: r.get(0)?,
                name: r.get(1)?,
                flag: r.get(2)?,
            })
        })
        .collect()
}

/// The configured option `code` of `kind`, or a refusal naming the field.
pub fn choice(
    tx: &mut Tx<'_>,
    kind: &str,
    code: &str,
    field: &str,
) -> Result<Choice, GovernanceError> {
    choices(tx, kind)?
        .into_iter()
        .find(|c| c.code == code.trim())
        .ok_or_else(|| invalid(format!("请选择有效的{field}")))
}

/// Checks that `code` is a community (village or urban community) that exists on `today`.
pub fn community(code: &str, today: NaiveDate) -> Result<RegionCode, GovernanceError> {
    let c = code.trim();
    let bad = || {
        invalid(format!(
            "“{c}”不是现有的村（社区）：请填写 12 位村（社区）区划代码"
        ))
    };
    if c.len() != 12 {
        return Err(bad());
    }
    let rc = RegionCode::parse(c).map_err(|_| bad())?;
    if rc.level() != RegionLevel::Community || !RegionTree::chongqing().exists_on(rc, today) {
        return Err(bad());
    }
    Ok(rc)
}

/// The community's name with its street and district, for pages.
pub fn place_name(code: &str) -> String {
    let tree = RegionTree::chongqing();
    RegionCode::parse(code)
        .ok()
        .and_then(|rc| tree.lookup(rc).ok())
        .map(|n| {
            let mut parts = vec![n.name.clone()];
            if let Ok(anc) = tree.ancestors(n.code, minzheng_kernel::id_number::china_today()) {
                for a in anc.iter().take(2) {
                    parts.insert(0, a.name.clone());
                }
            }
            parts.join(" ")
        })
        .unwrap_or_else(|| code.to_owned())
}

/// Stores photos and links them to a request (and a progress row); refused files roll back.
fn store_photos(
    tx: &mut Tx<'_>,
    who: &Principal,
    request_id: i64,
    progress_id: Option<i64>,
    photos: &[Photo],
) -> Result<usize, GovernanceError> {
    if photos.len() > 9 {
        return Err(invalid("每次最多上传 9 张照片"));
    }
    let policy = photo_policy();
    for p in photos {
        let meta = attachments::put(
            tx,
            &mut p.bytes.as_slice(),
            &p.file_name,
            &who.audit(),
            &policy,
        )
        .map_err(|e| match e {
            minzheng_store::StoreError::Attachment(m) => {
                invalid(format!("照片“{}”：{m}", p.file_name))
            }
            other => other.into(),
        })?;
        tx.execute(
            "INSERT INTO request_photo (request_id, progress_id, attachment_id, added_at) VALUES ($1, $2, $3, $4)",
            params![request_id, progress_id, meta.id, now()],
        )?;
    }
    Ok(photos.len())
}

/// A request as services and pages read it.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    /// Id.
    pub id: i64,
    /// The request of the previous cycle, when this one reopened it.
    pub previous_id: Option<i64>,
    /// 1 for a first cycle, 2 after one reopening, …
    pub cycle: i64,
    /// The community (12 digits).
    pub region_code: String,
    /// Where it stands.
    pub step: Step,
    /// How it came in.
    pub channel: String,
    /// What it is about.
    pub category: String,
    /// What the resident wrote.
    pub description: String,
    /// The citizen account that raised it (the only one who may rate it), if raised by a citizen
    /// or linked to one.
    pub raiser_account_id: Option<i64>,
    /// The resident's name (shown masked outside the scope of staff).
    pub raiser_name: String,
    /// The resident's phone.
    pub raiser_phone: Option<String>,
    /// Who typed it in.
    pub raised_by: String,
    /// The day it was raised.
    pub raised_on: String,
    /// 三事分流 class.
    pub triage: Option<String>,
    /// Why that class.
    pub triage_reason: Option<String>,
    /// `accepted` or `declined`.
    pub decision: Option<String>,
    /// Why.
    pub decision_reason: Option<String>,
    /// Cadre, party member or elder.
    pub owner_kind: Option<String>,
    /// The owner's name.
    pub owner_name: Option<String>,
    /// What will be done.
    pub plan: Option<String>,
    /// Budget in fen.
    pub budget_fen: Option<i64>,
    /// Deadline (working days from the decision, with the calendar in force).
    pub deadline: Option<String>,
    /// The council meeting that deliberated it.
    pub meeting_id: Option<i64>,
    /// The day it went on the public board.
    pub published_on: Option<String>,
    /// Percent done.
    pub percent_done: i64,
    /// The day the work was marked done.
    pub completed_on: Option<String>,
    /// Whether it was done by the deadline.
    pub on_time: Option<bool>,
    /// The raiser's rating 1–5.
    pub rating: Option<i64>,
    /// The raiser's comment.
    pub rating_comment: Option<String>,
    /// The street's review.
    pub review: Option<String>,
    /// Whether a new cycle was started from it.
    pub reopened: bool,
    /// The day it closed.
    pub closed_on: Option<String>,
}

const COLUMNS: &str = "id, previous_id, cycle, region_code, step, channel, category, description,
    raiser_account_id, raiser_name, raiser_phone, raised_by, raised_on, triage, triage_reason, decision,
    decision_reason, owner_kind, owner_name, plan, budget_fen, deadline, meeting_id, published_on,
    percent_done, completed_on, on_time, rating, rating_comment, review, reopened, closed_on";

fn from_row(r: &Row) -> Result<RequestRecord, GovernanceError> {
    let step: String = r.get(4)?;
    Ok(RequestRecord {
        id: r.get(0)?,
        previous_id: r.get(1)?,
        cycle: r.get(2)?,
        region_code: r.get(3)?,
        step: Step::from_id(&step)
            .ok_or_else(|| GovernanceError::Internal(format!("unknown step {step}")))?,
        channel: r.get(5)?,
        category: r.get(6)?,
        description: r.get(7)?,
        raiser_account_id: r.get(8)?,
        raiser_name: r.get(9)?,
        raiser_phone: r.get(10)?,
        raised_by: r.get(11)?,
        raised_on: r.get(12)?,
        triage: r.get(13)?,
        triage_reason: r.get(14)?,
        decision: r.get(15)?,
        decision_reason: r.get(16)?,
        owner_kind: r.get(17)?,
        owner_name: r.get(18)?,
        plan: r.get(19)?,
        budget_fen: r.get(20)?,
        deadline: r.get(21)?,
        meeting_id: r.get(22)?,
        published_on: r.get(23)?,
        percent_done: r.get(24)?,
        completed_on: r.get(25)?,
        on_time: r.get(26)?,
        rating: r.get(27)?,
        rating_comment: r.get(28)?,
        review: r.get(29)?,
        reopened: r.get(30)?,
        closed_on: r.get(31)?,
    })
}

/// The request if `who` may see it: a citizen his own, staff within their scope; otherwise
/// not found (a record outside the scope is invisible).
pub fn load(tx: &mut Tx<'_>, who: &Principal, id: i64) -> Result<RequestRecord, GovernanceError> {
    let row = if who.role == Role::Citizen {
        tx.query_opt(
            &format!("SELECT {COLUMNS} FROM request WHERE id = $1 AND raiser_account_id = $2"),
            params![id, who.account_id],
        )?
    } else {
        who.require(Action::GovernanceRead)?;
        let (cond, values) = who.scope().sql("region_code", 2);
        let mut p: Vec<Value> = vec![Value::Int(id)];
        p.extend(values.into_iter().map(Value::Text));
        let refs: Vec<&dyn ToValue> = p.iter().map(|v| v as &dyn ToValue).collect();
        tx.query_opt(
            &format!("SELECT {COLUMNS} FROM request WHERE id = $1 AND {cond}"),
            &refs,
        )?
    };
    row.as_ref()
        .map(from_row)
        .transpose()?
        .ok_or(GovernanceError::NotFound)
}

/// Checks that `act` is allowed from the request's state and that `who` holds its permission
/// (and, for staff, that the request is in scope: `load` already made sure).
fn check(
    who: &Principal,
    rec: &RequestRecord,
    act: Act,
) -> Result<&'static rules::Transition, GovernanceError> {
    let t = rules::transition(act, Some(rec.step)).map_err(GovernanceError::Invalid)?;
    who.require(t.action)?;
    Ok(t)
}

/// Moves the request along `t` (compare-and-set on the step, so two clerks cannot both take it),
/// writes the event row and the audit row.
fn advance(
    tx: &mut Tx<'_>,
    who: &Principal,
    rec: &RequestRecord,
    t: &rules::Transition,
    reason: &str,
    detail: serde_json::Value,
) -> Result<(), GovernanceError> {
    let at = now();
    let n = tx.execute(
        "UPDATE request SET step = $1, updated_at = $2 WHERE id = $3 AND step = $4",
        params![t.to.id(), at, rec.id, rec.step.id()],
    )?;
    if n != 1 {
        return Err(GovernanceError::Conflict(
            "诉求已被他人处理，请刷新后重试".into(),
        ));
    }
    let before = crate::tally::State {
        triage: rec.triage.clone(),
        step: rec.step.id().to_owned(),
        on_time: rec.on_time,
        rating: rec.rating,
        reopened: rec.reopened,
    };
    let after = crate::tally::state_of(tx, rec.id)?;
    crate::tally::change(tx, &rec.region_code, &before, &after)?;
    event(
        tx,
        who,
        rec.id,
        t.act,
        Some(rec.step),
        t.to,
        reason,
        &detail,
        &at,
    )
}

#[allow(clippy::too_many_arguments)]
fn event(
    tx: &mut Tx<'_>,
    who: &Principal,
    request_id: i64,
    act: Act,
    from: Option<Step>,
    to: Step,
    reason: &str,
    detail: &serde_json::Value,
    at: &str,
) -> Result<(), GovernanceError> {
    tx.execute(
        "INSERT INTO request_event (request_id, action, from_step, to_step, actor, actor_role, at, reason, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![request_id, act.id(), from.map(Step::id), to.id(), who.username, who.role.id(), at, reason, detail.to_string()],
    )?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: &format!("request.{}", act.id()),
            record_type: "request",
            record_id: request_id.to_string(),
            subject_key: None,
            before: from.map(|f| serde_json::json!({ "step": f.id() })),
            after: Some(serde_json::json!({ "step": to.id() })),
            detail: serde_json::json!({ "from": from.map(Step::id), "to": to.id(), "detail": detail }),
        },
    )?;
    Ok(())
}

fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, GovernanceError> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min {
        return Err(invalid(if min <= 1 {
            format!("请填写{field}")
        } else {
            format!("{field}至少 {min} 个字")
        }));
    }
    if n > max {
        return Err(invalid(format!("{field}不能超过 {max} 个字")));
    }
    Ok(v.to_owned())
}

/// What is filled in to raise a request.
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    /// The community (12 digits).
    pub community: String,
    /// `phone`, `behalf` or `meeting` (a citizen's own request is always `phone`).
    pub channel: String,
    /// A configured category.
    pub category: String,
    /// What the matter is.
    pub description: String,
    /// The resident's name (a citizen's own account name when he raises it himself).
    pub raiser_name: String,
    /// The resident's phone, optional.
    pub raiser_phone: Option<String>,
    /// Photos.
    pub photos: Vec<Photo>,
}

/// 收单: a resident raises a request on the phone, or a community worker records one on a
/// resident's behalf or from a meeting. Returns the new id.
pub fn raise(
    tx: &mut Tx<'_>,
    who: &Principal,
    new: &NewRequest,
    today: NaiveDate,
) -> Result<i64, GovernanceError> {
    let t = rules::transition(Act::Raise, None).map_err(GovernanceError::Invalid)?;
    who.require(t.action)?;
    let rc = community(&new.community, today)?;
    let code = format!("{:012}", rc.as_u64());
    let citizen = who.role == Role::Citizen;
    if !citizen && !who.scope().contains(&code) {
        return Err(invalid(format!("村（社区）{code} 不在您的辖区内")));
    }
    let channel = if citizen {
        "phone".to_owned()
    } else {
        new.channel.trim().to_owned()
    };
    let channel = choice(tx, "channel", &channel, "收集渠道")?.code;
    if !citizen && channel == "phone" {
        return Err(invalid("工作人员登记的诉求，渠道应为“代办”或“会议收集”"));
    }
    let category = choice(tx, "category", &new.category, "诉求类别")?.code;
    let description = text("诉求内容", &new.description, 5, 2000)?;
    let raiser_name = if citizen && new.raiser_name.trim().is_empty() {
        who.display_name.clone()
    } else {
        text("居民姓名", &new.raiser_name, 1, 40)?
    };
    let phone = match new.raiser_phone.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => {
            Some(minzheng_access::otp::normalize_phone(p).map_err(|e| invalid(e.to_string()))?)
        }
        _ => None,
    };
    let at = now();
    let id: i64 = tx
        .query_one(
            "INSERT INTO request (previous_id, cycle, region_code, street_code, district_code, step, channel, category,
                description, raiser_account_id, raiser_name, raiser_phone, raised_by, raised_on, raised_at,
                percent_done, reopened, updated_at)
             VALUES (NULL, 1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, FALSE, $13) RETURNING id",
            params![code, code[..9].to_owned(), code[..6].to_owned(), t.to.id(), channel, category, description,
                citizen.then_some(who.account_id), raiser_name, phone, who.username, today, at],
        )?
        .get(0)?;
    let n = store_photos(tx, who, id, None, &new.photos)?;
    let state = crate::tally::state_of(tx, id)?;
    crate::tally::add(tx, &code, &state)?;
    event(
        tx,
        who,
        id,
        Act::Raise,
        None,
        t.to,
        "",
        &serde_json::json!({ "channel": channel, "category": category, "photos": n }),
        &at,
    )?;
    Ok(id)
}

/// What 筛单 records.
#[derive(Debug, Clone, Default)]
pub struct Screening {
    /// A configured triage class (`major`, `minor`, `private`).
    pub triage: String,
    /// Why.
    pub reason: String,
    /// For a class that needs a referral: the department it goes to.
    pub department: Option<String>,
}

/// 筛单: triage with a reason; a class flagged `referral` (大事) is referred to a department with
/// an answer deadline in working days (parameter, calendar in force).
pub fn screen(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    s: &Screening,
    today: NaiveDate,
) -> Result<(), GovernanceError> {
    let rec = load(tx, who, id)?;
    let t = check(who, &rec, Act::Screen)?;
    let class = choice(tx, "triage", &s.triage, "分流类别")?;
    let reason = text("分流理由", &s.reason, 2, 500)?;
    let mut detail = serde_json::json!({ "triage": class.code });
    if class.flag == "referral" {
        let department = text("转交部门", s.department.as_deref().unwrap_or(""), 2, 60)?;
        let params = minzheng_reference::parameters::current(tx)?;
        let days = params
            .value_of(
                "governance.referral.answer_workdays",
                &rec.region_code,
                today,
            )
            .map_err(|e| GovernanceError::Internal(e.to_string()))?
            .amount_in(minzheng_kernel::params::ParamUnit::Workdays)
            .map_err(|e| GovernanceError::Internal(e.to_string()))?;
        let cal = minzheng_reference::calendar::calendar(tx)?;
        let deadline = cal
            .add_workdays(today, u32::try_from(days).unwrap_or(0))
            .map_err(|e| GovernanceError::Internal(e.to_string()))?
            .date;
        tx.execute(
            "INSERT INTO referral (request_id, department, referred_on, deadline) VALUES ($1, $2, $3, $4)",
            params![rec.id, department, today, deadline],
        )?;
        detail = serde_json::json!({ "triage": class.code, "department": department, "deadline": deadline.to_string() });
    }
    tx.execute(
        "UPDATE request SET triage = $1, triage_reason = $2 WHERE id = $3",
        params![class.code, reason, rec.id],
    )?;
    advance(tx, who, &rec, t, &reason, detail)
}

/// A referral of a major matter to a department.
#[derive(Debug, Clone, Serialize)]
pub struct Referral {
    /// The department.
    pub department: String,
    /// The day it was referred.
    pub referred_on: String,
    /// The answer deadline.
    pub deadline: String,
    /// The department's answer.
    pub answer: Option<String>,
    /// The day the answer was recorded.
    pub answered_on: Option<String>,
}

/// The referral of a request, if any.
pub fn referral(tx: &mut Tx<'_>, request_id: i64) -> Result<Option<Referral>, GovernanceError> {
    let r = tx.query_opt(
        "SELECT department, referred_on, deadline, answer, answered_on FROM referral WHERE request_id = $1",
        params![request_id],
    )?;
    r.map(|r| {
        Ok(Referral {
            department: r.get(0)?,
            referred_on: r.get(1)?,
            deadline: r.get(2)?,
            answer: r.get(3)?,
            answered_on: r.get(4)?,
        })
    })
    .transpose()
}

/// Records the department's answer to a referral (once).
pub fn answer_referral(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    answer: &str,
    today: NaiveDate,
) -> Result<(), GovernanceError> {
    let rec = load(tx, who, id)?;
    let t = check(who, &rec, Act::AnswerReferral)?;
    let answer = text("部门答复", answer, 2, 2000)?;
    let n = tx.execute(
        "UPDATE referral SET answer = $1, answered_on = $2, answered_by = $3 WHERE request_id = $4 AND answer IS NULL",
        params![answer, today, who.username, rec.id],
    )?;
    if n != 1 {
        return Err(invalid("该诉求没有待答复的部门转交"));
    }
    event(
        tx,
        who,
        rec.id,
        t.act,
        Some(rec.step),
        t.to,
        &answer,
        &serde_json::json!({}),
        &now(),
    )
}

/// What 定单 records.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// Accept (true) or decline.
    pub accept: bool,
    /// Why.
    pub reason: String,
    /// For an acceptance: a configured owner kind.
    pub owner_kind: String,
    /// The owner's name.
    pub owner_name: String,
    /// What will be done.
    pub plan: String,
    /// Budget in yuan as typed (`1200.50`).
    pub budget: String,
    /// Deadline in working days from today.
    pub deadline_workdays: i64,
}

/// 定单: accept with owner, plan, budget and a deadline in working days (calendar in force), or
/// decline with a reason. A major matter is decided only once its referral is answered.
pub fn decide(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    d: &Decision,
    today: NaiveDate,
) -> Result<(), GovernanceError> {
    let rec = load(tx, who, id)?;
    let t = check(who, &rec, if d.accept { Act::Accept } else { Act::Decline })?;
    let reason = text("定单理由", &d.reason, 2, 500)?;
    if let Some(r) = referral(tx, rec.id)?
        && r.answer.is_none()
    {
        return Err(invalid(format!(
            "该诉求已转交{}，须先登记部门答复（答复期限 {}）",
            r.department, r.deadline
        )));
    }
    if !d.accept {
        tx.execute(
            "UPDATE request SET decision = 'declined', decision_reason = $1 WHERE id = $2",
            params![reason, rec.id],
        )?;
        return advance(
            tx,
            who,
            &rec,
            t,
            &reason,
            serde_json::json!({ "decision": "declined" }),
        );
    }
    let owner_kind = choice(tx, "owner_kind", &d.owner_kind, "责任人类别")?.code;
    let owner_name = text("责任人", &d.owner_name, 2, 40)?;
    let plan = text("办理方案", &d.plan, 5, 2000)?;
    let budget = if d.budget.trim().is_empty() {
        Fen(0)
    } else {
        Fen::parse_yuan_within(d.budget.trim(), crate::rules::BUDGET_MAX)
            .map_err(|e| invalid(format!("预算：{e}")))?
    };
    if budget.is_negative() {
        return Err(invalid("预算不能为负数"));
    }
    let params = minzheng_reference::parameters::current(tx)?;
    let max = params
        .value_of(
            "governance.request.max_deadline_workdays",
            &rec.region_code,
            today,
        )
        .map_err(|e| GovernanceError::Internal(e.to_string()))?
        .amount_in(minzheng_kernel::params::ParamUnit::Workdays)
        .map_err(|e| GovernanceError::Internal(e.to_string()))?;
    if d.deadline_workdays < 1 || d.deadline_workdays > max {
        return Err(invalid(format!("办理期限应为 1 至 {max} 个工作日")));
    }
    let cal = minzheng_reference::calendar::calendar(tx)?;
    let deadline = cal
        .add_workdays(today, u32::try_from(d.deadline_workdays).unwrap_or(1))
        .map_err(|e| GovernanceError::Internal(e.to_string()))?
        .date;
    tx.execute(
        "UPDATE request SET decision = 'accepted', decision_reason = $1, owner_kind = $2, owner_name = $3, plan = $4,
            budget_fen = $5, deadline = $6 WHERE id = $7",
        params![reason, owner_kind, owner_name, plan, budget.0, deadline, rec.id],
    )?;
    advance(
        tx,
        who,
        &rec,
        t,
        &reason,
        serde_json::json!({ "decision": "accepted", "owner_kind": owner_kind, "budget_fen": budget.0,
            "deadline": deadline.to_string(), "workdays": d.deadline_workdays }),
    )
}

/// 议单: records the council meeting that deliberated the request; its resolution must have passed.
pub fn deliberate(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    meeting_id: i64,
) -> Result<(), GovernanceError> {
    let rec = load(tx, who, id)?;
    let t = check(who, &rec, Act::Deliberate)?;
    let m = tx
        .query_opt(
            "SELECT request_id, status, outcome FROM meeting WHERE id = $1 AND region_code = $2",
            params![meeting_id, rec.region_code],
        )?
        .ok_or_else(|| invalid(format!("本村（社区）没有编号为 {meeting_id} 的议事会议")))?;
    let (req, status, outcome): (Option<i64>, String, Option<String>) =
        (m.get(0)?, m.get(1)?, m.get(2)?);
    if req != Some(rec.id) {
        return Err(invalid("该会议不是为本诉求召开的"));
    }
    if status != "closed" || outcome.as_deref() != Some("passed") {
        return Err(invalid("该会议尚未形成通过的决议"));
    }
    tx.execute(
        "UPDATE request SET meeting_id = $1 WHERE id = $2",
        params![meeting_id, rec.id],
    )?;
    advance(
        tx,
        who,
        &rec,
        t,
        "",
        serde_json::json!({ "meeting_id": meeting_id }),
    )
}

/// 晒单: puts the decision on the community's public board.
pub fn publicize(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<(), GovernanceError> {
    let rec = load(tx, who, id)?;
    let t = check(who, &rec, Act::Publicize)?;
    tx.execute(
        "UPDATE request SET published_on = $1 WHERE id = $2",
        params![today, rec.id],
    )?;
    advance(
        tx,
        who,
        &rec,
        t,
        "",
        serde_json::json!({ "published_on": today.to_string() }),
    )
}

/// 落单: a progress update with percent done (never going back) and photos.
pub fn progress(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    percent: i64,
    note: &str,
    photos: &[Photo],
    today: NaiveDate,
) -> Result<(), GovernanceError> {
    let rec = load(tx, who, id)?;
    let t = check(who, &rec, Act::Progress)?;
    if !(0..=100).contains(&percent) {
        return Err(invalid("完成进度应为 0 至 100"));
    }
    if percent < rec.percent_done {
        return Err(invalid(format!(
            "完成进度不能低于上次登记的 {}%",
            rec.percent_done
        )));
    }
    let note = text("进度说明", note, 2, 1000)?;
    let pid: i64 = tx
        .query_one(
            "INSERT INTO request_progress (request_id, percent_done, note, on_date, by_actor) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            params![rec.id, percent, note, today, who.username],
        )?
        .get(0)?;
    let n = store_photos(tx, who, rec.id, Some(pid), photos)?;
    tx.execute(
        "UPDATE request SET percent_done = $1 WHERE id = $2",
        params![percent, rec.id],
    )?;
    advance(
        tx,
        who,
        &rec,
        t,
        &note,
        serde_json::json!({ "percent": percent, "photos": n }),
    )
}

/// Marks the work done (only at 100 %); whether it was on time is fixed now.
pub fn complete(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<(), GovernanceError> {
    let rec = load(tx, who, id)?;
    let t = check(who, &rec, Act::Complete)?;
    if rec.percent_done != 100 {
        return Err(invalid(format!(
            "完成进度为 {}%，登记到 100% 后才能办结",
            rec.percent_done
        )));
    }
    let on_time = rec
        .deadline
        .as_deref()
        .is_none_or(|d| today.to_string().as_str() <= d);
    tx.execute(
        "UPDATE request SET completed_on = $1, on_time = $2 WHERE id = $3",
        params![today, on_time, rec.id],
    )?;
    advance(
        tx,
        who,
        &rec,
        t,
        "",
        serde_json::json!({ "on_time": on_time }),
    )
}

/// 修单: the raiser's rating (1–5) and comment; only the resident who raised it may rate, once.
pub fn rate(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    rating: i64,
    comment: &str,
) -> Result<(), GovernanceError> {
    let rec = load(tx, who, id)?;
    let t = check(who, &rec, Act::Rate)?;
    if rec.raiser_account_id != Some(who.account_id) || who.role != Role::Citizen {
        return Err(GovernanceError::Forbidden(
            "只有提出该诉求的居民本人可以评价".into(),
        ));
    }
    if rec.rating.is_some() {
        return Err(invalid("您已评价过该诉求"));
    }
    if !(1..=5).contains(&rating) {
        return Err(invalid("评价应为 1 至 5 星"));
    }
    let comment = text("评价意见", comment, 0, 500)?;
    tx.execute(
        "UPDATE request SET rating = $1, rating_comment = $2 WHERE id = $3 AND rating IS NULL",
        params![rating, comment, rec.id],
    )?;
    advance(
        tx,
        who,
        &rec,
        t,
        &comment,
        serde_json::json!({ "rating": rating }),
    )
}

/// 修单: the street's review, which closes the cycle.
pub fn review(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    review: &str,
    today: NaiveDate,
) -> Result<(), GovernanceError> {
    let rec = load(tx, who, id)?;
    let t = check(who, &rec, Act::Review)?;
    let review = text("复核意见", review, 2, 1000)?;
    tx.execute(
        "UPDATE request SET review = $1, closed_on = $2 WHERE id = $3",
        params![review, today, rec.id],
    )?;
    advance(tx, who, &rec, t, &review, serde_json::json!({}))
}

/// 修单: reopening, by the raiser or a community worker: closes this cycle (marked reopened) and
/// starts a new request at 收单 linked to it, carrying the place, category and resident.
/// A cycle is reopened at most once (a unique key on the link).
pub fn reopen(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    reason: &str,
    today: NaiveDate,
) -> Result<i64, GovernanceError> {
    let rec = load(tx, who, id)?;
    let t = check(who, &rec, Act::Reopen)?;
    if who.role == Role::Citizen && rec.raiser_account_id != Some(who.account_id) {
        return Err(GovernanceError::Forbidden(
            "只有提出该诉求的居民本人可以申请重新办理".into(),
        ));
    }
    if rec.reopened {
        return Err(invalid("该诉求已重新办理过"));
    }
    let reason = text("重新办理的理由", reason, 2, 1000)?;
    let at = now();
    tx.execute(
        "UPDATE request SET reopened = TRUE, closed_on = COALESCE(closed_on, $1) WHERE id = $2",
        params![today, rec.id],
    )?;
    advance(tx, who, &rec, t, &reason, serde_json::json!({}))?;
    let new_id: i64 = tx
        .query_one(
            "INSERT INTO request (previous_id, cycle, region_code, street_code, district_code, step, channel, category,
                description, raiser_account_id, raiser_name, raiser_phone, raised_by, raised_on, raised_at,
                percent_done, reopened, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'collect', $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, FALSE, $14) RETURNING id",
            params![rec.id, rec.cycle + 1, rec.region_code, rec.region_code[..9].to_owned(), rec.region_code[..6].to_owned(),
                rec.channel, rec.category, format!("{}\n【重新办理】{}", rec.description, reason),
                rec.raiser_account_id, rec.raiser_name, rec.raiser_phone, who.username, today, at],
        )
        .map_err(|e| {
            if e.is_unique_violation() {
                invalid("该诉求已重新办理过")
            } else {
                e.into()
            }
        })?
        .get(0)?;
    let state = crate::tally::state_of(tx, new_id)?;
    crate::tally::add(tx, &rec.region_code, &state)?;
    event(
        tx,
        who,
        new_id,
        Act::Raise,
        None,
        Step::Collect,
        &reason,
        &serde_json::json!({ "reopens": rec.id }),
        &at,
    )?;
    Ok(new_id)
}

/// One event of a request's history.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    /// What was done.
    pub action: String,
    /// From which step.
    pub from_step: Option<String>,
    /// To which step.
    pub to_step: String,
    /// Who.
    pub actor: String,
    /// Their role.
    pub actor_role: String,
    /// When (UTC).
    pub at: String,
    /// Why.
    pub reason: String,
}

/// The history of a request (caller has loaded it, so it is visible).
pub fn events(tx: &mut Tx<'_>, request_id: i64) -> Result<Vec<EventRow>, GovernanceError> {
    let rows = tx.query(
        "SELECT action, from_step, to_step, actor, actor_role, at, reason FROM request_event WHERE request_id = $1 ORDER BY id",
        params![request_id],
    )?;
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                action: r.get(0)?,
                from_step: r.get(1)?,
                to_step: r.get(2)?,
                actor: r.get(3)?,
                actor_role: r.get(4)?,
                at: r.get(5)?,
                reason: r.get(6)?,
            })
        })
        .collect()
}

/// One progress update.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressRow {
    /// Percent done.
    pub percent_done: i64,
    /// What was done.
    pub note: String,
    /// The day.
    pub on_date: String,
    /// Who.
    pub by_actor: String,
}

/// The progress updates of a request.
pub fn progress_rows(
    tx: &mut Tx<'_>,
    request_id: i64,
) -> Result<Vec<ProgressRow>, GovernanceError> {
    let rows = tx.query(
        "SELECT percent_done, note, on_date, by_actor FROM request_progress WHERE request_id = $1 ORDER BY id",
        params![request_id],
    )?;
    rows.iter()
        .map(|r| {
            Ok(ProgressRow {
                percent_done: r.get(0)?,
                note: r.get(1)?,
                on_date: r.get(2)?,
                by_actor: r.get(3)?,
            })
        })
        .collect()
}

/// The attachment ids of a request's photos.
pub fn photo_ids(tx: &mut Tx<'_>, request_id: i64) -> Result<Vec<i64>, GovernanceError> {
    let rows = tx.query(
        "SELECT attachment_id FROM request_photo WHERE request_id = $1 ORDER BY id",
        params![request_id],
    )?;
    rows.iter().map(|r| Ok(r.get(0)?)).collect()
}

/// A photo's bytes and type, if it belongs to a request `who` may see.
pub fn photo(
    tx: &mut Tx<'_>,
    who: &Principal,
    request_id: i64,
    attachment_id: i64,
) -> Result<(String, Vec<u8>), GovernanceError> {
    load(tx, who, request_id)?;
    let linked = tx.query_opt(
        "SELECT id FROM request_photo WHERE request_id = $1 AND attachment_id = $2",
        params![request_id, attachment_id],
    )?;
    if linked.is_none() {
        return Err(GovernanceError::NotFound);
    }
    let meta = attachments::meta(tx, attachment_id)?.ok_or(GovernanceError::NotFound)?;
    let bytes = attachments::read_all(tx, attachment_id)?.ok_or(GovernanceError::NotFound)?;
    Ok((meta.content_type, bytes))
}

/// A filter of the worklist.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this step.
    pub step: Option<String>,
    /// Only codes starting with this (a community, street or district).
    pub prefix: Option<String>,
}

/// The worklist: requests within the scope (a citizen: his own), newest first, at most 200.
pub fn list(
    tx: &mut Tx<'_>,
    who: &Principal,
    filter: &ListFilter,
) -> Result<Vec<RequestRecord>, GovernanceError> {
    let step = filter.step.clone().filter(|s| Step::from_id(s).is_some());
    let prefix = filter
        .prefix
        .clone()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let rows = if who.role == Role::Citizen {
        tx.query(
            &format!("SELECT {COLUMNS} FROM request WHERE raiser_account_id = $1 ORDER BY id DESC LIMIT 200"),
            params![who.account_id],
        )?
    } else {
        who.require(Action::GovernanceRead)?;
        let (cond, values) = who.scope().sql("region_code", 1);
        let mut p: Vec<Value> = values.into_iter().map(Value::Text).collect();
        // Optional filters are added only when given, so the index on (region_code, id) serves them.
        let mut extra = String::new();
        if let Some(s) = &step {
            p.push(Value::Text(s.clone()));
            extra.push_str(&format!(" AND step = ${}", p.len()));
        }
        if let Some(pre) = &prefix {
            p.push(Value::Text(pre.clone()));
            p.push(Value::Text(format!("{pre}:")));
            extra.push_str(&format!(
                " AND region_code >= ${} AND region_code < ${}",
                p.len() - 1,
                p.len()
            ));
        }
        let refs: Vec<&dyn ToValue> = p.iter().map(|v| v as &dyn ToValue).collect();
        tx.query(
            &format!(
                "SELECT {COLUMNS} FROM request WHERE {cond}{extra} ORDER BY id DESC LIMIT 200"
            ),
            &refs,
        )?
    };
    rows.iter().map(from_row).collect()
}

/// The acts `who` could take on `rec` now (for the detail page's forms).
pub fn possible_acts(who: &Principal, rec: &RequestRecord) -> Vec<Act> {
    rules::acts_from(rec.step)
        .into_iter()
        .filter(|a| {
            rules::transition(*a, Some(rec.step)).is_ok_and(|t| who.can(t.action))
                && match a {
                    Act::Rate => {
                        who.role == Role::Citizen
                            && rec.raiser_account_id == Some(who.account_id)
                            && rec.rating.is_none()
                    }
                    Act::Reopen => !rec.reopened,
                    Act::Decline | Act::Accept => true,
                    _ => true,
                }
        })
        .collect()
}

/// Adds photos to a request: the raiser before the work is done, or staff who handle requests
/// (attached to the latest progress update while it is being implemented).
pub fn add_photos(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    photos: &[Photo],
) -> Result<usize, GovernanceError> {
    let rec = load(tx, who, id)?;
    let raiser = who.role == Role::Citizen && rec.raiser_account_id == Some(who.account_id);
    if !raiser {
        who.require(Action::RequestHandle)?;
    }
    if matches!(rec.step, Step::Revise | Step::Closed) {
        return Err(invalid("诉求已办结，不能再上传照片"));
    }
    if photos.is_empty() {
        return Err(invalid("请选择要上传的照片"));
    }
    let progress_id: Option<i64> = if rec.step == Step::Implement {
        tx.query_opt(
            "SELECT id FROM request_progress WHERE request_id = $1 ORDER BY id DESC LIMIT 1",
            params![rec.id],
        )?
        .map(|r| r.get(0))
        .transpose()?
    } else {
        None
    };
    let n = store_photos(tx, who, rec.id, progress_id, photos)?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "request.photos",
            record_type: "request",
            record_id: rec.id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "photos": n, "step": rec.step.id() }),
        },
    )?;
    Ok(n)
}

/// The kinds of configured option and whether new codes may be added to them (steps, triage
/// classes and list kinds drive the rules, so they are renamed only).
pub const OPTION_KINDS: [(&str, &str, bool); 7] = [
    ("step", "环节（7单工作法）", false),
    ("triage", "三事分流类别", false),
    ("duty_list_kind", "四张清单", false),
    ("council_kind", "议事会类别", true),
    ("owner_kind", "责任人类别", true),
    ("channel", "收集渠道", false),
    ("category", "诉求类别", true),
];

fn require_city_config(who: &Principal) -> Result<(), GovernanceError> {
    who.require(Action::GovernanceManage)?;
    if who.scope_code.len() > 2 {
        return Err(GovernanceError::Forbidden(
            "本地定义（环节、分流类别、清单类别等）全市统一，由市级管理员维护".into(),
        ));
    }
    Ok(())
}

/// Renames a configured option (the local definitions are [OPEN]: RULES.md §14.2).
pub fn rename_choice(
    tx: &mut Tx<'_>,
    who: &Principal,
    kind: &str,
    code: &str,
    name: &str,
) -> Result<(), GovernanceError> {
    require_city_config(who)?;
    let old = choice(tx, kind, code, "选项")?;
    let name = text("名称", name, 1, 30)?;
    tx.execute(
        "UPDATE governance_option SET name_zh = $1 WHERE kind = $2 AND code = $3",
        params![name, kind, old.code],
    )?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "governance_option.rename",
            record_type: "governance_option",
            record_id: format!("{kind}:{}", old.code),
            subject_key: None,
            before: Some(serde_json::json!({ "name": old.name })),
            after: Some(serde_json::json!({ "name": name })),
            detail: serde_json::json!({ "kind": kind, "code": old.code, "from": old.name, "to": name }),
        },
    )?;
    Ok(())
}

/// Adds an option to a kind that allows it (categories, council kinds, owner kinds).
pub fn add_choice(
    tx: &mut Tx<'_>,
    who: &Principal,
    kind: &str,
    code: &str,
    name: &str,
) -> Result<(), GovernanceError> {
    require_city_config(who)?;
    if !OPTION_KINDS.iter().any(|(k, _, add)| *k == kind && *add) {
        return Err(invalid("这一类选项由业务规则决定，只能改名，不能增加"));
    }
    let code = code.trim().to_lowercase();
    let ok =
        (2..=30).contains(&code.len()) && code.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if !ok {
        return Err(invalid("代码应为 2–30 位小写英文字母或下划线"));
    }
    let name = text("名称", name, 1, 30)?;
    let pos: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM governance_option WHERE kind = $1",
            params![kind],
        )?
        .get(0)?;
    tx.execute(
        "INSERT INTO governance_option (kind, code, name_zh, position, flag) VALUES ($1, $2, $3, $4, '')",
        params![kind, code, name, pos + 1],
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            invalid(format!("代码 {code} 已存在"))
        } else {
            e.into()
        }
    })?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "governance_option.add",
            record_type: "governance_option",
            record_id: format!("{kind}:{code}"),
            subject_key: None,
            before: None,
            after: Some(serde_json::json!({ "name": name })),
            detail: serde_json::json!({ "kind": kind, "code": code, "name": name }),
        },
    )?;
    Ok(())
}
