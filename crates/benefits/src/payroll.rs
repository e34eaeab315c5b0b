//! The monthly payroll. A cycle is one district's month: computing it freezes every payable
//! entitlement as a payment line with its explanation, plus arrears for months an enrolment was due
//! but not yet paid and recoveries of payments made for months after a death or a move-out. Control
//! totals (count and amount per program and bank) are written with the lines and checked again at
//! every later step.
//!
//! After finance authorizes it, a cycle is released as bank files (`bank`), reconciled when every
//! bank's return file is imported, and closed. A payment the bank could not make is reissued in a
//! later cycle (a `reissue` line), directly or once its account has been corrected.
//!
//! Each district is computed in one transaction: a crash leaves that district either whole or not
//! there at all, and a rerun computes only what is missing. The unique index on (month, district)
//! and the one on (program, beneficiary, month) make a second or concurrent run change nothing.

use crate::BenefitsError;
use crate::enrolments::PAYABLE_STATUS;
use crate::programs::{Basis, CareTier, Program, Standards, monthly_amount, prorated};
use minzheng_access::{AccessError, Action, Principal};
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::params::ParamSet;
use minzheng_kernel::region::{RegionLevel, RegionTree};
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Db, ToValue, Tx, Value, params};
use std::collections::{BTreeMap, HashMap};

/// The stages of a cycle, in order.
pub const STAGES: [(&str, &str); 6] = [
    ("computed", "已生成"),
    ("approved", "区县已审核"),
    ("authorized", "财政已批准"),
    ("released", "已生成代发文件"),
    ("reconciled", "已回盘对账"),
    ("closed", "已结束"),
];

/// What computing one district's month did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistrictOutcome {
    /// The district (6 digits).
    pub district: String,
    /// Whether it had been computed before (then nothing changed).
    pub already: bool,
    /// Regular lines written.
    pub regular: u64,
    /// Arrears lines written.
    pub arrears: u64,
    /// Recovery lines written.
    pub recoveries: u64,
    /// Reissue lines written (payments the bank returned as failed).
    pub reissues: u64,
    /// Price-subsidy lines written.
    pub price_subsidies: u64,
    /// Entitlements with nothing payable this month (dibao income at or above the standard).
    pub not_payable: u64,
    /// The cycle's total.
    pub total_fen: i64,
}

impl DistrictOutcome {
    /// Lines written, of every kind.
    pub fn lines(&self) -> u64 {
        self.regular + self.arrears + self.recoveries + self.reissues + self.price_subsidies
    }
}

/// What computing a month did, over every district in scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthOutcome {
    /// The month.
    pub month: String,
    /// Per district.
    pub districts: Vec<DistrictOutcome>,
}

impl MonthOutcome {
    /// Lines written by this run, of every kind.
    pub fn lines_written(&self) -> u64 {
        self.districts.iter().map(|d| d.lines()).sum()
    }

    /// Districts that were already computed.
    pub fn already(&self) -> usize {
        self.districts.iter().filter(|d| d.already).count()
    }
}

