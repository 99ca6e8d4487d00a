//! UI pages for village affairs (四议两公开): a subtree's matters, one matter with its steps and
//! the form for the next one, and the village's public page of decisions and results.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
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
use crate::error::AppError;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::village_affairs::rules::{Step, Vote};
use crate::village_affairs::store::{self as affairs, MatterInput, MatterList, MatterView, PublicMatter, StepInput, CATEGORIES};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/village-affairs", get(list_page))
        .route("/orgs/{id}/village-affairs.xlsx", get(list_xlsx))
        .route("/village-affairs", post(create))
        .route("/village-affairs/{id}", get(detail_page))
        .route("/village-affairs/{id}/steps", post(record_step))
        .route("/p/{org_code}/affairs", get(public_page))
}

#[derive(Template)]
#[template(path = "village_affairs.html")]
struct ListPage {
    nav: Nav,
    org: Org,
    l: MatterList,
    can_write: bool,
    categories: &'static [&'static str],
    notice: Option<String>,
}

async fn list_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let l = affairs::list(&mut conn, &a.scope(), &org).await?;
    let can_write = a.can(Perm::WriteOrgLife, &org.path) && crate::cadres::store::is_village(&mut conn, org.id).await?;
    render(&ListPage { nav: Nav::of(&a), org, l, can_write, categories: &CATEGORIES, notice: f.notice })
}

async fn list_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let bytes = affairs::list_xlsx(&mut conn, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}四议两公开台账.xlsx", org.name), bytes).into_response())
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: String,
    org_id: Option<String>,
    title: Option<String>,
    category: Option<String>,
    summary: Option<String>,
}

async fn create(State(s): State<AppState>, wa: WebActor, Form(f): Form<CreateForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = MatterInput { org_id: picked("org_id", &f.org_id, "村（社区）党组织")?, title: f.title, category: f.category, summary: f.summary };
    let v = write_tx!(&s.db, |tx| affairs::create(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&format!("/village-affairs/{}", v.id), &format!("事项“{}”已登记：下一步是三方议事", v.title)))
}

#[derive(Template)]
#[template(path = "village_matter.html")]
struct DetailPage {
    nav: Nav,
    v: MatterView,
    can_write: bool,
    /// The next step votes; the 党员大会's entitled members by default.
    votes: bool,
    publishes: bool,
    entitled: String,
    public_url: Option<String>,
    notice: Option<String>,
    today: String,
}

async fn detail_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let v = affairs::get(&mut conn, &a.scope(), id).await?;
    let next = v.next_step.as_deref().and_then(Step::parse);
    let entitled = match next {
        Some(Step::Review) => match orgs::get(&mut conn, v.org_id).await? {
            Some(org) => affairs::full_members(&mut conn, &org).await?.to_string(),
            None => String::new(),
        },
        _ => String::new(),
    };
    let public_url = match orgs::get(&mut conn, v.org_id).await? {
        Some(o) if o.takes_public_requests() && v.steps.iter().any(|s| s.step == "publish_decision") => Some(format!("/p/{}/affairs", o.code)),
        _ => None,
    };
    render(&DetailPage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteOrgLife, &v.org_path) && next.is_some(),
        votes: next.is_some_and(|s| s.votes()),
        publishes: matches!(next, Some(Step::PublishDecision | Step::PublishResult)),
        entitled,
        public_url,
        v,
        notice: f.notice,
        today: crate::db::today().to_string(),
    })
}

#[derive(Deserialize)]
struct StepForm {
    csrf: String,
    step: Option<String>,
    on: Option<String>,
    minutes: Option<String>,
    posted_where: Option<String>,
    entitled: Option<String>,
    present: Option<String>,
    yes: Option<String>,
    against: Option<String>,
    abstain: Option<String>,
}

async fn record_step(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<StepForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let n = |v: &Option<String>, field: &'static str| super::ui::form_int(v, "vote_invalid", field, "表决人数请填写整数");
    let vote = match n(&f.entitled, "entitled")? {
        Some(entitled) => Some(Vote { entitled, present: n(&f.present, "present")?.unwrap_or(0), yes: n(&f.yes, "for")?.unwrap_or(0), against: n(&f.against, "against")?.unwrap_or(0), abstain: n(&f.abstain, "abstain")?.unwrap_or(0) }),
        None => None,
    };
    let input = StepInput { step: f.step, on: f.on, minutes: f.minutes, vote, posted_where: f.posted_where };
    let v = write_tx!(&s.db, |tx| affairs::record_step(&mut tx, a, id, &input).await)?;
    let done = v.steps.last().map(|s| s.step_label.clone()).unwrap_or_default();
    let msg = match v.state.as_str() {
        "rejected" => format!("“{done}”已登记：表决未通过，事项终止"),
        "done" => "实施结果已公开，七个步骤全部完成".to_string(),
        _ => format!("“{done}”已登记，下一步：{}", v.next_step_label.clone().unwrap_or_default()),
    };
    Ok(notice_redirect(&format!("/village-affairs/{id}"), &msg))
}

#[derive(Template)]
#[template(path = "public_affairs.html")]
struct PublicPage {
    org_name: String,
    org_code: String,
    items: Vec<PublicMatter>,
    /// The 小微权力清单 in force, and the village's finished uses of it.
    catalog: crate::village_affairs::powers::PowerCatalog,
    uses: Vec<crate::village_affairs::power_store::PowerUse>,
}

/// 村务公开: the village's published decisions and their results, for residents (no login).
async fn public_page(State(s): State<AppState>, Path(code): Path<String>) -> Response {
    let org = match super::public::org_by_code(&s, &code).await {
        Ok(o) => o,
        Err(e) => return super::public::public_error(e),
    };
    let read = async {
        let mut conn = s.db.pool.acquire().await.map_err(AppError::from)?;
        let items = affairs::published(&mut conn, org.id).await?;
        let (catalog, uses) = crate::village_affairs::power_store::public(&mut conn, &s.rules, &org).await?;
        Ok::<_, AppError>((items, catalog, uses))
    };
    match read.await {
        Ok((items, catalog, uses)) => super::public::page(&PublicPage { org_name: org.name, org_code: org.code, items, catalog, uses }, StatusCode::OK),
        Err(e) => super::public::public_error(e),
    }
}
