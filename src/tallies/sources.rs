//! What each capability counts per org and period: one definition per source, used alike by
//! the settle after a write, the sweep and the proof ([`super::verify`]). A capability adds its
//! figures here (and reads them in `dashboard`); its write paths call [`super::mark`].
//!
//! Periods: "YYYY" for a year, "YYYY-MM" for a month, "now" for a state as it stands.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sqlx::Row as _;

use super::Counts;
use crate::config::Rules;
use crate::db::{Conn, Db, Sql};
use crate::error::AppResult;

crate::code_enum! {
    /// A family of records counted together:
    /// - `life`: 三会一课 and the other required meetings judged per period (meetings::rules).
    /// - `dues`: Dues owed and paid per month by current members (dues::rules).
    /// - `requests`: Residents' requests fixed, and fixed by their deadline, per month; open now.
    /// - `disputes`: Disputes opened per month and, of those, resolved; open now.
    /// - `stars`: Stars in force per branch and year (assessment).
    /// - `weak`: 软弱涣散 cases identified per year, closed (销号), still rectifying.
    /// - `econ`: Villages per income band per year (economy::rules).
    /// - `ratings`: 好差评 per month, and 差评 still waiting for their follow-up.
    /// - `cadres`: villages and communities, and those whose secretary is also the 村委会主任 (一肩挑), today.
    /// - `mobile`: members away now, and those with this period's “七个清楚” entry (heard from).
    Source {
        Life = ("life", "组织生活"),
        Dues = ("dues", "党费"),
        Requests = ("requests", "群众诉求"),
        Disputes = ("disputes", "矛盾纠纷"),
        Stars = ("stars", "星级评定"),
        Weak = ("weak", "软弱涣散整顿"),
        Economy = ("econ", "村集体经济"),
        Ratings = ("ratings", "好差评"),
        Cadres = ("cadres", "村（社区）干部"),
        Mobile = ("mobile", "流动党员"),
    }
}

/// Bump a source's version when its definition changes: every org is recounted once.
const VERSION: &str = "1";

impl Source {
    /// What the counts depend on besides the records: a new stamp recounts every org.
    pub fn stamp(self, rules: &Rules, today: NaiveDate) -> String {
        let month = format!("{:04}-{:02}", today.year(), today.month());
        let fp = |v: serde_json::Value| {
            use sha2::Digest;
            let d = sha2::Sha256::digest(v.to_string().as_bytes());
            d.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>()
        };
        match self {
            // Periods end with months: a month later, "not yet due" may be "missed".
            Source::Life => format!("{VERSION}|{month}|{}", fp(serde_json::to_value(&rules.compliance).unwrap_or_default())),
            // A new month is owed.
            Source::Dues => format!("{VERSION}|{month}|{}", fp(serde_json::to_value(&rules.dues).unwrap_or_default())),
            Source::Economy => format!("{VERSION}|{}", fp(serde_json::to_value(&rules.economy).unwrap_or_default())),
            // Seats start and end on given days.
            Source::Cadres => format!("{VERSION}|{today}"),
            // "Heard from" is this period's entry: a new period starts everyone at zero.
            Source::Mobile => format!("{VERSION}|{}", mobile_period(rules, today)),
            _ => VERSION.to_string(),
        }
    }
}

/// The label of the current period of the mobile members' ledger ("2026年第四季度").
pub fn mobile_period(rules: &Rules, today: NaiveDate) -> String {
    crate::meetings::rules::periods(rules.mobile.ledger_frequency, today, today).pop().map(|p| p.label).unwrap_or_default()
}

/// The years a calendar-bound source keeps: last year and this one (a dashboard's periods).
pub fn years(today: NaiveDate) -> [i32; 2] {
    [today.year() - 1, today.year()]
}

fn add(out: &mut HashMap<i64, Counts>, org: i64, metric: &str, period: &str, n: i64) {
    if n != 0 {
        *out.entry(org).or_default().entry((metric.to_string(), period.to_string())).or_insert(0) += n;
    }
}

