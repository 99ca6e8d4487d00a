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
    cfg: &crate::config::Rules,
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
    if let Some(r) = from_tallies(db, conn, cfg, root, from, to, only_missed).await? {
        return Ok(r);
    }
    let rules = &cfg.compliance;
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
        // Orgs with a requirement in the range, as the per-child lines count them.
        orgs_checked: summaries.len(),
        orgs_with_misses: with_misses,
        missed: missed_total,
        detailed: detail,
        rows_total,
        rows,
        children,
    })
}

/// A large subtree's report for a whole calendar year, read from the tallies the writes keep
/// (`tallies::sources`, the same engine per org): the province's year without reading its
/// meetings. None when the tallies cannot answer exactly: a small subtree (whose report carries
/// every explanation), another range, a year no longer kept, or tallies not yet recounted under
/// this month and these rules. Rows are the orgs with a miss, most misses first.
#[allow(clippy::too_many_arguments)]
async fn from_tallies(db: &crate::db::Db, conn: &mut Conn, cfg: &crate::config::Rules, root: &Org, from: NaiveDate, to: NaiveDate, only_missed: bool) -> AppResult<Option<ComplianceReport>> {
    let orgs_in = crate::orgs::stats::totals(conn, &[root.id]).await?.get(&root.id).map(|t| t.1).unwrap_or(0);
    if orgs_in as usize <= DETAIL_LIMIT {
        return Ok(None);
    }
    tallied(db, conn, cfg, root, from, to, only_missed).await
}

/// [`from_tallies`] whatever the subtree's size (tests compare it with the engine's report).
#[allow(clippy::too_many_arguments)]
pub async fn tallied(db: &crate::db::Db, conn: &mut Conn, cfg: &crate::config::Rules, root: &Org, from: NaiveDate, to: NaiveDate, only_missed: bool) -> AppResult<Option<ComplianceReport>> {
    use crate::tallies::{self, Source};
    use chrono::Datelike;
    let today = crate::db::today();
    let year = from.year();
    let (Some(jan), Some(dec)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else { return Ok(None) };
    // Met and missed of a year judged up to today equal those judged up to its end.
    let whole = from == jan && (to == dec || (year == today.year() && to >= today && to <= dec));
    if !whole || !tallies::sources::years(today).contains(&year) || !tallies::fresh(conn, cfg, Source::Life).await? || tallies::settle_for_read(db, cfg).await? {
        return Ok(None);
    }
    let y = year.to_string();
    let kids = crate::orgs::store::children(conn, root.id, false).await?;
    let ids: Vec<i64> = std::iter::once(root.id).chain(kids.iter().map(|k| k.id)).collect();
    let t = tallies::read(conn, &ids, "life.", &y, &y).await?;
    let get = |id: i64, m: &str| t.get(&id).and_then(|x| x.get(m)).and_then(|p| p.get(&y)).copied().unwrap_or(0) as usize;
    let tally = |id: i64, name: String, judged: usize, with: usize, missed: usize| ComplianceTally {
        org_id: id,
        org_name: name,
        orgs_checked: judged,
        orgs_with_misses: with,
        missed,
        compliant_bp: (judged > 0).then(|| ((judged - with) * 10_000 / judged) as i64),
    };
    let mut children: Vec<ComplianceTally> = Vec::new();
    let (mut j, mut w, mut m) = (get(root.id, "life.judged"), get(root.id, "life.orgs_missed"), get(root.id, "life.missed"));
    for k in &kids {
        let (kj, kw, km) = (get(k.id, "life.judged"), get(k.id, "life.orgs_missed"), get(k.id, "life.missed"));
        (j, w, m) = (j - kj, w - kw, m - km);
        if kj > 0 {
            children.push(tally(k.id, k.name.clone(), kj, kw, km));
        }
    }
    if j > 0 {
        children.insert(0, tally(root.id, format!("{}（本级）", root.name), j, w, m));
    }
    let (lo, hi) = (root.path.clone(), crate::db::path::upper(&root.path));
    let mut sql = Sql::new("SELECT t.org_id, o.path, t.n FROM tallies t JOIN orgs o ON o.id = t.org_id WHERE t.metric = 'life.own_missed' AND t.period = ");
    sql.bind(y.clone()).push(" AND o.path >= ").bind(lo).push(" AND o.path < ").bind(hi).push(" ORDER BY t.n DESC, t.org_id LIMIT ").bind(MAX_ROWS as i64);
    let found: Vec<(i64, String, i64)> = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| Ok((r.try_get("org_id")?, r.try_get("path")?, r.try_get("n")?))).collect::<AppResult<_>>()?;
    let row_ids: Vec<i64> = found.iter().map(|r| r.0).collect();
    let own = tallies::read(conn, &row_ids, "life.own_", &y, &y).await?;
    let parent_of: std::collections::HashMap<i64, i64> = found
        .iter()
        .filter_map(|(id, p, _)| {
            let ids = crate::db::path::ids(p);
            (ids.len() >= 2).then(|| (*id, ids[ids.len() - 2]))
        })
        .collect();
    let names = crate::members::store::org_names(conn, row_ids.iter().copied().chain(parent_of.values().copied())).await?;
    let own_n = |id: i64, m: &str| own.get(&id).and_then(|x| x.get(m)).and_then(|p| p.get(&y)).copied().unwrap_or(0) as usize;
    let rows: Vec<ComplianceRow> = found
        .iter()
        .map(|(id, _, n)| ComplianceRow {
            org_id: *id,
            org_name: names.get(id).cloned().unwrap_or_default(),
            parent_name: parent_of.get(id).and_then(|p| names.get(p)).cloned().unwrap_or_default(),
            met: own_n(*id, "life.own_met"),
            missed: *n as usize,
            not_due: own_n(*id, "life.own_not_due"),
            findings: vec![],
        })
        .collect();
    let (judged, with) = (get(root.id, "life.judged"), get(root.id, "life.orgs_missed"));
    Ok(Some(ComplianceReport {
        org_id: root.id,
        from: from.to_string(),
        to: to.to_string(),
        orgs_checked: judged,
        orgs_with_misses: with,
        missed: get(root.id, "life.missed"),
        detailed: false,
        rows_total: if only_missed { with } else { judged },
        rows,
        children,
    }))
}

