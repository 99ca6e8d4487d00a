//! Dues records: each member's basis history, reductions and waivers, and the
//! append-only payment ledger; the amounts come from the pure rules in [`super::rules`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{
    arrears_fen, assess, ledger, unpaid_streak, Adjustment, AdjustmentKind, BasisChange, DuesAssessment, DuesBasis, DuesCategory,
    DuesRules, Payment, YearMonth,
};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::db::{now_secs, Conn, Sql};
use crate::error::{AppError, AppResult};
use crate::members::model::Member;
use crate::members::store as members;
use crate::orgs::model::Org;

fn dues_err(e: super::rules::DuesError) -> AppError {
    AppError::invalid(e.code(), e.to_string())
}

pub fn parse_month(s: &str, field: &'static str) -> AppResult<YearMonth> {
    YearMonth::parse(s.trim()).map_err(|_| AppError::invalid_field("month_invalid", field, format!("无法识别的月份“{s}”，请写成 2026-03")))
}

/// Parses a yuan amount with at most two decimals ("4000", "4000.5", "4,000.00") into fen, exactly.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let s: String = s.trim().chars().filter(|c| *c != ',' && *c != '，').collect();
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), f.to_string()),
        None => (s.clone(), String::new()),
    };
    if int.is_empty() || !int.chars().all(|c| c.is_ascii_digit()) || frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let int: i64 = int.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    int.checked_mul(100)?.checked_add(frac)
}

pub fn fmt_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// Bases, adjustments and payments of the members; payments only from `since` on (the ledger
/// ignores earlier months, and a county's sheet then reads half as many rows).
/// `until`: payments for later months are left out (they change nothing up to it).
async fn history(conn: &mut Conn, member_ids: &[i64], since: YearMonth, until: Option<YearMonth>) -> AppResult<(HashMap<i64, Vec<BasisChange>>, HashMap<i64, Vec<Adjustment>>, HashMap<i64, Vec<Payment>>)> {
    let mut bases: HashMap<i64, Vec<BasisChange>> = HashMap::new();
    let mut adjs: HashMap<i64, Vec<Adjustment>> = HashMap::new();
    let mut pays: HashMap<i64, Vec<Payment>> = HashMap::new();
    for chunk in member_ids.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let list = |prefix: &str, suffix: &str| {
            let mut sql = Sql::new(prefix);
            sql.bind_list(chunk.iter().copied());
            sql.push(")").push(suffix);
            sql
        };
        let sql = list("SELECT member_id, from_month, category, base_fen, fixed_fen FROM dues_bases WHERE member_id IN (", "");
        for r in sql.query().fetch_all(&mut *conn).await? {
            let cat: String = r.try_get("category")?;
            let Some(category) = DuesCategory::parse(&cat) else { continue };
            let Ok(from) = YearMonth::parse(&r.try_get::<String, _>("from_month")?) else { continue };
            bases.entry(r.try_get("member_id")?).or_default().push(BasisChange {
                from,
                basis: DuesBasis { category, base_fen: r.try_get("base_fen")?, fixed_fen: r.try_get("fixed_fen")? },
            });
        }
        let sql = list("SELECT member_id, kind, amount_fen, reason, approved_by, from_month, to_month FROM dues_adjustments WHERE member_id IN (", " ORDER BY id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            let kind: String = r.try_get("kind")?;
            let kind = match kind.as_str() {
                "waive" => AdjustmentKind::Waive,
                _ => AdjustmentKind::Reduce { amount_fen: r.try_get::<Option<i64>, _>("amount_fen")?.unwrap_or(0) },
            };
            let Ok(from) = YearMonth::parse(&r.try_get::<String, _>("from_month")?) else { continue };
            let to = r.try_get::<Option<String>, _>("to_month")?.and_then(|t| YearMonth::parse(&t).ok());
            adjs.entry(r.try_get("member_id")?).or_default().push(Adjustment {
                kind,
                reason: r.try_get("reason")?,
                approved_by: r.try_get("approved_by")?,
                from,
                to,
            });
        }
        // One row per member ("2026-01:1500,2026-02:1500"): on SQLite every returned row crosses a
        // thread in sqlx, and a county's two years of payments are a quarter of a million rows.
        let agg = if conn.backend_name() == "SQLite" { "group_concat(month || ':' || CAST(amount AS TEXT), ',')" } else { "string_agg(month || ':' || CAST(amount AS TEXT), ',')" };
        let mut sql = Sql::new(&format!("SELECT member_id, {agg} AS months FROM (SELECT member_id, month, CAST(SUM(amount_fen) AS BIGINT) AS amount FROM dues_payments WHERE member_id IN ("));
        sql.bind_list(chunk.iter().copied());
        sql.push(") AND month >= ").bind(since.to_string());
        if let Some(u) = until {
            sql.push(" AND month <= ").bind(u.to_string());
        }
        sql.push(" GROUP BY member_id, month) p GROUP BY member_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            let months: String = r.try_get::<Option<String>, _>("months")?.unwrap_or_default();
            let list = pays.entry(r.try_get("member_id")?).or_default();
            for item in months.split(',') {
                let Some((m, fen)) = item.split_once(':') else { continue };
                let (Ok(month), Ok(amount_fen)) = (YearMonth::parse(m), fen.parse::<i64>()) else { continue };
                list.push(Payment { month, amount_fen });
            }
        }
    }
    for v in bases.values_mut() {
        v.sort_by_key(|b| b.from);
    }
    Ok((bases, adjs, pays))
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberDues {
    pub member_id: i64,
    pub name: String,
    pub month: String,
    /// None when no dues basis has been recorded yet.
    #[schema(value_type = Option<Object>)]
    pub assessment: Option<DuesAssessment>,
    pub owed_fen: i64,
    pub paid_fen: i64,
    /// Unpaid amounts of the twelve months up to and including `month`.
    pub arrears_fen: i64,
    /// Consecutive months up to `month` with dues owed and nothing paid.
    pub unpaid_months: usize,
    /// 党章第九条：连续六个月不交纳党费 … 视为自行脱党 (flag for the branch to follow up).
    pub six_month_flag: bool,
    /// Date of the last meeting the member attended, if any.
    pub last_attended: Option<String>,
    /// 党章第九条：连续六个月不参加党的组织生活: no attended meeting in the six months
    /// ending with `month` (members who joined within those months are not flagged).
    pub no_life_six_months: bool,
    /// A record that could not be assessed (e.g. a reduction above the amount due), and why.
    pub problem: Option<String>,
}

