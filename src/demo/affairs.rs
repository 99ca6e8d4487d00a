//! Demo 四议两公开, recorded through the store step by step: every village and community of the
//! first township has three matters this year — one finished and published with its result, one
//! under way, and in one village of four a matter the 党员大会 voted down.

use chrono::Duration;
use sqlx::Row as _;

use crate::auth::roles::{Actor, Grant, Role};
use crate::db::{Conn, Db};
use crate::error::AppResult;
use crate::village_affairs::rules::{Step, Vote};
use crate::village_affairs::store::{self as affairs, MatterInput, StepInput};

const MATTERS: [(&str, &str); 6] = [
    ("村集体鱼塘承包", "集体资产资源处置"),
    ("村内道路硬化工程", "村级工程项目"),
    ("土地流转发展设施农业", "土地承包和流转"),
    ("光伏发电集体经济项目", "集体经济项目"),
    ("临时救助对象评定", "惠民资金和救助"),
    ("修订村规民约", "村规民约"),
];

fn actor(id: i64, path: &str, name: &str) -> Actor {
    Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: "演示数据".into(),
        member_id: None,
        grants: vec![Grant { role: Role::CountyAdmin, org_id: id, org_path: path.into(), org_name: name.into() }],
        csrf: None,
        must_change_password: false,
    }
}

/// Returns the number of matters made.
pub async fn load(db: &Db, town_id: i64) -> AppResult<usize> {
    let today = crate::db::today();
    let mut tx = db.begin_bulk().await?;
    let conn: &mut Conn = &mut tx;
    let Some(root) = sqlx::query("SELECT id, path, name FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *conn).await? else {
        return Ok(0);
    };
    let a = actor(root.try_get("id")?, &root.try_get::<String, _>("path")?, &root.try_get::<String, _>("name")?);
    let town_path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1").bind(town_id).fetch_one(&mut *conn).await?;
    let sql = format!("SELECT o.id, o.path FROM orgs o WHERE o.path >= $1 AND o.path < $2 AND {} ORDER BY o.path", crate::cadres::store::VILLAGE_WHERE);
    let villages = sqlx::query(&sql).bind(&town_path).bind(crate::db::path::upper(&town_path)).fetch_all(&mut *conn).await?;
    let mut made = 0;
    for (vi, v) in villages.iter().enumerate() {
        let org_id: i64 = v.try_get("id")?;
        let org_path: String = v.try_get("path")?;
        let members: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM members WHERE org_path >= $1 AND org_path < $2 AND status = 'full' AND left_on IS NULL")
            .bind(&org_path)
            .bind(crate::db::path::upper(&org_path))
            .fetch_one(&mut *conn)
            .await?
            .max(3);
        // (matter, days ago it started, steps to take, the 党员大会 votes it down)
        let plan = [(vi % 6, 200 + (vi as i64 * 7) % 60, 7, false), ((vi + 2) % 6, 20 + (vi as i64 * 3) % 15, 2 + vi % 4, false), ((vi + 4) % 6, 90, 4, vi % 4 == 1)];
        for (k, (mi, ago, steps, down)) in plan.into_iter().enumerate() {
            if k == 2 && !down {
                continue;
            }
            let (title, category) = MATTERS[mi];
            let m = affairs::create(conn, &a, &MatterInput { org_id: Some(org_id), title: Some(title.into()), category: Some(category.into()), summary: Some(String::new()) }).await?;
            made += 1;
            for (i, step) in Step::ALL.iter().take(steps).enumerate() {
                let on = (today - Duration::days(ago) + Duration::days(i as i64 * 4)).min(today);
                let present = members - members / 6;
                let vote = match step {
                    Step::Propose => Some(Vote { entitled: 5, present: 5, yes: 5, against: 0, abstain: 0 }),
                    Step::Discuss => Some(Vote { entitled: 9, present: 8, yes: 8, against: 0, abstain: 0 }),
                    Step::Review => Some(Vote { entitled: members, present, yes: if down { members / 3 } else { present - 1 }, against: if down { present - members / 3 } else { 1 }, abstain: 0 }),
                    Step::Resolve => Some(Vote { entitled: 31, present: 27, yes: 24, against: 2, abstain: 1 }),
                    _ => None,
                };
                let (minutes, posted) = match step {
                    Step::Consult => ("支部、村委会、村务监督委员会三方商议，同意进入“四议两公开”程序".to_string(), None),
                    Step::PublishDecision => (format!("决议：{title}按村民代表会议决议实施"), Some("村务公开栏、村民微信群，公示7天")),
                    Step::PublishResult => (format!("{title}已按决议实施完毕，账目同步公开"), Some("村务公开栏")),
                    s => (format!("{}：{title}，与会人员充分讨论", s.label()), None),
                };
                let input = StepInput { step: Some(step.code().into()), on: Some(on.to_string()), minutes: Some(minutes), vote, posted_where: posted.map(String::from) };
                let after = affairs::record_step(conn, &a, m.id, &input).await?;
                if after.state != "open" {
                    break;
                }
            }
        }
    }
    tx.commit().await?;
    Ok(made)
}
