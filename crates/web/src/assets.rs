//! Static assets, embedded in the binary: nothing is loaded from a CDN and a single file deploys.
//! Vendored files come from their npm registry packages (see `assets/vendor/README.md`).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/app.css"),
    },
    Asset {
        path: "api-docs.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/api-docs.js"),
    },
    Asset {
        path: "vendor/htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/vendor/htmx.min.js"),
    },
    Asset {
        path: "vendor/swagger-ui-bundle.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/vendor/swagger-ui-bundle.js"),
    },
    Asset {
        path: "vendor/swagger-ui.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/vendor/swagger-ui.css"),
    },
];

/// Serves one embedded asset; URLs carry `?v=VERSION`, so a day of caching is safe.
pub async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(a.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
            ],
            a.body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