/// Months looked back for arrears.
pub const ARREARS_MONTHS: u32 = 12;

fn lookback(month: YearMonth) -> YearMonth {
    let mut m = month;
    for _ in 1..ARREARS_MONTHS {
        m = m.prev();
    }
    m
}

/// Months without organizational life before a member is flagged (党章第九条).
pub const LAPSE_NO_LIFE_MONTHS: u32 = 6;

#[allow(clippy::too_many_arguments)]
fn member_dues(
    rules: &DuesRules,
    m: &Member,
    month: YearMonth,
    bases: &[BasisChange],
    adjs: &[Adjustment],
    pays: &[Payment],
    last_attended: Option<&String>,
) -> MemberDues {
    // The first day of the six-month window that ends with `month`.
    let mut first = month;
    for _ in 1..LAPSE_NO_LIFE_MONTHS {
        first = first.prev();
    }
    let window_start = first.first_day().to_string();
    let no_life = m.joined_on < window_start && last_attended.is_none_or(|d| *d < window_start);
    let mut out = MemberDues {
        member_id: m.id,
        name: m.name.clone(),
        month: month.to_string(),
        assessment: None,
        owed_fen: 0,
        paid_fen: 0,
        arrears_fen: 0,
        unpaid_months: 0,
        six_month_flag: false,
        last_attended: last_attended.cloned(),
        no_life_six_months: no_life,
        problem: None,
    };
    match ledger(rules, bases, adjs, pays, lookback(month), month) {
        Ok(lines) => {
            let current = lines.last();
            let streak = unpaid_streak(&lines);
            out.assessment = current.and_then(|l| l.assessment.clone());
            out.owed_fen = current.map(|l| l.owed_fen).unwrap_or(0);
            out.paid_fen = current.map(|l| l.paid_fen).unwrap_or(0);
            out.arrears_fen = arrears_fen(&lines);
            out.unpaid_months = streak;
            out.six_month_flag = streak >= super::rules::LAPSE_UNPAID_MONTHS;
        }
        // One member's inconsistent record must not hide the whole sheet.
        Err(e) => out.problem = Some(e.to_string()),
    }
    out
}

