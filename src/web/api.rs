//! The JSON API under `/api/v1`. Handlers are thin: parse, call the feature module, render.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::limits::ClientIp;
use super::session::ApiActor;
use super::AppState;
use crate::audit::{self, AuditEntry};
use crate::auth::cap;
use crate::auth::roles::{Grant, Perm};
use crate::auth::store::{self as users, GrantInput, NewUser, PasswordChange, SessionKind, UserView};
use crate::error::{AppError, AppResult};
use crate::members::import::{self, ImportSummary};
use crate::members::model::MemberView;
use crate::members::store::{self as members, MemberPage, MemberQuery, Transfer, TransferInput};
use crate::members::validate::MemberInput;
use crate::orgs::detail::{self, OrgDetail, OrgSummary};
use crate::orgs::model::Org;
use crate::orgs::stats::SubtreeStats;
use crate::orgs::store::{self as orgs, OrgInput, OrgPatch};
use crate::db::Lock;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/orgs", get(list_orgs).post(create_org))
        .route("/api/v1/orgs/{id}", get(get_org).patch(patch_org))
        .route("/api/v1/orgs/{id}/children", get(org_children))
        .route("/api/v1/orgs/{id}/stats", get(org_stats))
        .route("/api/v1/orgs/{id}/move", post(move_org))
        .route("/api/v1/orgs/{id}/dissolve", post(dissolve_org))
        .route("/api/v1/orgs/{id}/members.xlsx", get(export_members))
        .route("/api/v1/members", get(list_members).post(create_member))
        .route("/api/v1/members/{id}", get(get_member).patch(patch_member))
        .route("/api/v1/members/{id}/sensitive", get(reveal_member))
        .route("/api/v1/members/{id}/transfer", post(transfer_member))
        .route("/api/v1/members/{id}/transfers", get(member_transfers))
        .route("/api/v1/import/members", post(import_members).layer(axum::extract::DefaultBodyLimit::max(super::boundary::IMPORT_BODY)))
        .route("/api/v1/import/orgs", post(import_orgs).layer(axum::extract::DefaultBodyLimit::max(super::boundary::IMPORT_BODY)))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}/roles", post(grant_role))
        .route("/api/v1/users/{id}/roles/{role_id}", delete(revoke_role))
        .route("/api/v1/users/{id}/password", post(set_password))
        .route("/api/v1/users/{id}/disabled", post(disable_user))
        .route("/api/v1/audit", get(list_audit))
        .fallback(api_not_found)
}

/// No route: the fallback of the whole site, answered in the shape of the part asked for.
async fn api_not_found(uri: axum::http::Uri) -> axum::response::Response {
    let face = super::boundary::Face::of(uri.path());
    let e = match face {
        super::boundary::Face::Api => AppError::NotFound,
        _ => AppError::Boundary { status: StatusCode::NOT_FOUND, code: "not_found", message: "您访问的页面不存在".into(), detail: None },
    };
    face.error(e)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "萤火 Yinghuo API", version = "1", description = "Bearer token from POST /api/v1/auth/login. Errors: {\"error\":{\"code\",\"message\"}}."),
    paths(login, logout, me, list_orgs, create_org, get_org, patch_org, org_children, org_stats, move_org, dissolve_org,
          export_members, list_members, create_member, get_member, patch_member, reveal_member, transfer_member,
          member_transfers, import_members, import_orgs, list_users, create_user, grant_role, revoke_role, set_password, disable_user, list_audit),
    components(schemas(LoginInput, LoginResponse, MeResponse, GrantView, Org, OrgInput, OrgPatch, OrgDetail, OrgSummary,
          SubtreeStats, MoveInput, DissolveInput, MemberInput, MemberView, MemberPage, TransferInput, Transfer,
          ImportSummary, NewUser, GrantInput, UserView, PasswordChange, DisableInput, AuditEntry, ErrorResponse))
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi_doc())
}

