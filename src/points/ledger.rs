//! The point ledger: accounts (a household's, a supermarket's, a village's issuing account) and
//! transfers, each written as two movements summing to zero. A debit is a conditional update
//! (`balance >= points`), so two parallel spends cannot both pass, on either engine; the table's
//! CHECK refuses a negative balance even if a caller forgot. Nothing is updated or deleted: a
//! correction is a reversing transfer that names the one it reverses (once).

use rand::Rng as _;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules;
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, Conn};
use crate::error::{AppError, AppResult};
use crate::members::validate::past_day as day;

crate::code_enum!(
    /// What a transfer is.
    TransferKind {
        Civic = ("civic", "文明实践"),
        Volunteer = ("volunteer", "志愿服务"),
        Redeem = ("redeem", "文明超市兑换"),
        Reversal = ("reversal", "更正"),
    }
);

/// Whose account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Household(i64),
    Market(i64),
    /// The issuing account of a village or community (its org id).
    Source(i64),
}

impl Owner {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Owner::Household(id) => ("household", id),
            Owner::Market(id) => ("market", id),
            Owner::Source(id) => ("source", id),
        }
    }
}

fn card_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    (0..10).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// The account of `owner`, made on first use (parallel first uses make one).
pub async fn account(conn: &mut Conn, owner: Owner, org_id: i64) -> AppResult<i64> {
    let (kind, id) = owner.parts();
    if let Some(a) = sqlx::query_scalar::<_, i64>("SELECT id FROM point_accounts WHERE kind = $1 AND owner_id = $2").bind(kind).bind(id).fetch_optional(&mut *conn).await? {
        return Ok(a);
    }
    let card = (kind == "household").then(card_code);
    sqlx::query("INSERT INTO point_accounts (kind, owner_id, org_id, balance, card_code, created_at) VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (kind, owner_id) DO NOTHING")
        .bind(kind)
        .bind(id)
        .bind(org_id)
        .bind(card)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_scalar("SELECT id FROM point_accounts WHERE kind = $1 AND owner_id = $2").bind(kind).bind(id).fetch_one(&mut *conn).await?)
}

/// What a transfer records besides its accounts and points.
pub struct TransferInfo<'a> {
    pub kind: TransferKind,
    pub item: &'a str,
    pub note: &'a str,
    pub on_day: &'a str,
    pub reverses: Option<i64>,
}