/// The orgs of a subtree that meetings are required of, and the meetings they held in every
/// period the range touches: what the pure engine judges.
pub struct Loaded {
    pub orgs: Vec<OrgLife>,
    /// Each org's path, in the order of `orgs`.
    pub paths: Vec<String>,
    pub meetings: Vec<HeldMeeting>,
}

/// Which orgs [`load_among`] reads.
pub enum Among<'a> {
    /// A subtree, bounded to the reader's scope.
    Subtree(&'a Scope<cap::ReadOrgLife>, &'a Org),
    /// These orgs (the tallies recount them; no reader is involved).
    Ids(&'a [i64]),
}

impl Among<'_> {
    /// Bounds `sql` to the orgs: `path_col` holds an org's path, `id_col` its id.
    fn push(&self, sql: &mut Sql, path_col: &str, id_col: &str, by_path: bool) {
        match self {
            Among::Subtree(scope, root) => scope.within(&root.path).push_filter(sql, path_col),
            Among::Ids(ids) => {
                if by_path {
                    sql.push(&format!(" AND {path_col} IN (SELECT path FROM orgs WHERE id IN ("));
                    sql.bind_list(ids.iter().copied()).push("))");
                } else {
                    sql.push(&format!(" AND {id_col} IN ("));
                    sql.bind_list(ids.iter().copied()).push(")");
                }
            }
        }
    }
}

pub async fn load(db: &crate::db::Db, conn: &mut Conn, scope: &Scope<cap::ReadOrgLife>, root: &Org, rules: &ComplianceRules, from: NaiveDate, to: NaiveDate) -> AppResult<Loaded> {
    load_among(db, conn, Among::Subtree(scope, root), rules, from, to).await
}

pub async fn load_among(db: &crate::db::Db, conn: &mut Conn, among: Among<'_>, rules: &ComplianceRules, from: NaiveDate, to: NaiveDate) -> AppResult<Loaded> {

    let mut sql = Sql::new("SELECT id, path, kind, founded_on, created_at, dissolved_on FROM orgs WHERE kind IN ('branch', 'group', 'committee', 'working_committee', 'leading_group')");
    among.push(&mut sql, "path", "id", false);
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
    among.push(&mut psql, "org_path", "", true);
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
    match &among {
        Among::Subtree(scope, root) => {
            let scope = scope.within(&root.path);
            let prefixes = scope.prefixes();
            let whole_tree = root.parent_id.is_none() && prefixes.len() == 1 && prefixes[0] == root.path;
            if !whole_tree {
                msql.push(" AND m.org_id IN (SELECT id FROM orgs WHERE 1=1");
                scope.push_filter(&mut msql, "path");
                msql.push(")");
            }
        }
        Among::Ids(_) => among.push(&mut msql, "", "m.org_id", false),
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

pub async fn reminders(db: &crate::db::Db, conn: &mut Conn, scope: &Scope<cap::ReadOrgLife>, org: &Org, rules: &crate::config::Rules) -> AppResult<Reminders> {
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
