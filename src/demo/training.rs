//! A demo training class: each March's five-day rotation of branch secretaries run by the
//! root org, with sessions in the three 课堂 colors and a checked attendance for each.

use chrono::NaiveDate;
use sqlx::Row as _;

use crate::db::{Db, Sql};
use crate::error::AppResult;

const SESSIONS: &[(u32, u32, &str, &str)] = &[
    (0, 540, "red", "学习贯彻党的创新理论"),
    (0, 840, "blue", "村级组织运行规范"),
    (1, 540, "red", "党章党规党纪"),
    (1, 840, "blue", "发展党员工作流程"),
    (2, 540, "green", "廉洁从政警示教育"),
    (2, 840, "blue", "网格化治理实务"),
    (3, 540, "red", "红色教育基地现场教学"),
    (3, 840, "blue", "集体经济发展路径"),
    (4, 540, "green", "村务监督与“四议两公开”"),
    (4, 840, "red", "结业党课"),
];

/// At most this many secretaries are enrolled.
const MAX_TRAINEES: i64 = 600;

/// Returns the number of trainees enrolled.
pub async fn load(db: &Db, year: i32) -> AppResult<usize> {
    let mut tx = db.begin_bulk().await?;
    let conn: &mut crate::db::Conn = &mut tx;
    let Some(root) = sqlx::query("SELECT id, path FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *conn).await? else {
        return Ok(0);
    };
    let (root_id, root_path): (i64, String) = (root.try_get("id")?, root.try_get("path")?);
    let Some(first) = NaiveDate::from_ymd_opt(year, 3, 9) else { return Ok(0) };
    let last = first + chrono::Duration::days(4);
    if last > crate::db::today() {
        // Not held yet this year: no marks for sessions to come.
        return Ok(0);
    }
    let class_id: i64 = sqlx::query_scalar(
        "INSERT INTO training_classes (org_id, kind, title, starts_on, ends_on, place, created_at) VALUES ($1, 'rotation', $2, $3, $4, '县委党校', $5) RETURNING id",
    )
    .bind(root_id)
    .bind(format!("{year}年村（社区）党组织书记集中轮训班"))
    .bind(first.to_string())
    .bind(last.to_string())
    .bind(crate::db::now_secs())
    .fetch_one(&mut *conn)
    .await?;
    let mut sessions = Vec::new();
    for (d, start, cat, title) in SESSIONS {
        let day = first + chrono::Duration::days(*d as i64);
        let id: i64 = sqlx::query_scalar("INSERT INTO training_sessions (class_id, day, start_minute, minutes, category, title, teacher) VALUES ($1, $2, $3, 150, $4, $5, '县委党校教师') RETURNING id")
            .bind(class_id)
            .bind(day.to_string())
            .bind(*start as i64)
            .bind(*cat)
            .bind(*title)
            .fetch_one(&mut *conn)
            .await?;
        sessions.push(id);
    }
    let mut sql = Sql::new("SELECT id FROM members WHERE posts LIKE '%secretary%' AND posts NOT LIKE '%deputy_secretary%' AND org_path >= ");
    sql.bind(root_path.clone()).push(" AND org_path < ").bind(crate::db::path::upper(&root_path)).push(" ORDER BY id LIMIT ").bind(MAX_TRAINEES);
    let ids: Vec<i64> = sql.query_scalar().fetch_all(&mut *conn).await?;
    enroll_and_mark(conn, class_id, first, &sessions, &ids, |m, si| match (m as usize * 31 + si * 17) % 100 {
        0..=89 => ("present", 0, ""),
        90..=92 => ("late", 15, ""),
        93..=94 => ("left_early", 20, ""),
        95..=97 => ("excused", 0, "村里防汛值班"),
        _ => ("absent", 0, ""),
    })
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// A township's 党员冬训 for every member in its subtree: fourteen two-hour sessions a week apart
/// from the first Monday of January (37 学时 offered against the yearly 32), most present, some
/// late, excused or absent, so a few fall short. Returns the number of trainees.
pub async fn load_winter(db: &Db, town_id: i64, year: i32) -> AppResult<usize> {
    const SESSIONS: i64 = 14;
    let Some(first) = NaiveDate::from_ymd_opt(year, 1, 5) else { return Ok(0) };
    let last = first + chrono::Duration::days(3 * (SESSIONS - 1));
    if last > crate::db::today() {
        return Ok(0);
    }
    let mut tx = db.begin_bulk().await?;
    let conn: &mut crate::db::Conn = &mut tx;
    let town_path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1").bind(town_id).fetch_one(&mut *conn).await?;
    let class_id: i64 = sqlx::query_scalar("INSERT INTO training_classes (org_id, kind, title, starts_on, ends_on, place, created_at) VALUES ($1, 'special', $2, $3, $4, '镇党校', $5) RETURNING id")
        .bind(town_id)
        .bind(format!("{year}年农村党员冬训"))
        .bind(first.to_string())
        .bind(last.to_string())
        .bind(crate::db::now_secs())
        .fetch_one(&mut *conn)
        .await?;
    let titles = ["学习贯彻党的创新理论", "党章党规", "乡村振兴政策", "农业实用技术", "法治宣传", "红色家风"];
    let mut sessions = Vec::new();
    for i in 0..SESSIONS {
        let day = first + chrono::Duration::days(3 * i);
        let cat = ["red", "blue", "green"][i as usize % 3];
        let id: i64 = sqlx::query_scalar("INSERT INTO training_sessions (class_id, day, start_minute, minutes, category, title, teacher) VALUES ($1, $2, 540, 120, $3, $4, '镇党委宣讲团') RETURNING id")
            .bind(class_id)
            .bind(day.to_string())
            .bind(cat)
            .bind(titles[i as usize % titles.len()])
            .fetch_one(&mut *conn)
            .await?;
        sessions.push(id);
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM members WHERE left_on IS NULL AND org_path >= $1 AND org_path < $2 ORDER BY id")
        .bind(&town_path)
        .bind(crate::db::path::upper(&town_path))
        .fetch_all(&mut *conn)
        .await?;
    enroll_and_mark(conn, class_id, first, &sessions, &ids, |m, si| match (m as usize * 37 + si * 13 + year as usize) % 100 {
        0..=87 => ("present", 0, ""),
        88..=91 => ("late", 20, ""),
        92..=93 => ("left_early", 30, ""),
        94..=97 => ("excused", 0, "外出务工"),
        _ => ("absent", 0, ""),
    })
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// Enrolls `ids` in the class from `first` and marks each of them in every session as `mark`
/// (member, session index) says: (mark, minutes missed, reason).
async fn enroll_and_mark(
    conn: &mut crate::db::Conn,
    class_id: i64,
    first: NaiveDate,
    sessions: &[i64],
    ids: &[i64],
    mark: impl Fn(i64, usize) -> (&'static str, i64, &'static str),
) -> AppResult<()> {
    for chunk in ids.chunks(400) {
        let mut sql = Sql::bulk(conn, "INSERT INTO training_enrollments (class_id, member_id, enrolled_on) VALUES ");
        for (i, m) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(").bind(class_id).push(", ").bind(*m).push(", ").bind(first.to_string()).push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    let at = crate::db::now_secs();
    for (si, sid) in sessions.iter().enumerate() {
        for chunk in ids.chunks(400) {
            let mut sql = Sql::bulk(conn, "INSERT INTO training_marks (session_id, member_id, mark, missed_minutes, reason, at) VALUES ");
            for (i, m) in chunk.iter().enumerate() {
                let (mark, missed, reason) = mark(*m, si);
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(").bind(*sid).push(", ").bind(*m).push(", ").bind(mark).push(", ").bind(missed).push(", ").bind(reason).push(", ").bind(at).push(")");
            }
            sql.query().execute(&mut *conn).await?;
        }
    }
    Ok(())
}
