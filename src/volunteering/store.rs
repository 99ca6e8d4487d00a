//! Volunteering in the database. An activity belongs to an org (a community, a village, a
//! branch) and is organized by whoever holds `WriteVolunteering` there. Members sign themselves
//! up when the activity is open to them (an org above their branch, or the community they
//! reported to, 双报到); the organizer signs up members and residents. A sign-up takes a slot
//! by a conditional update, so slots hold under any queue. The door QR checks a member in and
//! then out; the organizer checks residents by hand. Confirming the activity fixes each
//! volunteer's minutes: members' points derive from them (points::members), and a resident's
//! household is credited from its village's issuing account in the same transaction. A change of
//! confirmed minutes is kept as history and corrects the household's points with a reversing
//! transfer and a new one.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, Scan, SeasonOf};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{china, now_secs, path, Conn, Row, Sql};
use crate::error::{is_unique_violation, AppError, AppResult};
use crate::members::validate::short_text;
use crate::orgs::model::Org;
use crate::points::ledger::{self, Owner, TransferInfo, TransferKind};

/// A list holds at most this many activities.
pub const MAX_LIST: i64 = 500;
/// The 双报到 board holds at most this many members.
pub const MAX_BOARD: i64 = 2_000;

crate::code_enum!(
    /// Where an activity stands.
    ActivityState {
        Open = ("open", "招募中"),
        Confirmed = ("confirmed", "时长已确认"),
        Cancelled = ("cancelled", "已取消"),
    }
);

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ActivityView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub title: String,
    pub category: String,
    pub place: String,
    /// YYYY-MM-DD
    pub day: String,
    /// "2026-03-05 09:00"
    pub starts: String,
    pub ends: String,
    pub slots: i64,
    /// Live sign-ups.
    pub signed: i64,
    /// Name and phone of the organizer.
    pub organizer: String,
    pub note: String,
    /// open, confirmed, cancelled
    pub state: String,
    pub state_label: String,
    /// The “四季” season it falls in (2026年秋季).
    pub season: String,
    pub cancel_reason: Option<String>,
    /// Confirmed minutes of all volunteers.
    pub minutes: i64,
    #[serde(skip)]
    pub org_path: String,
    #[serde(skip)]
    pub starts_at: i64,
    #[serde(skip)]
    pub ends_at: i64,
    #[serde(skip)]
    pub token: String,
}

