//! The policy what-if page (政策调整测算): a form for one proposed standard and the month to
//! evaluate, and the result beside today's rules, by district and program with totals. The form
//! is a GET (nothing is written); a refused one shows the reason with status 400.

use crate::BenefitsError;
use crate::programs::Program;
use crate::whatif::{self, Figures, Outcome, Proposal};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minzheng_access::Action;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_ui::{AppState, Auth, Layout, Staff, WebError, render};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/benefits/what-if", get(page))
}

/// The form as typed (every field optional: an empty form shows the page without a result).
#[derive(Debug, Default, Deserialize)]
struct WhatIfForm {
    #[serde(default)]
    program: String,
    #[serde(default)]
    standard: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    region: String,
}

/// A row of the result table, formatted.
struct Row {
    district: String,
    program: &'static str,
    enrolments: u64,
    payable_now: u64,
    payable_proposed: u64,
    gained: u64,
    lost: u64,
    cost_now: String,
    cost_proposed: String,
    change: String,
}

fn signed(fen: i64) -> String {
    if fen > 0 {
        format!("+{}", Fen(fen).yuan_string())
    } else {
        Fen(fen).yuan_string()
    }
}

fn row(district: String, program: &'static str, f: &Figures) -> Row {
    Row {
        district,
        program,
        enrolments: f.enrolments,
        payable_now: f.payable_now,
        payable_proposed: f.payable_proposed,
        gained: f.gained,
        lost: f.lost,
        cost_now: Fen(f.cost_now).yuan_string(),
        cost_proposed: Fen(f.cost_proposed).yuan_string(),
        change: signed(f.change()),
    }
}

/// The result, formatted for the table.
struct Result {
    title: String,
    lines: Vec<Row>,
    by_program: Vec<Row>,
    total: Row,
}

fn result(out: &Outcome) -> Result {
    let described: Vec<String> = out.proposal.changes.iter().map(|c| c.describe()).collect();
    Result {
        title: format!("{} 月测算：{}", out.month, described.join("；")),
        lines: out
            .lines
            .iter()
            .map(|l| {
                row(
                    format!("{} {}", l.district, l.district_name),
                    l.program.name_zh(),
                    &l.figures,
                )
            })
            .collect(),
        by_program: out
            .by_program
            .iter()
            .map(|(p, f)| row("全部".into(), p.name_zh(), f))
            .collect(),
        total: row("合计".into(), "", &out.total),
    }
}

#[derive(Template)]
#[template(path = "benefits/whatif.html")]
struct WhatIfPage {
    layout: Layout,
    programs: Vec<(&'static str, &'static str)>,
    form: WhatIfForm,
    result: Option<Result>,
    error: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(mut form): Query<WhatIfForm>,
) -> std::result::Result<Response, WebError> {
    let who = staff.principal;
    who.require(Action::PolicyWhatIf)?;
    let this_month = Month::of(minzheng_kernel::id_number::china_today()).to_string();
    let submitted = !form.program.trim().is_empty();
    if form.from.trim().is_empty() {
        form.from = this_month.clone();
    }
    if form.month.trim().is_empty() {
        form.month = form.from.clone();
    }
    let mut error = None;
    let mut shown = None;
    if submitted {
        let parsed = (|| -> std::result::Result<(Proposal, Month), BenefitsError> {
            let change = whatif::parse_change(
                &form.program,
                &form.standard,
                &form.from,
                Some(form.region.as_str()),
            )?;
            let month = whatif::parse_month(&form.month, "测算月份")?;
            Ok((
                Proposal {
                    changes: vec![change],
                },
                month,
            ))
        })();
        let outcome = match parsed {
            Ok((proposal, month)) => {
                let w = who.clone();
                state
                    .run(false, move |tx| {
                        whatif::evaluate_in(tx, &w, &proposal, month)
                    })
                    .await
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(out) => shown = Some(result(&out)),
            Err(BenefitsError::Invalid(m) | BenefitsError::Conflict(m)) => error = Some(m),
            Err(BenefitsError::Parameter(m)) => error = Some(format!("政策参数有误：{m}")),
            Err(e) => return Err(e.into()),
        }
    }
    let programs = Program::ALL
        .into_iter()
        .filter(|p| !matches!(p, Program::TemporaryAssistance | Program::PriceSubsidy))
        .map(|p| (p.code(), p.name_zh()))
        .collect();
    let refused = error.is_some();
    let page = render(&WhatIfPage {
        layout: Layout::new("benefits", &auth),
        programs,
        form,
        result: shown,
        error,
    });
    Ok(if refused {
        (StatusCode::BAD_REQUEST, page).into_response()
    } else {
        page
    })
}
