//! The JSON API of the area under `/api/v1/governance`: the worklist and a request for staff, the
//! pushed-task check for departments' systems, the indicators, and the public board (no sign-in).

use crate::GovernanceError;
use crate::duty::{self, Push};
use crate::indicators::{self, Level};
use crate::requests;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use minzheng_ui::{ApiError, ApiStaff, AppState, WebError};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The routes of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/governance/requests", get(api_requests))
        .route("/api/v1/governance/requests/{id}", get(api_request))
        .route("/api/v1/governance/tasks", post(api_push))
        .route("/api/v1/governance/indicators", get(api_indicators))
        .route("/api/v1/governance/board/{code}", get(api_board))
}

#[derive(OpenApi)]
#[openapi(
    paths(api_requests, api_request, api_push, api_indicators, api_board),
    components(schemas(PushBody)),
    tags((name = "governance", description = "基层治理：居民诉求、四张清单、治理指标与社区公示栏"))
)]
struct GovernanceApi;

/// The OpenAPI paths of this API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    GovernanceApi::openapi()
}

fn today() -> chrono::NaiveDate {
    minzheng_kernel::id_number::china_today()
}

fn api(e: GovernanceError) -> ApiError {
    ApiError(WebError::from(e))
}

/// Filters of the worklist.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Only this step (`collect` … `closed`).
    step: Option<String>,
    /// Only region codes starting with this.
    prefix: Option<String>,
}

/// Requests within the caller's scope, newest first (200 at most).
#[utoipa::path(get, path = "/api/v1/governance/requests", tag = "governance", params(ListParams),
    responses((status = 200, description = "诉求列表"), (status = 401, description = "未登录"), (status = 403, description = "无权限")))]
async fn api_requests(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<ListParams>,
) -> Result<Json<Vec<requests::RequestRecord>>, ApiError> {
    let f = requests::ListFilter {
        step: q.step,
        prefix: q.prefix,
    };
    let rows = state
        .run(false, move |tx| requests::list(tx, &staff.principal, &f))
        .await
        .map_err(api)?;
    Ok(Json(rows))
}

/// One request with its history, if within the caller's scope.
#[utoipa::path(get, path = "/api/v1/governance/requests/{id}", tag = "governance",
    params(("id" = i64, Path, description = "诉求编号")),
    responses((status = 200, description = "诉求与办理记录"), (status = 404, description = "不存在或不在辖区内")))]
async fn api_request(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let v = state
        .run(false, move |tx| {
            let r = requests::load(tx, &staff.principal, id)?;
            let events = requests::events(tx, id)?;
            let referral = requests::referral(tx, id)?;
            Ok::<_, GovernanceError>(
                serde_json::json!({ "request": r, "events": events, "referral": referral }),
            )
        })
        .await
        .map_err(api)?;
    Ok(Json(v))
}

/// A task or certificate request pushed to a community.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PushBody {
    /// The community's 12-digit code.
    community: String,
    /// `task` or `certificate`.
    kind: String,
    /// What is asked.
    title: String,
    /// The department asking.
    department: String,
}

/// Pushes a task or certificate request to a community; it is checked against the community's
/// four duty lists and refused (recorded, counted) with the list item cited when it must be.
#[utoipa::path(post, path = "/api/v1/governance/tasks", tag = "governance", request_body = PushBody,
    responses((status = 200, description = "承接或拒收及其依据"), (status = 400, description = "输入有误，未作记录")))]
async fn api_push(
    State(state): State<AppState>,
    staff: ApiStaff,
    Json(b): Json<PushBody>,
) -> Result<Json<duty::PushOutcome>, ApiError> {
    let p = Push {
        community: b.community,
        kind: b.kind,
        title: b.title,
        department: b.department,
    };
    let out = state
        .run(true, move |tx| {
            duty::push(tx, &staff.principal, &p, today())
        })
        .await
        .map_err(api)?;
    Ok(Json(out))
}

/// Grouping of the indicators.
#[derive(Debug, Deserialize, IntoParams)]
pub struct IndicatorParams {
    /// `district`, `street` or `community`.
    level: Option<String>,
    /// Only region codes starting with this.
    prefix: Option<String>,
}

/// Requests by triage class, on-time rate, satisfaction and reopen rate per unit in the caller's scope.
#[utoipa::path(get, path = "/api/v1/governance/indicators", tag = "governance", params(IndicatorParams),
    responses((status = 200, description = "治理指标")))]
async fn api_indicators(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<IndicatorParams>,
) -> Result<Json<indicators::Indicators>, ApiError> {
    let level = Level::from_id(q.level.as_deref().unwrap_or("district")).ok_or_else(|| {
        ApiError(WebError::BadRequest(
            "level 应为 district、street 或 community".into(),
        ))
    })?;
    let v = state
        .run(false, move |tx| {
            indicators::indicators(tx, &staff.principal, level, q.prefix.as_deref(), today())
        })
        .await
        .map_err(api)?;
    Ok(Json(v))
}

/// A community's public board (no sign-in; personal data masked).
#[utoipa::path(get, path = "/api/v1/governance/board/{code}", tag = "governance",
    params(("code" = String, Path, description = "12 位村（社区）代码")),
    responses((status = 200, description = "公示栏"), (status = 400, description = "不是现有的村（社区）")))]
async fn api_board(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<indicators::Board>, ApiError> {
    let v = state
        .run(false, move |tx| indicators::board(tx, &code, today()))
        .await
        .map_err(api)?;
    Ok(Json(v))
}
