//! Enrolments: who receives which program from which month, with the facts their amount is
//! computed from, and the stops (death, move out of the city) that end them. Every change is an
//! event row and an audit row in the same transaction.

use crate::BenefitsError;
use crate::programs::{CareTier, Program};
use minzheng_access::{Action, Principal};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::region::RegionCode;
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Tx, params};

/// The enrolments a month pays, as SQL over `enrolment`: the active ones, and those stopped with
/// a last month (a death, a move out, a stop after review), which are paid up to that month. A
/// suspended enrolment is not paid. Used with the month bounds on `start_month` and `end_month`.
pub const PAYABLE_STATUS: &str =
    "(status = 'active' OR (status = 'stopped' AND end_month IS NOT NULL))";

/// What an enrolment needs, as entered or imported (already validated newtypes where it matters).
#[derive(Debug, Clone)]
pub struct NewEnrolment {
    /// The program.
    pub program: Program,
    /// The beneficiary (for a household program: the applicant who receives the payment).
    pub id_number: IdNumber,
    /// Their name.
    pub name: String,
    /// The household in the population registry, when known.
    pub household_id: Option<i64>,
    /// The community or village (12 digits) the beneficiary lives in.
    pub region_code: RegionCode,
    /// Members counted (household programs); 1 for person programs.
    pub members: i64,
    /// The household's countable monthly income (household programs).
    pub counted_income: Fen,
    /// The monthly category supplements.
    pub supplement: Fen,
    /// The tekun care tier.
    pub care_tier: Option<CareTier>,
    /// The paying bank's code (e.g. `CQRCB`).
    pub bank_code: String,
    /// `ssc` (社保卡) or `bank` (bank account).
    pub account_kind: String,
    /// The card or account number.
    pub account_no: String,
    /// First month paid.
    pub start_month: Month,
    /// Last month paid, when known.
    pub end_month: Option<Month>,
    /// Why (the decision it comes from, or the import).
    pub reason: String,
}

/// Checks what the database cannot: the rules of an enrolment's fields.
pub fn validate(e: &NewEnrolment) -> Result<(), BenefitsError> {
    let bad = |m: &str| Err(BenefitsError::Invalid(m.to_owned()));
    if e.name.trim().is_empty() {
        return bad("请填写享受人员姓名");
    }
    if e.region_code.level() != minzheng_kernel::region::RegionLevel::Community {
        return bad("所在地须为社区或村（12 位区划代码）");
    }
    if e.program.per_household() {
        if e.members < 1 {
            return bad("低保家庭的保障人数至少为 1");
        }
    } else if e.members != 1 {
        return bad("按人发放的项目保障人数应为 1");
    }
    if e.counted_income.is_negative() || e.supplement.is_negative() {
        return bad("收入和分类施保金额不能为负数");
    }
    if e.program.needs_care_tier() && e.care_tier.is_none() {
        return bad("特困人员须填写护理等级");
    }
    if !matches!(e.account_kind.as_str(), "ssc" | "bank") {
        return bad("账户类型应为 ssc（社保卡）或 bank（银行账户）");
    }
    if e.bank_code.trim().is_empty() || e.account_no.trim().is_empty() {
        return bad("请填写代发银行和账号");
    }
    if let Some(end) = e.end_month
        && end < e.start_month
    {
        return Err(BenefitsError::Invalid(format!(
            "终止月份 {end} 早于起始月份 {}",
            e.start_month
        )));
    }
    Ok(())
}

