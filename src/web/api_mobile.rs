//! JSON API for mobile members (流动党员): 外出报备, the quarterly “七个清楚” entries, certificate,
//! transfer letter and temporary branch, return, and the ledger of a subtree with its flags.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::error::AppResult;
use crate::mobile::store::{self as mobile, Away, FlagView, GapView, Ledger, LedgerEntry, LedgerInput, LeaveInput, PlaceView, ReturnInput, UpdateInput};
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/mobile-members", post(leave))
        .route("/api/v1/mobile-members/{id}", get(detail).patch(update))
        .route("/api/v1/mobile-members/{id}/ledger", post(add_ledger))
        .route("/api/v1/mobile-members/{id}/return", post(come_back))
        .route("/api/v1/orgs/{id}/mobile-members", get(ledger))
        .route("/api/v1/orgs/{id}/mobile-members.xlsx", get(ledger_xlsx))
}

#[derive(OpenApi)]
#[openapi(
    paths(leave, detail, update, add_ledger, come_back, ledger, ledger_xlsx),
    components(schemas(LeaveInput, Away, FlagView, MobileDetail, LedgerEntry, LedgerInput, UpdateInput, ReturnInput, Ledger, GapView, PlaceView))
)]
pub struct MobileApiDoc;

/// 外出报备: a member goes away (one open record per member).
#[utoipa::path(post, path = "/api/v1/mobile-members", request_body = LeaveInput, responses((status = 201, body = Away), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn leave(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<LeaveInput>) -> AppResult<(StatusCode, Json<Away>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| mobile::leave(&mut tx, &a, &s.rules, &body).await)?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MobileDetail {
    #[serde(flatten)]
    pub away: Away,
    pub entries: Vec<LedgerEntry>,
}

/// A member away: the seven items, the flags (each with its rule and dates), the entries.
#[utoipa::path(get, path = "/api/v1/mobile-members/{id}", responses((status = 200, body = MobileDetail), (status = 404, body = ErrorResponse)))]
async fn detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<MobileDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    let away = mobile::get(&mut conn, &s.rules, &a.scope(), id).await?;
    let entries = mobile::ledger_entries(&mut conn, away.id).await?;
    Ok(Json(MobileDetail { away, entries }))
}

/// Certificate issued, transfer letter issued or returned, temporary branch joined, fixed place.
#[utoipa::path(patch, path = "/api/v1/mobile-members/{id}", request_body = UpdateInput, responses((status = 200, body = Away), (status = 422, body = ErrorResponse)))]
async fn update(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<UpdateInput>) -> AppResult<Json<Away>> {
    Ok(Json(write_tx!(&s.db, |tx| mobile::update(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// This quarter's “七个清楚” entry (one per quarter).
#[utoipa::path(post, path = "/api/v1/mobile-members/{id}/ledger", request_body = LedgerInput, responses((status = 200, body = Away), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn add_ledger(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<LedgerInput>) -> AppResult<Json<Away>> {
    Ok(Json(write_tx!(&s.db, |tx| mobile::add_ledger(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// The member is back.
#[utoipa::path(post, path = "/api/v1/mobile-members/{id}/return", request_body = ReturnInput, responses((status = 200, body = Away), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn come_back(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ReturnInput>) -> AppResult<Json<Away>> {
    Ok(Json(write_tx!(&s.db, |tx| mobile::come_back(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// The subtree's ledger: members away with flags, this quarter's gaps, places and temporary branches.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/mobile-members", responses((status = 200, body = Ledger), (status = 404, body = ErrorResponse)))]
async fn ledger(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Ledger>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadMembers>(), id).await?;
    Ok(Json(mobile::ledger(&mut conn, &s.rules, &a.scope(), &org).await?))
}

/// The 流动党员台账 as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/mobile-members.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn ledger_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadMembers>(), id).await?;
    let bytes = mobile::ledger_xlsx(&mut conn, &s.rules, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}流动党员台账.xlsx", org.name), bytes))
}
