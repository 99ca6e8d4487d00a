//! Dashboards for any subtree: every figure read from counters (`org_stats`) and per-period
//! tallies (`tallies`), for the org and each of its children, so the root of a province costs
//! what a branch costs. The figures themselves are in [`figures`].

pub mod figures;


use chrono::Datelike;
use serde::Serialize;

use crate::auth::roles::Actor;
use crate::charts::Point;
use crate::config::Rules;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::orgs::model::Org;
use figures::{Figure, Input, Stats, Tallies, SECTIONS};

/// Months in a trend, ending with the year's last counted month.
pub const TREND_MONTHS: u32 = 12;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Section {
    pub key: String,
    pub title: String,
    /// The page with the records behind the figures.
    pub link: String,
    pub figures: Vec<Figure>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Cell {
    pub value: String,
    pub bp: Option<i64>,
}

/// One child in the comparison: township against township.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChildRow {
    pub org_id: i64,
    pub name: String,
    /// One per [`Dashboard::columns`].
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    /// YYYY-MM
    pub month: String,
    pub n: i64,
    pub of: i64,
    pub bp: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Trend {
    pub key: String,
    pub title: String,
    pub note: String,
    pub points: Vec<TrendPoint>,
}

impl Trend {
    pub fn chart_points(&self) -> Vec<Point> {
        self.points
            .iter()
            .map(|p| Point { label: format!("{}月", p.month[5..].trim_start_matches('0')), bp: p.bp, detail: if p.of > 0 { format!("{}/{}", p.n, p.of) } else { "无".into() } })
            .collect()
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    /// The last month the year's figures count (YYYY-MM).
    pub through: String,
    /// Some writes are not counted yet (a sweep or a bulk load is being settled).
    pub settling: bool,
    /// Where the figures were read: `primary`, or `replica` (a streaming replica within its
    /// allowed lag, `--replica-url`).
    pub read_from: String,
    pub sections: Vec<Section>,
    /// The headline of each section the caller may see, in order: the comparison's columns.
    pub columns: Vec<String>,
    pub children: Vec<ChildRow>,
    pub trends: Vec<Trend>,
}

/// The dashboard of `org` (already checked to be in the caller's scope) for `year`.
pub async fn build(db: &Db, actor: &Actor, rules: &Rules, org: &Org, year: i32) -> AppResult<Dashboard> {
    let today = crate::db::today();
    if year < 2000 || year > today.year() {
        return Err(AppError::invalid_field("year_invalid", "year", format!("年份应在2000年至{}年之间", today.year())));
    }
    let settling = crate::tallies::settle_for_read(db, rules).await?;
    let db = db.reader().await;
    let mut conn = db.pool.acquire().await?;
    let last_month = if year == today.year() { today.month() } else { 12 };
    let kids = crate::orgs::store::children(&mut conn, org.id, false).await?;
    let mut ids: Vec<i64> = vec![org.id];
    ids.extend(kids.iter().map(|k| k.id));
    let visible: Vec<&figures::SectionDef> = SECTIONS.iter().filter(|d| actor.can(d.perm, &org.path)).collect();
    // The org itself: everything, last year's months included (the trend reaches back before
    // January). Its children: what their headlines need, this year's periods, last year's total
    // (stars in force) and the present.
    let mut stats = crate::orgs::stats::load_many(&mut conn, &[org.id], None).await?;
    let mut tallies = crate::tallies::read(&mut conn, &[org.id], "", &(year - 1).to_string(), "now").await?;
    let (y, last_y) = (year.to_string(), (year - 1).to_string());
    let y12 = format!("{year}-12");
    stats.extend(crate::orgs::stats::load_many(&mut conn, &ids[1..], Some(&[crate::orgs::stats::DIM_MEMBERS])).await?);
    tallies.extend(crate::tallies::read_ranges(&mut conn, &ids[1..], "", &[(&y, &y12), (&last_y, &last_y), ("now", "now")]).await?);
    let kept_years = crate::tallies::sources::years(today);
    let (empty_s, empty_t) = (Stats::new(), Tallies::new());
    let input = |id: i64| Input { stats: stats.get(&id).unwrap_or(&empty_s), tallies: tallies.get(&id).unwrap_or(&empty_t), year, last_month, kept_years };

    let own = input(org.id);
    let sections: Vec<Section> = visible
        .iter()
        .map(|d| Section { key: d.key.into(), title: d.title.into(), link: d.link.replace("{id}", &org.id.to_string()), figures: (d.figures)(&own) })
        .collect();
    let columns: Vec<String> = visible.iter().zip(&sections).map(|(d, s)| s.figures.iter().find(|f| f.key == d.headline).map(|f| f.label.clone()).unwrap_or_default()).collect();
    let children = kids
        .iter()
        .map(|k| {
            let i = input(k.id);
            let cells = visible
                .iter()
                .map(|d| match (d.figures)(&i).into_iter().find(|f| f.key == d.headline) {
                    Some(f) => Cell { value: f.value, bp: f.bp },
                    None => Cell { value: "—".into(), bp: None },
                })
                .collect();
            ChildRow { org_id: k.id, name: k.name.clone(), cells }
        })
        .collect();
    let months = trend_months(year, last_month);
    let trends = visible
        .iter()
        .filter_map(|d| {
            let t = d.trend.as_ref()?;
            let points = months
                .iter()
                .map(|m| {
                    let (n, of) = (figures::monthly_value(own.tallies, t.num, m), figures::monthly_value(own.tallies, t.den, m));
                    TrendPoint { month: m.clone(), n, of, bp: figures::rate_bp(n, of) }
                })
                .collect();
            Some(Trend { key: d.key.into(), title: t.title.into(), note: t.note.into(), points })
        })
        .collect();
    Ok(Dashboard { org_id: org.id, org_name: org.name.clone(), year, through: format!("{year:04}-{last_month:02}"), settling, read_from: if db.reads_replica() { "replica" } else { "primary" }.into(), sections, columns, children, trends })
}

/// The TREND_MONTHS months ending with `last_month` of `year`, as YYYY-MM.
fn trend_months(year: i32, last_month: u32) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = (year, last_month as i32);
    for _ in 0..TREND_MONTHS {
        out.push(format!("{y:04}-{m:02}"));
        m -= 1;
        if m == 0 {
            m = 12;
            y -= 1;
        }
    }
    out.reverse();
    out
}

/// The dashboard as a workbook: the figures with their basis, the children, the trends.
pub fn xlsx(d: &Dashboard) -> AppResult<Vec<u8>> {
    use crate::members::sheets::{write_tables_xlsx, Table};
    let figures: Vec<Vec<String>> = d
        .sections
        .iter()
        .flat_map(|s| s.figures.iter().map(move |f| vec![s.title.clone(), f.label.clone(), f.value.clone(), f.n.to_string(), f.of.map(|o| o.to_string()).unwrap_or_default(), f.basis.clone()]))
        .collect();
    let mut child_headers: Vec<&str> = vec!["下级党组织"];
    child_headers.extend(d.columns.iter().map(String::as_str));
    let child_widths: Vec<f64> = std::iter::once(24.0).chain(d.columns.iter().map(|_| 14.0)).collect();
    let children: Vec<Vec<String>> = d.children.iter().map(|c| std::iter::once(c.name.clone()).chain(c.cells.iter().map(|x| x.value.clone())).collect()).collect();
    let trends: Vec<Vec<String>> = d
        .trends
        .iter()
        .flat_map(|t| t.points.iter().map(move |p| vec![t.title.clone(), p.month.clone(), p.n.to_string(), p.of.to_string(), p.bp.map_or("—".into(), crate::charts::percent)]))
        .collect();
    let title = format!("{}{}年", d.org_name, d.year);
    let tables = [
        Table { title: format!("{title}指标"), headers: &["板块", "指标", "数值", "分子或计数", "分母", "口径"], widths: &[16.0, 22.0, 12.0, 12.0, 12.0, 60.0], rows: figures },
        Table { title: "下级对比".into(), headers: &child_headers, widths: &child_widths, rows: children },
        Table { title: "逐月趋势".into(), headers: &["指标", "月份", "分子", "分母", "比例"], widths: &[20.0, 10.0, 10.0, 10.0, 10.0], rows: trends },
    ];
    write_tables_xlsx(&tables).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn trend_months_cross_the_year_boundary() {
        let m = super::trend_months(2026, 3);
        assert_eq!(m.len(), 12);
        assert_eq!(m.first().map(String::as_str), Some("2025-04"));
        assert_eq!(m.last().map(String::as_str), Some("2026-03"));
    }
}
