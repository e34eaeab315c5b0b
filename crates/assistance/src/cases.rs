//! Applications and every transition of the procedure (RULES.md §1.5, §3.2): each step checks the
//! transition table and the permission, changes the case under its version (so two racing steps
//! cannot both land), writes an event row, keeps the clock, queues a notification to the applicant
//! and writes the audit row — all in the caller's transaction.

use crate::amounts::{self, AmountRequest, AreaType, MemberFacts, TemporaryKind};
use crate::households::{self, NewMember, audit, insert_household, insert_member};
use crate::rules::{self, Channel, Program, RuleSet, State, Step, Who};
use crate::{AssistanceError, now_text};
use chrono::{Datelike, NaiveDate};
use minzheng_access::notify::{self, Channel as NotifyChannel};
use minzheng_access::{Action, Principal, Role};
use minzheng_kernel::calendar::Calendar;
use minzheng_kernel::money::Fen;
use minzheng_kernel::params::{ParamSet, ParamUnit};
use minzheng_store::audit::AuditContext;
use minzheng_store::{Tx, params};

/// One application as the services read it.
#[derive(Debug, Clone)]
pub struct CaseRow {
    /// Id.
    pub id: i64,
    /// Household.
    pub household_id: i64,
    /// Applicant.
    pub applicant_person_id: i64,
    /// Community code.
    pub region_code: String,
    /// Program.
    pub program: Program,
    /// `emergency` / `expenditure` for temporary assistance.
    pub subtype: Option<String>,
    /// Channel.
    pub channel: Channel,
    /// Current state.
    pub state: State,
    /// Clock rule set, once accepted.
    pub rule_set: Option<RuleSet>,
    /// The citizen account that applied online.
    pub citizen_account_id: Option<i64>,
    /// Phone for notifications.
    pub phone: Option<String>,
    /// Documents handed in.
    pub documents: Vec<String>,
    /// Means-check authorization signed.
    pub authorization_signed: bool,
    /// A relative of staff (registered).
    pub close_relative: bool,
    /// Drawn for the district's sample home visit.
    pub sample_visit: bool,
    /// Temporary assistance: need assessed.
    pub requested_fen: Option<i64>,
    /// Tekun: self-care activities failed.
    pub self_care_fails: Option<i64>,
    /// Amount (proposed at notice, fixed at approval).
    pub amount_fen: Option<i64>,
    /// Submission date.
    pub submitted_on: NaiveDate,
    /// Acceptance date.
    pub accepted_on: Option<NaiveDate>,
    /// Current deadline.
    pub deadline: Option<NaiveDate>,
    /// Time limit of the rule set (days or working days).
    pub time_limit: Option<i64>,
    /// Calendar days excluded so far.
    pub paused_days: i64,
    /// Working days excluded so far.
    pub paused_workdays: i64,
    /// Start of the current excluded period.
    pub paused_since: Option<NaiveDate>,
    /// Optimistic-lock version (= number of events).
    pub version: i64,
}

pub(crate) fn date(s: &str) -> Result<NaiveDate, AssistanceError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| AssistanceError::Internal(format!("bad date {s}: {e}")))
}

const CASE_COLUMNS: &str = "id, household_id, applicant_person_id, region_code, program, subtype, channel, state, rule_set,
    citizen_account_id, phone, documents, authorization_signed, close_relative, sample_visit, requested_fen, self_care_fails,
    amount_fen, submitted_on, accepted_on, deadline, time_limit, paused_days, paused_workdays, paused_since, version";

fn case_from_row(r: &minzheng_store::Row) -> Result<CaseRow, AssistanceError> {
    let bad = |what: &str| AssistanceError::Internal(format!("bad {what}"));
    Ok(CaseRow {
        id: r.get(0)?,
        household_id: r.get(1)?,
        applicant_person_id: r.get(2)?,
        region_code: r.get(3)?,
        program: Program::parse(&r.get::<String>(4)?).ok_or_else(|| bad("program"))?,
        subtype: r.get(5)?,
        channel: Channel::parse(&r.get::<String>(6)?).ok_or_else(|| bad("channel"))?,
        state: State::parse(&r.get::<String>(7)?).ok_or_else(|| bad("state"))?,
        rule_set: r.get::<Option<String>>(8)?.and_then(|s| RuleSet::parse(&s)),
        citizen_account_id: r.get(9)?,
        phone: r.get(10)?,
        documents: r
            .get::<String>(11)?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        authorization_signed: r.get(12)?,
        close_relative: r.get(13)?,
        sample_visit: r.get(14)?,
        requested_fen: r.get(15)?,
        self_care_fails: r.get(16)?,
        amount_fen: r.get(17)?,
        submitted_on: date(&r.get::<String>(18)?)?,
        accepted_on: r.get::<Option<String>>(19)?.map(|s| date(&s)).transpose()?,
        deadline: r.get::<Option<String>>(20)?.map(|s| date(&s)).transpose()?,
        time_limit: r.get(21)?,
        paused_days: r.get(22)?,
        paused_workdays: r.get(23)?,
        paused_since: r.get::<Option<String>>(24)?.map(|s| date(&s)).transpose()?,
        version: r.get(25)?,
    })
}

/// Loads a case the principal may see: staff within scope, a citizen only their own; anything
/// else is "not found".
pub fn load(tx: &mut Tx<'_>, who: &Principal, id: i64) -> Result<CaseRow, AssistanceError> {
    let row = tx
        .query_opt(
            &format!("SELECT {CASE_COLUMNS} FROM assistance_application WHERE id = $1"),
            params![id],
        )?
        .ok_or(AssistanceError::NotFound)?;
    let case = case_from_row(&row)?;
    let visible = if who.role == Role::Citizen {
        case.citizen_account_id == Some(who.account_id)
    } else {
        who.can(Action::AssistanceRead) && who.scope().contains(&case.region_code)
    };
    if !visible {
        return Err(AssistanceError::NotFound);
    }
    Ok(case)
}

fn invalid(m: impl Into<String>) -> AssistanceError {
    AssistanceError::Invalid(m.into())
}

fn param_flag(p: &ParamSet, key: &str, region: &str, on: NaiveDate) -> bool {
    p.value_of(key, region, on)
        .ok()
        .and_then(|r| r.flag().ok())
        .unwrap_or(false)
}

fn param_int(
    p: &ParamSet,
    key: &str,
    region: &str,
    on: NaiveDate,
    unit: ParamUnit,
) -> Result<i64, AssistanceError> {
    p.value_of(key, region, on)
        .and_then(|r| r.amount_in(unit))
        .map_err(|e| AssistanceError::Internal(format!("参数 {key}：{e}")))
}

/// The deadline of a rule set: calendar days with the civil-code end rule (CQ 2016) or working
/// days, counted from the acceptance date, plus the excluded (paused) time.
pub fn deadline_of(
    cal: &Calendar,
    rule: RuleSet,
    accepted_on: NaiveDate,
    limit: i64,
    paused_days: i64,
    paused_workdays: i64,
) -> Result<NaiveDate, AssistanceError> {
    let r = if rule.workdays() {
        cal.add_workdays(
            accepted_on,
            u32::try_from(limit + paused_workdays).unwrap_or(0),
        )
    } else {
        cal.civil_code_deadline(accepted_on, u32::try_from(limit + paused_days).unwrap_or(0))
    };
    r.map(|d| d.date)
        .map_err(|e| AssistanceError::Internal(e.to_string()))
}

/// The rule set, time limit and whether appraisal and notice are excluded, for a case accepted on a date.
pub fn clock_rule(
    p: &ParamSet,
    program: Program,
    channel: Channel,
    region: &str,
    on: NaiveDate,
) -> Result<(RuleSet, i64, bool), AssistanceError> {
    if program == Program::TemporaryAssistance {
        let n = param_int(
            p,
            "temporary_assistance.decision.time_limit_workdays",
            region,
            on,
            ParamUnit::Workdays,
        )?;
        return Ok((RuleSet::Temporary, n, false));
    }
    if channel == Channel::Online && param_flag(p, "assistance.fast_track.enabled", region, on) {
        let n = param_int(
            p,
            "assistance.fast_track.time_limit_workdays",
            region,
            on,
            ParamUnit::Workdays,
        )?;
        let ex = param_flag(
            p,
            "assistance.fast_track.clock_excludes_appraisal_and_notice",
            region,
            on,
        );
        return Ok((RuleSet::FastTrack, n, ex));
    }
    if param_flag(p, "dibao.decision.clock_workdays", region, on) {
        let n = param_int(
            p,
            "dibao.decision.time_limit_workdays",
            region,
            on,
            ParamUnit::Workdays,
        )?;
        return Ok((RuleSet::National2021, n, false));
    }
    let n = param_int(
        p,
        "dibao.decision.time_limit_days",
        region,
        on,
        ParamUnit::Days,
    )?;
    let ex = param_flag(
        p,
        "dibao.decision.clock_excludes_appraisal_and_notice",
        region,
        on,
    );
    Ok((RuleSet::Cq2016, n, ex))
}

