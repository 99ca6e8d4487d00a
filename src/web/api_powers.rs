//! JSON API for the 小微权力清单 (the catalog in force, the uses of powers and their steps) and
//! the 承诺践诺 (commitments, 践诺, 核验, the board per child org).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::api_points::{year, YearQuery};
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::village_affairs::commitment_store::{self as commitments, CheckInput, CommitmentBoard, CommitmentInput, CommitmentView, FailInput, FulfilInput, Tally};
use crate::village_affairs::power_store::{self as powers, PowerBoard, PowerUse, UseInput, UseStep, UseStepInput};
use crate::village_affairs::powers::{PowerCatalog, PowerItem};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{id}/powers", get(board))
        .route("/api/v1/orgs/{id}/powers.xlsx", get(board_xlsx))
        .route("/api/v1/orgs/{id}/powers/catalog", get(catalog).put(set_catalog))
        .route("/api/v1/village-affairs/powers/uses", post(begin))
        .route("/api/v1/village-affairs/powers/uses/{id}", get(use_detail))
        .route("/api/v1/village-affairs/powers/uses/{id}/steps", post(use_step))
        .route("/api/v1/village-affairs/commitments", post(make))
        .route("/api/v1/village-affairs/commitments/{id}", get(commitment))
        .route("/api/v1/village-affairs/commitments/{id}/fulfil", post(fulfil))
        .route("/api/v1/village-affairs/commitments/{id}/check", post(check))
        .route("/api/v1/village-affairs/commitments/{id}/fail", post(fail))
        .route("/api/v1/orgs/{id}/commitments", get(commitment_board))
        .route("/api/v1/orgs/{id}/commitments.xlsx", get(commitment_xlsx))
}

#[derive(OpenApi)]
#[openapi(
    paths(board, board_xlsx, catalog, set_catalog, begin, use_detail, use_step, make, commitment, fulfil, check, fail, commitment_board, commitment_xlsx),
    components(schemas(PowerBoard, PowerCatalog, PowerItem, CatalogInput, PowerUse, UseStep, UseInput, UseStepInput, CommitmentBoard, CommitmentView, CommitmentInput, FulfilInput, CheckInput, FailInput, Tally))
)]
pub struct PowersApiDoc;

/// The catalog in force at an org and the uses of powers in its villages, latest first.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/powers", responses((status = 200, body = PowerBoard), (status = 404, body = ErrorResponse)))]
async fn board(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<PowerBoard>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(powers::board(&mut conn, &s.rules, &a.scope(), &org).await?))
}

/// The 小微权力运行台账 as a workbook: one row per step of each use.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/powers.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn board_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let bytes = powers::board_xlsx(&mut conn, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}小微权力运行台账.xlsx", org.name), bytes))
}

/// The catalog in force at an org (its own, an ancestor's, or the default).
#[utoipa::path(get, path = "/api/v1/orgs/{id}/powers/catalog", responses((status = 200, body = PowerCatalog), (status = 404, body = ErrorResponse)))]
async fn catalog(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<PowerCatalog>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(powers::catalog_for(&mut conn, &s.rules, &org).await?.0))
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CatalogInput {
    pub items: Option<Vec<PowerItem>>,
}

/// Sets the catalog of an org's subtree (`WriteOrgs`); 422 `catalog_invalid` says what is wrong.
#[utoipa::path(put, path = "/api/v1/orgs/{id}/powers/catalog", request_body = CatalogInput, responses((status = 200, body = PowerCatalog), (status = 422, body = ErrorResponse)))]
async fn set_catalog(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<CatalogInput>) -> AppResult<Json<PowerCatalog>> {
    Ok(Json(write_tx!(&s.db, |tx| {
        let org = orgs::get_scoped(&mut tx, &a.scope::<cap::ReadOrgs>(), id).await?;
        powers::set_catalog(&mut tx, &a, &org, body.items.clone()).await
    })?))
}

