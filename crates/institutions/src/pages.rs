//! The pages of the area: the entry page with the daily-report dashboard, the gate ledger (made
//! for a phone at the gate), the registry with coverage, closed-management orders, the incident
//! worklist, inspections and enforcement, and the policy library.
//!
//! A form that is refused renders its page again with the reason (status 400); an accepted one
//! redirects back with a short message.

use crate::{
    InstitutionsError, enforcement, epidemic, gate, inspections, people, policy, registry, reports,
    rules,
};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use minzheng_access::{Action, Principal};
use minzheng_ui::{AppState, Auth, Layout, Staff, WebError, render};
use serde::Deserialize;

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/institutions", get(home))
        .route("/institutions/health-reports", post(health_report_post))
        .route("/institutions/incidents", post(incident_post))
        .route("/institutions/gate", get(gate_page))
        .route("/institutions/gate/deliveries", post(delivery_post))
        .route(
            "/institutions/gate/deliveries/{id}/{step}",
            post(delivery_step),
        )
        .route("/institutions/registry", get(registry_page))
        .route("/institutions/orders", get(orders_page).post(order_post))
        .route("/institutions/orders/{id}/lift", post(order_lift))
        .route("/institutions/worklist", get(worklist_page))
        .route(
            "/institutions/worklist/{id}/acknowledge",
            post(worklist_ack),
        )
        .route("/institutions/inspections", get(inspections_page))
        .route("/institutions/policies", get(policies_page))
        .merge(crate::forms::routes())
}

pub(crate) fn today() -> NaiveDate {
    minzheng_kernel::id_number::china_today()
}

/// Messages passed back after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    /// Success message.
    pub msg: Option<String>,
    /// Date asked for (dashboard).
    pub date: Option<String>,
}

pub(crate) fn back(path: &str, msg: &str) -> Response {
    minzheng_ui::flash::redirect(path, msg)
}

pub(crate) fn int(s: &str, label: &str) -> Result<i64, InstitutionsError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(0);
    }
    t.parse()
        .map_err(|_| InstitutionsError::Invalid(format!("{label}应为整数")))
}

pub(crate) fn date(s: &str, label: &str) -> Result<NaiveDate, InstitutionsError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| InstitutionsError::Invalid(format!("{label}“{s}”无效：应为 YYYY-MM-DD")))
}

/// Renders `page` with status 400 when `error` is set.
pub(crate) fn answer(page: Response, error: bool) -> Response {
    if error {
        (StatusCode::BAD_REQUEST, page).into_response()
    } else {
        page
    }
}

// ---------------------------------------------------------------- home

#[derive(Template)]
#[template(path = "institutions/home.html")]
struct HomePage {
    layout: Layout,
    dash: reports::Dashboard,
    operate: bool,
    today: NaiveDate,
    msg: Option<String>,
    error: Option<String>,
}

