//! Settings an org sets for its subtree — a county's points catalog, its rating rubric: one JSON
//! body per org in a table `(org_id, body, by_user_id, updated_at)`. The nearest ancestor's
//! applies, else the rules file's default. Callers check permission, validate and audit.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::Row as _;

use crate::db::{now_secs, Conn};
use crate::error::{AppError, AppResult};

/// The settings of one table, longest path first, and the default.
pub struct Inherited<T> {
    set: Vec<(String, String, T)>,
    default: T,
}

impl<T: DeserializeOwned> Inherited<T> {
    /// Every org's setting in `table` (a body that no longer parses is skipped: the default or an
    /// ancestor's applies).
    pub async fn load(conn: &mut Conn, table: &'static str, default: T) -> AppResult<Inherited<T>> {
        // The few settings first (CROSS JOIN keeps SQLite's order): it scanned a province's orgs.
        let rows = sqlx::query(&format!("SELECT o.path, o.name, t.body FROM {table} t CROSS JOIN orgs o WHERE o.id = t.org_id")).fetch_all(&mut *conn).await?;
        let mut set = Vec::new();
        for r in &rows {
            if let Ok(v) = serde_json::from_str::<T>(&r.try_get::<String, _>("body")?) {
                set.push((r.try_get::<String, _>("path")?, r.try_get::<String, _>("name")?, v));
            }
        }
        set.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        Ok(Inherited { set, default })
    }

    /// The setting in force at `path`, and the org that set it (None: the default).
    pub fn at(&self, path: &str) -> (&T, Option<&str>) {
        match self.set.iter().find(|(p, _, _)| path.starts_with(p.as_str())) {
            Some((_, name, v)) => (v, Some(name.as_str())),
            None => (&self.default, None),
        }
    }
}

/// Stores `value` as the setting of `org_id` in `table`; returns the body it replaced.
pub async fn put<T: Serialize>(conn: &mut Conn, table: &'static str, org_id: i64, by_user_id: i64, value: &T) -> AppResult<(String, Option<String>)> {
    let body = serde_json::to_string(value).map_err(|e| AppError::Internal(e.into()))?;
    let before: Option<String> = sqlx::query_scalar(&format!("SELECT body FROM {table} WHERE org_id = $1")).bind(org_id).fetch_optional(&mut *conn).await?;
    sqlx::query(&format!("INSERT INTO {table} (org_id, body, by_user_id, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (org_id) DO UPDATE SET body = $2, by_user_id = $3, updated_at = $4"))
        .bind(org_id)
        .bind(&body)
        .bind(by_user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    Ok((body, before))
}
