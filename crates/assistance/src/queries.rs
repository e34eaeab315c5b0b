//! What the pages and the API read: worklists within scope sorted by deadline with overdue
//! flagged, the case view with its timeline, the citizen's own cases, and the public notice list
//! (names and ID numbers masked, amounts shown).

use crate::AssistanceError;
use crate::cases::{self, CaseRow, date};
use crate::households::{self, MemberView};
use crate::rules::{self, Program, State, Step, Who};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal, Role};
use minzheng_kernel::mask;
use minzheng_kernel::money::Fen;
use minzheng_store::{ToValue, Tx, params};
use serde::Serialize;

/// One line of a worklist.
#[derive(Debug, Clone, Serialize)]
pub struct WorkItem {
    /// Case id.
    pub id: i64,
    /// Program label.
    pub program: String,
    /// Channel label.
    pub channel: String,
    /// State id.
    pub state: String,
    /// State label.
    pub state_label: String,
    /// Applicant, masked.
    pub applicant: String,
    /// Community code.
    pub region_code: String,
    /// Submitted.
    pub submitted_on: String,
    /// Deadline, if the clock runs.
    pub deadline: Option<String>,
    /// Past the deadline.
    pub overdue: bool,
    /// The clock is paused (appraisal or notice excluded).
    pub paused: bool,
    /// The amount computed from the means check is 0: the household does not qualify, which every
    /// step must see before it moves the case on.
    pub ineligible: bool,
}

/// Worklist filters.
#[derive(Debug, Clone, Default)]
pub struct WorklistQuery {
    /// Only this state.
    pub state: Option<String>,
    /// Only these states (a role's own worklist); empty = every open state.
    pub states: Vec<String>,
    /// Only overdue.
    pub overdue_only: bool,
    /// Page size.
    pub limit: i64,
    /// Skip.
    pub offset: i64,
}

/// The states a role acts on (its default worklist): the states from which the table allows a
/// step the role holds.
pub fn states_for(who: &Principal) -> Vec<State> {
    State::ALL
        .into_iter()
        .filter(|s| {
            rules::steps_from(*s).iter().any(|step| {
                rules::TRANSITIONS.iter().any(|t| {
                    t.step == *step
                        && t.from.contains(s)
                        && !matches!(*step, Step::Withdraw | Step::FirstAid)
                        && matches!(t.who, Who::Staff(a) | Who::ApplicantOr(a) if who.can(a))
                })
            })
        })
        .collect()
}

/// Open cases within the user's scope, soonest deadline first (no deadline last).
pub fn worklist(
    tx: &mut Tx<'_>,
    who: &Principal,
    q: &WorklistQuery,
    today: NaiveDate,
) -> Result<Vec<WorkItem>, AssistanceError> {
    who.require(Action::AssistanceRead)?;
    let (cond, vals) = who.scope().sql("a.region_code", 5);
    let first_state = 5 + vals.len();
    let states_cond = if q.states.is_empty() {
        String::new()
    } else {
        let ph: Vec<String> = (0..q.states.len())
            .map(|i| format!("${}", first_state + i))
            .collect();
        format!(" AND a.state IN ({})", ph.join(", "))
    };
    let sql = format!(
        "SELECT a.id, a.program, a.channel, a.state, p.name, a.region_code, a.submitted_on, a.deadline, a.paused_since,
                a.amount_fen
         FROM assistance_application a JOIN person p ON p.id = a.applicant_person_id
         WHERE a.is_open AND {cond} AND (CAST($1 AS TEXT) IS NULL OR a.state = $1)
           AND ($2 = 0 OR a.deadline < $3){states_cond}
         ORDER BY a.deadline IS NULL, a.deadline, a.id LIMIT $4"
    );
    let state = q.state.clone().filter(|s| !s.is_empty());
    let overdue = i64::from(q.overdue_only);
    let today_s = today.to_string();
    let limit = if q.limit <= 0 { 50 } else { q.limit.min(500) };
    let limit_offset = limit.saturating_add(q.offset.max(0));
    let mut ps: Vec<&dyn ToValue> = vec![&state, &overdue, &today_s, &limit_offset];
    for v in &vals {
        ps.push(v);
    }
    for v in &q.states {
        ps.push(v);
    }
    let rows = tx.query(&sql, &ps)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows
        .into_iter()
        .skip(usize::try_from(q.offset.max(0)).unwrap_or(0))
    {
        let state = State::parse(&r.get::<String>(3)?).unwrap_or(State::Submitted);
        let deadline: Option<String> = r.get(7)?;
        let paused = r.get::<Option<String>>(8)?.is_some();
        out.push(WorkItem {
            id: r.get(0)?,
            program: Program::parse(&r.get::<String>(1)?)
                .map(|p| p.label_zh())
                .unwrap_or("")
                .to_owned(),
            channel: rules::Channel::parse(&r.get::<String>(2)?)
                .map(|c| c.label_zh())
                .unwrap_or("")
                .to_owned(),
            state: state.id().to_owned(),
            state_label: state.label_zh().to_owned(),
            applicant: mask::name(&r.get::<String>(4)?),
            region_code: r.get(5)?,
            submitted_on: r.get(6)?,
            overdue: !paused && deadline.as_deref().is_some_and(|d| d < today_s.as_str()),
            deadline,
            paused,
            ineligible: r.get::<Option<i64>>(9)? == Some(0),
        });
    }
    Ok(out)
}