/// The districts (6-digit codes) the principal's scope holds whole, from the region tree: a cycle
/// covers a whole district, so a scope holding only part of one (streets that moved to another
/// district with their old codes) does not compute it.
fn districts_in_scope(who: &Principal, month: Month) -> Vec<String> {
    let scope = who.scope_on(month.first_day());
    let mut out: Vec<String> = RegionTree::chongqing()
        .nodes()
        .iter()
        .filter(|n| n.level() == RegionLevel::District)
        .map(|n| format!("{:012}", n.code.as_u64())[..6].to_owned())
        .filter(|d| scope.contains(&format!("{d}000000")))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Computes `month` for every district in scope, one transaction each; `progress` hears each
/// district as it finishes (index, count, outcome).
///
/// Two threads share the work: one reads and computes the next district while the other writes
/// the last one, so reading and writing overlap. Each district's lines are computed from one
/// consistent read and written in one transaction; the unique keys make a concurrent or repeated
/// run write nothing twice.
pub fn compute_month(
    db: &Db,
    who: &Principal,
    month: Month,
    progress: &mut dyn FnMut(usize, usize, &DistrictOutcome),
) -> Result<MonthOutcome, BenefitsError> {
    who.require(Action::PayrollCompute)?;
    payable_month(month)?;
    let params = db.read(crate_params)?;
    let districts = districts_in_scope(who, month);
    let count = districts.len();
    let mut outcome = MonthOutcome {
        month: month.to_string(),
        districts: Vec::new(),
    };
    std::thread::scope(|scope| -> Result<(), BenefitsError> {
        let (send, receive) = std::sync::mpsc::sync_channel::<(usize, Plan)>(1);
        let (params, districts) = (&params, &districts);
        // The planner owns the sender, so the channel closes when it is done or fails.
        let planner = scope.spawn(move || -> Result<(), BenefitsError> {
            for (i, district) in districts.iter().enumerate() {
                let plan = db.read(|tx| plan_district(tx, params, month, district))?;
                if let Some(plan) = plan
                    && send.send((i, plan)).is_err()
                {
                    break;
                }
            }
            Ok(())
        });
        let mut written = Ok(());
        for (i, plan) in receive {
            let district = plan.district.clone();
            let d = match db.write(|tx| write_district(tx, who, month, plan)) {
                Err(BenefitsError::Store(e)) if e.is_unique_violation() => DistrictOutcome {
                    district,
                    already: true,
                    ..DistrictOutcome::default()
                },
                Err(e) => {
                    written = Err(e);
                    break;
                }
                Ok(d) => d,
            };
            progress(i + 1, count, &d);
            outcome.districts.push(d);
        }
        let planned = planner
            .join()
            .map_err(|_| BenefitsError::Invalid("发放名册计算线程异常中止".into()))?;
        written.and(planned)
    })?;
    Ok(outcome)
}

/// Refuses a month beyond next month: its entitlements are not known yet (an enrolment decided
/// meanwhile, a death recorded meanwhile), and a computed month cannot be computed again.
pub fn payable_month(month: Month) -> Result<(), BenefitsError> {
    let latest = Month::of(minzheng_kernel::id_number::china_today()).plus(1);
    if month > latest {
        return Err(BenefitsError::Invalid(format!(
            "不能生成 {month} 的发放名册：最远只能生成下个月（{latest}）的名册"
        )));
    }
    Ok(())
}

fn crate_params(tx: &mut Tx<'_>) -> Result<ParamSet, BenefitsError> {
    Ok(minzheng_reference::parameters::parameter_set(tx)?)
}

/// One payment line before it is written.
struct Line {
    enrolment_id: i64,
    program: Program,
    id_number: String,
    region_code: String,
    bank_code: String,
    kind: &'static str,
    for_month: String,
    amount: i64,
    explanation: String,
    recovers: Option<i64>,
    reissues: Option<i64>,
    payee: Payee,
}

/// Who is paid and where, frozen on the line when it is computed.
#[derive(Clone)]
struct Payee {
    name: String,
    account_kind: String,
    account_no: String,
}

/// A district's month as computed from one read, before it is written.
pub struct Plan {
    district: String,
    lines: Vec<Line>,
    /// Enrolments paid for the first time (their arrears are in `lines`).
    first_paid: Vec<i64>,
    /// Active enrolments whose last month is paid now (with that month): they end.
    ended: Vec<(i64, Month)>,
    /// Whether the cycle existed already when read.
    already: bool,
    outcome: DistrictOutcome,
}

const PAYMENT_COLUMNS: &[&str] = &[
    "cycle_id",
    "enrolment_id",
    "program",
    "id_number",
    "region_code",
    "bank_code",
    "kind",
    "for_month",
    "amount_fen",
    "explanation",
    "recovers_payment_id",
    "reissues_payment_id",
    "payee_name",
    "account_kind",
    "account_no",
];

/// Lines written per bulk insert.
const BATCH: usize = 10_000;

/// Computes one district's month inside the caller's transaction (read and write in one).
pub fn compute_district(
    tx: &mut Tx<'_>,
    who: &Principal,
    params: &ParamSet,
    month: Month,
    district: &str,
) -> Result<DistrictOutcome, BenefitsError> {
    who.require(Action::PayrollCompute)?;
    payable_month(month)?;
    match plan_district(tx, params, month, district)? {
        Some(plan) => write_district(tx, who, month, plan),
        None => Ok(DistrictOutcome {
            district: district.to_owned(),
            ..DistrictOutcome::default()
        }),
    }
}

/// Reads a district's payable entitlements and computes its lines; `None` when the district has
/// no enrolments at all.
pub fn plan_district(
    tx: &mut Tx<'_>,
    params: &ParamSet,
    month: Month,
    district: &str,
) -> Result<Option<Plan>, BenefitsError> {
    let upper = format!("{district}:");
    let m = month.to_string();
    let mut out = DistrictOutcome {
        district: district.to_owned(),
        ..DistrictOutcome::default()
    };
    if tx
        .query_opt(
            "SELECT id FROM payroll_cycle WHERE month = $1 AND district_code = $2",
            params![m, district],
        )?
        .is_some()
    {
        out.already = true;
        return Ok(Some(Plan {
            district: district.to_owned(),
            lines: Vec::new(),
            first_paid: Vec::new(),
            ended: Vec::new(),
            already: true,
            outcome: out,
        }));
    }
    // Nobody to pay in the district (no enrolment, no price-subsidy recipient): no cycle.
    let anyone = |tx: &mut Tx<'_>, table: &str| -> Result<bool, BenefitsError> {
        Ok(tx
            .query_opt(
                &format!(
                    "SELECT 1 FROM {table} WHERE region_code >= $1 AND region_code < $2 LIMIT 1"
                ),
                params![district, upper],
            )?
            .is_some())
    };
    if !anyone(tx, "enrolment")? && !anyone(tx, "price_subsidy_recipient")? {
        return Ok(None);
    }
    let mut standards: HashMap<Month, Standards> = HashMap::new();
    let mut standards_of = |mo: Month| -> Result<Standards, BenefitsError> {
        if let Some(s) = standards.get(&mo) {
            return Ok(*s);
        }
        let s = Standards::read(params, district, mo)?;
        standards.insert(mo, s);
        Ok(s)
    };
    // Regular lines, and arrears for enrolments that start before this month and were never paid.
    let current = standards_of(month)?;
    let mut lines: Vec<Line> = Vec::new();
    let mut first_paid: Vec<i64> = Vec::new();
    let mut ended: Vec<(i64, Month)> = Vec::new();
    tx.query_each(
        &format!("SELECT id, program, id_number, region_code, members, counted_income_fen, supplement_fen, care_tier,
                bank_code, start_month, first_paid_month, fixed_amount_fen, name, account_kind,
                account_no, decided_on, end_month, status
         FROM enrolment
         WHERE region_code >= $1 AND region_code < $2 AND start_month <= $3 AND {PAYABLE_STATUS}
           AND (end_month IS NULL OR end_month >= $3 OR first_paid_month IS NULL)
         ORDER BY region_code, id"),
        params![district, upper, m],
        |mut row| -> Result<(), BenefitsError> {
            let enrolment_id: i64 = row.take(0)?;
            let program = Program::parse(&row.take::<String>(1)?)?;
            let id_number: String = row.take(2)?;
            let region_code: String = row.take(3)?;
            let care: Option<String> = row.take(7)?;
            let basis = Basis {
                members: row.take(4)?,
                counted_income: Fen(row.take(5)?),
                supplement: Fen(row.take(6)?),
                care_tier: care.as_deref().map(CareTier::parse).transpose()?,
                fixed: Fen(row.take(11)?),
            };
            let bank_code: String = row.take(8)?;
            let already_paid: Option<String> = row.take(10)?;
            let payee = Payee {
                name: row.take(12)?,
                account_kind: row.take(13)?,
                account_no: row.take(14)?,
            };
            let decided_on = row
                .take::<Option<String>>(15)?
                .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
            // An enrolment that ends (a death, a move, a stop after review: stopped with its last
            // month) is paid to its last month; one that ended before this month is here only
            // for its unpaid months.
            let end = row
                .take::<Option<String>>(16)?
                .map(|e| Month::parse(&e))
                .transpose()
                .map_err(|e| BenefitsError::Invalid(e.to_string()))?;
            let due = |mo: Month| end.is_none_or(|e| mo <= e);
            // Its last month is paid by this cycle (or was, before): it ends now, so the person
            // can be enrolled again later (a second temporary assistance, a new dibao decision).
            if let Some(e) = end
                && e <= month
                && row.take::<String>(17)? == "active"
            {
                ended.push((enrolment_id, e));
            }
            if already_paid.is_none() {
                first_paid.push(enrolment_id);
                let start = Month::parse(&row.take::<String>(9)?)
                    .map_err(|e| BenefitsError::Invalid(e.to_string()))?;
                let mut mo = start;
                while mo < month && due(mo) {
                    let s = standards_of(mo)?;
                    if let Some(a) = monthly_amount(program, &basis, &s)? {
                        let a = prorated(a, decided_on, &s);
                        out.arrears += 1;
                        out.total_fen += a.fen.0;
                        lines.push(Line {
                            enrolment_id,
                            program,
                            id_number: id_number.clone(),
                            region_code: region_code.clone(),
                            bank_code: bank_code.clone(),
                            kind: "arrears",
                            for_month: mo.to_string(),
                            amount: a.fen.0,
                            explanation: format!("补发：{}", a.explanation),
                            recovers: None,
                            reissues: None,
                            payee: payee.clone(),
                        });
                    }
                    mo = mo.plus(1);
                }
            }
            if !due(month) {
                return Ok(());
            }
            match monthly_amount(program, &basis, &current)? {
                Some(a) => {
                    let a = prorated(a, decided_on, &current);
                    out.regular += 1;
                    out.total_fen += a.fen.0;
                    lines.push(Line {
                        enrolment_id,
                        program,
                        id_number,
                        region_code,
                        bank_code,
                        kind: "regular",
                        for_month: m.clone(),
                        amount: a.fen.0,
                        explanation: a.explanation,
                        recovers: None,
                        reissues: None,
                        payee,
                    });
                }
                None => out.not_payable += 1,
            }
            Ok(())
        },
    )?;

    // Recoveries: payments made for months after a recorded death or move-out, not yet recovered.
    let overpaid = tx.query(
        "SELECT p.id, p.enrolment_id, p.program, p.id_number, p.region_code, p.bank_code, p.for_month,
                p.amount_fen, s.effective_date, s.kind, p.payee_name, p.account_kind, p.account_no
         FROM payment p JOIN beneficiary_stop s ON s.id_number = p.id_number
         WHERE p.id_number IN (SELECT id_number FROM beneficiary_stop)
           AND p.region_code >= $1 AND p.region_code < $2 AND p.kind <> 'recovery'
           AND NOT EXISTS (SELECT 1 FROM payment r WHERE r.recovers_payment_id = p.id AND r.kind = 'recovery')
           AND NOT EXISTS (SELECT 1 FROM payment_result f WHERE f.payment_id = p.id AND f.outcome = 'failed')
         ORDER BY p.id",
        params![district, upper],
    )?;
    let mut recovered = std::collections::HashSet::new();
    for row in overpaid {
        let paid_id: i64 = row.get(0)?;
        let for_month: String = row.get(6)?;
        let date: String = row.get(8)?;
        let kind: String = row.get(9)?;
        let stop_month = Month::parse(&date[..7.min(date.len())])
            .map_err(|e| BenefitsError::Invalid(e.to_string()))?;
        let paid_month =
            Month::parse(&for_month).map_err(|e| BenefitsError::Invalid(e.to_string()))?;
        if paid_month <= stop_month || !recovered.insert(paid_id) {
            continue;
        }
        let amount: i64 = row.get(7)?;
        let why = if kind == "death" {
            "死亡"
        } else {
            "迁出本市"
        };
        out.recoveries += 1;
        out.total_fen -= amount;
        lines.push(Line {
            enrolment_id: row.get(1)?,
            program: Program::parse(&row.get::<String>(2)?)?,
            id_number: row.get(3)?,
            region_code: row.get(4)?,
            bank_code: row.get(5)?,
            kind: "recovery",
            for_month,
            amount: -amount,
            explanation: format!(
                "追回：{why}（{date}）后已发放的 {paid_month} 待遇 {} 元（原发放记录 {paid_id}）",
                Fen(amount).yuan_string()
            ),
            recovers: Some(paid_id),
            reissues: None,
            payee: Payee {
                name: row.get(10)?,
                account_kind: row.get(11)?,
                account_no: row.get(12)?,
            },
        });
    }
    reissue_lines(tx, district, &upper, &mut lines, &mut out)?;
    // The price subsidy of every month before this one whose index triggered it and that this
    // district has not paid yet: a month's CPI is published after its own cycle is computed, so
    // the subsidy for a month is paid in a later cycle, for that month.
    let index_months = tx.query(
        "SELECT month FROM price_index WHERE month < $1 ORDER BY month",
        params![m],
    )?;
    for row in index_months {
        let index_month = Month::parse(&row.get::<String>(0)?)
            .map_err(|e| BenefitsError::Invalid(e.to_string()))?;
        if crate::prices::paid_in_district(tx, index_month, district)? {
            continue;
        }
        for p in crate::prices::district_lines(tx, params, index_month, district)? {
            out.price_subsidies += 1;
            out.total_fen += p.amount.0;
            lines.push(Line {
                enrolment_id: p.enrolment_id,
                program: Program::PriceSubsidy,
                id_number: p.id_number,
                region_code: p.region_code,
                bank_code: p.bank_code,
                kind: "regular",
                for_month: p.for_month.to_string(),
                amount: p.amount.0,
                explanation: p.explanation,
                recovers: None,
                reissues: None,
                payee: Payee {
                    name: p.name,
                    account_kind: p.account_kind,
                    account_no: p.account_no,
                },
            });
        }
    }
    Ok(Some(Plan {
        district: district.to_owned(),
        lines,
        first_paid,
        ended,
        already: false,
        outcome: out,
    }))
}

/// Writes a planned district: the cycle, its lines, its control totals and the audit row. A cycle
/// written meanwhile by another run makes this one change nothing.
pub fn write_district(
    tx: &mut Tx<'_>,
    who: &Principal,
    month: Month,
    plan: Plan,
) -> Result<DistrictOutcome, BenefitsError> {
    who.require(Action::PayrollCompute)?;
    payable_month(month)?;
    let m = month.to_string();
    let Plan {
        district,
        lines,
        first_paid,
        ended,
        already,
        outcome: out,
    } = plan;
    let district = district.as_str();
    if already
        || tx
            .query_opt(
                "SELECT id FROM payroll_cycle WHERE month = $1 AND district_code = $2",
                params![m, district],
            )?
            .is_some()
    {
        return Ok(DistrictOutcome {
            district: district.to_owned(),
            already: true,
            ..DistrictOutcome::default()
        });
    }
    let now = minzheng_store::format_instant(chrono::Utc::now());
    let cycle_id: i64 = tx
        .query_one(
            "INSERT INTO payroll_cycle (month, district_code, status, line_count, total_fen, computed_by, computed_at)
             VALUES ($1, $2, 'computed', 0, 0, $3, $4) RETURNING id",
            params![m, district, who.username, now],
        )?
        .get(0)?;
    // Control totals per program and bank: a few dozen pairs, found without allocating.
    let mut totals: Vec<(Program, String, i64, i64)> = Vec::new();
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(BATCH);
    for line in lines {
        match totals
            .iter_mut()
            .find(|t| t.0 == line.program && t.1 == line.bank_code)
        {
            Some(t) => {
                t.2 += 1;
                t.3 += line.amount;
            }
            None => totals.push((line.program, line.bank_code.clone(), 1, line.amount)),
        }
        batch.push(vec![
            Value::Int(cycle_id),
            Value::Int(line.enrolment_id),
            Value::Text(line.program.code().into()),
            Value::Text(line.id_number),
            Value::Text(line.region_code),
            Value::Text(line.bank_code),
            Value::Text(line.kind.into()),
            Value::Text(line.for_month),
            Value::Int(line.amount),
            Value::Text(line.explanation),
            line.recovers.map(Value::Int).unwrap_or(Value::Null),
            line.reissues.map(Value::Int).unwrap_or(Value::Null),
            Value::Text(line.payee.name),
            Value::Text(line.payee.account_kind),
            Value::Text(line.payee.account_no),
        ]);
        if batch.len() >= BATCH {
            tx.bulk_insert("payment", PAYMENT_COLUMNS, &mut batch.drain(..))?;
        }
    }
    tx.bulk_insert("payment", PAYMENT_COLUMNS, &mut batch.drain(..))?;
    // The enrolments paid for the first time now have their arrears behind them (by id: one that
    // arrived after the read is left for the next cycle, with its arrears).
    for id in &first_paid {
        tx.execute(
            "UPDATE enrolment SET first_paid_month = $2 WHERE id = $1 AND first_paid_month IS NULL",
            params![*id, m],
        )?;
    }
    for (id, last) in &ended {
        let changed = tx.execute(
            "UPDATE enrolment SET status = 'stopped', updated_at = $2 WHERE id = $1 AND status = 'active'",
            params![*id, now],
        )?;
        if changed == 1 {
            tx.execute(
                "INSERT INTO enrolment_event (enrolment_id, at, actor, from_status, to_status, effective_month, reason)
                 VALUES ($1, $2, $3, 'active', 'stopped', $4, $5)",
                params![*id, now, who.username, last.to_string(), format!("期满：末月 {last} 已发放")],
            )?;
        }
    }
    let lines = out.lines() as i64;
    for (program, bank, count, total) in &totals {
        tx.execute(
            "INSERT INTO payroll_total (cycle_id, program, bank_code, line_count, total_fen) VALUES ($1, $2, $3, $4, $5)",
            params![cycle_id, program.code(), bank, *count, *total],
        )?;
    }
    tx.execute(
        "UPDATE payroll_cycle SET line_count = $2, total_fen = $3 WHERE id = $1",
        params![cycle_id, lines, out.total_fen],
    )?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "payroll.compute",
            record_type: "payroll_cycle",
            record_id: cycle_id.to_string(),
            subject_key: None,
            before: None,
            after: Some(serde_json::json!({
                "month": m, "district": district, "lines": lines, "total_fen": out.total_fen,
            })),
            detail: serde_json::json!({
                "regular": out.regular, "arrears": out.arrears, "recoveries": out.recoveries,
                "reissues": out.reissues, "price_subsidies": out.price_subsidies,
                "enrolments_ended": ended.len(),
                "not_payable": out.not_payable,
            }),
        },
    )?;
    Ok(out)
}

