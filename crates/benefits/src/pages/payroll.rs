//! The payroll pages: the area's entry page with the month's cycles per district, computing a
//! month, a cycle with its control totals next to the actual sums, its stages and its lines, the
//! approve and authorize steps, the downloads, and the enrolments with their payments.
//!
//! A refused step renders its page again with the reason (status 400); an accepted one redirects
//! back with a short message. A cycle or enrolment outside the user's region is "not found".

use super::{back, parse_month, this_month};
use crate::BenefitsError;
use crate::export::{self, Format, TotalRow};
use crate::payroll::{self, Cycle};
use crate::programs::{CareTier, Program};
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use minzheng_access::{AccessError, Action, Principal};
use minzheng_kernel::mask;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::region::{RegionCode, RegionTree};
use minzheng_store::{Db, ToValue, Tx, params};
use minzheng_ui::auth::urlencode;
use minzheng_ui::{AppState, Auth, Layout, Staff, WebError, render};
use serde::Deserialize;
use std::io::{self, Write};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/benefits", get(home))
        .route("/benefits/compute", post(compute))
        .route("/benefits/cycles/{id}", get(cycle_page))
        .route("/benefits/cycles/{id}/release", post(release))
        .route("/benefits/cycles/{id}/{step}", post(advance))
        .route("/benefits/bank-files/{id}", get(bank_file_download))
        .route(
            "/benefits/bank-files/{id}/return",
            post(return_upload).layer(DefaultBodyLimit::max(RETURN_FILE_BYTES)),
        )
        .route("/benefits/worklist", get(worklist_page))
        .route("/benefits/worklist/{id}/resolve", post(resolve))
        .route("/benefits/enrolments/from-decision", post(from_decision))
        .route("/benefits/enrolments/import", post(import_enrolments))
        .route("/benefits/cycles/{id}/export.csv", get(export_csv))
        .route("/benefits/cycles/{id}/export.xlsx", get(export_xlsx))
        .route("/benefits/months/{month}/export.csv", get(month_csv))
        .route("/benefits/months/{month}/export.xlsx", get(month_xlsx))
        .route("/benefits/enrolments", get(enrolments_page))
        .route("/benefits/enrolments/{id}", get(enrolment_page))
}

/// Lines shown per page of a cycle.
const LINES_PER_PAGE: i64 = 200;
/// Enrolments shown per page of a search.
const ENROLMENTS_PER_PAGE: i64 = 50;

fn district_name(code: &str) -> String {
    RegionCode::parse(&format!("{code}000000"))
        .ok()
        .and_then(|c| RegionTree::chongqing().lookup(c).ok())
        .map(|n| n.name.clone())
        .unwrap_or_else(|| code.to_owned())
}

fn answer(page: Response, error: bool) -> Response {
    if error {
        (StatusCode::BAD_REQUEST, page).into_response()
    } else {
        page
    }
}

fn yuan(fen: i64) -> String {
    Fen(fen).to_string()
}

fn status_name(code: &str) -> &'static str {
    payroll::stage_name(code)
}

// ---------------------------------------------------------------- home

#[derive(Debug, Default, Deserialize)]
struct HomeQuery {
    month: Option<String>,
    msg: Option<String>,
}

/// A cycle as the home page lists it.
struct CycleRow {
    cycle: Cycle,
    district: String,
    status: &'static str,
    total: String,
}

#[derive(Template)]
#[template(path = "benefits/home.html")]
struct HomePage {
    layout: Layout,
    month: String,
    rows: Vec<CycleRow>,
    lines: i64,
    total: String,
    compute: bool,
    msg: Option<String>,
    error: Option<String>,
}

async fn home_render(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    month: Month,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    who.require(Action::BenefitsRead)?;
    let w = who.clone();
    let cycles = state
        .run(false, move |tx| payroll::cycles(tx, &w, month))
        .await?;
    let lines = cycles.iter().map(|c| c.line_count).sum();
    let total = yuan(cycles.iter().map(|c| c.total_fen).sum());
    let rows = cycles
        .into_iter()
        .map(|c| CycleRow {
            district: district_name(&c.district_code),
            status: status_name(&c.status),
            total: yuan(c.total_fen),
            cycle: c,
        })
        .collect();
    let is_error = error.is_some();
    Ok(answer(
        render(&HomePage {
            layout: Layout::new("benefits", auth),
            month: month.to_string(),
            rows,
            lines,
            total,
            compute: who.can(Action::PayrollCompute),
            msg,
            error,
        }),
        is_error,
    ))
}

async fn home(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<HomeQuery>,
) -> Result<Response, WebError> {
    let month = match q.month.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_month(s)?,
        None => this_month(),
    };
    home_render(&state, &auth, staff.principal, month, q.msg, None).await
}

