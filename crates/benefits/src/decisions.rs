//! Enrolments from the assistance area's decisions: an approved dibao, tekun or temporary
//! assistance application becomes the enrolment the payroll pays, with the facts the decision's
//! amount was computed from (members counted, countable income, supplements, care tier) and its
//! first month (the approval month or the month after: `dibao.payment.start_month_offset`, applied
//! by the decision). Both sides compute through the same rules: the decision with
//! `assistance::amounts::calculate`, the payroll with `programs::monthly_amount` over the frozen
//! facts, and a test holds them equal.

use crate::BenefitsError;
use crate::enrolments::{self, NewEnrolment};
use crate::programs::{CareTier, Program};
use minzheng_access::{Action, Principal};
use minzheng_assistance::cases;
use minzheng_assistance::rules::{Program as CaseProgram, State};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::region::RegionCode;
use minzheng_store::{Tx, params};

/// Where the benefit is paid, as the applicant gives it when the decision is enrolled.
#[derive(Debug, Clone)]
pub struct Payout {
    /// The paying bank's code.
    pub bank_code: String,
    /// `ssc` (社保卡) or `bank`.
    pub account_kind: String,
    /// The card or account number.
    pub account_no: String,
    /// Tekun: cared for in an institution (集中供养) rather than at home.
    pub institutional: bool,
}

/// What enrolling a decision did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromDecision {
    /// The enrolment.
    pub enrolment_id: i64,
    /// Whether the decision had been enrolled before (then nothing changed).
    pub already: bool,
}

fn assistance(e: minzheng_assistance::AssistanceError) -> BenefitsError {
    BenefitsError::Invalid(e.to_string())
}

/// Enrols an approved application: once (a retry returns the same enrolment). Refused when the
/// application is not approved, or when the household's facts have changed since the decision
/// so that they no longer give the amount decided (a review must decide the new amount).
pub fn enrol_from_decision(
    tx: &mut Tx<'_>,
    who: &Principal,
    application_id: i64,
    payout: &Payout,
) -> Result<FromDecision, BenefitsError> {
    who.require(Action::EnrolmentManage)?;
    if let Some(r) = tx.query_opt(
        "SELECT id FROM enrolment WHERE application_id = $1",
        params![application_id],
    )? {
        return Ok(FromDecision {
            enrolment_id: r.get(0)?,
            already: true,
        });
    }
    let case = cases::load(tx, who, application_id).map_err(assistance)?;
    if case.state != State::Approved {
        return Err(BenefitsError::Conflict(format!(
            "申请 {application_id} 尚未批准，不能登记发放"
        )));
    }
    let row = tx.query_one(
        "SELECT a.amount_fen, a.first_month, a.decided_on, p.id_number, p.name, h.area_type
         FROM assistance_application a
         JOIN person p ON p.id = a.applicant_person_id
         JOIN household h ON h.id = a.household_id
         WHERE a.id = $1",
        params![application_id],
    )?;
    let decided_amount = Fen(row.get::<Option<i64>>(0)?.unwrap_or(0));
    let first_month: Option<String> = row.get(1)?;
    let decided_on: Option<String> = row.get(2)?;
    let (Some(first_month), Some(decided_on)) = (first_month, decided_on) else {
        return Err(BenefitsError::Conflict(format!(
            "申请 {application_id} 没有核定金额和起始月份"
        )));
    };
    let invalid = |e: String| BenefitsError::Invalid(e);
    let start = Month::parse(&first_month).map_err(|e| invalid(e.to_string()))?;
    let decided = chrono::NaiveDate::parse_from_str(&decided_on, "%Y-%m-%d")
        .map_err(|e| invalid(e.to_string()))?;
    let amount = cases::compute_amount(tx, &case, decided).map_err(assistance)?;
    if amount.total != decided_amount {
        return Err(BenefitsError::Conflict(format!(
            "该户情况在批准后有变化：批准金额 {} 元，按现有资料为 {} 元；请先复核再登记发放",
            decided_amount.yuan_string(),
            amount.total.yuan_string()
        )));
    }
    let area: String = row.get(5)?;
    let (program, members, end_month, fixed) = match case.program {
        CaseProgram::Dibao if area == "rural" => {
            (Program::DibaoRural, amount.members_counted, None, Fen(0))
        }
        CaseProgram::Dibao => (Program::DibaoUrban, amount.members_counted, None, Fen(0)),
        CaseProgram::Tekun if payout.institutional => {
            (Program::TekunInstitutional, 1, None, Fen(0))
        }
        CaseProgram::Tekun => (Program::TekunDispersed, 1, None, Fen(0)),
        CaseProgram::TemporaryAssistance => {
            (Program::TemporaryAssistance, 1, Some(start), amount.total)
        }
    };
    let new = NewEnrolment {
        program,
        id_number: IdNumber::parse_strict(&row.get::<String>(3)?, decided)
            .map_err(|e| invalid(e.to_string()))?,
        name: row.get(4)?,
        household_id: Some(case.household_id),
        region_code: RegionCode::parse(&case.region_code).map_err(|e| invalid(e.to_string()))?,
        members,
        counted_income: amount.counted_income,
        supplement: amount.supplements,
        care_tier: amount.care_tier.map(CareTier::parse).transpose()?,
        bank_code: payout.bank_code.clone(),
        account_kind: payout.account_kind.clone(),
        account_no: payout.account_no.clone(),
        start_month: start,
        end_month,
        reason: format!("社会救助审批决定（申请 {application_id}，{decided_on}）"),
    };
    let id = enrolments::enrol_as(tx, who, &new, "decision")?;
    tx.execute(
        "UPDATE enrolment SET application_id = $2, decided_on = $3, fixed_amount_fen = $4 WHERE id = $1",
        params![id, application_id, decided_on, fixed.0],
    )?;
    Ok(FromDecision {
        enrolment_id: id,
        already: false,
    })
}
