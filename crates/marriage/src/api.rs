//! The JSON API: offices and slots (public), booking for a signed-in citizen (session cookie and
//! `X-CSRF-Token`), statistics for staff.

use crate::offices::{self, OfficeStatus, SlotView};
use crate::services::{Appointment, BookingInput};
use crate::stats::OfficeMonth;
use crate::{MarriageError, stats, writer};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use minzheng_access::Role;
use minzheng_kernel::id_number::china_today;
use minzheng_ui::{ApiError, ApiStaff, AppState, Auth, WebError};
use serde::Deserialize;
use utoipa::IntoParams;

/// The routes of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/marriage/offices", get(api_offices))
        .route("/api/v1/marriage/offices/{id}/slots", get(api_slots))
        .route("/api/v1/marriage/appointments", post(api_book))
        .route("/api/v1/marriage/stats", get(api_stats))
}

/// The OpenAPI document of the area.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_offices, api_slots, api_book, api_stats),
    components(schemas(
        OfficeStatus,
        offices::Office,
        SlotView,
        BookingInput,
        crate::services::PartyInput,
        crate::rules::Kind,
        Appointment,
        OfficeMonth
    ))
)]
pub struct ApiDoc;

/// Every office with its status today.
#[utoipa::path(get, path = "/api/v1/marriage/offices", tag = "marriage",
    responses((status = 200, body = [OfficeStatus])))]
pub async fn api_offices(
    State(state): State<AppState>,
) -> Result<Json<Vec<OfficeStatus>>, ApiError> {
    let today = china_today();
    Ok(Json(
        state
            .run(false, move |tx| offices::offices_on(tx, today))
            .await?,
    ))
}

/// Query of the slots of a day.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SlotsQuery {
    /// The day, YYYY-MM-DD.
    pub day: String,
}

/// The slots of an office on a day, with the places left.
#[utoipa::path(get, path = "/api/v1/marriage/offices/{id}/slots", tag = "marriage",
    params(("id" = i64, Path, description = "登记处"), SlotsQuery),
    responses((status = 200, body = [SlotView]), (status = 400, description = "日期无效")))]
pub async fn api_slots(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<SlotsQuery>,
) -> Result<Json<Vec<SlotView>>, ApiError> {
    let day = NaiveDate::parse_from_str(q.day.trim(), "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest(format!("日期“{}”无效：应为 YYYY-MM-DD", q.day)))?;
    Ok(Json(
        state
            .run(false, move |tx| {
                offices::slots(tx, id, day, chrono::Utc::now())
            })
            .await?,
    ))
}

/// Books a slot for the signed-in citizen. A retry with the same `idempotency_key` returns the
/// same booking.
#[utoipa::path(post, path = "/api/v1/marriage/appointments", tag = "marriage",
    request_body = BookingInput,
    responses((status = 201, body = Appointment), (status = 400, description = "不符合预约条件（原因见 error）"),
        (status = 401, description = "未登录"), (status = 403, description = "非居民账户")))]
pub async fn api_book(
    State(state): State<AppState>,
    auth: Auth,
    Json(input): Json<BookingInput>,
) -> Result<(StatusCode, Json<Appointment>), ApiError> {
    let who = match auth.principal {
        Some(p) if p.role == Role::Citizen => p,
        Some(_) => return Err(WebError::Forbidden("预约须由居民本人登录办理".into()).into()),
        None => return Err(WebError::Unauthorized.into()),
    };
    let a = writer::book(&state.db, who, input, chrono::Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Query of the statistics.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// The month, YYYY-MM.
    pub month: String,
}

/// The month's figures per office within the caller's scope.
#[utoipa::path(get, path = "/api/v1/marriage/stats", tag = "marriage", params(StatsQuery),
    responses((status = 200, body = [OfficeMonth])))]
pub async fn api_stats(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Vec<OfficeMonth>>, ApiError> {
    let month = minzheng_kernel::month::Month::parse(&q.month)
        .map_err(|_| WebError::BadRequest(format!("月份“{}”无效：应为 YYYY-MM", q.month)))?;
    let who = staff.principal;
    let rows = state
        .run(false, move |tx| -> Result<_, MarriageError> {
            stats::month(tx, &who, month)
        })
        .await?;
    Ok(Json(rows))
}