/// Counts of open cases in scope by state, and overdue ones.
pub fn counts(
    tx: &mut Tx<'_>,
    who: &Principal,
    today: NaiveDate,
) -> Result<(Vec<(String, i64)>, i64), AssistanceError> {
    who.require(Action::AssistanceRead)?;
    let (cond, vals) = who.scope().sql("region_code", 2);
    let sql = format!(
        "SELECT state, COUNT(*), CAST(SUM(CASE WHEN deadline < $1 AND paused_since IS NULL THEN 1 ELSE 0 END) AS BIGINT)
         FROM assistance_application WHERE is_open AND {cond} GROUP BY state"
    );
    let today_s = today.to_string();
    let mut ps: Vec<&dyn ToValue> = vec![&today_s];
    for v in &vals {
        ps.push(v);
    }
    let mut by: Vec<(String, i64)> = Vec::new();
    let mut overdue = 0;
    for r in tx.query(&sql, &ps)? {
        let s = State::parse(&r.get::<String>(0)?)
            .map(|s| s.label_zh())
            .unwrap_or("");
        by.push((s.to_owned(), r.get(1)?));
        overdue += r.get::<Option<i64>>(2)?.unwrap_or(0);
    }
    Ok((by, overdue))
}

/// One event of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Step label.
    pub action: String,
    /// New state label.
    pub to_state: String,
    /// Who.
    pub actor: String,
    /// Date.
    pub on_date: String,
    /// Reason or note.
    pub reason: String,
}

/// A home visit.
#[derive(Debug, Clone, Serialize)]
pub struct VisitView {
    /// `investigation` or `review`.
    pub kind: String,
    /// Date.
    pub visited_on: String,
    /// Staff.
    pub staff: String,
    /// Findings.
    pub findings: String,
}

/// An appraisal member's attendance and vote.
#[derive(Debug, Clone, Serialize)]
pub struct MemberVote {
    /// Name.
    pub name: String,
    /// Voted (present).
    pub present: bool,
    /// Vote label.
    pub vote: String,
}

/// An appraisal meeting.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    /// Id.
    pub id: i64,
    /// Date.
    pub held_on: String,
    /// Mode label.
    pub mode: String,
    /// Status.
    pub status: String,
    /// Members and votes.
    pub members: Vec<MemberVote>,
    /// Whether the viewer is a member who has not voted.
    pub my_turn: bool,
}

/// A notice and its objections.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    /// Id.
    pub id: i64,
    /// `notice` or `renotice`.
    pub kind: String,
    /// Window.
    pub starts_on: String,
    /// Window end.
    pub ends_on: String,
    /// Status.
    pub status: String,
    /// Objections (objector, content, resolution).
    pub objections: Vec<(String, String, Option<String>)>,
}

