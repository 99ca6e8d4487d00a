//! UI pages for organizational life: meetings, door sign-in, compliance, dues.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::session::WebActor;
use super::boundary::{Flash, LIST_BODY, MEETING_FILE_BODY};
use super::ui::{notice_redirect, options, render, Nav, UiResult};
use axum::extract::DefaultBodyLimit;
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::dues::rules::DuesCategory;
use crate::dues::store::{self as dues, fmt_yuan, parse_yuan, AdjustmentInput, BasisInput, MemberDues, OrgDues, PaymentInput};
use crate::error::AppError;
use crate::meetings::compliance::{self, ComplianceReport};
use crate::meetings::rules::MeetingKind;
use crate::meetings::store::{self as meetings, Amendment, AttendanceInput, AttendanceStatus, Attendee, CloseInput, EffectiveChecklist, Meeting, MeetingFile, MeetingInput, VoteInput};
use crate::meetings::theme_day::Checklist;
use super::api_life::ThemeDayStatus;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/meetings", get(meetings_page))
        .route("/meetings", post(meeting_create))
        .route("/meetings/{id}", get(meeting_page))
        .route("/meetings/{id}/qr.svg", get(meeting_qr))
        .route("/meetings/{id}/poster", get(meeting_poster))
        .route("/meetings/{id}/attendance", post(meeting_attendance).layer(DefaultBodyLimit::max(LIST_BODY)))
        .route("/meetings/{id}/hold", post(meeting_hold))
        .route("/meetings/{id}/vote", post(meeting_vote))
        .route("/meetings/{id}/close", post(meeting_close))
        .route("/meetings/{id}/amend", post(meeting_amend))
        .route("/meetings/{id}/items", post(meeting_items))
        .route("/meetings/{id}/files", post(meeting_file_upload).layer(DefaultBodyLimit::max(MEETING_FILE_BODY)))
        .route("/meetings/{id}/files/{file_id}", get(meeting_file))
        .route("/orgs/{id}/theme-day", get(checklist_page).post(checklist_save))
        .route("/sign-in/{token}", get(sign_in_page).post(sign_in_submit))
        .route("/orgs/{id}/compliance", get(compliance_page))
        .route("/orgs/{id}/dues", get(org_dues_page))
        .route("/orgs/{id}/meetings.xlsx", get(meetings_xlsx))
        .route("/orgs/{id}/compliance.xlsx", get(compliance_xlsx))
        .route("/orgs/{id}/dues.xlsx", get(dues_xlsx))
        .route("/members/{id}/dues", get(member_dues_page))
        .route("/members/{id}/dues/basis", post(dues_basis))
        .route("/members/{id}/dues/payments", post(dues_payment))
        .route("/orgs/{id}/dues/payments", post(dues_month_payments).layer(DefaultBodyLimit::max(LIST_BODY)))
        .route("/members/{id}/dues/adjustments", post(dues_adjust))
}

fn when(m: &Meeting) -> String {
    let end = crate::db::china::minute(m.planned_end);
    format!("{} 至 {}", crate::db::china::minute(m.planned_start), end.get(11..).unwrap_or(""))
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    nav: Nav,
    org: Org,
    /// (org name, explanation), at most REMINDERS_SHOWN of each.
    overdue: Vec<(String, String)>,
    upcoming: Vec<(String, String)>,
    /// All of them, when more than shown.
    overdue_total: usize,
    upcoming_total: usize,
    meetings: Vec<(Meeting, String)>,
    can_manage: bool,
    kinds: Vec<(&'static str, &'static str)>,
}

/// A township or county has thousands of reminders: the page shows this many of each and
/// sends the reader to the compliance report for the rest.
const REMINDERS_SHOWN: usize = 20;

