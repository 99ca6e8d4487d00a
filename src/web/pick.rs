//! Search-as-you-type pickers for forms, so nobody types an internal id: `/pick/orgs`,
//! `/pick/members`, `/pick/users` (grid workers), `/pick/residents` answer `[{id, label, detail}]` for the signed-in
//! user, each bounded by the caller's scope; `/pick/communities` offers any community by name,
//! for 双报到. `static/app.js` turns every
//! `<input type="hidden" data-pick="orgs|members|users">` into a search box over them.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::session::WebActor;
use super::AppState;
use crate::auth::cap;
use crate::error::AppResult;
use crate::members::store::{self as members, MemberQuery};
use crate::orgs::store as orgs;

/// The id a picker left in its hidden field: `None` when nothing was picked, else the number;
/// anything else is refused with “请从列表中选择{what}”.
pub fn picked(field: &'static str, v: &Option<String>, what: &str) -> Result<Option<i64>, crate::error::AppError> {
    match v.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None => Ok(None),
        Some(x) => x.parse().map(Some).map_err(|_| crate::error::AppError::invalid_field("id_invalid", field, format!("请从列表中选择{what}"))),
    }
}

/// At most this many choices per answer.
const LIMIT: i64 = 12;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pick/orgs", get(pick_orgs))
        .route("/pick/members", get(pick_members))
        .route("/pick/users", get(pick_users))
        .route("/pick/communities", get(pick_communities))
        .route("/pick/residents", get(pick_residents))
}

#[derive(Deserialize)]
pub struct PickQuery {
    #[serde(default)]
    q: String,
    /// Members: also the in-service members who reported (双报到) to this community, wherever
    /// their branch is (they may claim its residents' wishes).
    community: Option<i64>,
    /// Residents: only those of households under this org.
    org: Option<i64>,
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
    let scope = a.scope::<cap::ReadMembers>();
    // Each granted subtree in turn (a member with no grant searches from their own record up).
    let mut roots: Vec<i64> = scope.prefixes().iter().filter_map(|p| crate::db::path::ids(p).last().copied()).collect();
    if roots.is_empty() {
        roots.extend(a.grants.iter().map(|g| g.org_id));
    }
    let query = MemberQuery { q: Some(text.to_string()), per_page: Some(LIMIT), ..Default::default() };
    let mut out: Vec<Choice> = Vec::new();
    for id in roots {
        let Some(root) = orgs::get(&mut conn, id).await? else { continue };
        for m in members::search(&mut conn, &scope, &root, &query).await?.items {
            if out.len() as i64 >= LIMIT || out.iter().any(|c| c.id == m.id) {
                continue;
            }
            out.push(Choice { id: m.id, detail: format!("{} · {}", m.org_name, m.id_number), label: m.name });
        }
    }
    // Only for those who handle the community's requests (where a claim is recorded) or
    // organize its volunteering.
    let community = match q.community {
        Some(c) => orgs::get(&mut conn, c).await?.filter(|o| a.can(crate::auth::roles::Perm::WriteRequests, &o.path) || a.can(crate::auth::roles::Perm::WriteVolunteering, &o.path)).map(|o| o.id),
        None => None,
    };
    if let Some(c) = community.filter(|_| (out.len() as i64) < LIMIT) {
        // Only names, their own org and a masked ID number: what a claim needs, nothing more.
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT m.id, m.name, o.name, m.id_number FROM members m JOIN orgs o ON o.id = m.org_id \
             WHERE m.report_org_id = $1 AND m.in_service = 1 AND m.left_on IS NULL AND m.name >= $2 AND m.name < $3 ORDER BY m.name, m.id LIMIT $4",
        )
        .bind(c)
        .bind(text)
        .bind(format!("{text}\u{10FFFF}"))
        .bind(LIMIT)
        .fetch_all(&mut *conn)
        .await?;
        for (id, name, org, number) in rows {
            if (out.len() as i64) < LIMIT && !out.iter().any(|x| x.id == id) {
                out.push(Choice { id, label: name, detail: format!("{org} · 在职党员报到 · {}", crate::members::id_card::mask_id_number(&number)) });
            }
        }
    }
    Ok(Json(out))
}

/// Communities anywhere in the tree, by name: an in-service member reports (双报到) to the
/// community where they live, usually outside their own branch's subtree. Only names and codes,
/// which the public pages show too.
async fn pick_communities(State(s): State<AppState>, WebActor(_a): WebActor, Query(q): Query<PickQuery>) -> AppResult<Json<Vec<Choice>>> {
    let text: String = q.q.trim().chars().filter(|c| !matches!(c, '%' | '_')).collect();
    if text.is_empty() {
        return Ok(Json(vec![]));
    }
    let mut conn = s.db.pool.acquire().await?;
    let mut sql = crate::db::Sql::new(&format!("SELECT {} FROM orgs WHERE domain = 'community' AND dissolved_on IS NULL AND kind <> 'group' AND name LIKE ", orgs::ORG_COLS));
    sql.bind(format!("%{text}%")).push(" ORDER BY depth, name LIMIT ").bind(LIMIT);
    let found = sql.query().fetch_all(&mut *conn).await?.iter().map(orgs::from_row).collect::<AppResult<Vec<_>>>()?;
    let parents = members::org_names(&mut conn, found.iter().filter_map(|o| o.parent_id)).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|o| Choice { detail: o.parent_id.and_then(|p| parents.get(&p).cloned()).unwrap_or_default(), id: o.id, label: o.name })
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
                label: if u.display_name.is_empty() || u.display_name == u.username { u.username.clone() } else { format!("{}（{}）", u.display_name, u.username) },
                detail: format!("{} · {}", u.role_label, u.org_name),
            })
            .collect(),
    ))
}

/// Residents by name, in households the caller may read (under `org` when given): a volunteer
/// whose household earns the points. The detail is the household's address.
async fn pick_residents(State(s): State<AppState>, WebActor(a): WebActor, Query(q): Query<PickQuery>) -> AppResult<Json<Vec<Choice>>> {
    let text = q.q.trim();
    if text.is_empty() {
        return Ok(Json(vec![]));
    }
    let mut conn = s.db.pool.acquire().await?;
    let scope = a.scope::<cap::ReadResidents>();
    let mut sql = crate::db::Sql::new("SELECT r.id, r.name, h.address FROM residents r JOIN households h ON h.id = r.household_id WHERE r.name >= ");
    sql.bind(text.to_string()).push(" AND r.name < ").bind(format!("{text}\u{10FFFF}"));
    if let Some(root) = q.org {
        match orgs::get(&mut conn, root).await? {
            Some(o) => crate::db::push_under(&mut sql, "h.org_path", &o.path),
            None => return Ok(Json(vec![])),
        }
    }
    scope.push_filter(&mut sql, "h.org_path");
    sql.push(" ORDER BY r.name, r.id LIMIT ").bind(LIMIT);
    let mut out = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        use sqlx::Row as _;
        out.push(Choice { id: r.try_get("id")?, label: r.try_get("name")?, detail: r.try_get("address")? });
    }
    Ok(Json(out))
}
