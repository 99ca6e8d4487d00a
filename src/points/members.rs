//! Members' points in the database: a replayable projection. [`sync`] reads the records of a
//! subtree's year (attendance of held meetings, training marks, dues payments), values them by
//! the catalog in force for each member (the nearest ancestor's, else the rules file's), and
//! appends what the ledger lacks — a new entry when a record appears, a reversing one when it is
//! corrected or removed. Reads sync first, so a member's standing always equals their records;
//! `yinghuo points-replay` runs the same for every org. Each entry of a key carries its sequence
//! number under a unique index: two syncs racing on one member cannot both append, and the loser
//! retries the whole transaction.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::member_rules::{self, Category, Key, MemberCatalog, RuleCode, Standing};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, path, Conn, Sql, Val};
use crate::error::{AppError, AppResult};
use crate::orgs::model::Org;

/// The catalogs set by orgs (the nearest ancestor's applies, else the rules file's).
type Catalogs = crate::orgs::inherited::Inherited<MemberCatalog>;

async fn catalogs(conn: &mut Conn, cfg: &Rules) -> AppResult<Catalogs> {
    Catalogs::load(conn, "point_catalogs", cfg.member_points.clone()).await
}

/// The catalog in force at `org` and the org that set it (None: the rules file's default).
pub async fn effective_catalog(conn: &mut Conn, cfg: &Rules, org: &Org) -> AppResult<(MemberCatalog, Option<String>)> {
    let cats = catalogs(conn, cfg).await?;
    let (c, from) = cats.at(&org.path);
    Ok((c.clone(), from.map(str::to_string)))
}

/// Sets the catalog of an org's subtree (needs `WriteOrgs` there).
pub async fn set_catalog(conn: &mut Conn, actor: &Actor, org: &Org, c: &MemberCatalog) -> AppResult<()> {
    if !actor.can(Perm::WriteOrgs, &org.path) {
        return Err(AppError::forbidden("您的角色无权设置积分规则"));
    }
    c.validate().map_err(|m| AppError::invalid("catalog_invalid", m))?;
    let (body, before) = crate::orgs::inherited::put(conn, "point_catalogs", org.id, actor.user_id, c).await?;
    audit::record(conn, Some(actor), "points.catalog", "org", Some(org.id), org, before.map(serde_json::Value::String).as_ref(), Some(&serde_json::Value::String(body))).await?;
    Ok(())
}

fn year_days(year: i32) -> (String, String) {
    (format!("{year:04}-01-01"), format!("{year:04}-12-31"))
}

/// Brings the ledger of the members under `root_path` for `year` in step with their records;
/// returns the number of entries appended.
pub async fn sync(conn: &mut Conn, cfg: &Rules, root_path: &str, year: i32) -> AppResult<usize> {
    let cats = catalogs(conn, cfg).await?;
    sync_with(conn, cfg, &cats, root_path, year).await
}

