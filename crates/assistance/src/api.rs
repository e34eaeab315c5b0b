//! The JSON API of the area under `/api/v1/assistance`: the worklist, a case, any step of the
//! procedure, votes, the amount calculation, a citizen's online application and public objections.
//! Calls with a session cookie carry the `X-CSRF-Token` header.

use crate::AssistanceError;
use crate::amounts::{self, AmountRequest};
use crate::cases::{self, OnlineApplication, OnlineMember, StepForm};
use crate::queries::{self, WorklistQuery};
use crate::rules::Step;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use minzheng_access::Role;
use minzheng_kernel::id_number::china_today;
use minzheng_store::audit::AuditContext;
use minzheng_ui::{ApiError, ApiStaff, AppState, Auth, WebError};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(api_worklist, api_case, api_step, api_vote, api_amount, api_apply, api_object),
    tags((name = "assistance", description = "社会救助：申请、审核确认、公示与异议"))
)]
struct AssistanceApi;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/assistance/worklist", get(api_worklist))
        .route("/api/v1/assistance/cases/{id}", get(api_case))
        .route("/api/v1/assistance/cases/{id}/steps/{step}", post(api_step))
        .route("/api/v1/assistance/meetings/{id}/vote", post(api_vote))
        .route("/api/v1/assistance/amounts", post(api_amount))
        .route("/api/v1/assistance/applications", post(api_apply))
        .route(
            "/api/v1/assistance/notices/{id}/objections",
            post(api_object),
        )
}

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    AssistanceApi::openapi()
}

/// Worklist filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct WorklistParams {
    /// Only this state (e.g. `review`).
    pub state: Option<String>,
    /// Only overdue cases.
    pub overdue: Option<bool>,
    /// Page size (≤ 500).
    pub limit: Option<i64>,
    /// Skip.
    pub offset: Option<i64>,
}

/// Open cases within the caller's scope, soonest deadline first.
#[utoipa::path(get, path = "/api/v1/assistance/worklist", tag = "assistance", params(WorklistParams),
    responses((status = 200, description = "待办案件，按办理期限排序，含是否超期")))]
pub async fn api_worklist(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<WorklistParams>,
) -> Result<Json<Vec<queries::WorkItem>>, ApiError> {
    let who = staff.principal;
    let wq = WorklistQuery {
        state: q.state,
        states: Vec::new(),
        overdue_only: q.overdue.unwrap_or(false),
        limit: q.limit.unwrap_or(50),
        offset: q.offset.unwrap_or(0),
    };
    Ok(Json(
        state
            .run(false, move |tx| {
                queries::worklist(tx, &who, &wq, china_today())
            })
            .await?,
    ))
}

/// One case with its timeline, visits, votes, notices and the steps the caller may take.
#[utoipa::path(get, path = "/api/v1/assistance/cases/{id}", tag = "assistance", params(("id" = i64, Path, description = "申请编号")),
    responses((status = 200, description = "案件"), (status = 404, description = "不存在或不在辖区内")))]
pub async fn api_case(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<queries::CaseView>, ApiError> {
    let who = auth.principal.ok_or(WebError::Unauthorized)?;
    Ok(Json(
        state
            .run(false, move |tx| {
                queries::case_view(tx, &who, id, china_today())
            })
            .await?,
    ))
}

/// The body of a step: only the fields the step needs.
#[derive(Debug, Deserialize, Default, ToSchema)]
pub struct StepBody {
    /// Reasons, findings, missing items.
    #[serde(default)]
    pub text: String,
    /// Staff names (visits) or member usernames (appraisal).
    #[serde(default)]
    pub names: Vec<String>,
    /// Amount in yuan (means check).
    #[serde(default)]
    pub amount: String,
    /// Assets within the rules (means check) / authorization signed (resubmit).
    #[serde(default)]
    pub flag: bool,
    /// Date of a visit, check or meeting (YYYY-MM-DD).
    pub on: Option<String>,
    /// Documents handed in (resubmit).
    #[serde(default)]
    pub documents: Vec<String>,
    /// `video` or `in_person` (appraisal).
    #[serde(default)]
    pub mode: String,
}

fn parse_date(s: &Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    match s.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                ApiError(WebError::BadRequest(format!(
                    "日期“{t}”无效，应为 YYYY-MM-DD"
                )))
            }),
    }
}

/// Takes a step of the procedure (`accept`, `means_check`, `home_visit`, `open_appraisal`,
/// `post_notice`, `close_notice`, `reinvestigate`, `post_renotice`, `close_renotice`,
/// `sample_visit`, `approve`, `refuse`, `first_aid`, `withdraw`, `request_supplement`, `resubmit`).
#[utoipa::path(post, path = "/api/v1/assistance/cases/{id}/steps/{step}", tag = "assistance", request_body = StepBody,
    params(("id" = i64, Path, description = "申请编号"), ("step" = String, Path, description = "步骤")),
    responses((status = 200, description = "办理后的案件"), (status = 400, description = "当前状态不允许或输入有误"), (status = 403, description = "无权办理")))]
pub async fn api_step(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, step)): Path<(i64, String)>,
    Json(b): Json<StepBody>,
) -> Result<Json<queries::CaseView>, ApiError> {
    let who = auth.principal.ok_or(WebError::Unauthorized)?;
    let step = Step::parse(&step).ok_or(WebError::NotFound)?;
    if who.role == Role::Citizen && step != Step::Withdraw && step != Step::Resubmit {
        return Err(WebError::Forbidden("此步骤须由工作人员办理".into()).into());
    }
    let form = StepForm {
        text: b.text,
        names: b.names,
        amount: b.amount,
        flag: b.flag,
        on: parse_date(&b.on)?,
        documents: b.documents,
        mode: b.mode,
    };
    let today = china_today();
    Ok(Json(
        state
            .run(true, move |tx| -> Result<_, AssistanceError> {
                cases::run_step(tx, &who, id, step, &form, today)?;
                queries::case_view(tx, &who, id, today)
            })
            .await?,
    ))
}

