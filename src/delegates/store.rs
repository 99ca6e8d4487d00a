//! Delegates in the database: a member elected to the county, city or province congress, the
//! quarterly review (一季一析) and the termination. A delegate sits where their member record
//! sits, so a township sees the delegates of its villages. One open record per member and
//! congress is kept by a partial unique index; one review per delegate and quarter by another.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, Congress, Delegate, Termination, TerminationKind};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::codes::FlagView;
use crate::config::Rules;
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{is_unique_violation, AppError, AppResult};
use crate::members::store as members;
use crate::members::validate::{past_day as day, short_text};
use crate::orgs::model::Org;

/// A list holds at most this many delegates (a province has a few thousand).
pub const MAX_LIST: i64 = 20_000;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DelegateView {
    pub id: i64,
    pub member_id: i64,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
    /// county, city, province
    pub congress: String,
    pub congress_label: String,
    /// 选举单位 (代表团), as entered.
    pub unit: String,
    pub term_start: String,
    /// The day the five-year 届期 is over.
    pub term_end: String,
    pub terminated_on: Option<String>,
    pub termination_kind: Option<String>,
    pub termination_label: Option<String>,
    pub termination_reason: Option<String>,
    pub last_review_on: Option<String>,
    /// Review due this quarter, term over.
    pub flags: Vec<FlagView>,
    #[serde(skip)]
    pub org_path: String,
}

impl audit::InOrg for DelegateView {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    /// “2026年第四季度”.
    pub period: String,
    pub reviewed_on: String,
    pub findings: String,
}

const COLS: &str = "d.id, d.member_id, m.name, m.org_id, o.name AS org_name, m.org_path, d.congress, d.unit, d.term_start, d.terminated_on, d.termination_kind, \
    d.termination_reason, (SELECT MAX(r.reviewed_on) FROM delegate_reviews r WHERE r.delegate_id = d.id) AS last_review_on";
const FROM: &str = "FROM delegates d JOIN members m ON m.id = d.member_id JOIN orgs o ON o.id = m.org_id";

fn from_row(cfg: &Rules, r: &Row) -> AppResult<DelegateView> {
    let congress: String = r.try_get("congress")?;
    let kind: Option<String> = r.try_get("termination_kind")?;
    let term_start: String = r.try_get("term_start")?;
    let mut v = DelegateView {
        id: r.try_get("id")?,
        member_id: r.try_get("member_id")?,
        name: r.try_get("name")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        congress_label: Congress::parse(&congress).map(|c| c.label()).unwrap_or("").into(),
        congress,
        unit: r.try_get("unit")?,
        term_end: term_start.parse().map(|d| rules::term_end(&cfg.delegates, d).to_string()).unwrap_or_default(),
        term_start,
        terminated_on: r.try_get("terminated_on")?,
        termination_label: kind.as_deref().and_then(TerminationKind::parse).map(|k| k.label().to_string()),
        termination_kind: kind,
        termination_reason: r.try_get("termination_reason")?,
        last_review_on: r.try_get("last_review_on")?,
        flags: Vec::new(),
        org_path: r.try_get("org_path")?,
    };
    v.flags = flags(cfg, &v);
    Ok(v)
}

fn as_rule(v: &DelegateView) -> Option<Delegate> {
    let terminated = match (&v.terminated_on, v.termination_kind.as_deref().and_then(TerminationKind::parse)) {
        (Some(on), Some(kind)) => Some(Termination { on: on.parse().ok()?, kind, reason: v.termination_reason.clone().unwrap_or_default() }),
        _ => None,
    };
    Some(Delegate { name: v.name.clone(), congress: Congress::parse(&v.congress)?, term_start: v.term_start.parse().ok()?, terminated })
}

