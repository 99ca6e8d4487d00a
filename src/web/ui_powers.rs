//! UI pages for the 小微权力清单 (the catalog in force and its editing, the uses of powers, one
//! use with its procedure and the form for the next step) and the 承诺践诺 (a subtree's
//! commitments counted per child, with the forms for 践诺, 核验 and 未践诺).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use sqlx::Row as _;

use super::api_points::{year, YearQuery};
use super::boundary::Flash;
use super::pick::picked;
use super::session::WebActor;
use super::ui::{notice_redirect, render, Nav, UiResult};
use super::AppState;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::db::{Conn, Sql};
use crate::error::{AppError, AppResult};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::village_affairs::commitment_store::{self as commitments, CheckInput, CommitmentBoard, CommitmentInput, FailInput, FulfilInput};
use crate::village_affairs::power_store::{self as powers, PowerBoard, PowerUse, UseInput, UseStepInput};
use crate::village_affairs::powers::{PowerCatalog, PowerItem};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/powers", get(page))
        .route("/orgs/{id}/powers.xlsx", get(xlsx))
        .route("/orgs/{id}/powers/catalog", post(edit_catalog))
        .route("/powers/uses", post(begin))
        .route("/powers/uses/{id}", get(use_page))
        .route("/powers/uses/{id}/steps", post(use_step))
        .route("/orgs/{id}/commitments", get(commitments_page))
        .route("/orgs/{id}/commitments.xlsx", get(commitments_xlsx))
        .route("/commitments", post(make))
        .route("/commitments/{id}/fulfil", post(fulfil))
        .route("/commitments/{id}/check", post(check))
        .route("/commitments/{id}/fail", post(fail))
}

/// (id, name) of the villages and communities under `root` in scope, for the pickers.
async fn villages(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, root: &Org) -> AppResult<Vec<(i64, String, String)>> {
    let mut sql = Sql::new(&format!("SELECT o.id, o.name, o.path FROM orgs o WHERE {}", crate::cadres::store::VILLAGE_WHERE));
    crate::db::push_under(&mut sql, "o.path", &root.path);
    scope.within(&root.path).push_filter(&mut sql, "o.path");
    sql.push(" ORDER BY o.path LIMIT 2000");
    sql.query().fetch_all(&mut *conn).await?.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("path")?))).collect()
}

#[derive(Template)]
#[template(path = "powers.html")]
struct Page {
    nav: Nav,
    org: Org,
    b: PowerBoard,
    categories: Vec<String>,
    /// May set the catalog here.
    can_catalog: bool,
    /// Villages where the caller may record uses.
    villages: Vec<(i64, String)>,
    /// Open or done matters of those villages (id, “village：title”), for 四议两公开 powers.
    matters: Vec<(i64, String)>,
    notice: Option<String>,
}

async fn page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = powers::board(&mut conn, &s.rules, &a.scope(), &org).await?;
    let writable: Vec<(i64, String)> = villages(&mut conn, &a.scope(), &org).await?.into_iter().filter(|v| a.can(Perm::WriteOrgLife, &v.2)).map(|v| (v.0, v.1)).collect();
    let matters = if writable.is_empty() {
        Vec::new()
    } else {
        let l = crate::village_affairs::store::list(&mut conn, &a.scope(), &org).await?;
        l.items.into_iter().filter(|m| m.state != "rejected").map(|m| (m.id, format!("{}：{}", m.org_name, m.title))).collect()
    };
    render(&Page { nav: Nav::of(&a), can_catalog: a.can(Perm::WriteOrgs, &org.path), categories: b.catalog.categories(), org, b, villages: writable, matters, notice: f.notice })
}

async fn xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let bytes = powers::board_xlsx(&mut conn, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}小微权力运行台账.xlsx", org.name), bytes).into_response())
}

#[derive(Deserialize)]
struct CatalogForm {
    csrf: String,
    /// add, remove, reset
    action: String,
    code: Option<String>,
    category: Option<String>,
    name: Option<String>,
    basis: Option<String>,
    four_two: Option<String>,
    /// One step per line.
    steps: Option<String>,
}

