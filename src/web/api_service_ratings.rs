//! JSON API for 好差评: service windows, ratings entered from a window's device, the follow-up of
//! every 差评, and the report of a subtree's windows and departments over a period. Residents
//! rate on the window's public page (`/r/{code}`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::api_training::PeriodQuery;
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::service_ratings::store::{self as sr, FollowupInput, RateInput, RatingView, Report, WindowInput, WindowView};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/service-ratings/windows", post(create_window))
        .route("/api/v1/service-ratings/windows/{id}/ratings", post(rate))
        .route("/api/v1/service-ratings/ratings/{id}", get(detail))
        .route("/api/v1/service-ratings/ratings/{id}/followups", post(follow_up))
        .route("/api/v1/orgs/{id}/service-ratings", get(report))
        .route("/api/v1/orgs/{id}/service-ratings.xlsx", get(report_xlsx))
}

#[derive(OpenApi)]
#[openapi(paths(create_window, rate, detail, follow_up, report, report_xlsx), components(schemas(WindowInput, WindowView, RateInput, RatingView, FollowupInput, Report)))]
pub struct ServiceRatingsApiDoc;

/// Opens a service window (its `code` makes the QR card's page `/r/{code}`).
#[utoipa::path(post, path = "/api/v1/service-ratings/windows", request_body = WindowInput, responses((status = 201, body = WindowView), (status = 422, body = ErrorResponse)))]
async fn create_window(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<WindowInput>) -> AppResult<(StatusCode, Json<WindowView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| sr::create_window(&mut tx, &a, &body).await)?)))
}

/// A rating from the window's 评价器 or a paper card; a 差评 gets its follow-up due date.
#[utoipa::path(post, path = "/api/v1/service-ratings/windows/{id}/ratings", request_body = RateInput, responses((status = 201, body = RatingView), (status = 422, body = ErrorResponse)))]
async fn rate(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<RateInput>) -> AppResult<(StatusCode, Json<RatingView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| sr::rate_as_staff(&mut tx, &a, &s.rules, id, &body).await)?)))
}

/// A rating with its follow-ups.
#[utoipa::path(get, path = "/api/v1/service-ratings/ratings/{id}", responses((status = 200, body = RatingView), (status = 404, body = ErrorResponse)))]
async fn detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<RatingView>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(sr::get(&mut conn, &a, id).await?))
}

/// Follows up a 差评 (who, what, when); the resident's `answer` closes it (409 `already_closed`).
#[utoipa::path(post, path = "/api/v1/service-ratings/ratings/{id}/followups", request_body = FollowupInput, responses((status = 200, body = RatingView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn follow_up(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<FollowupInput>) -> AppResult<Json<RatingView>> {
    Ok(Json(write_tx!(&s.db, |tx| sr::follow_up(&mut tx, &a, id, &body).await)?))
}

/// Ratings per window and department over a period (this year by default), with the 差评 and
/// their follow-ups in time, late, open and overdue.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/service-ratings", params(PeriodQuery), responses((status = 200, body = Report), (status = 404, body = ErrorResponse)))]
async fn report(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<PeriodQuery>) -> AppResult<Json<Report>> {
    let (from, to) = q.range()?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(sr::report(&mut conn, &a, &a.scope(), &s.rules, &org, from, to).await?))
}

/// The 好差评台账 as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/service-ratings.xlsx", params(PeriodQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn report_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<PeriodQuery>) -> AppResult<impl IntoResponse> {
    let (from, to) = q.range()?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let r = sr::report(&mut conn, &a, &a.scope(), &s.rules, &org, from, to).await?;
    Ok(super::api::xlsx_response(&format!("{}好差评台账.xlsx", org.name), sr::report_xlsx(&r)?))
}
