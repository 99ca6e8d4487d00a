//! UI pages for star ratings (星级评定): a subtree's board, a branch's scorecard with the forms for
//! entries, rating, appeal, review and titles.

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
use crate::assessment::rules::fmt_tenths;
use crate::assessment::store::{self as assess, AppealInput, Board, Card, EntryInput, RateInput, ReviewInput, TitleInput};
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/assessment", get(board_page))
        .route("/orgs/{id}/assessment.xlsx", get(board_xlsx))
        .route("/assessment/{id}", get(card_page))
        .route("/assessment/{id}/entries", post(enter).layer(axum::extract::DefaultBodyLimit::max(super::boundary::MEETING_FILE_BODY)))
        .route("/assessment/{id}/ratings", post(rate))
        .route("/assessment/{id}/appeals", post(appeal))
        .route("/assessment/{id}/reviews", post(review))
        .route("/assessment/{id}/titles", post(title))
        .route("/assessment/entries/{id}/file", get(entry_file))
        .route("/orgs/{id}/assessment/rubric", get(rubric_page).post(save_rubric))
}


/// This year and the four before it, for the year picker.
fn years() -> Vec<i32> {
    let y = chrono::Datelike::year(&crate::db::today());
    (y - 4..=y).rev().collect()
}

fn stars(n: i64) -> String {
    if n <= 0 {
        "未定星".into()
    } else {
        "★".repeat(n as usize)
    }
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct BoardPage {
    nav: Nav,
    org: Org,
    b: Board,
    years: Vec<i32>,
    notice: Option<String>,
}

impl BoardPage {
    fn stars(&self, n: &i64) -> String {
        stars(*n)
    }
    fn stars_u8(&self, n: &u8) -> String {
        stars(*n as i64)
    }
    fn count(&self, i: &usize) -> usize {
        self.b.by_stars[5 - *i]
    }
    fn label(&self, i: &usize) -> String {
        if *i == 5 {
            "未定星".into()
        } else {
            format!("{}星", 5 - i)
        }
    }
}

async fn board_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let year = year(&q);
    if assess::is_rated(org.kind) {
        return Ok(Redirect::to(&format!("/assessment/{}?year={year}", org.id)).into_response());
    }
    let b = assess::board(&s.db, &mut conn, &a.scope(), &s.rules, &org, year).await?;
    render(&BoardPage { nav: Nav::of(&a), org, b, years: years(), notice: f.notice })
}

async fn board_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = assess::board(&s.db, &mut conn, &a.scope(), &s.rules, &org, year(&q)).await?;
    Ok(super::api::xlsx_response(&format!("{}{}年度星级评定台账.xlsx", org.name, b.year), assess::board_xlsx(&b)?).into_response())
}

#[derive(Template)]
#[template(path = "assessment_card.html")]
struct CardPage {
    nav: Nav,
    c: Card,
    years: Vec<i32>,
    can_write: bool,
    notice: Option<String>,
}

impl CardPage {
    fn pts(&self, t: &i64) -> String {
        fmt_tenths(*t)
    }
    fn stars(&self, n: &i64) -> String {
        stars(*n)
    }
    fn stars_u8(&self, n: &u8) -> String {
        stars(*n as i64)
    }
    fn max_points(&self, t: &i64) -> String {
        (t / 10).to_string()
    }
}

async fn card_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let c = assess::card(&s.db, &mut conn, &a.scope(), &s.rules, id, year(&q)).await?;
    let can_write = a.can(Perm::WriteAssessment, &c.org_path);
    render(&CardPage { nav: Nav::of(&a), c, years: years(), can_write, notice: f.notice })
}

