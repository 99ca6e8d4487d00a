//! JSON API for volunteering (志愿服务): activities, sign-ups, the door QR, confirmed minutes, the
//! board of a subtree with the 双报到 members' “四季” service, and its ledger.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::api_points::{year, YearQuery};
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::error::{AppError, AppResult};
use crate::orgs::store as orgs;
use crate::volunteering::store::{
    self as vol, ActivityInput, ActivityView, AmendInput, CancelInput, CheckInput, ConfirmInput, HourChange, MinutesItem, MyActivity, MyVolunteering, ReportedMember, ScanResult,
    SignupInput, SignupView, VolunteeringBoard,
};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/volunteering/activities", post(create))
        .route("/api/v1/volunteering/activities/{id}", get(detail))
        .route("/api/v1/volunteering/activities/{id}/qr.svg", get(qr))
        .route("/api/v1/volunteering/activities/{id}/cancel", post(cancel))
        .route("/api/v1/volunteering/activities/{id}/signups", post(add_signup))
        .route("/api/v1/volunteering/activities/{id}/join", post(join))
        .route("/api/v1/volunteering/activities/{id}/confirm", post(confirm))
        .route("/api/v1/volunteering/signups/{id}/withdraw", post(withdraw))
        .route("/api/v1/volunteering/signups/{id}/check", post(check))
        .route("/api/v1/volunteering/signups/{id}/minutes", post(amend))
        .route("/api/v1/volunteering/scan/{token}", post(scan))
        .route("/api/v1/volunteering/mine", get(mine))
        .route("/api/v1/orgs/{id}/volunteering", get(board))
        .route("/api/v1/orgs/{id}/volunteering.xlsx", get(board_xlsx))
}

#[derive(OpenApi)]
#[openapi(
    paths(create, detail, qr, cancel, add_signup, join, confirm, withdraw, check, amend, scan, mine, board, board_xlsx),
    components(schemas(ActivityInput, ActivityView, ActivityDetail, CancelInput, SignupInput, SignupView, HourChange, CheckInput, ConfirmInput, MinutesItem, AmendInput, ScanResult, MyVolunteering, MyActivity, VolunteeringBoard, ReportedMember))
)]
pub struct VolunteeringApiDoc;

/// Publishes an activity (`WriteVolunteering` at its org).
#[utoipa::path(post, path = "/api/v1/volunteering/activities", request_body = ActivityInput, responses((status = 201, body = ActivityView), (status = 422, body = ErrorResponse)))]
async fn create(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<ActivityInput>) -> AppResult<(StatusCode, Json<ActivityView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| vol::create(&mut tx, &a, &s.rules, &body).await)?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivityDetail {
    #[serde(flatten)]
    pub activity: ActivityView,
    pub signups: Vec<SignupView>,
    /// The door link its QR encodes (for organizers).
    pub scan_url: String,
}

/// An activity with its sign-ups, check times and confirmed minutes.
#[utoipa::path(get, path = "/api/v1/volunteering/activities/{id}", responses((status = 200, body = ActivityDetail), (status = 404, body = ErrorResponse)))]
async fn detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, headers: axum::http::HeaderMap) -> AppResult<Json<ActivityDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    let activity = vol::get(&mut conn, &a.scope(), id).await?;
    let signups = vol::signups(&mut conn, id).await?;
    let scan_url = if a.can(Perm::WriteVolunteering, &activity.org_path) { scan_link(&headers, &activity.token) } else { String::new() };
    Ok(Json(ActivityDetail { activity, signups, scan_url }))
}

/// The absolute door link of an activity.
pub fn scan_link(headers: &axum::http::HeaderMap, token: &str) -> String {
    format!("{}/v/{token}", super::api_life::base_url(headers))
}

/// The door QR (SVG) for the organizer to print or show.
#[utoipa::path(get, path = "/api/v1/volunteering/activities/{id}/qr.svg", responses((status = 200, content_type = "image/svg+xml")))]
async fn qr(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, headers: axum::http::HeaderMap) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let v = vol::get(&mut conn, &a.scope(), id).await?;
    if !a.can(Perm::WriteVolunteering, &v.org_path) {
        return Err(AppError::forbidden("您的角色无权组织该活动"));
    }
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], super::api_life::qr_svg(&scan_link(&headers, &v.token))?))
}

