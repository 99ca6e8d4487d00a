//! JSON API for star ratings (星级评定): a subtree's board and ledger, a branch's scorecard with
//! its explanations, assessors' entries with evidence, ratings, appeals and reviews, titles, the
//! county's rubric.

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
use crate::assessment::rules::Rubric;
use crate::assessment::store::{self as assess, AppealInput, Board, Card, EntryInput, EntryView, RateInput, ReviewInput, TitleInput};
use crate::auth::cap;
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/assessment/branches/{id}", get(card))
        .route("/api/v1/assessment/branches/{id}/entries", post(enter).layer(axum::extract::DefaultBodyLimit::max(super::boundary::MEETING_FILE_BODY * 2)))
        .route("/api/v1/assessment/branches/{id}/ratings", post(rate))
        .route("/api/v1/assessment/branches/{id}/appeals", post(appeal))
        .route("/api/v1/assessment/branches/{id}/reviews", post(review))
        .route("/api/v1/assessment/branches/{id}/titles", post(title))
        .route("/api/v1/assessment/entries/{id}/file", get(entry_file))
        .route("/api/v1/orgs/{id}/assessment", get(board))
        .route("/api/v1/orgs/{id}/assessment.xlsx", get(board_xlsx))
        .route("/api/v1/orgs/{id}/assessment/rubric", get(rubric).put(set_rubric))
}

#[derive(OpenApi)]
#[openapi(
    paths(card, enter, rate, appeal, review, title, entry_file, board, board_xlsx, rubric, set_rubric),
    components(schemas(Board, Card, EntryInput, EntryView, RateInput, AppealInput, ReviewInput, TitleInput, Rubric))
)]
pub struct AssessmentApiDoc;

/// A branch's year: every item with its points, where they come from and why; the “十有”; the
/// stars by the cut-offs; entries, rating events and titles.
#[utoipa::path(get, path = "/api/v1/assessment/branches/{id}", params(YearQuery), responses((status = 200, body = Card), (status = 404, body = ErrorResponse)))]
async fn card(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<Card>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(assess::card(&s.db, &mut conn, &a.scope(), &s.rules, id, year(&q)).await?))
}

/// An assessor's entry for an item the records do not measure (`points`, one decimal) or a
/// “十有” check (`item: "ten:<code>"`, `met`), with its evidence (`note`, optionally a file as
/// base64). An item measured from records is 422 `item_from_records`.
#[utoipa::path(post, path = "/api/v1/assessment/branches/{id}/entries", request_body = EntryInput, responses((status = 201, body = EntryView), (status = 422, body = ErrorResponse)))]
async fn enter(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<EntryInput>) -> AppResult<(StatusCode, Json<EntryView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| assess::enter(&mut tx, &a, &s.rules, id, &body).await)?)))
}

/// Rates the year from the scorecard as it stands (422 `items_missing` while items are not
/// entered); a later rating replaces it, the history stays.
#[utoipa::path(post, path = "/api/v1/assessment/branches/{id}/ratings", request_body = RateInput, responses((status = 200, body = Card), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn rate(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<RateInput>) -> AppResult<Json<Card>> {
    Ok(Json(write_tx!(&s.db, |tx| assess::rate(&s.db, &mut tx, &a, &s.rules, id, &body).await)?))
}

/// The branch appeals its rating (409 `not_rated`, `appeal_open`).
#[utoipa::path(post, path = "/api/v1/assessment/branches/{id}/appeals", request_body = AppealInput, responses((status = 200, body = Card), (status = 409, body = ErrorResponse)))]
async fn appeal(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<AppealInput>) -> AppResult<Json<Card>> {
    Ok(Json(write_tx!(&s.db, |tx| assess::appeal(&s.db, &mut tx, &a, &s.rules, id, &body).await)?))
}

/// The review of an open appeal: the stars after review and the finding (409 `no_open_appeal`).
#[utoipa::path(post, path = "/api/v1/assessment/branches/{id}/reviews", request_body = ReviewInput, responses((status = 200, body = Card), (status = 409, body = ErrorResponse)))]
async fn review(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ReviewInput>) -> AppResult<Json<Card>> {
    Ok(Json(write_tx!(&s.db, |tx| assess::review(&s.db, &mut tx, &a, &s.rules, id, &body).await)?))
}

/// Confers a title (双强六好, 标杆党组织, 四强党支部 …) on a branch rated with the stars it asks
/// for (422 `title_needs_stars`), or withdraws it (`revoke: true`).
#[utoipa::path(post, path = "/api/v1/assessment/branches/{id}/titles", request_body = TitleInput, responses((status = 200, body = Card), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn title(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<TitleInput>) -> AppResult<Json<Card>> {
    Ok(Json(write_tx!(&s.db, |tx| assess::title(&s.db, &mut tx, &a, &s.rules, id, &body).await)?))
}

/// An entry's evidence file.
#[utoipa::path(get, path = "/api/v1/assessment/entries/{id}/file", responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorResponse)))]
async fn entry_file(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<axum::response::Response> {
    let mut conn = s.db.pool.acquire().await?;
    let (f, data) = assess::entry_file(&mut conn, &a.scope(), id).await?;
    Ok(super::api_life::file_response(&f, data))
}

/// The star board of a subtree's branches (up to 5,000), lowest scores first, with counts by stars.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/assessment", params(YearQuery), responses((status = 200, body = Board), (status = 404, body = ErrorResponse)))]
async fn board(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<Board>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(assess::board(&s.db, &mut conn, &a.scope(), &s.rules, &org, year(&q)).await?))
}

/// The 星级评定台账 as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/assessment.xlsx", params(YearQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn board_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = assess::board(&s.db, &mut conn, &a.scope(), &s.rules, &org, year(&q)).await?;
    Ok(super::api::xlsx_response(&format!("{}{}年度星级评定台账.xlsx", org.name, b.year), assess::board_xlsx(&b)?))
}

/// The rubric in force at an org (its own, the nearest ancestor's, or the published default).
#[utoipa::path(get, path = "/api/v1/orgs/{id}/assessment/rubric", responses((status = 200, body = Rubric), (status = 404, body = ErrorResponse)))]
async fn rubric(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Rubric>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadAssessment>(), id).await?;
    Ok(Json(assess::rubric_for(&mut conn, &s.rules, &org).await?.0))
}

/// Sets the rubric of an org's subtree (items adding up to 100, cut-offs descending; 422
/// `rubric_invalid` says what is wrong).
#[utoipa::path(put, path = "/api/v1/orgs/{id}/assessment/rubric", request_body = Rubric, responses((status = 200, body = Rubric), (status = 422, body = ErrorResponse)))]
async fn set_rubric(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<Rubric>) -> AppResult<Json<Rubric>> {
    write_tx!(&s.db, |tx| {
        let org = orgs::get_scoped(&mut tx, &a.scope::<cap::ReadAssessment>(), id).await?;
        assess::set_rubric(&mut tx, &a, &org, &body).await
    })?;
    Ok(Json(body))
}
