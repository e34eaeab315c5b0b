//! 一门受理、协同办理 (RULES.md §5): the counter takes a request that another department decides,
//! records it and refers it, with a time limit (working days, a dated parameter), the receiving
//! department's answer, and the feedback to the applicant. The street owns the request until the
//! applicant has had the feedback.

use crate::households::audit;
use crate::rules::{self, DEPARTMENTS};
use crate::{AssistanceError, now_text};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::params::ParamUnit;
use minzheng_store::{Tx, params};
use serde::Serialize;

/// What the counter records.
#[derive(Debug, Clone, Default)]
pub struct NewReferral {
    /// The assistance application it came with, if any.
    pub application_id: Option<i64>,
    /// 12-digit community or street code of the applicant.
    pub region_code: String,
    /// Applicant's name.
    pub person_name: String,
    /// Applicant's ID number.
    pub id_number: String,
    /// Phone.
    pub phone: Option<String>,
    /// Receiving department (`rules::DEPARTMENTS`).
    pub to_dept: String,
    /// What is asked (medical, education, housing, employment assistance...).
    pub item_type: String,
    /// Details.
    pub description: String,
}

/// Records and sends a referral; the answer is due after the parameter's working days.
pub fn create(
    tx: &mut Tx<'_>,
    who: &Principal,
    input: &NewReferral,
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    who.require(Action::CaseHandle)?;
    let region = input.region_code.trim().to_owned();
    if region.len() != 12 || !who.scope().contains(&region) {
        return Err(AssistanceError::Invalid(
            "请填写您辖区内的 12 位社区（村）代码".into(),
        ));
    }
    let id = IdNumber::parse_strict(&input.id_number, today)
        .map_err(|e| AssistanceError::Invalid(format!("身份证号码有误：{e}")))?;
    if rules::label(DEPARTMENTS, &input.to_dept).is_empty() {
        return Err(AssistanceError::Invalid("请选择接收部门".into()));
    }
    if input.person_name.trim().is_empty() || input.item_type.trim().is_empty() {
        return Err(AssistanceError::Invalid(
            "请填写申请人姓名和转办事项".into(),
        ));
    }
    if let Some(app) = input.application_id {
        crate::cases::load(tx, who, app)?;
    }
    let p = crate::param_set(tx)?;
    let n = p
        .value_of("referral.answer.time_limit_workdays", &region, today)
        .and_then(|r| r.amount_in(ParamUnit::Workdays))
        .map_err(|e| AssistanceError::Internal(e.to_string()))?;
    let cal = minzheng_reference::calendar::calendar(tx)?;
    let due = cal
        .add_workdays(today, u32::try_from(n).unwrap_or(0))
        .map_err(|e| AssistanceError::Internal(e.to_string()))?
        .date;
    let rid: i64 = tx
        .query_one(
            "INSERT INTO assistance_referral (application_id, region_code, person_name, id_number, phone, to_dept, item_type, description,
             sent_on, due_on, status, answer, answered_by, answered_on, feedback_on, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'sent', NULL, NULL, NULL, NULL, $11, $12) RETURNING id",
            params![
                input.application_id,
                region,
                input.person_name.trim(),
                id.as_str(),
                input.phone.as_deref().map(str::trim),
                input.to_dept,
                input.item_type.trim(),
                input.description.trim(),
                today.to_string(),
                due.to_string(),
                who.username,
                now_text()
            ],
        )?
        .get(0)?;
    audit(
        tx,
        who,
        "referral.create",
        "referral",
        rid,
        Some(id.as_str()),
        serde_json::json!({ "to_dept": input.to_dept, "due_on": due.to_string() }),
    )?;
    Ok(rid)
}

fn load_status(tx: &mut Tx<'_>, who: &Principal, id: i64) -> Result<String, AssistanceError> {
    let (cond, vals) = who.scope().sql("region_code", 2);
    let sql = format!("SELECT status FROM assistance_referral WHERE id = $1 AND {cond}");
    let mut ps: Vec<&dyn minzheng_store::ToValue> = vec![&id];
    for v in &vals {
        ps.push(v);
    }
    tx.query_opt(&sql, &ps)?
        .map(|r| r.get::<String>(0))
        .transpose()?
        .ok_or(AssistanceError::NotFound)
}