/// Everything the case page shows.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    /// Id.
    pub id: i64,
    /// Program label.
    pub program: String,
    /// Program id.
    pub program_id: String,
    /// Subtype label.
    pub subtype: String,
    /// Channel label.
    pub channel: String,
    /// State id.
    pub state: String,
    /// State label.
    pub state_label: String,
    /// Final.
    pub is_final: bool,
    /// Community code and name.
    pub region: String,
    /// Community code.
    pub region_code: String,
    /// Address.
    pub address: String,
    /// Urban or rural label.
    pub area_type: String,
    /// Household id.
    pub household_id: i64,
    /// Applicant name (masked unless unmask allowed).
    pub applicant: String,
    /// Applicant ID (masked unless unmask allowed).
    pub applicant_id: String,
    /// Reason.
    pub reason: String,
    /// Documents handed in (labels).
    pub documents: Vec<String>,
    /// Missing items of the last one-time notice.
    pub missing: Option<String>,
    /// Authorization signed.
    pub authorization_signed: bool,
    /// Registered relative of staff.
    pub close_relative: bool,
    /// Drawn for the sample visit.
    pub sample_visit: bool,
    /// Members with counted / not-counted reason.
    pub members: Vec<(String, String, String, String)>,
    /// Amount (yuan) if proposed or decided.
    pub amount: Option<String>,
    /// The computed amount is 0 and the case is still open: shown as a warning on every step.
    pub ineligible: bool,
    /// Amount explanation lines.
    pub explanation: Vec<String>,
    /// First month paid.
    pub first_month: Option<String>,
    /// Refusal reasons.
    pub refusal_reasons: Option<String>,
    /// Submitted.
    pub submitted_on: String,
    /// Accepted.
    pub accepted_on: Option<String>,
    /// Decided.
    pub decided_on: Option<String>,
    /// Rule set label.
    pub rule_set: Option<String>,
    /// Current deadline.
    pub deadline: Option<String>,
    /// Overdue.
    pub overdue: bool,
    /// Clock paused now.
    pub paused: bool,
    /// Days excluded.
    pub paused_days: i64,
    /// Processing days (once decided).
    pub processing_days: Option<i64>,
    /// Timeline.
    pub events: Vec<EventView>,
    /// Means checks (date, income yuan, assets ok, findings).
    pub means_checks: Vec<(String, String, bool, String)>,
    /// Home visits.
    pub visits: Vec<VisitView>,
    /// Appraisal meetings.
    pub meetings: Vec<MeetingView>,
    /// Notices.
    pub notices: Vec<NoticeView>,
    /// Steps the viewer may take now (id, label).
    pub steps: Vec<(String, String)>,
    /// Temporary assistance need.
    pub requested: Option<String>,
    /// Tekun self-care fails.
    pub self_care_fails: Option<i64>,
    /// Uploaded photos: (id, kind label, file name, uploaded by).
    pub uploads: Vec<(i64, String, String, String)>,
}

fn vote_label(v: Option<&str>) -> &'static str {
    match v {
        Some("agree") => "同意",
        Some("disagree") => "不同意",
        Some("abstain") => "弃权",
        _ => "未表决",
    }
}

