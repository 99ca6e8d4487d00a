//! Demo collective economy: every village and community reports last year's income and this
//! year's so far, from contracts, operations, investments and subsidies — about one in six below
//! 5万元 (weak), a few above 100万元; one village in three leads a cooperative, most with a
//! demonstration title. Written in bulk (a province has 20,000 villages); in the first township a
//! few duplicate entries are booked and reversed through the store, as an office would.

use chrono::Datelike;
use sqlx::Row as _;

use crate::auth::roles::{Actor, Grant, Role};
use crate::db::Db;
use crate::economy::store::{self as econ, IncomeInput, ReverseInput};
use crate::error::AppResult;

fn actor(id: i64, path: &str, name: &str) -> Actor {
    Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: "乡镇农经站".into(),
        member_id: None,
        grants: vec![Grant { role: Role::CountyAdmin, org_id: id, org_path: path.into(), org_name: name.into() }],
        csrf: None,
        must_change_password: false,
    }
}

#[derive(Default)]
pub struct Loaded {
    pub entries: usize,
    pub coops: usize,
}

/// A village's yearly income in fen from its id: weak (2 in 12), middling (3 in 12), strong, and
/// one in 24 above 100万元.
const BASE_FEN: &str = "(CASE WHEN o.id % 12 IN (0, 6) THEN 1800000 + (o.id * 137100) % 2800000 \
    WHEN o.id % 24 = 11 THEN 105000000 + (o.id * 917300) % 60000000 \
    WHEN o.id % 12 IN (1, 5, 9) THEN 5200000 + (o.id * 211300) % 4500000 \
    ELSE 10000000 + (o.id * 791900) % 38000000 END)";

pub async fn load(db: &Db, town_id: i64) -> AppResult<Loaded> {
    let mut out = Loaded::default();
    let today = crate::db::today();
    let now = crate::db::now_secs();
    let mut tx = db.begin_bulk().await?;
    let share = (today.ordinal() as i64 * 100 / 365).max(1);
    let parts = [("contract", 45, "集体土地和鱼塘发包收入"), ("operating", 30, "村集体领办项目经营收入"), ("investment", 15, "入股合作社分红"), ("subsidy", 10, "村级组织运转补助")];
    for (year, pct_of_year) in [(today.year() - 1, 100), (today.year(), share)] {
        for (source, pct, note) in parts {
            let sql = format!(
                "INSERT INTO econ_incomes (org_id, org_path, year, source, amount_fen, note, by_name, on_day, created_at) \
                 SELECT o.id, o.path, $1, $2, {BASE_FEN} * {pct} / 100 * {pct_of_year} / 100, $3, '乡镇农经站', $4, $5 FROM orgs o WHERE {}",
                crate::cadres::store::VILLAGE_WHERE
            );
            let r = sqlx::query(&sql).bind(year as i64).bind(source).bind(note).bind(today.to_string()).bind(now).execute(&mut *tx).await?;
            out.entries += r.rows_affected() as usize;
        }
    }
    let sql = format!(
        "INSERT INTO cooperatives (org_id, org_path, name, business, households, level, level_year, level_document, created_at) \
         SELECT o.id, o.path, CASE o.id % 6 WHEN 0 THEN '冬枣种植专业合作社' WHEN 1 THEN '农产品加工合作社' WHEN 2 THEN '养殖专业合作社' WHEN 3 THEN '花卉苗木合作社' WHEN 4 THEN '乡村旅游合作社' ELSE '土地股份合作社' END, \
         CASE o.id % 6 WHEN 0 THEN '冬枣种植' WHEN 1 THEN '农产品加工' WHEN 2 THEN '生猪养殖' WHEN 3 THEN '花卉苗木' WHEN 4 THEN '农家乐和民宿' ELSE '土地托管' END, \
         30 + (o.id * 17) % 200, \
         CASE (o.id / 3) % 10 WHEN 0 THEN 'provincial' WHEN 3 THEN 'city' WHEN 6 THEN 'city' WHEN 1 THEN 'county' WHEN 5 THEN 'county' WHEN 8 THEN 'county' ELSE 'none' END, \
         CASE WHEN (o.id / 3) % 10 IN (0, 1, 3, 5, 6, 8) THEN CAST($1 AS BIGINT) END, \
         CASE (o.id / 3) % 10 WHEN 0 THEN '省农业农村厅文件' WHEN 3 THEN '市农业农村局文件' WHEN 6 THEN '市农业农村局文件' WHEN 1 THEN '县农业农村局文件' WHEN 5 THEN '县农业农村局文件' WHEN 8 THEN '县农业农村局文件' ELSE '' END, $2 \
         FROM orgs o WHERE o.id % 3 = 1 AND {}",
        crate::cadres::store::VILLAGE_WHERE
    );
    out.coops = sqlx::query(&sql).bind((today.year() - 1) as i64).bind(now).execute(&mut *tx).await?.rows_affected() as usize;
    // In the first township, an entry booked twice now and then, reversed with its reason.
    if let Some(root) = sqlx::query("SELECT id, path, name FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *tx).await? {
        let a = actor(root.try_get("id")?, &root.try_get::<String, _>("path")?, &root.try_get::<String, _>("name")?);
        let town_path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1").bind(town_id).fetch_optional(&mut *tx).await?.unwrap_or_else(|| "/0/".into());
        let sql = format!("SELECT o.id FROM orgs o WHERE {} AND o.path >= $1 AND o.path < $2 ORDER BY o.path LIMIT 4", crate::cadres::store::VILLAGE_WHERE);
        let some: Vec<i64> = sqlx::query_scalar(&sql).bind(&town_path).bind(crate::db::path::upper(&town_path)).fetch_all(&mut *tx).await?;
        for v in some {
            let dup = econ::add_income(&mut tx, &a, &IncomeInput { org_id: Some(v), year: Some(today.year() - 1), source: Some("contract".into()), amount: Some("8600".into()), amount_fen: None, note: Some("集体土地和鱼塘发包收入".into()) }).await?;
            econ::reverse(&mut tx, &a, dup.id, &ReverseInput { reason: Some("同一笔承包费重复登记".into()) }).await?;
            out.entries += 2;
        }
    }
    tx.commit().await?;
    Ok(out)
}