async fn home_render(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    on: NaiveDate,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    who.require(Action::InstitutionRead)?;
    let w = who.clone();
    let dash = state
        .run(false, move |tx| reports::dashboard(tx, &w, on))
        .await?;
    let is_error = error.is_some();
    Ok(answer(
        render(&HomePage {
            layout: Layout::new("institutions", auth),
            dash,
            operate: who.can(Action::InstitutionOperate),
            today: today(),
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
    Query(f): Query<Flash>,
) -> Result<Response, WebError> {
    let on = match f.date.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => date(s, "日期")?,
        None => today(),
    };
    home_render(&state, &auth, staff.principal, on, f.msg, None).await
}

#[derive(Deserialize)]
struct HealthForm {
    report_date: String,
    #[serde(default)]
    residents_fever: String,
    #[serde(default)]
    residents_symptoms: String,
    #[serde(default)]
    staff_fever: String,
    #[serde(default)]
    staff_symptoms: String,
    #[serde(default)]
    in_isolation: String,
    #[serde(default)]
    tested: String,
}

async fn health_report_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<HealthForm>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let parsed = (|| -> Result<reports::NewHealthReport, InstitutionsError> {
        Ok(reports::NewHealthReport {
            institution_id: who.unit_id.unwrap_or(0),
            report_date: date(&f.report_date, "日报日期")?,
            residents_fever: int(&f.residents_fever, "发热老人数")?,
            residents_symptoms: int(&f.residents_symptoms, "有症状老人数")?,
            staff_fever: int(&f.staff_fever, "发热工作人员数")?,
            staff_symptoms: int(&f.staff_symptoms, "有症状工作人员数")?,
            in_isolation: int(&f.in_isolation, "隔离人数")?,
            tested: int(&f.tested, "检测人数")?,
        })
    })();
    let w = who.clone();
    let result = match parsed {
        Ok(n) => {
            state
                .run(true, move |tx| {
                    reports::submit_health_report(tx, &w, &n, today())
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(back("/institutions", "健康日报已上报")),
        Err(InstitutionsError::Invalid(m)) => {
            home_render(&state, &auth, who, today(), None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct IncidentForm {
    kind: String,
    person_kind: String,
    persons: String,
    occurred_on: String,
    description: String,
}

async fn incident_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<IncidentForm>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let parsed = (|| -> Result<reports::NewIncident, InstitutionsError> {
        Ok(reports::NewIncident {
            kind: f.kind.clone(),
            person_kind: f.person_kind.clone(),
            persons: int(&f.persons, "人数")?,
            occurred_on: date(&f.occurred_on, "发生日期")?,
            description: f.description.clone(),
        })
    })();
    let w = who.clone();
    let result = match parsed {
        Ok(n) => {
            state
                .run(true, move |tx| {
                    reports::report_incident(tx, &w, &n, today())
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(back("/institutions", "已上报，并已推送区县和市级督办")),
        Err(InstitutionsError::Invalid(m)) => {
            home_render(&state, &auth, who, today(), None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- gate

#[derive(Template)]
#[template(path = "institutions/gate.html")]
struct GatePage {
    layout: Layout,
    institution: String,
    residents: Vec<people::Resident>,
    open: Vec<gate::Delivery>,
    done: Vec<gate::Delivery>,
    area: String,
    areas: Vec<String>,
    msg: Option<String>,
    error: Option<String>,
}

impl GatePage {
    fn status_zh(&self, s: &str) -> String {
        gate::status_zh(s).to_owned()
    }
    fn at(&self, s: &str) -> String {
        short_time(s)
    }
    fn time(&self, s: &Option<String>) -> String {
        s.as_deref().map(short_time).unwrap_or_default()
    }
}

/// `2020-02-01T03:04:05.000000Z` → `02-01 11:04` (China time): what a gate ledger shows.
fn short_time(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| {
            (t.with_timezone(&chrono::Utc) + chrono::TimeDelta::hours(8))
                .format("%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| s.to_owned())
}

#[derive(Debug, Default, Deserialize)]
struct GateQuery {
    msg: Option<String>,
    area: Option<String>,
}

async fn gate_render(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    area: String,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    who.require(Action::InstitutionOperate)?;
    let a = area.clone();
    let (institution, residents, open, done) = state
        .run(false, move |tx| -> Result<_, InstitutionsError> {
            let inst = crate::common::own_institution(tx, &who)?;
            let residents = people::residents(tx, &who)?;
            let filter = Some(a.as_str()).filter(|s| !s.is_empty());
            let open = gate::ledger(tx, &who, true, filter, 200)?;
            let done: Vec<gate::Delivery> = gate::ledger(tx, &who, false, filter, 20)?
                .into_iter()
                .filter(|d| d.status == "collected")
                .collect();
            Ok((inst.name, residents, open, done))
        })
        .await?;
    let mut areas: Vec<String> = residents.iter().map(|r| r.area.clone()).collect();
    areas.sort();
    areas.dedup();
    let residents = residents
        .into_iter()
        .filter(|r| r.status != "discharged")
        .collect();
    let is_error = error.is_some();
    Ok(answer(
        render(&GatePage {
            layout: Layout::new("institutions", auth),
            institution,
            residents,
            open,
            done,
            area,
            areas,
            msg,
            error,
        }),
        is_error,
    ))
}

async fn gate_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<GateQuery>,
) -> Result<Response, WebError> {
    gate_render(
        &state,
        &auth,
        staff.principal,
        q.area.unwrap_or_default(),
        q.msg,
        None,
    )
    .await
}

#[derive(Deserialize)]
struct DeliveryForm {
    sender_name: String,
    sender_phone: String,
    items: String,
    resident_id: String,
}

async fn delivery_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<DeliveryForm>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let w = who.clone();
    let result = match int(&f.resident_id, "收件老人") {
        Ok(rid) => {
            let n = gate::NewDelivery {
                sender_name: f.sender_name,
                sender_phone: f.sender_phone,
                items: f.items,
                resident_id: rid,
            };
            state
                .run(true, move |tx| gate::log_delivery(tx, &w, &n))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(back(
            "/institutions/gate",
            &format!("已登记第 {id} 号物品，请消毒"),
        )),
        Err(InstitutionsError::Invalid(m)) => {
            gate_render(&state, &auth, who, String::new(), None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct StepForm {
    #[serde(default)]
    method: String,
    #[serde(default)]
    collected_by: String,
}

async fn delivery_step(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path((id, step)): Path<(i64, String)>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let w = who.clone();
    let s = step.clone();
    let result = state
        .run(true, move |tx| match s.as_str() {
            "disinfect" => gate::disinfect(tx, &w, id, &f.method),
            "notify" => gate::notify_area(tx, &w, id),
            "collect" => gate::collect(tx, &w, id, &f.collected_by),
            _ => Err(InstitutionsError::NotFound),
        })
        .await;
    let msg = match step.as_str() {
        "disinfect" => format!("第 {id} 号物品已消毒"),
        "notify" => format!("已通知居住区领取第 {id} 号物品"),
        _ => format!("第 {id} 号物品已领取"),
    };
    match result {
        Ok(()) => Ok(back("/institutions/gate", &msg)),
        Err(InstitutionsError::Invalid(m)) => {
            gate_render(&state, &auth, who, String::new(), None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- registry

#[derive(Template)]
#[template(path = "institutions/registry.html")]
struct RegistryPage {
    layout: Layout,
    rows: Vec<registry::Institution>,
    coverage: Option<registry::Coverage>,
    manage: bool,
    kinds: &'static [(&'static str, &'static str, &'static str)],
    operators: &'static [(&'static str, &'static str)],
    today: NaiveDate,
    msg: Option<String>,
    error: Option<String>,
}

impl RegistryPage {
    fn kind_zh(&self, k: &str) -> String {
        rules::kind_zh(k).to_owned()
    }
    fn operator_zh(&self, k: &str) -> String {
        rules::operator_zh(k).to_owned()
    }
    fn bp(&self, b: &Option<i64>) -> String {
        rules::bp_text(*b)
    }
}

pub(crate) async fn registry_render(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let manage = who.can(Action::InstitutionManage);
    let (rows, coverage) = state
        .run(false, move |tx| -> Result<_, InstitutionsError> {
            let rows = registry::list(tx, &who, None, 500)?;
            let region = if who.scope_code.is_empty() {
                "50".to_owned()
            } else {
                who.scope_code.clone()
            };
            let y = today().year();
            let coverage = if who.role == minzheng_access::Role::InstitutionStaff {
                None
            } else {
                registry::coverage(tx, &who, &region, today(), (y - 4)..=y).ok()
            };
            Ok((rows, coverage))
        })
        .await?;
    let is_error = error.is_some();
    Ok(answer(
        render(&RegistryPage {
            layout: Layout::new("institutions", auth),
            rows,
            coverage,
            manage,
            kinds: &rules::KINDS,
            operators: &rules::OPERATORS,
            today: today(),
            msg,
            error,
        }),
        is_error,
    ))
}

async fn registry_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(f): Query<Flash>,
) -> Result<Response, WebError> {
    registry_render(&state, &auth, staff.principal, f.msg, None).await
}

// ---------------------------------------------------------------- orders

#[derive(Template)]
#[template(path = "institutions/orders.html")]
struct OrdersPage {
    layout: Layout,
    orders: Vec<epidemic::Order>,
    risks: Vec<epidemic::RiskLevel>,
    manage: bool,
    today: NaiveDate,
    msg: Option<String>,
    error: Option<String>,
}

impl OrdersPage {
    fn risk_zh(&self, l: &str) -> String {
        rules::risk_zh(l).to_owned()
    }
}

pub(crate) async fn orders_render(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let manage = who.can(Action::EpidemicOrderManage);
    let (orders, risks) = state
        .run(false, move |tx| -> Result<_, InstitutionsError> {
            Ok((
                epidemic::orders(tx, &who)?,
                epidemic::risk_levels(tx, &who, today())?,
            ))
        })
        .await?;
    let is_error = error.is_some();
    Ok(answer(
        render(&OrdersPage {
            layout: Layout::new("institutions", auth),
            orders,
            risks,
            manage,
            today: today(),
            msg,
            error,
        }),
        is_error,
    ))
}

async fn orders_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(f): Query<Flash>,
) -> Result<Response, WebError> {
    orders_render(&state, &auth, staff.principal, f.msg, None).await
}

#[derive(Deserialize)]
struct OrderForm {
    title: String,
    issuer: String,
    from_date: String,
    #[serde(default)]
    regions: String,
    #[serde(default)]
    kinds: String,
}

async fn order_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<OrderForm>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let w = who.clone();
    let result = match date(&f.from_date, "施行日期") {
        Ok(from) => {
            let n = epidemic::NewOrder {
                title: f.title,
                issuer: f.issuer,
                from_date: from,
                regions: rules::split_list(&f.regions),
                kinds: rules::split_list(&f.kinds),
            };
            state.run(true, move |tx| epidemic::issue(tx, &w, &n)).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(back(
            "/institutions/orders",
            &format!("第 {id} 号封闭管理通知已发布"),
        )),
        Err(InstitutionsError::Invalid(m)) => {
            orders_render(&state, &auth, who, None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct LiftForm {
    lifted_on: String,
    reason: String,
}

async fn order_lift(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<LiftForm>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let w = who.clone();
    let result = match date(&f.lifted_on, "解除日期") {
        Ok(on) => {
            state
                .run(true, move |tx| epidemic::lift(tx, &w, id, on, &f.reason))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(back(
            "/institutions/orders",
            &format!("第 {id} 号通知已解除"),
        )),
        Err(InstitutionsError::Invalid(m)) => {
            orders_render(&state, &auth, who, None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- worklist

#[derive(Template)]
#[template(path = "institutions/worklist.html")]
struct WorklistPage {
    layout: Layout,
    level: &'static str,
    items: Vec<reports::WorkItem>,
    can_ack: bool,
    msg: Option<String>,
}

async fn worklist_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(f): Query<Flash>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let level = if reports::level_of(&who) == "city" {
        "市级"
    } else {
        "区县"
    };
    let can_ack = who.can(Action::EpidemicOrderManage);
    let items = state
        .run(false, move |tx| reports::worklist(tx, &who))
        .await?;
    Ok(render(&WorklistPage {
        layout: Layout::new("institutions", &auth),
        level,
        items,
        can_ack,
        msg: f.msg,
    }))
}

async fn worklist_ack(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    state
        .run(true, move |tx| reports::acknowledge(tx, &who, id))
        .await?;
    Ok(back("/institutions/worklist", "已签收"))
}

// ---------------------------------------------------------------- inspections

#[derive(Template)]
#[template(path = "institutions/inspections.html")]
struct InspectionsPage {
    layout: Layout,
    inspections: Vec<inspections::InspectionLine>,
    cases: Vec<enforcement::Case>,
    institutions: Vec<registry::Institution>,
    inspect: bool,
    review: bool,
    steps: &'static [(&'static str, &'static str)],
    today: NaiveDate,
    msg: Option<String>,
    error: Option<String>,
}

impl InspectionsPage {
    fn status_zh(&self, s: &str) -> String {
        match s {
            "planned" => "待检查",
            "rectifying" => "整改中",
            "closed" => "已办结",
            "open" => "办理中",
            "decided" => "已决定待公示",
            "published" => "已公示",
            other => other,
        }
        .to_owned()
    }
}

pub(crate) async fn inspections_render(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let inspect = who.can(Action::InspectionManage);
    let review = who.can(Action::LegalReview);
    let (inspections, cases, institutions) = state
        .run(false, move |tx| -> Result<_, InstitutionsError> {
            Ok((
                inspections::list(tx, &who, today())?,
                enforcement::list(tx, &who)?,
                registry::list(tx, &who, Some("institution"), 500)?,
            ))
        })
        .await?;
    let is_error = error.is_some();
    Ok(answer(
        render(&InspectionsPage {
            layout: Layout::new("institutions", auth),
            inspections,
            cases,
            institutions,
            inspect,
            review,
            steps: &enforcement::STEPS,
            today: today(),
            msg,
            error,
        }),
        is_error,
    ))
}

async fn inspections_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(f): Query<Flash>,
) -> Result<Response, WebError> {
    inspections_render(&state, &auth, staff.principal, f.msg, None).await
}

// ---------------------------------------------------------------- policies

#[derive(Template)]
#[template(path = "institutions/policies.html")]
struct PoliciesPage {
    layout: Layout,
    documents: Vec<policy::Document>,
    compliance: Vec<policy::Compliance>,
    manage: bool,
    operate: bool,
    kinds: &'static [(&'static str, &'static str, bool)],
    today: NaiveDate,
    msg: Option<String>,
    error: Option<String>,
}

impl PoliciesPage {
    fn kind_zh(&self, k: &str) -> String {
        policy::kind_zh(k).to_owned()
    }
    fn bp(&self, b: &Option<i64>) -> String {
        rules::bp_text(*b)
    }
}

pub(crate) async fn policies_render(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let manage = who.can(Action::InstitutionManage);
    let operate = who.can(Action::InstitutionOperate);
    let (documents, compliance) = state
        .run(false, move |tx| -> Result<_, InstitutionsError> {
            Ok((policy::documents(tx, &who)?, policy::compliance(tx, &who)?))
        })
        .await?;
    let is_error = error.is_some();
    Ok(answer(
        render(&PoliciesPage {
            layout: Layout::new("institutions", auth),
            documents,
            compliance,
            manage,
            operate,
            kinds: &policy::KINDS,
            today: today(),
            msg,
            error,
        }),
        is_error,
    ))
}

async fn policies_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(f): Query<Flash>,
) -> Result<Response, WebError> {
    policies_render(&state, &auth, staff.principal, f.msg, None).await
}
