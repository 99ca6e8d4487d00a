//! Users, role grants, sessions and the login throttle.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row as _;

use super::password;
use super::roles::{Actor, Grant, Perm, Role};
use super::scope::{cap, Scope};
use crate::audit;
use crate::config::AuthRules;
use crate::db::{now_secs, Conn, Db, Sql};
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

/// One throttle key: an account (`user:NAME`) or an address (`addr:IP`).
struct Throttle {
    key: String,
    /// Failures after which each attempt must wait (1 s, doubling); None: never slowed.
    slow_after: Option<i64>,
    lock_after: i64,
    lock_minutes: i64,
}

/// Counts this attempt as a failure before the password is looked at, so parallel guesses are
/// each charged first and refused once the count is reached; a success refunds it ([`refund`]).
/// Failures older than the lock period are forgotten.
async fn charge(conn: &mut Conn, t: &Throttle, now: i64) -> AppResult<()> {
    let row = sqlx::query("SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE username = $1")
        .bind(&t.key)
        .fetch_optional(&mut *conn)
        .await?;
    let (mut failures, last_failure, locked_until) = match &row {
        Some(r) => (r.try_get::<i64, _>("failures")?, r.try_get::<i64, _>("last_failure_at")?, r.try_get::<i64, _>("locked_until")?),
        None => (0, 0, 0),
    };
    if locked_until > now {
        let mins = (locked_until - now + 59) / 60;
        let message = if t.key.starts_with("addr:") {
            format!("该网络地址登录失败次数过多，已暂停登录，请 {mins} 分钟后再试")
        } else {
            format!("登录失败次数过多，账号已暂时锁定，请 {mins} 分钟后再试，或联系管理员重置密码")
        };
        return Err(AppError::TooManyRequests { code: "login_locked", message, retry_after_secs: (locked_until - now) as u64 });
    }
    if now - last_failure > t.lock_minutes * 60 {
        failures = 0;
    }
    if let Some(slow) = t.slow_after.filter(|s| failures >= *s) {
        let wait = 1i64 << (failures - slow).min(8);
        if now < last_failure + wait {
            return Err(AppError::TooManyRequests {
                code: "login_too_fast",
                message: format!("登录失败次数较多，请 {} 秒后再试", last_failure + wait - now),
                retry_after_secs: (last_failure + wait - now) as u64,
            });
        }
    }
    let failures = failures + 1;
    let locked = if failures >= t.lock_after { now + t.lock_minutes * 60 } else { 0 };
    sqlx::query(
        "INSERT INTO login_throttle (username, failures, last_failure_at, locked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
    )
    .bind(&t.key)
    .bind(if locked > 0 { 0 } else { failures })
    .bind(now)
    .bind(locked)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A successful login clears its account's failures and gives the address its charge back.
async fn refund(conn: &mut Conn, user: &Throttle, addr: Option<&Throttle>) -> AppResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE username = $1").bind(&user.key).execute(&mut *conn).await?;
    if let Some(a) = addr {
        sqlx::query("UPDATE login_throttle SET failures = failures - 1 WHERE username = $1 AND failures > 0").bind(&a.key).execute(&mut *conn).await?;
    }
    Ok(())
}

/// What a successful sign-in gives: the session, and whether the password must be changed first.
pub struct SignedIn {
    pub session: NewSession,
    pub must_change_password: bool,
}

