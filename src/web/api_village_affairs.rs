//! JSON API for village affairs (四议两公开): matters, their steps in order with minutes and votes,
//! the subtree's list and ledger.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::village_affairs::rules::Vote;
use crate::village_affairs::store::{self as affairs, MatterInput, MatterList, MatterView, StepInput, StepView};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/village-affairs/matters", post(create))
        .route("/api/v1/village-affairs/matters/{id}", get(detail))
        .route("/api/v1/village-affairs/matters/{id}/steps", post(record_step))
        .route("/api/v1/orgs/{id}/village-affairs", get(list))
        .route("/api/v1/orgs/{id}/village-affairs.xlsx", get(list_xlsx))
}

#[derive(OpenApi)]
#[openapi(paths(create, detail, record_step, list, list_xlsx), components(schemas(MatterInput, MatterView, StepView, StepInput, Vote, MatterList)))]
pub struct VillageAffairsApiDoc;

/// Opens a major matter of a village (`WriteOrgLife` there).
#[utoipa::path(post, path = "/api/v1/village-affairs/matters", request_body = MatterInput, responses((status = 201, body = MatterView), (status = 422, body = ErrorResponse)))]
async fn create(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<MatterInput>) -> AppResult<(StatusCode, Json<MatterView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| affairs::create(&mut tx, &a, &body).await)?)))
}

/// A matter with its steps, and the step that may come next.
#[utoipa::path(get, path = "/api/v1/village-affairs/matters/{id}", responses((status = 200, body = MatterView), (status = 404, body = ErrorResponse)))]
async fn detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<MatterView>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(affairs::get(&mut conn, &a.scope(), id).await?))
}

/// Records the next step: a skipped or earlier-dated step is 422 `step_skipped` /
/// `step_before_previous`; a meeting short of its quorum 422 `quorum_not_met`; a vote that falls
/// short is recorded and the matter becomes 未通过.
#[utoipa::path(post, path = "/api/v1/village-affairs/matters/{id}/steps", request_body = StepInput, responses((status = 200, body = MatterView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn record_step(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<StepInput>) -> AppResult<Json<MatterView>> {
    Ok(Json(write_tx!(&s.db, |tx| affairs::record_step(&mut tx, &a, id, &body).await)?))
}

/// The matters of a subtree's villages, latest first, with counts by state.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/village-affairs", responses((status = 200, body = MatterList), (status = 404, body = ErrorResponse)))]
async fn list(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<MatterList>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(affairs::list(&mut conn, &a.scope(), &org).await?))
}

/// The 四议两公开台账 as a workbook: one row per step.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/village-affairs.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn list_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let bytes = affairs::list_xlsx(&mut conn, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}四议两公开台账.xlsx", org.name), bytes))
}
