//! The periodic review pages (动态管理): the worklist of reviews due by a month, scheduling the
//! month's reviews, setting a household's situation, and recording a review's outcome. A refused
//! form renders the page again with the reason (status 400); an accepted one redirects back with
//! a short message.

use super::{parse_month, this_month};
use crate::BenefitsError;
use crate::review::{self, CATEGORIES, Category, DueTask, Figures, Finding, OUTCOMES, Outcome};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minzheng_access::{Action, Principal};
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_ui::auth::urlencode;
use minzheng_ui::{AppState, Auth, Layout, Staff, WebError, render};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/benefits/reviews", get(reviews_page))
        .route("/benefits/reviews/schedule", post(schedule_post))
        .route("/benefits/reviews/category", post(category_post))
        .route("/benefits/reviews/{id}/outcome", post(outcome_post))
}

fn back(month: &str, msg: &str) -> Response {
    super::back(
        &format!("/benefits/reviews?month={}", urlencode(month)),
        msg,
    )
}

#[derive(Template)]
#[template(path = "benefits/review.html")]
struct ReviewsPage {
    layout: Layout,
    month: String,
    tasks: Vec<DueTask>,
    categories: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    min_reason: usize,
    msg: Option<String>,
    error: Option<String>,
}

/// Messages and the month asked for.
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    month: Option<String>,
    msg: Option<String>,
}

async fn render_page(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    month: Month,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    who.require(Action::ReviewManage)?;
    let tasks = state
        .run(false, move |tx| review::due(tx, &who, month))
        .await?;
    let page = render(&ReviewsPage {
        layout: Layout::new("benefits", auth),
        month: month.to_string(),
        tasks,
        categories: CATEGORIES.iter().map(|c| (c.code(), c.name_zh())).collect(),
        outcomes: OUTCOMES.iter().map(|o| (o.code(), o.name_zh())).collect(),
        min_reason: review::MIN_REASON_CHARS,
        msg,
        error: error.clone(),
    });
    Ok(if error.is_some() {
        (StatusCode::BAD_REQUEST, page).into_response()
    } else {
        page
    })
}

/// A refusal the user can fix shows on the page; anything else is an error page.
async fn refused(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    month: Month,
    e: BenefitsError,
) -> Result<Response, WebError> {
    match e {
        BenefitsError::Invalid(m) | BenefitsError::Conflict(m) => {
            render_page(state, auth, who, month, None, Some(m)).await
        }
        BenefitsError::Parameter(m) => {
            render_page(
                state,
                auth,
                who,
                month,
                None,
                Some(format!("政策参数有误：{m}")),
            )
            .await
        }
        e => Err(e.into()),
    }
}

async fn reviews_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let month = match q.month.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_month(s)?,
        None => this_month(),
    };
    render_page(&state, &auth, staff.principal, month, q.msg, None).await
}

#[derive(Deserialize)]
struct ScheduleForm {
    month: String,
}

async fn schedule_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<ScheduleForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let month = match parse_month(&f.month) {
        Ok(m) => m,
        Err(e) => return refused(&state, &auth, who, this_month(), e).await,
    };
    let w = who.clone();
    match state
        .run(true, move |tx| review::schedule(tx, &w, month))
        .await
    {
        Ok(out) => Ok(back(&month.to_string(), &out.message_zh())),
        Err(e) => refused(&state, &auth, who, month, e).await,
    }
}

#[derive(Deserialize)]
struct CategoryForm {
    enrolment_id: i64,
    category: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    month: String,
}

async fn category_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<CategoryForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let month = parse_month(&f.month).unwrap_or_else(|_| this_month());
    let category = match Category::parse(&f.category) {
        Ok(c) => c,
        Err(e) => return refused(&state, &auth, who, month, e).await,
    };
    let w = who.clone();
    let (id, reason) = (f.enrolment_id, f.reason);
    match state
        .run(true, move |tx| {
            review::set_category(tx, &w, id, category, &reason)
        })
        .await
    {
        Ok(()) => Ok(back(
            &month.to_string(),
            &format!("已登记家庭情况：{}", category.name_zh()),
        )),
        Err(e) => refused(&state, &auth, who, month, e).await,
    }
}

#[derive(Deserialize)]
struct OutcomeForm {
    outcome: String,
    review_month: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    members: String,
    #[serde(default)]
    counted_income: String,
    #[serde(default)]
    supplement: String,
    #[serde(default)]
    month: String,
}

/// The new figures, when any was filled in: then members and income are required.
fn figures(f: &OutcomeForm) -> Result<Option<Figures>, BenefitsError> {
    let (m, i, s) = (
        f.members.trim(),
        f.counted_income.trim(),
        f.supplement.trim(),
    );
    if m.is_empty() && i.is_empty() && s.is_empty() {
        return Ok(None);
    }
    if m.is_empty() || i.is_empty() {
        return Err(BenefitsError::Invalid(
            "填写新的家庭情况时，保障人数和家庭月收入都要填写".into(),
        ));
    }
    let members: i64 = m
        .parse()
        .map_err(|_| BenefitsError::Invalid(format!("保障人数“{m}”应为整数")))?;
    let yuan = |text: &str, label: &str| -> Result<Fen, BenefitsError> {
        if text.is_empty() {
            return Ok(Fen(0));
        }
        Fen::parse_yuan(text)
            .map_err(|e| BenefitsError::Invalid(format!("{label}“{text}”无效：{e}")))
    };
    Ok(Some(Figures {
        members,
        counted_income: yuan(i, "家庭月收入")?,
        supplement: yuan(s, "分类施保金额")?,
    }))
}

async fn outcome_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<OutcomeForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let month = parse_month(&f.month).unwrap_or_else(|_| this_month());
    let finding = (|| -> Result<Finding, BenefitsError> {
        Ok(Finding {
            outcome: Outcome::parse(&f.outcome)?,
            review_month: parse_month(&f.review_month)?,
            reason: f.reason.clone(),
            figures: figures(&f)?,
        })
    })();
    let finding = match finding {
        Ok(x) => x,
        Err(e) => return refused(&state, &auth, who, month, e).await,
    };
    let w = who.clone();
    match state
        .run(true, move |tx| review::record_outcome(tx, &w, id, &finding))
        .await
    {
        Ok(r) => Ok(back(&month.to_string(), &r.message_zh())),
        Err(e) => refused(&state, &auth, who, month, e).await,
    }
}