/// Enrols a beneficiary; refused when the same person already has an open enrolment in the program.
pub fn enrol(tx: &mut Tx<'_>, who: &Principal, e: &NewEnrolment) -> Result<i64, BenefitsError> {
    who.require(Action::EnrolmentManage)?;
    validate(e)?;
    let region = format!("{:012}", e.region_code.as_u64());
    if !who.scope().contains(&region) {
        return Err(BenefitsError::Invalid(
            "该社区不在您的管辖范围内，不能为其登记待遇".into(),
        ));
    }
    let id_number = e.id_number.as_str().to_owned();
    let open: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM enrolment WHERE program = $1 AND id_number = $2 AND status <> 'stopped'",
            params![e.program.code(), id_number],
        )?
        .get(0)?;
    if open > 0 {
        return Err(BenefitsError::Conflict(format!(
            "此人已在“{}”中享受待遇，不能重复登记",
            e.program.name_zh()
        )));
    }
    let now = minzheng_store::format_instant(chrono::Utc::now());
    let area_type = if e.region_code.is_village() {
        "rural"
    } else {
        "urban"
    };
    let id: i64 = tx
        .query_one(
            "INSERT INTO enrolment (program, id_number, name, household_id, region_code, area_type, members,
                 counted_income_fen, supplement_fen, care_tier, bank_code, account_kind, account_no,
                 start_month, end_month, first_paid_month, status, reason, source, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, 'active', $16,
                 'entered', $17, $17) RETURNING id",
            params![
                e.program.code(),
                id_number,
                e.name.trim(),
                e.household_id,
                region,
                area_type,
                e.members,
                e.counted_income.0,
                e.supplement.0,
                e.care_tier.map(|t| t.code()),
                e.bank_code.trim(),
                e.account_kind,
                e.account_no.trim(),
                e.start_month.to_string(),
                e.end_month.map(|m| m.to_string()),
                e.reason,
                now
            ],
        )?
        .get(0)?;
    event(tx, who, id, None, "active", e.start_month, &e.reason, &now)?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "benefits.enrol",
            record_type: "enrolment",
            record_id: id.to_string(),
            subject_key: Some(audit::subject_key(&id_number)),
            before: None,
            after: Some(serde_json::json!({
                "program": e.program.code(), "region_code": region, "start_month": e.start_month.to_string(),
                "members": e.members, "counted_income_fen": e.counted_income.0, "supplement_fen": e.supplement.0,
            })),
            detail: serde_json::json!({ "reason": e.reason }),
        },
    )?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
fn event(
    tx: &mut Tx<'_>,
    who: &Principal,
    enrolment_id: i64,
    from: Option<&str>,
    to: &str,
    month: Month,
    reason: &str,
    now: &str,
) -> Result<(), BenefitsError> {
    tx.execute(
        "INSERT INTO enrolment_event (enrolment_id, at, actor, from_status, to_status, effective_month, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![enrolment_id, now, who.username, from, to, month.to_string(), reason],
    )?;
    Ok(())
}

/// Why a person's benefits stop everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// Death (from a funeral record, the hukou feed or a counter).
    Death,
    /// Moved out of the city.
    MovedOut,
}

impl StopKind {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            StopKind::Death => "death",
            StopKind::MovedOut => "moved_out",
        }
    }

    fn name_zh(self) -> &'static str {
        match self {
            StopKind::Death => "死亡",
            StopKind::MovedOut => "迁出本市",
        }
    }
}

/// What recording a stop did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopOutcome {
    /// Open enrolments ended by it.
    pub enrolments_stopped: usize,
    /// Whether the stop was already recorded (a retry changes nothing).
    pub already_recorded: bool,
}

