//! The one error type of the web layer: users get a clear Chinese message (an HTML page, or JSON
//! under `/api`), the log gets the cause.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minzheng_reference::ReferenceError;

/// What a handler can answer other than success.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The record or page does not exist for this user.
    #[error("页面或记录不存在")]
    NotFound,
    /// Not signed in (API calls; pages redirect instead).
    #[error("请先登录")]
    Unauthorized,
    /// Signed in, but not allowed; the message says what.
    #[error("{0}")]
    Forbidden(String),
    /// The input was wrong; the message says what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// The feature exists in the plan but is not built yet; said plainly.
    #[error("{0}")]
    NotYetAvailable(String),
    /// Anything else: the user sees a generic message, the log the cause.
    #[error("系统内部错误")]
    Internal(String),
}

impl From<minzheng_store::StoreError> for WebError {
    fn from(e: minzheng_store::StoreError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl WebError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::NotYetAvailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Marks a response as an API one, so errors render as JSON instead of a page.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        ApiError(e)
    }
}

impl From<minzheng_store::StoreError> for ApiError {
    fn from(e: minzheng_store::StoreError) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        if let WebError::Internal(cause) = &e {
            tracing::error!(%cause, "request failed");
        }
        let body = serde_json::json!({ "error": e.to_string(), "status": e.status().as_u16() });
        (e.status(), axum::Json(body)).into_response()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let title = match self.status() {
            StatusCode::NOT_FOUND => "页面不存在",
            StatusCode::BAD_REQUEST => "输入有误",
            StatusCode::FORBIDDEN => "没有权限",
            StatusCode::SERVICE_UNAVAILABLE => "功能尚未开放",
            _ => "系统出错了",
        };
        let message = match &self {
            WebError::NotFound => "您访问的页面或记录不存在，或您没有查看它的权限。".to_owned(),
            WebError::Internal(_) => "系统处理您的请求时出错，已记录。请稍后重试。".to_owned(),
            other => other.to_string(),
        };
        crate::layout::error_page(self.status(), title, &message, None)
    }
}

impl From<ReferenceError> for ApiError {
    fn from(e: ReferenceError) -> Self {
        ApiError(e.into())
    }
}

impl From<ReferenceError> for WebError {
    fn from(e: ReferenceError) -> Self {
        match e {
            ReferenceError::Invalid(m) => WebError::BadRequest(m),
            ReferenceError::Access(a) => a.into(),
            ReferenceError::Internal(c) => WebError::Internal(c),
        }
    }
}

impl From<minzheng_access::AccessError> for ApiError {
    fn from(e: minzheng_access::AccessError) -> Self {
        ApiError(e.into())
    }
}
