//! The HTTP face of minzheng: one axum router that mounts every area, the layout, the middleware
//! (request ids, logs, compression, limits, security headers), the embedded assets and the
//! OpenAPI document.

mod access_pages;
mod api;
mod assets;
mod pages;
mod reference_pages;
mod server;
pub mod testing;
pub mod tools;
pub mod upload;

pub use minzheng_ui::{AREAS, Area, WebError, areas, auth, error, proxies};
pub use server::{AppState, Running, WebConfig, router, routes, serve, spawn, with_middleware};
