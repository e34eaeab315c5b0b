//! Social assistance: households and their means, one-door intake and referral, and the dibao / tekun / temporary-assistance procedure from application to decision.
//!
//! - [`amounts`]: the one pure amount function the benefits area also calls.
//! - [`rules`]: the state machine (states, transition table), lists and clock rule sets.
//! - [`households`]: households, members, incomes, assets, duplicates, the relatives register.
//! - [`cases`]: applications and every transition, clocks, notices, objections, appraisal votes.
//! - [`referrals`]: one-door referrals to other departments.
//! - [`queries`]: worklists, the case view, the citizen's status, the public notice list.

use axum::Router;
use minzheng_ui::AppState;

pub mod amounts;
pub mod api;
pub mod cases;
pub mod households;
mod pages;
pub mod queries;
pub mod referrals;
pub mod rules;

/// What this area's services refuse, in Chinese for the user; the cause of a store failure goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum AssistanceError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] minzheng_store::StoreError),
    /// Not allowed (permission table).
    #[error(transparent)]
    Access(#[from] minzheng_access::AccessError),
    /// The input must be corrected; the message says how.
    #[error("{0}")]
    Invalid(String),
    /// Not found, or outside the user's scope.
    #[error("记录不存在或不在您的辖区内")]
    NotFound,
    /// Something inside broke (a parameter or calendar failure).
    #[error("系统内部错误：{0}")]
    Internal(String),
}

impl From<minzheng_reference::ReferenceError> for AssistanceError {
    fn from(e: minzheng_reference::ReferenceError) -> Self {
        match e {
            minzheng_reference::ReferenceError::Invalid(m) => AssistanceError::Invalid(m),
            minzheng_reference::ReferenceError::Access(a) => AssistanceError::Access(a),
            minzheng_reference::ReferenceError::Internal(m) => AssistanceError::Internal(m),
        }
    }
}

impl From<amounts::AmountError> for AssistanceError {
    fn from(e: amounts::AmountError) -> Self {
        AssistanceError::Invalid(e.to_string())
    }
}

impl From<AssistanceError> for minzheng_ui::WebError {
    fn from(e: AssistanceError) -> Self {
        use minzheng_ui::WebError;
        match e {
            AssistanceError::Store(s) => WebError::Internal(s.to_string()),
            AssistanceError::Access(a) => a.into(),
            AssistanceError::Invalid(m) => WebError::BadRequest(m),
            AssistanceError::NotFound => WebError::NotFound,
            AssistanceError::Internal(m) => WebError::Internal(m),
        }
    }
}

impl From<AssistanceError> for minzheng_ui::ApiError {
    fn from(e: AssistanceError) -> Self {
        minzheng_ui::ApiError(e.into())
    }
}

/// The pages and API of this area, mounted by the web crate.
pub fn routes() -> Router<AppState> {
    pages::routes().merge(api::routes())
}

/// The OpenAPI paths of this area, merged into the platform's document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::openapi()
}

pub(crate) fn now_text() -> String {
    minzheng_store::format_instant(chrono::Utc::now())
}

/// This area's part of the demo data set.
pub mod demo;

/// The parameter set in force, parsed once per version of the table and shared across requests
/// (`minzheng_reference::parameters::current`).
pub fn param_set(
    tx: &mut minzheng_store::Tx<'_>,
) -> Result<std::sync::Arc<minzheng_kernel::params::ParamSet>, AssistanceError> {
    Ok(minzheng_reference::parameters::current(tx)?)
}
