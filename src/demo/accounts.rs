//! One account per role on the demo county, so a newcomer can try each role's day: a township
//! office, a village secretary, a member of that village (linked to their record, so they can
//! sign in at the door) and its grid worker (put on the village's first full grid). Created only together
//! with the demo data; remove them before real use (`README`, "The demo county").

use sqlx::Row as _;

use crate::auth::store::{create_user, NewUser};
use crate::db::Db;
use crate::error::AppResult;

/// (username, role, org name) of each account made; a username already taken is skipped.
pub async fn create(db: &Db, password: &str) -> AppResult<Vec<(String, &'static str, String)>> {
    // The first village with grids (the governance demo's township), its township and people.
    let Some(village) = sqlx::query("SELECT o.id, o.name, o.parent_id FROM grids g JOIN orgs o ON o.id = g.org_id WHERE o.kind = 'branch' ORDER BY g.id LIMIT 1")
        .fetch_optional(&db.pool)
        .await?
    else {
        return Ok(vec![]);
    };
    let (village_id, village_name, town_id): (i64, String, i64) = (village.try_get("id")?, village.try_get("name")?, village.try_get("parent_id")?);
    let town_name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1").bind(town_id).fetch_one(&db.pool).await?;
    let path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1").bind(village_id).fetch_one(&db.pool).await?;
    let hi = crate::db::path::upper(&path);
    let secretary: Option<i64> = sqlx::query_scalar("SELECT id FROM members WHERE org_path = $1 AND (posts = 'secretary' OR posts LIKE 'secretary,%') ORDER BY id LIMIT 1")
        .bind(&path)
        .fetch_optional(&db.pool)
        .await?;
    let member: Option<i64> = sqlx::query_scalar("SELECT id FROM members WHERE org_path >= $1 AND org_path < $2 AND posts = '' ORDER BY id LIMIT 1")
        .bind(&path)
        .bind(&hi)
        .fetch_optional(&db.pool)
        .await?;
    // (username, display name, role, org, member record, org name)
    type Plan<'a> = (&'a str, &'a str, &'static str, i64, Option<i64>, &'a str);
    let plan: [Plan; 4] = [
        ("town", "乡镇党委演示账号", "org_admin", town_id, None, town_name.as_str()),
        ("secretary", "村党支部书记演示账号", "branch_secretary", village_id, secretary, village_name.as_str()),
        ("member", "党员演示账号", "member", village_id, member, village_name.as_str()),
        ("grid", "网格员演示账号", "grid_worker", village_id, None, village_name.as_str()),
    ];
    let mut out = Vec::new();
    for (username, display, role, org_id, member_id, org_name) in plan {
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = $1").bind(username).fetch_one(&db.pool).await?;
        if taken > 0 {
            continue;
        }
        let u = NewUser {
            username: username.into(),
            display_name: Some(display.into()),
            password: password.into(),
            role: role.into(),
            org_id,
            member_id,
            generated: false,
        };
        let id = create_user(db, None, &u).await?;
        if role == "grid_worker" {
            // The village's first full grid and its micro-grids.
            let full: Option<i64> = sqlx::query_scalar("SELECT id FROM grids WHERE org_id = $1 AND parent_grid_id IS NULL ORDER BY id LIMIT 1")
                .bind(village_id)
                .fetch_optional(&db.pool)
                .await?;
            sqlx::query("UPDATE grids SET worker_user_id = $1 WHERE id = $2 OR parent_grid_id = $2").bind(id).bind(full).execute(&db.pool).await?;
        }
        out.push((username.to_string(), crate::auth::roles::Role::parse(role).map(|r| r.label()).unwrap_or(role), org_name.to_string()));
    }
    Ok(out)
}
