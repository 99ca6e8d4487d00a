//! An org's leadership team (班子): who holds 书记, 副书记 and 委员, from when to when, and the
//! warnings on it (no 书记 now, two at once, an end before a start: `cadres::rules`), with the
//! term and its 换届 date from the org's setup rules. A seat is ended, never deleted.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::model::Org;
use super::store as orgs;
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::cadres::rules::{team_warnings, TeamPost, TeamSeat};
use crate::db::{now_secs, path, Conn};
use crate::error::{AppError, AppResult};
use crate::members::store as members;
use crate::members::validate::past_day as day;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Seat {
    pub id: i64,
    pub member_id: i64,
    pub name: String,
    /// secretary, deputy_secretary, member
    pub post: String,
    pub post_label: String,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub end_reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TeamWarning {
    pub code: String,
    pub message: String,
    pub rule: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Team {
    pub org_id: i64,
    pub org_name: String,
    /// In post today, 书记 first.
    pub current: Vec<Seat>,
    /// Ended seats, latest first.
    pub past: Vec<Seat>,
    pub term_start: Option<String>,
    /// The day the term ends (5 years for village and community branches, 3 for others).
    pub term_end: Option<String>,
    pub warnings: Vec<TeamWarning>,
}

async fn seats(conn: &mut Conn, org_id: i64) -> AppResult<Vec<Seat>> {
    let rows = sqlx::query(
        "SELECT s.id, s.member_id, m.name, s.post, s.starts_on, s.ends_on, s.end_reason FROM org_team s JOIN members m ON m.id = s.member_id \
         WHERE s.org_id = $1 ORDER BY s.starts_on, s.id",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let post: String = r.try_get("post")?;
            Ok(Seat {
                id: r.try_get("id")?,
                member_id: r.try_get("member_id")?,
                name: r.try_get("name")?,
                post_label: TeamPost::parse(&post).map(|p| p.label()).unwrap_or("").into(),
                post,
                starts_on: r.try_get("starts_on")?,
                ends_on: r.try_get("ends_on")?,
                end_reason: r.try_get("end_reason")?,
            })
        })
        .collect()
}

/// The team of an org the caller may read.
pub async fn team(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, setup: &crate::config::OrgSetupRules, org: &Org) -> AppResult<Team> {
    scope.require_at(&org.path)?;
    let all = seats(conn, org.id).await?;
    let today = crate::db::today();
    let as_rule: Vec<TeamSeat> = all
        .iter()
        .filter_map(|s| {
            Some(TeamSeat {
                member_id: s.member_id,
                name: s.name.clone(),
                post: TeamPost::parse(&s.post)?,
                start: s.starts_on.parse().ok()?,
                end: s.ends_on.as_deref().and_then(|d| d.parse().ok()),
            })
        })
        .collect();
    let warnings = if org.kind == super::model::OrgKind::Group {
        vec![]
    } else {
        team_warnings(&as_rule, today).into_iter().map(|f| TeamWarning { code: f.code.code().into(), message: f.message, rule: f.rule }).collect()
    };
    let (mut current, mut past): (Vec<Seat>, Vec<Seat>) = all.into_iter().partition(|s| s.ends_on.as_deref().is_none_or(|e| e > today.to_string().as_str()));
    current.sort_by_key(|s| (TeamPost::parse(&s.post), s.starts_on.clone()));
    past.reverse();
    let years = super::rules::term_years(org.domain, setup);
    let term_end = org.term_start.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()).map(|d| crate::recruitment::rules::add_months(d, years as u32 * 12).to_string());
    Ok(Team { org_id: org.id, org_name: org.name.clone(), current, past, term_start: org.term_start.clone(), term_end, warnings })
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AppointInput {
    pub member_id: Option<i64>,
    /// secretary (书记), deputy_secretary (副书记), member (委员)
    pub post: Option<String>,
    /// YYYY-MM-DD
    pub starts_on: Option<String>,
}

/// Appoints a member of the org (or of its groups) to a post.
pub async fn appoint(conn: &mut Conn, actor: &Actor, org_id: i64, input: &AppointInput) -> AppResult<Seat> {
    let org = orgs::get_writable(conn, actor, org_id).await?;
    crate::tallies::mark(conn, crate::tallies::Source::Cadres, org.id).await?;
    let post = input.post.as_deref().and_then(TeamPost::parse).ok_or_else(|| AppError::invalid_field("post_invalid", "post", format!("请选择职务：{}", TeamPost::labels())))?;
    let mid = input.member_id.ok_or_else(|| AppError::invalid_field("member_required", "member_id", "请选择任职的党员"))?;
    let m = members::get_scoped(conn, &actor.scope::<cap::ReadMembers>(), mid)
        .await
        .map_err(|_| AppError::invalid_field("member_unknown", "member_id", "所选党员不存在或不在您的管理范围内"))?;
    if !path::contains(&org.path, &m.org_path) || m.left_on.is_some() {
        return Err(AppError::invalid_field("member_outside_org", "member_id", format!("{}不是{}的党员", m.name, org.name)));
    }
    let start = day("starts_on", input.starts_on.as_deref())?;
    let open: Option<i64> = sqlx::query_scalar("SELECT id FROM org_team WHERE org_id = $1 AND member_id = $2 AND post = $3 AND ends_on IS NULL")
        .bind(org.id)
        .bind(m.id)
        .bind(post.code())
        .fetch_optional(&mut *conn)
        .await?;
    if open.is_some() {
        return Err(AppError::conflict("already_in_post", format!("{}已任{}{}", m.name, org.name, post.label())));
    }
    let res = sqlx::query_scalar::<_, i64>("INSERT INTO org_team (org_id, member_id, post, starts_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(org.id)
        .bind(m.id)
        .bind(post.code())
        .bind(start.to_string())
        .bind(actor.user_id)
        .bind(now_secs())
        .fetch_one(&mut *conn)
        .await;
    // The partial unique index settles two parallel appointments the check above let through.
    let id = match res {
        Err(e) if crate::error::is_unique_violation(&e) => return Err(AppError::conflict("already_in_post", format!("{}已任{}{}", m.name, org.name, post.label()))),
        other => other?,
    };
    audit::record(conn, Some(actor), "team.appoint", "org", Some(org.id), &org, None, Some(&serde_json::json!({"member": m.name, "post": post.label(), "starts_on": start.to_string()}))).await?;
    seats(conn, org.id).await?.into_iter().find(|s| s.id == id).ok_or(AppError::NotFound)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EndInput {
    pub ends_on: Option<String>,
    /// 换届, 调离, 免职, …
    pub reason: Option<String>,
}

/// Ends a seat (免职, 换届): the record stays.
pub async fn end_seat(conn: &mut Conn, actor: &Actor, seat_id: i64, input: &EndInput) -> AppResult<Seat> {
    let org_id: Option<i64> = sqlx::query_scalar("SELECT org_id FROM org_team WHERE id = $1").bind(seat_id).fetch_optional(&mut *conn).await?;
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadOrgs>(), org_id.ok_or(AppError::NotFound)?).await?;
    if !actor.can(Perm::WriteOrgs, &org.path) {
        return Err(AppError::forbidden("您的角色无权调整该组织的班子"));
    }
    crate::tallies::mark(conn, crate::tallies::Source::Cadres, org.id).await?;
    let seat = seats(conn, org.id).await?.into_iter().find(|s| s.id == seat_id).ok_or(AppError::NotFound)?;
    if seat.ends_on.is_some() {
        return Err(AppError::conflict("seat_ended", format!("{}的{}职务已于{}结束", seat.name, seat.post_label, seat.ends_on.as_deref().unwrap_or(""))));
    }
    let end = day("ends_on", input.ends_on.as_deref())?;
    if end.to_string() < seat.starts_on {
        return Err(AppError::invalid_field("date_order", "ends_on", format!("结束日期不能早于任职日期 {}", seat.starts_on)));
    }
    let reason = input.reason.as_deref().map(str::trim).unwrap_or("");
    if reason.is_empty() {
        return Err(AppError::invalid_field("reason_required", "reason", "请填写结束原因，如“换届”“调离”"));
    }
    let done = sqlx::query("UPDATE org_team SET ends_on = $1, end_reason = $2 WHERE id = $3 AND ends_on IS NULL").bind(end.to_string()).bind(reason).bind(seat_id).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict("seat_ended", format!("{}的{}职务已结束", seat.name, seat.post_label)));
    }
    audit::record(conn, Some(actor), "team.end", "org", Some(org.id), &org, None, Some(&serde_json::json!({"member": seat.name, "post": seat.post_label, "ends_on": end.to_string(), "reason": reason}))).await?;
    seats(conn, org.id).await?.into_iter().find(|s| s.id == seat_id).ok_or(AppError::NotFound)
}
