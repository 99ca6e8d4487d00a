//! JSON API for village cadres: the overview of a subtree (一肩挑, archives, reserves, first
//! secretaries, “四不一起” signs) and one village's file with its writes.

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
use crate::cadres::store::{
    self as cadres, AssessmentInput, AssessmentView, DirectorInput, DocKind, DocView, FirstSecretaryInput, FirstSecretaryView, Overview, Person, RemoveInput, ReserveInput, ReserveView,
    VillageFile, VillageRow,
};
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{id}/cadres", get(overview))
        .route("/api/v1/orgs/{id}/cadres.xlsx", get(overview_xlsx))
        .route("/api/v1/cadres/{id}", get(village_file))
        .route("/api/v1/cadres/{id}/docs", post(add_doc).layer(axum::extract::DefaultBodyLimit::max(super::boundary::MEETING_FILE_BODY)))
        .route("/api/v1/cadres/{id}/docs/{doc_id}", get(doc))
        .route("/api/v1/cadres/{id}/reserves", post(add_reserve))
        .route("/api/v1/cadres/{id}/director", post(set_director))
        .route("/api/v1/cadres/{id}/first-secretaries", post(add_first_secretary))
        .route("/api/v1/cadres/{id}/assessments", post(add_assessment))
        .route("/api/v1/cadre-reserves/{id}/remove", post(remove_reserve))
        .route("/api/v1/first-secretaries/{id}/end", post(end_first_secretary))
}

#[derive(OpenApi)]
#[openapi(
    paths(overview, overview_xlsx, village_file, add_doc, doc, add_reserve, set_director, add_first_secretary, add_assessment, remove_reserve, end_first_secretary),
    components(schemas(Overview, VillageRow, Person, FirstSecretaryView, VillageFile, DocView, DocKind, ReserveView, AssessmentView, ReserveInput, RemoveInput, DirectorInput, FirstSecretaryInput, AssessmentInput))
)]
pub struct CadresApiDoc;

/// Every village and community of the subtree with its figures and flags, and the 一肩挑 ratio.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/cadres", responses((status = 200, body = Overview), (status = 404, body = ErrorResponse)))]
async fn overview(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Overview>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadCadres>(), id).await?;
    Ok(Json(cadres::overview(&mut conn, &s.rules, &a.scope(), &org).await?))
}

/// The 村（社区）干部台账 as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/cadres.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn overview_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadCadres>(), id).await?;
    let bytes = cadres::overview_xlsx(&mut conn, &s.rules, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}村（社区）干部台账.xlsx", org.name), bytes))
}

/// One village (by its org id): secretary's archive with what is missing, reserves, director,
/// first secretaries, assessments, flags.
#[utoipa::path(get, path = "/api/v1/cadres/{id}", responses((status = 200, body = VillageFile), (status = 404, body = ErrorResponse)))]
async fn village_file(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<VillageFile>> {
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(cadres::village_file(&mut conn, &s.rules, &a.scope(), id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DocQuery {
    /// The archive kind: basic_info, id_card, … (or its Chinese label). Checked after scope, so
    /// a caller outside it is told not-found rather than what is missing.
    pub kind: Option<String>,
    /// The file's name (its extension matters for docx/xlsx/pptx).
    pub filename: Option<String>,
}

/// Body: the raw scan or document (JPG, PNG, PDF, docx, xlsx, pptx), at most 10 MB, filed in the
/// current secretary's archive under `kind`.
#[utoipa::path(post, path = "/api/v1/cadres/{id}/docs", params(DocQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = DocView), (status = 422, body = ErrorResponse)))]
async fn add_doc(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<DocQuery>, body: axum::body::Bytes) -> AppResult<(StatusCode, Json<DocView>)> {
    let d = write_tx!(&s.db, |tx| cadres::add_doc(&mut tx, &a, id, q.kind.as_deref().unwrap_or(""), q.filename.as_deref().unwrap_or("附件"), &body).await)?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[utoipa::path(get, path = "/api/v1/cadres/{id}/docs/{doc_id}", responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorResponse)))]
async fn doc(State(s): State<AppState>, ApiActor(a): ApiActor, Path((id, doc_id)): Path<(i64, i64)>) -> AppResult<axum::response::Response> {
    let mut conn = s.db.pool.acquire().await?;
    let (f, data) = cadres::doc(&mut conn, &a.scope(), id, doc_id).await?;
    Ok(super::api_life::file_response(&f, data))
}

/// Adds a person to the 后备干部库.
#[utoipa::path(post, path = "/api/v1/cadres/{id}/reserves", request_body = ReserveInput, responses((status = 201, body = ReserveView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn add_reserve(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ReserveInput>) -> AppResult<(StatusCode, Json<ReserveView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| cadres::add_reserve(&mut tx, &a, id, &body).await)?)))
}

/// The 村委会主任 from a day (the previous one's term ends that day).
#[utoipa::path(post, path = "/api/v1/cadres/{id}/director", request_body = DirectorInput, responses((status = 200, body = Person), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn set_director(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<DirectorInput>) -> AppResult<Json<Person>> {
    Ok(Json(write_tx!(&s.db, |tx| cadres::set_director(&mut tx, &a, id, &body).await)?))
}

/// Posts a 第一书记 (one in post at a time) with the monthly subsidy.
#[utoipa::path(post, path = "/api/v1/cadres/{id}/first-secretaries", request_body = FirstSecretaryInput, responses((status = 201, body = FirstSecretaryView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn add_first_secretary(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<FirstSecretaryInput>) -> AppResult<(StatusCode, Json<FirstSecretaryView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| cadres::add_first_secretary(&mut tx, &a, &s.rules, id, &body).await)?)))
}

/// The current secretary's annual assessment (once per year).
#[utoipa::path(post, path = "/api/v1/cadres/{id}/assessments", request_body = AssessmentInput, responses((status = 201, body = AssessmentView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn add_assessment(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<AssessmentInput>) -> AppResult<(StatusCode, Json<AssessmentView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| cadres::add_assessment(&mut tx, &a, id, &body).await)?)))
}

/// Takes a reserve off the list with a day and a reason.
#[utoipa::path(post, path = "/api/v1/cadre-reserves/{id}/remove", request_body = RemoveInput, responses((status = 200, body = VillageFile), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn remove_reserve(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<RemoveInput>) -> AppResult<Json<VillageFile>> {
    let org_id = write_tx!(&s.db, |tx| cadres::remove_reserve(&mut tx, &a, id, &body).await)?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(cadres::village_file(&mut conn, &s.rules, &a.scope(), org_id).await?))
}

/// Ends a first secretary's posting with a day and a reason.
#[utoipa::path(post, path = "/api/v1/first-secretaries/{id}/end", request_body = RemoveInput, responses((status = 200, body = VillageFile), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn end_first_secretary(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<RemoveInput>) -> AppResult<Json<VillageFile>> {
    let org_id = write_tx!(&s.db, |tx| cadres::end_first_secretary(&mut tx, &a, id, &body).await)?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(cadres::village_file(&mut conn, &s.rules, &a.scope(), org_id).await?))
}