/// Signs in with a username and password, for the login form and the API alike:
/// 1. charges the attempt to the account's and the address's throttle (its own transaction),
/// 2. checks the password with argon2 on a blocking thread, outside any transaction,
/// 3. opens the session and refunds the charge.
pub async fn sign_in(db: &Db, rules: &AuthRules, username: &str, pw: &str, addr: Option<std::net::IpAddr>, kind: SessionKind) -> AppResult<SignedIn> {
    let username = username.trim();
    let user_t = Throttle { key: format!("user:{username}"), slow_after: Some(rules.slow_after_failures), lock_after: rules.lock_after_failures, lock_minutes: rules.lock_minutes };
    let addr_t = addr.map(|a| Throttle { key: format!("addr:{a}"), slow_after: None, lock_after: rules.address_failures, lock_minutes: rules.lock_minutes });
    let now = now_secs();
    crate::write_tx!(db, |tx| {
        charge(&mut tx, &user_t, now).await?;
        if let Some(a) = &addr_t {
            charge(&mut tx, a, now).await?;
        }
        Ok::<_, AppError>(())
    })?;
    // A read outside `write_tx!`: tried again on the transient errors it retries (SQLITE_CANTOPEN).
    let mut attempt = 0;
    let user = loop {
        attempt += 1;
        let read = async {
            let mut conn = db.pool.acquire().await?;
            Ok::<_, AppError>(
                sqlx::query("SELECT id, password_hash, disabled, must_change_password FROM users WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&mut *conn)
                    .await?,
            )
        }
        .await;
        match read {
            Err(e) if e.is_retryable() && attempt < 5 => tokio::time::sleep(crate::db::retry_delay(attempt)).await,
            other => break other?,
        }
    };
    let (user_id, hash, usable, must_change) = match &user {
        Some(r) => (
            r.try_get::<i64, _>("id")?,
            r.try_get::<String, _>("password_hash")?,
            r.try_get::<i64, _>("disabled")? == 0,
            r.try_get::<i64, _>("must_change_password")? != 0,
        ),
        // Unknown users cost the same hash as known ones, so timing does not reveal them.
        None => (0, password::dummy_hash().to_string(), false, false),
    };
    let pw = pw.to_string();
    let verified = password::verify_off_runtime(pw, hash).await?;
    if !(verified && usable) {
        return Err(AppError::invalid("bad_credentials", "用户名或密码错误"));
    }
    let session = crate::write_tx!(db, |tx| {
        refund(&mut tx, &user_t, addr_t.as_ref()).await?;
        create_session(&mut tx, rules, user_id, kind).await
    })?;
    Ok(SignedIn { session, must_change_password: must_change })
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
    super::cache::forget_all();
    Ok(())
}

/// [`actor_for_token`] that takes a connection only when the session is not cached.
pub async fn actor_for(db: &crate::db::Db, token: &str, kind: SessionKind) -> AppResult<Option<Actor>> {
    if let Some(a) = super::cache::get(&token_hash(token), kind.code(), now_secs()) {
        return Ok(Some(a));
    }
    let mut conn = db.pool.acquire().await?;
    actor_for_token(&mut conn, token, kind).await
}

/// The actor behind a session token, if it is valid.
pub async fn actor_for_token(conn: &mut Conn, token: &str, kind: SessionKind) -> AppResult<Option<Actor>> {
    let (hash, now) = (token_hash(token), now_secs());
    if let Some(a) = super::cache::get(&hash, kind.code(), now) {
        return Ok(Some(a));
    }
    let row = sqlx::query(
        "SELECT s.user_id, s.csrf_token, s.expires_at, u.username, u.display_name, u.member_id, u.must_change_password FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > $3 AND u.disabled = 0",
    )
    .bind(&hash)
    .bind(kind.code())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let user_id: i64 = r.try_get("user_id")?;
    let actor = Actor {
        user_id,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        member_id: r.try_get("member_id")?,
        grants: grants(conn, user_id).await?,
        csrf: if kind == SessionKind::Web { Some(r.try_get("csrf_token")?) } else { None },
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
    };
    super::cache::put(&hash, kind.code(), &actor, r.try_get("expires_at")?);
    Ok(Some(actor))
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
    /// The password was generated (first start): its owner must change it at the first sign-in.
    #[serde(skip)]
    pub generated: bool,
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
/// The password is checked and hashed on a blocking thread before the write transaction.
pub async fn create_user(db: &Db, actor: Option<&Actor>, u: &NewUser) -> AppResult<i64> {
    // Scope before content: a caller who may not grant there learns nothing from validation.
    authorize(&mut *db.pool.acquire().await?, actor, u).await?;
    check_username(&u.username)?;
    password::check_strength(&u.password, &u.username).map_err(|m| AppError::invalid_field("weak_password", "password", m))?;
    let pw = u.password.clone();
    let hash = password::hash_off_runtime(pw).await?;
    crate::write_tx!(db, |tx| insert_user(&mut tx, actor, u, &hash).await)
}

/// The role and org of a new user, if `actor` may grant that role there (and see the member).
async fn authorize(conn: &mut Conn, actor: Option<&Actor>, u: &NewUser) -> AppResult<(Role, crate::orgs::model::Org)> {
    // Where first (out of scope looks like not-found), then whether users are managed there.
    let org = match actor {
        Some(a) => {
            let org = orgs::get_scoped(conn, &a.scope::<cap::ReadOrgs>(), u.org_id).await?;
            if !a.can(Perm::ManageUsers, &org.path) {
                return Err(AppError::forbidden("您的角色无权在该组织管理账号"));
            }
            org
        }
        None => orgs::get(conn, u.org_id).await?.ok_or(AppError::NotFound)?,
    };
    let role = Role::parse(&u.role)
        .ok_or_else(|| AppError::invalid_field("role_invalid", "role", format!("无效的角色，可选：{}", Role::labels())))?;
    if let Some(a) = actor {
        if !a.may_grant(role, &org.path) {
            return Err(AppError::forbidden(format!("您无权在“{}”授予“{}”角色", org.name, role.label())));
        }
    }
    if let Some(mid) = u.member_id {
        let m = crate::members::store::get(conn, mid).await?.ok_or(AppError::NotFound)?;
        if actor.is_some_and(|a| !a.scope::<cap::ReadMembers>().covers(&m.org_path)) {
            return Err(AppError::NotFound);
        }
    }
    Ok((role, org))
}

async fn insert_user(conn: &mut Conn, actor: Option<&Actor>, u: &NewUser, hash: &str) -> AppResult<i64> {
    let (role, org) = authorize(conn, actor, u).await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1").bind(&u.username).fetch_optional(&mut *conn).await?;
    if exists.is_some() {
        return Err(AppError::conflict("username_taken", format!("用户名“{}”已存在", u.username)));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, member_id, disabled, must_change_password, created_at) VALUES ($1, $2, $3, $4, 0, $5, $6) RETURNING id",
    )
    .bind(&u.username)
    .bind(u.display_name.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| u.username.clone()))
    .bind(hash)
    .bind(u.member_id)
    // An administrator chose this password: its owner replaces it at the first sign-in.
    .bind(if actor.is_some() || u.generated { 1i64 } else { 0i64 })
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
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadOrgs>(), g.org_id).await?;
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
    super::cache::forget_all();
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
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ManageUsers>(), org_id).await?;
    let role = Role::parse(&role).unwrap_or(Role::Member);
    if !actor.may_grant(role, &org.path) {
        return Err(AppError::forbidden("您无权收回该角色"));
    }
    if user_id == actor.user_id && actor.grants.len() <= 1 {
        return Err(AppError::invalid("last_own_role", "不能收回自己的最后一个角色"));
    }
    sqlx::query("DELETE FROM user_roles WHERE id = $1").bind(role_id).execute(&mut *conn).await?;
    super::cache::forget_all();
    let before = serde_json::json!({"user_id": user_id, "role": role.code(), "org_id": org_id});
    audit::record(conn, Some(actor), "user.revoke", "user", Some(user_id), &org, Some(&before), None).await?;
    Ok(())
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub password: String,
    /// Required to change one's own password.
    pub current_password: Option<String>,
}

