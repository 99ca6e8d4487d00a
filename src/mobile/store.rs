//! Mobile members in the database: the 外出报备 record of a member away, its quarterly “七个清楚”
//! entries, certificate, transfer letter and temporary branch, and the ledger of a subtree with
//! its flags. One open record per member is kept by a unique index on `open_member_id` (the
//! member's id while away, NULL once back), so two parallel 报备 cannot both succeed.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, MobileMember, TransferLetter};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, Conn, Row, Sql};
use crate::dues::rules::YearMonth;
use crate::error::{AppError, AppResult};
use crate::members::store as members;
use crate::members::validate::{parse_date, past_day as day, short_text};
use crate::orgs::model::{Org, OrgVariant};
use crate::orgs::store as orgs;

/// A ledger lists at most this many members away.
pub const MAX_LEDGER: i64 = 20_000;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Away {
    pub id: i64,
    pub member_id: i64,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
    pub left_on: String,
    /// 去向 (city), as entered.
    pub place: String,
    pub address: String,
    /// Masked like every phone in lists.
    pub contact: String,
    pub job: String,
    pub place_fixed: bool,
    pub certificate_no: Option<String>,
    pub letter_issued_on: Option<String>,
    pub letter_valid_until: Option<String>,
    pub letter_returned: bool,
    pub temp_org_id: Option<i64>,
    pub temp_org_name: Option<String>,
    pub returned_on: Option<String>,
    pub last_ledger_on: Option<String>,
    pub last_life_on: Option<String>,
    pub last_dues_month: Option<String>,
    pub flags: Vec<FlagView>,
    #[serde(skip)]
    pub org_path: String,
}

pub use crate::codes::FlagView;

impl audit::InOrg for Away {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

const COLS: &str = "a.id, a.member_id, m.name, a.org_id, o.name AS org_name, a.org_path, a.left_on, a.place, a.address, a.contact, a.job, a.place_fixed, \
    a.certificate_no, a.letter_issued_on, a.letter_valid_until, a.letter_returned, a.temp_org_id, t.name AS temp_org_name, a.returned_on, \
    (SELECT MAX(l.on_date) FROM mobile_ledger l WHERE l.mobile_id = a.id) AS last_ledger_on";
const FROM: &str = "FROM mobile_members a JOIN members m ON m.id = a.member_id JOIN orgs o ON o.id = a.org_id LEFT JOIN orgs t ON t.id = a.temp_org_id";

fn from_row(r: &Row) -> AppResult<Away> {
    Ok(Away {
        id: r.try_get("id")?,
        member_id: r.try_get("member_id")?,
        name: r.try_get("name")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        left_on: r.try_get("left_on")?,
        place: r.try_get("place")?,
        address: r.try_get("address")?,
        contact: crate::members::id_card::mask_phone(&r.try_get::<String, _>("contact")?),
        job: r.try_get("job")?,
        place_fixed: r.try_get::<i64, _>("place_fixed")? != 0,
        certificate_no: r.try_get("certificate_no")?,
        letter_issued_on: r.try_get("letter_issued_on")?,
        letter_valid_until: r.try_get("letter_valid_until")?,
        letter_returned: r.try_get::<i64, _>("letter_returned")? != 0,
        temp_org_id: r.try_get("temp_org_id")?,
        temp_org_name: r.try_get("temp_org_name")?,
        returned_on: r.try_get("returned_on")?,
        last_ledger_on: r.try_get("last_ledger_on")?,
        last_life_on: None,
        last_dues_month: None,
        flags: vec![],
    })
}

fn parse_opt(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref().and_then(|d| d.parse().ok())
}

/// The facts the rules need, from the record and the member's meetings and dues.
fn facts(a: &Away) -> MobileMember {
    MobileMember {
        member_id: a.member_id,
        name: a.name.clone(),
        left_on: a.left_on.parse().unwrap_or_default(),
        place: a.place.clone(),
        place_fixed: a.place_fixed,
        returned_on: parse_opt(&a.returned_on),
        has_certificate: a.certificate_no.is_some(),
        last_ledger_on: parse_opt(&a.last_ledger_on),
        last_life_on: parse_opt(&a.last_life_on),
        last_dues_month: a.last_dues_month.as_deref().and_then(|m| YearMonth::parse(m).ok()),
        letter: parse_opt(&a.letter_issued_on).map(|issued_on| TransferLetter { issued_on, valid_until: parse_opt(&a.letter_valid_until), returned: a.letter_returned }),
        temp_branch_id: a.temp_org_id,
    }
}

fn flag_view(f: rules::Flag) -> FlagView {
    FlagView { code: f.code.code().into(), label: f.code.label().into(), message: f.message, rule: f.rule, since: f.since.map(|d| d.to_string()) }
}

/// Fills the last meeting attended and the last month paid of `list`, then the flags.
async fn judge(conn: &mut Conn, cfg: &Rules, list: &mut [Away]) -> AppResult<()> {
    let ids: Vec<i64> = list.iter().map(|a| a.member_id).collect();
    let mut life: HashMap<i64, String> = HashMap::new();
    let mut dues: HashMap<i64, String> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT at.member_id, MAX(mt.held_on) AS d FROM meeting_attendance at JOIN meetings mt ON mt.id = at.meeting_id WHERE at.status = 'present' AND at.member_id IN (");
        sql.bind_list(chunk.iter().copied()).push(") GROUP BY at.member_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            if let Some(d) = r.try_get::<Option<String>, _>("d")? {
                life.insert(r.try_get("member_id")?, d);
            }
        }
        let mut sql = Sql::new("SELECT member_id, MAX(month) AS m FROM dues_payments WHERE amount_fen > 0 AND member_id IN (");
        sql.bind_list(chunk.iter().copied()).push(") GROUP BY member_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            if let Some(m) = r.try_get::<Option<String>, _>("m")? {
                dues.insert(r.try_get("member_id")?, m);
            }
        }
    }
    let today = crate::db::today();
    for a in list.iter_mut() {
        a.last_life_on = life.remove(&a.member_id);
        a.last_dues_month = dues.remove(&a.member_id);
        a.flags = rules::flags(&cfg.mobile, &facts(a), today).into_iter().map(flag_view).collect();
    }
    Ok(())
}

