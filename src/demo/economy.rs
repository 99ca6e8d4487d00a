//! Demo collective economy, recorded through the store: every village and community of the county
//! reports last year's income and this year's so far, from contracts, operations, investments and
//! subsidies — about one in six below 5万元 (weak), a few above 100万元 — with a correction here
//! and there; one village in three leads a cooperative, some with a demonstration title.

use chrono::Datelike;
use sqlx::Row as _;

use crate::auth::roles::{Actor, Grant, Role};
use crate::db::Db;
use crate::economy::store::{self as econ, CoopInput, IncomeInput, LevelInput, ReverseInput};
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

const COOPS: [(&str, &str); 6] = [("冬枣种植专业合作社", "冬枣种植"), ("农产品加工合作社", "农产品加工"), ("养殖专业合作社", "生猪养殖"), ("花卉苗木合作社", "花卉苗木"), ("乡村旅游合作社", "农家乐和民宿"), ("土地股份合作社", "土地托管")];

#[derive(Default)]
pub struct Loaded {
    pub entries: usize,
    pub coops: usize,
}

pub async fn load(db: &Db) -> AppResult<Loaded> {
    let mut out = Loaded::default();
    let today = crate::db::today();
    let mut tx = db.begin_bulk().await?;
    let Some(root) = sqlx::query("SELECT id, path, name FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *tx).await? else {
        return Ok(out);
    };
    let a = actor(root.try_get("id")?, &root.try_get::<String, _>("path")?, &root.try_get::<String, _>("name")?);
    let villages: Vec<i64> = sqlx::query_scalar(&format!("SELECT o.id FROM orgs o WHERE {} ORDER BY o.path", crate::cadres::store::VILLAGE_WHERE)).fetch_all(&mut *tx).await?;
    for (i, &v) in villages.iter().enumerate() {
        // A village's size of economy in yuan: weak (1 in 6), middling, strong, a few very strong.
        let base: i64 = match i % 12 {
            0 | 6 => 18_000 + (i as i64 * 1_371) % 28_000,
            11 if i % 24 == 11 => 1_050_000 + (i as i64 * 9_173) % 600_000,
            1 | 5 | 9 => 52_000 + (i as i64 * 2_113) % 45_000,
            _ => 100_000 + (i as i64 * 7_919) % 380_000,
        };
        for (year, share) in [(today.year() - 1, 100), (today.year(), (today.ordinal() as i64 * 100 / 365).max(1))] {
            let parts = [("contract", 45, "集体土地和鱼塘发包收入"), ("operating", 30, "村集体领办项目经营收入"), ("investment", 15, "入股合作社分红"), ("subsidy", 10, "村级组织运转补助")];
            for (k, (source, pct, note)) in parts.iter().enumerate() {
                let fen = base * 100 * pct / 100 * share / 100 + ((i + k) as i64 % 7) * 100;
                if fen <= 0 {
                    continue;
                }
                econ::add_income(&mut tx, &a, &IncomeInput { org_id: Some(v), year: Some(year), source: Some((*source).into()), amount: None, amount_fen: Some(fen), note: Some((*note).into()) }).await?;
                out.entries += 1;
                // Now and then an entry booked twice, reversed.
                if (i + k) % 29 == 0 && year < today.year() {
                    let dup = econ::add_income(&mut tx, &a, &IncomeInput { org_id: Some(v), year: Some(year), source: Some((*source).into()), amount: None, amount_fen: Some(fen), note: Some((*note).into()) }).await?;
                    econ::reverse(&mut tx, &a, dup.id, &ReverseInput { reason: Some("同一笔收入重复登记".into()) }).await?;
                    out.entries += 2;
                }
            }
        }
        if i % 3 == 1 {
            let (name, business) = COOPS[i % COOPS.len()];
            let c = econ::add_coop(&mut tx, &a, &CoopInput { org_id: Some(v), name: Some(name.into()), business: Some(business.into()), households: Some(30 + (i as i64 * 17) % 200) }).await?;
            out.coops += 1;
            let level = match (i / 3) % 10 {
                0 => Some(("provincial", "省农业农村厅")),
                3 | 6 => Some(("city", "市农业农村局")),
                1 | 5 | 8 => Some(("county", "县农业农村局")),
                _ => None,
            };
            if let Some((level, by)) = level {
                let document = format!("{by}〔{}〕{}号", today.year() - 1, 10 + i % 40);
                econ::set_level(&mut tx, &a, c.id, &LevelInput { level: Some(level.into()), year: Some(today.year() - 1), document: Some(document) }).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(out)
}
