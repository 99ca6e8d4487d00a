//! Demo delegates, village cadres and pairings, all dated from today so the flags are live:
//! - delegates: about one member in 53 is a county delegate of a congress held 75 days ago, a
//!   few are city or province delegates; most were analysed last quarter, about seven in ten this
//!   quarter, three were terminated;
//! - villages: in two of three the secretary is also 村委会主任 (the seed's 66.17%), archives
//!   hold 9 to 13 of the 13 kinds, reserves run from 3 to 7 (so some villages are short), one
//!   village in six has a first secretary (some near the end of the two-year term), and last
//!   year's assessment is on file (one in forty 不称职);
//! - pairings: the county's leaders each liaise with two villages, organ branches build with
//!   communities and villages, townships help weak villages; most met last month, some not for
//!   a season.

use chrono::{Datelike, Duration};
use sqlx::Row as _;

use crate::db::Db;
use crate::error::AppResult;
use crate::members::id_card::IdCardNumber;

/// Villages given cadre records, at most (a province demo stays quick).
const MAX_VILLAGES: i64 = 600;
const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"];
const GIVEN: [&str; 12] = ["建国", "海燕", "志强", "丽娟", "永福", "春梅", "国庆", "晓东", "桂英", "振华", "秀兰", "宏伟"];
const UNITS: [&str; 6] = ["县财政局", "县农业农村局", "县人民医院", "国网县供电公司", "县教育局", "县自然资源局"];

fn name(i: usize) -> String {
    format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i / SURNAMES.len() + i) % GIVEN.len()])
}

/// A one-page PDF naming the document, standing in for a scan.
fn scan(title: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n% {title}\ntrailer<</Root 1 0 R>>\n%%EOF\n").into_bytes()
}

pub struct Loaded {
    pub delegates: usize,
    pub villages: usize,
    pub pairings: usize,
}

