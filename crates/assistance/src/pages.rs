//! The pages of the area: the staff worklist and case page, households, referrals, the public
//! notice list with its objection form, the citizen's application form and status page, and the
//! print views (acceptance notice, one-time supplement notice, public-notice list, approval form,
//! refusal notice).

use crate::AssistanceError;
use crate::cases::{self, OnlineApplication, OnlineMember, StepForm};
use crate::households::{self, NewAsset, NewHousehold, NewIncome, NewMember};
use crate::queries::{self, CaseView, NoticeLine, WorkItem, WorklistQuery};
use crate::referrals::{self, NewReferral, ReferralRow};
use crate::rules::{self, Step};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal, Role};
use minzheng_kernel::id_number::china_today;
use minzheng_store::audit::AuditContext;
use minzheng_ui::auth::url_decode_pairs;
use minzheng_ui::{AppState, Auth, Citizen, Layout, Staff, WebError, render};
use serde::Deserialize;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/assistance", get(home))
        .route("/assistance/cases/{id}", get(case_page))
        .route("/assistance/cases/{id}/step/{step}", post(case_step))
        .route("/assistance/cases/{id}/print/{doc}", get(print_doc))
        .route("/assistance/meetings/{id}/vote", post(vote))
        .route("/assistance/households", post(create_household))
        .route("/assistance/households/{id}", get(household_page))
        .route("/assistance/households/{id}/{what}", post(household_post))
        .route("/assistance/duplicates/{id}", post(decide_duplicate))
        .route("/assistance/relatives", post(register_relative))
        .route(
            "/assistance/referrals",
            get(referrals_page).post(create_referral),
        )
        .route("/assistance/referrals/{id}/{what}", post(referral_post))
        .route("/assistance/notices", get(notices_page))
        .route("/assistance/notices/print", get(notices_print))
        .route("/assistance/notices/{id}/objection", post(objection))
        .route("/assistance/apply", get(apply_page).post(apply_submit))
        .route("/assistance/mine", get(mine_page))
        .route("/assistance/mine/{id}", get(my_case_page))
        .route("/assistance/mine/{id}/withdraw", post(my_withdraw))
        .route("/assistance/mine/{id}/step/{step}", post(my_step))
        .route("/assistance/cases/{id}/documents", post(upload))
        .route("/assistance/mine/{id}/documents", post(upload))
        .route("/assistance/cases/{id}/documents/{doc}", get(download))
        .route("/assistance/mine/{id}/documents/{doc}", get(download))
}

/// A decoded form: repeated fields allowed (check boxes).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &Bytes) -> Fields {
        Fields(url_decode_pairs(body))
    }
    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }
    fn flag(&self, name: &str) -> bool {
        matches!(self.get(name).as_str(), "on" | "1" | "true" | "yes")
    }
    fn date(&self, name: &str) -> Result<Option<NaiveDate>, WebError> {
        let v = self.get(name);
        if v.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| WebError::BadRequest(format!("日期“{v}”无效，应为 YYYY-MM-DD")))
    }
}

