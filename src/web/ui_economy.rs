//! UI page for the village collective economy: the board of a subtree's villages, and for a
//! village its entries with their reversals; forms for incomes, cooperatives and titles.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api_points::{year, YearQuery};
use super::boundary::Flash;
use super::session::WebActor;
use super::ui::{notice_redirect, render, Nav, UiResult};
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::economy::rules::{CoopLevel, IncomeSource};
use crate::economy::store::{self as econ, Board, CoopInput, IncomeInput, IncomeView, LevelInput, ReverseInput};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/economy", get(page))
        .route("/orgs/{id}/economy.xlsx", get(xlsx))
        .route("/economy/incomes", post(add_income))
        .route("/economy/incomes/{id}/reverse", post(reverse))
        .route("/economy/cooperatives", post(add_coop))
        .route("/economy/cooperatives/{id}/level", post(set_level))
}


#[derive(Template)]
#[template(path = "economy.html")]
struct Page {
    nav: Nav,
    org: Org,
    b: Board,
    /// The org is a village: its entries of the year.
    entries: Option<Vec<IncomeView>>,
    can_write: bool,
    years: Vec<i32>,
    sources: &'static [IncomeSource],
    levels: &'static [CoopLevel],
    notice: Option<String>,
}

impl Page {
    fn yuan(&self, fen: &i64) -> String {
        crate::economy::rules::yuan(*fen)
    }
}

async fn page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let year = year(&q);
    let b = econ::board(&mut conn, &a.scope(), &s.rules, &org, year).await?;
    let entries = if crate::cadres::store::is_village(&mut conn, org.id).await? { Some(econ::entries(&mut conn, &a.scope(), &org, year).await?) } else { None };
    let this = chrono::Datelike::year(&crate::db::today());
    render(&Page {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteOrgs, &org.path) && !b.rows.is_empty(),
        org,
        b,
        entries,
        years: (this - 4..=this).rev().collect(),
        sources: IncomeSource::ALL,
        levels: CoopLevel::ALL,
        notice: f.notice,
    })
}

async fn xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = econ::board(&mut conn, &a.scope(), &s.rules, &org, year(&q)).await?;
    Ok(super::api::xlsx_response(&format!("{}{}年度村级集体经济收入台账.xlsx", org.name, b.year), econ::board_xlsx(&b)?).into_response())
}

#[derive(Deserialize)]
struct EconForm {
    csrf: String,
    back: Option<i64>,
    org_id: Option<String>,
    year: Option<i32>,
    source: Option<String>,
    amount: Option<String>,
    note: Option<String>,
    reason: Option<String>,
    name: Option<String>,
    business: Option<String>,
    households: Option<String>,
    level: Option<String>,
    document: Option<String>,
}

fn back(f: &EconForm, fallback: i64) -> String {
    format!("/orgs/{}/economy?year={}", f.back.unwrap_or(fallback), f.year.unwrap_or_else(|| chrono::Datelike::year(&crate::db::today())))
}

async fn add_income(State(s): State<AppState>, wa: WebActor, Form(f): Form<EconForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let org_id = super::pick::picked("org_id", &f.org_id, "村（社区）")?;
    let input = IncomeInput { org_id, year: f.year, source: f.source.clone(), amount: f.amount.clone(), amount_fen: None, note: f.note.clone() };
    let e = write_tx!(&s.db, |tx| econ::add_income(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&back(&f, e.org_id), &format!("已登记{}：{}", e.source_label, e.amount)))
}

async fn reverse(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<EconForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let e = write_tx!(&s.db, |tx| econ::reverse(&mut tx, a, id, &ReverseInput { reason: f.reason.clone() }).await)?;
    Ok(notice_redirect(&back(&f, e.org_id), &format!("已冲销：{}", e.amount)))
}

async fn add_coop(State(s): State<AppState>, wa: WebActor, Form(f): Form<EconForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = CoopInput { org_id: super::pick::picked("org_id", &f.org_id, "村（社区）")?, name: f.name.clone(), business: f.business.clone(), households: f.households.as_deref().and_then(|h| h.trim().parse().ok()) };
    let c = write_tx!(&s.db, |tx| econ::add_coop(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&back(&f, c.org_id), &format!("合作社“{}”已登记", c.name)))
}

async fn set_level(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<EconForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = LevelInput { level: f.level.clone(), year: f.year, document: f.document.clone() };
    let c = write_tx!(&s.db, |tx| econ::set_level(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&back(&f, c.org_id), &format!("“{}”：{}", c.name, c.level_label)))
}
