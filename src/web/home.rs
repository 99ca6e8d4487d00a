//! The home page: each role's day at a glance. A county or township sees its figures per child
//! org with drill-down (`/?org=ID`); a branch secretary this month's required meetings, who has
//! not paid and the open requests; a member their upcoming meetings (with the sign-in link while
//! one is on), own dues and study hours; a grid worker their grids and the overdue requests.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Datelike;
use serde::Deserialize;

use super::session::WebActor;
use super::ui::{render, Nav, UiResult};
use super::AppState;
use crate::auth::roles::{Actor, Perm, Role};
use crate::auth::cap;
use crate::dues::rules::YearMonth;
use crate::dues::store::{self as dues, fmt_yuan};
use crate::meetings::compliance;
use crate::meetings::rules::Finding;
use crate::meetings::store::{self as meetings, Meeting};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;
use crate::requests::store::{self as requests, Request};

#[derive(Deserialize)]
pub struct HomeQuery {
    org: Option<i64>,
}

/// One child org's line on a supervisor's home.
pub struct OverviewRow {
    pub org_id: i64,
    pub name: String,
    pub compliance: String,
    pub dues: String,
    pub requests: String,
    pub disputes: String,
    /// Something to look at: a miss, arrears below 90%, an overdue case.
    pub attention: bool,
}

pub struct Overview {
    pub org: Org,
    pub year: i32,
    pub compliance: String,
    pub orgs_checked: usize,
    pub orgs_with_misses: usize,
    pub dues_month: String,
    pub dues: String,
    pub dues_paid: String,
    pub dues_owed: String,
    pub requests_open: i64,
    pub requests_overdue: i64,
    pub disputes_open: i64,
    pub disputes_overdue: i64,
    pub rows: Vec<OverviewRow>,
    pub notes: Vec<String>,
}

pub struct BranchDay {
    pub org: Org,
    pub upcoming: Vec<Finding>,
    pub overdue: Vec<Finding>,
    pub planned: Vec<(Meeting, String)>,
    pub month: String,
    /// Members who owe more than they paid this month: (member id, name, still owed).
    pub unpaid: Vec<(i64, String, String)>,
    /// False above the sheet's limit: the list is not known here.
    pub unpaid_known: bool,
    pub requests: Vec<Request>,
    pub requests_open: i64,
}

pub struct MemberDay {
    pub member_id: i64,
    pub name: String,
    /// (meeting, when, sign-in link while it is on)
    pub upcoming: Vec<(Meeting, String, Option<String>)>,
    pub month: String,
    pub owed: String,
    pub paid: String,
    pub arrears: String,
    pub dues_explanation: String,
    pub hours: String,
}

pub struct GridDay {
    pub org: Org,
    pub grids: Vec<(i64, String, String)>,
    pub open: i64,
    pub overdue: i64,
    pub items: Vec<Request>,
    pub special: Vec<(String, i64)>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Nav,
    today: String,
    overview: Option<Overview>,
    branch: Option<BranchDay>,
    member: Option<MemberDay>,
    grid: Option<GridDay>,
    /// Shown when the user has no role yet.
    empty: bool,
}

/// Above this many orgs the home page leaves compliance and dues to the child orgs' pages.
const HOME_ORGS_LIMIT: i64 = 5_000;

fn pct(n: usize, d: usize) -> String {
    (n * 10_000).checked_div(d).map_or("—".into(), |bp| crate::charts::percent(bp as i64))
}

pub async fn home(State(s): State<AppState>, WebActor(a): WebActor, Query(q): Query<HomeQuery>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let supervisor = a.grants.iter().find(|g| matches!(g.role, Role::CountyAdmin | Role::OrgAdmin));
    let overview_org = match (q.org, supervisor) {
        (Some(id), _) => Some(orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgLife>(), id).await?),
        (None, Some(g)) => orgs::get(&mut conn, g.org_id).await?,
        (None, None) => None,
    };
    let overview = match overview_org {
        Some(org) => Some(overview(&s, &mut conn, &a, org).await?),
        None => None,
    };
    let only_overview = q.org.is_some();
    let branch = match a.grants.iter().find(|g| g.role == Role::BranchSecretary).filter(|_| !only_overview) {
        Some(g) => match orgs::get(&mut conn, g.org_id).await? {
            Some(org) => Some(branch_day(&s, &mut conn, &a, org).await?),
            None => None,
        },
        None => None,
    };
    let member = match a.member_id.filter(|_| !only_overview && a.has_role(Role::Member)) {
        Some(id) => Some(member_day(&s, &mut conn, &a, id).await?),
        None => None,
    };
    let grid = match a.grants.iter().find(|g| g.role == Role::GridWorker).filter(|_| !only_overview) {
        Some(g) => match orgs::get(&mut conn, g.org_id).await? {
            Some(org) => Some(grid_day(&s, &mut conn, &a, org).await?),
            None => None,
        },
        None => None,
    };
    let empty = overview.is_none() && branch.is_none() && member.is_none() && grid.is_none();
    render(&HomePage { nav: Nav::of(&a), today: crate::db::today().format("%Y年%m月%d日").to_string(), overview, branch, member, grid, empty })
}

