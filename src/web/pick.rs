//! Search-as-you-type pickers for forms, so nobody types an internal id: `/pick/orgs`,
//! `/pick/members`, `/pick/users` answer `[{id, label, detail}]` for the signed-in user, each
//! bounded by the same scope as the lists they come from. `static/app.js` turns every
//! `<input type="hidden" data-pick="orgs|members|users">` into a search box over them.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::session::WebActor;
use super::AppState;
use crate::error::AppResult;
use crate::members::store::{self as members, MemberQuery};
use crate::orgs::store as orgs;

/// At most this many choices per answer.
const LIMIT: i64 = 12;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pick/orgs", get(pick_orgs))
        .route("/pick/members", get(pick_members))
        .route("/pick/users", get(pick_users))
}

#[derive(Deserialize)]
pub struct PickQuery {
    #[serde(default)]
    q: String,
}

#[derive(Serialize)]
pub struct Choice {
    id: i64,
    label: String,
    /// What tells two equal labels apart: the parent org, the masked ID number, the role.
    detail: String,
}

async fn pick_orgs(State(s): State<AppState>, WebActor(a): WebActor, Query(q): Query<PickQuery>) -> AppResult<Json<Vec<Choice>>> {
    let text = q.q.trim();
    if text.is_empty() {
        return Ok(Json(vec![]));
    }
    let mut conn = s.db.pool.acquire().await?;
    let found = orgs::search(&mut conn, &a.scope(), text, LIMIT).await?;
    let parents = members::org_names(&mut conn, found.iter().filter_map(|o| o.parent_id)).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|o| Choice {
                detail: o.parent_id.and_then(|p| parents.get(&p).cloned()).map(|p| format!("{p} · {}", o.code)).unwrap_or(o.code.clone()),
                id: o.id,
                label: o.name,
            })
            .collect(),
    ))
}

async fn pick_members(State(s): State<AppState>, WebActor(a): WebActor, Query(q): Query<PickQuery>) -> AppResult<Json<Vec<Choice>>> {
    let text = q.q.trim();
    if text.is_empty() {
        return Ok(Json(vec![]));
    }
    let mut conn = s.db.pool.acquire().await?;
    // Searched from the tree's root: the search itself keeps to the caller's subtrees.
    let root_id: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *conn).await?;
    let Some(root) = (match root_id {
        Some(id) => orgs::get(&mut conn, id).await?,
        None => None,
    }) else {
        return Ok(Json(vec![]));
    };
    let query = MemberQuery { q: Some(text.to_string()), per_page: Some(LIMIT), ..Default::default() };
    let page = members::search(&mut conn, &a.scope(), &root, &query).await?;
    Ok(Json(
        page.items
            .into_iter()
            .map(|m| Choice { id: m.id, detail: format!("{} · {}", m.org_name, m.id_number), label: m.name })
            .collect(),
    ))
}

async fn pick_users(State(s): State<AppState>, WebActor(a): WebActor, Query(q): Query<PickQuery>) -> AppResult<Json<Vec<Choice>>> {
    let mut conn = s.db.pool.acquire().await?;
    let found = crate::auth::store::pick_users(&mut conn, &a.scope(), &q.q, LIMIT).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|u| Choice {
                id: u.id,
                label: if u.display_name.is_empty() { u.username.clone() } else { format!("{}（{}）", u.display_name, u.username) },
                detail: format!("{} · {}", u.role_label, u.org_name),
            })
            .collect(),
    ))
}
