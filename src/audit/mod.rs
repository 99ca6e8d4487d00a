//! The audit log: append-only (the database refuses UPDATE and DELETE on it),
//! who did what, when, in which org, with the record before and after.

use serde::Serialize;
use sqlx::Row as _;

use crate::auth::roles::Actor;
use crate::auth::{cap, Scope};
use crate::db::{Conn, Sql};
use crate::error::AppResult;

/// Anything that lives in an org of the tree.
pub trait InOrg {
    fn org_ref(&self) -> (i64, &str);
}

impl InOrg for crate::orgs::model::Org {
    fn org_ref(&self) -> (i64, &str) {
        (self.id, &self.path)
    }
}

/// An (org id, org path) pair, for records that name their org directly.
impl InOrg for (i64, &str) {
    fn org_ref(&self) -> (i64, &str) {
        (self.0, self.1)
    }
}

impl InOrg for crate::members::model::Member {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut Conn,
    actor: Option<&Actor>,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    at: &(dyn InOrg + Sync),
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> AppResult<()> {
    let (org_id, org_path) = at.org_ref();
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, org_id, org_path, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(crate::db::now_secs())
    .bind(actor.map(|a| a.user_id))
    .bind(actor.map(|a| a.username.as_str()).unwrap_or("system"))
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(org_id)
    .bind(org_path)
    .bind(before.map(|v| v.to_string()))
    .bind(after.map(|v| v.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Logs that `actor` was shown `entity` with its full ID numbers and phones, when their role
/// reads those in full there (PIPL: every full read of personal data is recorded). Lists are
/// always masked; detail views and exports call this.
pub async fn full_read(conn: &mut Conn, actor: &Actor, entity: &str, entity_id: i64, at: &(dyn InOrg + Sync)) -> AppResult<()> {
    if actor.scope::<cap::ReadSensitive>().covers(at.org_ref().1) {
        record(conn, Some(actor), &format!("{entity}.view_sensitive"), entity, Some(entity_id), at, None, None).await?;
    }
    Ok(())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub username: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Entries about orgs in `scope` under `root_path`, newest first.
/// Scope follows the org's current place in the tree.
pub async fn list(
    conn: &mut Conn,
    scope: &Scope<cap::ReadAudit>,
    root_path: &str,
    entity: Option<(&str, i64)>,
    before_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<AuditEntry>> {
    let scope = scope.within(root_path);
    let mut sql = Sql::new(
        "SELECT a.id, a.at, a.username, a.action, a.entity, a.entity_id, a.org_id, o.name AS org_name, a.before_json, a.after_json \
         FROM audit_log a JOIN orgs o ON o.id = a.org_id WHERE 1=1",
    );
    scope.push_filter(&mut sql, "o.path");
    if let Some((e, id)) = entity {
        sql.push(" AND a.entity = ").bind(e).push(" AND a.entity_id = ").bind(id);
    }
    if let Some(b) = before_id {
        sql.push(" AND a.id < ").bind(b);
    }
    sql.push(" ORDER BY a.id DESC LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                username: r.try_get("username")?,
                action: r.try_get("action")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                org_id: r.try_get("org_id")?,
                org_name: r.try_get("org_name")?,
                before: r.try_get("before_json")?,
                after: r.try_get("after_json")?,
            })
        })
        .collect()
}

/// Chinese label for an action code.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "org.create" => "新建党组织",
        "org.update" => "修改党组织",
        "org.move" => "调整隶属关系",
        "org.dissolve" => "撤销党组织",
        "member.create" => "新增党员",
        "member.update" => "修改党员信息",
        "member.transfer" => "组织关系转接",
        "member.view_sensitive" => "查看完整身份证号/电话",
        "member.import" => "批量导入党员",
        "org.import" => "批量导入党组织",
        "member.export" => "导出党员名册",
        "user.create" => "新建用户",
        "user.grant" => "授予角色",
        "user.revoke" => "收回角色",
        "user.password" => "重置密码",
        "auth.login" => "登录",
        _ => "其他操作",
    }
}