/// A vote.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VoteBody {
    /// `agree`, `disagree` or `abstain`.
    pub vote: String,
    /// Opinion.
    #[serde(default)]
    pub opinion: String,
}

/// A member of an appraisal meeting votes from their own account.
#[utoipa::path(post, path = "/api/v1/assistance/meetings/{id}/vote", tag = "assistance", request_body = VoteBody,
    params(("id" = i64, Path, description = "评议编号")), responses((status = 200, description = "已表决"), (status = 400, description = "已表决或评议已结束")))]
pub async fn api_vote(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(b): Json<VoteBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let who = auth.principal.ok_or(WebError::Unauthorized)?;
    state
        .run(true, move |tx| {
            cases::vote(tx, &who, id, &b.vote, &b.opinion)
        })
        .await?;
    Ok(Json(serde_json::json!({ "ok": true })))
}

/// An amount question.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AmountBody {
    /// 12-digit region code.
    pub region_code: String,
    /// As of (YYYY-MM-DD).
    pub on: String,
    /// The request, as `{"Dibao": {...}}`, `{"Tekun": {...}}` or `{"Temporary": {...}}`.
    #[schema(value_type = Object)]
    pub request: serde_json::Value,
}

/// Computes an amount with its explanation from the dated parameters (the same function the
/// decision and the payroll use).
#[utoipa::path(post, path = "/api/v1/assistance/amounts", tag = "assistance", request_body = AmountBody,
    responses((status = 200, description = "金额及逐行计算说明"), (status = 400, description = "输入有误")))]
pub async fn api_amount(
    State(state): State<AppState>,
    _staff: ApiStaff,
    Json(b): Json<AmountBody>,
) -> Result<Json<amounts::Amount>, ApiError> {
    let on = parse_date(&Some(b.on.clone()))?
        .ok_or_else(|| WebError::BadRequest("请提供日期".into()))?;
    let req: AmountRequest = serde_json::from_value(b.request)
        .map_err(|e| WebError::BadRequest(format!("请求格式有误：{e}")))?;
    let region = b.region_code;
    Ok(Json(
        state
            .run(false, move |tx| -> Result<_, AssistanceError> {
                let p = crate::param_set(tx)?;
                Ok(amounts::calculate(&p, &region, on, &req)?)
            })
            .await?,
    ))
}

/// A member listed in an online application.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberBody {
    /// Name.
    pub name: String,
    /// ID number.
    pub id_number: String,
    /// Relation (`spouse`, `child`, `parent`, ...).
    pub relation: String,
}

/// A citizen's online application.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplyBody {
    /// `dibao`, `tekun`, `temporary_assistance`.
    pub program: String,
    /// `emergency` / `expenditure`.
    pub subtype: Option<String>,
    /// 12-digit community code.
    pub region_code: String,
    /// Address.
    pub address: String,
    /// Other members.
    #[serde(default)]
    pub members: Vec<MemberBody>,
    /// Reason.
    pub reason: String,
    /// Documents photographed.
    #[serde(default)]
    pub documents: Vec<String>,
    /// Means-check authorization signed.
    pub authorization_signed: bool,
    /// Phone.
    pub phone: Option<String>,
    /// Temporary assistance need, yuan.
    pub requested: Option<String>,
    /// Tekun self-care fails.
    pub self_care_fails: Option<u8>,
}

/// A signed-in citizen applies online; answers the new application's id.
#[utoipa::path(post, path = "/api/v1/assistance/applications", tag = "assistance", request_body = ApplyBody,
    responses((status = 200, description = "申请编号"), (status = 400, description = "输入有误")))]
pub async fn api_apply(
    State(state): State<AppState>,
    auth: Auth,
    Json(b): Json<ApplyBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let who = auth.principal.ok_or(WebError::Unauthorized)?;
    let input = OnlineApplication {
        program: b.program,
        subtype: b.subtype,
        region_code: b.region_code,
        address: b.address,
        members: b
            .members
            .into_iter()
            .map(|m| OnlineMember {
                name: m.name,
                id_number: m.id_number,
                relation: m.relation,
            })
            .collect(),
        reason: b.reason,
        documents: b.documents,
        authorization_signed: b.authorization_signed,
        phone: b.phone,
        requested: b.requested,
        self_care_fails: b.self_care_fails,
    };
    let id = state
        .run(true, move |tx| {
            cases::apply_online(tx, &who, &input, china_today())
        })
        .await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

/// An objection to a public notice.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ObjectionBody {
    /// Objector (may be 匿名).
    pub objector: String,
    /// Contact.
    #[serde(default)]
    pub contact: String,
    /// Content.
    pub content: String,
}

/// Anyone objects to a notice during its window.
#[utoipa::path(post, path = "/api/v1/assistance/notices/{id}/objections", tag = "assistance", request_body = ObjectionBody,
    params(("id" = i64, Path, description = "公示编号")), responses((status = 200, description = "已受理异议"), (status = 400, description = "公示期已结束")))]
pub async fn api_object(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(b): Json<ObjectionBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let ctx = match &auth.principal {
        Some(p) => p.audit(),
        None => AuditContext {
            actor: "public".into(),
            role: "public".into(),
            address: Some(auth.address.clone()),
            request_id: None,
        },
    };
    let oid = state
        .run(true, move |tx| {
            cases::object(
                tx,
                &ctx,
                id,
                &b.objector,
                &b.contact,
                &b.content,
                china_today(),
            )
        })
        .await?;
    Ok(Json(serde_json::json!({ "id": oid })))
}
