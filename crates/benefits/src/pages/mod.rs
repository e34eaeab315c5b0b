//! The pages of the area: the payroll cycles with their control totals and each step, the
//! enrolments, the periodic reviews, the price indices and subsidy, and the policy what-ifs.

mod payroll;
mod prices;
mod review;
mod whatif;

use crate::BenefitsError;
use axum::Router;
use axum::response::Response;
use minzheng_kernel::month::Month;
use minzheng_ui::AppState;

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(payroll::routes())
        .merge(review::routes())
        .merge(prices::routes())
        .merge(whatif::routes())
}

/// The month it is now in China.
fn this_month() -> Month {
    Month::of(minzheng_kernel::id_number::china_today())
}

/// A month typed in a form or a query (`YYYY-MM`).
fn parse_month(s: &str) -> Result<Month, BenefitsError> {
    crate::whatif::parse_month(s, "月份")
}

/// Redirects back to `path` (which may carry a query already) with a short message.
fn back(path: &str, msg: &str) -> Response {
    minzheng_ui::flash::redirect(path, msg)
}
