//! The pages of the area: the worklist and a citizen's own requests at `/governance`, raising a
//! request (a phone-sized form), a request's page with the form of each step it may take next,
//! 一约三会 (pact, councils, meetings, votes), 四张清单 with pushed tasks, the indicators, and each
//! community's public board at `/governance/board/{code}` (no sign-in).

use crate::GovernanceError;
use crate::councils::{self, MeetingRow, MeetingView, NewMeeting, PactVersion};
use crate::duty::{self, BurdenRow, DutyLists, Push, PushOutcome, PushedRow};
use crate::indicators::{self, Board, Indicators, Level};
use crate::requests::{
    self, Choice, Decision, EventRow, NewRequest, Photo, ProgressRow, Referral, RequestRecord,
    Screening,
};
use crate::rules::{Act, Step};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minzheng_access::{Action, Principal, Role};
use minzheng_ui::{AppState, Auth, Layout, Staff, WebError, render};
use serde::Deserialize;

/// The routes of the pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/governance", get(index))
        .route("/governance/requests/new", get(new_request_page))
        .route("/governance/requests", post(raise))
        .route("/governance/requests/{id}", get(request_page))
        .route("/governance/requests/{id}/photos", post(add_photos))
        .route("/governance/requests/{id}/photos/{aid}", get(photo))
        .route("/governance/requests/{id}/{act}", post(request_act))
        .route("/governance/councils", get(councils_page).post(add_pact))
        .route("/governance/meetings", post(create_meeting))
        .route("/governance/meetings/{id}", get(meeting_page))
        .route("/governance/meetings/{id}/vote", post(vote))
        .route("/governance/meetings/{id}/resolve", post(resolve))
        .route("/governance/duty-lists", get(duty_page).post(adopt_lists))
        .route("/governance/duty-lists/items", post(add_item))
        .route("/governance/tasks", post(push_task))
        .route("/governance/indicators", get(indicators_page))
        .route(
            "/governance/options",
            get(options_page).post(options_submit),
        )
        .route("/governance/board", get(board_lookup))
        .route("/governance/board/{code}", get(board_page))
}

fn today() -> chrono::NaiveDate {
    minzheng_kernel::id_number::china_today()
}

fn signed_in(auth: &Auth) -> Result<Principal, Box<Response>> {
    auth.principal
        .clone()
        .ok_or_else(|| Box::new(Redirect::to("/citizen/sign-in").into_response()))
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// An error shown on the page it came from: bad input stays on the page with the reason.
fn user_message(e: GovernanceError) -> Result<String, WebError> {
    match e {
        GovernanceError::Invalid(m)
        | GovernanceError::Conflict(m)
        | GovernanceError::Forbidden(m) => Ok(m),
        GovernanceError::Access(a @ minzheng_access::AccessError::Forbidden(_)) => {
            Ok(a.to_string())
        }
        other => Err(other.into()),
    }
}

fn label(options: &[Choice], code: Option<&str>) -> String {
    code.map(|c| {
        options
            .iter()
            .find(|o| o.code == c)
            .map(|o| o.name.clone())
            .unwrap_or_else(|| c.to_owned())
    })
    .unwrap_or_default()
}

// ---- index: worklist, or a citizen's own requests ----

/// A worklist line.
struct Line {
    id: i64,
    place: String,
    step: String,
    category: String,
    summary: String,
    raised_on: String,
    deadline: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "governance/index.html")]
