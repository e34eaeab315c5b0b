//! 一约三会: the community's pact in dated versions, its councils (the configured kinds: hearing,
//! coordination, appraisal by default), meetings with participants, each participant's vote from
//! their own account, and the resolution, refused without quorum.

use crate::GovernanceError;
use crate::requests::{choice, choices, community};
use crate::rules::{self, Fraction};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{ToValue, Tx, Value, params};
use serde::Serialize;

fn invalid(m: impl Into<String>) -> GovernanceError {
    GovernanceError::Invalid(m.into())
}

fn now() -> String {
    minzheng_store::format_instant(chrono::Utc::now())
}

fn in_scope(who: &Principal, code: &str) -> Result<(), GovernanceError> {
    if who.scope().contains(code) {
        Ok(())
    } else {
        Err(invalid(format!("村（社区）{code} 不在您的辖区内")))
    }
}

fn audit_it(
    tx: &mut Tx<'_>,
    who: &Principal,
    action: &str,
    record_type: &str,
    id: i64,
    detail: serde_json::Value,
) -> Result<(), GovernanceError> {
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action,
            record_type,
            record_id: id.to_string(),
            subject_key: None,
            before: None,
            after: Some(detail.clone()),
            detail,
        },
    )?;
    Ok(())
}

/// One version of a community's pact (居民公约 / 村规民约).
#[derive(Debug, Clone, Serialize)]
pub struct PactVersion {
    /// Version number, 1 upwards.
    pub version: i64,
    /// First day in force.
    pub valid_from: String,
    /// Title.
    pub title: String,
    /// Text.
    pub content: String,
}

/// Adds a new version of the pact, in force from `valid_from` (after the previous version's date).
pub fn add_pact_version(
    tx: &mut Tx<'_>,
    who: &Principal,
    community_code: &str,
    title: &str,
    content: &str,
    valid_from: &str,
    today: NaiveDate,
) -> Result<i64, GovernanceError> {
    who.require(Action::GovernanceManage)?;
    let code = format!("{:012}", community(community_code, today)?.as_u64());
    in_scope(who, &code)?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(invalid("请填写公约名称（不超过 100 字）"));
    }
    let content = content.trim();
    if content.chars().count() < 10 {
        return Err(invalid("公约内容至少 10 个字"));
    }
    let from = NaiveDate::parse_from_str(valid_from.trim(), "%Y-%m-%d")
        .map_err(|_| invalid("生效日期格式应为 YYYY-MM-DD"))?;
    let last = tx.query_opt(
        "SELECT version, valid_from FROM pact_version WHERE region_code = $1 ORDER BY version DESC LIMIT 1",
        params![code],
    )?;
    let version = match last {
        Some(r) => {
            let (v, f): (i64, String) = (r.get(0)?, r.get(1)?);
            if from.to_string() <= f {
                return Err(invalid(format!("新版本的生效日期须晚于第 {v} 版的 {f}")));
            }
            v + 1
        }
        None => 1,
    };
    let id: i64 = tx
        .query_one(
            "INSERT INTO pact_version (region_code, version, valid_from, title, content, adopted_by, adopted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            params![code, version, from, title, content, who.username, now()],
        )
        .map_err(|e| if e.is_unique_violation() { invalid("公约版本已被他人同时添加，请刷新后重试") } else { e.into() })?
        .get(0)?;
    audit_it(
        tx,
        who,
        "pact.add_version",
        "pact_version",
        id,
        serde_json::json!({ "region_code": code, "version": version, "valid_from": from.to_string() }),
    )?;
    Ok(version)
}

/// Every version of a community's pact, newest first (public information).
pub fn pact_versions(tx: &mut Tx<'_>, code: &str) -> Result<Vec<PactVersion>, GovernanceError> {
    let rows = tx.query(
        "SELECT version, valid_from, title, content FROM pact_version WHERE region_code = $1 ORDER BY version DESC",
        params![code],
    )?;
    rows.iter()
        .map(|r| {
            Ok(PactVersion {
                version: r.get(0)?,
                valid_from: r.get(1)?,
                title: r.get(2)?,
                content: r.get(3)?,
            })
        })
        .collect()
}

/// The version in force on `date`, if any.
pub fn pact_in_force(
    tx: &mut Tx<'_>,
    code: &str,
    date: NaiveDate,
) -> Result<Option<PactVersion>, GovernanceError> {
    Ok(pact_versions(tx, code)?
        .into_iter()
        .find(|v| v.valid_from <= date.to_string()))
}

