//! Star ratings in the database. The facts of every branch of a subtree are read in a handful of
//! grouped queries (members with their hours, requests, open files, the meeting engine's counts,
//! the dues ledger) and attributed to the nearest branch (党支部, 党总支) above each record; the
//! pure rules in [`super::rules`] turn them into scorecards.
//!
//! Reads need `ReadAssessment` (offices and secretaries); entries, ratings, reviews and titles
//! `WriteAssessment` (offices); an appeal is filed by anyone who reads the branch's scorecard.
//! Entries, rating events and titles are append-only: the latest entry of an item counts, a
//! rating is replaced by a later one, a title is withdrawn by a withdrawal.

use std::collections::HashMap;

use base64::Engine as _;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, BranchFacts, Entry, Rubric, Scorecard};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, Conn, Sql};
use crate::dues::rules::YearMonth;
use crate::error::{AppError, AppResult};
use crate::members::validate::short_text;
use crate::orgs::model::{Org, OrgKind};

/// A board lists at most this many branches; a larger subtree is read one level down.
pub const MAX_BOARD: usize = 5_000;

/// Rated orgs: 党支部 and 党总支 (seed [003]: 使每个党支部都达到“十有”标准).
pub fn is_rated(kind: OrgKind) -> bool {
    matches!(kind, OrgKind::Branch | OrgKind::GeneralBranch)
}

crate::code_enum!(
    /// A rating event.
    EventKind {
        Rating = ("rating", "评定"),
        Appeal = ("appeal", "申诉"),
        Review = ("review", "复核"),
    }
);

/// The rubrics set by orgs (the nearest ancestor's applies, else the rules file's).
type Rubrics = crate::orgs::inherited::Inherited<Rubric>;

async fn rubrics(conn: &mut Conn, cfg: &Rules) -> AppResult<Rubrics> {
    Rubrics::load(conn, "assessment_rubrics", cfg.assessment.clone()).await
}

/// The rubric in force at `org`, and who set it.
pub async fn rubric_for(conn: &mut Conn, cfg: &Rules, org: &Org) -> AppResult<(Rubric, Option<String>)> {
    let r = rubrics(conn, cfg).await?;
    let (rubric, from) = r.at(&org.path);
    Ok((rubric.clone(), from.map(str::to_string)))
}

/// Sets the rubric of an org's subtree (a county, or a township for its own).
pub async fn set_rubric(conn: &mut Conn, actor: &Actor, org: &Org, rubric: &Rubric) -> AppResult<()> {
    if !actor.can(Perm::WriteAssessment, &org.path) {
        return Err(AppError::forbidden("您的角色无权设置考评细则"));
    }
    rubric.validate().map_err(|m| AppError::invalid("rubric_invalid", m))?;
    let (_, before) = crate::orgs::inherited::put(conn, "assessment_rubrics", org.id, actor.user_id, rubric).await?;
    let before = before.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok());
    audit::record(conn, Some(actor), "assessment.rubric", "org", Some(org.id), org, before.as_ref(), Some(&serde_json::to_value(rubric).unwrap_or_default())).await?;
    Ok(())
}

/// A year may be assessed from 2000 to this year.
fn check_year(year: i32) -> AppResult<NaiveDate> {
    let today = crate::db::today();
    if !(2000..=today.year()).contains(&year) {
        return Err(AppError::invalid_field("year_invalid", "year", format!("考评年度应在2000年至{}年之间", today.year())));
    }
    Ok(today)
}

/// A branch as the board lists it.
#[derive(Clone, Debug)]
struct Rated {
    id: i64,
    name: String,
    path: String,
    parent_id: Option<i64>,
    general: bool,
}

/// Whether the tallies can give a year's meetings, dues and requests per rated org: a year they
/// keep, counted under this month and these rules, nothing left to settle.
async fn tallies_answer(db: &crate::db::Db, conn: &mut Conn, cfg: &Rules, year: i32) -> AppResult<bool> {
    use crate::tallies::{self, Source};
    if !tallies::sources::years(crate::db::today()).contains(&year) {
        return Ok(false);
    }
    for s in [Source::Life, Source::Dues, Source::Requests] {
        if !tallies::fresh(conn, cfg, s).await? {
            return Ok(false);
        }
    }
    Ok(!tallies::settle_for_read(db, cfg).await?)
}

