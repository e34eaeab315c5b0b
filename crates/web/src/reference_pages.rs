//! Reference data on the web: the calendar, regions and policy parameters as public JSON reads,
//! and the administrators' pages to load a new year's notice and to add a dated parameter row.

use crate::auth::{Auth, Staff};
use crate::error::{ApiError, WebError};
use crate::pages::{Layout, render};
use crate::server::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use minzheng_access::Action;
use minzheng_kernel::params::Confidence;
use minzheng_reference::parameters::{self, NewParameter};
use minzheng_reference::{ReferenceError, calendar, regions};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The routes of reference data.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calendar/add-workdays", get(api_add_workdays))
        .route("/api/v1/calendar/workdays", get(api_workdays))
        .route("/api/v1/regions/{code}", get(api_region))
        .route("/api/v1/parameters/{key}", get(api_parameter))
        .route("/admin/calendar", get(calendar_page).post(calendar_load))
        .route("/admin/parameters", get(parameters_page))
        .route(
            "/admin/parameters/{key}",
            get(parameter_page).post(parameter_add),
        )
}

fn parse_date(s: &str) -> Result<NaiveDate, WebError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest(format!("日期“{s}”无效：应为 YYYY-MM-DD")))
}

/// Query of add-workdays.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AddWorkdaysQuery {
    /// Start date, YYYY-MM-DD.
    pub date: String,
    /// Working days to add (0 = the date itself if a working day, else the next one).
    pub n: u32,
}

/// A day computed from the calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayAnswer {
    /// The day.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// True when the answer depends on a year whose holiday notice is not loaded (weekends only).
    pub provisional: bool,
}

/// The N-th working day after a date.
#[utoipa::path(get, path = "/api/v1/calendar/add-workdays", tag = "reference", params(AddWorkdaysQuery),
    responses((status = 200, body = DayAnswer), (status = 400, description = "日期无效")))]
pub async fn api_add_workdays(
    State(state): State<AppState>,
    Query(q): Query<AddWorkdaysQuery>,
) -> Result<Json<DayAnswer>, ApiError> {
    let start = parse_date(&q.date)?;
    let n = q.n;
    let day = state
        .run(false, move |tx| -> Result<_, ReferenceError> {
            calendar::calendar(tx)?
                .add_workdays(start, n)
                .map_err(|e| ReferenceError::Invalid(e.to_string()))
        })
        .await?;
    Ok(Json(DayAnswer {
        date: day.date,
        provisional: day.provisional,
    }))
}

/// Query of workdays.
#[derive(Debug, Deserialize, IntoParams)]
pub struct WorkdaysQuery {
    /// From (not counted), YYYY-MM-DD.
    pub from: String,
    /// To (counted), YYYY-MM-DD.
    pub to: String,
}

/// A count of working days.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountAnswer {
    /// Working days in (from, to]; negative when `to` is before `from`.
    pub workdays: i64,
    /// True when the count depends on a year whose notice is not loaded.
    pub provisional: bool,
}

/// Working days between two dates.
#[utoipa::path(get, path = "/api/v1/calendar/workdays", tag = "reference", params(WorkdaysQuery),
    responses((status = 200, body = CountAnswer), (status = 400, description = "日期无效")))]
pub async fn api_workdays(
    State(state): State<AppState>,
    Query(q): Query<WorkdaysQuery>,
) -> Result<Json<CountAnswer>, ApiError> {
    let (from, to) = (parse_date(&q.from)?, parse_date(&q.to)?);
    let c = state
        .run(false, move |tx| -> Result<_, ReferenceError> {
            Ok(calendar::calendar(tx)?.workdays_between(from, to))
        })
        .await?;
    Ok(Json(CountAnswer {
        workdays: c.workdays,
        provisional: c.provisional,
    }))
}

/// Query of a dated lookup.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AsOfQuery {
    /// Date, YYYY-MM-DD (default today).
    pub as_of: Option<String>,
}

/// A division on a date (name, path, parent, subdivisions, MCA alias).
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "reference", params(("code" = String, Path, description = "2、6、9 或 12 位区划代码"), AsOfQuery),
    responses((status = 200, description = "区划信息", body = Object), (status = 400, description = "代码无效或不存在")))]
