//! The router, its middleware and the server loop with graceful shutdown.

use crate::{api, areas::AREAS, assets, pages};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minzheng_ui::error::{ApiError, Refusal, RefusedRequest, WebError};
use minzheng_ui::multipart;
pub use minzheng_ui::{AppState, WebConfig};
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The routes of every area, without middleware.
pub fn routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/", get(pages::home))
        .route("/api/v1", get(api::api_root))
        .route("/api/openapi.json", get(api::openapi_json))
        .route("/api/docs", get(pages::api_docs))
        .route("/assets/{*path}", get(assets::asset))
        .merge(crate::access_pages::routes())
        .merge(crate::tools::routes())
        .merge(crate::reference_pages::routes())
        .merge(minzheng_assistance::routes())
        .merge(minzheng_institutions::routes())
        .merge(minzheng_marriage::routes())
        .merge(minzheng_governance::routes())
        .merge(minzheng_benefits::routes());
    // An area that is not built yet still has its entry page, which says so plainly.
    for area in AREAS.iter().filter(|a| !a.ready) {
        r = r.route(
            &format!("/{}", area.id),
            get(move |auth: crate::auth::Auth| async move { pages::area_page(area, &auth) }),
        );
    }
    r.fallback(not_found)
}

/// Any path that matches nothing: the Chinese page, or the JSON error under `/api`.
async fn not_found(uri: Uri) -> Response {
    if is_api(uri.path()) {
        ApiError(WebError::NotFound).into_response()
    } else {
        WebError::NotFound.into_response()
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    pages::error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "系统出错了",
        "系统处理您的请求时出错，已记录。请稍后重试。",
        None,
    )
}

/// Every response body as one that stays ended once it has ended. The compression layer polls a
/// body once more after its end (for trailers), and the channel body the streamed exports use
/// panics when polled after its end: without this, every download a browser asked for with
/// `Accept-Encoding: gzip` was cut off.
async fn fuse_body(response: Response) -> Response {
    use http_body_util::BodyExt;
    response.map(|body| Body::new(body.fuse()))
}

/// Gzip for pages, JSON and CSV; files that are compressed already (Excel workbooks and zip
/// archives, PDFs, images) go out as they are: compressing them again costs CPU and saves nothing.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new().compress_when(
        DefaultPredicate::new()
            .and(NotForContentType::const_new(
                "application/vnd.openxmlformats-officedocument",
            ))
            .and(NotForContentType::const_new("application/zip"))
            .and(NotForContentType::const_new("application/pdf")),
    )
}

/// The body limits of the two kinds of request: those that carry files, and text forms and JSON.
#[derive(Debug, Clone, Copy)]
struct BodyLimits {
    upload: usize,
    form: usize,
}

/// Text forms and JSON bodies: axum's own default, said here so the refusal can name it.
const FORM_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Applies the body limit of the request's kind, and says every refusal of the HTTP layer itself
/// (extractor rejections, 405, 413, 415, the time limit's 503) in Chinese: a page, or the JSON
/// error under `/api`. Those refusals are the only plain-text answers the platform gives.
async fn refusals(
    State(limits): State<BodyLimits>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let upload = multipart::is_upload(req.headers());
    let body_limit = if upload { limits.upload } else { limits.form };
    DefaultBodyLimit::max(body_limit).apply(&mut req);
    let method = req.method().clone();
    let api = is_api(req.uri().path());
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(req).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Framework refusals are one short line; anything longer is not one of them.
    let text = match axum::body::to_bytes(body, 16 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    tracing::info!(status = status.as_u16(), cause = %text, "request refused");
    let refusal = Refusal::translate(
        status,
        &text,
        RefusedRequest {
            method: &method,
            upload,
            body_limit,
        },
    );
    let mut out = if api {
        refusal.json()
    } else {
        refusal.page(request_id.as_deref())
    };
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

/// Nothing the platform answers is kept by the browser or a proxy, except the static assets:
/// pages and API answers carry personal data, and after signing out, Back must show nothing.
async fn no_store(req: Request<Body>, next: Next) -> Response {
    let asset = req.uri().path().starts_with("/assets/");
    let mut response = next.run(req).await;
    if !asset {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Wraps routes in the middleware every request goes through.
pub fn with_middleware(routes: Router<AppState>, state: AppState) -> Router {
    let config = state.config.clone();
    let limits = BodyLimits {
        upload: multipart::upload_body_limit(config.max_body_bytes),
        form: FORM_BODY_BYTES.min(config.max_body_bytes),
    };
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
    })
    .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO));
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(axum::middleware::from_fn(no_store))
        .layer(compression())
        .layer(axum::middleware::from_fn_with_state(limits, refusals))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes));
    let auth = axum::middleware::from_fn_with_state(state.clone(), crate::auth::middleware);
    // Probes skip the session layer: a load balancer polls them and carries no cookie.
    let probes = Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz));
    routes
        .layer(auth)
        .merge(probes)
        .with_state(state)
        .layer(axum::middleware::map_response(fuse_body))
        .layer(middleware)
}

/// The whole application: routes and middleware.
pub fn router(state: AppState) -> Router {
    with_middleware(routes(), state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let worker = tokio::spawn(delivery_worker(state.clone()));
    let app = router(state);
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    worker.abort();
    result
}

/// How often the outbox is checked for due messages.
const DELIVERY_EVERY: Duration = Duration::from_secs(2);

/// Delivers queued messages in the background; every instance runs one, claims keep them apart.
async fn delivery_worker(state: AppState) {
    let worker = format!(
        "{}-{}",
        std::process::id(),
        minzheng_access::random_token(4).unwrap_or_default()
    );
    let mut tick = tokio::time::interval(DELIVERY_EVERY);
    loop {
        tick.tick().await;
        let db = state.db.clone();
        let sender = state.sender.clone();
        let name = worker.clone();
        let result = tokio::task::spawn_blocking(move || {
            minzheng_access::notify::deliver_due(&db, sender.as_ref(), &name, chrono::Utc::now())
        })
        .await;
        match result {
            Ok(Ok(r)) if r.sent + r.failed > 0 => {
                tracing::info!(sent = r.sent, failed = r.failed, "outbox pass")
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "outbox pass failed"),
            Err(e) => tracing::warn!(error = %e, "outbox worker panicked"),
        }
    }
}

/// A running server for tests and tools: its address and a handle that stops it.
pub struct Running {
    /// Where it listens (port 0 in the config picks a free port).
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops it gracefully and waits until it has.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Binds `state.config.listen` and serves in the background.
pub async fn spawn(state: AppState) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(state.config.listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(state, listener, async move {
        let _ = rx.await;
    }));
    Ok(Running {
        addr,
        stop: Some(tx),
        task,
    })
}
