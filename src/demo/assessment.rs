//! Demo star ratings, made through the store: every branch of the first township is rated for
//! last year (assessors' entries with evidence for the items the records do not measure, the
//! “十有” checks, the rating from the scorecard), a few appeal and are reviewed, the best carry
//! titles; this year about half the branches already have their entries, none is rated yet.
//! Elsewhere in the county the board shows each branch's stars from its records.

use chrono::Datelike;
use sqlx::Row as _;

use crate::assessment::store::{self as assess, AppealInput, EntryInput, RateInput, ReviewInput, TitleInput};
use crate::auth::roles::{Actor, Grant, Role};
use crate::config::Rules;
use crate::db::Db;
use crate::error::AppResult;

fn actor(id: i64, path: &str, name: &str) -> Actor {
    Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: "县委组织部考评组".into(),
        member_id: None,
        grants: vec![Grant { role: Role::CountyAdmin, org_id: id, org_path: path.into(), org_name: name.into() }],
        csrf: None,
        must_change_password: false,
    }
}

const NOTES: [(&str, &str); 5] = [
    ("term", "查阅换届选举请示、批复和选举结果报告，按期换届"),
    ("secretary", "书记述职评议结果和群众测评表"),
    ("records", "查阅制度上墙照片、会议记录本和党员档案"),
    ("venue", "实地查看党群服务中心，面积、标识和设施"),
    ("funds", "查阅工作经费和服务群众专项经费台账"),
];

#[derive(Default)]
pub struct Loaded {
    pub rated: usize,
    pub entries: usize,
}

/// Points out of `max` for branch `i`: most near full, a few well short.
fn points(i: usize, k: usize, max: i64) -> String {
    // Each branch has its own standard (0 to 9 tenths of 6% lost per item), and a weak item now and then.
    let quality = ((i * 7) % 10) as i64;
    let lost = if (i + k).is_multiple_of(9) { max * 4 } else { max * 10 * quality * 6 / 100 + max * (((i * 7 + k * 3) % 4) as i64) / 10 };
    let t = (max * 10 - lost).max(0);
    format!("{}.{}", t / 10, t % 10)
}

pub async fn load(db: &Db, cfg: &Rules, town_id: i64) -> AppResult<Loaded> {
    let mut out = Loaded::default();
    let this_year = crate::db::today().year();
    let mut conn = db.pool.acquire().await?;
    let Some(root) = sqlx::query("SELECT id, path, name FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *conn).await? else {
        return Ok(out);
    };
    let a = actor(root.try_get("id")?, &root.try_get::<String, _>("path")?, &root.try_get::<String, _>("name")?);
    let town_path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1").bind(town_id).fetch_one(&mut *conn).await?;
    let branches: Vec<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE kind IN ('branch', 'general_branch') AND dissolved_on IS NULL AND path >= $1 AND path < $2 ORDER BY path")
        .bind(&town_path)
        .bind(crate::db::path::upper(&town_path))
        .fetch_all(&mut *conn)
        .await?;
    drop(conn);
    let (rubric, _) = {
        let mut conn = db.pool.acquire().await?;
        let org = crate::orgs::store::get(&mut conn, town_id).await?.ok_or(crate::error::AppError::NotFound)?;
        assess::rubric_for(&mut conn, cfg, &org).await?
    };
    for (i, &id) in branches.iter().enumerate() {
        let mut tx = db.begin_bulk().await?;
        // Last year: every item entered and checked, then rated.
        for (k, (item, note)) in NOTES.iter().enumerate() {
            let max = rubric.item(item).map_or(0, |x| x.points);
            let input = EntryInput { year: Some(this_year - 1), item: Some((*item).into()), points: Some(points(i, k, max)), note: Some((*note).into()), ..Default::default() };
            assess::enter(&mut tx, &a, cfg, id, &input).await?;
            out.entries += 1;
        }
        for (k, h) in ["venue", "rules", "funds", "service"].iter().enumerate() {
            let input = EntryInput { year: Some(this_year - 1), item: Some(format!("ten:{h}")), met: Some(!((i * 7) % 10 >= 6 && k == i % 4)), note: Some("对照“十有”标准逐项核查".into()), ..Default::default() };
            assess::enter(&mut tx, &a, cfg, id, &input).await?;
            out.entries += 1;
        }
        let c = assess::rate(db, &mut tx, &a, cfg, id, &RateInput { year: Some(this_year - 1), note: None }).await?;
        out.rated += 1;
        // One branch in eight appeals; the review raises it by a star when it was short by little.
        if i % 8 == 5 {
            let reason = "活动阵地已于年底前完成改造，请求复核“活动阵地”得分";
            assess::appeal(db, &mut tx, &a, cfg, id, &AppealInput { year: Some(this_year - 1), reason: Some(reason.into()) }).await?;
            if i % 16 != 13 {
                let stars = (c.rated_stars.unwrap_or(0) + 1).min(5);
                let note = "实地复核：阵地改造已完成，“活动阵地”按满分计，星级上调一星";
                assess::review(db, &mut tx, &a, cfg, id, &ReviewInput { year: Some(this_year - 1), stars: Some(stars), note: Some(note.into()) }).await?;
            }
        }
        // Titles for the strongest.
        let stars = assess::card(db, &mut tx, &a.scope(), cfg, id, this_year - 1).await?.rated_stars.unwrap_or(0);
        for t in &rubric.titles {
            if stars >= t.min_stars as i64 && (i + t.code.len()) % 3 == 0 {
                let document = format!("县组通〔{}〕{}号", this_year, 10 + i % 20);
                assess::title(db, &mut tx, &a, cfg, id, &TitleInput { title: Some(t.code.clone()), year: Some(this_year - 1), document: Some(document), revoke: false }).await?;
            }
        }
        // This year: entries under way in half the branches.
        if i % 2 == 0 {
            for (k, (item, note)) in NOTES.iter().enumerate().take(3) {
                let max = rubric.item(item).map_or(0, |x| x.points);
                let input = EntryInput { year: Some(this_year), item: Some((*item).into()), points: Some(points(i + 1, k, max)), note: Some((*note).into()), ..Default::default() };
                assess::enter(&mut tx, &a, cfg, id, &input).await?;
                out.entries += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(out)
}