/// The council of `kind` of a community, created from the configuration on first use.
fn council_id(tx: &mut Tx<'_>, code: &str, kind: &str) -> Result<i64, GovernanceError> {
    let c = choice(tx, "council_kind", kind, "议事会类别")?;
    if let Some(r) = tx.query_opt(
        "SELECT id FROM council WHERE region_code = $1 AND kind = $2",
        params![code, c.code],
    )? {
        return Ok(r.get(0)?);
    }
    Ok(tx
        .query_one(
            "INSERT INTO council (region_code, kind, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            params![code, c.code, c.name, now()],
        )?
        .get(0)?)
}

/// What is filled in to convene a meeting.
#[derive(Debug, Clone, Default)]
pub struct NewMeeting {
    /// The community.
    pub community: String,
    /// A configured council kind.
    pub council_kind: String,
    /// The request it deliberates, if any.
    pub request_id: Option<i64>,
    /// What it is about.
    pub topic: String,
    /// The day it is held.
    pub held_on: String,
    /// The participants' user names (staff or citizens' phone numbers), each votes from his account.
    pub participants: Vec<String>,
}

/// Convenes a council meeting; the quorum in force that day is fixed on it.
pub fn create_meeting(
    tx: &mut Tx<'_>,
    who: &Principal,
    m: &NewMeeting,
    today: NaiveDate,
) -> Result<i64, GovernanceError> {
    who.require(Action::RequestHandle)?;
    let code = format!("{:012}", community(&m.community, today)?.as_u64());
    in_scope(who, &code)?;
    let topic = m.topic.trim();
    if topic.chars().count() < 2 || topic.chars().count() > 200 {
        return Err(invalid("请填写会议议题（2 至 200 字）"));
    }
    let held_on = NaiveDate::parse_from_str(m.held_on.trim(), "%Y-%m-%d")
        .map_err(|_| invalid("会议日期格式应为 YYYY-MM-DD"))?;
    if let Some(rid) = m.request_id {
        let ok = tx
            .query_opt(
                "SELECT id FROM request WHERE id = $1 AND region_code = $2",
                params![rid, code],
            )?
            .is_some();
        if !ok {
            return Err(invalid(format!("本村（社区）没有编号为 {rid} 的诉求")));
        }
    }
    let mut names: Vec<String> = m
        .participants
        .iter()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Err(invalid("请至少指定一名参会人员"));
    }
    let mut people = Vec::new();
    for n in &names {
        let r = tx
            .query_opt(
                "SELECT id, display_name, role FROM account WHERE (username = $1 OR (phone = $1 AND role = 'citizen')) AND disabled = FALSE",
                params![n],
            )?
            .ok_or_else(|| invalid(format!("参会人员“{n}”不是平台账户")))?;
        let (id, name, role): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let capacity = if role == "citizen" {
            "居民代表"
        } else {
            "工作人员"
        };
        people.push((id, name, capacity));
    }
    let params_set = minzheng_reference::parameters::current(tx)?;
    let count = |key: &str| -> Result<i64, GovernanceError> {
        params_set
            .value_of(key, &code, held_on)
            .map_err(|e| GovernanceError::Internal(e.to_string()))?
            .amount_in(minzheng_kernel::params::ParamUnit::Count)
            .map_err(|e| GovernanceError::Internal(e.to_string()))
    };
    let (qn, qd) = (
        count("governance.meeting.quorum_numerator")?,
        count("governance.meeting.quorum_denominator")?,
    );
    let council = council_id(tx, &code, &m.council_kind)?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO meeting (council_id, region_code, request_id, topic, held_on, quorum_numerator, quorum_denominator,
                status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9) RETURNING id",
            params![council, code, m.request_id, topic, held_on, qn, qd, who.username, now()],
        )?
        .get(0)?;
    for (aid, name, capacity) in &people {
        tx.execute(
            "INSERT INTO meeting_participant (meeting_id, account_id, display_name, capacity) VALUES ($1, $2, $3, $4)",
            params![id, aid, name, capacity],
        )?;
    }
    audit_it(
        tx,
        who,
        "meeting.create",
        "meeting",
        id,
        serde_json::json!({ "region_code": code, "council": m.council_kind, "participants": people.len(), "request_id": m.request_id }),
    )?;
    Ok(id)
}

/// A vote's choice.
pub const CHOICES: [(&str, &str); 3] = [("yes", "赞成"), ("no", "反对"), ("abstain", "弃权")];