async fn overview(s: &AppState, conn: &mut crate::db::Conn, a: &Actor, org: Org) -> UiResult<Overview> {
    let today = crate::db::today();
    let jan = chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let month = YearMonth::of(today).prev();
    let kids = orgs::children(conn, org.id, false).await?;
    let mut notes = Vec::new();
    // A city or a province is judged on the compliance and dues pages of its children: the home
    // page stays quick whatever the subtree (issue 13 brings tallies that make this unnecessary).
    let (members, org_count) = crate::orgs::stats::totals(conn, &[org.id]).await?.get(&org.id).copied().unwrap_or((0, 0));
    let small_enough = org_count <= HOME_ORGS_LIMIT && members <= dues::TALLY_LIMIT as i64;
    if !small_enough {
        notes.push(format!("{}有 {org_count} 个党组织、{members} 名党员：组织生活和党费请从下级组织进入查看。", org.name));
    }
    let mut rows: Vec<OverviewRow> = kids
        .iter()
        .map(|k| OverviewRow { org_id: k.id, name: k.name.clone(), compliance: "—".into(), dues: "—".into(), requests: "—".into(), disputes: "—".into(), attention: false })
        .collect();
    let mut o = Overview {
        org: org.clone(),
        year: today.year(),
        compliance: "—".into(),
        orgs_checked: 0,
        orgs_with_misses: 0,
        dues_month: month.to_string(),
        dues: "—".into(),
        dues_paid: "—".into(),
        dues_owed: "—".into(),
        requests_open: 0,
        requests_overdue: 0,
        disputes_open: 0,
        disputes_overdue: 0,
        rows: Vec::new(),
        notes: Vec::new(),
    };
    if small_enough && a.can(Perm::ReadOrgLife, &org.path) {
        let r = compliance::report(&s.db, conn, &a.scope(), &org, &s.rules, jan, today, true).await?;
        o.orgs_checked = r.orgs_checked;
        o.orgs_with_misses = r.orgs_with_misses;
        o.compliance = pct(r.orgs_checked - r.orgs_with_misses, r.orgs_checked);
        for c in &r.children {
            if let Some(row) = rows.iter_mut().find(|x| x.org_id == c.org_id) {
                row.compliance = c.compliant_percent();
                row.attention |= c.orgs_with_misses > 0;
            }
        }
    }
    if small_enough && a.can(Perm::ReadDues, &org.path) {
        match dues::for_org(conn, &a.scope(), &s.rules.dues, &org, month).await {
            Ok(d) => {
                o.dues = pct(d.paid_fen.min(d.owed_fen).max(0) as usize, d.owed_fen.max(0) as usize);
                o.dues_paid = fmt_yuan(d.paid_fen);
                o.dues_owed = fmt_yuan(d.owed_fen);
                for c in &d.children {
                    if let Some(row) = rows.iter_mut().find(|x| x.org_id == c.org_id) {
                        row.dues = c.paid_percent();
                        row.attention |= c.paid_bp.is_some_and(|bp| bp < 9_000);
                    }
                }
            }
            Err(e) => notes.push(format!("党费：{}", e.message())),
        }
    }
    if a.can(Perm::ReadRequests, &org.path) {
        let scope = a.scope::<cap::ReadRequests>();
        let all = requests::open_list(conn, &scope, &s.rules.requests, &org, false, 1).await?;
        (o.requests_open, o.requests_overdue) = (all.open, all.overdue);
        if all.open > 0 {
            for (k, row) in kids.iter().zip(rows.iter_mut()) {
                let l = requests::open_list(conn, &scope, &s.rules.requests, k, false, 1).await?;
                row.requests = format!("{} / {}", l.open, l.overdue);
                row.attention |= l.overdue > 0;
            }
        }
    }
    if a.can(Perm::ReadDisputes, &org.path) {
        let scope = a.scope::<cap::ReadDisputes>();
        let all = crate::disputes::store::open_list(conn, &scope, &org, 1).await?;
        (o.disputes_open, o.disputes_overdue) = (all.open, all.overdue);
        if all.open > 0 {
            for (k, row) in kids.iter().zip(rows.iter_mut()) {
                let l = crate::disputes::store::open_list(conn, &scope, k, 1).await?;
                row.disputes = format!("{} / {}", l.open, l.overdue);
                row.attention |= l.overdue > 0;
            }
        }
    }
    o.rows = rows;
    o.notes = notes;
    Ok(o)
}

