//! The pages: the entry page and office list, the citizen's booking on the phone (office, day,
//! slot with the places left refreshed live, both parties), their appointments and cancelling,
//! the registrar's desk, the divorce applications, office management and the statistics.

use crate::offices::{self, OfficeStatus, SlotView};
use crate::rules::{Kind, REFUSAL_REASONS};
use crate::services::{self, Appointment, BookingInput, PartyInput};
use crate::{MarriageError, desk, stats, writer};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use minzheng_access::Action;
use minzheng_kernel::id_number::china_today;
use minzheng_ui::{AppState, Auth, Citizen, Layout, Staff, WebError, render};
use serde::Deserialize;

/// The routes of the pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/marriage", get(index))
        .route("/marriage/offices/{id}", get(office_page))
        .route("/marriage/offices/{id}/open-days", post(office_open_days))
        .route(
            "/marriage/offices/{id}/special-date",
            post(office_special_date),
        )
        .route("/marriage/offices/{id}/suspend", post(office_suspend))
        .route("/marriage/book", get(book_page).post(book_submit))
        .route("/marriage/slots/{id}/left", get(slot_left))
        .route("/marriage/my", get(my_page))
        .route("/marriage/my/{id}", get(my_appointment_page))
        .route("/marriage/my/{id}/cancel", post(my_cancel))
        .route("/marriage/desk", get(desk_page))
        .route("/marriage/desk/divorces", get(divorces_page))
        .route(
            "/marriage/desk/divorces/{id}/withdraw",
            post(divorce_withdraw),
        )
        .route("/marriage/desk/{id}", get(desk_appointment_page))
        .route("/marriage/desk/{id}/check-in", post(desk_check_in))
        .route("/marriage/desk/{id}/register", post(desk_register))
        .route("/marriage/desk/{id}/refuse", post(desk_refuse))
        .route("/marriage/stats", get(stats_page))
}

fn parse_day(s: &str) -> Result<NaiveDate, WebError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest(format!("日期“{s}”无效：应为 YYYY-MM-DD")))
}

fn bad(status: StatusCode, page: &impl Template) -> Response {
    (status, render(page)).into_response()
}

// ---- entry page and offices ----

#[derive(Template)]
#[template(path = "marriage/index.html")]
struct IndexPage {
    layout: Layout,
    today: NaiveDate,
    offices: Vec<OfficeStatus>,
    citizen: bool,
    desk: bool,
    read: bool,
    manage: bool,
}

async fn index(State(state): State<AppState>, auth: Auth) -> Result<Response, WebError> {
    let today = china_today();
    let offices = state
        .run(false, move |tx| offices::offices_on(tx, today))
        .await?;
    let p = auth.principal.as_ref();
    Ok(render(&IndexPage {
        layout: Layout::new("marriage", &auth),
        today,
        offices,
        citizen: p.is_some_and(|p| p.can(Action::MarriageBook)),
        desk: p.is_some_and(|p| p.can(Action::MarriageDesk)),
        read: p.is_some_and(|p| p.can(Action::MarriageRead)),
        manage: p.is_some_and(|p| p.can(Action::MarriageOfficeManage)),
    }))
}

#[derive(Template)]
#[template(path = "marriage/office.html")]
struct OfficePage {
    layout: Layout,
    office: offices::Office,
    suspended: Option<String>,
    today: NaiveDate,
    slots: Vec<SlotView>,
    manage: bool,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct DayQuery {
    day: Option<String>,
    office: Option<i64>,
    month: Option<String>,
}

async fn office_view(
    state: &AppState,
    auth: &Auth,
    id: i64,
    day: Option<NaiveDate>,
    message: Option<String>,
    error: Option<String>,
) -> Result<OfficePage, WebError> {
    let today = china_today();
    let day = day.unwrap_or(today);
    let (office, suspended, slots) = state
        .run(false, move |tx| -> Result<_, MarriageError> {
            let o = offices::office(tx, id)?;
            let s = offices::suspension_on(tx, id, day)?;
            let slots = offices::slots(tx, id, day, chrono::Utc::now())?;
            Ok((o, s, slots))
        })
        .await?;
    Ok(OfficePage {
        layout: Layout::new("marriage", auth),
        office,
        suspended,
        today: day,
        slots,
        manage: auth
            .principal
            .as_ref()
            .is_some_and(|p| p.can(Action::MarriageOfficeManage)),
        message,
        error,
    })
}

async fn office_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<DayQuery>,
) -> Result<Response, WebError> {
    let day = q.day.as_deref().map(parse_day).transpose()?;
    Ok(render(
        &office_view(&state, &auth, id, day, None, None).await?,
    ))
}