/// Sets a password. One's own needs the current password; an administrator's reset of another
/// user (in their scope) makes that user change it at the next sign-in. Hashing runs on a
/// blocking thread, outside the transaction; every session of the user ends.
pub async fn change_password(db: &Db, actor: &Actor, user_id: i64, input: &PasswordChange) -> AppResult<()> {
    let own = user_id == actor.user_id;
    let (username, stored): (String, String) = {
        let mut conn = db.pool.acquire().await?;
        if !own {
            user_in_scope(&mut conn, actor, user_id).await?;
        }
        let r = sqlx::query("SELECT username, password_hash FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
        (r.try_get("username")?, r.try_get("password_hash")?)
    };
    password::check_strength(&input.password, &username).map_err(|m| AppError::invalid_field("weak_password", "password", m))?;
    if own {
        let current = input.current_password.clone().unwrap_or_default();
        let ok = password::verify_off_runtime(current, stored).await?;
        if !ok {
            return Err(AppError::invalid_field("current_password_wrong", "current_password", "当前密码不正确"));
        }
    }
    let new = input.password.clone();
    let hash = password::hash_off_runtime(new).await?;
    crate::write_tx!(db, |tx| {
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
            .bind(&hash)
            .bind(if own { 0i64 } else { 1i64 })
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        super::cache::forget_all();
        let root = audit_org(actor);
        let action = if own { "user.password" } else { "user.password_reset" };
        audit::record(&mut tx, Some(actor), action, "user", Some(user_id), &(root.0, root.1.as_str()), None, None).await?;
        Ok::<_, AppError>(())
    })
}

/// Where an account action by `actor` is filed in the audit log: the org of their first role.
fn audit_org(actor: &Actor) -> (i64, String) {
    actor.grants.first().map(|g| (g.org_id, g.org_path.clone())).unwrap_or((0, "/".into()))
}

/// Disables or re-enables a user in the actor's scope: a disabled user cannot sign in and every
/// session ends at once. Nobody disables themself.
pub async fn set_disabled(conn: &mut Conn, actor: &Actor, user_id: i64, disabled: bool) -> AppResult<()> {
    if user_id == actor.user_id {
        return Err(AppError::invalid("cannot_disable_self", "不能停用自己的账号"));
    }
    user_in_scope(conn, actor, user_id).await?;
    sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2").bind(if disabled { 1i64 } else { 0i64 }).bind(user_id).execute(&mut *conn).await?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    super::cache::forget_all();
    }
    let root = audit_org(actor);
    let after = serde_json::json!({ "disabled": disabled });
    audit::record(conn, Some(actor), if disabled { "user.disable" } else { "user.enable" }, "user", Some(user_id), &(root.0, root.1.as_str()), None, Some(&after)).await?;
    Ok(())
}

