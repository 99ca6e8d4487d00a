//! The Chinese web UI: server-rendered pages, forms with CSRF tokens, no JS needed.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use axum::extract::DefaultBodyLimit;

use super::boundary::{Flash, IMPORT_BODY};
use super::session::{cookie, set_cookie, WebActor, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use super::AppState;
use crate::audit::{self, AuditEntry};
use crate::auth::cap;
use crate::auth::roles::{Actor, Perm, Role};
use crate::auth::store::{self as users, random_token, GrantInput, NewUser, SessionKind, UserView};
use crate::error::AppError;
use crate::members::import;
use crate::members::model::{Education, Gender, MemberStatus, MemberView};
use crate::members::sheets::RowError;
use crate::members::store::{self as members, MemberPage, MemberQuery, Transfer, TransferInput};
use crate::members::validate::MemberInput;
use crate::orgs::detail::{self, OrgDetail, OrgSummary};
use crate::orgs::model::{Org, OrgDomain, OrgKind, OrgVariant};
use crate::orgs::store::{self as orgs, OrgInput, OrgPatch};
use crate::db::Lock;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .route("/", get(super::home::home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/tree", get(tree))
        .route("/orgs/{id}", get(org_page))
        .route("/orgs/{id}/trends", get(super::trends::trends_page))
        .route("/orgs/{id}/children", post(org_create_child))
        .route("/orgs/{id}/edit", post(org_edit))
        .route("/orgs/{id}/move", post(org_move))
        .route("/orgs/{id}/dissolve", post(org_dissolve))
        .route("/orgs/{id}/export.xlsx", get(org_export))
        .route("/members", get(member_list).post(member_create))
        .route("/members/new", get(member_new))
        .route("/members/{id}", get(member_page))
        .route("/members/{id}/edit", post(member_edit))
        .route("/members/{id}/transfer", post(member_transfer))
        .route("/members/{id}/reveal", post(member_reveal))
        .route("/import", get(import_page))
        .route("/import/members", post(import_members).layer(DefaultBodyLimit::max(IMPORT_BODY)))
        .route("/import/orgs", post(import_orgs).layer(DefaultBodyLimit::max(IMPORT_BODY)))
        .route("/import/template/members.xlsx", get(template_members))
        .route("/import/template/orgs.xlsx", get(template_orgs))
        .route("/users", get(users_page).post(user_create))
        .route("/users/{id}/roles", post(user_grant))
        .route("/users/{id}/disabled", post(user_disable))
        .route("/users/{id}/roles/{role_id}/delete", post(user_revoke))
        .route("/account/password", post(account_password))
        .route("/audit", get(audit_page))
}

/// A printable A4 poster with a QR code: the wish box, a meeting's door sign-in.
#[derive(Template)]
#[template(path = "poster.html")]
pub struct Poster {
    pub nav: Nav,
    pub title: String,
    pub org_name: String,
    pub purpose: String,
    pub steps: Vec<String>,
    pub qr: String,
    pub url: String,
    pub footer: String,
}

/// An error rendered as a Chinese page.
pub struct UiError(pub AppError);

impl From<AppError> for UiError {
    fn from(e: AppError) -> Self {
        UiError(e)
    }
}
impl From<sqlx::Error> for UiError {
    fn from(e: sqlx::Error) -> Self {
        UiError(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Nav,
    message: String,
    code: String,
}

/// Marks a response as a UI error page, so [`error_page_with_nav`] can render it again with
/// the signed-in user's menu.
#[derive(Clone)]
struct UiErrorInfo {
    message: String,
    code: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        if self.0.status().is_server_error() {
            tracing::error!(error = %self.0.log_text(), "page failed");
        }
        let info = UiErrorInfo { message: self.0.message(), code: self.0.code().to_string() };
        let page = ErrorPage { nav: Nav::anonymous(), message: info.message.clone(), code: info.code.clone() };
        let mut resp = (self.0.status(), Html(page.render().unwrap_or_else(|_| self.0.message()))).into_response();
        resp.extensions_mut().insert(info);
        resp
    }
}

/// Error pages keep the user's name and whole menu: a handler's error is rendered again here,
/// where the session is known.
pub async fn error_page_with_nav(State(s): State<AppState>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let token = cookie(req.headers(), SESSION_COOKIE);
    let resp = next.run(req).await;
    let (Some(info), Some(token)) = (resp.extensions().get::<UiErrorInfo>().cloned(), token) else { return resp };
    let actor = users::actor_for(&s.db, &token, SessionKind::Web).await.ok().flatten();
    let Some(a) = actor else { return resp };
    let page = ErrorPage { nav: Nav::of(&a), message: info.message, code: info.code };
    match page.render() {
        Ok(html) => (resp.status(), Html(html)).into_response(),
        Err(_) => resp,
    }
}

pub type UiResult<T> = Result<T, UiError>;

pub fn render(t: &impl Template) -> UiResult<Response> {
    Ok(Html(t.render().map_err(|e| AppError::Internal(e.into()))?).into_response())
}

/// What the header shows.
pub struct Nav {
    pub display_name: String,
    pub role_text: String,
    pub csrf: String,
    pub can_import: bool,
    pub can_users: bool,
    pub can_audit: bool,
    /// The org of the first role that manages organizational life or governance, for the menu links.
    pub life_org: Option<i64>,
    pub governance_org: Option<i64>,
    pub recruitment_org: Option<i64>,
    /// The password was set by an administrator and must be changed before anything else.
    pub must_change_password: bool,
}

impl Nav {
    pub fn of(a: &Actor) -> Nav {
        let role_text = a.grants.iter().map(|g| format!("{}·{}", g.role.label(), g.org_name)).collect::<Vec<_>>().join("，");
        Nav {
            display_name: a.display_name.clone(),
            role_text,
            csrf: a.csrf.clone().unwrap_or_default(),
            can_import: a.can_anywhere(Perm::Import),
            can_users: a.can_anywhere(Perm::ManageUsers),
            can_audit: a.can_anywhere(Perm::ReadAudit),
            must_change_password: a.must_change_password,
            life_org: a.grants.iter().find(|g| g.role.grants(Perm::WriteOrgLife)).map(|g| g.org_id),
            governance_org: a.grants.iter().find(|g| g.role.grants(Perm::ReadRequests)).map(|g| g.org_id),
            recruitment_org: a.grants.iter().find(|g| g.role.grants(Perm::ReadRecruitment)).map(|g| g.org_id),
        }
    }
    fn anonymous() -> Nav {
        Nav {
            display_name: String::new(),
            role_text: String::new(),
            csrf: String::new(),
            can_import: false,
            can_users: false,
            can_audit: false,
            life_org: None,
            governance_org: None,
            recruitment_org: None,
            must_change_password: false,
        }
    }
}

async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], include_str!("../../static/app.css"))
}

