//! The one error type of the web layer: users get a clear Chinese message (an HTML page, or JSON
//! under `/api`), the log gets the cause.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use minzheng_reference::ReferenceError;
use serde::Serialize;

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

/// The JSON body of every refusal under `/api`, from a handler or from the HTTP layer itself, so a
/// program reads one shape: what went wrong in Chinese, the status again, and a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do about it, in Chinese.
    pub error: String,
    /// The HTTP status of the answer.
    pub status: u16,
    /// A stable code a program can act on: `bad_request`, `unauthorized`, `forbidden`,
    /// `not_found`, `method_not_allowed`, `conflict`, `payload_too_large`,
    /// `unsupported_media_type`, `unprocessable`, `too_many_requests`, `internal`, `unavailable`.
    pub code: &'static str,
}

impl ErrorBody {
    /// The body for `status` with `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error: message.into(),
            status: status.as_u16(),
            code: code(status),
        }
    }
}

/// The stable code of a refusal's status (the `code` of [`ErrorBody`]).
pub fn code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        429 => "too_many_requests",
        500 => "internal",
        503 | 504 => "unavailable",
        s if s >= 500 => "internal",
        _ => "bad_request",
    }
}

/// The title of an error page for `status`.
fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "请先登录",
        403 => "没有权限",
        404 => "页面不存在",
        405 => "不支持的访问方式",
        409 => "操作冲突",
        413 => "提交的内容过大",
        415 => "提交的格式不对",
        429 => "请求过于频繁",
        503 | 504 => "服务暂时不可用",
        s if s >= 500 => "系统出错了",
        _ => "输入有误",
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
        (
            e.status(),
            axum::Json(ErrorBody::new(e.status(), e.to_string())),
        )
            .into_response()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let title = match &self {
            WebError::NotYetAvailable(_) => "功能尚未开放",
            other => title(other.status()),
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

/// A refusal of the HTTP layer itself (the extractors' rejections, the router's 405, the body
/// limit's 413, the time limit's 503), in Chinese: axum and tower-http answer those in English
/// plain text, which a person can neither read nor act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The status, kept from the original answer.
    pub status: StatusCode,
    /// What went wrong and what to do, in Chinese.
    pub message: String,
}

/// What the HTTP layer knew about the refused request, beyond the refusal's own text.
#[derive(Debug, Clone, Copy)]
pub struct RefusedRequest<'a> {
    /// The request's method.
    pub method: &'a Method,
    /// Whether it carried files (multipart or raw bytes).
    pub upload: bool,
    /// The body limit that applied to it, in bytes.
    pub body_limit: usize,
}

impl Refusal {
    /// Reads the English `text` of a framework refusal with `status` and says the same in Chinese.
    /// Only what the code itself defines is repeated (field names, expected kinds, allowed
    /// values); what the client sent never is.
    pub fn translate(status: StatusCode, text: &str, req: RefusedRequest<'_>) -> Refusal {
        let message = translate(status, text.trim(), req);
        Refusal { status, message }
    }

    /// The refusal as the Chinese error page.
    pub fn page(&self, request_id: Option<&str>) -> Response {
        crate::layout::error_page(self.status, title(self.status), &self.message, request_id)
    }

    /// The refusal as the JSON error of the API.
    pub fn json(&self) -> Response {
        (
            self.status,
            axum::Json(ErrorBody::new(self.status, self.message.clone())),
        )
            .into_response()
    }
}

fn megabytes(bytes: usize) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 10.0 || mb.fract() == 0.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

fn translate(status: StatusCode, text: &str, req: RefusedRequest<'_>) -> String {
    let after = |prefix: &str| {
        text.strip_prefix(prefix)
            .map(|r| r.trim_start_matches(':').trim())
    };
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        let limit = megabytes(req.body_limit);
        return if req.upload {
            format!("上传的内容超过 {limit} 的上限。请压缩照片，或分几次上传。")
        } else {
            format!("提交的内容超过 {limit} 的上限，请删减后重试。")
        };
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        return if req.method == Method::GET {
            "此网址不能直接打开，只接受页面上的按钮或表单提交。请返回上一页操作。".to_owned()
        } else {
            format!("此网址不接受 {} 请求。", req.method)
        };
    }
    if let Some(rest) = after("Failed to deserialize form body") {
        return with_detail("表单内容有误", serde_detail(rest));
    }
    if let Some(rest) = after("Failed to deserialize form") {
        return with_detail("网址中的查询参数有误", serde_detail(rest));
    }
    if text.starts_with("Form requests must have `Content-Type") {
        return "请以表单方式提交（Content-Type: application/x-www-form-urlencoded）。".to_owned();
    }
    if let Some(rest) = after("Failed to deserialize query string") {
        return with_detail("网址中的查询参数有误", serde_detail(rest));
    }
    if let Some(rest) = after("Failed to deserialize the JSON body into the target type") {
        return with_detail("JSON 内容有误", serde_detail(rest));
    }
    if let Some(rest) = after("Failed to parse the request body as JSON") {
        return with_detail("JSON 格式有误，无法解析", position(rest));
    }
    if text.starts_with("Expected request with `Content-Type: application/json`") {
        return "请以 JSON 提交（Content-Type: application/json）。".to_owned();
    }
    if let Some(rest) = after("Invalid URL") {
        return with_detail("网址有误", path_detail(rest));
    }
    if text.starts_with("Request body didn't contain valid UTF-8") {
        return "提交的内容不是有效的 UTF-8 文字，请检查文件编码后重试。".to_owned();
    }
    if text.starts_with("Failed to buffer the request body") {
        return "请求内容未能完整接收，请重试。".to_owned();
    }
    match status.as_u16() {
        401 => "请先登录。".to_owned(),
        403 => "您没有进行此操作的权限。".to_owned(),
        404 => "您访问的页面或记录不存在，或您没有查看它的权限。".to_owned(),
        415 => "提交内容的格式（Content-Type）不对。".to_owned(),
        422 => "提交的内容有误，请检查后重试。".to_owned(),
        429 => "请求过于频繁，请稍后再试。".to_owned(),
        503 | 504 => "系统繁忙，请求未能及时处理，请稍后重试。".to_owned(),
        s if s >= 500 => "系统处理您的请求时出错，已记录。请稍后重试。".to_owned(),
        _ => "请求有误，请检查后重试。".to_owned(),
    }
}