/// Facts of every rated org of the subtree at `root` that `scope` covers (at most MAX_BOARD),
/// with the missed meetings named when `detail`. With `tallied`, meetings, dues and requests
/// come from the tallies when they can answer (the same definitions, kept with the writes)
/// instead of reading the subtree's records.
#[allow(clippy::too_many_arguments)]
async fn gather(db: &crate::db::Db, conn: &mut Conn, scope: &Scope<cap::ReadAssessment>, cfg: &Rules, root: &Org, year: i32, detail: bool, tallied: bool) -> AppResult<(Vec<Rated>, HashMap<i64, BranchFacts>)> {
    if !scope.covers(&root.path) && !scope.prefixes().iter().any(|p| p.starts_with(&root.path)) {
        return Err(AppError::NotFound);
    }
    let today = check_year(year)?;
    let scope = scope.within(&root.path);
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today).min(today);

    let mut sql = Sql::new("SELECT id, name, path, parent_id, kind FROM orgs WHERE kind IN ('branch', 'general_branch') AND dissolved_on IS NULL");
    crate::db::push_under(&mut sql, "path", &root.path);
    scope.push_filter(&mut sql, "path");
    sql.push(" ORDER BY path LIMIT ").bind(MAX_BOARD as i64 + 1);
    let mut rated = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let general = r.try_get::<String, _>("kind")? == "general_branch";
        rated.push(Rated { id: r.try_get("id")?, name: r.try_get("name")?, path: r.try_get("path")?, parent_id: r.try_get("parent_id")?, general });
    }
    if rated.len() > MAX_BOARD {
        return Err(AppError::invalid("too_many_branches", format!("该组织下的党支部超过{MAX_BOARD}个，请选择下级组织查看")));
    }
    let ids: std::collections::HashSet<i64> = rated.iter().map(|r| r.id).collect();
    let generals: std::collections::HashSet<i64> = rated.iter().filter(|r| r.general).map(|r| r.id).collect();
    // Who a record at a path counts for: the nearest rated org at or above it, and every 党总支
    // above that (a general branch answers for its branches' members, meetings and requests).
    let owners = |p: &str| -> Vec<i64> {
        let mut out = Vec::new();
        for i in crate::db::path::ids(p).into_iter().rev() {
            if (out.is_empty() && ids.contains(&i)) || generals.contains(&i) {
                out.push(i);
            }
        }
        out
    };

    let s = &cfg.org_setup;
    let mut facts: HashMap<i64, BranchFacts> = rated
        .iter()
        .map(|r| {
            (
                r.id,
                BranchFacts {
                    year,
                    committee_from_full: s.branch_committee_from_full,
                    committee_min: s.committee_min,
                    size_min_full: s.branch_min_full_members,
                    // A general branch is set up for more than 50 members (支部工作条例): no upper bound.
                    size_max: if r.general { i64::MAX } else { s.branch_max_members },
                    ..Default::default()
                },
            )
        })
        .collect();
    if rated.is_empty() {
        return Ok((rated, facts));
    }

    // Members, one row each, with the year's credited training minutes (training::rules::credit_minutes in SQL).
    let mut sql = Sql::new(
        "SELECT m.id, m.name, m.org_path, m.status, m.posts, m.joined_on, (SELECT CAST(SUM(CASE k.mark WHEN 'present' THEN s.minutes \
         WHEN 'late' THEN (CASE WHEN s.minutes > k.missed_minutes THEN s.minutes - k.missed_minutes ELSE 0 END) \
         WHEN 'left_early' THEN (CASE WHEN s.minutes > k.missed_minutes THEN s.minutes - k.missed_minutes ELSE 0 END) ELSE 0 END) AS BIGINT) \
         FROM training_marks k JOIN training_sessions s ON s.id = k.session_id WHERE k.member_id = m.id AND s.day >= ",
    );
    sql.bind(from.to_string()).push(" AND s.day <= ").bind(to.to_string()).push(") AS minutes FROM members m WHERE m.left_on IS NULL");
    crate::db::push_under(&mut sql, "m.org_path", &root.path);
    scope.push_filter(&mut sql, "m.org_path");
    let mut member_branch: Vec<(i64, Vec<i64>)> = Vec::new();
    let mut hours: Vec<crate::training::rules::AnnualInput> = Vec::new();
    let paths: HashMap<i64, &str> = rated.iter().map(|r| (r.id, r.path.as_str())).collect();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let path: String = r.try_get("org_path")?;
        let who = owners(&path);
        if who.is_empty() {
            continue;
        }
        let id: i64 = r.try_get("id")?;
        let name: String = r.try_get("name")?;
        let posts: String = r.try_get("posts")?;
        let posts: Vec<crate::members::model::Post> = posts.split(',').filter_map(crate::members::model::Post::parse).collect();
        let full = r.try_get::<String, _>("status")? == "full";
        let joined: String = r.try_get("joined_on")?;
        for b in &who {
            let Some(f) = facts.get_mut(b) else { continue };
            f.members += 1;
            f.full_members += full as i64;
            if f.latest_admission.as_deref().is_none_or(|d| joined.as_str() > d) {
                f.latest_admission = Some(joined.clone());
            }
            // Posts held in the org itself (not in its groups), where it keeps no team seats.
            if paths.get(b).is_some_and(|p| *p == path) {
                if posts.contains(&crate::members::model::Post::Secretary) {
                    f.secretary = Some(name.clone());
                }
                f.committee_seats += posts.iter().any(|p| p.is_committee_seat()) as i64;
            }
        }
        let minutes: Option<i64> = r.try_get("minutes")?;
        hours.push(crate::training::rules::AnnualInput { member_id: id, name, credited_minutes: minutes.unwrap_or(0).max(0) as u64, is_secretary: posts.iter().any(|p| p.is_committee_seat()) });
        member_branch.push((id, who));
    }
    for ((_, who), v) in member_branch.iter().zip(crate::training::rules::annual_hours(&cfg.training, &hours)) {
        for b in who {
            if let Some(f) = facts.get_mut(b) {
                f.training_of += 1;
                f.training_met += v.met as i64;
            }
        }
    }
    // The leadership team (班子) where it is kept: its current seats decide secretary and committee.
    let mut sql = Sql::new("SELECT t.org_id, t.post, m.name FROM org_team t JOIN orgs o ON o.id = t.org_id JOIN members m ON m.id = t.member_id WHERE t.ends_on IS NULL");
    crate::db::push_under(&mut sql, "o.path", &root.path);
    scope.push_filter(&mut sql, "o.path");
    let mut seats: HashMap<i64, (Option<String>, i64)> = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let org_id: i64 = r.try_get("org_id")?;
        if !ids.contains(&org_id) {
            continue;
        }
        // Every seat of the team (书记, 副书记, 委员) is a committee seat.
        let post = crate::cadres::rules::TeamPost::parse(&r.try_get::<String, _>("post")?);
        let e = seats.entry(org_id).or_default();
        if post == Some(crate::cadres::rules::TeamPost::Secretary) {
            e.0 = Some(r.try_get("name")?);
        }
        e.1 += post.is_some() as i64;
    }
    for (org_id, (secretary, n)) in seats {
        if let Some(f) = facts.get_mut(&org_id) {
            f.secretary = secretary;
            f.committee_seats = n;
        }
    }

    // Dues: the months of the year that are over.
    let last_month = if year < today.year() { 12 } else { today.month() as i32 - 1 };
    let tallied = tallied && tallies_answer(db, conn, cfg, year).await?;
    if tallied {
        let ids: Vec<i64> = rated.iter().map(|r| r.id).collect();
        let y = year.to_string();
        let t = crate::tallies::read(conn, &ids, "", &y, &format!("{y}-12")).await?;
        for (id, f) in facts.iter_mut() {
            let Some(m) = t.get(id) else { continue };
            let at = |metric: &str, p: &str| m.get(metric).and_then(|x| x.get(p)).copied().unwrap_or(0);
            f.meetings_met += at("life.met", &y);
            f.meetings_missed += at("life.missed", &y);
            for month in 1..=12 {
                let p = format!("{y}-{month:02}");
                if month <= last_month {
                    f.dues_owed_fen += at("dues.owed", &p);
                    f.dues_paid_fen += at("dues.paid", &p);
                }
                f.requests_closed += at("requests.fixed", &p);
                f.requests_on_time += at("requests.on_time", &p);
            }
        }
    }
    if last_month >= 1 && !tallied {
        let ids: Vec<i64> = member_branch.iter().map(|(m, _)| *m).collect();
        let (Some(from_m), Some(to_m)) = (YearMonth::new(year, 1), YearMonth::new(year, last_month as u32)) else { return Err(AppError::invalid("year_invalid", "考评年度无效")) };
        let owed = crate::dues::store::owed_paid(conn, &cfg.dues, &ids, from_m, to_m).await?;
        for (m, who) in &member_branch {
            let Some((o, p)) = owed.get(m) else { continue };
            for b in who {
                if let Some(f) = facts.get_mut(b) {
                    f.dues_owed_fen += o;
                    f.dues_paid_fen += p;
                }
            }
        }
    }

    // Open recruitment files.
    let mut sql = Sql::new("SELECT org_path, COUNT(*) AS n FROM recruits WHERE closed_on IS NULL");
    crate::db::push_under(&mut sql, "org_path", &root.path);
    scope.push_filter(&mut sql, "org_path");
    sql.push(" GROUP BY org_path");
    for r in sql.query().fetch_all(&mut *conn).await? {
        let n: i64 = r.try_get("n")?;
        for b in owners(&r.try_get::<String, _>("org_path")?) {
            if let Some(f) = facts.get_mut(&b) {
                f.open_files += n;
            }
        }
    }

    // Requests fulfilled or closed in the year, and on time.
    if !tallied {
        let mut sql = Sql::new(
            "SELECT r.org_path, COUNT(*) AS n, COALESCE(SUM(CASE WHEN r.deadline_on IS NOT NULL AND COALESCE(r.closed_on, r.fulfilled_on) <= r.deadline_on THEN 1 ELSE 0 END), 0) AS on_time \
             FROM requests r WHERE r.is_open = 0 AND r.state IN ('fulfilled', 'closed') AND COALESCE(r.closed_on, r.fulfilled_on) >= ",
        );
        sql.bind(from.to_string()).push(" AND COALESCE(r.closed_on, r.fulfilled_on) <= ").bind(to.to_string());
        crate::db::push_under(&mut sql, "r.org_path", &root.path);
        scope.push_filter(&mut sql, "r.org_path");
        sql.push(" GROUP BY r.org_path");
        for r in sql.query().fetch_all(&mut *conn).await? {
            let (n, on_time): (i64, i64) = (r.try_get("n")?, r.try_get("on_time")?);
            for b in owners(&r.try_get::<String, _>("org_path")?) {
                if let Some(f) = facts.get_mut(&b) {
                    f.requests_closed += n;
                    f.requests_on_time += on_time;
                }
            }
        }
    }

    // Meetings: the compliance engine's counts for the branch and its groups.
    if tallied && !detail {
        return Ok((rated, facts));
    }
    let life_scope: Scope<cap::ReadOrgLife> = scope.for_figures();
    let loaded = crate::meetings::compliance::load(db, conn, &life_scope, root, &cfg.compliance, from, NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(to)).await?;
    let life_owner: HashMap<i64, Vec<i64>> = loaded.orgs.iter().zip(&loaded.paths).map(|(o, p)| (o.org_id, owners(p))).collect();
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(to);
    for sm in crate::meetings::rules::evaluate_summary(&cfg.compliance, &loaded.orgs, &loaded.meetings, from, year_end, today) {
        for b in life_owner.get(&sm.org_id).map(|v| v.as_slice()).unwrap_or(&[]) {
            if let Some(f) = facts.get_mut(b) {
                f.meetings_met += sm.met as i64;
                f.meetings_missed += sm.missed as i64;
            }
        }
    }
    if detail {
        for finding in crate::meetings::rules::evaluate(&cfg.compliance, &loaded.orgs, &loaded.meetings, from, year_end, today) {
            if !matches!(finding.verdict, crate::meetings::rules::Verdict::Missed) {
                continue;
            }
            for b in life_owner.get(&finding.org_id).map(|v| v.as_slice()).unwrap_or(&[]) {
                if let Some(f) = facts.get_mut(b) {
                    if f.meetings_missed_list.len() < 6 {
                        f.meetings_missed_list.push(format!("{}（{}）", finding.requirement.label(), finding.period.label));
                    }
                }
            }
        }
    }
    Ok((rated, facts))
}

