//! Subtree figures read in the last moment, so a screen or an API client polling an org's
//! counters needs no query. An entry is good while no write has committed on this server since
//! it was read ([`crate::db::writes_committed`]) and for at most [`TTL`], which bounds how long a
//! write made through another server of the same database goes unseen. Scope is checked on
//! every read, against the cached org's path, as [`super::store::get_scoped`] does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::model::Org;
use super::stats::{self, SubtreeStats};
use crate::auth::scope::{Capability, Scope};
use crate::db::Db;
use crate::error::{AppError, AppResult};

pub const TTL: Duration = Duration::from_secs(2);
/// Entries kept at most; past it the cache starts again empty.
const MAX: usize = 50_000;

struct Entry {
    writes: u64,
    at: Instant,
    day: chrono::NaiveDate,
    org: Arc<Org>,
    stats: Arc<SubtreeStats>,
}

fn map() -> &'static Mutex<HashMap<i64, Entry>> {
    static MAP: OnceLock<Mutex<HashMap<i64, Entry>>> = OnceLock::new();
    MAP.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The org `id` inside `scope` with its subtree figures (NotFound outside the scope).
pub async fn stats_scoped<C: Capability>(db: &Db, scope: &Scope<C>, id: i64) -> AppResult<(Arc<Org>, Arc<SubtreeStats>)> {
    let today = crate::db::today();
    // Taken before the read: a write committing meanwhile makes this entry stale at once.
    let writes = crate::db::writes_committed();
    let hit = map().lock().ok().and_then(|m| {
        m.get(&id).filter(|e| e.writes == writes && e.day == today && e.at.elapsed() < TTL).map(|e| (e.org.clone(), e.stats.clone()))
    });
    let (org, figures) = match hit {
        Some(h) => h,
        None => {
            let mut conn = db.pool.acquire().await?;
            let org = Arc::new(super::store::get(&mut conn, id).await?.ok_or(AppError::NotFound)?);
            let raw = stats::load(&mut conn, id).await?;
            let figures = Arc::new(stats::summarize(id, &raw, today));
            if let Ok(mut m) = map().lock() {
                if m.len() >= MAX {
                    m.clear();
                }
                m.insert(id, Entry { writes, at: Instant::now(), day: today, org: org.clone(), stats: figures.clone() });
            }
            (org, figures)
        }
    };
    scope.require_at(&org.path)?;
    Ok((org, figures))
}