fn intake_deadline(
    p: &ParamSet,
    cal: &Calendar,
    region: &str,
    on: NaiveDate,
) -> Result<NaiveDate, AssistanceError> {
    let n = param_int(
        p,
        "assistance.intake.acceptance_workdays",
        region,
        on,
        ParamUnit::Workdays,
    )?;
    cal.add_workdays(on, u32::try_from(n).unwrap_or(0))
        .map(|d| d.date)
        .map_err(|e| AssistanceError::Internal(e.to_string()))
}

/// What one transition changes beyond the state.
#[derive(Debug, Default)]
struct Move<'a> {
    reason: &'a str,
    detail: serde_json::Value,
    /// Set the deadline (Some(None) clears it).
    deadline: Option<Option<NaiveDate>>,
}

/// Takes a step: checks the table and the permission, keeps the clock, updates the case under
/// its version, writes the event, notifies, audits. Returns the new state.
fn take(
    tx: &mut Tx<'_>,
    who: &Principal,
    case: &CaseRow,
    step: Step,
    today: NaiveDate,
    mv: Move<'_>,
) -> Result<State, AssistanceError> {
    let t = rules::transition(step, case.state).ok_or_else(|| {
        invalid(format!(
            "案件当前为“{}”，不能办理“{}”",
            case.state.label_zh(),
            step.label_zh()
        ))
    })?;
    match t.who {
        Who::Staff(a) => {
            if who.role == Role::Citizen {
                return Err(invalid(format!("“{}”须由工作人员办理", step.label_zh())));
            }
            who.require(a)?;
        }
        Who::ApplicantOr(a) => {
            if who.role == Role::Citizen {
                who.require(Action::CaseApply)?;
            } else {
                who.require(a)?;
            }
        }
    }
    let to = t.to;
    // The clock: leaving an excluded period adds it to the pause; entering one starts it.
    let mut paused_days = case.paused_days;
    let mut paused_workdays = case.paused_workdays;
    let mut paused_since = case.paused_since;
    let mut deadline = case.deadline;
    let cal = minzheng_reference::calendar::calendar(tx)?;
    if case.state.pauses_clock()
        && !to.pauses_clock()
        && let Some(since) = paused_since.take()
    {
        paused_days += (today - since).num_days().max(0);
        paused_workdays += cal.workdays_between(since, today).workdays.max(0);
    }
    if to.pauses_clock() && !case.state.pauses_clock() {
        paused_since = Some(today);
    }
    if let (Some(rule), Some(acc), Some(limit)) = (case.rule_set, case.accepted_on, case.time_limit)
    {
        let p = crate::param_set(tx)?;
        let (_, _, excludes) = clock_rule(&p, case.program, case.channel, &case.region_code, acc)?;
        if excludes {
            deadline = Some(deadline_of(
                &cal,
                rule,
                acc,
                limit,
                paused_days,
                paused_workdays,
            )?);
        }
    }
    if let Some(d) = mv.deadline {
        deadline = d;
    }
    if to.is_final() {
        paused_since = None;
    }
    let new_version = case.version + 1;
    let n = tx.execute(
        "UPDATE assistance_application SET state = $1, is_open = $2, paused_days = $3, paused_workdays = $4,
         paused_since = $5, deadline = $6, version = $7, updated_at = $8 WHERE id = $9 AND version = $10",
        params![
            to.id(),
            !to.is_final(),
            paused_days,
            paused_workdays,
            paused_since.map(|d| d.to_string()),
            deadline.map(|d| d.to_string()),
            new_version,
            now_text(),
            case.id,
            case.version
        ],
    )?;
    if n == 0 {
        return Err(invalid("案件已被他人更新，请刷新后重试"));
    }
    insert_event(
        tx,
        who,
        case.id,
        new_version,
        step.id(),
        Some(case.state),
        to,
        today,
        mv.reason,
        &mv.detail,
    )?;
    let next = deadline
        .filter(|_| !to.is_final())
        .map(|d| format!("，办理期限 {d}"))
        .unwrap_or_default();
    notify_applicant(
        tx,
        who,
        case,
        &format!("{}：{}", case.program.label_zh(), to.label_zh()),
        &format!(
            "您的{}申请（编号 {}）已{}，当前状态：{}{}。",
            case.program.label_zh(),
            case.id,
            step.label_zh(),
            to.label_zh(),
            next
        ),
    )?;
    audit(
        tx,
        who,
        &format!("assistance.{}", step.id()),
        "assistance_application",
        case.id,
        None,
        serde_json::json!({ "from": case.state.id(), "to": to.id() }),
    )?;
    Ok(to)
}

#[allow(clippy::too_many_arguments)]
fn insert_event(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    seq: i64,
    action: &str,
    from: Option<State>,
    to: State,
    on: NaiveDate,
    reason: &str,
    detail: &serde_json::Value,
) -> Result<(), AssistanceError> {
    let r = tx.execute(
        "INSERT INTO assistance_event (application_id, seq, action, from_state, to_state, actor, actor_role, on_date, at, reason, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        params![
            id,
            seq,
            action,
            from.map(|s| s.id().to_owned()),
            to.id(),
            who.display_name,
            who.role.id(),
            on.to_string(),
            now_text(),
            reason,
            detail.to_string()
        ],
    );
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_unique_violation() => Err(invalid("案件已被他人更新，请刷新后重试")),
        Err(e) => Err(e.into()),
    }
}

fn notify_applicant(
    tx: &mut Tx<'_>,
    who: &Principal,
    case: &CaseRow,
    subject: &str,
    body: &str,
) -> Result<(), AssistanceError> {
    if let Some(phone) = case.phone.as_deref().filter(|p| !p.is_empty()) {
        notify::enqueue(
            tx,
            &who.audit(),
            NotifyChannel::Sms,
            phone,
            subject,
            body,
            chrono::Utc::now(),
        )?;
    }
    Ok(())
}

/// What a staff-entered application needs (counter or community discovery).
#[derive(Debug, Clone, Default)]
pub struct NewApplication {
    /// Household (must be in scope).
    pub household_id: i64,
    /// Applicant: an active member.
    pub applicant_person_id: i64,
    /// `dibao`, `tekun`, `temporary_assistance`.
    pub program: String,
    /// `emergency` / `expenditure` (temporary assistance only).
    pub subtype: Option<String>,
    /// `counter` or `discovery`.
    pub channel: String,
    /// Why the family applies.
    pub reason: String,
    /// Document identifiers handed in (`rules::DOCUMENTS`).
    pub documents: Vec<String>,
    /// Means-check authorization signed.
    pub authorization_signed: bool,
    /// Phone for notifications.
    pub phone: Option<String>,
    /// Temporary assistance: the need, in yuan as typed.
    pub requested: Option<String>,
    /// Tekun: activities the person cannot do (0–6).
    pub self_care_fails: Option<u8>,
}

fn check_phone(phone: &Option<String>) -> Result<Option<String>, AssistanceError> {
    match phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) if p.len() == 11 && p.starts_with('1') && p.chars().all(|c| c.is_ascii_digit()) => {
            Ok(Some(p.to_owned()))
        }
        Some(_) => Err(invalid("手机号码应为 11 位数字")),
    }
}

