//! Benefits (待遇发放): the programs paid every month, their dated standards, the enrolment of
//! beneficiaries, and the monthly payroll. Computing a month freezes a snapshot of every entitlement
//! as payment lines that explain their amounts; the database allows one regular-or-arrears payment
//! per beneficiary, program and month, so retries, crashes and concurrent runs cannot pay twice.

pub mod enrolments;
pub mod payroll;
pub mod programs;

use minzheng_access::AccessError;

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
}

impl From<minzheng_reference::ReferenceError> for BenefitsError {
    fn from(e: minzheng_reference::ReferenceError) -> Self {
        BenefitsError::Parameter(e.to_string())
    }
}
