//! Who is asking: the session cookie resolved once per request, CSRF checked on every
//! state-changing request, and the extractors handlers use to demand a signed-in user.

use crate::error::WebError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use minzheng_access::sessions::{self, SessionPolicy};
use minzheng_access::{AccessError, Principal, Role};
use std::net::SocketAddr;

/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "mz_session";
/// The cookie that carries the CSRF token of a visitor who is not signed in.
pub const CSRF_COOKIE: &str = "mz_csrf";
/// The form field and header that carry the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
const CSRF_HEADER: &str = "x-csrf-token";
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// What the middleware found out about the request.
#[derive(Debug, Clone)]
pub struct Auth {
    /// The signed-in user, if any.
    pub principal: Option<Principal>,
    /// The token forms of this page must carry.
    pub csrf: String,
    /// The client address.
    pub address: String,
}

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value with the flags every cookie of ours carries.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url_decode_pairs(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Decodes `application/x-www-form-urlencoded` pairs.
pub fn url_decode_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn forbidden_csrf() -> Response {
    crate::layout::error_page(
        axum::http::StatusCode::FORBIDDEN,
        "请求已失效",
        "页面已过期或请求来源不明，请刷新页面后重试。",
        None,
    )
}

/// Whether the request's `Origin` (or, without one, its `Referer`) is this site: same host and
/// port as the `Host` the browser sent. A request with neither comes from no browser page (a
/// department's system, a command-line client) and is judged by its token alone; `Origin: null`
/// (a sandboxed frame, a redirect across sites) is refused.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Ok(uri) = source.parse::<axum::http::Uri>() else {
        return false;
    };
    let Some(authority) = uri.authority() else {
        return false;
    };
    let default_port = match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    let source_port = authority.port_u16().unwrap_or(default_port);
    let Ok(host) = host.parse::<axum::http::uri::Authority>() else {
        return false;
    };
    let host_port = host.port_u16().unwrap_or(default_port);
    authority.host().eq_ignore_ascii_case(host.host()) && source_port == host_port
}

fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/") || path.starts_with("/assets/"))
}

/// Resolves the session, checks CSRF on unsafe methods, and hands [`Auth`] to the handlers.
pub async fn middleware(State(state): State<AppState>, req: Request<Body>, next: Next) -> Response {
    let forwarded_for = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| {
            state
                .config
                .trusted_proxies
                .client(c.0.ip(), forwarded_for)
                .to_string()
        })
        .unwrap_or_else(|| "unknown".into());
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let token = cookie(req.headers(), SESSION_COOKIE);
    let now = chrono::Utc::now();
    let policy = state.session_policy;
    let mut live = None;
    if let Some(t) = token.clone() {
        let db = state.db.clone();
        let looked = tokio::task::spawn_blocking(move || {
            let found = db.read(|tx| sessions::lookup(tx, &t, now, &policy))?;
            if let Some((_, true)) = &found {
                db.write(|tx| sessions::touch(tx, &t, now))?;
            }
            Ok::<_, AccessError>(found)
        })
        .await;
        match looked {
            Ok(Ok(found)) => live = found.map(|(s, _)| s),
            Ok(Err(e)) => return WebError::from(e).into_response(),
            Err(e) => return WebError::Internal(e.to_string()).into_response(),
        }
    }
    let anon_csrf = cookie(req.headers(), CSRF_COOKIE);
    let mut new_anon_csrf = None;
    let csrf = match (&live, &anon_csrf) {
        (Some(s), _) => s.csrf_token.clone(),
        (None, Some(c)) => c.clone(),
        // Only pages carry forms; API calls and assets get no token cookie.
        (None, None) if is_page(req.uri().path()) => {
            let c = minzheng_access::random_token(24).unwrap_or_default();
            new_anon_csrf = Some(c.clone());
            c
        }
        (None, None) => String::new(),
    };

    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Pages always need the token; the API needs it only when a cookie could authenticate the call
    // (other departments' systems call it with their keys and no cookies).
    let uses_cookies = req.headers().contains_key(header::COOKIE);
    let needs_token = unsafe_method && (uses_cookies || !req.uri().path().starts_with("/api/"));
    // A browser names the page a request comes from; one from another site is refused before
    // the token is even looked at (beside the token, not instead of it).
    if unsafe_method && !same_origin(req.headers()) {
        if req.uri().path().starts_with("/api/") {
            let e = WebError::Forbidden("请求来源不是本站（Origin 与 Host 不符）".into());
            return crate::error::ApiError(e).into_response();
        }
        return forbidden_csrf();
    }
    let mut req = req;
    if needs_token {
        let header_token = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let expected = match &live {
            Some(s) => Some(s.csrf_token.clone()),
            None => anon_csrf.clone(),
        };
        let given = match header_token {
            Some(t) => Some(t),
            None => {
                let is_form = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
                if !is_form {
                    None
                } else {
                    let (parts, body) = req.into_parts();
                    let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
                        Ok(b) => b,
                        Err(_) => {
                            return WebError::BadRequest("表单内容过大".into()).into_response();
                        }
                    };
                    let field = form_field(&bytes, CSRF_FIELD);
                    req = Request::from_parts(parts, Body::from(bytes));
                    field
                }
            }
        };
        if expected.is_none() || given != expected {
            if req.uri().path().starts_with("/api/") {
                let e = WebError::Forbidden(
                    "请求缺少有效的 CSRF 令牌（请在 X-CSRF-Token 头中提供）".into(),
                );
                return crate::error::ApiError(e).into_response();
            }
            return forbidden_csrf();
        }
    }

    // A message in the URL is shown only if this server wrote it for this visitor.
    if let Some(uri) = crate::flash::strip_unsigned(req.uri(), &csrf) {
        *req.uri_mut() = uri;
    }
    let principal = live.map(|s| Principal {
        address: Some(address.clone()),
        request_id: request_id.clone(),
        ..s.principal
    });
    req.extensions_mut().insert(Auth {
        principal,
        csrf: csrf.clone(),
        address,
    });
    let mut resp = next.run(req).await;
    crate::flash::sign_response(&mut resp, &csrf);
    if let Some(c) = new_anon_csrf {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &c, None, state.secure_cookies),
        );
    }
    resp
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Auth>()
            .cloned()
            .ok_or_else(|| WebError::Internal("auth middleware missing".into()))
    }
}

