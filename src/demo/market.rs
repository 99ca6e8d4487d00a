//! Demo 文明超市: every village of the first township that has households opens one with eight
//! goods; since January one household in eight earned civic-practice points (one to five
//! entries, each with its evidence) and about a third of those spent some at the counter. The
//! ledger is written as the store writes it (two movements per transfer, stock rows per
//! redemption), in bulk; balances and stock are the sums of what was written.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use sqlx::Row as _;

use crate::db::{Db, Val};
use crate::error::AppResult;
use crate::points::rules::HouseholdPointRules;

const GOODS: [(&str, &str, i64); 8] =
    [("洗衣粉", "袋", 30), ("食用油", "桶", 80), ("香皂", "块", 10), ("毛巾", "条", 15), ("牙膏", "支", 12), ("大米", "袋", 100), ("酱油", "瓶", 20), ("卫生纸", "提", 40)];
/// A good on the demo shelf: id, name, price, stock.
type Shelf = Vec<(i64, String, i64, i64)>;

const EVIDENCE: [&str; 4] = ["入户查看，情况属实", "村民代表评议通过", "网格员走访核实", "邻里推荐，村委会公示"];

/// Rows of `width` values each, 400 to a statement.
async fn insert(conn: &mut crate::db::Conn, head: &str, width: usize, rows: &[Vec<Val>]) -> AppResult<()> {
    let flat: Vec<Val> = rows.iter().flatten().cloned().collect();
    Ok(crate::db::insert_rows(conn, head, width, &flat, 400).await?)
}