/// Adds a power to the catalog in force here, removes one, or puts back the default; the result
/// becomes this org's own catalog.
async fn edit_catalog(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CatalogForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let cfg = &s.rules;
    let msg = write_tx!(&s.db, |tx| {
        let org = orgs::get_scoped(&mut tx, &a.scope::<cap::ReadOrgs>(), id).await?;
        let (mut catalog, _) = powers::catalog_for(&mut tx, cfg, &org).await?;
        let msg = match f.action.as_str() {
            "add" => {
                let name = f.name.clone().unwrap_or_default().trim().to_string();
                let steps: Vec<String> = f.steps.as_deref().unwrap_or("").lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
                catalog.items.push(PowerItem {
                    code: name.clone(),
                    category: f.category.clone().unwrap_or_default(),
                    name: name.clone(),
                    basis: f.basis.clone().unwrap_or_default(),
                    four_two: f.four_two.is_some(),
                    steps,
                });
                format!("“{name}”已加入小微权力清单")
            }
            "remove" => {
                let code = f.code.clone().unwrap_or_default();
                let before = catalog.items.len();
                catalog.items.retain(|i| i.code != code);
                if catalog.items.len() == before {
                    return Err(AppError::invalid_field("item_unknown", "code", "清单中没有这一项，请刷新后再试"));
                }
                "已从清单中移除；已登记的权力运行记录保留原流程".to_string()
            }
            "reset" => {
                catalog = PowerCatalog::default();
                "已恢复为默认清单".to_string()
            }
            _ => return Err(AppError::invalid("action_invalid", "请选择要做的修改")),
        };
        powers::set_catalog(&mut tx, a, &org, Some(catalog.items)).await?;
        Ok::<_, AppError>(msg)
    })?;
    Ok(notice_redirect(&format!("/orgs/{id}/powers"), &msg))
}

#[derive(Deserialize)]
struct UseForm {
    csrf: String,
    org_id: Option<String>,
    item: Option<String>,
    subject: Option<String>,
    matter_id: Option<String>,
}

async fn begin(State(s): State<AppState>, wa: WebActor, Form(f): Form<UseForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = UseInput { org_id: picked("org_id", &f.org_id, "村（社区）")?, item: f.item.clone(), subject: f.subject.clone(), matter_id: picked("matter_id", &f.matter_id, "“四议两公开”事项")? };
    let u = write_tx!(&s.db, |tx| powers::begin(&mut tx, &s.rules, a, &input).await)?;
    Ok(notice_redirect(&format!("/powers/uses/{}", u.id), &format!("“{}”已登记，第一步：{}", u.item_name, u.next_step.clone().unwrap_or_default())))
}

#[derive(Template)]
#[template(path = "power_use.html")]
struct UsePage {
    nav: Nav,
    u: PowerUse,
    can_write: bool,
    today: String,
    notice: Option<String>,
}

async fn use_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let u = powers::get(&mut conn, &a.scope(), id).await?;
    render(&UsePage { nav: Nav::of(&a), can_write: a.can(Perm::WriteOrgLife, &u.org_path) && !u.done, u, today: crate::db::today().to_string(), notice: f.notice })
}

#[derive(Deserialize)]
struct StepForm {
    csrf: String,
    seq: Option<String>,
    on: Option<String>,
    note: Option<String>,
}

async fn use_step(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<StepForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = UseStepInput { seq: super::ui::form_int(&f.seq, "step_invalid", "seq", "请选择步骤")?, on: f.on.clone(), note: f.note.clone() };
    let u = write_tx!(&s.db, |tx| powers::record_step(&mut tx, a, id, &input).await)?;
    let msg = match &u.next_step {
        Some(n) => format!("已登记，下一步：{n}"),
        None => "流程各步骤均已办结".to_string(),
    };
    Ok(notice_redirect(&format!("/powers/uses/{id}"), &msg))
}

/// A commitment with what the caller may do to it.
struct Row {
    c: commitments::CommitmentView,
    can_fulfil: bool,
    can_check: bool,
}

#[derive(Template)]
#[template(path = "commitments.html")]
struct CommitmentsPage {
    nav: Nav,
    org: Org,
    b: CommitmentBoard,
    rows: Vec<Row>,
    /// Orgs the caller may make commitments for (the org itself and its children).
    makers: Vec<(i64, String)>,
    years: Vec<i32>,
    today: String,
    notice: Option<String>,
}

