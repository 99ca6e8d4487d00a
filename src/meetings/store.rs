//! Meetings: planning, attendance and sign-in, votes with quorum, closing and amendments.
//! Every read and write is bounded to the caller's subtrees.

use chrono::{NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{quorum, MeetingKind, QuorumBody};
use super::theme_day::{self, Checklist};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::members::model::{MemberStatus, Post};
use crate::orgs::model::{Org, OrgKind};
use crate::orgs::store as orgs;

/// Sign-in opens this long before the planned start and closes this long after the planned end.
pub const SIGNIN_GRACE_SECS: i64 = 30 * 60;

crate::code_enum!(MeetingState { Planned = ("planned", "计划中"), Held = ("held", "已召开"), Closed = ("closed", "已归档") });
crate::code_enum!(AttendanceStatus { Present = ("present", "出席"), Excused = ("excused", "请假"), Absent = ("absent", "缺席") });

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Meeting {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub kind: String,
    pub kind_label: String,
    pub topic: String,
    pub place: String,
    /// Unix seconds.
    pub planned_start: i64,
    pub planned_end: i64,
    pub held_on: Option<String>,
    pub host_member_id: Option<i64>,
    pub recorder_member_id: Option<i64>,
    pub agenda: String,
    pub minutes: String,
    pub state: String,
    pub state_label: String,
    pub vote_entitled: Option<i64>,
    pub vote_present: Option<i64>,
    pub vote_result: Option<String>,
    /// 主题党日 items ticked (see the org's checklist).
    pub items_done: Vec<String>,
    #[serde(skip)]
    pub org_path: String,
    #[serde(skip)]
    pub signin_token: String,
}

impl Meeting {
    pub fn state(&self) -> MeetingState {
        MeetingState::parse(&self.state).unwrap_or(MeetingState::Planned)
    }
    pub fn kind(&self) -> MeetingKind {
        MeetingKind::parse(&self.kind).unwrap_or(MeetingKind::GeneralAssembly)
    }
}

const COLS: &str = "m.id, m.org_id, o.name AS org_name, o.path AS org_path, m.kind, m.topic, m.place, m.planned_start, m.planned_end, \
    m.held_on, m.host_member_id, m.recorder_member_id, m.agenda, m.minutes, m.state, m.signin_token, m.vote_entitled, m.vote_present, m.vote_result, m.items_done";

fn from_row(r: &Row) -> AppResult<Meeting> {
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    Ok(Meeting {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        kind_label: MeetingKind::parse(&kind).map(|k| k.label()).unwrap_or("").to_string(),
        kind,
        topic: r.try_get("topic")?,
        place: r.try_get("place")?,
        planned_start: r.try_get("planned_start")?,
        planned_end: r.try_get("planned_end")?,
        held_on: r.try_get("held_on")?,
        host_member_id: r.try_get("host_member_id")?,
        recorder_member_id: r.try_get("recorder_member_id")?,
        agenda: r.try_get("agenda")?,
        minutes: r.try_get("minutes")?,
        state_label: MeetingState::parse(&state).map(|s| s.label()).unwrap_or("").to_string(),
        state,
        signin_token: r.try_get("signin_token")?,
        vote_entitled: r.try_get("vote_entitled")?,
        vote_present: r.try_get("vote_present")?,
        vote_result: r.try_get("vote_result")?,
        items_done: theme_day::split(&r.try_get::<String, _>("items_done")?),
    })
}

async fn get(conn: &mut Conn, id: i64) -> AppResult<Option<Meeting>> {
    let sql = format!("SELECT {COLS} FROM meetings m JOIN orgs o ON o.id = m.org_id WHERE m.id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| from_row(&r)).transpose()
}

/// A meeting inside `scope` (its org in the subtrees, or, for a member, a meeting on
/// whose attendance list they are); else NotFound.
pub async fn get_scoped(conn: &mut Conn, scope: &Scope<cap::ReadOrgLife>, id: i64) -> AppResult<Meeting> {
    let Some(m) = get(conn, id).await? else { return Err(AppError::NotFound) };
    if scope.covers(&m.org_path) {
        return Ok(m);
    }
    if let Some(me) = scope.own_member() {
        let listed: Option<i64> = sqlx::query_scalar("SELECT member_id FROM meeting_attendance WHERE meeting_id = $1 AND member_id = $2")
            .bind(m.id)
            .bind(me)
            .fetch_optional(&mut *conn)
            .await?;
        if listed.is_some() {
            return Ok(m);
        }
    }
    Err(AppError::NotFound)
}

async fn get_writable(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<Meeting> {
    let m = get_scoped(conn, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteOrgLife, &m.org_path) {
        return Err(AppError::forbidden("您的角色无权管理该组织的会议"));
    }
    Ok(m)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct MeetingInput {
    pub org_id: i64,
    /// general_assembly, committee, group_meeting, party_lecture, theme_day, …
    pub kind: String,
    pub topic: String,
    pub place: Option<String>,
    /// RFC 3339 or "YYYY-MM-DD HH:MM" (China time).
    pub planned_start: String,
    pub planned_end: Option<String>,
    pub host_member_id: Option<i64>,
    pub recorder_member_id: Option<i64>,
    pub agenda: Option<String>,
}

/// Parses "2026-03-05 14:30", "2026-03-05T14:30" (China time) or RFC 3339 into Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    let tz = crate::db::china::tz();
    for f in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return tz.from_local_datetime(&n).single().map(|t| t.timestamp());
        }
    }
    None
}


/// Which org kinds hold which meetings.
fn check_kind_for_org(kind: MeetingKind, org: &Org) -> AppResult<()> {
    let ok = match kind {
        MeetingKind::GroupMeeting => org.kind == OrgKind::Group,
        MeetingKind::DemocraticLifeMeeting => matches!(org.kind, OrgKind::Committee | OrgKind::WorkingCommittee | OrgKind::LeadingGroup),
        _ => matches!(org.kind, OrgKind::Branch | OrgKind::GeneralBranch),
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid("meeting_kind_not_for_org", format!("{}不能召开{}", org.kind.label(), kind.label())))
    }
}

