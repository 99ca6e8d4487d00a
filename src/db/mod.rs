//! Storage plumbing shared by every feature: one pool over SQLite or PostgreSQL
//! (chosen from the URL), embedded migrations, write transactions with retry,
//! and a small SQL builder that numbers `$n` placeholders for both backends.
//!
//! All SQL is written once and runs on both backends through sqlx's `Any`
//! driver. To stay inside the types `Any` carries, calendar dates are ISO
//! `TEXT` (`YYYY-MM-DD`), instants are integer Unix seconds, flags are integers
//! 0/1, and money is integer fen.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::error::{AppError, AppResult};

mod copy;
pub use copy::Stage;

pub type Conn = sqlx::AnyConnection;
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
pub type Row = sqlx::any::AnyRow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database. `pool` is where this handle reads. For the handle [`Db::reader`] gives, that is
/// the streaming replica, and `primary` keeps the primary, where every transaction begun through
/// the handle (`begin_*`, [`write_tx!`]) still goes.
#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    primary: Option<AnyPool>,
    replica: Option<std::sync::Arc<Replica>>,
    /// PostgreSQL's native driver beside `Any`, for COPY ([`Stage`]); None on SQLite.
    native: Option<sqlx::PgPool>,
}

/// A PostgreSQL streaming replica for reads that may trail the primary a little: dashboards,
/// reports and their workbooks (`--replica-url`).
pub struct Replica {
    pool: AnyPool,
    max_lag: Duration,
    /// The last check of the replica's lag: when, and the lag in seconds (None: unreachable).
    checked: tokio::sync::Mutex<Option<(std::time::Instant, Option<f64>)>>,
}

/// How long a replica's lag check is trusted before it is made again.
const REPLICA_CHECK_EVERY: Duration = Duration::from_secs(1);

/// How often a write transaction is tried before the caller is told the system is busy (503).
/// With jittered backoff capped at [`MAX_RETRY_DELAY_MS`], 40 attempts span several seconds:
/// enough for 50 parallel callers on one hot row (tests/concurrency.rs).
pub const MAX_WRITE_ATTEMPTS: u32 = 40;
/// Upper bound of one backoff sleep between attempts, in milliseconds.
pub const MAX_RETRY_DELAY_MS: u64 = 100;

/// What a write transaction serializes on besides its own rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    /// Nothing: PostgreSQL's SERIALIZABLE isolation (SQLite: the single writer) keeps it right;
    /// a conflict is retried.
    None,
    /// The org tree: writes that change orgs, members, paths or the subtree counters (`org_stats`),
    /// which all meet on the root's counter rows. On PostgreSQL they take one transaction-level
    /// advisory lock first, so they queue instead of failing each other; SERIALIZABLE still
    /// guards them against every other writer. SQLite's single writer needs nothing more.
    Tree,
}

/// The advisory-lock key of [`Lock::Tree`] ("yhtree").
const TREE_LOCK_KEY: i64 = 0x7968_7472_6565;

