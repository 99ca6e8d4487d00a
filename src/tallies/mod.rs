//! Per-period tallies kept with the writes, so a figure for any subtree (a dashboard, the
//! compliance of a province's year) is read from one row per period, never by scanning the
//! subtree: the cost at the province root equals the cost at a branch.
//!
//! How it stays right:
//! - a write marks the org whose records it changed ([`mark`]: one appended row in the write's
//!   own transaction, no hot row);
//! - [`settle`] recounts each marked org's own records with the source's one definition
//!   ([`sources`]), compares with what was counted before (`tally_own`), and adds the difference
//!   to the org and every ancestor (`tallies`), under the tree lock, so a concurrent move cannot
//!   send it to the old ancestors. Readers settle first: they see every committed write;
//! - sources whose figures move with the calendar (a period ending turns "not yet due" into
//!   "missed") or with the rules are recounted everywhere when their stamp changes ([`sweep`]);
//! - [`verify`] recounts everything from the records and compares: the proof of the projection.

pub mod sources;

use std::collections::{BTreeMap, HashMap};

use sqlx::Row as _;

use crate::config::Rules;
use crate::db::{path, Conn, Db, Sql};
use crate::error::AppResult;

pub use sources::Source;

/// (metric, period) → n: what one org's own records count for one source.
pub type Counts = BTreeMap<(String, String), i64>;

/// Metrics with this marker count for the org alone and are not added to its ancestors
/// (a per-org figure to rank orgs by, such as the misses of one branch).
pub const OWN_MARK: &str = ".own_";

/// Orgs recounted per statement, and dirty marks settled per transaction.
const CHUNK: usize = 500;
const SETTLE_BATCH: i64 = 2_000;

/// Marks `org_id`'s records of `source` as changed; the next [`settle`] recounts them.
pub async fn mark(conn: &mut Conn, source: Source, org_id: i64) -> AppResult<()> {
    sqlx::query("INSERT INTO tally_dirty (org_id, source) VALUES ($1, $2)").bind(org_id).bind(source.code()).execute(&mut *conn).await?;
    Ok(())
}

/// Marks every org of `org_ids` for each of `sources`, a few hundred rows per statement (imports).
pub async fn mark_many(conn: &mut Conn, sources: &[Source], org_ids: &[i64]) -> AppResult<()> {
    let pairs: Vec<(i64, &str)> = org_ids.iter().flat_map(|&o| sources.iter().map(move |s| (o, s.code()))).collect();
    for chunk in pairs.chunks(400) {
        let mut sql = crate::db::Sql::bulk(conn, "INSERT INTO tally_dirty (org_id, source) VALUES ");
        for (i, (org, source)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" }).bind(*org).push(", ").bind(*source).push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Marks `org_id` for each of `sources`.
pub async fn mark_all(conn: &mut Conn, sources: &[Source], org_id: i64) -> AppResult<()> {
    for s in sources {
        mark(conn, *s, org_id).await?;
    }
    Ok(())
}

/// What a member's arrival, departure or posts change: the org's dues and (committee seats) its
/// required meetings.
pub const MEMBER_SOURCES: &[Source] = &[Source::Life, Source::Dues];

/// What an org's creation, edit or dissolution changes: whether meetings are required of it and
/// whether it counts as a village.
pub const ORG_SOURCES: &[Source] = &[Source::Life, Source::Cadres];

/// Marks the org whose path is `org_path` (records that carry the path, not the id).
pub async fn mark_path(conn: &mut Conn, source: Source, org_path: &str) -> AppResult<()> {
    if let Some(&id) = path::ids(org_path).last() {
        mark(conn, source, id).await?;
    }
    Ok(())
}

/// Recounts every marked org and applies the differences; returns the marks settled.
pub async fn settle(db: &Db, rules: &Rules) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let mut tx = db.begin_tree_waiting().await?;
        let rows = sqlx::query("DELETE FROM tally_dirty WHERE id IN (SELECT id FROM tally_dirty ORDER BY id LIMIT $1) RETURNING org_id, source")
            .bind(SETTLE_BATCH)
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(total);
        }
        total += rows.len();
        let mut by_source: BTreeMap<Source, Vec<i64>> = BTreeMap::new();
        for r in &rows {
            let code: String = r.try_get("source")?;
            // A mark of a source this build no longer has is dropped with the batch.
            if let Some(s) = Source::parse(&code) {
                by_source.entry(s).or_default().push(r.try_get("org_id")?);
            }
        }
        for (source, mut ids) in by_source {
            ids.sort_unstable();
            ids.dedup();
            for chunk in ids.chunks(CHUNK) {
                recount_apply(db, &mut tx, rules, source, chunk).await?;
            }
        }
        tx.commit().await?;
    }
}

