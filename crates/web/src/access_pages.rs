//! The pages of access: staff sign-in and sign-out, one's own account, account management within
//! one's scope, the audit search, the development inbox, and the citizens' sign-in by SMS code.

use crate::auth::{Auth, Citizen, SESSION_COOKIE, Staff, set_cookie};
use crate::error::WebError;
use crate::pages::{Layout, render};
use crate::server::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minzheng_access::accounts::{self, Account, AccountFilter, NewAccount};
use minzheng_access::audit_search::{self, AuditQuery, AuditRow};
use minzheng_access::notify::{self, Message};
use minzheng_access::{AccessError, Action, Role, citizens, otp, sessions, sign_in};
use serde::Deserialize;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_page).post(sign_in_submit))
        .route("/sign-out", post(sign_out))
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
        .route("/account/sign-out-everywhere", post(sign_out_everywhere))
        .route("/admin/accounts", get(accounts_page).post(create_account))
        .route("/admin/accounts/{id}", get(account_detail))
        .route("/admin/accounts/{id}/{op}", post(account_op))
        .route("/admin/audit", get(audit_page))
        .route("/dev/inbox", get(inbox_page))
        .route("/admin/identity", get(identity_page))
        .route("/admin/identity/verify", post(identity_verify))
        .route("/admin/identity/disputes/{id}", post(dispute_resolve))
        .route("/citizen/sign-in", get(citizen_sign_in_page))
        .route("/citizen/code", post(citizen_request_code))
        .route("/citizen/sign-in", post(citizen_sign_in))
        .route("/citizen", get(citizen_home))
        .route("/citizen/id-number", post(citizen_bind))
}

/// The redirect after sign-in with the session cookie: a browser-session cookie that ends when the
/// browser closes, unless the person asked to be remembered on this device (then it lasts as long as
/// the session may).
fn session_cookie_response(state: &AppState, token: &str, to: &str, remember: bool) -> Response {
    let age = remember.then(|| state.session_policy.absolute.num_seconds());
    let mut r = Redirect::to(to).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, token, age, state.secure_cookies),
    );
    r
}

/// Where to go after sign-in: the page asked for when it is a path of this site, else the account.
fn safe_next(next: Option<&str>) -> &str {
    next.and_then(crate::auth::same_origin_path)
        .unwrap_or("/account")
}

// ---- staff sign-in ----

#[derive(Template)]
#[template(path = "access/sign_in.html")]
struct SignInPage {
    layout: Layout,
    message: Option<String>,
    next: String,
    username: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn sign_in_page(auth: Auth, Query(q): Query<NextQuery>) -> Response {
    render(&SignInPage {
        layout: Layout::new("", &auth),
        message: None,
        next: q.next.unwrap_or_default(),
        username: String::new(),
    })
}

#[derive(Deserialize)]
struct SignInForm {
    username: String,
    password: String,
    next: Option<String>,
    remember: Option<String>,
}

async fn sign_in_submit(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<SignInForm>,
) -> Response {
    let db = state.db.clone();
    let policy = state.session_policy;
    let (username, password, address) = (f.username.clone(), f.password, auth.address.clone());
    let result = tokio::task::spawn_blocking(move || {
        sign_in::password_sign_in(
            &db,
            &username,
            &password,
            &address,
            chrono::Utc::now(),
            &policy,
        )
    })
    .await
    .map_err(|e| AccessError::Internal(e.to_string()))
    .and_then(|r| r);
    match result {
        Ok(s) => session_cookie_response(
            &state,
            &s.token,
            safe_next(f.next.as_deref()),
            f.remember.is_some(),
        ),
        Err(AccessError::Internal(cause)) => WebError::Internal(cause).into_response(),
        Err(e) => {
            let status = if matches!(e, AccessError::TooManyAttempts) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            let page = SignInPage {
                layout: Layout::new("", &auth),
                message: Some(e.to_string()),
                next: f.next.unwrap_or_default(),
                username: f.username,
            };
            (status, render(&page)).into_response()
        }
    }
}

async fn sign_out(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    if let Some(token) = crate::auth::cookie(&headers, SESSION_COOKIE) {
        state
            .run(true, move |tx| sessions::revoke(tx, &token))
            .await?;
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), state.secure_cookies),
    );
    Ok(r)
}

// ---- one's own account ----