/// The pages' only script (the CSP allows no inline script).
async fn js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], include_str!("../../static/app.js"))
}

fn first_org(a: &Actor) -> UiResult<i64> {
    a.grants.first().map(|g| g.org_id).ok_or(UiError(AppError::forbidden("您的账号还没有任何角色，请联系管理员授予")))
}


#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    error: Option<String>,
    csrf: String,
    next: String,
    username: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Where to go after logging in: a path on this site only. It must start with one `/` (not `//`
/// or `/\`, which browsers read as another host), hold no backslash, no control character and
/// nothing but printable ASCII (a valid header value); anything else goes to `/`.
pub fn safe_next(n: Option<&str>) -> String {
    match n {
        Some(n) if n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_string()
        }
        _ => "/".into(),
    }
}

fn login_form(s: &AppState, error: Option<String>, next: String, username: String, status: StatusCode) -> UiResult<Response> {
    let csrf = random_token();
    let page = LoginPage { error, csrf: csrf.clone(), next, username };
    let mut resp = render(&page)?;
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, s.secure_cookies).parse().unwrap());
    Ok(resp)
}

async fn login_page(State(s): State<AppState>, Query(q): Query<NextQuery>) -> UiResult<Response> {
    login_form(&s, None, safe_next(q.next.as_deref()), String::new(), StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login_submit(State(s): State<AppState>, super::limits::ClientIp(ip): super::limits::ClientIp, headers: HeaderMap, Form(f): Form<LoginForm>) -> UiResult<Response> {
    let next = safe_next(f.next.as_deref());
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !super::session::constant_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        return login_form(&s, Some("页面已过期，请重新登录".into()), next, f.username, StatusCode::FORBIDDEN);
    }
    match users::sign_in(&s.db, &s.rules.auth, &f.username, &f.password, Some(ip), SessionKind::Web).await {
        Ok(signed) => {
            let session = signed.session;
            let mut resp = Redirect::to(&next).into_response();
            let max_age = session.expires_at - crate::db::now_secs();
            resp.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &session.token, max_age, s.secure_cookies).parse().unwrap());
            resp.headers_mut().append(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, "", 0, s.secure_cookies).parse().unwrap());
            Ok(resp)
        }
        Err(e @ (AppError::Invalid { .. } | AppError::TooManyRequests { .. })) => login_form(&s, Some(e.message()), next, f.username.clone(), e.status()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(State(s): State<AppState>, headers: HeaderMap, wa: WebActor, Form(f): Form<CsrfForm>) -> UiResult<Response> {
    wa.check_csrf(&f.csrf)?;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let mut conn = s.db.pool.acquire().await?;
        users::end_session(&mut conn, &token).await?;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().insert(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, s.secure_cookies).parse().unwrap());
    Ok(resp)
}

