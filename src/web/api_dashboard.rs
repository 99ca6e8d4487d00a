//! JSON API for the dashboard of any subtree: every figure from counters and tallies, the
//! comparison of the children and the month-by-month trends; and the same as a workbook.

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::api_points::{year, YearQuery};
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::dashboard::{self, Cell, ChildRow, Dashboard, Section, Trend, TrendPoint};
use crate::error::AppResult;
use crate::orgs::store as orgs;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/orgs/{id}/dashboard", get(get_dashboard)).route("/api/v1/orgs/{id}/dashboard.xlsx", get(get_xlsx))
}

#[derive(OpenApi)]
#[openapi(paths(get_dashboard, get_xlsx), components(schemas(Dashboard, Section, crate::dashboard::figures::Figure, Cell, ChildRow, Trend, TrendPoint)))]
pub struct DashboardApiDoc;

/// The subtree's figures for a year (this year when absent): sections the caller's roles may
/// read at the org, the children compared, and 12 months of trends. `settling` is true while a
/// bulk load or a monthly recount is still being counted.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/dashboard", params(YearQuery), responses((status = 200, body = Dashboard), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn get_dashboard(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<Json<Dashboard>> {
    let org = {
        let mut conn = s.db.pool.acquire().await?;
        orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?
    };
    Ok(Json(dashboard::build(&s.db, &a, &s.rules, &org, year(&q)).await?))
}

/// The dashboard as an Excel workbook: figures with their basis, children, trends.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/dashboard.xlsx", params(YearQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorResponse)))]
async fn get_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> AppResult<impl IntoResponse> {
    let org = {
        let mut conn = s.db.pool.acquire().await?;
        orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?
    };
    let d = dashboard::build(&s.db, &a, &s.rules, &org, year(&q)).await?;
    Ok(super::api::xlsx_response(&format!("{}{}年数据看板.xlsx", d.org_name, d.year), dashboard::xlsx(&d)?))
}