async fn meetings_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgLife>(), id).await?;
    let list = meetings::list(&mut conn, &a.scope(), &org, 200).await?;
    let r = compliance::reminders(&s.db, &mut conn, &a.scope(), &org, &s.rules).await?;
    let shown = r.overdue.iter().take(REMINDERS_SHOWN).chain(r.upcoming.iter().take(REMINDERS_SHOWN));
    let names = crate::members::store::org_names(&mut conn, shown.map(|f| f.org_id)).await?;
    let named = |f: &crate::meetings::rules::Finding| (names.get(&f.org_id).cloned().unwrap_or_default(), f.explanation.clone());
    render(&MeetingsPage {
        nav: Nav::of(&a),
        overdue: r.overdue.iter().take(REMINDERS_SHOWN).map(named).collect(),
        upcoming: r.upcoming.iter().take(REMINDERS_SHOWN).map(named).collect(),
        overdue_total: r.overdue.len(),
        upcoming_total: r.upcoming.len(),
        can_manage: a.can(Perm::WriteOrgLife, &org.path),
        meetings: list.into_iter().map(|m| { let w = when(&m); (m, w) }).collect(),
        org,
        kinds: options(MeetingKind::ALL, MeetingKind::code, MeetingKind::label),
    })
}

#[derive(Deserialize)]
struct MeetingForm {
    csrf: String,
    org_id: i64,
    kind: String,
    topic: String,
    place: Option<String>,
    planned_start: String,
    planned_end: Option<String>,
    agenda: Option<String>,
}

async fn meeting_create(State(s): State<AppState>, wa: WebActor, Form(f): Form<MeetingForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = MeetingInput {
        org_id: f.org_id,
        kind: f.kind,
        topic: f.topic,
        place: f.place,
        planned_start: f.planned_start,
        planned_end: f.planned_end,
        host_member_id: None,
        recorder_member_id: None,
        agenda: f.agenda,
    };
    let m = write_tx!(&s.db, |tx| meetings::create(&mut tx, a, &input).await)?;
    Ok(notice_redirect(&format!("/meetings/{}", m.id), "已安排"))
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    nav: Nav,
    m: Meeting,
    when: String,
    attendees: Vec<Attendee>,
    present: usize,
    excused: usize,
    absent: usize,
    amendments: Vec<Amendment>,
    can_manage: bool,
    sign_in_url: String,
    notice: Option<String>,
    statuses: Vec<(&'static str, &'static str)>,
    files: Vec<MeetingFile>,
    theme_day: Option<ThemeDayStatus>,
}

impl MeetingPage {
    fn ticked(&self, item: &str) -> bool {
        self.m.items_done.iter().any(|x| x == item)
    }
}

async fn meeting_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, q: Flash, headers: HeaderMap) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let m = meetings::get_scoped(&mut conn, &a.scope(), id).await?;
    let attendees = meetings::expected(&mut conn, &m).await?;
    let amendments = meetings::amendments(&mut conn, m.id).await?;
    let count = |st: &str| attendees.iter().filter(|x| x.status.as_deref() == Some(st)).count();
    let can_manage = a.can(Perm::WriteOrgLife, &m.org_path);
    let files = meetings::files(&mut conn, m.id).await?;
    let theme_day = super::api_life::theme_day_status(&mut conn, &s.rules.theme_day, &m).await?;
    render(&MeetingPage {
        files,
        theme_day,
        nav: Nav::of(&a),
        when: when(&m),
        present: count("present"),
        excused: count("excused"),
        absent: count("absent"),
        sign_in_url: if can_manage { super::api_life::sign_in_link(&headers, &m.signin_token) } else { String::new() },
        can_manage,
        m,
        attendees,
        amendments,
        notice: q.notice,
        statuses: options(AttendanceStatus::ALL, AttendanceStatus::code, AttendanceStatus::label),
    })
}

async fn meeting_qr(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, headers: HeaderMap) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let m = meetings::get_scoped(&mut conn, &a.scope(), id).await?;
    if !a.can(Perm::WriteOrgLife, &m.org_path) {
        return Err(AppError::forbidden("您的角色无权管理该组织的会议").into());
    }
    let svg = super::api_life::qr_svg(&super::api_life::sign_in_link(&headers, &m.signin_token))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// An A4 poster for the meeting room's door: the meeting, when, how to sign in, the QR code.