/// A cycle as lists and checks show it, to one principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// Its id.
    pub id: i64,
    /// The month.
    pub month: String,
    /// The district.
    pub district_code: String,
    /// `computed`, `approved` or `authorized`.
    pub status: String,
    /// The lines: the cycle's control count when the principal holds the whole district
    /// ([`Cycle::whole`]), otherwise the lines inside the principal's scope.
    pub line_count: i64,
    /// Their amount, the same way: the control total, or the sum inside the scope.
    pub total_fen: i64,
    /// Whether the principal's scope holds the whole district. Only then are the control totals
    /// theirs to see, and the steps on the cycle (approve, authorize, bank files, returns,
    /// close) theirs to take; a street or community sees the lines of its own place only.
    pub whole: bool,
}

const CYCLE_COLUMNS: &str = "id, month, district_code, status, line_count, total_fen";

/// A cycle as read, with its control figures, before it is shown to anyone.
fn cycle_of(r: &minzheng_store::Row) -> Result<Cycle, BenefitsError> {
    Ok(Cycle {
        id: r.get(0)?,
        month: r.get(1)?,
        district_code: r.get(2)?,
        status: r.get(3)?,
        line_count: r.get(4)?,
        total_fen: r.get(5)?,
        whole: true,
    })
}

/// Whether the principal's region scope reaches the district (a city or district scope holds
/// it; a street or community scope inside it reaches it too, for reading its own lines).
fn reaches(who: &Principal, district: &str) -> bool {
    holds(who, district)
        || who
            .scope()
            .as_prefixes()
            .iter()
            .any(|p| p.starts_with(district))
}

