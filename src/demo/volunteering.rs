//! Demo volunteering, built through the store as an organizer would: every village and
//! community of the first township (those with households) holds an activity about every two
//! weeks since January, with its members and residents signed up, checked in and out, and the
//! minutes confirmed (a few corrected); two more are open for sign-up. In-service members of
//! the county's organ branches report to communities (双报到) and serve there, most of them
//! each season. Members' points follow from the minutes; households are credited by the store.

use chrono::{Datelike, Duration, NaiveDate};
use sqlx::Row as _;

use crate::auth::roles::{Actor, Grant, Role};
use crate::config::Rules;
use crate::db::{Conn, Db};
use crate::error::AppResult;
use crate::volunteering::store::{self as vol, ActivityInput, AmendInput, CheckInput, ConfirmInput, SignupInput};

/// (category, titles) of the demo's activities.
const KINDS: [(&str, [&str; 2]); 7] = [
    ("环境整治", ["清理河道垃圾", "村庄环境大扫除"]),
    ("政策宣讲", ["医保政策进村入户宣讲", "防范电信诈骗宣传"]),
    ("关爱帮扶", ["走访慰问独居老人", "为留守儿童辅导作业"]),
    ("健康义诊", ["健康义诊进村", "老年人免费测血压"]),
    ("文艺汇演", ["广场文艺汇演", "重阳节敬老演出"]),
    ("法律援助", ["法律咨询进村", "农民工讨薪法律服务"]),
    ("平安巡逻", ["夜间平安巡逻", "防火安全巡查"]),
];

pub struct Loaded {
    pub activities: usize,
    pub signups: usize,
}

fn actor(root_id: i64, root_path: &str, root_name: &str) -> Actor {
    Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: "演示数据".into(),
        member_id: None,
        grants: vec![Grant { role: Role::CountyAdmin, org_id: root_id, org_path: root_path.into(), org_name: root_name.into() }],
        csrf: None,
        must_change_password: false,
    }
}

struct Place {
    id: i64,
    short: String,
    members: Vec<i64>,
    residents: Vec<i64>,
    /// In-service members reported here (双报到).
    reported: Vec<i64>,
}

async fn ids(conn: &mut Conn, sql: &str, path: &str) -> AppResult<Vec<i64>> {
    Ok(sqlx::query_scalar(sql).bind(path.to_string()).bind(crate::db::path::upper(path)).fetch_all(&mut *conn).await?)
}

