//! What every area's pages share with the web crate: the app state handlers reach, the session and
//! CSRF layer with the extractors that demand a signed-in user, the page frame and the one error type
//! of the web layer. Areas depend on this crate, not on `minzheng-web`, so each keeps its own handlers
//! and templates while `minzheng-web` mounts them all.

pub mod areas;
pub mod auth;
pub mod download;
pub mod error;
pub mod flash;
pub mod layout;
pub mod multipart;
pub mod proxies;
pub mod state;

pub use areas::{AREAS, Area};
pub use auth::{ApiStaff, Auth, Citizen, Staff};
pub use error::{ApiError, WebError};
pub use layout::{Layout, error_page, render};
pub use state::{AppState, WebConfig};