pub async fn api_region(
    Path(code): Path<String>,
    Query(q): Query<AsOfQuery>,
) -> Result<Response, ApiError> {
    let on = match q.as_of {
        Some(d) => parse_date(&d)?,
        None => minzheng_kernel::id_number::china_today(),
    };
    let v = regions::show(&code, on).map_err(WebError::from)?;
    Ok(Json(v).into_response())
}

/// Query of a parameter lookup.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ParameterQuery {
    /// The region code the value is wanted for (default `50`, the city).
    pub region: Option<String>,
    /// The date (default today).
    pub date: Option<String>,
}

/// The value of a policy parameter for a region on a date, with its source and confidence mark.
#[utoipa::path(get, path = "/api/v1/parameters/{key}", tag = "reference", params(("key" = String, Path, description = "参数键，如 dibao.standard.urban"), ParameterQuery),
    responses((status = 200, description = "参数取值", body = Object), (status = 400, description = "无此参数或该日期无取值")))]
pub async fn api_parameter(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<ParameterQuery>,
) -> Result<Response, ApiError> {
    let region = q.region.unwrap_or_else(|| "50".into());
    let date = match q.date {
        Some(d) => parse_date(&d)?,
        None => minzheng_kernel::id_number::china_today(),
    };
    let row = state
        .run(false, move |tx| -> Result<_, ReferenceError> {
            let set = parameters::parameter_set(tx)?;
            let row = set.value_of(&key, &region, date)?;
            Ok(serde_json::json!({
                "key": row.key.as_str(),
                "region_scope": row.region_scope,
                "value": row.value.amount(),
                "unit": row.unit().code(),
                "valid_from": row.valid_from,
                "source": row.source,
                "confidence": row.confidence.code(),
                "note": row.note,
            }))
        })
        .await?;
    Ok(Json(row).into_response())
}

// ---- calendar page ----

#[derive(Template)]
#[template(path = "reference/calendar.html")]
struct CalendarPage {
    layout: Layout,
    first_year: i32,
    last_year: i32,
    text: String,
    message: Option<String>,
    error: Option<String>,
}

async fn calendar_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
) -> Result<Response, WebError> {
    staff.principal.require(Action::CalendarManage)?;
    let (first, last) = state
        .run(false, |tx| -> Result<_, ReferenceError> {
            let c = calendar::calendar(tx)?;
            Ok((c.first_year(), c.last_year()))
        })
        .await?;
    Ok(render(&CalendarPage {
        layout: Layout::new("", &auth),
        first_year: first,
        last_year: last,
        text: String::new(),
        message: None,
        error: None,
    }))
}

#[derive(Deserialize)]
struct NoticeForm {
    text: String,
}

async fn calendar_load(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<NoticeForm>,
) -> Result<Response, WebError> {
    let actor = staff.principal.clone();
    let text = f.text.clone();
    let result = state
        .run(true, move |tx| calendar::load_notice(tx, &actor, &text))
        .await;
    let (message, error, status) = match result {
        Ok(n) => (
            Some(format!(
                "已载入 {} 年节假日安排（{} 条）",
                n.year(),
                n.entries().len()
            )),
            None,
            StatusCode::OK,
        ),
        Err(ReferenceError::Invalid(m)) => (None, Some(m), StatusCode::BAD_REQUEST),
        Err(e) => return Err(e.into()),
    };
    let (first, last) = state
        .run(false, |tx| -> Result<_, ReferenceError> {
            let c = calendar::calendar(tx)?;
            Ok((c.first_year(), c.last_year()))
        })
        .await?;
    let text = if error.is_some() {
        f.text
    } else {
        String::new()
    };
    Ok((
        status,
        render(&CalendarPage {
            layout: Layout::new("", &auth),
            first_year: first,
            last_year: last,
            text,
            message,
            error,
        }),
    )
        .into_response())
}

// ---- parameter pages ----

/// One line of the parameter list.
struct ParamLine {
    key: String,
    value: String,
    unit: &'static str,
    valid_from: NaiveDate,
    confidence: &'static str,
    source: String,
}

fn display_value(amount: i64, unit: minzheng_kernel::params::ParamUnit) -> String {
    use minzheng_kernel::params::ParamUnit;
    match unit {
        ParamUnit::Fen | ParamUnit::FenPerMonth => minzheng_kernel::money::Fen(amount).to_string(),
        _ => amount.to_string(),
    }
}

#[derive(Template)]
#[template(path = "reference/parameters.html")]
struct ParametersPage {
    layout: Layout,
    date: NaiveDate,
    lines: Vec<ParamLine>,
}

