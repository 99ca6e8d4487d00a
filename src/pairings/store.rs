//! Pairings in the database. A pairing has two sides (the helper and the helped org) and is
//! seen from either: a reader who holds `ReadOrgs` at one side sees it, and it is listed on both
//! orgs. Making or ending one needs `WriteOrgs` at both sides (the county arranges it); an
//! activity may be recorded by either side's secretary (`WriteOrgLife`). One open pairing per
//! kind and pair of orgs is kept by a partial unique index.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, PairingKind};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{is_unique_violation, AppError, AppResult};
use crate::members::validate::{past_day as day, short_text};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;

/// A list holds at most this many pairings.
pub const MAX_LIST: i64 = 5_000;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PairingView {
    pub id: i64,
    /// liaison (包联), co_building (共驻共建), assistance (结对帮扶)
    pub kind: String,
    pub kind_label: String,
    pub helper_id: i64,
    pub helper_name: String,
    pub helped_id: i64,
    pub helped_name: String,
    /// 包联领导 (name and post), when a leader liaises.
    pub leader: String,
    /// Contact person and phone on the helper's side.
    pub contact: String,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub end_reason: Option<String>,
    pub note: String,
    pub activities: i64,
    pub last_activity_on: Option<String>,
    /// No activity for a while (a reminder).
    pub quiet: Option<String>,
    #[serde(skip)]
    pub helper_path: String,
    #[serde(skip)]
    pub helped_path: String,
}

impl audit::InOrg for PairingView {
    fn org_ref(&self) -> (i64, &str) {
        (self.helped_id, &self.helped_path)
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ActivityView {
    pub id: i64,
    pub held_on: String,
    /// What was done.
    pub summary: String,
    /// People taking part, when counted.
    pub people: i64,
}

const COLS: &str = "p.id, p.kind, p.helper_id, h.name AS helper_name, h.path AS helper_path, p.helped_id, d.name AS helped_name, d.path AS helped_path, \
    p.leader, p.contact, p.starts_on, p.ends_on, p.end_reason, p.note, \
    (SELECT COUNT(*) FROM pairing_activities a WHERE a.pairing_id = p.id) AS activities, \
    (SELECT MAX(a.held_on) FROM pairing_activities a WHERE a.pairing_id = p.id) AS last_activity_on";
const FROM: &str = "FROM pairings p JOIN orgs h ON h.id = p.helper_id JOIN orgs d ON d.id = p.helped_id";

fn from_row(cfg: &Rules, r: &Row) -> AppResult<PairingView> {
    let kind: String = r.try_get("kind")?;
    let mut v = PairingView {
        id: r.try_get("id")?,
        kind_label: PairingKind::parse(&kind).map(|k| k.label()).unwrap_or("").into(),
        kind,
        helper_id: r.try_get("helper_id")?,
        helper_name: r.try_get("helper_name")?,
        helped_id: r.try_get("helped_id")?,
        helped_name: r.try_get("helped_name")?,
        leader: r.try_get("leader")?,
        contact: r.try_get("contact")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        end_reason: r.try_get("end_reason")?,
        note: r.try_get("note")?,
        activities: r.try_get("activities")?,
        last_activity_on: r.try_get("last_activity_on")?,
        quiet: None,
        helper_path: r.try_get("helper_path")?,
        helped_path: r.try_get("helped_path")?,
    };
    let today = crate::db::today();
    if let Ok(start) = v.starts_on.parse() {
        let ended = v.ends_on.as_deref().is_some_and(|e| e <= today.to_string().as_str());
        v.quiet = rules::quiet(&cfg.pairings, start, v.last_activity_on.as_deref().and_then(|d| d.parse().ok()), ended, today);
    }
    Ok(v)
}

/// A pairing one of whose sides is inside `scope`; else NotFound.
pub async fn get(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadOrgs>, id: i64) -> AppResult<PairingView> {
    let sql = format!("SELECT {COLS} {FROM} WHERE p.id = $1");
    match sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| from_row(cfg, &r)).transpose()? {
        Some(v) if scope.covers(&v.helper_path) || scope.covers(&v.helped_path) => Ok(v),
        _ => Err(AppError::NotFound),
    }
}

pub async fn activities(conn: &mut Conn, id: i64) -> AppResult<Vec<ActivityView>> {
    let rows = sqlx::query("SELECT id, held_on, summary, people FROM pairing_activities WHERE pairing_id = $1 ORDER BY held_on DESC, id DESC").bind(id).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| Ok(ActivityView { id: r.try_get("id")?, held_on: r.try_get("held_on")?, summary: r.try_get("summary")?, people: r.try_get("people")? })).collect()
}

