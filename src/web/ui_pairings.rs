//! UI pages for pairings (包联, 共驻共建, 结对帮扶): those touching a subtree, and one pairing
//! with its activities.

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
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::pairings::rules::PairingKind;
use crate::pairings::store::{self as pairings, ActivityInput, ActivityView, EndInput, PairingInput, PairingList, PairingView};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/pairings", get(list_page))
        .route("/orgs/{id}/pairings.xlsx", get(list_xlsx))
        .route("/pairings", post(create))
        .route("/pairings/{id}", get(detail_page))
        .route("/pairings/{id}/activities", post(add_activity))
        .route("/pairings/{id}/end", post(end))
}

#[derive(Template)]
#[template(path = "pairings.html")]
struct ListPage {
    nav: Nav,
    org: Org,
    l: PairingList,
    can_write: bool,
    kinds: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    today: String,
}

async fn list_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let l = pairings::list(&mut conn, &s.rules, &a.scope(), &org).await?;
    render(&ListPage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteOrgs, &org.path),
        org,
        l,
        kinds: options(PairingKind::ALL, PairingKind::code, PairingKind::label),
        notice: f.notice,
        today: crate::db::today().to_string(),
    })
}

async fn list_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let bytes = pairings::list_xlsx(&mut conn, &s.rules, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}结对共建台账.xlsx", org.name), bytes).into_response())
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: String,
    kind: Option<String>,
    helper_org_id: Option<String>,
    helped_org_id: Option<String>,
    leader: Option<String>,
    contact: Option<String>,
    starts_on: Option<String>,
    note: Option<String>,
}

async fn create(State(s): State<AppState>, wa: WebActor, Form(f): Form<CreateForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let helper_org_id = picked("helper_org_id", &f.helper_org_id, "结对（包联）方党组织")?;
    let helped_org_id = picked("helped_org_id", &f.helped_org_id, "被结对党组织")?;
    let input = PairingInput { kind: f.kind, helper_org_id, helped_org_id, leader: f.leader, contact: f.contact, starts_on: f.starts_on, note: f.note };
    let p = write_tx!(&s.db, |tx| pairings::create(&mut tx, a, &s.rules, &input).await)?;
    Ok(notice_redirect(&format!("/pairings/{}", p.id), &format!("{}：{}—{}已登记", p.kind_label, p.helper_name, p.helped_name)))
}

#[derive(Template)]
#[template(path = "pairing.html")]
struct DetailPage {
    nav: Nav,
    p: PairingView,
    activities: Vec<ActivityView>,
    can_record: bool,
    can_end: bool,
    notice: Option<String>,
    today: String,
}

async fn detail_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let p = pairings::get(&mut conn, &s.rules, &a.scope(), id).await?;
    let activities = pairings::activities(&mut conn, p.id).await?;
    let open = p.ends_on.is_none();
    render(&DetailPage {
        nav: Nav::of(&a),
        can_record: open && (a.can(Perm::WriteOrgLife, &p.helper_path) || a.can(Perm::WriteOrgLife, &p.helped_path)),
        can_end: open && a.can(Perm::WriteOrgs, &p.helper_path) && a.can(Perm::WriteOrgs, &p.helped_path),
        p,
        activities,
        notice: f.notice,
        today: crate::db::today().to_string(),
    })
}

#[derive(Deserialize)]
struct ActivityForm {
    csrf: String,
    held_on: Option<String>,
    summary: Option<String>,
    people: Option<String>,
}

async fn add_activity(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ActivityForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let people = super::ui::form_int(&f.people, "people_invalid", "people", "参加人数请填写整数")?;
    let input = ActivityInput { held_on: f.held_on, summary: f.summary, people };
    write_tx!(&s.db, |tx| pairings::add_activity(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/pairings/{id}"), "活动已登记"))
}

#[derive(Deserialize)]
struct EndForm {
    csrf: String,
    ends_on: Option<String>,
    reason: Option<String>,
}

async fn end(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<EndForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = EndInput { ends_on: f.ends_on, reason: f.reason };
    write_tx!(&s.db, |tx| pairings::end(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/pairings/{id}"), "结对已结束"))
}
