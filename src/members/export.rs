//! Exporting a subtree's members to .xlsx, streamed from the database to the writer.

use futures_util::TryStreamExt;

use super::model::Member;
use super::sheets::{write_members_xlsx, MemberExportRow};
use super::store::{from_row, MEMBER_COLS};
use crate::audit;
use crate::auth::roles::Actor;
use crate::auth::{cap, Scope};
use crate::db::{push_under, Db, Sql};
use crate::error::{AppError, AppResult};
use crate::orgs::store as orgs;
use crate::write_tx;

/// Excel's row limit, less the header.
pub const MAX_EXPORT_ROWS: i64 = 1_048_575;

/// The members of org `id`'s subtree within `scope`, as (file name, xlsx bytes). ID numbers
/// and phones are exported in full only where `sensitive` covers the root; `actor` is who
/// the audit entry names.
pub async fn members_xlsx(
    db: &Db,
    actor: &Actor,
    scope: &Scope<cap::ReadMembers>,
    sensitive: &Scope<cap::ReadSensitive>,
    id: i64,
) -> AppResult<(String, Vec<u8>)> {
    let mut conn = db.pool.acquire().await?;
    let root = orgs::get_scoped(&mut conn, scope, id).await?;
    let scope = scope.within(&root.path);
    let raw = crate::orgs::stats::load(&mut conn, root.id).await?;
    let total = raw.get("members").and_then(|m| m.get("all")).copied().unwrap_or(0);
    if total > MAX_EXPORT_ROWS {
        return Err(AppError::invalid(
            "export_too_large",
            format!("该组织共有 {total} 名党员，超过 Excel 单表上限 {MAX_EXPORT_ROWS} 行，请分下级组织导出"),
        ));
    }
    let full = sensitive.covers(&root.path);
    // Org codes and names for the subtree.
    let mut osql = Sql::new("SELECT id, code, name FROM orgs WHERE 1=1");
    push_under(&mut osql, "path", &root.path);
    let mut names = std::collections::HashMap::new();
    for r in osql.query().fetch_all(&mut *conn).await? {
        use sqlx::Row;
        names.insert(r.try_get::<i64, _>("id")?, (r.try_get::<String, _>("code")?, r.try_get::<String, _>("name")?));
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Member>(1024);
    let title = root.name.clone();
    let writer = tokio::task::spawn_blocking(move || {
        write_members_xlsx(
            &title,
            std::iter::from_fn(move || rx.blocking_recv()).map(|m| {
                let (code, name) = names.get(&m.org_id).cloned().unwrap_or_default();
                row(m, code, name, full)
            }),
        )
    });
    let mut sql = Sql::new(&format!("SELECT {MEMBER_COLS} FROM members WHERE left_on IS NULL"));
    scope.push_filter(&mut sql, "org_path");
    sql.push(" ORDER BY org_path, id");
    let mut sent = 0i64;
    {
        let mut rows = sql.query().fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            if tx.send(from_row(&r)?).await.is_err() {
                break;
            }
            sent += 1;
        }
    }
    drop(tx);
    let bytes = writer
        .await
        .map_err(|e| anyhow::anyhow!("export writer: {e}"))?
        .map_err(|e| anyhow::anyhow!("export writer: {e}"))?;
    let note = serde_json::json!({"rows": sent, "full_id_numbers": full});
    write_tx!(db, |t| audit::record(&mut t, Some(actor), "member.export", "org", Some(root.id), &root, None, Some(&note)).await)?;
    Ok((format!("{}党员名册.xlsx", root.name), bytes))
}

fn row(m: Member, org_code: String, org_name: String, full: bool) -> MemberExportRow {
    use super::id_card::{mask_id_number, mask_phone};
    MemberExportRow {
        org_code,
        org_name,
        id_number: if full { m.id_number.clone() } else { mask_id_number(&m.id_number) },
        phone: m.phone.as_deref().map(|p| if full { p.to_string() } else { mask_phone(p) }).unwrap_or_default(),
        name: m.name,
        gender: m.gender.label().into(),
        birth_date: m.birth_date,
        ethnicity: m.ethnicity,
        education: m.education.label().into(),
        joined_on: m.joined_on,
        full_on: m.full_on.unwrap_or_default(),
        status: m.status.label().into(),
        posts: m.posts.iter().map(|p| p.label()).collect::<Vec<_>>().join("、"),
        vanguard_post: m.vanguard_post.unwrap_or_default(),
        responsibility_area: m.responsibility_area.unwrap_or_default(),
        in_service: if m.in_service { "是".into() } else { "否".into() },
        work_unit: m.work_unit.unwrap_or_default(),
    }
}
