//! JSON API for an org's leadership team (班子): seats with dates, warnings and the term.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::orgs::team::{self, AppointInput, EndInput, Seat, Team, TeamWarning};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/orgs/{id}/team", get(get_team).post(appoint)).route("/api/v1/team-seats/{id}/end", post(end_seat))
}

#[derive(OpenApi)]
#[openapi(paths(get_team, appoint, end_seat), components(schemas(Team, Seat, TeamWarning, AppointInput, EndInput)))]
pub struct TeamApiDoc;

/// The team in post, past seats, the term and its end (换届), warnings.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/team", responses((status = 200, body = Team), (status = 404, body = ErrorResponse)))]
async fn get_team(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Team>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(team::team(&mut conn, &a.scope(), &s.rules.org_setup, &org).await?))
}

/// Appoints a member of the org to 书记, 副书记 or 委员.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/team", request_body = AppointInput, responses((status = 201, body = Seat), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn appoint(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<AppointInput>) -> AppResult<(StatusCode, Json<Seat>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| team::appoint(&mut tx, &a, id, &body).await)?)))
}

/// Ends a seat with a day and a reason.
#[utoipa::path(post, path = "/api/v1/team-seats/{id}/end", request_body = EndInput, responses((status = 200, body = Seat), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn end_seat(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<EndInput>) -> AppResult<Json<Seat>> {
    Ok(Json(write_tx!(&s.db, |tx| team::end_seat(&mut tx, &a, id, &body).await)?))
}
