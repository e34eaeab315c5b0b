//! Enforcement cases under the three systems (RULES.md §14.1): full-process records with media
//! attachments and their SHA-256, legal review before a major decision, and disclosure of the
//! decision within `enforcement.publication.workdays` working days with personal data masked.
//!
//! ```text
//! open ──decide──▶ decided ──publish──▶ published
//!   (a major case may be decided only after an approving legal review)
//! ```

use crate::common::{self, refs, visible};
use crate::{InstitutionsError, rules};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_kernel::params::ParamUnit;
use minzheng_store::attachments::{self, AttachmentPolicy};
use minzheng_store::{Tx, Value, params};
use serde::{Deserialize, Serialize};

/// Steps of the full-process record.
pub const STEPS: [(&str, &str); 7] = [
    ("start", "立案"),
    ("evidence", "调查取证"),
    ("review", "审查"),
    ("decision", "决定"),
    ("service", "送达"),
    ("execution", "执行"),
    ("archive", "归档"),
];

/// What is filled in to open a case.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewCase {
    /// The institution concerned.
    pub institution_id: i64,
    /// Title.
    pub title: String,
    /// Facts found.
    pub facts: String,
    /// Names of the persons concerned (masked on publication).
    pub persons: Vec<String>,
    /// The officers on the case (at least `enforcement.min_officers_on_site`).
    pub officers: Vec<String>,
    /// Whether it is on the major-decision list (legal review required).
    pub major: bool,
    /// Opening day.
    pub opened_on: NaiveDate,
}

/// A case as shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Case {
    /// Id.
    pub id: i64,
    /// Institution id.
    pub institution_id: i64,
    /// Region.
    pub region_code: String,
    /// Title.
    pub title: String,
    /// Major decision.
    pub major: bool,
    /// `open`, `decided` or `published`.
    pub status: String,
    /// Opened on.
    pub opened_on: String,
    /// Decision.
    pub decision: Option<String>,
    /// Decided on.
    pub decided_on: Option<String>,
    /// Publication due.
    pub publication_due: Option<String>,
    /// Published on.
    pub published_on: Option<String>,
    /// Published (masked) text.
    pub published_text: Option<String>,
}

impl Case {
    /// Whether the decision should have been published by `today` and is not: shown on the list.
    pub fn publication_overdue(&self, today: NaiveDate) -> bool {
        self.status == "decided"
            && self
                .publication_due
                .as_deref()
                .is_some_and(|d| today.format("%Y-%m-%d").to_string().as_str() > d)
    }
}

/// Opens a case and records its start.
pub fn open(tx: &mut Tx<'_>, who: &Principal, n: &NewCase) -> Result<i64, InstitutionsError> {
    who.require(Action::InspectionManage)?;
    let inst = common::institution_for(tx, who, n.institution_id)?;
    let title = common::required(&n.title, "案由", 200)?;
    let facts = common::required(&n.facts, "违法事实", 4000)?;
    let officers: Vec<String> = n
        .officers
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    let min = common::param(
        tx,
        "enforcement.min_officers_on_site",
        &inst.region_code,
        n.opened_on,
        ParamUnit::Count,
    )?;
    if (officers.len() as i64) < min {
        return Err(InstitutionsError::Invalid(format!(
            "执法人员不少于 {min} 人（现填 {} 人）",
            officers.len()
        )));
    }
    let persons: Vec<String> = n
        .persons
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    let id: i64 = tx
        .query_one(
            "INSERT INTO enforcement_case (institution_id, region_code, title, facts, persons, officers, major, status, opened_on, opened_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10) RETURNING id",
            params![inst.id, inst.region_code, title, facts, persons.join(","), officers.join(","), n.major, n.opened_on, who.username, common::now()],
        )?
        .get(0)?;
    tx.execute(
        "INSERT INTO enforcement_record (case_id, step, note, recorded_by, recorded_at) VALUES ($1, 'start', $2, $3, $4)",
        params![id, format!("立案；执法人员：{}", officers.join("、")), who.username, common::now()],
    )?;
    common::audit(
        tx,
        who,
        "enforcement.open",
        "enforcement_case",
        id,
        serde_json::json!({ "major": n.major }),
    )?;
    Ok(id)
}

const COLUMNS: &str = "id, institution_id, region_code, title, major, status, opened_on, decision, decided_on, publication_due, published_on, published_text";