/// SQLite page cache per pooled connection, in KiB: 8 connections stay within the
/// 200 MB a province server may hold.
pub const SQLITE_CACHE_KIB: i64 = 16 * 1024;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// Connects to `sqlite://…` or `postgres://…`; a SQLite file is created when missing.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("不支持的数据库地址 {url}：请使用 sqlite://文件 或 postgres://…");
        };
        let url = if backend == Backend::Sqlite && !url.contains("mode=") {
            if url.contains('?') { format!("{url}&mode=rwc") } else { format!("{url}?mode=rwc") }
        } else {
            url.to_string()
        };
        let opts = AnyConnectOptions::from_str(&url)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .min_connections(8)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            let pragmas = format!(
                                "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; \
                                 PRAGMA foreign_keys=ON; PRAGMA cache_size=-{SQLITE_CACHE_KIB}; PRAGMA temp_store=MEMORY"
                            );
                            conn.execute(pragmas.as_str()).await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // Searches vary from one member to millions: plan each with its values,
                            // never with a generic plan. Engines without the setting ignore it.
                            let _ = conn.execute("SET plan_cache_mode = force_custom_plan").await;
                            Ok(())
                        })
                    })
                    .connect_with(opts)
                    .await?
            }
        };
        let native = match backend {
            Backend::Postgres => Some(sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_lazy(&url)?),
            Backend::Sqlite => None,
        };
        Ok(Db { pool, backend, primary: None, replica: None, native })
    }

    /// Sends reads that may trail the primary (see [`Db::reader`]) to the PostgreSQL streaming
    /// replica at `url`, while its replay is at most `max_lag` behind the primary.
    pub async fn with_replica(mut self, url: &str, max_lag: Duration) -> anyhow::Result<Db> {
        anyhow::ensure!(self.backend == Backend::Postgres, "只读副本（--replica-url）仅用于 PostgreSQL 主库");
        anyhow::ensure!(
            url.starts_with("postgres:") || url.starts_with("postgresql:"),
            "只读副本地址应为 postgres://…"
        );
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            // A replica that went away must not hold a reader up: the primary answers instead.
            .acquire_timeout(Duration::from_secs(2))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    let _ = conn.execute("SET plan_cache_mode = force_custom_plan").await;
                    Ok(())
                })
            })
            .connect_lazy_with(AnyConnectOptions::from_str(url)?);
        self.replica = Some(std::sync::Arc::new(Replica { pool, max_lag, checked: tokio::sync::Mutex::new(None) }));
        Ok(self)
    }

    /// The handle for reads that may trail the primary by the replica's allowed lag (dashboards,
    /// reports, their workbooks): it reads from the replica when one is configured, answers, and
    /// is within that lag; otherwise from the primary. Transactions begun through it go to the
    /// primary. Reads that must see the caller's own writes use `self` instead.
    pub async fn reader(&self) -> Db {
        let Some(r) = &self.replica else { return self.clone() };
        if r.lag(&self.pool).await.is_some_and(|lag| lag <= r.max_lag.as_secs_f64()) {
            return Db { pool: r.pool.clone(), backend: self.backend, primary: Some(self.pool.clone()), replica: None, native: None };
        }
        self.clone()
    }

    /// Whether this handle reads from a replica.
    pub fn reads_replica(&self) -> bool {
        self.primary.is_some()
    }

    /// The primary's pool: where writes and the reads that must see them go.
    pub fn writer(&self) -> &AnyPool {
        self.primary.as_ref().unwrap_or(&self.pool)
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&self.pool).await?,
        }
        secrets::ensure(self).await?;
        Ok(())
    }

    /// Begins a write transaction with the isolation SQLite gives every writer: on SQLite it
    /// takes the write lock up front (`BEGIN IMMEDIATE`); on PostgreSQL it is SERIALIZABLE, so
    /// read-then-write paths (counters, moves, claims, balances) cannot interleave wrongly, and a
    /// conflict fails with 40001, which [`write_tx!`] retries.
    pub async fn begin_write(&self) -> AppResult<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer().begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer().begin_with("BEGIN ISOLATION LEVEL SERIALIZABLE").await?,
        })
    }

    /// Begins a write transaction that first takes `lock`. On PostgreSQL the tree lock is tried
    /// without waiting, as the first statement (so the snapshot is no older than the lock); when
    /// it is held the transaction is abandoned with a retryable error and tried again.
    pub async fn begin_locked(&self, lock: Lock) -> AppResult<Tx> {
        let mut tx = self.begin_write().await?;
        if lock == Lock::Tree && self.backend == Backend::Postgres {
            let got: i64 = sqlx::query_scalar("SELECT CASE WHEN pg_try_advisory_xact_lock($1) THEN 1 ELSE 0 END")
                .bind(TREE_LOCK_KEY)
                .fetch_one(&mut *tx)
                .await?;
            if got == 0 {
                return Err(AppError::LockBusy);
            }
        }
        Ok(tx)
    }

    /// A transaction that holds the tree lock, waiting for it (the tallies' settle: short, and it
    /// should queue behind moves and member writes rather than fail them). Read committed on
    /// PostgreSQL: each statement sees every write committed before it.
    pub async fn begin_tree_waiting(&self) -> AppResult<Tx> {
        match self.backend {
            Backend::Sqlite => Ok(self.writer().begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.writer().begin().await?;
                sqlx::query("SELECT CAST(1 AS BIGINT) FROM (SELECT pg_advisory_xact_lock($1)) l").bind(TREE_LOCK_KEY).fetch_one(&mut *tx).await?;
                Ok(tx)
            }
        }
    }

    /// A transaction for bulk loads (the demo) that run before anyone else writes: PostgreSQL's
    /// default isolation, without the bookkeeping of SERIALIZABLE over millions of rows.
    pub async fn begin_bulk(&self) -> AppResult<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer().begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer().begin().await?,
        })
    }

    /// `group_concat` / `string_agg`: one row per group instead of one per record, which
    /// matters on SQLite, where every returned row crosses a thread boundary in sqlx.
    pub fn string_agg(&self, expr: &str) -> String {
        string_agg_for(self.backend == Backend::Sqlite, expr)
    }

    /// Raises the identity sequence after rows were inserted with explicit ids (PostgreSQL only).
    pub async fn sync_sequence(&self, table: &str) -> AppResult<()> {
        if self.backend == Backend::Postgres {
            let sql = format!(
                "SELECT CAST(setval(pg_get_serial_sequence('{table}', 'id'), \
                 GREATEST((SELECT MAX(id) FROM {table}), 1)) AS BIGINT)"
            );
            sqlx::query(&sql).execute(self.writer()).await?;
        }
        Ok(())
    }
}

