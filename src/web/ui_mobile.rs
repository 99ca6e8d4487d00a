//! UI pages for mobile members (流动党员): the ledger of a subtree with its flags, places and
//! this quarter's gaps, and one member away with the quarterly “七个清楚” entry.

use askama::Template;
use axum::extract::{Path, State};
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
use crate::mobile::store::{self as mobile, Away, Ledger, LedgerEntry, LedgerInput, LeaveInput, ReturnInput, UpdateInput};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/mobile-members", get(ledger_page))
        .route("/orgs/{id}/mobile-members.xlsx", get(ledger_xlsx))
        .route("/mobile-members", post(leave))
        .route("/mobile-members/{id}", get(detail_page).post(update))
        .route("/mobile-members/{id}/ledger", post(add_ledger))
        .route("/mobile-members/{id}/return", post(come_back))
}

#[derive(Template)]
#[template(path = "mobile.html")]
struct LedgerPage {
    nav: Nav,
    org: Org,
    l: Ledger,
    can_write: bool,
    notice: Option<String>,
    today: String,
}

async fn ledger_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadMembers>(), id).await?;
    let l = mobile::ledger(&mut conn, &s.rules, &a.scope(), &org).await?;
    render(&LedgerPage { nav: Nav::of(&a), can_write: a.can(Perm::WriteMembers, &org.path), org, l, notice: f.notice, today: crate::db::today().to_string() })
}

async fn ledger_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadMembers>(), id).await?;
    let bytes = mobile::ledger_xlsx(&mut conn, &s.rules, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}流动党员台账.xlsx", org.name), bytes).into_response())
}

#[derive(Deserialize)]
struct LeaveForm {
    csrf: String,
    member_id: Option<String>,
    left_on: Option<String>,
    place: Option<String>,
    address: Option<String>,
    contact: Option<String>,
    job: Option<String>,
    place_fixed: Option<String>,
    certificate_no: Option<String>,
}

async fn leave(State(s): State<AppState>, wa: WebActor, Form(f): Form<LeaveForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let member_id = picked("member_id", &f.member_id, "党员")?;
    let input = LeaveInput { member_id, left_on: f.left_on, place: f.place, address: f.address, contact: f.contact, job: f.job, place_fixed: f.place_fixed.is_some(), certificate_no: f.certificate_no };
    let m = write_tx!(&s.db, |tx| mobile::leave(&mut tx, a, &s.rules, &input).await)?;
    Ok(notice_redirect(&format!("/mobile-members/{}", m.id), "外出报备已登记。每季度请更新一次“七个清楚”台账"))
}

#[derive(Template)]
#[template(path = "mobile_member.html")]
struct DetailPage {
    nav: Nav,
    m: Away,
    entries: Vec<LedgerEntry>,
    can_write: bool,
    notice: Option<String>,
    today: String,
}

async fn detail_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let m = mobile::get(&mut conn, &s.rules, &a.scope(), id).await?;
    let entries = mobile::ledger_entries(&mut conn, m.id).await?;
    render(&DetailPage { nav: Nav::of(&a), can_write: a.can(Perm::WriteMembers, &m.org_path) && m.returned_on.is_none(), m, entries, notice: f.notice, today: crate::db::today().to_string() })
}

#[derive(Deserialize)]
struct LedgerForm {
    csrf: String,
    on: Option<String>,
    life: Option<String>,
    thinking: Option<String>,
    role: Option<String>,
    address: Option<String>,
    contact: Option<String>,
    job: Option<String>,
}

async fn add_ledger(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<LedgerForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = LedgerInput { on: f.on, life: f.life, thinking: f.thinking, role: f.role, address: f.address, contact: f.contact, job: f.job };
    write_tx!(&s.db, |tx| mobile::add_ledger(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/mobile-members/{id}"), "本季度“七个清楚”台账已更新"))
}

#[derive(Deserialize)]
struct UpdateForm {
    csrf: String,
    certificate_no: Option<String>,
    letter_issued_on: Option<String>,
    letter_valid_until: Option<String>,
    letter_returned: Option<String>,
    temp_org_id: Option<String>,
}

async fn update(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<UpdateForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let temp_org_id = picked("temp_org_id", &f.temp_org_id, "临时党支部")?;
    let input = UpdateInput {
        certificate_no: f.certificate_no,
        letter_issued_on: f.letter_issued_on,
        letter_valid_until: f.letter_valid_until,
        letter_returned: f.letter_returned.map(|_| true),
        temp_org_id,
        place_fixed: None,
    };
    write_tx!(&s.db, |tx| mobile::update(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/mobile-members/{id}"), "已保存"))
}

#[derive(Deserialize)]
struct ReturnForm {
    csrf: String,
    on: Option<String>,
}

async fn come_back(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ReturnForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = ReturnInput { on: f.on };
    let m = write_tx!(&s.db, |tx| mobile::come_back(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/orgs/{}/mobile-members", m.org_id), &format!("{}已登记返回", m.name)))
}
