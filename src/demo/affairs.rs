//! Demo 四议两公开, recorded through the store step by step: every village and community of the
//! first township has three matters this year — one finished and published with its result, one
//! under way, and in one village of four a matter the 党员大会 voted down.

use chrono::{Datelike, Duration};
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

/// What [`load_powers`] made.
pub struct PowersLoaded {
    pub uses: usize,
    pub commitments: usize,
}

/// The power each kind of matter is exercised under.
fn power_of(category: &str) -> &'static str {
    match category {
        "集体资产资源处置" => "asset_disposal",
        "村级工程项目" => "village_project",
        "土地承包和流转" => "land_transfer",
        _ => "big_spending",
    }
}

/// 小微权力 uses in every village of the first township, through the store (a 四议两公开 power
/// on the village's published matter, everyday powers finished, one still under way), and
/// 承诺践诺 for last year and this year of every township and unit under the county and every
/// village of the first township (in bulk: past dates the store would refuse as “today”).
pub async fn load_powers(db: &Db, cfg: &crate::config::Rules, town_id: i64) -> AppResult<PowersLoaded> {
    use crate::village_affairs::power_store::{self as powers, UseInput, UseStepInput};
    let today = crate::db::today();
    let mut tx = db.begin_bulk().await?;
    let conn: &mut Conn = &mut tx;
    let Some(root) = sqlx::query("SELECT id, path, name FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *conn).await? else {
        return Ok(PowersLoaded { uses: 0, commitments: 0 });
    };
    let (root_id, root_path): (i64, String) = (root.try_get("id")?, root.try_get("path")?);
    let a = actor(root_id, &root_path, &root.try_get::<String, _>("name")?);
    let town_path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1").bind(town_id).fetch_one(&mut *conn).await?;
    let sql = format!("SELECT o.id, o.path FROM orgs o WHERE o.path >= $1 AND o.path < $2 AND {} ORDER BY o.path", crate::cadres::store::VILLAGE_WHERE);
    let villages = sqlx::query(&sql).bind(&town_path).bind(crate::db::path::upper(&town_path)).fetch_all(&mut *conn).await?;
    const SUBJECTS: [(&str, &str, i64, usize); 4] = [
        ("homestead", "村民宅基地建房申请", 120, 99),
        ("finance", "第三季度村级财务收支", 70, 99),
        ("seal", "出具家庭经济状况证明用印", 30, 99),
        ("assistance", "困难家庭低保申请", 12, 2),
    ];
    let mut uses = 0;
    for (vi, v) in villages.iter().enumerate() {
        let org_id: i64 = v.try_get("id")?;
        let mut plan: Vec<(String, String, Option<i64>, i64, usize)> = SUBJECTS.iter().map(|(c, s, ago, n)| (c.to_string(), s.to_string(), None, ago + (vi as i64 * 5) % 40, *n)).collect();
        if let Some(m) = sqlx::query("SELECT id, title, category FROM village_matters WHERE org_id = $1 AND state = 'done' ORDER BY id LIMIT 1").bind(org_id).fetch_optional(&mut *conn).await? {
            let category: String = m.try_get("category")?;
            plan.push((power_of(&category).into(), m.try_get("title")?, Some(m.try_get("id")?), 0, 99));
        }
        for (item, subject, matter_id, ago, steps) in plan {
            let u = powers::begin(conn, cfg, &a, &UseInput { org_id: Some(org_id), item: Some(item), subject: Some(subject), matter_id }).await?;
            uses += 1;
            // A 四议两公开 power follows its matter: its steps from the published decision on.
            let start = match u.matter_id {
                Some(mid) => sqlx::query_scalar::<_, String>("SELECT on_day FROM village_matter_steps WHERE matter_id = $1 AND step = 'publish_decision'").bind(mid).fetch_one(&mut *conn).await?.parse().unwrap_or(today),
                None => today - Duration::days(ago),
            };
            let n = u.procedure.len().min(steps);
            for k in 0..n {
                let on = (start + Duration::days(k as i64 * 3)).min(today);
                let note = format!("{}：经办人按规定办理，材料存村档", u.procedure[k]);
                powers::record_step(conn, &a, u.id, &UseStepInput { seq: None, on: Some(on.to_string()), note: Some(note) }).await?;
            }
        }
    }
    // Commitments: the county's townships and units, and the first township's villages.
    let mut makers: Vec<(i64, String, bool)> = Vec::new();
    for r in sqlx::query("SELECT id, path, domain FROM orgs WHERE parent_id = $1 AND dissolved_on IS NULL ORDER BY path").bind(root_id).fetch_all(&mut *conn).await? {
        makers.push((r.try_get("id")?, r.try_get("path")?, r.try_get::<String, _>("domain")? == "township"));
    }
    for v in &villages {
        makers.push((v.try_get("id")?, v.try_get("path")?, false));
    }
    const TOWN: [&str; 8] = ["村级集体经济收入全部达到5万元以上", "完成软弱涣散村党组织整顿销号", "新建标准化党群服务中心3个", "发展年轻党员不少于20名", "农村人居环境整治达标率100%", "信访积案化解率达到90%以上", "完成高标准农田建设1万亩", "村（社区）网格员全员培训"];
    const UNIT: [&str; 6] = ["党员干部下沉社区“双报到”全覆盖", "办事事项“最多跑一次”比例达95%", "帮扶村集体经济项目落地1个", "机关党支部“五星”创建", "政务服务好差评差评整改率100%", "年度重点项目按期完成"];
    const VILLAGE: [&str; 5] = ["年内硬化村内道路2公里", "建成村级文化广场", "村集体经济收入增长10%", "清理村内垃圾死角", "为60岁以上老人开展义诊"];
    let mut n = 0;
    let mut q = String::from("INSERT INTO commitments (org_id, org_path, year, title, detail, made_on, due_on, state, done_on, done_note, checked_by, checked_on, check_note, by_name, created_at) VALUES ");
    let mut first = true;
    let year = today.year();
    for (i, (org_id, path, town)) in makers.iter().enumerate() {
        let titles: &[&str] = if *town { &TOWN } else if i >= makers.len() - villages.len() { &VILLAGE } else { &UNIT };
        let count = 3 + i % 4;
        for y in [year - 1, year] {
            for k in 0..count {
                let h = (i * 7 + k * 13 + y as usize) % 20;
                let made = chrono::NaiveDate::from_ymd_opt(y, 2, 1 + (i % 20) as u32).unwrap_or(today);
                let due = if k % 3 == 2 { chrono::NaiveDate::from_ymd_opt(y, 6, 30) } else { chrono::NaiveDate::from_ymd_opt(y, 12, 31) }.unwrap_or(today);
                // Last year settled: mostly verified, a few not fulfilled. This year: verified,
                // reported and waiting, under way (overdue when due in June), one in twenty failed.
                let state = match (y < year, h) {
                    (true, 0 | 1) => "unfulfilled",
                    (true, _) => "verified",
                    (false, 0) if due < today => "unfulfilled",
                    (false, 1..=3) => "fulfilled",
                    (false, 4..=8) => "open",
                    (false, _) if due < today || h.is_multiple_of(2) => "verified",
                    (false, _) => "open",
                };
                let done = matches!(state, "verified" | "fulfilled").then(|| (due - Duration::days(10 + h as i64 * 3)).min(today - Duration::days(3 + h as i64)));
                let checked = match state {
                    "verified" => done.map(|d| (d + Duration::days(5)).min(today)),
                    "unfulfilled" => Some((due + Duration::days(7)).min(today)),
                    _ => None,
                };
                let title = titles[(k + i) % titles.len()];
                if !first {
                    q.push_str(", ");
                }
                first = false;
                let esc = |s: &str| s.replace('\'', "''");
                let opt = |d: Option<chrono::NaiveDate>| d.map(|d| format!("'{d}'")).unwrap_or_else(|| "NULL".into());
                q.push_str(&format!(
                    "({org_id}, '{}', {y}, '{}', '', '{made}', '{due}', '{state}', {}, '{}', '{}', {}, '{}', '演示数据', {})",
                    esc(path),
                    esc(title),
                    opt(done),
                    if done.is_some() { "已按承诺完成，佐证材料已归档" } else { "" },
                    if checked.is_some() { "县委组织部" } else { "" },
                    opt(checked),
                    match state {
                        "verified" => "经核验属实",
                        "unfulfilled" => "期限届满未完成，纳入年度考核",
                        _ => "",
                    },
                    crate::db::now_secs()
                ));
                n += 1;
            }
        }
    }
    if n > 0 {
        sqlx::query(&q).execute(&mut *conn).await?;
    }
    tx.commit().await?;
    Ok(PowersLoaded { uses, commitments: n })
}
