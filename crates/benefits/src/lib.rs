//! Benefits (待遇发放): the programs paid every month, their dated standards, the enrolment of
//! beneficiaries, and the monthly payroll. Computing a month freezes a snapshot of every entitlement
//! as payment lines that explain their amounts; the database allows one regular-or-arrears payment
//! per beneficiary, program and month, so retries, crashes and concurrent runs cannot pay twice.

pub mod bank;
pub mod decisions;
pub mod demo;
pub mod enrolments;
pub mod export;
pub mod fields;
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
    /// The line number, from 1 (0: the file as a whole).
    pub line: usize,
    /// The field at fault, as a form labels it; empty when it is the line as a whole.
    pub field: &'static str,
    /// What is wrong, in Chinese.
    pub reason: String,
}

impl LineProblem {
    /// A problem of the line as a whole (its columns, a duplicate, the scope).
    pub fn line(line: usize, reason: impl Into<String>) -> LineProblem {
        LineProblem {
            line,
            field: "",
            reason: reason.into(),
        }
    }

    /// A problem of one field of the line.
    pub fn field(line: usize, e: fields::FieldError) -> LineProblem {
        LineProblem {
            line,
            field: e.field,
            reason: e.reason,
        }
    }
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.field) {
            (0, "") => write!(f, "{}", self.reason),
            (0, field) => write!(f, "{field}：{}", self.reason),
            (line, "") => write!(f, "第 {line} 行：{}", self.reason),
            (line, field) => write!(f, "第 {line} 行，{field}：{}", self.reason),
        }
    }
}

/// Problems listed in a message (the first fifty; the count says how many in all).
fn lines_message(problems: &[LineProblem]) -> String {
    let shown: Vec<String> = problems.iter().take(50).map(|p| p.to_string()).collect();
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
