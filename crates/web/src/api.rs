//! The JSON API root, health checks and the OpenAPI document generated from the handlers.

use crate::error::ApiError;
use crate::server::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

/// The OpenAPI document of every handler; areas add their paths here as they are built.
#[derive(OpenApi)]
#[openapi(
    info(title = "minzheng API", description = "重庆市民政综合服务平台数据接口"),
    paths(api_root, healthz, readyz, crate::tools::api_id_numbers, crate::tools::api_credit_codes,
        crate::reference_pages::api_add_workdays, crate::reference_pages::api_workdays,
        crate::reference_pages::api_region, crate::reference_pages::api_parameter),
    tags((name = "platform", description = "平台状态"), (name = "tools", description = "校验工具"),
        (name = "reference", description = "日历、区划与政策参数"))
)]
pub struct ApiDoc;

/// What `/healthz` and `/readyz` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `not_ready`.
    pub status: &'static str,
    /// Why the instance is not ready, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What the API root answers: who this is and where to go.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiRoot {
    /// Always `minzheng`.
    pub name: &'static str,
    /// The running version.
    pub version: &'static str,
    /// Where the OpenAPI document is.
    pub openapi: &'static str,
    /// Where the documentation page is.
    pub docs: &'static str,
}

/// The API root.
#[utoipa::path(get, path = "/api/v1", tag = "platform",
    responses((status = 200, description = "API 入口", body = ApiRoot)))]
pub async fn api_root() -> Json<ApiRoot> {
    Json(ApiRoot {
        name: "minzheng",
        version: env!("CARGO_PKG_VERSION"),
        openapi: "/api/openapi.json",
        docs: "/api/docs",
    })
}

/// The process is up (says nothing about the database).
#[utoipa::path(get, path = "/healthz", tag = "platform",
    responses((status = 200, description = "进程正常", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        reason: None,
    })
}

/// The database is reachable and fully migrated: this instance can take traffic.
#[utoipa::path(get, path = "/readyz", tag = "platform",
    responses((status = 200, description = "可以提供服务", body = Health),
              (status = 503, description = "数据库不可用或未迁移", body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let db = state.db.clone();
    let result =
        tokio::task::spawn_blocking(move || minzheng_store::migrations::is_current(&db)).await;
    let (status, reason) = match result {
        Ok(Ok(true)) => (StatusCode::OK, None),
        Ok(Ok(false)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("数据库尚未迁移".to_owned()),
        ),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, Some(e.to_string())),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Some(e.to_string())),
    };
    let body = Health {
        status: if reason.is_none() {
            "ready"
        } else {
            "not_ready"
        },
        reason,
    };
    (status, Json(body)).into_response()
}

/// The platform's document with every area's paths merged in.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(minzheng_assistance::openapi());
    doc.merge(minzheng_institutions::openapi());
    doc.merge(minzheng_marriage::openapi());
    doc.merge(minzheng_governance::openapi());
    doc
}

/// The OpenAPI document.
pub async fn openapi_json() -> Result<Response, ApiError> {
    Ok(Json(openapi()).into_response())
}