/// A case in `who`'s scope.
pub fn get(tx: &mut Tx<'_>, who: &Principal, id: i64) -> Result<Case, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let (cond, mut values) = visible(who, "region_code", "institution_id", 2);
    values.insert(0, Value::Int(id));
    let r = tx
        .query_opt(
            &format!("SELECT {COLUMNS} FROM enforcement_case WHERE id = $1 AND {cond}"),
            &refs(&values),
        )?
        .ok_or(InstitutionsError::NotFound)?;
    from_row(&r)
}

fn from_row(r: &minzheng_store::Row) -> Result<Case, InstitutionsError> {
    Ok(Case {
        id: r.get(0)?,
        institution_id: r.get(1)?,
        region_code: r.get(2)?,
        title: r.get(3)?,
        major: r.get(4)?,
        status: r.get(5)?,
        opened_on: r.get(6)?,
        decision: r.get(7)?,
        decided_on: r.get(8)?,
        publication_due: r.get(9)?,
        published_on: r.get(10)?,
        published_text: r.get(11)?,
    })
}

/// Cases in scope, newest first.
pub fn list(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<Case>, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let (cond, values) = visible(who, "region_code", "institution_id", 1);
    tx.query(
        &format!("SELECT {COLUMNS} FROM enforcement_case WHERE {cond} ORDER BY id DESC LIMIT 200"),
        &refs(&values),
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// Adds a step of the full-process record, with an optional media file stored with its SHA-256.
pub fn add_record(
    tx: &mut Tx<'_>,
    who: &Principal,
    case_id: i64,
    step: &str,
    note: &str,
    file: Option<(&str, &[u8])>,
) -> Result<i64, InstitutionsError> {
    who.require(Action::InspectionManage)?;
    get(tx, who, case_id)?;
    if !STEPS.iter().any(|s| s.0 == step) {
        return Err(InstitutionsError::Invalid(format!(
            "执法环节“{step}”不存在"
        )));
    }
    let note = common::required(note, "记录说明", 2000)?;
    let (attachment_id, sha) = match file {
        Some((name, bytes)) => {
            let meta = attachments::put(
                tx,
                &mut &*bytes,
                name,
                &who.audit(),
                &AttachmentPolicy::default(),
            )
            .map_err(|e| match e {
                minzheng_store::StoreError::Attachment(m) => InstitutionsError::Invalid(m),
                other => other.into(),
            })?;
            (Some(meta.id), Some(meta.sha256))
        }
        None => (None, None),
    };
    let id: i64 = tx
        .query_one(
            "INSERT INTO enforcement_record (case_id, step, note, attachment_id, sha256, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            params![case_id, step, note, attachment_id, sha, who.username, common::now()],
        )?
        .get(0)?;
    common::audit(
        tx,
        who,
        "enforcement.record",
        "enforcement_record",
        id,
        serde_json::json!({ "case_id": case_id, "step": step, "sha256": sha }),
    )?;
    Ok(id)
}

/// A line of the full-process record.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecordLine {
    /// Step id.
    pub step: String,
    /// Note.
    pub note: String,
    /// Attachment id.
    pub attachment_id: Option<i64>,
    /// Its SHA-256.
    pub sha256: Option<String>,
    /// By.
    pub recorded_by: String,
    /// At.
    pub recorded_at: String,
}

/// The full-process record of a case, oldest first.
pub fn records(
    tx: &mut Tx<'_>,
    who: &Principal,
    case_id: i64,
) -> Result<Vec<RecordLine>, InstitutionsError> {
    get(tx, who, case_id)?;
    tx.query(
        "SELECT step, note, attachment_id, sha256, recorded_by, recorded_at FROM enforcement_record WHERE case_id = $1 ORDER BY id",
        params![case_id],
    )?
    .iter()
    .map(|r| {
        Ok(RecordLine {
            step: r.get(0)?,
            note: r.get(1)?,
            attachment_id: r.get(2)?,
            sha256: r.get(3)?,
            recorded_by: r.get(4)?,
            recorded_at: r.get(5)?,
        })
    })
    .collect()
}

/// Gives the legal review of a case (法制审核): approved or not, with the opinion.
pub fn legal_review(
    tx: &mut Tx<'_>,
    who: &Principal,
    case_id: i64,
    approved: bool,
    opinion: &str,
) -> Result<i64, InstitutionsError> {
    who.require(Action::LegalReview)?;
    let case = get(tx, who, case_id)?;
    if case.status != "open" {
        return Err(InstitutionsError::Invalid(
            "案件已作出决定，无需再审核".into(),
        ));
    }
    let opinion = common::required(opinion, "审核意见", 2000)?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO legal_review (case_id, reviewer, approved, opinion, reviewed_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            params![case_id, who.username, approved, opinion, common::now()],
        )?
        .get(0)?;
    tx.execute(
        "INSERT INTO enforcement_record (case_id, step, note, recorded_by, recorded_at) VALUES ($1, 'review', $2, $3, $4)",
        params![case_id, format!("法制审核{}：{opinion}", if approved { "通过" } else { "未通过" }), who.username, common::now()],
    )?;
    common::audit(
        tx,
        who,
        "enforcement.legal_review",
        "enforcement_case",
        case_id,
        serde_json::json!({ "approved": approved }),
    )?;
    Ok(id)
}

/// Makes the decision. A major case needs an approving legal review (the latest review counts);
/// the publication is due `enforcement.publication.workdays` working days after the decision.
pub fn decide(
    tx: &mut Tx<'_>,
    who: &Principal,
    case_id: i64,
    decision: &str,
    decided_on: NaiveDate,
) -> Result<NaiveDate, InstitutionsError> {
    who.require(Action::InspectionManage)?;
    let case = get(tx, who, case_id)?;
    if case.status != "open" {
        return Err(InstitutionsError::Invalid("案件已作出决定".into()));
    }
    let decision = common::required(decision, "决定内容", 4000)?;
    if case.major {
        let latest: Option<bool> = tx
            .query_opt(
                "SELECT approved FROM legal_review WHERE case_id = $1 ORDER BY id DESC LIMIT 1",
                params![case_id],
            )?
            .map(|r| r.get(0))
            .transpose()?;
        match latest {
            Some(true) => {}
            Some(false) => {
                return Err(InstitutionsError::Invalid(
                    "重大执法决定的法制审核未通过，不得作出决定".into(),
                ));
            }
            None => {
                return Err(InstitutionsError::Invalid(
                    "重大执法决定须先经法制审核，未经审核不得作出决定".into(),
                ));
            }
        }
    }
    let n = common::param(
        tx,
        "enforcement.publication.workdays",
        &case.region_code,
        decided_on,
        ParamUnit::Workdays,
    )?;
    let cal = minzheng_reference::calendar::calendar(tx)?;
    let due = cal
        .add_workdays(decided_on, u32::try_from(n).unwrap_or(7))
        .map_err(|e| InstitutionsError::Invalid(e.to_string()))?
        .date;
    tx.execute(
        "UPDATE enforcement_case SET status = 'decided', decision = $1, decided_on = $2, decided_by = $3, publication_due = $4 WHERE id = $5 AND status = 'open'",
        params![decision, decided_on, who.username, due, case_id],
    )?;
    tx.execute(
        "INSERT INTO enforcement_record (case_id, step, note, recorded_by, recorded_at) VALUES ($1, 'decision', $2, $3, $4)",
        params![case_id, format!("作出决定，应于 {due} 前公示"), who.username, common::now()],
    )?;
    common::audit(
        tx,
        who,
        "enforcement.decide",
        "enforcement_case",
        case_id,
        serde_json::json!({ "due": due }),
    )?;
    Ok(due)
}

/// Publishes the decision with personal data masked; returns the published text.
pub fn publish(
    tx: &mut Tx<'_>,
    who: &Principal,
    case_id: i64,
    on: NaiveDate,
) -> Result<String, InstitutionsError> {
    who.require(Action::InspectionManage)?;
    let case = get(tx, who, case_id)?;
    if case.status != "decided" {
        return Err(InstitutionsError::Invalid(
            "案件尚未作出决定或已公示".into(),
        ));
    }
    let persons: String = tx
        .query_one(
            "SELECT persons FROM enforcement_case WHERE id = $1",
            params![case_id],
        )?
        .get(0)?;
    let text = rules::mask_for_publication(
        &format!("{}：{}", case.title, case.decision.unwrap_or_default()),
        &rules::split_list(&persons),
    );
    tx.execute(
        "UPDATE enforcement_case SET status = 'published', published_on = $1, published_text = $2 WHERE id = $3",
        params![on, text, case_id],
    )?;
    let late = case
        .publication_due
        .as_deref()
        .is_some_and(|d| on.format("%Y-%m-%d").to_string().as_str() > d);
    common::audit(
        tx,
        who,
        "enforcement.publish",
        "enforcement_case",
        case_id,
        serde_json::json!({ "late": late }),
    )?;
    Ok(text)
}