/// The whole API document: every feature's operations.
pub fn openapi_doc() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::api_life::LifeApiDoc::openapi());
    doc.merge(super::api_training::TrainingApiDoc::openapi());
    doc.merge(super::api_governance::GovernanceApiDoc::openapi());
    doc.merge(super::api_grids_import::GridsImportApiDoc::openapi());
    doc.merge(super::api_recruitment::RecruitmentApiDoc::openapi());
    doc.merge(super::api_mobile::MobileApiDoc::openapi());
    doc.merge(super::api_team::TeamApiDoc::openapi());
    doc.merge(super::api_delegates::DelegatesApiDoc::openapi());
    doc.merge(super::api_pairings::PairingsApiDoc::openapi());
    doc.merge(super::api_cadres::CadresApiDoc::openapi());
    doc.merge(super::api_points::PointsApiDoc::openapi());
    doc.merge(super::api_volunteering::VolunteeringApiDoc::openapi());
    doc.merge(super::api_village_affairs::VillageAffairsApiDoc::openapi());
    doc.merge(super::api_powers::PowersApiDoc::openapi());
    doc.merge(super::api_assessment::AssessmentApiDoc::openapi());
    doc.merge(super::api_rectification::RectificationApiDoc::openapi());
    doc.merge(super::api_economy::EconomyApiDoc::openapi());
    doc.merge(super::api_dashboard::DashboardApiDoc::openapi());
    doc.merge(super::api_centers::CentersApiDoc::openapi());
    doc.merge(super::api_service_ratings::ServiceRatingsApiDoc::openapi());
    doc
}

/// The shape of every error answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    /// {"code": stable machine code, "message": Chinese text}
    pub error: serde_json::Value,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// The password was generated or reset by an administrator: change it (POST /api/v1/users/{id}/password
    /// with current_password) before anything else is allowed.
    pub must_change_password: bool,
}

#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginInput,
    responses((status = 200, body = LoginResponse), (status = 422, body = ErrorResponse), (status = 429, body = ErrorResponse)))]