pub async fn create(conn: &mut Conn, actor: &Actor, input: &MeetingInput) -> AppResult<Meeting> {
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadOrgLife>(), input.org_id).await?;
    if !actor.can(Perm::WriteOrgLife, &org.path) {
        return Err(AppError::forbidden("您的角色无权管理该组织的会议"));
    }
    if org.is_dissolved() {
        return Err(AppError::invalid("org_dissolved", "该组织已撤销"));
    }
    let kind = MeetingKind::parse(&input.kind)
        .ok_or_else(|| AppError::invalid_field("meeting_kind_invalid", "kind", "请选择会议类型"))?;
    check_kind_for_org(kind, &org)?;
    let topic = input.topic.trim();
    if topic.is_empty() || topic.chars().count() > 100 {
        return Err(AppError::invalid_field("topic_required", "topic", "请填写会议主题（不超过100字）"));
    }
    let start = parse_time(&input.planned_start)
        .ok_or_else(|| AppError::invalid_field("time_invalid", "planned_start", "无法识别的时间，请写成 2026-03-05 14:30"))?;
    let end = match input.planned_end.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(e) => parse_time(e).ok_or_else(|| AppError::invalid_field("time_invalid", "planned_end", "无法识别的时间，请写成 2026-03-05 16:30"))?,
        None => start + 2 * 3600,
    };
    if end <= start {
        return Err(AppError::invalid_field("time_order", "planned_end", "结束时间应晚于开始时间"));
    }
    for (id, field) in [(input.host_member_id, "host_member_id"), (input.recorder_member_id, "recorder_member_id")] {
        if let Some(id) = id {
            let m = crate::members::store::get(conn, id).await?;
            if !m.is_some_and(|m| m.org_path.starts_with(&org.path)) {
                return Err(AppError::invalid_field("member_not_in_org", field, "主持人和记录人须是本组织的党员"));
            }
        }
    }
    let now = now_secs();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO meetings (org_id, kind, topic, place, planned_start, planned_end, host_member_id, recorder_member_id, agenda, state, signin_token, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'planned', $10, $11, $12, $12) RETURNING id",
    )
    .bind(org.id)
    .bind(kind.code())
    .bind(topic)
    .bind(input.place.as_deref().unwrap_or("").trim())
    .bind(start)
    .bind(end)
    .bind(input.host_member_id)
    .bind(input.recorder_member_id)
    .bind(input.agenda.as_deref().unwrap_or(""))
    .bind(crate::auth::store::random_token())
    .bind(actor.user_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let m = get(conn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "meeting.create", "meeting", Some(id), &org, None, Some(&serde_json::to_value(&m).unwrap_or_default())).await?;
    Ok(m)
}

