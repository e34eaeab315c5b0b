//! Enrolments: who receives which program from which month, with the facts their amount is
//! computed from, and the stops (death, move out of the city) that end them. Every change is an
//! event row and an audit row in the same transaction.

use crate::programs::{CareTier, Program};
use crate::{BenefitsError, LineProblem};
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
    enrol_as(tx, who, e, "entered")
}

/// Enrols with the source recorded (`entered`, `imported`, `decision`).
pub(crate) fn enrol_as(
    tx: &mut Tx<'_>,
    who: &Principal,
    e: &NewEnrolment,
    source: &str,
) -> Result<i64, BenefitsError> {
    who.require(Action::EnrolmentManage)?;
    match e.program {
        Program::PriceSubsidy => {
            return Err(BenefitsError::Invalid(
                "价格临时补贴按物价指数随月度名册发放，不单独登记".into(),
            ));
        }
        Program::TemporaryAssistance if source != "decision" => {
            return Err(BenefitsError::Invalid(
                "临时救助须按审批决定登记发放".into(),
            ));
        }
        _ => {}
    }
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
                 $18, $17, $17) RETURNING id",
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
                now,
                source
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
            subject_key: Some(audit::subject_key(tx, &id_number)?),
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
            subject_key: Some(audit::subject_key(tx, &id)?),
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
            subject_key: Some(audit::subject_key(tx, &id_number)?),
            before: Some(serde_json::json!({ "status": "active" })),
            after: Some(serde_json::json!({ "status": "suspended" })),
            detail: serde_json::json!({ "reason": reason.trim(), "month": month.to_string() }),
        },
    )?;
    Ok(())
}

/// The columns of an enrolment import, in order (`counted_income` and `supplement` in yuan,
/// `care_tier` empty unless tekun, `end_month` may be empty).
pub const IMPORT_COLUMNS: &str = "program,id_number,name,region_code,members,counted_income,supplement,care_tier,bank_code,account_kind,account_no,start_month,end_month";

fn import_line(fields: &[String], today: chrono::NaiveDate) -> Result<NewEnrolment, String> {
    if fields.len() != 13 {
        return Err(format!(
            "应有 13 列（{IMPORT_COLUMNS}），实有 {} 列",
            fields.len()
        ));
    }
    let f: Vec<&str> = fields.iter().map(|s| s.trim()).collect();
    let program = Program::ALL
        .into_iter()
        .find(|p| p.code() == f[0] || p.name_zh() == f[0])
        .filter(|p| !matches!(p, Program::PriceSubsidy | Program::TemporaryAssistance))
        .ok_or_else(|| format!("项目“{}”无效或不能导入", f[0]))?;
    let id_number = IdNumber::parse_strict(f[1], today).map_err(|e| e.to_string())?;
    let region_code = RegionCode::parse(f[3]).map_err(|e| e.to_string())?;
    if minzheng_kernel::region::RegionTree::chongqing()
        .lookup(region_code)
        .is_err()
    {
        return Err(format!("区划代码 {} 不存在", f[3]));
    }
    let members = f[4]
        .parse::<i64>()
        .map_err(|_| format!("保障人数“{}”应为整数", f[4]))?;
    let yuan = |s: &str, what: &str| -> Result<Fen, String> {
        if s.is_empty() {
            return Ok(Fen(0));
        }
        Fen::parse_yuan(s).map_err(|e| format!("{what}“{s}”无效：{e}"))
    };
    let month = |s: &str, what: &str| -> Result<Month, String> {
        Month::parse(s).map_err(|_| format!("{what}“{s}”无效：应为 YYYY-MM"))
    };
    Ok(NewEnrolment {
        program,
        id_number,
        name: f[2].to_owned(),
        household_id: None,
        region_code,
        members,
        counted_income: yuan(f[5], "家庭月收入")?,
        supplement: yuan(f[6], "分类施保")?,
        care_tier: match f[7] {
            "" => None,
            t => Some(CareTier::parse(t).map_err(|e| e.to_string())?),
        },
        bank_code: f[8].to_owned(),
        account_kind: f[9].to_owned(),
        account_no: f[10].to_owned(),
        start_month: month(f[11], "起始月份")?,
        end_month: match f[12] {
            "" => None,
            m => Some(month(m, "终止月份")?),
        },
        reason: "名册导入".into(),
    })
}

/// Imports enrolments from CSV text ([`IMPORT_COLUMNS`], header line optional), for the programs
/// whose registries come from other departments. Every line is checked first (fields, scope, the
/// same person twice in a program in the file or already enrolled); any problem refuses the whole
/// file with each line's reason, and nothing is enrolled. Returns how many were enrolled.
pub fn import_csv(tx: &mut Tx<'_>, who: &Principal, text: &str) -> Result<usize, BenefitsError> {
    who.require(Action::EnrolmentManage)?;
    let today = minzheng_kernel::id_number::china_today();
    let scope = who.scope();
    let mut problems: Vec<LineProblem> = Vec::new();
    let mut good: Vec<NewEnrolment> = Vec::new();
    let mut seen: std::collections::HashMap<(Program, String), usize> =
        std::collections::HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_start_matches('\u{feff}').trim();
        if raw.is_empty() || (line == 1 && raw.starts_with("program")) {
            continue;
        }
        let fields = crate::bank::split_csv(raw);
        let parsed = import_line(&fields, today).and_then(|e| {
            validate(&e).map_err(|x| x.to_string())?;
            let region = format!("{:012}", e.region_code.as_u64());
            if !scope.contains(&region) {
                return Err(format!("区划 {region} 不在您的管辖范围内"));
            }
            Ok(e)
        });
        let e = match parsed {
            Ok(e) => e,
            Err(reason) => {
                problems.push(LineProblem { line, reason });
                continue;
            }
        };
        let key = (e.program, e.id_number.as_str().to_owned());
        if let Some(first) = seen.insert(key, line) {
            problems.push(LineProblem {
                line,
                reason: format!("与第 {first} 行为同一人同一项目"),
            });
            continue;
        }
        let open: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM enrolment WHERE program = $1 AND id_number = $2 AND status <> 'stopped'",
                params![e.program.code(), e.id_number.as_str()],
            )?
            .get(0)?;
        if open > 0 {
            problems.push(LineProblem {
                line,
                reason: format!("此人已在“{}”中享受待遇", e.program.name_zh()),
            });
            continue;
        }
        good.push(e);
    }
    if !problems.is_empty() {
        return Err(BenefitsError::Lines(problems));
    }
    if good.is_empty() {
        return Err(BenefitsError::Invalid(format!(
            "没有可导入的记录：每行应为 {IMPORT_COLUMNS}"
        )));
    }
    for e in &good {
        enrol_as(tx, who, e, "imported")?;
    }
    Ok(good.len())
}