#[derive(Deserialize)]
struct DateQuery {
    date: Option<String>,
}

async fn parameters_page(
    State(state): State<AppState>,
    auth: Auth,
    _staff: Staff,
    Query(q): Query<DateQuery>,
) -> Result<Response, WebError> {
    let date = match q.date {
        Some(d) => parse_date(&d)?,
        None => minzheng_kernel::id_number::china_today(),
    };
    let lines = state
        .run(false, move |tx| -> Result<_, ReferenceError> {
            let set = parameters::parameter_set(tx)?;
            let mut lines = Vec::new();
            for key in set.keys() {
                if let Ok(row) = set.value_of(key, "50", date) {
                    lines.push(ParamLine {
                        key: key.to_owned(),
                        value: display_value(row.value.amount(), row.unit()),
                        unit: row.unit().label_zh(),
                        valid_from: row.valid_from,
                        confidence: row.confidence.label_zh(),
                        source: row.source.clone(),
                    });
                }
            }
            Ok(lines)
        })
        .await?;
    Ok(render(&ParametersPage {
        layout: Layout::new("", &auth),
        date,
        lines,
    }))
}

/// One row of a parameter's history.
struct HistoryLine {
    scope: String,
    value: String,
    valid_from: NaiveDate,
    confidence: &'static str,
    source: String,
    note: String,
}

#[derive(Template)]
#[template(path = "reference/parameter.html")]
struct ParameterPage {
    layout: Layout,
    key: String,
    unit: &'static str,
    history: Vec<HistoryLine>,
    can_manage: bool,
    error: Option<String>,
}

async fn render_parameter(
    state: &AppState,
    auth: &Auth,
    staff: &Staff,
    key: String,
    error: Option<String>,
) -> Result<Response, WebError> {
    let k = key.clone();
    let (unit, history) = state
        .run(false, move |tx| -> Result<_, ReferenceError> {
            let set = parameters::parameter_set(tx)?;
            let rows: Vec<_> = set
                .rows()
                .into_iter()
                .filter(|r| r.key.as_str() == k)
                .cloned()
                .collect();
            let unit = rows
                .first()
                .map(|r| r.unit().label_zh())
                .ok_or_else(|| ReferenceError::Invalid(format!("参数 {k} 不存在")))?;
            let history = rows
                .iter()
                .map(|r| HistoryLine {
                    scope: if r.region_scope.is_empty() {
                        "全国".into()
                    } else {
                        r.region_scope.clone()
                    },
                    value: display_value(r.value.amount(), r.unit()),
                    valid_from: r.valid_from,
                    confidence: r.confidence.label_zh(),
                    source: r.source.clone(),
                    note: r.note.clone(),
                })
                .collect();
            Ok((unit, history))
        })
        .await
        .map_err(|e| match e {
            // An unknown key is a page that does not exist.
            ReferenceError::Invalid(_) => WebError::NotFound,
            other => WebError::from(other),
        })?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = ParameterPage {
        layout: Layout::new("", auth),
        key,
        unit,
        history,
        can_manage: staff.principal.can(Action::ParameterManage),
        error,
    };
    Ok((status, render(&page)).into_response())
}

async fn parameter_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    render_parameter(&state, &auth, &staff, key, None).await
}

#[derive(Deserialize)]
struct ParameterForm {
    region_scope: String,
    value: String,
    valid_from: String,
    source: String,
    confidence: String,
    note: String,
}

async fn parameter_add(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(key): Path<String>,
    Form(f): Form<ParameterForm>,
) -> Result<Response, WebError> {
    let valid_from = match parse_date(&f.valid_from) {
        Ok(d) => d,
        Err(e) => return render_parameter(&state, &auth, &staff, key, Some(e.to_string())).await,
    };
    let confidence: Confidence = match f.confidence.parse() {
        Ok(c) => c,
        Err(_) => {
            return render_parameter(&state, &auth, &staff, key, Some("请选择可信度".into())).await;
        }
    };
    let new = NewParameter {
        key: key.clone(),
        region_scope: f.region_scope,
        value: f.value,
        valid_from,
        source: f.source,
        confidence,
        note: f.note,
    };
    let actor = staff.principal.clone();
    match state
        .run(true, move |tx| parameters::add(tx, &actor, &new))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/parameters/{key}")).into_response()),
        Err(ReferenceError::Invalid(m)) => {
            render_parameter(&state, &auth, &staff, key, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}