#[derive(Deserialize)]
struct OpenDaysForm {
    from: String,
    to: String,
}

async fn office_result(
    state: &AppState,
    auth: &Auth,
    id: i64,
    r: Result<String, MarriageError>,
) -> Result<Response, WebError> {
    match r {
        Ok(m) => Ok(render(
            &office_view(state, auth, id, None, Some(m), None).await?,
        )),
        Err(MarriageError::Invalid(m)) => Ok(bad(
            StatusCode::BAD_REQUEST,
            &office_view(state, auth, id, None, None, Some(m)).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

async fn office_open_days(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<OpenDaysForm>,
) -> Result<Response, WebError> {
    let (from, to) = (parse_day(&f.from)?, parse_day(&f.to)?);
    let who = staff.principal;
    let r = state
        .run(true, move |tx| offices::open_days(tx, &who, id, from, to))
        .await
        .map(|n| format!("已开放 {n} 个时段"));
    office_result(&state, &auth, id, r).await
}

#[derive(Deserialize)]
struct SpecialForm {
    day: String,
    open: String,
    quota: Option<String>,
    reason: String,
}

async fn office_special_date(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<SpecialForm>,
) -> Result<Response, WebError> {
    let day = parse_day(&f.day)?;
    let quota = match f.quota.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(q) => Some(
            q.parse::<i64>()
                .map_err(|_| WebError::BadRequest("名额应为整数".into()))?,
        ),
        None => None,
    };
    let open = f.open == "open";
    let who = staff.principal;
    let reason = f.reason;
    let r = state
        .run(true, move |tx| {
            offices::set_special_date(tx, &who, id, day, open, quota, &reason, chrono::Utc::now())
        })
        .await
        .map(|n| {
            if open {
                format!("{day} 已设为开放日，新增 {n} 个时段")
            } else {
                format!("{day} 已关闭，{n} 个时段停止预约")
            }
        });
    office_result(&state, &auth, id, r).await
}

#[derive(Deserialize)]
struct SuspendForm {
    from: String,
    to: Option<String>,
    reason: String,
}

async fn office_suspend(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<SuspendForm>,
) -> Result<Response, WebError> {
    let from = parse_day(&f.from)?;
    let to = match f.to.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => Some(parse_day(t)?),
        None => None,
    };
    let who = staff.principal;
    let reason = f.reason;
    let r = state
        .run(true, move |tx| {
            offices::suspend(tx, &who, id, from, to, &reason, chrono::Utc::now())
        })
        .await
        .map(|n| format!("已暂停办理；期间有 {n} 个有效预约需联系预约人"));
    office_result(&state, &auth, id, r).await
}

// ---- the citizen's booking ----

#[derive(Template)]
#[template(path = "marriage/book.html")]
struct BookPage {
    layout: Layout,
    offices: Vec<OfficeStatus>,
    office: Option<i64>,
    days: Vec<NaiveDate>,
    day: Option<NaiveDate>,
    slots: Vec<SlotView>,
    kinds: Vec<(&'static str, &'static str)>,
    hukou: Vec<(String, String)>,
    form: BookForm,
    key: String,
    error: Option<String>,
}

impl BookPage {
    fn is_office(&self, id: &i64) -> bool {
        self.office == Some(*id)
    }
    fn is_day(&self, d: &NaiveDate) -> bool {
        self.day == Some(*d)
    }
    fn is_slot(&self, id: &i64) -> bool {
        self.form.slot_id == Some(*id)
    }
}

/// The booking form as posted.
#[derive(Deserialize, Default, Clone)]
struct BookForm {
    office: i64,
    day: String,
    slot_id: Option<i64>,
    kind: String,
    party1_name: String,
    party1_id_number: String,
    party1_hukou: String,
    party2_name: String,
    party2_id_number: String,
    party2_hukou: String,
    idempotency_key: String,
}

async fn book_view(
    state: &AppState,
    auth: &Auth,
    office: Option<i64>,
    day: Option<NaiveDate>,
    form: BookForm,
    error: Option<String>,
) -> Result<BookPage, WebError> {
    let today = china_today();
    let (offices_list, days, slots) = state
        .run(false, move |tx| -> Result<_, MarriageError> {
            let list = offices::offices_on(tx, today)?;
            let days = match office {
                Some(o) => offices::bookable_days(tx, o, today)?,
                None => Vec::new(),
            };
            let slots = match (office, day) {
                (Some(o), Some(d)) => offices::slots(tx, o, d, chrono::Utc::now())?,
                _ => Vec::new(),
            };
            Ok((list, days, slots))
        })
        .await?;
    let key = if form.idempotency_key.is_empty() {
        minzheng_access::random_token(18).map_err(WebError::from)?
    } else {
        form.idempotency_key.clone()
    };
    Ok(BookPage {
        layout: Layout::new("marriage", auth),
        offices: offices_list,
        office,
        days,
        day,
        slots,
        kinds: Kind::ALL.iter().map(|k| (k.id(), k.name_zh())).collect(),
        hukou: offices::hukou_choices(),
        form,
        key,
        error,
    })
}

async fn book_page(
    State(state): State<AppState>,
    auth: Auth,
    _citizen: Citizen,
    Query(q): Query<DayQuery>,
) -> Result<Response, WebError> {
    let day = q
        .day
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(parse_day)
        .transpose()?;
    let form = BookForm {
        kind: "marriage".into(),
        ..BookForm::default()
    };
    Ok(render(
        &book_view(&state, &auth, q.office, day, form, None).await?,
    ))
}

async fn book_submit(
    State(state): State<AppState>,
    auth: Auth,
    citizen: Citizen,
    Form(f): Form<BookForm>,
) -> Result<Response, WebError> {
    let day = parse_day(&f.day).ok();
    let Some(slot_id) = f.slot_id else {
        let page = book_view(
            &state,
            &auth,
            Some(f.office),
            day,
            f.clone(),
            Some("请选择时段".into()),
        )
        .await?;
        return Ok(bad(StatusCode::BAD_REQUEST, &page));
    };
    let Some(kind) = Kind::parse(&f.kind) else {
        return Err(WebError::BadRequest("请选择办理事项".into()));
    };
    let input = BookingInput {
        slot_id,
        kind,
        party1: PartyInput {
            name: f.party1_name.clone(),
            id_number: f.party1_id_number.clone(),
            hukou: f.party1_hukou.clone(),
        },
        party2: PartyInput {
            name: f.party2_name.clone(),
            id_number: f.party2_id_number.clone(),
            hukou: f.party2_hukou.clone(),
        },
        idempotency_key: f.idempotency_key.clone(),
    };
    match writer::book(&state.db, citizen.principal, input, chrono::Utc::now()).await {
        Ok(a) => Ok(Redirect::to(&format!("/marriage/my/{}?booked=1", a.id)).into_response()),
        Err(MarriageError::Invalid(m)) => {
            let page = book_view(&state, &auth, Some(f.office), day, f.clone(), Some(m)).await?;
            Ok(bad(StatusCode::BAD_REQUEST, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "marriage/left.html")]
struct LeftFragment {
    slot: SlotView,
}

async fn slot_left(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let slot = state
        .run(false, move |tx| -> Result<_, MarriageError> {
            let r = tx
                .query_opt(
                    "SELECT office_id, day FROM time_slot WHERE id = $1",
                    minzheng_store::params![id],
                )?
                .ok_or(MarriageError::NotFound)?;
            let (office, day): (i64, NaiveDate) = (r.get(0)?, r.get(1)?);
            offices::slots(tx, office, day, chrono::Utc::now())?
                .into_iter()
                .find(|s| s.id == id)
                .ok_or(MarriageError::NotFound)
        })
        .await?;
    Ok(render(&LeftFragment { slot }))
}

#[derive(Template)]
#[template(path = "marriage/my.html")]
struct MyPage {
    layout: Layout,
    appointments: Vec<Appointment>,
}

async fn my_page(
    State(state): State<AppState>,
    auth: Auth,
    citizen: Citizen,
) -> Result<Response, WebError> {
    let who = citizen.principal;
    let appointments = state
        .run(false, move |tx| services::my_appointments(tx, &who))
        .await?;
    Ok(render(&MyPage {
        layout: Layout::new("marriage", &auth),
        appointments,
    }))
}

#[derive(Template)]
#[template(path = "marriage/appointment.html")]
struct MyAppointmentPage {
    layout: Layout,
    a: Appointment,
    booked: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct BookedQuery {
    booked: Option<String>,
}

async fn my_appointment_page(
    State(state): State<AppState>,
    auth: Auth,
    citizen: Citizen,
    Path(id): Path<i64>,
    Query(q): Query<BookedQuery>,
) -> Result<Response, WebError> {
    let who = citizen.principal;
    let a = state
        .run(false, move |tx| services::my_appointment(tx, &who, id))
        .await?;
    Ok(render(&MyAppointmentPage {
        layout: Layout::new("marriage", &auth),
        a,
        booked: q.booked.is_some(),
        error: None,
    }))
}

async fn my_cancel(
    State(state): State<AppState>,
    auth: Auth,
    citizen: Citizen,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let who = citizen.principal.clone();
    match state
        .run(true, move |tx| {
            services::cancel(tx, &who, id, chrono::Utc::now())
        })
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/marriage/my/{id}")).into_response()),
        Err(MarriageError::Invalid(m)) => {
            let who = citizen.principal;
            let a = state
                .run(false, move |tx| services::my_appointment(tx, &who, id))
                .await?;
            Ok(bad(
                StatusCode::BAD_REQUEST,
                &MyAppointmentPage {
                    layout: Layout::new("marriage", &auth),
                    a,
                    booked: false,
                    error: Some(m),
                },
            ))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the registrar's desk ----

#[derive(Template)]
#[template(path = "marriage/desk.html")]
struct DeskPage {
    layout: Layout,
    office: offices::Office,
    day: NaiveDate,
    appointments: Vec<Appointment>,
}

async fn desk_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<DayQuery>,
) -> Result<Response, WebError> {
    let today = china_today();
    let day = q
        .day
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(parse_day)
        .transpose()?
        .unwrap_or(today);
    let who = staff.principal;
    let (office, appointments) = state
        .run(true, move |tx| -> Result<_, MarriageError> {
            let o = desk::own_office(tx, &who)?;
            services::mark_no_shows(tx, &who, Some(o.id), today)?;
            let list = desk::day_list(tx, &who, day)?;
            Ok((o, list))
        })
        .await?;
    Ok(render(&DeskPage {
        layout: Layout::new("marriage", &auth),
        office,
        day,
        appointments,
    }))
}

#[derive(Template)]
#[template(path = "marriage/desk_appointment.html")]
struct DeskAppointmentPage {
    layout: Layout,
    a: Appointment,
    reasons: &'static [(&'static str, &'static str)],
    message: Option<String>,
    error: Option<String>,
}

async fn desk_view(
    state: &AppState,
    auth: &Auth,
    staff: &Staff,
    id: i64,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let a = state
        .run(false, move |tx| desk::appointment(tx, &who, id))
        .await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(bad(
        status,
        &DeskAppointmentPage {
            layout: Layout::new("marriage", auth),
            a,
            reasons: REFUSAL_REASONS,
            message,
            error,
        },
    ))
}

async fn desk_appointment_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    desk_view(&state, &auth, &staff, id, None, None).await
}

async fn desk_result<T>(
    state: &AppState,
    auth: &Auth,
    staff: &Staff,
    id: i64,
    r: Result<T, MarriageError>,
    message: impl FnOnce(T) -> String,
) -> Result<Response, WebError> {
    match r {
        Ok(v) => desk_view(state, auth, staff, id, Some(message(v)), None).await,
        Err(MarriageError::Invalid(m)) => desk_view(state, auth, staff, id, None, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct CheckInForm {
    id_number_1: String,
    id_number_2: String,
}

async fn desk_check_in(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<CheckInForm>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let r = state
        .run(true, move |tx| {
            desk::check_in(
                tx,
                &who,
                id,
                [&f.id_number_1, &f.id_number_2],
                china_today(),
                chrono::Utc::now(),
            )
        })
        .await;
    desk_result(&state, &auth, &staff, id, r, |_| {
        "双方已签到，核验通过".into()
    })
    .await
}

async fn desk_register(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let r = state
        .run(true, move |tx| {
            desk::register(tx, &who, id, china_today(), chrono::Utc::now())
        })
        .await;
    desk_result(&state, &auth, &staff, id, r, |o| {
        match (&o.certificate_number, &o.appointment.outcome_reason) {
            (Some(c), _) => format!("已办结，证号 {c}"),
            (None, Some(r)) => r.clone(),
            _ => "已办结".into(),
        }
    })
    .await
}

#[derive(Deserialize)]
struct RefuseForm {
    reason: String,
    note: Option<String>,
}

async fn desk_refuse(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<RefuseForm>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let r = state
        .run(true, move |tx| {
            desk::refuse(
                tx,
                &who,
                id,
                &f.reason,
                f.note.as_deref().unwrap_or(""),
                chrono::Utc::now(),
            )
        })
        .await;
    desk_result(&state, &auth, &staff, id, r, |_| {
        "已不予办理并记录理由".into()
    })
    .await
}

#[derive(Template)]
#[template(path = "marriage/divorces.html")]
struct DivorcesPage {
    layout: Layout,
    applications: Vec<desk::DivorceApplication>,
    message: Option<String>,
    error: Option<String>,
}

async fn divorces_view(
    state: &AppState,
    auth: &Auth,
    staff: &Staff,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let applications = state
        .run(false, move |tx| {
            desk::divorce_applications(tx, &who, china_today())
        })
        .await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(bad(
        status,
        &DivorcesPage {
            layout: Layout::new("marriage", auth),
            applications,
            message,
            error,
        },
    ))
}

async fn divorces_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
) -> Result<Response, WebError> {
    divorces_view(&state, &auth, &staff, None, None).await
}

#[derive(Deserialize)]
struct WithdrawForm {
    id_number: String,
}

async fn divorce_withdraw(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let r = state
        .run(true, move |tx| {
            desk::withdraw_divorce(
                tx,
                &who,
                id,
                &f.id_number,
                china_today(),
                chrono::Utc::now(),
            )
        })
        .await;
    match r {
        Ok(()) => {
            divorces_view(
                &state,
                &auth,
                &staff,
                Some("已记录撤回，离婚登记申请终止".into()),
                None,
            )
            .await
        }
        Err(MarriageError::Invalid(m)) => divorces_view(&state, &auth, &staff, None, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

// ---- statistics ----

#[derive(Template)]
#[template(path = "marriage/stats.html")]
struct StatsPage {
    layout: Layout,
    month: String,
    rows: Vec<stats::OfficeMonth>,
}

async fn stats_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<DayQuery>,
) -> Result<Response, WebError> {
    let month = match q.month.as_deref().filter(|s| !s.is_empty()) {
        Some(m) => minzheng_kernel::month::Month::parse(m)
            .map_err(|_| WebError::BadRequest(format!("月份“{m}”无效：应为 YYYY-MM")))?,
        None => minzheng_kernel::month::Month::of(china_today()),
    };
    let who = staff.principal;
    let rows = state
        .run(false, move |tx| stats::month(tx, &who, month))
        .await?;
    Ok(render(&StatsPage {
        layout: Layout::new("marriage", &auth),
        month: format!("{:04}-{:02}", month.year(), month.month()),
        rows,
    }))
}