impl Replica {
    /// How far the replica's replay trails the primary, in seconds: 0 when it has replayed all
    /// the primary has written, else the age of the last transaction it replayed; None when it
    /// does not answer or is not a replica. Checked at most once a second.
    async fn lag(&self, primary: &AnyPool) -> Option<f64> {
        let mut checked = self.checked.lock().await;
        if let Some((at, lag)) = *checked {
            if at.elapsed() < REPLICA_CHECK_EVERY {
                return lag;
            }
        }
        let lag = match self.measure(primary).await {
            Ok(lag) => lag,
            Err(e) => {
                tracing::warn!(error = %e, "read replica unreachable: its reads go to the primary");
                None
            }
        };
        *checked = Some((std::time::Instant::now(), lag));
        lag
    }

    async fn measure(&self, primary: &AnyPool) -> Result<Option<f64>, sqlx::Error> {
        let written: String = sqlx::query_scalar("SELECT CAST(pg_current_wal_lsn() AS TEXT)").fetch_one(primary).await?;
        let (recovering, behind, age): (bool, f64, f64) = sqlx::query_as(
            "SELECT pg_is_in_recovery(), \
             CAST(COALESCE(pg_wal_lsn_diff(CAST($1 AS pg_lsn), pg_last_wal_replay_lsn()), 0) AS DOUBLE PRECISION), \
             CAST(COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) AS DOUBLE PRECISION)",
        )
        .bind(written)
        .fetch_one(&self.pool)
        .await?;
        if !recovering {
            tracing::warn!("--replica-url is not a replica (pg_is_in_recovery() is false): its reads go to the primary");
            return Ok(None);
        }
        Ok(Some(if behind <= 0.0 { 0.0 } else { age.max(f64::MIN_POSITIVE) }))
    }
}

/// [`Db::string_agg`] for a connection: the aggregate of the connection's backend.
pub fn string_agg_on(conn: &Conn, expr: &str) -> String {
    string_agg_for(conn.backend_name() == "SQLite", expr)
}

/// The aggregate of SQLite (`sqlite`) or PostgreSQL.
pub fn string_agg_for(sqlite: bool, expr: &str) -> String {
    if sqlite {
        format!("group_concat({expr}, ',')")
    } else {
        format!("string_agg({expr}, ',')")
    }
}