/// Whether the principal's scope holds the whole district.
fn holds(who: &Principal, district: &str) -> bool {
    who.scope().contains(&format!("{district}000000"))
}

/// The SQL condition on the payment lines' `region_code` that a principal sees of a cycle (all of
/// them when it holds the district), with its values numbered from `$first`: every list, count,
/// total and export of a cycle's lines takes it.
pub fn line_scope(who: &Principal, cycle: &Cycle, first: usize) -> (String, Vec<String>) {
    if cycle.whole {
        ("1 = 1".into(), Vec::new())
    } else {
        who.scope().sql("region_code", first)
    }
}

/// The cycle as `who` sees it: whole, or with the count and total of the lines in their scope.
fn seen_by(tx: &mut Tx<'_>, who: &Principal, mut c: Cycle) -> Result<Cycle, BenefitsError> {
    if holds(who, &c.district_code) {
        return Ok(c);
    }
    c.whole = false;
    let (cond, values) = line_scope(who, &c, 2);
    let mut ps: Vec<&dyn ToValue> = vec![&c.id];
    ps.extend(values.iter().map(|v| v as &dyn ToValue));
    let r = tx.query_one(
        &format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payment WHERE cycle_id = $1 AND {cond}"
        ),
        &ps,
    )?;
    c.line_count = r.get(0)?;
    c.total_fen = r.get(1)?;
    Ok(c)
}