#[allow(clippy::too_many_arguments)]
fn insert_application(
    tx: &mut Tx<'_>,
    who: &Principal,
    input: &NewApplication,
    channel: Channel,
    region: &str,
    citizen: Option<i64>,
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    let program = Program::parse(&input.program).ok_or_else(|| invalid("请选择救助项目"))?;
    let subtype = match (program, input.subtype.as_deref().filter(|s| !s.is_empty())) {
        (Program::TemporaryAssistance, Some(s @ ("emergency" | "expenditure"))) => {
            Some(s.to_owned())
        }
        (Program::TemporaryAssistance, _) => return Err(invalid("临时救助请选择急难型或支出型")),
        (_, None) => None,
        (_, Some(_)) => return Err(invalid("只有临时救助区分急难型、支出型")),
    };
    let reason = input.reason.trim();
    if reason.chars().count() < 4 || reason.chars().count() > 2000 {
        return Err(invalid("请写明申请理由（4 至 2000 字）"));
    }
    let requested = match (
        program,
        input.requested.as_deref().filter(|s| !s.trim().is_empty()),
    ) {
        (Program::TemporaryAssistance, Some(s)) => {
            let f = Fen::parse_yuan_within(s, rules::REQUESTED_MAX)
                .map_err(|e| invalid(format!("救助需求金额有误：{e}")))?;
            if f.0 <= 0 {
                return Err(invalid("救助需求金额应大于 0"));
            }
            Some(f.0)
        }
        (Program::TemporaryAssistance, None) => return Err(invalid("临时救助请填写救助需求金额")),
        _ => None,
    };
    let fails = match (program, input.self_care_fails) {
        (Program::Tekun, Some(f)) if f <= 6 => Some(i64::from(f)),
        (Program::Tekun, Some(_)) => {
            return Err(invalid("生活自理能力评估共 6 项，不能完成的项数为 0 至 6"));
        }
        (Program::Tekun, None) => {
            return Err(invalid("特困申请请填写生活自理能力评估（不能完成的项数）"));
        }
        _ => None,
    };
    let phone = check_phone(&input.phone)?;
    let members = households::members(tx, input.household_id)?;
    if !members
        .iter()
        .any(|m| m.person_id == input.applicant_person_id)
    {
        return Err(invalid("申请人须是本户在册成员"));
    }
    let documents: Vec<String> = input
        .documents
        .iter()
        .filter(|d| rules::DOCUMENTS.iter().any(|(id, _)| id == d))
        .cloned()
        .collect();
    // 近亲属备案: any member registered as a relative of staff.
    let mut close_relative = false;
    for m in &members {
        if tx
            .query_opt(
                "SELECT 1 FROM staff_relative WHERE relative_id_number = $1",
                params![m.id_number],
            )?
            .is_some()
        {
            close_relative = true;
        }
    }
    let p = crate::param_set(tx)?;
    let cal = minzheng_reference::calendar::calendar(tx)?;
    let deadline = intake_deadline(&p, &cal, region, today)?;
    let inserted = tx.query_one(
        "INSERT INTO assistance_application (household_id, applicant_person_id, region_code, program, subtype, channel, state,
         is_open, rule_set, citizen_account_id, phone, reason, documents, authorization_signed, missing, close_relative,
         sample_visit, requested_fen, self_care_fails, amount_fen, first_month, explanation, refusal_reasons, submitted_on,
         accepted_on, decided_on, deadline, time_limit, paused_days, paused_workdays, paused_since, processing_days, version,
         created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'submitted', TRUE, NULL, $7, $8, $9, $10, $11, NULL, $12, FALSE, $13, $14, NULL, NULL,
         NULL, NULL, $15, NULL, NULL, $16, NULL, 0, 0, NULL, NULL, 1, $17, $18, $18) RETURNING id",
        params![
            input.household_id,
            input.applicant_person_id,
            region,
            program.id(),
            subtype,
            channel.id(),
            citizen,
            phone,
            reason,
            documents.join(","),
            input.authorization_signed,
            close_relative,
            requested,
            fails,
            today.to_string(),
            deadline.to_string(),
            who.username,
            now_text()
        ],
    );
    let id: i64 = match inserted {
        Ok(r) => r.get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(invalid(format!(
                "该家庭已有一件办理中的{}申请，不能重复申请",
                program.label_zh()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    insert_event(
        tx,
        who,
        id,
        1,
        "submit",
        None,
        State::Submitted,
        today,
        channel.label_zh(),
        &serde_json::json!({ "channel": channel.id() }),
    )?;
    if let Some(ph) = &phone {
        notify::enqueue(
            tx,
            &who.audit(),
            NotifyChannel::Sms,
            ph,
            &format!("{}申请已提交", program.label_zh()),
            &format!(
                "您的{}申请（编号 {id}）已提交，将于 {deadline} 前作出受理或一次性告知。",
                program.label_zh()
            ),
            chrono::Utc::now(),
        )?;
    }
    if close_relative {
        notify::enqueue(
            tx,
            &who.audit(),
            NotifyChannel::Staff,
            &who.username,
            "近亲属备案申请",
            &format!("申请 {id} 的家庭成员已登记为工作人员近亲属，须区县入户调查。"),
            chrono::Utc::now(),
        )?;
    }
    audit(
        tx,
        who,
        "assistance.submit",
        "assistance_application",
        id,
        None,
        serde_json::json!({ "program": program.id(), "channel": channel.id(), "household_id": input.household_id }),
    )?;
    Ok(id)
}

/// Staff take an application at the counter or record one found by a community worker.
pub fn apply(
    tx: &mut Tx<'_>,
    who: &Principal,
    input: &NewApplication,
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    who.require(Action::CaseHandle)?;
    let channel = match Channel::parse(&input.channel) {
        Some(c @ (Channel::Counter | Channel::Discovery)) => c,
        _ => return Err(invalid("工作人员受理的申请渠道应为窗口申请或主动发现")),
    };
    let region = households::household_region(tx, who, input.household_id)?;
    insert_application(tx, who, input, channel, &region, None, today)
}

/// One more member listed by a citizen applying online.
#[derive(Debug, Clone, Default)]
pub struct OnlineMember {
    /// Name.
    pub name: String,
    /// ID number.
    pub id_number: String,
    /// Relation id.
    pub relation: String,
}

impl OnlineMember {
    /// The member as the household registry takes it: living with the family, not excluded.
    fn as_member(&self) -> NewMember {
        NewMember {
            id_number: self.id_number.clone(),
            name: self.name.clone(),
            relation: self.relation.clone(),
            co_resident: true,
            exclusion: "none".into(),
            ..NewMember::default()
        }
    }
}

/// What a citizen fills in on the phone.
#[derive(Debug, Clone, Default)]
pub struct OnlineApplication {
    /// Program id.
    pub program: String,
    /// Temporary assistance kind.
    pub subtype: Option<String>,
    /// 12-digit community or village code where the family is registered.
    pub region_code: String,
    /// Address.
    pub address: String,
    /// Other household members.
    pub members: Vec<OnlineMember>,
    /// Reason.
    pub reason: String,
    /// Document identifiers whose photos were attached.
    pub documents: Vec<String>,
    /// Means-check authorization signed.
    pub authorization_signed: bool,
    /// Phone for notifications (default: the account's phone).
    pub phone: Option<String>,
    /// Temporary assistance need, in yuan.
    pub requested: Option<String>,
    /// Tekun self-care activities failed.
    pub self_care_fails: Option<u8>,
}

/// A citizen applies online for their household: the household is registered from the form if
/// the citizen is not yet an active member of one.
pub fn apply_online(
    tx: &mut Tx<'_>,
    who: &Principal,
    input: &OnlineApplication,
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    who.require(Action::CaseApply)?;
    let acct = tx.query_one(
        "SELECT id_number, real_name, phone FROM account WHERE id = $1",
        params![who.account_id],
    )?;
    let (Some(id_number), Some(real_name)) = (
        acct.get::<Option<String>>(0)?,
        acct.get::<Option<String>>(1)?,
    ) else {
        return Err(invalid("请先在“我的”页面绑定身份证号码和姓名，再申请救助"));
    };
    let account_phone: Option<String> = acct.get(2)?;
    let existing = tx.query_opt(
        "SELECT m.household_id, p.id, h.region_code FROM person p
         JOIN household_member m ON m.person_id = p.id AND m.active
         JOIN household h ON h.id = m.household_id WHERE p.id_number = $1",
        params![id_number],
    )?;
    let (household_id, person_id, region) = match existing {
        Some(r) => {
            let (hid, pid, region) = (r.get::<i64>(0)?, r.get::<i64>(1)?, r.get::<String>(2)?);
            // A self-declared number is no proof of who the person is: it reaches only a household
            // this account registered itself. The refusal says nothing about the household.
            let registered_here = tx
                .query_opt(
                    "SELECT 1 FROM assistance_application WHERE household_id = $1 AND citizen_account_id = $2 LIMIT 1",
                    params![hid, who.account_id],
                )?
                .is_some();
            if !registered_here && !minzheng_access::citizens::is_verified(tx, who)? {
                return Err(invalid(
                    "您绑定的身份证号码尚未实名核验，只能为新登记的家庭网上申请。请携带本人身份证到街道或社区窗口核验后再申请，或直接在窗口申请。",
                ));
            }
            // Members the citizen lists are added to the household now, so none is lost; one
            // already in it is left as it is.
            let current = households::members(tx, hid)?;
            for m in &input.members {
                let listed = minzheng_kernel::id_number::IdNumber::parse(&m.id_number, today)
                    .map(|p| p.id_number.as_str().to_owned())
                    .unwrap_or_else(|_| m.id_number.trim().to_owned());
                if listed == id_number || current.iter().any(|c| c.id_number == listed) {
                    continue;
                }
                insert_member(tx, who, hid, &region, &m.as_member(), today)?;
            }
            (hid, pid, region)
        }
        None => {
            let system = Principal::system("assistance-online");
            let region = households::community_code(&system, &input.region_code)?;
            let hid = insert_household(tx, who, &region, &input.address)?;
            let head = OnlineMember {
                id_number: id_number.clone(),
                name: real_name.clone(),
                relation: "head".into(),
            };
            let added = insert_member(tx, who, hid, &region, &head.as_member(), today)?;
            for m in &input.members {
                insert_member(tx, who, hid, &region, &m.as_member(), today)?;
            }
            (hid, added.person_id, region)
        }
    };
    let app = NewApplication {
        household_id,
        applicant_person_id: person_id,
        program: input.program.clone(),
        subtype: input.subtype.clone(),
        channel: "online".into(),
        reason: input.reason.clone(),
        documents: input.documents.clone(),
        authorization_signed: input.authorization_signed,
        phone: input
            .phone
            .clone()
            .filter(|p| !p.trim().is_empty())
            .or(account_phone),
        requested: input.requested.clone(),
        self_care_fails: input.self_care_fails,
    };
    insert_application(
        tx,
        who,
        &app,
        Channel::Online,
        &region,
        Some(who.account_id),
        today,
    )
}

/// Completeness check fails: the one-time notice lists everything missing (the document list
/// plus what staff add), and the clock waits for the applicant.
pub fn request_supplement(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    also_missing: &str,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    let mut missing: Vec<String> =
        rules::missing_documents(&case.documents, case.authorization_signed)
            .into_iter()
            .map(str::to_owned)
            .collect();
    missing.extend(
        also_missing
            .split(['\n', '；', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    if missing.is_empty() {
        return Err(invalid("材料齐全，无需补正，请直接受理"));
    }
    let text = missing.join("；");
    let state = take(
        tx,
        who,
        &case,
        Step::RequestSupplement,
        today,
        Move {
            reason: &text,
            detail: serde_json::json!({ "missing": missing }),
            deadline: Some(None),
        },
    )?;
    tx.execute(
        "UPDATE assistance_application SET missing = $1 WHERE id = $2",
        params![text, id],
    )?;
    Ok(state)
}

/// The applicant (or staff for them) hands in what was missing.
pub fn resubmit(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    documents: &[String],
    authorization_signed: bool,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    let mut docs = case.documents.clone();
    for d in documents {
        if rules::DOCUMENTS.iter().any(|(k, _)| k == d) && !docs.contains(d) {
            docs.push(d.clone());
        }
    }
    let p = crate::param_set(tx)?;
    let cal = minzheng_reference::calendar::calendar(tx)?;
    let deadline = intake_deadline(&p, &cal, &case.region_code, today)?;
    let state = take(
        tx,
        who,
        &case,
        Step::Resubmit,
        today,
        Move {
            reason: "补正材料",
            detail: serde_json::json!({ "documents": docs }),
            deadline: Some(Some(deadline)),
        },
    )?;
    tx.execute(
        "UPDATE assistance_application SET documents = $1, authorization_signed = $2 WHERE id = $3",
        params![
            docs.join(","),
            authorization_signed || case.authorization_signed,
            id
        ],
    )?;
    Ok(state)
}

/// Completeness check passes: acceptance, and the decision clock of the rule set in force starts.
pub fn accept(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    let missing = rules::missing_documents(&case.documents, case.authorization_signed);
    if !missing.is_empty() && case.state == State::Submitted {
        return Err(invalid(format!(
            "材料不全（缺少：{}），不能受理；请出具一次性告知书",
            missing.join("、")
        )));
    }
    let p = crate::param_set(tx)?;
    let cal = minzheng_reference::calendar::calendar(tx)?;
    let (rule, limit, _) = clock_rule(&p, case.program, case.channel, &case.region_code, today)?;
    let deadline = deadline_of(&cal, rule, today, limit, 0, 0)?;
    let state = take(
        tx,
        who,
        &case,
        Step::Accept,
        today,
        Move {
            reason: rule.label_zh(),
            detail: serde_json::json!({ "rule_set": rule.id(), "time_limit": limit, "deadline": deadline.to_string() }),
            deadline: Some(Some(deadline)),
        },
    )?;
    tx.execute(
        "UPDATE assistance_application SET accepted_on = $1, rule_set = $2, time_limit = $3 WHERE id = $4",
        params![today.to_string(), rule.id(), limit, id],
    )?;
    Ok(state)
}

/// Means-check results (entered by staff here; the sharing area fills them later).
#[derive(Debug, Clone, Default)]
pub struct MeansCheckInput {
    /// Date of the check.
    pub checked_on: Option<NaiveDate>,
    /// Verified countable household income per month, yuan.
    pub monthly_income: String,
    /// Assets within the local rules.
    pub assets_ok: bool,
    /// Findings.
    pub findings: String,
}

/// Records the means check.
pub fn record_means_check(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    input: &MeansCheckInput,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    let income = Fen::parse_yuan_within(&input.monthly_income, rules::INCOME_MAX)
        .map_err(|e| invalid(format!("核对收入有误：{e}")))?;
    if income.is_negative() {
        return Err(invalid("核对收入不能为负数"));
    }
    let on = input.checked_on.unwrap_or(today);
    if on > today {
        return Err(invalid("核对日期不能晚于今天"));
    }
    if !case.authorization_signed {
        return Err(invalid("申请人未签署家庭经济状况核对授权书，不能核对"));
    }
    let state = take(
        tx,
        who,
        &case,
        Step::RecordMeansCheck,
        today,
        Move {
            reason: input.findings.trim(),
            detail: serde_json::json!({ "monthly_income_fen": income.0, "assets_ok": input.assets_ok }),
            deadline: None,
        },
    )?;
    tx.execute(
        "INSERT INTO means_check (application_id, checked_on, source, monthly_income_fen, assets_ok, findings, recorded_by, created_at)
         VALUES ($1, $2, 'manual', $3, $4, $5, $6, $7)",
        params![id, on.to_string(), income.0, input.assets_ok, input.findings.trim(), who.username, now_text()],
    )?;
    Ok(state)
}

/// A home visit: who went (at least two staff), when, what they found, photo references.
#[derive(Debug, Clone, Default)]
pub struct VisitInput {
    /// Date.
    pub visited_on: Option<NaiveDate>,
    /// Staff names.
    pub staff: Vec<String>,
    /// Findings.
    pub findings: String,
    /// Photo references (attachment ids or file names).
    pub photos: String,
}

fn check_visit(
    tx: &mut Tx<'_>,
    case: &CaseRow,
    input: &VisitInput,
    today: NaiveDate,
) -> Result<(NaiveDate, Vec<String>), AssistanceError> {
    let p = crate::param_set(tx)?;
    let min = param_int(
        &p,
        "home_visit.min_staff",
        &case.region_code,
        today,
        ParamUnit::Count,
    )?;
    let mut staff: Vec<String> = Vec::new();
    for s in &input.staff {
        let s = s.trim().to_owned();
        if !s.is_empty() && !staff.contains(&s) {
            staff.push(s);
        }
    }
    if (staff.len() as i64) < min {
        return Err(invalid(format!(
            "入户调查须由不少于 {min} 名工作人员进行，请填写全部调查人员"
        )));
    }
    if input.findings.trim().chars().count() < 2 {
        return Err(invalid("请填写入户调查情况"));
    }
    let on = input.visited_on.unwrap_or(today);
    if on > today {
        return Err(invalid("调查日期不能晚于今天"));
    }
    Ok((on, staff))
}

fn insert_visit(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    kind: &str,
    on: NaiveDate,
    staff: &[String],
    input: &VisitInput,
) -> Result<(), AssistanceError> {
    tx.execute(
        "INSERT INTO home_visit (application_id, kind, visited_on, staff, staff_count, findings, photos, recorded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![id, kind, on.to_string(), staff.join("、"), staff.len() as i64, input.findings.trim(), input.photos.trim(), who.username, now_text()],
    )?;
    Ok(())
}

/// Records the investigation home visit.
pub fn record_home_visit(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    input: &VisitInput,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    let (on, staff) = check_visit(tx, &case, input, today)?;
    let state = take(
        tx,
        who,
        &case,
        Step::RecordHomeVisit,
        today,
        Move {
            reason: input.findings.trim(),
            detail: serde_json::json!({ "staff": staff }),
            deadline: None,
        },
    )?;
    insert_visit(tx, who, id, "investigation", on, &staff, input)?;
    Ok(state)
}

/// The district's sample visit (or the mandatory one for relatives of staff) at review.
pub fn record_review_visit(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    input: &VisitInput,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    let (on, staff) = check_visit(tx, &case, input, today)?;
    let state = take(
        tx,
        who,
        &case,
        Step::SampleVisit,
        today,
        Move {
            reason: input.findings.trim(),
            detail: serde_json::json!({ "staff": staff }),
            deadline: None,
        },
    )?;
    insert_visit(tx, who, id, "review", on, &staff, input)?;
    Ok(state)
}

fn appraisal_key(program: Program) -> &'static str {
    match program {
        Program::TemporaryAssistance => "temporary_assistance.appraisal.mandatory",
        _ => "dibao.appraisal.mandatory",
    }
}

/// Opens the appraisal meeting with its members (accounts, by sign-in name); each votes from
/// their own account.
pub fn open_appraisal(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    held_on: NaiveDate,
    mode: &str,
    member_usernames: &[String],
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    let case = load(tx, who, id)?;
    if !matches!(mode, "in_person" | "video") {
        return Err(invalid("评议方式应为现场或视频"));
    }
    let p = crate::param_set(tx)?;
    let min = param_int(
        &p,
        "dibao.appraisal.min_members",
        &case.region_code,
        today,
        ParamUnit::Count,
    )?;
    let mut members: Vec<(i64, String)> = Vec::new();
    for u in member_usernames {
        let u = u.trim().to_lowercase();
        if u.is_empty() {
            continue;
        }
        let r = tx
            .query_opt(
                "SELECT id, display_name, role FROM account WHERE username = $1 AND NOT disabled",
                params![u],
            )?
            .ok_or_else(|| invalid(format!("评议成员账户“{u}”不存在或已停用")))?;
        let aid: i64 = r.get(0)?;
        if !members.iter().any(|(a, _)| *a == aid) {
            members.push((aid, r.get(1)?));
        }
    }
    if (members.len() as i64) < min {
        return Err(invalid(format!(
            "评议小组至少 {min} 人，现为 {} 人",
            members.len()
        )));
    }
    take(
        tx,
        who,
        &case,
        Step::OpenAppraisal,
        today,
        Move {
            reason: mode,
            detail: serde_json::json!({ "members": members.len() }),
            deadline: None,
        },
    )?;
    let mid: i64 = tx
        .query_one(
            "INSERT INTO appraisal_meeting (application_id, held_on, mode, status, result, created_by, created_at)
             VALUES ($1, $2, $3, 'open', NULL, $4, $5) RETURNING id",
            params![id, held_on.to_string(), mode, who.username, now_text()],
        )?
        .get(0)?;
    for (aid, name) in &members {
        tx.execute(
            "INSERT INTO appraisal_member (meeting_id, account_id, name, present, vote, opinion, voted_at) VALUES ($1, $2, $3, FALSE, NULL, NULL, NULL)",
            params![mid, aid, name],
        )?;
        let uname: String = tx
            .query_one("SELECT username FROM account WHERE id = $1", params![aid])?
            .get(0)?;
        notify::enqueue(
            tx,
            &who.audit(),
            NotifyChannel::Staff,
            &uname,
            "民主评议表决",
            &format!("请对救助申请 {id} 进行评议表决（{held_on}）。"),
            chrono::Utc::now(),
        )?;
    }
    Ok(mid)
}

/// A member votes from their own account (presence is recorded with the vote).
pub fn vote(
    tx: &mut Tx<'_>,
    who: &Principal,
    meeting_id: i64,
    choice: &str,
    opinion: &str,
) -> Result<(), AssistanceError> {
    who.require(Action::AppraisalVote)?;
    if !matches!(choice, "agree" | "disagree" | "abstain") {
        return Err(invalid("表决意见应为同意、不同意或弃权"));
    }
    let r = tx
        .query_opt(
            "SELECT m.id, m.vote, g.status FROM appraisal_member m JOIN appraisal_meeting g ON g.id = m.meeting_id
             WHERE m.meeting_id = $1 AND m.account_id = $2",
            params![meeting_id, who.account_id],
        )?
        .ok_or(AssistanceError::NotFound)?;
    let member_id: i64 = r.get(0)?;
    if r.get::<Option<String>>(1)?.is_some() {
        return Err(invalid("您已表决，不能重复表决"));
    }
    if r.get::<String>(2)? != "open" {
        return Err(invalid("评议已结束，不能再表决"));
    }
    tx.execute(
        "UPDATE appraisal_member SET present = TRUE, vote = $1, opinion = $2, voted_at = $3 WHERE id = $4 AND vote IS NULL",
        params![choice, opinion.trim(), now_text(), member_id],
    )?;
    audit(
        tx,
        who,
        "assistance.appraisal_vote",
        "appraisal_meeting",
        meeting_id,
        None,
        serde_json::json!({ "vote": choice }),
    )
}

/// Tally of a meeting: members, present (voted), agree.
pub fn tally(tx: &mut Tx<'_>, meeting_id: i64) -> Result<(i64, i64, i64), AssistanceError> {
    let r = tx.query_one(
        "SELECT COUNT(*), COALESCE(CAST(SUM(CASE WHEN present THEN 1 ELSE 0 END) AS BIGINT), 0),
         COALESCE(CAST(SUM(CASE WHEN vote = 'agree' THEN 1 ELSE 0 END) AS BIGINT), 0) FROM appraisal_member WHERE meeting_id = $1",
        params![meeting_id],
    )?;
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn open_meeting(tx: &mut Tx<'_>, id: i64) -> Result<Option<i64>, AssistanceError> {
    Ok(tx
        .query_opt(
            "SELECT id FROM appraisal_meeting WHERE application_id = $1 AND status = 'open'",
            params![id],
        )?
        .map(|r| r.get(0))
        .transpose()?)
}

/// The appraisal was strongly disputed: the case goes back to investigation.
pub fn appraisal_disputed(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    reason: &str,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    if reason.trim().is_empty() {
        return Err(invalid("请写明争议情况"));
    }
    let state = take(
        tx,
        who,
        &case,
        Step::AppraisalDisputed,
        today,
        Move {
            reason: reason.trim(),
            ..Move::default()
        },
    )?;
    if let Some(mid) = open_meeting(tx, id)? {
        tx.execute(
            "UPDATE appraisal_meeting SET status = 'closed', result = 'disputed' WHERE id = $1",
            params![mid],
        )?;
    }
    Ok(state)
}

/// The amount the case would get if decided on `on` (proposed at notice, fixed at approval).
pub fn compute_amount(
    tx: &mut Tx<'_>,
    case: &CaseRow,
    on: NaiveDate,
) -> Result<amounts::Amount, AssistanceError> {
    let p = crate::param_set(tx)?;
    let request = match case.program {
        Program::Dibao => {
            let area_s: String = tx
                .query_one(
                    "SELECT area_type FROM household WHERE id = $1",
                    params![case.household_id],
                )?
                .get(0)?;
            let area = AreaType::parse(&area_s).unwrap_or(AreaType::Urban);
            let mut members = Vec::new();
            for m in households::members(tx, case.household_id)? {
                if households::counted(&m, &p, &case.region_code, on).is_ok() {
                    members.push(MemberFacts {
                        name: m.name.clone(),
                        birth_date: m.birth_date,
                        disability_grade: m.disability_grade,
                        serious_illness: m.serious_illness,
                        student: m.student,
                    });
                }
            }
            let checked: Option<i64> = tx
                .query_opt(
                    "SELECT monthly_income_fen FROM means_check WHERE application_id = $1 ORDER BY id DESC LIMIT 1",
                    params![case.id],
                )?
                .map(|r| r.get(0))
                .transpose()?;
            let income = match checked {
                Some(v) => Fen(v),
                None => {
                    let prev = case.submitted_on.with_day(1).unwrap_or(case.submitted_on)
                        - chrono::Duration::days(1);
                    households::countable_income(
                        tx,
                        case.household_id,
                        &prev.format("%Y-%m").to_string(),
                    )?
                }
            };
            AmountRequest::Dibao {
                area,
                members,
                countable_income: income,
            }
        }
        Program::Tekun => AmountRequest::Tekun {
            self_care_fails: u8::try_from(case.self_care_fails.unwrap_or(0)).unwrap_or(0),
        },
        Program::TemporaryAssistance => {
            let persons = households::members(tx, case.household_id)?.len() as u32;
            AmountRequest::Temporary {
                kind: if case.subtype.as_deref() == Some("emergency") {
                    TemporaryKind::Emergency
                } else {
                    TemporaryKind::Expenditure
                },
                persons: persons.max(1),
                need: Fen(case.requested_fen.unwrap_or(0)),
            }
        }
    };
    Ok(amounts::calculate(&p, &case.region_code, on, &request)?)
}

/// Posts the preliminary opinion as the 7-day public notice (after the appraisal where it is
/// mandatory, with a passing vote); the proposed amount is shown on the notice.
pub fn post_notice(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    let case = load(tx, who, id)?;
    let p = crate::param_set(tx)?;
    if case.state == State::Visited
        && param_flag(&p, appraisal_key(case.program), &case.region_code, today)
    {
        return Err(invalid("按规定须先召开民主评议，再张榜公示"));
    }
    if case.state == State::Appraisal {
        let mid = open_meeting(tx, id)?.ok_or_else(|| invalid("没有进行中的评议"))?;
        let (members, present, agree) = tally(tx, mid)?;
        if present * 2 <= members || agree * 2 <= present {
            return Err(invalid(format!(
                "评议未通过：成员 {members} 人，到会表决 {present} 人，同意 {agree} 票（须到会过半、同意过半）；请重新调查或作出不予批准决定"
            )));
        }
        tx.execute(
            "UPDATE appraisal_meeting SET status = 'closed', result = 'passed' WHERE id = $1",
            params![mid],
        )?;
    }
    let amount = compute_amount(tx, &case, today)?;
    let key = match case.program {
        Program::TemporaryAssistance => "temporary_assistance.public_notice.days",
        _ => "public_notice.days",
    };
    let days = param_int(&p, key, &case.region_code, today, ParamUnit::Days)?;
    take(
        tx,
        who,
        &case,
        Step::PostNotice,
        today,
        Move {
            reason: "初审意见张榜公示",
            detail: serde_json::json!({ "days": days, "amount_fen": amount.total.0 }),
            deadline: None,
        },
    )?;
    tx.execute(
        "UPDATE assistance_application SET amount_fen = $1, explanation = $2 WHERE id = $3",
        params![amount.total.0, amount.explanation(), id],
    )?;
    insert_notice(tx, id, "notice", &case.region_code, today, days)
}

fn insert_notice(
    tx: &mut Tx<'_>,
    id: i64,
    kind: &str,
    region: &str,
    today: NaiveDate,
    days: i64,
) -> Result<i64, AssistanceError> {
    let ends = today + chrono::Duration::days(days);
    Ok(tx
        .query_one(
            "INSERT INTO public_notice (application_id, kind, region_code, starts_on, ends_on, status, created_at)
             VALUES ($1, $2, $3, $4, $5, 'open', $6) RETURNING id",
            params![id, kind, region, today.to_string(), ends.to_string(), now_text()],
        )?
        .get(0)?)
}

fn current_notice(tx: &mut Tx<'_>, id: i64) -> Result<(i64, NaiveDate, i64), AssistanceError> {
    let r = tx
        .query_opt(
            "SELECT n.id, n.ends_on, (SELECT COUNT(*) FROM notice_objection o WHERE o.notice_id = n.id)
             FROM public_notice n WHERE n.application_id = $1 AND n.status = 'open' ORDER BY n.id DESC LIMIT 1",
            params![id],
        )?
        .ok_or_else(|| invalid("没有进行中的公示"))?;
    Ok((r.get(0)?, date(&r.get::<String>(1)?)?, r.get(2)?))
}

/// Anyone objects through the public page, during the notice window only.
pub fn object(
    tx: &mut Tx<'_>,
    ctx: &AuditContext,
    notice_id: i64,
    objector: &str,
    contact: &str,
    content: &str,
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    let r = tx
        .query_opt(
            "SELECT application_id, starts_on, ends_on, status FROM public_notice WHERE id = $1",
            params![notice_id],
        )?
        .ok_or(AssistanceError::NotFound)?;
    let app: i64 = r.get(0)?;
    let starts = date(&r.get::<String>(1)?)?;
    let ends = date(&r.get::<String>(2)?)?;
    let status: String = r.get(3)?;
    if status != "open" || today > ends || today < starts {
        return Err(invalid(format!(
            "公示期已结束（{starts} 至 {ends}），不能再提出异议"
        )));
    }
    let objector = objector.trim();
    let content = content.trim();
    if objector.is_empty() || objector.chars().count() > rules::OBJECTOR_MAX_CHARS {
        return Err(invalid(format!(
            "请填写异议人姓名（不超过 {} 字，可写“匿名”）",
            rules::OBJECTOR_MAX_CHARS
        )));
    }
    if content.chars().count() < 4 || content.chars().count() > rules::OBJECTION_MAX_CHARS {
        return Err(invalid(format!(
            "请写明异议内容（4 至 {} 字）",
            rules::OBJECTION_MAX_CHARS
        )));
    }
    let contact = rules::objection_contact(contact).map_err(invalid)?;
    let now = chrono::Utc::now();
    // Objections that arrive over the web carry the sender's address and are limited by it; one
    // entered by a command (a letter typed in, the demo) has none and is not.
    if let Some(address) = ctx.address.as_deref() {
        objection_limits(tx, notice_id, address, contact.is_some(), now)?;
    }
    let oid: i64 = tx
        .query_one(
            "INSERT INTO notice_objection (notice_id, application_id, objector, contact, content, submitted_on, submitted_at, resolution, address)
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8) RETURNING id",
            params![notice_id, app, objector, contact.unwrap_or_default(), content, today.to_string(), now_text(), ctx.address],
        )?
        .get(0)?;
    minzheng_store::audit::append(
        tx,
        ctx,
        minzheng_store::audit::AuditEntry {
            action: "assistance.objection",
            record_type: "assistance_application",
            record_id: app.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "notice_id": notice_id, "objection_id": oid }),
        },
    )?;
    Ok(oid)
}

fn objection_limits(
    tx: &mut Tx<'_>,
    notice_id: i64,
    address: &str,
    has_contact: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AssistanceError> {
    let count = |tx: &mut Tx<'_>, sql: &str, key: &str, since: chrono::Duration| {
        tx.query_one(
            sql,
            params![key, minzheng_store::format_instant(now - since)],
        )
        .and_then(|r| r.get::<i64>(0))
    };
    let from_address = count(
        tx,
        "SELECT COUNT(*) FROM notice_objection WHERE address = $1 AND submitted_at > $2",
        address,
        chrono::Duration::hours(1),
    )?;
    let anonymous_from_address = count(
        tx,
        "SELECT COUNT(*) FROM notice_objection WHERE address = $1 AND submitted_at > $2 AND contact = ''",
        address,
        chrono::Duration::hours(1),
    )?;
    let anonymous_on_notice: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM notice_objection WHERE notice_id = $1 AND submitted_at > $2 AND contact = ''",
            params![notice_id, minzheng_store::format_instant(now - chrono::Duration::days(1))],
        )?
        .get(0)?;
    rules::objection_allowed(
        has_contact,
        from_address,
        anonymous_from_address,
        anonymous_on_notice,
    )
    .map_err(invalid)
}

fn sample_drawn(id: i64, share_bp: i64) -> bool {
    // A fixed, reproducible draw over ids (a multiplicative hash), so the share holds over many cases.
    (id.wrapping_mul(2_654_435_761) & 0x7fff_ffff) % 10_000 < share_bp
}

fn to_review(
    tx: &mut Tx<'_>,
    who: &Principal,
    case: &CaseRow,
    step: Step,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let (nid, ends, objections) = current_notice(tx, case.id)?;
    if today <= ends {
        return Err(invalid(format!("公示期至 {ends} 届满，届满后才能结束公示")));
    }
    if objections > 0 {
        return Err(invalid("公示期间有异议，须重新调查后再公示"));
    }
    let p = crate::param_set(tx)?;
    let share = p
        .value_of(
            "dibao.county_review.sample_home_visit_share",
            &case.region_code,
            today,
        )
        .ok()
        .and_then(|r| r.value.as_basis_points())
        .unwrap_or(0);
    let sample = case.close_relative || sample_drawn(case.id, share);
    let state = take(
        tx,
        who,
        case,
        step,
        today,
        Move {
            reason: "公示期满无异议",
            detail: serde_json::json!({ "sample_visit": sample }),
            deadline: None,
        },
    )?;
    tx.execute(
        "UPDATE public_notice SET status = 'closed' WHERE id = $1",
        params![nid],
    )?;
    tx.execute(
        "UPDATE assistance_application SET sample_visit = $1 WHERE id = $2",
        params![sample, case.id],
    )?;
    Ok(state)
}

/// The notice ended without objection: to the decision (with the sample draw).
pub fn close_notice(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    if case.state != State::Notice {
        return take(tx, who, &case, Step::CloseNotice, today, Move::default());
    }
    to_review(tx, who, &case, Step::CloseNotice, today)
}

/// An objection was raised: the notice ends and the case is re-investigated.
pub fn reinvestigate(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    if !matches!(case.state, State::Notice | State::Renotice) {
        return take(tx, who, &case, Step::Reinvestigate, today, Move::default());
    }
    let (nid, _, objections) = current_notice(tx, id)?;
    if objections == 0 {
        return Err(invalid("公示没有收到异议，无需重新调查"));
    }
    let state = take(
        tx,
        who,
        &case,
        Step::Reinvestigate,
        today,
        Move {
            reason: "公示期间收到异议",
            detail: serde_json::json!({ "objections": objections }),
            deadline: None,
        },
    )?;
    tx.execute(
        "UPDATE public_notice SET status = 'closed' WHERE id = $1",
        params![nid],
    )?;
    Ok(state)
}

/// The re-investigation's findings answer the objections and are posted for 3 days.
pub fn post_renotice(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    findings: &str,
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    let case = load(tx, who, id)?;
    if findings.trim().chars().count() < 4 {
        return Err(invalid("请填写复查结论"));
    }
    let p = crate::param_set(tx)?;
    let days = param_int(
        &p,
        "public_notice.renotice_days",
        &case.region_code,
        today,
        ParamUnit::Days,
    )?;
    take(
        tx,
        who,
        &case,
        Step::PostRenotice,
        today,
        Move {
            reason: findings.trim(),
            detail: serde_json::json!({ "days": days }),
            deadline: None,
        },
    )?;
    tx.execute(
        "UPDATE notice_objection SET resolution = $1 WHERE application_id = $2 AND resolution IS NULL",
        params![findings.trim(), id],
    )?;
    let amount = compute_amount(tx, &case, today)?;
    tx.execute(
        "UPDATE assistance_application SET amount_fen = $1, explanation = $2 WHERE id = $3",
        params![amount.total.0, amount.explanation(), id],
    )?;
    insert_notice(tx, id, "renotice", &case.region_code, today, days)
}

/// The re-notice ended without a new objection: to the decision.
pub fn close_renotice(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    if case.state != State::Renotice {
        return take(tx, who, &case, Step::CloseRenotice, today, Move::default());
    }
    to_review(tx, who, &case, Step::CloseRenotice, today)
}

fn may_decide(
    tx: &mut Tx<'_>,
    who: &Principal,
    case: &CaseRow,
    amount: Option<&amounts::Amount>,
    today: NaiveDate,
) -> Result<(), AssistanceError> {
    who.require(Action::CaseDecide)?;
    if who.role == Role::StreetOfficer {
        let p = crate::param_set(tx)?;
        let delegated = match case.program {
            Program::TemporaryAssistance => amount.is_some_and(|a| a.street_may_approve),
            _ => param_flag(
                &p,
                "dibao.confirm.delegable_to_township",
                &case.region_code,
                today,
            ),
        };
        if !delegated {
            return Err(invalid(
                "本案的审批权未委托街道（乡镇），须由区县民政部门审批",
            ));
        }
    }
    Ok(())
}

/// Approves with the amount (computed from the dated parameters as of today) and the first month.
pub fn approve(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    if rules::transition(Step::Approve, case.state).is_none() {
        return take(tx, who, &case, Step::Approve, today, Move::default());
    }
    let amount = compute_amount(tx, &case, today)?;
    may_decide(tx, who, &case, Some(&amount), today)?;
    if case.close_relative || case.sample_visit {
        let visited = tx
            .query_opt(
                "SELECT 1 FROM home_visit WHERE application_id = $1 AND kind = 'review'",
                params![id],
            )?
            .is_some();
        if !visited {
            return Err(invalid(if case.close_relative {
                "申请人为工作人员近亲属（已备案），区县须入户调查后才能审批"
            } else {
                "本案被抽中入户抽查，区县须入户调查后才能审批"
            }));
        }
    }
    if !amount.eligible {
        return Err(invalid(
            "核定的家庭人均收入不低于保障标准，不能批准；请作出不予批准决定并写明理由",
        ));
    }
    let p = crate::param_set(tx)?;
    let offset = if case.program == Program::TemporaryAssistance {
        0
    } else {
        param_int(
            &p,
            "dibao.payment.start_month_offset",
            &case.region_code,
            today,
            ParamUnit::Months,
        )?
    };
    let first = today.with_day(1).unwrap_or(today)
        + chrono::Months::new(u32::try_from(offset).unwrap_or(0));
    let first_month = first.format("%Y-%m").to_string();
    let state = take(
        tx,
        who,
        &case,
        Step::Approve,
        today,
        Move {
            reason: &format!(
                "核定金额 {} 元，自 {first_month} 起",
                amount.total.yuan_string()
            ),
            detail: serde_json::json!({ "amount_fen": amount.total.0, "first_month": first_month }),
            deadline: None,
        },
    )?;
    let since = case.accepted_on.unwrap_or(case.submitted_on);
    tx.execute(
        "UPDATE assistance_application SET amount_fen = $1, explanation = $2, first_month = $3, decided_on = $4, processing_days = $5 WHERE id = $6",
        params![amount.total.0, amount.explanation(), first_month, today.to_string(), (today - since).num_days(), id],
    )?;
    Ok(state)
}

/// Refuses, with written reasons (the refusal notice prints them).
pub fn refuse(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    reasons: &str,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    if rules::transition(Step::Refuse, case.state).is_none() {
        return take(tx, who, &case, Step::Refuse, today, Move::default());
    }
    may_decide(tx, who, &case, None, today)?;
    let reasons = reasons.trim();
    if reasons.chars().count() < 4 {
        return Err(invalid("不予批准须书面写明理由"));
    }
    let state = take(
        tx,
        who,
        &case,
        Step::Refuse,
        today,
        Move {
            reason: reasons,
            ..Move::default()
        },
    )?;
    let since = case.accepted_on.unwrap_or(case.submitted_on);
    tx.execute(
        "UPDATE assistance_application SET refusal_reasons = $1, decided_on = $2, processing_days = $3 WHERE id = $4",
        params![reasons, today.to_string(), (today - since).num_days(), id],
    )?;
    Ok(state)
}

/// Emergency temporary assistance: pay first (within the cap), paperwork later.
pub fn first_aid(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    if case.program != Program::TemporaryAssistance || case.subtype.as_deref() != Some("emergency")
    {
        return Err(invalid("只有急难型临时救助可以先行救助"));
    }
    if rules::transition(Step::FirstAid, case.state).is_none() {
        return take(tx, who, &case, Step::FirstAid, today, Move::default());
    }
    let amount = compute_amount(tx, &case, today)?;
    may_decide(tx, who, &case, Some(&amount), today)?;
    let p = crate::param_set(tx)?;
    let cal = minzheng_reference::calendar::calendar(tx)?;
    let n = param_int(
        &p,
        "temporary_assistance.first_aid.paperwork_workdays",
        &case.region_code,
        today,
        ParamUnit::Workdays,
    )?;
    let due = cal
        .add_workdays(today, u32::try_from(n).unwrap_or(0))
        .map_err(|e| AssistanceError::Internal(e.to_string()))?
        .date;
    let state = take(
        tx,
        who,
        &case,
        Step::FirstAid,
        today,
        Move {
            reason: &format!(
                "先行救助 {} 元，补齐手续期限 {due}",
                amount.total.yuan_string()
            ),
            detail: serde_json::json!({ "amount_fen": amount.total.0, "paperwork_due": due.to_string() }),
            deadline: None,
        },
    )?;
    tx.execute(
        "UPDATE assistance_application SET amount_fen = $1, explanation = $2, first_month = $3, decided_on = $4, processing_days = 0 WHERE id = $5",
        params![amount.total.0, format!("{}\n先行救助：手续须于 {due} 前补齐", amount.explanation()), today.format("%Y-%m").to_string(), today.to_string(), id],
    )?;
    Ok(state)
}

/// Withdraws the application at any open step.
pub fn withdraw(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    reason: &str,
    today: NaiveDate,
) -> Result<State, AssistanceError> {
    let case = load(tx, who, id)?;
    let reason = if reason.trim().is_empty() {
        "申请人撤回"
    } else {
        reason.trim()
    };
    let state = take(
        tx,
        who,
        &case,
        Step::Withdraw,
        today,
        Move {
            reason,
            ..Move::default()
        },
    )?;
    let since = case.accepted_on.unwrap_or(case.submitted_on);
    tx.execute(
        "UPDATE assistance_application SET decided_on = $1, processing_days = $2 WHERE id = $3",
        params![today.to_string(), (today - since).num_days(), id],
    )?;
    Ok(state)
}

/// Runs a step by its identifier with a generic form (the case page's buttons and the JSON API).
#[derive(Debug, Clone, Default)]
pub struct StepForm {
    /// Free text: reasons, findings, missing items.
    pub text: String,
    /// Staff names (home visits), member usernames (appraisal).
    pub names: Vec<String>,
    /// Amount in yuan (means check income).
    pub amount: String,
    /// A yes/no (assets within the rules).
    pub flag: bool,
    /// A date (visit, check, meeting).
    pub on: Option<NaiveDate>,
    /// Documents handed in (resubmit).
    pub documents: Vec<String>,
    /// Mode (appraisal).
    pub mode: String,
}

/// Dispatches a step to its service.
pub fn run_step(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    step: Step,
    f: &StepForm,
    today: NaiveDate,
) -> Result<(), AssistanceError> {
    match step {
        Step::RequestSupplement => request_supplement(tx, who, id, &f.text, today).map(drop),
        Step::Resubmit => resubmit(tx, who, id, &f.documents, f.flag, today).map(drop),
        Step::Accept => accept(tx, who, id, today).map(drop),
        Step::RecordMeansCheck => record_means_check(
            tx,
            who,
            id,
            &MeansCheckInput {
                checked_on: f.on,
                monthly_income: f.amount.clone(),
                assets_ok: f.flag,
                findings: f.text.clone(),
            },
            today,
        )
        .map(drop),
        Step::RecordHomeVisit => record_home_visit(
            tx,
            who,
            id,
            &VisitInput {
                visited_on: f.on,
                staff: f.names.clone(),
                findings: f.text.clone(),
                photos: String::new(),
            },
            today,
        )
        .map(drop),
        Step::SampleVisit => record_review_visit(
            tx,
            who,
            id,
            &VisitInput {
                visited_on: f.on,
                staff: f.names.clone(),
                findings: f.text.clone(),
                photos: String::new(),
            },
            today,
        )
        .map(drop),
        Step::OpenAppraisal => open_appraisal(
            tx,
            who,
            id,
            f.on.unwrap_or(today),
            if f.mode.is_empty() { "video" } else { &f.mode },
            &f.names,
            today,
        )
        .map(drop),
        Step::AppraisalDisputed => appraisal_disputed(tx, who, id, &f.text, today).map(drop),
        Step::PostNotice => post_notice(tx, who, id, today).map(drop),
        Step::CloseNotice => close_notice(tx, who, id, today).map(drop),
        Step::Reinvestigate => reinvestigate(tx, who, id, today).map(drop),
        Step::PostRenotice => post_renotice(tx, who, id, &f.text, today).map(drop),
        Step::CloseRenotice => close_renotice(tx, who, id, today).map(drop),
        Step::Approve => approve(tx, who, id, today).map(drop),
        Step::Refuse => refuse(tx, who, id, &f.text, today).map(drop),
        Step::FirstAid => first_aid(tx, who, id, today).map(drop),
        Step::Withdraw => withdraw(tx, who, id, &f.text, today).map(drop),
    }
}

/// One uploaded photo or scan.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the uploader gave.
    pub file_name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Stores photos of documents (`rules::DOCUMENTS` ids) or of a home visit (`home_visit`) for a
/// case: the applicant on their own open case, staff within scope. A document photo also marks
/// that document as handed in.
pub fn add_documents(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    kind: &str,
    files: &[Upload],
) -> Result<usize, AssistanceError> {
    let case = load(tx, who, id)?;
    if who.role == Role::Citizen {
        who.require(Action::CaseApply)?;
        if kind == "home_visit" {
            return Err(invalid("入户调查照片由工作人员上传"));
        }
    } else {
        who.require(Action::CaseHandle)?;
    }
    if case.state.is_final() {
        return Err(invalid("申请已办结，不能再上传材料"));
    }
    let is_doc = rules::DOCUMENTS.iter().any(|(d, _)| *d == kind);
    if !is_doc && kind != "home_visit" {
        return Err(invalid("请选择材料类型"));
    }
    if files.is_empty() {
        return Err(invalid("请选择要上传的照片"));
    }
    if files.len() > 9 {
        return Err(invalid("每次最多上传 9 张照片"));
    }
    let policy = minzheng_store::attachments::AttachmentPolicy {
        max_bytes: 10 * 1024 * 1024,
        allowed: vec!["image/jpeg", "image/png", "image/webp", "application/pdf"],
    };
    for f in files {
        let meta = minzheng_store::attachments::put(
            tx,
            &mut f.bytes.as_slice(),
            &f.file_name,
            &who.audit(),
            &policy,
        )
        .map_err(|e| match e {
            minzheng_store::StoreError::Attachment(m) => invalid(format!("“{}”：{m}", f.file_name)),
            other => other.into(),
        })?;
        tx.execute(
            "INSERT INTO assistance_document (application_id, kind, attachment_id, file_name, uploaded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            params![id, kind, meta.id, meta.file_name, who.display_name, now_text()],
        )?;
    }
    if is_doc && !case.documents.iter().any(|d| d == kind) && kind != "authorization" {
        let mut docs = case.documents.clone();
        docs.push(kind.to_owned());
        tx.execute(
            "UPDATE assistance_application SET documents = $1 WHERE id = $2",
            params![docs.join(","), id],
        )?;
    }
    audit(
        tx,
        who,
        "assistance.documents",
        "assistance_application",
        id,
        None,
        serde_json::json!({ "kind": kind, "files": files.len() }),
    )?;
    Ok(files.len())
}

/// The attachment id of an uploaded document of a case the principal may see.
pub fn document(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    doc_id: i64,
) -> Result<i64, AssistanceError> {
    load(tx, who, id)?;
    tx.query_opt(
        "SELECT attachment_id FROM assistance_document WHERE id = $1 AND application_id = $2",
        params![doc_id, id],
    )?
    .map(|r| r.get::<i64>(0))
    .transpose()?
    .ok_or(AssistanceError::NotFound)
}