#[derive(Template)]
#[template(path = "access/account.html")]
struct AccountPage {
    layout: Layout,
    username: String,
    role_name: &'static str,
    scope: String,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct MessageQuery {
    done: Option<String>,
}

async fn account_page(auth: Auth, staff: Staff, Query(q): Query<MessageQuery>) -> Response {
    let p = &staff.principal;
    let message = q.done.map(|d| match d.as_str() {
        "password" => "密码已修改，其他设备上的登录已退出。".to_owned(),
        _ => "已完成。".to_owned(),
    });
    render(&AccountPage {
        layout: Layout::new("", &auth),
        username: p.username.clone(),
        role_name: p.role.name_zh(),
        scope: p.scope_code.clone(),
        message,
        error: None,
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new_password: String,
    confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<PasswordForm>,
) -> Response {
    let me = staff.principal.clone();
    let result = if f.new_password != f.confirm {
        Err(AccessError::Invalid("两次输入的新密码不一致".into()))
    } else {
        state
            .run(true, move |tx| {
                accounts::change_own_password(tx, &me, &f.current, &f.new_password)
            })
            .await
    };
    match result {
        Ok(()) => Redirect::to("/sign-in?next=/account%3Fdone%3Dpassword").into_response(),
        Err(AccessError::Internal(c)) => WebError::Internal(c).into_response(),
        Err(e) => {
            let p = &staff.principal;
            let page = AccountPage {
                layout: Layout::new("", &auth),
                username: p.username.clone(),
                role_name: p.role.name_zh(),
                scope: p.scope_code.clone(),
                message: None,
                error: Some(e.to_string()),
            };
            (StatusCode::BAD_REQUEST, render(&page)).into_response()
        }
    }
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Response, WebError> {
    let id = staff.principal.account_id;
    state
        .run(true, move |tx| sessions::revoke_all(tx, id))
        .await?;
    let mut r = Redirect::to("/sign-in").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), state.secure_cookies),
    );
    Ok(r)
}

// ---- account management ----

#[derive(Template)]
#[template(path = "access/accounts.html")]
struct AccountsPage {
    layout: Layout,
    accounts: Vec<Account>,
    total: i64,
    roles: Vec<(&'static str, &'static str)>,
    filter_role: String,
    filter_text: String,
    can_manage: bool,
    error: Option<String>,
    form: NewAccountForm,
}

#[derive(Deserialize, Default, Clone)]
struct AccountsQuery {
    role: Option<String>,
    q: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct NewAccountForm {
    username: String,
    display_name: String,
    role: String,
    scope: String,
    unit_id: Option<String>,
    password: String,
    phone: Option<String>,
}

fn role_options(viewer: &minzheng_access::Principal) -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .into_iter()
        .filter(|r| viewer.role.may_administer(*r))
        .map(|r| (r.id(), r.name_zh()))
        .collect()
}

async fn render_accounts(
    state: &AppState,
    auth: &Auth,
    staff: &Staff,
    q: AccountsQuery,
    error: Option<String>,
    form: NewAccountForm,
) -> Result<Response, WebError> {
    let viewer = staff.principal.clone();
    let filter = AccountFilter {
        role: q.role.as_deref().and_then(Role::from_id),
        text: q.q.clone(),
    };
    let (list, total) = state
        .run(false, move |tx| -> Result<_, AccessError> {
            Ok((
                accounts::list(tx, &viewer, &filter)?,
                accounts::count(tx, &viewer)?,
            ))
        })
        .await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = AccountsPage {
        layout: Layout::new("", auth),
        accounts: list,
        total,
        roles: role_options(&staff.principal),
        filter_role: q.role.unwrap_or_default(),
        filter_text: q.q.unwrap_or_default(),
        can_manage: staff.principal.can(Action::AccountManage),
        error,
        form,
    };
    Ok((status, render(&page)).into_response())
}

async fn accounts_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<AccountsQuery>,
) -> Result<Response, WebError> {
    render_accounts(&state, &auth, &staff, q, None, NewAccountForm::default()).await
}