/// The last attended (held) meeting date of each member.
async fn last_attendance(conn: &mut Conn, member_ids: &[i64]) -> AppResult<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for chunk in member_ids.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let mut sql = Sql::new(
            "SELECT a.member_id, MAX(m.held_on) AS last FROM meeting_attendance a JOIN meetings m ON m.id = a.meeting_id \
             WHERE a.status = 'present' AND m.held_on IS NOT NULL AND a.member_id IN (",
        );
        sql.bind_list(chunk.iter().copied());
        sql.push(") GROUP BY a.member_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            if let Some(last) = r.try_get::<Option<String>, _>("last")? {
                out.insert(r.try_get("member_id")?, last);
            }
        }
    }
    Ok(out)
}

/// One member's dues for a month, with the bracket and the rule.
pub async fn for_member(conn: &mut Conn, scope: &Scope<cap::ReadDues>, rules: &DuesRules, member_id: i64, month: YearMonth) -> AppResult<MemberDues> {
    let m = members::get_scoped(conn, scope, member_id).await?;
    let (bases, adjs, pays) = history(conn, &[m.id], lookback(month), None).await?;
    let last = last_attendance(conn, &[m.id]).await?;
    Ok(member_dues(
        rules,
        &m,
        month,
        bases.get(&m.id).map(|v| v.as_slice()).unwrap_or(&[]),
        adjs.get(&m.id).map(|v| v.as_slice()).unwrap_or(&[]),
        pays.get(&m.id).map(|v| v.as_slice()).unwrap_or(&[]),
        last.get(&m.id),
    ))
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OrgDues {
    pub org_id: i64,
    pub month: String,
    pub owed_fen: i64,
    pub paid_fen: i64,
    pub arrears_fen: i64,
    pub members_without_basis: usize,
    pub flagged: usize,
    /// One line per direct child org (and one for the org's own members), for drill-down.
    pub children: Vec<DuesTally>,
    /// False above SHEET_LIMIT members: `members` is then empty and `children` tells the story.
    pub members_listed: bool,
    pub members: Vec<MemberDues>,
}

/// An org's dues for the month, summed over its subtree.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DuesTally {
    pub org_id: i64,
    pub org_name: String,
    pub members: usize,
    pub owed_fen: i64,
    pub paid_fen: i64,
    pub arrears_fen: i64,
    /// Members with any arrears in the last twelve months.
    pub in_arrears: usize,
    pub members_without_basis: usize,
    pub flagged: usize,
    /// Paid ÷ owed this month in basis points (10000 = 100%); None when nothing is owed.
    pub paid_bp: Option<i64>,
}

impl DuesTally {
    fn add(&mut self, d: &MemberDues) {
        self.members += 1;
        self.owed_fen += d.owed_fen;
        self.paid_fen += d.paid_fen;
        self.arrears_fen += d.arrears_fen;
        self.in_arrears += (d.arrears_fen > 0) as usize;
        self.members_without_basis += d.assessment.is_none() as usize;
        self.flagged += (d.six_month_flag || d.no_life_six_months) as usize;
        self.paid_bp = (self.owed_fen > 0).then(|| (self.paid_fen.min(self.owed_fen) * 10_000) / self.owed_fen);
    }
    /// "96.5%", or "—" when nothing is owed.
    pub fn paid_percent(&self) -> String {
        self.paid_bp.map_or("—".into(), crate::charts::percent)
    }
}