#[derive(Deserialize)]
struct ComputeForm {
    month: String,
}

async fn compute(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<ComputeForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    who.require(Action::PayrollCompute)?;
    let month = match parse_month(&f.month) {
        Ok(m) => m,
        Err(BenefitsError::Invalid(m)) => {
            return home_render(&state, &auth, who, this_month(), None, Some(m)).await;
        }
        Err(e) => return Err(e.into()),
    };
    // The payroll runs its own transactions on two threads: off the async workers.
    let db: Db = state.db.clone();
    let w = who.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        payroll::compute_month(&db, &w, month, &mut |_, _, _| {})
    })
    .await
    .map_err(|e| WebError::Internal(format!("发放名册计算任务中断：{e}")))?;
    match outcome {
        Ok(o) => {
            let done = o.districts.iter().filter(|d| !d.already).count();
            let total: i64 = o.districts.iter().map(|d| d.total_fen).sum();
            let msg = format!(
                "{month} 已生成 {done} 个区县的发放名册，共 {} 笔、{}；{} 个区县此前已生成，未重复计算",
                o.lines_written(),
                yuan(total),
                o.already()
            );
            Ok(minzheng_ui::flash::redirect(
                &format!("/benefits?month={month}"),
                &msg,
            ))
        }
        Err(
            BenefitsError::Invalid(m) | BenefitsError::Conflict(m) | BenefitsError::Parameter(m),
        ) => home_render(&state, &auth, who, month, None, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- one cycle

/// A stage reached: what, by whom, when.
struct Stage {
    name: &'static str,
    by: String,
    at: String,
}

/// A payment line as the cycle page shows it.
struct LineRow {
    id: i64,
    program: String,
    id_number: String,
    region_code: String,
    bank_code: String,
    kind: &'static str,
    for_month: String,
    amount: String,
    explanation: String,
}

struct CycleView {
    cycle: Cycle,
    files: Vec<crate::bank::BankFile>,
    stages: Vec<Stage>,
    totals: Vec<TotalRow>,
    check_error: Option<String>,
    lines: Vec<LineRow>,
}

#[derive(Template)]
#[template(path = "benefits/cycle.html")]
struct CyclePage {
    layout: Layout,
    district: String,
    v: CycleView,
    total: String,
    page: i64,
    pages: i64,
    approve: bool,
    authorize: bool,
    release: bool,
    close: bool,
    msg: Option<String>,
    error: Option<String>,
}

impl CyclePage {
    fn yuan(&self, fen: &i64) -> String {
        yuan(*fen)
    }
    /// A control count, or a dash where the user sees part of the district only.
    fn control_count(&self, t: &TotalRow) -> String {
        t.control
            .map(|(c, _)| c.to_string())
            .unwrap_or_else(|| "—".into())
    }
    /// A control amount, the same way.
    fn control_amount(&self, t: &TotalRow) -> String {
        t.control
            .map(|(_, f)| yuan(f))
            .unwrap_or_else(|| "—".into())
    }
    fn status(&self) -> &'static str {
        status_name(&self.v.cycle.status)
    }
    /// The first 16 hex digits of a checksum, enough to read out on the phone to the bank.
    fn short<'a>(&self, sha: &'a str) -> &'a str {
        &sha[..sha.len().min(16)]
    }
}

