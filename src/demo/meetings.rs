//! Generated meetings for the demo tree, from January of last year up to the day it runs, so
//! compliance has something to judge: most orgs hold every required meeting, a few (about 6%)
//! leave out about a third of them; meetings of the next three weeks stand as plans.
//! Deterministic for a seed and a date.

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use sqlx::Row as _;

use crate::db::{Db, Sql};
use crate::error::AppResult;
use crate::members::model::Post;

/// Orgs that neglect their meetings, per mille, and the share of meetings they leave out.
const WEAK_PER_MILLE: u32 = 60;
const WEAK_SKIP_PER_MILLE: u32 = 350;
/// What a diligent org still leaves out now and then.
const SKIP_PER_MILLE: u32 = 4;
/// Meetings up to this many days ahead are planned; later ones are not generated yet.
const PLAN_AHEAD_DAYS: i64 = 21;

struct Plan {
    kind: &'static str,
    /// Months between meetings: 1 monthly, 3 quarterly, 12 yearly.
    every: u32,
}

const BRANCH: &[Plan] = &[
    Plan { kind: "general_assembly", every: 3 },
    Plan { kind: "party_lecture", every: 3 },
    Plan { kind: "theme_day", every: 1 },
    Plan { kind: "life_meeting", every: 12 },
    Plan { kind: "member_review", every: 12 },
    Plan { kind: "heart_to_heart", every: 12 },
];
const COMMITTEE: Plan = Plan { kind: "committee", every: 1 };
const GROUP: Plan = Plan { kind: "group_meeting", every: 1 };
const LEADERSHIP: Plan = Plan { kind: "democratic_life_meeting", every: 12 };

fn topic(kind: &str) -> &'static str {
    match kind {
        "general_assembly" => "学习贯彻党的创新理论，讨论支部重要事项",
        "party_lecture" => "书记讲党课",
        "theme_day" => "主题党日：重温入党誓词、交纳党费",
        "committee" => "研究本月支部工作",
        "group_meeting" => "党小组学习",
        "life_meeting" => "年度组织生活会",
        "member_review" => "民主评议党员",
        "heart_to_heart" => "谈心谈话",
        _ => "民主生活会",
    }
}

