//! The forms behind the pages: residents and staff (with the five suspensions), the registry,
//! risk levels, inspections and enforcement, the policy library. Each action runs one service; an
//! accepted form redirects back with a message, a refused one renders its page with the reason.

use crate::pages::{self, back, date, int, today};
use crate::{InstitutionsError, enforcement, epidemic, inspections, people, policy, registry};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_ui::{AppState, Auth, Layout, Staff, WebError, render};
use std::collections::HashMap;

type Fields = HashMap<String, String>;

fn g<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or("")
}

/// The routes of the forms and of the residents page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/institutions/residents", get(residents_page))
        .route("/institutions/residents/{action}", post(residents_post))
        .route("/institutions/registry/register", post(register_post))
        .route("/institutions/registry/close", post(close_post))
        .route("/institutions/orders/risk-level", post(risk_post))
        .route("/institutions/inspections/{action}", post(inspections_post))
        .route("/institutions/policies/{action}", post(policies_post))
}

#[derive(Clone, Copy)]
enum Page {
    Residents,
    Registry,
    Orders,
    Inspections,
    Policies,
}

impl Page {
    fn path(self) -> &'static str {
        match self {
            Page::Residents => "/institutions/residents",
            Page::Registry => "/institutions/registry",
            Page::Orders => "/institutions/orders",
            Page::Inspections => "/institutions/inspections",
            Page::Policies => "/institutions/policies",
        }
    }
}

