//! The compliance table for a subtree and a date range: loads orgs and held meetings,
//! then lets the pure engine in [`super::rules`] judge every requirement and period.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row as _;

use super::rules::{self, ComplianceRules, Finding, HeldMeeting, MeetingKind, OrgKindForRules, OrgLife};
use crate::auth::{cap, Scope};
use crate::db::{Conn, Sql};
use crate::error::{AppError, AppResult};
use crate::orgs::model::{Org, OrgKind};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ComplianceRow {
    pub org_id: i64,
    pub org_name: String,
    /// The parent's name: many orgs are called 第一党小组.
    pub parent_name: String,
    pub met: usize,
    pub missed: usize,
    pub not_due: usize,
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<Finding>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ComplianceReport {
    pub org_id: i64,
    pub from: String,
    pub to: String,
    pub orgs_checked: usize,
    pub orgs_with_misses: usize,
    pub missed: usize,
    /// Whether rows carry their findings (subtrees up to DETAIL_LIMIT orgs); otherwise
    /// open an org's own report for the explanations.
    pub detailed: bool,
    /// Rows before truncation to MAX_ROWS (most misses first).
    pub rows_total: usize,
    pub rows: Vec<ComplianceRow>,
    /// One line per direct child of the root (and one for the root itself when it is judged):
    /// township against township, with drill-down.
    pub children: Vec<ComplianceTally>,
}

#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ComplianceTally {
    pub org_id: i64,
    pub org_name: String,
    pub orgs_checked: usize,
    pub orgs_with_misses: usize,
    pub missed: usize,
    /// Orgs with no miss ÷ orgs judged, in basis points; None when none was judged.
    pub compliant_bp: Option<i64>,
}

impl ComplianceTally {
    /// "92.5%", or "—".
    pub fn compliant_percent(&self) -> String {
        self.compliant_bp.map_or("—".into(), crate::charts::percent)
    }
}

/// Subtrees up to this many orgs get every finding with its explanation.
pub const DETAIL_LIMIT: usize = 5_000;
/// Rows returned at most, most misses first.
pub const MAX_ROWS: usize = 2_000;

/// Full years; longer ranges are refused so a request stays bounded.
pub const MAX_RANGE_DAYS: i64 = 3 * 366;

#[allow(clippy::too_many_arguments)]
pub async fn report(
    db: &crate::db::Db,
    conn: &mut Conn,
    scope: &Scope<cap::ReadOrgLife>,
    root: &Org,
    rules: &ComplianceRules,
    from: NaiveDate,
    to: NaiveDate,
    only_missed: bool,
) -> AppResult<ComplianceReport> {
    if to < from {
        return Err(AppError::invalid("range_invalid", "结束日期应不早于开始日期"));
    }
    if (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(AppError::invalid("range_too_long", "查询区间最长三年，请缩短"));
    }
    let today = crate::db::today();
    let Loaded { orgs, paths, meetings } = load(db, conn, scope, root, rules, from, to).await?;
    // Counts for every org; explanations only where a reader can take them in: a subtree of
    // up to DETAIL_LIMIT orgs, or one org's drill-down. A province gets its counts in seconds.
    let summaries = rules::evaluate_summary(rules, &orgs, &meetings, from, to, today);
    let detail = orgs.len() <= DETAIL_LIMIT;
    let mut by_org: std::collections::HashMap<i64, Vec<Finding>> = std::collections::HashMap::new();
    if detail {
        for f in rules::evaluate(rules, &orgs, &meetings, from, to, today) {
            if !only_missed || matches!(f.verdict, rules::Verdict::Missed) {
                by_org.entry(f.org_id).or_default().push(f);
            }
        }
    }
    // Tallies per direct child of the root.
    let kids = crate::orgs::store::children(conn, root.id, false).await?;
    let mut children: Vec<ComplianceTally> = kids.iter().map(|k| ComplianceTally { org_id: k.id, org_name: k.name.clone(), ..Default::default() }).collect();
    let mut own = ComplianceTally { org_id: root.id, org_name: format!("{}（本级）", root.name), ..Default::default() };
    let index: std::collections::HashMap<i64, usize> = orgs.iter().enumerate().map(|(i, o)| (o.org_id, i)).collect();
    for sm in &summaries {
        let Some(&i) = index.get(&sm.org_id) else { continue };
        let t = match kids.iter().position(|k| paths[i].starts_with(&k.path)) {
            Some(k) => &mut children[k],
            None => &mut own,
        };
        t.orgs_checked += 1;
        t.orgs_with_misses += (sm.missed > 0) as usize;
        t.missed += sm.missed as usize;
    }
    children.retain(|c| c.orgs_checked > 0);
    if own.orgs_checked > 0 {
        children.insert(0, own);
    }
    for c in &mut children {
        c.compliant_bp = Some(((c.orgs_checked - c.orgs_with_misses) * 10_000 / c.orgs_checked) as i64);
    }
    let parent_of: std::collections::HashMap<i64, i64> = orgs
        .iter()
        .zip(&paths)
        .filter_map(|(o, p)| {
            let ids = crate::db::path::ids(p);
            (ids.len() >= 2).then(|| (o.org_id, ids[ids.len() - 2]))
        })
        .collect();
    let mut rows = Vec::new();
    let (mut with_misses, mut missed_total) = (0, 0);
    for sm in &summaries {
        if sm.missed > 0 {
            with_misses += 1;
            missed_total += sm.missed as usize;
        }
        if only_missed && sm.missed == 0 {
            continue;
        }
        rows.push(ComplianceRow {
            org_id: sm.org_id,
            org_name: String::new(),
            parent_name: String::new(),
            met: sm.met as usize,
            missed: sm.missed as usize,
            not_due: sm.not_due as usize,
            findings: by_org.remove(&sm.org_id).unwrap_or_default(),
        });
    }
    rows.sort_by(|a, b| b.missed.cmp(&a.missed).then(a.org_id.cmp(&b.org_id)));
    let rows_total = rows.len();
    rows.truncate(MAX_ROWS);
    // Names only for the rows returned, not for every org judged.
    let wanted: Vec<i64> = rows.iter().map(|r| r.org_id).chain(rows.iter().filter_map(|r| parent_of.get(&r.org_id).copied())).collect();
    let names = crate::members::store::org_names(conn, wanted.into_iter()).await?;
    for r in &mut rows {
        r.org_name = names.get(&r.org_id).cloned().unwrap_or_default();
        r.parent_name = parent_of.get(&r.org_id).and_then(|p| names.get(p)).cloned().unwrap_or_default();
    }
    Ok(ComplianceReport {
        org_id: root.id,
        from: from.to_string(),
        to: to.to_string(),
        orgs_checked: orgs.len(),
        orgs_with_misses: with_misses,
        missed: missed_total,
        detailed: detail,
        rows_total,
        rows,
        children,
    })
}