/// Recounts `ids` for `source`, writes their new own counts and adds the differences upward.
async fn recount_apply(db: &Db, conn: &mut Conn, rules: &Rules, source: Source, ids: &[i64]) -> AppResult<()> {
    let fresh = sources::recount(db, conn, rules, source, ids).await?;
    let old = own(conn, source, ids).await?;
    let paths = org_paths(conn, ids).await?;
    let mut delta: HashMap<(i64, String, String), i64> = HashMap::new();
    let empty = Counts::new();
    for id in ids {
        let (new, before) = (fresh.get(id).unwrap_or(&empty), old.get(id).unwrap_or(&empty));
        if new == before {
            continue;
        }
        let Some(p) = paths.get(id) else { continue };
        let targets = path::ids(p);
        for (k, d) in diff(before, new) {
            let spread = if k.0.contains(OWN_MARK) { &targets[targets.len() - 1..] } else { &targets[..] };
            for a in spread {
                *delta.entry((*a, k.0.clone(), k.1.clone())).or_insert(0) += d;
            }
        }
        sqlx::query("DELETE FROM tally_own WHERE org_id = $1 AND source = $2").bind(*id).bind(source.code()).execute(&mut *conn).await?;
        if !new.is_empty() {
            sqlx::query("INSERT INTO tally_own (org_id, source, body) VALUES ($1, $2, $3)").bind(*id).bind(source.code()).bind(encode(new)).execute(&mut *conn).await?;
        }
    }
    apply(conn, delta).await
}

/// Adds `delta` to `tallies`, in one order for every writer.
async fn apply(conn: &mut Conn, delta: HashMap<(i64, String, String), i64>) -> AppResult<()> {
    let mut rows: Vec<_> = delta.into_iter().filter(|(_, n)| *n != 0).collect();
    rows.sort();
    for chunk in rows.chunks(400) {
        let mut sql = Sql::bulk(conn, "INSERT INTO tallies (org_id, metric, period, n) VALUES ");
        for (i, ((org, metric, period), n)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(").bind(*org).push(", ").bind(metric.clone()).push(", ").bind(period.clone()).push(", ").bind(*n).push(")");
        }
        sql.push(" ON CONFLICT (org_id, metric, period) DO UPDATE SET n = tallies.n + excluded.n");
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// new − old, per key, without zeros.
fn diff(old: &Counts, new: &Counts) -> Vec<((String, String), i64)> {
    let mut out: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (k, v) in new {
        *out.entry(k.clone()).or_insert(0) += v;
    }
    for (k, v) in old {
        *out.entry(k.clone()).or_insert(0) -= v;
    }
    out.into_iter().filter(|(_, d)| *d != 0).collect()
}

/// One org's own counts as stored: "metric period n" lines.
fn encode(c: &Counts) -> String {
    let mut s = String::new();
    for ((m, p), n) in c {
        if *n != 0 {
            s.push_str(&format!("{m} {p} {n}\n"));
        }
    }
    s
}

fn decode(s: &str) -> Counts {
    crate::db::triples(s, '\n').map(|(m, p, n)| ((m.to_string(), p.to_string()), n)).collect()
}

async fn own(conn: &mut Conn, source: Source, ids: &[i64]) -> AppResult<HashMap<i64, Counts>> {
    let mut sql = Sql::new("SELECT org_id, body FROM tally_own WHERE source = ");
    sql.bind(source.code()).push(" AND org_id IN (").bind_list(ids.iter().copied()).push(")");
    let mut out = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        out.insert(r.try_get("org_id")?, decode(&r.try_get::<String, _>("body")?));
    }
    Ok(out)
}

async fn org_paths(conn: &mut Conn, ids: &[i64]) -> AppResult<HashMap<i64, String>> {
    let mut sql = Sql::new("SELECT id, path FROM orgs WHERE id IN (");
    sql.bind_list(ids.iter().copied()).push(")");
    let mut out = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        out.insert(r.try_get("id")?, r.try_get("path")?);
    }
    Ok(out)
}

