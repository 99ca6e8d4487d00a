//! JSON API for importing households and residents (DOMAIN.md §8) and their template.

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

use super::api::{ErrorResponse, ImportQuery};
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::error::{AppError, AppResult};
use crate::grids::import::{self as households, HouseholdImportSummary};
use crate::orgs::store as orgs;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{id}/households/import", post(import_households).layer(axum::extract::DefaultBodyLimit::max(super::boundary::IMPORT_BODY)))
        .route("/api/v1/households/template.xlsx", get(household_template))
}

#[derive(OpenApi)]
#[openapi(paths(import_households, household_template), components(schemas(HouseholdImportSummary)))]
pub struct GridsImportApiDoc;

/// Body: the raw .xlsx or .csv file, one row per resident; the grids named must be in the
/// org's subtree. All rows are checked first; any bad row imports nothing.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/households/import", params(ImportQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = HouseholdImportSummary), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn import_households(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<ImportQuery>, body: axum::body::Body) -> AppResult<Json<HouseholdImportSummary>> {
    let root = {
        let mut conn = s.db.pool.acquire().await?;
        orgs::get_scoped(&mut conn, &a.scope::<cap::ReadResidents>(), id).await?
    };
    a.require(Perm::WriteResidents, &root.path)?;
    let up = super::upload::from_body(body, q.filename.as_deref()).await?;
    Ok(Json(households::import_households(&s.db, Some(&a), &root, &up.path, up.kind).await?))
}

/// The household import template (.xlsx): headers, an example row and a 填写说明 sheet.
#[utoipa::path(get, path = "/api/v1/households/template.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn household_template(ApiActor(_a): ApiActor) -> AppResult<impl IntoResponse> {
    let bytes = households::household_template_xlsx().map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(super::api::xlsx_response("住户导入模板.xlsx", bytes))
}
