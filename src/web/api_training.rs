//! JSON API for training: classes, sessions, enrollment, 一课一查岗 marks, the daily
//! bulletin, the end-of-class report, members' yearly hours and the subtree workbook.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::error::AppResult;
use crate::members::validate::parse_day;
use crate::orgs::store as orgs;
use crate::training::rules::{Bulletin, ClassReport};
use crate::training::store::{self as training, Class, ClassInput, EnrollInput, EnrollResult, MarkInput, MemberTraining, SessionInput, SessionRow, Trainee, WithdrawInput};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/training/classes", post(create_class))
        .route("/api/v1/orgs/{id}/training/classes", get(list_classes))
        .route("/api/v1/orgs/{id}/training.xlsx", get(training_xlsx))
        .route("/api/v1/training/classes/{id}", get(get_class))
        .route("/api/v1/training/classes/{id}/sessions", post(add_session))
        .route("/api/v1/training/classes/{id}/enrollments", post(enroll).layer(axum::extract::DefaultBodyLimit::max(super::boundary::LIST_BODY)))
        .route("/api/v1/training/classes/{id}/withdrawals", post(withdraw))
        .route("/api/v1/training/sessions/{id}/marks", post(record_marks).layer(axum::extract::DefaultBodyLimit::max(super::boundary::LIST_BODY)))
        .route("/api/v1/training/classes/{id}/bulletin", get(bulletin))
        .route("/api/v1/training/classes/{id}/report", get(report))
        .route("/api/v1/members/{id}/training", get(member_training))
}

#[derive(OpenApi)]
#[openapi(
    paths(create_class, list_classes, training_xlsx, get_class, add_session, enroll, withdraw, record_marks, bulletin, report, member_training),
    components(schemas(Class, ClassInput, ClassDetail, SessionInput, SessionRow, Trainee, EnrollInput, EnrollResult, WithdrawInput, MarkInput, Marked, MemberTraining))
)]
pub struct TrainingApiDoc;

#[utoipa::path(post, path = "/api/v1/training/classes", request_body = ClassInput, responses((status = 201, body = Class), (status = 422, body = ErrorResponse)))]
async fn create_class(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<ClassInput>) -> AppResult<(StatusCode, Json<Class>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| training::create_class(&mut tx, &a, &body).await)?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PeriodQuery {
    /// YYYY-MM-DD; defaults to 1 January of this year.
    pub from: Option<String>,
    /// YYYY-MM-DD; defaults to today.
    pub to: Option<String>,
}

impl PeriodQuery {
    pub fn range(&self) -> AppResult<(chrono::NaiveDate, chrono::NaiveDate)> {
        let today = crate::db::today();
        let from = match self.from.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(f) => parse_day(Some(f))?,
            None => chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        };
        let to = match self.to.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(t) => parse_day(Some(t))?,
            None => today.max(from),
        };
        Ok((from, to))
    }
}

/// Classes run in the org's subtree overlapping the period.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/training/classes", params(PeriodQuery), responses((status = 200, body = Vec<Class>)))]
async fn list_classes(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<PeriodQuery>) -> AppResult<Json<Vec<Class>>> {
    let (from, to) = q.range()?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadTraining>(), id).await?;
    Ok(Json(training::list_classes(&mut conn, &a.scope(), &org, from, to).await?))
}

/// The training report of a subtree and period: classes (hours by red/blue/green) and trainees.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/training.xlsx", params(PeriodQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn training_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<PeriodQuery>) -> AppResult<impl IntoResponse> {
    let (from, to) = q.range()?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadTraining>(), id).await?;
    let bytes = training::subtree_xlsx(&mut conn, &a.scope(), &s.rules.training, &org, from, to).await?;
    Ok(super::api::xlsx_response(&format!("{}培训情况{from}至{to}.xlsx", org.name), bytes))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClassDetail {
    pub class: Class,
    pub sessions: Vec<SessionRow>,
    pub trainees: Vec<Trainee>,
}

#[utoipa::path(get, path = "/api/v1/training/classes/{id}", responses((status = 200, body = ClassDetail), (status = 404, body = ErrorResponse)))]
async fn get_class(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<ClassDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    let class = training::get_class(&mut conn, &a.scope(), id).await?;
    let sessions = training::sessions(&mut conn, class.id).await?;
    let trainees = training::trainees(&mut conn, class.id).await?;
    Ok(Json(ClassDetail { class, sessions, trainees }))
}

#[utoipa::path(post, path = "/api/v1/training/classes/{id}/sessions", request_body = SessionInput, responses((status = 201, body = SessionRow), (status = 422, body = ErrorResponse)))]
async fn add_session(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<SessionInput>) -> AppResult<(StatusCode, Json<SessionRow>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| training::add_session(&mut tx, &a, id, &body).await)?)))
}

/// Enrolls members by id, or everyone (holding a post) in an org's subtree.
#[utoipa::path(post, path = "/api/v1/training/classes/{id}/enrollments", request_body = EnrollInput, responses((status = 200, body = EnrollResult), (status = 422, body = ErrorResponse)))]
async fn enroll(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<EnrollInput>) -> AppResult<Json<EnrollResult>> {
    Ok(Json(write_tx!(&s.db, |tx| training::enroll(&mut tx, &a, id, &body).await)?))
}

#[utoipa::path(post, path = "/api/v1/training/classes/{id}/withdrawals", request_body = WithdrawInput, responses((status = 204), (status = 422, body = ErrorResponse)))]
async fn withdraw(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<WithdrawInput>) -> AppResult<StatusCode> {
    write_tx!(&s.db, |tx| training::withdraw(&mut tx, &a, id, &body).await)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Marked {
    pub recorded: usize,
}

/// 一课一查岗: attendance of one session; all or nothing.
#[utoipa::path(post, path = "/api/v1/training/sessions/{id}/marks", request_body = Vec<MarkInput>, responses((status = 200, body = Marked), (status = 422, body = ErrorResponse)))]
async fn record_marks(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<Vec<MarkInput>>) -> AppResult<Json<Marked>> {
    let recorded = write_tx!(&s.db, |tx| training::record_marks(&mut tx, &a, id, &body).await)?;
    Ok(Json(Marked { recorded }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DayQuery {
    /// YYYY-MM-DD; defaults to today.
    pub day: Option<String>,
}

/// 一天一通报: the day's sessions, counts and who was absent, late, on leave or not checked.
#[utoipa::path(get, path = "/api/v1/training/classes/{id}/bulletin", params(DayQuery), responses((status = 200, content_type = "application/json")))]
async fn bulletin(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<DayQuery>) -> AppResult<Json<Bulletin>> {
    let day = match q.day.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => parse_day(Some(d))?,
        None => crate::db::today(),
    };
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(training::bulletin(&mut conn, &a.scope(), &s.rules.training, id, day).await?))
}

/// 一期一问责: hours per trainee, completion, accountability findings, hours by red/blue/green.
#[utoipa::path(get, path = "/api/v1/training/classes/{id}/report", responses((status = 200, content_type = "application/json")))]
async fn report(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<ClassReport>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(training::report(&mut conn, &a.scope(), &s.rules.training, id).await?.1))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct YearQuery {
    /// Defaults to this year.
    pub year: Option<i32>,
}

/// A member's credited training hours in a year against the yearly target.
#[utoipa::path(get, path = "/api/v1/members/{id}/training", params(YearQuery), responses((status = 200, body = MemberTraining)))]
async fn member_training(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<MemberTraining>> {
    let year = q.year.unwrap_or_else(|| crate::db::today().year());
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(training::member_year(&mut conn, &a.scope(), &s.rules.training, id, year).await?))
}