/// The own counts of each org of `ids` (orgs without any are left out).
pub async fn recount(db: &Db, conn: &mut Conn, rules: &Rules, source: Source, ids: &[i64]) -> AppResult<HashMap<i64, Counts>> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let today = crate::db::today();
    // Records carry their org's path: they are found through the path index, then named by id.
    let mut sql = Sql::new("SELECT id, path FROM orgs WHERE id IN (");
    sql.bind_list(ids.iter().copied()).push(")");
    let by_path: HashMap<String, i64> = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| Ok((r.try_get("path")?, r.try_get("id")?))).collect::<AppResult<_>>()?;
    match source {
        Source::Life => life(db, conn, rules, ids, today, &mut out).await?,
        Source::Dues => dues(conn, rules, ids, today, &mut out).await?,
        Source::Requests => {
            // Fixed, and fixed by the deadline, per month of fixing: as the monthly report counts them.
            let fixed = "COALESCE(r.closed_on, r.fulfilled_on)";
            let sql = format!(
                "SELECT r.org_path AS org_path, substr({fixed}, 1, 7) AS period, COUNT(*) AS a, \
                 COALESCE(SUM(CASE WHEN r.deadline_on IS NOT NULL AND {fixed} <= r.deadline_on THEN 1 ELSE 0 END), 0) AS b \
                 FROM requests r WHERE r.is_open = 0 AND r.state IN ('fulfilled', 'closed') AND {fixed} IS NOT NULL AND r.org_path IN "
            );
            grouped(conn, &sql, " GROUP BY r.org_path, substr(COALESCE(r.closed_on, r.fulfilled_on), 1, 7)", ids, &by_path, &mut out, "requests.fixed", "requests.on_time").await?;
            let sql = "SELECT r.org_path AS org_path, substr(r.created_on, 1, 7) AS period, COUNT(*) AS a, 0 AS b FROM requests r WHERE r.org_path IN ";
            grouped(conn, sql, " GROUP BY r.org_path, substr(r.created_on, 1, 7)", ids, &by_path, &mut out, "requests.received", "").await?;
            let sql = "SELECT r.org_path AS org_path, 'now' AS period, COUNT(*) AS a, 0 AS b FROM requests r WHERE r.is_open = 1 AND r.org_path IN ";
            grouped(conn, sql, " GROUP BY r.org_path", ids, &by_path, &mut out, "requests.open", "").await?;
        }
        Source::Disputes => {
            // The 化解率 cohort: cases opened per month and, of those, resolved so far.
            let sql = "SELECT d.org_path AS org_path, substr(d.opened_on, 1, 7) AS period, COUNT(*) AS a, \
                       COALESCE(SUM(CASE WHEN d.state = 'resolved' THEN 1 ELSE 0 END), 0) AS b \
                       FROM disputes d WHERE d.org_path IN ";
            grouped(conn, sql, " GROUP BY d.org_path, substr(d.opened_on, 1, 7)", ids, &by_path, &mut out, "disputes.opened", "disputes.resolved").await?;
            let sql = "SELECT d.org_path AS org_path, 'now' AS period, COUNT(*) AS a, 0 AS b FROM disputes d WHERE d.is_open = 1 AND d.org_path IN ";
            grouped(conn, sql, " GROUP BY d.org_path", ids, &by_path, &mut out, "disputes.open", "").await?;
        }
        Source::Stars => {
            // The stars in force per year: the latest rating or review (assessment::store).
            for (org, years) in crate::assessment::store::stars_by_year(conn, ids).await? {
                for (y, s) in years {
                    add(&mut out, org, "stars.rated", &y.to_string(), 1);
                    add(&mut out, org, &format!("stars.s{s}"), &y.to_string(), 1);
                }
            }
        }
        Source::Weak => {
            let sql = "SELECT w.org_path AS org_path, CAST(w.year AS TEXT) AS period, COUNT(*) AS a, \
                       COALESCE(SUM(CASE WHEN w.state = 'closed' THEN 1 ELSE 0 END), 0) AS b \
                       FROM weak_cases w WHERE w.org_path IN ";
            grouped(conn, sql, " GROUP BY w.org_path, w.year", ids, &by_path, &mut out, "weak.identified", "weak.closed").await?;
            let sql = "SELECT w.org_path AS org_path, 'now' AS period, COUNT(*) AS a, 0 AS b FROM weak_cases w WHERE w.state = 'rectifying' AND w.org_path IN ";
            grouped(conn, sql, " GROUP BY w.org_path", ids, &by_path, &mut out, "weak.open", "").await?;
        }
        Source::Economy => {
            let mut sql = Sql::new("SELECT e.org_path AS org_path, e.year, e.source, e.amount_fen FROM econ_incomes e WHERE e.org_path IN (SELECT path FROM orgs WHERE id IN (");
            sql.bind_list(ids.iter().copied()).push("))");
            let mut per: HashMap<(i64, i64), Vec<(crate::economy::rules::IncomeSource, i64)>> = HashMap::new();
            for r in sql.query().fetch_all(&mut *conn).await? {
                let src = crate::economy::rules::IncomeSource::parse(&r.try_get::<String, _>("source")?).unwrap_or(crate::economy::rules::IncomeSource::Other);
                let Some(&org) = by_path.get(&r.try_get::<String, _>("org_path")?) else { continue };
                per.entry((org, r.try_get("year")?)).or_default().push((src, r.try_get("amount_fen")?));
            }
            for ((org, year), entries) in per {
                let fen = crate::economy::rules::counted(&rules.economy, &entries);
                let band = crate::economy::rules::band(&rules.economy, fen);
                let y = year.to_string();
                add(&mut out, org, "econ.villages", &y, 1);
                add(&mut out, org, &format!("econ.band{}", band.index), &y, 1);
                add(&mut out, org, "econ.income_fen", &y, fen);
            }
        }
        Source::Ratings => {
            let sql = "SELECT s.org_path AS org_path, substr(s.rated_on, 1, 7) AS period, COUNT(*) AS a, \
                       COALESCE(SUM(CASE WHEN s.grade IN ('dissatisfied', 'very_dissatisfied') THEN 1 ELSE 0 END), 0) AS b \
                       FROM service_ratings s WHERE s.org_path IN ";
            grouped(conn, sql, " GROUP BY s.org_path, substr(s.rated_on, 1, 7)", ids, &by_path, &mut out, "ratings.all", "ratings.bad").await?;
            let sql = "SELECT s.org_path AS org_path, 'now' AS period, COUNT(*) AS a, 0 AS b FROM service_ratings s WHERE s.state = 'open' AND s.org_path IN ";
            grouped(conn, sql, " GROUP BY s.org_path", ids, &by_path, &mut out, "ratings.open", "").await?;
        }
        Source::Cadres => {
            // As the cadres overview counts them (cadres::store): the secretary in post today (the
            // latest start), the director in post; 一肩挑 when they are the same member.
            let today_s = today.to_string();
            let mut sql = Sql::new(&format!("SELECT o.id FROM orgs o WHERE {} AND o.id IN (", crate::cadres::store::VILLAGE_WHERE));
            sql.bind_list(ids.iter().copied()).push(")");
            let villages: Vec<i64> = sql.query_scalar().fetch_all(&mut *conn).await?;
            if !villages.is_empty() {
                let mut sec: HashMap<i64, i64> = HashMap::new();
                let mut sql = Sql::new("SELECT org_id, member_id FROM org_team WHERE post = 'secretary' AND starts_on <= ");
                sql.bind(today_s.clone()).push(" AND (ends_on IS NULL OR ends_on > ").bind(today_s).push(") AND org_id IN (");
                sql.bind_list(villages.iter().copied()).push(") ORDER BY starts_on");
                for r in sql.query().fetch_all(&mut *conn).await? {
                    sec.insert(r.try_get("org_id")?, r.try_get("member_id")?);
                }
                let mut sql = Sql::new("SELECT org_id, member_id FROM village_directors WHERE ends_on IS NULL AND org_id IN (");
                sql.bind_list(villages.iter().copied()).push(")");
                let mut dir: HashMap<i64, Option<i64>> = HashMap::new();
                for r in sql.query().fetch_all(&mut *conn).await? {
                    dir.insert(r.try_get("org_id")?, r.try_get("member_id")?);
                }
                for v in villages {
                    add(&mut out, v, "cadres.villages", "now", 1);
                    let one = matches!((sec.get(&v), dir.get(&v)), (Some(s), Some(Some(d))) if s == d);
                    add(&mut out, v, "cadres.one_shoulder", "now", one as i64);
                }
            }
        }
        Source::Mobile => {
            let sql = "SELECT a.org_path AS org_path, 'now' AS period, COUNT(*) AS a, 0 AS b FROM mobile_members a WHERE a.returned_on IS NULL AND a.org_path IN ";
            grouped(conn, sql, " GROUP BY a.org_path", ids, &by_path, &mut out, "mobile.away", "").await?;
            let mut sql = Sql::new(
                "SELECT a.org_path AS org_path, 'now' AS period, COUNT(*) AS a, 0 AS b FROM mobile_members a \
                 WHERE a.returned_on IS NULL AND EXISTS (SELECT 1 FROM mobile_ledger l WHERE l.mobile_id = a.id AND l.period = ",
            );
            sql.bind(mobile_period(rules, today)).push(") AND a.org_path IN ");
            let head = sql;
            grouped_sql(conn, head, " GROUP BY a.org_path", ids, &by_path, &mut out, "mobile.heard", "").await?;
        }
    }
    Ok(out)
}

