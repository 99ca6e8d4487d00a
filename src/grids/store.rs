//! Grids, buildings, households, residents and special groups in the database, and the
//! in-service members on buildings (包楼联户, 双报到). Reads are bounded to the caller's
//! subtrees; writes need ManageGovernance there. Phones and ID numbers are masked unless
//! the caller may read them in full.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::model::{GridKind, SpecialKind, SpecialRecordKind};
use crate::audit;
use crate::auth::roles::{Actor, Perm, Role};
use crate::auth::{cap, Scope};
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::members::id_card::{mask_id_number, mask_phone};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;


#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Grid {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub parent_grid_id: Option<i64>,
    pub kind: String,
    pub kind_label: String,
    pub code: String,
    pub name: String,
    pub worker_user_id: Option<i64>,
    pub worker_name: Option<String>,
    pub households: i64,
    #[serde(skip)]
    pub org_path: String,
}

const GRID_COLS: &str = "g.id, g.org_id, o.name AS org_name, g.org_path, g.parent_grid_id, g.kind, g.code, g.name, g.worker_user_id, u.display_name AS worker_name, \
    (SELECT COUNT(*) FROM households h WHERE h.grid_id = g.id) AS n_households";

fn grid_from_row(r: &Row) -> AppResult<Grid> {
    let kind: String = r.try_get("kind")?;
    Ok(Grid {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        parent_grid_id: r.try_get("parent_grid_id")?,
        kind_label: GridKind::parse(&kind).map(|k| k.label()).unwrap_or("").into(),
        kind,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        worker_user_id: r.try_get("worker_user_id")?,
        worker_name: r.try_get("worker_name")?,
        households: r.try_get("n_households")?,
    })
}

fn grid_sql() -> String {
    format!("SELECT {GRID_COLS} FROM grids g JOIN orgs o ON o.id = g.org_id LEFT JOIN users u ON u.id = g.worker_user_id")
}

pub async fn get_grid(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, id: i64) -> AppResult<Grid> {
    let sql = format!("{} WHERE g.id = $1", grid_sql());
    match sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| grid_from_row(&r)).transpose()? {
        Some(g) if scope.covers(&g.org_path) => Ok(g),
        _ => Err(AppError::NotFound),
    }
}

/// A grid by its code within an org's subtree (codes are unique per org).
pub async fn grid_by_code(conn: &mut Conn, root: &Org, code: &str) -> AppResult<Option<Grid>> {
    let mut sql = Sql::new(&format!("{} WHERE g.code = ", grid_sql()));
    sql.bind(code.trim()).push(" AND g.org_path >= ").bind(root.path.clone()).push(" AND g.org_path < ").bind(crate::db::path::upper(&root.path));
    sql.push(" ORDER BY g.id LIMIT 1");
    sql.query().fetch_optional(&mut *conn).await?.map(|r| grid_from_row(&r)).transpose()
}

