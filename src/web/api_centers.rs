//! JSON API for service centers (党群服务中心): registration, checks with photos, a center with
//! its history, the photos, the board and ledger of a subtree.

use axum::extract::{DefaultBodyLimit, Path, Query, State};
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
use crate::centers::rules::{CenterRules, Item, Signage, Standard, Verdict};
use crate::centers::store::{self as centers, AnswerInput, Board, CenterInput, CenterRow, CenterView, CheckInput, CheckView, Detail, Failure, PhotoInput, VillageRef, CHECK_JSON_BODY};
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/centers", post(register))
        .route("/api/v1/centers/{id}", get(detail))
        .route("/api/v1/centers/{id}/checks", post(check).layer(DefaultBodyLimit::max(CHECK_JSON_BODY)))
        .route("/api/v1/centers/photos/{id}", get(photo))
        .route("/api/v1/orgs/{id}/centers", get(board))
        .route("/api/v1/orgs/{id}/centers.xlsx", get(board_xlsx))
}

#[derive(OpenApi)]
#[openapi(
    paths(register, check, detail, photo, board, board_xlsx),
    components(schemas(CenterInput, CenterView, CheckInput, AnswerInput, PhotoInput, CheckView, Detail, Board, CenterRow, VillageRef, Failure, CenterRules, Item, Signage, Standard, Verdict))
)]
pub struct CentersApiDoc;

/// Registers the 党群服务中心 of a village or community (one each: 409 `center_exists`).
#[utoipa::path(post, path = "/api/v1/centers", request_body = CenterInput, responses((status = 201, body = CenterView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn register(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<CenterInput>) -> AppResult<(StatusCode, Json<CenterView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| centers::register(&mut tx, &a, &body).await)?)))
}

/// Records a check: every standard of the center's list met or not (a note when not), the
/// plaques and guide signs counted, up to six photos (base64). The answer carries the verdict.
#[utoipa::path(post, path = "/api/v1/centers/{id}/checks", request_body = CheckInput, responses((status = 201, body = CheckView), (status = 422, body = ErrorResponse)))]
async fn check(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<CheckInput>) -> AppResult<(StatusCode, Json<CheckView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| centers::record_check(&mut tx, &a, &s.rules, id, &body).await)?)))
}

/// A center, the standards that apply, its checks newest first with their verdicts and photos.
#[utoipa::path(get, path = "/api/v1/centers/{id}", responses((status = 200, body = Detail), (status = 404, body = ErrorResponse)))]
async fn detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Detail>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(centers::detail(&mut conn, &a.scope(), &s.rules, id).await?))
}

/// A check's photo (its bytes).
#[utoipa::path(get, path = "/api/v1/centers/photos/{id}", responses((status = 200, content_type = "image/jpeg"), (status = 404, body = ErrorResponse)))]
async fn photo(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let (f, data) = centers::photo(&mut conn, &a.scope(), id).await?;
    Ok(super::api_life::file_response(&f, data))
}

/// The centers of a subtree for a year: registered, checked, 达标, over the signage limits, the
/// villages without one, the standards most often not met, the latest verdict of each.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/centers", params(YearQuery), responses((status = 200, body = Board), (status = 404, body = ErrorResponse)))]
async fn board(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<Board>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(centers::board(&mut conn, &a.scope(), &s.rules, &org, year(&q)).await?))
}

/// The 党群服务中心规范化建设台账 as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/centers.xlsx", params(YearQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn board_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = centers::board(&mut conn, &a.scope(), &s.rules, &org, year(&q)).await?;
    Ok(super::api::xlsx_response(&format!("{}{}年度党群服务中心规范化建设台账.xlsx", org.name, b.year), centers::board_xlsx(&b)?))
}