struct IndexPage {
    layout: Layout,
    citizen: bool,
    signed_in: bool,
    lines: Vec<Line>,
    steps: Vec<Choice>,
    filter_step: String,
    filter_prefix: String,
    meetings: Vec<MeetingRow>,
    can_raise: bool,
    can_manage: bool,
    can_push: bool,
    home_community: String,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    step: Option<String>,
    prefix: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let Some(who) = auth.principal.clone() else {
        return Ok(render(&IndexPage {
            layout: Layout::new("governance", &auth),
            citizen: false,
            signed_in: false,
            lines: vec![],
            steps: vec![],
            filter_step: String::new(),
            filter_prefix: String::new(),
            meetings: vec![],
            can_raise: false,
            can_manage: false,
            can_push: false,
            home_community: String::new(),
        }));
    };
    let filter = requests::ListFilter {
        step: q.step.clone().filter(|s| !s.is_empty()),
        prefix: q.prefix.clone(),
    };
    let w = who.clone();
    let (recs, steps, categories, meetings) = state
        .run(false, move |tx| {
            let recs = requests::list(tx, &w, &filter)?;
            let meetings = councils::meetings(tx, &w)?;
            Ok::<_, GovernanceError>((
                recs,
                requests::choices(tx, "step")?,
                requests::choices(tx, "category")?,
                meetings,
            ))
        })
        .await?;
    let today = today().to_string();
    let lines = recs
        .iter()
        .map(|r| Line {
            id: r.id,
            place: indicators::unit_name(&r.region_code),
            step: label(&steps, Some(r.step.id())),
            category: label(&categories, Some(&r.category)),
            summary: r.description.chars().take(40).collect(),
            raised_on: r.raised_on.clone(),
            deadline: r.deadline.clone().unwrap_or_default(),
            overdue: r.deadline.as_deref().is_some_and(|d| d < today.as_str())
                && matches!(
                    r.step,
                    Step::Decide | Step::Deliberate | Step::Publicize | Step::Implement
                ),
        })
        .collect();
    Ok(render(&IndexPage {
        layout: Layout::new("governance", &auth),
        citizen: who.role == Role::Citizen,
        signed_in: true,
        lines,
        steps,
        filter_step: q.step.unwrap_or_default(),
        filter_prefix: q.prefix.unwrap_or_default(),
        meetings,
        can_raise: who.can(Action::RequestRaise),
        can_manage: who.can(Action::GovernanceManage),
        can_push: who.can(Action::TaskPush),
        home_community: if who.scope_code.len() == 12 {
            who.scope_code.clone()
        } else {
            String::new()
        },
    }))
}

// ---- raising a request ----