async fn meeting_poster(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, headers: HeaderMap) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let m = meetings::get_scoped(&mut conn, &a.scope(), id).await?;
    if !a.can(Perm::WriteOrgLife, &m.org_path) {
        return Err(AppError::forbidden("只有负责组织生活的同志可以打印签到二维码").into());
    }
    let url = super::api_life::sign_in_link(&headers, &m.signin_token);
    let w = when(&m);
    render(&super::ui::Poster {
        nav: Nav::of(&a),
        title: format!("{}签到", m.kind_label),
        org_name: m.org_name.clone(),
        purpose: format!("{}：{}（{}，{}）", m.kind_label, m.topic, w, if m.place.is_empty() { "地点见通知".to_string() } else { m.place.clone() }),
        steps: vec![
            "用手机扫描下方二维码".into(),
            "用本人账号登录（首次登录请向支部书记领取账号）".into(),
            "点“签到”：会议开始前30分钟至结束后30分钟内有效".into(),
        ],
        qr: super::api_life::qr_svg(&url)?,
        url,
        footer: "不能到会的同志请提前向支部书记请假，由书记登记原因。".into(),
    })
}

async fn meeting_attendance(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<Vec<(String, String)>>) -> UiResult<Redirect> {
    let csrf = f.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    wa.check_csrf(csrf)?;
    let a = &wa.0;
    // "All present, then the exceptions": rows left 未登记 count as present.
    let rest_present = f.iter().any(|(k, v)| k == "rest" && v == "present");
    let mut items = Vec::new();
    for (k, v) in &f {
        if let Some(mid) = k.strip_prefix("s_").and_then(|x| x.parse::<i64>().ok()) {
            let v = if v.is_empty() && rest_present { "present".to_string() } else { v.clone() };
            if v.is_empty() {
                continue;
            }
            let reason = f.iter().find(|(rk, _)| *rk == format!("r_{mid}")).map(|(_, r)| r.clone());
            items.push(AttendanceInput { member_id: mid, status: v, reason });
        }
    }
    write_tx!(&s.db, |tx| meetings::record_attendance(&mut tx, a, id, &items).await)?;
    Ok(notice_redirect(&format!("/meetings/{id}"), "出勤已保存"))
}

#[derive(Deserialize)]
struct HoldForm {
    csrf: String,
    held_on: Option<String>,
}

async fn meeting_hold(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<HoldForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let on = match f.held_on.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => Some(crate::members::validate::parse_day(Some(d))?),
        None => None,
    };
    write_tx!(&s.db, |tx| meetings::hold(&mut tx, a, id, on).await)?;
    Ok(notice_redirect(&format!("/meetings/{id}"), "已登记召开"))
}

#[derive(Deserialize)]
struct VoteForm {
    csrf: String,
    matter: String,
}

async fn meeting_vote(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<VoteForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let v = VoteInput { matter: f.matter };
    write_tx!(&s.db, |tx| meetings::vote(&mut tx, a, id, &v).await)?;
    Ok(notice_redirect(&format!("/meetings/{id}"), "表决已记录"))
}

#[derive(Deserialize)]
struct CloseForm {
    csrf: String,
    minutes: String,
}

async fn meeting_close(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<CloseForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let c = CloseInput { minutes: f.minutes };
    write_tx!(&s.db, |tx| meetings::close(&mut tx, a, &s.rules.theme_day, id, &c).await)?;
    Ok(notice_redirect(&format!("/meetings/{id}"), "已归档"))
}

#[derive(Deserialize)]
struct AmendForm {
    csrf: String,
    field: String,
    value: String,
    reason: String,
}

