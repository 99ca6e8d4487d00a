//! Users, role grants, sessions and the login throttle.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row as _;

use super::password;
use super::roles::{Actor, Grant, Perm, Role};
use crate::audit;
use crate::config::AuthRules;
use crate::db::{now_secs, Conn, Sql};
use crate::error::{AppError, AppResult};
use crate::orgs::store as orgs;

pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    fn code(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub expires_at: i64,
}

/// Checks the throttle, then the password. Failures are counted per username.
pub async fn login(conn: &mut Conn, rules: &AuthRules, username: &str, pw: &str) -> AppResult<i64> {
    let now = now_secs();
    let username = username.trim();
    let throttle = sqlx::query("SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?;
    let (failures, last_failure, locked_until) = match &throttle {
        Some(r) => (r.try_get::<i64, _>("failures")?, r.try_get::<i64, _>("last_failure_at")?, r.try_get::<i64, _>("locked_until")?),
        None => (0, 0, 0),
    };
    if locked_until > now {
        let mins = (locked_until - now + 59) / 60;
        return Err(AppError::TooManyRequests {
            code: "login_locked",
            message: format!("登录失败次数过多，账号已暂时锁定，请 {mins} 分钟后再试，或联系管理员重置密码"),
            retry_after_secs: (locked_until - now) as u64,
        });
    }
    if failures >= rules.slow_after_failures {
        let wait = 1i64 << (failures - rules.slow_after_failures).min(8);
        if now < last_failure + wait {
            return Err(AppError::TooManyRequests {
                code: "login_too_fast",
                message: format!("登录失败次数较多，请 {} 秒后再试", last_failure + wait - now),
                retry_after_secs: (last_failure + wait - now) as u64,
            });
        }
    }
    let user = sqlx::query("SELECT id, password_hash, disabled FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?;
    let ok = match &user {
        Some(r) => {
            let hash: String = r.try_get("password_hash")?;
            let disabled: i64 = r.try_get("disabled")?;
            password::verify(pw, &hash) && disabled == 0
        }
        None => {
            password::verify(pw, password::dummy_hash());
            false
        }
    };
    if !ok {
        let failures = failures + 1;
        let locked = if failures >= rules.lock_after_failures { now + rules.lock_minutes * 60 } else { 0 };
        sqlx::query(
            "INSERT INTO login_throttle (username, failures, last_failure_at, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
        )
        .bind(username)
        .bind(if locked > 0 { 0 } else { failures })
        .bind(now)
        .bind(locked)
        .execute(&mut *conn)
        .await?;
        return Err(AppError::invalid("bad_credentials", "用户名或密码错误"));
    }
    sqlx::query("DELETE FROM login_throttle WHERE username = $1").bind(username).execute(&mut *conn).await?;
    Ok(user.map(|r| r.try_get::<i64, _>("id")).transpose()?.unwrap_or(0))
}

pub async fn create_session(conn: &mut Conn, rules: &AuthRules, user_id: i64, kind: SessionKind) -> AppResult<NewSession> {
    let token = random_token();
    let csrf = random_token();
    let now = now_secs();
    let expires_at = match kind {
        SessionKind::Web => now + rules.session_hours * 3600,
        SessionKind::Api => now + rules.token_days * 86400,
    };
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(kind.code())
        .bind(&csrf)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(NewSession { token, csrf, expires_at })
}

pub async fn end_session(conn: &mut Conn, token: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash(token)).execute(&mut *conn).await?;
    Ok(())
}

/// The actor behind a session token, if it is valid.
pub async fn actor_for_token(conn: &mut Conn, token: &str, kind: SessionKind) -> AppResult<Option<Actor>> {
    let row = sqlx::query(
        "SELECT s.user_id, s.csrf_token, u.username, u.display_name, u.member_id FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > $3 AND u.disabled = 0",
    )
    .bind(token_hash(token))
    .bind(kind.code())
    .bind(now_secs())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let user_id: i64 = r.try_get("user_id")?;
    Ok(Some(Actor {
        user_id,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        member_id: r.try_get("member_id")?,
        grants: grants(conn, user_id).await?,
        csrf: if kind == SessionKind::Web { Some(r.try_get("csrf_token")?) } else { None },
    }))
}

pub async fn grants(conn: &mut Conn, user_id: i64) -> AppResult<Vec<Grant>> {
    let rows = sqlx::query(
        "SELECT r.role, r.org_id, o.path, o.name FROM user_roles r JOIN orgs o ON o.id = r.org_id WHERE r.user_id = $1 ORDER BY o.path",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let role: String = r.try_get("role")?;
        if let Some(role) = Role::parse(&role) {
            out.push(Grant { role, org_id: r.try_get("org_id")?, org_path: r.try_get("path")?, org_name: r.try_get("name")? });
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub password: String,
    /// county_admin, org_admin, branch_secretary, member, grid_worker
    pub role: String,
    pub org_id: i64,
    pub member_id: Option<i64>,
}

pub fn check_username(u: &str) -> AppResult<()> {
    let ok = (3..=32).contains(&u.len()) && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid_field("username_invalid", "username", "用户名为3至32位字母、数字、下划线、点或连字符"))
    }
}

/// Creates a user holding one role. `actor` None is the command line (full authority).
pub async fn create_user(conn: &mut Conn, actor: Option<&Actor>, u: &NewUser) -> AppResult<i64> {
    check_username(&u.username)?;
    password::check_strength(&u.password).map_err(|m| AppError::invalid_field("weak_password", "password", m))?;
    let role = Role::parse(&u.role)
        .ok_or_else(|| AppError::invalid_field("role_invalid", "role", format!("无效的角色，可选：{}", Role::labels())))?;
    let org = match actor {
        Some(a) => orgs::get_scoped(conn, a, Perm::ReadOrgs, u.org_id).await?,
        None => orgs::get(conn, u.org_id).await?.ok_or(AppError::NotFound)?,
    };
    if let Some(a) = actor {
        if !a.may_grant(role, &org.path) {
            return Err(AppError::forbidden(format!("您无权在“{}”授予“{}”角色", org.name, role.label())));
        }
    }
    if let Some(mid) = u.member_id {
        let m = crate::members::store::get(conn, mid).await?.ok_or(AppError::NotFound)?;
        if actor.is_some_and(|a| !a.can(Perm::ReadMembers, &m.org_path)) {
            return Err(AppError::NotFound);
        }
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1").bind(&u.username).fetch_optional(&mut *conn).await?;
    if exists.is_some() {
        return Err(AppError::conflict("username_taken", format!("用户名“{}”已存在", u.username)));
    }
    let hash = password::hash(&u.password)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, member_id, disabled, created_at) VALUES ($1, $2, $3, $4, 0, $5) RETURNING id",
    )
    .bind(&u.username)
    .bind(u.display_name.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| u.username.clone()))
    .bind(hash)
    .bind(u.member_id)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO user_roles (user_id, role, org_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(role.code())
        .bind(org.id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    let after = serde_json::json!({"username": u.username, "role": role.code(), "org_id": org.id});
    audit::record(conn, actor, "user.create", "user", Some(id), &org, None, Some(&after)).await?;
    Ok(id)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct GrantInput {
    pub role: String,
    pub org_id: i64,
}

pub async fn grant(conn: &mut Conn, actor: &Actor, user_id: i64, g: &GrantInput) -> AppResult<()> {
    user_in_scope(conn, actor, user_id).await?;
    let role = Role::parse(&g.role)
        .ok_or_else(|| AppError::invalid_field("role_invalid", "role", format!("无效的角色，可选：{}", Role::labels())))?;
    let org = orgs::get_scoped(conn, actor, Perm::ReadOrgs, g.org_id).await?;
    if !actor.may_grant(role, &org.path) {
        return Err(AppError::forbidden(format!("您无权在“{}”授予“{}”角色", org.name, role.label())));
    }
    sqlx::query("INSERT INTO user_roles (user_id, role, org_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, role, org_id) DO NOTHING")
        .bind(user_id)
        .bind(role.code())
        .bind(org.id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    let after = serde_json::json!({"user_id": user_id, "role": role.code(), "org_id": org.id});
    audit::record(conn, Some(actor), "user.grant", "user", Some(user_id), &org, None, Some(&after)).await?;
    Ok(())
}

pub async fn revoke(conn: &mut Conn, actor: &Actor, user_id: i64, role_id: i64) -> AppResult<()> {
    user_in_scope(conn, actor, user_id).await?;
    let row = sqlx::query("SELECT role, org_id FROM user_roles WHERE id = $1 AND user_id = $2")
        .bind(role_id)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let role: String = row.try_get("role")?;
    let org_id: i64 = row.try_get("org_id")?;
    let org = orgs::get_scoped(conn, actor, Perm::ManageUsers, org_id).await?;
    let role = Role::parse(&role).unwrap_or(Role::Member);
    if !actor.may_grant(role, &org.path) {
        return Err(AppError::forbidden("您无权收回该角色"));
    }
    if user_id == actor.user_id && actor.grants.len() <= 1 {
        return Err(AppError::invalid("last_own_role", "不能收回自己的最后一个角色"));
    }
    sqlx::query("DELETE FROM user_roles WHERE id = $1").bind(role_id).execute(&mut *conn).await?;
    let before = serde_json::json!({"user_id": user_id, "role": role.code(), "org_id": org_id});
    audit::record(conn, Some(actor), "user.revoke", "user", Some(user_id), &org, Some(&before), None).await?;
    Ok(())
}

pub async fn set_password(conn: &mut Conn, actor: &Actor, user_id: i64, new_password: &str) -> AppResult<()> {
    if user_id != actor.user_id {
        user_in_scope(conn, actor, user_id).await?;
    }
    password::check_strength(new_password).map_err(|m| AppError::invalid_field("weak_password", "password", m))?;
    let hash = password::hash(new_password)?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(user_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    let root = actor.grants.first().map(|g| (g.org_id, g.org_path.clone())).unwrap_or((0, "/".into()));
    audit::record(conn, Some(actor), "user.password", "user", Some(user_id), &(root.0, root.1.as_str()), None, None).await?;
    Ok(())
}

/// A user is in scope when all their roles lie inside the actor's user-management subtrees.
async fn user_in_scope(conn: &mut Conn, actor: &Actor, user_id: i64) -> AppResult<()> {
    let gs = grants(conn, user_id).await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *conn).await?;
    if exists.is_none() {
        return Err(AppError::NotFound);
    }
    let scope = actor.subtrees(Perm::ManageUsers);
    let inside = |p: &str| scope.iter().any(|s| p.starts_with(s.as_str()));
    if scope.is_empty() || gs.iter().any(|g| !inside(&g.org_path)) {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserRoleView {
    pub id: i64,
    pub role: String,
    pub role_label: String,
    pub org_id: i64,
    pub org_name: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub member_id: Option<i64>,
    pub disabled: bool,
    pub roles: Vec<UserRoleView>,
}

/// Users holding a role inside the actor's user-management subtrees.
pub async fn list_users(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<UserView>> {
    let mut sql = Sql::new(
        "SELECT r.id AS role_id, r.role, r.org_id, o.name AS org_name, u.id, u.username, u.display_name, u.member_id, u.disabled \
         FROM user_roles r JOIN users u ON u.id = r.user_id JOIN orgs o ON o.id = r.org_id WHERE 1=1",
    );
    crate::db::push_subtrees(&mut sql, "o.path", &actor.subtrees(Perm::ManageUsers));
    sql.push(" ORDER BY u.username, o.path LIMIT 2000");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    let mut out: Vec<UserView> = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let role: String = r.try_get("role")?;
        let rv = UserRoleView {
            id: r.try_get("role_id")?,
            role_label: Role::parse(&role).map(|x| x.label()).unwrap_or("").to_string(),
            role,
            org_id: r.try_get("org_id")?,
            org_name: r.try_get("org_name")?,
        };
        match out.last_mut() {
            Some(u) if u.id == id => u.roles.push(rv),
            _ => out.push(UserView {
                id,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                member_id: r.try_get("member_id")?,
                disabled: r.try_get::<i64, _>("disabled")? != 0,
                roles: vec![rv],
            }),
        }
    }
    Ok(out)
}

pub async fn user_count(conn: &mut Conn) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *conn).await?)
}