#[derive(Template)]
#[template(path = "governance/request_new.html")]
struct NewRequestPage {
    layout: Layout,
    citizen: bool,
    categories: Vec<Choice>,
    channels: Vec<Choice>,
    form: RaiseForm,
    error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct RaiseForm {
    #[serde(default)]
    community: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    raiser_name: String,
    #[serde(default)]
    raiser_phone: String,
}

#[derive(Deserialize, Default)]
struct CommunityQuery {
    community: Option<String>,
}

async fn render_new(
    state: &AppState,
    auth: &Auth,
    who: &Principal,
    form: RaiseForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let (categories, channels) = state
        .run(false, |tx| {
            Ok::<_, GovernanceError>((
                requests::choices(tx, "category")?,
                requests::choices(tx, "channel")?,
            ))
        })
        .await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = NewRequestPage {
        layout: Layout::new("governance", auth),
        citizen: who.role == Role::Citizen,
        categories,
        channels: channels.into_iter().filter(|c| c.code != "phone").collect(),
        form,
        error,
    };
    Ok((status, render(&page)).into_response())
}

async fn new_request_page(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<CommunityQuery>,
) -> Result<Response, WebError> {
    let who = match signed_in(&auth) {
        Ok(w) => w,
        Err(r) => return Ok(*r),
    };
    let community = q.community.unwrap_or_else(|| {
        if who.scope_code.len() == 12 {
            who.scope_code.clone()
        } else {
            String::new()
        }
    });
    render_new(
        &state,
        &auth,
        &who,
        RaiseForm {
            community,
            ..Default::default()
        },
        None,
    )
    .await
}

async fn raise(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<RaiseForm>,
) -> Result<Response, WebError> {
    let who = match signed_in(&auth) {
        Ok(w) => w,
        Err(r) => return Ok(*r),
    };
    let new = NewRequest {
        community: f.community.clone(),
        channel: f.channel.clone(),
        category: f.category.clone(),
        description: f.description.clone(),
        raiser_name: f.raiser_name.clone(),
        raiser_phone: Some(f.raiser_phone.clone()).filter(|p| !p.trim().is_empty()),
        photos: vec![],
    };
    let w = who.clone();
    match state
        .run(true, move |tx| requests::raise(tx, &w, &new, today()))
        .await
    {
        Ok(id) => Ok(see_other(&format!("/governance/requests/{id}?done=raise"))),
        Err(e) => {
            let m = user_message(e)?;
            render_new(&state, &auth, &who, f, Some(m)).await
        }
    }
}

// ---- a request's page and its steps ----

#[derive(Template)]
#[template(path = "governance/request.html")]
struct RequestPage {
    layout: Layout,
    r: RequestRecord,
    place: String,
    step_name: String,
    channel: String,
    category: String,
    triage: String,
    owner_kind: String,
    raiser: String,
    phone: String,
    budget: String,
    on_time: String,
    events: Vec<(String, String, EventRow)>,
    progress: Vec<ProgressRow>,
    photos: Vec<i64>,
    referral: Option<Referral>,
    referral_overdue: bool,
    meetings: Vec<MeetingRow>,
    triage_options: Vec<Choice>,
    owner_options: Vec<Choice>,
    acts: Vec<&'static str>,
    can_photo: bool,
    staff: bool,
    error: Option<String>,
    done: Option<String>,
}

impl RequestPage {
    fn can(&self, act: &str) -> bool {
        self.acts.contains(&act)
    }
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

async fn render_request(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    id: i64,
    error: Option<String>,
    done: Option<String>,
) -> Result<Response, WebError> {
    let w = who.clone();
    let loaded = state
        .run(false, move |tx| {
            let r = requests::load(tx, &w, id)?;
            let events = requests::events(tx, id)?;
            let progress = requests::progress_rows(tx, id)?;
            let photos = requests::photo_ids(tx, id)?;
            let referral = requests::referral(tx, id)?;
            let meetings = if w.role == Role::Citizen {
                vec![]
            } else {
                councils::meetings(tx, &w)?
                    .into_iter()
                    .filter(|m| m.request_id == Some(id))
                    .collect()
            };
            let opts = |tx: &mut minzheng_store::Tx<'_>, k: &str| requests::choices(tx, k);
            Ok::<_, GovernanceError>((
                r,
                events,
                progress,
                photos,
                referral,
                meetings,
                opts(tx, "step")?,
                opts(tx, "channel")?,
                opts(tx, "category")?,
                opts(tx, "triage")?,
                opts(tx, "owner_kind")?,
            ))
        })
        .await?;
    let (
        r,
        events,
        progress,
        photos,
        referral,
        meetings,
        steps,
        channels,
        categories,
        triage_options,
        owner_options,
    ) = loaded;
    let staff = who.role != Role::Citizen;
    let acts: Vec<&'static str> = requests::possible_acts(&who, &r)
        .into_iter()
        .map(Act::id)
        .collect();
    let events = events
        .into_iter()
        .map(|e| {
            let from = label(&steps, e.from_step.as_deref());
            let to = label(&steps, Some(&e.to_step));
            (from, to, e)
        })
        .collect();
    let page = RequestPage {
        layout: Layout::new("governance", auth),
        place: requests::place_name(&r.region_code),
        step_name: label(&steps, Some(r.step.id())),
        channel: label(&channels, Some(&r.channel)),
        category: label(&categories, Some(&r.category)),
        triage: label(&triage_options, r.triage.as_deref()),
        owner_kind: label(&owner_options, r.owner_kind.as_deref()),
        raiser: r.raiser_name.clone(),
        phone: r
            .raiser_phone
            .as_deref()
            .map(minzheng_kernel::mask::phone)
            .unwrap_or_default(),
        budget: r
            .budget_fen
            .map(|b| minzheng_kernel::money::Fen(b).yuan_string())
            .unwrap_or_default(),
        on_time: match r.on_time {
            Some(true) => "按期".into(),
            Some(false) => "逾期".into(),
            None => String::new(),
        },
        can_photo: !matches!(r.step, Step::Revise | Step::Closed)
            && (who.can(Action::RequestHandle) || r.raiser_account_id == Some(who.account_id)),
        r,
        events,
        progress,
        photos,
        referral_overdue: referral
            .as_ref()
            .is_some_and(|f| f.answer.is_none() && f.deadline < today().to_string()),
        referral,
        meetings,
        triage_options,
        owner_options,
        acts,
        staff,
        error: error.clone(),
        done,
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page)).into_response())
}