fn with_detail(head: &str, detail: Option<String>) -> String {
    match detail {
        Some(d) => format!("{head}：{d}。"),
        None => format!("{head}。"),
    }
}

/// The first `` `quoted` `` word after `marker`, if it is a plain name (never user input: the
/// callers only ask for names the code defines).
fn quoted_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let rest = rest.strip_prefix('`')?;
    let name = &rest[..rest.find('`')?];
    is_name(name).then_some(name)
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-'))
}

/// What kind of value a Rust or serde type name stands for.
fn kind(expected: &str) -> &'static str {
    let e = expected.trim();
    let has = |words: &[&str]| words.iter().any(|w| e.contains(w));
    if has(&[
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize", "integer",
    ]) {
        "整数"
    } else if has(&["f32", "f64", "float", "number"]) {
        "数字"
    } else if has(&["bool"]) {
        "true 或 false"
    } else if has(&["string", "str", "String"]) {
        "文字（字符串）"
    } else if has(&["sequence", "array", "Vec", "tuple"]) {
        "列表（数组）"
    } else if has(&["struct", "map", "object"]) {
        "对象"
    } else if has(&["date", "Date", "time"]) {
        "日期"
    } else {
        "规定的格式"
    }
}

/// A serde error (as `serde_path_to_error` prints it: `path: message`) in Chinese.
fn serde_detail(rest: &str) -> Option<String> {
    let (path, inner) = match rest.split_once(": ") {
        Some((p, m)) if is_name(p) && p != "." => (Some(p), m),
        _ => (None, rest),
    };
    let field = path.map(|p| format!("字段 {p} ")).unwrap_or_default();
    let inner = inner.split(" at line ").next().unwrap_or(inner);
    let expected = inner.split(", expected ").nth(1);
    let said = if inner.starts_with("missing field") {
        format!("缺少字段 {}", quoted_after(inner, "missing field ")?)
    } else if inner.starts_with("unknown field") {
        format!("{field}含有不认识的字段")
    } else if inner.starts_with("unknown variant") {
        let allowed: Vec<&str> = expected
            .unwrap_or("")
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|v| is_name(v))
            .collect();
        if allowed.is_empty() {
            format!("{field}不是可选的值")
        } else {
            format!("{field}不是可选的值（可选：{}）", allowed.join("、"))
        }
    } else if inner.starts_with("invalid type") {
        format!("{field}类型不对，应为{}", kind(expected.unwrap_or("")))
    } else if inner.starts_with("invalid value") {
        format!("{field}取值无效，应为{}", kind(expected.unwrap_or("")))
    } else if inner.starts_with("invalid length") {
        format!("{field}的个数不对")
    } else if inner.contains("invalid digit")
        || inner.contains("parse integer")
        || inner.contains("number too large")
        || inner.contains("number too small")
    {
        format!("{field}应为整数")
    } else if inner.contains("float") {
        format!("{field}应为数字")
    } else if inner.contains("`true` or `false`") {
        format!("{field}应为 true 或 false")
    } else if inner.starts_with("input contains invalid characters")
        || inner.starts_with("premature end of input")
        || inner.starts_with("input is out of range")
        || inner.starts_with("trailing input")
        || inner.starts_with("input is not enough")
    {
        format!("{field}的日期或时间格式不对")
    } else if !field.is_empty() {
        format!("{field}的值无效")
    } else {
        return None;
    };
    Some(said.trim_end().to_owned())
}