/// The receiving department answers: `accepted`, `returned` (not theirs) or `done`, with text.
pub fn answer(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    status: &str,
    text: &str,
    today: NaiveDate,
) -> Result<(), AssistanceError> {
    who.require(Action::ReferralAnswer)?;
    let current = load_status(tx, who, id)?;
    if !matches!(status, "accepted" | "returned" | "done") {
        return Err(AssistanceError::Invalid(
            "答复应为已接收、退回或已办结".into(),
        ));
    }
    if matches!(current.as_str(), "returned" | "done") {
        return Err(AssistanceError::Invalid("该转办事项已答复完毕".into()));
    }
    if text.trim().chars().count() < 2 {
        return Err(AssistanceError::Invalid("请填写答复内容".into()));
    }
    tx.execute(
        "UPDATE assistance_referral SET status = $1, answer = $2, answered_by = $3, answered_on = $4 WHERE id = $5",
        params![status, text.trim(), who.display_name, today.to_string(), id],
    )?;
    audit(
        tx,
        who,
        "referral.answer",
        "referral",
        id,
        None,
        serde_json::json!({ "status": status }),
    )
}

/// The street tells the applicant the result (closes the loop).
pub fn feedback(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    today: NaiveDate,
) -> Result<(), AssistanceError> {
    who.require(Action::CaseHandle)?;
    let current = load_status(tx, who, id)?;
    if !matches!(current.as_str(), "returned" | "done") {
        return Err(AssistanceError::Invalid(
            "接收部门尚未答复，不能反馈申请人".into(),
        ));
    }
    tx.execute(
        "UPDATE assistance_referral SET feedback_on = $1 WHERE id = $2 AND feedback_on IS NULL",
        params![today.to_string(), id],
    )?;
    audit(
        tx,
        who,
        "referral.feedback",
        "referral",
        id,
        None,
        serde_json::json!({}),
    )
}

/// One referral in a list.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralRow {
    /// Id.
    pub id: i64,
    /// Application, if any.
    pub application_id: Option<i64>,
    /// Name (masked in lists).
    pub person_name: String,
    /// Department label.
    pub to_dept: String,
    /// Item.
    pub item_type: String,
    /// Sent.
    pub sent_on: String,
    /// Due.
    pub due_on: String,
    /// Status.
    pub status: String,
    /// Answer.
    pub answer: Option<String>,
    /// Feedback date.
    pub feedback_on: Option<String>,
    /// Past due without an answer.
    pub overdue: bool,
}

/// Referrals within scope, soonest due first.
pub fn list(
    tx: &mut Tx<'_>,
    who: &Principal,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<ReferralRow>, AssistanceError> {
    if !who.can(Action::AssistanceRead) && !who.can(Action::ReferralAnswer) {
        who.require(Action::AssistanceRead)?;
    }
    let (cond, vals) = who.scope().sql("region_code", 2);
    let sql = format!(
        "SELECT id, application_id, person_name, to_dept, item_type, sent_on, due_on, status, answer, feedback_on
         FROM assistance_referral WHERE {cond} ORDER BY feedback_on IS NOT NULL, due_on, id LIMIT $1"
    );
    let mut ps: Vec<&dyn minzheng_store::ToValue> = vec![&limit];
    for v in &vals {
        ps.push(v);
    }
    let today_s = today.to_string();
    let mut out = Vec::new();
    for r in tx.query(&sql, &ps)? {
        let status: String = r.get(7)?;
        let due: String = r.get(6)?;
        out.push(ReferralRow {
            id: r.get(0)?,
            application_id: r.get(1)?,
            person_name: minzheng_kernel::mask::name(&r.get::<String>(2)?),
            to_dept: rules::label(DEPARTMENTS, &r.get::<String>(3)?).to_owned(),
            item_type: r.get(4)?,
            sent_on: r.get(5)?,
            overdue: matches!(status.as_str(), "sent" | "accepted") && due < today_s,
            due_on: due,
            status,
            answer: r.get(8)?,
            feedback_on: r.get(9)?,
        });
    }
    Ok(out)
}