impl audit::InOrg for ActivityView {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

impl ActivityView {
    pub fn state(&self) -> ActivityState {
        ActivityState::parse(&self.state).unwrap_or(ActivityState::Open)
    }
    pub fn ended(&self, now: i64) -> bool {
        now >= self.ends_at
    }
}

const COLS: &str = "a.id, a.org_id, o.name AS org_name, a.org_path, a.title, a.category, a.place, a.day, a.starts_at, a.ends_at, a.slots, a.signed, \
    a.organizer, a.note, a.state, a.cancel_reason, a.checkin_token, \
    (SELECT CAST(COALESCE(SUM(s.minutes), 0) AS BIGINT) FROM vol_signups s WHERE s.activity_id = a.id AND s.state = 'signed') AS minutes";
const FROM: &str = "FROM vol_activities a JOIN orgs o ON o.id = a.org_id";

fn from_row(r: &Row) -> AppResult<ActivityView> {
    let state: String = r.try_get("state")?;
    let day: String = r.try_get("day")?;
    let (starts_at, ends_at): (i64, i64) = (r.try_get("starts_at")?, r.try_get("ends_at")?);
    Ok(ActivityView {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        title: r.try_get("title")?,
        category: r.try_get("category")?,
        place: r.try_get("place")?,
        season: day.parse::<NaiveDate>().map(|d| SeasonOf::of(d).label()).unwrap_or_default(),
        day,
        starts: china::minute(starts_at),
        ends: china::minute(ends_at),
        slots: r.try_get("slots")?,
        signed: r.try_get("signed")?,
        organizer: r.try_get("organizer")?,
        note: r.try_get("note")?,
        state_label: ActivityState::parse(&state).map(|s| s.label()).unwrap_or("").into(),
        state,
        cancel_reason: r.try_get("cancel_reason")?,
        minutes: r.try_get("minutes")?,
        org_path: r.try_get("org_path")?,
        starts_at,
        ends_at,
        token: r.try_get("checkin_token")?,
    })
}

async fn load(conn: &mut Conn, id: i64) -> AppResult<Option<ActivityView>> {
    let sql = format!("SELECT {COLS} {FROM} WHERE a.id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| from_row(&r)).transpose()
}

/// An activity inside `scope`; else NotFound.
pub async fn get(conn: &mut Conn, scope: &Scope<cap::ReadVolunteering>, id: i64) -> AppResult<ActivityView> {
    match load(conn, id).await? {
        Some(v) if scope.covers(&v.org_path) => Ok(v),
        _ => Err(AppError::NotFound),
    }
}

async fn writable(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<ActivityView> {
    let v = get(conn, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteVolunteering, &v.org_path) {
        return Err(AppError::forbidden("您的角色无权组织该志愿服务活动"));
    }
    Ok(v)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SignupView {
    pub id: i64,
    pub activity_id: i64,
    /// member or resident
    pub who: String,
    pub member_id: Option<i64>,
    pub household_id: Option<i64>,
    pub name: String,
    /// The member's branch, or the resident's household address.
    pub detail: String,
    /// signed, withdrawn
    pub state: String,
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    /// qr (the volunteer scanned the door code) or manual (ticked by the organizer)
    pub check_via: Option<String>,
    /// Confirmed minutes (None until the organizer confirms).
    pub minutes: Option<i64>,
    /// Household points credited for this service (residents).
    pub household_points: Option<i64>,
    /// Changes of the confirmed minutes, oldest first.
    pub changes: Vec<HourChange>,
    #[serde(skip)]
    pub check_in_at: Option<i64>,
    #[serde(skip)]
    pub check_out_at: Option<i64>,
    #[serde(skip)]
    pub transfer_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HourChange {
    pub minutes_before: Option<i64>,
    pub minutes_after: i64,
    pub reason: String,
    pub at: String,
}

const SIGNUP_COLS: &str = "s.id, s.activity_id, s.member_id, s.household_id, s.name, s.state, s.check_in_at, s.check_out_at, s.check_via, s.minutes, s.transfer_id, \
    COALESCE(o.name, h.address) AS detail, t.points AS transfer_points";
const SIGNUP_FROM: &str = "FROM vol_signups s LEFT JOIN members m ON m.id = s.member_id LEFT JOIN orgs o ON o.id = m.org_id \
    LEFT JOIN households h ON h.id = s.household_id LEFT JOIN point_transfers t ON t.id = s.transfer_id";

fn signup_row(r: &Row) -> AppResult<SignupView> {
    let member_id: Option<i64> = r.try_get("member_id")?;
    let (cin, cout): (Option<i64>, Option<i64>) = (r.try_get("check_in_at")?, r.try_get("check_out_at")?);
    Ok(SignupView {
        id: r.try_get("id")?,
        activity_id: r.try_get("activity_id")?,
        who: if member_id.is_some() { "member" } else { "resident" }.into(),
        member_id,
        household_id: r.try_get("household_id")?,
        name: r.try_get("name")?,
        detail: r.try_get::<Option<String>, _>("detail")?.unwrap_or_default(),
        state: r.try_get("state")?,
        check_in: cin.map(china::minute),
        check_out: cout.map(china::minute),
        check_via: r.try_get("check_via")?,
        minutes: r.try_get("minutes")?,
        household_points: r.try_get("transfer_points")?,
        changes: Vec::new(),
        check_in_at: cin,
        check_out_at: cout,
        transfer_id: r.try_get("transfer_id")?,
    })
}

/// The sign-ups of an activity (live first, then withdrawn), with their changes of minutes.
pub async fn signups(conn: &mut Conn, activity_id: i64) -> AppResult<Vec<SignupView>> {
    let sql = format!("SELECT {SIGNUP_COLS} {SIGNUP_FROM} WHERE s.activity_id = $1 ORDER BY s.state DESC, s.id");
    let mut out = sqlx::query(&sql).bind(activity_id).fetch_all(&mut *conn).await?.iter().map(signup_row).collect::<AppResult<Vec<_>>>()?;
    add_changes(conn, &mut out, "s.activity_id", activity_id).await?;
    Ok(out)
}

/// Fills in the changes of minutes of `out`, read by `col` = `id`.
async fn add_changes(conn: &mut Conn, out: &mut [SignupView], col: &str, id: i64) -> AppResult<()> {
    let sql = format!("SELECT c.signup_id, c.minutes_before, c.minutes_after, c.reason, c.at FROM vol_hour_changes c JOIN vol_signups s ON s.id = c.signup_id WHERE {col} = $1 ORDER BY c.id");
    let rows = sqlx::query(&sql).bind(id).fetch_all(&mut *conn).await?;
    for r in &rows {
        let sid: i64 = r.try_get("signup_id")?;
        if let Some(s) = out.iter_mut().find(|s| s.id == sid) {
            s.changes.push(HourChange { minutes_before: r.try_get("minutes_before")?, minutes_after: r.try_get("minutes_after")?, reason: r.try_get("reason")?, at: china::minute(r.try_get("at")?) });
        }
    }
    Ok(())
}

async fn signup(conn: &mut Conn, id: i64) -> AppResult<SignupView> {
    let sql = format!("SELECT {SIGNUP_COLS} {SIGNUP_FROM} WHERE s.id = $1");
    let s = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| signup_row(&r)).transpose()?.ok_or(AppError::NotFound)?;
    let mut one = [s];
    add_changes(conn, &mut one, "s.id", id).await?;
    let [s] = one;
    Ok(s)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ActivityInput {
    /// The org holding the activity (a community, a village, a branch).
    pub org_id: Option<i64>,
    pub title: Option<String>,
    /// One of the configured categories (政策宣讲, 环境整治, 关爱帮扶 …).
    pub category: Option<String>,
    pub place: Option<String>,
    /// YYYY-MM-DD
    pub day: Option<String>,
    /// HH:MM
    pub start: Option<String>,
    /// HH:MM
    pub end: Option<String>,
    /// Volunteers wanted.
    pub slots: Option<i64>,
    /// Name and phone of the organizer.
    pub organizer: Option<String>,
    pub note: Option<String>,
}

fn time_on(day: NaiveDate, field: &'static str, v: &Option<String>) -> AppResult<i64> {
    let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| AppError::invalid_field("time_required", field, "请填写时间，如 09:00"))?;
    let t = chrono::NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| AppError::invalid_field("time_invalid", field, format!("无法识别的时间“{s}”，请写成 09:00")))?;
    Ok(china::at(day, chrono::Timelike::hour(&t), chrono::Timelike::minute(&t), 0))
}

/// Publishes an activity (`WriteVolunteering` at its org).
pub async fn create(conn: &mut Conn, actor: &Actor, cfg: &Rules, input: &ActivityInput) -> AppResult<ActivityView> {
    // Scope before permission: an org out of reach is 404 whoever asks.
    let oid = match input.org_id {
        Some(id) => id,
        None if !actor.can_anywhere(Perm::WriteVolunteering) => return Err(AppError::forbidden("您的角色无权组织志愿服务")),
        None => return Err(AppError::invalid_field("org_required", "org_id", "请选择组织活动的党组织")),
    };
    let org = crate::orgs::store::get_scoped(conn, &actor.scope::<cap::ReadVolunteering>(), oid).await?;
    if !actor.can(Perm::WriteVolunteering, &org.path) {
        return Err(AppError::forbidden(format!("您的角色无权为{}组织志愿服务", org.name)));
    }
    if org.dissolved_on.is_some() {
        return Err(AppError::invalid("org_dissolved", "该组织已撤销"));
    }
    let r = &cfg.volunteering;
    let title = short_text("title", &input.title, 60, "活动名称")?;
    if title.is_empty() {
        return Err(AppError::invalid_field("title_required", "title", "请填写活动名称，如“清理楼道小广告”"));
    }
    let category = input.category.as_deref().map(str::trim).unwrap_or("");
    if !r.categories.iter().any(|c| c == category) {
        return Err(AppError::invalid_field("category_invalid", "category", format!("请选择活动类别：{}", r.categories.join("、"))));
    }
    let place = short_text("place", &input.place, 80, "地点")?;
    if place.is_empty() {
        return Err(AppError::invalid_field("place_required", "place", "请填写活动地点"));
    }
    let day = crate::members::validate::parse_day(input.day.as_deref()).map_err(|_| AppError::invalid_field("date_invalid", "day", "无法识别的日期，请写成 2026-03-05"))?;
    let (starts_at, ends_at) = (time_on(day, "start", &input.start)?, time_on(day, "end", &input.end)?);
    let slots = input.slots.ok_or_else(|| AppError::invalid_field("slots_invalid", "slots", "请填写招募人数"))?;
    rules::check_plan(r, starts_at, ends_at, slots).map_err(|(code, field, m)| AppError::invalid_field(code, field, m))?;
    let organizer = short_text("organizer", &input.organizer, 60, "组织者")?;
    if organizer.is_empty() {
        return Err(AppError::invalid_field("organizer_required", "organizer", "请填写组织者姓名和电话"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO vol_activities (org_id, org_path, title, category, place, day, starts_at, ends_at, slots, organizer, note, checkin_token, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(org.id)
    .bind(&org.path)
    .bind(&title)
    .bind(category)
    .bind(&place)
    .bind(day.to_string())
    .bind(starts_at)
    .bind(ends_at)
    .bind(slots)
    .bind(&organizer)
    .bind(short_text("note", &input.note, 300, "活动说明")?)
    .bind(crate::auth::store::random_token())
    .bind(actor.user_id)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await?;
    let v = load(conn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "volunteering.create", "activity", Some(id), &v, None, Some(&serde_json::json!({"title": v.title, "day": v.day, "slots": v.slots}))).await?;
    Ok(v)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CancelInput {
    pub reason: Option<String>,
}

/// Cancels an activity not yet confirmed (with a reason); its sign-ups stay on record.
pub async fn cancel(conn: &mut Conn, actor: &Actor, id: i64, input: &CancelInput) -> AppResult<ActivityView> {
    let v = writable(conn, actor, id).await?;
    let reason = short_text("reason", &input.reason, 200, "取消原因")?;
    if reason.is_empty() {
        return Err(AppError::invalid_field("reason_required", "reason", "请写明取消原因，如“降雨改期”"));
    }
    let done = sqlx::query("UPDATE vol_activities SET state = 'cancelled', cancel_reason = $1 WHERE id = $2 AND state = 'open'").bind(&reason).bind(id).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict("activity_closed", format!("该活动{}，不能取消", v.state_label)));
    }
    audit::record(conn, Some(actor), "volunteering.cancel", "activity", Some(id), &v, None, Some(&serde_json::json!({"reason": reason}))).await?;
    load(conn, id).await?.ok_or(AppError::NotFound)
}

fn refuse_unless_open(v: &ActivityView) -> AppResult<()> {
    match v.state() {
        ActivityState::Open => Ok(()),
        s => Err(AppError::conflict("activity_closed", format!("该活动{}，不能再报名或签到", s.label()))),
    }
}

/// Takes one slot, or refuses with `activity_full` (a conditional update: parallel sign-ups for
/// the last slot cannot both pass).
async fn take_slot(conn: &mut Conn, v: &ActivityView) -> AppResult<()> {
    let done = sqlx::query("UPDATE vol_activities SET signed = signed + 1 WHERE id = $1 AND state = 'open' AND signed < slots").bind(v.id).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict("activity_full", format!("名额已满（{}人），请联系组织者 {}", v.slots, v.organizer)));
    }
    Ok(())
}

/// Who signs up.
enum Volunteer {
    Member { id: i64, name: String },
    Resident { id: i64, household_id: i64, name: String },
}

/// Inserts a sign-up (taking a slot), or re-opens a withdrawn one; `already_signed_up` if live.
async fn insert_signup(conn: &mut Conn, by: i64, v: &ActivityView, who: &Volunteer) -> AppResult<i64> {
    let (col, key) = match who {
        Volunteer::Member { id, .. } => ("member_id", *id),
        Volunteer::Resident { id, .. } => ("resident_id", *id),
    };
    let existing: Option<(i64, String)> = sqlx::query_as(&format!("SELECT id, state FROM vol_signups WHERE activity_id = $1 AND {col} = $2")).bind(v.id).bind(key).fetch_optional(&mut *conn).await?;
    if let Some((_, state)) = &existing {
        if state == "signed" {
            return Err(AppError::conflict("already_signed_up", "已经报名，无需重复报名"));
        }
    }
    take_slot(conn, v).await?;
    if let Some((sid, _)) = existing {
        let done = sqlx::query("UPDATE vol_signups SET state = 'signed', signed_at = $1, by_user_id = $2 WHERE id = $3 AND state = 'withdrawn'").bind(now_secs()).bind(by).bind(sid).execute(&mut *conn).await?;
        if done.rows_affected() == 0 {
            return Err(AppError::conflict("already_signed_up", "已经报名，无需重复报名"));
        }
        return Ok(sid);
    }
    let (member_id, resident_id, household_id, name) = match who {
        Volunteer::Member { id, name } => (Some(*id), None, None, name.clone()),
        Volunteer::Resident { id, household_id, name } => (None, Some(*id), Some(*household_id), name.clone()),
    };
    let res = sqlx::query_scalar::<_, i64>("INSERT INTO vol_signups (activity_id, member_id, resident_id, household_id, name, signed_at, by_user_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(v.id)
        .bind(member_id)
        .bind(resident_id)
        .bind(household_id)
        .bind(&name)
        .bind(now_secs())
        .bind(by)
        .fetch_one(&mut *conn)
        .await;
    match res {
        Err(e) if is_unique_violation(&e) => Err(AppError::conflict("already_signed_up", "已经报名，无需重复报名")),
        other => Ok(other?),
    }
}

/// The paths of an org and every org above it.
fn ancestors(org_path: &str) -> Vec<String> {
    let ids = path::ids(org_path);
    (1..=ids.len()).map(|n| format!("/{}/", ids[..n].iter().map(|i| i.to_string()).collect::<Vec<_>>().join("/"))).collect()
}

/// A member as volunteering needs them: their branch and the community they reported to.
struct MemberRef {
    id: i64,
    name: String,
    org_path: String,
    report_path: Option<String>,
}

async fn member_ref(conn: &mut Conn, id: i64) -> AppResult<MemberRef> {
    let r = sqlx::query("SELECT m.id, m.name, m.org_path, m.left_on, c.path AS report_path FROM members m LEFT JOIN orgs c ON c.id = m.report_org_id AND m.in_service = 1 WHERE m.id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    if r.try_get::<Option<String>, _>("left_on")?.is_some() {
        return Err(AppError::invalid("member_left", "该党员已不在党员名册中"));
    }
    Ok(MemberRef { id: r.try_get("id")?, name: r.try_get("name")?, org_path: r.try_get("org_path")?, report_path: r.try_get("report_path")? })
}

/// An activity is open to a member when its org is their branch or above, or lies in the
/// community they reported to (双报到).
fn open_to(m: &MemberRef, activity_path: &str) -> bool {
    m.org_path.starts_with(activity_path) || m.report_path.as_deref().is_some_and(|r| activity_path.starts_with(r) || r.starts_with(activity_path))
}

/// The caller signs themself up (their login is linked to a member record).
pub async fn join(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<SignupView> {
    let mid = actor.member_id.ok_or_else(|| AppError::invalid("no_member_record", "您的账号没有关联党员档案，请联系活动组织者代为报名"))?;
    let m = member_ref(conn, mid).await?;
    let v = load(conn, id).await?.filter(|v| open_to(&m, &v.org_path) || actor.scope::<cap::ReadVolunteering>().covers(&v.org_path)).ok_or(AppError::NotFound)?;
    refuse_unless_open(&v)?;
    if v.ended(now_secs()) {
        return Err(AppError::invalid("activity_over", "活动已结束，不能再报名"));
    }
    let sid = insert_signup(conn, actor.user_id, &v, &Volunteer::Member { id: m.id, name: m.name.clone() }).await?;
    audit::record(conn, Some(actor), "volunteering.join", "activity", Some(v.id), &v, None, Some(&serde_json::json!({"member": m.id}))).await?;
    signup(conn, sid).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct SignupInput {
    /// A member (of the organizer's subtree, or reported to the activity's community).
    pub member_id: Option<i64>,
    /// A resident of a household the organizer may read (their household earns the points).
    pub resident_id: Option<i64>,
}

/// The organizer signs up a member or a resident.
pub async fn add_signup(conn: &mut Conn, actor: &Actor, id: i64, input: &SignupInput) -> AppResult<SignupView> {
    let v = writable(conn, actor, id).await?;
    refuse_unless_open(&v)?;
    let who = match (input.member_id, input.resident_id) {
        (Some(mid), None) => {
            let m = member_ref(conn, mid).await?;
            let reported = m.report_path.as_deref().is_some_and(|r| v.org_path.starts_with(r) || r.starts_with(&v.org_path));
            if !reported && !actor.scope::<cap::ReadMembers>().covers(&m.org_path) {
                return Err(AppError::invalid_field("member_not_found", "member_id", "找不到该党员：请从列表中选择本辖区党员或到本社区报到的在职党员"));
            }
            Volunteer::Member { id: m.id, name: m.name }
        }
        (None, Some(rid)) => {
            let r = sqlx::query("SELECT r.id, r.name, r.household_id, h.org_path FROM residents r JOIN households h ON h.id = r.household_id WHERE r.id = $1")
                .bind(rid)
                .fetch_optional(&mut *conn)
                .await?
                .filter(|r| r.try_get::<String, _>("org_path").is_ok_and(|p| actor.scope::<cap::ReadResidents>().covers(&p)))
                .ok_or_else(|| AppError::invalid_field("resident_not_found", "resident_id", "找不到该居民：请从列表中选择本辖区的居民"))?;
            Volunteer::Resident { id: r.try_get("id")?, household_id: r.try_get("household_id")?, name: r.try_get("name")? }
        }
        _ => return Err(AppError::invalid_field("volunteer_required", "member_id", "请选择一名党员或一名居民")),
    };
    let sid = insert_signup(conn, actor.user_id, &v, &who).await?;
    let s = signup(conn, sid).await?;
    audit::record(conn, Some(actor), "volunteering.signup", "activity", Some(v.id), &v, None, Some(&serde_json::json!({"signup": sid, "name": s.name}))).await?;
    Ok(s)
}

/// Withdraws a sign-up before check-in, freeing its slot: the volunteer themself or the organizer.
pub async fn withdraw(conn: &mut Conn, actor: &Actor, signup_id: i64) -> AppResult<SignupView> {
    let s = signup(conn, signup_id).await?;
    let v = load(conn, s.activity_id).await?.ok_or(AppError::NotFound)?;
    let own = s.member_id.is_some() && s.member_id == actor.member_id;
    if !own {
        get(conn, &actor.scope(), v.id).await?;
        if !actor.can(Perm::WriteVolunteering, &v.org_path) {
            return Err(AppError::forbidden("您的角色无权取消他人的报名"));
        }
    }
    refuse_unless_open(&v)?;
    if s.check_in_at.is_some() {
        return Err(AppError::conflict("already_checked_in", "已签到，不能取消报名；如未实际参加，请由组织者确认时长为0"));
    }
    let done = sqlx::query("UPDATE vol_signups SET state = 'withdrawn' WHERE id = $1 AND state = 'signed' AND check_in_at IS NULL").bind(s.id).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict("not_signed_up", "该报名已取消"));
    }
    sqlx::query("UPDATE vol_activities SET signed = signed - 1 WHERE id = $1").bind(v.id).execute(&mut *conn).await?;
    audit::record(conn, Some(actor), "volunteering.withdraw", "activity", Some(v.id), &v, None, Some(&serde_json::json!({"signup": s.id, "name": s.name}))).await?;
    signup(conn, s.id).await
}

/// What a scan did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ScanResult {
    /// check_in or check_out
    pub action: String,
    pub message: String,
    pub activity: ActivityView,
    pub signup: SignupView,
}

/// Sets a check time, once (a conditional update: two scans at once record one).
async fn set_check(conn: &mut Conn, signup_id: i64, out: bool, at: i64, via: &str) -> AppResult<()> {
    let sql = if out {
        "UPDATE vol_signups SET check_out_at = $1 WHERE id = $2 AND state = 'signed' AND check_in_at IS NOT NULL AND check_out_at IS NULL AND minutes IS NULL"
    } else {
        "UPDATE vol_signups SET check_in_at = $1, check_via = $3 WHERE id = $2 AND state = 'signed' AND check_in_at IS NULL AND minutes IS NULL"
    };
    let mut q = sqlx::query(sql).bind(at).bind(signup_id);
    if !out {
        q = q.bind(via);
    }
    if q.execute(&mut *conn).await?.rows_affected() == 0 {
        return Err(AppError::conflict(if out { "already_checked_out" } else { "already_checked_in" }, if out { "已签退" } else { "已签到" }));
    }
    Ok(())
}

/// A member scans the activity's door QR with their own login: the first scan checks in (signing
/// up on the spot while slots remain), the second checks out.
pub async fn scan(conn: &mut Conn, actor: &Actor, cfg: &Rules, token: &str) -> AppResult<ScanResult> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM vol_activities WHERE checkin_token = $1").bind(token).fetch_optional(&mut *conn).await?;
    let v = load(conn, id.ok_or(AppError::NotFound)?).await?.ok_or(AppError::NotFound)?;
    let mid = actor.member_id.ok_or_else(|| AppError::invalid("no_member_record", "您的账号没有关联党员档案，请由组织者登记签到"))?;
    refuse_unless_open(&v)?;
    let mine: Option<i64> = sqlx::query_scalar("SELECT id FROM vol_signups WHERE activity_id = $1 AND member_id = $2 AND state = 'signed'").bind(v.id).bind(mid).fetch_optional(&mut *conn).await?;
    let s = match mine {
        Some(sid) => signup(conn, sid).await?,
        None => {
            let m = member_ref(conn, mid).await?;
            if !open_to(&m, &v.org_path) && !actor.scope::<cap::ReadVolunteering>().covers(&v.org_path) {
                return Err(AppError::invalid("not_open_to_you", "该活动面向组织者所在党组织和到社区报到的党员，请联系组织者"));
            }
            let now = now_secs();
            if let Scan::Refused { code, message } = rules::scan(&cfg.volunteering, v.starts_at, v.ends_at, false, false, now) {
                return Err(AppError::invalid(code, message));
            }
            let sid = insert_signup(conn, actor.user_id, &v, &Volunteer::Member { id: m.id, name: m.name }).await?;
            signup(conn, sid).await?
        }
    };
    let now = now_secs();
    let (action, message) = match rules::scan(&cfg.volunteering, v.starts_at, v.ends_at, s.check_in_at.is_some(), s.check_out_at.is_some(), now) {
        Scan::CheckIn => {
            set_check(conn, s.id, false, now, "qr").await?;
            ("check_in", format!("签到成功：{}，{}", v.title, china::minute(now)))
        }
        Scan::CheckOut => {
            set_check(conn, s.id, true, now, "qr").await?;
            let mins = rules::served_minutes(v.starts_at, v.ends_at, s.check_in_at, Some(now));
            ("check_out", format!("签退成功：本次服务约{}小时{}分钟，待组织者确认", mins / 60, mins % 60))
        }
        Scan::Refused { code, message } => return Err(AppError::invalid(code, message)),
    };
    audit::record(conn, Some(actor), &format!("volunteering.{action}"), "activity", Some(v.id), &v, None, Some(&serde_json::json!({"signup": s.id, "via": "qr"}))).await?;
    Ok(ScanResult { action: action.into(), message, activity: load(conn, v.id).await?.ok_or(AppError::NotFound)?, signup: signup(conn, s.id).await? })
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CheckInput {
    /// in or out
    pub action: Option<String>,
    /// HH:MM on the activity's day; default now.
    pub at: Option<String>,
}

/// The organizer checks a volunteer in or out by hand (residents have no login).
pub async fn check(conn: &mut Conn, actor: &Actor, signup_id: i64, input: &CheckInput) -> AppResult<SignupView> {
    let s = signup(conn, signup_id).await?;
    let v = writable(conn, actor, s.activity_id).await?;
    refuse_unless_open(&v)?;
    if s.state != "signed" {
        return Err(AppError::conflict("not_signed_up", "该报名已取消"));
    }
    let out = match input.action.as_deref().map(str::trim) {
        Some("in") | Some("签到") => false,
        Some("out") | Some("签退") => true,
        _ => return Err(AppError::invalid_field("action_invalid", "action", "请选择 签到 或 签退")),
    };
    let at = match input.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(_) => time_on(v.day.parse().unwrap_or_default(), "at", &input.at)?,
        None => now_secs(),
    };
    if at > now_secs() + 60 {
        return Err(AppError::invalid_field("time_in_future", "at", "签到签退时间不能晚于现在"));
    }
    if out && s.check_in_at.is_none() {
        return Err(AppError::invalid("not_checked_in", "尚未签到，不能签退"));
    }
    if out && s.check_in_at.is_some_and(|c| at < c) {
        return Err(AppError::invalid_field("time_order", "at", "签退时间不能早于签到时间"));
    }
    set_check(conn, s.id, out, at, "manual").await?;
    audit::record(conn, Some(actor), if out { "volunteering.check_out" } else { "volunteering.check_in" }, "activity", Some(v.id), &v, None, Some(&serde_json::json!({"signup": s.id, "via": "manual", "at": china::minute(at)}))).await?;
    signup(conn, s.id).await
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct MinutesItem {
    pub signup_id: i64,
    pub minutes: i64,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ConfirmInput {
    /// Minutes that differ from the check times (a volunteer who served without scanning, one
    /// who scanned and left); the rest are taken from the check times.
    #[serde(default)]
    pub minutes: Vec<MinutesItem>,
}

/// Credits a household for a resident's minutes; returns the transfer (None for 0 points).
async fn credit_household(conn: &mut Conn, actor: &Actor, cfg: &Rules, v: &ActivityView, s: &SignupView, minutes: i64) -> AppResult<Option<i64>> {
    let Some(hid) = s.household_id else { return Ok(None) };
    let points = rules::hours_points(minutes, cfg.volunteering.household_points_per_hour);
    if points <= 0 {
        return Ok(None);
    }
    let h = ledger::household(conn, &actor.scope(), hid).await.map_err(|_| AppError::invalid("household_out_of_scope", format!("{}的住户不在您的辖区，不能为其记积分", s.name)))?;
    let from = ledger::account(conn, Owner::Source(h.org_id), h.org_id).await?;
    let to = ledger::account(conn, Owner::Household(h.id), h.org_id).await?;
    let item = format!("志愿服务：{}", v.title);
    let note = format!("{}，{} {}小时", s.name, v.day, minutes / 60);
    let info = TransferInfo { kind: TransferKind::Volunteer, item: &item, note: &note, on_day: &v.day, reverses: None };
    Ok(Some(ledger::transfer(conn, Some(actor.user_id), from, to, points, &info).await?))
}

fn already_confirmed() -> AppError {
    AppError::conflict("already_confirmed", "该活动的服务时长已确认；个别时长有误请逐人更正")
}

/// Confirms the minutes of every live sign-up, once, after the activity has ended: members'
/// points follow from them; residents' households are credited here.
pub async fn confirm(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &ConfirmInput) -> AppResult<ActivityView> {
    let v = writable(conn, actor, id).await?;
    if v.state() == ActivityState::Confirmed {
        return Err(already_confirmed());
    }
    refuse_unless_open(&v)?;
    if !v.ended(now_secs()) {
        return Err(AppError::invalid("activity_not_over", format!("活动结束（{}）后才能确认服务时长", v.ends)));
    }
    let list: Vec<SignupView> = signups(conn, v.id).await?.into_iter().filter(|s| s.state == "signed").collect();
    let duration = (v.ends_at - v.starts_at) / 60;
    let mut given: HashMap<i64, i64> = HashMap::new();
    for m in &input.minutes {
        if !list.iter().any(|s| s.id == m.signup_id) {
            return Err(AppError::invalid_field("not_signed_up", "minutes", format!("报名记录 {} 不属于该活动", m.signup_id)));
        }
        if m.minutes < 0 || m.minutes > duration {
            return Err(AppError::invalid_field("minutes_invalid", "minutes", format!("服务时长应在 0 到 {duration} 分钟之间（活动时长）")));
        }
        given.insert(m.signup_id, m.minutes);
    }
    let done = sqlx::query("UPDATE vol_activities SET state = 'confirmed', confirmed_at = $1, confirmed_by = $2 WHERE id = $3 AND state = 'open'").bind(now_secs()).bind(actor.user_id).bind(v.id).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(already_confirmed());
    }
    let mut total = 0;
    for s in &list {
        let minutes = given.get(&s.id).copied().unwrap_or_else(|| rules::served_minutes(v.starts_at, v.ends_at, s.check_in_at, s.check_out_at));
        let tid = credit_household(conn, actor, cfg, &v, s, minutes).await?;
        sqlx::query("UPDATE vol_signups SET minutes = $1, transfer_id = $2 WHERE id = $3").bind(minutes).bind(tid).bind(s.id).execute(&mut *conn).await?;
        total += minutes;
    }
    audit::record(conn, Some(actor), "volunteering.confirm", "activity", Some(v.id), &v, None, Some(&serde_json::json!({"volunteers": list.len(), "minutes": total}))).await?;
    load(conn, v.id).await?.ok_or(AppError::NotFound)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AmendInput {
    pub minutes: Option<i64>,
    pub reason: Option<String>,
}

/// Corrects one volunteer's confirmed minutes: kept as history; a household's points are
/// reversed and credited anew (refused when the household already spent them).
pub async fn amend(conn: &mut Conn, actor: &Actor, cfg: &Rules, signup_id: i64, input: &AmendInput) -> AppResult<SignupView> {
    let s = signup(conn, signup_id).await?;
    let v = writable(conn, actor, s.activity_id).await?;
    let Some(before) = s.minutes.filter(|_| v.state() == ActivityState::Confirmed && s.state == "signed") else {
        return Err(AppError::invalid("not_confirmed", "服务时长尚未确认：请先确认整场活动的时长"));
    };
    let duration = (v.ends_at - v.starts_at) / 60;
    let minutes = input.minutes.filter(|m| (0..=duration).contains(m)).ok_or_else(|| AppError::invalid_field("minutes_invalid", "minutes", format!("服务时长应在 0 到 {duration} 分钟之间")))?;
    let reason = short_text("reason", &input.reason, 200, "更正原因")?;
    if reason.is_empty() {
        return Err(AppError::invalid_field("reason_required", "reason", "请写明更正原因"));
    }
    if minutes == before {
        return Err(AppError::invalid_field("minutes_unchanged", "minutes", "时长与已确认的相同，无需更正"));
    }
    // Conditional on the minutes read: of two parallel corrections one wins, the other is told.
    let done = sqlx::query("UPDATE vol_signups SET minutes = $1 WHERE id = $2 AND minutes = $3").bind(minutes).bind(s.id).bind(before).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict("changed_meanwhile", "时长刚被他人更正，请刷新后再试"));
    }
    let mut tid = s.transfer_id;
    if s.household_id.is_some() {
        if let Some(old) = s.transfer_id {
            ledger::reverse(conn, actor, old, &ledger::ReverseInput { reason: Some(format!("志愿服务时长更正：{reason}")) }).await?;
        }
        tid = credit_household(conn, actor, cfg, &v, &s, minutes).await?;
        sqlx::query("UPDATE vol_signups SET transfer_id = $1 WHERE id = $2").bind(tid).bind(s.id).execute(&mut *conn).await?;
    }
    sqlx::query("INSERT INTO vol_hour_changes (signup_id, minutes_before, minutes_after, reason, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(s.id)
        .bind(before)
        .bind(minutes)
        .bind(&reason)
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    audit::record(conn, Some(actor), "volunteering.amend", "activity", Some(v.id), &v, Some(&serde_json::json!({"minutes": before})), Some(&serde_json::json!({"signup": s.id, "minutes": minutes, "reason": reason, "transfer": tid}))).await?;
    signup(conn, s.id).await
}

/// An in-service member reported to a community, and their service there by season.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportedMember {
    pub member_id: i64,
    pub name: String,
    /// Their own branch.
    pub branch: String,
    /// The community they reported to.
    pub community: String,
    /// Activities served there this season and the previous one.
    pub this_season: i64,
    pub last_season: i64,
    /// Confirmed minutes there this year.
    pub minutes_this_year: i64,
    /// Why the member is flagged (fewer activities in the last whole season than expected), with
    /// the season's dates.
    pub flag: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VolunteeringBoard {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub season: String,
    pub last_season: String,
    /// Activities of the year in the subtree (not cancelled), volunteers taking part, hours.
    pub activities: i64,
    pub volunteers: i64,
    pub hours: i64,
    pub by_category: Vec<(String, i64)>,
    /// Latest first, at most 500.
    pub items: Vec<ActivityView>,
    /// In-service members reported (双报到) to communities in the subtree; flagged on the last
    /// whole season (the one under way is progress).
    pub reported: Vec<ReportedMember>,
    pub reported_flagged: i64,
    /// The rule behind the flags, with its source.
    pub season_rule: String,
    pub truncated: bool,
}

/// The volunteering of a subtree's year: activities, totals and the 双报到 four-season board.
pub async fn board(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadVolunteering>, root: &Org, year: i32) -> AppResult<VolunteeringBoard> {
    let (d0, d1) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    let mut sql = Sql::new(&format!("SELECT {COLS} {FROM} WHERE a.day >= "));
    sql.bind(d0.clone()).push(" AND a.day <= ").bind(d1.clone());
    crate::db::push_under(&mut sql, "a.org_path", &root.path);
    scope.push_filter(&mut sql, "a.org_path");
    sql.push(" ORDER BY a.day DESC, a.starts_at DESC, a.id DESC LIMIT ").bind(MAX_LIST + 1);
    let mut items = sql.query().fetch_all(&mut *conn).await?.iter().map(from_row).collect::<AppResult<Vec<_>>>()?;
    let truncated = items.len() as i64 > MAX_LIST;
    items.truncate(MAX_LIST as usize);
    let mut sql = Sql::new("SELECT a.category, COUNT(DISTINCT a.id) AS n, COUNT(s.id) AS people, CAST(COALESCE(SUM(s.minutes), 0) AS BIGINT) AS mins FROM vol_activities a LEFT JOIN vol_signups s ON s.activity_id = a.id AND s.state = 'signed' AND s.minutes > 0 WHERE a.state <> 'cancelled' AND a.day >= ");
    sql.bind(d0.clone()).push(" AND a.day <= ").bind(d1.clone());
    crate::db::push_under(&mut sql, "a.org_path", &root.path);
    scope.push_filter(&mut sql, "a.org_path");
    sql.push(" GROUP BY a.category ORDER BY a.category");
    let (mut activities, mut volunteers, mut minutes, mut by_category) = (0, 0, 0, Vec::new());
    for r in sql.query().fetch_all(&mut *conn).await? {
        let n: i64 = r.try_get("n")?;
        activities += n;
        volunteers += r.try_get::<i64, _>("people")?;
        minutes += r.try_get::<i64, _>("mins")?;
        by_category.push((r.try_get("category")?, n));
    }
    let today = crate::db::today();
    let now_season = SeasonOf::of(today);
    let last = now_season.previous();
    let (reported, reported_flagged) = reported_board(conn, cfg, scope, root, year, now_season).await?;
    Ok(VolunteeringBoard {
        org_id: root.id,
        org_name: root.name.clone(),
        year,
        season: now_season.label(),
        last_season: last.label(),
        activities,
        volunteers,
        hours: minutes / 60,
        by_category,
        items,
        reported,
        reported_flagged,
        season_rule: format!("在职党员到社区报到，每季至少参加{}次社区志愿服务（{}）", cfg.volunteering.season_activities, rules::SOURCE),
        truncated,
    })
}

async fn reported_board(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadVolunteering>, root: &Org, year: i32, now: SeasonOf) -> AppResult<(Vec<ReportedMember>, i64)> {
    let mut sql = Sql::new("SELECT m.id, m.name, b.name AS branch, c.name AS community, c.path AS cpath FROM members m JOIN orgs c ON c.id = m.report_org_id JOIN orgs b ON b.id = m.org_id WHERE m.in_service = 1 AND m.left_on IS NULL");
    crate::db::push_under(&mut sql, "c.path", &root.path);
    scope.push_filter(&mut sql, "c.path");
    sql.push(" ORDER BY c.path, m.name, m.id LIMIT ").bind(MAX_BOARD);
    let rows = sql.query().fetch_all(&mut *conn).await?;
    if rows.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let last = now.previous();
    let from = last.days().0.min(NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default());
    // Confirmed service of these members since the start of the previous season or the year.
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.try_get("id").ok()).collect();
    let mut served: HashMap<i64, Vec<(String, String, i64)>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT s.member_id, a.org_path, a.day, s.minutes FROM vol_signups s JOIN vol_activities a ON a.id = s.activity_id WHERE s.state = 'signed' AND s.minutes > 0 AND a.state = 'confirmed' AND a.day >= ");
        sql.bind(from.to_string()).push(" AND s.member_id IN (").bind_list(chunk.iter().copied()).push(")");
        for r in sql.query().fetch_all(&mut *conn).await? {
            served.entry(r.try_get("member_id")?).or_default().push((r.try_get("org_path")?, r.try_get("day")?, r.try_get("minutes")?));
        }
    }
    let (n0, n1) = now.days();
    let (l0, l1) = last.days();
    let in_range = |d: &str, a: NaiveDate, b: NaiveDate| d >= a.to_string().as_str() && d <= b.to_string().as_str();
    let mut out = Vec::new();
    let mut flagged = 0;
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let cpath: String = r.try_get("cpath")?;
        let there: Vec<&(String, String, i64)> = served.get(&id).map(|v| v.iter().filter(|(p, _, _)| p.starts_with(&cpath)).collect()).unwrap_or_default();
        let this_season = there.iter().filter(|(_, d, _)| in_range(d, n0, n1)).count() as i64;
        let last_season = there.iter().filter(|(_, d, _)| in_range(d, l0, l1)).count() as i64;
        let minutes_this_year = there.iter().filter(|(_, d, _)| d.starts_with(&format!("{year:04}-"))).map(|(_, _, m)| m).sum();
        // The season under way is progress; the last whole season is judged.
        let flag = (last_season < cfg.volunteering.season_activities).then(|| format!("{}到社区参加志愿服务{}次，少于每季{}次（{} 至 {}）", last.label(), last_season, cfg.volunteering.season_activities, l0, l1));
        flagged += flag.is_some() as i64;
        out.push(ReportedMember { member_id: id, name: r.try_get("name")?, branch: r.try_get("branch")?, community: r.try_get("community")?, this_season, last_season, minutes_this_year, flag });
    }
    Ok((out, flagged))
}

/// What a member sees: activities open to them (upcoming and today's) and their own service.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MyVolunteering {
    pub open: Vec<ActivityView>,
    /// The activities the member signed up for, latest first, with their sign-up.
    pub mine: Vec<MyActivity>,
    pub minutes_this_year: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MyActivity {
    pub activity: ActivityView,
    pub signup: SignupView,
}

/// The caller's volunteering (their login is linked to a member record).
pub async fn mine(conn: &mut Conn, actor: &Actor) -> AppResult<MyVolunteering> {
    let mid = actor.member_id.ok_or_else(|| AppError::invalid("no_member_record", "您的账号没有关联党员档案"))?;
    let m = member_ref(conn, mid).await?;
    let now = now_secs();
    let mut sql = Sql::new(&format!("SELECT {COLS} {FROM} WHERE a.state = 'open' AND a.ends_at >= "));
    sql.bind(now).push(" AND (a.org_path IN (").bind_list(ancestors(&m.org_path)).push(")");
    if let Some(r) = &m.report_path {
        sql.push(" OR a.org_path IN (").bind_list(ancestors(r)).push(")");
        sql.push(" OR (a.org_path >= ").bind(r.clone()).push(" AND a.org_path < ").bind(path::upper(r)).push(")");
    }
    sql.push(") ORDER BY a.starts_at, a.id LIMIT 100");
    let open = sql.query().fetch_all(&mut *conn).await?.iter().map(from_row).collect::<AppResult<Vec<_>>>()?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT s.id FROM vol_signups s JOIN vol_activities a ON a.id = s.activity_id WHERE s.member_id = $1 ORDER BY a.starts_at DESC, s.id DESC LIMIT 100").bind(m.id).fetch_all(&mut *conn).await?;
    let mut mine = Vec::new();
    let year = format!("{}-", crate::db::today().format("%Y"));
    let mut minutes_this_year = 0;
    for sid in ids {
        let s = signup(conn, sid).await?;
        let a = load(conn, s.activity_id).await?.ok_or(AppError::NotFound)?;
        if a.day.starts_with(&year) && s.state == "signed" {
            minutes_this_year += s.minutes.unwrap_or(0);
        }
        mine.push(MyActivity { activity: a, signup: s });
    }
    Ok(MyVolunteering { open, mine, minutes_this_year })
}

/// An activity as its volunteer sees it through the door QR: only what a poster shows.
pub async fn by_token(conn: &mut Conn, token: &str) -> AppResult<ActivityView> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM vol_activities WHERE checkin_token = $1").bind(token).fetch_optional(&mut *conn).await?;
    load(conn, id.ok_or(AppError::NotFound)?).await?.ok_or(AppError::NotFound)
}

