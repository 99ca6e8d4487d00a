//! UI page for an org's leadership team (班子): who holds each post, since when, the term.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Redirect, Response};
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
use crate::cadres::rules::TeamPost;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::orgs::team::{self, AppointInput, EndInput, Team};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new().route("/orgs/{id}/team", get(team_page).post(appoint)).route("/team-seats/{id}/end", post(end_seat))
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    nav: Nav,
    org: Org,
    t: Team,
    can_write: bool,
    posts: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    today: String,
}

async fn team_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let t = team::team(&mut conn, &a.scope(), &s.rules.org_setup, &org).await?;
    render(&TeamPage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteOrgs, &org.path),
        org,
        t,
        posts: options(TeamPost::ALL, TeamPost::code, TeamPost::label),
        notice: f.notice,
        today: crate::db::today().to_string(),
    })
}

#[derive(Deserialize)]
struct AppointForm {
    csrf: String,
    member_id: Option<String>,
    post: Option<String>,
    starts_on: Option<String>,
}

async fn appoint(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<AppointForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let member_id = picked("member_id", &f.member_id, "党员")?;
    let input = AppointInput { member_id, post: f.post, starts_on: f.starts_on };
    let seat = write_tx!(&s.db, |tx| team::appoint(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/orgs/{id}/team"), &format!("{}任{}已登记", seat.name, seat.post_label)))
}

#[derive(Deserialize)]
struct EndForm {
    csrf: String,
    org_id: i64,
    ends_on: Option<String>,
    reason: Option<String>,
}

async fn end_seat(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<EndForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = EndInput { ends_on: f.ends_on, reason: f.reason };
    let seat = write_tx!(&s.db, |tx| team::end_seat(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/orgs/{}/team", f.org_id), &format!("{}的{}职务已结束", seat.name, seat.post_label)))
}