/// The case page's content, for staff within scope or the applicant.
pub fn case_view(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<CaseView, AssistanceError> {
    let case: CaseRow = cases::load(tx, who, id)?;
    let extra = tx.query_one(
        "SELECT a.reason, a.missing, a.explanation, a.first_month, a.refusal_reasons, a.decided_on, a.processing_days,
         h.address, h.area_type FROM assistance_application a JOIN household h ON h.id = a.household_id WHERE a.id = $1",
        params![id],
    )?;
    let unmask = who.can(Action::PersonUnmask) || who.role == Role::Citizen;
    let p = crate::param_set(tx)?;
    let members: Vec<MemberView> = households::members(tx, case.household_id)?;
    let applicant = members
        .iter()
        .find(|m| m.person_id == case.applicant_person_id)
        .cloned();
    let show_name = |n: &str| if unmask { n.to_owned() } else { mask::name(n) };
    let show_id = |n: &str| {
        if unmask {
            n.to_owned()
        } else {
            mask::id_number(n)
        }
    };
    let member_rows = members
        .iter()
        .map(|m| {
            let counted = match households::counted(m, &p, &case.region_code, today) {
                Ok(()) => "计入".to_owned(),
                Err(why) => format!("不计入：{why}"),
            };
            (
                show_name(&m.name),
                show_id(&m.id_number),
                rules::label(rules::RELATIONS, &m.relation).to_owned(),
                counted,
            )
        })
        .collect();
    let events = tx
        .query(
            "SELECT action, to_state, actor, on_date, reason FROM assistance_event WHERE application_id = $1 ORDER BY seq",
            params![id],
        )?
        .into_iter()
        .map(|r| {
            let action: String = r.get(0)?;
            Ok(EventView {
                action: if action == "submit" { "提交申请".to_owned() } else { Step::parse(&action).map(|s| s.label_zh()).unwrap_or("").to_owned() },
                to_state: State::parse(&r.get::<String>(1)?).map(|s| s.label_zh()).unwrap_or("").to_owned(),
                actor: r.get(2)?,
                on_date: r.get(3)?,
                reason: r.get(4)?,
            })
        })
        .collect::<Result<Vec<_>, AssistanceError>>()?;
    let means_checks = tx
        .query("SELECT checked_on, monthly_income_fen, assets_ok, findings FROM means_check WHERE application_id = $1 ORDER BY id", params![id])?
        .into_iter()
        .map(|r| Ok((r.get(0)?, Fen(r.get(1)?).yuan_string(), r.get(2)?, r.get(3)?)))
        .collect::<Result<Vec<_>, AssistanceError>>()?;
    let visits = tx
        .query("SELECT kind, visited_on, staff, findings FROM home_visit WHERE application_id = $1 ORDER BY id", params![id])?
        .into_iter()
        .map(|r| {
            let kind: String = r.get(0)?;
            Ok(VisitView {
                kind: if kind == "review" { "区县入户抽查".into() } else { "入户调查".into() },
                visited_on: r.get(1)?,
                staff: r.get(2)?,
                findings: r.get(3)?,
            })
        })
        .collect::<Result<Vec<_>, AssistanceError>>()?;
    let mut meetings = Vec::new();
    for r in tx.query("SELECT id, held_on, mode, status FROM appraisal_meeting WHERE application_id = $1 ORDER BY id", params![id])? {
        let mid: i64 = r.get(0)?;
        let status: String = r.get(3)?;
        let mut my_turn = false;
        let mut ms = Vec::new();
        for m in tx.query("SELECT name, present, vote, account_id FROM appraisal_member WHERE meeting_id = $1 ORDER BY id", params![mid])? {
            let vote: Option<String> = m.get(2)?;
            if m.get::<i64>(3)? == who.account_id && vote.is_none() && status == "open" {
                my_turn = true;
            }
            ms.push(MemberVote { name: m.get(0)?, present: m.get(1)?, vote: vote_label(vote.as_deref()).to_owned() });
        }
        let mode: String = r.get(2)?;
        meetings.push(MeetingView {
            id: mid,
            held_on: r.get(1)?,
            mode: if mode == "video" { "视频会议".into() } else { "现场会议".into() },
            status: match (status.as_str(), ) { ("open",) => "表决中".into(), _ => "已结束".into() },
            members: ms,
            my_turn,
        });
    }
    let mut notices = Vec::new();
    for r in tx.query("SELECT id, kind, starts_on, ends_on, status FROM public_notice WHERE application_id = $1 ORDER BY id", params![id])? {
        let nid: i64 = r.get(0)?;
        let objections = tx
            .query("SELECT objector, content, resolution FROM notice_objection WHERE notice_id = $1 ORDER BY id", params![nid])?
            .into_iter()
            .map(|o| Ok((o.get(0)?, o.get(1)?, o.get(2)?)))
            .collect::<Result<Vec<_>, AssistanceError>>()?;
        let kind: String = r.get(1)?;
        notices.push(NoticeView {
            id: nid,
            kind: if kind == "renotice" { "复查结果公示".into() } else { "公示".into() },
            starts_on: r.get(2)?,
            ends_on: r.get(3)?,
            status: r.get(4)?,
            objections,
        });
    }
    let uploads = tx
        .query("SELECT id, kind, file_name, uploaded_by FROM assistance_document WHERE application_id = $1 ORDER BY id", params![id])?
        .into_iter()
        .map(|r| {
            let kind: String = r.get(1)?;
            let label = if kind == "home_visit" { "入户调查照片".to_owned() } else { rules::label(rules::DOCUMENTS, &kind).to_owned() };
            Ok((r.get(0)?, label, r.get(2)?, r.get(3)?))
        })
        .collect::<Result<Vec<_>, AssistanceError>>()?;
    let steps = rules::steps_from(case.state)
        .into_iter()
        .filter(|s| {
            let t = rules::transition(*s, case.state);
            t.is_some_and(|t| match t.who {
                Who::Staff(a) => who.role != Role::Citizen && who.can(a),
                Who::ApplicantOr(a) => {
                    if who.role == Role::Citizen {
                        who.can(Action::CaseApply)
                    } else {
                        who.can(a)
                    }
                }
            })
        })
        .filter(|s| {
            *s != Step::FirstAid
                || (case.program == Program::TemporaryAssistance
                    && case.subtype.as_deref() == Some("emergency"))
        })
        .map(|s| (s.id().to_owned(), s.label_zh().to_owned()))
        .collect();
    let today_s = today.to_string();
    let deadline = case.deadline.map(|d| d.to_string());
    let paused = case.paused_since.is_some();
    let explanation: Option<String> = extra.get(2)?;
    Ok(CaseView {
        id,
        program: case.program.label_zh().to_owned(),
        program_id: case.program.id().to_owned(),
        subtype: match case.subtype.as_deref() {
            Some("emergency") => "急难型",
            Some("expenditure") => "支出型",
            _ => "",
        }
        .to_owned(),
        channel: case.channel.label_zh().to_owned(),
        state: case.state.id().to_owned(),
        state_label: case.state.label_zh().to_owned(),
        is_final: case.state.is_final(),
        region: households::region_name(&case.region_code),
        region_code: case.region_code.clone(),
        address: extra.get(7)?,
        area_type: crate::amounts::AreaType::parse(&extra.get::<String>(8)?)
            .map(|a| a.label_zh())
            .unwrap_or("")
            .to_owned(),
        household_id: case.household_id,
        applicant: applicant
            .as_ref()
            .map(|m| show_name(&m.name))
            .unwrap_or_default(),
        applicant_id: applicant
            .as_ref()
            .map(|m| show_id(&m.id_number))
            .unwrap_or_default(),
        reason: extra.get(0)?,
        documents: case
            .documents
            .iter()
            .map(|d| rules::label(rules::DOCUMENTS, d).to_owned())
            .collect(),
        missing: extra.get(1)?,
        authorization_signed: case.authorization_signed,
        close_relative: case.close_relative,
        sample_visit: case.sample_visit,
        members: member_rows,
        amount: case.amount_fen.map(|f| Fen(f).yuan_string()),
        ineligible: !case.state.is_final() && case.amount_fen == Some(0),
        explanation: explanation
            .map(|e| e.lines().map(str::to_owned).collect())
            .unwrap_or_default(),
        first_month: extra.get(3)?,
        refusal_reasons: extra.get(4)?,
        submitted_on: case.submitted_on.to_string(),
        accepted_on: case.accepted_on.map(|d| d.to_string()),
        decided_on: extra.get(5)?,
        rule_set: case.rule_set.map(|r| r.label_zh().to_owned()),
        overdue: !case.state.is_final()
            && !paused
            && deadline.as_deref().is_some_and(|d| d < today_s.as_str()),
        deadline,
        paused,
        paused_days: case.paused_days,
        processing_days: extra.get(6)?,
        events,
        means_checks,
        visits,
        meetings,
        notices,
        steps,
        requested: case.requested_fen.map(|f| Fen(f).yuan_string()),
        self_care_fails: case.self_care_fails,
        uploads,
    })
}

/// One of a citizen's cases: id, program, state, submitted, next deadline.
pub type MyCase = (i64, String, String, String, Option<String>);

/// A citizen's own applications, newest first.
pub fn my_cases(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<MyCase>, AssistanceError> {
    who.require(Action::CaseApply)?;
    tx.query(
        "SELECT id, program, state, submitted_on, deadline FROM assistance_application WHERE citizen_account_id = $1 ORDER BY id DESC",
        params![who.account_id],
    )?
    .into_iter()
    .map(|r| {
        let state = State::parse(&r.get::<String>(2)?).unwrap_or(State::Submitted);
        Ok((
            r.get(0)?,
            Program::parse(&r.get::<String>(1)?).map(|p| p.label_zh()).unwrap_or("").to_owned(),
            state.label_zh().to_owned(),
            r.get(3)?,
            if state.is_final() { None } else { r.get(4)? },
        ))
    })
    .collect()
}

/// One line of the public notice list.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeLine {
    /// Notice id (for objections).
    pub notice_id: i64,
    /// `公示` / `复查结果公示`.
    pub kind: String,
    /// Community name.
    pub community: String,
    /// Applicant, masked.
    pub name: String,
    /// ID, masked.
    pub id_number: String,
    /// Program label.
    pub program: String,
    /// Persons in the household.
    pub persons: i64,
    /// Proposed monthly (or one-off) amount, yuan.
    pub amount: String,
    /// Window.
    pub starts_on: String,
    /// Window end.
    pub ends_on: String,
    /// Objections still possible today.
    pub open: bool,
}

/// The public notice list of a region prefix (a community, a street or a district): open
/// notices, names and ID numbers masked, amounts shown. Nothing else about the family is published.
pub fn public_notices(
    tx: &mut Tx<'_>,
    region_prefix: &str,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<NoticeLine>, AssistanceError> {
    let prefix: String = region_prefix
        .chars()
        .filter(char::is_ascii_digit)
        .take(12)
        .collect();
    let hi = format!("{prefix}:");
    let rows = tx.query(
        "SELECT n.id, n.kind, n.region_code, p.name, p.id_number, a.program, a.amount_fen, n.starts_on, n.ends_on,
         (SELECT COUNT(*) FROM household_member m WHERE m.household_id = a.household_id AND m.active)
         FROM public_notice n JOIN assistance_application a ON a.id = n.application_id
         JOIN person p ON p.id = a.applicant_person_id
         WHERE n.status = 'open' AND n.region_code >= $1 AND n.region_code < $2
         ORDER BY n.region_code, n.id LIMIT $3",
        params![prefix, hi, limit],
    )?;
    let today_s = today.to_string();
    rows.into_iter()
        .map(|r| {
            let kind: String = r.get(1)?;
            let ends: String = r.get(8)?;
            let starts: String = r.get(7)?;
            Ok(NoticeLine {
                notice_id: r.get(0)?,
                kind: if kind == "renotice" {
                    "复查结果公示".into()
                } else {
                    "公示".into()
                },
                community: households::region_name(&r.get::<String>(2)?),
                name: mask::name(&r.get::<String>(3)?),
                id_number: mask::id_number(&r.get::<String>(4)?),
                program: Program::parse(&r.get::<String>(5)?)
                    .map(|p| p.label_zh())
                    .unwrap_or("")
                    .to_owned(),
                amount: r
                    .get::<Option<i64>>(6)?
                    .map(|f| Fen(f).yuan_string())
                    .unwrap_or_default(),
                open: today_s >= starts && today_s <= ends,
                starts_on: starts,
                ends_on: ends,
                persons: r.get(9)?,
            })
        })
        .collect()
}

/// Meetings where the user is a member who has not voted yet.
pub fn my_votes(
    tx: &mut Tx<'_>,
    who: &Principal,
) -> Result<Vec<(i64, i64, String)>, AssistanceError> {
    tx.query(
        "SELECT g.id, g.application_id, g.held_on FROM appraisal_member m JOIN appraisal_meeting g ON g.id = m.meeting_id
         WHERE m.account_id = $1 AND m.vote IS NULL AND g.status = 'open' ORDER BY g.held_on",
        params![who.account_id],
    )?
    .into_iter()
    .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .collect()
}

/// Open possible duplicates within scope: (id, person name, other name, reason).
pub fn duplicates(
    tx: &mut Tx<'_>,
    who: &Principal,
) -> Result<Vec<(i64, String, String, String)>, AssistanceError> {
    who.require(Action::AssistanceRead)?;
    let (cond, vals) = who.scope().sql("d.region_code", 1);
    let sql = format!(
        "SELECT d.id, a.name, b.name, d.reason FROM person_duplicate d JOIN person a ON a.id = d.person_id
         JOIN person b ON b.id = d.other_person_id WHERE d.status = 'open' AND {cond} ORDER BY d.id LIMIT 100"
    );
    let ps: Vec<&dyn ToValue> = vals.iter().map(|v| v as &dyn ToValue).collect();
    tx.query(&sql, &ps)?
        .into_iter()
        .map(|r| {
            Ok((
                r.get(0)?,
                mask::name(&r.get::<String>(1)?),
                mask::name(&r.get::<String>(2)?),
                r.get(3)?,
            ))
        })
        .collect()
}

/// Parses a stored date (for callers outside this module).
pub fn parse_date(s: &str) -> Result<NaiveDate, AssistanceError> {
    date(s)
}