/// The cycles of a month within the principal's scope, each as they see it ([`Cycle::whole`]).
pub fn cycles(tx: &mut Tx<'_>, who: &Principal, month: Month) -> Result<Vec<Cycle>, BenefitsError> {
    who.require(Action::BenefitsRead)?;
    let rows = tx.query(
        &format!(
            "SELECT {CYCLE_COLUMNS} FROM payroll_cycle WHERE month = $1 ORDER BY district_code"
        ),
        params![month.to_string()],
    )?;
    let mut out = Vec::new();
    for r in &rows {
        let c = cycle_of(r)?;
        if reaches(who, &c.district_code) {
            out.push(seen_by(tx, who, c)?);
        }
    }
    Ok(out)
}

/// Checks a cycle's lines against its control totals, per program and bank and overall; returns the
/// first disagreement in Chinese.
pub fn check_totals(tx: &mut Tx<'_>, cycle: &Cycle) -> Result<(), BenefitsError> {
    let rows = tx.query(
        "SELECT program, bank_code, COUNT(*), CAST(SUM(amount_fen) AS BIGINT) FROM payment WHERE cycle_id = $1 GROUP BY program, bank_code",
        params![cycle.id],
    )?;
    let mut actual: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for r in rows {
        actual.insert((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?));
    }
    let recorded_rows = tx.query(
        "SELECT program, bank_code, line_count, total_fen FROM payroll_total WHERE cycle_id = $1",
        params![cycle.id],
    )?;
    let mut recorded: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for r in recorded_rows {
        recorded.insert((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?));
    }
    if actual != recorded {
        let key = actual
            .iter()
            .find(|(k, v)| recorded.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .or_else(|| recorded.keys().find(|k| !actual.contains_key(*k)).cloned())
            .unwrap_or_default();
        return Err(BenefitsError::Conflict(format!(
            "控制数不符：{} 月 {} 的发放明细与控制数在项目 {}、银行 {} 上不一致，请勿继续，已记录",
            cycle.month, cycle.district_code, key.0, key.1
        )));
    }
    let (count, total) = actual
        .values()
        .fold((0, 0), |(c, t), (c2, t2)| (c + c2, t + t2));
    if count != cycle.line_count || total != cycle.total_fen {
        return Err(BenefitsError::Conflict(format!(
            "控制数不符：{} 月 {} 共 {count} 笔 {} 元，与名册记录的 {} 笔 {} 元不一致",
            cycle.month,
            cycle.district_code,
            Fen(total).yuan_string(),
            cycle.line_count,
            Fen(cycle.total_fen).yuan_string()
        )));
    }
    Ok(())
}

/// A cycle by id as the principal sees it ([`Cycle::whole`]), refused as unknown outside the
/// principal's scope (so a cycle of another district cannot be told apart from one that does not
/// exist).
pub fn load_cycle(tx: &mut Tx<'_>, who: &Principal, cycle_id: i64) -> Result<Cycle, BenefitsError> {
    let unknown = || BenefitsError::Invalid(format!("没有编号为 {cycle_id} 的发放名册"));
    let r = tx
        .query_opt(
            &format!("SELECT {CYCLE_COLUMNS} FROM payroll_cycle WHERE id = $1"),
            params![cycle_id],
        )?
        .ok_or_else(unknown)?;
    let c = cycle_of(&r)?;
    if !reaches(who, &c.district_code) {
        return Err(unknown());
    }
    seen_by(tx, who, c)
}

/// A cycle by id for a step on the whole of it (approve, authorize, release, a bank file, a
/// return, close): refused to a principal who sees only part of the district, whatever the
/// permission table grants, since the step and the bank files cover every line.
pub fn load_whole_cycle(
    tx: &mut Tx<'_>,
    who: &Principal,
    cycle_id: i64,
) -> Result<Cycle, BenefitsError> {
    let c = load_cycle(tx, who, cycle_id)?;
    if !c.whole {
        return Err(AccessError::Forbidden(format!(
            "办理 {} 整个区县的发放名册（您的管辖范围只含其中一部分）",
            c.district_code
        ))
        .into());
    }
    Ok(c)
}

/// Moves a cycle one stage on (`approved` after `computed`, `authorized` after `approved`,
/// `closed` after `reconciled`), after checking its control totals again. Releasing and
/// reconciling happen with the bank files (`bank::release`, `bank::import_return`).
pub fn advance(
    tx: &mut Tx<'_>,
    who: &Principal,
    cycle_id: i64,
    to: &str,
) -> Result<Cycle, BenefitsError> {
    let (from, action, by, at) = match to {
        "approved" => (
            "computed",
            Action::PayrollApprove,
            "approved_by",
            "approved_at",
        ),
        "authorized" => (
            "approved",
            Action::PayrollAuthorize,
            "authorized_by",
            "authorized_at",
        ),
        "closed" => (
            "reconciled",
            Action::PayrollRelease,
            "closed_by",
            "closed_at",
        ),
        other => {
            return Err(BenefitsError::Invalid(format!(
                "发放名册没有“{other}”这一步"
            )));
        }
    };
    who.require(action)?;
    let cycle = load_whole_cycle(tx, who, cycle_id)?;
    if cycle.status != from {
        return Err(BenefitsError::Conflict(format!(
            "{} 月 {} 的发放名册当前为“{}”，这一步须在“{}”之后",
            cycle.month,
            cycle.district_code,
            stage_name(&cycle.status),
            stage_name(from)
        )));
    }
    check_totals(tx, &cycle)?;
    let now = minzheng_store::format_instant(chrono::Utc::now());
    tx.execute(
        &format!(
            "UPDATE payroll_cycle SET status = $2, {by} = $3, {at} = $4 WHERE id = $1 AND status = $5"
        ),
        params![cycle_id, to, who.username, now, from],
    )?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: match to {
                "approved" => "payroll.approve",
                "authorized" => "payroll.authorize",
                _ => "payroll.close",
            },
            record_type: "payroll_cycle",
            record_id: cycle_id.to_string(),
            subject_key: None,
            before: Some(serde_json::json!({ "status": from })),
            after: Some(serde_json::json!({ "status": to })),
            detail: serde_json::json!({ "lines": cycle.line_count, "total_fen": cycle.total_fen }),
        },
    )?;
    Ok(Cycle {
        status: to.to_owned(),
        ..cycle
    })
}