// ---------- the tree and org pages ----------

#[derive(Deserialize)]
struct TreeQuery {
    org: Option<i64>,
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "tree.html")]
struct TreePage {
    nav: Nav,
    q: String,
    found: Vec<Org>,
    tree_html: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Up to four levels below the root, as nested lists with counts.
async fn tree(State(s): State<AppState>, WebActor(a): WebActor, Query(q): Query<TreeQuery>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let root_id = match q.org {
        Some(id) => id,
        None => first_org(&a)?,
    };
    let root = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), root_id).await?;
    let list = orgs::subtree(&mut conn, &root, 4).await?;
    let sums = detail::summaries(&mut conn, list).await?;
    let mut html = String::from("<ul>");
    let mut depth_stack: Vec<i64> = Vec::new();
    for s in &sums {
        while let Some(&d) = depth_stack.last() {
            if d >= s.org.depth {
                depth_stack.pop();
                html.push_str("</li></ul>");
            } else {
                break;
            }
        }
        if !depth_stack.is_empty() || s.org.id != root.id {
            html.push_str("<ul>");
        }
        depth_stack.push(s.org.depth);
        html.push_str(&format!(
            "<li><a href=\"/orgs/{}\">{}</a> <span class=\"c\">{} · {} 人 / {} 个组织</span>",
            s.org.id,
            esc(&s.org.name),
            esc(&s.org.kind_display()),
            s.members,
            s.orgs
        ));
    }
    while depth_stack.pop().is_some() {
        html.push_str("</li></ul>");
    }
    let found = match q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => orgs::search(&mut conn, &a.scope(), t, 50).await?,
        None => vec![],
    };
    render(&TreePage { nav: Nav::of(&a), q: q.q.unwrap_or_default(), found, tree_html: html })
}

pub struct Bar {
    pub label: String,
    pub n: i64,
    pub pct: i64,
}
pub struct Chart {
    pub title: std::borrow::Cow<'static, str>,
    pub bars: Vec<Bar>,
}

fn chart(title: impl Into<std::borrow::Cow<'static, str>>, counts: &[crate::orgs::stats::Count]) -> Chart {
    let max = counts.iter().map(|c| c.n).max().unwrap_or(0).max(1);
    Chart { title: title.into(), bars: counts.iter().map(|c| Bar { label: c.label.clone(), n: c.n, pct: c.n * 100 / max }).collect() }
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    nav: Nav,
    d: OrgDetail,
    children: Vec<OrgSummary>,
    charts: Vec<Chart>,
    can_write: bool,
    can_audit: bool,
    can_cadres: bool,
    can_volunteering: bool,
    can_assessment: bool,
    notice: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    variants: Vec<(&'static str, &'static str)>,
    domains: Vec<(&'static str, &'static str)>,
}

/// An optional whole number from a form field: empty is `None`; anything else that is not a
/// number is refused with `code` and `message`.
pub fn form_int(v: &Option<String>, code: &'static str, field: &'static str, message: &str) -> Result<Option<i64>, AppError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| AppError::invalid_field(code, field, message)),
    }
}

pub fn options<T: Copy>(all: &[T], code: fn(T) -> &'static str, label: fn(T) -> &'static str) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| (code(*v), label(*v))).collect()
}

async fn org_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, q: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let d = detail::detail(&mut conn, &a.scope(), id, &s.rules).await?;
    let kids = orgs::children(&mut conn, id, false).await?;
    let children = detail::summaries(&mut conn, kids).await?;
    let st = &d.stats;
    let charts = vec![
        chart("党组织类别", &st.orgs_by_kind),
        chart("性别", &st.members_by_gender),
        chart(format!("年龄（截至{}年底）", st.age_year), &st.members_by_age_band),
        chart("学历", &st.members_by_education),
        chart("所在领域", &st.members_by_domain),
    ];
    let page = OrgPage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteOrgs, &d.org.path),
        can_audit: a.can(Perm::ReadAudit, &d.org.path),
        can_cadres: a.can(Perm::ReadCadres, &d.org.path),
        can_volunteering: a.can(Perm::ReadVolunteering, &d.org.path),
        can_assessment: a.can(Perm::ReadAssessment, &d.org.path),
        d,
        children,
        charts,
        notice: q.notice,
        kinds: options(OrgKind::ALL, OrgKind::code, OrgKind::label),
        variants: options(OrgVariant::ALL, OrgVariant::code, OrgVariant::label),
        domains: options(OrgDomain::ALL, OrgDomain::code, OrgDomain::label),
    };
    render(&page)
}

