//! Checking tools for staff: a page where a column pasted from Excel is checked at once, and the
//! same checks as a JSON API (up to 10,000 values a request).

use crate::auth::{ApiStaff, Auth, Staff};
use crate::error::{ApiError, WebError};
use crate::pages::{Layout, render};
use crate::server::AppState;
use askama::Template;
use axum::extract::Form;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use minzheng_access::Action;
use minzheng_kernel::checks::{self, CheckReport, MAX_BATCH};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The routes of the tools.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tools/check", get(check_page).post(check_submit))
        .route("/api/v1/check/id-numbers", post(api_id_numbers))
        .route("/api/v1/check/credit-codes", post(api_credit_codes))
}

/// A batch of values to check.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckRequest {
    /// The values, as typed (at most 10,000).
    pub values: Vec<String>,
    /// Accept only the canonical form.
    #[serde(default)]
    pub strict: bool,
}

/// The reports, in the order of the values.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResponse {
    /// How many values were checked.
    pub total: usize,
    /// How many are valid.
    pub valid: usize,
    /// One report per value (see `minzheng check` for the fields).
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<CheckReport>,
}

fn batch(values: &[String], f: impl Fn(&str) -> CheckReport) -> Result<CheckResponse, WebError> {
    if values.len() > MAX_BATCH {
        return Err(WebError::BadRequest(format!(
            "一次最多校验 {MAX_BATCH} 个，本次 {} 个",
            values.len()
        )));
    }
    let results: Vec<CheckReport> = values.iter().map(|v| f(v)).collect();
    Ok(CheckResponse {
        total: results.len(),
        valid: results.iter().filter(|r| r.valid).count(),
        results,
    })
}

/// Checks resident ID numbers (GB 11643).
#[utoipa::path(post, path = "/api/v1/check/id-numbers", tag = "tools", request_body = CheckRequest,
    responses((status = 200, description = "每个号码的校验结果", body = CheckResponse),
              (status = 400, description = "超过 10,000 个"), (status = 401, description = "未登录")))]
pub async fn api_id_numbers(
    staff: ApiStaff,
    Json(req): Json<CheckRequest>,
) -> Result<Json<CheckResponse>, ApiError> {
    staff
        .principal
        .require(Action::ToolsUse)
        .map_err(WebError::from)?;
    let today = minzheng_kernel::id_number::china_today();
    Ok(Json(batch(&req.values, |v| {
        checks::check_id_number(v, today, req.strict)
    })?))
}

/// Checks unified social credit codes (GB 32100).
#[utoipa::path(post, path = "/api/v1/check/credit-codes", tag = "tools", request_body = CheckRequest,
    responses((status = 200, description = "每个代码的校验结果", body = CheckResponse),
              (status = 400, description = "超过 10,000 个"), (status = 401, description = "未登录")))]
pub async fn api_credit_codes(
    staff: ApiStaff,
    Json(req): Json<CheckRequest>,
) -> Result<Json<CheckResponse>, ApiError> {
    staff
        .principal
        .require(Action::ToolsUse)
        .map_err(WebError::from)?;
    Ok(Json(batch(&req.values, |v| {
        checks::check_credit_code(v, req.strict)
    })?))
}

#[derive(Template)]
#[template(path = "tools/check.html")]
struct CheckPage {
    layout: Layout,
    kind: String,
    text: String,
    strict: bool,
    result: Option<CheckResponse>,
    error: Option<String>,
}

async fn check_page(auth: Auth, staff: Staff) -> Result<Response, WebError> {
    staff.principal.require(Action::ToolsUse)?;
    Ok(render(&CheckPage {
        layout: Layout::new("", &auth),
        kind: "id_number".into(),
        text: String::new(),
        strict: false,
        result: None,
        error: None,
    }))
}

#[derive(Deserialize)]
struct CheckForm {
    kind: String,
    text: String,
    strict: Option<String>,
}

async fn check_submit(
    auth: Auth,
    staff: Staff,
    Form(f): Form<CheckForm>,
) -> Result<Response, WebError> {
    staff.principal.require(Action::ToolsUse)?;
    let strict = f.strict.is_some();
    // One value per line; an Excel column pastes as lines, a row as tab-separated cells.
    let values: Vec<String> = f
        .text
        .lines()
        .flat_map(|l| l.split('\t'))
        .filter(|v| !v.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let today = minzheng_kernel::id_number::china_today();
    let outcome = match f.kind.as_str() {
        "credit_code" => batch(&values, |v| checks::check_credit_code(v, strict)),
        _ => batch(&values, |v| checks::check_id_number(v, today, strict)),
    };
    let (result, error) = match outcome {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(render(&CheckPage {
        layout: Layout::new("", &auth),
        kind: f.kind,
        text: f.text,
        strict,
        result,
        error,
    }))
}