async fn request_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let who = match signed_in(&auth) {
        Ok(w) => w,
        Err(r) => return Ok(*r),
    };
    render_request(&state, &auth, who, id, None, q.done).await
}

#[derive(Deserialize, Default, Clone)]
struct ActForm {
    triage: Option<String>,
    reason: Option<String>,
    department: Option<String>,
    answer: Option<String>,
    decision: Option<String>,
    owner_kind: Option<String>,
    owner_name: Option<String>,
    plan: Option<String>,
    budget: Option<String>,
    deadline_workdays: Option<String>,
    meeting_id: Option<String>,
    percent: Option<String>,
    note: Option<String>,
    rating: Option<String>,
    comment: Option<String>,
    review: Option<String>,
}

fn number(v: &Option<String>, field: &str) -> Result<i64, GovernanceError> {
    v.as_deref()
        .map(str::trim)
        .unwrap_or("")
        .parse::<i64>()
        .map_err(|_| GovernanceError::Invalid(format!("请填写{field}（整数）")))
}

async fn request_act(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, act)): Path<(i64, String)>,
    Form(f): Form<ActForm>,
) -> Result<Response, WebError> {
    let who = match signed_in(&auth) {
        Ok(w) => w,
        Err(r) => return Ok(*r),
    };
    let w = who.clone();
    let act2 = act.clone();
    let result = state
        .run(true, move |tx| {
            let s = |o: &Option<String>| o.clone().unwrap_or_default();
            let d = today();
            match act2.as_str() {
                "screen" => requests::screen(
                    tx,
                    &w,
                    id,
                    &Screening {
                        triage: s(&f.triage),
                        reason: s(&f.reason),
                        department: f.department.clone().filter(|x| !x.trim().is_empty()),
                    },
                    d,
                ),
                "answer_referral" => requests::answer_referral(tx, &w, id, &s(&f.answer), d),
                "decide" => {
                    let accept = f.decision.as_deref() == Some("accept");
                    let workdays = if accept {
                        number(&f.deadline_workdays, "办理期限")?
                    } else {
                        0
                    };
                    requests::decide(
                        tx,
                        &w,
                        id,
                        &Decision {
                            accept,
                            reason: s(&f.reason),
                            owner_kind: s(&f.owner_kind),
                            owner_name: s(&f.owner_name),
                            plan: s(&f.plan),
                            budget: s(&f.budget),
                            deadline_workdays: workdays,
                        },
                        d,
                    )
                }
                "deliberate" => {
                    requests::deliberate(tx, &w, id, number(&f.meeting_id, "会议编号")?)
                }
                "publicize" => requests::publicize(tx, &w, id, d),
                "progress" => requests::progress(
                    tx,
                    &w,
                    id,
                    number(&f.percent, "完成进度")?,
                    &s(&f.note),
                    &[],
                    d,
                ),
                "complete" => requests::complete(tx, &w, id, d),
                "rate" => {
                    requests::rate(tx, &w, id, number(&f.rating, "评价星级")?, &s(&f.comment))
                }
                "review" => requests::review(tx, &w, id, &s(&f.review), d),
                "reopen" => requests::reopen(tx, &w, id, &s(&f.reason), d).map(|_| ()),
                _ => Err(GovernanceError::NotFound),
            }
        })
        .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/governance/requests/{id}?done={act}"))),
        Err(e) => {
            let m = user_message(e)?;
            render_request(&state, &auth, who, id, Some(m), None).await
        }
    }
}

