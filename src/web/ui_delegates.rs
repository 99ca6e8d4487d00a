//! UI pages for delegates (党代表): the roll of a subtree with this quarter's reviews due, and one
//! delegate with the quarterly review (一季一析) and the termination.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::boundary::Flash;
use super::pick::picked;
use super::session::WebActor;
use super::ui::{notice_redirect, options, render, Nav, UiResult};
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::delegates::rules::{Congress, TerminationKind};
use crate::delegates::store::{self as delegates, DelegateInput, DelegateList, DelegateView, ReviewInput, ReviewView, TerminateInput};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/delegates", get(list_page))
        .route("/orgs/{id}/delegates.xlsx", get(list_xlsx))
        .route("/delegates", post(create))
        .route("/delegates/{id}", get(detail_page))
        .route("/delegates/{id}/reviews", post(add_review))
        .route("/delegates/{id}/terminate", post(terminate))
}

#[derive(Template)]
#[template(path = "delegates.html")]
struct ListPage {
    nav: Nav,
    org: Org,
    l: DelegateList,
    can_write: bool,
    congresses: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    today: String,
}

async fn list_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadCadres>(), id).await?;
    let l = delegates::list(&mut conn, &s.rules, &a.scope(), &org).await?;
    render(&ListPage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteCadres, &org.path),
        org,
        l,
        congresses: options(Congress::ALL, Congress::code, Congress::label),
        notice: f.notice,
        today: crate::db::today().to_string(),
    })
}

async fn list_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadCadres>(), id).await?;
    let bytes = delegates::list_xlsx(&mut conn, &s.rules, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}党代表名册.xlsx", org.name), bytes).into_response())
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: String,
    member_id: Option<String>,
    congress: Option<String>,
    term_start: Option<String>,
    unit: Option<String>,
}

async fn create(State(s): State<AppState>, wa: WebActor, Form(f): Form<CreateForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let member_id = picked("member_id", &f.member_id, "党员")?;
    let input = DelegateInput { member_id, congress: f.congress, term_start: f.term_start, unit: f.unit };
    let d = write_tx!(&s.db, |tx| delegates::create(&mut tx, a, &s.rules, &input).await)?;
    Ok(notice_redirect(&format!("/delegates/{}", d.id), &format!("{}已登记为{}。每季度请开展一次分析排查", d.name, d.congress_label)))
}

#[derive(Template)]
#[template(path = "delegate.html")]
struct DetailPage {
    nav: Nav,
    d: DelegateView,
    reviews: Vec<ReviewView>,
    can_write: bool,
    kinds: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    today: String,
}

async fn detail_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let d = delegates::get(&mut conn, &s.rules, &a.scope(), id).await?;
    let reviews = delegates::reviews(&mut conn, d.id).await?;
    render(&DetailPage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteCadres, &d.org_path) && d.terminated_on.is_none(),
        d,
        reviews,
        kinds: options(TerminationKind::ALL, TerminationKind::code, TerminationKind::label),
        notice: f.notice,
        today: crate::db::today().to_string(),
    })
}

#[derive(Deserialize)]
struct ReviewForm {
    csrf: String,
    reviewed_on: Option<String>,
    findings: Option<String>,
}

async fn add_review(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ReviewForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = ReviewInput { reviewed_on: f.reviewed_on, findings: f.findings };
    write_tx!(&s.db, |tx| delegates::add_review(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/delegates/{id}"), "本季度分析已登记"))
}

#[derive(Deserialize)]
struct TerminateForm {
    csrf: String,
    on: Option<String>,
    kind: Option<String>,
    reason: Option<String>,
}

async fn terminate(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<TerminateForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = TerminateInput { on: f.on, kind: f.kind, reason: f.reason };
    let d = write_tx!(&s.db, |tx| delegates::terminate(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/delegates/{id}"), &format!("{}的代表资格已终止", d.name)))
}