async fn meeting_amend(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<AmendForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = meetings::AmendmentInput { field: f.field, value: f.value, reason: f.reason };
    write_tx!(&s.db, |tx| meetings::amend(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/meetings/{id}"), "更正已保存，原文保留"))
}

async fn meeting_items(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<Vec<(String, String)>>) -> UiResult<Redirect> {
    let csrf = f.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    wa.check_csrf(csrf)?;
    let a = &wa.0;
    let items: Vec<String> = f.iter().filter(|(k, _)| k == "item").map(|(_, v)| v.clone()).collect();
    write_tx!(&s.db, |tx| meetings::set_items(&mut tx, a, &s.rules.theme_day, id, &items).await)?;
    Ok(notice_redirect(&format!("/meetings/{id}"), "活动内容已保存"))
}

async fn meeting_file_upload(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, mp: axum::extract::Multipart) -> UiResult<Redirect> {
    let form = super::boundary::upload_form(mp).await?;
    wa.check_csrf(form.field("csrf"))?;
    let (name, bytes) = form.file("请选择要上传的照片或文件")?;
    let a = &wa.0;
    write_tx!(&s.db, |tx| meetings::add_file(&mut tx, a, id, &name, &bytes).await)?;
    Ok(notice_redirect(&format!("/meetings/{id}"), "已上传"))
}

async fn meeting_file(State(s): State<AppState>, WebActor(a): WebActor, Path((id, file_id)): Path<(i64, i64)>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let (f, data) = meetings::file(&mut conn, &a.scope(), id, file_id).await?;
    Ok(super::api_life::file_response(&f, data))
}

#[derive(Template)]
#[template(path = "theme_day.html")]
struct ChecklistPage {
    nav: Nav,
    org: Org,
    c: EffectiveChecklist,
    can_write: bool,
    notice: Option<String>,
}

async fn checklist_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, q: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let c = meetings::checklist_for(&mut conn, &s.rules.theme_day, &org.path).await?;
    render(&ChecklistPage { nav: Nav::of(&a), can_write: a.can(Perm::WriteOrgs, &org.path), org, c, notice: q.notice })
}

#[derive(Deserialize)]
struct ChecklistForm {
    csrf: String,
    name: String,
    required: String,
    optional: String,
    min_optional: String,
}

async fn checklist_save(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ChecklistForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let min_optional = f.min_optional.trim().parse::<u32>().map_err(|_| AppError::invalid_field("min_optional_invalid", "min_optional", "自选动作至少完成的项数应为整数"))?;
    let c = Checklist {
        name: f.name,
        required: crate::meetings::theme_day::split(&f.required),
        optional: crate::meetings::theme_day::split(&f.optional),
        min_optional,
    };
    write_tx!(&s.db, |tx| meetings::set_checklist(&mut tx, a, id, c.clone()).await)?;
    Ok(notice_redirect(&format!("/orgs/{id}/theme-day"), "主题党日清单已保存，适用于本组织及全部下级"))
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    nav: Nav,
    token: String,
    topic: String,
    org_name: String,
    when: String,
    notice: Option<String>,
    error: Option<String>,
}

/// The page the door QR code opens; the member is already logged in (or sent to log in first).
async fn sign_in_page(State(s): State<AppState>, WebActor(a): WebActor, Path(token): Path<String>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM meetings WHERE signin_token = $1").bind(&token).fetch_optional(&mut *conn).await?;
    let id = id.ok_or(AppError::NotFound)?;
    // Only the topic and time are shown: the token proves the member was at the door.
    let row = sqlx::query("SELECT m.topic, o.name, m.planned_start, m.planned_end FROM meetings m JOIN orgs o ON o.id = m.org_id WHERE m.id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    use sqlx::Row;
    let when = crate::db::china::minute(row.try_get("planned_start")?);
    render(&SignInPage { nav: Nav::of(&a), token, topic: row.try_get("topic")?, org_name: row.try_get("name")?, when, notice: None, error: None })
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn sign_in_submit(State(s): State<AppState>, wa: WebActor, Path(token): Path<String>, Form(f): Form<CsrfOnly>) -> UiResult<Response> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let result = write_tx!(&s.db, |tx| meetings::sign_in(&mut tx, a, &token).await);
    let (notice, error, m) = match result {
        Ok(m) => (Some("签到成功".to_string()), None, Some(m)),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => (None, Some(e.message()), None),
        Err(e) => return Err(e.into()),
    };
    let (topic, org_name, w) = match &m {
        Some(m) => (m.topic.clone(), m.org_name.clone(), when(m)),
        None => (String::new(), String::new(), String::new()),
    };
    render(&SignInPage { nav: Nav::of(a), token, topic, org_name, when: w, notice, error })
}

#[derive(Deserialize)]
struct RangeForm {
    from: Option<String>,
    to: Option<String>,
    /// Child orgs: "rate" (lowest share first, the default) or "tree" (their order in the tree).
    sort: Option<String>,
    /// Only child orgs with a miss.
    missing: Option<String>,
}

#[derive(Template)]
#[template(path = "compliance.html")]
struct CompliancePage {
    nav: Nav,
    org: Org,
    from: String,
    to: String,
    r: ComplianceReport,
    sort: String,
    missing: bool,
}

async fn compliance_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<RangeForm>) -> UiResult<Response> {
    let (from, to) = range_or_year(&q)?;
    let db = s.db.reader().await;
    let mut conn = db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgLife>(), id).await?;
    let mut r = compliance::report(&db, &mut conn, &a.scope(), &org, &s.rules, from, to, true).await?;
    let sort = if q.sort.as_deref() == Some("tree") { "tree" } else { "rate" };
    if sort == "rate" {
        r.children.sort_by_key(|c| (c.compliant_bp, std::cmp::Reverse(c.missed)));
    }
    let missing = q.missing.as_deref() == Some("1");
    if missing {
        r.children.retain(|c| c.orgs_with_misses > 0);
    }
    render(&CompliancePage { nav: Nav::of(&a), org, from: from.to_string(), to: to.to_string(), r, sort: sort.into(), missing })
}