async fn sync_with(conn: &mut Conn, cfg: &Rules, cats: &Catalogs, root_path: &str, year: i32) -> AppResult<usize> {
    let (lo, hi) = (root_path.to_string(), path::upper(root_path));
    let (d0, d1) = year_days(year);
    let mut derived: HashMap<Key, i64> = HashMap::new();
    let mut add = |member_path: &str, f: member_rules::Fact| {
        let (c, _) = cats.at(member_path);
        let p = member_rules::points_for(c, &f);
        if p != 0 {
            *derived.entry((f.member_id, f.source_kind.to_string(), f.source_id, f.rule.code().to_string())).or_default() += p;
        }
    };
    let range = |head: &str| {
        let mut sql = Sql::new(head);
        sql.push(" AND mb.org_path >= ").bind(lo.clone()).push(" AND mb.org_path < ").bind(hi.clone());
        sql
    };
    // The long lists (attendance, dues, the posted ledger) come one row per member, their items
    // joined: on SQLite every row returned crosses a thread boundary in sqlx, and a branch's
    // year is a thousand rows or more. Every list starts from the subtree's members (CROSS JOIN
    // keeps SQLite's order): its planner otherwise scans a province's records for one branch.
    let sqlite = conn.backend_name() == "SQLite";
    let agg = |expr: &str| crate::db::string_agg_for(sqlite, expr);
    let mut sql = range(&format!(
        "SELECT a.member_id, mb.org_path, {} AS items FROM members mb CROSS JOIN meeting_attendance a CROSS JOIN meetings m \
         WHERE a.member_id = mb.id AND m.id = a.meeting_id AND m.held_on IS NOT NULL AND a.status IN ('present', 'absent')",
        agg("CAST(a.meeting_id AS TEXT) || ':' || a.status")
    ));
    sql.push(" AND m.held_on >= ").bind(d0.clone()).push(" AND m.held_on <= ").bind(d1.clone()).push(" GROUP BY a.member_id, mb.org_path");
    for r in sql.query().fetch_all(&mut *conn).await? {
        let (member_id, org_path): (i64, String) = (r.try_get("member_id")?, r.try_get("org_path")?);
        for item in r.try_get::<String, _>("items")?.split(',') {
            let Some((id, status)) = item.split_once(':') else { continue };
            let rule = if status == "present" { RuleCode::MeetingPresent } else { RuleCode::MeetingAbsent };
            add(&org_path, member_rules::Fact { member_id, source_kind: "meeting", source_id: id.parse().unwrap_or(0), rule, units: 1 });
        }
    }
    let per_hour = cfg.training.minutes_per_class_hour.max(1) as i64;
    // Members first (CROSS JOIN keeps SQLite's order): the planner otherwise scans every mark of a
    // province for one branch (14 ms).
    let mut sql = range("SELECT k.member_id, k.session_id, s.minutes - k.missed_minutes AS mins, mb.org_path FROM members mb CROSS JOIN training_marks k CROSS JOIN training_sessions s WHERE k.member_id = mb.id AND s.id = k.session_id AND k.mark IN ('present', 'late', 'left_early')");
    sql.push(" AND s.day >= ").bind(d0.clone()).push(" AND s.day <= ").bind(d1.clone());
    for r in sql.query().fetch_all(&mut *conn).await? {
        let units = r.try_get::<i64, _>("mins")?.max(0) / per_hour;
        add(&r.try_get::<String, _>("org_path")?, member_rules::Fact { member_id: r.try_get("member_id")?, source_kind: "training", source_id: r.try_get("session_id")?, rule: RuleCode::TrainingHour, units });
    }
    // Volunteering: confirmed minutes of the member's sign-ups, per whole hour.
    // Members first (CROSS JOIN keeps SQLite's order): a branch's few rows, not every sign-up.
    let mut sql = range("SELECT s.id, s.member_id, s.minutes, mb.org_path FROM members mb CROSS JOIN vol_signups s CROSS JOIN vol_activities a WHERE s.member_id = mb.id AND a.id = s.activity_id AND a.state = 'confirmed' AND s.state = 'signed' AND s.minutes > 0");
    sql.push(" AND a.day >= ").bind(d0.clone()).push(" AND a.day <= ").bind(d1.clone());
    for r in sql.query().fetch_all(&mut *conn).await? {
        let units = r.try_get::<i64, _>("minutes")? / 60;
        add(&r.try_get::<String, _>("org_path")?, member_rules::Fact { member_id: r.try_get("member_id")?, source_kind: "volunteer", source_id: r.try_get("id")?, rule: RuleCode::VolunteerHour, units });
    }
    // Dues: one fact per month paid in full or in part by the month's end (source id YYYYMM).
    let mut sql = range(&format!("SELECT p.member_id, mb.org_path, {} AS items FROM members mb CROSS JOIN dues_payments p WHERE p.member_id = mb.id AND SUBSTR(p.paid_on, 1, 7) <= p.month", agg("p.month")));
    sql.push(" AND p.month >= ").bind(format!("{year:04}-01")).push(" AND p.month <= ").bind(format!("{year:04}-12")).push(" GROUP BY p.member_id, mb.org_path");
    for r in sql.query().fetch_all(&mut *conn).await? {
        let (member_id, org_path): (i64, String) = (r.try_get("member_id")?, r.try_get("org_path")?);
        // Several payments for one month are one fact.
        let months: std::collections::BTreeSet<i64> = r.try_get::<String, _>("items")?.split(',').filter_map(|m| m.replace('-', "").parse().ok()).collect();
        for id in months {
            add(&org_path, member_rules::Fact { member_id, source_kind: "dues", source_id: id, rule: RuleCode::DuesOnTime, units: 1 });
        }
    }
    // Requests the member claimed (在职党员认领), once fulfilled in the year.
    // Members first, as above: SQLite otherwise scanned every request of the county.
    let mut sql = range("SELECT r.id, r.claimant_id, mb.org_path FROM members mb CROSS JOIN requests r WHERE r.claimant_id = mb.id AND r.claimant_kind = 'member' AND r.fulfilled_on IS NOT NULL AND r.state IN ('fulfilled', 'closed')");
    sql.push(" AND r.fulfilled_on >= ").bind(d0.clone()).push(" AND r.fulfilled_on <= ").bind(d1.clone());
    for r in sql.query().fetch_all(&mut *conn).await? {
        add(&r.try_get::<String, _>("org_path")?, member_rules::Fact { member_id: r.try_get("claimant_id")?, source_kind: "request", source_id: r.try_get("id")?, rule: RuleCode::WishFulfilled, units: 1 });
    }
    let mut posted: HashMap<Key, i64> = HashMap::new();
    let mut seqs: HashMap<Key, i64> = HashMap::new();
    let mut sql = range(&format!(
        "SELECT mp.member_id, {} AS items FROM members mb CROSS JOIN member_points mp WHERE mp.member_id = mb.id AND mp.source_kind <> 'manual'",
        agg("mp.source_kind || ':' || CAST(mp.source_id AS TEXT) || ':' || mp.rule || ':' || CAST(mp.points AS TEXT)")
    ));
    sql.push(" AND mp.year = ").bind(year as i64).push(" GROUP BY mp.member_id");
    for r in sql.query().fetch_all(&mut *conn).await? {
        let member_id: i64 = r.try_get("member_id")?;
        for item in r.try_get::<String, _>("items")?.split(',') {
            let mut parts = item.splitn(4, ':');
            let (Some(kind), Some(id), Some(rule), Some(points)) = (parts.next(), parts.next(), parts.next(), parts.next()) else { continue };
            let k: Key = (member_id, kind.to_string(), id.parse().unwrap_or(0), rule.to_string());
            *seqs.entry(k.clone()).or_default() += 1;
            *posted.entry(k).or_default() += points.parse::<i64>().unwrap_or(0);
        }
    }
    let fixes = member_rules::corrections(&derived, &posted);
    if fixes.is_empty() {
        return Ok(0);
    }
    let today = crate::db::today().to_string();
    let now = now_secs();
    let mut vals: Vec<Val> = Vec::with_capacity(fixes.len() * 11);
    for (k, delta) in &fixes {
        let rule = RuleCode::parse(&k.3).unwrap_or(RuleCode::Manual);
        vals.extend([
            k.0.into(),
            (year as i64).into(),
            k.3.clone().into(),
            rule.category().code().into(),
            k.1.clone().into(),
            k.2.into(),
            seqs.get(k).copied().unwrap_or(0).into(),
            (*delta).into(),
            if posted.contains_key(k) { "记录更正" } else { "" }.into(),
            today.clone().into(),
            now.into(),
        ]);
    }
    let head = "INSERT INTO member_points (member_id, year, rule, category, source_kind, source_id, seq, points, note, on_day, at) VALUES ";
    match crate::db::insert_rows(conn, head, 11, &vals, 300).await {
        // Another sync appended the same entry first: start the transaction again.
        Err(e) if crate::error::is_unique_violation(&e) => return Err(AppError::LockBusy),
        other => other?,
    };
    Ok(fixes.len())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberStanding {
    pub member_id: i64,
    pub name: String,
    pub org_name: String,
    #[serde(flatten)]
    pub standing: Standing,
    /// 1 for the highest total in the list; absent when the county turned rankings off.
    pub rank: Option<usize>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OrgPoints {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub catalog: MemberCatalog,
    /// The org whose catalog is in force (None: the published default).
    pub catalog_from: Option<String>,
    /// Highest total first when rankings are on, else by name.
    pub members: Vec<MemberStanding>,
    /// The subtree holds more than [`MAX_STANDING`] members: standings are read per township or
    /// branch, and `members` is empty.
    pub too_large: bool,
}

/// A standing lists at most this many members (a township); above it, go to a child.
pub const MAX_STANDING: i64 = 3_000;

/// The members of a subtree (up to a township) with their year's standing, synced first.
pub async fn org_points(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadOrgLife>, org: &Org, year: i32) -> AppResult<OrgPoints> {
    scope.require_at(&org.path)?;
    let cats = catalogs(conn, cfg).await?;
    let (catalog, catalog_from) = cats.at(&org.path);
    let (catalog, catalog_from) = (catalog.clone(), catalog_from.map(str::to_string));
    let size: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(n), 0) FROM org_stats WHERE org_id = $1 AND dim = 'members' AND key = 'all'").bind(org.id).fetch_one(&mut *conn).await?;
    if size > MAX_STANDING {
        return Ok(OrgPoints { org_id: org.id, org_name: org.name.clone(), year, catalog, catalog_from, members: Vec::new(), too_large: true });
    }
    sync_with(conn, cfg, &cats, &org.path, year).await?;
    let mut sql = Sql::new("SELECT mb.id, mb.name, o.name AS org_name, mb.org_path FROM members mb JOIN orgs o ON o.id = mb.org_id WHERE mb.left_on IS NULL AND mb.org_path >= ");
    sql.bind(org.path.clone()).push(" AND mb.org_path < ").bind(path::upper(&org.path)).push(" ORDER BY mb.org_path, mb.name LIMIT ").bind(MAX_STANDING);
    let roll = sql.query().fetch_all(&mut *conn).await?;
    let mut sums: HashMap<(i64, String), i64> = HashMap::new();
    // Members first (CROSS JOIN keeps SQLite's order), then their entries by the covering index.
    let mut sql = Sql::new("SELECT mp.member_id, mp.category, CAST(SUM(mp.points) AS BIGINT) AS p FROM members mb CROSS JOIN member_points mp WHERE mp.member_id = mb.id AND mp.year = ");
    sql.bind(year as i64).push(" AND mb.org_path >= ").bind(org.path.clone()).push(" AND mb.org_path < ").bind(path::upper(&org.path)).push(" GROUP BY mp.member_id, mp.category");
    for r in sql.query().fetch_all(&mut *conn).await? {
        sums.insert((r.try_get("member_id")?, r.try_get("category")?), r.try_get("p")?);
    }
    let mut members = Vec::new();
    for r in &roll {
        let id: i64 = r.try_get("id")?;
        let (c, _) = cats.at(&r.try_get::<String, _>("org_path")?);
        let get = |cat: Category| sums.get(&(id, cat.code().to_string())).copied().unwrap_or(0);
        members.push(MemberStanding { member_id: id, name: r.try_get("name")?, org_name: r.try_get("org_name")?, standing: member_rules::standing(c, get(Category::Base), get(Category::Task), get(Category::Reward)), rank: None });
    }
    if catalog.rankings {
        members.sort_by_key(|m| std::cmp::Reverse(m.standing.total));
        for i in 0..members.len() {
            // Equal totals share a rank.
            let rank = if i > 0 && members[i].standing.total == members[i - 1].standing.total { members[i - 1].rank } else { Some(i + 1) };
            members[i].rank = rank;
        }
    }
    Ok(OrgPoints { org_id: org.id, org_name: org.name.clone(), year, catalog, catalog_from, members, too_large: false })
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PointEntry {
    pub id: i64,
    pub rule: String,
    pub rule_label: String,
    pub category: String,
    pub points: i64,
    /// meeting, training, volunteer, dues, request, manual
    pub source_kind: String,
    pub source_id: i64,
    /// The record: “2026-03-05 支部党员大会：学习……”, “2026-04 党费”, the branch's evidence.
    pub source: String,
    pub note: String,
    pub on_day: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberPoints {
    pub member_id: i64,
    pub name: String,
    pub year: i32,
    #[serde(flatten)]
    pub standing: Standing,
    /// Every entry with the record it came from, latest first.
    pub entries: Vec<PointEntry>,
    #[serde(skip)]
    pub org_path: String,
}

/// A member's year: synced, then every entry with its record.
pub async fn member_points(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadOrgLife>, member_id: i64, year: i32) -> AppResult<MemberPoints> {
    let m = crate::members::store::get(conn, member_id).await?.ok_or(AppError::NotFound)?;
    if !scope.covers(&m.org_path) && scope.own_member() != Some(m.id) {
        return Err(AppError::NotFound);
    }
    // A member sits in a branch of tens of members: syncing the branch keeps one code path.
    let cats = catalogs(conn, cfg).await?;
    sync_with(conn, cfg, &cats, &m.org_path, year).await?;
    let rows = sqlx::query(
        "SELECT mp.id, mp.rule, mp.category, mp.points, mp.source_kind, mp.source_id, mp.note, mp.on_day, \
         (SELECT COALESCE(mt.held_on, '') || ' ' || mt.topic FROM meetings mt WHERE mp.source_kind = 'meeting' AND mt.id = mp.source_id) AS meeting, \
         (SELECT s.day || ' ' || s.title FROM training_sessions s WHERE mp.source_kind = 'training' AND s.id = mp.source_id) AS session, \
         (SELECT COALESCE(q.fulfilled_on, '') || ' ' || q.category FROM requests q WHERE mp.source_kind = 'request' AND q.id = mp.source_id) AS request, \
         (SELECT a.day || ' ' || a.title || '（' || CAST(s.minutes AS TEXT) || '分钟）' FROM vol_signups s JOIN vol_activities a ON a.id = s.activity_id WHERE mp.source_kind = 'volunteer' AND s.id = mp.source_id) AS volunteer \
         FROM member_points mp WHERE mp.member_id = $1 AND mp.year = $2 ORDER BY mp.id DESC",
    )
    .bind(m.id)
    .bind(year as i64)
    .fetch_all(&mut *conn)
    .await?;
    let mut entries = Vec::new();
    let (mut base, mut task, mut reward) = (0, 0, 0);
    for r in &rows {
        let rule: String = r.try_get("rule")?;
        let kind: String = r.try_get("source_kind")?;
        let sid: i64 = r.try_get("source_id")?;
        let category: String = r.try_get("category")?;
        let points: i64 = r.try_get("points")?;
        match Category::parse(&category) {
            Some(Category::Base) => base += points,
            Some(Category::Task) => task += points,
            _ => reward += points,
        }
        let source = match kind.as_str() {
            "meeting" => r.try_get::<Option<String>, _>("meeting")?.unwrap_or_default(),
            "training" => r.try_get::<Option<String>, _>("session")?.unwrap_or_default(),
            "dues" => format!("{}-{:02} 党费", sid / 100, sid % 100),
            "request" => format!("{} 群众诉求", r.try_get::<Option<String>, _>("request")?.unwrap_or_default()),
            "volunteer" => format!("{} 志愿服务", r.try_get::<Option<String>, _>("volunteer")?.unwrap_or_default()),
            _ => "支部认定".into(),
        };
        entries.push(PointEntry {
            id: r.try_get("id")?,
            rule_label: RuleCode::parse(&rule).map(|c| c.label()).unwrap_or("").into(),
            rule,
            category,
            points,
            source_kind: kind,
            source_id: sid,
            source,
            note: r.try_get("note")?,
            on_day: r.try_get("on_day")?,
        });
    }
    let (c, _) = cats.at(&m.org_path);
    Ok(MemberPoints { member_id: m.id, name: m.name, year, standing: member_rules::standing(c, base, task, reward), entries, org_path: m.org_path })
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ManualInput {
    /// base, task or reward (奖励分 by default).
    pub category: Option<String>,
    /// Signed; a deduction is negative.
    pub points: Option<i64>,
    /// The evidence (先进事迹, 表彰文件 …), required.
    pub note: Option<String>,
    /// YYYY-MM-DD, in the year it counts for.
    pub on: Option<String>,
}

/// An entry by the branch with its evidence (奖励分 for 表彰, a deduction for a 处分 …).
pub async fn add_manual(conn: &mut Conn, actor: &Actor, cfg: &Rules, member_id: i64, input: &ManualInput) -> AppResult<MemberPoints> {
    let m = crate::members::store::get_scoped(conn, &actor.scope::<cap::ReadOrgLife>(), member_id).await?;
    if !actor.can(Perm::WriteOrgLife, &m.org_path) {
        return Err(AppError::forbidden("您的角色无权登记该党员的积分"));
    }
    let category = match input.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => Category::Reward,
        Some(c) => Category::parse(c).ok_or_else(|| AppError::invalid_field("category_invalid", "category", format!("请选择：{}", Category::labels())))?,
    };
    let points = input.points.filter(|p| *p != 0 && p.abs() <= 100).ok_or_else(|| AppError::invalid_field("points_invalid", "points", "分值须为 -100 到 100 之间的非零整数"))?;
    let note = input.note.as_deref().map(str::trim).unwrap_or("");
    if note.is_empty() || note.chars().count() > 200 {
        return Err(AppError::invalid_field("evidence_required", "note", "请写明依据（不超过200字），如“获评县级优秀共产党员，县委文件〔2026〕5号”"));
    }
    let on = crate::members::validate::past_day("on", input.on.as_deref())?;
    let year = chrono::Datelike::year(&on);
    let next: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(source_id), 0) AS BIGINT) + 1 FROM member_points WHERE member_id = $1 AND source_kind = 'manual'").bind(m.id).fetch_one(&mut *conn).await?;
    let res = sqlx::query("INSERT INTO member_points (member_id, year, rule, category, source_kind, source_id, seq, points, note, on_day, by_user_id, at) VALUES ($1, $2, 'manual', $3, 'manual', $4, 0, $5, $6, $7, $8, $9)")
        .bind(m.id)
        .bind(year as i64)
        .bind(category.code())
        .bind(next)
        .bind(points)
        .bind(note)
        .bind(on.to_string())
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await;
    match res {
        Err(e) if crate::error::is_unique_violation(&e) => return Err(AppError::LockBusy),
        other => other?,
    };
    audit::record(conn, Some(actor), "points.manual", "member", Some(m.id), &(m.org_id, m.org_path.as_str()), None, Some(&serde_json::json!({"category": category.label(), "points": points, "note": note}))).await?;
    member_points(conn, cfg, &actor.scope(), m.id, year).await
}

/// The 党员积分台账 of a subtree for a year as a workbook (synced first).
pub async fn org_points_xlsx(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadOrgLife>, org: &Org, year: i32) -> AppResult<Vec<u8>> {
    let p = org_points(conn, cfg, scope, org, year).await?;
    if p.too_large {
        return Err(AppError::invalid("subtree_too_large", format!("{}党员较多，请按乡镇（街道）或支部导出", org.name)));
    }
    let headers = ["名次", "姓名", "党组织", "基础分", "任务分", "奖励分", "合计", "超出上限"];
    let widths = [6.0, 10.0, 20.0, 8.0, 8.0, 8.0, 8.0, 8.0];
    let rows = p.members.into_iter().map(|m| {
        vec![
            m.rank.map(|r| r.to_string()).unwrap_or_default(),
            m.name,
            m.org_name,
            m.standing.base.to_string(),
            m.standing.task.to_string(),
            m.standing.reward.to_string(),
            m.standing.total.to_string(),
            m.standing.over_cap.to_string(),
        ]
    });
    crate::members::sheets::write_table_xlsx(&format!("{}{year}年党员积分", org.name), &headers, &widths, rows).map_err(|e| AppError::invalid("export_failed", e))
}
