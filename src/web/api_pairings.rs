//! JSON API for pairings (包联, 共驻共建, 结对帮扶): made and ended by the county, activities
//! recorded by either side, listed on both orgs.

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
use crate::orgs::store as orgs;
use crate::pairings::store::{self as pairings, ActivityInput, ActivityView, EndInput, KindCount, PairingInput, PairingList, PairingView};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/pairings", post(create))
        .route("/api/v1/pairings/{id}", get(detail))
        .route("/api/v1/pairings/{id}/activities", post(add_activity))
        .route("/api/v1/pairings/{id}/end", post(end))
        .route("/api/v1/orgs/{id}/pairings", get(list))
        .route("/api/v1/orgs/{id}/pairings.xlsx", get(list_xlsx))
}

#[derive(OpenApi)]
#[openapi(
    paths(create, detail, add_activity, end, list, list_xlsx),
    components(schemas(PairingInput, PairingView, PairingDetail, ActivityInput, ActivityView, EndInput, PairingList, KindCount))
)]
pub struct PairingsApiDoc;

/// Makes a pairing between two orgs (`WriteOrgs` at both).
#[utoipa::path(post, path = "/api/v1/pairings", request_body = PairingInput, responses((status = 201, body = PairingView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn create(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<PairingInput>) -> AppResult<(StatusCode, Json<PairingView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| pairings::create(&mut tx, &a, &s.rules, &body).await)?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PairingDetail {
    #[serde(flatten)]
    pub pairing: PairingView,
    pub activities: Vec<ActivityView>,
}

/// A pairing and everything it did, latest first.
#[utoipa::path(get, path = "/api/v1/pairings/{id}", responses((status = 200, body = PairingDetail), (status = 404, body = ErrorResponse)))]
async fn detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<PairingDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    let pairing = pairings::get(&mut conn, &s.rules, &a.scope(), id).await?;
    let activities = pairings::activities(&mut conn, pairing.id).await?;
    Ok(Json(PairingDetail { pairing, activities }))
}

/// Records an activity (either side's `WriteOrgLife`).
#[utoipa::path(post, path = "/api/v1/pairings/{id}/activities", request_body = ActivityInput, responses((status = 200, body = PairingView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn add_activity(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ActivityInput>) -> AppResult<Json<PairingView>> {
    Ok(Json(write_tx!(&s.db, |tx| pairings::add_activity(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Ends a pairing with a day and a reason (`WriteOrgs` at both sides).
#[utoipa::path(post, path = "/api/v1/pairings/{id}/end", request_body = EndInput, responses((status = 200, body = PairingView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn end(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<EndInput>) -> AppResult<Json<PairingView>> {
    Ok(Json(write_tx!(&s.db, |tx| pairings::end(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Pairings with one side in the subtree, by kind, with quiet ones flagged.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/pairings", responses((status = 200, body = PairingList), (status = 404, body = ErrorResponse)))]
async fn list(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<PairingList>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(pairings::list(&mut conn, &s.rules, &a.scope(), &org).await?))
}

/// The 结对共建台账 as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/pairings.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn list_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let bytes = pairings::list_xlsx(&mut conn, &s.rules, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}结对共建台账.xlsx", org.name), bytes))
}
