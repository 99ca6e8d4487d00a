//! UI pages for 好差评: a subtree's report with its windows and 差评, a rating with its follow-up
//! form, and the window's public page where residents rate (no login, QR card at the window).

use std::time::Duration;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::boundary::Flash;
use super::session::WebActor;
use super::ui::{notice_redirect, render, Nav, UiResult};
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::error::AppError;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::service_ratings::rules::Grade;
use crate::service_ratings::store::{self as sr, FollowupInput, RateInput, RatingView, Report, WindowInput};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/service-ratings", get(report_page))
        .route("/orgs/{id}/service-ratings.xlsx", get(report_xlsx))
        .route("/service-ratings/windows", post(create_window))
        .route("/service-ratings/ratings/{id}", get(rating_page))
        .route("/service-ratings/ratings/{id}/followups", post(follow_up))
        .route("/r/{code}", get(public_form).post(public_rate))
}

#[derive(Deserialize)]
struct PeriodForm {
    from: Option<String>,
    to: Option<String>,
}

fn period(q: &PeriodForm) -> Result<(chrono::NaiveDate, chrono::NaiveDate), AppError> {
    super::api_training::PeriodQuery { from: q.from.clone(), to: q.to.clone() }.range()
}

#[derive(Template)]
#[template(path = "service_ratings.html")]
struct ReportPage {
    nav: Nav,
    org: Org,
    r: Report,
    can_write: bool,
    notice: Option<String>,
}

impl ReportPage {
    fn pct(&self, bp: &Option<i64>) -> String {
        bp.map(crate::charts::percent).unwrap_or_else(|| "—".into())
    }
}

async fn report_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<PeriodForm>, f: Flash) -> UiResult<Response> {
    let (from, to) = period(&q)?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let r = sr::report(&mut conn, &a, &a.scope(), &s.rules, &org, from, to).await?;
    render(&ReportPage { nav: Nav::of(&a), can_write: a.can(Perm::WriteOrgs, &org.path), org, r, notice: f.notice })
}

async fn report_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<PeriodForm>) -> UiResult<Response> {
    let (from, to) = period(&q)?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let r = sr::report(&mut conn, &a, &a.scope(), &s.rules, &org, from, to).await?;
    Ok(super::api::xlsx_response(&format!("{}好差评台账.xlsx", org.name), sr::report_xlsx(&r)?).into_response())
}

#[derive(Deserialize)]
struct WindowForm {
    csrf: String,
    org_id: Option<i64>,
    name: Option<String>,
    department: Option<String>,
}

async fn create_window(State(s): State<AppState>, wa: WebActor, Form(f): Form<WindowForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = WindowInput { org_id: f.org_id, name: f.name, department: f.department };
    let w = write_tx!(&s.db, |tx| sr::create_window(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&format!("/orgs/{}/service-ratings", w.org_id), &format!("窗口“{}”已设置，评价页 /r/{}", w.name, w.code)))
}

#[derive(Template)]
#[template(path = "service_rating.html")]
struct RatingPage {
    nav: Nav,
    v: RatingView,
    can_write: bool,
    today: String,
    notice: Option<String>,
}

async fn rating_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let v = sr::get(&mut conn, &a, id).await?;
    let path: String = sqlx::query_scalar("SELECT org_path FROM service_ratings WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    let can_write = a.can(Perm::WriteOrgs, &path) && v.due_on.is_some() && v.closed_on.is_none();
    render(&RatingPage { nav: Nav::of(&a), v, can_write, today: crate::db::today().to_string(), notice: f.notice })
}

#[derive(Deserialize)]
struct FollowForm {
    csrf: String,
    on: Option<String>,
    what: Option<String>,
    answer: Option<String>,
}

async fn follow_up(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<FollowForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = FollowupInput { on: f.on, what: f.what, answer: f.answer };
    let v = write_tx!(&s.db, |tx| sr::follow_up(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/service-ratings/ratings/{id}"), if v.closed_on.is_some() { "已回访办结" } else { "回访情况已登记，录入群众意见后办结" }))
}

#[derive(Template)]
#[template(path = "public_rate.html")]
struct PublicRatePage {
    window: String,
    department: String,
    org_name: String,
    code: String,
    grades: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    done: bool,
}

fn grades() -> Vec<(&'static str, &'static str)> {
    Grade::ALL.iter().map(|g| (g.code(), g.label())).collect()
}

async fn public_form(State(s): State<AppState>, Path(code): Path<String>) -> Response {
    let mut conn = match s.db.pool.acquire().await {
        Ok(c) => c,
        Err(e) => return super::public::public_error(e.into()),
    };
    match sr::window_by_code(&mut conn, &code).await {
        Ok(w) => super::public::page(&PublicRatePage { window: w.name, department: w.department, org_name: w.org_name, code, grades: grades(), error: None, done: false }, StatusCode::OK),
        Err(e) => super::public::public_error(e),
    }
}

#[derive(Deserialize)]
struct PublicRateForm {
    grade: Option<String>,
    comment: Option<String>,
    contact: Option<String>,
}

async fn public_rate(State(s): State<AppState>, super::limits::ClientIp(ip): super::limits::ClientIp, Path(code): Path<String>, Form(f): Form<PublicRateForm>) -> Response {
    let w = {
        let mut conn = match s.db.pool.acquire().await {
            Ok(c) => c,
            Err(e) => return super::public::public_error(e.into()),
        };
        match sr::window_by_code(&mut conn, &code).await {
            Ok(w) => w,
            Err(e) => return super::public::public_error(e),
        }
    };
    let input = RateInput { grade: f.grade, comment: f.comment, contact: f.contact };
    let result = async {
        s.limiter.check("submit", ip, s.rules.public.submissions_per_hour, Duration::from_secs(3600))?;
        write_tx!(&s.db, |tx| sr::rate(&mut tx, &s.rules, &code, &input, "qr").await)
    }
    .await;
    let (error, done, status) = match result {
        Ok(_) => (None, true, StatusCode::OK),
        Err(e @ (AppError::Invalid { .. } | AppError::TooManyRequests { .. })) => (Some(e.message()), false, e.status()),
        Err(e) => return super::public::public_error(e),
    };
    super::public::page(&PublicRatePage { window: w.name, department: w.department, org_name: w.org_name, code, grades: grades(), error, done }, status)
}
