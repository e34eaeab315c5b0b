//! The server-rendered pages of the shell: home, the areas, sign-in, errors, API docs.

use crate::areas::{AREAS, Area};
use crate::error::WebError;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// What every page's frame needs.
pub struct Layout {
    /// Shown in the footer and used to bust asset caches.
    pub version: &'static str,
    /// The navigation.
    pub areas: &'static [Area],
    /// The area the page belongs to (`""` for none).
    pub current: &'static str,
}

impl Layout {
    /// The frame for a page of `current`.
    pub fn new(current: &'static str) -> Self {
        Layout {
            version: env!("CARGO_PKG_VERSION"),
            areas: AREAS,
            current,
        }
    }
}

fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(cause = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "系统内部错误").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
}

/// The home page: what the platform does and where each area is.
pub async fn home() -> Response {
    render(&HomePage {
        layout: Layout::new(""),
    })
}

#[derive(Template)]
#[template(path = "area.html")]
struct AreaPage {
    layout: Layout,
    area: &'static Area,
}

/// The entry page of an area; areas not built yet say so plainly.
pub fn area_page(area: &'static Area) -> Response {
    render(&AreaPage {
        layout: Layout::new(area.id),
        area,
    })
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    message: Option<String>,
}

/// The staff sign-in form.
pub async fn sign_in() -> Response {
    render(&SignInPage {
        layout: Layout::new(""),
        message: None,
    })
}

/// Sign-in is answered honestly until accounts exist: nothing is pretended.
pub async fn sign_in_submit() -> Response {
    let page = SignInPage {
        layout: Layout::new(""),
        message: Some("账户与登录功能尚在建设中，暂时无法登录。".into()),
    };
    (StatusCode::SERVICE_UNAVAILABLE, render(&page)).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    title: &'a str,
    message: &'a str,
    request_id: Option<&'a str>,
}

/// An error page in Chinese with the given status.
pub fn error_page(
    status: StatusCode,
    title: &str,
    message: &str,
    request_id: Option<&str>,
) -> Response {
    let page = ErrorPage {
        layout: Layout::new(""),
        title,
        message,
        request_id,
    };
    (status, render(&page)).into_response()
}

/// Any path that matches nothing.
pub async fn not_found() -> Response {
    WebError::NotFound.into_response()
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocsPage {
    version: &'static str,
}

/// The API documentation page (Swagger UI, served from the binary).
pub async fn api_docs() -> Response {
    render(&ApiDocsPage {
        version: env!("CARGO_PKG_VERSION"),
    })
}
