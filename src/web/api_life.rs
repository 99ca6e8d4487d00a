//! JSON API for organizational life: meetings, sign-in, compliance, dues.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::api::ErrorResponse;
use super::session::ApiActor;
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::dues::store::{self as dues, AdjustmentInput, BasisInput, MemberDues, OrgDues, PaymentInput};
use crate::error::{AppError, AppResult};
use crate::meetings::compliance::{self, ComplianceReport, Reminders};
use crate::meetings::store::{self as meetings, Amendment, AmendmentInput, AttendanceInput, Attendee, CloseInput, EffectiveChecklist, Meeting, MeetingFile, MeetingInput, VoteInput};
use crate::meetings::theme_day::{Checklist, Verdict};
use crate::orgs::store as orgs;
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/meetings", post(create_meeting))
        .route("/api/v1/orgs/{id}/meetings", get(list_meetings))
        .route("/api/v1/meetings/{id}", get(get_meeting))
        .route("/api/v1/meetings/{id}/attendance", post(record_attendance).layer(axum::extract::DefaultBodyLimit::max(super::boundary::LIST_BODY)))
        .route("/api/v1/meetings/{id}/hold", post(hold_meeting))
        .route("/api/v1/meetings/{id}/vote", post(vote))
        .route("/api/v1/meetings/{id}/close", post(close_meeting))
        .route("/api/v1/meetings/{id}/amendments", post(amend_meeting))
        .route("/api/v1/meetings/{id}/qr.svg", get(meeting_qr))
        .route("/api/v1/meetings/{id}/items", axum::routing::put(set_items))
        .route("/api/v1/meetings/{id}/files", post(add_file).layer(axum::extract::DefaultBodyLimit::max(super::boundary::MEETING_FILE_BODY)))
        .route("/api/v1/meetings/{id}/files/{file_id}", get(get_file))
        .route("/api/v1/orgs/{id}/theme-day-checklist", get(get_checklist).put(put_checklist))
        .route("/api/v1/sign-in/{token}", post(sign_in))
        .route("/api/v1/orgs/{id}/compliance", get(org_compliance))
        .route("/api/v1/orgs/{id}/reminders", get(org_reminders))
        .route("/api/v1/members/{id}/dues", get(member_dues))
        .route("/api/v1/members/{id}/dues/basis", post(set_basis))
        .route("/api/v1/members/{id}/dues/adjustments", post(add_adjustment))
        .route("/api/v1/members/{id}/dues/payments", post(record_payment))
        .route("/api/v1/orgs/{id}/dues", get(org_dues))
        .route("/api/v1/orgs/{id}/meetings.xlsx", get(meetings_xlsx))
        .route("/api/v1/orgs/{id}/compliance.xlsx", get(compliance_xlsx))
        .route("/api/v1/orgs/{id}/dues.xlsx", get(dues_xlsx))
}

#[derive(OpenApi)]
#[openapi(
    paths(create_meeting, list_meetings, get_meeting, record_attendance, hold_meeting, vote, close_meeting, amend_meeting,
          set_items, add_file, get_file, get_checklist, put_checklist,
          meeting_qr, sign_in, org_compliance, org_reminders, member_dues, set_basis, add_adjustment, record_payment, org_dues, meetings_xlsx, compliance_xlsx, dues_xlsx),
    components(schemas(Meeting, MeetingInput, MeetingDetail, MeetingFile, Checklist, EffectiveChecklist, Verdict, ItemsInput, ThemeDayStatus, Attendee, AttendanceInput, HoldInput, VoteInput, CloseInput,
          AmendmentInput, Amendment, ComplianceReport, Reminders, MemberDues, OrgDues, BasisInput, AdjustmentInput, PaymentInput, Created))
)]
pub struct LifeApiDoc;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
}

