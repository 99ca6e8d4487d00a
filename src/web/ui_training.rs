//! UI pages for training: the classes of a subtree, a class with its sessions and
//! trainees, 一课一查岗 per session, the daily bulletin and the end-of-class report.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api_training::PeriodQuery;
use super::session::WebActor;
use super::boundary::{Flash, LIST_BODY};
use super::ui::{notice_redirect, options, render, Nav, UiResult};
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::error::AppError;
use crate::members::model::Post;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::training::rules::{AttendanceMark, Bulletin, ClassKind, ClassReport, CourseCategory};
use crate::training::store::{self as training, Class, ClassInput, EnrollInput, MarkInput, SessionInput, SessionRow, Trainee, WithdrawInput};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/training", get(classes_page))
        .route("/orgs/{id}/training.xlsx", get(training_xlsx))
        .route("/training", post(class_create))
        .route("/training/{id}", get(class_page))
        .route("/training/{id}/sessions", post(session_add))
        .route("/training/{id}/enroll", post(enroll).layer(axum::extract::DefaultBodyLimit::max(LIST_BODY)))
        .route("/training/{id}/withdraw", post(withdraw))
        .route("/training/{id}/bulletin", get(bulletin_page))
        .route("/training/{id}/report", get(report_page))
        .route("/training/sessions/{id}", get(session_page).post(session_marks).layer(axum::extract::DefaultBodyLimit::max(LIST_BODY)))
}

#[derive(Template)]
#[template(path = "training_classes.html")]
struct ClassesPage {
    nav: Nav,
    org: Org,
    from: String,
    to: String,
    classes: Vec<Class>,
    can_manage: bool,
    kinds: Vec<(&'static str, &'static str)>,
}

async fn classes_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<PeriodQuery>) -> UiResult<Response> {
    let (from, to) = q.range()?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadTraining>(), id).await?;
    let classes = training::list_classes(&mut conn, &a.scope(), &org, from, to).await?;
    render(&ClassesPage {
        nav: Nav::of(&a),
        can_manage: a.can(Perm::WriteTraining, &org.path),
        org,
        from: from.to_string(),
        to: to.to_string(),
        classes,
        kinds: options(ClassKind::ALL, ClassKind::code, ClassKind::label),
    })
}

async fn training_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<PeriodQuery>) -> UiResult<Response> {
    let (from, to) = q.range()?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadTraining>(), id).await?;
    let bytes = training::subtree_xlsx(&mut conn, &a.scope(), &s.rules.training, &org, from, to).await?;
    Ok(super::api::xlsx_response(&format!("{}培训情况{from}至{to}.xlsx", org.name), bytes).into_response())
}

#[derive(Deserialize)]
struct ClassForm {
    csrf: String,
    org_id: i64,
    kind: String,
    title: String,
    starts_on: String,
    ends_on: String,
    place: Option<String>,
}

async fn class_create(State(s): State<AppState>, wa: WebActor, Form(f): Form<ClassForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = ClassInput { org_id: f.org_id, kind: f.kind, title: f.title, starts_on: f.starts_on, ends_on: f.ends_on, place: f.place };
    let c = write_tx!(&s.db, |tx| training::create_class(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&format!("/training/{}", c.id), "培训班已建立，请添加课次并报名学员"))
}

#[derive(Template)]
#[template(path = "training_class.html")]
struct ClassPage {
    nav: Nav,
    c: Class,
    sessions: Vec<SessionRow>,
    trainees: Vec<Trainee>,
    can_manage: bool,
    notice: Option<String>,
    today: String,
    categories: Vec<(&'static str, &'static str)>,
    posts: Vec<(&'static str, &'static str)>,
}

async fn class_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, q: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let c = training::get_class(&mut conn, &a.scope(), id).await?;
    let sessions = training::sessions(&mut conn, c.id).await?;
    let trainees = training::trainees(&mut conn, c.id).await?;
    let today = crate::db::today().clamp(c.starts(), c.ends()).to_string();
    render(&ClassPage {
        nav: Nav::of(&a),
        can_manage: a.can(Perm::WriteTraining, &c.org_path),
        c,
        sessions,
        trainees,
        notice: q.notice,
        today,
        categories: options(CourseCategory::ALL, CourseCategory::code, CourseCategory::label),
        posts: options(Post::ALL, Post::code, Post::label),
    })
}

#[derive(Deserialize)]
struct SessionForm {
    csrf: String,
    day: String,
    start: String,
    minutes: String,
    category: String,
    title: String,
    teacher: Option<String>,
}

