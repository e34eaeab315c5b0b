//! The JSON API root, health checks and the OpenAPI document generated from the handlers.

use crate::error::ApiError;
use crate::server::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minzheng_ui::auth::{CSRF_FIELD, SESSION_COOKIE};
use minzheng_ui::error::ErrorBody;
use serde::Serialize;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response as DocResponse};
use utoipa::{OpenApi, ToSchema};

/// How the API tells who is calling, as the document says it: the session cookie of a signed-in
/// person, and for a change the CSRF header beside it.
const SESSION_SCHEME: &str = "session";
const CSRF_SCHEME: &str = "csrf";
/// The header that carries the CSRF token (the middleware reads it in lower case).
const CSRF_HEADER: &str = "X-CSRF-Token";

/// The operations anyone may call without signing in; every other one needs a session. A test
/// calls every operation without one and holds this list to what the handlers do.
const OPEN: &[(&str, &str)] = &[
    ("get", "/api/v1"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/calendar/add-workdays"),
    ("get", "/api/v1/calendar/workdays"),
    ("get", "/api/v1/regions/{code}"),
    ("get", "/api/v1/parameters/{key}"),
    ("get", "/api/v1/marriage/offices"),
    ("get", "/api/v1/marriage/offices/{id}/slots"),
    ("get", "/api/v1/governance/board/{code}"),
    // Anyone may object to a public notice; a signed-in person's objection carries their name.
    ("post", "/api/v1/assistance/notices/{id}/objections"),
];

/// The OpenAPI document of every handler; areas add their paths here as they are built.
#[derive(OpenApi)]
#[openapi(
    info(title = "minzheng API", description = "重庆市民政综合服务平台数据接口。\n\n\
        身份验证：在 /sign-in 登录后，以 Cookie `mz_session` 调用需要登录的接口；修改数据的请求\
        （POST 等）还须在 `X-CSRF-Token` 头中带上会话的 CSRF 令牌（即页面表单中 `_csrf` 字段的值）。\n\n\
        出错时一律回答 JSON：`{\"error\": 中文说明, \"status\": HTTP 状态码, \"code\": 稳定的错误代码}`。"),
    components(schemas(ErrorBody)),
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

/// The platform's document with every area's paths merged in, the way it authenticates, and the
/// refusals every operation can answer.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(minzheng_assistance::openapi());
    doc.merge(minzheng_institutions::openapi());
    doc.merge(minzheng_marriage::openapi());
    doc.merge(minzheng_governance::openapi());
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SESSION_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION_COOKIE,
            "登录后由 /sign-in 设置的会话 Cookie",
        ))),
    );
    components.add_security_scheme(
        CSRF_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            CSRF_HEADER.to_owned(),
            format!(
                "会话的 CSRF 令牌（页面表单中 `{CSRF_FIELD}` 字段的值），修改数据的请求必须带上"
            ),
        ))),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in operations(item) {
            let open = OPEN.contains(&(method, path.as_str()));
            describe_refusals(op, method, open);
        }
    }
    doc
}

/// The operations of one path, with their methods in lower case.
fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

/// Declares how `op` authenticates and every refusal it can answer, each with the JSON error body:
/// 400 for a malformed path or query, 401 and 403 for a missing session or permission (403 also
/// for a change whose cookie comes without the CSRF header), 404 for a record the caller cannot
/// see, 413, 415 and 422 for a body too large, of the wrong type or of the wrong shape.
fn describe_refusals(op: &mut Operation, method: &str, open: bool) {
    let changes = method != "get";
    let mut signed_in = SecurityRequirement::new(SESSION_SCHEME, Vec::<String>::new());
    if changes {
        signed_in = signed_in.add(CSRF_SCHEME, Vec::<String>::new());
    }
    op.security = Some(if open {
        // Open: no credentials, or a session (whose changes then need the CSRF header too).
        vec![SecurityRequirement::default(), signed_in]
    } else {
        vec![signed_in]
    });
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let in_query = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
    let body = match &op.request_body {
        Some(RefOr::T(b)) => b.content.keys().cloned().collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    let json = body.iter().any(|c| c == "application/json");
    let mut refusals: Vec<(&str, &str)> = Vec::new();
    if in_path || in_query || json {
        refusals.push(("400", "网址中的参数或提交的内容有误"));
    }
    if !open {
        refusals.push(("401", "未登录或会话已过期"));
    }
    if !open || changes {
        refusals.push(("403", "没有权限，或修改数据的请求缺少有效的 CSRF 令牌"));
    }
    if in_path {
        refusals.push(("404", "记录不存在，或不在您的辖区内"));
    }
    if !body.is_empty() {
        refusals.push(("413", "提交的内容超过上限"));
    }
    if json {
        refusals.push(("415", "Content-Type 不是 application/json"));
        refusals.push(("422", "JSON 的结构或字段类型与文档不符"));
    }
    for (status, description) in refusals {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(DocResponse::new(description)));
    }
    // Every refusal, documented here or by the handler, answers the same JSON error.
    for (status, response) in op.responses.responses.iter_mut() {
        let refusal = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(r)) = (refusal, response)
            && r.content.is_empty()
        {
            r.content.insert(
                "application/json".to_owned(),
                RefOr::T(Content::new(Some(Ref::from_schema_name("ErrorBody")))),
            );
        }
    }
}

/// The OpenAPI document.
pub async fn openapi_json() -> Result<Response, ApiError> {
    Ok(Json(openapi()).into_response())
}