async fn can_check(conn: &mut Conn, a: &Actor, org_id: i64, cache: &mut std::collections::HashMap<i64, bool>) -> AppResult<bool> {
    if let Some(v) = cache.get(&org_id) {
        return Ok(*v);
    }
    let v = commitments::may_check(conn, a, org_id).await?;
    cache.insert(org_id, v);
    Ok(v)
}

async fn commitments_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = commitments::board(&mut conn, &a.scope(), &org, year(&q)).await?;
    let mut cache = std::collections::HashMap::new();
    let mut rows = Vec::new();
    for c in b.items.iter().take(300) {
        let check = can_check(&mut conn, &a, c.org_id, &mut cache).await?;
        rows.push(Row { can_fulfil: a.can(Perm::WriteOrgLife, &c.org_path), can_check: check, c: c.clone() });
    }
    let mut makers = Vec::new();
    if org.parent_id.is_some() && a.can(Perm::WriteOrgLife, &org.path) {
        makers.push((org.id, org.name.clone()));
    }
    for r in sqlx::query("SELECT id, name, path FROM orgs WHERE parent_id = $1 AND dissolved_on IS NULL ORDER BY path LIMIT 500").bind(org.id).fetch_all(&mut *conn).await? {
        if a.can(Perm::WriteOrgLife, &r.try_get::<String, _>("path")?) {
            makers.push((r.try_get("id")?, r.try_get("name")?));
        }
    }
    let this = chrono::Datelike::year(&crate::db::today());
    render(&CommitmentsPage { nav: Nav::of(&a), org, b, rows, makers, years: (this - 3..=this + 1).rev().collect(), today: crate::db::today().to_string(), notice: f.notice })
}

async fn commitments_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = commitments::board(&mut conn, &a.scope(), &org, year(&q)).await?;
    Ok(super::api::xlsx_response(&format!("{}{}年度承诺践诺台账.xlsx", org.name, b.year), commitments::board_xlsx(&b)?).into_response())
}

#[derive(Deserialize)]
struct CommitmentForm {
    csrf: String,
    back: Option<i64>,
    org_id: Option<String>,
    year: Option<i32>,
    title: Option<String>,
    detail: Option<String>,
    due_on: Option<String>,
    on: Option<String>,
    note: Option<String>,
    accept: Option<String>,
    reason: Option<String>,
}

fn back(f: &CommitmentForm, fallback: i64, year: i32) -> String {
    format!("/orgs/{}/commitments?year={year}", f.back.unwrap_or(fallback))
}

async fn make(State(s): State<AppState>, wa: WebActor, Form(f): Form<CommitmentForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = CommitmentInput { org_id: picked("org_id", &f.org_id, "承诺单位")?, year: f.year, title: f.title.clone(), detail: f.detail.clone(), due_on: f.due_on.clone() };
    let c = write_tx!(&s.db, |tx| commitments::make(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&back(&f, c.org_id, c.year), &format!("承诺“{}”已登记，期限 {}", c.title, c.due_on)))
}

async fn fulfil(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CommitmentForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let c = write_tx!(&s.db, |tx| commitments::fulfil(&mut tx, a, id, &FulfilInput { on: f.on.clone(), note: f.note.clone() }).await)?;
    Ok(notice_redirect(&back(&f, c.org_id, c.year), &format!("“{}”已报践诺，待上级核验", c.title)))
}

async fn check(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CommitmentForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let accept = f.accept.as_deref().map(|v| v == "1");
    let c = write_tx!(&s.db, |tx| commitments::check(&mut tx, a, id, &CheckInput { accept, note: f.note.clone() }).await)?;
    Ok(notice_redirect(&back(&f, c.org_id, c.year), &format!("“{}”：{}", c.title, c.state_label)))
}

async fn fail(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CommitmentForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let c = write_tx!(&s.db, |tx| commitments::fail(&mut tx, a, id, &FailInput { reason: f.reason.clone() }).await)?;
    Ok(notice_redirect(&back(&f, c.org_id, c.year), &format!("“{}”已认定为未践诺", c.title)))
}