/// Three columns of each row aggregated into one text per group ("a b n,…"): one row per group
/// instead of one per record, which matters on SQLite, where every returned row crosses a thread.
/// `a` and `b` must hold no space or comma (codes, periods); read it back with [`triples`].
pub fn agg_triples(conn: &Conn, a: &str, b: &str, n: &str) -> String {
    string_agg_on(conn, &format!("{a} || ' ' || {b} || ' ' || CAST({n} AS TEXT)"))
}

/// The (a, b, n) items of a text made by [`agg_triples`] (`sep` ','), or any "a b n" lines
/// separated by `sep`; malformed items are skipped.
pub fn triples(body: &str, sep: char) -> impl Iterator<Item = (&str, &str, i64)> {
    body.split(sep).filter_map(|item| {
        let mut it = item.split(' ');
        Some((it.next()?, it.next()?, it.next()?.parse().ok()?))
    })
}

static WRITES_COMMITTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many write transactions this process has committed ([`write_tx!`], bulk loads): a read
/// cache keeps an entry only while this has not moved since the entry was read.
pub fn writes_committed() -> u64 {
    WRITES_COMMITTED.load(std::sync::atomic::Ordering::Acquire)
}

/// Called after a write transaction commits.
pub fn note_commit() {
    WRITES_COMMITTED.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

/// Backoff between attempts of a retried write transaction: exponential from 2 ms, capped at
/// [`MAX_RETRY_DELAY_MS`], with full jitter so parallel losers do not collide again in step.
pub fn retry_delay(attempt: u32) -> Duration {
    use rand::Rng;
    let cap = (2u64 << attempt.min(10)).min(MAX_RETRY_DELAY_MS);
    Duration::from_millis(rand::thread_rng().gen_range(1..=cap))
}

/// Runs `$body` inside a write transaction bound to `$tx`, commits it, and retries the whole
/// body on a serialization failure (SQLSTATE 40001/40P01, SQLITE_BUSY) or a busy tree lock.
/// `$body` must evaluate to `AppResult<T>`; an `Err` rolls back. Still failing after
/// [`MAX_WRITE_ATTEMPTS`], it answers [`AppError::Busy`] (503), never a 500.
/// `write_tx!(db, Lock::Tree, |tx| …)` first takes the tree lock (see [`Lock`]).
#[macro_export]
macro_rules! write_tx {
    ($db:expr, |$tx:ident| $body:expr) => {
        $crate::write_tx!($db, $crate::db::Lock::None, |$tx| $body)
    };
    ($db:expr, $lock:expr, |$tx:ident| $body:expr) => {{
        let db: &$crate::db::Db = $db;
        let lock: $crate::db::Lock = $lock;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome: $crate::error::AppResult<_> = async {
                let mut $tx = db.begin_locked(lock).await?;
                let value = async { $body }.await?;
                $tx.commit().await?;
                $crate::db::note_commit();
                Ok(value)
            }
            .await;
            match outcome {
                Err(e) if e.is_retryable() && attempt < $crate::db::MAX_WRITE_ATTEMPTS => {
                    if !matches!(e, $crate::error::AppError::LockBusy) {
                        tracing::debug!(attempt, "serialization failure, retrying transaction");
                    }
                    tokio::time::sleep($crate::db::retry_delay(attempt)).await;
                }
                Err(e) if e.is_retryable() => {
                    tracing::warn!(attempts = attempt, error = %e.log_text(), "write transaction gave up after repeated conflicts");
                    break Err($crate::error::AppError::Busy);
                }
                other => break other,
            }
        }
    }};
}

