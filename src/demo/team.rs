//! Demo leadership teams: every member whose record holds 书记, 副书记 or a committee seat sits in
//! the team of their org from the start of its term (or from joining, when later).

use crate::db::Db;
use crate::error::AppResult;

/// Returns the number of seats.
pub async fn load(db: &Db) -> AppResult<u64> {
    let mut n = 0;
    for (post, like) in [
        ("secretary", "secretary"),
        ("deputy_secretary", "deputy_secretary"),
        ("member", "committee_member"),
        ("member", "organization_commissioner"),
        ("member", "propaganda_commissioner"),
        ("member", "discipline_commissioner"),
    ] {
        let sql = format!(
            "INSERT INTO org_team (org_id, member_id, post, starts_on, created_at) \
             SELECT m.org_id, m.id, '{post}', CASE WHEN o.term_start IS NOT NULL AND o.term_start > m.joined_on THEN o.term_start ELSE m.joined_on END, 0 \
             FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.left_on IS NULL AND (',' || m.posts || ',') LIKE '%,{like},%' \
             AND NOT EXISTS (SELECT 1 FROM org_team t WHERE t.org_id = m.org_id AND t.member_id = m.id AND t.post = '{post}' AND t.ends_on IS NULL)"
        );
        n += sqlx::query(&sql).execute(&db.pool).await?.rows_affected();
    }
    Ok(n)
}