async fn add_photos(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let who = match signed_in(&auth) {
        Ok(w) => w,
        Err(r) => return Ok(*r),
    };
    let htmx = headers.contains_key("hx-request");
    let result = match minzheng_ui::multipart::parse(&headers, &body) {
        Ok(parts) => {
            let photos: Vec<Photo> = parts
                .into_iter()
                .filter(|p| p.is_file())
                .map(|p| Photo {
                    file_name: p.file_name.unwrap_or_default(),
                    bytes: p.bytes,
                })
                .collect();
            state
                .run(true, move |tx| requests::add_photos(tx, &who, id, &photos))
                .await
        }
        Err(message) => Err(GovernanceError::Invalid(message)),
    };
    match result {
        Ok(n) => {
            let to = format!("/governance/requests/{id}?done=photos");
            if htmx {
                Ok((
                    StatusCode::OK,
                    [("hx-redirect", to)],
                    format!("已上传 {n} 张照片"),
                )
                    .into_response())
            } else {
                Ok(see_other(&to))
            }
        }
        Err(e) => {
            let m = user_message(e)?;
            // htmx swaps only successful responses: the reason goes into the form's result box.
            let status = if htmx {
                StatusCode::OK
            } else {
                StatusCode::BAD_REQUEST
            };
            let html = format!(
                "<div class=\"error-box\" role=\"alert\">{}</div>",
                askama_escape(&m)
            );
            Ok((
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response())
        }
    }
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn photo(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, aid)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let who = auth.principal.clone().ok_or(WebError::NotFound)?;
    let (ct, bytes) = state
        .run(false, move |tx| requests::photo(tx, &who, id, aid))
        .await?;
    Ok(minzheng_ui::download::stored_file(&ct, "照片", bytes))
}

// ---- 一约三会 ----

#[derive(Template)]
#[template(path = "governance/councils.html")]
struct CouncilsPage {
    layout: Layout,
    community: String,
    place: String,
    pact: Vec<PactVersion>,
    council_kinds: Vec<Choice>,
    meetings: Vec<MeetingRow>,
    can_manage: bool,
    can_convene: bool,
    request_id: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct CouncilQuery {
    community: Option<String>,
    request_id: Option<String>,
}

async fn render_councils(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    community: String,
    request_id: String,
    error: Option<String>,
) -> Result<Response, WebError> {
    let code = community.clone();
    let w = who.clone();
    let (pact, kinds, meetings) = state
        .run(false, move |tx| {
            let pact = if code.len() == 12 {
                councils::pact_versions(tx, &code)?
            } else {
                vec![]
            };
            let meetings: Vec<MeetingRow> = councils::meetings(tx, &w)?
                .into_iter()
                .filter(|m| code.is_empty() || m.region_code.starts_with(&code))
                .collect();
            Ok::<_, GovernanceError>((pact, councils::council_kinds(tx)?, meetings))
        })
        .await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = CouncilsPage {
        layout: Layout::new("governance", auth),
        place: if community.len() == 12 {
            requests::place_name(&community)
        } else {
            String::new()
        },
        community,
        pact,
        council_kinds: kinds,
        meetings,
        can_manage: who.can(Action::GovernanceManage),
        can_convene: who.can(Action::RequestHandle),
        request_id,
        error,
    };
    Ok((status, render(&page)).into_response())
}

async fn councils_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<CouncilQuery>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let community = q.community.unwrap_or_else(|| {
        if who.scope_code.len() == 12 {
            who.scope_code.clone()
        } else {
            String::new()
        }
    });
    render_councils(
        &state,
        &auth,
        who,
        community.trim().to_owned(),
        q.request_id.unwrap_or_default(),
        None,
    )
    .await
}

#[derive(Deserialize, Default)]
struct PactForm {
    community: String,
    title: String,
    content: String,
    valid_from: String,
}

async fn add_pact(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<PactForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let (w, c) = (who.clone(), f.community.clone());
    match state
        .run(true, move |tx| {
            councils::add_pact_version(tx, &w, &c, &f.title, &f.content, &f.valid_from, today())
        })
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/governance/councils?community={}",
            f.community.trim()
        ))),
        Err(e) => {
            let m = user_message(e)?;
            render_councils(
                &state,
                &auth,
                who,
                f.community.trim().to_owned(),
                String::new(),
                Some(m),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
struct MeetingForm {
    community: String,
    council_kind: String,
    request_id: Option<String>,
    topic: String,
    held_on: String,
    participants: String,
}

async fn create_meeting(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<MeetingForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let request_id = f.request_id.clone().filter(|s| !s.trim().is_empty());
    let parsed = match request_id.as_deref().map(|s| s.trim().parse::<i64>()) {
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return render_councils(
                &state,
                &auth,
                who,
                f.community.trim().to_owned(),
                String::new(),
                Some("诉求编号应为数字".into()),
            )
            .await;
        }
        None => None,
    };
    let m = NewMeeting {
        community: f.community.clone(),
        council_kind: f.council_kind.clone(),
        request_id: parsed,
        topic: f.topic.clone(),
        held_on: f.held_on.clone(),
        participants: f
            .participants
            .split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
            .map(str::to_owned)
            .collect(),
    };
    let w = who.clone();
    match state
        .run(true, move |tx| {
            councils::create_meeting(tx, &w, &m, today())
        })
        .await
    {
        Ok(id) => Ok(see_other(&format!("/governance/meetings/{id}"))),
        Err(e) => {
            let msg = user_message(e)?;
            render_councils(
                &state,
                &auth,
                who,
                f.community.trim().to_owned(),
                request_id.unwrap_or_default(),
                Some(msg),
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "governance/meeting.html")]
struct MeetingPage {
    layout: Layout,
    m: MeetingView,
    place: String,
    my_vote: Option<String>,
    participant: bool,
    can_resolve: bool,
    choices: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

async fn render_meeting(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    id: i64,
    error: Option<String>,
) -> Result<Response, WebError> {
    let w = who.clone();
    let m = state
        .run(false, move |tx| councils::meeting(tx, &w, id))
        .await?;
    let mine = m.participants.iter().find(|p| p.0 == who.account_id);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = MeetingPage {
        layout: Layout::new("governance", auth),
        place: requests::place_name(&m.region_code),
        my_vote: mine.and_then(|p| p.3.clone()),
        participant: mine.is_some(),
        can_resolve: who.can(Action::RequestHandle)
            && who.scope().contains(&m.region_code)
            && m.status == "open",
        m,
        choices: councils::CHOICES.to_vec(),
        error,
    };
    Ok((status, render(&page)).into_response())
}

async fn meeting_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let who = match signed_in(&auth) {
        Ok(w) => w,
        Err(r) => return Ok(*r),
    };
    render_meeting(&state, &auth, who, id, None).await
}

#[derive(Deserialize, Default)]
struct VoteForm {
    choice: String,
}

async fn vote(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Form(f): Form<VoteForm>,
) -> Result<Response, WebError> {
    let who = match signed_in(&auth) {
        Ok(w) => w,
        Err(r) => return Ok(*r),
    };
    let w = who.clone();
    match state
        .run(true, move |tx| councils::vote(tx, &w, id, &f.choice))
        .await
    {
        Ok(()) => Ok(see_other(&format!("/governance/meetings/{id}"))),
        Err(GovernanceError::NotFound) => Err(WebError::NotFound),
        Err(e) => {
            let m = user_message(e)?;
            match render_meeting(&state, &auth, who, id, Some(m.clone())).await {
                Ok(r) => Ok(r),
                // Someone who may not even see the meeting: the reason, plainly.
                Err(_) => Err(WebError::Forbidden(m)),
            }
        }
    }
}

#[derive(Deserialize, Default)]
struct ResolveForm {
    resolution: String,
    minutes: String,
}

async fn resolve(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let w = who.clone();
    match state
        .run(true, move |tx| {
            councils::resolve(tx, &w, id, &f.resolution, &f.minutes)
        })
        .await
    {
        Ok(_) => Ok(see_other(&format!("/governance/meetings/{id}"))),
        Err(e) => {
            let m = user_message(e)?;
            render_meeting(&state, &auth, who, id, Some(m)).await
        }
    }
}

// ---- 四张清单 and pushed tasks ----

#[derive(Template)]
#[template(path = "governance/duty.html")]
struct DutyPage {
    layout: Layout,
    community: String,
    place: String,
    lists: Option<DutyLists>,
    kinds: Vec<Choice>,
    pushed: Vec<PushedRow>,
    can_manage: bool,
    can_push: bool,
    outcome: Option<PushOutcome>,
    error: Option<String>,
}

async fn render_duty(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    community: String,
    outcome: Option<PushOutcome>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let code = community.clone();
    let w = who.clone();
    let (lists, kinds, pushed) = state
        .run(false, move |tx| {
            let lists = if code.len() == 12 {
                Some(duty::lists(tx, &code)?)
            } else {
                None
            };
            let pushed: Vec<PushedRow> = duty::pushed(tx, &w)?
                .into_iter()
                .filter(|p| code.is_empty() || p.region_code.starts_with(&code))
                .collect();
            Ok::<_, GovernanceError>((lists, requests::choices(tx, "duty_list_kind")?, pushed))
        })
        .await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = DutyPage {
        layout: Layout::new("governance", auth),
        place: if community.len() == 12 {
            requests::place_name(&community)
        } else {
            String::new()
        },
        community,
        lists,
        kinds,
        pushed,
        can_manage: who.can(Action::GovernanceManage),
        can_push: who.can(Action::TaskPush),
        outcome,
        error,
    };
    Ok((status, render(&page)).into_response())
}

async fn duty_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<CommunityQuery>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let community = q.community.unwrap_or_else(|| {
        if who.scope_code.len() == 12 {
            who.scope_code.clone()
        } else {
            String::new()
        }
    });
    render_duty(&state, &auth, who, community.trim().to_owned(), None, None).await
}

#[derive(Deserialize, Default)]
struct AdoptForm {
    community: String,
    effective_from: String,
    #[serde(default)]
    self_governance: String,
    #[serde(default)]
    assist_government: String,
    #[serde(default)]
    forbidden: String,
    #[serde(default)]
    certificate: String,
}

async fn adopt_lists(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<AdoptForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let mut items = Vec::new();
    for (kind, text) in [
        ("self_governance", &f.self_governance),
        ("assist_government", &f.assist_government),
        ("forbidden", &f.forbidden),
        ("certificate", &f.certificate),
    ] {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            items.push((kind.to_owned(), line.to_owned()));
        }
    }
    let (w, c, e) = (who.clone(), f.community.clone(), f.effective_from.clone());
    match state
        .run(true, move |tx| duty::adopt(tx, &w, &c, &e, &items, today()))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/governance/duty-lists?community={}",
            f.community.trim()
        ))),
        Err(e) => {
            let m = user_message(e)?;
            render_duty(
                &state,
                &auth,
                who,
                f.community.trim().to_owned(),
                None,
                Some(m),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
struct ItemForm {
    community: String,
    kind: String,
    name: String,
}

async fn add_item(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<ItemForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let community = f.community.trim().to_owned();
    let w = who.clone();
    match state
        .run(true, move |tx| {
            duty::add_item(tx, &w, &f.community, &f.kind, &f.name, today())
        })
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/governance/duty-lists?community={community}"
        ))),
        Err(e) => {
            let m = user_message(e)?;
            render_duty(&state, &auth, who, community, None, Some(m)).await
        }
    }
}