#[derive(Deserialize)]
struct OrgForm {
    csrf: String,
    name: Option<String>,
    code: Option<String>,
    kind: Option<String>,
    variant: Option<String>,
    domain: Option<String>,
    joint_units: Option<String>,
    term_start: Option<String>,
    founded_on: Option<String>,
}

fn int_field(v: &Option<String>, field: &'static str) -> Result<Option<i64>, AppError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| AppError::invalid_field("number_invalid", field, format!("“{s}”不是整数"))),
    }
}

/// Back to a page, which then says `notice` once. The message is kept in the session
/// ([`super::boundary::set_flash`]), never in the URL: `path` may carry its own query.
pub fn notice_redirect(path: &str, notice: &str) -> Redirect {
    super::boundary::set_flash(notice);
    Redirect::to(path)
}

async fn org_create_child(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<OrgForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = OrgInput {
        parent_id: Some(id),
        code: f.code,
        name: f.name,
        kind: f.kind,
        variant: f.variant,
        domain: f.domain,
        joint_units: int_field(&f.joint_units, "joint_units")?,
        term_start: f.term_start,
        founded_on: f.founded_on,
    };
    let n = orgs::validate_new(&input)?;
    let org = write_tx!(&s.db, Lock::Tree, |tx| {
        let parent = orgs::get_scoped(&mut tx, &a.scope::<cap::WriteOrgs>(), id).await?;
        orgs::create(&mut tx, Some(a), Some(&parent), &n).await
    })?;
    Ok(notice_redirect(&format!("/orgs/{}", org.id), "已新建"))
}


async fn org_edit(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<OrgForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let patch = OrgPatch {
        name: f.name,
        code: f.code,
        variant: f.variant,
        domain: f.domain,
        joint_units: int_field(&f.joint_units, "joint_units")?,
        term_start: f.term_start,
        founded_on: f.founded_on,
    };
    write_tx!(&s.db, Lock::Tree, |tx| {
        let org = orgs::get_writable(&mut tx, a, id).await?;
        orgs::update(&mut tx, a, &org, &patch).await
    })?;
    Ok(notice_redirect(&format!("/orgs/{id}"), "已保存"))
}

#[derive(Deserialize)]
struct MoveForm {
    csrf: String,
    parent_id: String,
}

async fn org_move(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<MoveForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let parent_id = int_field(&Some(f.parent_id), "parent_id")?.ok_or(AppError::NotFound)?;
    write_tx!(&s.db, Lock::Tree, |tx| {
        let org = orgs::get_writable(&mut tx, a, id).await?;
        let parent = orgs::get_scoped(&mut tx, &a.scope::<cap::WriteOrgs>(), parent_id).await?;
        orgs::move_subtree(&mut tx, a, &org, &parent).await
    })?;
    Ok(notice_redirect(&format!("/orgs/{id}"), "已调整隶属关系"))
}

#[derive(Deserialize)]
struct DissolveForm {
    csrf: String,
    date: Option<String>,
    reason: String,
}

async fn org_dissolve(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<DissolveForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let on = crate::members::validate::parse_day(f.date.as_deref())?;
    write_tx!(&s.db, Lock::Tree, |tx| {
        let org = orgs::get_writable(&mut tx, a, id).await?;
        orgs::dissolve(&mut tx, a, &org, on, &f.reason).await
    })?;
    Ok(notice_redirect(&format!("/orgs/{id}"), "已撤销"))
}

async fn org_export(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let (name, bytes) = crate::members::export::members_xlsx(&s.db, &a, &a.scope(), &a.scope(), id).await?;
    Ok(super::api::xlsx_response(&name, bytes).into_response())
}

// ---------- members ----------

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    nav: Nav,
    root: Org,
    q: MemberQuery,
    page: MemberPage,
    can_write: bool,
    has_next: bool,
    prev_url: String,
    next_url: String,
    statuses: Vec<(&'static str, &'static str)>,
    genders: Vec<(&'static str, &'static str)>,
    educations: Vec<(&'static str, &'static str)>,
}

fn page_url(q: &MemberQuery, root: i64, page: i64) -> String {
    let enc = |v: &Option<String>| super::session::urlencode(v.as_deref().unwrap_or(""));
    format!(
        "/members?org={root}&q={}&status={}&gender={}&education={}&page={page}",
        enc(&q.q),
        enc(&q.status),
        enc(&q.gender),
        enc(&q.education)
    )
}