async fn finish(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    page: Page,
    result: Result<String, InstitutionsError>,
) -> Result<Response, WebError> {
    match result {
        Ok(msg) => Ok(back(page.path(), &msg)),
        Err(InstitutionsError::Invalid(m)) => {
            let e = Some(m);
            match page {
                Page::Residents => residents_render(state, auth, who, None, e).await,
                Page::Registry => pages::registry_render(state, auth, who, None, e).await,
                Page::Orders => pages::orders_render(state, auth, who, None, e).await,
                Page::Inspections => pages::inspections_render(state, auth, who, None, e).await,
                Page::Policies => pages::policies_render(state, auth, who, None, e).await,
            }
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- residents and staff

#[derive(Template)]
#[template(path = "institutions/residents.html")]
struct ResidentsPage {
    layout: Layout,
    institution: String,
    residents: Vec<people::Resident>,
    staff: Vec<people::StaffMember>,
    reentries: Vec<people::Reentry>,
    gate_hours: Vec<people::DutyHours>,
    care_levels: &'static [(&'static str, &'static str)],
    today: NaiveDate,
    msg: Option<String>,
    error: Option<String>,
}

impl ResidentsPage {
    fn status_zh(&self, s: &str) -> String {
        people::status_zh(s).to_owned()
    }
    fn care_zh(&self, c: &str) -> String {
        people::CARE_LEVELS
            .iter()
            .find(|x| x.0 == c)
            .map(|x| x.1)
            .unwrap_or(c)
            .to_owned()
    }
    fn hours(&self, minutes: &i64) -> String {
        format!("{}.{:02}", minutes / 60, minutes % 60 * 100 / 60)
    }
}

async fn residents_render(
    state: &AppState,
    auth: &Auth,
    who: Principal,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    who.require(Action::InstitutionOperate)?;
    let t = today();
    let month_start = t.with_day0(0).unwrap_or(t);
    let (institution, residents, staff, reentries, gate_hours) = state
        .run(false, move |tx| -> Result<_, InstitutionsError> {
            let inst = crate::common::own_institution(tx, &who)?;
            Ok((
                inst.name,
                people::residents(tx, &who)?,
                people::staff(tx, &who)?,
                people::reentries(tx, &who)?,
                people::duty_hours(tx, &who, "gate", month_start, t)?,
            ))
        })
        .await?;
    let is_error = error.is_some();
    Ok(pages::answer(
        render(&ResidentsPage {
            layout: Layout::new("institutions", auth),
            institution,
            residents,
            staff,
            reentries,
            gate_hours,
            care_levels: &people::CARE_LEVELS,
            today: t,
            msg,
            error,
        }),
        is_error,
    ))
}

use chrono::Datelike;

async fn residents_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(f): Query<pages::Flash>,
) -> Result<Response, WebError> {
    residents_render(&state, &auth, staff.principal, f.msg, None).await
}

async fn residents_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let w = who.clone();
    let result = state
        .run(true, move |tx| -> Result<String, InstitutionsError> {
            let on = || date(g(&f, "on"), "日期");
            let id = || int(g(&f, "id"), "编号");
            Ok(match action.as_str() {
                "admit" => {
                    let n = people::NewResident {
                        name: g(&f, "name").into(),
                        id_number: g(&f, "id_number").into(),
                        care_level: g(&f, "care_level").into(),
                        area: g(&f, "area").into(),
                        room: g(&f, "room").into(),
                        admitted_on: on()?,
                    };
                    format!("已办理入住（编号 {}）", people::admit(tx, &w, &n)?)
                }
                "discharge" => {
                    people::discharge(tx, &w, id()?, on()?)?;
                    "已办理出院".into()
                }
                "leave" => {
                    people::leave(tx, &w, id()?, on()?)?;
                    "已登记外出".into()
                }
                "visit" => {
                    people::request_visit(tx, &w, id()?, g(&f, "visitor"), on()?)?;
                    "已预约探视".into()
                }
                "consult" => {
                    people::consult(tx, &w, g(&f, "enquirer"), g(&f, "phone"), on()?)?;
                    "已登记入住咨询".into()
                }
                "activity" => {
                    people::schedule_activity(tx, &w, g(&f, "title"), on()?)?;
                    "已安排集体活动".into()
                }
                "add-staff" => {
                    people::add_staff(tx, &w, g(&f, "name"), g(&f, "post"), Some(g(&f, "phone")))?;
                    "已加入职工名册".into()
                }
                "add-shift" => {
                    people::add_shift(
                        tx,
                        &w,
                        id()?,
                        g(&f, "post"),
                        on()?,
                        g(&f, "starts"),
                        g(&f, "ends"),
                    )?;
                    "已登记班次".into()
                }
                "return" => {
                    let (kind, pid) = g(&f, "person")
                        .split_once(':')
                        .ok_or_else(|| InstitutionsError::Invalid("请选择返回人员".into()))?;
                    let pid = int(pid, "人员")?;
                    people::record_return(tx, &w, kind, pid, on()?)?;
                    "已登记返回".into()
                }
                "pass" => {
                    people::pass_quarantine(tx, &w, id()?, on()?)?;
                    "已登记隔离观察期满".into()
                }
                "enter" => {
                    people::reenter(tx, &w, id()?, on()?)?;
                    "已入院".into()
                }
                _ => return Err(InstitutionsError::NotFound),
            })
        })
        .await;
    finish(&state, &auth, who, Page::Residents, result).await
}

// ---------------------------------------------------------------- registry and risk levels

async fn register_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let w = who.clone();
    let result = state
        .run(true, move |tx| -> Result<String, InstitutionsError> {
            let opt = |k: &str| Some(g(&f, k).trim().to_owned()).filter(|s| !s.is_empty());
            let n = registry::NewInstitution {
                kind: g(&f, "kind").into(),
                name: g(&f, "name").into(),
                operator: g(&f, "operator").into(),
                socially_operated: g(&f, "socially_operated") == "1",
                credit_code: opt("credit_code"),
                address: g(&f, "address").into(),
                region_code: g(&f, "region_code").into(),
                licence_kind: opt("licence_kind"),
                licence_no: opt("licence_no"),
                beds: int(g(&f, "beds"), "床位数")?,
                resident_count: int(g(&f, "resident_count"), "在院人数")?,
                staff_count: int(g(&f, "staff_count"), "工作人员数")?,
                opened_on: date(g(&f, "opened_on"), "开业日期")?,
            };
            Ok(format!(
                "已登记（编号 {}）",
                registry::register(tx, &w, &n)?
            ))
        })
        .await;
    finish(&state, &auth, who, Page::Registry, result).await
}

async fn close_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let w = who.clone();
    let result = state
        .run(true, move |tx| -> Result<String, InstitutionsError> {
            registry::close(
                tx,
                &w,
                int(g(&f, "id"), "编号")?,
                date(g(&f, "on"), "停业日期")?,
            )?;
            Ok("已登记停业".into())
        })
        .await;
    finish(&state, &auth, who, Page::Registry, result).await
}

async fn risk_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let w = who.clone();
    let result = state
        .run(true, move |tx| -> Result<String, InstitutionsError> {
            epidemic::set_risk_level(
                tx,
                &w,
                g(&f, "district"),
                date(g(&f, "valid_from"), "生效日期")?,
                g(&f, "level"),
            )?;
            Ok("风险等级已设定".into())
        })
        .await;
    finish(&state, &auth, who, Page::Orders, result).await
}

// ---------------------------------------------------------------- inspections and enforcement

