//! The JSON API of the area under `/api/v1/institutions`: the dashboard, coverage, the gate's
//! open items and the incident worklist, for the same users and scopes as the pages.

use crate::{InstitutionsError, enforcement, gate, registry, reports};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Datelike, NaiveDate};
use minzheng_ui::{ApiError, ApiStaff, AppState, WebError};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

/// The API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/institutions/dashboard", get(api_dashboard))
        .route("/api/v1/institutions/coverage", get(api_coverage))
        .route("/api/v1/institutions/gate/open", get(api_gate_open))
        .route("/api/v1/institutions/worklist", get(api_worklist))
        .route(
            "/api/v1/institutions/health-reports",
            post(api_health_report),
        )
        .route(
            "/api/v1/institutions/cases/{id}/records",
            post(api_case_record),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(api_dashboard, api_coverage, api_gate_open, api_worklist, api_health_report, api_case_record),
    tags((name = "institutions", description = "养老服务机构：健康日报看板、覆盖率、门岗登记、事件督办"))
)]
struct InstitutionsApi;

/// The OpenAPI paths of the API routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    InstitutionsApi::openapi()
}

fn api_err(e: InstitutionsError) -> ApiError {
    ApiError(WebError::from(e))
}

fn parse_day(s: Option<&str>) -> Result<NaiveDate, ApiError> {
    match s.filter(|s| !s.is_empty()) {
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError(WebError::BadRequest(format!(
                "日期“{s}”无效：应为 YYYY-MM-DD"
            )))
        }),
        None => Ok(minzheng_kernel::id_number::china_today()),
    }
}

/// Query of the dashboard.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DayQuery {
    /// The day, YYYY-MM-DD (default today).
    pub date: Option<String>,
}

/// The daily-report dashboard over the caller's scope.
#[utoipa::path(get, path = "/api/v1/institutions/dashboard", tag = "institutions", params(DayQuery),
    responses((status = 200, description = "看板：机构数、今日已报、未报、发热、确诊、距最近一例天数", body = Object), (status = 400, description = "日期无效")))]
pub async fn api_dashboard(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<DayQuery>,
) -> Result<Json<reports::Dashboard>, ApiError> {
    let on = parse_day(q.date.as_deref())?;
    let who = staff.principal;
    let d = state
        .run(false, move |tx| reports::dashboard(tx, &who, on))
        .await
        .map_err(api_err)?;
    Ok(Json(d))
}

/// Query of coverage.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CoverageQuery {
    /// Region prefix of 2, 6, 9 or 12 digits (default the caller's scope).
    pub region: Option<String>,
    /// The day (default today).
    pub date: Option<String>,
}

/// Coverage indicators of a region: shares in basis points, rounded half up.
#[utoipa::path(get, path = "/api/v1/institutions/coverage", tag = "institutions", params(CoverageQuery),
    responses((status = 200, description = "覆盖率、社会化运营比例、逐年新增床位与民办机构", body = Object), (status = 404, description = "区域不在权限范围内")))]
pub async fn api_coverage(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<CoverageQuery>,
) -> Result<Json<registry::Coverage>, ApiError> {
    let on = parse_day(q.date.as_deref())?;
    let who = staff.principal;
    let region = q.region.unwrap_or_else(|| {
        if who.scope_code.is_empty() {
            "50".into()
        } else {
            who.scope_code.clone()
        }
    });
    let y = on.year();
    let c = state
        .run(false, move |tx| {
            registry::coverage(tx, &who, &region, on, (y - 4)..=y)
        })
        .await
        .map_err(api_err)?;
    Ok(Json(c))
}

/// The open items of the caller's own gate ledger.
#[utoipa::path(get, path = "/api/v1/institutions/gate/open", tag = "institutions",
    responses((status = 200, description = "未领取物品", body = [Object]), (status = 403, description = "非机构工作人员")))]
pub async fn api_gate_open(
    State(state): State<AppState>,
    staff: ApiStaff,
) -> Result<Json<Vec<gate::Delivery>>, ApiError> {
    let who = staff.principal;
    let v = state
        .run(false, move |tx| gate::ledger(tx, &who, true, None, 500))
        .await
        .map_err(api_err)?;
    Ok(Json(v))
}