#[derive(Deserialize)]
struct MonthForm {
    month: Option<String>,
    /// The flash message, never from the URL.
    #[serde(skip)]
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "dues.html")]
struct OrgDuesPage {
    nav: Nav,
    org: Org,
    d: OrgDues,
    owed: String,
    paid: String,
    arrears: String,
    rows: Vec<(MemberDues, String, String, String)>,
    /// Members still owing this month, with the amount prefilled (yuan): the one-form month.
    owing: Vec<(i64, String, String)>,
    can_write: bool,
    today: String,
    notice: Option<String>,
}

async fn org_dues_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, flash: Flash, Query(q): Query<MonthForm>) -> UiResult<Response> {
    let month = super::api_life::month_or_now(q.month.as_deref())?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadDues>(), id).await?;
    let d = dues::for_org(&mut conn, &a.scope(), &s.rules.dues, &org, month).await?;
    let rows = d.members.iter().map(|m| (m.clone(), fmt_yuan(m.owed_fen), fmt_yuan(m.paid_fen), fmt_yuan(m.arrears_fen))).collect();
    let owing = d.members.iter().filter(|m| m.owed_fen > m.paid_fen).map(|m| (m.member_id, m.name.clone(), fmt_yuan(m.owed_fen - m.paid_fen))).collect();
    render(&OrgDuesPage {
        nav: Nav::of(&a),
        owed: fmt_yuan(d.owed_fen),
        paid: fmt_yuan(d.paid_fen),
        arrears: fmt_yuan(d.arrears_fen),
        can_write: a.can(Perm::WriteDues, &org.path),
        today: crate::db::today().to_string(),
        notice: flash.notice,
        owing,
        org,
        d,
        rows,
    })
}

#[derive(Template)]
#[template(path = "member_dues.html")]
struct MemberDuesPage {
    nav: Nav,
    d: MemberDues,
    owed: String,
    paid: String,
    arrears: String,
    can_manage: bool,
    notice: Option<String>,
    categories: Vec<(&'static str, &'static str)>,
}