/// A user is in scope when all their roles lie inside the actor's user-management subtrees. A
/// user without roles belongs to the subtree of their member record, if any; otherwise only to
/// an admin of the whole tree (a role at a root org), never to every admin.
async fn user_in_scope(conn: &mut Conn, actor: &Actor, user_id: i64) -> AppResult<()> {
    let gs = grants(conn, user_id).await?;
    let member_path: Option<Option<String>> =
        sqlx::query_scalar("SELECT m.org_path FROM users u LEFT JOIN members m ON m.id = u.member_id WHERE u.id = $1")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(member_path) = member_path else { return Err(AppError::NotFound) };
    let scope = actor.scope::<cap::ManageUsers>();
    let ok = if gs.is_empty() {
        match member_path {
            Some(p) => scope.covers(&p),
            None => scope.prefixes().iter().any(|s| crate::db::path::ids(s).len() == 1),
        }
    } else {
        gs.iter().all(|g| scope.covers(&g.org_path))
    };
    if scope.is_empty() || !ok {
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

/// Users holding a role inside `scope`.
pub async fn list_users(conn: &mut Conn, scope: &Scope<cap::ManageUsers>) -> AppResult<Vec<UserView>> {
    let mut sql = Sql::new(
        "SELECT r.id AS role_id, r.role, r.org_id, o.name AS org_name, u.id, u.username, u.display_name, u.member_id, u.disabled \
         FROM user_roles r JOIN users u ON u.id = r.user_id JOIN orgs o ON o.id = r.org_id WHERE 1=1",
    );
    scope.push_filter(&mut sql, "o.path");
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

/// A user offered by the picker (e.g. a grid worker to put on a grid).
#[derive(Clone, Debug, Serialize)]
pub struct UserChoice {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role_label: String,
    pub org_name: String,
}

/// Up to `limit` enabled grid workers (the only users a form picks: a grid's 网格员) holding the
/// role inside the actor's subtrees for grids and residents, whose username or name starts with `q`.
pub async fn pick_users(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, q: &str, limit: i64) -> AppResult<Vec<UserChoice>> {
    let mut sql = Sql::new(
        "SELECT u.id, u.username, u.display_name, r.role, o.name AS org_name FROM user_roles r \
         JOIN users u ON u.id = r.user_id JOIN orgs o ON o.id = r.org_id WHERE u.disabled = 0 AND r.role = 'grid_worker'",
    );
    let q = q.trim();
    if !q.is_empty() {
        sql.push(" AND (u.username >= ").bind(q.to_string()).push(" AND u.username < ").bind(format!("{q}\u{10FFFF}"));
        sql.push(" OR u.display_name >= ").bind(q.to_string()).push(" AND u.display_name < ").bind(format!("{q}\u{10FFFF}")).push(")");
    }
    scope.push_filter(&mut sql, "o.path");
    sql.push(" ORDER BY u.username, o.path LIMIT ").bind(limit * 3);
    let mut out: Vec<UserChoice> = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let id: i64 = r.try_get("id")?;
        if out.iter().any(|u| u.id == id) {
            continue;
        }
        let role: String = r.try_get("role")?;
        out.push(UserChoice {
            id,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            role_label: Role::parse(&role).map(|x| x.label()).unwrap_or("").to_string(),
            org_name: r.try_get("org_name")?,
        });
        if out.len() as i64 >= limit {
            break;
        }
    }
    Ok(out)
}