/// The orgs of a subtree that meetings are required of, and the meetings they held in every
/// period the range touches: what the pure engine judges.
pub struct Loaded {
    pub orgs: Vec<OrgLife>,
    /// Each org's path, in the order of `orgs`.
    pub paths: Vec<String>,
    pub meetings: Vec<HeldMeeting>,
}

pub async fn load(db: &crate::db::Db, conn: &mut Conn, scope: &Scope<cap::ReadOrgLife>, root: &Org, rules: &ComplianceRules, from: NaiveDate, to: NaiveDate) -> AppResult<Loaded> {
    let scope = scope.within(&root.path);
    let prefixes = scope.prefixes();

    let mut sql = Sql::new("SELECT id, path, kind, founded_on, created_at, dissolved_on FROM orgs WHERE kind IN ('branch', 'group', 'committee', 'working_committee', 'leading_group')");
    scope.push_filter(&mut sql, "path");
    let mut orgs = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    let mut branch_paths = std::collections::HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let id: i64 = r.try_get("id")?;
        let kind = OrgKind::parse(&r.try_get::<String, _>("kind")?).unwrap_or(OrgKind::Branch);
        let created: i64 = r.try_get("created_at")?;
        let created_on = r
            .try_get::<Option<String>, _>("founded_on")?
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            .unwrap_or_else(|| crate::db::china::date_of(created));
        let dissolved_on = r.try_get::<Option<String>, _>("dissolved_on")?.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        let path: String = r.try_get("path")?;
        if kind == OrgKind::Branch {
            branch_paths.insert(path.clone(), orgs.len());
        }
        paths.push(path);
        orgs.push(OrgLife {
            org_id: id,
            kind: match kind {
                OrgKind::Branch => OrgKindForRules::Branch { has_committee: false },
                OrgKind::Group => OrgKindForRules::Group,
                _ => OrgKindForRules::Leadership,
            },
            created_on,
            dissolved_on,
        });
    }
    // A branch has a committee when members of the branch itself hold committee seats
    // (every post but 党小组长 and 党员中心户).
    let mut psql = Sql::new(
        "SELECT org_path, COUNT(*) AS n FROM members WHERE left_on IS NULL AND posts <> '' AND (posts LIKE '%secretary%' \
         OR posts LIKE '%committee_member%' OR posts LIKE '%commissioner%')",
    );
    scope.push_filter(&mut psql, "org_path");
    psql.push(" GROUP BY org_path");
    for r in psql.query().fetch_all(&mut *conn).await? {
        let path: String = r.try_get("org_path")?;
        let n: i64 = r.try_get("n")?;
        if let Some(&i) = branch_paths.get(&path) {
            // 《中国共产党支部工作条例（试行）》: a committee has at least three members.
            orgs[i].kind = OrgKindForRules::Branch { has_committee: n >= 3 };
        }
    }

    // One row per org: "kind:date:id,kind:date:id,…". Only held meetings have a date.
    // `held_on || ''` keeps the planner on the (org_id, kind, held_on) index, which also
    // yields the rows already grouped by org; the date index would need a sort.
    let agg = db.string_agg("m.kind || ':' || m.held_on || ':' || CAST(m.id AS TEXT)");
    let mut msql = Sql::new(&format!("SELECT m.org_id, {agg} AS held FROM meetings m WHERE m.held_on || '' >= "));
    // Periods are judged whole: load the meetings of every period the range touches.
    let (w_from, w_to) = rules::meeting_window(rules, from, to).unwrap_or((from, to));
    msql.bind(w_from.to_string()).push(" AND m.held_on || '' <= ").bind(w_to.to_string());
    let whole_tree = root.parent_id.is_none() && prefixes.len() == 1 && prefixes[0] == root.path;
    if !whole_tree {
        msql.push(" AND m.org_id IN (SELECT id FROM orgs WHERE 1=1");
        scope.push_filter(&mut msql, "path");
        msql.push(")");
    }
    msql.push(" GROUP BY m.org_id");
    let mut meetings = Vec::new();
    for r in msql.query().fetch_all(&mut *conn).await? {
        let org_id: i64 = r.try_get("org_id")?;
        let held: String = r.try_get::<Option<String>, _>("held")?.unwrap_or_default();
        for item in held.split(',') {
            let mut parts = item.splitn(3, ':');
            let (Some(kind), Some(day), Some(id)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let (Some(kind), Some(held_on), Ok(id)) = (kind_of(kind), iso_date(day), id.parse()) else { continue };
            meetings.push(HeldMeeting { id, org_id, kind, held_on });
        }
    }

    Ok(Loaded { orgs, paths, meetings })
}

