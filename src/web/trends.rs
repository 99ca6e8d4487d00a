//! Month-by-month trends for any subtree (`/orgs/{id}/trends`): the dashboard's trends on their
//! own page (organizational life, dues, requests fixed in time, 化解率, 好差评), read from the
//! tallies, so a province's page costs what a branch's costs.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::session::WebActor;
use super::ui::{render, Nav, UiResult};
use super::ui_dashboard::{draw, Drawn};
use super::AppState;
use crate::auth::cap;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;

#[derive(Template)]
#[template(path = "trends.html")]
struct TrendsPage {
    nav: Nav,
    org: Org,
    trends: Vec<Drawn>,
    notes: Vec<String>,
}

pub async fn trends_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let org = {
        let mut conn = s.db.pool.acquire().await?;
        orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?
    };
    let d = crate::dashboard::build(&s.db, &a, &s.rules, &org, chrono::Datelike::year(&crate::db::today())).await?;
    let trends = draw(&d);
    let mut notes = Vec::new();
    if d.settling {
        notes.push("部分最新录入的数据正在统计中，稍后刷新即可看到。".to_string());
    }
    if trends.is_empty() {
        notes.push(format!("您的角色在{}没有可看的趋势。", org.name));
    }
    render(&TrendsPage { nav: Nav::of(&a), org, trends, notes })
}