/// The 志愿服务台账 of a subtree's year: one row per volunteer of each activity.
pub async fn xlsx(conn: &mut Conn, scope: &Scope<cap::ReadVolunteering>, root: &Org, year: i32) -> AppResult<Vec<u8>> {
    let mut sql = Sql::new(
        "SELECT a.day, a.title, a.category, a.place, o.name AS org_name, a.organizer, a.state, s.name, CASE WHEN s.member_id IS NULL THEN '居民' ELSE '党员' END AS who, \
         s.check_in_at, s.check_out_at, s.minutes, t.points FROM vol_activities a JOIN orgs o ON o.id = a.org_id JOIN vol_signups s ON s.activity_id = a.id AND s.state = 'signed' \
         LEFT JOIN point_transfers t ON t.id = s.transfer_id WHERE a.day >= ",
    );
    sql.bind(format!("{year:04}-01-01")).push(" AND a.day <= ").bind(format!("{year:04}-12-31"));
    crate::db::push_under(&mut sql, "a.org_path", &root.path);
    scope.push_filter(&mut sql, "a.org_path");
    sql.push(" ORDER BY a.day, a.id, s.id LIMIT 100000");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    let headers = ["日期", "活动", "类别", "地点", "组织单位", "组织者", "状态", "志愿者", "身份", "签到", "签退", "确认时长（分钟）", "户积分"];
    let widths = [11.0, 24.0, 10.0, 18.0, 20.0, 16.0, 10.0, 10.0, 6.0, 16.0, 16.0, 10.0, 8.0];
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let state: String = r.try_get("state")?;
        let num = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        out.push(vec![
            r.try_get::<String, _>("day")?,
            r.try_get("title")?,
            r.try_get("category")?,
            r.try_get("place")?,
            r.try_get("org_name")?,
            r.try_get("organizer")?,
            ActivityState::parse(&state).map(|s| s.label()).unwrap_or("").to_string(),
            r.try_get("name")?,
            r.try_get("who")?,
            r.try_get::<Option<i64>, _>("check_in_at")?.map(china::minute).unwrap_or_default(),
            r.try_get::<Option<i64>, _>("check_out_at")?.map(china::minute).unwrap_or_default(),
            num(r.try_get("minutes")?),
            num(r.try_get("points")?),
        ]);
    }
    crate::members::sheets::write_table_xlsx(&format!("{}志愿服务台账{year}", root.name), &headers, &widths, out.into_iter()).map_err(|e| AppError::invalid("export_failed", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_from_the_root_down() {
        assert_eq!(ancestors("/1/5/23/"), vec!["/1/", "/1/5/", "/1/5/23/"]);
        let m = MemberRef { id: 1, name: String::new(), org_path: "/1/5/23/".into(), report_path: Some("/1/9/".into()) };
        assert!(open_to(&m, "/1/5/"));
        assert!(open_to(&m, "/1/5/23/"));
        assert!(!open_to(&m, "/1/5/24/"));
        assert!(open_to(&m, "/1/9/40/"));
        assert!(open_to(&m, "/1/9/"));
        assert!(!open_to(&m, "/1/90/"));
    }
}
