//! The 文明超市 of a village or community: goods priced in points with a stock, restocking and
//! donations, and redemption at the counter. A redemption is one transaction: each good's stock
//! is taken with a conditional update (`stock >= quantity`, goods in id order so parallel
//! baskets lock alike), then the household's points move to the supermarket's account; any
//! refusal undoes all of it. Neither a stock nor a balance can go below zero, however many
//! counters serve at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::ledger::{self, Owner, TransferInfo, TransferKind};
use super::rules::{self, Line};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, path, Conn, Sql};
use crate::error::{AppError, AppResult};
use crate::members::validate::short_text;
use crate::orgs::model::Org;
use crate::orgs::store as orgs;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GoodView {
    pub id: i64,
    pub name: String,
    pub unit: String,
    /// Points per unit.
    pub price: i64,
    pub stock: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MarketView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    pub goods: Vec<GoodView>,
    /// Points taken in at the counter, all time.
    pub points_redeemed: i64,
    pub redemptions: i64,
    #[serde(skip)]
    pub org_path: String,
}

impl audit::InOrg for MarketView {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

async fn load(conn: &mut Conn, id: i64) -> AppResult<Option<MarketView>> {
    let Some(r) = sqlx::query("SELECT k.id, k.org_id, o.name AS org_name, o.path, k.name FROM markets k JOIN orgs o ON o.id = k.org_id WHERE k.id = $1").bind(id).fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let goods = sqlx::query("SELECT id, name, unit, price, stock FROM market_goods WHERE market_id = $1 ORDER BY name").bind(id).fetch_all(&mut *conn).await?;
    let goods = goods
        .iter()
        .map(|g| Ok(GoodView { id: g.try_get("id")?, name: g.try_get("name")?, unit: g.try_get("unit")?, price: g.try_get("price")?, stock: g.try_get("stock")? }))
        .collect::<AppResult<Vec<_>>>()?;
    let totals = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(t.points), 0) AS BIGINT) AS p FROM point_transfers t JOIN point_accounts a ON a.id = t.to_account \
         WHERE a.kind = 'market' AND a.owner_id = $1 AND t.kind = 'redeem'",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(MarketView {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("path")?,
        name: r.try_get("name")?,
        goods,
        points_redeemed: totals.try_get("p")?,
        redemptions: totals.try_get("n")?,
    }))
}

/// A supermarket inside `scope`; else NotFound.
pub async fn get(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, id: i64) -> AppResult<MarketView> {
    match load(conn, id).await? {
        Some(m) if scope.covers(&m.org_path) => Ok(m),
        _ => Err(AppError::NotFound),
    }
}

/// The supermarket of an org, if it has one.
pub async fn of_org(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, org: &Org) -> AppResult<Option<MarketView>> {
    scope.require_at(&org.path)?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM markets WHERE org_id = $1").bind(org.id).fetch_optional(&mut *conn).await?;
    match id {
        Some(id) => load(conn, id).await,
        None => Ok(None),
    }
}