async fn login(State(s): State<AppState>, ClientIp(ip): ClientIp, Json(body): Json<LoginInput>) -> AppResult<Json<LoginResponse>> {
    let signed = users::sign_in(&s.db, &s.rules.auth, &body.username, &body.password, Some(ip), SessionKind::Api).await?;
    let session = signed.session;
    Ok(Json(LoginResponse { token: session.token, expires_at: session.expires_at, must_change_password: signed.must_change_password }))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", responses((status = 204)))]
async fn logout(State(s): State<AppState>, headers: axum::http::HeaderMap) -> AppResult<StatusCode> {
    if let Some(token) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) {
        let mut conn = s.db.pool.acquire().await?;
        users::end_session(&mut conn, token.trim()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GrantView {
    pub role: String,
    pub role_label: String,
    pub org_id: i64,
    pub org_name: String,
}

impl From<&Grant> for GrantView {
    fn from(g: &Grant) -> Self {
        GrantView { role: g.role.code().into(), role_label: g.role.label().into(), org_id: g.org_id, org_name: g.org_name.clone() }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub member_id: Option<i64>,
    pub roles: Vec<GrantView>,
}

#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = MeResponse)))]
async fn me(ApiActor(a): ApiActor) -> Json<MeResponse> {
    Json(MeResponse {
        id: a.user_id,
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        member_id: a.member_id,
        roles: a.grants.iter().map(GrantView::from).collect(),
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OrgListQuery {
    /// Search by name or code within the caller's subtrees instead.
    pub q: Option<String>,
}

/// The orgs at which the caller's roles are held (or a search within their subtrees).
#[utoipa::path(get, path = "/api/v1/orgs", params(OrgListQuery), responses((status = 200, body = Vec<OrgSummary>)))]
async fn list_orgs(State(s): State<AppState>, ApiActor(a): ApiActor, Query(q): Query<OrgListQuery>) -> AppResult<Json<Vec<OrgSummary>>> {
    let mut conn = s.db.pool.acquire().await?;
    let list = match q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => orgs::search(&mut conn, &a.scope(), text, 50).await?,
        None => {
            let mut out: Vec<Org> = Vec::new();
            for g in &a.grants {
                if !out.iter().any(|o| o.id == g.org_id) {
                    if let Some(o) = orgs::get(&mut conn, g.org_id).await? {
                        out.push(o);
                    }
                }
            }
            out
        }
    };
    Ok(Json(detail::summaries(&mut conn, list).await?))
}

#[utoipa::path(post, path = "/api/v1/orgs", request_body = OrgInput, responses((status = 201, body = Org), (status = 422, body = ErrorResponse)))]
async fn create_org(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<OrgInput>) -> AppResult<(StatusCode, Json<Org>)> {
    let parent_id = body.parent_id.ok_or_else(|| AppError::invalid_field("parent_required", "parent_id", "请选择上级党组织"))?;
    // Scope before content: a caller who may not write there learns nothing from validation.
    orgs::get_scoped(&mut *s.db.pool.acquire().await?, &a.scope::<cap::WriteOrgs>(), parent_id).await?;
    let n = orgs::validate_new(&body)?;
    let org = write_tx!(&s.db, Lock::Tree, |tx| {
        let parent = orgs::get_scoped(&mut tx, &a.scope::<cap::WriteOrgs>(), parent_id).await?;
        orgs::create(&mut tx, Some(&a), Some(&parent), &n).await
    })?;
    Ok((StatusCode::CREATED, Json(org)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}", responses((status = 200, body = OrgDetail), (status = 404, body = ErrorResponse)))]
async fn get_org(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<OrgDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(detail::detail(&mut conn, &a.scope(), id, &s.rules).await?))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{id}", request_body = OrgPatch, responses((status = 200, body = Org)))]
async fn patch_org(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<OrgPatch>) -> AppResult<Json<Org>> {
    Ok(Json(write_tx!(&s.db, Lock::Tree, |tx| {
        let org = orgs::get_writable(&mut tx, &a, id).await?;
        orgs::update(&mut tx, &a, &org, &body).await
    })?))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/children", responses((status = 200, body = Vec<OrgSummary>)))]
async fn org_children(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Vec<OrgSummary>>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let kids = orgs::children(&mut conn, org.id, false).await?;
    Ok(Json(detail::summaries(&mut conn, kids).await?))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/stats", responses((status = 200, body = SubtreeStats)))]
async fn org_stats(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<SubtreeStats>> {
    let (_, figures) = crate::orgs::cache::stats_scoped(&s.db, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(figures.as_ref().clone()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MoveInput {
    pub parent_id: i64,
}

#[utoipa::path(post, path = "/api/v1/orgs/{id}/move", request_body = MoveInput, responses((status = 200, body = Org)))]
async fn move_org(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<MoveInput>) -> AppResult<Json<Org>> {
    Ok(Json(write_tx!(&s.db, Lock::Tree, |tx| {
        let org = orgs::get_writable(&mut tx, &a, id).await?;
        let parent = orgs::get_scoped(&mut tx, &a.scope::<cap::WriteOrgs>(), body.parent_id).await?;
        orgs::move_subtree(&mut tx, &a, &org, &parent).await
    })?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DissolveInput {
    /// YYYY-MM-DD, defaults to today.
    pub date: Option<String>,
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/orgs/{id}/dissolve", request_body = DissolveInput, responses((status = 200, body = Org)))]
async fn dissolve_org(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<DissolveInput>) -> AppResult<Json<Org>> {
    let on = crate::members::validate::parse_day(body.date.as_deref())?;
    Ok(Json(write_tx!(&s.db, Lock::Tree, |tx| {
        let org = orgs::get_writable(&mut tx, &a, id).await?;
        orgs::dissolve(&mut tx, &a, &org, on, &body.reason).await
    })?))
}


#[utoipa::path(get, path = "/api/v1/orgs/{id}/members.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn export_members(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let (name, bytes) = crate::members::export::members_xlsx(&s.db, &a, &a.scope(), &a.scope(), id).await?;
    Ok(xlsx_response(&name, bytes))
}

pub fn xlsx_response(name: &str, bytes: Vec<u8>) -> impl IntoResponse {
    let disposition = format!("attachment; filename=\"members.xlsx\"; filename*=UTF-8''{}", super::session::urlencode(name));
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
}

#[utoipa::path(get, path = "/api/v1/members", params(MemberQuery), responses((status = 200, body = MemberPage)))]
async fn list_members(State(s): State<AppState>, ApiActor(a): ApiActor, Query(q): Query<MemberQuery>) -> AppResult<Json<MemberPage>> {
    let mut conn = s.db.pool.acquire().await?;
    let org_id = q.org.or_else(|| a.grants.first().map(|g| g.org_id)).ok_or(AppError::NotFound)?;
    let root = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), org_id).await?;
    Ok(Json(members::search(&mut conn, &a.scope(), &root, &q).await?))
}

#[utoipa::path(post, path = "/api/v1/members", request_body = MemberInput, responses((status = 201, body = MemberView), (status = 422, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn create_member(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<MemberInput>) -> AppResult<(StatusCode, Json<MemberView>)> {
    let m = write_tx!(&s.db, Lock::Tree, |tx| members::create(&mut tx, &a, &body).await)?;
    let mut conn = s.db.pool.acquire().await?;
    Ok((StatusCode::CREATED, Json(member_view(&mut conn, &m).await?)))
}

async fn member_view(conn: &mut crate::db::Conn, m: &crate::members::model::Member) -> AppResult<MemberView> {
    let org = orgs::get(conn, m.org_id).await?.map(|o| o.name).unwrap_or_default();
    Ok(members::view(m, &org, false))
}

#[utoipa::path(get, path = "/api/v1/members/{id}", responses((status = 200, body = MemberView), (status = 404, body = ErrorResponse)))]
async fn get_member(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<MemberView>> {
    let mut conn = s.db.pool.acquire().await?;
    let m = members::get_scoped(&mut conn, &a.scope::<cap::ReadMembers>(), id).await?;
    Ok(Json(member_view(&mut conn, &m).await?))
}

#[utoipa::path(patch, path = "/api/v1/members/{id}", request_body = MemberInput, responses((status = 200, body = MemberView)))]
async fn patch_member(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<MemberInput>) -> AppResult<Json<MemberView>> {
    let m = write_tx!(&s.db, Lock::Tree, |tx| members::update(&mut tx, &a, id, &body).await)?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(member_view(&mut conn, &m).await?))
}

/// Full ID number and phone; the read is written to the audit log.
#[utoipa::path(get, path = "/api/v1/members/{id}/sensitive", responses((status = 200, body = MemberView), (status = 403, body = ErrorResponse)))]
async fn reveal_member(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<MemberView>> {
    Ok(Json(write_tx!(&s.db, |tx| members::reveal(&mut tx, &a, id).await)?))
}

#[utoipa::path(post, path = "/api/v1/members/{id}/transfer", request_body = TransferInput, responses((status = 200, body = MemberView)))]
async fn transfer_member(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<TransferInput>) -> AppResult<Json<MemberView>> {
    let m = write_tx!(&s.db, Lock::Tree, |tx| members::transfer(&mut tx, &a, id, &body).await)?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(member_view(&mut conn, &m).await?))
}

#[utoipa::path(get, path = "/api/v1/members/{id}/transfers", responses((status = 200, body = Vec<Transfer>)))]
async fn member_transfers(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Vec<Transfer>>> {
    let mut conn = s.db.pool.acquire().await?;
    let m = members::get_scoped(&mut conn, &a.scope::<cap::ReadMembers>(), id).await?;
    Ok(Json(members::transfers(&mut conn, m.id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// File name, used for its extension (.csv or .xlsx); otherwise the content is sniffed.
    pub filename: Option<String>,
}

/// Body: the raw .xlsx or .csv file. All rows are checked first; any bad row imports nothing.
#[utoipa::path(post, path = "/api/v1/import/members", params(ImportQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ImportSummary), (status = 422, body = ErrorResponse)))]
async fn import_members(State(s): State<AppState>, ApiActor(a): ApiActor, Query(q): Query<ImportQuery>, body: axum::body::Body) -> AppResult<Json<ImportSummary>> {
    if !a.can_anywhere(Perm::Import) {
        return Err(AppError::forbidden("您的角色无权导入数据"));
    }
    let up = super::upload::from_body(body, q.filename.as_deref()).await?;
    Ok(Json(import::import_members(&s.db, Some(&a), &up.path, up.kind, &|_| {}).await?))
}

#[utoipa::path(post, path = "/api/v1/import/orgs", params(ImportQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ImportSummary), (status = 422, body = ErrorResponse)))]
async fn import_orgs(State(s): State<AppState>, ApiActor(a): ApiActor, Query(q): Query<ImportQuery>, body: axum::body::Body) -> AppResult<Json<ImportSummary>> {
    if !a.can_anywhere(Perm::WriteOrgs) {
        return Err(AppError::forbidden("您的角色无权导入党组织"));
    }
    let up = super::upload::from_body(body, q.filename.as_deref()).await?;
    Ok(Json(import::import_orgs(&s.db, Some(&a), &up.path, up.kind).await?))
}

#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = Vec<UserView>)))]
async fn list_users(State(s): State<AppState>, ApiActor(a): ApiActor) -> AppResult<Json<Vec<UserView>>> {
    if !a.can_anywhere(Perm::ManageUsers) {
        return Err(AppError::forbidden("您的角色无权管理用户"));
    }
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(users::list_users(&mut conn, &a.scope()).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
}

#[utoipa::path(post, path = "/api/v1/users", request_body = NewUser, responses((status = 201, body = Created), (status = 403, body = ErrorResponse)))]
async fn create_user(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<NewUser>) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    let id = users::create_user(&s.db, Some(&a), &body).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/roles", request_body = GrantInput, responses((status = 204)))]
async fn grant_role(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<GrantInput>) -> AppResult<StatusCode> {
    write_tx!(&s.db, |tx| users::grant(&mut tx, &a, id, &body).await)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/roles/{role_id}", responses((status = 204)))]
async fn revoke_role(State(s): State<AppState>, ApiActor(a): ApiActor, Path((id, role_id)): Path<(i64, i64)>) -> AppResult<StatusCode> {
    write_tx!(&s.db, |tx| users::revoke(&mut tx, &a, id, role_id).await)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a user's password: one's own with `current_password`; another user's (a reset by an
/// administrator in scope) without it, and that user must change it at the next sign-in.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", request_body = PasswordChange, responses((status = 204), (status = 422, body = ErrorResponse)))]
async fn set_password(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<PasswordChange>) -> AppResult<StatusCode> {
    users::change_password(&s.db, &a, id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DisableInput {
    pub disabled: bool,
}

/// Disables (or re-enables) a user in scope: sign-in refused, every session ended.
#[utoipa::path(post, path = "/api/v1/users/{id}/disabled", request_body = DisableInput, responses((status = 204), (status = 404, body = ErrorResponse)))]
async fn disable_user(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<DisableInput>) -> AppResult<StatusCode> {
    write_tx!(&s.db, |tx| users::set_disabled(&mut tx, &a, id, body.disabled).await)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    pub org: Option<i64>,
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    /// Page backwards: entries with id below this.
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", params(AuditQuery), responses((status = 200, body = Vec<AuditEntry>)))]
async fn list_audit(State(s): State<AppState>, ApiActor(a): ApiActor, Query(q): Query<AuditQuery>) -> AppResult<Json<Vec<AuditEntry>>> {
    if !a.can_anywhere(Perm::ReadAudit) {
        return Err(AppError::forbidden("只有管理员可以查看操作日志"));
    }
    let mut conn = s.db.pool.acquire().await?;
    let org_id = q.org.or_else(|| a.grants.first().map(|g| g.org_id)).ok_or(AppError::NotFound)?;
    let root = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadAudit>(), org_id).await?;
    let entity = match (&q.entity, q.entity_id) {
        (Some(e), Some(id)) => Some((e.as_str(), id)),
        _ => None,
    };
    Ok(Json(audit::list(&mut conn, &a.scope(), &root.path, entity, q.before, q.limit.unwrap_or(50).clamp(1, 500)).await?))
}