pub async fn load(db: &Db) -> AppResult<Loaded> {
    let today = crate::db::today();
    let now = crate::db::now_secs();
    let mut tx = db.begin_bulk().await?;
    let conn: &mut crate::db::Conn = &mut tx;

    // Delegates.
    let rows = sqlx::query("SELECT m.id FROM members m WHERE m.status = 'full' AND m.left_on IS NULL AND m.id % 53 = 3 ORDER BY m.id LIMIT 400").fetch_all(&mut *conn).await?;
    let quarter_start = crate::delegates::rules::review_period(&Default::default(), today).start;
    let last_quarter = crate::delegates::rules::review_period(&Default::default(), quarter_start - Duration::days(1));
    for (i, r) in rows.iter().enumerate() {
        let mid: i64 = r.try_get("id")?;
        let (congress, start) = match i % 20 {
            7 => ("city", today - Duration::days(400)),
            13 if i % 40 == 13 => ("province", today - Duration::days(1400)),
            _ => ("county", today - Duration::days(75)),
        };
        let did: i64 = sqlx::query_scalar("INSERT INTO delegates (member_id, congress, term_start, unit, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(mid)
            .bind(congress)
            .bind(start.to_string())
            .bind("")
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
        if i % 150 == 149 {
            sqlx::query("UPDATE delegates SET terminated_on = $1, termination_kind = 'left_area', termination_reason = '工作调动，调离本县' WHERE id = $2")
                .bind((today - Duration::days(10)).to_string())
                .bind(did)
                .execute(&mut *conn)
                .await?;
            continue;
        }
        let mut reviews = Vec::new();
        if i % 19 != 0 && last_quarter.end >= start {
            reviews.push((last_quarter.label.clone(), (last_quarter.end - Duration::days(12)).max(start)));
        }
        if i % 10 < 7 && today > start {
            reviews.push((crate::delegates::rules::review_period(&Default::default(), today).label, (quarter_start + Duration::days(20)).min(today).max(start)));
        }
        for (period, on) in reviews {
            sqlx::query("INSERT INTO delegate_reviews (delegate_id, period, reviewed_on, findings, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(did)
                .bind(period)
                .bind(on.to_string())
                .bind(["参加代表活动2次，走访群众12户，收集意见3条，已转办", "履职正常，联系党员群众8人，无违纪违法情况", "提出建议1件，参与村级事务监督，表现良好"][i % 3])
                .bind(now)
                .execute(&mut *conn)
                .await?;
        }
    }
    let delegates = rows.len();

    // A 总支 or community 党委 whose members sit in its branches gets its secretary from them (a
    // branch secretary first), so every village has one in post. Members by path range, not
    // LIKE on a column: the range uses the index (LIKE scanned every member for each village,
    // and a province's demo stalled here).
    let sql = format!(
        "INSERT INTO org_team (org_id, member_id, post, starts_on, created_at) \
         SELECT o.id, (SELECT m.id FROM members m WHERE m.org_path >= o.path AND m.org_path < substr(o.path, 1, length(o.path) - 1) || '0' AND m.status = 'full' AND m.left_on IS NULL \
                       ORDER BY CASE WHEN m.posts LIKE '%secretary%' THEN 0 ELSE 1 END, m.id LIMIT 1), 'secretary', COALESCE(o.term_start, '{}'), $1 \
         FROM orgs o WHERE {} AND NOT EXISTS (SELECT 1 FROM org_team s WHERE s.org_id = o.id AND s.post = 'secretary' AND s.ends_on IS NULL) \
         AND EXISTS (SELECT 1 FROM members m WHERE m.org_path >= o.path AND m.org_path < substr(o.path, 1, length(o.path) - 1) || '0' AND m.status = 'full' AND m.left_on IS NULL)",
        today - Duration::days(900),
        crate::cadres::store::VILLAGE_WHERE
    );
    sqlx::query(&sql).bind(now).execute(&mut *conn).await?;
    // Villages: the village or community org at the top of its rural or community subtree.
    let sql = format!(
        "SELECT o.id, o.name, (SELECT s.member_id FROM org_team s WHERE s.org_id = o.id AND s.post = 'secretary' AND s.ends_on IS NULL ORDER BY s.starts_on DESC LIMIT 1) AS sec \
         FROM orgs o WHERE {} ORDER BY o.path LIMIT {MAX_VILLAGES}",
        crate::cadres::store::VILLAGE_WHERE
    );
    let villages = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    let kinds = crate::cadres::rules::ArchiveDoc::ALL;
    let year = today.year();
    for (i, v) in villages.iter().enumerate() {
        let (vid, vname, sec): (i64, String, Option<i64>) = (v.try_get("id")?, v.try_get("name")?, v.try_get("sec")?);
        let term = today - Duration::days(700 + (i as i64 % 5) * 30);
        // 村委会主任: the secretary in two villages of three, else someone else.
        let director = if i % 3 != 2 { sec } else { None };
        sqlx::query("INSERT INTO village_directors (org_id, name, member_id, starts_on, created_at) SELECT $1, COALESCE((SELECT name FROM members WHERE id = $2), $3), $2, $4, $5")
            .bind(vid)
            .bind(director)
            .bind(name(i + 5))
            .bind(term.to_string())
            .bind(now)
            .execute(&mut *conn)
            .await?;
        if let Some(sec) = sec {
            for (k, kind) in kinds.iter().enumerate().take(9 + (i % 5)) {
                let title = format!("{vname}党组织书记{}", kind.label());
                let data = scan(&title);
                let sha: String = { use sha2::Digest; sha2::Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect() };
                sqlx::query("INSERT INTO cadre_docs (org_id, member_id, kind, name, content_type, size, sha256, data, at) VALUES ($1, $2, $3, $4, 'application/pdf', $5, $6, $7, $8)")
                    .bind(vid)
                    .bind(sec)
                    .bind(kind.code())
                    .bind(format!("{}.pdf", kind.label()))
                    .bind(data.len() as i64)
                    .bind(sha)
                    .bind(data)
                    .bind(now - (k as i64) * 86_400)
                    .execute(&mut *conn)
                    .await?;
            }
            let grade = match i % 40 {
                11 => "incompetent",
                0..=7 => "excellent",
                12 | 25 => "basically_competent",
                _ => "competent",
            };
            sqlx::query("INSERT INTO cadre_assessments (member_id, org_id, year, grade, created_at) VALUES ($1, $2, $3, $4, $5)").bind(sec).bind(vid).bind((year - 1) as i64).bind(grade).bind(now).execute(&mut *conn).await?;
        }
        // Reserves: 3 to 7, the first one or two for secretary.
        let count = 3 + (i % 5);
        for j in 0..count {
            let birth = chrono::NaiveDate::from_ymd_opt(1986 + ((i + j) % 14) as i32, 1 + (j % 12) as u32, 1 + (i % 27) as u32).unwrap_or(today);
            let idn = IdCardNumber::build(140_000 + (vid % 1000) as u32, birth, (j * 2 + 1) as u32);
            sqlx::query("INSERT INTO cadre_reserves (org_id, name, id_number, education, present_post, for_secretary, added_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(vid)
                .bind(name(i * 7 + j))
                .bind(idn.as_str())
                .bind(["大专", "本科", "高中", "中专"][j % 4])
                .bind(["村委委员", "村务监督委员会委员", "网格员", "返乡创业青年", "致富带头人", "退役军人", "大学生村官"][(i + j) % 7])
                .bind((j < 1 + i % 2) as i64)
                .bind((today - Duration::days(200 + (j as i64) * 40)).to_string())
                .bind(now)
                .execute(&mut *conn)
                .await?;
        }
        // A first secretary in one village of six; some near the end of the term.
        if i % 6 == 1 {
            let started = today - Duration::days(if i % 12 == 1 { 680 } else { 300 });
            sqlx::query("INSERT INTO first_secretaries (org_id, name, unit, phone, started_on, subsidy_fen_month, created_at) VALUES ($1, $2, $3, $4, $5, 80000, $6)")
                .bind(vid)
                .bind(name(i * 3 + 1))
                .bind(UNITS[i % UNITS.len()])
                .bind(format!("1350000{:04}", i % 10_000))
                .bind(started.to_string())
                .bind(now)
                .execute(&mut *conn)
                .await?;
        }
    }

    // Pairings: 包联 from the county root, 共驻共建 from organ branches, 结对帮扶 from townships.
    let root: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *conn).await?;
    let organs: Vec<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE domain = 'organ' AND kind = 'branch' AND dissolved_on IS NULL ORDER BY path LIMIT 10").fetch_all(&mut *conn).await?;
    let towns: Vec<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE domain = 'township' AND kind = 'committee' AND dissolved_on IS NULL ORDER BY path LIMIT 8").fetch_all(&mut *conn).await?;
    let vids: Vec<i64> = villages.iter().map(|v| v.try_get("id")).collect::<Result<_, _>>()?;
    let mut pairs: Vec<(&str, i64, i64, String)> = Vec::new();
    if let Some(root) = root {
        for (k, vid) in vids.iter().step_by(11).take(16).enumerate() {
            pairs.push(("liaison", root, *vid, format!("{} 县委常委", name(100 + k / 2))));
        }
    }
    for (k, o) in organs.iter().enumerate() {
        if let Some(vid) = vids.get(3 + k * 7) {
            pairs.push(("co_building", *o, *vid, String::new()));
        }
    }
    for (k, t) in towns.iter().enumerate() {
        if let Some(vid) = vids.get(5 + k * 13) {
            pairs.push(("assistance", *t, *vid, String::new()));
        }
    }
    for (k, (kind, helper, helped, leader)) in pairs.iter().enumerate() {
        if helper == helped {
            continue;
        }
        let start = today - Duration::days(300 + (k as i64 % 4) * 60);
        let pid: i64 = sqlx::query_scalar("INSERT INTO pairings (kind, helper_id, helped_id, leader, contact, starts_on, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(*kind)
            .bind(helper)
            .bind(helped)
            .bind(leader)
            .bind(format!("{} 1390000{:04}", name(200 + k), k))
            .bind(start.to_string())
            .bind(["“三基建设”联系点创建", "契约化共建：阵地共用、活动共办、资源共享", "帮助发展集体经济，解决群众急难愁盼"][k % 3])
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
        // Monthly visits; one pairing in five has gone quiet for a season.
        let quiet = k % 5 == 4;
        let mut d = start + Duration::days(20);
        let last = if quiet { today - Duration::days(120) } else { today - Duration::days(8) };
        let mut n = 0;
        while d <= last {
            sqlx::query("INSERT INTO pairing_activities (pairing_id, held_on, summary, people, at) VALUES ($1, $2, $3, $4, $5)")
                .bind(pid)
                .bind(d.to_string())
                .bind(["走访困难群众5户，送去慰问品", "召开共建联席会议，确定本季度项目", "开展志愿服务，清理村内环境卫生", "讲党课：学习贯彻党的二十届四中全会精神"][n % 4])
                .bind(5 + (n % 20) as i64)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            d += Duration::days(30);
            n += 1;
        }
    }
    tx.commit().await?;
    Ok(Loaded { delegates, villages: villages.len(), pairings: pairs.len() })
}