async fn create_account(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<NewAccountForm>,
) -> Result<Response, WebError> {
    let unit_id = match f
        .unit_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => match s.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return render_accounts(
                    &state,
                    &auth,
                    &staff,
                    AccountsQuery::default(),
                    Some("所属机构编号应为数字".into()),
                    f,
                )
                .await;
            }
        },
        None => None,
    };
    let Some(role) = Role::from_id(&f.role) else {
        return render_accounts(
            &state,
            &auth,
            &staff,
            AccountsQuery::default(),
            Some("请选择角色".into()),
            f,
        )
        .await;
    };
    let new = NewAccount {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role,
        scope: f.scope.clone(),
        unit_id,
        password: f.password.clone(),
        phone: f.phone.clone(),
    };
    let actor = staff.principal.clone();
    match state
        .run(true, move |tx| accounts::create(tx, &actor, &new))
        .await
    {
        Ok(a) => Ok(Redirect::to(&format!("/admin/accounts/{}", a.id)).into_response()),
        Err(AccessError::Internal(c)) => Err(WebError::Internal(c)),
        Err(e) => {
            let form = NewAccountForm {
                password: String::new(),
                ..f
            };
            render_accounts(
                &state,
                &auth,
                &staff,
                AccountsQuery::default(),
                Some(e.to_string()),
                form,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "access/account_detail.html")]
struct AccountDetailPage {
    layout: Layout,
    account: Account,
    role_name: &'static str,
    can_manage: bool,
    can_unmask: bool,
    revealed_phone: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

async fn render_detail(
    state: &AppState,
    auth: &Auth,
    staff: &Staff,
    id: i64,
    revealed_phone: Option<String>,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let viewer = staff.principal.clone();
    let account = state
        .run(false, move |tx| accounts::get(tx, &viewer, id))
        .await?;
    let p = &staff.principal;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = AccountDetailPage {
        layout: Layout::new("", auth),
        role_name: account.role.name_zh(),
        can_manage: p.can(Action::AccountManage) && p.role.may_administer(account.role),
        can_unmask: p.can(Action::PersonUnmask),
        account,
        revealed_phone,
        message,
        error,
    };
    Ok((status, render(&page)).into_response())
}

async fn account_detail(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    render_detail(&state, &auth, &staff, id, None, None, None).await
}

#[derive(Deserialize)]
struct OpForm {
    new_password: Option<String>,
}

async fn account_op(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path((id, op)): Path<(i64, String)>,
    Form(f): Form<OpForm>,
) -> Result<Response, WebError> {
    let actor = staff.principal.clone();
    let result: Result<(Option<String>, &str), AccessError> = match op.as_str() {
        "disable" => state
            .run(true, move |tx| accounts::set_disabled(tx, &actor, id, true))
            .await
            .map(|_| (None, "账户已停用，其所有登录已退出。")),
        "enable" => state
            .run(true, move |tx| {
                accounts::set_disabled(tx, &actor, id, false)
            })
            .await
            .map(|_| (None, "账户已启用。")),
        "reset-password" => {
            let pw = f.new_password.unwrap_or_default();
            state
                .run(true, move |tx| {
                    accounts::reset_password(tx, &actor, id, &pw)
                })
                .await
                .map(|_| (None, "密码已重置，请将新密码当面告知本人。"))
        }
        "reveal-phone" => state
            .run(true, move |tx| accounts::reveal_phone(tx, &actor, id))
            .await
            .map(|p| (p, "已显示完整手机号（本次查看已记入审计日志）。")),
        _ => return Err(WebError::NotFound),
    };
    match result {
        Ok((revealed, msg)) => {
            render_detail(&state, &auth, &staff, id, revealed, Some(msg.into()), None).await
        }
        Err(AccessError::Internal(c)) => Err(WebError::Internal(c)),
        Err(AccessError::NotFound) => Err(WebError::NotFound),
        Err(e @ AccessError::Forbidden(_)) => Err(e.into()),
        Err(e) => render_detail(&state, &auth, &staff, id, None, None, Some(e.to_string())).await,
    }
}

// ---- audit search ----

#[derive(Template)]
#[template(path = "access/audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    q: AuditForm,
    next_before: Option<i64>,
}

#[derive(Deserialize, Default, Clone)]
struct AuditForm {
    actor: Option<String>,
    record_type: Option<String>,
    record_id: Option<String>,
    id_number: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

async fn audit_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(f): Query<AuditForm>,
) -> Result<Response, WebError> {
    let viewer = staff.principal.clone();
    let q = AuditQuery {
        actor: f.actor.clone(),
        record_type: f.record_type.clone(),
        record_id: f.record_id.clone(),
        id_number: f.id_number.clone(),
        from: f.from.clone(),
        to: f.to.clone(),
        before_seq: f.before,
    };
    let rows = state
        .run(false, move |tx| audit_search::search(tx, &viewer, &q))
        .await?;
    let next_before = (rows.len() as i64 == audit_search::PAGE)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(render(&AuditPage {
        layout: Layout::new("", &auth),
        rows,
        q: f,
        next_before,
    }))
}

// ---- development inbox ----

#[derive(Template)]
#[template(path = "access/inbox.html")]
struct InboxPage {
    layout: Layout,
    messages: Vec<Message>,
}

async fn inbox_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
) -> Result<Response, WebError> {
    staff.principal.require(Action::InboxRead)?;
    // With a real gateway the messages went to people's phones; the outbox is not a second inbox.
    if !state.sender.is_development_inbox() {
        return Err(WebError::NotFound);
    }
    let messages = state.run(false, |tx| notify::recent(tx, 200)).await?;
    Ok(render(&InboxPage {
        layout: Layout::new("", &auth),
        messages,
    }))
}

