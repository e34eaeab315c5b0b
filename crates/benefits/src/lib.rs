//! Benefits (待遇发放): the programs paid every month, their dated standards, the enrolment of
//! beneficiaries, and the monthly payroll. Computing a month freezes a snapshot of every entitlement
//! as payment lines that explain their amounts; the database allows one regular-or-arrears payment
//! per beneficiary, program and month, so retries, crashes and concurrent runs cannot pay twice.

pub mod bank;
pub mod decisions;
pub mod demo;
pub mod enrolments;
pub mod export;
pub mod pages;
pub mod payroll;
pub mod prices;
pub mod programs;
pub mod review;
pub mod whatif;

use axum::Router;
use minzheng_access::AccessError;
use minzheng_ui::{AppState, WebError};

/// What the benefits services refuse, in Chinese for the user; a store failure's cause goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum BenefitsError {
    /// The input is wrong; the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    /// The step is not allowed in the record's current state.
    #[error("{0}")]
    Conflict(String),
    /// Not allowed, or outside the user's scope.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] minzheng_store::StoreError),
    /// A policy parameter is missing or malformed for the date concerned.
    #[error("政策参数有误：{0}")]
    Parameter(String),
    /// A file was refused as a whole: the problems, each with its line number.
    #[error("{}", lines_message(.0))]
    Lines(Vec<LineProblem>),
}

/// One refused line of an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong, in Chinese.
    pub reason: String,
}

/// Problems listed in a message (the first fifty; the count says how many in all).
fn lines_message(problems: &[LineProblem]) -> String {
    let shown: Vec<String> = problems
        .iter()
        .take(50)
        .map(|p| format!("第 {} 行：{}", p.line, p.reason))
        .collect();
    let more = if problems.len() > 50 { "；……" } else { "" };
    format!(
        "文件有 {} 处问题，未导入任何内容：{}{more}",
        problems.len(),
        shown.join("；")
    )
}

impl From<minzheng_reference::ReferenceError> for BenefitsError {
    fn from(e: minzheng_reference::ReferenceError) -> Self {
        BenefitsError::Parameter(e.to_string())
    }
}

impl From<BenefitsError> for WebError {
    fn from(e: BenefitsError) -> Self {
        match e {
            BenefitsError::Store(s) => WebError::Internal(s.to_string()),
            BenefitsError::Access(a) => a.into(),
            BenefitsError::Invalid(m) | BenefitsError::Conflict(m) => WebError::BadRequest(m),
            BenefitsError::Parameter(m) => WebError::BadRequest(format!("政策参数有误：{m}")),
            e @ BenefitsError::Lines(_) => WebError::BadRequest(e.to_string()),
        }
    }
}

/// The pages of this area, mounted by the web crate.
pub fn routes() -> Router<AppState> {
    pages::routes()
}
