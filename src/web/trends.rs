//! Month-by-month trends for any subtree (`/orgs/{id}/trends`): organizational life, dues
//! collection, requests fixed in time and 化解率, as server-drawn SVG with the numbers in a table.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::session::WebActor;
use super::ui::{render, Nav, UiResult};
use super::AppState;
use crate::auth::roles::Perm;
use crate::auth::cap;
use crate::charts::{rate_line, Point};
use crate::dues::rules::YearMonth;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;

/// Months shown, ending with the current one.
pub const MONTHS: usize = 12;

pub struct Trend {
    pub title: String,
    /// What the rate is, and where its numbers come from.
    pub note: String,
    pub svg: String,
    pub points: Vec<Point>,
}

#[derive(Template)]
#[template(path = "trends.html")]
struct TrendsPage {
    nav: Nav,
    org: Org,
    trends: Vec<Trend>,
    notes: Vec<String>,
}

/// Basis points, rounded half up as the reports round them.
fn rate(n: i64, d: i64) -> Option<i64> {
    (d > 0).then(|| (n * 20_000 + d) / (2 * d))
}

fn trend(title: &str, note: &str, months: &[YearMonth], values: impl Fn(&str) -> Option<(i64, i64)>) -> Trend {
    let points: Vec<Point> = months
        .iter()
        .map(|m| {
            let key = m.to_string();
            let (n, d) = values(&key).unwrap_or((0, 0));
            Point { label: format!("{}月", m.month), bp: rate(n, d), detail: if d > 0 { format!("{n}/{d}") } else { "无".into() } }
        })
        .collect();
    Trend { title: title.into(), note: note.into(), svg: rate_line(title, &points), points }
}

pub async fn trends_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadOrgs>(), id).await?;
    let today = crate::db::today();
    let last = YearMonth::of(today);
    let mut first = last;
    for _ in 1..MONTHS {
        first = first.prev();
    }
    let months: Vec<YearMonth> = first.iter_to(last).collect();
    let from = first.first_day();
    let mut trends = Vec::new();
    let mut notes = Vec::new();
    // Counted before anything is read: a city or province would scan far too much.
    let (members, org_count) = crate::orgs::stats::totals(&mut conn, &[org.id]).await?.get(&org.id).copied().unwrap_or((0, 0));
    let life_ok = org_count <= crate::meetings::compliance::MAX_ROWS as i64;
    let dues_ok = members <= crate::dues::store::TALLY_LIMIT as i64;
    if !life_ok || !dues_ok {
        notes.push(format!("{}有 {org_count} 个党组织、{members} 名党员：组织生活和党费趋势请从下级组织进入查看。", org.name));
    }
    if life_ok && a.can(Perm::ReadOrgLife, &org.path) {
        let rows = crate::meetings::compliance::monthly(&s.db, &mut conn, &a.scope(), &org, &s.rules.compliance, from, today).await?;
        if !rows.is_empty() {
            trends.push(trend(
                "组织生活落实率",
                "当月到期的“三会一课”等要求中按期落实的比例（按周期最后一天所在月份计）",
                &months,
                |k| rows.iter().find(|r| r.0 == k).map(|r| (r.1 as i64, (r.1 + r.2) as i64)),
            ));
        }
    }
    if dues_ok && a.can(Perm::ReadDues, &org.path) {
        match crate::dues::store::monthly(&mut conn, &a.scope(), &s.rules.dues, &org, first, last).await {
            Ok(rows) => trends.push(trend("党费交纳率", "当月已交（不超过应交）÷ 当月应交，按核定基数计", &months, |k| {
                rows.iter().find(|r| r.0.to_string() == k).map(|r| (r.2, r.1))
            })),
            Err(e) => notes.push(format!("党费：{}", e.message())),
        }
    }
    if a.can(Perm::ReadRequests, &org.path) {
        let rows = crate::requests::store::monthly_on_time(&mut conn, &a.scope(), &org, from, today).await?;
        trends.push(trend("群众诉求按时办结率", "当月办结的诉求中在办理时限内办结的比例", &months, |k| {
            rows.iter().find(|r| r.0 == k).map(|r| (r.2, r.1))
        }));
    }
    if a.can(Perm::ReadDisputes, &org.path) {
        let rows = crate::disputes::store::monthly_resolution(&mut conn, &a.scope(), &org, from, today).await?;
        trends.push(trend("矛盾纠纷化解率", "当月新排查受理的纠纷中至今调解成功的比例", &months, |k| {
            rows.iter().find(|r| r.0 == k).map(|r| (r.2, r.1))
        }));
    }
    if trends.is_empty() && notes.is_empty() {
        notes.push(format!("您的角色在{}没有可看的趋势。", org.name));
    }
    render(&TrendsPage { nav: Nav::of(&a), org, trends, notes })
}
