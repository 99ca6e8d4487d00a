//! Village collective economy in the database: yearly income entries per village (append-only; a
//! correction reverses an entry with its reason), cooperatives with their demonstration title, and
//! the board of a subtree's villages against the thresholds. Read with `ReadOrgs`; recorded by the
//! offices (`WriteOrgs`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, Band, CoopLevel, EconomyRules, IncomeSource};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, Conn, Sql};
use crate::error::{AppError, AppResult};
use crate::members::validate::short_text;
use crate::orgs::model::Org;

/// One entry is at most 1亿元 either way, so a village's sums cannot overflow.
pub const MAX_ENTRY_FEN: i64 = 10_000_000_000;

/// A village or community org in scope, writable by the caller.
async fn village(conn: &mut Conn, actor: &Actor, org_id: i64) -> AppResult<Org> {
    crate::cadres::store::village_to_record(conn, actor, Some(org_id), Perm::WriteOrgs, "集体经济").await
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IncomeView {
    pub id: i64,
    pub org_id: i64,
    pub year: i32,
    pub source: String,
    pub source_label: String,
    pub amount_fen: i64,
    pub amount: String,
    pub note: String,
    /// The entry this one corrects (a reversal), if any.
    pub corrects_id: Option<i64>,
    /// Reversed by a later entry.
    pub reversed: bool,
    pub by: String,
    pub on: String,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct IncomeInput {
    pub org_id: Option<i64>,
    pub year: Option<i32>,
    /// operating, contract, investment, subsidy, other (or the label).
    pub source: Option<String>,
    /// Yuan with up to two decimals ("12345.60"), or `amount_fen`.
    pub amount: Option<String>,
    pub amount_fen: Option<i64>,
    /// What it is (the lease, the dividend, the project).
    pub note: Option<String>,
}

fn parse_fen(input: &IncomeInput) -> AppResult<i64> {
    let fen = match (&input.amount_fen, input.amount.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
        (Some(f), _) => Some(*f),
        (None, Some(s)) => crate::dues::store::parse_yuan(s),
        _ => None,
    }
    .ok_or_else(|| AppError::invalid_field("amount_invalid", "amount", "请填写金额（元，最多两位小数），如 52000 或 52000.50"))?;
    if !(1..=MAX_ENTRY_FEN).contains(&fen) {
        return Err(AppError::invalid_field("amount_out_of_range", "amount", "金额应大于0、不超过1亿元；更正已登记的收入请用“冲销”"));
    }
    Ok(fen)
}

const INCOME_SELECT: &str = "SELECT i.id, i.org_id, i.year, i.source, i.amount_fen, i.note, i.corrects_id, i.by_name, i.on_day, o.path, \
     (SELECT COUNT(*) FROM econ_incomes c WHERE c.corrects_id = i.id) AS reversed FROM econ_incomes i JOIN orgs o ON o.id = i.org_id";

fn income_view(r: &crate::db::Row) -> AppResult<IncomeView> {
    let source: String = r.try_get("source")?;
    let fen: i64 = r.try_get("amount_fen")?;
    Ok(IncomeView {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        year: r.try_get::<i64, _>("year")? as i32,
        source_label: IncomeSource::parse(&source).map(|s| s.label()).unwrap_or("").into(),
        source,
        amount_fen: fen,
        amount: rules::yuan(fen),
        note: r.try_get("note")?,
        corrects_id: r.try_get("corrects_id")?,
        reversed: r.try_get::<i64, _>("reversed")? > 0,
        by: r.try_get("by_name")?,
        on: r.try_get("on_day")?,
    })
}

/// An entry and the path of its village.
async fn income(conn: &mut Conn, id: i64) -> AppResult<(IncomeView, String)> {
    let r = sqlx::query(&format!("{INCOME_SELECT} WHERE i.id = $1")).bind(id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    Ok((income_view(&r)?, r.try_get("path")?))
}

#[allow(clippy::too_many_arguments)]
async fn insert(conn: &mut Conn, actor: &Actor, org: &Org, year: i32, source: IncomeSource, fen: i64, note: &str, corrects: Option<i64>) -> AppResult<i64> {
    crate::tallies::mark(conn, crate::tallies::Source::Economy, org.id).await?;
    let r = sqlx::query_scalar::<_, i64>(
        "INSERT INTO econ_incomes (org_id, org_path, year, source, amount_fen, note, corrects_id, by_user_id, by_name, on_day, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(org.id)
    .bind(&org.path)
    .bind(year as i64)
    .bind(source.code())
    .bind(fen)
    .bind(note)
    .bind(corrects)
    .bind(actor.user_id)
    .bind(&actor.display_name)
    .bind(crate::db::today().to_string())
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await;
    match r {
        Ok(id) => Ok(id),
        Err(e) if crate::error::is_unique_violation(&e) => Err(AppError::conflict("already_reversed", "该笔收入已冲销过")),
        Err(e) => Err(e.into()),
    }
}

/// Records an income of a village's year.
pub async fn add_income(conn: &mut Conn, actor: &Actor, input: &IncomeInput) -> AppResult<IncomeView> {
    let org_id = input.org_id.ok_or_else(|| AppError::invalid_field("org_required", "org_id", "请选择村（社区）"))?;
    let org = village(conn, actor, org_id).await?;
    let this_year = chrono::Datelike::year(&crate::db::today());
    let year = input.year.filter(|y| (2000..=this_year).contains(y)).ok_or_else(|| AppError::invalid_field("year_invalid", "year", format!("年度应在2000年至{this_year}年之间")))?;
    let source = input.source.as_deref().and_then(IncomeSource::parse).ok_or_else(|| AppError::invalid_field("source_invalid", "source", format!("请选择收入来源：{}", IncomeSource::labels())))?;
    let fen = parse_fen(input)?;
    let note = short_text("note", &input.note, 200, "说明")?;
    if note.is_empty() {
        return Err(AppError::invalid_field("note_required", "note", "请写明收入事项，如“村东鱼塘承包费”"));
    }
    let id = insert(conn, actor, &org, year, source, fen, &note, None).await?;
    audit::record(conn, Some(actor), "economy.income", "org", Some(org.id), &org, None, Some(&serde_json::json!({"year": year, "source": source.label(), "fen": fen, "note": note}))).await?;
    Ok(income(conn, id).await?.0)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReverseInput {
    pub reason: Option<String>,
}

/// Reverses an entry with a new, negative one (once; the original stays).
pub async fn reverse(conn: &mut Conn, actor: &Actor, id: i64, input: &ReverseInput) -> AppResult<IncomeView> {
    let (e, path) = income(conn, id).await?;
    actor.scope::<cap::ReadOrgs>().require_at(&path)?;
    let org = village(conn, actor, e.org_id).await?;
    if e.corrects_id.is_some() {
        return Err(AppError::conflict("is_correction", "这是一笔冲销记录，不能再冲销；如有错误请重新登记"));
    }
    if e.reversed {
        return Err(AppError::conflict("already_reversed", "该笔收入已冲销过"));
    }
    let reason = short_text("reason", &input.reason, 200, "冲销原因")?;
    if reason.is_empty() {
        return Err(AppError::invalid_field("reason_required", "reason", "请写明冲销原因"));
    }
    let source = IncomeSource::parse(&e.source).unwrap_or(IncomeSource::Other);
    let nid = insert(conn, actor, &org, e.year, source, -e.amount_fen, &format!("冲销第{}号：{reason}", e.id), Some(e.id)).await?;
    audit::record(conn, Some(actor), "economy.reverse", "org", Some(org.id), &org, None, Some(&serde_json::json!({"entry": e.id, "fen": -e.amount_fen, "reason": reason}))).await?;
    Ok(income(conn, nid).await?.0)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CoopView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    /// What it does (种植, 养殖, 加工 …).
    pub business: String,
    pub households: i64,
    /// none, county, city, provincial, national
    pub level: String,
    pub level_label: String,
    pub level_year: Option<i32>,
    pub level_document: String,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CoopInput {
    pub org_id: Option<i64>,
    pub name: Option<String>,
    pub business: Option<String>,
    /// Households that joined.
    pub households: Option<i64>,
}

fn coop_view(r: &crate::db::Row) -> AppResult<CoopView> {
    let level: String = r.try_get("level")?;
    Ok(CoopView {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        name: r.try_get("name")?,
        business: r.try_get("business")?,
        households: r.try_get("households")?,
        level_label: CoopLevel::parse(&level).map(|l| l.label()).unwrap_or("").into(),
        level,
        level_year: r.try_get::<Option<i64>, _>("level_year")?.map(|y| y as i32),
        level_document: r.try_get("level_document")?,
    })
}

const COOP_COLS: &str = "c.id, c.org_id, o.name AS org_name, c.name, c.business, c.households, c.level, c.level_year, c.level_document";

async fn coop(conn: &mut Conn, id: i64) -> AppResult<(CoopView, String)> {
    let r = sqlx::query(&format!("SELECT {COOP_COLS}, o.path FROM cooperatives c JOIN orgs o ON o.id = c.org_id WHERE c.id = $1")).bind(id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    Ok((coop_view(&r)?, r.try_get("path")?))
}

/// Registers a cooperative the village's Party organization leads (党组织领办).
pub async fn add_coop(conn: &mut Conn, actor: &Actor, input: &CoopInput) -> AppResult<CoopView> {
    let org_id = input.org_id.ok_or_else(|| AppError::invalid_field("org_required", "org_id", "请选择村（社区）"))?;
    let org = village(conn, actor, org_id).await?;
    let name = short_text("name", &input.name, 80, "合作社名称")?;
    if name.is_empty() {
        return Err(AppError::invalid_field("name_required", "name", "请填写合作社名称"));
    }
    let business = short_text("business", &input.business, 80, "主营业务")?;
    let households = input.households.unwrap_or(0);
    if !(0..=100_000).contains(&households) {
        return Err(AppError::invalid_field("households_invalid", "households", "入社农户数应在0至100000之间"));
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO cooperatives (org_id, org_path, name, business, households, level, level_document, created_at) VALUES ($1, $2, $3, $4, $5, 'none', '', $6) RETURNING id")
        .bind(org.id)
        .bind(&org.path)
        .bind(&name)
        .bind(&business)
        .bind(households)
        .bind(now_secs())
        .fetch_one(&mut *conn)
        .await?;
    audit::record(conn, Some(actor), "economy.coop", "org", Some(org.id), &org, None, Some(&serde_json::json!({"name": name}))).await?;
    Ok(coop(conn, id).await?.0)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct LevelInput {
    /// county, city, provincial, national (or none to withdraw).
    pub level: Option<String>,
    pub year: Option<i32>,
    /// The naming document (文号).
    pub document: Option<String>,
}

/// Records a cooperative's demonstration title (示范社), or its withdrawal.
pub async fn set_level(conn: &mut Conn, actor: &Actor, id: i64, input: &LevelInput) -> AppResult<CoopView> {
    let (c, path) = coop(conn, id).await?;
    actor.scope::<cap::ReadOrgs>().require_at(&path)?;
    let org = village(conn, actor, c.org_id).await?;
    let level = input.level.as_deref().and_then(CoopLevel::parse).ok_or_else(|| AppError::invalid_field("level_invalid", "level", format!("请选择示范社级别：{}", CoopLevel::labels())))?;
    let this_year = chrono::Datelike::year(&crate::db::today());
    let year = input.year.filter(|y| (2000..=this_year).contains(y)).ok_or_else(|| AppError::invalid_field("year_invalid", "year", "请填写命名年度"))?;
    let document = short_text("document", &input.document, 100, "文件")?;
    if document.is_empty() {
        return Err(AppError::invalid_field("document_required", "document", "请填写命名或撤销的文件（文号）"));
    }
    sqlx::query("UPDATE cooperatives SET level = $1, level_year = $2, level_document = $3 WHERE id = $4").bind(level.code()).bind(year as i64).bind(&document).bind(id).execute(&mut *conn).await?;
    audit::record(
        conn,
        Some(actor),
        "economy.coop_level",
        "cooperative",
        Some(id),
        &org,
        Some(&serde_json::json!({"level": c.level_label, "year": c.level_year, "document": c.level_document})),
        Some(&serde_json::json!({"level": level.label(), "year": year, "document": document})),
    )
    .await?;
    Ok(coop(conn, id).await?.0)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VillageRow {
    pub org_id: i64,
    pub name: String,
    pub parent_name: String,
    /// None: nothing reported for the year.
    pub income_fen: Option<i64>,
    pub income: String,
    pub band: Option<Band>,
    pub last_year_fen: Option<i64>,
    /// By source: (label, fen).
    pub sources: Vec<(String, i64)>,
    pub coops: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub villages: usize,
    pub reported: usize,
    /// Villages per band (index 0: weak), and the band labels.
    pub by_band: Vec<(String, usize)>,
    pub weak: usize,
    pub total_fen: i64,
    pub total: String,
    /// Lowest income first; villages with nothing reported last.
    pub rows: Vec<VillageRow>,
    pub coops: Vec<CoopView>,
    /// Cooperatives per title (label, count).
    pub coops_by_level: Vec<(String, usize)>,
    pub rules: EconomyRules,
    pub source: String,
}

/// The collective economy of a subtree's villages for a year: each village's counted income
/// against the thresholds, last year's, the sources, the cooperatives.
pub async fn board(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, cfg: &Rules, root: &Org, year: i32) -> AppResult<Board> {
    let rules = &cfg.economy;
    let scope = scope.within(&root.path);
    let mut sql = Sql::new(&format!("SELECT o.id, o.name, p.name AS parent_name FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id WHERE {}", crate::cadres::store::VILLAGE_WHERE));
    crate::db::push_under(&mut sql, "o.path", &root.path);
    scope.push_filter(&mut sql, "o.path");
    sql.push(" LIMIT ").bind(crate::cadres::store::MAX_VILLAGES);
    let mut rows: Vec<VillageRow> = Vec::new();
    let mut index = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        index.insert(r.try_get::<i64, _>("id")?, rows.len());
        rows.push(VillageRow {
            org_id: r.try_get("id")?,
            name: r.try_get("name")?,
            parent_name: r.try_get::<Option<String>, _>("parent_name")?.unwrap_or_default(),
            income_fen: None,
            income: "未报".into(),
            band: None,
            last_year_fen: None,
            sources: Vec::new(),
            coops: 0,
        });
    }
    // One row per village, year and source.
    let mut sql = Sql::new("SELECT i.org_id, i.year, i.source, CAST(SUM(i.amount_fen) AS BIGINT) AS fen FROM econ_incomes i WHERE i.year IN (");
    sql.bind((year - 1) as i64).push(", ").bind(year as i64).push(")");
    crate::db::push_under(&mut sql, "i.org_path", &root.path);
    scope.push_filter(&mut sql, "i.org_path");
    sql.push(" GROUP BY i.org_id, i.year, i.source");
    let mut entries: HashMap<(i64, i32), Vec<(IncomeSource, i64)>> = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let Some(src) = IncomeSource::parse(&r.try_get::<String, _>("source")?) else { continue };
        entries.entry((r.try_get("org_id")?, r.try_get::<i64, _>("year")? as i32)).or_default().push((src, r.try_get("fen")?));
    }
    for ((org_id, y), list) in &entries {
        let Some(&i) = index.get(org_id) else { continue };
        let fen = rules::counted(rules, list);
        if *y == year {
            rows[i].income_fen = Some(fen);
            rows[i].income = rules::yuan(fen);
            rows[i].band = Some(rules::band(rules, fen));
            rows[i].sources = IncomeSource::ALL.iter().filter_map(|s| list.iter().find(|(x, _)| x == s).map(|(_, f)| (s.label().to_string(), *f))).collect();
        } else {
            rows[i].last_year_fen = Some(fen);
        }
    }
    let mut sql = Sql::new(&format!("SELECT {COOP_COLS} FROM cooperatives c JOIN orgs o ON o.id = c.org_id WHERE 1 = 1"));
    crate::db::push_under(&mut sql, "c.org_path", &root.path);
    scope.push_filter(&mut sql, "c.org_path");
    sql.push(" ORDER BY c.org_path, c.id LIMIT 5000");
    let mut coops = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let c = coop_view(&r)?;
        if let Some(&i) = index.get(&c.org_id) {
            rows[i].coops += 1;
        }
        coops.push(c);
    }
    let bands = rules.thresholds_fen.len() + 1;
    let mut counts = vec![0usize; bands];
    let mut total_fen = 0;
    for r in &rows {
        if let (Some(b), Some(f)) = (&r.band, r.income_fen) {
            counts[b.index] += 1;
            total_fen += f;
        }
    }
    let labels: Vec<String> = (0..bands)
        .map(|i| {
            let fen = if i == 0 { 0 } else { rules.thresholds_fen[i - 1] };
            rules::band(rules, fen).label
        })
        .collect();
    let reported = rows.iter().filter(|r| r.income_fen.is_some()).count();
    rows.sort_by(|a, b| match (a.income_fen, b.income_fen) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.org_id.cmp(&b.org_id),
    });
    let coops_by_level = CoopLevel::ALL.iter().rev().map(|l| (l.label().to_string(), coops.iter().filter(|c| c.level == l.code()).count())).collect();
    Ok(Board {
        org_id: root.id,
        org_name: root.name.clone(),
        year,
        villages: rows.len(),
        reported,
        weak: counts[0],
        by_band: labels.into_iter().zip(counts).collect(),
        total: rules::yuan(total_fen),
        total_fen,
        rows,
        coops,
        coops_by_level,
        rules: rules.clone(),
        source: rules::SOURCE.into(),
    })
}

/// A village's entries for a year, newest first.
pub async fn entries(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, org: &Org, year: i32) -> AppResult<Vec<IncomeView>> {
    scope.require_at(&org.path)?;
    let rows = sqlx::query(&format!("{INCOME_SELECT} WHERE i.org_id = $1 AND i.year = $2 ORDER BY i.id DESC")).bind(org.id).bind(year as i64).fetch_all(&mut *conn).await?;
    rows.iter().map(income_view).collect()
}

/// The latest complete year's counted income of each village under `root` (for the cadres'
/// “四不一起” sign): village id → (year, fen).
pub async fn last_year_incomes(conn: &mut Conn, rules: &EconomyRules, root_path: &str) -> AppResult<HashMap<i64, (i32, i64)>> {
    let this_year = chrono::Datelike::year(&crate::db::today());
    let mut sql = Sql::new("SELECT org_id, year, source, CAST(SUM(amount_fen) AS BIGINT) AS fen FROM econ_incomes WHERE year < ");
    sql.bind(this_year as i64);
    crate::db::push_under(&mut sql, "org_path", root_path);
    sql.push(" GROUP BY org_id, year, source ORDER BY org_id, year");
    let mut by: HashMap<(i64, i32), Vec<(IncomeSource, i64)>> = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let Some(src) = IncomeSource::parse(&r.try_get::<String, _>("source")?) else { continue };
        by.entry((r.try_get("org_id")?, r.try_get::<i64, _>("year")? as i32)).or_default().push((src, r.try_get("fen")?));
    }
    let mut out: HashMap<i64, (i32, i64)> = HashMap::new();
    for ((org, y), list) in by {
        let fen = rules::counted(rules, &list);
        if out.get(&org).is_none_or(|(yy, _)| y > *yy) {
            out.insert(org, (y, fen));
        }
    }
    Ok(out)
}

/// The 村级集体经济台账: one row per village.
pub fn board_xlsx(b: &Board) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.into());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("集体经济").map_err(x)?;
    let bold = Format::new().set_bold();
    ws.write_string_with_format(0, 0, format!("{} {}年度村级集体经济收入台账", b.org_name, b.year), &bold).map_err(x)?;
    let mut head = vec!["村（社区）".to_string(), "上级组织".into(), "年收入（元）".into(), "分档".into(), "上年（元）".into()];
    head.extend(IncomeSource::ALL.iter().map(|s| format!("{}（元）", s.label())));
    head.push("合作社".into());
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, h, &bold).map_err(x)?;
    }
    for (i, r) in b.rows.iter().enumerate() {
        let row = i as u32 + 2;
        ws.write_string(row, 0, &r.name).map_err(x)?;
        ws.write_string(row, 1, &r.parent_name).map_err(x)?;
        match r.income_fen {
            Some(f) => ws.write_number(row, 2, f as f64 / 100.0).map_err(x)?,
            None => ws.write_string(row, 2, "未报").map_err(x)?,
        };
        ws.write_string(row, 3, r.band.as_ref().map(|b| b.label.as_str()).unwrap_or("")).map_err(x)?;
        if let Some(f) = r.last_year_fen {
            ws.write_number(row, 4, f as f64 / 100.0).map_err(x)?;
        }
        for (k, s) in IncomeSource::ALL.iter().enumerate() {
            if let Some((_, f)) = r.sources.iter().find(|(l, _)| l == s.label()) {
                ws.write_number(row, 5 + k as u16, *f as f64 / 100.0).map_err(x)?;
            }
        }
        ws.write_number(row, 5 + IncomeSource::ALL.len() as u16, r.coops as f64).map_err(x)?;
    }
    wb.save_to_buffer().map_err(x)
}