/// Begins a use of a power in a village; a power that needs 四议两公开 names the village's matter
/// (422 `matter_required`).
#[utoipa::path(post, path = "/api/v1/village-affairs/powers/uses", request_body = UseInput, responses((status = 201, body = PowerUse), (status = 422, body = ErrorResponse)))]
async fn begin(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<UseInput>) -> AppResult<(StatusCode, Json<PowerUse>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| powers::begin(&mut tx, &s.rules, &a, &body).await)?)))
}

/// A use of a power with its procedure and the steps done.
#[utoipa::path(get, path = "/api/v1/village-affairs/powers/uses/{id}", responses((status = 200, body = PowerUse), (status = 404, body = ErrorResponse)))]
async fn use_detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<PowerUse>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(powers::get(&mut conn, &a.scope(), id).await?))
}

/// Records the next step: 422 `step_skipped`, `step_before_previous`, `decision_not_published`
/// (the last step of a 四议两公开 power before its decision is published); 409 `changed_meanwhile`.
#[utoipa::path(post, path = "/api/v1/village-affairs/powers/uses/{id}/steps", request_body = UseStepInput, responses((status = 200, body = PowerUse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn use_step(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<UseStepInput>) -> AppResult<Json<PowerUse>> {
    Ok(Json(write_tx!(&s.db, |tx| powers::record_step(&mut tx, &a, id, &body).await)?))
}

/// Records a commitment an org makes to the level above (`WriteOrgLife` at the org).
#[utoipa::path(post, path = "/api/v1/village-affairs/commitments", request_body = CommitmentInput, responses((status = 201, body = CommitmentView), (status = 422, body = ErrorResponse)))]
async fn make(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<CommitmentInput>) -> AppResult<(StatusCode, Json<CommitmentView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| commitments::make(&mut tx, &a, &body).await)?)))
}

/// One commitment.
#[utoipa::path(get, path = "/api/v1/village-affairs/commitments/{id}", responses((status = 200, body = CommitmentView), (status = 404, body = ErrorResponse)))]
async fn commitment(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<CommitmentView>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(commitments::get(&mut conn, &a.scope(), id).await?))
}

/// The org reports the commitment done (践诺); 409 `not_open` once reported.
#[utoipa::path(post, path = "/api/v1/village-affairs/commitments/{id}/fulfil", request_body = FulfilInput, responses((status = 200, body = CommitmentView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn fulfil(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<FulfilInput>) -> AppResult<Json<CommitmentView>> {
    Ok(Json(write_tx!(&s.db, |tx| commitments::fulfil(&mut tx, &a, id, &body).await)?))
}

/// The level above accepts the report (已核验) or sends it back with its reason (`WriteOrgs` at
/// the org's parent).
#[utoipa::path(post, path = "/api/v1/village-affairs/commitments/{id}/check", request_body = CheckInput, responses((status = 200, body = CommitmentView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn check(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<CheckInput>) -> AppResult<Json<CommitmentView>> {
    Ok(Json(write_tx!(&s.db, |tx| commitments::check(&mut tx, &a, id, &body).await)?))
}

/// The level above records an open commitment past its due day as 未践诺 (422 `not_due` before).
#[utoipa::path(post, path = "/api/v1/village-affairs/commitments/{id}/fail", request_body = FailInput, responses((status = 200, body = CommitmentView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn fail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<FailInput>) -> AppResult<Json<CommitmentView>> {
    Ok(Json(write_tx!(&s.db, |tx| commitments::fail(&mut tx, &a, id, &body).await)?))
}

/// A subtree's commitments of a year, counted for the org itself and per child.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/commitments", params(YearQuery), responses((status = 200, body = CommitmentBoard), (status = 404, body = ErrorResponse)))]
async fn commitment_board(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<CommitmentBoard>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(commitments::board(&mut conn, &a.scope(), &org, year(&q)).await?))
}

/// The 承诺践诺台账 as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/commitments.xlsx", params(YearQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn commitment_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = commitments::board(&mut conn, &a.scope(), &org, year(&q)).await?;
    Ok(super::api::xlsx_response(&format!("{}{}年度承诺践诺台账.xlsx", org.name, b.year), commitments::board_xlsx(&b)?))
}