async fn member_list(State(s): State<AppState>, WebActor(a): WebActor, Query(q): Query<MemberQuery>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let root_id = match q.org {
        Some(id) => id,
        None => first_org(&a)?,
    };
    let root = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), root_id).await?;
    let page = members::search(&mut conn, &a.scope(), &root, &q).await?;
    let has_next = page.page * page.per_page < page.total || page.total_capped;
    render(&MembersPage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteMembers, &root.path),
        prev_url: page_url(&q, root.id, page.page - 1),
        next_url: page_url(&q, root.id, page.page + 1),
        has_next,
        root,
        q,
        page,
        statuses: options(MemberStatus::ALL, MemberStatus::code, MemberStatus::label),
        genders: options(Gender::ALL, Gender::code, Gender::label),
        educations: options(Education::ALL, Education::code, Education::label),
    })
}

/// Values shown in the member form.
#[derive(Default)]
pub struct MemberFormValues {
    pub name: String,
    pub id_number: String,
    pub ethnicity: String,
    pub education: String,
    pub phone: String,
    pub status: String,
    pub joined_on: String,
    pub full_on: String,
    pub posts: String,
    pub vanguard_post: String,
    pub responsibility_area: String,
    pub work_unit: String,
    pub in_service: bool,
    pub report_org_id: String,
    /// The picked org's name, shown in the picker.
    pub report_org_label: String,
    /// Editing an existing record: ID number and phone are never sent to the page
    /// in full; left blank they stay as they are.
    pub editing: bool,
    pub id_placeholder: String,
    pub phone_placeholder: String,
}

#[derive(Deserialize)]
struct MemberForm {
    csrf: String,
    org_id: Option<String>,
    name: Option<String>,
    id_number: Option<String>,
    ethnicity: Option<String>,
    education: Option<String>,
    phone: Option<String>,
    status: Option<String>,
    joined_on: Option<String>,
    full_on: Option<String>,
    posts: Option<String>,
    vanguard_post: Option<String>,
    responsibility_area: Option<String>,
    work_unit: Option<String>,
    in_service: Option<String>,
    report_org_id: Option<String>,
    /// The picker's visible text, kept when the form comes back with an error.
    report_org_id_label: Option<String>,
}

impl MemberForm {
    fn values(&self) -> MemberFormValues {
        let v = |x: &Option<String>| x.clone().unwrap_or_default();
        MemberFormValues {
            name: v(&self.name),
            id_number: v(&self.id_number),
            ethnicity: v(&self.ethnicity),
            education: v(&self.education),
            phone: v(&self.phone),
            status: v(&self.status),
            joined_on: v(&self.joined_on),
            full_on: v(&self.full_on),
            posts: v(&self.posts),
            vanguard_post: v(&self.vanguard_post),
            responsibility_area: v(&self.responsibility_area),
            work_unit: v(&self.work_unit),
            in_service: self.in_service.as_deref() == Some("1"),
            report_org_id: v(&self.report_org_id),
            report_org_label: v(&self.report_org_id_label),
            ..Default::default()
        }
    }
    fn input(&self, all_fields: bool) -> Result<MemberInput, AppError> {
        // An empty optional field clears it on edit; on create it is simply absent.
        let opt = |x: &Option<String>| -> Option<String> {
            let t = x.as_deref().map(str::trim).unwrap_or("");
            if t.is_empty() && !all_fields { None } else { Some(t.to_string()) }
        };
        Ok(MemberInput {
            org_id: int_field(&self.org_id, "org_id")?,
            name: opt(&self.name),
            id_number: opt(&self.id_number),
            gender: None,
            birth_date: None,
            ethnicity: opt(&self.ethnicity),
            education: opt(&self.education),
            phone: opt(&self.phone),
            joined_on: opt(&self.joined_on),
            full_on: opt(&self.full_on),
            status: opt(&self.status),
            posts: opt(&self.posts),
            vanguard_post: opt(&self.vanguard_post),
            responsibility_area: opt(&self.responsibility_area),
            in_service: Some(self.in_service.as_deref() == Some("1")),
            report_org_id: int_field(&self.report_org_id, "report_org_id")?,
            work_unit: opt(&self.work_unit),
        })
    }
}

#[derive(Template)]
#[template(path = "member_new.html")]
struct MemberNewPage {
    nav: Nav,
    org: Org,
    f: MemberFormValues,
    error: Option<String>,
    statuses: Vec<(&'static str, &'static str)>,
    educations: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize)]
struct OrgQuery {
    org: i64,
}

async fn member_new(State(s): State<AppState>, WebActor(a): WebActor, Query(q): Query<OrgQuery>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::WriteMembers>(), q.org).await?;
    let f = MemberFormValues { status: "full".into(), education: "bachelor".into(), ..Default::default() };
    render(&MemberNewPage {
        nav: Nav::of(&a),
        org,
        f,
        error: None,
        statuses: options(MemberStatus::ALL, MemberStatus::code, MemberStatus::label),
        educations: options(Education::ALL, Education::code, Education::label),
    })
}