async fn session_add(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<SessionForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let minutes = f.minutes.trim().parse::<i64>().map_err(|_| AppError::invalid_field("minutes_invalid", "minutes", "课次时长应为分钟数，如 90"))?;
    let input = SessionInput { day: f.day, start: f.start, minutes, category: f.category, title: f.title, teacher: f.teacher };
    write_tx!(&s.db, |tx| training::add_session(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/training/{id}"), "课次已添加"))
}

#[derive(Deserialize)]
struct EnrollForm {
    csrf: String,
    org_id: Option<String>,
    post: Option<String>,
    member_ids: Option<String>,
    enrolled_on: Option<String>,
}

async fn enroll(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<EnrollForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let bad = |_| AppError::invalid_field("id_invalid", "member_ids", "党员编号应为数字，多个用逗号或空格分开");
    let member_ids = f
        .member_ids
        .as_deref()
        .unwrap_or("")
        .split([',', '，', ' ', '\n', '\r', '、'])
        .filter(|x| !x.trim().is_empty())
        .map(|x| x.trim().parse::<i64>().map_err(bad))
        .collect::<Result<Vec<_>, _>>()?;
    let org_id = match f.org_id.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        Some(x) => Some(x.parse::<i64>().map_err(|_| AppError::invalid_field("id_invalid", "org_id", "组织编号应为数字"))?),
        None => None,
    };
    let input = EnrollInput { member_ids, org_id, post: f.post, enrolled_on: f.enrolled_on };
    let r = write_tx!(&s.db, |tx| training::enroll(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/training/{id}"), &format!("新报名 {} 人{}", r.added, if r.already > 0 { format!("，{} 人此前已报名", r.already) } else { String::new() })))
}

#[derive(Deserialize)]
struct WithdrawForm {
    csrf: String,
    member_id: i64,
    on: Option<String>,
}

async fn withdraw(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<WithdrawForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = WithdrawInput { member_id: f.member_id, on: f.on };
    write_tx!(&s.db, |tx| training::withdraw(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/training/{id}"), "已登记退出，之后的课次不再要求出勤"))
}

/// One row of the check form: a trainee expected at the session, with any mark so far.
struct CheckRow {
    member_id: i64,
    name: String,
    org_name: String,
    mark: String,
    missed: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "training_session.html")]
struct SessionPage {
    nav: Nav,
    c: Class,
    s: SessionRow,
    rows: Vec<CheckRow>,
    can_manage: bool,
    notice: Option<String>,
    marks: Vec<(&'static str, &'static str)>,
}

async fn session_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, q: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let class_id: Option<i64> = sqlx::query_scalar("SELECT class_id FROM training_sessions WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    let c = training::get_class(&mut conn, &a.scope(), class_id.ok_or(AppError::NotFound)?).await?;
    let sess = training::sessions(&mut conn, c.id).await?.into_iter().find(|x| x.id == id).ok_or(AppError::NotFound)?;
    let data = training::load(&mut conn, c.id).await?;
    let trainees = training::trainees(&mut conn, c.id).await?;
    let day: chrono::NaiveDate = sess.day.parse().unwrap_or_default();
    let rows = trainees
        .into_iter()
        .filter(|t| data.enrollments.iter().any(|e| e.member_id == t.member_id && crate::training::rules::is_expected(e, day)))
        .map(|t| {
            let m = data.marks.iter().find(|m| m.session_id == id && m.member_id == t.member_id);
            CheckRow {
                member_id: t.member_id,
                name: t.name,
                org_name: t.org_name,
                mark: m.map(|m| m.mark.code().to_string()).unwrap_or_default(),
                missed: m.filter(|m| m.missed_minutes > 0).map(|m| m.missed_minutes.to_string()).unwrap_or_default(),
                reason: m.and_then(|m| m.reason.clone()).unwrap_or_default(),
            }
        })
        .collect();
    render(&SessionPage {
        nav: Nav::of(&a),
        can_manage: a.can(Perm::WriteTraining, &c.org_path),
        c,
        s: sess,
        rows,
        notice: q.notice,
        marks: options(AttendanceMark::ALL, AttendanceMark::code, AttendanceMark::label),
    })
}

async fn session_marks(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<Vec<(String, String)>>) -> UiResult<Redirect> {
    let csrf = f.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    wa.check_csrf(csrf)?;
    let a = &wa.0;
    let field = |name: String| f.iter().find(|(k, _)| *k == name).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    let mut items = Vec::new();
    for (k, v) in &f {
        let Some(mid) = k.strip_prefix("k_").and_then(|x| x.parse::<i64>().ok()) else { continue };
        if v.is_empty() {
            continue;
        }
        let missed_minutes = match field(format!("m_{mid}")) {
            Some(x) => Some(x.parse::<i64>().map_err(|_| AppError::invalid_field("missed_minutes_invalid", "missed_minutes", "缺课分钟数应为整数"))?),
            None => None,
        };
        items.push(MarkInput { member_id: mid, mark: v.clone(), missed_minutes, reason: field(format!("r_{mid}")) });
    }
    let n = write_tx!(&s.db, |tx| training::record_marks(&mut tx, a, id, &items).await)?;
    Ok(notice_redirect(&format!("/training/sessions/{id}"), &format!("已保存 {n} 人的考勤")))
}

#[derive(Template)]
#[template(path = "training_bulletin.html")]
struct BulletinPage {
    nav: Nav,
    c: Class,
    day: String,
    b: Bulletin,
}

#[derive(Deserialize)]
struct DayForm {
    day: Option<String>,
}

async fn bulletin_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<DayForm>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let c = training::get_class(&mut conn, &a.scope(), id).await?;
    let day = match q.day.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => crate::members::validate::parse_day(Some(d))?,
        None => crate::db::today().clamp(c.starts(), c.ends()),
    };
    let b = training::bulletin(&mut conn, &a.scope(), &s.rules.training, id, day).await?;
    render(&BulletinPage { nav: Nav::of(&a), c, day: day.to_string(), b })
}

#[derive(Template)]
#[template(path = "training_report.html")]
struct ReportPage {
    nav: Nav,
    c: Class,
    r: ClassReport,
}

impl ReportPage {
    fn hours(&self, tenths: &u64) -> String {
        crate::training::rules::fmt_hours(*tenths)
    }
    fn pct(&self, bp: &Option<u32>) -> String {
        bp.map(crate::training::rules::fmt_bp).unwrap_or_else(|| "—".into())
    }
}

async fn report_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let (c, r) = training::report(&mut conn, &a.scope(), &s.rules.training, id).await?;
    render(&ReportPage { nav: Nav::of(&a), c, r })
}