fn cycle_view(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    page: i64,
) -> Result<CycleView, BenefitsError> {
    let cycle = export::cycle(tx, who, id)?;
    let r = tx.query_one(
        "SELECT computed_by, computed_at, approved_by, approved_at, authorized_by, authorized_at,
                released_by, released_at, reconciled_by, reconciled_at, closed_by, closed_at
         FROM payroll_cycle WHERE id = $1",
        params![id],
    )?;
    let mut stages = Vec::new();
    for (i, (_, name)) in payroll::STAGES.iter().enumerate() {
        let by: Option<String> = r.get(2 * i)?;
        let at: Option<String> = r.get(2 * i + 1)?;
        if let (Some(by), Some(at)) = (by, at) {
            stages.push(Stage {
                name,
                by,
                at: china_time(&at),
            });
        }
    }
    let totals = export::totals(tx, who, &cycle)?;
    let files = if cycle.whole && who.can(Action::PayrollRelease) {
        crate::bank::bank_files(tx, who, id)?
    } else {
        Vec::new()
    };
    let check_error = if !cycle.whole {
        None
    } else {
        match payroll::check_totals(tx, &cycle) {
            Ok(()) => None,
            Err(BenefitsError::Conflict(m)) => Some(m),
            Err(e) => return Err(e),
        }
    };
    let unmask = who.can(Action::PersonUnmask);
    let offset = (page - 1) * LINES_PER_PAGE;
    // The lines of the user's scope only, as the counts above and the exports.
    let (cond, values) = payroll::line_scope(who, &cycle, 4);
    let mut ps: Vec<&dyn ToValue> = vec![&id, &LINES_PER_PAGE, &offset];
    ps.extend(values.iter().map(|v| v as &dyn ToValue));
    let rows = tx.query(
        &format!(
            "SELECT id, program, id_number, region_code, bank_code, kind, for_month, amount_fen, explanation
             FROM payment WHERE cycle_id = $1 AND {cond} ORDER BY id LIMIT $2 OFFSET $3"
        ),
        &ps,
    )?;
    let mut lines = Vec::with_capacity(rows.len());
    for r in rows {
        let program: String = r.get(1)?;
        let id_number: String = r.get(2)?;
        let kind: String = r.get(5)?;
        lines.push(LineRow {
            id: r.get(0)?,
            program: Program::parse(&program)
                .map(|p| p.name_zh().to_owned())
                .unwrap_or(program),
            id_number: if unmask {
                id_number
            } else {
                mask::id_number(&id_number)
            },
            region_code: r.get(3)?,
            bank_code: r.get(4)?,
            kind: export::kind_name(&kind),
            for_month: r.get(6)?,
            amount: yuan(r.get(7)?),
            explanation: r.get(8)?,
        });
    }
    Ok(CycleView {
        cycle,
        files,
        stages,
        totals,
        check_error,
        lines,
    })
}

/// `2020-02-01T03:04:05.000000Z` → `2020-02-01 11:04` (China time).
fn china_time(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| {
            (t.with_timezone(&chrono::Utc) + chrono::TimeDelta::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| s.to_owned())
}

#[derive(Debug, Default, Deserialize)]
struct CycleQuery {
    page: Option<String>,
    msg: Option<String>,
}

async fn cycle_render(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    id: i64,
    page: i64,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    who.require(Action::BenefitsRead)?;
    let w = who.clone();
    let v = state
        .run(false, move |tx| cycle_view(tx, &w, id, page))
        .await?;
    let pages = ((v.cycle.line_count + LINES_PER_PAGE - 1) / LINES_PER_PAGE).max(1);
    // A step's button: the cycle at the stage before it, the permission, and the whole district.
    let step =
        |from: &str, action: Action| v.cycle.whole && v.cycle.status == from && who.can(action);
    let is_error = error.is_some();
    Ok(answer(
        render(&CyclePage {
            layout: Layout::new("benefits", auth),
            district: district_name(&v.cycle.district_code),
            total: yuan(v.cycle.total_fen),
            approve: step("computed", Action::PayrollApprove),
            authorize: step("approved", Action::PayrollAuthorize),
            release: step("authorized", Action::PayrollRelease),
            close: step("reconciled", Action::PayrollRelease),
            v,
            page,
            pages,
            msg,
            error,
        }),
        is_error,
    ))
}

fn page_number(s: Option<&str>) -> Result<i64, WebError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(1),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| WebError::BadRequest(format!("页码“{s}”无效"))),
    }
}

async fn cycle_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<CycleQuery>,
) -> Result<Response, WebError> {
    let page = page_number(q.page.as_deref())?;
    cycle_render(&state, &auth, staff.principal, id, page, q.msg, None).await
}