async fn member_create(State(s): State<AppState>, wa: WebActor, Form(f): Form<MemberForm>) -> UiResult<Response> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = f.input(false)?;
    let result = write_tx!(&s.db, Lock::Tree, |tx| members::create(&mut tx, a, &input).await);
    match result {
        Ok(m) => Ok(notice_redirect(&format!("/members/{}", m.id), "已保存").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            // Show the form again with what was typed and what is wrong.
            let mut conn = s.db.pool.acquire().await?;
            let org = orgs::get_scoped(&mut conn, &a.scope::<cap::WriteMembers>(), input.org_id.unwrap_or(0)).await?;
            let mut resp = render(&MemberNewPage {
                nav: Nav::of(a),
                org,
                f: f.values(),
                error: Some(e.message()),
                statuses: options(MemberStatus::ALL, MemberStatus::code, MemberStatus::label),
                educations: options(Education::ALL, Education::code, Education::label),
            })?;
            *resp.status_mut() = e.status();
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPageT {
    nav: Nav,
    m: MemberView,
    f: MemberFormValues,
    transfers: Vec<Transfer>,
    can_write: bool,
    can_reveal: bool,
    notice: Option<String>,
    error: Option<String>,
    statuses: Vec<(&'static str, &'static str)>,
    educations: Vec<(&'static str, &'static str)>,
    /// None for roles that do not read training (a grid worker looking up a 党员中心户).
    training: Option<crate::training::store::MemberTraining>,
}

async fn member_page_with(s: &AppState, a: &Actor, id: i64, reveal: bool, notice: Option<String>, error: Option<(String, MemberFormValues)>) -> UiResult<Response> {
    let m = if reveal {
        write_tx!(&s.db, |tx| members::reveal(&mut tx, a, id).await)?
    } else {
        let mut conn = s.db.pool.acquire().await?;
        let m = members::get_scoped(&mut conn, &a.scope::<cap::ReadMembers>(), id).await?;
        let org = orgs::get(&mut conn, m.org_id).await?.map(|o| o.name).unwrap_or_default();
        members::view(&m, &org, false)
    };
    let mut conn = s.db.pool.acquire().await?;
    let raw = members::get_scoped(&mut conn, &a.scope::<cap::ReadMembers>(), id).await?;
    let transfers = members::transfers(&mut conn, id).await?;
    use chrono::Datelike;
    let training = match crate::training::store::member_year(&mut conn, &a.scope(), &s.rules.training, id, crate::db::today().year()).await {
        Ok(t) => Some(t),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let report_org_name = match raw.report_org_id {
        Some(r) => orgs::get(&mut conn, r).await?.map(|o| o.name).unwrap_or_default(),
        None => String::new(),
    };
    let (error, f) = match error {
        Some((e, mut f)) => {
            // Never echo a typed ID number or phone back into the edit form.
            f.editing = true;
            f.id_number.clear();
            f.phone.clear();
            f.id_placeholder = format!("{}（不修改请留空）", crate::members::id_card::mask_id_number(&raw.id_number));
            f.phone_placeholder = raw.phone.as_deref().map(crate::members::id_card::mask_phone).unwrap_or_default();
            (Some(e), f)
        }
        None => (
            None,
            MemberFormValues {
                name: raw.name.clone(),
                id_number: String::new(),
                editing: true,
                id_placeholder: format!("{}（不修改请留空）", crate::members::id_card::mask_id_number(&raw.id_number)),
                phone_placeholder: raw.phone.as_deref().map(crate::members::id_card::mask_phone).unwrap_or_default(),
                ethnicity: raw.ethnicity.clone(),
                education: raw.education.code().into(),
                phone: String::new(),
                status: raw.status.code().into(),
                joined_on: raw.joined_on.clone(),
                full_on: raw.full_on.clone().unwrap_or_default(),
                posts: raw.posts.iter().map(|p| p.label()).collect::<Vec<_>>().join("、"),
                vanguard_post: raw.vanguard_post.clone().unwrap_or_default(),
                responsibility_area: raw.responsibility_area.clone().unwrap_or_default(),
                work_unit: raw.work_unit.clone().unwrap_or_default(),
                in_service: raw.in_service,
                report_org_id: raw.report_org_id.map(|i| i.to_string()).unwrap_or_default(),
                report_org_label: report_org_name,
            },
        ),
    };
    render(&MemberPageT {
        training,
        nav: Nav::of(a),
        can_write: a.can(Perm::WriteMembers, &raw.org_path),
        can_reveal: a.can(Perm::ReadSensitive, &raw.org_path) || a.member_id == Some(raw.id),
        m,
        f,
        transfers,
        notice,
        error,
        statuses: options(MemberStatus::ALL, MemberStatus::code, MemberStatus::label),
        educations: options(Education::ALL, Education::code, Education::label),
    })
}

async fn member_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, q: Flash) -> UiResult<Response> {
    member_page_with(&s, &a, id, false, q.notice, None).await
}

async fn member_reveal(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> UiResult<Response> {
    wa.check_csrf(&f.csrf)?;
    member_page_with(&s, &wa.0, id, true, Some("已显示完整号码，本次查看已记入操作日志".into()), None).await
}

async fn member_edit(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<MemberForm>) -> UiResult<Response> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let mut input = f.input(true)?;
    input.org_id = None;
    // Blank ID number or phone on the edit form means "unchanged" (they are not shown in full).
    if input.id_number.as_deref() == Some("") {
        input.id_number = None;
    }
    if input.phone.as_deref() == Some("") {
        input.phone = None;
    }
    let result = write_tx!(&s.db, Lock::Tree, |tx| members::update(&mut tx, a, id, &input).await);
    match result {
        Ok(_) => Ok(notice_redirect(&format!("/members/{id}"), "已保存").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let mut resp = member_page_with(&s, a, id, false, None, Some((e.message(), f.values()))).await?;
            *resp.status_mut() = e.status();
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct TransferForm {
    csrf: String,
    to_org_id: String,
    date: Option<String>,
    reason: Option<String>,
}

async fn member_transfer(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<TransferForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let to = int_field(&Some(f.to_org_id.clone()), "to_org_id")?.ok_or(AppError::NotFound)?;
    let t = TransferInput { to_org_id: to, date: f.date, reason: f.reason };
    write_tx!(&s.db, Lock::Tree, |tx| members::transfer(&mut tx, a, id, &t).await)?;
    Ok(notice_redirect(&format!("/members/{id}"), "组织关系已转接"))
}

// ---------- import ----------

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    nav: Nav,
    notice: Option<String>,
    /// Where an import wrote, with links.
    into: Vec<import::ImportedInto>,
    errors: Vec<RowError>,
}

async fn import_page(WebActor(a): WebActor) -> UiResult<Response> {
    render(&ImportPage { nav: Nav::of(&a), notice: None, into: vec![], errors: vec![] })
}

/// The file of an upload form, after its CSRF token: the form puts `csrf` first, so a forged or
/// expired form is refused before a byte of the file is read; callers check the role before.
pub async fn read_upload(wa: &WebActor, mut mp: Multipart) -> Result<super::upload::Upload, AppError> {
    let mut csrf_checked = false;
    while let Some(field) = mp.next_field().await.map_err(super::boundary::multipart_error)? {
        match field.name() {
            Some("csrf") => {
                wa.check_csrf(&field.text().await.unwrap_or_default())?;
                csrf_checked = true;
            }
            Some("file") if csrf_checked => return super::upload::from_field(field).await,
            // A file before its token: refused as an expired form, unread.
            Some("file") => break,
            _ => {}
        }
    }
    if !csrf_checked {
        wa.check_csrf("")?;
    }
    Err(AppError::invalid("no_file", "请选择要上传的文件"))
}

async fn import_result(a: &Actor, r: Result<import::ImportSummary, AppError>) -> UiResult<Response> {
    match r {
        Ok(s) => render(&ImportPage { nav: Nav::of(a), notice: Some(format!("导入成功：共 {} 行，导入 {} 条", s.rows, s.imported)), into: s.into, errors: vec![] }),
        Err(AppError::ImportRejected(rows)) => {
            let mut resp = render(&ImportPage { nav: Nav::of(a), notice: None, into: vec![], errors: rows })?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

async fn import_members(State(s): State<AppState>, wa: WebActor, mp: Multipart) -> UiResult<Response> {
    if !wa.0.can_anywhere(Perm::Import) {
        return Err(AppError::forbidden("您的角色无权导入数据").into());
    }
    let up = read_upload(&wa, mp).await?;
    let r = import::import_members(&s.db, Some(&wa.0), &up.path, up.kind, &|_| {}).await;
    import_result(&wa.0, r).await
}

async fn import_orgs(State(s): State<AppState>, wa: WebActor, mp: Multipart) -> UiResult<Response> {
    if !wa.0.can_anywhere(Perm::WriteOrgs) {
        return Err(AppError::forbidden("您的角色无权导入党组织").into());
    }
    let up = read_upload(&wa, mp).await?;
    let r = import::import_orgs(&s.db, Some(&wa.0), &up.path, up.kind).await;
    import_result(&wa.0, r).await
}

async fn template_members(WebActor(_a): WebActor) -> UiResult<Response> {
    let bytes = crate::members::sheets::member_template_xlsx().map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(super::api::xlsx_response("党员导入模板.xlsx", bytes).into_response())
}

async fn template_orgs(WebActor(_a): WebActor) -> UiResult<Response> {
    let bytes = crate::members::sheets::org_template_xlsx().map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(super::api::xlsx_response("党组织导入模板.xlsx", bytes).into_response())
}

// ---------- users ----------

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Nav,
    users: Vec<UserView>,
    roles: Vec<(&'static str, &'static str)>,
    /// The org a new user's role is held at unless another is picked: (id, name).
    default_org: (i64, String),
    notice: Option<String>,
}

async fn users_page(State(s): State<AppState>, WebActor(a): WebActor, q: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let list = if a.can_anywhere(Perm::ManageUsers) { users::list_users(&mut conn, &a.scope()).await? } else { vec![] };
    render(&UsersPage {
        nav: Nav::of(&a),
        users: list,
        roles: options(Role::ALL, Role::code, Role::label),
        default_org: a.grants.first().map(|g| (g.org_id, g.org_name.clone())).unwrap_or_default(),
        notice: q.notice,
    })
}

#[derive(Deserialize)]
struct UserForm {
    csrf: String,
    username: String,
    display_name: Option<String>,
    password: String,
    role: String,
    org_id: String,
    member_id: Option<String>,
}

async fn user_create(State(s): State<AppState>, wa: WebActor, Form(f): Form<UserForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let u = NewUser {
        username: f.username.trim().to_string(),
        display_name: f.display_name,
        password: f.password,
        role: f.role,
        org_id: int_field(&Some(f.org_id), "org_id")?.ok_or(AppError::NotFound)?,
        member_id: int_field(&f.member_id, "member_id")?,
        generated: false,
    };
    users::create_user(&s.db, Some(a), &u).await?;
    Ok(notice_redirect("/users", &format!("已新建用户 {}", u.username)))
}

#[derive(Deserialize)]
struct GrantForm {
    csrf: String,
    role: String,
    org_id: String,
}

async fn user_grant(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<GrantForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let g = GrantInput { role: f.role, org_id: int_field(&Some(f.org_id), "org_id")?.ok_or(AppError::NotFound)? };
    write_tx!(&s.db, |tx| users::grant(&mut tx, a, id, &g).await)?;
    Ok(notice_redirect("/users", "已授予角色"))
}

#[derive(Deserialize)]
struct DisableForm {
    csrf: String,
    /// "1" disables, "0" enables again.
    disabled: String,
}

async fn user_disable(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<DisableForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let disabled = f.disabled == "1";
    write_tx!(&s.db, |tx| users::set_disabled(&mut tx, a, id, disabled).await)?;
    Ok(notice_redirect("/users", if disabled { "已停用该账号，其登录已全部失效" } else { "已恢复该账号" }))
}

async fn user_revoke(State(s): State<AppState>, wa: WebActor, Path((id, rid)): Path<(i64, i64)>, Form(f): Form<CsrfForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    write_tx!(&s.db, |tx| users::revoke(&mut tx, a, id, rid).await)?;
    Ok(notice_redirect("/users", "已收回角色"))
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current_password: String,
    password: String,
}

async fn account_password(State(s): State<AppState>, wa: WebActor, Form(f): Form<PasswordForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let change = users::PasswordChange { password: f.password, current_password: Some(f.current_password) };
    users::change_password(&s.db, a, a.user_id, &change).await?;
    Ok(Redirect::to("/login"))
}

// ---------- audit ----------

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    root: Org,
    entries: Vec<(String, AuditEntry, &'static str)>,
    older: Option<i64>,
}

#[derive(Deserialize)]
struct AuditQuery {
    org: Option<i64>,
    before: Option<i64>,
}

async fn audit_page(State(s): State<AppState>, WebActor(a): WebActor, Query(q): Query<AuditQuery>) -> UiResult<Response> {
    if !a.can_anywhere(Perm::ReadAudit) {
        return Err(AppError::forbidden("只有管理员可以查看操作日志").into());
    }
    let mut conn = s.db.pool.acquire().await?;
    let root_id = match q.org {
        Some(id) => id,
        None => first_org(&a)?,
    };
    let root = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadAudit>(), root_id).await?;
    let list = audit::list(&mut conn, &a.scope(), &root.path, None, q.before, 100).await?;
    let older = if list.len() == 100 { list.last().map(|e| e.id) } else { None };
    let entries = list
        .into_iter()
        .map(|e| {
            let t = crate::db::china::minute(e.at);
            let label = audit::action_label(&e.action);
            (t, e, label)
        })
        .collect();
    render(&AuditPage { nav: Nav::of(&a), root, entries, older })
}