#[derive(Deserialize, Default)]
struct PushForm {
    community: String,
    kind: String,
    title: String,
    department: String,
}

async fn push_task(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<PushForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let w = who.clone();
    let community = f.community.trim().to_owned();
    let p = Push {
        community: f.community,
        kind: f.kind,
        title: f.title,
        department: f.department,
    };
    match state
        .run(true, move |tx| duty::push(tx, &w, &p, today()))
        .await
    {
        Ok(outcome) => render_duty(&state, &auth, who, community, Some(outcome), None).await,
        Err(e) => {
            let m = user_message(e)?;
            render_duty(&state, &auth, who, community, None, Some(m)).await
        }
    }
}

// ---- indicators ----

#[derive(Template)]
#[template(path = "governance/indicators.html")]
struct IndicatorsPage {
    layout: Layout,
    level: String,
    prefix: String,
    ind: Indicators,
    burden: Vec<BurdenRow>,
    next_level: String,
}

#[derive(Deserialize, Default)]
struct IndicatorQuery {
    level: Option<String>,
    prefix: Option<String>,
}

async fn indicators_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<IndicatorQuery>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let level_id = q.level.clone().unwrap_or_else(|| {
        match who.scope_code.len() {
            0..=2 => "district",
            6 => "street",
            _ => "community",
        }
        .to_owned()
    });
    let level = Level::from_id(&level_id).unwrap_or(Level::District);
    let prefix = q.prefix.clone().unwrap_or_default();
    let p2 = prefix.clone();
    let (ind, burden) = state
        .run(false, move |tx| {
            let ind = indicators::indicators(tx, &who, level, Some(&p2), today())?;
            let burden = duty::burden(tx, &who, if level == Level::District { 6 } else { 9 })?;
            Ok::<_, GovernanceError>((ind, burden))
        })
        .await?;
    Ok(render(&IndicatorsPage {
        layout: Layout::new("governance", &auth),
        level: level_id,
        prefix,
        ind,
        burden,
        next_level: match level {
            Level::District => "street".into(),
            _ => "community".into(),
        },
    }))
}