async fn branch_day(s: &AppState, conn: &mut crate::db::Conn, a: &Actor, org: Org) -> UiResult<BranchDay> {
    let r = compliance::reminders(&s.db, conn, &a.scope(), &org, &s.rules).await?;
    let now = crate::db::now_secs();
    let planned = meetings::list(conn, &a.scope(), &org, 60)
        .await?
        .into_iter()
        .filter(|m| m.state == "planned" && m.planned_end >= now)
        .rev()
        .map(|m| {
            let w = crate::db::china::minute(m.planned_start);
            (m, w)
        })
        .collect();
    let month = YearMonth::of(crate::db::today());
    let d = dues::for_org(conn, &a.scope(), &s.rules.dues, &org, month).await?;
    let unpaid_known = d.members_listed;
    let unpaid = d
        .members
        .iter()
        .filter(|m| m.owed_fen > m.paid_fen)
        .map(|m| (m.member_id, m.name.clone(), fmt_yuan(m.owed_fen - m.paid_fen)))
        .collect();
    let open = requests::open_list(conn, &a.scope(), &s.rules.requests, &org, false, 8).await?;
    Ok(BranchDay {
        org,
        upcoming: r.upcoming,
        overdue: r.overdue,
        planned,
        month: month.to_string(),
        unpaid,
        unpaid_known,
        requests_open: open.open,
        requests: open.items,
    })
}

async fn member_day(s: &AppState, conn: &mut crate::db::Conn, a: &Actor, member_id: i64) -> UiResult<MemberDay> {
    let now = crate::db::now_secs();
    let grace = meetings::SIGNIN_GRACE_SECS;
    let upcoming = meetings::upcoming_for_member(conn, &a.scope(), member_id, 8)
        .await?
        .into_iter()
        .map(|m| {
            let open = now >= m.planned_start - grace && now <= m.planned_end + grace;
            let link = open.then(|| format!("/sign-in/{}", m.signin_token));
            let w = crate::db::china::minute(m.planned_start);
            (m, w, link)
        })
        .collect();
    let month = YearMonth::of(crate::db::today());
    let d = dues::for_member(conn, &a.scope(), &s.rules.dues, member_id, month).await?;
    let t = crate::training::store::member_year(conn, &a.scope(), &s.rules.training, member_id, crate::db::today().year()).await?;
    Ok(MemberDay {
        member_id,
        name: d.name.clone(),
        upcoming,
        month: month.to_string(),
        owed: fmt_yuan(d.owed_fen),
        paid: fmt_yuan(d.paid_fen),
        arrears: fmt_yuan(d.arrears_fen),
        dues_explanation: d.assessment.as_ref().map(|x| x.explanation.clone()).unwrap_or_else(|| "支部尚未核定您的交纳基数".into()),
        hours: t.verdict.explanation.clone(),
    })
}

async fn grid_day(s: &AppState, conn: &mut crate::db::Conn, a: &Actor, org: Org) -> UiResult<GridDay> {
    let mut sql = crate::db::Sql::new("SELECT g.id, g.name, (SELECT COUNT(*) FROM households h WHERE h.grid_id = g.id) AS n FROM grids g WHERE g.worker_user_id = ");
    sql.bind(a.user_id);
    // Only grids still in reach: a worker moved elsewhere does not see the old ones.
    a.scope::<cap::ReadResidents>().push_filter(&mut sql, "g.org_path");
    sql.push(" ORDER BY g.code LIMIT 50");
    let mut grids = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        use sqlx::Row as _;
        let n: i64 = r.try_get("n")?;
        grids.push((r.try_get("id")?, r.try_get("name")?, format!("{n} 户")));
    }
    let open = requests::open_list(conn, &a.scope(), &s.rules.requests, &org, true, 20).await?;
    let summary = crate::grids::store::summary(conn, &a.scope(), &org).await?;
    Ok(GridDay { org, grids, open: open.open, overdue: open.overdue, items: open.items, special: summary.special })
}