/// The Chinese name of a stage.
pub fn stage_name(code: &str) -> &'static str {
    STAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
        .unwrap_or("未知")
}

/// Reissue lines: payments the bank returned as failed, to be paid again (at once for a failure
/// the bank may retry, after the account is corrected for one on the worklist), to the account of
/// today: the enrolment's, or for a price subsidy paid to an imported recipient (a negative
/// `enrolment_id`), the recipient row's. A payment for a month after a recorded death or move-out is not
/// reissued.
fn reissue_lines(
    tx: &mut Tx<'_>,
    district: &str,
    upper: &str,
    lines: &mut Vec<Line>,
    out: &mut DistrictOutcome,
) -> Result<(), BenefitsError> {
    let rows = tx.query(
        "SELECT p.id, p.enrolment_id, p.program, p.id_number, p.region_code, p.for_month, p.amount_fen,
                COALESCE(e.bank_code, r.bank_code, p.bank_code), COALESCE(e.name, r.name, p.payee_name),
                COALESCE(e.account_kind, r.account_kind, p.account_kind),
                COALESCE(e.account_no, r.account_no, p.account_no), f.reason
         FROM payment_result f
         JOIN payment p ON p.id = f.payment_id
         LEFT JOIN enrolment e ON e.id = p.enrolment_id
         LEFT JOIN price_subsidy_recipient r ON r.id = -p.enrolment_id
         WHERE f.outcome = 'failed'
           AND (f.follow_up = 'next_cycle' OR f.resolved_at IS NOT NULL)
           AND p.region_code >= $1 AND p.region_code < $2
           AND NOT EXISTS (SELECT 1 FROM payment r WHERE r.reissues_payment_id = p.id AND r.kind = 'reissue')
           AND NOT EXISTS (SELECT 1 FROM beneficiary_stop s WHERE s.id_number = p.id_number
                           AND substr(s.effective_date, 1, 7) < p.for_month)
         ORDER BY p.id",
        params![district, upper],
    )?;
    for row in rows {
        let failed_id: i64 = row.get(0)?;
        let amount: i64 = row.get(6)?;
        let for_month: String = row.get(5)?;
        let reason: String = row.get(11)?;
        out.reissues += 1;
        out.total_fen += amount;
        lines.push(Line {
            enrolment_id: row.get(1)?,
            program: Program::parse(&row.get::<String>(2)?)?,
            id_number: row.get(3)?,
            region_code: row.get(4)?,
            bank_code: row.get(7)?,
            kind: "reissue",
            for_month: for_month.clone(),
            amount,
            explanation: format!(
                "重发：{for_month} 待遇 {} 元银行未能入账（{reason}，原发放记录 {failed_id}）",
                Fen(amount).yuan_string()
            ),
            recovers: None,
            reissues: Some(failed_id),
            payee: Payee {
                name: row.get(8)?,
                account_kind: row.get(9)?,
                account_no: row.get(10)?,
            },
        });
    }
    Ok(())
}