/// Records a death or a move out of the city on `date`: every open enrolment of the person ends with
/// that month (the month itself is still due), so the next cycle does not pay, and payments already
/// made for later months become recovery lines in the next cycle. A retry changes nothing.
pub fn record_stop(
    tx: &mut Tx<'_>,
    who: &Principal,
    id_number: &IdNumber,
    kind: StopKind,
    date: chrono::NaiveDate,
    source: &str,
) -> Result<StopOutcome, BenefitsError> {
    who.require(Action::EnrolmentManage)?;
    let id = id_number.as_str().to_owned();
    if date > minzheng_kernel::id_number::china_today() {
        return Err(BenefitsError::Invalid(format!(
            "{}日期 {date} 在今天之后",
            kind.name_zh()
        )));
    }
    let existing = tx.query_opt(
        "SELECT effective_date FROM beneficiary_stop WHERE id_number = $1 AND kind = $2",
        params![id, kind.code()],
    )?;
    if existing.is_some() {
        return Ok(StopOutcome {
            enrolments_stopped: 0,
            already_recorded: true,
        });
    }
    let (scope_sql, scope_values) = who.scope().sql("region_code", 2);
    let mut values: Vec<&dyn minzheng_store::ToValue> = vec![&id];
    for v in &scope_values {
        values.push(v);
    }
    let open = tx.query(
        &format!(
            "SELECT id, status, end_month FROM enrolment WHERE id_number = $1 AND status <> 'stopped' AND {scope_sql}"
        ),
        &values,
    )?;
    let now = minzheng_store::format_instant(chrono::Utc::now());
    tx.execute(
        "INSERT INTO beneficiary_stop (id_number, kind, effective_date, source, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        params![id, kind.code(), date.format("%Y-%m-%d").to_string(), source, who.username, now],
    )?;
    let last = Month::of(date);
    let reason = format!("{}（{date}，来源：{source}）", kind.name_zh());
    for row in &open {
        let enrolment_id: i64 = row.get(0)?;
        let status: String = row.get(1)?;
        let end: Option<String> = row.get(2)?;
        let end = match end {
            Some(e) if Month::parse(&e).map(|m| m < last).unwrap_or(false) => e,
            _ => last.to_string(),
        };
        tx.execute(
            "UPDATE enrolment SET status = 'stopped', end_month = $2, reason = $3, updated_at = $4 WHERE id = $1",
            params![enrolment_id, end, reason, now],
        )?;
        event(
            tx,
            who,
            enrolment_id,
            Some(&status),
            "stopped",
            last,
            &reason,
            &now,
        )?;
    }
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "benefits.stop",
            record_type: "beneficiary_stop",
            record_id: format!("{id}:{}", kind.code()),
            subject_key: Some(audit::subject_key(&id)),
            before: None,
            after: Some(serde_json::json!({ "kind": kind.code(), "date": date.to_string() })),
            detail: serde_json::json!({ "source": source, "enrolments_stopped": open.len() }),
        },
    )?;
    Ok(StopOutcome {
        enrolments_stopped: open.len(),
        already_recorded: false,
    })
}

/// Suspends an enrolment from `month` (a review found a reason to stop paying while it is checked).
pub fn suspend(
    tx: &mut Tx<'_>,
    who: &Principal,
    enrolment_id: i64,
    month: Month,
    reason: &str,
) -> Result<(), BenefitsError> {
    who.require(Action::EnrolmentManage)?;
    if reason.trim().is_empty() {
        return Err(BenefitsError::Invalid("暂停发放须写明理由".into()));
    }
    let (scope_sql, scope_values) = who.scope().sql("region_code", 2);
    let mut values: Vec<&dyn minzheng_store::ToValue> = vec![&enrolment_id];
    for v in &scope_values {
        values.push(v);
    }
    let row = tx
        .query_opt(
            &format!("SELECT status, id_number FROM enrolment WHERE id = $1 AND {scope_sql}"),
            &values,
        )?
        .ok_or_else(|| BenefitsError::Invalid("没有这条待遇记录，或它不在您的管辖范围内".into()))?;
    let status: String = row.get(0)?;
    let id_number: String = row.get(1)?;
    if status != "active" {
        return Err(BenefitsError::Conflict(format!(
            "这条待遇当前状态为“{status}”，只有正常发放的待遇可以暂停"
        )));
    }
    let now = minzheng_store::format_instant(chrono::Utc::now());
    tx.execute(
        "UPDATE enrolment SET status = 'suspended', reason = $2, updated_at = $3 WHERE id = $1",
        params![enrolment_id, reason.trim(), now],
    )?;
    event(
        tx,
        who,
        enrolment_id,
        Some("active"),
        "suspended",
        month,
        reason.trim(),
        &now,
    )?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "benefits.suspend",
            record_type: "enrolment",
            record_id: enrolment_id.to_string(),
            subject_key: Some(audit::subject_key(&id_number)),
            before: Some(serde_json::json!({ "status": "active" })),
            after: Some(serde_json::json!({ "status": "suspended" })),
            detail: serde_json::json!({ "reason": reason.trim(), "month": month.to_string() }),
        },
    )?;
    Ok(())
}