/// Up to this many members the sheet lists each of them; above it, only the children's lines.
pub const SHEET_LIMIT: usize = 5_000;
/// Above this many members (a city or more) the sheet is refused: open a county or township.
pub const TALLY_LIMIT: usize = 100_000;

/// The dues sheet of an org's subtree for a month.
pub async fn for_org(conn: &mut Conn, scope: &Scope<cap::ReadDues>, rules: &DuesRules, org: &Org, month: YearMonth) -> AppResult<OrgDues> {
    let scope = scope.within(&org.path);
    let mut sql = Sql::new(&format!("SELECT {} FROM members WHERE left_on IS NULL", members::MEMBER_COLS));
    scope.push_filter(&mut sql, "org_path");
    sql.push(" ORDER BY org_path, name, id LIMIT ").bind(TALLY_LIMIT as i64 + 1);
    let list: Vec<Member> = sql.query().fetch_all(&mut *conn).await?.iter().map(members::from_row).collect::<AppResult<_>>()?;
    if list.len() > TALLY_LIMIT {
        return Err(AppError::invalid("too_many_members", format!("该组织党员超过{TALLY_LIMIT}人，请按下级组织查看党费")));
    }
    let ids: Vec<i64> = list.iter().map(|m| m.id).collect();
    let (bases, adjs, pays) = history(conn, &ids, lookback(month), None).await?;
    let last = last_attendance(conn, &ids).await?;
    let empty_b = Vec::new();
    let empty_p = Vec::new();
    let mut out = Vec::with_capacity(list.len());
    for m in &list {
        out.push(member_dues(
            rules,
            m,
            month,
            bases.get(&m.id).unwrap_or(&empty_b),
            adjs.get(&m.id).map(|v| v.as_slice()).unwrap_or(&[]),
            pays.get(&m.id).unwrap_or(&empty_p),
            last.get(&m.id),
        ));
    }
    // Children in the tree's order; the org's own members get their own line.
    let kids = crate::orgs::store::children(conn, org.id, false).await?;
    let mut children: Vec<DuesTally> = kids.iter().map(|k| DuesTally { org_id: k.id, org_name: k.name.clone(), ..Default::default() }).collect();
    let mut own = DuesTally { org_id: org.id, org_name: format!("{}（本级）", org.name), ..Default::default() };
    let mut total = DuesTally::default();
    for (m, d) in list.iter().zip(&out) {
        total.add(d);
        match kids.iter().position(|k| m.org_path.starts_with(&k.path)) {
            Some(i) => children[i].add(d),
            None => own.add(d),
        }
    }
    children.retain(|c| c.members > 0);
    if own.members > 0 {
        children.insert(0, own);
    }
    let members_listed = out.len() <= SHEET_LIMIT;
    if !members_listed {
        out.clear();
    }
    Ok(OrgDues {
        org_id: org.id,
        month: month.to_string(),
        owed_fen: total.owed_fen,
        paid_fen: total.paid_fen,
        arrears_fen: total.arrears_fen,
        members_without_basis: total.members_without_basis,
        flagged: total.flagged,
        children,
        members_listed,
        members: out,
    })
}

/// Owed and paid (capped at owed) per month from `from` to `to`, summed per org over
/// `members` ((member, org) pairs): the collection trend, and what `tallies` keeps per org.
/// A member whose ledger cannot be read is left out of every month.
pub async fn monthly_by_org(conn: &mut Conn, rules: &DuesRules, members: &[(i64, i64)], from: YearMonth, to: YearMonth) -> AppResult<HashMap<i64, Vec<(YearMonth, i64, i64)>>> {
    let ids: Vec<i64> = members.iter().map(|(m, _)| *m).collect();
    let (bases, adjs, pays) = history(conn, &ids, from, Some(to)).await?;
    let mut out: HashMap<i64, Vec<(YearMonth, i64, i64)>> = HashMap::new();
    for (id, org) in members {
        let lines = ledger(
            rules,
            bases.get(id).map(|v| v.as_slice()).unwrap_or(&[]),
            adjs.get(id).map(|v| v.as_slice()).unwrap_or(&[]),
            pays.get(id).map(|v| v.as_slice()).unwrap_or(&[]),
            from,
            to,
        );
        if let Ok(lines) = lines {
            let slots = out.entry(*org).or_insert_with(|| from.iter_to(to).map(|m| (m, 0, 0)).collect());
            for (slot, l) in slots.iter_mut().zip(&lines) {
                slot.1 += l.owed_fen;
                slot.2 += l.paid_fen.min(l.owed_fen);
            }
        }
    }
    Ok(out)
}