/// Inserts the meetings of every branch, group and committee from 1 January of `first_year`
/// to `today`: held and closed up to today, planned for the next three weeks.
pub async fn load(db: &Db, first_year: i32, today: NaiveDate, seed: u64) -> AppResult<usize> {
    let mut conn = db.pool.acquire().await?;
    let orgs = sqlx::query("SELECT id, path, kind, founded_on FROM orgs WHERE dissolved_on IS NULL AND kind IN ('branch', 'group', 'committee', 'working_committee')")
        .fetch_all(&mut *conn)
        .await?;
    let mut seats: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for r in sqlx::query("SELECT org_path, posts FROM members WHERE posts <> ''").fetch_all(&mut *conn).await? {
        let posts: String = r.try_get("posts")?;
        if posts.split(',').filter_map(Post::parse).any(|p| p.is_committee_seat()) {
            *seats.entry(r.try_get("org_path")?).or_default() += 1;
        }
    }
    drop(conn);
    let now = crate::db::now_secs();
    let mut rows: Vec<(i64, &'static str, i64, Option<String>)> = Vec::new();
    for r in &orgs {
        let id: i64 = r.try_get("id")?;
        let kind: String = r.try_get("kind")?;
        let path: String = r.try_get("path")?;
        let founded = r.try_get::<Option<String>, _>("founded_on")?.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        let mut plans: Vec<&Plan> = Vec::new();
        match kind.as_str() {
            "branch" => {
                plans.extend(BRANCH.iter());
                if seats.get(&path).copied().unwrap_or(0) >= 3 {
                    plans.push(&COMMITTEE);
                }
            }
            "group" => plans.push(&GROUP),
            _ => plans.push(&LEADERSHIP),
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let skip = if rng.gen_range(0..1000) < WEAK_PER_MILLE { WEAK_SKIP_PER_MILLE } else { SKIP_PER_MILLE };
        for year in first_year..=today.year() {
            for p in &plans {
                let mut month = 1;
                while month <= 12 {
                    let span = p.every.min(12);
                    let m = month + rng.gen_range(0..span);
                    let day = rng.gen_range(1..=25);
                    month += span;
                    let Some(date) = NaiveDate::from_ymd_opt(year, m, day) else { continue };
                    let skipped = rng.gen_range(0..1000) < skip;
                    if founded.is_some_and(|f| f > date) || skipped || (date - today).num_days() > PLAN_AHEAD_DAYS {
                        continue;
                    }
                    let start = crate::db::china::at(date, 9, 0, 0);
                    rows.push((id, p.kind, start, (date <= today).then(|| date.to_string())));
                }
            }
        }
    }
    // The default "6+" list: every required item and the first optional one.
    let list = crate::meetings::theme_day::Checklist::default();
    let theme_items = crate::meetings::theme_day::join(&[list.required.clone(), list.optional[..1].to_vec()].concat());
    let mut tx = db.begin_bulk().await?;
    let conn: &mut crate::db::Conn = &mut tx;
    let rebuild = crate::db::drop_secondary_indexes(conn, "meetings").await?;
    let base: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meetings").fetch_one(&mut *conn).await?;
    for (ci, chunk) in rows.chunks(500).enumerate() {
        let mut sql = Sql::bulk(
            conn,
            "INSERT INTO meetings (org_id, kind, topic, place, planned_start, planned_end, held_on, minutes, state, signin_token, created_at, updated_at, closed_at, items_done) VALUES ",
        );
        for (i, (org, kind, start, day)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let token = format!("demo-{}", base as usize + ci * 500 + i);
            let (minutes, state, closed_at) = match day {
                Some(_) => ("（演示数据）", "closed", Some(now)),
                None => ("", "planned", None),
            };
            sql.push("(").bind(*org).push(", ").bind(*kind).push(", ").bind(topic(kind)).push(", ").bind("党员活动室");
            sql.push(", ").bind(*start).push(", ").bind(*start + 7200).push(", ").bind(day.clone()).push(", ").bind(minutes);
            sql.push(", ").bind(state).push(", ").bind(token).push(", ").bind(now).push(", ").bind(now).push(", ").bind(closed_at);
            sql.push(", ").bind(if *kind == "theme_day" { theme_items.as_str() } else { "" }).push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    for s in &rebuild {
        sqlx::query(s).execute(&mut *conn).await?;
    }
    if rows.len() <= ATTENDANCE_UP_TO_MEETINGS {
        attendance(conn).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// Attendance rows are generated for counties and cities; a province's 4 M meetings would
/// need about 60 M rows, so there the meetings stand without them.
pub const ATTENDANCE_UP_TO_MEETINGS: usize = 200_000;

/// Who came to each held demo meeting: about 88% present (three in five by QR at the door),
/// 8% excused with a reason, 4% absent,
/// deterministic from the ids. Committees count their seat holders only. CROSS JOIN keeps
/// SQLite's planner walking meetings first (it otherwise scans members with an automatic index).
async fn attendance(conn: &mut crate::db::Conn) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO meeting_attendance (meeting_id, member_id, status, reason, means, at) \
         SELECT m.id, mb.id, \
           CASE WHEN (m.id * 7 + mb.id * 13) % 100 < 88 THEN 'present' WHEN (m.id * 7 + mb.id * 13) % 100 < 96 THEN 'excused' ELSE 'absent' END, \
           CASE WHEN (m.id * 7 + mb.id * 13) % 100 >= 88 AND (m.id * 7 + mb.id * 13) % 100 < 96 THEN \
             CASE (m.id + mb.id) % 3 WHEN 0 THEN '外出务工' WHEN 1 THEN '生病住院' ELSE '照顾家人' END ELSE '' END, \
           CASE WHEN (m.id * 7 + mb.id * 13) % 100 < 88 AND (m.id + mb.id) % 5 < 3 THEN 'qr' ELSE 'manual' END, m.planned_start \
         FROM meetings m CROSS JOIN orgs o CROSS JOIN members mb \
         WHERE o.id = m.org_id AND mb.org_path >= o.path AND mb.org_path < substr(o.path, 1, length(o.path) - 1) || '0' \
           AND m.signin_token LIKE 'demo-%' AND m.state = 'closed' \
           AND (m.kind NOT IN ('committee', 'democratic_life_meeting') \
                OR (mb.org_path = o.path AND (mb.posts LIKE '%secretary%' OR mb.posts LIKE '%commi%')))",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
