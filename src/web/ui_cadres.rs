//! UI pages for village cadres: the overview of a subtree (every village with 一肩挑, archive,
//! reserves, first secretary and flags) and one village's file with its forms.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::boundary::{Flash, MEETING_FILE_BODY};
use super::pick::picked;
use super::session::WebActor;
use super::ui::{notice_redirect, options, render, Nav, UiResult};
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::cadres::rules::{ArchiveDoc, AssessmentGrade};
use crate::cadres::store::{self as cadres, AssessmentInput, DirectorInput, FirstSecretaryInput, Overview, RemoveInput, ReserveInput, VillageFile};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/cadres", get(overview_page))
        .route("/orgs/{id}/cadres.xlsx", get(overview_xlsx))
        .route("/cadres/{id}", get(village_page))
        .route("/cadres/{id}/docs", post(add_doc).layer(DefaultBodyLimit::max(MEETING_FILE_BODY)))
        .route("/cadres/{id}/docs/{doc_id}", get(doc))
        .route("/cadres/{id}/reserves", post(add_reserve))
        .route("/cadres/{id}/director", post(set_director))
        .route("/cadres/{id}/first-secretaries", post(add_first_secretary))
        .route("/cadres/{id}/assessments", post(add_assessment))
        .route("/cadre-reserves/{id}/remove", post(remove_reserve))
        .route("/first-secretaries/{id}/end", post(end_first_secretary))
}

#[derive(Template)]
#[template(path = "cadres.html")]
struct OverviewPage {
    nav: Nav,
    org: Org,
    o: Overview,
}

async fn overview_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadCadres>(), id).await?;
    let o = cadres::overview(&mut conn, &s.rules, &a.scope(), &org).await?;
    render(&OverviewPage { nav: Nav::of(&a), org, o })
}

async fn overview_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadCadres>(), id).await?;
    let bytes = cadres::overview_xlsx(&mut conn, &s.rules, &a.scope(), &org).await?;
    Ok(super::api::xlsx_response(&format!("{}村（社区）干部台账.xlsx", org.name), bytes).into_response())
}

#[derive(Template)]
#[template(path = "cadre_village.html")]
struct VillagePage {
    nav: Nav,
    v: VillageFile,
    can_write: bool,
    kinds: Vec<(&'static str, &'static str)>,
    grades: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    today: String,
    year: i32,
}

async fn village_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let v = cadres::village_file(&mut conn, &s.rules, &a.scope(), id).await?;
    let today = crate::db::today();
    render(&VillagePage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteCadres, &v.row.path),
        v,
        kinds: options(ArchiveDoc::ALL, ArchiveDoc::code, ArchiveDoc::label),
        grades: options(AssessmentGrade::ALL, AssessmentGrade::code, AssessmentGrade::label),
        notice: f.notice,
        today: today.to_string(),
        year: chrono::Datelike::year(&today),
    })
}

async fn add_doc(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, mp: axum::extract::Multipart) -> UiResult<Redirect> {
    let form = super::boundary::upload_form(mp).await?;
    wa.check_csrf(form.field("csrf"))?;
    let kind = form.field("kind").to_string();
    let (name, bytes) = form.file("请选择要上传的扫描件或文件")?;
    let a = &wa.0;
    let d = write_tx!(&s.db, |tx| cadres::add_doc(&mut tx, a, id, &kind, &name, &bytes).await)?;
    Ok(notice_redirect(&format!("/cadres/{id}"), &format!("“{}”已归档", d.kind_label)))
}

async fn doc(State(s): State<AppState>, WebActor(a): WebActor, Path((id, doc_id)): Path<(i64, i64)>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let (f, data) = cadres::doc(&mut conn, &a.scope(), id, doc_id).await?;
    Ok(super::api_life::file_response(&f, data))
}

#[derive(Deserialize)]
struct ReserveForm {
    csrf: String,
    name: Option<String>,
    id_number: Option<String>,
    member_id: Option<String>,
    education: Option<String>,
    present_post: Option<String>,
    for_secretary: Option<String>,
    added_on: Option<String>,
}

async fn add_reserve(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ReserveForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let member_id = match f.member_id.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(_) => picked("member_id", &f.member_id, "党员")?,
    };
    let input = ReserveInput { name: f.name, id_number: f.id_number, member_id, education: f.education, present_post: f.present_post, for_secretary: f.for_secretary.is_some(), added_on: f.added_on };
    let r = write_tx!(&s.db, |tx| cadres::add_reserve(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/cadres/{id}"), &format!("{}已列入后备干部库", r.name)))
}

#[derive(Deserialize)]
struct DirectorForm {
    csrf: String,
    member_id: Option<String>,
    name: Option<String>,
    starts_on: Option<String>,
}

async fn set_director(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<DirectorForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let member_id = match f.member_id.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(_) => picked("member_id", &f.member_id, "党员")?,
    };
    let input = DirectorInput { member_id, name: f.name, starts_on: f.starts_on };
    let p = write_tx!(&s.db, |tx| cadres::set_director(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/cadres/{id}"), &format!("村委会主任已登记为{}", p.name)))
}

#[derive(Deserialize)]
struct FirstSecretaryForm {
    csrf: String,
    name: Option<String>,
    unit: Option<String>,
    phone: Option<String>,
    started_on: Option<String>,
    subsidy_yuan_month: Option<String>,
}

async fn add_first_secretary(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<FirstSecretaryForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = FirstSecretaryInput { name: f.name, unit: f.unit, phone: f.phone, started_on: f.started_on, subsidy_yuan_month: f.subsidy_yuan_month };
    let fs = write_tx!(&s.db, |tx| cadres::add_first_secretary(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/cadres/{id}"), &format!("第一书记{}已登记，任期至{}", fs.name, fs.term_end)))
}

#[derive(Deserialize)]
struct AssessmentForm {
    csrf: String,
    year: Option<String>,
    grade: Option<String>,
}

async fn add_assessment(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<AssessmentForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let year = super::ui::form_int(&f.year, "year_invalid", "year", "考核年度请填写四位年份")?;
    let input = AssessmentInput { year, grade: f.grade };
    let r = write_tx!(&s.db, |tx| cadres::add_assessment(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/cadres/{id}"), &format!("{}{}年度考核“{}”已登记", r.name, r.year, r.grade_label)))
}

#[derive(Deserialize)]
struct RemoveForm {
    csrf: String,
    on: Option<String>,
    reason: Option<String>,
}

async fn remove_reserve(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<RemoveForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = RemoveInput { on: f.on, reason: f.reason };
    let org_id = write_tx!(&s.db, |tx| cadres::remove_reserve(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/cadres/{org_id}"), "已移出后备干部库"))
}

async fn end_first_secretary(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<RemoveForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = RemoveInput { on: f.on, reason: f.reason };
    let org_id = write_tx!(&s.db, |tx| cadres::end_first_secretary(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/cadres/{org_id}"), "第一书记的选派已结束"))
}
