//! JSON API for delegates (党代表): registration, the quarterly review (一季一析), termination,
//! and the roll of a subtree with its flags.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::delegates::store::{self as delegates, CongressCount, DelegateInput, DelegateList, DelegateView, ReviewInput, ReviewView, TerminateInput};
use crate::error::AppResult;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/delegates", post(create))
        .route("/api/v1/delegates/{id}", get(detail))
        .route("/api/v1/delegates/{id}/reviews", post(add_review))
        .route("/api/v1/delegates/{id}/terminate", post(terminate))
        .route("/api/v1/orgs/{id}/delegates", get(list))
        .route("/api/v1/orgs/{id}/delegates.xlsx", get(list_xlsx))
}

#[derive(OpenApi)]
#[openapi(
    paths(create, detail, add_review, terminate, list, list_xlsx),
    components(schemas(DelegateInput, DelegateView, DelegateDetail, ReviewInput, ReviewView, TerminateInput, DelegateList, CongressCount))
)]
pub struct DelegatesApiDoc;

/// Registers a member as a delegate of the county, city or province congress.
#[utoipa::path(post, path = "/api/v1/delegates", request_body = DelegateInput, responses((status = 201, body = DelegateView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn create(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<DelegateInput>) -> AppResult<(StatusCode, Json<DelegateView>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| delegates::create(&mut tx, &a, &s.rules, &body).await)?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DelegateDetail {
    #[serde(flatten)]
    pub delegate: DelegateView,
    pub reviews: Vec<ReviewView>,
}

/// A delegate with flags (review due, term over) and every quarterly review.
#[utoipa::path(get, path = "/api/v1/delegates/{id}", responses((status = 200, body = DelegateDetail), (status = 404, body = ErrorResponse)))]
async fn detail(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<DelegateDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    let delegate = delegates::get(&mut conn, &s.rules, &a.scope(), id).await?;
    let reviews = delegates::reviews(&mut conn, delegate.id).await?;
    Ok(Json(DelegateDetail { delegate, reviews }))
}

/// The quarter's analysis (one per quarter; the date decides the quarter).
#[utoipa::path(post, path = "/api/v1/delegates/{id}/reviews", request_body = ReviewInput, responses((status = 200, body = DelegateView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn add_review(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ReviewInput>) -> AppResult<Json<DelegateView>> {
    Ok(Json(write_tx!(&s.db, |tx| delegates::add_review(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// Ends the qualification with a kind, a reason and a date; a refusal names the article.
#[utoipa::path(post, path = "/api/v1/delegates/{id}/terminate", request_body = TerminateInput, responses((status = 200, body = DelegateView), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn terminate(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<TerminateInput>) -> AppResult<Json<DelegateView>> {
    Ok(Json(write_tx!(&s.db, |tx| delegates::terminate(&mut tx, &a, &s.rules, id, &body).await)?))
}

/// The delegates of a subtree: in office by congress, reviews due this quarter, terminated.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/delegates", responses((status = 200, body = DelegateList), (status = 404, body = ErrorResponse)))]
async fn list(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<DelegateList>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadCadres>(), id).await?;
    Ok(Json(delegates::list(&mut conn, &s.rules, &a.scope(), &org).await?))
}

/// The 党代表名册 as a workbook.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/delegates.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn list_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadCadres>(), id).await?;
    let bytes = delegates::list_xlsx(&mut conn, &s.rules, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}党代表名册.xlsx", org.name), bytes))
}
