//! Enrolments: who receives which program from which month, with the facts their amount is
//! computed from, and the stops (death, move out of the city) that end them. Every change is an
//! event row and an audit row in the same transaction.

use crate::fields::{self, FieldError, Rules};
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

/// Checks an enrolment's fields by the rules every form and import shares ([`fields::Rules`]),
/// reading what they need (banks, parameters) from the database; every problem at once.
pub fn validate(tx: &mut Tx<'_>, e: &NewEnrolment) -> Result<(), BenefitsError> {
    let rules = Rules::load(tx)?;
    rules.enrolment(e).map_err(fields::refusal)
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
    let rules = Rules::load(tx)?;
    enrol_checked(tx, who, e, source, &rules)
}

/// Enrols by `rules` read once (an import enrols many with the same).
fn enrol_checked(
    tx: &mut Tx<'_>,
    who: &Principal,
    e: &NewEnrolment,
    source: &str,
    rules: &Rules,
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
    rules.enrolment(e).map_err(fields::refusal)?;
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

/// Reads one line of an enrolment import: every field by its rule ([`fields`]), every problem of
/// the line at once, then how the fields fit together ([`Rules::enrolment`]).
fn import_line(fields: &[String], rules: &Rules) -> Result<NewEnrolment, Vec<FieldError>> {
    if fields.len() != 13 {
        return Err(vec![FieldError {
            field: "列数",
            reason: format!("应有 13 列（{IMPORT_COLUMNS}），实有 {} 列", fields.len()),
        }]);
    }
    let mut errors: Vec<FieldError> = Vec::new();
    let program = fields::keep(&mut errors, import_program(&fields[0]));
    let id_number = fields::keep(&mut errors, fields::id_number(&fields[1], rules.today()));
    let name = fields::keep(&mut errors, fields::name(&fields[2]));
    let region_code = fields::keep(&mut errors, fields::community(&fields[3]));
    let members = program.and_then(|p| fields::keep(&mut errors, fields::members(&fields[4], p)));
    let counted_income = fields::keep(&mut errors, fields::monthly_yuan("家庭月收入", &fields[5]));
    let supplement = fields::keep(&mut errors, fields::monthly_yuan("分类施保", &fields[6]));
    let care_tier =
        program.and_then(|p| fields::keep(&mut errors, fields::care_tier(&fields[7], p)));
    let bank_code = fields::keep(
        &mut errors,
        rules.bank(&fields[8]).map(|b| b.bank_code.clone()),
    );
    let account_kind = fields::keep(&mut errors, fields::account_kind(&fields[9]));
    let account_no = fields::keep(&mut errors, fields::account_no(&fields[10]));
    let start_month = fields::keep(&mut errors, fields::required_month("起始月份", &fields[11]));
    let end_month = fields::keep(&mut errors, fields::month("终止月份", &fields[12]));
    let (
        Some(program),
        Some(id_number),
        Some(name),
        Some(region_code),
        Some(members),
        Some(counted_income),
        Some(supplement),
        Some(care_tier),
        Some(bank_code),
        Some(account_kind),
        Some(account_no),
        Some(start_month),
        Some(end_month),
    ) = (
        program,
        id_number,
        name,
        region_code,
        members,
        counted_income,
        supplement,
        care_tier,
        bank_code,
        account_kind,
        account_no,
        start_month,
        end_month,
    )
    else {
        return Err(errors);
    };
    let e = NewEnrolment {
        program,
        id_number,
        name,
        household_id: None,
        region_code,
        members,
        counted_income,
        supplement,
        care_tier,
        bank_code,
        account_kind: account_kind.to_owned(),
        account_no,
        start_month,
        end_month,
        reason: "名册导入".into(),
    };
    rules.enrolment(&e)?;
    Ok(e)
}

/// The program of an import line, by code or Chinese name; the price subsidy and temporary
/// assistance are never imported.
fn import_program(value: &str) -> Result<Program, FieldError> {
    const FIELD: &str = "项目";
    let v = fields::text(FIELD, value)?;
    Program::ALL
        .into_iter()
        .find(|p| p.code() == v || p.name_zh() == v)
        .filter(|p| !matches!(p, Program::PriceSubsidy | Program::TemporaryAssistance))
        .ok_or_else(|| FieldError {
            field: FIELD,
            reason: format!("“{v}”无效或不能导入"),
        })
}

/// Imports enrolments from CSV text ([`IMPORT_COLUMNS`], header line optional), for the programs
/// whose registries come from other departments. Every line is checked first, every field by the
/// rules the forms use (fields, scope, the same person twice in a program in the file or already
/// enrolled); any problem refuses the whole file with each line's problems (line, field, reason),
/// and nothing is enrolled. Returns how many were enrolled.
pub fn import_csv(tx: &mut Tx<'_>, who: &Principal, text: &str) -> Result<usize, BenefitsError> {
    who.require(Action::EnrolmentManage)?;
    let rules = Rules::load(tx)?;
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
        let e = match import_line(&fields, &rules) {
            Ok(e) => e,
            Err(errors) => {
                problems.extend(errors.into_iter().map(|e| LineProblem::field(line, e)));
                continue;
            }
        };
        let region = format!("{:012}", e.region_code.as_u64());
        if !scope.contains(&region) {
            problems.push(LineProblem::field(
                line,
                FieldError {
                    field: "区划代码",
                    reason: format!("{region} 不在您的管辖范围内"),
                },
            ));
            continue;
        }
        let key = (e.program, e.id_number.as_str().to_owned());
        if let Some(first) = seen.insert(key, line) {
            problems.push(LineProblem::line(
                line,
                format!("与第 {first} 行为同一人同一项目"),
            ));
            continue;
        }
        let open: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM enrolment WHERE program = $1 AND id_number = $2 AND status <> 'stopped'",
                params![e.program.code(), e.id_number.as_str()],
            )?
            .get(0)?;
        if open > 0 {
            problems.push(LineProblem::line(
                line,
                format!("此人已在“{}”中享受待遇", e.program.name_zh()),
            ));
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
        enrol_checked(tx, who, e, "imported", &rules)?;
    }
    Ok(good.len())
}