// ---- citizens ----

#[derive(Template)]
#[template(path = "access/citizen_sign_in.html")]
struct CitizenSignInPage {
    layout: Layout,
    phone: String,
    code_sent: bool,
    message: Option<String>,
}

async fn citizen_sign_in_page(auth: Auth) -> Response {
    render(&CitizenSignInPage {
        layout: Layout::new("", &auth),
        phone: String::new(),
        code_sent: false,
        message: None,
    })
}

#[derive(Deserialize)]
struct PhoneForm {
    phone: String,
}

async fn citizen_request_code(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<PhoneForm>,
) -> Result<Response, WebError> {
    let (phone, address) = (f.phone.clone(), auth.address.clone());
    let result = state
        .run(true, move |tx| {
            otp::request_code(tx, &phone, &address, chrono::Utc::now())
        })
        .await;
    let (status, sent, message) = match result {
        Ok(_) => (
            StatusCode::OK,
            true,
            Some("验证码已发送，5 分钟内有效。".to_owned()),
        ),
        Err(AccessError::Internal(c)) => return Err(WebError::Internal(c)),
        Err(e) => (StatusCode::BAD_REQUEST, false, Some(e.to_string())),
    };
    let page = CitizenSignInPage {
        layout: Layout::new("", &auth),
        phone: f.phone,
        code_sent: sent,
        message,
    };
    Ok((status, render(&page)).into_response())
}

#[derive(Deserialize)]
struct CodeForm {
    phone: String,
    code: String,
    remember: Option<String>,
}