/// Meetings of an org's subtree, newest first.
/// Planned meetings a member is expected at, soonest first: those of the orgs above them
/// (branch, their group) and, for committee seat holders, their own org's committee.
pub async fn upcoming_for_member(conn: &mut Conn, scope: &Scope<cap::ReadOrgLife>, member_id: i64, limit: i64) -> AppResult<Vec<Meeting>> {
    let m = crate::members::store::get_scoped(conn, scope, member_id).await?;
    let seat = m.posts.iter().any(|p| p.is_committee_seat());
    let ids = crate::db::path::ids(&m.org_path);
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM meetings m JOIN orgs o ON o.id = m.org_id WHERE m.state = 'planned' AND m.planned_end >= "));
    sql.bind(now_secs() - SIGNIN_GRACE_SECS).push(" AND m.org_id IN (").bind_list(ids.iter().copied()).push(")");
    // Committee meetings only of the member's own org, where they hold the seat (as `expected`).
    sql.push(" AND (m.kind NOT IN ('committee', 'democratic_life_meeting')");
    if seat {
        sql.push(" OR m.org_id = ").bind(m.org_id);
    }
    sql.push(") ORDER BY m.planned_start, m.id LIMIT ").bind(limit);
    sql.query().fetch_all(&mut *conn).await?.iter().map(from_row).collect()
}

pub async fn list(conn: &mut Conn, scope: &Scope<cap::ReadOrgLife>, root: &Org, limit: i64) -> AppResult<Vec<Meeting>> {
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM meetings m JOIN orgs o ON o.id = m.org_id WHERE 1=1"));
    scope.within(&root.path).push_filter(&mut sql, "o.path");
    sql.push(" ORDER BY m.planned_start DESC, m.id DESC LIMIT ").bind(limit);
    sql.query().fetch_all(&mut *conn).await?.iter().map(from_row).collect()
}

/// A member expected at a meeting, with their attendance so far.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Attendee {
    pub member_id: i64,
    pub name: String,
    pub full_member: bool,
    pub status: Option<String>,
    pub status_label: Option<String>,
    pub reason: String,
    pub means: Option<String>,
    pub at: Option<i64>,
}

/// Who should attend: the whole branch (with its groups), the committee, or the group.
pub async fn expected(conn: &mut Conn, m: &Meeting) -> AppResult<Vec<Attendee>> {
    let hi = crate::db::path::upper(&m.org_path);
    let rows = sqlx::query(
        "SELECT mb.id, mb.name, mb.status, mb.posts, mb.org_path, a.status AS a_status, a.reason, a.means, a.at \
         FROM members mb LEFT JOIN meeting_attendance a ON a.member_id = mb.id AND a.meeting_id = $1 \
         WHERE mb.org_path >= $2 AND mb.org_path < $3 AND (mb.left_on IS NULL OR a.member_id IS NOT NULL) ORDER BY mb.name, mb.id",
    )
    .bind(m.id)
    .bind(&m.org_path)
    .bind(&hi)
    .fetch_all(&mut *conn)
    .await?;
    let committee_only = matches!(m.kind(), MeetingKind::Committee | MeetingKind::DemocraticLifeMeeting);
    let mut out = Vec::new();
    for r in rows {
        let posts: String = r.try_get("posts")?;
        let path: String = r.try_get("org_path")?;
        if committee_only {
            let seat = posts.split(',').filter_map(Post::parse).any(|p| p.is_committee_seat());
            if !seat || path != m.org_path {
                continue;
            }
        }
        let status: Option<String> = r.try_get("a_status")?;
        let full = MemberStatus::parse(&r.try_get::<String, _>("status")?) == Some(MemberStatus::Full);
        out.push(Attendee {
            member_id: r.try_get("id")?,
            name: r.try_get("name")?,
            full_member: full,
            status_label: status.as_deref().and_then(AttendanceStatus::parse).map(|s| s.label().to_string()),
            status,
            reason: r.try_get::<Option<String>, _>("reason")?.unwrap_or_default(),
            means: r.try_get("means")?,
            at: r.try_get("at")?,
        });
    }
    Ok(out)
}