fn names(text: &str) -> Vec<String> {
    text.split([',', '，', '、', '\n', ' ', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn back(to: &str, msg: &str) -> Response {
    minzheng_ui::flash::redirect(to, msg)
}

#[derive(Deserialize, Default)]
struct MsgQuery {
    msg: Option<String>,
    err: Option<String>,
    state: Option<String>,
    overdue: Option<String>,
    region: Option<String>,
}

/// A step's form on the case page.
struct StepUi {
    id: String,
    label: String,
    text: Option<&'static str>,
    names: Option<&'static str>,
    amount: Option<&'static str>,
    flag: Option<&'static str>,
    date: Option<&'static str>,
    docs: bool,
    mode: bool,
}

fn step_ui(id: &str, label: &str) -> StepUi {
    let mut u = StepUi {
        id: id.to_owned(),
        label: label.to_owned(),
        text: None,
        names: None,
        amount: None,
        flag: None,
        date: None,
        docs: false,
        mode: false,
    };
    match Step::parse(id) {
        Some(Step::RequestSupplement) => {
            u.text = Some("材料清单以外还缺少的材料（每行一项，可不填）")
        }
        Some(Step::Resubmit) => {
            u.docs = true;
            u.flag = Some("已签署家庭经济状况核对授权书");
        }
        Some(Step::RecordMeansCheck) => {
            u.amount = Some("核对的家庭月可计收入（元）");
            u.flag = Some("家庭财产符合规定");
            u.text = Some("核对情况");
            u.date = Some("核对日期");
        }
        Some(Step::RecordHomeVisit | Step::SampleVisit) => {
            u.names = Some("调查人员（不少于 2 人，用逗号分隔）");
            u.text = Some("调查情况");
            u.date = Some("调查日期");
        }
        Some(Step::OpenAppraisal) => {
            u.names = Some("评议小组成员账户名（用逗号分隔）");
            u.date = Some("评议日期");
            u.mode = true;
        }
        Some(Step::AppraisalDisputed) => u.text = Some("争议情况"),
        Some(Step::PostRenotice) => u.text = Some("复查结论（将答复异议人并公示 3 天）"),
        Some(Step::Refuse) => u.text = Some("不予批准的理由（书面告知申请人）"),
        Some(Step::Withdraw) => u.text = Some("撤回原因"),
        _ => {}
    }
    u
}

// ------------------------------------------------------------------------------------------------
// Staff home: worklist

#[derive(Template)]
#[template(path = "assistance/home.html")]
struct HomePage {
    layout: Layout,
    items: Vec<WorkItem>,
    counts: Vec<(String, i64)>,
    overdue: i64,
    votes: Vec<(i64, i64, String)>,
    duplicates: Vec<(i64, String, String, String)>,
    states: Vec<(String, String)>,
    state: String,
    overdue_only: bool,
    can_household: bool,
    can_handle: bool,
    msg: Option<String>,
    today: String,
}

async fn home(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<MsgQuery>,
) -> Result<Response, WebError> {
    let Some(who) = auth.principal.clone() else {
        return Ok(Redirect::to("/sign-in?next=/assistance").into_response());
    };
    if who.role == Role::Citizen {
        return Ok(Redirect::to("/assistance/mine").into_response());
    }
    if !who.can(Action::AssistanceRead) {
        return Err(WebError::Forbidden("您没有权限查看社会救助情况".into()));
    }
    let today = china_today();
    let default_states = queries::states_for(&who);
    // Default: the role's own worklist (the states where it can act); `all`: every open case.
    let chosen = q.state.clone().unwrap_or_default();
    let (filter, states) = match chosen.as_str() {
        "" => (
            None,
            default_states.iter().map(|s| s.id().to_owned()).collect(),
        ),
        "all" => (None, Vec::new()),
        s => (Some(s.to_owned()), Vec::new()),
    };
    let overdue_only = q.overdue.is_some();
    let w = who.clone();
    let (items, (counts, overdue), votes, duplicates) = state
        .run(false, move |tx| -> Result<_, AssistanceError> {
            let wl = WorklistQuery {
                state: filter,
                states,
                overdue_only,
                limit: 100,
                offset: 0,
            };
            Ok((
                queries::worklist(tx, &w, &wl, today)?,
                queries::counts(tx, &w, today)?,
                queries::my_votes(tx, &w)?,
                if w.can(Action::HouseholdManage) {
                    queries::duplicates(tx, &w)?
                } else {
                    Vec::new()
                },
            ))
        })
        .await?;
    let states = default_states
        .iter()
        .map(|s| (s.id().to_owned(), s.label_zh().to_owned()))
        .collect();
    Ok(render(&HomePage {
        layout: Layout::new("assistance", &auth),
        items,
        counts,
        overdue,
        votes,
        duplicates,
        states,
        state: q.state.unwrap_or_default(),
        overdue_only,
        can_household: who.can(Action::HouseholdManage),
        can_handle: who.can(Action::CaseHandle),
        msg: q.msg.or(q.err),
        today: today.to_string(),
    }))
}

// ------------------------------------------------------------------------------------------------
// Case page

#[derive(Template)]
#[template(path = "assistance/case.html")]
struct CasePage {
    layout: Layout,
    c: CaseView,
    steps: Vec<StepUi>,
    documents: Vec<(&'static str, &'static str)>,
    msg: Option<String>,
    citizen: bool,
}

async fn case_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<MsgQuery>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let c = state
        .run(false, move |tx| {
            queries::case_view(tx, &who, id, china_today())
        })
        .await?;
    let steps = c.steps.iter().map(|(id, l)| step_ui(id, l)).collect();
    Ok(render(&CasePage {
        layout: Layout::new("assistance", &auth),
        c,
        steps,
        documents: rules::DOCUMENTS.to_vec(),
        msg: q.msg,
        citizen: false,
    }))
}

fn step_form(f: &Fields) -> Result<StepForm, WebError> {
    Ok(StepForm {
        text: f.get("text"),
        names: names(&f.get("names")),
        amount: f.get("amount"),
        flag: f.flag("flag"),
        on: f.date("on")?,
        documents: f.all("documents"),
        mode: f.get("mode"),
    })
}

async fn case_step(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, step)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let step = Step::parse(&step).ok_or(WebError::NotFound)?;
    let form = step_form(&Fields::parse(&body))?;
    let who = staff.principal;
    let to = format!("/assistance/cases/{id}");
    match state
        .run(true, move |tx| {
            cases::run_step(tx, &who, id, step, &form, china_today())
        })
        .await
    {
        Ok(()) => Ok(back(&to, &format!("已办理：{}", step.label_zh()))),
        Err(AssistanceError::Invalid(m)) => Ok(back(&to, &m)),
        Err(e) => Err(e.into()),
    }
}

async fn vote(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let who = auth.principal.ok_or(WebError::Unauthorized)?;
    let f = Fields::parse(&body);
    let (choice, opinion) = (f.get("vote"), f.get("opinion"));
    let case = f.get("case");
    let to = if who.role == Role::Citizen {
        "/assistance/mine".to_owned()
    } else {
        format!("/assistance/cases/{case}")
    };
    match state
        .run(true, move |tx| cases::vote(tx, &who, id, &choice, &opinion))
        .await
    {
        Ok(()) => Ok(back(&to, "已表决")),
        Err(AssistanceError::Invalid(m)) => Ok(back(&to, &m)),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------------------------------------
// Print views

#[derive(Template)]
#[template(path = "assistance/print.html")]
struct PrintPage {
    layout: Layout,
    doc: String,
    title: String,
    c: CaseView,
    today: String,
}

async fn print_doc(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path((id, doc)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let title = match doc.as_str() {
        "acceptance" => "受理通知书",
        "supplement" => "一次性告知书",
        "approval" => "社会救助审批表",
        "refusal" => "不予批准通知书",
        _ => return Err(WebError::NotFound),
    };
    let who = staff.principal;
    let today = china_today();
    let c = state
        .run(false, move |tx| queries::case_view(tx, &who, id, today))
        .await?;
    let ok = match doc.as_str() {
        "acceptance" => c.accepted_on.is_some(),
        "supplement" => c.missing.is_some(),
        "approval" => c.state == "approved",
        _ => c.state == "refused",
    };
    if !ok {
        return Err(WebError::BadRequest(format!("本案尚无{title}")));
    }
    Ok(render(&PrintPage {
        layout: Layout::new("assistance", &auth),
        doc,
        title: title.to_owned(),
        c,
        today: today.to_string(),
    }))
}

// ------------------------------------------------------------------------------------------------
// Households

#[derive(Template)]
#[template(path = "assistance/household.html")]
struct HouseholdPage {
    layout: Layout,
    id: i64,
    region: String,
    members: Vec<(i64, String, String, String, String)>,
    incomes: Vec<(String, String, String, bool)>,
    assets: Vec<(String, String, String, String)>,
    relations: Vec<(&'static str, &'static str)>,
    exclusions: Vec<(&'static str, &'static str)>,
    income_kinds: Vec<(&'static str, &'static str)>,
    asset_kinds: Vec<(&'static str, &'static str)>,
    documents: Vec<(&'static str, &'static str)>,
    msg: Option<String>,
    today: String,
}

async fn create_household(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = Fields::parse(&body);
    let input = NewHousehold {
        region_code: f.get("region_code"),
        address: f.get("address"),
    };
    let who = staff.principal;
    match state
        .run(true, move |tx| {
            households::create_household(tx, &who, &input)
        })
        .await
    {
        Ok(id) => Ok(back(
            &format!("/assistance/households/{id}"),
            "已登记家庭，请添加成员",
        )),
        Err(AssistanceError::Invalid(m)) => Ok(back("/assistance", &m)),
        Err(e) => Err(e.into()),
    }
}

async fn household_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<MsgQuery>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let today = china_today();
    let unmask = who.can(Action::PersonUnmask);
    let (region, members, incomes, assets) = state
        .run(false, move |tx| -> Result<_, AssistanceError> {
            who.require(Action::AssistanceRead)?;
            let region = households::household_region(tx, &who, id)?;
            let p = crate::param_set(tx)?;
            let members = households::members(tx, id)?
                .into_iter()
                .map(|m| {
                    let counted = match households::counted(&m, &p, &region, today) {
                        Ok(()) => "计入".to_owned(),
                        Err(w) => format!("不计入：{w}"),
                    };
                    let (name, idn) = if unmask { (m.name.clone(), m.id_number.clone()) } else { (minzheng_kernel::mask::name(&m.name), minzheng_kernel::mask::id_number(&m.id_number)) };
                    (m.person_id, name, idn, rules::label(rules::RELATIONS, &m.relation).to_owned(), counted)
                })
                .collect::<Vec<_>>();
            let incomes = tx
                .query("SELECT month, kind, amount_fen, countable FROM household_income WHERE household_id = $1 ORDER BY month DESC, id", minzheng_store::params![id])?
                .into_iter()
                .map(|r| Ok((r.get(0)?, rules::label(rules::INCOME_KINDS, &r.get::<String>(1)?).to_owned(), minzheng_kernel::money::Fen(r.get(2)?).yuan_string(), r.get(3)?)))
                .collect::<Result<Vec<_>, AssistanceError>>()?;
            let assets = tx
                .query("SELECT as_of, kind, description, value_fen FROM household_asset WHERE household_id = $1 ORDER BY as_of DESC, id", minzheng_store::params![id])?
                .into_iter()
                .map(|r| Ok((r.get(0)?, rules::label(rules::ASSET_KINDS, &r.get::<String>(1)?).to_owned(), r.get(2)?, minzheng_kernel::money::Fen(r.get(3)?).yuan_string())))
                .collect::<Result<Vec<_>, AssistanceError>>()?;
            Ok((region, members, incomes, assets))
        })
        .await?;
    Ok(render(&HouseholdPage {
        layout: Layout::new("assistance", &auth),
        id,
        region: format!("{}（{}）", households::region_name(&region), region),
        members,
        incomes,
        assets,
        relations: rules::RELATIONS.to_vec(),
        exclusions: rules::EXCLUSIONS.to_vec(),
        income_kinds: rules::INCOME_KINDS.to_vec(),
        asset_kinds: rules::ASSET_KINDS.to_vec(),
        documents: rules::DOCUMENTS.to_vec(),
        msg: q.msg,
        today: today.to_string(),
    }))
}

async fn household_post(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, what)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = Fields::parse(&body);
    let who = staff.principal;
    let today = china_today();
    let to = format!("/assistance/households/{id}");
    let result: Result<String, AssistanceError> = match what.as_str() {
        "members" => {
            let grade = f.get("disability_grade");
            let input = NewMember {
                id_number: f.get("id_number"),
                name: f.get("name"),
                relation: f.get("relation"),
                co_resident: f.flag("co_resident"),
                exclusion: if f.get("exclusion").is_empty() {
                    "none".into()
                } else {
                    f.get("exclusion")
                },
                exclusion_since: f.date("exclusion_since")?,
                separate_household: f.flag("separate_household"),
                disability_grade: if grade.is_empty() {
                    None
                } else {
                    Some(
                        grade
                            .parse()
                            .map_err(|_| WebError::BadRequest("残疾等级应为 1 至 4".into()))?,
                    )
                },
                serious_illness: f.flag("serious_illness"),
                student: f.flag("student"),
            };
            state
                .run(true, move |tx| {
                    households::add_member(tx, &who, id, &input, today)
                })
                .await
                .map(|m| {
                    if m.duplicates_flagged > 0 {
                        format!(
                            "已添加成员；发现 {} 条疑似重复人员，请核实",
                            m.duplicates_flagged
                        )
                    } else {
                        "已添加成员".into()
                    }
                })
        }
        "remove" => {
            let pid: i64 = f
                .get("person_id")
                .parse()
                .map_err(|_| WebError::BadRequest("人员编号无效".into()))?;
            state
                .run(true, move |tx| {
                    households::remove_member(tx, &who, id, pid, today)
                })
                .await
                .map(|_| "已办理迁出".into())
        }
        "incomes" => {
            let input = NewIncome {
                person_id: f.get("person_id").parse().ok(),
                kind: f.get("kind"),
                month: f.get("month"),
                amount: f.get("amount"),
                note: f.get("note"),
            };
            state
                .run(true, move |tx| {
                    households::add_income(tx, &who, id, &input, today)
                })
                .await
                .map(|_| "已登记收入".into())
        }
        "assets" => {
            let input = NewAsset {
                kind: f.get("kind"),
                description: f.get("description"),
                value: f.get("value"),
                exempt: f.flag("exempt"),
                as_of: f.date("as_of")?.unwrap_or(today),
            };
            state
                .run(true, move |tx| {
                    households::add_asset(tx, &who, id, &input, today)
                })
                .await
                .map(|_| "已登记财产".into())
        }
        "apply" => {
            let input = cases::NewApplication {
                household_id: id,
                applicant_person_id: f.get("applicant").parse().unwrap_or(0),
                program: f.get("program"),
                subtype: Some(f.get("subtype")).filter(|s| !s.is_empty()),
                channel: f.get("channel"),
                reason: f.get("reason"),
                documents: f.all("documents"),
                authorization_signed: f.flag("authorization"),
                phone: Some(f.get("phone")),
                requested: Some(f.get("requested")),
                self_care_fails: f.get("self_care_fails").parse().ok(),
            };
            match state
                .run(true, move |tx| cases::apply(tx, &who, &input, today))
                .await
            {
                Ok(case) => return Ok(back(&format!("/assistance/cases/{case}"), "已受理登记")),
                Err(e) => Err(e),
            }
        }
        _ => return Err(WebError::NotFound),
    };
    match result {
        Ok(m) => Ok(back(&to, &m)),
        Err(AssistanceError::Invalid(m)) => Ok(back(&to, &m)),
        Err(e) => Err(e.into()),
    }
}

async fn decide_duplicate(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let same = Fields::parse(&body).get("decision") == "same";
    let who = staff.principal;
    state
        .run(true, move |tx| {
            households::decide_duplicate(tx, &who, id, same)
        })
        .await?;
    Ok(back("/assistance", "已处理疑似重复人员"))
}

async fn register_relative(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = Fields::parse(&body);
    let who = staff.principal;
    let r = state
        .run(true, move |tx| {
            households::register_relative(
                tx,
                &who,
                &f.get("id_number"),
                &f.get("relative_name"),
                &f.get("staff_name"),
                &f.get("staff_position"),
                &f.get("relation"),
                china_today(),
            )
        })
        .await;
    match r {
        Ok(_) => Ok(back(
            "/assistance",
            "已登记备案：该亲属的申请须由区县入户调查",
        )),
        Err(AssistanceError::Invalid(m)) => Ok(back("/assistance", &m)),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------------------------------------
// Referrals

#[derive(Template)]
#[template(path = "assistance/referrals.html")]
struct ReferralsPage {
    layout: Layout,
    items: Vec<ReferralRow>,
    departments: Vec<(&'static str, &'static str)>,
    can_create: bool,
    can_answer: bool,
    msg: Option<String>,
}

async fn referrals_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<MsgQuery>,
) -> Result<Response, WebError> {
    let who = staff.principal;
    let (can_create, can_answer) = (who.can(Action::CaseHandle), who.can(Action::ReferralAnswer));
    let items = state
        .run(false, move |tx| {
            referrals::list(tx, &who, china_today(), 200)
        })
        .await?;
    Ok(render(&ReferralsPage {
        layout: Layout::new("assistance", &auth),
        items,
        departments: rules::DEPARTMENTS.to_vec(),
        can_create,
        can_answer,
        msg: q.msg,
    }))
}

async fn create_referral(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = Fields::parse(&body);
    let input = NewReferral {
        application_id: f.get("application_id").parse().ok(),
        region_code: f.get("region_code"),
        person_name: f.get("person_name"),
        id_number: f.get("id_number"),
        phone: Some(f.get("phone")).filter(|s| !s.is_empty()),
        to_dept: f.get("to_dept"),
        item_type: f.get("item_type"),
        description: f.get("description"),
    };
    let who = staff.principal;
    match state
        .run(true, move |tx| {
            referrals::create(tx, &who, &input, china_today())
        })
        .await
    {
        Ok(_) => Ok(back("/assistance/referrals", "已登记并转办")),
        Err(AssistanceError::Invalid(m)) => Ok(back("/assistance/referrals", &m)),
        Err(e) => Err(e.into()),
    }
}

async fn referral_post(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, what)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = Fields::parse(&body);
    let who = staff.principal;
    let today = china_today();
    let r = match what.as_str() {
        "answer" => {
            let (st, text) = (f.get("status"), f.get("answer"));
            state
                .run(true, move |tx| {
                    referrals::answer(tx, &who, id, &st, &text, today)
                })
                .await
        }
        "feedback" => {
            state
                .run(true, move |tx| referrals::feedback(tx, &who, id, today))
                .await
        }
        _ => return Err(WebError::NotFound),
    };
    match r {
        Ok(()) => Ok(back("/assistance/referrals", "已办理")),
        Err(AssistanceError::Invalid(m)) => Ok(back("/assistance/referrals", &m)),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------------------------------------
// Public notices and objections (no sign-in)

#[derive(Template)]
#[template(path = "assistance/notices.html")]
struct NoticesPage {
    layout: Layout,
    lines: Vec<NoticeLine>,
    region: String,
    msg: Option<String>,
    print: bool,
    today: String,
}

async fn notices_list(state: &AppState, region: String) -> Result<Vec<NoticeLine>, WebError> {
    Ok(state
        .run(false, move |tx| {
            queries::public_notices(tx, &region, china_today(), 500)
        })
        .await?)
}

async fn notices_page(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<MsgQuery>,
) -> Result<Response, WebError> {
    let region = q.region.clone().unwrap_or_else(|| "50".into());
    let lines = notices_list(&state, region.clone()).await?;
    Ok(render(&NoticesPage {
        layout: Layout::new("assistance", &auth),
        lines,
        region,
        msg: q.msg,
        print: false,
        today: china_today().to_string(),
    }))
}

async fn notices_print(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<MsgQuery>,
) -> Result<Response, WebError> {
    let region = q.region.clone().unwrap_or_else(|| "50".into());
    let lines = notices_list(&state, region.clone()).await?;
    Ok(render(&NoticesPage {
        layout: Layout::new("assistance", &auth),
        lines,
        region,
        msg: None,
        print: true,
        today: china_today().to_string(),
    }))
}

async fn objection(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = Fields::parse(&body);
    let ctx = match &auth.principal {
        Some(p) => p.audit(),
        None => AuditContext {
            actor: "public".into(),
            role: "public".into(),
            address: Some(auth.address.clone()),
            request_id: None,
        },
    };
    let (who, contact, content) = (f.get("objector"), f.get("contact"), f.get("content"));
    let to = format!("/assistance/notices?region={}", f.get("region"));
    match state
        .run(true, move |tx| {
            cases::object(tx, &ctx, id, &who, &contact, &content, china_today())
        })
        .await
    {
        Ok(_) => Ok(minzheng_ui::flash::redirect(
            &to,
            "异议已提交，工作人员将重新调查并答复",
        )),
        Err(AssistanceError::Invalid(m)) => Ok(minzheng_ui::flash::redirect(&to, &m)),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------------------------------------
// Citizens: apply on the phone, follow one's cases

#[derive(Template)]
#[template(path = "assistance/apply.html")]
struct ApplyPage {
    layout: Layout,
    documents: Vec<(&'static str, &'static str)>,
    relations: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    bound: bool,
}

async fn citizen_bound(state: &AppState, who: &Principal) -> Result<bool, WebError> {
    let w = who.clone();
    Ok(state
        .run(false, move |tx| -> Result<bool, AssistanceError> {
            let r = tx.query_one(
                "SELECT id_number FROM account WHERE id = $1",
                minzheng_store::params![w.account_id],
            )?;
            Ok(r.get::<Option<String>>(0)?.is_some())
        })
        .await?)
}

async fn apply_page(
    State(state): State<AppState>,
    auth: Auth,
    citizen: Citizen,
) -> Result<Response, WebError> {
    let bound = citizen_bound(&state, &citizen.principal).await?;
    Ok(render(&ApplyPage {
        layout: Layout::new("assistance", &auth),
        documents: rules::DOCUMENTS.to_vec(),
        relations: rules::RELATIONS.to_vec(),
        error: None,
        bound,
    }))
}

fn online_form(f: &Fields) -> OnlineApplication {
    let mut members = Vec::new();
    for i in 1..=6 {
        let name = f.get(&format!("m{i}_name"));
        let idn = f.get(&format!("m{i}_id"));
        if !name.is_empty() || !idn.is_empty() {
            members.push(OnlineMember {
                name,
                id_number: idn,
                relation: f.get(&format!("m{i}_relation")),
            });
        }
    }
    OnlineApplication {
        program: f.get("program"),
        subtype: Some(f.get("subtype")).filter(|s| !s.is_empty()),
        region_code: f.get("region_code"),
        address: f.get("address"),
        members,
        reason: f.get("reason"),
        documents: f.all("documents"),
        authorization_signed: f.flag("authorization"),
        phone: Some(f.get("phone")).filter(|s| !s.is_empty()),
        requested: Some(f.get("requested")).filter(|s| !s.is_empty()),
        self_care_fails: f.get("self_care_fails").parse().ok(),
    }
}

async fn apply_submit(
    State(state): State<AppState>,
    auth: Auth,
    citizen: Citizen,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = Fields::parse(&body);
    let input = online_form(&f);
    let who = citizen.principal.clone();
    match state
        .run(true, move |tx| {
            cases::apply_online(tx, &who, &input, china_today())
        })
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/assistance/mine/{id}")).into_response()),
        Err(AssistanceError::Invalid(m)) => {
            let bound = citizen_bound(&state, &citizen.principal).await?;
            Ok((
                axum::http::StatusCode::BAD_REQUEST,
                render(&ApplyPage {
                    layout: Layout::new("assistance", &auth),
                    documents: rules::DOCUMENTS.to_vec(),
                    relations: rules::RELATIONS.to_vec(),
                    error: Some(m),
                    bound,
                }),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "assistance/mine.html")]
struct MinePage {
    layout: Layout,
    cases: Vec<queries::MyCase>,
    votes: Vec<(i64, i64, String)>,
    msg: Option<String>,
}

async fn mine_page(
    State(state): State<AppState>,
    auth: Auth,
    citizen: Citizen,
    Query(q): Query<MsgQuery>,
) -> Result<Response, WebError> {
    let who = citizen.principal;
    let (cases, votes) = state
        .run(false, move |tx| -> Result<_, AssistanceError> {
            Ok((queries::my_cases(tx, &who)?, queries::my_votes(tx, &who)?))
        })
        .await?;
    Ok(render(&MinePage {
        layout: Layout::new("assistance", &auth),
        cases,
        votes,
        msg: q.msg,
    }))
}

async fn my_case_page(
    State(state): State<AppState>,
    auth: Auth,
    citizen: Citizen,
    Path(id): Path<i64>,
    Query(q): Query<MsgQuery>,
) -> Result<Response, WebError> {
    let who = citizen.principal;
    let c = state
        .run(false, move |tx| {
            queries::case_view(tx, &who, id, china_today())
        })
        .await?;
    let steps = c
        .steps
        .iter()
        .filter(|(s, _)| s == "withdraw")
        .map(|(id, l)| step_ui(id, l))
        .collect();
    Ok(render(&CasePage {
        layout: Layout::new("assistance", &auth),
        c,
        steps,
        documents: rules::DOCUMENTS.to_vec(),
        msg: q.msg,
        citizen: true,
    }))
}

async fn my_withdraw(
    State(state): State<AppState>,
    citizen: Citizen,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let text = Fields::parse(&body).get("text");
    let who = citizen.principal;
    let to = format!("/assistance/mine/{id}");
    match state
        .run(true, move |tx| {
            cases::withdraw(tx, &who, id, &text, china_today())
        })
        .await
    {
        Ok(_) => Ok(back(&to, "申请已撤回")),
        Err(AssistanceError::Invalid(m)) => Ok(back(&to, &m)),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------------------------------------
// Photos of documents and visits (multipart through htmx, which sends the CSRF header)

/// Splits a `multipart/form-data` body into its parts: (field name, file name if a file, bytes).
async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let who = auth.principal.ok_or(WebError::Unauthorized)?;
    let to = if who.role == Role::Citizen {
        format!("/assistance/mine/{id}")
    } else {
        format!("/assistance/cases/{id}")
    };
    let result = match minzheng_ui::multipart::parse(&headers, &body) {
        Ok(parts) => {
            let kind = parts
                .iter()
                .find(|p| p.name == "kind" && p.file_name.is_none())
                .map(|p| p.text())
                .unwrap_or_default();
            let files: Vec<cases::Upload> = parts
                .into_iter()
                .filter(|p| p.is_file())
                .map(|p| cases::Upload {
                    file_name: p.file_name.unwrap_or_default(),
                    bytes: p.bytes,
                })
                .collect();
            state
                .run(true, move |tx| {
                    cases::add_documents(tx, &who, id, &kind, &files)
                })
                .await
        }
        Err(message) => Err(AssistanceError::Invalid(message)),
    };
    let html = match result {
        Ok(n) => {
            let msg = format!("已上传 {n} 张照片");
            return Ok(minzheng_ui::flash::hx_redirect(&to, &msg, msg.clone()));
        }
        Err(AssistanceError::Invalid(m)) => m,
        Err(e) => return Err(e.into()),
    };
    let escaped = html
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!("<div class=\"error-box\" role=\"alert\">{escaped}</div>"),
    )
        .into_response())
}

async fn download(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, doc)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let who = auth.principal.ok_or(WebError::Unauthorized)?;
    let (meta, bytes) = state
        .run(false, move |tx| -> Result<_, AssistanceError> {
            let aid = cases::document(tx, &who, id, doc)?;
            let meta =
                minzheng_store::attachments::meta(tx, aid)?.ok_or(AssistanceError::NotFound)?;
            let bytes =
                minzheng_store::attachments::read_all(tx, aid)?.ok_or(AssistanceError::NotFound)?;
            Ok((meta, bytes))
        })
        .await?;
    Ok(minzheng_ui::download::stored_file(
        &meta.content_type,
        &meta.file_name,
        bytes,
    ))
}

/// The applicant's own steps: hand in what was missing, or withdraw.
async fn my_step(
    State(state): State<AppState>,
    citizen: Citizen,
    Path((id, step)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let step = match Step::parse(&step) {
        Some(s @ (Step::Resubmit | Step::Withdraw)) => s,
        _ => return Err(WebError::NotFound),
    };
    let form = step_form(&Fields::parse(&body))?;
    let who = citizen.principal;
    let to = format!("/assistance/mine/{id}");
    match state
        .run(true, move |tx| {
            cases::run_step(tx, &who, id, step, &form, china_today())
        })
        .await
    {
        Ok(()) => Ok(back(&to, &format!("已办理：{}", step.label_zh()))),
        Err(AssistanceError::Invalid(m)) => Ok(back(&to, &m)),
        Err(e) => Err(e.into()),
    }
}