/// Marks every org for each source whose stamp (the calendar month, the rules, the definition)
/// differs from the one it was last counted under, then settles. Returns the sources swept.
pub async fn sweep(db: &Db, rules: &Rules) -> AppResult<Vec<Source>> {
    let today = crate::db::today();
    let mut swept = Vec::new();
    for source in Source::ALL {
        let stamp = source.stamp(rules, today);
        let stored: Option<String> = sqlx::query_scalar("SELECT stamp FROM tally_sweeps WHERE source = $1").bind(source.code()).fetch_optional(&db.pool).await?;
        if stored.as_deref() == Some(stamp.as_str()) {
            continue;
        }
        sqlx::query("INSERT INTO tally_dirty (org_id, source) SELECT id, $1 FROM orgs ORDER BY id").bind(source.code()).execute(&db.pool).await?;
        settle(db, rules).await?;
        sqlx::query("INSERT INTO tally_sweeps (source, stamp) VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET stamp = excluded.stamp")
            .bind(source.code())
            .bind(&stamp)
            .execute(&db.pool)
            .await?;
        swept.push(*source);
    }
    if !swept.is_empty() && db.backend == crate::db::Backend::Postgres {
        // A sweep leaves a mark per org and source deleted: until vacuumed, every dashboard's
        // backlog count reads them (20 ms at a province, measured), whatever autovacuum's timing.
        sqlx::query("VACUUM tally_dirty").execute(&db.pool).await?;
    }
    Ok(swept)
}

/// A difference between the stored tallies and a recount from the records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub org_id: i64,
    pub metric: String,
    pub period: String,
    pub stored: i64,
    pub recounted: i64,
}

/// Recounts every source for every org from the records and compares with `tallies`: empty when
/// the projection is right. Settles first.
pub async fn verify(db: &Db, rules: &Rules) -> AppResult<Vec<Mismatch>> {
    settle(db, rules).await?;
    let mut conn = db.pool.acquire().await?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM orgs ORDER BY id").fetch_all(&mut *conn).await?;
    let paths = {
        let mut all = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            all.extend(org_paths(&mut conn, chunk).await?);
        }
        all
    };
    let mut expected: HashMap<(i64, String, String), i64> = HashMap::new();
    for source in Source::ALL {
        for chunk in ids.chunks(CHUNK) {
            for (id, counts) in sources::recount(db, &mut conn, rules, *source, chunk).await? {
                let targets = path::ids(&paths[&id]);
                for ((m, p), n) in counts {
                    let spread = if m.contains(OWN_MARK) { &targets[targets.len() - 1..] } else { &targets[..] };
                    for a in spread {
                        *expected.entry((*a, m.clone(), p.clone())).or_insert(0) += n;
                    }
                }
            }
        }
    }
    let mut stored: HashMap<(i64, String, String), i64> = HashMap::new();
    for r in sqlx::query("SELECT org_id, metric, period, n FROM tallies WHERE n <> 0").fetch_all(&mut *conn).await? {
        stored.insert((r.try_get("org_id")?, r.try_get("metric")?, r.try_get("period")?), r.try_get("n")?);
    }
    let mut out = Vec::new();
    for (k, v) in &expected {
        let s = stored.get(k).copied().unwrap_or(0);
        if s != *v {
            out.push(Mismatch { org_id: k.0, metric: k.1.clone(), period: k.2.clone(), stored: s, recounted: *v });
        }
    }
    for (k, s) in &stored {
        if !expected.contains_key(k) {
            out.push(Mismatch { org_id: k.0, metric: k.1.clone(), period: k.2.clone(), stored: *s, recounted: 0 });
        }
    }
    out.sort_by(|a, b| (a.org_id, &a.metric, &a.period).cmp(&(b.org_id, &b.metric, &b.period)));
    Ok(out)
}

/// The subtree tallies of `org_ids` for the metrics starting with `prefix` and periods from
/// `first` to `last` (string order: "2025" < "2025-01" < … < "2025-12" < "2026"): org → metric →
/// period → n. Settle before reading for read-your-writes.
pub async fn read(conn: &mut Conn, org_ids: &[i64], prefix: &str, first: &str, last: &str) -> AppResult<HashMap<i64, BTreeMap<String, BTreeMap<String, i64>>>> {
    read_ranges(conn, org_ids, prefix, &[(first, last)]).await
}

