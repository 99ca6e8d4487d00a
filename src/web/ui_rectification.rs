//! UI pages for the rectification of weak and lax organizations (软弱涣散): a subtree's board with
//! the identification form and the suggestions from records, and a case with its forms.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::boundary::Flash;
use super::pick::picked;
use super::session::WebActor;
use super::ui::{notice_redirect, render, Nav, UiResult};
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::rectification::rules::{Force, Reason};
use crate::rectification::store::{self as rect, Board, CaseInput, CaseView, CloseInput, ForceInput, MeasureInput, PlanInput, ProblemInput, ProblemUpdate, Suggestion};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/rectification", get(board_page))
        .route("/orgs/{id}/rectification.xlsx", get(board_xlsx))
        .route("/rectification", post(create))
        .route("/rectification/{id}", get(case_page))
        .route("/rectification/{id}/plan", post(plan))
        .route("/rectification/{id}/forces", post(force))
        .route("/rectification/{id}/measures", post(measure))
        .route("/rectification/{id}/problems", post(problem))
        .route("/rectification/{id}/close", post(close))
        .route("/rectification/problems/{id}", post(update_problem))
}

fn stars(n: &Option<i64>) -> String {
    match n {
        None => "—".into(),
        Some(0) => "未定星".into(),
        Some(n) => "★".repeat(*n as usize),
    }
}

#[derive(Deserialize)]
struct BoardQuery {
    /// Show the suggestions from records (they read the subtree's records for the year).
    suggest: Option<String>,
}

#[derive(Template)]
#[template(path = "rectification.html")]
struct BoardPage {
    nav: Nav,
    org: Org,
    b: Board,
    can_write: bool,
    reasons: Vec<Reason>,
    suggestions: Option<Vec<Suggestion>>,
    today: String,
    notice: Option<String>,
}

impl BoardPage {
    fn stars(&self, n: &Option<i64>) -> String {
        stars(n)
    }
}

async fn board_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<BoardQuery>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = rect::board(&mut conn, &a.scope(), &s.rules, &org).await?;
    let suggestions = match q.suggest {
        Some(_) => Some(rect::suggestions(&s.db, &mut conn, &a.scope(), &s.rules, &org, chrono::Datelike::year(&crate::db::today())).await?),
        None => None,
    };
    let can_write = a.can(Perm::WriteAssessment, &org.path);
    render(&BoardPage { nav: Nav::of(&a), org, b, can_write, reasons: s.rules.rectification.reasons.clone(), suggestions, today: crate::db::today().to_string(), notice: f.notice })
}

async fn board_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = rect::board(&mut conn, &a.scope(), &s.rules, &org).await?;
    Ok(super::api::xlsx_response(&format!("{}软弱涣散党组织整顿台账.xlsx", org.name), rect::board_xlsx(&b)?).into_response())
}

/// The identification form: reasons arrive as repeated `reason` fields.
async fn create(State(s): State<AppState>, wa: WebActor, body: axum::body::Bytes) -> UiResult<Redirect> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| crate::error::AppError::invalid("form_invalid", "表单无法读取，请刷新后重试"))?;
    let field = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    wa.check_csrf(&field("csrf").unwrap_or_default())?;
    let a = &wa.0;
    let input = CaseInput {
        org_id: picked("org_id", &field("org_id"), "党组织")?,
        identified_on: field("identified_on"),
        reasons: pairs.iter().filter(|(k, _)| k == "reason").map(|(_, v)| v.clone()).collect(),
        note: field("note"),
        plan: field("plan"),
    };
    let c = write_tx!(&s.db, |tx| rect::create(&mut tx, a, &s.rules, &input).await)?;
    Ok(notice_redirect(&format!("/rectification/{}", c.id), &format!("{}已列入软弱涣散党组织整顿", c.org_name)))
}

#[derive(Template)]
#[template(path = "rectification_case.html")]
struct CasePage {
    nav: Nav,
    c: CaseView,
    can_write: bool,
    forces: &'static [Force],
    measures: Vec<Reason>,
    today: String,
    notice: Option<String>,
}

impl CasePage {
    fn stars(&self, n: &Option<i64>) -> String {
        stars(n)
    }
}

async fn case_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let c = rect::get(&mut conn, &a.scope(), &s.rules, id).await?;
    let can_write = a.can(Perm::WriteAssessment, &c.org_path) && c.state == "rectifying";
    render(&CasePage { nav: Nav::of(&a), c, can_write, forces: Force::ALL, measures: s.rules.rectification.measures.clone(), today: crate::db::today().to_string(), notice: f.notice })
}

#[derive(Deserialize)]
struct CaseForm {
    csrf: String,
    plan: Option<String>,
    force: Option<String>,
    name: Option<String>,
    unit: Option<String>,
    assigned_on: Option<String>,
    measure: Option<String>,
    note: Option<String>,
    text: Option<String>,
    source: Option<String>,
    state: Option<String>,
    on: Option<String>,
}

async fn plan(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CaseForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    write_tx!(&s.db, |tx| rect::set_plan(&mut tx, a, &s.rules, id, &PlanInput { plan: f.plan.clone() }).await)?;
    Ok(notice_redirect(&format!("/rectification/{id}"), "整顿方案已保存"))
}

async fn force(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CaseForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = ForceInput { force: f.force, name: f.name, unit: f.unit, assigned_on: f.assigned_on };
    write_tx!(&s.db, |tx| rect::add_force(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/rectification/{id}"), "帮扶力量已登记"))
}

async fn measure(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CaseForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = MeasureInput { measure: f.measure, note: f.note };
    write_tx!(&s.db, |tx| rect::do_measure(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/rectification/{id}"), "“四个一”举措已登记"))
}

async fn problem(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CaseForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = ProblemInput { text: f.text, source: f.source };
    write_tx!(&s.db, |tx| rect::add_problem(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/rectification/{id}"), "问题已列入清单"))
}

async fn update_problem(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CaseForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = ProblemUpdate { state: f.state, note: f.note };
    let c = write_tx!(&s.db, |tx| rect::update_problem(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/rectification/{}", c.id), "问题办理情况已登记"))
}

async fn close(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CaseForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = CloseInput { on: f.on, note: f.note };
    write_tx!(&s.db, |tx| rect::close(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/rectification/{id}"), "已销号"))
}
