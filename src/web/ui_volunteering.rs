//! UI pages for volunteering (志愿服务): a subtree's activities and 双报到 board, one activity with
//! its volunteers (sign-up, check-in by hand, confirmation, corrections), the door-QR page a
//! member's phone opens, and a member's own page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api_points::{year, YearQuery};
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
use crate::volunteering::store::{self as vol, ActivityInput, ActivityView, AmendInput, CancelInput, CheckInput, ConfirmInput, MinutesItem, MyVolunteering, SignupInput, SignupView, VolunteeringBoard};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/volunteering", get(board_page))
        .route("/orgs/{id}/volunteering.xlsx", get(board_xlsx))
        .route("/volunteering", post(create))
        .route("/volunteering/mine", get(mine_page))
        .route("/volunteering/{id}", get(detail_page))
        .route("/volunteering/{id}/poster", get(poster))
        .route("/volunteering/{id}/cancel", post(cancel))
        .route("/volunteering/{id}/signups", post(add_signup))
        .route("/volunteering/{id}/join", post(join))
        .route("/volunteering/{id}/confirm", post(confirm))
        .route("/volunteering/signups/{id}/withdraw", post(withdraw))
        .route("/volunteering/signups/{id}/check", post(check))
        .route("/volunteering/signups/{id}/minutes", post(amend))
        .route("/v/{token}", get(scan_page).post(scan_submit))
}

#[derive(Template)]
#[template(path = "volunteering.html")]
struct BoardPage {
    nav: Nav,
    org: Org,
    b: VolunteeringBoard,
    can_write: bool,
    categories: Vec<String>,
    notice: Option<String>,
    today: String,
    years: Vec<i32>,
}

async fn board_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadVolunteering>(), id).await?;
    let b = vol::board(&mut conn, &s.rules, &a.scope(), &org, year(&q)).await?;
    let this = chrono::Datelike::year(&crate::db::today());
    render(&BoardPage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteVolunteering, &org.path) && org.dissolved_on.is_none(),
        org,
        b,
        categories: s.rules.volunteering.categories.clone(),
        notice: f.notice,
        today: crate::db::today().to_string(),
        years: (this - 2..=this).rev().collect(),
    })
}

async fn board_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<YearQuery>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadVolunteering>(), id).await?;
    let y = year(&q);
    let bytes = vol::xlsx(&mut conn, &a.scope(), &org, y).await?;
    Ok(super::api::xlsx_response(&format!("{}志愿服务台账{y}.xlsx", org.name), bytes).into_response())
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: String,
    org_id: Option<String>,
    title: Option<String>,
    category: Option<String>,
    place: Option<String>,
    day: Option<String>,
    start: Option<String>,
    end: Option<String>,
    slots: Option<String>,
    organizer: Option<String>,
    note: Option<String>,
}

async fn create(State(s): State<AppState>, wa: WebActor, Form(f): Form<CreateForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let org_id = picked("org_id", &f.org_id, "组织活动的党组织")?;
    let slots = super::ui::form_int(&f.slots, "slots_invalid", "slots", "招募人数请填写整数")?;
    let input = ActivityInput { org_id, title: f.title, category: f.category, place: f.place, day: f.day, start: f.start, end: f.end, slots, organizer: f.organizer, note: f.note };
    let v = write_tx!(&s.db, |tx| vol::create(&mut tx, a, &s.rules, &input).await)?;
    Ok(notice_redirect(&format!("/volunteering/{}", v.id), &format!("活动“{}”已发布：可打印门口签到二维码，党员也可在“我的志愿服务”报名", v.title)))
}

#[derive(Template)]
#[template(path = "volunteering_activity.html")]
struct DetailPage {
    nav: Nav,
    v: ActivityView,
    signups: Vec<SignupView>,
    live: usize,
    can_write: bool,
    is_open: bool,
    ended: bool,
    household_per_hour: i64,
    notice: Option<String>,
}

async fn detail_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let v = vol::get(&mut conn, &a.scope(), id).await?;
    let signups = vol::signups(&mut conn, v.id).await?;
    render(&DetailPage {
        nav: Nav::of(&a),
        live: signups.iter().filter(|s| s.state == "signed").count(),
        can_write: a.can(Perm::WriteVolunteering, &v.org_path),
        is_open: v.state == "open",
        ended: v.ended(crate::db::now_secs()),
        household_per_hour: s.rules.volunteering.household_points_per_hour,
        v,
        signups,
        notice: f.notice,
    })
}

/// An A4 poster for the activity's door: check in on arrival, scan again to check out.
async fn poster(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, headers: HeaderMap) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let v = vol::get(&mut conn, &a.scope(), id).await?;
    if !a.can(Perm::WriteVolunteering, &v.org_path) {
        return Err(AppError::forbidden("只有活动组织者可以打印签到二维码").into());
    }
    let url = super::api_volunteering::scan_link(&headers, &v.token);
    let r = &s.rules.volunteering;
    render(&super::ui::Poster {
        nav: Nav::of(&a),
        title: "志愿服务签到签退".into(),
        org_name: v.org_name.clone(),
        purpose: format!("{}（{} 至 {}，{}）", v.title, v.starts, &v.ends[11..], v.place),
        steps: vec![
            "到达时用手机扫描下方二维码，用本人账号登录，点“签到”".into(),
            "离开时再扫一次，点“签退”".into(),
            format!("活动开始前{}分钟起可签到，结束后{}分钟内可签退；服务时长由组织者确认后计入积分", r.check_in_before_minutes, r.check_out_after_minutes),
        ],
        qr: super::api_life::qr_svg(&url)?,
        url,
        footer: format!("没有账号的居民志愿者请找组织者 {} 登记。", v.organizer),
    })
}

