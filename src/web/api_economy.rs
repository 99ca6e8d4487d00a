//! JSON API for the village collective economy: income entries and reversals, cooperatives and
//! their titles, the board and ledger of a subtree's villages.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::api_points::{year, YearQuery};
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::economy::store::{self as econ, Board, CoopInput, CoopView, IncomeInput, IncomeView, LevelInput, ReverseInput, VillageRow};
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/economy/incomes", post(add_income))
        .route("/api/v1/economy/incomes/{id}/reverse", post(reverse))
        .route("/api/v1/economy/cooperatives", post(add_coop))
        .route("/api/v1/economy/cooperatives/{id}/level", post(set_level))
        .route("/api/v1/orgs/{id}/economy", get(board))
        .route("/api/v1/orgs/{id}/economy.xlsx", get(board_xlsx))
        .route("/api/v1/orgs/{id}/economy/incomes", get(village_incomes))
}

#[derive(OpenApi)]
#[openapi(
    paths(add_income, reverse, add_coop, set_level, board, board_xlsx, village_incomes),
    components(schemas(IncomeInput, IncomeView, ReverseInput, CoopInput, CoopView, LevelInput, Board, VillageRow))
)]
pub struct EconomyApiDoc;

/// Records an income entry of a village's year (yuan with up to two decimals, or fen).
#[utoipa::path(post, path = "/api/v1/economy/incomes", request_body = IncomeInput, responses((status = 201, body = IncomeView), (status = 422, body = ErrorResponse)))]
async fn add_income(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<IncomeInput>) -> AppResult<(StatusCode, Json<IncomeView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| econ::add_income(&mut tx, &a, &body).await)?)))
}

/// Reverses an entry with a new negative one, once (409 `already_reversed`).
#[utoipa::path(post, path = "/api/v1/economy/incomes/{id}/reverse", request_body = ReverseInput, responses((status = 201, body = IncomeView), (status = 409, body = ErrorResponse)))]
async fn reverse(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ReverseInput>) -> AppResult<(StatusCode, Json<IncomeView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| econ::reverse(&mut tx, &a, id, &body).await)?)))
}

/// Registers a cooperative the village leads.
#[utoipa::path(post, path = "/api/v1/economy/cooperatives", request_body = CoopInput, responses((status = 201, body = CoopView), (status = 422, body = ErrorResponse)))]
async fn add_coop(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<CoopInput>) -> AppResult<(StatusCode, Json<CoopView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| econ::add_coop(&mut tx, &a, &body).await)?)))
}

/// Records a cooperative's demonstration title (county, city, provincial, national) or its withdrawal.
#[utoipa::path(post, path = "/api/v1/economy/cooperatives/{id}/level", request_body = LevelInput, responses((status = 200, body = CoopView), (status = 422, body = ErrorResponse)))]
async fn set_level(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<LevelInput>) -> AppResult<Json<CoopView>> {
    Ok(Json(write_tx!(&s.db, |tx| econ::set_level(&mut tx, &a, id, &body).await)?))
}

/// The villages of a subtree for a year against the thresholds (5万, 10万, 100万元 by default),
/// weak villages, last year, sources and cooperatives.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/economy", params(YearQuery), responses((status = 200, body = Board), (status = 404, body = ErrorResponse)))]
async fn board(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<Board>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(econ::board(&mut conn, &a.scope(), &s.rules, &org, year(&q)).await?))
}

/// The 村级集体经济收入台账 as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/economy.xlsx", params(YearQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn board_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = econ::board(&mut conn, &a.scope(), &s.rules, &org, year(&q)).await?;
    Ok(super::api::xlsx_response(&format!("{}{}年度村级集体经济收入台账.xlsx", org.name, b.year), econ::board_xlsx(&b)?))
}

/// A village's entries for a year, newest first, reversals included.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/economy/incomes", params(YearQuery), responses((status = 200, body = Vec<IncomeView>), (status = 404, body = ErrorResponse)))]
async fn village_incomes(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<Vec<IncomeView>>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(econ::entries(&mut conn, &a.scope(), &org, year(&q)).await?))
}
