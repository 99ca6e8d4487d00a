//! Reading and writing the organization tree. Every read that serves a caller
//! goes through [`get_scoped`] or takes a [`Scope`], so an org outside
//! them is indistinguishable from a missing one.

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::Row as _;

use super::model::{Org, OrgDomain, OrgKind, OrgVariant};
use super::stats::{StatsDelta, DIM_DOMAIN};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Capability, Scope};
use crate::db::{now_secs, path, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::members::validate::parse_date;

pub const ORG_COLS: &str = "id, parent_id, path, depth, code, name, kind, variant, domain, joint_units, \
     term_start, founded_on, dissolved_on, dissolve_reason";

pub fn from_row(r: &Row) -> AppResult<Org> {
    let kind: String = r.try_get("kind")?;
    let variant: String = r.try_get("variant")?;
    let domain: String = r.try_get("domain")?;
    let kind = OrgKind::parse(&kind).ok_or_else(|| anyhow::anyhow!("bad org kind {kind}"))?;
    let domain = OrgDomain::parse(&domain).ok_or_else(|| anyhow::anyhow!("bad org domain {domain}"))?;
    Ok(Org {
        id: r.try_get("id")?,
        parent_id: r.try_get("parent_id")?,
        path: r.try_get("path")?,
        depth: r.try_get("depth")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        kind,
        variant: OrgVariant::parse(&variant).unwrap_or(OrgVariant::Regular),
        domain,
        kind_label: kind.label().to_string(),
        domain_label: domain.label().to_string(),
        joint_units: r.try_get("joint_units")?,
        term_start: r.try_get("term_start")?,
        founded_on: r.try_get("founded_on")?,
        dissolved_on: r.try_get("dissolved_on")?,
        dissolve_reason: r.try_get("dissolve_reason")?,
    })
}

/// An org by id, with no scope check: for internal use only.
pub async fn get(conn: &mut Conn, id: i64) -> AppResult<Option<Org>> {
    let sql = format!("SELECT {ORG_COLS} FROM orgs WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?;
    row.map(|r| from_row(&r)).transpose()
}

pub async fn get_by_code(conn: &mut Conn, code: &str) -> AppResult<Option<Org>> {
    let sql = format!("SELECT {ORG_COLS} FROM orgs WHERE code = $1");
    let row = sqlx::query(&sql).bind(code).fetch_optional(&mut *conn).await?;
    row.map(|r| from_row(&r)).transpose()
}

/// An org inside `scope`; anything else is NotFound.
pub async fn get_scoped<C: Capability>(conn: &mut Conn, scope: &Scope<C>, id: i64) -> AppResult<Org> {
    match get(conn, id).await? {
        Some(o) if scope.covers(&o.path) => Ok(o),
        _ => Err(AppError::NotFound),
    }
}

/// An org the actor may change: unreadable answers NotFound, readable but not writable 403.
pub async fn get_writable(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<Org> {
    let org = get_scoped(conn, &actor.scope::<cap::ReadOrgs>(), id).await?;
    if !actor.can(Perm::WriteOrgs, &org.path) {
        return Err(AppError::forbidden("您的角色无权调整党组织设置"));
    }
    Ok(org)
}

pub async fn children(conn: &mut Conn, id: i64, include_dissolved: bool) -> AppResult<Vec<Org>> {
    let mut sql = format!("SELECT {ORG_COLS} FROM orgs WHERE parent_id = $1");
    if !include_dissolved {
        sql.push_str(" AND dissolved_on IS NULL");
    }
    sql.push_str(" ORDER BY kind, name, id");
    let rows = sqlx::query(&sql).bind(id).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Orgs of a subtree down to `max_depth` levels below it, in path order.
pub async fn subtree(conn: &mut Conn, root: &Org, levels: i64) -> AppResult<Vec<Org>> {
    let mut sql = Sql::new(&format!("SELECT {ORG_COLS} FROM orgs WHERE dissolved_on IS NULL AND depth <= "));
    sql.bind(root.depth + levels);
    crate::db::push_under(&mut sql, "path", &root.path);
    sql.push(" ORDER BY path LIMIT 5000");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Ancestors from the root down to the parent.
pub async fn ancestors(conn: &mut Conn, org: &Org) -> AppResult<Vec<Org>> {
    let ids = path::ids(&org.path);
    let mut out = Vec::new();
    for id in &ids[..ids.len().saturating_sub(1)] {
        if let Some(o) = get(conn, *id).await? {
            out.push(o);
        }
    }
    Ok(out)
}

/// Search by name or code within the readable subtrees.
pub async fn search(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, q: &str, limit: i64) -> AppResult<Vec<Org>> {
    let mut sql = Sql::new(&format!("SELECT {ORG_COLS} FROM orgs WHERE (name LIKE "));
    sql.bind(format!("%{}%", q.replace(['%', '_'], ""))).push(" OR code = ").bind(q.to_string()).push(")");
    scope.push_filter(&mut sql, "path");
    sql.push(" ORDER BY depth, name LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct OrgInput {
    pub parent_id: Option<i64>,
    pub code: Option<String>,
    pub name: Option<String>,
    /// Code or label of the kind: branch / 党支部
    pub kind: Option<String>,
    pub variant: Option<String>,
    pub domain: Option<String>,
    pub joint_units: Option<i64>,
    pub term_start: Option<String>,
    pub founded_on: Option<String>,
}

/// A validated new org.
#[derive(Clone, Debug)]
pub struct NewOrg {
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub variant: OrgVariant,
    pub domain: OrgDomain,
    pub joint_units: i64,
    pub term_start: Option<NaiveDate>,
    pub founded_on: Option<NaiveDate>,
}

fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub fn validate_new(input: &OrgInput) -> AppResult<NewOrg> {
    let code = text(&input.code).ok_or_else(|| AppError::invalid_field("org_code_required", "code", "党组织编码不能为空"))?;
    if code.len() > 40 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(AppError::invalid_field("org_code_invalid", "code", "党组织编码只能由字母、数字和连字符组成，且不超过40位"));
    }
    let name = text(&input.name).ok_or_else(|| AppError::invalid_field("org_name_required", "name", "党组织名称不能为空"))?;
    if name.chars().count() > 60 {
        return Err(AppError::invalid_field("org_name_too_long", "name", "党组织名称不超过60个字"));
    }
    let kind = text(&input.kind)
        .and_then(OrgKind::parse)
        .ok_or_else(|| AppError::invalid_field("org_kind_invalid", "kind", format!("请选择党组织类别：{}", OrgKind::labels())))?;
    let variant = match text(&input.variant) {
        None => OrgVariant::Regular,
        Some(v) => OrgVariant::parse(v).ok_or_else(|| {
            AppError::invalid_field("org_variant_invalid", "variant", format!("无效的组织形式，可选：{}", OrgVariant::labels()))
        })?,
    };
    let domain = text(&input.domain)
        .and_then(OrgDomain::parse)
        .ok_or_else(|| AppError::invalid_field("org_domain_invalid", "domain", format!("请选择所属领域：{}", OrgDomain::labels())))?;
    let joint_units = input.joint_units.unwrap_or(0);
    if !(0..=100).contains(&joint_units) {
        return Err(AppError::invalid_field("joint_units_invalid", "joint_units", "联合单位数应在0到100之间"));
    }
    let date = |v: &Option<String>, field: &'static str| -> AppResult<Option<NaiveDate>> {
        match text(v) {
            None => Ok(None),
            Some(s) => parse_date(s)
                .map(Some)
                .ok_or_else(|| AppError::invalid_field("date_invalid", field, format!("无法识别的日期“{s}”，请写成 2024-01-31"))),
        }
    };
    Ok(NewOrg {
        code: code.to_string(),
        name: name.to_string(),
        kind,
        variant,
        domain,
        joint_units,
        term_start: date(&input.term_start, "term_start")?,
        founded_on: date(&input.founded_on, "founded_on")?,
    })
}

fn check_containment(parent: &Org, kind: OrgKind) -> AppResult<()> {
    if parent.is_dissolved() {
        return Err(AppError::invalid("parent_dissolved", format!("上级党组织“{}”已撤销，不能在其下设立组织", parent.name)));
    }
    if !parent.kind.may_contain(kind) {
        return Err(AppError::invalid(
            "org_kind_not_allowed",
            format!("{}下不能设立{}：党小组只设在党支部（总支）下，党支部设在党委、党工委或党总支下", parent.kind.label(), kind.label()),
        ));
    }
    Ok(())
}

/// Creates an org under `parent` (None only for the very first root).
pub async fn create(conn: &mut Conn, actor: Option<&Actor>, parent: Option<&Org>, n: &NewOrg) -> AppResult<Org> {
    if let Some(p) = parent {
        check_containment(p, n.kind)?;
    }
    if get_by_code(conn, &n.code).await?.is_some() {
        return Err(AppError::conflict("org_code_taken", format!("党组织编码“{}”已被使用，请换一个", n.code)));
    }
    let now = now_secs();
    let tmp_path = format!("#new-{}-{}", n.code, now);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO orgs (parent_id, path, depth, code, name, kind, variant, domain, joint_units, term_start, founded_on, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(parent.map(|p| p.id))
    .bind(&tmp_path)
    .bind(parent.map(|p| p.depth + 1).unwrap_or(0))
    .bind(&n.code)
    .bind(&n.name)
    .bind(n.kind.code())
    .bind(n.variant.code())
    .bind(n.domain.code())
    .bind(n.joint_units)
    .bind(n.term_start.map(|d| d.to_string()))
    .bind(n.founded_on.map(|d| d.to_string()))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let p = match parent {
        Some(parent) => path::child(&parent.path, id),
        None => path::root(id),
    };
    sqlx::query("UPDATE orgs SET path = $1 WHERE id = $2").bind(&p).bind(id).execute(&mut *conn).await?;
    let mut delta = StatsDelta::default();
    delta.org(&path::ids(&p), n.kind, 1);
    delta.apply(conn).await?;
    crate::tallies::mark_all(conn, crate::tallies::ORG_SOURCES, id).await?;
    let org = get(conn, id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, actor, "org.create", "org", Some(id), &org, None, Some(&org_json(&org))).await?;
    Ok(org)
}

pub fn org_json(o: &Org) -> serde_json::Value {
    serde_json::to_value(o).unwrap_or_default()
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub code: Option<String>,
    pub variant: Option<String>,
    pub domain: Option<String>,
    pub joint_units: Option<i64>,
    pub term_start: Option<String>,
    pub founded_on: Option<String>,
}

/// Renames or edits an org's own fields; kind and place in the tree change elsewhere.
pub async fn update(conn: &mut Conn, actor: &Actor, org: &Org, patch: &OrgPatch) -> AppResult<Org> {
    let merged = OrgInput {
        parent_id: org.parent_id,
        code: Some(patch.code.clone().unwrap_or_else(|| org.code.clone())),
        name: Some(patch.name.clone().unwrap_or_else(|| org.name.clone())),
        kind: Some(org.kind.code().into()),
        variant: Some(patch.variant.clone().unwrap_or_else(|| org.variant.code().into())),
        domain: Some(patch.domain.clone().unwrap_or_else(|| org.domain.code().into())),
        joint_units: Some(patch.joint_units.unwrap_or(org.joint_units)),
        term_start: patch.term_start.clone().or_else(|| org.term_start.clone()),
        founded_on: patch.founded_on.clone().or_else(|| org.founded_on.clone()),
    };
    let n = validate_new(&merged)?;
    if n.code != org.code {
        if let Some(other) = get_by_code(conn, &n.code).await? {
            if other.id != org.id {
                return Err(AppError::conflict("org_code_taken", format!("党组织编码“{}”已被使用，请换一个", n.code)));
            }
        }
    }
    sqlx::query(
        "UPDATE orgs SET code = $1, name = $2, variant = $3, domain = $4, joint_units = $5, term_start = $6, founded_on = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(&n.code)
    .bind(&n.name)
    .bind(n.variant.code())
    .bind(n.domain.code())
    .bind(n.joint_units)
    .bind(n.term_start.map(|d| d.to_string()))
    .bind(n.founded_on.map(|d| d.to_string()))
    .bind(now_secs())
    .bind(org.id)
    .execute(&mut *conn)
    .await?;
    if n.domain != org.domain {
        // Members count under their own org's domain: move this org's direct members.
        let direct: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE org_path = $1 AND left_on IS NULL")
            .bind(&org.path)
            .fetch_one(&mut *conn)
            .await?;
        let mut delta = StatsDelta::default();
        for a in path::ids(&org.path) {
            delta.add(a, DIM_DOMAIN, org.domain.code(), -direct);
            delta.add(a, DIM_DOMAIN, n.domain.code(), direct);
        }
        delta.apply(conn).await?;
    }
    // The founding day decides which periods are required of it.
    crate::tallies::mark_all(conn, crate::tallies::ORG_SOURCES, org.id).await?;
    let after = get(conn, org.id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "org.update", "org", Some(org.id), &after, Some(&org_json(org)), Some(&org_json(&after))).await?;
    Ok(after)
}

/// Every table whose rows carry their org's materialized path in `org_path` and are read by
/// subtree through it: a move rewrites them all. (`audit_log.org_path` is the path at the time
/// of the entry; audit reads join the org by id, so entries follow a moved org anyway.)
/// A test checks that every `org_path` column of the schema is listed here.
pub const PATH_TABLES: &[&str] = &["members", "grids", "buildings", "households", "requests", "disputes", "recruits", "mobile_members", "vol_activities", "village_matters", "weak_cases", "econ_incomes", "cooperatives", "service_windows", "service_ratings", "power_uses", "commitments", "service_centers", "center_checks", "center_photos"];

/// Moves `org` and its whole subtree under `new_parent`, keeping paths and counters right.
pub async fn move_subtree(conn: &mut Conn, actor: &Actor, org: &Org, new_parent: &Org) -> AppResult<Org> {
    if org.parent_id.is_none() {
        return Err(AppError::invalid("cannot_move_root", "根党组织不能移动"));
    }
    if new_parent.path.starts_with(&org.path) {
        return Err(AppError::invalid("move_into_own_subtree", "不能把党组织移到它自己或它的下级组织之下"));
    }
    if org.parent_id == Some(new_parent.id) {
        return Ok(org.clone());
    }
    check_containment(new_parent, org.kind)?;
    let old_parent_path = &org.path[..org.path.len() - org.id.to_string().len() - 1];
    let new_path = path::child(&new_parent.path, org.id);
    let depth_delta = new_parent.depth + 1 - org.depth;

    // Counters: the subtree's own totals leave the old ancestors and join the new ones.
    let raw = sqlx::query("SELECT dim, key, n FROM org_stats WHERE org_id = $1 AND n <> 0")
        .bind(org.id)
        .fetch_all(&mut *conn)
        .await?;
    let mut delta = StatsDelta::default();
    for r in &raw {
        let dim: String = r.try_get("dim")?;
        let key: String = r.try_get("key")?;
        let n: i64 = r.try_get("n")?;
        let dim: &'static str = super::stats::static_dim(&dim).ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown org_stats dimension {dim}")))?;
        for a in path::ids(old_parent_path) {
            delta.add(a, dim, &key, -n);
        }
        for a in path::ids(&new_parent.path) {
            delta.add(a, dim, &key, n);
        }
    }
    delta.apply(conn).await?;
    crate::tallies::on_move(conn, org.id, old_parent_path, &new_parent.path).await?;
    // Role grants held in the subtree now have other paths.
    crate::auth::cache::forget_all();
    // Whether it is a village depends on its parent.
    crate::tallies::mark(conn, crate::tallies::Source::Cadres, org.id).await?;

    let (lo, hi) = (org.path.clone(), path::upper(&org.path));
    let old_len = org.path.len() as i64;
    sqlx::query(
        "UPDATE orgs SET path = $1 || substr(path, CAST($2 AS INTEGER)), depth = depth + $3, updated_at = $4 WHERE path >= $5 AND path < $6",
    )
    .bind(&new_path)
    .bind(old_len + 1)
    .bind(depth_delta)
    .bind(now_secs())
    .bind(&lo)
    .bind(&hi)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE orgs SET parent_id = $1 WHERE id = $2").bind(new_parent.id).bind(org.id).execute(&mut *conn).await?;
    for table in PATH_TABLES {
        let sql = format!("UPDATE {table} SET org_path = $1 || substr(org_path, CAST($2 AS INTEGER)) WHERE org_path >= $3 AND org_path < $4");
        sqlx::query(&sql).bind(&new_path).bind(old_len + 1).bind(&lo).bind(&hi).execute(&mut *conn).await?;
    }
    let after = get(conn, org.id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "org.move", "org", Some(org.id), &after, Some(&org_json(org)), Some(&org_json(&after))).await?;
    Ok(after)
}

/// Dissolves an empty org; it stays in the tree as history.
pub async fn dissolve(conn: &mut Conn, actor: &Actor, org: &Org, on: NaiveDate, reason: &str) -> AppResult<Org> {
    if org.is_dissolved() {
        return Err(AppError::invalid("already_dissolved", "该党组织已撤销"));
    }
    if org.parent_id.is_none() {
        return Err(AppError::invalid("cannot_dissolve_root", "根党组织不能撤销"));
    }
    if reason.trim().is_empty() {
        return Err(AppError::invalid_field("reason_required", "reason", "请填写撤销原因"));
    }
    let live_children: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs WHERE parent_id = $1 AND dissolved_on IS NULL")
        .bind(org.id)
        .fetch_one(&mut *conn)
        .await?;
    if live_children > 0 {
        return Err(AppError::invalid("has_children", format!("该党组织下还有 {live_children} 个下级组织，请先撤销或移走")));
    }
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE org_path = $1 AND left_on IS NULL")
        .bind(&org.path)
        .fetch_one(&mut *conn)
        .await?;
    if members > 0 {
        return Err(AppError::invalid("has_members", format!("该党组织还有 {members} 名党员，请先办理组织关系转接")));
    }
    sqlx::query("UPDATE orgs SET dissolved_on = $1, dissolve_reason = $2, updated_at = $3 WHERE id = $4")
        .bind(on.to_string())
        .bind(reason.trim())
        .bind(now_secs())
        .bind(org.id)
        .execute(&mut *conn)
        .await?;
    let mut delta = StatsDelta::default();
    delta.org(&path::ids(&org.path), org.kind, -1);
    delta.apply(conn).await?;
    crate::tallies::mark_all(conn, crate::tallies::ORG_SOURCES, org.id).await?;
    let after = get(conn, org.id).await?.ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "org.dissolve", "org", Some(org.id), &after, Some(&org_json(org)), Some(&org_json(&after))).await?;
    Ok(after)
}

/// Members of `org` itself (not of its groups) holding a committee seat.
pub async fn committee_seats(conn: &mut Conn, org: &Org) -> AppResult<i64> {
    // A member's org_path equals its own org's path: the path index finds direct members.
    let rows: Vec<String> = sqlx::query_scalar("SELECT posts FROM members WHERE org_path = $1 AND left_on IS NULL AND posts <> ''")
        .bind(&org.path)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .filter(|p| p.split(',').filter_map(crate::members::model::Post::parse).any(|p| p.is_committee_seat()))
        .count() as i64)
}