// ---- the public board ----

#[derive(Template)]
#[template(path = "governance/board.html")]
struct BoardPage {
    layout: Layout,
    board: Option<Board>,
    code: String,
    error: Option<String>,
}

async fn board_lookup(auth: Auth, Query(q): Query<CommunityQuery>) -> Response {
    if let Some(c) = q
        .community
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        return see_other(&format!("/governance/board/{c}"));
    }
    render(&BoardPage {
        layout: Layout::new("governance", &auth),
        board: None,
        code: String::new(),
        error: None,
    })
}

async fn board_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    let c = code.clone();
    match state
        .run(false, move |tx| indicators::board(tx, &c, today()))
        .await
    {
        Ok(b) => Ok(render(&BoardPage {
            layout: Layout::new("governance", &auth),
            board: Some(b),
            code,
            error: None,
        })),
        Err(GovernanceError::Invalid(m)) => Ok((
            StatusCode::NOT_FOUND,
            render(&BoardPage {
                layout: Layout::new("governance", &auth),
                board: None,
                code,
                error: Some(m),
            }),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// ---- the local definitions (configuration) ----

#[derive(Template)]
#[template(path = "governance/options.html")]
struct OptionsPage {
    layout: Layout,
    kinds: Vec<(&'static str, &'static str, bool, Vec<Choice>)>,
    can_edit: bool,
    error: Option<String>,
}

async fn render_options(
    state: &AppState,
    auth: &Auth,
    who: &Principal,
    error: Option<String>,
) -> Result<Response, WebError> {
    let kinds = state
        .run(false, |tx| {
            let mut out = Vec::new();
            for (k, name, add) in requests::OPTION_KINDS {
                out.push((k, name, add, requests::choices(tx, k)?));
            }
            Ok::<_, GovernanceError>(out)
        })
        .await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = OptionsPage {
        layout: Layout::new("governance", auth),
        kinds,
        can_edit: who.can(Action::GovernanceManage) && who.scope_code.len() <= 2,
        error,
    };
    Ok((status, render(&page)).into_response())
}

async fn options_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
) -> Result<Response, WebError> {
    render_options(&state, &auth, &staff.principal, None).await
}

#[derive(Deserialize, Default)]
struct OptionForm {
    kind: String,
    code: String,
    name: String,
    #[serde(default)]
    op: String,
}

async fn options_submit(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<OptionForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let w = who.clone();
    let result = state
        .run(true, move |tx| {
            if f.op == "add" {
                requests::add_choice(tx, &w, &f.kind, &f.code, &f.name)
            } else {
                requests::rename_choice(tx, &w, &f.kind, &f.code, &f.name)
            }
        })
        .await;
    match result {
        Ok(()) => Ok(see_other("/governance/options")),
        Err(e) => {
            let m = user_message(e)?;
            render_options(&state, &auth, &who, Some(m)).await
        }
    }
}