/// [`facts_of_subtree`] read from the records only, never the tallies (tests compare the two).
pub async fn facts_from_records(db: &crate::db::Db, conn: &mut Conn, scope: &Scope<cap::ReadAssessment>, cfg: &Rules, root: &Org, year: i32) -> AppResult<HashMap<i64, BranchFacts>> {
    Ok(gather(db, conn, scope, cfg, root, year, false, false).await?.1)
}

/// The facts of every rated org of a subtree for a year: (id, name, parent id) and the facts.
pub async fn facts_of_subtree(db: &crate::db::Db, conn: &mut Conn, scope: &Scope<cap::ReadAssessment>, cfg: &Rules, root: &Org, year: i32) -> AppResult<(Vec<(i64, String, Option<i64>)>, HashMap<i64, BranchFacts>)> {
    let (rated, facts) = gather(db, conn, scope, cfg, root, year, false, true).await?;
    Ok((rated.into_iter().map(|r| (r.id, r.name, r.parent_id)).collect(), facts))
}

/// The latest entry of each item, per org.
async fn entries(conn: &mut Conn, root: &Org, year: i32) -> AppResult<HashMap<i64, Vec<Entry>>> {
    let mut sql = Sql::new("SELECT e.id, e.org_id, e.item, e.tenths, e.note, e.by_name, e.on_day, CAST(CASE WHEN e.file_name IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_file FROM assessment_entries e JOIN orgs o ON o.id = e.org_id WHERE e.year = ");
    sql.bind(year as i64);
    crate::db::push_under(&mut sql, "o.path", &root.path);
    sql.push(" ORDER BY e.id");
    let mut out: HashMap<i64, Vec<Entry>> = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let id: i64 = r.try_get("id")?;
        let e = Entry {
            item: r.try_get("item")?,
            tenths: r.try_get("tenths")?,
            note: r.try_get("note")?,
            by: r.try_get("by_name")?,
            on: r.try_get("on_day")?,
            file_id: (r.try_get::<i64, _>("has_file")? == 1).then_some(id),
        };
        let list = out.entry(r.try_get("org_id")?).or_default();
        list.retain(|x| x.item != e.item);
        list.push(e);
    }
    Ok(out)
}