fn refuse_if_closed(m: &Meeting) -> AppResult<()> {
    if m.state() == MeetingState::Closed {
        return Err(AppError::invalid("meeting_closed", "会议已归档，记录已锁定；如需更正请提交更正说明"));
    }
    Ok(())
}

async fn upsert_attendance(conn: &mut Conn, meeting_id: i64, member_id: i64, status: AttendanceStatus, reason: &str, means: &str, by: Option<i64>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO meeting_attendance (meeting_id, member_id, status, reason, means, at, by_user_id) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (meeting_id, member_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, means = excluded.means, at = excluded.at, by_user_id = excluded.by_user_id",
    )
    .bind(meeting_id)
    .bind(member_id)
    .bind(status.code())
    .bind(reason)
    .bind(means)
    .bind(now_secs())
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct AttendanceInput {
    pub member_id: i64,
    /// present, excused, absent
    pub status: String,
    /// Required for excused.
    pub reason: Option<String>,
}

/// The secretary ticks attendance by hand.
pub async fn record_attendance(conn: &mut Conn, actor: &Actor, id: i64, items: &[AttendanceInput]) -> AppResult<Vec<Attendee>> {
    let m = get_writable(conn, actor, id).await?;
    refuse_if_closed(&m)?;
    let attendees = expected(conn, &m).await?;
    for a in items {
        if !attendees.iter().any(|e| e.member_id == a.member_id) {
            return Err(AppError::invalid("not_an_attendee", format!("党员（编号 {}）不是本次会议的应到人员", a.member_id)));
        }
        let status = AttendanceStatus::parse(&a.status)
            .ok_or_else(|| AppError::invalid_field("attendance_status_invalid", "status", "出勤情况应为 出席、请假 或 缺席"))?;
        let reason = a.reason.as_deref().unwrap_or("").trim();
        if status == AttendanceStatus::Excused && reason.is_empty() {
            return Err(AppError::invalid_field("reason_required", "reason", "请假须注明原因"));
        }
        // A row that says the same stays as it is: a QR sign-in remains 扫码.
        let unchanged = attendees.iter().any(|e| {
            e.member_id == a.member_id && e.status.as_deref() == Some(status.code()) && e.reason == reason
        });
        if !unchanged {
            upsert_attendance(conn, m.id, a.member_id, status, reason, "manual", Some(actor.user_id)).await?;
        }
    }
    let after = serde_json::json!({"attendance": items.iter().map(|a| (a.member_id, a.status.clone())).collect::<Vec<_>>()});
    audit::record(conn, Some(actor), "meeting.attendance", "meeting", Some(m.id), &(m.org_id, m.org_path.as_str()), None, Some(&after)).await?;
    expected(conn, &m).await
}

/// A member signs in with their own login, from the QR code at the door.
pub async fn sign_in(conn: &mut Conn, actor: &Actor, token: &str) -> AppResult<Meeting> {
    let mid: Option<i64> = sqlx::query_scalar("SELECT id FROM meetings WHERE signin_token = $1").bind(token).fetch_optional(&mut *conn).await?;
    let m = get(conn, mid.ok_or(AppError::NotFound)?).await?.ok_or(AppError::NotFound)?;
    let member_id = actor
        .member_id
        .ok_or_else(|| AppError::invalid("no_member_record", "您的账号没有关联党员档案，请联系支部书记代为签到"))?;
    refuse_if_closed(&m)?;
    let now = now_secs();
    if now < m.planned_start - SIGNIN_GRACE_SECS || now > m.planned_end + SIGNIN_GRACE_SECS {
        return Err(AppError::invalid(
            "signin_window_closed",
            format!("不在签到时间内：签到时间为会议开始前{}分钟至结束后{}分钟", SIGNIN_GRACE_SECS / 60, SIGNIN_GRACE_SECS / 60),
        ));
    }
    let attendees = expected(conn, &m).await?;
    let Some(me) = attendees.iter().find(|e| e.member_id == member_id) else {
        return Err(AppError::invalid("not_an_attendee", "您不是本次会议的应到人员"));
    };
    if me.status.as_deref() == Some("present") {
        return Err(AppError::conflict("already_signed_in", "您已签到，无需重复签到"));
    }
    upsert_attendance(conn, m.id, member_id, AttendanceStatus::Present, "", "qr", Some(actor.user_id)).await?;
    audit::record(conn, Some(actor), "meeting.sign_in", "meeting", Some(m.id), &(m.org_id, m.org_path.as_str()), None, None).await?;
    Ok(m)
}

/// Marks the meeting as held on a date (default: its planned day).
pub async fn hold(conn: &mut Conn, actor: &Actor, id: i64, on: Option<NaiveDate>) -> AppResult<Meeting> {
    let m = get_writable(conn, actor, id).await?;
    refuse_if_closed(&m)?;
    let day = on.unwrap_or_else(|| crate::db::china::date_of(m.planned_start));
    if day > crate::db::today() {
        return Err(AppError::invalid("held_in_future", "召开日期不能晚于今天"));
    }
    sqlx::query("UPDATE meetings SET state = 'held', held_on = $1, updated_at = $2 WHERE id = $3")
        .bind(day.to_string())
        .bind(now_secs())
        .bind(m.id)
        .execute(&mut *conn)
        .await?;
    crate::tallies::mark(conn, crate::tallies::Source::Life, m.org_id).await?;
    let after = get(conn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "meeting.hold", "meeting", Some(id), &(m.org_id, m.org_path.as_str()), None, Some(&serde_json::json!({"held_on": day.to_string()}))).await?;
    Ok(after)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct VoteInput {
    /// What was decided, e.g. "接收张三为预备党员".
    pub matter: String,
}

/// Records that a vote was taken; refused without quorum, with the counts.
pub async fn vote(conn: &mut Conn, actor: &Actor, id: i64, v: &VoteInput) -> AppResult<Meeting> {
    let m = get_writable(conn, actor, id).await?;
    refuse_if_closed(&m)?;
    if m.state() != MeetingState::Held {
        return Err(AppError::invalid("meeting_not_held", "会议尚未召开，不能记录表决"));
    }
    let body = match m.kind() {
        MeetingKind::GeneralAssembly => QuorumBody::GeneralAssembly,
        MeetingKind::Committee => QuorumBody::Committee,
        other => return Err(AppError::invalid("no_vote_for_kind", format!("{}不进行表决", other.label()))),
    };
    let attendees = expected(conn, &m).await?;
    let entitled: Vec<&Attendee> = match body {
        // Probationary members have no vote.
        QuorumBody::GeneralAssembly => attendees.iter().filter(|a| a.full_member).collect(),
        QuorumBody::Committee => attendees.iter().collect(),
    };
    let present = entitled.iter().filter(|a| a.status.as_deref() == Some("present")).count() as u32;
    let check = quorum(body, entitled.len() as u32, present);
    if !check.met {
        return Err(AppError::invalid("no_quorum", check.explanation));
    }
    let matter = v.matter.trim();
    if matter.is_empty() {
        return Err(AppError::invalid_field("matter_required", "matter", "请填写表决事项"));
    }
    sqlx::query("UPDATE meetings SET vote_entitled = $1, vote_present = $2, vote_result = $3, updated_at = $4 WHERE id = $5")
        .bind(check.entitled as i64)
        .bind(check.present as i64)
        .bind(format!("{matter}（{}）", check.explanation))
        .bind(now_secs())
        .bind(m.id)
        .execute(&mut *conn)
        .await?;
    let after = get(conn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "meeting.vote", "meeting", Some(id), &(m.org_id, m.org_path.as_str()), None, Some(&serde_json::json!({"matter": matter, "entitled": check.entitled, "present": check.present}))).await?;
    Ok(after)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct CloseInput {
    pub minutes: String,
}

/// Closes a held meeting with its minutes; afterwards only amendments change it.
pub async fn close(conn: &mut Conn, actor: &Actor, default_checklist: &Checklist, id: i64, c: &CloseInput) -> AppResult<Meeting> {
    let m = get_writable(conn, actor, id).await?;
    refuse_if_closed(&m)?;
    if m.state() != MeetingState::Held {
        return Err(AppError::invalid("meeting_not_held", "会议尚未召开，请先登记召开日期和出勤"));
    }
    if c.minutes.trim().is_empty() {
        return Err(AppError::invalid_field("minutes_required", "minutes", "归档前请填写会议记录"));
    }
    let unrecorded = expected(conn, &m).await?.iter().filter(|a| a.status.is_none()).count();
    if unrecorded > 0 {
        return Err(AppError::invalid("attendance_incomplete", format!("还有 {unrecorded} 名应到人员未登记出勤情况（出席、请假或缺席）")));
    }
    if m.kind() == MeetingKind::ThemeDay {
        let verdict = checklist_for(conn, default_checklist, &m.org_path).await?.checklist.check(&m.items_done);
        if !verdict.complete {
            return Err(AppError::invalid("theme_day_items_missing", format!("{}。请在“活动内容”中勾选已完成的项目后再归档", verdict.explanation)));
        }
    }
    sqlx::query("UPDATE meetings SET state = 'closed', minutes = $1, closed_at = $2, updated_at = $2 WHERE id = $3")
        .bind(c.minutes.trim())
        .bind(now_secs())
        .bind(m.id)
        .execute(&mut *conn)
        .await?;
    let after = get(conn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "meeting.close", "meeting", Some(id), &(m.org_id, m.org_path.as_str()), None, None).await?;
    Ok(after)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct AmendmentInput {
    /// minutes, topic or place
    pub field: String,
    pub value: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Amendment {
    pub id: i64,
    pub field: String,
    pub before: String,
    pub after: String,
    pub reason: String,
    pub at: i64,
}

/// Corrects a closed meeting: the original stays in the amendment record.
pub async fn amend(conn: &mut Conn, actor: &Actor, id: i64, a: &AmendmentInput) -> AppResult<Amendment> {
    let m = get_writable(conn, actor, id).await?;
    if m.state() != MeetingState::Closed {
        return Err(AppError::invalid("meeting_not_closed", "会议尚未归档，可直接修改"));
    }
    let (col, before) = match a.field.as_str() {
        "minutes" => ("minutes", m.minutes.clone()),
        "topic" => ("topic", m.topic.clone()),
        "place" => ("place", m.place.clone()),
        _ => return Err(AppError::invalid_field("field_invalid", "field", "只能更正会议记录、主题或地点")),
    };
    if a.reason.trim().is_empty() {
        return Err(AppError::invalid_field("reason_required", "reason", "请填写更正原因"));
    }
    let now = now_secs();
    let aid: i64 = sqlx::query_scalar(
        "INSERT INTO meeting_amendments (meeting_id, field, before_text, after_text, reason, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(m.id)
    .bind(col)
    .bind(&before)
    .bind(a.value.trim())
    .bind(a.reason.trim())
    .bind(actor.user_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(&format!("UPDATE meetings SET {col} = $1, updated_at = $2 WHERE id = $3")).bind(a.value.trim()).bind(now).bind(m.id).execute(&mut *conn).await?;
    crate::tallies::mark(conn, crate::tallies::Source::Life, m.org_id).await?;
    audit::record(conn, Some(actor), "meeting.amend", "meeting", Some(id), &(m.org_id, m.org_path.as_str()), Some(&serde_json::json!({col: before})), Some(&serde_json::json!({col: a.value.trim(), "reason": a.reason.trim()}))).await?;
    Ok(Amendment { id: aid, field: col.into(), before, after: a.value.trim().into(), reason: a.reason.trim().into(), at: now })
}

pub async fn amendments(conn: &mut Conn, meeting_id: i64) -> AppResult<Vec<Amendment>> {
    let rows = sqlx::query("SELECT id, field, before_text, after_text, reason, at FROM meeting_amendments WHERE meeting_id = $1 ORDER BY id")
        .bind(meeting_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Amendment {
                id: r.try_get("id")?,
                field: r.try_get("field")?,
                before: r.try_get("before_text")?,
                after: r.try_get("after_text")?,
                reason: r.try_get("reason")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// 主题党日 checklist (per county or any org; the nearest ancestor's applies)
// ---------------------------------------------------------------------------

/// The checklist that applies at an org, and where it was set (None: the configured default).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EffectiveChecklist {
    pub checklist: Checklist,
    pub set_at_org_id: Option<i64>,
    pub set_at_org_name: Option<String>,
}

pub async fn checklist_for(conn: &mut Conn, default: &Checklist, org_path: &str) -> AppResult<EffectiveChecklist> {
    let ids = crate::db::path::ids(org_path);
    let mut sql = Sql::new(
        "SELECT c.name, c.required_items, c.optional_items, c.min_optional, o.id, o.name AS org_name, o.path \
         FROM theme_day_checklists c JOIN orgs o ON o.id = c.org_id WHERE c.org_id IN (",
    );
    sql.bind_list(ids).push(")");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    let mut best: Option<(usize, EffectiveChecklist)> = None;
    for r in rows {
        let depth = r.try_get::<String, _>("path")?.len();
        if best.as_ref().is_some_and(|(d, _)| *d >= depth) {
            continue;
        }
        let checklist = Checklist {
            name: r.try_get("name")?,
            required: theme_day::split(&r.try_get::<String, _>("required_items")?),
            optional: theme_day::split(&r.try_get::<String, _>("optional_items")?),
            min_optional: r.try_get::<i64, _>("min_optional")?.max(0) as u32,
        };
        best = Some((depth, EffectiveChecklist { checklist, set_at_org_id: Some(r.try_get("id")?), set_at_org_name: Some(r.try_get("org_name")?) }));
    }
    Ok(best.map(|(_, e)| e).unwrap_or_else(|| EffectiveChecklist { checklist: default.clone(), set_at_org_id: None, set_at_org_name: None }))
}

/// A county (or any org whose tree the actor may edit) sets the checklist for its subtree.
pub async fn set_checklist(conn: &mut Conn, actor: &Actor, org_id: i64, input: Checklist) -> AppResult<EffectiveChecklist> {
    let org = orgs::get_writable(conn, actor, org_id).await?;
    let c = input.normalized().map_err(|e| AppError::invalid("checklist_invalid", e.0))?;
    sqlx::query(
        "INSERT INTO theme_day_checklists (org_id, name, required_items, optional_items, min_optional, by_user_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (org_id) DO UPDATE SET name = excluded.name, required_items = excluded.required_items, optional_items = excluded.optional_items, \
         min_optional = excluded.min_optional, by_user_id = excluded.by_user_id, updated_at = excluded.updated_at",
    )
    .bind(org.id)
    .bind(&c.name)
    .bind(theme_day::join(&c.required))
    .bind(theme_day::join(&c.optional))
    .bind(c.min_optional as i64)
    .bind(actor.user_id)
    .bind(now_secs())
    .execute(&mut *conn)
    .await?;
    audit::record(conn, Some(actor), "theme_day.checklist", "org", Some(org.id), &org, None, Some(&serde_json::to_value(&c).unwrap_or_default())).await?;
    Ok(EffectiveChecklist { checklist: c, set_at_org_id: Some(org.id), set_at_org_name: Some(org.name.clone()) })
}

/// Ticks the 主题党日 items done at a meeting; only items on the applicable checklist.
pub async fn set_items(conn: &mut Conn, actor: &Actor, default: &Checklist, id: i64, done: &[String]) -> AppResult<Meeting> {
    let m = get_writable(conn, actor, id).await?;
    refuse_if_closed(&m)?;
    if m.kind() != MeetingKind::ThemeDay {
        return Err(AppError::invalid("not_theme_day", "只有主题党日需要登记活动内容"));
    }
    let list = checklist_for(conn, default, &m.org_path).await?.checklist;
    let mut items: Vec<String> = Vec::new();
    for x in done.iter().map(|x| x.trim()).filter(|x| !x.is_empty()) {
        if !list.required.iter().chain(&list.optional).any(|i| i == x) {
            return Err(AppError::invalid_field(
                "item_not_on_checklist",
                "items",
                format!("“{x}”不在“{}”清单中；可选：{}", list.name, list.required.iter().chain(&list.optional).cloned().collect::<Vec<_>>().join("、")),
            ));
        }
        if !items.iter().any(|i| i == x) {
            items.push(x.to_string());
        }
    }
    sqlx::query("UPDATE meetings SET items_done = $1, updated_at = $2 WHERE id = $3")
        .bind(theme_day::join(&items))
        .bind(now_secs())
        .bind(m.id)
        .execute(&mut *conn)
        .await?;
    audit::record(conn, Some(actor), "meeting.items", "meeting", Some(m.id), &(m.org_id, m.org_path.as_str()), Some(&serde_json::json!({"items": m.items_done})), Some(&serde_json::json!({"items": items}))).await?;
    get(conn, id).await?.ok_or(AppError::NotFound)
}

// ---------------------------------------------------------------------------
// Photos and files
// ---------------------------------------------------------------------------

pub const MAX_FILES_PER_MEETING: i64 = 30;

pub use crate::files::StoredFile as MeetingFile;

pub async fn add_file(conn: &mut Conn, actor: &Actor, id: i64, name: &str, data: &[u8]) -> AppResult<MeetingFile> {
    let m = get_writable(conn, actor, id).await?;
    refuse_if_closed(&m)?;
    let crate::files::Checked { name, content_type, sha256: sha } = crate::files::check(name, data)?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meeting_files WHERE meeting_id = $1").bind(m.id).fetch_one(&mut *conn).await?;
    if count >= MAX_FILES_PER_MEETING {
        return Err(AppError::invalid("too_many_files", format!("每次会议最多上传 {MAX_FILES_PER_MEETING} 个照片或文件")));
    }
    let now = now_secs();
    let fid: i64 = sqlx::query_scalar(
        "INSERT INTO meeting_files (meeting_id, name, content_type, size, sha256, data, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(m.id)
    .bind(&name)
    .bind(content_type)
    .bind(data.len() as i64)
    .bind(&sha)
    .bind(data.to_vec())
    .bind(actor.user_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let f = MeetingFile { id: fid, name, content_type: content_type.into(), size: data.len() as i64, sha256: sha, at: now };
    audit::record(conn, Some(actor), "meeting.file", "meeting", Some(m.id), &(m.org_id, m.org_path.as_str()), None, Some(&serde_json::to_value(&f).unwrap_or_default())).await?;
    Ok(f)
}

pub async fn files(conn: &mut Conn, meeting_id: i64) -> AppResult<Vec<MeetingFile>> {
    let rows = sqlx::query("SELECT id, name, content_type, size, sha256, at FROM meeting_files WHERE meeting_id = $1 ORDER BY id")
        .bind(meeting_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(MeetingFile::from_row).collect()
}

/// A file of a meeting inside `scope`, with its bytes.
pub async fn file(conn: &mut Conn, scope: &Scope<cap::ReadOrgLife>, meeting_id: i64, file_id: i64) -> AppResult<(MeetingFile, Vec<u8>)> {
    let m = get_scoped(conn, scope, meeting_id).await?;
    let r = sqlx::query("SELECT id, name, content_type, size, sha256, at, data FROM meeting_files WHERE meeting_id = $1 AND id = $2")
        .bind(m.id)
        .bind(file_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((MeetingFile::from_row(&r)?, r.try_get("data")?))
}