async fn side(conn: &mut Conn, actor: &Actor, id: Option<i64>, field: &'static str, what: &str) -> AppResult<Org> {
    let id = id.ok_or_else(|| AppError::invalid_field("org_required", field, format!("请选择{what}")))?;
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadOrgs>(), id).await?;
    if !actor.can(Perm::WriteOrgs, &org.path) {
        return Err(AppError::forbidden(format!("您的角色无权为{}安排结对", org.name)));
    }
    Ok(org)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PairingInput {
    /// liaison (包联), co_building (共驻共建), assistance (结对帮扶)
    pub kind: Option<String>,
    /// The org that helps or liaises (the unit's org, the county committee).
    pub helper_org_id: Option<i64>,
    /// The org helped (contact point, community, village).
    pub helped_org_id: Option<i64>,
    /// 包联领导: name and post. Required for 包联.
    pub leader: Option<String>,
    /// Contact person and phone.
    pub contact: Option<String>,
    /// YYYY-MM-DD.
    pub starts_on: Option<String>,
    /// What the pairing is for (共建协议 items).
    pub note: Option<String>,
}

/// Makes a pairing (needs `WriteOrgs` at both sides).
pub async fn create(conn: &mut Conn, actor: &Actor, cfg: &Rules, input: &PairingInput) -> AppResult<PairingView> {
    if !actor.can_anywhere(Perm::WriteOrgs) {
        return Err(AppError::forbidden("您的角色无权安排结对"));
    }
    let kind = input.kind.as_deref().and_then(PairingKind::parse).ok_or_else(|| AppError::invalid_field("kind_invalid", "kind", format!("请选择结对类型：{}", PairingKind::labels())))?;
    let helper = side(conn, actor, input.helper_org_id, "helper_org_id", "结对（包联）方党组织").await?;
    let helped = side(conn, actor, input.helped_org_id, "helped_org_id", "被结对（联系点）党组织").await?;
    let leader = short_text("leader", &input.leader, 60, "包联领导")?;
    rules::check_new(kind, helper.id, helped.id, &leader).map_err(|r| AppError::invalid_field(r.code, r.field, r.message))?;
    let start = day("starts_on", input.starts_on.as_deref())?;
    let res = sqlx::query_scalar::<_, i64>(
        "INSERT INTO pairings (kind, helper_id, helped_id, leader, contact, starts_on, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(kind.code())
    .bind(helper.id)
    .bind(helped.id)
    .bind(&leader)
    .bind(short_text("contact", &input.contact, 60, "联系人")?)
    .bind(start.to_string())
    .bind(short_text("note", &input.note, 300, "结对内容")?)
    .bind(actor.user_id)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await;
    let id = match res {
        Err(e) if is_unique_violation(&e) => return Err(AppError::conflict("already_paired", format!("{}与{}已有{}关系", helper.name, helped.name, kind.label()))),
        other => other?,
    };
    let v = get(conn, cfg, &actor.scope(), id).await?;
    audit::record(conn, Some(actor), "pairing.create", "pairing", Some(id), &v, None, Some(&serde_json::json!({"kind": v.kind_label, "helper": v.helper_name, "helped": v.helped_name, "starts_on": v.starts_on}))).await?;
    Ok(v)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ActivityInput {
    /// YYYY-MM-DD.
    pub held_on: Option<String>,
    /// What was done: 走访, 送学, 共建项目, 办实事 …
    pub summary: Option<String>,
    /// People taking part.
    pub people: Option<i64>,
}

/// Records what a pairing did; either side's secretary may (`WriteOrgLife` at one side).
pub async fn add_activity(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &ActivityInput) -> AppResult<PairingView> {
    let v = get(conn, cfg, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteOrgLife, &v.helper_path) && !actor.can(Perm::WriteOrgLife, &v.helped_path) {
        return Err(AppError::forbidden("您的角色无权登记结对活动"));
    }
    if let Some(e) = &v.ends_on {
        return Err(AppError::conflict("pairing_ended", format!("该结对已于{e}结束")));
    }
    let on = day("held_on", input.held_on.as_deref())?;
    if on.to_string() < v.starts_on {
        return Err(AppError::invalid_field("date_order", "held_on", format!("活动日期不能早于结对开始 {}", v.starts_on)));
    }
    let summary = short_text("summary", &input.summary, 500, "活动内容")?;
    if summary.is_empty() {
        return Err(AppError::invalid_field("summary_required", "summary", "请填写活动内容，如“走访困难户5户，解决饮水问题”"));
    }
    let people = input.people.unwrap_or(0);
    if !(0..=100_000).contains(&people) {
        return Err(AppError::invalid_field("people_invalid", "people", "参加人数应在0到100000之间"));
    }
    sqlx::query("INSERT INTO pairing_activities (pairing_id, held_on, summary, people, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(v.id)
        .bind(on.to_string())
        .bind(&summary)
        .bind(people)
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    audit::record(conn, Some(actor), "pairing.activity", "pairing", Some(v.id), &v, None, Some(&serde_json::json!({"held_on": on.to_string(), "summary": summary}))).await?;
    get(conn, cfg, &actor.scope(), id).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EndInput {
    /// YYYY-MM-DD.
    pub ends_on: Option<String>,
    /// 调整, 任务完成, …
    pub reason: Option<String>,
}

/// Ends a pairing (needs `WriteOrgs` at both sides); it stays listed as past.
pub async fn end(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &EndInput) -> AppResult<PairingView> {
    let v = get(conn, cfg, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteOrgs, &v.helper_path) || !actor.can(Perm::WriteOrgs, &v.helped_path) {
        return Err(AppError::forbidden("您的角色无权结束该结对"));
    }
    let on = day("ends_on", input.ends_on.as_deref())?;
    if on.to_string() < v.starts_on {
        return Err(AppError::invalid_field("date_order", "ends_on", format!("结束日期不能早于结对开始 {}", v.starts_on)));
    }
    let reason = short_text("reason", &input.reason, 200, "结束原因")?;
    if reason.is_empty() {
        return Err(AppError::invalid_field("reason_required", "reason", "请填写结束原因，如“包联调整”"));
    }
    let done = sqlx::query("UPDATE pairings SET ends_on = $1, end_reason = $2 WHERE id = $3 AND ends_on IS NULL").bind(on.to_string()).bind(&reason).bind(v.id).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict("pairing_ended", "该结对已结束"));
    }
    audit::record(conn, Some(actor), "pairing.end", "pairing", Some(v.id), &v, None, Some(&serde_json::json!({"ends_on": on.to_string(), "reason": reason}))).await?;
    get(conn, cfg, &actor.scope(), id).await
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct KindCount {
    pub kind: String,
    pub label: String,
    pub count: usize,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PairingList {
    pub org_id: i64,
    pub org_name: String,
    /// In force, with one side in the subtree.
    pub current: Vec<PairingView>,
    pub by_kind: Vec<KindCount>,
    pub quiet: usize,
    /// Ended, latest first.
    pub past: Vec<PairingView>,
    pub summary: String,
}

/// The pairings with one side in `root`'s subtree that the caller may read.
pub async fn list(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadOrgs>, root: &Org) -> AppResult<PairingList> {
    let scope = scope.within(&root.path);
    let mut sql = Sql::new(&format!("SELECT {COLS} {FROM} WHERE 1 = 1"));
    scope.push_filter_any(&mut sql, &["h.path", "d.path"]);
    sql.push(" ORDER BY p.kind, d.path, p.id LIMIT ").bind(MAX_LIST);
    let all: Vec<PairingView> = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| from_row(cfg, r)).collect::<AppResult<_>>()?;
    let today = crate::db::today().to_string();
    let (current, mut past): (Vec<_>, Vec<_>) = all.into_iter().partition(|p| p.ends_on.as_deref().is_none_or(|e| e > today.as_str()));
    past.sort_by(|a, b| b.ends_on.cmp(&a.ends_on));
    let by_kind: Vec<KindCount> = PairingKind::ALL.iter().map(|k| KindCount { kind: k.code().into(), label: k.label().into(), count: current.iter().filter(|p| p.kind == k.code()).count() }).collect();
    let quiet = current.iter().filter(|p| p.quiet.is_some()).count();
    let summary = format!(
        "{}：结对关系 {} 个（{}）；超过{}天没有活动 {} 个；已结束 {} 个。",
        root.name,
        current.len(),
        by_kind.iter().map(|k| format!("{} {}", k.label, k.count)).collect::<Vec<_>>().join("，"),
        cfg.pairings.quiet_after_days,
        quiet,
        past.len()
    );
    Ok(PairingList { org_id: root.id, org_name: root.name.clone(), current, by_kind, quiet, past, summary })
}

/// The 结对共建台账 as a workbook: one row per pairing, activities counted.
pub async fn list_xlsx(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadOrgs>, root: &Org) -> AppResult<Vec<u8>> {
    let l = list(conn, cfg, scope, root).await?;
    let headers = ["类型", "结对（包联）方", "包联领导", "被结对方", "联系人", "开始", "结束", "内容", "活动次数", "最近活动", "提醒"];
    let widths = [10.0, 20.0, 18.0, 20.0, 16.0, 11.0, 11.0, 30.0, 8.0, 11.0, 40.0];
    let rows = l.current.into_iter().chain(l.past).map(|p| {
        vec![
            p.kind_label,
            p.helper_name,
            p.leader,
            p.helped_name,
            p.contact,
            p.starts_on,
            match (p.ends_on, p.end_reason) {
                (Some(e), Some(r)) => format!("{e}（{r}）"),
                (Some(e), None) => e,
                _ => String::new(),
            },
            p.note,
            p.activities.to_string(),
            p.last_activity_on.unwrap_or_default(),
            p.quiet.unwrap_or_default(),
        ]
    });
    crate::members::sheets::write_table_xlsx(&format!("{}结对共建台账", root.name), &headers, &widths, rows).map_err(|e| AppError::invalid("export_failed", e))
}