/// One event of a branch's year (评定, 申诉, 复核).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub seq: i64,
    pub year: i32,
    /// rating, appeal, review
    pub kind: String,
    pub kind_label: String,
    pub score_tenths: Option<i64>,
    pub stars: Option<i64>,
    pub previous_stars: Option<i64>,
    /// 首次评定, 晋位升级, 降级, 持平 (ratings and reviews).
    pub change: Option<String>,
    pub note: String,
    pub by: String,
    pub on: String,
}

async fn events(conn: &mut Conn, root_path: &str, years: &[i32]) -> AppResult<HashMap<i64, Vec<Event>>> {
    let mut sql = Sql::new(
        "SELECT e.org_id, e.year, e.seq, e.kind, e.score_tenths, e.stars, e.previous_stars, e.note, e.by_name, e.on_day FROM assessment_events e JOIN orgs o ON o.id = e.org_id WHERE e.year IN (",
    );
    sql.bind_list(years.iter().map(|y| *y as i64));
    sql.push(")");
    crate::db::push_under(&mut sql, "o.path", root_path);
    sql.push(" ORDER BY e.org_id, e.year, e.seq");
    let mut out: HashMap<i64, Vec<Event>> = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let kind: String = r.try_get("kind")?;
        let stars: Option<i64> = r.try_get("stars")?;
        let previous: Option<i64> = r.try_get("previous_stars")?;
        let change = (kind != "appeal").then(|| rules::change(previous.map(|p| p as u8), stars.unwrap_or(0) as u8).to_string());
        out.entry(r.try_get("org_id")?).or_default().push(Event {
            seq: r.try_get("seq")?,
            year: r.try_get::<i64, _>("year")? as i32,
            kind_label: EventKind::parse(&kind).map(|k| k.label()).unwrap_or("").into(),
            kind,
            score_tenths: r.try_get("score_tenths")?,
            stars,
            previous_stars: previous,
            change,
            note: r.try_get("note")?,
            by: r.try_get("by_name")?,
            on: r.try_get("on_day")?,
        });
    }
    Ok(out)
}

/// The stars in force for a year: the latest rating or review.
fn stars_of(events: &[Event], year: i32) -> Option<i64> {
    events.iter().rfind(|e| e.year == year && e.kind != "appeal").and_then(|e| e.stars)
}

/// The stars in force per org and year (the latest rating or review), oldest year first: what
/// a rectification shows before and after (晋位升级).
pub async fn stars_by_year(conn: &mut Conn, org_ids: &[i64]) -> AppResult<HashMap<i64, Vec<(i32, i64)>>> {
    let mut out: HashMap<i64, Vec<(i32, i64)>> = HashMap::new();
    for chunk in org_ids.chunks(500) {
        let mut sql = Sql::new("SELECT org_id, year, stars FROM assessment_events WHERE kind <> 'appeal' AND org_id IN (");
        sql.bind_list(chunk.iter().copied()).push(") ORDER BY org_id, year, seq");
        for r in sql.query().fetch_all(&mut *conn).await? {
            let list = out.entry(r.try_get("org_id")?).or_default();
            let y = r.try_get::<i64, _>("year")? as i32;
            let s: i64 = r.try_get::<Option<i64>, _>("stars")?.unwrap_or(0);
            list.retain(|(yy, _)| *yy != y);
            list.push((y, s));
        }
    }
    Ok(out)
}

/// A title conferred (and not withdrawn).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TitleView {
    pub code: String,
    pub name: String,
    pub year: i32,
    pub document: String,
    pub on: String,
    /// A withdrawal, when there is one.
    pub withdrawn: Option<String>,
}

