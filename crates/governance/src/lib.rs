//! Grassroots governance: residents' requests through the seven steps, triage, councils and votes, the four duty lists and each community's public board.
//!
//! - [`rules`]: the request state machine, quorum and majority, the duty-list check, exact rates (pure);
//! - [`requests`]: the seven steps (收单 筛单 定单 议单 晒单 落单 修单) with events and referrals;
//! - [`councils`]: 一约三会 — the pact's dated versions, councils, meetings, votes, resolutions;
//! - [`duty`]: 四张清单, tasks pushed to communities and the burden indicator;
//! - [`indicators`]: indicators per community, street and district, and the public board;
//! - [`tally`]: the indicators' running totals, kept with every change of a request;
//! - `pages`, `api`: the HTML pages and the JSON API.

pub mod councils;
pub mod duty;
pub mod indicators;
pub mod requests;
pub mod rules;
pub mod tally;

mod api;
mod pages;

use axum::Router;
use minzheng_ui::{AppState, WebError};

/// What this area's services refuse, in Chinese for the user; the cause of a store failure goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] minzheng_store::StoreError),
    /// Not allowed by the permission table (or out of scope).
    #[error(transparent)]
    Access(#[from] minzheng_access::AccessError),
    /// Not allowed for this user in particular (e.g. rating someone else's request).
    #[error("{0}")]
    Forbidden(String),
    /// Input or step that must be corrected; nothing was written.
    #[error("{0}")]
    Invalid(String),
    /// The record does not exist for this user.
    #[error("记录不存在")]
    NotFound,
    /// Someone else changed the record first.
    #[error("{0}")]
    Conflict(String),
    /// Something broke.
    #[error("系统内部错误")]
    Internal(String),
}

impl From<minzheng_reference::ReferenceError> for GovernanceError {
    fn from(e: minzheng_reference::ReferenceError) -> Self {
        match e {
            minzheng_reference::ReferenceError::Invalid(m) => GovernanceError::Invalid(m),
            minzheng_reference::ReferenceError::Access(a) => GovernanceError::Access(a),
            minzheng_reference::ReferenceError::Internal(m) => GovernanceError::Internal(m),
        }
    }
}

impl From<GovernanceError> for WebError {
    fn from(e: GovernanceError) -> Self {
        match e {
            GovernanceError::Store(s) => WebError::Internal(s.to_string()),
            GovernanceError::Access(a) => a.into(),
            GovernanceError::Forbidden(m) => WebError::Forbidden(m),
            GovernanceError::Invalid(m) | GovernanceError::Conflict(m) => WebError::BadRequest(m),
            GovernanceError::NotFound => WebError::NotFound,
            GovernanceError::Internal(m) => WebError::Internal(m),
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