/// A secretary's reminder: what is due in the current periods and what is already
/// overdue this year, for an org and its groups. No daily check-ins: only this list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Reminders {
    pub org_id: i64,
    #[schema(value_type = Vec<Object>)]
    pub upcoming: Vec<Finding>,
    #[schema(value_type = Vec<Object>)]
    pub overdue: Vec<Finding>,
}

pub async fn reminders(db: &crate::db::Db, conn: &mut Conn, scope: &Scope<cap::ReadOrgLife>, org: &Org, rules: &ComplianceRules) -> AppResult<Reminders> {
    use chrono::Datelike;
    let today = crate::db::today();
    let from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let r = report(db, conn, scope, org, rules, from, today, false).await?;
    let mut upcoming = Vec::new();
    let mut overdue = Vec::new();
    for row in r.rows {
        for f in row.findings {
            match f.verdict {
                rules::Verdict::NotDue => upcoming.push(f),
                rules::Verdict::Missed => overdue.push(f),
                _ => {}
            }
        }
    }
    Ok(Reminders { org_id: org.id, upcoming, overdue })
}

/// "YYYY-MM-DD" without the general parser: millions of these per province report.
fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// Meeting kinds by code, without trying every label.
fn kind_of(code: &str) -> Option<MeetingKind> {
    MeetingKind::ALL.iter().copied().find(|k| k.code() == code)
}

/// Per month (YYYY-MM) of a period's last day, from `from` to `to`: requirements met and missed
/// in the subtree (periods not over, and exemptions, are left out). Empty above MAX_ROWS judged
/// orgs (a city or more), whose findings the report does not carry.
#[allow(clippy::too_many_arguments)]
pub async fn monthly(
    db: &crate::db::Db,
    conn: &mut Conn,
    scope: &Scope<cap::ReadOrgLife>,
    root: &Org,
    rules: &ComplianceRules,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<(String, usize, usize)>> {
    let r = report(db, conn, scope, root, rules, from, to, false).await?;
    if !r.detailed || r.rows_total > MAX_ROWS {
        return Ok(vec![]);
    }
    let mut by_month: std::collections::BTreeMap<String, (usize, usize)> = std::collections::BTreeMap::new();
    for f in r.rows.iter().flat_map(|row| row.findings.iter()) {
        let month = f.period.end.format("%Y-%m").to_string();
        match f.verdict {
            rules::Verdict::Met { .. } => by_month.entry(month).or_default().0 += 1,
            rules::Verdict::Missed => by_month.entry(month).or_default().1 += 1,
            _ => {}
        }
    }
    Ok(by_month.into_iter().map(|(m, (met, missed))| (m, met, missed)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn fast_parsers_agree_with_the_general_ones() {
        assert_eq!(iso_date("2025-03-31"), NaiveDate::from_ymd_opt(2025, 3, 31));
        assert_eq!(iso_date("2025-02-30"), None);
        assert_eq!(iso_date("2025-3-31"), None);
        for k in MeetingKind::ALL {
            assert_eq!(kind_of(k.code()), Some(*k));
        }
    }
}