async fn citizen_sign_in(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    let (phone, code, address, policy) = (
        f.phone.clone(),
        f.code.clone(),
        auth.address.clone(),
        state.session_policy,
    );
    let result = state
        .run(true, move |tx| {
            otp::sign_in_with_code(tx, &phone, &code, &address, chrono::Utc::now(), &policy)
        })
        .await;
    match result {
        Ok(Ok(s)) => Ok(session_cookie_response(
            &state,
            &s.token,
            "/citizen",
            f.remember.is_some(),
        )),
        Ok(Err(e)) | Err(e @ (AccessError::Invalid(_) | AccessError::BadCode(_))) => {
            let page = CitizenSignInPage {
                layout: Layout::new("", &auth),
                phone: f.phone,
                code_sent: true,
                message: Some(e.to_string()),
            };
            Ok((StatusCode::BAD_REQUEST, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "access/citizen_home.html")]
struct CitizenHomePage {
    layout: Layout,
    msg: Option<String>,
    profile: citizens::CitizenProfile,
    error: Option<String>,
    id_input: String,
    name_input: String,
}

#[derive(Deserialize)]
struct FlashQuery {
    msg: Option<String>,
}

async fn citizen_home(
    State(state): State<AppState>,
    auth: Auth,
    citizen: Citizen,
    Query(q): Query<FlashQuery>,
) -> Result<Response, WebError> {
    let me = citizen.principal.clone();
    let profile = state
        .run(false, move |tx| citizens::profile(tx, &me))
        .await?;
    Ok(render(&CitizenHomePage {
        layout: Layout::new("", &auth),
        msg: q.msg,
        profile,
        error: None,
        id_input: String::new(),
        name_input: String::new(),
    }))
}

#[derive(Deserialize)]
struct BindForm {
    id_number: String,
    real_name: String,
}

async fn citizen_bind(
    State(state): State<AppState>,
    auth: Auth,
    citizen: Citizen,
    Form(f): Form<BindForm>,
) -> Result<Response, WebError> {
    let me = citizen.principal.clone();
    let today = minzheng_kernel::id_number::china_today();
    let verifier = state.verifier.clone();
    let parsed = citizens::Binding::parse(&f.id_number, &f.real_name, today);
    let bound = match parsed {
        Ok(binding) => {
            // The verifier may be a network call: asked outside any transaction.
            let (b, verdict) = tokio::task::spawn_blocking(move || {
                let v = verifier.verify(binding.id_number.as_str(), &binding.real_name);
                (binding, v)
            })
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?;
            let name = state.verifier.name();
            state
                .run(true, move |tx| {
                    citizens::bind_id_number(tx, &me, &b, &verdict, name)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match bound {
        Ok(outcome) => Ok(minzheng_ui::flash::redirect("/citizen", outcome.message())),
        Err(AccessError::Internal(c)) => Err(WebError::Internal(c)),
        Err(e) => {
            let me = citizen.principal.clone();
            let profile = state
                .run(false, move |tx| citizens::profile(tx, &me))
                .await?;
            let page = CitizenHomePage {
                layout: Layout::new("", &auth),
                msg: None,
                profile,
                error: Some(e.to_string()),
                id_input: f.id_number,
                name_input: f.real_name,
            };
            Ok((StatusCode::BAD_REQUEST, render(&page)).into_response())
        }
    }
}

// ---- real-name verification at the counter ----

#[derive(Template)]
#[template(path = "access/identity.html")]
struct IdentityPage {
    layout: Layout,
    msg: Option<String>,
    error: Option<String>,
    phone: String,
    searched: bool,
    found: Option<citizens::CounterAccount>,
    disputes: Vec<citizens::Dispute>,
}

#[derive(Deserialize, Default)]
struct IdentityQuery {
    phone: Option<String>,
    msg: Option<String>,
}

async fn identity_render(
    state: &AppState,
    auth: &Auth,
    staff: &Staff,
    q: IdentityQuery,
    error: Option<String>,
) -> Result<Response, WebError> {
    staff.principal.require(Action::IdentityVerify)?;
    let who = staff.principal.clone();
    let phone = q.phone.clone().unwrap_or_default();
    let lookup = phone.clone();
    let (found, disputes, lookup_error) = state
        .run(false, move |tx| -> Result<_, AccessError> {
            let (found, err) = if lookup.trim().is_empty() {
                (None, None)
            } else {
                match citizens::find_for_counter(tx, &who, &lookup) {
                    Ok(f) => (f, None),
                    Err(AccessError::Invalid(m)) => (None, Some(m)),
                    Err(e) => return Err(e),
                }
            };
            Ok((found, citizens::open_disputes(tx, &who)?, err))
        })
        .await?;
    let error = error.or(lookup_error);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = IdentityPage {
        layout: Layout::new("", auth),
        msg: q.msg,
        error,
        searched: !phone.trim().is_empty(),
        phone,
        found,
        disputes,
    };
    Ok((status, render(&page)).into_response())
}

async fn identity_page(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Query(q): Query<IdentityQuery>,
) -> Result<Response, WebError> {
    identity_render(&state, &auth, &staff, q, None).await
}

#[derive(Deserialize)]
struct VerifyForm {
    account_id: i64,
    card_number: String,
}

async fn identity_verify(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Form(f): Form<VerifyForm>,
) -> Result<Response, WebError> {
    let who = staff.principal.clone();
    let today = minzheng_kernel::id_number::china_today();
    let card = f.card_number.clone();
    match state
        .run(true, move |tx| {
            citizens::verify_at_counter(tx, &who, f.account_id, &card, today)
        })
        .await
    {
        Ok(()) => Ok(minzheng_ui::flash::redirect(
            "/admin/identity",
            "已核验：该居民账户绑定的身份证号码与证件一致。",
        )),
        Err(AccessError::Invalid(m)) => {
            identity_render(&state, &auth, &staff, IdentityQuery::default(), Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct DisputeForm {
    card_number: String,
    decision: Option<String>,
    note: String,
}

async fn dispute_resolve(
    State(state): State<AppState>,
    auth: Auth,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<DisputeForm>,
) -> Result<Response, WebError> {
    let decision = match f.decision.as_deref() {
        Some("to_claimant") => citizens::DisputeDecision::ToClaimant,
        Some("keep_holder") => citizens::DisputeDecision::KeepHolder,
        _ => {
            return identity_render(
                &state,
                &auth,
                &staff,
                IdentityQuery::default(),
                Some("请选择核实结论".into()),
            )
            .await;
        }
    };
    let who = staff.principal.clone();
    let today = minzheng_kernel::id_number::china_today();
    match state
        .run(true, move |tx| {
            citizens::resolve_dispute(tx, &who, id, &f.card_number, decision, &f.note, today)
        })
        .await
    {
        Ok(()) => Ok(minzheng_ui::flash::redirect(
            "/admin/identity",
            match decision {
                citizens::DisputeDecision::ToClaimant => {
                    "已处理：号码已绑定到提出人的账户，并已核验。"
                }
                citizens::DisputeDecision::KeepHolder => "已处理：号码仍归现账户，争议已驳回。",
            },
        )),
        Err(AccessError::Invalid(m)) => {
            identity_render(&state, &auth, &staff, IdentityQuery::default(), Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}