async fn member_dues_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, flash: Flash, Query(mut q): Query<MonthForm>) -> UiResult<Response> {
    q.notice = flash.notice;
    let month = super::api_life::month_or_now(q.month.as_deref())?;
    let mut conn = s.db.pool.acquire().await?;
    let d = dues::for_member(&mut conn, &a.scope(), &s.rules.dues, id, month).await?;
    let m = crate::members::store::get_scoped(&mut conn, &a.scope::<cap::ReadDues>(), id).await?;
    render(&MemberDuesPage {
        nav: Nav::of(&a),
        owed: fmt_yuan(d.owed_fen),
        paid: fmt_yuan(d.paid_fen),
        arrears: fmt_yuan(d.arrears_fen),
        can_manage: a.can(Perm::WriteDues, &m.org_path),
        d,
        notice: q.notice,
        categories: options(DuesCategory::ALL, DuesCategory::code, DuesCategory::label),
    })
}

fn yuan_field(v: &Option<String>, field: &'static str) -> Result<Option<i64>, AppError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_yuan(s)
            .map(Some)
            .ok_or_else(|| AppError::invalid_field("amount_invalid", field, format!("金额“{s}”无法识别，请写成 4000.00（最多两位小数）"))),
    }
}

#[derive(Deserialize)]
struct BasisForm {
    csrf: String,
    from_month: String,
    category: String,
    base_yuan: Option<String>,
    fixed_yuan: Option<String>,
}