fn flags(cfg: &Rules, v: &DelegateView) -> Vec<FlagView> {
    let Some(d) = as_rule(v) else { return Vec::new() };
    if d.terminated.is_some() {
        return Vec::new();
    }
    let today = crate::db::today();
    let last = v.last_review_on.as_deref().and_then(|s| s.parse().ok());
    [rules::review_due(&cfg.delegates, last, today), rules::term_over(&cfg.delegates, &d, today)]
        .into_iter()
        .flatten()
        .map(|f| FlagView { code: f.code.code().into(), label: f.code.label().into(), message: f.message, rule: f.rule, since: f.period.map(|p| p.start.to_string()) })
        .collect()
}

/// A delegate inside `scope`; else NotFound.
pub async fn get(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadCadres>, id: i64) -> AppResult<DelegateView> {
    let sql = format!("SELECT {COLS} {FROM} WHERE d.id = $1");
    match sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| from_row(cfg, &r)).transpose()? {
        Some(v) if scope.covers(&v.org_path) => Ok(v),
        _ => Err(AppError::NotFound),
    }
}

async fn get_writable(conn: &mut Conn, cfg: &Rules, actor: &Actor, id: i64) -> AppResult<DelegateView> {
    let v = get(conn, cfg, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteCadres, &v.org_path) {
        return Err(AppError::forbidden("您的角色无权管理党代表"));
    }
    Ok(v)
}

pub async fn reviews(conn: &mut Conn, id: i64) -> AppResult<Vec<ReviewView>> {
    let rows = sqlx::query("SELECT period, reviewed_on, findings FROM delegate_reviews WHERE delegate_id = $1 ORDER BY reviewed_on DESC, id DESC").bind(id).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| Ok(ReviewView { period: r.try_get("period")?, reviewed_on: r.try_get("reviewed_on")?, findings: r.try_get("findings")? })).collect()
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DelegateInput {
    pub member_id: Option<i64>,
    /// county (县党代表大会), city, province
    pub congress: Option<String>,
    /// The day the congress that elected them opened, YYYY-MM-DD.
    pub term_start: Option<String>,
    /// 选举单位 (代表团).
    pub unit: Option<String>,
}