/// A participant's vote, from his own account, once, while the meeting is open.
pub fn vote(
    tx: &mut Tx<'_>,
    who: &Principal,
    meeting_id: i64,
    choice: &str,
) -> Result<(), GovernanceError> {
    who.require(Action::CouncilVote)?;
    if !CHOICES.iter().any(|(c, _)| *c == choice) {
        return Err(invalid("请选择赞成、反对或弃权"));
    }
    let m = tx
        .query_opt(
            "SELECT status FROM meeting WHERE id = $1",
            params![meeting_id],
        )?
        .ok_or(GovernanceError::NotFound)?;
    let participant = tx
        .query_opt(
            "SELECT id FROM meeting_participant WHERE meeting_id = $1 AND account_id = $2",
            params![meeting_id, who.account_id],
        )?
        .is_some();
    if !participant {
        return Err(GovernanceError::Forbidden(
            "您不是本次会议的参会人员，不能表决".into(),
        ));
    }
    if m.get::<String>(0)? != "open" {
        return Err(invalid("会议已结束，不能再表决"));
    }
    tx.execute(
        "INSERT INTO meeting_vote (meeting_id, account_id, choice, at) VALUES ($1, $2, $3, $4)",
        params![meeting_id, who.account_id, choice, now()],
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            invalid("您已表决过")
        } else {
            e.into()
        }
    })?;
    audit_it(
        tx,
        who,
        "meeting.vote",
        "meeting",
        meeting_id,
        serde_json::json!({ "choice": choice }),
    )?;
    Ok(())
}

/// A meeting as pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    /// Id.
    pub id: i64,
    /// Community.
    pub region_code: String,
    /// Council kind and name.
    pub council_kind: String,
    /// Council name.
    pub council_name: String,
    /// The request deliberated.
    pub request_id: Option<i64>,
    /// Topic.
    pub topic: String,
    /// Day held.
    pub held_on: String,
    /// Quorum as a fraction of participants.
    pub quorum: Fraction,
    /// `open` or `closed`.
    pub status: String,
    /// `passed` or `rejected` once closed.
    pub outcome: Option<String>,
    /// Resolution text.
    pub resolution: Option<String>,
    /// Minutes.
    pub minutes: Option<String>,
    /// Participants: (account id, name, capacity, vote so far).
    pub participants: Vec<(i64, String, String, Option<String>)>,
    /// Yes votes.
    pub yes: i64,
    /// No votes.
    pub no: i64,
    /// Abstentions.
    pub abstain: i64,
}

/// A meeting, if `who` may see it: staff in scope, or a participant.
pub fn meeting(tx: &mut Tx<'_>, who: &Principal, id: i64) -> Result<MeetingView, GovernanceError> {
    let r = tx
        .query_opt(
            "SELECT m.id, m.region_code, c.kind, c.name, m.request_id, m.topic, m.held_on, m.quorum_numerator,
                m.quorum_denominator, m.status, m.outcome, m.resolution, m.minutes
             FROM meeting m JOIN council c ON c.id = m.council_id WHERE m.id = $1",
            params![id],
        )?
        .ok_or(GovernanceError::NotFound)?;
    let region_code: String = r.get(1)?;
    let rows = tx.query(
        "SELECT p.account_id, p.display_name, p.capacity, v.choice FROM meeting_participant p
         LEFT JOIN meeting_vote v ON v.meeting_id = p.meeting_id AND v.account_id = p.account_id
         WHERE p.meeting_id = $1 ORDER BY p.id",
        params![id],
    )?;
    let participants: Vec<(i64, String, String, Option<String>)> = rows
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .collect::<Result<_, GovernanceError>>()?;
    let is_participant = participants.iter().any(|p| p.0 == who.account_id);
    let staff_sees = who.can(Action::GovernanceRead) && who.scope().contains(&region_code);
    if !is_participant && !staff_sees {
        return Err(GovernanceError::NotFound);
    }
    let count = |c: &str| {
        participants
            .iter()
            .filter(|p| p.3.as_deref() == Some(c))
            .count() as i64
    };
    Ok(MeetingView {
        id: r.get(0)?,
        region_code,
        council_kind: r.get(2)?,
        council_name: r.get(3)?,
        request_id: r.get(4)?,
        topic: r.get(5)?,
        held_on: r.get(6)?,
        quorum: Fraction {
            numerator: r.get(7)?,
            denominator: r.get(8)?,
        },
        status: r.get(9)?,
        outcome: r.get(10)?,
        resolution: r.get(11)?,
        minutes: r.get(12)?,
        yes: count("yes"),
        no: count("no"),
        abstain: count("abstain"),
        participants,
    })
}