async fn step(
    state: AppState,
    auth: Auth,
    who: Principal,
    id: i64,
    to: &'static str,
) -> Result<Response, WebError> {
    let w = who.clone();
    let result = state
        .run(true, move |tx| {
            // Out of scope or unknown: not found, before anything else is said.
            export::cycle(tx, &w, id)?;
            payroll::advance(tx, &w, id, to)
        })
        .await;
    match result {
        Ok(c) => Ok(back(
            &format!("/benefits/cycles/{id}"),
            &format!(
                "{} 月 {} 的发放名册已{}",
                c.month,
                district_name(&c.district_code),
                match to {
                    "approved" => "审核通过",
                    "authorized" => "批准发放",
                    _ => "结束",
                }
            ),
        )),
        Err(BenefitsError::Invalid(m) | BenefitsError::Conflict(m)) => {
            cycle_render(&state, &auth, who, id, 1, None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `approve`, `authorize` or `close`: the steps that only move the cycle on.
async fn advance(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path((id, step_name)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let to = match step_name.as_str() {
        "approve" => "approved",
        "authorize" => "authorized",
        "close" => "closed",
        _ => return Err(WebError::NotFound),
    };
    step(state, auth, staff.principal, id, to).await
}

// ---------------------------------------------------------------- bank files and returns

/// The largest return file accepted in one upload (a district's bank of 100,000 lines is about
/// 13 MB).
const RETURN_FILE_BYTES: usize = 64 * 1024 * 1024;

async fn release(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let w = who.clone();
    let result = state
        .run(true, move |tx| {
            export::cycle(tx, &w, id)?;
            crate::bank::release(tx, &w, id)
        })
        .await;
    match result {
        Ok(r) => {
            let mut msg = format!(
                "已生成 {} 个代发文件，共 {} 笔",
                r.files.len(),
                r.files.iter().map(|f| f.line_count).sum::<i64>()
            );
            if r.already {
                msg = "代发文件此前已生成，未改动".into();
            }
            if !r.warnings.is_empty() {
                msg.push_str(&format!(
                    "；{} 笔姓名含银行编码无法表示的字，已以“?”代替，请与银行核对",
                    r.warnings.len()
                ));
            }
            Ok(back(&format!("/benefits/cycles/{id}"), &msg))
        }
        Err(BenefitsError::Invalid(m) | BenefitsError::Conflict(m)) => {
            cycle_render(&state, &auth, who, id, 1, None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A bank file, byte for byte as released (its checksum verified before it is sent); the
/// download is recorded first, since the file carries every payee's ID number and account whole.
async fn bank_file_download(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let not_found = |e: BenefitsError| match e {
        // Unknown, or outside the user's region.
        BenefitsError::Invalid(_) => WebError::NotFound,
        e => e.into(),
    };
    let w = who.clone();
    state
        .run(true, move |tx| crate::bank::record_download(tx, &w, id))
        .await
        .map_err(not_found)?;
    let (file, bytes) = state
        .run(false, move |tx| {
            let mut bytes = Vec::new();
            let file = crate::bank::write_file(tx, &who, id, &mut bytes)?;
            Ok::<_, BenefitsError>((file, bytes))
        })
        .await
        .map_err(not_found)?;
    let content_type = if file.file_name.ends_with(".csv") {
        "text/csv"
    } else {
        "text/plain"
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            minzheng_ui::download::content_disposition(&file.file_name),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(bytes))
        .map_err(|e| WebError::Internal(e.to_string()))
}

/// Imports a bank's return file sent as `multipart/form-data` (field `file`, through htmx, which
/// sends the CSRF header). Accepted, the browser goes back to the cycle page with the outcome;
/// refused, the fragment placed under the upload lists every refused line (number and reason) and
/// says that nothing was applied. htmx places only a 2xx answer, so a refusal to htmx is 200
/// (to any other client, 400).
async fn return_upload(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let htmx = headers.contains_key("hx-request");
    let refused = |summary: String, problems: Vec<String>| {
        let page = render(&ReturnResult {
            ok: false,
            text: summary,
            problems,
        });
        let status = if htmx {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        Ok((status, page).into_response())
    };
    let parts = match minzheng_ui::multipart::parse(&headers, &body) {
        Ok(parts) => parts,
        Err(m) => return refused(m, Vec::new()),
    };
    let Some(file) = parts
        .into_iter()
        .find(|p| p.name == "file" && !p.bytes.is_empty())
    else {
        return refused("请选择银行回盘文件".into(), Vec::new());
    };
    let w = who.clone();
    let bank_file = state
        .run(false, move |tx| crate::bank::bank_file(tx, &w, id))
        .await
        .map_err(|e| match e {
            // Unknown, or outside the user's region.
            BenefitsError::Invalid(_) => WebError::NotFound,
            e => e.into(),
        })?;
    let name = bank_file.file_name.clone();
    let result = state
        .run(true, move |tx| {
            crate::bank::import_return(tx, &who, id, &file.bytes)
        })
        .await;
    let r = match result {
        Ok(r) => r,
        Err(BenefitsError::Lines(problems)) => {
            return refused(
                format!(
                    "{name} 的回盘未导入，没有任何改动：共 {} 处问题，请按以下各行核对后重新导入",
                    problems.len()
                ),
                problems.iter().map(|p| p.to_string()).collect(),
            );
        }
        Err(BenefitsError::Invalid(m) | BenefitsError::Conflict(m)) => {
            return refused(
                format!("{name} 的回盘未导入，没有任何改动：{m}"),
                Vec::new(),
            );
        }
        Err(e) => return Err(e.into()),
    };
    let cycle_id = bank_file.cycle_id;
    let text = if r.already {
        "这份回盘已导入过：本次没有任何改动".to_owned()
    } else {
        format!(
            "回盘已导入：成功 {} 笔 {} 元，失败 {} 笔 {} 元（下期重发 {} 笔，转待处理清单 {} 笔）{}",
            r.paid,
            yuan(r.paid_fen),
            r.failed,
            yuan(r.failed_fen),
            r.to_next_cycle,
            r.to_worklist,
            if r.cycle_reconciled {
                "；各银行均已回盘，名册已对账"
            } else {
                ""
            }
        )
    };
    let body = ReturnResult {
        ok: true,
        text: text.clone(),
        problems: Vec::new(),
    }
    .render()
    .unwrap_or_else(|_| text.clone());
    let mut r =
        minzheng_ui::flash::hx_redirect(&format!("/benefits/cycles/{cycle_id}"), &text, body);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

/// The answer to a return upload, placed in the page by htmx: the outcome, or the refusal with
/// every refused line.
#[derive(Template)]
#[template(path = "benefits/return_result.html")]
struct ReturnResult {
    ok: bool,
    text: String,
    problems: Vec<String>,
}

struct FailureRow {
    payment_id: i64,
    enrolment_id: i64,
    for_month: String,
    region_code: String,
    amount: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "benefits/worklist.html")]
struct WorklistPage {
    layout: Layout,
    rows: Vec<FailureRow>,
    may_resolve: bool,
    msg: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct MsgQuery {
    msg: Option<String>,
}

/// Failed payments waiting for a corrected account.
async fn worklist_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<MsgQuery>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let may_resolve = who.can(Action::EnrolmentManage);
    let list = state
        .run(false, move |tx| crate::bank::worklist(tx, &who))
        .await?;
    Ok(render(&WorklistPage {
        layout: Layout::new("benefits", &auth),
        rows: list
            .into_iter()
            .map(|f| FailureRow {
                payment_id: f.payment_id,
                enrolment_id: f.enrolment_id,
                for_month: f.for_month,
                region_code: f.region_code,
                amount: yuan(f.amount_fen),
                reason: f.reason,
            })
            .collect(),
        may_resolve,
        msg: q.msg,
    }))
}

#[derive(Deserialize)]
struct ResolveForm {
    note: String,
}

async fn resolve(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    state
        .run(true, move |tx| {
            crate::bank::resolve_failure(tx, &who, id, &f.note)
        })
        .await?;
    Ok(back(
        "/benefits/worklist",
        &format!("发放记录 {id} 已处理，将在下一期名册中重发"),
    ))
}

#[derive(Deserialize)]
struct FromDecisionForm {
    application_id: String,
    bank_code: String,
    account_kind: String,
    account_no: String,
    institutional: Option<String>,
}

/// Enrols an approved assistance decision with the account the applicant gave.
async fn from_decision(
    State(state): State<AppState>,
    staff: Staff,
    Form(f): Form<FromDecisionForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let application_id: i64 =
        f.application_id.trim().parse().map_err(|_| {
            WebError::BadRequest(format!("申请编号“{}”无效", f.application_id.trim()))
        })?;
    let payout = crate::decisions::Payout {
        bank_code: f.bank_code.trim().to_owned(),
        account_kind: f.account_kind.trim().to_owned(),
        account_no: f.account_no.trim().to_owned(),
        institutional: f.institutional.is_some(),
    };
    let out = state
        .run(true, move |tx| {
            crate::decisions::enrol_from_decision(tx, &who, application_id, &payout)
        })
        .await?;
    Ok(back(
        &format!("/benefits/enrolments/{}", out.enrolment_id),
        if out.already {
            "该审批决定此前已登记发放，未改动"
        } else {
            "已按审批决定登记发放"
        },
    ))
}

#[derive(Deserialize)]
struct ImportForm {
    csv: String,
}

/// Imports enrolments pasted as CSV; a refused file names every bad line and enrols nobody.
async fn import_enrolments(
    State(state): State<AppState>,
    staff: Staff,
    Form(f): Form<ImportForm>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let n = state
        .run(true, move |tx| {
            crate::enrolments::import_csv(tx, &who, &f.csv)
        })
        .await?;
    Ok(back(
        "/benefits/enrolments",
        &format!("已导入 {n} 名享受人员"),
    ))
}

// ---------------------------------------------------------------- downloads

async fn export_csv(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    download(state, staff.principal, Scope::Cycle(id), Format::Csv).await
}

async fn export_xlsx(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    download(state, staff.principal, Scope::Cycle(id), Format::Xlsx).await
}

async fn month_csv(
    State(state): State<AppState>,
    staff: Staff,
    Path(month): Path<String>,
) -> Result<Response, WebError> {
    let m = parse_month(&month)?;
    download(state, staff.principal, Scope::Month(m), Format::Csv).await
}

async fn month_xlsx(
    State(state): State<AppState>,
    staff: Staff,
    Path(month): Path<String>,
) -> Result<Response, WebError> {
    let m = parse_month(&month)?;
    download(state, staff.principal, Scope::Month(m), Format::Xlsx).await
}

/// Checks and audits the export first (so a refusal is a normal error page), then streams the
/// file from a blocking thread through a small channel: memory stays bounded whatever the size.
/// What a download exports: one cycle, or a whole month in the user's scope.
#[derive(Clone, Copy)]
enum Scope {
    Cycle(i64),
    Month(Month),
}

async fn download(
    state: AppState,
    who: Principal,
    what: Scope,
    format: Format,
) -> Result<Response, WebError> {
    let w = who.clone();
    let name = state
        .run(true, move |tx| match what {
            Scope::Cycle(id) => {
                export::record_export(tx, &w, id, format).map(|c| export::file_name(&c, format))
            }
            Scope::Month(m) => export::record_month_export(tx, &w, m, format)
                .map(|_| export::month_file_name(m, format)),
        })
        .await?;
    let (sender, body) = http_body_util::channel::Channel::<Bytes, io::Error>::new(4);
    let handle = tokio::runtime::Handle::current();
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || {
        let out = ChannelWriter {
            sender: Some(sender),
            handle,
            buf: Vec::with_capacity(CHUNK),
            finished: false,
        };
        let written = db.read(|tx| match what {
            Scope::Cycle(id) => export::write_cycle(tx, &who, id, format, out),
            Scope::Month(m) => export::write_month(tx, &who, m, format, out),
        });
        match written {
            Ok((mut out, _)) => {
                if let Err(e) = out.done() {
                    tracing::warn!(cause = %e, "export download not completed");
                }
            }
            // The writer was dropped unfinished: the body is aborted, the client sees a failure.
            Err(e) => tracing::error!(cause = %e, "export failed"),
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, format.content_type())
        .header(
            header::CONTENT_DISPOSITION,
            minzheng_ui::download::content_disposition(&name),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::new(body))
        .map_err(|e| WebError::Internal(e.to_string()))
}

/// Bytes gathered before they are sent as one chunk.
const CHUNK: usize = 64 * 1024;

/// A `Write` that sends chunks into the response body; dropped unfinished, it aborts the body so
/// a failed export never looks like a complete file.
struct ChannelWriter {
    sender: Option<http_body_util::channel::Sender<Bytes, io::Error>>,
    handle: tokio::runtime::Handle,
    buf: Vec<u8>,
    finished: bool,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        let Some(sender) = self.sender.as_mut() else {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "下载已结束"));
        };
        self.handle
            .block_on(sender.send_data(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "下载已被中断"))
    }

    fn done(&mut self) -> io::Result<()> {
        self.send()?;
        self.finished = true;
        self.sender = None;
        Ok(())
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        if let Some(s) = self.sender.take()
            && !self.finished
        {
            s.abort(io::Error::other("导出中断"));
        }
    }
}

// ---------------------------------------------------------------- enrolments

#[derive(Debug, Default, Deserialize)]
struct EnrolmentQuery {
    q: Option<String>,
    program: Option<String>,
    page: Option<String>,
    msg: Option<String>,
}

/// An enrolment as a list shows it.
struct EnrolmentRow {
    id: i64,
    program: &'static str,
    name: String,
    id_number: String,
    region_code: String,
    status: &'static str,
    start_month: String,
}

fn enrolment_status(code: &str) -> &'static str {
    match code {
        "active" => "正常发放",
        "suspended" => "暂停发放",
        "stopped" => "已终止",
        _ => "未知",
    }
}

#[derive(Template)]
#[template(path = "benefits/enrolments.html")]
struct EnrolmentsPage {
    layout: Layout,
    q: String,
    program: String,
    programs: Vec<(&'static str, &'static str)>,
    rows: Vec<EnrolmentRow>,
    page: i64,
    more: bool,
    next_query: String,
    prev_query: String,
    may_enrol: bool,
    banks: Vec<(String, String)>,
    columns: &'static str,
    msg: Option<String>,
}

fn search(
    tx: &mut Tx<'_>,
    who: &Principal,
    q: &str,
    program: Option<Program>,
    page: i64,
) -> Result<(Vec<EnrolmentRow>, bool), BenefitsError> {
    who.require(Action::BenefitsRead)?;
    let term = q.trim().to_uppercase();
    // An ID number (or its start) is matched on the number, anything else on the name.
    let mut values: Vec<String> = Vec::new();
    let mut filters: Vec<String> = Vec::new();
    if let Some(p) = program {
        values.push(p.code().to_owned());
        filters.push(format!("program = ${}", values.len()));
    }
    if term.chars().all(|c| c.is_ascii_digit() || c == 'X') && !term.is_empty() {
        values.push(minzheng_store::like_prefix(&term));
        filters.push(format!(
            "id_number LIKE ${} {}",
            values.len(),
            minzheng_store::LIKE_ESCAPE
        ));
    } else if !term.is_empty() {
        values.push(minzheng_store::like_contains(q.trim()));
        filters.push(format!(
            "name LIKE ${} {}",
            values.len(),
            minzheng_store::LIKE_ESCAPE
        ));
    }
    let (cond, scope_values) = who.scope().sql("region_code", values.len() + 1);
    filters.push(cond);
    values.extend(scope_values);
    let sql = format!(
        "SELECT id, program, name, id_number, region_code, status, start_month FROM enrolment
         WHERE {} ORDER BY id LIMIT {} OFFSET {}",
        filters.join(" AND "),
        ENROLMENTS_PER_PAGE + 1,
        (page - 1) * ENROLMENTS_PER_PAGE
    );
    let ps: Vec<&dyn ToValue> = values.iter().map(|v| v as &dyn ToValue).collect();
    let unmask = who.can(Action::PersonUnmask);
    let rows = tx.query(&sql, &ps)?;
    let more = rows.len() as i64 > ENROLMENTS_PER_PAGE;
    let mut out = Vec::new();
    for r in rows.into_iter().take(ENROLMENTS_PER_PAGE as usize) {
        let name: String = r.get(2)?;
        let id_number: String = r.get(3)?;
        out.push(EnrolmentRow {
            id: r.get(0)?,
            program: Program::parse(&r.get::<String>(1)?)?.name_zh(),
            name: if unmask { name } else { mask::name(&name) },
            id_number: if unmask {
                id_number
            } else {
                mask::id_number(&id_number)
            },
            region_code: r.get(4)?,
            status: enrolment_status(&r.get::<String>(5)?),
            start_month: r.get(6)?,
        });
    }
    Ok((out, more))
}

async fn enrolments_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(f): Query<EnrolmentQuery>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    who.require(Action::BenefitsRead)?;
    let may_enrol = who.can(Action::EnrolmentManage);
    let page = page_number(f.page.as_deref())?;
    let q = f.q.unwrap_or_default();
    let program_code = f.program.unwrap_or_default();
    let program = match program_code.trim() {
        "" => None,
        code => Some(Program::parse(code).map_err(WebError::from)?),
    };
    let term = q.clone();
    let (rows, more, banks) = state
        .run(false, move |tx| {
            let (rows, more) = search(tx, &who, &term, program, page)?;
            let banks = crate::bank::layouts(tx)?
                .into_iter()
                .map(|l| (l.bank_code, l.bank_name))
                .collect::<Vec<_>>();
            Ok::<_, BenefitsError>((rows, more, banks))
        })
        .await?;
    let query = |p: i64| {
        format!(
            "q={}&program={}&page={p}",
            urlencode(&q),
            urlencode(&program_code)
        )
    };
    Ok(render(&EnrolmentsPage {
        layout: Layout::new("benefits", &auth),
        may_enrol,
        banks,
        columns: crate::enrolments::IMPORT_COLUMNS,
        msg: f.msg,
        next_query: query(page + 1),
        prev_query: query((page - 1).max(1)),
        programs: Program::ALL
            .iter()
            .map(|p| (p.code(), p.name_zh()))
            .collect(),
        q,
        program: program_code,
        rows,
        page,
        more,
    }))
}

/// One enrolment with its history and payments.
struct EnrolmentView {
    id: i64,
    program: &'static str,
    name: String,
    id_number: String,
    region: String,
    area_type: &'static str,
    status: &'static str,
    /// The frozen basis: label and value.
    basis: Vec<(&'static str, String)>,
    bank: String,
    start_month: String,
    end_month: String,
    first_paid_month: String,
    reason: String,
    source: String,
    events: Vec<EventRow>,
    payments: Vec<PaymentRow>,
}

struct EventRow {
    at: String,
    actor: String,
    change: String,
    effective_month: String,
    reason: String,
}

struct PaymentRow {
    id: i64,
    cycle_id: i64,
    kind: &'static str,
    for_month: String,
    amount: String,
    explanation: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "benefits/enrolment.html")]
struct EnrolmentPage {
    layout: Layout,
    e: EnrolmentView,
}

fn enrolment_view(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
) -> Result<EnrolmentView, BenefitsError> {
    who.require(Action::BenefitsRead)?;
    let r = tx
        .query_opt(
            "SELECT id, program, name, id_number, region_code, area_type, members, counted_income_fen,
                    supplement_fen, care_tier, bank_code, account_kind, account_no, start_month,
                    end_month, first_paid_month, status, reason, source, fixed_amount_fen
             FROM enrolment WHERE id = $1",
            params![id],
        )?
        .ok_or(AccessError::NotFound)?;
    let region: String = r.get(4)?;
    if !who.scope().contains(&region) {
        return Err(AccessError::NotFound.into());
    }
    let unmask = who.can(Action::PersonUnmask);
    let program = Program::parse(&r.get::<String>(1)?)?;
    let name: String = r.get(2)?;
    let id_number: String = r.get(3)?;
    let mut basis: Vec<(&'static str, String)> = Vec::new();
    if program.per_household() {
        basis.push(("保障人数", format!("{} 人", r.get::<i64>(6)?)));
        basis.push(("家庭月可计收入", yuan(r.get(7)?)));
    }
    basis.push(("分类施保金额（月）", yuan(r.get(8)?)));
    if let Some(tier) = r.get::<Option<String>>(9)? {
        let shown = match CareTier::parse(&tier)? {
            CareTier::Full => "全护理",
            CareTier::Partial => "半护理",
            CareTier::SelfCare => "全自理",
        };
        basis.push(("护理等级", shown.to_owned()));
    }
    if program.fixed_amount() {
        basis.push(("核定金额", yuan(r.get(19)?)));
    }
    let account_kind: String = r.get(11)?;
    let account_no: String = r.get(12)?;
    let bank = format!(
        "{} {} {}",
        r.get::<String>(10)?,
        if account_kind == "ssc" {
            "社保卡"
        } else {
            "银行账户"
        },
        if unmask {
            account_no
        } else {
            mask::bank_account(&account_no)
        }
    );
    let area_type = if r.get::<String>(5)? == "rural" {
        "农村"
    } else {
        "城市"
    };
    let region_name = RegionCode::parse(&region)
        .ok()
        .and_then(|c| {
            RegionTree::chongqing()
                .name_path(c, minzheng_kernel::id_number::china_today())
                .ok()
        })
        .map(|p| format!("{p}（{region}）"))
        .unwrap_or_else(|| region.clone());
    let mut e = EnrolmentView {
        id: r.get(0)?,
        program: program.name_zh(),
        name: if unmask { name } else { mask::name(&name) },
        id_number: if unmask {
            id_number
        } else {
            mask::id_number(&id_number)
        },
        region: region_name,
        area_type,
        status: enrolment_status(&r.get::<String>(16)?),
        basis,
        bank,
        start_month: r.get(13)?,
        end_month: r.get::<Option<String>>(14)?.unwrap_or_default(),
        first_paid_month: r.get::<Option<String>>(15)?.unwrap_or_default(),
        reason: r.get(17)?,
        source: r.get(18)?,
        events: Vec::new(),
        payments: Vec::new(),
    };
    for r in tx.query(
        "SELECT at, actor, from_status, to_status, effective_month, reason FROM enrolment_event
         WHERE enrolment_id = $1 ORDER BY id",
        params![id],
    )? {
        let from: Option<String> = r.get(2)?;
        let to: String = r.get(3)?;
        e.events.push(EventRow {
            at: china_time(&r.get::<String>(0)?),
            actor: r.get(1)?,
            change: match from {
                Some(f) => format!("{} → {}", enrolment_status(&f), enrolment_status(&to)),
                None => enrolment_status(&to).to_owned(),
            },
            effective_month: r.get(4)?,
            reason: r.get(5)?,
        });
    }
    for r in tx.query(
        "SELECT p.id, p.cycle_id, p.kind, p.for_month, p.amount_fen, p.explanation, pr.outcome, pr.reason
         FROM payment p LEFT JOIN payment_result pr ON pr.payment_id = p.id
         WHERE p.enrolment_id = $1 ORDER BY p.id",
        params![id],
    )? {
        let outcome: Option<String> = r.get(6)?;
        let why: Option<String> = r.get(7)?;
        e.payments.push(PaymentRow {
            id: r.get(0)?,
            cycle_id: r.get(1)?,
            kind: export::kind_name(&r.get::<String>(2)?),
            for_month: r.get(3)?,
            amount: yuan(r.get(4)?),
            explanation: r.get(5)?,
            outcome: match outcome.as_deref() {
                None => "待银行回盘".to_owned(),
                Some("paid") => "已到账".to_owned(),
                Some(_) => format!("失败：{}", why.unwrap_or_default()),
            },
        });
    }
    Ok(e)
}

async fn enrolment_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let e = state
        .run(false, move |tx| enrolment_view(tx, &who, id))
        .await?;
    Ok(render(&EnrolmentPage {
        layout: Layout::new("benefits", &auth),
        e,
    }))
}