/// A bound value for [`Sql`].
#[derive(Clone, Debug)]
pub enum Val {
    I(i64),
    S(String),
    NullI,
    NullS,
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::I(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::S(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::S(v)
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        v.map(Val::S).unwrap_or(Val::NullS)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        v.map(Val::I).unwrap_or(Val::NullI)
    }
}

/// SQL text with placeholders numbered as values are pushed: `$n`, or plain `?` for
/// statements that may carry thousands of values on SQLite, where binding named
/// parameters costs O(n) each (`sqlite3_bind_parameter_name` scans a list), so O(n²)
/// per statement: a 500-row INSERT ran 3x slower per row than a 50-row one.
#[derive(Default, Debug)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Val>,
    question_marks: bool,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql { text: text.to_string(), args: Vec::new(), question_marks: false }
    }
    /// For large statements: anonymous `?` placeholders when the connection is SQLite.
    pub fn bulk(conn: &Conn, text: &str) -> Self {
        Sql { text: text.to_string(), args: Vec::new(), question_marks: conn.backend_name() == "SQLite" }
    }
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }
    pub fn bind(&mut self, v: impl Into<Val>) -> &mut Self {
        self.args.push(v.into());
        if self.question_marks {
            self.text.push('?');
        } else {
            self.text.push('$');
            self.text.push_str(&self.args.len().to_string());
        }
        self
    }
    /// Binds each value in turn, separated by commas: the inside of `IN (…)`.
    pub fn bind_list<V: Into<Val>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
        self
    }
    fn arguments(&self) -> sqlx::any::AnyArguments<'_> {
        use sqlx::Arguments;
        let mut a = sqlx::any::AnyArguments::default();
        for v in &self.args {
            // Encoding these four types into `Any` cannot fail.
            let _ = match v {
                Val::I(i) => a.add(*i),
                Val::S(s) => a.add(s.as_str()),
                Val::NullI => a.add(None::<i64>),
                Val::NullS => a.add(None::<String>),
            };
        }
        a
    }
    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        sqlx::query_with(&self.text, self.arguments())
    }
    pub fn query_scalar<T>(&self) -> sqlx::query::QueryScalar<'_, sqlx::Any, T, sqlx::any::AnyArguments<'_>>
    where
        (T,): for<'r> sqlx::FromRow<'r, Row>,
    {
        sqlx::query_scalar_with(&self.text, self.arguments())
    }
}