/// The incident worklist of the caller's level (district or city).
#[utoipa::path(get, path = "/api/v1/institutions/worklist", tag = "institutions",
    responses((status = 200, description = "疑似、确诊事件督办", body = [Object])))]
pub async fn api_worklist(
    State(state): State<AppState>,
    staff: ApiStaff,
) -> Result<Json<Vec<reports::WorkItem>>, ApiError> {
    let who = staff.principal;
    let v = state
        .run(false, move |tx| reports::worklist(tx, &who))
        .await
        .map_err(api_err)?;
    Ok(Json(v))
}

/// A daily health report as an institution's app sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct HealthReportBody {
    /// The day reported on, YYYY-MM-DD (not in the future).
    pub report_date: String,
    /// Residents with fever.
    pub residents_fever: i64,
    /// Residents with other symptoms.
    pub residents_symptoms: i64,
    /// Staff with fever.
    pub staff_fever: i64,
    /// Staff with other symptoms.
    pub staff_symptoms: i64,
    /// People in isolation.
    pub in_isolation: i64,
    /// People tested that day.
    pub tested: i64,
}

/// The id of what was created.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    /// Its id.
    pub id: i64,
    /// The SHA-256 of a stored file, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Submits the caller's institution's daily health report (once per day, not for a future date).
#[utoipa::path(post, path = "/api/v1/institutions/health-reports", tag = "institutions", request_body = HealthReportBody,
    responses((status = 200, body = Created), (status = 400, description = "未来日期、重复上报或数值有误")))]
pub async fn api_health_report(
    State(state): State<AppState>,
    staff: ApiStaff,
    Json(b): Json<HealthReportBody>,
) -> Result<Json<Created>, ApiError> {
    let who = staff.principal;
    let day = parse_day(Some(b.report_date.as_str()))?;
    let n = reports::NewHealthReport {
        institution_id: who.unit_id.unwrap_or(0),
        report_date: day,
        residents_fever: b.residents_fever,
        residents_symptoms: b.residents_symptoms,
        staff_fever: b.staff_fever,
        staff_symptoms: b.staff_symptoms,
        in_isolation: b.in_isolation,
        tested: b.tested,
    };
    let id = state
        .run(true, move |tx| {
            reports::submit_health_report(tx, &who, &n, minzheng_kernel::id_number::china_today())
        })
        .await
        .map_err(api_err)?;
    Ok(Json(Created { id, sha256: None }))
}

/// Query of a full-process record.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecordQuery {
    /// Step: start, evidence, review, decision, service, execution, archive.
    pub step: String,
    /// What the record is.
    pub note: String,
    /// The file's name, when the body carries a file (photo, recording, scan).
    pub file_name: Option<String>,
}

/// Adds a step to a case's full-process record; the request body, if not empty, is the media file,
/// stored with its SHA-256 (returned).
#[utoipa::path(post, path = "/api/v1/institutions/cases/{id}/records", tag = "institutions",
    params(("id" = i64, Path, description = "案件编号"), RecordQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Created), (status = 400, description = "环节无效或文件类型、大小不符"), (status = 404, description = "案件不存在")))]
pub async fn api_case_record(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<i64>,
    Query(q): Query<RecordQuery>,
    body: axum::body::Bytes,
) -> Result<Json<Created>, ApiError> {
    let who = staff.principal;
    let (rid, sha) = state
        .run(true, move |tx| -> Result<_, InstitutionsError> {
            let name = q.file_name.unwrap_or_else(|| "record.bin".into());
            let file = (!body.is_empty()).then_some((name.as_str(), body.as_ref()));
            let rid = enforcement::add_record(tx, &who, id, &q.step, &q.note, file)?;
            let sha: Option<String> = tx
                .query_one(
                    "SELECT sha256 FROM enforcement_record WHERE id = $1",
                    minzheng_store::params![rid],
                )?
                .get(0)?;
            Ok((rid, sha))
        })
        .await
        .map_err(api_err)?;
    Ok(Json(Created {
        id: rid,
        sha256: sha,
    }))
}