/// Cancels an activity not yet confirmed.
#[utoipa::path(post, path = "/api/v1/volunteering/activities/{id}/cancel", request_body = CancelInput, responses((status = 200, body = ActivityView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn cancel(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<CancelInput>) -> AppResult<Json<ActivityView>> {
    Ok(Json(write_tx!(&s.db, |tx| vol::cancel(&mut tx, &a, id, &body).await)?))
}

/// The organizer signs up a member or a resident (409 `activity_full` when no slot is left).
#[utoipa::path(post, path = "/api/v1/volunteering/activities/{id}/signups", request_body = SignupInput, responses((status = 201, body = SignupView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn add_signup(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<SignupInput>) -> AppResult<(StatusCode, Json<SignupView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| vol::add_signup(&mut tx, &a, id, &body).await)?)))
}

/// The caller signs themself up (an activity of their branch or above, or of the community
/// they reported to).
#[utoipa::path(post, path = "/api/v1/volunteering/activities/{id}/join", responses((status = 201, body = SignupView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn join(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<(StatusCode, Json<SignupView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| vol::join(&mut tx, &a, id).await)?)))
}

/// Confirms every volunteer's minutes after the activity (once); households are credited.
#[utoipa::path(post, path = "/api/v1/volunteering/activities/{id}/confirm", request_body = ConfirmInput, responses((status = 200, body = ActivityView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn confirm(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ConfirmInput>) -> AppResult<Json<ActivityView>> {
    Ok(Json(write_tx!(&s.db, |tx| vol::confirm(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Withdraws a sign-up before check-in (the volunteer or the organizer).
#[utoipa::path(post, path = "/api/v1/volunteering/signups/{id}/withdraw", responses((status = 200, body = SignupView), (status = 409, body = ErrorResponse)))]
async fn withdraw(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<SignupView>> {
    Ok(Json(write_tx!(&s.db, |tx| vol::withdraw(&mut tx, &a, id).await)?))
}

/// The organizer checks a volunteer in or out by hand.
#[utoipa::path(post, path = "/api/v1/volunteering/signups/{id}/check", request_body = CheckInput, responses((status = 200, body = SignupView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn check(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<CheckInput>) -> AppResult<Json<SignupView>> {
    Ok(Json(write_tx!(&s.db, |tx| vol::check(&mut tx, &a, id, &body).await)?))
}

/// Corrects one volunteer's confirmed minutes with a reason (kept as history).
#[utoipa::path(post, path = "/api/v1/volunteering/signups/{id}/minutes", request_body = AmendInput, responses((status = 200, body = SignupView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn amend(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<AmendInput>) -> AppResult<Json<SignupView>> {
    Ok(Json(write_tx!(&s.db, |tx| vol::amend(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// A member scans the door QR: first check-in, then check-out.
#[utoipa::path(post, path = "/api/v1/volunteering/scan/{token}", responses((status = 200, body = ScanResult), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn scan(State(s): State<AppState>, ApiActor(a): ApiActor, Path(token): Path<String>) -> AppResult<Json<ScanResult>> {
    Ok(Json(write_tx!(&s.db, |tx| vol::scan(&mut tx, &a, &s.rules, &token).await)?))
}

/// The caller's volunteering: activities open to them and their own service.
#[utoipa::path(get, path = "/api/v1/volunteering/mine", responses((status = 200, body = MyVolunteering), (status = 422, body = ErrorResponse)))]
async fn mine(State(s): State<AppState>, ApiActor(a): ApiActor) -> AppResult<Json<MyVolunteering>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(vol::mine(&mut conn, &a).await?))
}

/// A subtree's year of volunteering, and the 双报到 members' service this season.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/volunteering", params(YearQuery), responses((status = 200, body = VolunteeringBoard), (status = 404, body = ErrorResponse)))]
async fn board(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<VolunteeringBoard>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadVolunteering>(), id).await?;
    Ok(Json(vol::board(&mut conn, &s.rules, &a.scope(), &org, year(&q)).await?))
}

/// The 志愿服务台账 of the year as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/volunteering.xlsx", params(YearQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn board_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadVolunteering>(), id).await?;
    let y = year(&q);
    let bytes = vol::xlsx(&mut conn, &a.scope(), &org, y).await?;
    Ok(super::api::xlsx_response(&format!("{}志愿服务台账{y}.xlsx", org.name), bytes))
}
