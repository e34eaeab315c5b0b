//! The frame every page shares (navigation, user badge, CSRF token), rendering, and the error page.

use crate::areas::{AREAS, Area};
use crate::auth::Auth;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minzheng_access::Action;

/// The signed-in user as the page frame shows them.
pub struct UserBadge {
    /// Name shown.
    pub display_name: String,
    /// Role in Chinese.
    pub role_name: &'static str,
    /// Whether the user is a citizen (their menu differs).
    pub citizen: bool,
    /// Whether the account-management link is shown.
    pub accounts: bool,
    /// Whether the audit-log link is shown.
    pub audit: bool,
    /// Whether the inbox link is shown.
    pub inbox: bool,
    /// Whether the counter's real-name verification link is shown.
    pub identity: bool,
    /// Whether the checking tools link is shown.
    pub tools: bool,
    /// Whether the calendar page link is shown.
    pub calendar: bool,
}

/// What every page's frame needs.
pub struct Layout {
    /// Shown in the footer and used to bust asset caches.
    pub version: &'static str,
    /// The navigation.
    pub areas: &'static [Area],
    /// The area the page belongs to (`""` for none).
    pub current: &'static str,
    /// Who is signed in.
    pub user: Option<UserBadge>,
    /// The CSRF token every form of the page carries.
    pub csrf: String,
}

impl Layout {
    /// The frame for a page of `current`, for whoever `auth` says is asking.
    pub fn new(current: &'static str, auth: &Auth) -> Self {
        Layout {
            version: env!("CARGO_PKG_VERSION"),
            areas: AREAS,
            current,
            user: auth.principal.as_ref().map(|p| UserBadge {
                display_name: p.display_name.clone(),
                role_name: p.role.name_zh(),
                citizen: p.role == minzheng_access::Role::Citizen,
                accounts: p.can(Action::AccountRead),
                audit: p.can(Action::AuditRead),
                inbox: p.can(Action::InboxRead),
                identity: p.can(Action::IdentityVerify),
                tools: p.can(Action::ToolsUse),
                calendar: p.can(Action::CalendarManage),
            }),
            csrf: auth.csrf.clone(),
        }
    }

    /// The frame for pages rendered without a request (errors from deep inside).
    pub fn anonymous() -> Self {
        Layout {
            version: env!("CARGO_PKG_VERSION"),
            areas: AREAS,
            current: "",
            user: None,
            csrf: String::new(),
        }
    }
}

/// Renders a template, or a plain 500 if the template itself fails.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(cause = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "系统内部错误").into_response()
        }
    }
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
        layout: Layout::anonymous(),
        title,
        message,
        request_id,
    };
    (status, render(&page)).into_response()
}