async fn inspections_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let w = who.clone();
    let result = state
        .run(true, move |tx| -> Result<String, InstitutionsError> {
            let on = |k: &str| date(g(&f, k), "日期");
            let id = || int(g(&f, "id"), "编号");
            Ok(match action.as_str() {
                "add-inspector" => {
                    inspections::add_inspector(
                        tx,
                        &w,
                        g(&f, "name"),
                        g(&f, "certificate_no"),
                        g(&f, "region"),
                    )?;
                    "已加入执法人员库".into()
                }
                "draw" => {
                    let seed = match g(&f, "seed").trim() {
                        "" => None,
                        s => Some(s.parse::<u64>().map_err(|_| {
                            InstitutionsError::Invalid("随机种子应为非负整数".into())
                        })?),
                    };
                    let count = |k: &str, label: &str| -> Result<usize, InstitutionsError> {
                        usize::try_from(int(g(&f, k), label)?)
                            .map_err(|_| InstitutionsError::Invalid(format!("{label}不能为负数")))
                    };
                    let d = inspections::draw(
                        tx,
                        &w,
                        g(&f, "region"),
                        on("on")?,
                        count("institutions", "抽取机构数")?,
                        count("inspectors", "每组人数")?,
                        seed,
                    )?;
                    format!(
                        "第 {} 次抽取完成：{} 个机构，随机种子 {}",
                        d.id,
                        d.picks.len(),
                        d.seed
                    )
                }
                "record" => {
                    let n = match g(&f, "workdays").trim() {
                        "" => None,
                        s => Some(s.parse::<u32>().map_err(|_| {
                            InstitutionsError::Invalid("整改期限应为工作日数".into())
                        })?),
                    };
                    match inspections::record(tx, &w, id()?, on("on")?, g(&f, "findings"), n)? {
                        Some(d) => format!("已记录，整改期限 {d}"),
                        None => "已记录，未发现问题".into(),
                    }
                }
                "follow-up" => {
                    inspections::follow_up(tx, &w, id()?, on("on")?, g(&f, "note"))?;
                    "已复查办结".into()
                }
                "open-case" => {
                    let n = enforcement::NewCase {
                        institution_id: int(g(&f, "institution_id"), "机构")?,
                        title: g(&f, "title").into(),
                        facts: g(&f, "facts").into(),
                        persons: crate::rules::split_list(g(&f, "persons")),
                        officers: crate::rules::split_list(g(&f, "officers")),
                        major: g(&f, "major") == "1",
                        opened_on: on("on")?,
                    };
                    format!("已立案（第 {} 号）", enforcement::open(tx, &w, &n)?)
                }
                "case-record" => {
                    enforcement::add_record(tx, &w, id()?, g(&f, "step"), g(&f, "note"), None)?;
                    "已记录".into()
                }
                "review" => {
                    enforcement::legal_review(
                        tx,
                        &w,
                        id()?,
                        g(&f, "approved") == "1",
                        g(&f, "opinion"),
                    )?;
                    "法制审核意见已记录".into()
                }
                "decide" => {
                    let due = enforcement::decide(tx, &w, id()?, g(&f, "decision"), on("on")?)?;
                    format!("已作出决定，应于 {due} 前公示")
                }
                "publish" => {
                    enforcement::publish(tx, &w, id()?, on("on")?)?;
                    "已公示（个人信息已遮蔽）".into()
                }
                _ => return Err(InstitutionsError::NotFound),
            })
        })
        .await;
    finish(&state, &auth, who, Page::Inspections, result).await
}

// ---------------------------------------------------------------- policy library

async fn policies_post(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let w = who.clone();
    let result = state
        .run(true, move |tx| -> Result<String, InstitutionsError> {
            Ok(match action.as_str() {
                "issue" => {
                    let n = policy::NewDocument {
                        kind: g(&f, "kind").into(),
                        number: g(&f, "number").into(),
                        title: g(&f, "title").into(),
                        body: g(&f, "body").into(),
                        issued_on: date(g(&f, "issued_on"), "发布日期")?,
                    };
                    policy::issue(tx, &w, &n)?;
                    "已发布".into()
                }
                "confirm" => {
                    policy::confirm(
                        tx,
                        &w,
                        int(g(&f, "id"), "文件")?,
                        g(&f, "evidence"),
                        today(),
                    )?;
                    "已确认落实".into()
                }
                _ => return Err(InstitutionsError::NotFound),
            })
        })
        .await;
    finish(&state, &auth, who, Page::Policies, result).await
}
