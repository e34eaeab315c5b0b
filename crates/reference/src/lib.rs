//! Reference data kept in the database so that administrators can change it and every instance
//! sees the change: dated policy parameters and the holiday notices of years past the calendar
//! that ships with the binary.

pub mod calendar;
pub mod parameters;
pub mod regions;

/// The one error type of this crate; `Display` is what the user reads.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// Input that must be corrected.
    #[error("{0}")]
    Invalid(String),
    /// Not allowed.
    #[error("{0}")]
    Access(#[from] minzheng_access::AccessError),
    /// Something broke.
    #[error("系统内部错误")]
    Internal(String),
}

impl From<minzheng_store::StoreError> for ReferenceError {
    fn from(e: minzheng_store::StoreError) -> Self {
        ReferenceError::Internal(e.to_string())
    }
}

impl From<minzheng_kernel::params::ParamError> for ReferenceError {
    fn from(e: minzheng_kernel::params::ParamError) -> Self {
        ReferenceError::Invalid(e.to_string())
    }
}