/// Multi-row INSERTs: `head` is `INSERT INTO t (a, b, …) VALUES `, `vals` the rows laid end to
/// end (`width` values each), at most `rows` rows per statement.
pub async fn insert_rows(conn: &mut Conn, head: &str, width: usize, vals: &[Val], rows: usize) -> Result<(), sqlx::Error> {
    for chunk in vals.chunks(rows.max(1) * width.max(1)) {
        let mut sql = Sql::bulk(conn, head);
        for (i, row) in chunk.chunks(width.max(1)).enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for (c, v) in row.iter().enumerate() {
                if c > 0 {
                    sql.push(", ");
                }
                sql.bind(v.clone());
            }
            sql.push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Materialized paths: `/1/5/23/` lists the ids from the root down to the org itself.
pub mod path {
    /// The exclusive upper bound of the subtree under `prefix` (its last `/` raised to `0`).
    pub fn upper(prefix: &str) -> String {
        debug_assert!(prefix.ends_with('/'));
        let mut s = prefix[..prefix.len() - 1].to_string();
        s.push('0');
        s
    }
    pub fn child(parent: &str, id: i64) -> String {
        format!("{parent}{id}/")
    }
    pub fn root(id: i64) -> String {
        format!("/{id}/")
    }
    /// Ids from the root down to the node itself.
    pub fn ids(path: &str) -> Vec<i64> {
        path.split('/').filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect()
    }
    pub fn contains(ancestor: &str, path: &str) -> bool {
        path.starts_with(ancestor)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        #[test]
        fn ranges() {
            assert_eq!(upper("/1/2/"), "/1/20");
            let (lo, hi) = ("/1/2/".to_string(), upper("/1/2/"));
            for inside in ["/1/2/", "/1/2/3/", "/1/2/99/7/"] {
                assert!(inside >= lo.as_str() && inside < hi.as_str(), "{inside}");
            }
            for outside in ["/1/20/", "/1/21/", "/1/3/", "/1/", "/10/2/"] {
                assert!(!(outside >= lo.as_str() && outside < hi.as_str()), "{outside}");
            }
            assert_eq!(ids("/1/5/23/"), vec![1, 5, 23]);
        }
    }
}

/// Appends `AND (col in the subtree at root)`. Narrowing only, never a grant: what a
/// caller may read is filtered by [`Scope::push_filter`](crate::auth::Scope::push_filter).
pub fn push_under(sql: &mut Sql, col: &str, root: &str) {
    sql.push(" AND ((").push(col).push(" >= ").bind(root.to_string());
    sql.push(" AND ").push(col).push(" < ").bind(path::upper(root)).push("))");
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn map_not_found<T>(v: Option<T>) -> AppResult<T> {
    v.ok_or(AppError::NotFound)
}

/// Drops a table's secondary indexes (not those behind PRIMARY KEY or UNIQUE constraints)
/// and returns the statements that recreate them. Used inside a bulk load's transaction:
/// building an index by sorting is several times faster than inserting into it row by
/// row, and a failed load restores the indexes with everything else. On PostgreSQL the
/// DROP locks the table until the load commits.
pub async fn drop_secondary_indexes(conn: &mut Conn, table: &str) -> AppResult<Vec<String>> {
    use sqlx::Row;
    let sqlite = conn.backend_name() == "SQLite";
    let rows = if sqlite {
        sqlx::query("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL")
            .bind(table)
            .fetch_all(&mut *conn)
            .await?
    } else {
        sqlx::query(
            "SELECT CAST(indexname AS TEXT) AS name, CAST(indexdef AS TEXT) AS sql FROM pg_indexes WHERE tablename = $1 \
             AND indexname NOT IN (SELECT CAST(conname AS TEXT) FROM pg_constraint WHERE conrelid = CAST($1 AS regclass))",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?
    };
    let mut recreate = Vec::new();
    for r in rows {
        let name: String = r.try_get("name")?;
        recreate.push(r.try_get::<String, _>("sql")?);
        sqlx::query(&format!("DROP INDEX \"{name}\"")).execute(&mut *conn).await?;
    }
    Ok(recreate)
}

/// China Standard Time (UTC+8), in which dates and times are read and shown, whatever
/// the server's own time zone.
pub mod china {
    use chrono::{DateTime, FixedOffset, NaiveDate};

    pub fn tz() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).expect("valid offset")
    }
    pub fn today() -> NaiveDate {
        chrono::Utc::now().with_timezone(&tz()).date_naive()
    }
    /// The calendar day of a Unix time.
    pub fn date_of(secs: i64) -> NaiveDate {
        DateTime::from_timestamp(secs, 0).map(|t| t.with_timezone(&tz()).date_naive()).unwrap_or_default()
    }
    /// "2026-03-05 14:30".
    pub fn minute(secs: i64) -> String {
        DateTime::from_timestamp(secs, 0).map(|t| t.with_timezone(&tz()).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
    }
    /// The Unix time of a wall-clock moment on `day`.
    pub fn at(day: NaiveDate, h: u32, m: u32, s: u32) -> i64 {
        day.and_hms_opt(h, m, s).and_then(|t| t.and_local_timezone(tz()).single()).map(|t| t.timestamp()).unwrap_or(0)
    }
}

/// Today in China Standard Time (UTC+8).
pub fn today() -> chrono::NaiveDate {
    china::today()
}

/// Server secrets, made once per database at the first migration from the OS's random source
/// and kept in `app_secrets` (readable only by whoever can read the database; never in logs,
/// pages or exports).
pub mod secrets {
    use super::{Conn, Db};
    use crate::error::{AppError, AppResult};

    /// The key of the tracking-code HMAC.
    pub const TRACKING_KEY: &str = "tracking_code_key";

    pub async fn ensure(db: &Db) -> AppResult<()> {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        sqlx::query("INSERT INTO app_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(TRACKING_KEY)
            .bind(hex)
            .bind(super::now_secs())
            .execute(&db.pool)
            .await?;
        Ok(())
    }

    pub async fn get(conn: &mut Conn, name: &str) -> AppResult<Vec<u8>> {
        let hex: String = sqlx::query_scalar("SELECT value FROM app_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("secret {name} is missing: run the migrations")))?;
        Ok((0..hex.len() / 2).filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect())
    }
}