/// Records the resolution and minutes and closes the meeting; refused (nothing written) when the
/// votes cast do not reach the quorum fixed on the meeting. Passed when yes votes are more than
/// the pass share (parameter) of the votes cast.
pub fn resolve(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    resolution: &str,
    minutes: &str,
) -> Result<String, GovernanceError> {
    who.require(Action::RequestHandle)?;
    let m = meeting(tx, who, id)?;
    if !who.scope().contains(&m.region_code) {
        return Err(GovernanceError::NotFound);
    }
    if m.status != "open" {
        return Err(invalid("会议已结束"));
    }
    let resolution = resolution.trim();
    let minutes = minutes.trim();
    if resolution.chars().count() < 2 {
        return Err(invalid("请填写决议内容"));
    }
    if minutes.chars().count() < 2 {
        return Err(invalid("请填写会议记录"));
    }
    let cast = m.yes + m.no + m.abstain;
    let total = m.participants.len() as i64;
    if !rules::quorum_reached(cast, total, m.quorum) {
        return Err(invalid(format!(
            "未达到法定人数：{total} 名参会人员中已表决 {cast} 人，须达到 {}/{}，不能形成决议",
            m.quorum.numerator, m.quorum.denominator
        )));
    }
    let held_on = NaiveDate::parse_from_str(&m.held_on, "%Y-%m-%d")
        .map_err(|e| GovernanceError::Internal(e.to_string()))?;
    let set = minzheng_reference::parameters::current(tx)?;
    let count = |key: &str| -> Result<i64, GovernanceError> {
        set.value_of(key, &m.region_code, held_on)
            .map_err(|e| GovernanceError::Internal(e.to_string()))?
            .amount_in(minzheng_kernel::params::ParamUnit::Count)
            .map_err(|e| GovernanceError::Internal(e.to_string()))
    };
    let pass = Fraction {
        numerator: count("governance.meeting.pass_numerator")?,
        denominator: count("governance.meeting.pass_denominator")?,
    };
    let outcome = if rules::passes(m.yes, cast, pass) {
        "passed"
    } else {
        "rejected"
    };
    let n = tx.execute(
        "UPDATE meeting SET status = 'closed', outcome = $1, resolution = $2, minutes = $3, votes_yes = $4, votes_no = $5,
            votes_abstain = $6, closed_at = $7 WHERE id = $8 AND status = 'open'",
        params![outcome, resolution, minutes, m.yes, m.no, m.abstain, now(), id],
    )?;
    if n != 1 {
        return Err(GovernanceError::Conflict("会议已被他人结束".into()));
    }
    audit_it(
        tx,
        who,
        "meeting.resolve",
        "meeting",
        id,
        serde_json::json!({ "outcome": outcome, "yes": m.yes, "no": m.no, "abstain": m.abstain }),
    )?;
    Ok(outcome.to_owned())
}

/// One line of a meeting list.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingRow {
    /// Id.
    pub id: i64,
    /// Community.
    pub region_code: String,
    /// Council name.
    pub council_name: String,
    /// Topic.
    pub topic: String,
    /// Day.
    pub held_on: String,
    /// Status.
    pub status: String,
    /// Outcome.
    pub outcome: Option<String>,
    /// Request deliberated.
    pub request_id: Option<i64>,
}

/// Meetings within the scope (staff) or those `who` takes part in (anyone), newest first.
pub fn meetings(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<MeetingRow>, GovernanceError> {
    let base =
        "SELECT m.id, m.region_code, c.name, m.topic, m.held_on, m.status, m.outcome, m.request_id
                FROM meeting m JOIN council c ON c.id = m.council_id";
    let rows = if who.can(Action::GovernanceRead) {
        let (cond, values) = who.scope().sql("m.region_code", 1);
        let p: Vec<Value> = values.into_iter().map(Value::Text).collect();
        let refs: Vec<&dyn ToValue> = p.iter().map(|v| v as &dyn ToValue).collect();
        tx.query(
            &format!("{base} WHERE {cond} ORDER BY m.id DESC LIMIT 200"),
            &refs,
        )?
    } else {
        tx.query(
            &format!("{base} WHERE m.id IN (SELECT meeting_id FROM meeting_participant WHERE account_id = $1) ORDER BY m.id DESC LIMIT 200"),
            params![who.account_id],
        )?
    };
    rows.iter()
        .map(|r| {
            Ok(MeetingRow {
                id: r.get(0)?,
                region_code: r.get(1)?,
                council_name: r.get(2)?,
                topic: r.get(3)?,
                held_on: r.get(4)?,
                status: r.get(5)?,
                outcome: r.get(6)?,
                request_id: r.get(7)?,
            })
        })
        .collect()
}

/// The councils of a community with their kinds as configured (created on first meeting).
pub fn council_kinds(tx: &mut Tx<'_>) -> Result<Vec<crate::requests::Choice>, GovernanceError> {
    choices(tx, "council_kind")
}