/// Runs `head (the paths of ids) tail`, whose rows are (org_path, period, a, b), into metrics `ma` and `mb`
/// (`mb` empty: b is not kept).
#[allow(clippy::too_many_arguments)]
async fn grouped(conn: &mut Conn, head: &str, tail: &str, ids: &[i64], by_path: &HashMap<String, i64>, out: &mut HashMap<i64, Counts>, ma: &str, mb: &str) -> AppResult<()> {
    grouped_sql(conn, Sql::new(head), tail, ids, by_path, out, ma, mb).await
}

/// [`grouped`] with a head that has bound values of its own.
#[allow(clippy::too_many_arguments)]
async fn grouped_sql(conn: &mut Conn, mut sql: Sql, tail: &str, ids: &[i64], by_path: &HashMap<String, i64>, out: &mut HashMap<i64, Counts>, ma: &str, mb: &str) -> AppResult<()> {
    sql.push("(SELECT path FROM orgs WHERE id IN (").bind_list(ids.iter().copied()).push("))").push(tail);
    for r in sql.query().fetch_all(&mut *conn).await? {
        let Some(&org) = by_path.get(&r.try_get::<String, _>("org_path")?) else { continue };
        let period: Option<String> = r.try_get("period")?;
        let Some(period) = period else { continue };
        add(out, org, ma, &period, r.try_get("a")?);
        if !mb.is_empty() {
            add(out, org, mb, &period, r.try_get("b")?);
        }
    }
    Ok(())
}