/// Moves `points` (> 0) between two accounts: refused with `points_short` when the debited
/// account (other than an issuing one) holds fewer.
pub async fn transfer(conn: &mut Conn, by: Option<i64>, from: i64, to: i64, points: i64, info: &TransferInfo<'_>) -> AppResult<i64> {
    if points <= 0 {
        return Err(AppError::invalid("points_invalid", "积分须为正整数"));
    }
    let debited = sqlx::query("UPDATE point_accounts SET balance = balance - $1 WHERE id = $2 AND (kind = 'source' OR balance >= $1)").bind(points).bind(from).execute(&mut *conn).await?;
    if debited.rows_affected() == 0 {
        let balance: i64 = sqlx::query_scalar("SELECT balance FROM point_accounts WHERE id = $1").bind(from).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
        let r = rules::short_of(balance, points).unwrap_or(rules::Refusal { code: "points_short", message: "积分不足".into() });
        return Err(AppError::invalid(r.code, r.message));
    }
    sqlx::query("UPDATE point_accounts SET balance = balance + $1 WHERE id = $2").bind(points).bind(to).execute(&mut *conn).await?;
    let now = now_secs();
    let res = sqlx::query_scalar::<_, i64>(
        "INSERT INTO point_transfers (kind, from_account, to_account, points, item, note, reverses_id, on_day, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(info.kind.code())
    .bind(from)
    .bind(to)
    .bind(points)
    .bind(info.item)
    .bind(info.note)
    .bind(info.reverses)
    .bind(info.on_day)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await;
    let tid = match res {
        Err(e) if crate::error::is_unique_violation(&e) => return Err(AppError::conflict("already_reversed", "这笔积分已经更正过")),
        other => other?,
    };
    for (account, p) in rules::movements(from, to, points) {
        sqlx::query("INSERT INTO point_movements (transfer_id, account_id, points, at) VALUES ($1, $2, $3, $4)").bind(tid).bind(account).bind(p).bind(now).execute(&mut *conn).await?;
    }
    Ok(tid)
}

/// A household as the ledger needs it.
#[derive(Clone, Debug)]
pub struct HouseholdRef {
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub head_name: String,
    pub address: String,
}

impl audit::InOrg for HouseholdRef {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

/// A household inside `scope`; else NotFound.
pub async fn household(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, id: i64) -> AppResult<HouseholdRef> {
    let r = sqlx::query("SELECT id, org_id, org_path, head_name, address FROM households WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let h = HouseholdRef { id: r.try_get("id")?, org_id: r.try_get("org_id")?, org_path: r.try_get("org_path")?, head_name: r.try_get("head_name")?, address: r.try_get("address")? };
    scope.require_at(&h.org_path)?;
    Ok(h)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub transfer_id: i64,
    /// civic, volunteer, redeem, reversal
    pub kind: String,
    pub kind_label: String,
    /// The civic item, or the goods redeemed.
    pub item: String,
    /// Evidence or note.
    pub note: String,
    /// Signed, for this account: earned positive, spent negative.
    pub points: i64,
    pub on_day: String,
    /// The transfer this one reverses.
    pub reverses_id: Option<i64>,
    /// Reversed later by a correction.
    pub reversed: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdPoints {
    pub household_id: i64,
    pub head_name: String,
    pub address: String,
    pub balance: i64,
    pub earned: i64,
    pub spent: i64,
    /// The code printed on the household's points card (its QR opens the counter on it).
    pub card_code: String,
    /// Latest first.
    pub entries: Vec<EntryView>,
    #[serde(skip)]
    pub org_path: String,
}

/// A household's balance and every movement of its account with the transfer behind it.
pub async fn household_points(conn: &mut Conn, scope: &Scope<cap::ReadResidents>, id: i64) -> AppResult<HouseholdPoints> {
    let h = household(conn, scope, id).await?;
    let acct = account(conn, Owner::Household(h.id), h.org_id).await?;
    let r = sqlx::query("SELECT balance, card_code FROM point_accounts WHERE id = $1").bind(acct).fetch_one(&mut *conn).await?;
    let rows = sqlx::query(
        "SELECT t.id, t.kind, t.item, t.note, m.points, t.on_day, t.reverses_id, (SELECT COUNT(*) FROM point_transfers x WHERE x.reverses_id = t.id) AS reversed \
         FROM point_movements m JOIN point_transfers t ON t.id = m.transfer_id WHERE m.account_id = $1 ORDER BY m.id DESC",
    )
    .bind(acct)
    .fetch_all(&mut *conn)
    .await?;
    let mut entries = Vec::new();
    for r in &rows {
        let kind: String = r.try_get("kind")?;
        entries.push(EntryView {
            transfer_id: r.try_get("id")?,
            kind_label: TransferKind::parse(&kind).map(|k| k.label()).unwrap_or("").into(),
            kind,
            item: r.try_get("item")?,
            note: r.try_get("note")?,
            points: r.try_get("points")?,
            on_day: r.try_get("on_day")?,
            reverses_id: r.try_get("reverses_id")?,
            reversed: r.try_get::<i64, _>("reversed")? > 0,
        });
    }
    let earned = entries.iter().filter(|e| e.points > 0).map(|e| e.points).sum();
    let spent = -entries.iter().filter(|e| e.points < 0).map(|e| e.points).sum::<i64>();
    Ok(HouseholdPoints { household_id: h.id, head_name: h.head_name, address: h.address, balance: r.try_get("balance")?, earned, spent, card_code: r.try_get::<Option<String>, _>("card_code")?.unwrap_or_default(), entries, org_path: h.org_path })
}

async fn writable_household(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<HouseholdRef> {
    let h = household(conn, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteResidents, &h.org_path) {
        return Err(AppError::forbidden("您的角色无权登记该户的积分"));
    }
    Ok(h)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CivicInput {
    /// An item of the civic catalog, by code or label (庭院整洁, 孝老爱亲 …).
    pub item: Option<String>,
    /// YYYY-MM-DD.
    pub on: Option<String>,
    /// The evidence: what was seen, by whom (照片见网格台账, 村民代表评议 …).
    pub evidence: Option<String>,
}

/// A civic-practice entry by the grid worker: points from the village's issuing account.
pub async fn add_civic(conn: &mut Conn, actor: &Actor, cfg: &Rules, household_id: i64, input: &CivicInput) -> AppResult<HouseholdPoints> {
    let h = writable_household(conn, actor, household_id).await?;
    let rules = &cfg.household_points;
    let item = input
        .item
        .as_deref()
        .and_then(|i| rules.civic(i))
        .ok_or_else(|| AppError::invalid_field("item_invalid", "item", format!("请选择文明实践事项：{}", rules.civic_items.iter().map(|i| i.label.as_str()).collect::<Vec<_>>().join("、"))))?;
    let on = day("on", input.on.as_deref())?;
    let evidence = input.evidence.as_deref().map(str::trim).unwrap_or("");
    if evidence.is_empty() {
        return Err(AppError::invalid_field("evidence_required", "evidence", "请写明依据，如“入户查看，院落整洁”"));
    }
    if evidence.chars().count() > 200 {
        return Err(AppError::invalid_field("too_long", "evidence", "依据不超过200字"));
    }
    let from = account(conn, Owner::Source(h.org_id), h.org_id).await?;
    let to = account(conn, Owner::Household(h.id), h.org_id).await?;
    let on_s = on.to_string();
    let info = TransferInfo { kind: TransferKind::Civic, item: &item.label, note: evidence, on_day: &on_s, reverses: None };
    let tid = transfer(conn, Some(actor.user_id), from, to, item.points, &info).await?;
    audit::record(conn, Some(actor), "points.civic", "household", Some(h.id), &h, None, Some(&serde_json::json!({"transfer": tid, "item": item.label, "points": item.points, "on": on_s}))).await?;
    household_points(conn, &actor.scope(), h.id).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReverseInput {
    /// Why the entry was wrong.
    pub reason: Option<String>,
}

/// Corrects an earning entry of a household with a reversing transfer (once); refused when the
/// household has already spent the points.
pub async fn reverse(conn: &mut Conn, actor: &Actor, transfer_id: i64, input: &ReverseInput) -> AppResult<HouseholdPoints> {
    let r = sqlx::query("SELECT t.kind, t.from_account, t.to_account, t.points, t.item, a.kind AS to_kind, a.owner_id FROM point_transfers t JOIN point_accounts a ON a.id = t.to_account WHERE t.id = $1")
        .bind(transfer_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let (kind, to_kind): (String, String) = (r.try_get("kind")?, r.try_get("to_kind")?);
    if to_kind != "household" {
        return Err(AppError::NotFound);
    }
    let h = writable_household(conn, actor, r.try_get("owner_id")?).await?;
    if !matches!(TransferKind::parse(&kind), Some(TransferKind::Civic | TransferKind::Volunteer)) {
        return Err(AppError::invalid("not_reversible", "只有获得积分的记录可以更正；兑换记录请以退货方式处理"));
    }
    let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM point_transfers WHERE reverses_id = $1").bind(transfer_id).fetch_one(&mut *conn).await?;
    if done > 0 {
        return Err(AppError::conflict("already_reversed", "这笔积分已经更正过"));
    }
    let reason = input.reason.as_deref().map(str::trim).unwrap_or("");
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::invalid_field("reason_required", "reason", "请写明更正原因（不超过200字）"));
    }
    let (from, to, points, item): (i64, i64, i64, String) = (r.try_get("from_account")?, r.try_get("to_account")?, r.try_get("points")?, r.try_get("item")?);
    let today = crate::db::today().to_string();
    let info = TransferInfo { kind: TransferKind::Reversal, item: &item, note: reason, on_day: &today, reverses: Some(transfer_id) };
    let tid = transfer(conn, Some(actor.user_id), to, from, points, &info).await.map_err(|e| match e.code() {
        "points_short" => AppError::invalid("points_spent", format!("该户积分已用于兑换，余额不足 {points} 分，无法更正：{}", e.message())),
        _ => e,
    })?;
    audit::record(conn, Some(actor), "points.reverse", "household", Some(h.id), &h, None, Some(&serde_json::json!({"transfer": tid, "reverses": transfer_id, "reason": reason}))).await?;
    household_points(conn, &actor.scope(), h.id).await
}