/// Owed and paid (capped at owed) from `from` to `to`, per member whose ledger reads; the caller
/// has bounded `member_ids` to its scope.
pub async fn owed_paid(conn: &mut Conn, rules: &DuesRules, member_ids: &[i64], from: YearMonth, to: YearMonth) -> AppResult<HashMap<i64, (i64, i64)>> {
    let (bases, adjs, pays) = history(conn, member_ids, from, Some(to)).await?;
    let mut out = HashMap::new();
    for id in member_ids {
        let lines = ledger(
            rules,
            bases.get(id).map(|v| v.as_slice()).unwrap_or(&[]),
            adjs.get(id).map(|v| v.as_slice()).unwrap_or(&[]),
            pays.get(id).map(|v| v.as_slice()).unwrap_or(&[]),
            from,
            to,
        );
        if let Ok(lines) = lines {
            let owed: i64 = lines.iter().map(|l| l.owed_fen).sum();
            let paid: i64 = lines.iter().map(|l| l.paid_fen.min(l.owed_fen)).sum();
            out.insert(*id, (owed, paid));
        }
    }
    Ok(out)
}

async fn writable_member(conn: &mut Conn, actor: &Actor, member_id: i64) -> AppResult<Member> {
    let m = members::get_scoped(conn, &actor.scope::<cap::ReadDues>(), member_id).await?;
    if !actor.can(Perm::WriteDues, &m.org_path) {
        return Err(AppError::forbidden("您的角色无权管理党费"));
    }
    // Every caller writes the member's ledger: the org's dues are recounted.
    crate::tallies::mark(conn, crate::tallies::Source::Dues, m.org_id).await?;
    Ok(m)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct BasisInput {
    /// YYYY-MM: the month the new wage is first paid.
    pub from_month: String,
    /// employed, retiree, farmer, student_unemployed_relief
    pub category: String,
    /// After-tax fixed monthly wage, or basic pension, in fen.
    pub base_fen: Option<i64>,
    /// Farmers: the monthly amount set for them, in fen.
    pub fixed_fen: Option<i64>,
}

/// Any one amount (a wage base, a payment, a reduction) lies in 0..=MAX_ENTRY_FEN, so the sums of
/// an append-only ledger can never overflow, however many entries it holds.
pub const MAX_ENTRY_FEN: i64 = 100_000_000;

fn check_amount(fen: i64, field: &'static str) -> AppResult<()> {
    if (0..=MAX_ENTRY_FEN).contains(&fen) {
        Ok(())
    } else {
        Err(AppError::invalid_field("amount_out_of_range", field, format!("金额应在 0 至 {} 元之间（以分为单位填写整数）", MAX_ENTRY_FEN / 100)))
    }
}

pub async fn set_basis(conn: &mut Conn, actor: &Actor, rules: &DuesRules, member_id: i64, b: &BasisInput) -> AppResult<DuesAssessment> {
    let m = writable_member(conn, actor, member_id).await?;
    let from = parse_month(&b.from_month, "from_month")?;
    let category = DuesCategory::parse(&b.category)
        .ok_or_else(|| AppError::invalid_field("category_invalid", "category", format!("请选择党费类别：{}", DuesCategory::labels())))?;
    for (v, field) in [(b.base_fen, "base_fen"), (b.fixed_fen, "fixed_fen")] {
        if let Some(v) = v {
            check_amount(v, field)?;
        }
    }
    let basis = DuesBasis { category, base_fen: b.base_fen, fixed_fen: b.fixed_fen };
    // Refuse what cannot be assessed, before anything is written.
    let check = assess(rules, &basis, None).map_err(dues_err)?;
    sqlx::query("INSERT INTO dues_bases (member_id, from_month, category, base_fen, fixed_fen, by_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(m.id)
        .bind(from.to_string())
        .bind(category.code())
        .bind(b.base_fen)
        .bind(b.fixed_fen)
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    let after = serde_json::json!({"from_month": from.to_string(), "category": category.code(), "base_fen": b.base_fen, "fixed_fen": b.fixed_fen});
    audit::record(conn, Some(actor), "dues.basis", "member", Some(m.id), &m, None, Some(&after)).await?;
    Ok(check)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct AdjustmentInput {
    /// reduce or waive
    pub kind: String,
    /// For reduce: the amount to pay instead, in fen.
    pub amount_fen: Option<i64>,
    pub reason: String,
    /// Who approved: e.g. 支部委员会 2026-03-05 会议.
    pub approved_by: String,
    pub from_month: String,
    pub to_month: Option<String>,
}

pub async fn add_adjustment(conn: &mut Conn, actor: &Actor, member_id: i64, a: &AdjustmentInput) -> AppResult<()> {
    let m = writable_member(conn, actor, member_id).await?;
    let from = parse_month(&a.from_month, "from_month")?;
    let to = match a.to_month.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(t) => Some(parse_month(t, "to_month")?),
        None => None,
    };
    if to.is_some_and(|t| t < from) {
        return Err(AppError::invalid_field("month_order", "to_month", "结束月份应不早于开始月份"));
    }
    let (kind, amount) = match a.kind.as_str() {
        "waive" | "免交" => ("waive", None),
        "reduce" | "减交" => {
            let amt = a.amount_fen.ok_or_else(|| AppError::invalid_field("amount_required", "amount_fen", "减交须填写每月应交金额"))?;
            if amt < 0 {
                return Err(AppError::invalid_field("amount_invalid", "amount_fen", "金额不能为负数"));
            }
            check_amount(amt, "amount_fen")?;
            ("reduce", Some(amt))
        }
        _ => return Err(AppError::invalid_field("kind_invalid", "kind", "请选择减交或免交")),
    };
    if a.reason.trim().is_empty() || a.approved_by.trim().is_empty() {
        return Err(AppError::invalid("reason_required", "减交、免交须写明原因和批准情况"));
    }
    sqlx::query(
        "INSERT INTO dues_adjustments (member_id, kind, amount_fen, reason, approved_by, from_month, to_month, by_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(m.id)
    .bind(kind)
    .bind(amount)
    .bind(a.reason.trim())
    .bind(a.approved_by.trim())
    .bind(from.to_string())
    .bind(to.map(|t| t.to_string()))
    .bind(actor.user_id)
    .bind(now_secs())
    .execute(&mut *conn)
    .await?;
    let after = serde_json::json!({"kind": kind, "amount_fen": amount, "reason": a.reason.trim(), "from": from.to_string()});
    audit::record(conn, Some(actor), "dues.adjust", "member", Some(m.id), &m, None, Some(&after)).await?;
    Ok(())
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct PaymentInput {
    /// The month paid for, YYYY-MM.
    pub month: String,
    /// Fen; a negative amount corrects an earlier entry (the ledger is append-only).
    pub amount_fen: i64,
    /// cash or transfer
    pub method: String,
    pub receipt_no: Option<String>,
    /// YYYY-MM-DD, defaults to today.
    pub paid_on: Option<String>,
    pub note: Option<String>,
}

pub async fn record_payment(conn: &mut Conn, actor: &Actor, member_id: i64, p: &PaymentInput) -> AppResult<i64> {
    let m = writable_member(conn, actor, member_id).await?;
    let month = parse_month(&p.month, "month")?;
    if p.amount_fen == 0 {
        return Err(AppError::invalid_field("amount_invalid", "amount_fen", "金额不能为0"));
    }
    check_amount(p.amount_fen.abs(), "amount_fen")?;
    let method = match p.method.as_str() {
        "cash" | "现金" => "cash",
        "transfer" | "转账" => "transfer",
        _ => return Err(AppError::invalid_field("method_invalid", "method", "交纳方式应为现金或转账")),
    };
    if p.amount_fen < 0 && p.note.as_deref().unwrap_or("").trim().is_empty() {
        return Err(AppError::invalid_field("note_required", "note", "更正（负数）记录须说明原因"));
    }
    let paid_on = crate::members::validate::parse_day(p.paid_on.as_deref())?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO dues_payments (member_id, org_id, month, amount_fen, method, receipt_no, paid_on, note, by_user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(m.id)
    .bind(m.org_id)
    .bind(month.to_string())
    .bind(p.amount_fen)
    .bind(method)
    .bind(p.receipt_no.as_deref().unwrap_or("").trim())
    .bind(paid_on.to_string())
    .bind(p.note.as_deref().unwrap_or("").trim())
    .bind(actor.user_id)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await?;
    let after = serde_json::json!({"month": month.to_string(), "amount_fen": p.amount_fen, "method": method});
    audit::record(conn, Some(actor), "dues.payment", "member", Some(m.id), &m, None, Some(&after)).await?;
    Ok(id)
}

/// The dues sheet as a spreadsheet (党费收缴台账).
pub fn org_dues_xlsx(org: &Org, d: &OrgDues) -> AppResult<Vec<u8>> {
    if !d.members_listed {
        // Too many members for one sheet: one line per child org.
        let rows = d.children.iter().map(|c| {
            vec![
                c.org_name.clone(),
                c.members.to_string(),
                fmt_yuan(c.owed_fen),
                fmt_yuan(c.paid_fen),
                c.paid_percent(),
                fmt_yuan(c.arrears_fen),
                c.in_arrears.to_string(),
                c.members_without_basis.to_string(),
                c.flagged.to_string(),
            ]
        });
        let headers = ["党组织", "党员", "应交（元）", "已交（元）", "交纳率", "近12个月欠交（元）", "欠交人数", "未核定基数", "需关注"];
        let widths = [30.0, 8.0, 12.0, 12.0, 9.0, 16.0, 9.0, 11.0, 9.0];
        return crate::members::sheets::write_table_xlsx(&format!("{}党费{}", org.name, d.month), &headers, &widths, rows)
            .map_err(|e| AppError::invalid("export_failed", e));
    }
    let rows = d.members.iter().map(|m| {
        vec![
            m.name.clone(),
            m.month.clone(),
            fmt_yuan(m.owed_fen),
            fmt_yuan(m.paid_fen),
            fmt_yuan(m.arrears_fen),
            if m.six_month_flag { format!("连续{}个月未交", m.unpaid_months) } else { String::new() },
            m.assessment.as_ref().map(|a| a.explanation.clone()).unwrap_or_else(|| "未核定交纳基数".into()),
        ]
    });
    let headers = ["姓名", "月份", "应交（元）", "已交（元）", "近12个月欠交（元）", "提示", "计算依据"];
    let widths = [10.0, 9.0, 11.0, 11.0, 16.0, 16.0, 60.0];
    crate::members::sheets::write_table_xlsx(&format!("{}党费{}", org.name, d.month), &headers, &widths, rows)
        .map_err(|e| AppError::invalid("export_failed", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn yuan_parses_exactly() {
        assert_eq!(parse_yuan("3000"), Some(300000));
        assert_eq!(parse_yuan("3000.01"), Some(300001));
        assert_eq!(parse_yuan("3,000.5"), Some(300050));
        assert_eq!(parse_yuan("0.07"), Some(7));
        assert_eq!(parse_yuan("3000.001"), None);
        assert_eq!(parse_yuan("-5"), None);
        assert_eq!(parse_yuan("abc"), None);
        assert_eq!(fmt_yuan(300001), "3000.01");
        assert_eq!(fmt_yuan(-5), "-0.05");
    }
}