async fn dues_basis(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<BasisForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = BasisInput { from_month: f.from_month.clone(), category: f.category, base_fen: yuan_field(&f.base_yuan, "base_fen")?, fixed_fen: yuan_field(&f.fixed_yuan, "fixed_fen")? };
    let rules = s.rules.dues.clone();
    write_tx!(&s.db, |tx| dues::set_basis(&mut tx, a, &rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/members/{id}/dues?month={}", f.from_month), "交纳基数已核定"))
}

#[derive(Deserialize)]
struct PaymentForm {
    csrf: String,
    month: String,
    amount_yuan: String,
    method: String,
    receipt_no: Option<String>,
    paid_on: Option<String>,
    note: Option<String>,
}

/// A branch's month in one form: every checked member's payment, written together or not at all.
async fn dues_month_payments(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<Vec<(String, String)>>) -> UiResult<Redirect> {
    let get = |k: &str| f.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    wa.check_csrf(&get("csrf").unwrap_or_default())?;
    let a = &wa.0;
    let month = get("month").unwrap_or_default();
    let method = get("method").unwrap_or_else(|| "cash".into());
    let paid_on = get("paid_on").filter(|d| !d.trim().is_empty());
    let mut batch: Vec<(i64, String, i64)> = Vec::new();
    for (k, _) in f.iter().filter(|(k, v)| k.starts_with("on_") && v == "1") {
        let Some(mid) = k.strip_prefix("on_").and_then(|x| x.parse::<i64>().ok()) else { continue };
        let name = get(&format!("n_{mid}")).unwrap_or_default();
        let raw = get(&format!("a_{mid}")).unwrap_or_default();
        let amount = parse_yuan(raw.trim())
            .filter(|a| *a > 0)
            .ok_or_else(|| AppError::invalid_field("amount_invalid", "amount_fen", format!("{name}的金额“{raw}”无法识别，请写成 40.00；未登记任何一笔")))?;
        batch.push((mid, name, amount));
    }
    if batch.is_empty() {
        return Err(AppError::invalid("nothing_selected", "没有勾选任何党员：请勾选已交纳的党员后再登记").into());
    }
    let n = batch.len();
    write_tx!(&s.db, |tx| {
        for (mid, name, amount) in &batch {
            let p = PaymentInput { month: month.clone(), amount_fen: *amount, method: method.clone(), receipt_no: None, paid_on: paid_on.clone(), note: None };
            dues::record_payment(&mut tx, a, *mid, &p).await.map_err(|e| match e {
                AppError::Invalid { code, field, message } => AppError::Invalid { code, field, message: format!("{name}：{message}；本批均未登记") },
                other => other,
            })?;
        }
        Ok::<(), AppError>(())
    })?;
    Ok(notice_redirect(&format!("/orgs/{id}/dues?month={month}"), &format!("已登记 {n} 名党员 {month} 的党费")))
}

async fn dues_payment(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<PaymentForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let raw = f.amount_yuan.trim();
    let (neg, digits) = match raw.strip_prefix('-') { Some(d) => (true, d), None => (false, raw) };
    let amount = parse_yuan(digits).ok_or_else(|| AppError::invalid_field("amount_invalid", "amount_fen", format!("金额“{raw}”无法识别，请写成 40.00")))?;
    let p = PaymentInput {
        month: f.month.clone(),
        amount_fen: if neg { -amount } else { amount },
        method: f.method,
        receipt_no: f.receipt_no,
        paid_on: f.paid_on,
        note: f.note,
    };
    write_tx!(&s.db, |tx| dues::record_payment(&mut tx, a, id, &p).await)?;
    Ok(notice_redirect(&format!("/members/{id}/dues?month={}", f.month), "交纳已登记"))
}

#[derive(Deserialize)]
struct AdjustForm {
    csrf: String,
    kind: String,
    amount_yuan: Option<String>,
    from_month: String,
    to_month: Option<String>,
    reason: String,
    approved_by: String,
}

async fn dues_adjust(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<AdjustForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = AdjustmentInput {
        kind: f.kind,
        amount_fen: yuan_field(&f.amount_yuan, "amount_fen")?,
        reason: f.reason,
        approved_by: f.approved_by,
        from_month: f.from_month.clone(),
        to_month: f.to_month,
    };
    write_tx!(&s.db, |tx| dues::add_adjustment(&mut tx, a, id, &input).await)?;
    Ok(notice_redirect(&format!("/members/{id}/dues?month={}", f.from_month), "已保存"))
}

fn range_or_year(q: &RangeForm) -> Result<(chrono::NaiveDate, chrono::NaiveDate), AppError> {
    use chrono::Datelike;
    let today = crate::db::today();
    let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
        Some(f) => crate::members::validate::parse_day(Some(f))?,
        None => chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
    };
    let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
        Some(t) => crate::members::validate::parse_day(Some(t))?,
        None => today,
    };
    Ok((from, to))
}

async fn meetings_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<RangeForm>) -> UiResult<Response> {
    let (from, to) = range_or_year(&q)?;
    let db = s.db.reader().await;
    let mut conn = db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgLife>(), id).await?;
    let bytes = crate::meetings::ledger::meetings_xlsx(&mut conn, &a.scope(), &org, from, to).await?;
    Ok(super::api::xlsx_response(&format!("{}会议台账.xlsx", org.name), bytes).into_response())
}

async fn compliance_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<RangeForm>) -> UiResult<Response> {
    let (from, to) = range_or_year(&q)?;
    let db = s.db.reader().await;
    let mut conn = db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgLife>(), id).await?;
    let report = compliance::report(&db, &mut conn, &a.scope(), &org, &s.rules, from, to, true).await?;
    let bytes = crate::meetings::ledger::compliance_xlsx(&org, &report)?;
    Ok(super::api::xlsx_response(&format!("{}三会一课落实情况.xlsx", org.name), bytes).into_response())
}

async fn dues_xlsx(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<MonthForm>) -> UiResult<Response> {
    let month = super::api_life::month_or_now(q.month.as_deref())?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadDues>(), id).await?;
    let d = dues::for_org(&mut conn, &a.scope(), &s.rules.dues, &org, month).await?;
    let bytes = dues::org_dues_xlsx(&org, &d)?;
    Ok(super::api::xlsx_response(&format!("{}党费台账{}.xlsx", org.name, d.month), bytes).into_response())
}
