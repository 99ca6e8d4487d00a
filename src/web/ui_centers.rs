//! UI pages for service centers (党群服务中心): the board of a subtree with the registration
//! form, and a center's page with its latest verdict explained, photos, history and the check
//! form (one box and note per standard, the signage counts, photos).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api_points::{year, YearQuery};
use super::boundary::{check_text, multipart_error, Flash};
use super::session::WebActor;
use super::ui::{notice_redirect, render, Nav, UiResult};
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::centers::store::{self as centers, AnswerInput, Board, CenterInput, CheckInput, Detail, CHECK_FORM_BODY, MAX_PHOTOS};
use crate::error::AppError;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/centers", get(board_page))
        .route("/orgs/{id}/centers.xlsx", get(xlsx))
        .route("/centers", post(register))
        .route("/centers/{id}", get(center_page))
        .route("/centers/{id}/checks", post(check).layer(DefaultBodyLimit::max(CHECK_FORM_BODY)))
        .route("/centers/photos/{id}", get(photo))
}

fn years() -> Vec<i32> {
    let this = chrono::Datelike::year(&crate::db::today());
    (this - 4..=this).rev().collect()
}

#[derive(Template)]
#[template(path = "centers.html")]
struct BoardPage {
    nav: Nav,
    org: Org,
    b: Board,
    can_write: bool,
    years: Vec<i32>,
    notice: Option<String>,
}

async fn board_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = centers::board(&mut conn, &a.scope(), &s.rules, &org, year(&q)).await?;
    render(&BoardPage { nav: Nav::of(&a), can_write: a.can(Perm::WriteOrgs, &org.path), org, b, years: years(), notice: f.notice })
}

async fn xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let b = centers::board(&mut conn, &a.scope(), &s.rules, &org, year(&q)).await?;
    Ok(super::api::xlsx_response(&format!("{}{}年度党群服务中心规范化建设台账.xlsx", org.name, b.year), centers::board_xlsx(&b)?).into_response())
}

#[derive(Deserialize)]
struct RegisterForm {
    csrf: String,
    org_id: Option<String>,
    name: Option<String>,
    address: Option<String>,
    area_m2: Option<String>,
}

async fn register(State(s): State<AppState>, wa: WebActor, Form(f): Form<RegisterForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let area_m2 = match f.area_m2.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None => None,
        Some(x) => Some(x.parse::<i64>().map_err(|_| AppError::invalid_field("area_invalid", "area_m2", "面积请填写整数（平方米）"))?),
    };
    let input = CenterInput { org_id: super::pick::picked("org_id", &f.org_id, "村（社区）")?, name: f.name.clone(), address: f.address.clone(), area_m2 };
    let c = write_tx!(&s.db, |tx| centers::register(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&format!("/centers/{}", c.id), &format!("“{}”已登记，请记录一次检查", c.name)))
}

/// One standard on the check form, filled from the latest check.
struct FormRow {
    code: String,
    title: String,
    met: bool,
    note: String,
}

#[derive(Template)]
#[template(path = "center.html")]
struct CenterPage {
    nav: Nav,
    d: Detail,
    form: Vec<FormRow>,
    can_write: bool,
    today: String,
    max_photos: usize,
    notice: Option<String>,
}

async fn center_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let d = centers::detail(&mut conn, &a.scope(), &s.rules, id).await?;
    let org = orgs::get(&mut conn, d.center.org_id).await?.ok_or(AppError::NotFound)?;
    let form = d
        .standards
        .iter()
        .map(|st| {
            let last = d.latest.as_ref().and_then(|k| k.items.iter().find(|i| i.code == st.code));
            FormRow { code: st.code.clone(), title: st.title.clone(), met: last.is_some_and(|i| i.met), note: last.map(|i| i.note.clone()).unwrap_or_default() }
        })
        .collect();
    render(&CenterPage { nav: Nav::of(&a), can_write: a.can(Perm::WriteOrgs, &org.path), d, form, today: crate::db::today().to_string(), max_photos: MAX_PHOTOS, notice: f.notice })
}

/// Reads the check form: text fields, and every chosen `photo` (at most one more than allowed is
/// read, so the store can say how many are allowed).
async fn read_check_form(mut mp: Multipart) -> Result<(HashMap<String, String>, Vec<(String, Vec<u8>)>), AppError> {
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(multipart_error)? {
        let Some(name) = field.name().map(str::to_string) else { continue };
        if name == "photo" {
            let fname = field.file_name().unwrap_or("照片").to_string();
            check_text(&fname)?;
            let bytes = field.bytes().await.map_err(multipart_error)?;
            if !bytes.is_empty() {
                if files.len() > MAX_PHOTOS {
                    continue;
                }
                files.push((fname, bytes.to_vec()));
            }
        } else {
            let v = field.text().await.map_err(multipart_error)?;
            check_text(&v)?;
            fields.insert(name, v);
        }
    }
    Ok((fields, files))
}

async fn check(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, mp: Multipart) -> UiResult<Redirect> {
    let (fields, files) = read_check_form(mp).await?;
    wa.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    let a = &wa.0;
    let field = |k: &str| fields.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let num = |k: &str| field(k).map(|v| v.parse::<i64>().unwrap_or(-1));
    // The standards answered are the ones the form listed (`std` fields), each met when ticked.
    let mut codes: Vec<&String> = fields.iter().filter(|(k, _)| k.starts_with("std_")).map(|(_, v)| v).collect();
    codes.sort();
    let results = codes
        .into_iter()
        .map(|code| AnswerInput { code: Some(code.clone()), met: Some(fields.contains_key(&format!("met_{code}"))), note: fields.get(&format!("note_{code}")).cloned() })
        .collect();
    let input = CheckInput { on: field("on"), plaques: num("plaques"), guide_signs: num("guide_signs"), results: Some(results), note: field("note"), photos: None, files };
    let k = write_tx!(&s.db, |tx| centers::record_check(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/centers/{id}"), &format!("检查已记录：{}", k.verdict.explanation)))
}

async fn photo(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let (f, data) = centers::photo(&mut conn, &a.scope(), id).await?;
    Ok(super::api_life::file_response(&f, data))
}
