//! Demo mobile members: about one member in 40 of the villages works away, in the cities the
//! county's people go to; those in the city of one of the county's 在外临时党支部 belong to it. Most
//! have every quarter's “七个清楚” entry; some miss this quarter or an earlier one, some have no
//! certificate, a few carry an expired transfer letter, so the ledger has something to act on.

use chrono::{Datelike, Duration, NaiveDate};
use sqlx::Row as _;

use crate::db::Db;
use crate::error::AppResult;
use crate::meetings::rules::{periods, Frequency};

const CITIES: [&str; 8] = ["北京", "太原", "上海", "深圳", "大同", "天津", "石家庄", "苏州"];
const JOBS: [&str; 6] = ["建筑工地木工", "物流公司司机", "电子厂技术员", "餐饮店厨师", "家政服务", "个体经营"];

/// Returns the number of members away.
pub async fn load(db: &Db) -> AppResult<usize> {
    let today = crate::db::today();
    let mut tx = db.begin_bulk().await?;
    let conn: &mut crate::db::Conn = &mut tx;
    let temps: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM orgs WHERE variant = 'temporary' AND dissolved_on IS NULL").fetch_all(&mut *conn).await?;
    // The temporary branches' cities first (“朔城县驻太原流动党员临时党支部” → 太原), then the others.
    let mut cities: Vec<String> = temps.iter().filter_map(|(_, n)| Some(n.split_once('驻')?.1.split_once("流动")?.0.to_string())).collect();
    for c in CITIES {
        if cities.len() < CITIES.len() && !cities.iter().any(|x| x == c) {
            cities.push(c.to_string());
        }
    }
    let rows = sqlx::query(
        "SELECT m.id, m.org_id, m.org_path, m.phone FROM members m JOIN orgs o ON o.id = m.org_id \
         WHERE o.domain = 'rural' AND o.variant <> 'temporary' AND m.status = 'full' AND m.left_on IS NULL AND m.id % 40 = 7 ORDER BY m.id LIMIT 2000",
    )
    .fetch_all(&mut *conn)
    .await?;
    let now = crate::db::now_secs();
    for (i, r) in rows.iter().enumerate() {
        let (mid, org_id, org_path): (i64, i64, String) = (r.try_get("id")?, r.try_get("org_id")?, r.try_get("org_path")?);
        let city = cities[i % cities.len()].as_str();
        let left = today - Duration::days(20 + ((i * 97) % 700) as i64);
        let months_away = (today - left).num_days() / 30;
        let temp = temps.iter().find(|(_, n)| n.contains(&format!("驻{city}"))).map(|(id, _)| *id);
        // The certificate for those under six months or without a fixed place, except every fifth;
        // one in three has a fixed place, and those away six months or more should transfer.
        let fixed = i % 3 == 0;
        let certificate = ((months_away < 6 || !fixed) && i % 5 != 0).then(|| format!("晋流{}{:05}", left.year(), 1000 + i));
        let letter = (i % 17 == 4).then(|| (left + Duration::days(30)).to_string());
        let aid: i64 = sqlx::query_scalar(
            "INSERT INTO mobile_members (member_id, open_member_id, org_id, org_path, left_on, place, address, contact, job, place_fixed, certificate_no, certificate_on, \
             letter_issued_on, letter_returned, temp_org_id, created_at, updated_at) VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14, $14) RETURNING id",
        )
        .bind(mid)
        .bind(org_id)
        .bind(&org_path)
        .bind(left.to_string())
        .bind(city)
        .bind(format!("{city}市{}区", ["朝阳", "小店", "浦东", "宝安", "平城", "河西", "长安", "工业园"][i % 8]))
        .bind(r.try_get::<Option<String>, _>("phone")?.unwrap_or_else(|| format!("1390000{:04}", i % 10_000)))
        .bind(JOBS[i % JOBS.len()])
        .bind(fixed as i64)
        .bind(certificate.as_deref())
        .bind(certificate.as_ref().map(|_| left.to_string()))
        .bind(letter.as_deref())
        .bind(temp)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        // Every quarter since leaving, but one in nine skips this quarter and one in thirteen an earlier one.
        for (qi, q) in periods(Frequency::Quarterly, left, today).iter().enumerate() {
            let current = q.end >= today;
            if (current && i % 9 == 2) || (!current && qi == 1 && i % 13 == 5) {
                continue;
            }
            let on: NaiveDate = (q.start + Duration::days(20)).max(left).min(today);
            sqlx::query("INSERT INTO mobile_ledger (mobile_id, period, on_date, life, thinking, role, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(aid)
                .bind(&q.label)
                .bind(on.to_string())
                .bind(if temp.is_some() { "参加临时党支部主题党日" } else { "通过微信群参加支部学习" })
                .bind("思想稳定，关心家乡发展")
                .bind(["在工地带头安全生产", "参与所在社区志愿服务", "为村里介绍务工岗位"][i % 3])
                .bind(now)
                .execute(&mut *conn)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(rows.len())
}