async fn enter(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, mp: axum::extract::Multipart) -> UiResult<Redirect> {
    let mut form = super::boundary::upload_form(mp).await?;
    wa.check_csrf(form.field("csrf"))?;
    let year: Option<i32> = form.field("year").parse().ok();
    let input = EntryInput {
        year,
        item: Some(form.field("item").to_string()),
        points: Some(form.field("points").to_string()).filter(|p| !p.is_empty()),
        met: match form.field("met") {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        note: Some(form.field("note").to_string()),
        file: form.take_file(),
        ..Default::default()
    };
    let a = &wa.0;
    let e = write_tx!(&s.db, |tx| assess::enter(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/assessment/{id}?year={}", year.unwrap_or_default()), &format!("“{}”已录入：{}", e.item_title, e.points)))
}

#[derive(Deserialize)]
struct YearNoteForm {
    csrf: String,
    year: Option<i32>,
    note: Option<String>,
    stars: Option<String>,
    title: Option<String>,
    document: Option<String>,
    revoke: Option<String>,
}

async fn rate(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<YearNoteForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = RateInput { year: f.year, note: f.note };
    let c = write_tx!(&s.db, |tx| assess::rate(&s.db, &mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/assessment/{id}?year={}", c.year), &format!("已评定：{}，{}", c.total, stars(c.rated_stars.unwrap_or(0)))))
}

async fn appeal(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<YearNoteForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = AppealInput { year: f.year, reason: f.note };
    let c = write_tx!(&s.db, |tx| assess::appeal(&s.db, &mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/assessment/{id}?year={}", c.year), "申诉已提交，等待复核"))
}

async fn review(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<YearNoteForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = ReviewInput { year: f.year, stars: f.stars.as_deref().and_then(|s| s.trim().parse().ok()), note: f.note };
    let c = write_tx!(&s.db, |tx| assess::review(&s.db, &mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/assessment/{id}?year={}", c.year), &format!("复核结果已登记：{}", stars(c.rated_stars.unwrap_or(0)))))
}

async fn title(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<YearNoteForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let revoke = f.revoke.as_deref() == Some("yes");
    let input = TitleInput { title: f.title, year: f.year, document: f.document, revoke };
    let c = write_tx!(&s.db, |tx| assess::title(&s.db, &mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/assessment/{id}?year={}", c.year), if revoke { "称号已撤销" } else { "称号已命名" }))
}

async fn entry_file(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let (f, data) = assess::entry_file(&mut conn, &a.scope(), id).await?;
    Ok(super::api_life::file_response(&f, data))
}

#[derive(Template)]
#[template(path = "assessment_rubric.html")]
struct RubricPage {
    nav: Nav,
    org: Org,
    rubric: crate::assessment::rules::Rubric,
    from: Option<String>,
    can_write: bool,
    notice: Option<String>,
}

impl RubricPage {
    fn pts(&self, t: &i64) -> String {
        fmt_tenths(*t)
    }
    fn section(&self, code: &str) -> &'static str {
        crate::assessment::rules::Section::parse(code).map(|s| s.label()).unwrap_or("")
    }
}

async fn rubric_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadAssessment>(), id).await?;
    let (rubric, from) = assess::rubric_for(&mut conn, &s.rules, &org).await?;
    render(&RubricPage { nav: Nav::of(&a), can_write: a.can(Perm::WriteAssessment, &org.path), org, rubric, from, notice: f.notice })
}

/// The form: `points_<code>` per item, `cut_<n>` per star (points with one decimal), the “十有”
/// threshold and the recruitment years; the items themselves and the titles stay as they are.
async fn save_rubric(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(form): Form<std::collections::HashMap<String, String>>) -> UiResult<Redirect> {
    wa.check_csrf(form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let a = &wa.0;
    let bad = |field: &'static str, what: &str| crate::error::AppError::invalid_field("rubric_invalid", field, format!("{what}应为数字"));
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadAssessment>(), id).await?;
    let (mut rubric, _) = assess::rubric_for(&mut conn, &s.rules, &org).await?;
    drop(conn);
    for it in &mut rubric.items {
        if let Some(v) = form.get(&format!("points_{}", it.code)) {
            it.points = v.trim().parse().map_err(|_| bad("points", &it.title))?;
        }
    }
    for (i, cut) in rubric.cutoffs_tenths.iter_mut().enumerate() {
        if let Some(v) = form.get(&format!("cut_{i}")) {
            *cut = assess::parse_points(v).ok_or_else(|| bad("cutoffs", "星级分数线"))?;
        }
    }
    if let Some(v) = form.get("ten_have_min_pct") {
        rubric.ten_have_min_pct = v.trim().parse().map_err(|_| bad("ten_have_min_pct", "“十有”达标得分率"))?;
    }
    if let Some(v) = form.get("recruit_years") {
        rubric.recruit_years = v.trim().parse().map_err(|_| bad("recruit_years", "发展党员年限"))?;
    }
    write_tx!(&s.db, |tx| assess::set_rubric(&mut tx, a, &org, &rubric).await)?;
    Ok(notice_redirect(&format!("/orgs/{id}/assessment/rubric"), "考评细则已保存，本组织及下级组织按新细则计分"))
}