#[derive(Deserialize)]
struct ReasonForm {
    csrf: String,
    reason: Option<String>,
}

async fn cancel(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ReasonForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = CancelInput { reason: f.reason };
    write_tx!(&s.db, |tx| vol::cancel(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/volunteering/{id}"), "活动已取消"))
}

#[derive(Deserialize)]
struct SignupForm {
    csrf: String,
    member_id: Option<String>,
    resident_id: Option<String>,
}

async fn add_signup(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<SignupForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = SignupInput { member_id: picked("member_id", &f.member_id, "党员")?, resident_id: picked("resident_id", &f.resident_id, "居民")? };
    let su = write_tx!(&s.db, |tx| vol::add_signup(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/volunteering/{id}"), &format!("{} 已报名", su.name)))
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
    back: Option<String>,
}

/// Where to go back to: only pages of this site.
fn back(f: &CsrfForm, default: String) -> String {
    f.back.clone().filter(|b| b.starts_with('/') && !b.starts_with("//")).unwrap_or(default)
}

async fn join(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    write_tx!(&s.db, |tx| vol::join(&mut tx, a, id).await)?;
    Ok(notice_redirect(&back(&f, "/volunteering/mine".into()), "报名成功：活动当天到现场扫码签到"))
}

async fn confirm(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<Vec<(String, String)>>) -> UiResult<Redirect> {
    let csrf = f.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    wa.check_csrf(csrf)?;
    let a = &wa.0;
    let mut minutes = Vec::new();
    for (k, v) in &f {
        if let Some(sid) = k.strip_prefix("m_").and_then(|x| x.parse::<i64>().ok()) {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let m = v.parse::<i64>().map_err(|_| AppError::invalid_field("minutes_invalid", "minutes", format!("服务时长“{v}”请填写分钟数（整数）")))?;
            minutes.push(MinutesItem { signup_id: sid, minutes: m });
        }
    }
    let input = ConfirmInput { minutes };
    let v = write_tx!(&s.db, |tx| vol::confirm(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/volunteering/{id}"), &format!("服务时长已确认，共 {} 小时 {} 分钟；党员积分和居民户积分已按时长计入", v.minutes / 60, v.minutes % 60)))
}

async fn withdraw(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let su = write_tx!(&s.db, |tx| vol::withdraw(&mut tx, a, id).await)?;
    Ok(notice_redirect(&back(&f, format!("/volunteering/{}", su.activity_id)), &format!("{} 的报名已取消", su.name)))
}

#[derive(Deserialize)]
struct CheckForm {
    csrf: String,
    action: Option<String>,
    at: Option<String>,
}

async fn check(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CheckForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = CheckInput { action: f.action, at: f.at };
    let su = write_tx!(&s.db, |tx| vol::check(&mut tx, a, id, &input).await)?;
    let what = if su.check_out.is_some() { "签退" } else { "签到" };
    Ok(notice_redirect(&format!("/volunteering/{}", su.activity_id), &format!("{} 已{what}", su.name)))
}

#[derive(Deserialize)]
struct AmendForm {
    csrf: String,
    minutes: Option<String>,
    reason: Option<String>,
}

async fn amend(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<AmendForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let minutes = super::ui::form_int(&f.minutes, "minutes_invalid", "minutes", "服务时长请填写分钟数（整数）")?;
    let input = AmendInput { minutes, reason: f.reason };
    let su = write_tx!(&s.db, |tx| vol::amend(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/volunteering/{}", su.activity_id), &format!("{} 的服务时长已更正为 {} 分钟，积分随之更正", su.name, su.minutes.unwrap_or(0))))
}

#[derive(Template)]
#[template(path = "volunteering_mine.html")]
struct MinePage {
    nav: Nav,
    m: Option<MyVolunteering>,
    /// Open activities, and whether the member is signed up.
    open: Vec<(ActivityView, bool)>,
    notice: Option<String>,
}

async fn mine_page(State(s): State<AppState>, WebActor(a): WebActor, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let m = match a.member_id {
        Some(_) => Some(vol::mine(&mut conn, &a).await?),
        None => None,
    };
    let open = m
        .as_ref()
        .map(|m| m.open.iter().map(|v| (v.clone(), m.mine.iter().any(|x| x.activity.id == v.id && x.signup.state == "signed"))).collect())
        .unwrap_or_default();
    render(&MinePage { nav: Nav::of(&a), m, open, notice: f.notice })
}

#[derive(Template)]
#[template(path = "volunteering_scan.html")]
struct ScanPage {
    nav: Nav,
    token: String,
    v: ActivityView,
    notice: Option<String>,
    error: Option<String>,
}

/// The page the door QR opens (the member logs in first when needed).
async fn scan_page(State(s): State<AppState>, WebActor(a): WebActor, Path(token): Path<String>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let v = vol::by_token(&mut conn, &token).await?;
    render(&ScanPage { nav: Nav::of(&a), token, v, notice: None, error: None })
}

async fn scan_submit(State(s): State<AppState>, wa: WebActor, Path(token): Path<String>, Form(f): Form<CsrfForm>) -> UiResult<Response> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let result = write_tx!(&s.db, |tx| vol::scan(&mut tx, a, &s.rules, &token).await);
    let (notice, error) = match result {
        Ok(r) => (Some(r.message), None),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => (None, Some(e.message())),
        Err(e) => return Err(e.into()),
    };
    let mut conn = s.db.pool.acquire().await?;
    let v = vol::by_token(&mut conn, &token).await?;
    render(&ScanPage { nav: Nav::of(a), token, v, notice, error })
}