/// Where a JSON syntax error is (`… at line 1 column 5`), without the text around it.
fn position(rest: &str) -> Option<String> {
    if rest.starts_with("EOF while parsing") && rest.ends_with("line 1 column 0") {
        return Some("内容为空".to_owned());
    }
    let (_, at) = rest.rsplit_once(" at line ")?;
    let (line, column) = at.split_once(" column ")?;
    let (line, column): (u64, u64) = (line.trim().parse().ok()?, column.trim().parse().ok()?);
    Some(format!("第 {line} 行第 {column} 列附近"))
}

/// A path-parameter error in Chinese: the parameter's name (from the route) and what it must be.
fn path_detail(rest: &str) -> Option<String> {
    let expected = rest
        .rsplit_once(" to a `")
        .map(|(_, t)| t.trim_end_matches('`'));
    let what = expected.map(kind).unwrap_or("规定的格式");
    if let Some(name) =
        quoted_after(rest, "Cannot parse ").filter(|_| rest.contains(" with value "))
    {
        return Some(format!("参数 {name} 应为{what}"));
    }
    if let Some(at) = rest.strip_prefix("Cannot parse value at index ") {
        let index: usize = at.split(' ').next()?.parse().ok()?;
        return Some(format!("第 {} 个参数应为{what}", index + 1));
    }
    if rest.starts_with("Cannot parse ") {
        return Some(format!("参数应为{what}"));
    }
    if rest.starts_with("Invalid UTF-8") {
        return Some("含有无效的字符".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(status: u16, text: &str) -> String {
        let req = RefusedRequest {
            method: &Method::POST,
            upload: false,
            body_limit: 2 * 1024 * 1024,
        };
        Refusal::translate(StatusCode::from_u16(status).unwrap(), text, req).message
    }

    #[test]
    fn framework_refusals_are_said_in_chinese_without_the_input() {
        let cases = [
            (
                422,
                "Failed to deserialize form body: missing field `name`",
                "表单内容有误：缺少字段 name。",
            ),
            (
                422,
                "Failed to deserialize form body: page: invalid digit found in string",
                "表单内容有误：字段 page 应为整数。",
            ),
            (
                400,
                "Failed to deserialize query string: month: input contains invalid characters",
                "网址中的查询参数有误：字段 month 的日期或时间格式不对。",
            ),
            (
                400,
                "Failed to deserialize query string: kind: unknown variant `<script>`, expected one of `dibao`, `tekun`",
                "网址中的查询参数有误：字段 kind 不是可选的值（可选：dibao、tekun）。",
            ),
            (
                422,
                "Failed to deserialize the JSON body into the target type: name: invalid type: integer `1`, expected a string at line 1 column 9",
                "JSON 内容有误：字段 name 类型不对，应为文字（字符串）。",
            ),
            (
                422,
                "Failed to deserialize the JSON body into the target type: members[0].age: invalid type: string \"x\", expected u32 at line 1 column 30",
                "JSON 内容有误：字段 members[0].age 类型不对，应为整数。",
            ),
            (
                422,
                "Failed to deserialize the JSON body into the target type: missing field `items` at line 1 column 2",
                "JSON 内容有误：缺少字段 items。",
            ),
            (
                400,
                "Failed to parse the request body as JSON: key must be a string at line 1 column 2",
                "JSON 格式有误，无法解析：第 1 行第 2 列附近。",
            ),
            (
                400,
                "Failed to parse the request body as JSON: EOF while parsing a value at line 1 column 0",
                "JSON 格式有误，无法解析：内容为空。",
            ),
            (
                415,
                "Expected request with `Content-Type: application/json`",
                "请以 JSON 提交（Content-Type: application/json）。",
            ),
            (
                415,
                "Form requests must have `Content-Type: application/x-www-form-urlencoded`",
                "请以表单方式提交（Content-Type: application/x-www-form-urlencoded）。",
            ),
            (
                400,
                "Invalid URL: Cannot parse `abc<b>` to a `i64`",
                "网址有误：参数应为整数。",
            ),
            (
                400,
                "Invalid URL: Cannot parse `id` with value `abc` to a `i64`",
                "网址有误：参数 id 应为整数。",
            ),
            (
                400,
                "Invalid URL: Cannot parse value at index 0 with value `x` to a `i64`",
                "网址有误：第 1 个参数应为整数。",
            ),
            (
                413,
                "length limit exceeded",
                "提交的内容超过 2 MB 的上限，请删减后重试。",
            ),
            (405, "", "此网址不接受 POST 请求。"),
            (503, "", "系统繁忙，请求未能及时处理，请稍后重试。"),
        ];
        for (status, text, chinese) in cases {
            assert_eq!(say(status, text), chinese, "{text}");
        }
        let get = RefusedRequest {
            method: &Method::GET,
            upload: true,
            body_limit: 21 * 1024 * 1024,
        };
        assert!(
            Refusal::translate(StatusCode::METHOD_NOT_ALLOWED, "", get)
                .message
                .contains("不能直接打开")
        );
        assert_eq!(
            Refusal::translate(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Failed to buffer the request body: length limit exceeded",
                get
            )
            .message,
            "上传的内容超过 21 MB 的上限。请压缩照片，或分几次上传。"
        );
    }
}