/// Each judged org's verdicts for last year and this one, as the compliance report gives them
/// for a whole calendar year (meetings::compliance).
async fn life(db: &Db, conn: &mut Conn, rules: &Rules, ids: &[i64], today: NaiveDate, out: &mut HashMap<i64, Counts>) -> AppResult<()> {
    use crate::meetings::rules::{evaluate, Verdict};
    for year in years(today) {
        let (Some(from), Some(to)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else { continue };
        let loaded = crate::meetings::compliance::load_among(db, conn, crate::meetings::compliance::Among::Ids(ids), &rules.compliance, from, to).await?;
        let y = year.to_string();
        let mut missed: HashMap<i64, i64> = HashMap::new();
        // Judged: an org with a requirement in the year (as the report's per-township lines count).
        let mut judged = std::collections::HashSet::new();
        for f in evaluate(&rules.compliance, &loaded.orgs, &loaded.meetings, from, to, today) {
            if judged.insert(f.org_id) {
                add(out, f.org_id, "life.judged", &y, 1);
            }
            let month = f.period.end.format("%Y-%m").to_string();
            match f.verdict {
                Verdict::Met { .. } => {
                    add(out, f.org_id, "life.met", &y, 1);
                    add(out, f.org_id, "life.met", &month, 1);
                }
                Verdict::Missed => {
                    add(out, f.org_id, "life.missed", &y, 1);
                    add(out, f.org_id, "life.missed", &month, 1);
                    *missed.entry(f.org_id).or_insert(0) += 1;
                }
                Verdict::NotDue => add(out, f.org_id, "life.not_due", &y, 1),
                Verdict::Exempt => {}
            }
        }
        // Per org (not summed upward), for the orgs with a miss only: the rows of a large
        // subtree's compliance report, most misses first.
        let mut met: HashMap<i64, (i64, i64)> = HashMap::new();
        for o in &loaded.orgs {
            if missed.contains_key(&o.org_id) {
                let c = out.get(&o.org_id);
                let get = |m: &str| c.and_then(|c| c.get(&(m.to_string(), y.clone()))).copied().unwrap_or(0);
                met.insert(o.org_id, (get("life.met"), get("life.not_due")));
            }
        }
        for (org, n) in missed {
            add(out, org, "life.orgs_missed", &y, 1);
            add(out, org, "life.own_missed", &y, n);
            let (m, nd) = met.get(&org).copied().unwrap_or((0, 0));
            add(out, org, "life.own_met", &y, m);
            add(out, org, "life.own_not_due", &y, nd);
        }
    }
    Ok(())
}

/// Owed and paid per month, January of last year to this month, by each org's current members.
async fn dues(conn: &mut Conn, rules: &Rules, ids: &[i64], today: NaiveDate, out: &mut HashMap<i64, Counts>) -> AppResult<()> {
    use crate::dues::rules::YearMonth;
    let (Some(from), to) = (YearMonth::new(today.year() - 1, 1), YearMonth::of(today)) else { return Ok(()) };
    // A member without a basis has no ledger (the dues pages leave them out too).
    let mut sql = Sql::new("SELECT id, org_id FROM members WHERE left_on IS NULL AND EXISTS (SELECT 1 FROM dues_bases b WHERE b.member_id = members.id) \
         AND org_path IN (SELECT path FROM orgs WHERE id IN (");
    sql.bind_list(ids.iter().copied()).push("))");
    let members: Vec<(i64, i64)> = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| Ok((r.try_get("id")?, r.try_get("org_id")?))).collect::<AppResult<_>>()?;
    if members.is_empty() {
        return Ok(());
    }
    for (org, months) in crate::dues::store::monthly_by_org(conn, &rules.dues, &members, from, to).await? {
        for (m, owed, paid) in months {
            add(out, org, "dues.owed", &m.to_string(), owed);
            add(out, org, "dues.paid", &m.to_string(), paid);
        }
    }
    Ok(())
}