/// A record inside `scope`; else NotFound.
pub async fn get(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadMembers>, id: i64) -> AppResult<Away> {
    let sql = format!("SELECT {COLS} {FROM} WHERE a.id = $1");
    let mut a = match sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| from_row(&r)).transpose()? {
        Some(a) if scope.covers(&a.org_path) => a,
        _ => return Err(AppError::NotFound),
    };
    judge(conn, cfg, std::slice::from_mut(&mut a)).await?;
    Ok(a)
}

async fn get_writable(conn: &mut Conn, cfg: &Rules, actor: &Actor, id: i64) -> AppResult<Away> {
    let a = get(conn, cfg, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteMembers, &a.org_path) {
        return Err(AppError::forbidden("您的角色无权维护该流动党员"));
    }
    // Every caller changes the record or its ledger: the org's figures are recounted.
    crate::tallies::mark(conn, crate::tallies::Source::Mobile, a.org_id).await?;
    Ok(a)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct LeaveInput {
    pub member_id: Option<i64>,
    /// The first day away, YYYY-MM-DD.
    pub left_on: Option<String>,
    /// 去向: the city (北京, 太原…).
    pub place: Option<String>,
    /// 现居住地址.
    pub address: Option<String>,
    /// 联系方式 while away.
    pub contact: Option<String>,
    /// 就业情况: employer and work.
    pub job: Option<String>,
    /// The place is relatively fixed (a transfer of the relationship is possible).
    #[serde(default)]
    pub place_fixed: bool,
    /// 《流动党员活动证》 number, when one was issued.
    pub certificate_no: Option<String>,
}

/// 外出报备: a member goes away.
pub async fn leave(conn: &mut Conn, actor: &Actor, cfg: &Rules, input: &LeaveInput) -> AppResult<Away> {
    if !actor.can_anywhere(Perm::WriteMembers) {
        return Err(AppError::forbidden("您的角色无权维护党员"));
    }
    let mid = input.member_id.ok_or_else(|| AppError::invalid_field("member_required", "member_id", "请选择外出的党员"))?;
    let m = members::get_scoped(conn, &actor.scope::<cap::ReadMembers>(), mid).await?;
    if !actor.can(Perm::WriteMembers, &m.org_path) {
        return Err(AppError::forbidden("您的角色无权维护该党员"));
    }
    if m.left_on.is_some() {
        return Err(AppError::invalid("member_left", format!("{}已不在党员名册中", m.name)));
    }
    let left = day("left_on", input.left_on.as_deref())?;
    let place = short_text("place", &input.place, 40, "去向")?;
    if place.is_empty() {
        return Err(AppError::invalid_field("place_required", "place", "请填写外出去向（城市），如“北京”"));
    }
    let contact = short_text("contact", &input.contact, 40, "联系方式")?;
    if contact.is_empty() {
        return Err(AppError::invalid_field("contact_required", "contact", "请填写外出期间的联系方式（七个清楚之一）"));
    }
    let certificate = input.certificate_no.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    let now = now_secs();
    crate::tallies::mark(conn, crate::tallies::Source::Mobile, m.org_id).await?;
    let res = sqlx::query_scalar::<_, i64>(
        "INSERT INTO mobile_members (member_id, open_member_id, org_id, org_path, left_on, place, address, contact, job, place_fixed, certificate_no, certificate_on, \
         letter_returned, created_by, created_at, updated_at) VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $13) RETURNING id",
    )
    .bind(m.id)
    .bind(m.org_id)
    .bind(&m.org_path)
    .bind(left.to_string())
    .bind(&place)
    .bind(short_text("address", &input.address, 100, "居住地址")?)
    .bind(&contact)
    .bind(short_text("job", &input.job, 100, "就业情况")?)
    .bind(input.place_fixed as i64)
    .bind(certificate.as_deref())
    .bind(certificate.as_ref().map(|_| left.to_string()))
    .bind(actor.user_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await;
    let id = match res {
        Err(e) if crate::error::is_unique_violation(&e) => {
            return Err(AppError::conflict("already_away", format!("{}已有外出报备记录：返回后再登记新的外出", m.name)));
        }
        other => other?,
    };
    let a = get(conn, cfg, &actor.scope(), id).await?;
    audit::record(conn, Some(actor), "mobile.leave", "mobile_member", Some(id), &a, None, Some(&serde_json::json!({"member": m.name, "left_on": a.left_on, "place": a.place}))).await?;
    Ok(a)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct LedgerInput {
    /// The day the branch got in touch, YYYY-MM-DD.
    pub on: Option<String>,
    /// 组织生活情况.
    pub life: Option<String>,
    /// 思想动态.
    pub thinking: Option<String>,
    /// 作用发挥.
    pub role: Option<String>,
    /// Changes, when any, of 去向住址, 联系方式, 就业情况.
    pub address: Option<String>,
    pub contact: Option<String>,
    pub job: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub period: String,
    pub on: String,
    pub life: String,
    pub thinking: String,
    pub role: String,
}

/// The quarterly “七个清楚” entry: one per period; a second one in the same period is refused.
pub async fn add_ledger(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &LedgerInput) -> AppResult<Away> {
    let a = get_writable(conn, cfg, actor, id).await?;
    let on = day("on", input.on.as_deref())?;
    if on.to_string() < a.left_on {
        return Err(AppError::invalid_field("date_order", "on", format!("台账日期不能早于外出日期 {}", a.left_on)));
    }
    let (life, thinking, role) = (short_text("life", &input.life, 300, "组织生活情况")?, short_text("thinking", &input.thinking, 300, "思想动态")?, short_text("role", &input.role, 300, "作用发挥")?);
    let missing: Vec<&str> = [("组织生活情况", &life), ("思想动态", &thinking), ("作用发挥", &role)].iter().filter(|(_, v)| v.is_empty()).map(|(l, _)| *l).collect();
    if !missing.is_empty() {
        return Err(AppError::invalid_field("ledger_incomplete", "life", format!("“七个清楚”台账还缺：{}", missing.join("、"))));
    }
    let period = crate::meetings::rules::periods(cfg.mobile.ledger_frequency, on, on).pop().map(|p| p.label).unwrap_or_else(|| on.to_string());
    let res = sqlx::query("INSERT INTO mobile_ledger (mobile_id, period, on_date, life, thinking, role, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(a.id)
        .bind(&period)
        .bind(on.to_string())
        .bind(&life)
        .bind(&thinking)
        .bind(&role)
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await;
    if let Err(e) = res {
        return Err(if crate::error::is_unique_violation(&e) { AppError::conflict("ledger_exists", format!("{}{period}的台账已经登记", a.name)) } else { e.into() });
    }
    for (col, v, max, label) in [("address", &input.address, 100, "居住地址"), ("contact", &input.contact, 40, "联系方式"), ("job", &input.job, 100, "就业情况")] {
        let v = short_text("address", v, max, label)?;
        if !v.is_empty() {
            sqlx::query(&format!("UPDATE mobile_members SET {col} = $1, updated_at = $2 WHERE id = $3")).bind(v).bind(now_secs()).bind(a.id).execute(&mut *conn).await?;
        }
    }
    let after = get(conn, cfg, &actor.scope(), a.id).await?;
    audit::record(conn, Some(actor), "mobile.ledger", "mobile_member", Some(a.id), &after, None, Some(&serde_json::json!({"period": period, "on": on.to_string()}))).await?;
    Ok(after)
}

pub async fn ledger_entries(conn: &mut Conn, id: i64) -> AppResult<Vec<LedgerEntry>> {
    let rows = sqlx::query("SELECT period, on_date, life, thinking, role FROM mobile_ledger WHERE mobile_id = $1 ORDER BY on_date DESC").bind(id).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok(LedgerEntry { period: r.try_get("period")?, on: r.try_get("on_date")?, life: r.try_get("life")?, thinking: r.try_get("thinking")?, role: r.try_get("role")? }))
        .collect()
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateInput {
    /// 《流动党员活动证》 number issued.
    pub certificate_no: Option<String>,
    /// A transfer letter (介绍信) issued on this day; `letter_valid_until` when written on it.
    pub letter_issued_on: Option<String>,
    pub letter_valid_until: Option<String>,
    /// The letter's receipt (回执) came back.
    pub letter_returned: Option<bool>,
    /// The 在外临时党支部 the member joined.
    pub temp_org_id: Option<i64>,
    pub place_fixed: Option<bool>,
}

/// Certificate, transfer letter, temporary branch, fixed place.
pub async fn update(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &UpdateInput) -> AppResult<Away> {
    let a = get_writable(conn, cfg, actor, id).await?;
    if a.returned_on.is_some() {
        return Err(AppError::invalid("returned", format!("{}已于{}返回，记录已结束", a.name, a.returned_on.as_deref().unwrap_or(""))));
    }
    if let Some(c) = input.certificate_no.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        sqlx::query("UPDATE mobile_members SET certificate_no = $1, certificate_on = $2 WHERE id = $3").bind(c).bind(crate::db::today().to_string()).bind(a.id).execute(&mut *conn).await?;
    }
    if input.letter_issued_on.as_deref().is_some_and(|s| !s.trim().is_empty()) {
        let issued = day("letter_issued_on", input.letter_issued_on.as_deref())?;
        let until = match input.letter_valid_until.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(parse_date(s).ok_or_else(|| AppError::invalid_field("date_invalid", "letter_valid_until", "有效期应写成 2026-03-05"))?),
        };
        if until.is_some_and(|u| u < issued) {
            return Err(AppError::invalid_field("date_order", "letter_valid_until", "介绍信有效期不能早于开具日期"));
        }
        sqlx::query("UPDATE mobile_members SET letter_issued_on = $1, letter_valid_until = $2, letter_returned = 0 WHERE id = $3")
            .bind(issued.to_string())
            .bind(until.map(|u| u.to_string()))
            .bind(a.id)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(r) = input.letter_returned {
        if r && a.letter_issued_on.is_none() && input.letter_issued_on.is_none() {
            return Err(AppError::invalid_field("no_letter", "letter_returned", "尚未开具介绍信，不能登记回执"));
        }
        sqlx::query("UPDATE mobile_members SET letter_returned = $1 WHERE id = $2").bind(r as i64).bind(a.id).execute(&mut *conn).await?;
    }
    if let Some(t) = input.temp_org_id {
        let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadOrgs>(), t)
            .await
            .map_err(|_| AppError::invalid_field("temp_org_unknown", "temp_org_id", "所选临时党支部不存在或不在您的管理范围内"))?;
        if org.variant != OrgVariant::Temporary {
            return Err(AppError::invalid_field("not_temporary", "temp_org_id", format!("{}不是临时党支部", org.name)));
        }
        sqlx::query("UPDATE mobile_members SET temp_org_id = $1 WHERE id = $2").bind(org.id).bind(a.id).execute(&mut *conn).await?;
    }
    if let Some(f) = input.place_fixed {
        sqlx::query("UPDATE mobile_members SET place_fixed = $1 WHERE id = $2").bind(f as i64).bind(a.id).execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE mobile_members SET updated_at = $1 WHERE id = $2").bind(now_secs()).bind(a.id).execute(&mut *conn).await?;
    let after = get(conn, cfg, &actor.scope(), a.id).await?;
    audit::record(conn, Some(actor), "mobile.update", "mobile_member", Some(a.id), &after, None, Some(&serde_json::to_value(&after).unwrap_or_default())).await?;
    Ok(after)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReturnInput {
    pub on: Option<String>,
}

/// The member is back: the record ends, a new 外出 may be reported.
pub async fn come_back(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &ReturnInput) -> AppResult<Away> {
    let a = get_writable(conn, cfg, actor, id).await?;
    let on = day("on", input.on.as_deref())?;
    if a.returned_on.is_some() {
        return Err(AppError::conflict("already_returned", format!("{}已登记返回", a.name)));
    }
    if on.to_string() < a.left_on {
        return Err(AppError::invalid_field("date_order", "on", format!("返回日期不能早于外出日期 {}", a.left_on)));
    }
    sqlx::query("UPDATE mobile_members SET returned_on = $1, open_member_id = NULL, updated_at = $2 WHERE id = $3").bind(on.to_string()).bind(now_secs()).bind(a.id).execute(&mut *conn).await?;
    let after = get(conn, cfg, &actor.scope(), a.id).await?;
    audit::record(conn, Some(actor), "mobile.return", "mobile_member", Some(a.id), &after, None, Some(&serde_json::json!({"returned_on": on.to_string()}))).await?;
    Ok(after)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlaceView {
    pub place: String,
    pub count: usize,
    pub temp_org_ids: Vec<i64>,
    pub may_form_temp_branch: bool,
    pub flag: Option<FlagView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GapView {
    pub member_id: i64,
    pub name: String,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Ledger {
    pub org_id: i64,
    pub org_name: String,
    /// The current period (quarter) of the “七个清楚” ledger.
    pub period: String,
    pub away: Vec<Away>,
    /// Members away with no entry yet this quarter.
    pub gaps: Vec<GapView>,
    pub places: Vec<PlaceView>,
    pub flagged: usize,
    pub summary: String,
}

/// The ledger of a subtree: every member away now, with flags, this quarter's gaps and places.
pub async fn ledger(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadMembers>, root: &Org) -> AppResult<Ledger> {
    let scope = scope.within(&root.path);
    let mut sql = Sql::new(&format!("SELECT {COLS} {FROM} WHERE a.returned_on IS NULL"));
    scope.push_filter(&mut sql, "a.org_path");
    sql.push(" ORDER BY a.org_path, a.left_on, a.id LIMIT ").bind(MAX_LEDGER);
    let mut away: Vec<Away> = sql.query().fetch_all(&mut *conn).await?.iter().map(from_row).collect::<AppResult<_>>()?;
    judge(conn, cfg, &mut away).await?;
    let today = crate::db::today();
    let facts: Vec<MobileMember> = away.iter().map(facts).collect();
    let gaps: Vec<GapView> = rules::quarter_gaps(&cfg.mobile, &facts, today).into_iter().map(|g| GapView { member_id: g.member_id, name: g.name, message: g.message }).collect();
    let places: Vec<PlaceView> = rules::places(&cfg.mobile, &facts, today)
        .into_iter()
        .map(|p| PlaceView {
            place: p.spellings.first().cloned().unwrap_or(p.place),
            count: p.count,
            temp_org_ids: p.temp_branch_ids,
            may_form_temp_branch: p.may_form_temp_branch,
            flag: p.flag.map(flag_view),
        })
        .collect();
    let period = crate::meetings::rules::periods(cfg.mobile.ledger_frequency, today, today).pop().map(|p| p.label).unwrap_or_default();
    let flagged = away.iter().filter(|a| !a.flags.is_empty()).count();
    let summary = format!(
        "{}：在外流动党员 {} 人，分布在 {} 个地方；{}尚未更新“七个清楚”台账 {} 人；需处理的提示 {} 人。",
        root.name,
        away.len(),
        places.len(),
        period,
        gaps.len(),
        flagged
    );
    Ok(Ledger { org_id: root.id, org_name: root.name.clone(), period, away, gaps, places, flagged, summary })
}

/// The ledger as a workbook: one row per member away, the seven items and the flags.
pub async fn ledger_xlsx(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadMembers>, root: &Org) -> AppResult<Vec<u8>> {
    let l = ledger(conn, cfg, scope, root).await?;
    let headers = ["姓名", "所在党组织", "外出时间", "去向", "现居住地址", "联系方式", "就业情况", "最近台账", "最近参加组织生活", "最近交纳党费", "活动证", "临时党支部", "提示"];
    let widths = [10.0, 18.0, 11.0, 10.0, 24.0, 14.0, 20.0, 11.0, 11.0, 10.0, 12.0, 20.0, 60.0];
    let rows = l.away.into_iter().map(|a| {
        vec![
            a.name,
            a.org_name,
            a.left_on,
            a.place,
            a.address,
            a.contact,
            a.job,
            a.last_ledger_on.unwrap_or_default(),
            a.last_life_on.unwrap_or_default(),
            a.last_dues_month.unwrap_or_default(),
            a.certificate_no.unwrap_or_default(),
            a.temp_org_name.unwrap_or_default(),
            a.flags.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("；"),
        ]
    });
    crate::members::sheets::write_table_xlsx(&format!("{}流动党员台账", root.name), &headers, &widths, rows).map_err(|e| AppError::invalid("export_failed", e))
}
