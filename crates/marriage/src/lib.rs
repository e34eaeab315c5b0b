//! Marriage registration: the 41 offices, time slots with quotas, bookings without overbooking, the registrar's desk and the divorce cooling-off.

use axum::Router;
use minzheng_ui::AppState;

/// What this area's services refuse, in Chinese for the user; the cause of a store failure goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum MarriageError {
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
    ) -> Result<String, super::MarriageError> {
        Ok(String::new())
    }
}
