//! JSON API for the rectification of weak and lax organizations (软弱涣散): cases with their
//! reasons, plan, helping forces, “四个一”, problems and 销号; a subtree's board, suggestions from
//! records and ledger.

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
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::rectification::store::{self as rect, Board, CaseInput, CaseView, CloseInput, ForceInput, MeasureInput, PlanInput, ProblemInput, ProblemUpdate, Suggestion};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/rectification/cases", post(create))
        .route("/api/v1/rectification/cases/{id}", get(detail))
        .route("/api/v1/rectification/cases/{id}/plan", post(plan))
        .route("/api/v1/rectification/cases/{id}/forces", post(force))
        .route("/api/v1/rectification/cases/{id}/measures", post(measure))
        .route("/api/v1/rectification/cases/{id}/problems", post(problem))
        .route("/api/v1/rectification/cases/{id}/close", post(close))
        .route("/api/v1/rectification/problems/{id}", post(update_problem))
        .route("/api/v1/orgs/{id}/rectification", get(board))
        .route("/api/v1/orgs/{id}/rectification.xlsx", get(board_xlsx))
        .route("/api/v1/orgs/{id}/rectification/suggestions", get(suggestions))
}

#[derive(OpenApi)]
#[openapi(
    paths(create, detail, plan, force, measure, problem, close, update_problem, board, board_xlsx, suggestions),
    components(schemas(CaseInput, CaseView, PlanInput, ForceInput, MeasureInput, ProblemInput, ProblemUpdate, CloseInput, Board, Suggestion))
)]
pub struct RectificationApiDoc;

/// Identifies an organization as weak and lax with its reasons (no quota); 409 `already_rectifying`.
#[utoipa::path(post, path = "/api/v1/rectification/cases", request_body = CaseInput, responses((status = 201, body = CaseView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn create(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<CaseInput>) -> AppResult<(StatusCode, Json<CaseView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| rect::create(&mut tx, &a, &s.rules, &body).await)?)))
}

/// A case with its forces, problems, what blocks 销号, the stars before and since, and its history.
#[utoipa::path(get, path = "/api/v1/rectification/cases/{id}", responses((status = 200, body = CaseView), (status = 404, body = ErrorResponse)))]
async fn detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<CaseView>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(rect::get(&mut conn, &a.scope(), &s.rules, id).await?))
}

/// Sets the rectification plan (the “一套整顿方案” measure follows).
#[utoipa::path(post, path = "/api/v1/rectification/cases/{id}/plan", request_body = PlanInput, responses((status = 200, body = CaseView), (status = 409, body = ErrorResponse)))]
async fn plan(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<PlanInput>) -> AppResult<Json<CaseView>> {
    Ok(Json(write_tx!(&s.db, |tx| rect::set_plan(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Assigns one of the four helping forces.
#[utoipa::path(post, path = "/api/v1/rectification/cases/{id}/forces", request_body = ForceInput, responses((status = 200, body = CaseView), (status = 422, body = ErrorResponse)))]
async fn force(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ForceInput>) -> AppResult<Json<CaseView>> {
    Ok(Json(write_tx!(&s.db, |tx| rect::add_force(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Records a “四个一” measure as carried out.
#[utoipa::path(post, path = "/api/v1/rectification/cases/{id}/measures", request_body = MeasureInput, responses((status = 200, body = CaseView), (status = 422, body = ErrorResponse)))]
async fn measure(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<MeasureInput>) -> AppResult<Json<CaseView>> {
    Ok(Json(write_tx!(&s.db, |tx| rect::do_measure(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Adds a people's problem to the list.
#[utoipa::path(post, path = "/api/v1/rectification/cases/{id}/problems", request_body = ProblemInput, responses((status = 200, body = CaseView), (status = 422, body = ErrorResponse)))]
async fn problem(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ProblemInput>) -> AppResult<Json<CaseView>> {
    Ok(Json(write_tx!(&s.db, |tx| rect::add_problem(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Moves a problem to resolved, planned (纳入规划) or tracked, with what was done.
#[utoipa::path(post, path = "/api/v1/rectification/problems/{id}", request_body = ProblemUpdate, responses((status = 200, body = CaseView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn update_problem(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ProblemUpdate>) -> AppResult<Json<CaseView>> {
    Ok(Json(write_tx!(&s.db, |tx| rect::update_problem(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// 销号: 422 `problems_open` (naming them), `forces_missing`, `measures_undone`, `plan_missing`,
/// `no_problems` until everything is closed.
#[utoipa::path(post, path = "/api/v1/rectification/cases/{id}/close", request_body = CloseInput, responses((status = 200, body = CaseView), (status = 422, body = ErrorResponse)))]
async fn close(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<CloseInput>) -> AppResult<Json<CaseView>> {
    Ok(Json(write_tx!(&s.db, |tx| rect::close(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// The weak-organization board of a subtree: cases, problem counts, stars before and since.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/rectification", responses((status = 200, body = Board), (status = 404, body = ErrorResponse)))]
async fn board(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Board>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(rect::board(&mut conn, &a.scope(), &s.rules, &org).await?))
}

/// The 软弱涣散党组织整顿台账 as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/rectification.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn board_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = rect::board(&mut conn, &a.scope(), &s.rules, &org).await?;
    Ok(super::api::xlsx_response(&format!("{}软弱涣散党组织整顿台账.xlsx", org.name), rect::board_xlsx(&b)?))
}

/// Branches whose records this year show two or more signs (no secretary, a third of the
/// meetings missed, no new member for years, last year one star or none): for the office to
/// look at, never a quota.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/rectification/suggestions", params(YearQuery), responses((status = 200, body = Vec<Suggestion>), (status = 404, body = ErrorResponse)))]
async fn suggestions(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<Vec<Suggestion>>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(rect::suggestions(&s.db, &mut conn, &a.scope(), &s.rules, &org, year(&q)).await?))
}
