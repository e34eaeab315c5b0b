//! The server-rendered pages of the shell: home, the areas, errors, API docs, and the layout
//! every page shares.

use askama::Template;
use axum::response::Response;
use minzheng_ui::areas::Area;
use minzheng_ui::auth::Auth;
pub use minzheng_ui::layout::{Layout, error_page, render};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
}

/// The home page: what the platform does and where each area is.
pub async fn home(auth: Auth) -> Response {
    render(&HomePage {
        layout: Layout::new("", &auth),
    })
}

#[derive(Template)]
#[template(path = "area.html")]
struct AreaPage {
    layout: Layout,
    area: &'static Area,
}

/// The entry page of an area; areas not built yet say so plainly.
pub fn area_page(area: &'static Area, auth: &Auth) -> Response {
    render(&AreaPage {
        layout: Layout::new(area.id, auth),
        area,
    })
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