pub async fn load(db: &Db, cfg: &Rules) -> AppResult<Loaded> {
    let today = crate::db::today();
    let mut tx = db.begin_bulk().await?;
    let conn: &mut Conn = &mut tx;
    let Some(root) = sqlx::query("SELECT id, path, name FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *conn).await? else {
        return Ok(Loaded { activities: 0, signups: 0 });
    };
    let a = actor(root.try_get("id")?, &root.try_get::<String, _>("path")?, &root.try_get::<String, _>("name")?);
    let rows = sqlx::query("SELECT DISTINCT o.id, o.path, o.name, o.domain FROM orgs o JOIN households h ON h.org_id = o.id ORDER BY o.id").fetch_all(&mut *conn).await?;
    let mut places = Vec::new();
    for r in &rows {
        let (id, path, name, domain): (i64, String, String, String) = (r.try_get("id")?, r.try_get("path")?, r.try_get("name")?, r.try_get("domain")?);
        let members = ids(conn, "SELECT id FROM members WHERE org_path >= $1 AND org_path < $2 AND left_on IS NULL ORDER BY id LIMIT 40", &path).await?;
        let residents = ids(conn, "SELECT r.id FROM residents r JOIN households h ON h.id = r.household_id WHERE h.org_path >= $1 AND h.org_path < $2 ORDER BY r.id LIMIT 60", &path).await?;
        let mut reported = Vec::new();
        if domain == "community" {
            // 双报到: twelve in-service members of organ branches not yet reported anywhere.
            reported = sqlx::query_scalar("SELECT m.id FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.domain = 'organ' AND m.in_service = 1 AND m.report_org_id IS NULL AND m.left_on IS NULL ORDER BY m.id LIMIT 12")
                .fetch_all(&mut *conn)
                .await?;
            let mut sql = crate::db::Sql::new("UPDATE members SET report_org_id = ");
            sql.bind(id).push(" WHERE id IN (").bind_list(reported.iter().copied()).push(")");
            if !reported.is_empty() {
                sql.query().execute(&mut *conn).await?;
            }
        }
        let short = name.trim_end_matches("党支部").trim_end_matches("党总支").trim_end_matches("党委").to_string();
        places.push(Place { id, short, members, residents, reported });
    }
    let start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let (mut activities, mut signups) = (0usize, 0usize);
    for (pi, p) in places.iter().enumerate() {
        let mut day = start + Duration::days((pi % 14) as i64);
        let mut k = pi;
        let mut days = Vec::new();
        while day < today {
            days.push(day);
            day += Duration::days(14);
        }
        // Two open for sign-up; every third place also holds one today.
        let upcoming = [today + Duration::days(3 + (pi % 4) as i64), today + Duration::days(10 + (pi % 5) as i64)];
        let with_today = pi % 3 == 0;
        for (n, d) in days.iter().chain(with_today.then_some(&today)).chain(upcoming.iter()).enumerate() {
            k += 1;
            let (category, titles) = KINDS[k % KINDS.len()];
            let past = *d < today;
            let (h0, h1) = if category == "平安巡逻" { ("19:30", "21:30") } else if k % 2 == 0 { ("08:30", "11:30") } else { ("14:30", "16:30") };
            let input = ActivityInput {
                org_id: Some(p.id),
                title: Some(titles[k % 2].into()),
                category: Some(category.into()),
                place: Some(format!("{}党群服务中心", p.short)),
                day: Some(d.to_string()),
                start: Some(h0.into()),
                end: Some(h1.into()),
                slots: Some(10 + (k % 3) as i64 * 5),
                organizer: Some(format!("{} {}", p.short, ["王书记", "李委员", "网格员张敏"][k % 3])),
                note: Some(if past { String::new() } else { "请穿志愿者马甲，自带水杯".into() }),
            };
            let v = vol::create(conn, &a, cfg, &input).await?;
            activities += 1;
            // Members and residents of the place, and (in communities) those reported there.
            let mut who: Vec<SignupInput> = Vec::new();
            for j in 0..(2 + k % 4).min(p.members.len()) {
                who.push(SignupInput { member_id: Some(p.members[(k * 3 + j) % p.members.len()]), resident_id: None });
            }
            for j in 0..(1 + k % 3).min(p.residents.len()) {
                who.push(SignupInput { member_id: None, resident_id: Some(p.residents[(k * 5 + j) % p.residents.len()]) });
            }
            if !p.reported.is_empty() {
                for j in 0..3.min(p.reported.len()) {
                    // Each reported member serves about every other activity; one in six never.
                    let m = (n * 3 + j) % p.reported.len();
                    if m % 6 != 5 {
                        who.push(SignupInput { member_id: Some(p.reported[m]), resident_id: None });
                    }
                }
            }
            who.dedup_by_key(|w| (w.member_id, w.resident_id));
            let mut made = Vec::new();
            for w in &who {
                // Refusals here (a full activity, a repeat) are checked before any write.
                if let Ok(s) = vol::add_signup(conn, &a, v.id, w).await {
                    made.push((s.id, w.member_id.is_some()));
                }
            }
            signups += made.len();
            if !past {
                continue;
            }
            for (j, (sid, _)) in made.iter().enumerate() {
                let (h, m): (u32, u32) = (h0[..2].parse().unwrap_or(8), h0[3..].parse().unwrap_or(0));
                let at_in = format!("{:02}:{:02}", h, m + (j as u32 * 4) % 15);
                vol::check(conn, &a, *sid, &CheckInput { action: Some("in".into()), at: Some(at_in) }).await?;
                if (k + j) % 5 != 0 {
                    let (h, m): (u32, u32) = (h1[..2].parse().unwrap_or(11), h1[3..].parse().unwrap_or(30));
                    let at_out = format!("{:02}:{:02}", if m >= 20 { h } else { h - 1 }, if m >= 20 { m - 20 + (j as u32 % 3) * 5 } else { 40 + (j as u32 % 3) * 5 });
                    vol::check(conn, &a, *sid, &CheckInput { action: Some("out".into()), at: Some(at_out) }).await?;
                }
            }
            vol::confirm(conn, &a, cfg, v.id, &ConfirmInput::default()).await?;
            // One activity in fifteen: the organizer corrects a volunteer's minutes afterwards.
            if k % 15 == 0 {
                if let Some((sid, _)) = made.iter().find(|(_, member)| *member) {
                    let was: i64 = sqlx::query_scalar("SELECT minutes FROM vol_signups WHERE id = $1").bind(*sid).fetch_one(&mut *conn).await?;
                    let minutes = if was >= 60 { was - 30 } else { was + 15 };
                    vol::amend(conn, &a, cfg, *sid, &AmendInput { minutes: Some(minutes), reason: Some("纸质签到表核对后更正".into()) }).await?;
                }
            }
        }
    }
    tx.commit().await?;
    Ok(Loaded { activities, signups })
}