async fn writable(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<MarketView> {
    let m = get(conn, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteResidents, &m.org_path) {
        return Err(AppError::forbidden("您的角色无权管理该文明超市"));
    }
    Ok(m)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MarketInput {
    /// The village or community.
    pub org_id: Option<i64>,
    /// “龙湖社区文明超市”.
    pub name: Option<String>,
}

/// Opens the supermarket of a village or community (one each).
pub async fn create(conn: &mut Conn, actor: &Actor, input: &MarketInput) -> AppResult<MarketView> {
    let oid = input.org_id.ok_or_else(|| AppError::invalid_field("org_required", "org_id", "请选择村（社区）"))?;
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadResidents>(), oid).await?;
    if !actor.can(Perm::WriteResidents, &org.path) {
        return Err(AppError::forbidden("您的角色无权开设文明超市"));
    }
    if !crate::cadres::store::is_village(conn, org.id).await? {
        return Err(AppError::invalid_field("not_a_village", "org_id", format!("{}不是村（社区）党组织：文明超市开设在村（社区）", org.name)));
    }
    let mut name = short_text("name", &input.name, 40, "名称")?;
    if name.is_empty() {
        name = format!("{}文明超市", org.name.trim_end_matches("党支部").trim_end_matches("党总支").trim_end_matches("党委"));
    }
    let res = sqlx::query_scalar::<_, i64>("INSERT INTO markets (org_id, name, created_at) VALUES ($1, $2, $3) RETURNING id").bind(org.id).bind(&name).bind(now_secs()).fetch_one(&mut *conn).await;
    let id = match res {
        Err(e) if crate::error::is_unique_violation(&e) => return Err(AppError::conflict("market_exists", format!("{}已开设文明超市", org.name))),
        other => other?,
    };
    ledger::account(conn, Owner::Market(id), org.id).await?;
    let m = get(conn, &actor.scope(), id).await?;
    audit::record(conn, Some(actor), "market.create", "market", Some(id), &m, None, Some(&serde_json::json!({"name": m.name}))).await?;
    Ok(m)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct GoodInput {
    pub name: Option<String>,
    /// 袋, 瓶, 条 …
    pub unit: Option<String>,
    /// Points per unit, a positive integer.
    pub price: Option<i64>,
}

/// Puts a good on the shelf (stock comes with restocking or donations).
pub async fn add_good(conn: &mut Conn, actor: &Actor, market_id: i64, input: &GoodInput) -> AppResult<GoodView> {
    let m = writable(conn, actor, market_id).await?;
    let name = short_text("name", &input.name, 40, "物品名称")?;
    if name.is_empty() {
        return Err(AppError::invalid_field("name_required", "name", "请填写物品名称"));
    }
    let price = input.price.filter(|p| (1..=100_000).contains(p)).ok_or_else(|| AppError::invalid_field("price_invalid", "price", "兑换积分须为1到100000之间的整数"))?;
    let unit = short_text("unit", &input.unit, 6, "单位")?;
    let res = sqlx::query_scalar::<_, i64>("INSERT INTO market_goods (market_id, name, unit, price, stock, created_at) VALUES ($1, $2, $3, $4, 0, $5) RETURNING id")
        .bind(m.id)
        .bind(&name)
        .bind(&unit)
        .bind(price)
        .bind(now_secs())
        .fetch_one(&mut *conn)
        .await;
    let id = match res {
        Err(e) if crate::error::is_unique_violation(&e) => return Err(AppError::conflict("good_exists", format!("“{name}”已在货架上"))),
        other => other?,
    };
    audit::record(conn, Some(actor), "market.good", "market", Some(m.id), &m, None, Some(&serde_json::json!({"good": name, "price": price}))).await?;
    Ok(GoodView { id, name, unit, price, stock: 0 })
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct StockInput {
    pub good_id: Option<i64>,
    /// Units added, positive.
    pub quantity: Option<i64>,
    /// restock (采购补货) or donation (爱心捐赠)
    pub kind: Option<String>,
    /// Supplier or donor, invoice number.
    pub note: Option<String>,
}

/// Restocking or a donation: the stock grows and the change is a row.
pub async fn add_stock(conn: &mut Conn, actor: &Actor, market_id: i64, input: &StockInput) -> AppResult<GoodView> {
    let m = writable(conn, actor, market_id).await?;
    let gid = input.good_id.ok_or_else(|| AppError::invalid_field("good_required", "good_id", "请选择物品"))?;
    let good = m.goods.iter().find(|g| g.id == gid).ok_or_else(|| AppError::invalid_field("good_unknown", "good_id", "该超市没有这个物品"))?;
    let q = input.quantity.filter(|q| (1..=100_000).contains(q)).ok_or_else(|| AppError::invalid_field("quantity_invalid", "quantity", "数量须为1到100000之间的整数"))?;
    let kind = match input.kind.as_deref().map(str::trim) {
        Some("restock") | Some("采购补货") | None | Some("") => "restock",
        Some("donation") | Some("爱心捐赠") => "donation",
        Some(other) => return Err(AppError::invalid_field("kind_invalid", "kind", format!("无法识别的入库方式“{other}”：采购补货或爱心捐赠"))),
    };
    let note = short_text("note", &input.note, 100, "来源")?;
    if kind == "donation" && note.is_empty() {
        return Err(AppError::invalid_field("donor_required", "note", "爱心捐赠请写明捐赠人或单位"));
    }
    sqlx::query("UPDATE market_goods SET stock = stock + $1 WHERE id = $2").bind(q).bind(gid).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO market_stock (good_id, delta, kind, note, on_day, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(gid)
        .bind(q)
        .bind(kind)
        .bind(&note)
        .bind(crate::db::today().to_string())
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    audit::record(conn, Some(actor), "market.stock", "market", Some(m.id), &m, None, Some(&serde_json::json!({"good": good.name, "quantity": q, "kind": kind, "note": note}))).await?;
    let stock: i64 = sqlx::query_scalar("SELECT stock FROM market_goods WHERE id = $1").bind(gid).fetch_one(&mut *conn).await?;
    Ok(GoodView { stock, ..good.clone() })
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdBalance {
    pub household_id: i64,
    pub head_name: String,
    pub address: String,
    pub balance: i64,
}

/// Households of the supermarket's village whose head's name starts with `q`, whose address
/// contains it, or whose card code is `q`, with their balances (at most 20).
pub async fn lookup(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, market_id: i64, q: &str) -> AppResult<Vec<HouseholdBalance>> {
    let m = get(conn, scope, market_id).await?;
    let q: String = q.trim().chars().filter(|c| !matches!(c, '%' | '_')).take(40).collect();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT h.id, h.head_name, h.address, COALESCE(a.balance, 0) AS balance FROM households h LEFT JOIN point_accounts a ON a.kind = 'household' AND a.owner_id = h.id \
         WHERE h.org_path >= ",
    );
    sql.bind(m.org_path.clone()).push(" AND h.org_path < ").bind(path::upper(&m.org_path));
    sql.push(" AND (h.head_name LIKE ").bind(format!("{q}%")).push(" OR h.address LIKE ").bind(format!("%{q}%")).push(" OR a.card_code = ").bind(q.to_uppercase()).push(")");
    sql.push(" ORDER BY h.address, h.id LIMIT 20");
    sql.query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok(HouseholdBalance { household_id: r.try_get("id")?, head_name: r.try_get("head_name")?, address: r.try_get("address")?, balance: r.try_get("balance")? }))
        .collect()
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct BasketLine {
    pub good_id: i64,
    pub quantity: i64,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RedeemInput {
    /// The household, picked at the counter…
    pub household_id: Option<i64>,
    /// …or by the code on its points card.
    pub card_code: Option<String>,
    pub items: Vec<BasketLine>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub transfer_id: i64,
    pub household_id: i64,
    pub head_name: String,
    /// “洗衣粉×2、毛巾×1”.
    pub items: String,
    pub points: i64,
    pub balance_after: i64,
}

/// Redeems a basket for a household of the supermarket's village: all of it or nothing.
pub async fn redeem(conn: &mut Conn, actor: &Actor, cfg: &Rules, market_id: i64, input: &RedeemInput) -> AppResult<Receipt> {
    let m = writable(conn, actor, market_id).await?;
    let hid = match (input.household_id, input.card_code.as_deref().map(str::trim).filter(|c| !c.is_empty())) {
        (Some(h), _) => h,
        (None, Some(code)) => sqlx::query_scalar("SELECT owner_id FROM point_accounts WHERE kind = 'household' AND card_code = $1")
            .bind(code.to_uppercase())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| AppError::invalid_field("card_unknown", "card_code", "没有这张积分卡，请核对卡号或按姓名查找"))?,
        (None, None) => return Err(AppError::invalid_field("household_required", "household_id", "请先找到兑换的农户（姓名、门牌号或积分卡）")),
    };
    let h = ledger::household(conn, &actor.scope(), hid).await.map_err(|_| AppError::invalid_field("household_unknown", "household_id", "没有找到这户，或不在您的管理范围内"))?;
    if !path::contains(&m.org_path, &h.org_path) {
        return Err(AppError::invalid_field("household_elsewhere", "household_id", format!("{}户不属于{}，请到本村（社区）的文明超市兑换", h.head_name, m.org_name)));
    }
    // One line per good, in id order: parallel baskets take their rows in the same order.
    let mut wanted: BTreeMap<i64, i64> = BTreeMap::new();
    for l in &input.items {
        *wanted.entry(l.good_id).or_default() += l.quantity;
    }
    let mut lines = Vec::new();
    for (gid, q) in &wanted {
        let g = m.goods.iter().find(|g| g.id == *gid).ok_or_else(|| AppError::invalid_field("good_unknown", "items", "该超市没有所选物品，请刷新后重试"))?;
        lines.push(Line { name: g.name.clone(), price: g.price, quantity: *q });
    }
    let total = rules::basket_total(&cfg.household_points, &lines).map_err(|r| AppError::invalid_field(r.code, "items", r.message))?;
    for ((gid, q), line) in wanted.iter().zip(&lines) {
        let done = sqlx::query("UPDATE market_goods SET stock = stock - $1 WHERE id = $2 AND stock >= $1").bind(*q).bind(*gid).execute(&mut *conn).await?;
        if done.rows_affected() == 0 {
            let left: i64 = sqlx::query_scalar("SELECT stock FROM market_goods WHERE id = $1").bind(*gid).fetch_one(&mut *conn).await?;
            return Err(AppError::invalid_field("out_of_stock", "items", format!("“{}”库存只剩 {left}，不够兑换 {q}", line.name)));
        }
    }
    let items = lines.iter().map(|l| format!("{}×{}", l.name, l.quantity)).collect::<Vec<_>>().join("、");
    let from = ledger::account(conn, Owner::Household(h.id), h.org_id).await?;
    let to = ledger::account(conn, Owner::Market(m.id), m.org_id).await?;
    let today = crate::db::today().to_string();
    let info = TransferInfo { kind: TransferKind::Redeem, item: &items, note: "", on_day: &today, reverses: None };
    let tid = ledger::transfer(conn, Some(actor.user_id), from, to, total, &info).await?;
    for (gid, q) in &wanted {
        sqlx::query("INSERT INTO market_stock (good_id, delta, kind, note, transfer_id, on_day, by_user_id, at) VALUES ($1, $2, 'redeem', '', $3, $4, $5, $6)")
            .bind(*gid)
            .bind(-*q)
            .bind(tid)
            .bind(&today)
            .bind(actor.user_id)
            .bind(now_secs())
            .execute(&mut *conn)
            .await?;
    }
    let balance_after: i64 = sqlx::query_scalar("SELECT balance FROM point_accounts WHERE id = $1").bind(from).fetch_one(&mut *conn).await?;
    audit::record(conn, Some(actor), "market.redeem", "household", Some(h.id), &h, None, Some(&serde_json::json!({"transfer": tid, "market": m.name, "items": items, "points": total}))).await?;
    Ok(Receipt { transfer_id: tid, household_id: h.id, head_name: h.head_name, items, points: total, balance_after })
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RedemptionView {
    pub transfer_id: i64,
    pub on_day: String,
    pub head_name: String,
    pub address: String,
    pub items: String,
    pub points: i64,
    /// The two movements of the transfer: the household's (negative) and the supermarket's.
    pub household_movement: i64,
    pub market_movement: i64,
}

/// The supermarket's redemptions, latest first, each with its two movements (at most `limit`).
pub async fn redemptions(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, market_id: i64, limit: i64) -> AppResult<Vec<RedemptionView>> {
    let m = get(conn, scope, market_id).await?;
    let rows = sqlx::query(
        "SELECT t.id, t.on_day, t.item, t.points, h.head_name, h.address, \
         (SELECT mv.points FROM point_movements mv WHERE mv.transfer_id = t.id AND mv.account_id = t.from_account) AS out_points, \
         (SELECT mv.points FROM point_movements mv WHERE mv.transfer_id = t.id AND mv.account_id = t.to_account) AS in_points \
         FROM point_transfers t JOIN point_accounts ma ON ma.id = t.to_account JOIN point_accounts ha ON ha.id = t.from_account JOIN households h ON h.id = ha.owner_id \
         WHERE ma.kind = 'market' AND ma.owner_id = $1 AND t.kind = 'redeem' ORDER BY t.id DESC LIMIT $2",
    )
    .bind(m.id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RedemptionView {
                transfer_id: r.try_get("id")?,
                on_day: r.try_get("on_day")?,
                head_name: r.try_get("head_name")?,
                address: r.try_get("address")?,
                items: r.try_get("item")?,
                points: r.try_get("points")?,
                household_movement: r.try_get("out_points")?,
                market_movement: r.try_get("in_points")?,
            })
        })
        .collect()
}

/// The 文明超市兑换台账 as a workbook: every redemption with its two movements.
pub async fn ledger_xlsx(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, market_id: i64) -> AppResult<(String, Vec<u8>)> {
    let m = get(conn, scope, market_id).await?;
    let list = redemptions(conn, scope, market_id, 100_000).await?;
    let headers = ["日期", "户主", "门牌", "兑换物品", "积分", "农户账户", "超市账户"];
    let widths = [11.0, 10.0, 20.0, 30.0, 8.0, 10.0, 10.0];
    let rows = list.into_iter().map(|r| vec![r.on_day, r.head_name, r.address, r.items, r.points.to_string(), r.household_movement.to_string(), r.market_movement.to_string()]);
    let bytes = crate::members::sheets::write_table_xlsx(&format!("{}兑换台账", m.name), &headers, &widths, rows).map_err(|e| AppError::invalid("export_failed", e))?;
    Ok((m.name, bytes))
}
