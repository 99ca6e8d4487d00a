//! The dashboard page of any subtree (`/orgs/{id}/dashboard`), its full-screen view for a
//! meeting-room screen, and its workbook. Charts are server-drawn SVG with the numbers beside.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::api_points::{year, YearQuery};
use super::session::WebActor;
use super::ui::{render, Nav, UiResult};
use super::AppState;
use crate::auth::cap;
use crate::dashboard::{self, Dashboard};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/dashboard", get(page))
        .route("/orgs/{id}/dashboard/screen", get(screen))
        .route("/orgs/{id}/dashboard.xlsx", get(xlsx))
}

/// A trend as drawn: its SVG and its points for the table.
pub struct Drawn {
    pub title: String,
    pub note: String,
    pub svg: String,
    pub points: Vec<crate::charts::Point>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    nav: Nav,
    org: Org,
    d: Dashboard,
    drawn: Vec<Drawn>,
    years: Vec<i32>,
}

#[derive(Template)]
#[template(path = "dashboard_screen.html")]
struct Screen {
    org: Org,
    d: Dashboard,
    drawn: Vec<Drawn>,
}

pub fn draw(d: &Dashboard) -> Vec<Drawn> {
    d.trends
        .iter()
        .map(|t| {
            let points = t.chart_points();
            Drawn { title: t.title.clone(), note: t.note.clone(), svg: crate::charts::rate_line(&t.title, &points), points }
        })
        .collect()
}

async fn load(s: &AppState, a: &crate::auth::roles::Actor, id: i64, q: &YearQuery) -> UiResult<(Org, Dashboard)> {
    let org = {
        let mut conn = s.db.pool.acquire().await?;
        orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?
    };
    let d = dashboard::build(&s.db, a, &s.rules, &org, year(q)).await?;
    Ok((org, d))
}

async fn page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> UiResult<Response> {
    let (org, d) = load(&s, &a, id, &q).await?;
    let this = chrono::Datelike::year(&crate::db::today());
    render(&Page { nav: Nav::of(&a), drawn: draw(&d), org, d, years: (this - 4..=this).rev().collect() })
}

async fn screen(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> UiResult<Response> {
    let (org, d) = load(&s, &a, id, &q).await?;
    render(&Screen { drawn: draw(&d), org, d })
}

async fn xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> UiResult<Response> {
    let (_, d) = load(&s, &a, id, &q).await?;
    Ok(super::api::xlsx_response(&format!("{}{}年数据看板.xlsx", d.org_name, d.year), dashboard::xlsx(&d)?).into_response())
}
