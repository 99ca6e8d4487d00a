//! Dues for the demo: a basis for every member from January of last year (or the month they
//! joined), and payments month by month up to the day it runs. Most members pay every month;
//! about 3% have fallen one to three months behind and about 0.3% have paid nothing for seven
//! months (the six-month flag of 党章第九条). Deterministic for a seed and a date.

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use sqlx::Row as _;

use crate::db::{Db, Sql};
use crate::dues::rules::{assess, DuesBasis, DuesCategory, DuesRules, YearMonth};
use crate::error::AppResult;

/// Above this many members (a province) the demo leaves dues empty, as it does attendance.
pub const UP_TO_MEMBERS: i64 = 200_000;
const BEHIND_PER_MILLE: u32 = 30;
const LAPSED_PER_MILLE: u32 = 3;

struct Row {
    member: i64,
    org: i64,
    month: YearMonth,
    fen: i64,
    method: &'static str,
    paid_on: NaiveDate,
}

/// Returns the number of payments written. Amounts follow the published default rules.
pub async fn load(db: &Db, first_year: i32, today: NaiveDate, seed: u64) -> AppResult<usize> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(&db.pool).await?;
    if n > UP_TO_MEMBERS {
        return Ok(0);
    }
    let rules = DuesRules::default();
    let members = sqlx::query(
        "SELECT m.id, m.org_id, m.birth_date, m.joined_on, m.in_service, o.domain FROM members m JOIN orgs o ON o.id = m.org_id ORDER BY m.id",
    )
    .fetch_all(&db.pool)
    .await?;
    let start = YearMonth { year: first_year, month: 1 };
    let this_month = YearMonth::of(today);
    let now = crate::db::now_secs();
    let mut bases: Vec<(i64, YearMonth, DuesCategory, Option<i64>)> = Vec::new();
    let mut pays: Vec<Row> = Vec::new();
    for r in &members {
        let id: i64 = r.try_get("id")?;
        let day = |col: &str| -> AppResult<Option<NaiveDate>> {
            Ok(r.try_get::<Option<String>, _>(col)?.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()))
        };
        let (Some(birth), joined) = (day("birth_date")?, day("joined_on")?) else { continue };
        let in_service: i64 = r.try_get("in_service")?;
        let domain: String = r.try_get("domain")?;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ (id as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let age = today.year() - birth.year();
        let (category, base_yuan) = if age >= 60 && in_service == 0 {
            (DuesCategory::Retiree, Some(rng.gen_range(25..=60) * 100))
        } else if age < 23 {
            (DuesCategory::StudentUnemployedRelief, None)
        } else if domain == "rural" && in_service == 0 {
            (DuesCategory::Farmer, None)
        } else {
            (DuesCategory::Employed, Some(rng.gen_range(30..=120) * 100))
        };
        let base_fen = base_yuan.map(|y: i64| y * 100);
        let from = joined.map_or(start, |j| YearMonth::of(j).max(start));
        let Ok(a) = assess(&rules, &DuesBasis { category, base_fen, fixed_fen: None }, None) else { continue };
        bases.push((id, from, category, base_fen));
        let roll = rng.gen_range(0..1000);
        // The last month this member has paid for.
        let mut last = this_month;
        if roll < LAPSED_PER_MILLE {
            for _ in 0..7 {
                last = last.prev();
            }
        } else if roll < LAPSED_PER_MILLE + BEHIND_PER_MILLE {
            for _ in 0..rng.gen_range(1..=3) {
                last = last.prev();
            }
        }
        let method = if category == DuesCategory::Farmer || rng.gen_range(0..10) < 3 { "cash" } else { "transfer" };
        for month in from.iter_to(last) {
            let paid_on = month.first_day() + chrono::Duration::days(rng.gen_range(4..25));
            if paid_on > today || a.amount_fen == 0 {
                continue;
            }
            pays.push(Row { member: id, org: r.try_get("org_id")?, month, fen: a.amount_fen, method, paid_on });
        }
    }
    let mut tx = db.begin_bulk().await?;
    let conn: &mut crate::db::Conn = &mut tx;
    for chunk in bases.chunks(500) {
        let mut sql = Sql::bulk(conn, "INSERT INTO dues_bases (member_id, from_month, category, base_fen, fixed_fen, created_at) VALUES ");
        for (i, (member, from, category, base)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(").bind(*member).push(", ").bind(from.to_string()).push(", ").bind(category.code());
            sql.push(", ").bind(*base).push(", ").bind(None::<i64>).push(", ").bind(now).push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    for chunk in pays.chunks(500) {
        let mut sql = Sql::bulk(conn, "INSERT INTO dues_payments (member_id, org_id, month, amount_fen, method, paid_on, note, created_at) VALUES ");
        for (i, p) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(").bind(p.member).push(", ").bind(p.org).push(", ").bind(p.month.to_string()).push(", ").bind(p.fen);
            sql.push(", ").bind(p.method).push(", ").bind(p.paid_on.to_string()).push(", ").bind("（演示数据）").push(", ").bind(now).push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    tx.commit().await?;
    Ok(pays.len())
}