/// A signed-in staff member; anyone else is sent to the sign-in page (or refused, for citizens).
#[derive(Debug, Clone)]
pub struct Staff {
    /// The staff member.
    pub principal: Principal,
    /// The CSRF token for forms on the page.
    pub csrf: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match auth.principal {
            Some(p) if p.role != Role::Citizen => Ok(Staff {
                principal: p,
                csrf: auth.csrf,
            }),
            Some(_) => Err(WebError::Forbidden("此页面仅供工作人员使用".into()).into_response()),
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                Err(Redirect::to(&format!("/sign-in?next={}", urlencode(next))).into_response())
            }
        }
    }
}

/// A signed-in citizen; anyone else is sent to the citizens' sign-in page.
#[derive(Debug, Clone)]
pub struct Citizen {
    /// The citizen.
    pub principal: Principal,
    /// The CSRF token for forms on the page.
    pub csrf: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Citizen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match auth.principal {
            Some(p) if p.role == Role::Citizen => Ok(Citizen {
                principal: p,
                csrf: auth.csrf,
            }),
            _ => Err(Redirect::to("/citizen/sign-in").into_response()),
        }
    }
}

/// `next` when it is a path on this site, parsed as a URI reference the way a browser would follow
/// it; `None` for anything that could lead elsewhere: another origin (`//host`, `/\host`, which
/// browsers read as `//host`), a scheme, control characters or spaces (browsers drop tabs and line
/// breaks from a URL, so `/<TAB>/host` is `//host`; a CR/LF would also break the header).
pub fn same_origin_path(next: &str) -> Option<&str> {
    if next.is_empty()
        || next.len() > 2048
        || next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    let uri: axum::http::Uri = next.parse().ok()?;
    if uri.scheme().is_some() || uri.authority().is_some() {
        return None;
    }
    let path = uri.path();
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    // Percent-encoded slashes, backslashes and controls at the start could be decoded by a proxy
    // into one of the forms above; such a path is never one of ours.
    let head: String = path
        .chars()
        .take(12)
        .collect::<String>()
        .to_ascii_lowercase();
    if ["%2f", "%5c", "%09", "%0a", "%0d", "%00", "%20"]
        .iter()
        .any(|bad| head[1..].starts_with(bad))
    {
        return None;
    }
    Some(next)
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl From<AccessError> for WebError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotSignedIn => WebError::Forbidden(e.to_string()),
            AccessError::Forbidden(_) => WebError::Forbidden(e.to_string()),
            AccessError::NotFound => WebError::NotFound,
            AccessError::Internal(cause) => WebError::Internal(cause),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

/// The session policy the server applies (kept with the state so tests can shorten it).
pub fn default_policy() -> SessionPolicy {
    SessionPolicy::default()
}

/// A signed-in staff member calling the JSON API with their session (and the CSRF header);
/// others get a JSON error, not a page.
#[derive(Debug, Clone)]
pub struct ApiStaff {
    /// The staff member.
    pub principal: Principal,
}

impl<S: Send + Sync> FromRequestParts<S> for ApiStaff {
    type Rejection = crate::error::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state).await?;
        match auth.principal {
            Some(p) if p.role != Role::Citizen => Ok(ApiStaff { principal: p }),
            Some(_) => Err(WebError::Forbidden("此接口仅供工作人员使用".into()).into()),
            None => Err(WebError::Unauthorized.into()),
        }
    }
}
