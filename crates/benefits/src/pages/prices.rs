//! The price-subsidy page: every month with its indices, whether it triggered and the amount per
//! person, the recipients imported per group, and (for those who manage price indices) the forms
//! to enter a month's indices and to import recipients.
//!
//! A refused form renders the page again with the reason (status 400); an accepted one redirects
//! back with a short message.

use crate::BenefitsError;
use crate::prices::{self, Recorded};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minzheng_access::{Action, Principal};
use minzheng_kernel::month::Month;
use minzheng_store::Tx;
use minzheng_ui::{AppState, Auth, Layout, Staff, WebError, render};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/benefits/prices", get(page).post(record_post))
        .route("/benefits/prices/recipients", post(import_post))
}

/// One month as the page lists it.
struct MonthRow {
    month: String,
    cpi: String,
    food: String,
    scpi: String,
    source: String,
    entered: String,
    /// The trigger sentence, or "未触发".
    status: String,
    triggered: bool,
    /// The amount per person with its sentence, or why it cannot be computed.
    amount: String,
    paid: bool,
}

#[derive(Template)]
#[template(path = "benefits/prices.html")]
struct PricesPage {
    layout: Layout,
    months: Vec<MonthRow>,
    groups: Vec<(&'static str, &'static str, i64)>,
    manage: bool,
    columns: &'static str,
    /// What the forms held when refused, so nothing typed is lost.
    form: RecordForm,
    csv: String,
    msg: Option<String>,
    error: Option<String>,
}

/// Messages passed back after a redirect.
#[derive(Debug, Default, Deserialize)]
struct Flash {
    msg: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct RecordForm {
    #[serde(default)]
    month: String,
    #[serde(default)]
    cpi: String,
    #[serde(default)]
    food: String,
    #[serde(default)]
    scpi: String,
    #[serde(default)]
    source: String,
}

#[derive(Debug, Default, Deserialize)]
struct ImportForm {
    #[serde(default)]
    csv: String,
}

fn months(tx: &mut Tx<'_>) -> Result<Vec<MonthRow>, BenefitsError> {
    let params = minzheng_reference::parameters::parameter_set(tx)?;
    let mut out = Vec::new();
    for r in prices::list_indices(tx)? {
        let (status, triggered) = match prices::trigger(&params, r.month, &r.index) {
            Ok(Some(t)) => (t.explanation, true),
            Ok(None) => ("未触发".to_owned(), false),
            Err(e) => (e.to_string(), false),
        };
        let amount = match prices::amount(&params, "50", r.month, &r.index) {
            Ok(Some(a)) => a.explanation,
            Ok(None) => "—".to_owned(),
            Err(e) => e.to_string(),
        };
        out.push(MonthRow {
            month: r.month.to_string(),
            cpi: prices::percent(r.index.cpi_yoy_bp),
            food: prices::percent(r.index.food_cpi_yoy_bp),
            scpi: r
                .index
                .scpi_yoy_bp
                .map(prices::percent)
                .unwrap_or_else(|| "未录入".into()),
            source: r.source,
            entered: format!(
                "{} {}",
                r.entered_by,
                &r.entered_at[..10.min(r.entered_at.len())]
            ),
            status,
            triggered,
            amount,
            paid: prices::subsidy_paid(tx, r.month)?,
        });
    }
    Ok(out)
}

async fn render_page(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    form: RecordForm,
    csv: String,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    who.require(Action::BenefitsRead)?;
    let w = who.clone();
    let (months, counts) = state
        .run(false, move |tx| -> Result<_, BenefitsError> {
            Ok((months(tx)?, prices::recipient_counts(tx, &w)?))
        })
        .await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = render(&PricesPage {
        layout: Layout::new("benefits", auth),
        months,
        groups: counts
            .into_iter()
            .map(|(g, n)| (g.code(), g.name_zh(), n))
            .collect(),
        manage: who.can(Action::PriceIndexManage),
        columns: prices::RECIPIENT_COLUMNS,
        form,
        csv,
        msg,
        error,
    });
    Ok((status, page).into_response())
}

async fn page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(f): Query<Flash>,
) -> Result<Response, WebError> {
    render_page(
        &state,
        &auth,
        staff.principal,
        RecordForm::default(),
        String::new(),
        f.msg,
        None,
    )
    .await
}

fn back(msg: &str) -> Response {
    super::back("/benefits/prices", msg)
}

async fn record_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<RecordForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    who.require(Action::PriceIndexManage)?;
    let result = match Month::parse(&f.month) {
        Err(e) => Err(BenefitsError::Invalid(e.to_string())),
        Ok(month) => {
            let (w, g) = (who.clone(), f.clone());
            state
                .run(true, move |tx| {
                    prices::record_index(tx, &w, month, &g.cpi, &g.food, &g.scpi, &g.source)
                        .map(|r| (month, r))
                })
                .await
        }
    };
    match result {
        Ok((month, r)) => Ok(back(&match r {
            Recorded::Created => format!("{month} 物价指数已录入"),
            Recorded::Corrected => format!("{month} 物价指数已更正"),
            Recorded::Unchanged => format!("{month} 物价指数与已录入的相同，未作更改"),
        })),
        Err(BenefitsError::Invalid(m) | BenefitsError::Conflict(m)) => {
            render_page(&state, &auth, who, f, String::new(), None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn import_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<ImportForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    who.require(Action::PriceIndexManage)?;
    let (w, csv) = (who.clone(), f.csv.clone());
    let result = state
        .run(true, move |tx| prices::import_recipients(tx, &w, &csv))
        .await;
    match result {
        Ok(n) => Ok(back(&format!("已导入 {n} 名补贴对象"))),
        Err(
            e @ (BenefitsError::Lines(_) | BenefitsError::Invalid(_) | BenefitsError::Conflict(_)),
        ) => {
            let m = e.to_string();
            render_page(
                &state,
                &auth,
                who,
                RecordForm::default(),
                f.csv,
                None,
                Some(m),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
