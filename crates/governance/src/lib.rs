//! Grassroots governance: residents' requests through the seven steps, triage, councils and votes, the four duty lists and each community's public board.

use axum::Router;
use minzheng_ui::AppState;

/// What this area's services refuse, in Chinese for the user; the cause of a store failure goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] minzheng_store::StoreError),
}

/// The pages and API of this area, mounted by the web crate.
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// The OpenAPI paths of this area, merged into the platform's document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    utoipa::openapi::OpenApi::default()
}

/// This area's part of the demo data set.
pub mod demo {
    use minzheng_store::Tx;

    /// Adds this area's demo records inside the demo transaction; returns one line for the report.
    pub fn seed(
        _tx: &mut Tx<'_>,
        _today: chrono::NaiveDate,
    ) -> Result<String, super::GovernanceError> {
        Ok(String::new())
    }
}