/// [`read`] over several period ranges (each inclusive).
pub async fn read_ranges(conn: &mut Conn, org_ids: &[i64], prefix: &str, ranges: &[(&str, &str)]) -> AppResult<HashMap<i64, BTreeMap<String, BTreeMap<String, i64>>>> {
    let mut out: HashMap<i64, BTreeMap<String, BTreeMap<String, i64>>> = HashMap::new();
    for chunk in org_ids.chunks(CHUNK) {
        // One row per org (metric period n,…): on SQLite every row returned crosses a thread.
        let agg = crate::db::agg_triples(conn, "metric", "period", "n");
        let mut sql = Sql::new(&format!("SELECT org_id, {agg} AS body FROM tallies WHERE org_id IN ("));
        sql.bind_list(chunk.iter().copied()).push(")");
        // No metric bound for every metric: it would tempt the planner to the ranking index.
        if !prefix.is_empty() {
            sql.push(" AND metric >= ").bind(prefix.to_string()).push(" AND metric < ").bind(format!("{prefix}\u{7f}"));
        }
        sql.push(" AND (");
        for (i, (first, last)) in ranges.iter().enumerate() {
            sql.push(if i > 0 { " OR " } else { "" });
            sql.push("(period >= ").bind(first.to_string()).push(" AND period <= ").bind(last.to_string()).push(")");
        }
        sql.push(") AND n <> 0 GROUP BY org_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            let o = out.entry(r.try_get("org_id")?).or_default();
            for (m, p, n) in crate::db::triples(&r.try_get::<Option<String>, _>("body")?.unwrap_or_default(), ',') {
                o.entry(m.to_string()).or_default().insert(p.to_string(), n);
            }
        }
    }
    Ok(out)
}

/// Above this many unsettled marks a reader does not wait for the settle: the dashboard says
/// its figures are catching up (after a sweep, a bulk load).
pub const SETTLE_ON_READ: i64 = 20_000;

/// Settles pending marks unless there are too many to wait for; true when figures lag.
pub async fn settle_for_read(db: &Db, rules: &Rules) -> AppResult<bool> {
    let mut conn = db.writer().acquire().await?;
    let pending = backlog(&mut conn).await?;
    drop(conn);
    if pending == 0 {
        return Ok(false);
    }
    if pending > SETTLE_ON_READ {
        return Ok(true);
    }
    settle(db, rules).await?;
    Ok(false)
}

/// Whether `source` was last counted everywhere under today's stamp (this month, these rules).
pub async fn fresh(conn: &mut Conn, rules: &Rules, source: Source) -> AppResult<bool> {
    let stored: Option<String> = sqlx::query_scalar("SELECT stamp FROM tally_sweeps WHERE source = $1").bind(source.code()).fetch_optional(&mut *conn).await?;
    Ok(stored == Some(source.stamp(rules, crate::db::today())))
}

/// Marks left to settle: a dashboard says its figures are catching up when there are many.
pub async fn backlog(conn: &mut Conn) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM tally_dirty").fetch_one(&mut *conn).await?)
}

/// Moves the subtree tallies of `org_id` (its whole subtree's, settled) from the ancestors on
/// `old_parent_path` to those on `new_parent_path`: part of a move, under the tree lock.
pub async fn on_move(conn: &mut Conn, org_id: i64, old_parent_path: &str, new_parent_path: &str) -> AppResult<()> {
    let rows = sqlx::query("SELECT metric, period, n FROM tallies WHERE org_id = $1 AND n <> 0").bind(org_id).fetch_all(&mut *conn).await?;
    let mut delta: HashMap<(i64, String, String), i64> = HashMap::new();
    for r in rows {
        let (m, p, n): (String, String, i64) = (r.try_get("metric")?, r.try_get("period")?, r.try_get("n")?);
        if m.contains(OWN_MARK) {
            continue;
        }
        for a in path::ids(old_parent_path) {
            *delta.entry((a, m.clone(), p.clone())).or_insert(0) -= n;
        }
        for a in path::ids(new_parent_path) {
            *delta.entry((a, m.clone(), p.clone())).or_insert(0) += n;
        }
    }
    apply(conn, delta).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_counts_round_trip_and_diff_without_zeros() {
        let mut a = Counts::new();
        a.insert(("life.met".into(), "2026-03".into()), 4);
        a.insert(("life.missed".into(), "2026".into()), 1);
        assert_eq!(decode(&encode(&a)), a);
        let mut b = a.clone();
        b.insert(("life.missed".into(), "2026".into()), 0);
        b.insert(("life.met".into(), "2026-04".into()), 2);
        let d = diff(&a, &b);
        assert_eq!(d, vec![(("life.met".into(), "2026-04".into()), 2), (("life.missed".into(), "2026".into()), -1)]);
        assert!(diff(&a, &a).is_empty());
    }
}