async fn titles(conn: &mut Conn, root_path: &str, rubrics: &Rubrics) -> AppResult<HashMap<i64, Vec<TitleView>>> {
    let mut sql = Sql::new("SELECT t.org_id, o.path, t.title, t.year, t.action, t.document, t.on_day FROM assessment_titles t JOIN orgs o ON o.id = t.org_id WHERE 1 = 1");
    crate::db::push_under(&mut sql, "o.path", root_path);
    sql.push(" ORDER BY t.id");
    let mut out: HashMap<i64, Vec<TitleView>> = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let org_id: i64 = r.try_get("org_id")?;
        let path: String = r.try_get("path")?;
        let code: String = r.try_get("title")?;
        let year = r.try_get::<i64, _>("year")? as i32;
        let document: String = r.try_get("document")?;
        let on: String = r.try_get("on_day")?;
        let list = out.entry(org_id).or_default();
        if r.try_get::<String, _>("action")? == "revoke" {
            if let Some(t) = list.iter_mut().find(|t| t.code == code && t.year == year) {
                t.withdrawn = Some(format!("{on} 撤销（{document}）"));
            }
        } else {
            let name = rubrics.at(&path).0.title(&code).map(|t| t.name.clone()).unwrap_or_else(|| code.clone());
            list.push(TitleView { code, name, year, document, on, withdrawn: None });
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BoardRow {
    pub org_id: i64,
    pub org_name: String,
    pub parent_name: String,
    pub total_tenths: i64,
    pub total: String,
    pub from_records_tenths: i64,
    /// Items the assessors have still to enter.
    pub missing: usize,
    /// Stars the scorecard gives now.
    pub stars_now: u8,
    /// Stars of the year's rating (or its review), if rated.
    pub rated_stars: Option<i64>,
    /// Last year's stars, and the change.
    pub last_year_stars: Option<i64>,
    pub change: Option<String>,
    /// An appeal waiting for its review.
    pub appeal_open: bool,
    pub titles: Vec<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub branches: usize,
    pub rated: usize,
    /// Branches per stars (index 0: 未定星) by the year's rating; unrated ones by their scorecard.
    pub by_stars: [usize; 6],
    pub appeals_open: usize,
    pub rows: Vec<BoardRow>,
    pub rubric_from: Option<String>,
    #[serde(skip)]
    pub org_path: String,
}

/// The star board of a subtree's branches for a year, lowest scores first.
pub async fn board(db: &crate::db::Db, conn: &mut Conn, scope: &Scope<cap::ReadAssessment>, cfg: &Rules, root: &Org, year: i32) -> AppResult<Board> {
    if !scope.covers(&root.path) && !scope.prefixes().iter().any(|p| p.starts_with(&root.path)) {
        return Err(AppError::NotFound);
    }
    let (rated, facts) = gather(db, conn, scope, cfg, root, year, false, true).await?;
    let rubrics = rubrics(conn, cfg).await?;
    let entries = entries(conn, root, year).await?;
    let events = events(conn, &root.path, &[year - 1, year]).await?;
    let titles = titles(conn, &root.path, &rubrics).await?;
    let names: HashMap<i64, String> = crate::members::store::org_names(conn, rated.iter().filter_map(|r| r.parent_id)).await?;
    let mut rows = Vec::new();
    let mut by_stars = [0usize; 6];
    let (mut rated_n, mut appeals) = (0, 0);
    let none = Vec::new();
    for r in &rated {
        let Some(f) = facts.get(&r.id) else { continue };
        let card = rules::score(rubrics.at(&r.path).0, f, entries.get(&r.id).unwrap_or(&none));
        let ev = events.get(&r.id).map(|v| v.as_slice()).unwrap_or(&[]);
        let rated_stars = stars_of(ev, year);
        let last = stars_of(ev, year - 1);
        let appeal_open = ev.iter().rfind(|e| e.year == year).is_some_and(|e| e.kind == "appeal");
        rated_n += rated_stars.is_some() as usize;
        appeals += appeal_open as usize;
        by_stars[rated_stars.unwrap_or(card.stars as i64).clamp(0, 5) as usize] += 1;
        rows.push(BoardRow {
            org_id: r.id,
            org_name: r.name.clone(),
            parent_name: r.parent_id.and_then(|p| names.get(&p)).cloned().unwrap_or_default(),
            total_tenths: card.total_tenths,
            total: rules::fmt_tenths(card.total_tenths),
            from_records_tenths: card.from_records_tenths,
            missing: card.missing,
            stars_now: card.stars,
            rated_stars,
            last_year_stars: last,
            change: rated_stars.map(|s| rules::change(last.map(|l| l as u8), s as u8).to_string()),
            appeal_open,
            titles: titles.get(&r.id).map(|t| t.iter().filter(|t| t.withdrawn.is_none() && t.year <= year).map(|t| format!("{}（{}）", t.name, t.year)).collect()).unwrap_or_default(),
        });
    }
    rows.sort_by(|a, b| a.total_tenths.cmp(&b.total_tenths).then(a.org_id.cmp(&b.org_id)));
    Ok(Board {
        org_id: root.id,
        org_name: root.name.clone(),
        year,
        branches: rated.len(),
        rated: rated_n,
        by_stars,
        appeals_open: appeals,
        rows,
        rubric_from: rubrics.at(&root.path).1.map(str::to_string),
        org_path: root.path.clone(),
    })
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub id: i64,
    pub item: String,
    pub item_title: String,
    pub points: String,
    pub note: String,
    pub by: String,
    pub on: String,
    pub file_name: Option<String>,
}

/// A branch's year: the scorecard with every explanation, the facts behind it, the entries as
/// they were made, the rating events of this year and last, the titles.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Card {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub rubric: Rubric,
    /// The org whose rubric applies (None: the published default).
    pub rubric_from: Option<String>,
    pub facts: BranchFacts,
    pub scorecard: Scorecard,
    pub total: String,
    pub entries: Vec<EntryView>,
    pub events: Vec<Event>,
    pub rated_stars: Option<i64>,
    pub last_year_stars: Option<i64>,
    pub appeal_open: bool,
    pub titles: Vec<TitleView>,
    pub source: String,
    #[serde(skip)]
    pub org_path: String,
}

impl audit::InOrg for Card {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

/// A rated org in scope, or not-found.
pub async fn branch(conn: &mut Conn, scope: &Scope<cap::ReadAssessment>, id: i64) -> AppResult<Org> {
    let org = crate::orgs::store::get_scoped(conn, scope, id).await?;
    if !is_rated(org.kind) {
        return Err(AppError::invalid("not_a_branch", "星级评定以党支部（党总支）为单位，请选择一个党支部"));
    }
    Ok(org)
}

pub async fn card(db: &crate::db::Db, conn: &mut Conn, scope: &Scope<cap::ReadAssessment>, cfg: &Rules, id: i64, year: i32) -> AppResult<Card> {
    let org = branch(conn, scope, id).await?;
    let (_, mut facts) = gather(db, conn, scope, cfg, &org, year, true, false).await?;
    let facts = facts.remove(&org.id).ok_or(AppError::NotFound)?;
    let rubrics = rubrics(conn, cfg).await?;
    let (rubric, rubric_from) = rubrics.at(&org.path);
    let (rubric, rubric_from) = (rubric.clone(), rubric_from.map(str::to_string));
    let latest = entries(conn, &org, year).await?.remove(&org.id).unwrap_or_default();
    let scorecard = rules::score(&rubric, &facts, &latest);
    let rows = sqlx::query("SELECT id, item, tenths, note, by_name, on_day, file_name FROM assessment_entries WHERE org_id = $1 AND year = $2 ORDER BY id DESC")
        .bind(org.id)
        .bind(year as i64)
        .fetch_all(&mut *conn)
        .await?;
    let mut list = Vec::new();
    for r in rows {
        let item: String = r.try_get("item")?;
        let tenths: i64 = r.try_get("tenths")?;
        let (item_title, points) = match item.strip_prefix("ten:") {
            Some(h) => (format!("“十有”：{}", rubric.ten_have(h).map(|x| x.title.as_str()).unwrap_or(h)), if tenths > 0 { "达到".into() } else { "未达到".into() }),
            None => (rubric.item(&item).map(|x| x.title.clone()).unwrap_or_else(|| item.clone()), rules::fmt_tenths(tenths)),
        };
        list.push(EntryView { id: r.try_get("id")?, item, item_title, points, note: r.try_get("note")?, by: r.try_get("by_name")?, on: r.try_get("on_day")?, file_name: r.try_get("file_name")? });
    }
    let mut c = Card {
        org_id: org.id,
        org_name: org.name.clone(),
        year,
        total: rules::fmt_tenths(scorecard.total_tenths),
        rated_stars: None,
        last_year_stars: None,
        appeal_open: false,
        rubric,
        rubric_from,
        facts,
        scorecard,
        entries: list,
        events: Vec::new(),
        titles: Vec::new(),
        source: rules::SOURCE.into(),
        org_path: org.path.clone(),
    };
    history(conn, &rubrics, &mut c).await?;
    Ok(c)
}

/// The card's rating events (this year and last), the stars they give, and its titles: all a
/// rating, appeal, review or title changes, so a write reloads these and not the scorecard.
async fn history(conn: &mut Conn, rubrics: &Rubrics, c: &mut Card) -> AppResult<()> {
    let ev = events(conn, &c.org_path, &[c.year - 1, c.year]).await?.remove(&c.org_id).unwrap_or_default();
    c.rated_stars = stars_of(&ev, c.year);
    c.last_year_stars = stars_of(&ev, c.year - 1);
    c.appeal_open = ev.iter().rfind(|e| e.year == c.year).is_some_and(|e| e.kind == "appeal");
    c.events = ev.into_iter().filter(|e| e.year == c.year).collect();
    c.titles = titles(conn, &c.org_path, rubrics).await?.remove(&c.org_id).unwrap_or_default();
    Ok(())
}

/// "7.5" → 75 tenths.
pub fn parse_points(s: &str) -> Option<i64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || whole.len() > 3 || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 1 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(whole.parse::<i64>().ok()? * 10 + frac.parse::<i64>().unwrap_or(0))
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EntryInput {
    pub year: Option<i32>,
    /// An item's code, or `ten:<code>` for a “十有” check.
    pub item: Option<String>,
    /// Points for an item, with at most one decimal ("7.5").
    pub points: Option<String>,
    /// For a “十有” check.
    pub met: Option<bool>,
    /// The evidence: what was checked and where it is kept.
    pub note: Option<String>,
    /// An optional scan or photo of the evidence (API: base64; the page uploads a file).
    pub file_name: Option<String>,
    pub file_base64: Option<String>,
    #[serde(skip)]
    pub file: Option<(String, Vec<u8>)>,
}

fn writable(actor: &Actor, org: &Org) -> AppResult<()> {
    if !actor.can(Perm::WriteAssessment, &org.path) {
        return Err(AppError::forbidden("您的角色无权考评定星"));
    }
    Ok(())
}

fn year_of(y: Option<i32>) -> AppResult<i32> {
    let y = y.ok_or_else(|| AppError::invalid_field("year_required", "year", "请选择考评年度"))?;
    check_year(y)?;
    Ok(y)
}

/// An assessor's entry for an item not measured from records, or for a “十有” check.
pub async fn enter(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &EntryInput) -> AppResult<EntryView> {
    let org = branch(conn, &actor.scope(), id).await?;
    writable(actor, &org)?;
    let year = year_of(input.year)?;
    let (rubric, _) = rubric_for(conn, cfg, &org).await?;
    let code = input.item.as_deref().map(str::trim).unwrap_or("");
    let (item_title, tenths) = if let Some(h) = code.strip_prefix("ten:") {
        let have = rubric.ten_have(h).ok_or_else(|| AppError::invalid_field("item_unknown", "item", "考评细则中没有这一“十有”项目"))?;
        if let Some(m) = have.measure.as_deref().and_then(rules::Measure::parse) {
            return Err(AppError::invalid_field("item_from_records", "item", format!("“{}”由系统记录判定（{}），请更正相关记录", have.title, m.label())));
        }
        let met = input.met.ok_or_else(|| AppError::invalid_field("met_required", "met", "请选择是否达到"))?;
        (format!("“十有”：{}", have.title), met as i64)
    } else {
        let it = rubric.item(code).ok_or_else(|| AppError::invalid_field("item_unknown", "item", "考评细则中没有这一项目，请从列表中选择"))?;
        if let Some(m) = it.measure.as_deref().and_then(rules::Measure::parse) {
            return Err(AppError::invalid_field("item_from_records", "item", format!("“{}”由系统记录计分（{}），请更正相关记录而非手工录分", it.title, m.label())));
        }
        let t = input.points.as_deref().and_then(parse_points).ok_or_else(|| AppError::invalid_field("points_invalid", "points", "请填写得分，最多一位小数，如 6.5"))?;
        if t > it.points * 10 {
            return Err(AppError::invalid_field("points_over_max", "points", format!("“{}”满分{}分，得分不能超过满分", it.title, it.points)));
        }
        (it.title.clone(), t)
    };
    let note = short_text("note", &input.note, 500, "考评依据")?;
    if note.chars().count() < 4 {
        return Err(AppError::invalid_field("evidence_required", "note", "请写明考评依据：查阅了哪些材料、存放在哪里"));
    }
    let file = match (&input.file, &input.file_base64) {
        (Some(f), _) => Some(f.clone()),
        (None, Some(b)) if !b.trim().is_empty() => {
            let data = base64::engine::general_purpose::STANDARD.decode(b.trim()).map_err(|_| AppError::invalid_field("file_invalid", "file_base64", "附件不是有效的 base64 编码"))?;
            Some((input.file_name.clone().unwrap_or_else(|| "附件".into()), data))
        }
        _ => None,
    };
    let (fname, mime, data) = match &file {
        Some((name, data)) => {
            let c = crate::files::check(name, data)?;
            (Some(c.name), Some(c.content_type.to_string()), Some(data.clone()))
        }
        None => (None, None, None),
    };
    let today = crate::db::today().to_string();
    let eid: i64 = sqlx::query_scalar(
        "INSERT INTO assessment_entries (org_id, year, item, tenths, note, file_name, file_mime, file_data, by_user_id, by_name, on_day, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(org.id)
    .bind(year as i64)
    .bind(code)
    .bind(tenths)
    .bind(&note)
    .bind(&fname)
    .bind(&mime)
    .bind(data)
    .bind(actor.user_id)
    .bind(&actor.display_name)
    .bind(&today)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await?;
    let points = if code.starts_with("ten:") { if tenths > 0 { "达到".to_string() } else { "未达到".into() } } else { rules::fmt_tenths(tenths) };
    audit::record(conn, Some(actor), "assessment.entry", "org", Some(org.id), &org, None, Some(&serde_json::json!({"year": year, "item": item_title, "points": points, "note": note, "file": fname}))).await?;
    Ok(EntryView { id: eid, item: code.to_string(), item_title, points, note, by: actor.display_name.clone(), on: today, file_name: fname })
}

/// An entry's evidence file.
pub async fn entry_file(conn: &mut Conn, scope: &Scope<cap::ReadAssessment>, entry_id: i64) -> AppResult<(crate::files::StoredFile, Vec<u8>)> {
    let r = sqlx::query("SELECT e.file_name, e.file_mime, e.file_data, o.path FROM assessment_entries e JOIN orgs o ON o.id = e.org_id WHERE e.id = $1")
        .bind(entry_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    scope.require_at(&r.try_get::<String, _>("path")?)?;
    let (Some(name), Some(mime), Some(data)) = (r.try_get::<Option<String>, _>("file_name")?, r.try_get::<Option<String>, _>("file_mime")?, r.try_get::<Option<Vec<u8>>, _>("file_data")?) else {
        return Err(AppError::NotFound);
    };
    Ok((crate::files::StoredFile { id: entry_id, name, content_type: mime, size: data.len() as i64, sha256: String::new(), at: 0 }, data))
}

/// The card after a rating event or a title: its scorecard unchanged, its history reloaded.
async fn refreshed(conn: &mut Conn, cfg: &Rules, mut c: Card) -> AppResult<Card> {
    let rubrics = rubrics(conn, cfg).await?;
    history(conn, &rubrics, &mut c).await?;
    Ok(c)
}

/// Appends the year's next event; of two writers of the same next event one is told.
#[allow(clippy::too_many_arguments)]
async fn append_event(conn: &mut Conn, actor: &Actor, org: &Org, year: i32, seq: i64, kind: EventKind, score: Option<i64>, stars: Option<i64>, previous: Option<i64>, note: &str) -> AppResult<()> {
    crate::tallies::mark(conn, crate::tallies::Source::Stars, org.id).await?;
    let r = sqlx::query(
        "INSERT INTO assessment_events (org_id, year, seq, kind, score_tenths, stars, previous_stars, note, by_user_id, by_name, on_day, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(org.id)
    .bind(year as i64)
    .bind(seq)
    .bind(kind.code())
    .bind(score)
    .bind(stars)
    .bind(previous)
    .bind(note)
    .bind(actor.user_id)
    .bind(&actor.display_name)
    .bind(crate::db::today().to_string())
    .bind(now_secs())
    .execute(&mut *conn)
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if crate::error::is_unique_violation(&e) => Err(AppError::conflict("changed_meanwhile", "该支部的评定刚被他人更新，请刷新后再试")),
        Err(e) => Err(e.into()),
    }
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RateInput {
    pub year: Option<i32>,
    pub note: Option<String>,
}

/// Rates a branch's year from its scorecard as it stands: every item entered, the stars by the
/// cut-offs. A later rating replaces it (the history stays).
pub async fn rate(db: &crate::db::Db, conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &RateInput) -> AppResult<Card> {
    let org = branch(conn, &actor.scope(), id).await?;
    writable(actor, &org)?;
    let year = year_of(input.year)?;
    let c = card(db, conn, &actor.scope(), cfg, id, year).await?;
    if c.appeal_open {
        return Err(AppError::conflict("appeal_open", "该支部有待复核的申诉，请先登记复核结果"));
    }
    let missing: Vec<&str> = c.scorecard.items.iter().filter(|i| i.source == "missing").map(|i| i.title.as_str()).collect();
    if !missing.is_empty() {
        return Err(AppError::invalid("items_missing", format!("尚有{}项未录入：{}。请录入后再评定", missing.len(), missing.join("、"))));
    }
    let unchecked: Vec<&str> = c.scorecard.ten_haves.iter().filter(|h| h.met.is_none()).map(|h| h.title.as_str()).collect();
    if !unchecked.is_empty() {
        return Err(AppError::invalid("ten_haves_missing", format!("“十有”尚有{}项未核查：{}", unchecked.len(), unchecked.join("、"))));
    }
    let note = short_text("note", &input.note, 500, "说明")?;
    let seq = c.events.last().map_or(0, |e| e.seq) + 1;
    let note = if note.is_empty() { c.scorecard.stars_explanation.clone() } else { format!("{}；{note}", c.scorecard.stars_explanation) };
    append_event(conn, actor, &org, year, seq, EventKind::Rating, Some(c.scorecard.total_tenths), Some(c.scorecard.stars as i64), c.last_year_stars, &note).await?;
    audit::record(conn, Some(actor), "assessment.rate", "org", Some(org.id), &org, None, Some(&serde_json::json!({"year": year, "score": c.total, "stars": c.scorecard.stars}))).await?;
    refreshed(conn, cfg, c).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AppealInput {
    pub year: Option<i32>,
    /// What the branch disputes, and why.
    pub reason: Option<String>,
}

/// A branch's appeal against its rating (one open at a time).
pub async fn appeal(db: &crate::db::Db, conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &AppealInput) -> AppResult<Card> {
    let org = branch(conn, &actor.scope(), id).await?;
    let year = year_of(input.year)?;
    let c = card(db, conn, &actor.scope(), cfg, id, year).await?;
    let Some(last) = c.events.last() else {
        return Err(AppError::conflict("not_rated", format!("{year}年度尚未评定，无需申诉")));
    };
    if last.kind == "appeal" {
        return Err(AppError::conflict("appeal_open", "已有申诉等待复核"));
    }
    let reason = short_text("reason", &input.reason, 1000, "申诉理由")?;
    if reason.chars().count() < 4 {
        return Err(AppError::invalid_field("reason_required", "reason", "请写明申诉的项目和理由"));
    }
    append_event(conn, actor, &org, year, last.seq + 1, EventKind::Appeal, None, None, None, &reason).await?;
    audit::record(conn, Some(actor), "assessment.appeal", "org", Some(org.id), &org, None, Some(&serde_json::json!({"year": year, "reason": reason}))).await?;
    refreshed(conn, cfg, c).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    pub year: Option<i32>,
    /// The stars after review (0–5).
    pub stars: Option<i64>,
    /// The reviewers' finding.
    pub note: Option<String>,
}

/// The review of an open appeal: the stars kept or changed, with the finding.
pub async fn review(db: &crate::db::Db, conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &ReviewInput) -> AppResult<Card> {
    let org = branch(conn, &actor.scope(), id).await?;
    writable(actor, &org)?;
    let year = year_of(input.year)?;
    let c = card(db, conn, &actor.scope(), cfg, id, year).await?;
    let Some(last) = c.events.last().filter(|e| e.kind == "appeal") else {
        return Err(AppError::conflict("no_open_appeal", "没有待复核的申诉"));
    };
    let stars = input.stars.filter(|s| (0..=5).contains(s)).ok_or_else(|| AppError::invalid_field("stars_invalid", "stars", "请选择复核后的星级（0至5星）"))?;
    let note = short_text("note", &input.note, 1000, "复核意见")?;
    if note.chars().count() < 4 {
        return Err(AppError::invalid_field("note_required", "note", "请写明复核意见"));
    }
    append_event(conn, actor, &org, year, last.seq + 1, EventKind::Review, Some(c.scorecard.total_tenths), Some(stars), c.last_year_stars, &note).await?;
    audit::record(conn, Some(actor), "assessment.review", "org", Some(org.id), &org, None, Some(&serde_json::json!({"year": year, "stars": stars, "note": note}))).await?;
    refreshed(conn, cfg, c).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TitleInput {
    /// A title's code in the rubric (shuangqiang, biaogan, siqiang …).
    pub title: Option<String>,
    pub year: Option<i32>,
    /// The document that confers or withdraws it (文号).
    pub document: Option<String>,
    /// Withdraw instead of confer.
    #[serde(default)]
    pub revoke: bool,
}

/// Confers a title on a branch rated with enough stars that year, or withdraws it.
pub async fn title(db: &crate::db::Db, conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &TitleInput) -> AppResult<Card> {
    let org = branch(conn, &actor.scope(), id).await?;
    writable(actor, &org)?;
    let year = year_of(input.year)?;
    let (rubric, _) = rubric_for(conn, cfg, &org).await?;
    let code = input.title.as_deref().unwrap_or("").trim();
    let t = rubric.title(code).ok_or_else(|| AppError::invalid_field("title_unknown", "title", "请选择称号"))?;
    let document = short_text("document", &input.document, 200, "文件")?;
    if document.is_empty() {
        return Err(AppError::invalid_field("document_required", "document", "请填写命名或撤销的文件（文号）"));
    }
    let c = card(db, conn, &actor.scope(), cfg, id, year).await?;
    let holds = c.titles.iter().any(|x| x.code == code && x.year == year && x.withdrawn.is_none());
    if input.revoke && !holds {
        return Err(AppError::conflict("title_not_held", format!("该支部没有{year}年度的“{}”称号", t.name)));
    }
    if !input.revoke {
        if holds || c.titles.iter().any(|x| x.code == code && x.year == year) {
            return Err(AppError::conflict("title_already", format!("{year}年度的“{}”已命名过", t.name)));
        }
        let stars = c.rated_stars.unwrap_or(0);
        if stars < t.min_stars as i64 {
            return Err(AppError::invalid(
                "title_needs_stars",
                format!("“{}”须{}年度评定为{}星及以上，该支部{}", t.name, year, t.min_stars, c.rated_stars.map_or("尚未评定".to_string(), |s| format!("为{s}星"))),
            ));
        }
    }
    let r = sqlx::query("INSERT INTO assessment_titles (org_id, title, year, action, document, by_user_id, by_name, on_day, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(org.id)
        .bind(code)
        .bind(year as i64)
        .bind(if input.revoke { "revoke" } else { "award" })
        .bind(&document)
        .bind(actor.user_id)
        .bind(&actor.display_name)
        .bind(crate::db::today().to_string())
        .bind(now_secs())
        .execute(&mut *conn)
        .await;
    match r {
        Ok(_) => {}
        Err(e) if crate::error::is_unique_violation(&e) => return Err(AppError::conflict("title_already", format!("{year}年度的“{}”已登记过", t.name))),
        Err(e) => return Err(e.into()),
    }
    audit::record(conn, Some(actor), if input.revoke { "assessment.title_revoke" } else { "assessment.title" }, "org", Some(org.id), &org, None, Some(&serde_json::json!({"title": t.name, "year": year, "document": document}))).await?;
    refreshed(conn, cfg, c).await
}

/// The 星级评定台账 of a subtree: one row per branch.
pub fn board_xlsx(b: &Board) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("星级评定").map_err(|e| AppError::Internal(e.into()))?;
    let bold = Format::new().set_bold();
    let head = ["党组织", "上级组织", "总分", "其中记录计分", "待录入项", "按现有记录星级", "年度评定星级", "上年星级", "变化", "申诉待复核", "称号"];
    let x = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.into());
    ws.write_string_with_format(0, 0, format!("{} {}年度星级评定台账", b.org_name, b.year), &bold).map_err(x)?;
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &bold).map_err(x)?;
    }
    for (i, r) in b.rows.iter().enumerate() {
        let row = i as u32 + 2;
        ws.write_string(row, 0, &r.org_name).map_err(x)?;
        ws.write_string(row, 1, &r.parent_name).map_err(x)?;
        ws.write_number(row, 2, r.total_tenths as f64 / 10.0).map_err(x)?;
        ws.write_number(row, 3, r.from_records_tenths as f64 / 10.0).map_err(x)?;
        ws.write_number(row, 4, r.missing as f64).map_err(x)?;
        ws.write_number(row, 5, r.stars_now as f64).map_err(x)?;
        if let Some(s) = r.rated_stars {
            ws.write_number(row, 6, s as f64).map_err(x)?;
        }
        if let Some(s) = r.last_year_stars {
            ws.write_number(row, 7, s as f64).map_err(x)?;
        }
        ws.write_string(row, 8, r.change.as_deref().unwrap_or("")).map_err(x)?;
        ws.write_string(row, 9, if r.appeal_open { "是" } else { "" }).map_err(x)?;
        ws.write_string(row, 10, r.titles.join("、")).map_err(x)?;
    }
    wb.save_to_buffer().map_err(x)
}