/// Registers a member as a delegate of a congress (one open record per member and congress).
pub async fn create(conn: &mut Conn, actor: &Actor, cfg: &Rules, input: &DelegateInput) -> AppResult<DelegateView> {
    if !actor.can_anywhere(Perm::WriteCadres) {
        return Err(AppError::forbidden("您的角色无权管理党代表"));
    }
    let mid = input.member_id.ok_or_else(|| AppError::invalid_field("member_required", "member_id", "请选择当选的党员"))?;
    let m = members::get_scoped(conn, &actor.scope::<cap::ReadCadres>(), mid).await?;
    if !actor.can(Perm::WriteCadres, &m.org_path) {
        return Err(AppError::forbidden("您的角色无权管理该党员的党代表资格"));
    }
    if m.left_on.is_some() {
        return Err(AppError::invalid("member_left", format!("{}已不在党员名册中", m.name)));
    }
    let congress = input.congress.as_deref().and_then(Congress::parse).ok_or_else(|| AppError::invalid_field("congress_invalid", "congress", format!("请选择代表大会：{}", Congress::labels())))?;
    let start = day("term_start", input.term_start.as_deref())?;
    let unit = short_text("unit", &input.unit, 60, "选举单位")?;
    let res = sqlx::query_scalar::<_, i64>("INSERT INTO delegates (member_id, congress, term_start, unit, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(m.id)
        .bind(congress.code())
        .bind(start.to_string())
        .bind(&unit)
        .bind(actor.user_id)
        .bind(now_secs())
        .fetch_one(&mut *conn)
        .await;
    let id = match res {
        Err(e) if is_unique_violation(&e) => return Err(AppError::conflict("already_delegate", format!("{}已是{}，终止资格后才能再次登记", m.name, congress.delegate_label()))),
        other => other?,
    };
    let v = get(conn, cfg, &actor.scope(), id).await?;
    audit::record(conn, Some(actor), "delegate.create", "delegate", Some(id), &v, None, Some(&serde_json::json!({"member": v.name, "congress": v.congress_label, "term_start": v.term_start}))).await?;
    Ok(v)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    /// YYYY-MM-DD; the quarter it falls in is the one reviewed.
    pub reviewed_on: Option<String>,
    /// 分析排查情况: duties done, problems found.
    pub findings: Option<String>,
}

/// Records the quarter's analysis (一季一析): one per delegate and quarter.
pub async fn add_review(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &ReviewInput) -> AppResult<DelegateView> {
    let v = get_writable(conn, cfg, actor, id).await?;
    if let Some(t) = &v.terminated_on {
        return Err(AppError::conflict("terminated", format!("{}已于{t}终止资格，不再开展分析", v.name)));
    }
    let on = day("reviewed_on", input.reviewed_on.as_deref())?;
    if on.to_string() < v.term_start {
        return Err(AppError::invalid_field("date_order", "reviewed_on", format!("分析日期不能早于任期开始 {}", v.term_start)));
    }
    let findings = short_text("findings", &input.findings, 500, "分析排查情况")?;
    if findings.is_empty() {
        return Err(AppError::invalid_field("findings_required", "findings", "请填写分析排查情况：履职情况、发现的问题"));
    }
    let period = rules::review_period(&cfg.delegates, on).label;
    let res = sqlx::query("INSERT INTO delegate_reviews (delegate_id, period, reviewed_on, findings, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(v.id)
        .bind(&period)
        .bind(on.to_string())
        .bind(&findings)
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await;
    match res {
        Err(e) if is_unique_violation(&e) => return Err(AppError::conflict("review_exists", format!("{}{period}的分析已登记", v.name))),
        other => other?,
    };
    audit::record(conn, Some(actor), "delegate.review", "delegate", Some(v.id), &v, None, Some(&serde_json::json!({"period": period, "reviewed_on": on.to_string()}))).await?;
    get(conn, cfg, &actor.scope(), id).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TerminateInput {
    /// YYYY-MM-DD.
    pub on: Option<String>,
    /// discipline, membership_suspended, resigned, left_area, other (任期制暂行条例第二十五至二十七条)
    pub kind: Option<String>,
    /// The facts, e.g. “职务调整调出本县”.
    pub reason: Option<String>,
}

/// Ends a delegate's qualification; refused (naming the article) when the rules say no.
pub async fn terminate(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &TerminateInput) -> AppResult<DelegateView> {
    let v = get_writable(conn, cfg, actor, id).await?;
    let kind = input.kind.as_deref().and_then(TerminationKind::parse).ok_or_else(|| AppError::invalid_field("kind_invalid", "kind", format!("请选择终止原因：{}", TerminationKind::labels())))?;
    let on = crate::members::validate::parse_date(input.on.as_deref().unwrap_or("")).ok_or_else(|| AppError::invalid_field("date_invalid", "on", "请填写终止日期，格式 2026-03-01"))?;
    let t = Termination { on, kind, reason: short_text("reason", &input.reason, 200, "终止理由")? };
    let d = as_rule(&v).ok_or(AppError::NotFound)?;
    rules::check_termination(&d, &t, crate::db::today()).map_err(|r| AppError::Refused { code: r.code.code(), message: r.message, article: r.rule, allowed_from: None })?;
    let done = sqlx::query("UPDATE delegates SET terminated_on = $1, termination_kind = $2, termination_reason = $3 WHERE id = $4 AND terminated_on IS NULL")
        .bind(on.to_string())
        .bind(kind.code())
        .bind(&t.reason)
        .bind(v.id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::conflict("already_terminated", format!("{}的资格已终止", v.name)));
    }
    audit::record(conn, Some(actor), "delegate.terminate", "delegate", Some(v.id), &v, None, Some(&serde_json::json!({"on": on.to_string(), "kind": kind.label(), "reason": t.reason}))).await?;
    get(conn, cfg, &actor.scope(), id).await
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CongressCount {
    pub congress: String,
    pub label: String,
    pub count: usize,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DelegateList {
    pub org_id: i64,
    pub org_name: String,
    /// The review period of today (“2026年第四季度”).
    pub period: String,
    /// Delegates in office, by congress then org.
    pub delegates: Vec<DelegateView>,
    pub by_congress: Vec<CongressCount>,
    /// In office with no review this period.
    pub review_due: usize,
    /// Terminated, latest first.
    pub ended: Vec<DelegateView>,
    pub summary: String,
}

/// The delegates whose member record is in `root`'s subtree.
pub async fn list(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadCadres>, root: &Org) -> AppResult<DelegateList> {
    let scope = scope.within(&root.path);
    let mut sql = Sql::new(&format!("SELECT {COLS} {FROM} WHERE 1 = 1"));
    scope.push_filter(&mut sql, "m.org_path");
    sql.push(" ORDER BY d.congress, m.org_path, d.id LIMIT ").bind(MAX_LIST);
    let all: Vec<DelegateView> = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| from_row(cfg, r)).collect::<AppResult<_>>()?;
    let (mut delegates, mut ended): (Vec<_>, Vec<_>) = all.into_iter().partition(|d| d.terminated_on.is_none());
    delegates.sort_by_key(|d| (Congress::parse(&d.congress), d.org_path.clone(), d.id));
    ended.sort_by(|a, b| b.terminated_on.cmp(&a.terminated_on));
    let by_congress: Vec<CongressCount> =
        Congress::ALL.iter().map(|c| CongressCount { congress: c.code().into(), label: c.delegate_label().into(), count: delegates.iter().filter(|d| d.congress == c.code()).count() }).collect();
    let review_due = delegates.iter().filter(|d| d.flags.iter().any(|f| f.code == rules::RuleCode::ReviewDue.code())).count();
    let period = rules::review_period(&cfg.delegates, crate::db::today()).label;
    let summary = format!(
        "{}：在任党代表 {} 名（{}）；{}尚未开展分析 {} 名；已终止资格 {} 名。",
        root.name,
        delegates.len(),
        by_congress.iter().map(|c| format!("{} {}", c.label, c.count)).collect::<Vec<_>>().join("，"),
        period,
        review_due,
        ended.len()
    );
    Ok(DelegateList { org_id: root.id, org_name: root.name.clone(), period, delegates, by_congress, review_due, ended, summary })
}

/// The 党代表名册 as a workbook: delegates in office, then those terminated.
pub async fn list_xlsx(conn: &mut Conn, cfg: &Rules, scope: &Scope<cap::ReadCadres>, root: &Org) -> AppResult<Vec<u8>> {
    let l = list(conn, cfg, scope, root).await?;
    let headers = ["姓名", "所在党组织", "代表大会", "选举单位", "任期开始", "届满", "最近分析", "终止日期", "终止原因", "提示"];
    let widths = [10.0, 20.0, 14.0, 16.0, 11.0, 11.0, 11.0, 11.0, 30.0, 60.0];
    let rows = l.delegates.into_iter().chain(l.ended).map(|d| {
        vec![
            d.name,
            d.org_name,
            d.congress_label,
            d.unit,
            d.term_start,
            d.term_end,
            d.last_review_on.unwrap_or_default(),
            d.terminated_on.unwrap_or_default(),
            match (d.termination_label, d.termination_reason) {
                (Some(l), Some(r)) => format!("{l}：{r}"),
                _ => String::new(),
            },
            d.flags.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("；"),
        ]
    });
    crate::members::sheets::write_table_xlsx(&format!("{}党代表名册", root.name), &headers, &widths, rows).map_err(|e| AppError::invalid("export_failed", e))
}