#[utoipa::path(post, path = "/api/v1/meetings", request_body = MeetingInput, responses((status = 201, body = Meeting), (status = 422, body = ErrorResponse)))]
async fn create_meeting(State(s): State<AppState>, ApiActor(a): ApiActor, Json(body): Json<MeetingInput>) -> AppResult<(StatusCode, Json<Meeting>)> {
    let m = write_tx!(&s.db, |tx| meetings::create(&mut tx, &a, &body).await)?;
    Ok((StatusCode::CREATED, Json(m)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/meetings", responses((status = 200, body = Vec<Meeting>)))]
async fn list_meetings(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Vec<Meeting>>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgLife>(), id).await?;
    Ok(Json(meetings::list(&mut conn, &a.scope(), &org, 200).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeetingDetail {
    pub meeting: Meeting,
    pub attendees: Vec<Attendee>,
    pub amendments: Vec<Amendment>,
    /// The sign-in page the QR code opens.
    pub sign_in_url: String,
    pub files: Vec<MeetingFile>,
    /// For a 主题党日: the checklist that applies and how the ticked items measure up.
    pub theme_day: Option<ThemeDayStatus>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ThemeDayStatus {
    pub checklist: EffectiveChecklist,
    pub verdict: Verdict,
}

pub async fn theme_day_status(conn: &mut crate::db::Conn, default: &Checklist, m: &Meeting) -> AppResult<Option<ThemeDayStatus>> {
    if m.kind() != crate::meetings::rules::MeetingKind::ThemeDay {
        return Ok(None);
    }
    let checklist = meetings::checklist_for(conn, default, &m.org_path).await?;
    let verdict = checklist.checklist.check(&m.items_done);
    Ok(Some(ThemeDayStatus { checklist, verdict }))
}

#[utoipa::path(get, path = "/api/v1/meetings/{id}", responses((status = 200, body = MeetingDetail), (status = 404, body = ErrorResponse)))]
async fn get_meeting(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<MeetingDetail>> {
    let mut conn = s.db.pool.acquire().await?;
    let m = meetings::get_scoped(&mut conn, &a.scope(), id).await?;
    let attendees = meetings::expected(&mut conn, &m).await?;
    let amendments = meetings::amendments(&mut conn, m.id).await?;
    let sign_in_url = if a.can(Perm::WriteOrgLife, &m.org_path) { format!("/sign-in/{}", m.signin_token) } else { String::new() };
    let files = meetings::files(&mut conn, m.id).await?;
    let theme_day = theme_day_status(&mut conn, &s.rules.theme_day, &m).await?;
    Ok(Json(MeetingDetail { meeting: m, attendees, amendments, sign_in_url, files, theme_day }))
}

#[utoipa::path(post, path = "/api/v1/meetings/{id}/attendance", request_body = Vec<AttendanceInput>, responses((status = 200, body = Vec<Attendee>)))]
async fn record_attendance(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<Vec<AttendanceInput>>) -> AppResult<Json<Vec<Attendee>>> {
    Ok(Json(write_tx!(&s.db, |tx| meetings::record_attendance(&mut tx, &a, id, &body).await)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct HoldInput {
    /// YYYY-MM-DD; defaults to the planned day.
    pub held_on: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/meetings/{id}/hold", request_body = HoldInput, responses((status = 200, body = Meeting)))]
async fn hold_meeting(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<HoldInput>) -> AppResult<Json<Meeting>> {
    let on = match body.held_on.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => Some(crate::members::validate::parse_day(Some(d))?),
        None => None,
    };
    Ok(Json(write_tx!(&s.db, |tx| meetings::hold(&mut tx, &a, id, on).await)?))
}

#[utoipa::path(post, path = "/api/v1/meetings/{id}/vote", request_body = VoteInput, responses((status = 200, body = Meeting), (status = 422, body = ErrorResponse)))]
async fn vote(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<VoteInput>) -> AppResult<Json<Meeting>> {
    Ok(Json(write_tx!(&s.db, |tx| meetings::vote(&mut tx, &a, id, &body).await)?))
}

#[utoipa::path(post, path = "/api/v1/meetings/{id}/close", request_body = CloseInput, responses((status = 200, body = Meeting)))]
async fn close_meeting(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<CloseInput>) -> AppResult<Json<Meeting>> {
    Ok(Json(write_tx!(&s.db, |tx| meetings::close(&mut tx, &a, &s.rules.theme_day, id, &body).await)?))
}

#[utoipa::path(post, path = "/api/v1/meetings/{id}/amendments", request_body = AmendmentInput, responses((status = 201, body = Amendment)))]
async fn amend_meeting(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<AmendmentInput>) -> AppResult<(StatusCode, Json<Amendment>)> {
    Ok((StatusCode::CREATED, Json(write_tx!(&s.db, |tx| meetings::amend(&mut tx, &a, id, &body).await)?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ItemsInput {
    /// The 主题党日 items done, by name, from the org's checklist.
    pub items: Vec<String>,
}

/// Ticks the 主题党日 items done (replaces the previous list).
#[utoipa::path(put, path = "/api/v1/meetings/{id}/items", request_body = ItemsInput, responses((status = 200, body = ThemeDayStatus), (status = 422, body = ErrorResponse)))]
async fn set_items(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<ItemsInput>) -> AppResult<Json<ThemeDayStatus>> {
    let m = write_tx!(&s.db, |tx| meetings::set_items(&mut tx, &a, &s.rules.theme_day, id, &body.items).await)?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(theme_day_status(&mut conn, &s.rules.theme_day, &m).await?.ok_or(AppError::NotFound)?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FileQuery {
    /// The file's name (its extension matters for docx/xlsx/pptx).
    pub filename: String,
}

/// Body: the raw photo (JPG, PNG) or file (PDF, docx, xlsx, pptx), at most 10 MB.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/files", params(FileQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = MeetingFile), (status = 422, body = ErrorResponse)))]
async fn add_file(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<FileQuery>, body: axum::body::Bytes) -> AppResult<(StatusCode, Json<MeetingFile>)> {
    let f = write_tx!(&s.db, |tx| meetings::add_file(&mut tx, &a, id, &q.filename, &body).await)?;
    Ok((StatusCode::CREATED, Json(f)))
}

#[utoipa::path(get, path = "/api/v1/meetings/{id}/files/{file_id}", responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorResponse)))]
async fn get_file(State(s): State<AppState>, ApiActor(a): ApiActor, Path((id, file_id)): Path<(i64, i64)>) -> AppResult<axum::response::Response> {
    let mut conn = s.db.pool.acquire().await?;
    let (f, data) = meetings::file(&mut conn, &a.scope(), id, file_id).await?;
    Ok(file_response(&f, data))
}

/// Images inline, everything else as a download; the browser never guesses the type.
pub fn file_response(f: &MeetingFile, data: Vec<u8>) -> axum::response::Response {
    let disposition = if f.is_image() { "inline" } else { "attachment" };
    let encoded: String = f.name.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    (
        [
            (header::CONTENT_TYPE, f.content_type.clone()),
            (header::CONTENT_DISPOSITION, format!("{disposition}; filename*=UTF-8''{encoded}")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        data,
    )
        .into_response()
}

/// The 主题党日 checklist that applies at an org (its own, an ancestor's, or the default).
#[utoipa::path(get, path = "/api/v1/orgs/{id}/theme-day-checklist", responses((status = 200, body = EffectiveChecklist)))]
async fn get_checklist(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<EffectiveChecklist>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    Ok(Json(meetings::checklist_for(&mut conn, &s.rules.theme_day, &org.path).await?))
}

/// Sets the checklist for an org's subtree (a county's "6+" or "3+2").
#[utoipa::path(put, path = "/api/v1/orgs/{id}/theme-day-checklist", request_body = Checklist, responses((status = 200, body = EffectiveChecklist), (status = 422, body = ErrorResponse)))]
async fn put_checklist(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<Checklist>) -> AppResult<Json<EffectiveChecklist>> {
    Ok(Json(write_tx!(&s.db, |tx| meetings::set_checklist(&mut tx, &a, id, body.clone()).await)?))
}

/// The door QR code (SVG) that opens the sign-in page; for those who manage the meeting.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/qr.svg", responses((status = 200, content_type = "image/svg+xml")))]
async fn meeting_qr(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, headers: axum::http::HeaderMap) -> AppResult<impl IntoResponse> {
    let mut conn = s.db.pool.acquire().await?;
    let m = meetings::get_scoped(&mut conn, &a.scope(), id).await?;
    if !a.can(Perm::WriteOrgLife, &m.org_path) {
        return Err(AppError::forbidden("您的角色无权管理该组织的会议"));
    }
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], qr_svg(&sign_in_link(&headers, &m.signin_token))?))
}

/// The absolute sign-in link, from the Host the request came to.
pub fn sign_in_link(headers: &axum::http::HeaderMap, token: &str) -> String {
    format!("{}/sign-in/{token}", base_url(headers))
}

/// The address people reached this server by (its Host header), for links printed as QR codes.
/// Set at start when users reach the server over HTTPS (`--secure-cookies`): links printed on
/// QR posters must then say https.
pub static HTTPS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The site's address as the request reached it: https behind a TLS proxy (configured, or said
/// by X-Forwarded-Proto), else http.
pub fn base_url(headers: &axum::http::HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:8080");
    let forwarded_https = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let scheme = if forwarded_https || HTTPS.load(std::sync::atomic::Ordering::Relaxed) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

pub fn qr_svg(text: &str) -> AppResult<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| AppError::Internal(anyhow::anyhow!("qr: {e}")))?;
    Ok(code.render::<qrcode::render::svg::Color>().min_dimensions(240, 240).build())
}

#[utoipa::path(post, path = "/api/v1/sign-in/{token}", responses((status = 200, body = Meeting), (status = 422, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn sign_in(State(s): State<AppState>, ApiActor(a): ApiActor, Path(token): Path<String>) -> AppResult<Json<Meeting>> {
    Ok(Json(write_tx!(&s.db, |tx| meetings::sign_in(&mut tx, &a, &token).await)?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RangeQuery {
    /// YYYY-MM-DD
    pub from: String,
    /// YYYY-MM-DD
    pub to: String,
    /// Only orgs and findings that missed something.
    pub only_missed: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/compliance", params(RangeQuery), responses((status = 200, body = ComplianceReport)))]
async fn org_compliance(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<RangeQuery>) -> AppResult<Json<ComplianceReport>> {
    let from = crate::members::validate::parse_day(Some(&q.from))?;
    let to = crate::members::validate::parse_day(Some(&q.to))?;
    let db = s.db.reader().await;
    let mut conn = db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgLife>(), id).await?;
    Ok(Json(compliance::report(&db, &mut conn, &a.scope(), &org, &s.rules, from, to, q.only_missed.unwrap_or(false)).await?))
}

/// Upcoming and overdue required meetings this year, for the org and its groups.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/reminders", responses((status = 200, body = Reminders)))]
async fn org_reminders(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>) -> AppResult<Json<Reminders>> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgLife>(), id).await?;
    Ok(Json(compliance::reminders(&s.db, &mut conn, &a.scope(), &org, &s.rules).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MonthQuery {
    /// YYYY-MM; defaults to this month.
    pub month: Option<String>,
}

pub fn month_or_now(m: Option<&str>) -> AppResult<crate::dues::rules::YearMonth> {
    match m.filter(|s| !s.trim().is_empty()) {
        Some(m) => dues::parse_month(m, "month"),
        None => Ok(crate::dues::rules::YearMonth::of(crate::db::today())),
    }
}

/// What a member owes for a month, the bracket, the rule, and arrears.
#[utoipa::path(get, path = "/api/v1/members/{id}/dues", params(MonthQuery), responses((status = 200, body = MemberDues)))]
async fn member_dues(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<MonthQuery>) -> AppResult<Json<MemberDues>> {
    let month = month_or_now(q.month.as_deref())?;
    let mut conn = s.db.pool.acquire().await?;
    Ok(Json(dues::for_member(&mut conn, &a.scope(), &s.rules.dues, id, month).await?))
}

#[utoipa::path(post, path = "/api/v1/members/{id}/dues/basis", request_body = BasisInput, responses((status = 200)))]
async fn set_basis(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<BasisInput>) -> AppResult<Json<serde_json::Value>> {
    let rules = s.rules.dues.clone();
    let check = write_tx!(&s.db, |tx| dues::set_basis(&mut tx, &a, &rules, id, &body).await)?;
    Ok(Json(serde_json::to_value(check).unwrap_or_default()))
}

#[utoipa::path(post, path = "/api/v1/members/{id}/dues/adjustments", request_body = AdjustmentInput, responses((status = 204)))]
async fn add_adjustment(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<AdjustmentInput>) -> AppResult<StatusCode> {
    write_tx!(&s.db, |tx| dues::add_adjustment(&mut tx, &a, id, &body).await)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/members/{id}/dues/payments", request_body = PaymentInput, responses((status = 201, body = Created)))]
async fn record_payment(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Json(body): Json<PaymentInput>) -> AppResult<(StatusCode, Json<Created>)> {
    let pid = write_tx!(&s.db, |tx| dues::record_payment(&mut tx, &a, id, &body).await)?;
    Ok((StatusCode::CREATED, Json(Created { id: pid })))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/dues", params(MonthQuery), responses((status = 200, body = OrgDues)))]
async fn org_dues(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<MonthQuery>) -> AppResult<Json<OrgDues>> {
    let month = month_or_now(q.month.as_deref())?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadDues>(), id).await?;
    Ok(Json(dues::for_org(&mut conn, &a.scope(), &s.rules.dues, &org, month).await?))
}

/// The meeting ledger (会议台账) of a subtree and period.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/meetings.xlsx", params(RangeQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn meetings_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<RangeQuery>) -> AppResult<impl IntoResponse> {
    let from = crate::members::validate::parse_day(Some(&q.from))?;
    let to = crate::members::validate::parse_day(Some(&q.to))?;
    let db = s.db.reader().await;
    let mut conn = db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgLife>(), id).await?;
    let bytes = crate::meetings::ledger::meetings_xlsx(&mut conn, &a.scope(), &org, from, to).await?;
    Ok(super::api::xlsx_response(&format!("{}会议台账.xlsx", org.name), bytes))
}

/// The missed requirements of a subtree and period.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/compliance.xlsx", params(RangeQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn compliance_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<RangeQuery>) -> AppResult<impl IntoResponse> {
    let from = crate::members::validate::parse_day(Some(&q.from))?;
    let to = crate::members::validate::parse_day(Some(&q.to))?;
    let db = s.db.reader().await;
    let mut conn = db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgLife>(), id).await?;
    let report = compliance::report(&db, &mut conn, &a.scope(), &org, &s.rules, from, to, true).await?;
    let bytes = crate::meetings::ledger::compliance_xlsx(&org, &report)?;
    Ok(super::api::xlsx_response(&format!("{}三会一课落实情况.xlsx", org.name), bytes))
}

/// The dues sheet of a subtree for a month.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/dues.xlsx", params(MonthQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn dues_xlsx(State(s): State<AppState>, ApiActor(a): ApiActor, Path(id): Path<i64>, Query(q): Query<MonthQuery>) -> AppResult<impl IntoResponse> {
    let month = month_or_now(q.month.as_deref())?;
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadDues>(), id).await?;
    let d = dues::for_org(&mut conn, &a.scope(), &s.rules.dues, &org, month).await?;
    let bytes = dues::org_dues_xlsx(&org, &d)?;
    Ok(super::api::xlsx_response(&format!("{}党费台账{}.xlsx", org.name, d.month), bytes))
}
