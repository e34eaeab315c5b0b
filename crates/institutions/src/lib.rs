//! Care institutions and community facilities: the registry, closed management with the five suspensions, the gate ledger, health and incident reports, inspections and enforcement.
//!
//! Services are plain functions over a transaction (`fn x(tx, who, input) -> Result<_, InstitutionsError>`):
//! each checks the action first, reads and writes only inside the caller's region scope (and, for
//! institution staff, only their own institution: `Principal::unit_id`), and audits every change in
//! the same transaction. A refusal returns `Err`, so nothing of the request is written.

use axum::Router;
use minzheng_ui::{AppState, WebError};

pub mod api;
mod common;
pub mod enforcement;
pub mod epidemic;
mod forms;
pub mod gate;
pub mod inspections;
pub mod pages;
pub mod people;
pub mod policy;
pub mod registry;
pub mod reports;
pub mod rules;

pub use common::{InstitutionRef, institution_for};

/// What this area's services refuse, in Chinese for the user; the cause of a store failure goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum InstitutionsError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] minzheng_store::StoreError),
    /// Not allowed, or not signed in.
    #[error(transparent)]
    Access(#[from] minzheng_access::AccessError),
    /// Input that must be corrected, or an act the rules refuse; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// The record does not exist for this user (outside the scope or the own institution).
    #[error("记录不存在")]
    NotFound,
    /// Something else broke; the user sees a generic message.
    #[error("系统内部错误")]
    Internal(String),
}

impl From<minzheng_reference::ReferenceError> for InstitutionsError {
    fn from(e: minzheng_reference::ReferenceError) -> Self {
        match e {
            minzheng_reference::ReferenceError::Invalid(m) => InstitutionsError::Invalid(m),
            minzheng_reference::ReferenceError::Access(a) => InstitutionsError::Access(a),
            minzheng_reference::ReferenceError::Internal(c) => InstitutionsError::Internal(c),
        }
    }
}

impl From<minzheng_kernel::params::ParamError> for InstitutionsError {
    fn from(e: minzheng_kernel::params::ParamError) -> Self {
        InstitutionsError::Internal(e.to_string())
    }
}

impl From<InstitutionsError> for WebError {
    fn from(e: InstitutionsError) -> Self {
        match e {
            InstitutionsError::Store(s) => WebError::Internal(s.to_string()),
            InstitutionsError::Access(a) => a.into(),
            InstitutionsError::Invalid(m) => WebError::BadRequest(m),
            InstitutionsError::NotFound => WebError::NotFound,
            InstitutionsError::Internal(c) => WebError::Internal(c),
        }
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

pub mod demo;
