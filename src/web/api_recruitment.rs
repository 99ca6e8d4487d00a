//! JSON API for recruitment (发展党员): files, their 25 steps, half-yearly reviews, the end of
//! the probation, the pipeline of a subtree and its ledger.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::db::Lock;
use crate::error::{AppError, AppResult};
use crate::orgs::store as orgs;
use crate::recruitment::rules::Stage;
use crate::recruitment::store::{
    self as recruitment, IrregularFile, Issue, NewRecruitInput, NextStep, NoNewMember, PersonView, Pipeline, PipelineRow, ProbationInput, Recruit, RecruitDetail,
    ReviewInput, StageCounts, StepInput, StepView, WithdrawInput,
};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/recruitment", post(create))
        .route("/api/v1/recruitment/{id}", get(detail))
        .route("/api/v1/recruitment/{id}/steps", post(record_step))
        .route("/api/v1/recruitment/{id}/reviews", post(add_review))
        .route("/api/v1/recruitment/{id}/probation", post(decide_probation))
        .route("/api/v1/recruitment/{id}/withdraw", post(withdraw))
        .route("/api/v1/orgs/{id}/recruitment", get(pipeline))
        .route("/api/v1/orgs/{id}/recruitment/files", get(list))
        .route("/api/v1/orgs/{id}/recruitment.xlsx", get(ledger))
}

#[derive(OpenApi)]
#[openapi(
    paths(create, detail, record_step, add_review, decide_probation, withdraw, pipeline, list, ledger),
    components(schemas(NewRecruitInput, RecruitDetail, Recruit, StepView, PersonView, NextStep, Issue, StepInput, ReviewInput, ProbationInput, WithdrawInput,
        Pipeline, PipelineRow, StageCounts, IrregularFile, NoNewMember))
)]
pub struct RecruitmentApiDoc;

/// Records an 入党申请书 (step 1): refused under 18 (《细则》第五条).
#[utoipa::path(post, path = "/api/v1/recruitment", request_body = NewRecruitInput, responses((status = 201, body = RecruitDetail), (status = 422, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn create(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<NewRecruitInput>) -> AppResult<(StatusCode, Json<RecruitDetail>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, Lock::Tree, |tx| recruitment::create(&mut tx, &a, &s.rules, &body).await)?)))
}

/// A file: steps, people, reviews, the steps that may come next (and from when), irregularities.
#[utoipa::path(get, path = "/api/v1/recruitment/{id}", responses((status = 200, body = RecruitDetail), (status = 404, body = ErrorResponse)))]
async fn detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<RecruitDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(recruitment::detail(&mut conn, &a, &s.rules, id).await?))
}

/// Records a step. A step the rules forbid on that day answers 422 with the rule's code, its
/// article and, when waiting is what is missing, `rule.allowed_from`.
#[utoipa::path(post, path = "/api/v1/recruitment/{id}/steps", request_body = StepInput, responses((status = 200, body = RecruitDetail), (status = 422, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn record_step(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<StepInput>) -> AppResult<Json<RecruitDetail>> {
    Ok(Json(write_tx!(&s.db, Lock::Tree, |tx| recruitment::record_step(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Records a half-yearly review of an activist.
#[utoipa::path(post, path = "/api/v1/recruitment/{id}/reviews", request_body = ReviewInput, responses((status = 200, body = RecruitDetail), (status = 422, body = ErrorResponse)))]
async fn add_review(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ReviewInput>) -> AppResult<Json<RecruitDetail>> {
    Ok(Json(write_tx!(&s.db, |tx| recruitment::add_review(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// 按期转正, 延长预备期 (6–12 months, once) or 取消预备党员资格, by the 支部党员大会.
#[utoipa::path(post, path = "/api/v1/recruitment/{id}/probation", request_body = ProbationInput, responses((status = 200, body = RecruitDetail), (status = 422, body = ErrorResponse)))]
async fn decide_probation(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ProbationInput>) -> AppResult<Json<RecruitDetail>> {
    Ok(Json(write_tx!(&s.db, Lock::Tree, |tx| recruitment::decide_probation(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Ends a file before admission, with a reason.
#[utoipa::path(post, path = "/api/v1/recruitment/{id}/withdraw", request_body = WithdrawInput, responses((status = 200, body = RecruitDetail), (status = 422, body = ErrorResponse)))]
async fn withdraw(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<WithdrawInput>) -> AppResult<Json<RecruitDetail>> {
    Ok(Json(write_tx!(&s.db, Lock::Tree, |tx| recruitment::withdraw(&mut tx, &a, &s.rules, id, &body).await)?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PipelineQuery {
    /// false: counters only (any subtree, a province included), without the file checks.
    pub deep: Option<bool>,
}

/// The pipeline of a subtree: per stage, per child, irregular files, villages without a new member.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/recruitment", params(PipelineQuery), responses((status = 200, body = Pipeline), (status = 404, body = ErrorResponse)))]
async fn pipeline(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<PipelineQuery>) -> AppResult<Json<Pipeline>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadRecruitment>(), id).await?;
    Ok(Json(recruitment::pipeline(&mut conn, &a.scope(), &s.rules, &org, q.deep.unwrap_or(true)).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// applicant, activist, target, probationary, full, cancelled, withdrawn
    pub stage: Option<String>,
}

/// Files of a subtree (at most 2,000), newest application first.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/recruitment/files", params(ListQuery), responses((status = 200, body = Vec<Recruit>), (status = 404, body = ErrorResponse)))]
async fn list(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<ListQuery>) -> AppResult<Json<Vec<Recruit>>> {
    let stage = match q.stage.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(st) => Some(Stage::parse(st).ok_or_else(|| AppError::invalid_field("stage_invalid", "stage", format!("无法识别的阶段“{st}”，可选：{}", Stage::labels())))?),
    };
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadRecruitment>(), id).await?;
    Ok(Json(recruitment::list(&mut conn, &a.scope(), &org, stage, 2000).await?))
}

/// The 发展党员工作台账 of a subtree as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/recruitment.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn ledger(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadRecruitment>(), id).await?;
    let bytes = recruitment::ledger_xlsx(&mut conn, &a.scope(), &s.rules, &org).await?;
    Ok(super::api::xlsx_response(&format!("{}发展党员工作台账.xlsx", org.name), bytes))
}