/// Returns the number of transfers written.
pub async fn load(db: &Db) -> AppResult<usize> {
    let today = crate::db::today();
    let now = crate::db::now_secs();
    let rules = HouseholdPointRules::default();
    let start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let span = (today - start).num_days().max(1);
    let mut tx = db.begin_bulk().await?;
    let conn: &mut crate::db::Conn = &mut tx;
    let hh: Vec<(i64, i64)> = sqlx::query("SELECT id, org_id FROM households WHERE id % 8 = 0 ORDER BY id")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("org_id")?)))
        .collect::<AppResult<_>>()?;
    let villages: Vec<(i64, String)> = sqlx::query_as("SELECT DISTINCT o.id, o.name FROM orgs o JOIN households h ON h.org_id = o.id ORDER BY o.id").fetch_all(&mut *conn).await?;
    let base: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM point_accounts").fetch_one(&mut *conn).await?;
    let mut next_account = base;
    let mut accounts: Vec<Vec<Val>> = Vec::new();
    let mut balance: HashMap<i64, i64> = HashMap::new();
    // Per village: its issuing account, its market's account and goods (id, price, stock).
    let mut source: HashMap<i64, i64> = HashMap::new();
    let mut shop: HashMap<i64, (i64, Shelf)> = HashMap::new();
    for (vid, vname) in &villages {
        let mid: i64 = sqlx::query_scalar("INSERT INTO markets (org_id, name, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(vid)
            .bind(format!("{}文明超市", vname.trim_end_matches("党支部").trim_end_matches("党总支")))
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
        let mut goods = Vec::new();
        for (name, unit, price) in GOODS {
            let gid: i64 = sqlx::query_scalar("INSERT INTO market_goods (market_id, name, unit, price, stock, created_at) VALUES ($1, $2, $3, $4, 0, $5) RETURNING id")
                .bind(mid)
                .bind(name)
                .bind(unit)
                .bind(price)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?;
            goods.push((gid, name.to_string(), price, 0));
        }
        next_account += 1;
        source.insert(*vid, next_account);
        accounts.push(vec![next_account.into(), "source".into(), (*vid).into(), (*vid).into(), Val::NullS, now.into()]);
        next_account += 1;
        accounts.push(vec![next_account.into(), "market".into(), mid.into(), (*vid).into(), Val::NullS, now.into()]);
        shop.insert(*vid, (next_account, goods));
    }
    let mut transfers: Vec<Vec<Val>> = Vec::new();
    let mut movements: Vec<Vec<Val>> = Vec::new();
    let mut stock: Vec<Vec<Val>> = Vec::new();
    let mut next_transfer: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM point_transfers").fetch_one(&mut *conn).await?;
    let mut move_between = |from: i64, to: i64, points: i64, kind: &str, item: String, note: &str, day: NaiveDate, balance: &mut HashMap<i64, i64>| {
        next_transfer += 1;
        transfers.push(vec![next_transfer.into(), kind.into(), from.into(), to.into(), points.into(), item.into(), note.into(), day.to_string().into(), now.into()]);
        for (acct, p) in crate::points::rules::movements(from, to, points) {
            movements.push(vec![next_transfer.into(), acct.into(), p.into(), now.into()]);
            *balance.entry(acct).or_default() += p;
        }
        next_transfer
    };
    // Restock each good at the start of the year: plenty for the year's redemptions.
    for (_, goods) in shop.values_mut() {
        for g in goods.iter_mut() {
            g.3 = 400;
            stock.push(vec![g.0.into(), 400i64.into(), "restock".into(), "县供销社".into(), Val::NullI, start.to_string().into(), now.into()]);
        }
    }
    for (i, (hid, vid)) in hh.iter().enumerate() {
        next_account += 1;
        let acct = next_account;
        let card: String = format!("D{:09}", hid);
        accounts.push(vec![acct.into(), "household".into(), (*hid).into(), (*vid).into(), card.into(), now.into()]);
        let Some(src) = source.get(vid).copied() else { continue };
        let entries = 1 + (i * 7) % 5;
        let mut last = start;
        for e in 0..entries {
            let item = &rules.civic_items[(i + e * 3) % rules.civic_items.len()];
            let day = (start + Duration::days(((i * 37 + e * 61) as i64) % span)).min(today);
            last = last.max(day);
            move_between(src, acct, item.points, "civic", item.label.clone(), EVIDENCE[(i + e) % EVIDENCE.len()], day, &mut balance);
        }
        // About a third spend at the counter, after their last entry, what their points buy.
        let have = balance.get(&acct).copied().unwrap_or(0);
        if i % 3 == 0 && last < today {
            let (shop_acct, goods) = shop.get_mut(vid).expect("every village has a shop");
            if let Some(g) = goods.iter_mut().filter(|g| g.2 <= have && g.3 > 0).max_by_key(|g| g.2) {
                let day = last + Duration::days(((i as i64) % 20 + 1).min((today - last).num_days()));
                g.3 -= 1;
                let t = move_between(acct, *shop_acct, g.2, "redeem", format!("{}×1", g.1), "", day, &mut balance);
                stock.push(vec![g.0.into(), (-1i64).into(), "redeem".into(), "".into(), t.into(), day.to_string().into(), now.into()]);
            }
        }
    }
    for a in accounts.iter_mut() {
        let Val::I(id) = a[0] else { continue };
        a.insert(4, balance.get(&id).copied().unwrap_or(0).into());
    }
    insert(conn, "INSERT INTO point_accounts (id, kind, owner_id, org_id, balance, card_code, created_at) VALUES ", 7, &accounts).await?;
    insert(conn, "INSERT INTO point_transfers (id, kind, from_account, to_account, points, item, note, on_day, at) VALUES ", 9, &transfers).await?;
    insert(conn, "INSERT INTO point_movements (transfer_id, account_id, points, at) VALUES ", 4, &movements).await?;
    insert(conn, "INSERT INTO market_stock (good_id, delta, kind, note, transfer_id, on_day, at) VALUES ", 7, &stock).await?;
    for (_, goods) in shop.values() {
        for g in goods {
            sqlx::query("UPDATE market_goods SET stock = $1 WHERE id = $2").bind(g.3).bind(g.0).execute(&mut *conn).await?;
        }
    }
    tx.commit().await?;
    db.sync_sequence("point_accounts").await?;
    db.sync_sequence("point_transfers").await?;
    Ok(transfers.len())
}
