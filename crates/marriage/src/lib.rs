//! Marriage registration: the 41 offices, time slots with quotas, bookings without overbooking, the registrar's desk and the divorce cooling-off.
//!
//! Zero overbooking is held by the database, never by this process: a place is taken only by the
//! conditional update `booked = booked + 1 WHERE booked < quota` (and `CHECK (booked <= quota)`),
//! one active appointment per person by a partial unique index, a retried request by the unique
//! idempotency key. The booking writer ([`writer`]) only groups many bookings into one
//! transaction for speed.

use axum::Router;
use minzheng_ui::{AppState, WebError};

pub mod api;
pub mod desk;
pub mod offices;
pub mod pages;
pub mod rules;
pub mod services;
pub mod stats;
pub mod writer;

/// What this area's services refuse, in Chinese for the user; the cause of a store failure goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum MarriageError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] minzheng_store::StoreError),
    /// The input or the rules refuse; the message says why, and nothing was written.
    #[error("{0}")]
    Invalid(String),
    /// The record does not exist, or is outside the user's scope or office.
    #[error("记录不存在")]
    NotFound,
    /// Not allowed.
    #[error(transparent)]
    Access(#[from] minzheng_access::AccessError),
    /// A concurrent request took the same key first; retrying gives the settled answer.
    #[error("请求冲突，请重试")]
    Conflict,
    /// Anything else (a stored value that no longer parses).
    #[error("{0}")]
    Internal(String),
}

impl From<rules::Refusal> for MarriageError {
    fn from(r: rules::Refusal) -> Self {
        MarriageError::Invalid(r.0)
    }
}

impl From<minzheng_reference::ReferenceError> for MarriageError {
    fn from(e: minzheng_reference::ReferenceError) -> Self {
        match e {
            minzheng_reference::ReferenceError::Invalid(m) => MarriageError::Invalid(m),
            minzheng_reference::ReferenceError::Access(a) => MarriageError::Access(a),
            minzheng_reference::ReferenceError::Internal(c) => MarriageError::Internal(c),
        }
    }
}

impl From<MarriageError> for WebError {
    fn from(e: MarriageError) -> Self {
        match e {
            MarriageError::Store(s) => WebError::Internal(s.to_string()),
            MarriageError::Invalid(m) => WebError::BadRequest(m),
            MarriageError::NotFound => WebError::NotFound,
            MarriageError::Access(a) => a.into(),
            MarriageError::Conflict => WebError::BadRequest("请求冲突，请重试".into()),
            MarriageError::Internal(c) => WebError::Internal(c),
        }
    }
}

impl From<MarriageError> for minzheng_ui::ApiError {
    fn from(e: MarriageError) -> Self {
        minzheng_ui::ApiError(e.into())
    }
}

/// The pages and API of this area, mounted by the web crate.
pub fn routes() -> Router<AppState> {
    pages::routes().merge(api::routes())
}

/// The OpenAPI paths of this area, merged into the platform's document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::ApiDoc::openapi()
}

/// This area's part of the demo data set.
pub mod demo {
    use minzheng_store::Tx;

    /// Adds this area's demo records inside the demo transaction; returns one line for the report.
    pub fn seed(tx: &mut Tx<'_>, today: chrono::NaiveDate) -> Result<String, super::MarriageError> {
        let offices = super::offices::seed_offices(tx)?;
        let slots = super::offices::seed_slots(tx, today)?;
        let booked = super::services::seed_bookings(tx, today)?;
        Ok(format!(
            "婚姻登记：{offices} 个登记处，{slots} 个预约时段，{booked} 个演示预约"
        ))
    }
}