pub async fn list_grids(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, root: &Org) -> AppResult<Vec<Grid>> {
    let scope = scope.within(&root.path);
    let mut sql = Sql::new(&format!("{} WHERE 1=1", grid_sql()));
    scope.push_filter(&mut sql, "g.org_path");
    sql.push(" ORDER BY g.org_path, g.code LIMIT 5000");
    sql.query().fetch_all(&mut *conn).await?.iter().map(grid_from_row).collect()
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct GridInput {
    /// The village or community org the grid belongs to.
    pub org_id: i64,
    /// full (全科网格) or micro (微网格, needs parent_grid_id)
    pub kind: String,
    pub parent_grid_id: Option<i64>,
    pub code: String,
    pub name: String,
    /// A user holding the grid-worker role at this org (or above it).
    pub worker_user_id: Option<i64>,
}

async fn check_worker(conn: &mut Conn, org: &Org, user_id: i64) -> AppResult<()> {
    let rows = sqlx::query("SELECT o.path FROM user_roles r JOIN orgs o ON o.id = r.org_id WHERE r.user_id = $1 AND r.role = $2")
        .bind(user_id)
        .bind(Role::GridWorker.code())
        .fetch_all(&mut *conn)
        .await?;
    for r in rows {
        if org.path.starts_with(&r.try_get::<String, _>("path")?) {
            return Ok(());
        }
    }
    Err(AppError::invalid_field("not_a_grid_worker", "worker_user_id", format!("该用户没有{}的网格员角色，请先在“用户”中授予", org.name)))
}

pub async fn create_grid(conn: &mut Conn, actor: &Actor, input: &GridInput) -> AppResult<Grid> {
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadResidents>(), input.org_id).await?;
    actor.require(Perm::WriteResidents, &org.path)?;
    let kind = GridKind::parse(&input.kind).ok_or_else(|| AppError::invalid_field("grid_kind_invalid", "kind", "网格类型应为 全科网格 或 微网格"))?;
    let (code, name) = (input.code.trim(), input.name.trim());
    if code.is_empty() || code.chars().count() > 30 || name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid_field("grid_name_required", "name", "请填写网格编码（不超过30字）和名称（不超过60字）"));
    }
    match (kind, input.parent_grid_id) {
        (GridKind::Full, Some(_)) => return Err(AppError::invalid_field("grid_parent", "parent_grid_id", "全科网格不隶属于其他网格")),
        (GridKind::Micro, None) => return Err(AppError::invalid_field("grid_parent", "parent_grid_id", "微网格须指定所属的全科网格")),
        (GridKind::Micro, Some(p)) => {
            let parent = get_grid(conn, &actor.scope(), p).await?;
            if parent.org_id != org.id || parent.kind != GridKind::Full.code() {
                return Err(AppError::invalid_field("grid_parent", "parent_grid_id", "微网格须隶属于本村（社区）的一个全科网格"));
            }
        }
        _ => {}
    }
    if let Some(u) = input.worker_user_id {
        check_worker(conn, &org, u).await?;
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM grids WHERE org_id = $1 AND code = $2").bind(org.id).bind(code).fetch_optional(&mut *conn).await?;
    if exists.is_some() {
        return Err(AppError::conflict("grid_code_taken", format!("{}已有编码为 {code} 的网格", org.name)));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO grids (org_id, org_path, parent_grid_id, kind, code, name, worker_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(org.id)
    .bind(&org.path)
    .bind(input.parent_grid_id)
    .bind(kind.code())
    .bind(code)
    .bind(name)
    .bind(input.worker_user_id)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await?;
    let g = get_grid(conn, &actor.scope(), id).await?;
    audit::record(conn, Some(actor), "grid.create", "grid", Some(id), &org, None, Some(&serde_json::to_value(&g).unwrap_or_default())).await?;
    Ok(g)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Building {
    pub id: i64,
    pub grid_id: i64,
    pub name: String,
    pub group_org_id: Option<i64>,
    pub group_org_name: Option<String>,
    pub households: i64,
    /// In-service members on this building now (包楼联户).
    pub members: Vec<Assignment>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Assignment {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub report_org_id: i64,
    pub report_org_name: String,
    pub reported_on: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct BuildingInput {
    pub name: String,
    /// The 楼栋党小组 responsible (an org of kind group in this org's subtree).
    pub group_org_id: Option<i64>,
}

pub async fn create_building(conn: &mut Conn, actor: &Actor, grid_id: i64, input: &BuildingInput) -> AppResult<Building> {
    let g = get_grid(conn, &actor.scope(), grid_id).await?;
    actor.require(Perm::WriteResidents, &g.org_path)?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid_field("building_name_required", "name", "请填写楼栋名称（不超过60字）"));
    }
    if let Some(gid) = input.group_org_id {
        let o = orgs::get(conn, gid).await?;
        if !o.is_some_and(|o| o.path.starts_with(&g.org_path)) {
            return Err(AppError::invalid_field("group_outside", "group_org_id", "楼栋党小组须是本村（社区）党组织下的党小组"));
        }
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM buildings WHERE grid_id = $1 AND name = $2").bind(g.id).bind(name).fetch_optional(&mut *conn).await?;
    if exists.is_some() {
        return Err(AppError::conflict("building_exists", format!("网格内已有“{name}”")));
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO buildings (grid_id, org_id, org_path, name, group_org_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(g.id)
        .bind(g.org_id)
        .bind(&g.org_path)
        .bind(name)
        .bind(input.group_org_id)
        .bind(now_secs())
        .fetch_one(&mut *conn)
        .await?;
    audit::record(conn, Some(actor), "building.create", "grid", Some(g.id), &(g.org_id, g.org_path.as_str()), None, Some(&serde_json::json!({"building": name}))).await?;
    buildings(conn, g.id).await?.into_iter().find(|b| b.id == id).ok_or(AppError::NotFound)
}

pub async fn buildings(conn: &mut Conn, grid_id: i64) -> AppResult<Vec<Building>> {
    let rows = sqlx::query(
        "SELECT b.id, b.grid_id, b.name, b.group_org_id, o.name AS group_name, (SELECT COUNT(*) FROM households h WHERE h.building_id = b.id) AS n \
         FROM buildings b LEFT JOIN orgs o ON o.id = b.group_org_id WHERE b.grid_id = $1 ORDER BY b.name",
    )
    .bind(grid_id)
    .fetch_all(&mut *conn)
    .await?;
    let assigned = sqlx::query(
        "SELECT a.id, a.building_id, a.member_id, m.name AS member_name, a.report_org_id, o.name AS report_name, a.reported_on FROM building_assignments a \
         JOIN buildings b ON b.id = a.building_id JOIN members m ON m.id = a.member_id JOIN orgs o ON o.id = a.report_org_id \
         WHERE b.grid_id = $1 AND a.ended_on IS NULL ORDER BY m.name",
    )
    .bind(grid_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let mut members = Vec::new();
        for a in assigned.iter().filter(|a| a.try_get::<i64, _>("building_id").ok() == Some(id)) {
            members.push(Assignment {
                id: a.try_get("id")?,
                member_id: a.try_get("member_id")?,
                member_name: a.try_get("member_name")?,
                report_org_id: a.try_get("report_org_id")?,
                report_org_name: a.try_get("report_name")?,
                reported_on: a.try_get("reported_on")?,
            });
        }
        out.push(Building {
            id,
            grid_id: r.try_get("grid_id")?,
            name: r.try_get("name")?,
            group_org_id: r.try_get("group_org_id")?,
            group_org_name: r.try_get("group_name")?,
            households: r.try_get("n")?,
            members,
        });
    }
    Ok(out)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct AssignInput {
    pub member_id: i64,
    /// The community the member reports to (双报到); defaults to the grid's org.
    pub report_org_id: Option<i64>,
    /// YYYY-MM-DD; defaults to today.
    pub reported_on: Option<String>,
}

/// 包楼联户: an in-service member takes a building. The member may belong to any org the
/// caller can read (in-service members come from units elsewhere in the county).
pub async fn assign(conn: &mut Conn, actor: &Actor, building_id: i64, input: &AssignInput) -> AppResult<Assignment> {
    let grid_id: Option<i64> = sqlx::query_scalar("SELECT grid_id FROM buildings WHERE id = $1").bind(building_id).fetch_optional(&mut *conn).await?;
    let g = get_grid(conn, &actor.scope(), grid_id.ok_or(AppError::NotFound)?).await?;
    actor.require(Perm::WriteResidents, &g.org_path)?;
    let m = crate::members::store::get(conn, input.member_id).await?.ok_or_else(|| AppError::invalid_field("member_not_found", "member_id", "没有这个党员"))?;
    if !actor.scope::<cap::ReadMembers>().covers(&m.org_path) && !m.org_path.starts_with(&g.org_path) {
        // A member from outside both the caller's scope and the community: tell, without details.
        return Err(AppError::invalid_field("member_not_found", "member_id", "没有这个党员，或不在您的管理范围内"));
    }
    if !m.in_service {
        return Err(AppError::invalid_field("not_in_service", "member_id", format!("{}不是在职党员，包楼联户由在职党员承担（可在党员信息中标注“在职党员”）", m.name)));
    }
    let report_org = match input.report_org_id {
        Some(o) => orgs::get_scoped(conn, &actor.scope::<cap::ReadOrgs>(), o).await?,
        None => orgs::get(conn, g.org_id).await?.ok_or(AppError::NotFound)?,
    };
    let on = match input.reported_on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => crate::members::validate::parse_day(Some(s))?,
        None => crate::db::today(),
    };
    let dup: Option<i64> = sqlx::query_scalar("SELECT id FROM building_assignments WHERE building_id = $1 AND member_id = $2 AND ended_on IS NULL")
        .bind(building_id)
        .bind(m.id)
        .fetch_optional(&mut *conn)
        .await?;
    if dup.is_some() {
        return Err(AppError::conflict("already_assigned", format!("{}已包联该楼栋", m.name)));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO building_assignments (building_id, member_id, report_org_id, reported_on, by_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(building_id)
    .bind(m.id)
    .bind(report_org.id)
    .bind(on.to_string())
    .bind(actor.user_id)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await?;
    audit::record(conn, Some(actor), "building.assign", "grid", Some(g.id), &(g.org_id, g.org_path.as_str()), None, Some(&serde_json::json!({"building_id": building_id, "member_id": m.id}))).await?;
    Ok(Assignment { id, member_id: m.id, member_name: m.name, report_org_id: report_org.id, report_org_name: report_org.name, reported_on: on.to_string() })
}

/// Ends an assignment (the member leaves the building); the row stays as history.
pub async fn end_assignment(conn: &mut Conn, actor: &Actor, assignment_id: i64) -> AppResult<()> {
    let r = sqlx::query("SELECT b.grid_id FROM building_assignments a JOIN buildings b ON b.id = a.building_id WHERE a.id = $1 AND a.ended_on IS NULL")
        .bind(assignment_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let g = get_grid(conn, &actor.scope(), r.try_get("grid_id")?).await?;
    actor.require(Perm::WriteResidents, &g.org_path)?;
    sqlx::query("UPDATE building_assignments SET ended_on = $1 WHERE id = $2").bind(crate::db::today().to_string()).bind(assignment_id).execute(&mut *conn).await?;
    audit::record(conn, Some(actor), "building.unassign", "grid", Some(g.id), &(g.org_id, g.org_path.as_str()), None, Some(&serde_json::json!({"assignment_id": assignment_id}))).await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Household {
    pub id: i64,
    pub grid_id: i64,
    pub grid_name: String,
    pub building_id: Option<i64>,
    pub building_name: Option<String>,
    pub address: String,
    pub head_name: String,
    /// Masked unless the caller may read it in full.
    pub phone: Option<String>,
    pub central_member_id: Option<i64>,
    pub central_member_name: Option<String>,
    pub residents: i64,
    pub special: Vec<String>,
}

const HH_COLS: &str = "h.id, h.grid_id, g.name AS grid_name, h.building_id, b.name AS building_name, h.address, h.head_name, h.phone, h.central_member_id, \
    m.name AS central_name, h.org_path, (SELECT COUNT(*) FROM residents r WHERE r.household_id = h.id) AS n_residents";

fn household_from_row(r: &Row, full: bool) -> AppResult<Household> {
    let phone: Option<String> = r.try_get("phone")?;
    Ok(Household {
        id: r.try_get("id")?,
        grid_id: r.try_get("grid_id")?,
        grid_name: r.try_get("grid_name")?,
        building_id: r.try_get("building_id")?,
        building_name: r.try_get("building_name")?,
        address: r.try_get("address")?,
        head_name: r.try_get("head_name")?,
        phone: phone.map(|p| if full { p } else { mask_phone(&p) }),
        central_member_id: r.try_get("central_member_id")?,
        central_member_name: r.try_get("central_name")?,
        residents: r.try_get("n_residents")?,
        special: Vec::new(),
    })
}

fn hh_sql() -> String {
    format!(
        "SELECT {HH_COLS} FROM households h JOIN grids g ON g.id = h.grid_id LEFT JOIN buildings b ON b.id = h.building_id LEFT JOIN members m ON m.id = h.central_member_id"
    )
}

async fn attach_special(conn: &mut Conn, list: &mut [Household]) -> AppResult<()> {
    if list.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("SELECT household_id, kind FROM special_groups WHERE until IS NULL AND household_id IN (");
    sql.bind_list(list.iter().map(|h| h.id)).push(")");
    for r in sql.query().fetch_all(&mut *conn).await? {
        let hid: i64 = r.try_get("household_id")?;
        let kind: String = r.try_get("kind")?;
        if let Some(h) = list.iter_mut().find(|h| h.id == hid) {
            h.special.push(SpecialKind::parse(&kind).map(|k| k.label().to_string()).unwrap_or(kind));
        }
    }
    Ok(())
}

/// Households of a grid (and its micro-grids) in door-number order (东大街2号 before 东大街10号),
/// optionally only those whose address contains `q` or whose head's name starts with it, a page
/// at a time.
pub async fn households(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, grid_id: i64, q: Option<&str>, offset: i64, limit: i64) -> AppResult<Vec<Household>> {
    let g = get_grid(conn, scope, grid_id).await?;
    // Lists are masked for everyone; the household's own page shows (and logs) full numbers.
    let full = false;
    let mut sql = Sql::new(&format!("{} WHERE (h.grid_id = ", hh_sql()));
    sql.bind(g.id).push(" OR g.parent_grid_id = ").bind(g.id).push(")");
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let q: String = q.chars().filter(|c| !matches!(c, '%' | '_')).collect();
        sql.push(" AND (h.address LIKE ").bind(format!("%{q}%")).push(" OR h.head_name LIKE ").bind(format!("{q}%")).push(")");
    }
    // A grid holds hundreds of households: sort them all by door number, then take the page.
    sql.push(" LIMIT ").bind(MAX_GRID_HOUSEHOLDS);
    let mut list = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| household_from_row(r, full)).collect::<AppResult<Vec<_>>>()?;
    list.sort_by(|a, b| natural_key(&a.address).cmp(&natural_key(&b.address)).then(a.id.cmp(&b.id)));
    let list: Vec<Household> = list.into_iter().skip(offset.max(0) as usize).take(limit.clamp(1, 500) as usize).collect();
    let mut list = list;
    attach_special(conn, &mut list).await?;
    Ok(list)
}

/// More households than any grid holds; the list is cut here rather than grow without bound.
const MAX_GRID_HOUSEHOLDS: i64 = 20_000;

/// Orders text with its numbers read as numbers: "东大街2号" < "东大街10号" < "西大街1号".
pub fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                out.push((std::mem::take(&mut text), digits.parse().unwrap_or(u64::MAX)));
                digits.clear();
            }
            text.push(c);
        }
    }
    out.push((text, if digits.is_empty() { 0 } else { digits.parse().unwrap_or(u64::MAX) }));
    out
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Resident {
    pub id: i64,
    pub name: String,
    /// Masked unless the caller may read it in full.
    pub id_number: Option<String>,
    pub gender: String,
    pub birth_date: Option<String>,
    pub relation: String,
    pub phone: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SpecialGroup {
    pub id: i64,
    pub kind: String,
    pub kind_label: String,
    pub resident_id: Option<i64>,
    pub since: String,
    pub until: Option<String>,
    pub note: String,
    pub records: Vec<SpecialRecord>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SpecialRecord {
    pub id: i64,
    pub kind: String,
    pub kind_label: String,
    pub on_day: String,
    pub amount_fen: Option<i64>,
    pub note: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdDetail {
    pub household: Household,
    pub residents: Vec<Resident>,
    pub special: Vec<SpecialGroup>,
}

/// A household inside `scope`, with ID numbers and phones in full where `sensitive` covers it.
pub async fn get_household(
    conn: &mut Conn,
    scope: &Scope<cap::ReadResidents>,
    sensitive: &Scope<cap::ReadSensitive>,
    id: i64,
) -> AppResult<(HouseholdDetail, String)> {
    let sql = format!("{} WHERE h.id = $1", hh_sql());
    let r = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let path: String = r.try_get("org_path")?;
    scope.require_at(&path)?;
    let full = sensitive.covers(&path);
    let mut household = household_from_row(&r, full)?;
    attach_special(conn, std::slice::from_mut(&mut household)).await?;
    let residents = sqlx::query("SELECT id, name, id_number, gender, birth_date, relation, phone FROM residents WHERE household_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            let idn: Option<String> = r.try_get("id_number")?;
            let phone: Option<String> = r.try_get("phone")?;
            let gender: String = r.try_get("gender")?;
            Ok(Resident {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                id_number: idn.map(|x| if full { x } else { mask_id_number(&x) }),
                gender: super::model::Gender::parse(&gender).map(|g| g.label().to_string()).unwrap_or(gender),
                birth_date: r.try_get("birth_date")?,
                relation: r.try_get("relation")?,
                phone: phone.map(|p| if full { p } else { mask_phone(&p) }),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let groups = sqlx::query("SELECT id, kind, resident_id, since, until, note FROM special_groups WHERE household_id = $1 ORDER BY id").bind(id).fetch_all(&mut *conn).await?;
    let records = sqlx::query("SELECT r.id, r.special_id, r.kind, r.on_day, r.amount_fen, r.note FROM special_records r JOIN special_groups s ON s.id = r.special_id WHERE s.household_id = $1 ORDER BY r.on_day, r.id")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let mut special = Vec::new();
    for g in groups {
        let gid: i64 = g.try_get("id")?;
        let kind: String = g.try_get("kind")?;
        let mut recs = Vec::new();
        for r in records.iter().filter(|r| r.try_get::<i64, _>("special_id").ok() == Some(gid)) {
            let k: String = r.try_get("kind")?;
            recs.push(SpecialRecord {
                id: r.try_get("id")?,
                kind_label: SpecialRecordKind::parse(&k).map(|x| x.label()).unwrap_or("").into(),
                kind: k,
                on_day: r.try_get("on_day")?,
                amount_fen: r.try_get("amount_fen")?,
                note: r.try_get("note")?,
            });
        }
        special.push(SpecialGroup {
            id: gid,
            kind_label: SpecialKind::parse(&kind).map(|x| x.label()).unwrap_or("").into(),
            kind,
            resident_id: g.try_get("resident_id")?,
            since: g.try_get("since")?,
            until: g.try_get("until")?,
            note: g.try_get("note")?,
            records: recs,
        });
    }
    Ok((HouseholdDetail { household, residents, special }, path))
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct SpecialInput {
    /// elderly_80, tekun_elderly, left_behind_child, migrant_child, new_employment
    pub kind: String,
    pub resident_id: Option<i64>,
    /// YYYY-MM-DD; defaults to today.
    pub since: Option<String>,
    pub note: Option<String>,
}

pub async fn add_special(conn: &mut Conn, actor: &Actor, household_id: i64, input: &SpecialInput) -> AppResult<i64> {
    let (_, path) = get_household(conn, &actor.scope(), &actor.scope(), household_id).await?;
    actor.require(Perm::WriteResidents, &path)?;
    let kind = SpecialKind::parse(&input.kind).ok_or_else(|| AppError::invalid_field("special_kind_invalid", "kind", format!("特殊群体类别应为：{}", SpecialKind::labels())))?;
    let since = match input.since.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => crate::members::validate::parse_day(Some(s))?,
        None => crate::db::today(),
    };
    if let Some(rid) = input.resident_id {
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM residents WHERE id = $1 AND household_id = $2").bind(rid).bind(household_id).fetch_optional(&mut *conn).await?;
        if ok.is_none() {
            return Err(AppError::invalid_field("resident_not_in_household", "resident_id", "该居民不在这一户"));
        }
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO special_groups (household_id, resident_id, kind, since, note) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(household_id)
        .bind(input.resident_id)
        .bind(kind.code())
        .bind(since.to_string())
        .bind(input.note.as_deref().unwrap_or("").trim())
        .fetch_one(&mut *conn)
        .await?;
    let org_id: i64 = sqlx::query_scalar("SELECT org_id FROM households WHERE id = $1").bind(household_id).fetch_one(&mut *conn).await?;
    audit::record(conn, Some(actor), "household.special", "household", Some(household_id), &(org_id, path.as_str()), None, Some(&serde_json::json!({"kind": kind.code()}))).await?;
    Ok(id)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct SpecialRecordInput {
    /// allowance, visit, report, change
    pub kind: String,
    /// YYYY-MM-DD; defaults to today.
    pub on: Option<String>,
    /// For an allowance: yuan, e.g. "100.00".
    pub amount: Option<String>,
    pub note: Option<String>,
}

/// A dynamic record: an allowance paid, a visit, a report from a 信息报送员, a change.
pub async fn add_special_record(conn: &mut Conn, actor: &Actor, special_id: i64, input: &SpecialRecordInput) -> AppResult<i64> {
    let hid: Option<i64> = sqlx::query_scalar("SELECT household_id FROM special_groups WHERE id = $1").bind(special_id).fetch_optional(&mut *conn).await?;
    let (_, path) = get_household(conn, &actor.scope(), &actor.scope(), hid.ok_or(AppError::NotFound)?).await?;
    actor.require(Perm::WriteResidents, &path)?;
    let kind = SpecialRecordKind::parse(&input.kind).ok_or_else(|| AppError::invalid_field("record_kind_invalid", "kind", format!("记录类别应为：{}", SpecialRecordKind::labels())))?;
    let on = match input.on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => crate::members::validate::parse_day(Some(s))?,
        None => crate::db::today(),
    };
    let amount = match input.amount.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(a) => Some(crate::dues::store::parse_yuan(a).ok_or_else(|| AppError::invalid_field("amount_invalid", "amount", "金额应写成 100 或 100.00（元）"))?),
        None => None,
    };
    if kind == SpecialRecordKind::Allowance && amount.is_none_or(|a| a <= 0) {
        return Err(AppError::invalid_field("amount_required", "amount", "津贴发放须填写金额"));
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO special_records (special_id, kind, on_day, amount_fen, note, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(special_id)
        .bind(kind.code())
        .bind(on.to_string())
        .bind(amount)
        .bind(input.note.as_deref().unwrap_or("").trim())
        .bind(actor.user_id)
        .bind(now_secs())
        .fetch_one(&mut *conn)
        .await?;
    Ok(id)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GridSummary {
    pub full_grids: i64,
    pub micro_grids: i64,
    pub households: i64,
    pub residents: i64,
    pub buildings: i64,
    pub assigned_members: i64,
    /// Special groups in the subtree now, by kind label.
    pub special: Vec<(String, i64)>,
}

/// Counts for a subtree: grids, households, residents, buildings, in-service members on buildings, special groups.
pub async fn summary(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, root: &Org) -> AppResult<GridSummary> {
    let scope = scope.within(&root.path);
    let count = |table: &str, extra: &str| {
        let mut sql = Sql::new(&format!("SELECT COUNT(*) FROM {table} WHERE 1=1 {extra}"));
        scope.push_filter(&mut sql, "org_path");
        sql
    };
    let full_grids: i64 = count("grids", "AND kind = 'full'").query_scalar().fetch_one(&mut *conn).await?;
    let micro_grids: i64 = count("grids", "AND kind = 'micro'").query_scalar().fetch_one(&mut *conn).await?;
    let households: i64 = count("households", "").query_scalar().fetch_one(&mut *conn).await?;
    let buildings: i64 = count("buildings", "").query_scalar().fetch_one(&mut *conn).await?;
    let mut sql = Sql::new("SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id WHERE 1=1");
    scope.push_filter(&mut sql, "h.org_path");
    let residents: i64 = sql.query_scalar().fetch_one(&mut *conn).await?;
    let mut sql = Sql::new("SELECT COUNT(DISTINCT a.member_id) FROM building_assignments a JOIN buildings b ON b.id = a.building_id WHERE a.ended_on IS NULL");
    scope.push_filter(&mut sql, "b.org_path");
    let assigned_members: i64 = sql.query_scalar().fetch_one(&mut *conn).await?;
    let mut sql = Sql::new("SELECT s.kind, COUNT(*) AS n FROM special_groups s JOIN households h ON h.id = s.household_id WHERE s.until IS NULL");
    scope.push_filter(&mut sql, "h.org_path");
    sql.push(" GROUP BY s.kind");
    let mut special = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let k: String = r.try_get("kind")?;
        special.push((SpecialKind::parse(&k).map(|x| x.label().to_string()).unwrap_or(k), r.try_get("n")?));
    }
    Ok(GridSummary { full_grids, micro_grids, households, residents, buildings, assigned_members, special })
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct ResidentInput {
    pub name: String,
    pub id_number: Option<String>,
    /// 男/女 (male/female); taken from the ID number when blank.
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    /// 户主, 配偶, 子女…
    pub relation: Option<String>,
    pub phone: Option<String>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct HouseholdInput {
    pub grid_id: i64,
    pub building_id: Option<i64>,
    pub address: String,
    pub head_name: String,
    pub phone: Option<String>,
    /// The 党员中心户 who looks after this household.
    pub central_member_id: Option<i64>,
    #[serde(default)]
    pub residents: Vec<ResidentInput>,
}

/// A family member, checked: a valid ID number if given, the gender from it when blank.
struct CheckedResident {
    name: String,
    id_number: Option<String>,
    gender: super::model::Gender,
    birth_date: Option<String>,
    relation: String,
    phone: Option<String>,
}

fn checked_resident(r: &ResidentInput) -> AppResult<CheckedResident> {
    let name = r.name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::invalid_field("resident_name_required", "residents", "每位家庭成员须填写姓名（不超过30字）"));
    }
    let id = match r.id_number.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        Some(x) => Some(crate::members::id_card::IdCardNumber::parse(x).map_err(|e| AppError::invalid_field("id_number_invalid", "residents", format!("{name}的身份证号有误：{e}")))?),
        None => None,
    };
    let gender = match r.gender.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        Some(x) => super::model::Gender::parse(x).ok_or_else(|| AppError::invalid_field("gender_invalid", "residents", format!("{name}的性别应为 男 或 女")))?,
        None => match &id {
            Some(i) if i.is_male() => super::model::Gender::Male,
            Some(_) => super::model::Gender::Female,
            None => return Err(AppError::invalid_field("gender_required", "residents", format!("请填写{name}的性别，或填写身份证号"))),
        },
    };
    let birth_date = match r.birth_date.as_deref().filter(|x| !x.trim().is_empty()) {
        Some(b) => Some(crate::members::validate::parse_day(Some(b))?.to_string()),
        None => id.as_ref().map(|i| i.birth_date().to_string()),
    };
    let phone = r.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if phone.is_some_and(|p| !crate::members::validate::valid_phone(p)) {
        return Err(AppError::invalid_field("phone_invalid", "residents", format!("{name}的电话号码格式不对")));
    }
    Ok(CheckedResident {
        name: name.into(),
        id_number: id.map(|i| i.to_string()),
        gender,
        birth_date,
        relation: r.relation.as_deref().unwrap_or("").trim().into(),
        phone: phone.map(String::from),
    })
}

async fn insert_resident(conn: &mut Conn, household_id: i64, r: &CheckedResident) -> AppResult<i64> {
    Ok(sqlx::query_scalar("INSERT INTO residents (household_id, name, id_number, gender, birth_date, relation, phone) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(household_id)
        .bind(&r.name)
        .bind(r.id_number.as_deref())
        .bind(r.gender.code())
        .bind(r.birth_date.as_deref())
        .bind(&r.relation)
        .bind(r.phone.as_deref())
        .fetch_one(&mut *conn)
        .await?)
}

/// A grid worker registers one household (the import takes many at once).
pub async fn create_household(conn: &mut Conn, actor: &Actor, input: &HouseholdInput) -> AppResult<i64> {
    let g = get_grid(conn, &actor.scope(), input.grid_id).await?;
    actor.require(Perm::WriteResidents, &g.org_path)?;
    let (address, head) = (input.address.trim(), input.head_name.trim());
    if address.is_empty() || address.chars().count() > 100 || head.is_empty() || head.chars().count() > 30 {
        return Err(AppError::invalid_field("household_required", "address", "请填写门牌地址（不超过100字）和户主姓名"));
    }
    let phone = input.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if phone.is_some_and(|p| !crate::members::validate::valid_phone(p)) {
        return Err(AppError::invalid_field("phone_invalid", "phone", "联系电话应为11位手机号或带区号的固定电话"));
    }
    if let Some(b) = input.building_id {
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM buildings WHERE id = $1 AND org_id = $2").bind(b).bind(g.org_id).fetch_optional(&mut *conn).await?;
        if ok.is_none() {
            return Err(AppError::invalid_field("building_outside", "building_id", "楼栋不属于该网格所在的村（社区）"));
        }
    }
    if let Some(m) = input.central_member_id {
        let mm = crate::members::store::get(conn, m).await?;
        if !mm.is_some_and(|m| m.org_path.starts_with(&g.org_path)) {
            return Err(AppError::invalid_field("member_outside", "central_member_id", "党员中心户须是本村（社区）的党员"));
        }
    }
    let residents = input.residents.iter().map(checked_resident).collect::<AppResult<Vec<_>>>()?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM households WHERE org_id = $1 AND address = $2").bind(g.org_id).bind(address).fetch_optional(&mut *conn).await?;
    if exists.is_some() {
        return Err(AppError::conflict("household_exists", format!("{}已登记门牌“{address}”", g.org_name)));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO households (grid_id, building_id, org_id, org_path, address, head_name, phone, central_member_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(g.id)
    .bind(input.building_id)
    .bind(g.org_id)
    .bind(&g.org_path)
    .bind(address)
    .bind(head)
    .bind(phone)
    .bind(input.central_member_id)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await?;
    for r in &residents {
        insert_resident(conn, id, r).await?;
    }
    audit::record(conn, Some(actor), "household.create", "household", Some(id), &(g.org_id, g.org_path.as_str()), None, Some(&serde_json::json!({"address": address}))).await?;
    Ok(id)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct HouseholdPatch {
    pub address: Option<String>,
    pub head_name: Option<String>,
    /// An empty string clears it.
    pub phone: Option<String>,
    /// Moves the household to another grid of the same village or community.
    pub grid_id: Option<i64>,
    pub building_id: Option<i64>,
    pub central_member_id: Option<i64>,
    /// Removes the 党员中心户 (when `central_member_id` is not given).
    #[serde(default)]
    pub clear_central_member: bool,
}

/// Changes a household's address, head, phone, grid, building or 党员中心户; the old values go to the audit log.
pub async fn update_household(conn: &mut Conn, actor: &Actor, id: i64, p: &HouseholdPatch) -> AppResult<()> {
    let (before, path) = get_household(conn, &actor.scope(), &actor.scope(), id).await?;
    actor.require(Perm::WriteResidents, &path)?;
    let h = &before.household;
    let org_id: i64 = sqlx::query_scalar("SELECT org_id FROM households WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    let address = p.address.as_deref().map(str::trim).unwrap_or(&h.address).to_string();
    let head = p.head_name.as_deref().map(str::trim).unwrap_or(&h.head_name).to_string();
    if address.is_empty() || address.chars().count() > 100 || head.is_empty() || head.chars().count() > 30 {
        return Err(AppError::invalid_field("household_required", "address", "门牌地址（不超过100字）和户主姓名不能为空"));
    }
    if address != h.address {
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM households WHERE org_id = $1 AND address = $2 AND id <> $3").bind(org_id).bind(&address).bind(id).fetch_optional(&mut *conn).await?;
        if taken.is_some() {
            return Err(AppError::conflict("household_exists", format!("门牌“{address}”已登记为另一户")));
        }
    }
    let phone_changed = p.phone.is_some();
    let phone = p.phone.as_deref().map(str::trim).filter(|x| !x.is_empty()).map(String::from);
    if phone.as_deref().is_some_and(|x| !crate::members::validate::valid_phone(x)) {
        return Err(AppError::invalid_field("phone_invalid", "phone", "联系电话应为11位手机号或带区号的固定电话"));
    }
    let grid_id = match p.grid_id {
        Some(g) => {
            let grid = get_grid(conn, &actor.scope(), g).await?;
            if grid.org_id != org_id {
                return Err(AppError::invalid_field("grid_outside", "grid_id", "只能调整到本村（社区）的其他网格"));
            }
            grid.id
        }
        None => h.grid_id,
    };
    if let Some(b) = p.building_id {
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM buildings WHERE id = $1 AND org_id = $2").bind(b).bind(org_id).fetch_optional(&mut *conn).await?;
        if ok.is_none() {
            return Err(AppError::invalid_field("building_outside", "building_id", "楼栋不属于本村（社区）"));
        }
    }
    if let Some(m) = p.central_member_id {
        let mm = crate::members::store::get(conn, m).await?;
        if !mm.is_some_and(|m| m.org_path.starts_with(&path)) {
            return Err(AppError::invalid_field("member_outside", "central_member_id", "党员中心户须是本村（社区）的党员"));
        }
    }
    sqlx::query(
        "UPDATE households SET address = $1, head_name = $2, phone = CASE WHEN $3 = 1 THEN $4 ELSE phone END, grid_id = $5, \
         building_id = COALESCE($6, building_id), central_member_id = CASE WHEN $9 = 1 THEN NULL ELSE COALESCE($7, central_member_id) END WHERE id = $8",
    )
    .bind(&address)
    .bind(&head)
    .bind(phone_changed as i64)
    .bind(phone)
    .bind(grid_id)
    .bind(p.building_id)
    .bind(p.central_member_id)
    .bind(id)
    .bind((p.clear_central_member && p.central_member_id.is_none()) as i64)
    .execute(&mut *conn)
    .await?;
    let central_after = match (p.central_member_id, p.clear_central_member) {
        (Some(m), _) => Some(m),
        (None, true) => None,
        (None, false) => h.central_member_id,
    };
    let old = serde_json::json!({"address": h.address, "head_name": h.head_name, "grid_id": h.grid_id, "building_id": h.building_id, "central_member_id": h.central_member_id});
    let new = serde_json::json!({"address": address, "head_name": head, "grid_id": grid_id, "building_id": p.building_id.or(h.building_id), "central_member_id": central_after});
    audit::record(conn, Some(actor), "household.update", "household", Some(id), &(org_id, path.as_str()), Some(&old), Some(&new)).await?;
    Ok(())
}

/// Adds a family member to a household.
pub async fn add_resident(conn: &mut Conn, actor: &Actor, household_id: i64, r: &ResidentInput) -> AppResult<i64> {
    let (_, path) = get_household(conn, &actor.scope(), &actor.scope(), household_id).await?;
    actor.require(Perm::WriteResidents, &path)?;
    let rid = insert_resident(conn, household_id, &checked_resident(r)?).await?;
    let org_id: i64 = sqlx::query_scalar("SELECT org_id FROM households WHERE id = $1").bind(household_id).fetch_one(&mut *conn).await?;
    audit::record(conn, Some(actor), "household.resident", "household", Some(household_id), &(org_id, path.as_str()), None, Some(&serde_json::json!({"resident_id": rid}))).await?;
    Ok(rid)
}

#[cfg(test)]
mod natural_tests {
    use super::natural_key;
    #[test]
    fn door_numbers_sort_as_numbers() {
        let mut v = vec!["东大街10号", "东大街1号", "东大街2号", "西大街1号", "东大街2号附1", "3号楼2单元101", "3号楼10单元1"];
        v.sort_by_key(|s| natural_key(s));
        assert_eq!(v, vec!["3号楼2单元101", "3号楼10单元1", "东大街1号", "东大街2号", "东大街2号附1", "东大街10号", "西大街1号"]);
    }
}
