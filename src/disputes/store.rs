//! Disputes in the database: screening by grid workers, the mediation trail applied through
//! `rules::apply` (optimistic `version` check, append-only events), escalation by time
//! limit, the open-and-overdue list, the weekly and monthly reports and the ledger.
//! Parties' names and phones are masked unless the caller may read them in full.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, Action, CaseRow, CaseSnapshot, Category, DisputeRules, EscalationReason, Level, LevelChange, Referral, Risk, State, TeamMember};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::members::id_card::mask_phone;
use crate::orgs::model::{Org, OrgKind};
use crate::orgs::store as orgs;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Dispute {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub grid_id: Option<i64>,
    pub category: String,
    pub category_label: String,
    pub risk: String,
    pub risk_label: String,
    pub level: String,
    pub level_label: String,
    pub level_since: String,
    pub state: String,
    pub state_label: String,
    pub summary: String,
    pub referral: Option<String>,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub deadline_on: String,
    /// Days past the current level's time limit (open cases only).
    pub overdue_days: i64,
    #[serde(skip)]
    pub org_path: String,
    #[serde(skip)]
    pub version: i64,
}

const COLS: &str = "d.id, d.org_id, o.name AS org_name, d.org_path, d.grid_id, d.category, d.risk, d.level, d.level_since, d.state, d.summary, d.referral, \
    d.opened_on, d.closed_on, d.deadline_on, d.version";

fn from_row(r: &Row, today: NaiveDate) -> AppResult<Dispute> {
    let category: String = r.try_get("category")?;
    let risk: String = r.try_get("risk")?;
    let level: String = r.try_get("level")?;
    let state: String = r.try_get("state")?;
    let deadline_on: String = r.try_get("deadline_on")?;
    let open = State::parse(&state).is_some_and(|s| s.is_open());
    let overdue_days = match deadline_on.parse::<NaiveDate>() {
        Ok(d) if open && today > d => (today - d).num_days(),
        _ => 0,
    };
    Ok(Dispute {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        grid_id: r.try_get("grid_id")?,
        category_label: Category::parse(&category).map(|x| x.label()).unwrap_or("").into(),
        category,
        risk_label: Risk::parse(&risk).map(|x| x.label()).unwrap_or("").into(),
        risk,
        level_label: Level::parse(&level).map(|x| x.label()).unwrap_or("").into(),
        level,
        level_since: r.try_get("level_since")?,
        state_label: State::parse(&state).map(|x| x.label()).unwrap_or("").into(),
        state,
        summary: r.try_get("summary")?,
        referral: r.try_get("referral")?,
        opened_on: r.try_get("opened_on")?,
        closed_on: r.try_get("closed_on")?,
        deadline_on,
        overdue_days,
        version: r.try_get("version")?,
    })
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

impl Dispute {
    fn snapshot(&self, team: Vec<TeamMember>) -> CaseSnapshot {
        CaseSnapshot {
            id: self.id,
            category: Category::parse(&self.category).unwrap_or(Category::Other),
            state: State::parse(&self.state).unwrap_or(State::Screened),
            risk: Risk::parse(&self.risk).unwrap_or(Risk::General),
            level: Level::parse(&self.level).unwrap_or(Level::Village),
            level_since: day(&self.level_since),
            opened_on: day(&self.opened_on),
            closed_on: self.closed_on.as_deref().map(day),
            team,
        }
    }
}

/// A dispute inside `scope`; else NotFound.
pub async fn get(conn: &mut Conn, scope: &Scope<cap::ReadDisputes>, id: i64) -> AppResult<Dispute> {
    let sql = format!("SELECT {COLS} FROM disputes d JOIN orgs o ON o.id = d.org_id WHERE d.id = $1");
    let r = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let d = from_row(&r, crate::db::today())?;
    scope.require_at(&d.org_path)?;
    Ok(d)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Party {
    /// Masked (张**) unless the caller may read it in full.
    pub name: String,
    pub phone: Option<String>,
    pub role: String,
}

fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
        None => String::new(),
    }
}

/// The parties, named in full where `sensitive` covers the case.
pub async fn parties(conn: &mut Conn, sensitive: &Scope<cap::ReadSensitive>, d: &Dispute) -> AppResult<Vec<Party>> {
    let full = sensitive.covers(&d.org_path);
    let rows = sqlx::query("SELECT name, phone, role FROM dispute_parties WHERE dispute_id = $1 ORDER BY id").bind(d.id).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let name: String = r.try_get("name")?;
            let phone: Option<String> = r.try_get("phone")?;
            Ok(Party {
                name: if full { name } else { mask_name(&name) },
                phone: phone.map(|p| if full { p } else { mask_phone(&p) }),
                role: r.try_get("role")?,
            })
        })
        .collect()
}

pub async fn team(conn: &mut Conn, dispute_id: i64) -> AppResult<Vec<TeamMember>> {
    let rows = sqlx::query("SELECT role, name FROM dispute_team WHERE dispute_id = $1 ORDER BY role").bind(dispute_id).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| Ok(TeamMember { role: r.try_get("role")?, name: r.try_get("name")? })).collect()
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DisputeEvent {
    pub action: String,
    /// In Chinese, for people: 开始调解, 提级（村(社区) → 乡镇(街道)）…
    pub action_label: String,
    pub to_state_label: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub from_level: Option<String>,
    pub to_level: Option<String>,
    pub reason: Option<String>,
    pub note: String,
    pub on_day: String,
}

pub async fn events(conn: &mut Conn, dispute_id: i64) -> AppResult<Vec<DisputeEvent>> {
    let rows = sqlx::query("SELECT action, from_state, to_state, from_level, to_level, reason, note, on_day FROM dispute_events WHERE dispute_id = $1 ORDER BY id")
        .bind(dispute_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let action: String = r.try_get("action")?;
            let (from_level, to_level): (Option<String>, Option<String>) = (r.try_get("from_level")?, r.try_get("to_level")?);
            let reason: Option<String> = r.try_get("reason")?;
            let to_state: String = r.try_get("to_state")?;
            let lvl = |l: &Option<String>| l.as_deref().map(|x| Level::parse(x).map(|v| v.label().to_string()).unwrap_or_else(|| x.to_string()));
            let mut action_label = action_label(&action).to_string();
            if let (Some(f), Some(t)) = (lvl(&from_level), lvl(&to_level)) {
                action_label = format!("{action_label}（{f} → {t}）");
            }
            if let Some(why) = reason.as_deref().and_then(EscalationReason::parse) {
                action_label = format!("{action_label}：{}", why.label());
            }
            Ok(DisputeEvent {
                action_label,
                to_state_label: State::parse(&to_state).map(|x| x.label().to_string()).unwrap_or_else(|| to_state.clone()),
                action,
                from_state: r.try_get("from_state")?,
                to_state: r.try_get("to_state")?,
                from_level: r.try_get("from_level")?,
                to_level: r.try_get("to_level")?,
                reason: r.try_get("reason")?,
                note: r.try_get("note")?,
                on_day: r.try_get("on_day")?,
            })
        })
        .collect()
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct PartyInput {
    pub name: String,
    pub phone: Option<String>,
    /// 申请人, 被申请人…
    pub role: Option<String>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct DisputeInput {
    /// The village or community where it arose.
    pub org_id: i64,
    pub grid_id: Option<i64>,
    /// family, neighbour, land, labour, property, other
    pub category: String,
    /// general, serious, major
    pub risk: String,
    pub summary: String,
    pub parties: Vec<PartyInput>,
    /// YYYY-MM-DD; defaults to today.
    pub opened_on: Option<String>,
}

/// A grid worker screens a dispute; it starts at the level its risk calls for.
pub async fn create(conn: &mut Conn, actor: &Actor, rules: &DisputeRules, input: &DisputeInput) -> AppResult<Dispute> {
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadDisputes>(), input.org_id).await?;
    actor.require(Perm::WriteDisputes, &org.path)?;
    let category = Category::parse(&input.category).ok_or_else(|| AppError::invalid_field("category_invalid", "category", format!("纠纷类别应为：{}", Category::labels())))?;
    let risk = Risk::parse(&input.risk).ok_or_else(|| AppError::invalid_field("risk_invalid", "risk", format!("风险等级应为：{}", Risk::labels())))?;
    let summary = input.summary.trim();
    if summary.is_empty() || summary.chars().count() > 2000 {
        return Err(AppError::invalid_field("summary_required", "summary", "请填写纠纷简要情况（不超过2000字）"));
    }
    if input.parties.is_empty() || input.parties.len() > 20 {
        return Err(AppError::invalid_field("parties_required", "parties", "请填写当事人（1至20人）"));
    }
    for p in &input.parties {
        if p.name.trim().is_empty() || p.name.trim().chars().count() > 30 {
            return Err(AppError::invalid_field("party_name_required", "parties", "每位当事人须填写姓名（不超过30字）"));
        }
        if let Some(ph) = p.phone.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
            if !crate::members::validate::valid_phone(ph) {
                return Err(AppError::invalid_field("phone_invalid", "parties", format!("当事人“{}”的电话号码格式不对", p.name.trim())));
            }
        }
    }
    if let Some(g) = input.grid_id {
        let grid = crate::grids::store::get_grid(conn, &actor.scope(), g).await?;
        if !grid.org_path.starts_with(&org.path) {
            return Err(AppError::invalid_field("grid_outside", "grid_id", "网格不属于该村（社区）"));
        }
    }
    let today = crate::db::today();
    let opened = match input.opened_on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => crate::members::validate::parse_day(Some(s))?,
        None => today,
    };
    if opened > today {
        return Err(AppError::invalid_field("date_in_future", "opened_on", "排查日期不能晚于今天"));
    }
    let snap = CaseSnapshot::new(rules, 0, category, risk, opened);
    let deadline = rules::deadline(rules, &snap);
    let now = now_secs();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO disputes (org_id, org_path, grid_id, category, risk, level, level_since, state, is_open, summary, opened_on, deadline_on, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'screened', 1, $8, $7, $9, $10, $11, $11) RETURNING id",
    )
    .bind(org.id)
    .bind(&org.path)
    .bind(input.grid_id)
    .bind(category.code())
    .bind(risk.code())
    .bind(snap.level.code())
    .bind(opened.to_string())
    .bind(summary)
    .bind(deadline.to_string())
    .bind(actor.user_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for p in &input.parties {
        sqlx::query("INSERT INTO dispute_parties (dispute_id, name, phone, role) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(p.name.trim())
            .bind(p.phone.as_deref().map(str::trim).filter(|x| !x.is_empty()))
            .bind(p.role.as_deref().unwrap_or("").trim())
            .execute(&mut *conn)
            .await?;
    }
    let note = format!("排查登记：{}，风险{}，由{}办理，时限至 {}", category.label(), risk.label(), snap.level.label(), deadline);
    insert_event(conn, id, "screen", None, State::Screened, None, None, None, &note, Some(actor.user_id), opened).await?;
    crate::tallies::mark(conn, crate::tallies::Source::Disputes, org.id).await?;
    audit::record(conn, Some(actor), "dispute.create", "dispute", Some(id), &org, None, Some(&serde_json::json!({"category": category.code(), "risk": risk.code()}))).await?;
    get(conn, &actor.scope(), id).await
}

#[allow(clippy::too_many_arguments)]
async fn insert_event(conn: &mut Conn, id: i64, action: &str, from: Option<State>, to: State, from_level: Option<Level>, to_level: Option<Level>, reason: Option<&str>, note: &str, by: Option<i64>, on: NaiveDate) -> AppResult<()> {
    sqlx::query("INSERT INTO dispute_events (dispute_id, action, from_state, to_state, from_level, to_level, reason, note, by_user_id, on_day, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(id)
        .bind(action)
        .bind(from.map(|s| s.code()))
        .bind(to.code())
        .bind(from_level.map(|l| l.code()))
        .bind(to_level.map(|l| l.code()))
        .bind(reason)
        .bind(note)
        .bind(by)
        .bind(on.to_string())
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The org that handles a case at a level: the village itself, then the nearest 党委/党工委
/// above it (the town), then the next one above that (the county) or the root.
pub async fn level_org(conn: &mut Conn, d: &Dispute, level: Level) -> AppResult<Org> {
    let org = orgs::get(conn, d.org_id).await?.ok_or(AppError::NotFound)?;
    if level == Level::Village {
        return Ok(org);
    }
    let ancestors = orgs::ancestors(conn, &org).await?;
    let committees: Vec<&Org> = ancestors.iter().rev().filter(|o| matches!(o.kind, OrgKind::Committee | OrgKind::WorkingCommittee)).collect();
    let pick = match level {
        Level::Town => committees.first().copied(),
        _ => committees.get(1).copied().or(ancestors.first()),
    };
    Ok(pick.cloned().unwrap_or(org))
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DisputeActInput {
    /// start_mediation, record_mediation, resolve, fail, withdraw, escalate, upgrade_risk, assign_team
    pub action: String,
    /// record_mediation: the record; fail: why; escalate: the mediator's reason.
    pub note: Option<String>,
    /// resolve: the agreement reached.
    pub agreement: Option<String>,
    /// fail: arbitration, administrative or judicial.
    pub referral: Option<String>,
    /// withdraw: why.
    pub reason: Option<String>,
    /// escalate: time_limit or mediator_request.
    pub escalation_reason: Option<String>,
    /// upgrade_risk: the new risk.
    pub risk: Option<String>,
    /// assign_team: the 五包一 team.
    #[serde(default)]
    pub team: Vec<TeamMember>,
}

fn text(v: &Option<String>) -> String {
    v.as_deref().unwrap_or("").trim().chars().take(2000).collect()
}

pub async fn act(conn: &mut Conn, actor: &Actor, rules: &DisputeRules, id: i64, input: &DisputeActInput) -> AppResult<Dispute> {
    let d = get(conn, &actor.scope(), id).await?;
    let level = Level::parse(&d.level).unwrap_or(Level::Village);
    let handler = level_org(conn, &d, level).await?;
    if !actor.can(Perm::WriteDisputes, &handler.path) {
        return Err(AppError::forbidden(format!("该纠纷现由{}（{}）办理，您的角色无权操作", handler.name, level.label())));
    }
    let action = match input.action.as_str() {
        "start_mediation" => Action::StartMediation,
        "record_mediation" => Action::RecordMediation { note: text(&input.note) },
        "resolve" => Action::Resolve { agreement: text(&input.agreement) },
        "fail" => Action::Fail {
            note: text(&input.note),
            referral: input.referral.as_deref().and_then(Referral::parse).ok_or_else(|| AppError::invalid_field("referral_required", "referral", format!("请选择引导途径：{}", Referral::labels())))?,
        },
        "withdraw" => Action::Withdraw { reason: text(&input.reason) },
        "escalate" => Action::Escalate {
            reason: input.escalation_reason.as_deref().and_then(EscalationReason::parse).unwrap_or(EscalationReason::MediatorRequest),
            note: text(&input.note),
        },
        "upgrade_risk" => Action::UpgradeRisk { risk: input.risk.as_deref().and_then(Risk::parse).ok_or_else(|| AppError::invalid_field("risk_invalid", "risk", format!("风险等级应为：{}", Risk::labels())))? },
        "assign_team" => Action::AssignTeam { members: input.team.clone() },
        other => return Err(AppError::invalid_field("action_invalid", "action", format!("无法识别的操作“{other}”"))),
    };
    let t = transition(conn, rules, &d, &action, Some(actor.user_id)).await?;
    crate::tallies::mark_path(conn, crate::tallies::Source::Disputes, &d.org_path).await?;
    audit::record(conn, Some(actor), "dispute.act", "dispute", Some(id), &(d.org_id, d.org_path.as_str()), Some(&serde_json::json!({"state": d.state, "level": d.level})), Some(&serde_json::json!({"action": input.action, "state": t.case.state.code(), "level": t.case.level.code()}))).await?;
    get(conn, &actor.scope(), id).await
}

async fn transition(conn: &mut Conn, rules: &DisputeRules, d: &Dispute, action: &Action, by: Option<i64>) -> AppResult<rules::Transition> {
    let today = crate::db::today();
    let before = d.snapshot(team(conn, d.id).await?);
    let t = rules::apply(rules, &before, action, today).map_err(|r| AppError::invalid(r.code.code(), r.message))?;
    let c = &t.case;
    let referral = if let Action::Fail { referral, .. } = action { Some(referral.code()) } else { None };
    let n = sqlx::query(
        "UPDATE disputes SET state = $1, is_open = $2, risk = $3, level = $4, level_since = $5, closed_on = $6, deadline_on = $7, referral = COALESCE($8, referral), \
         updated_at = $9, version = version + 1 WHERE id = $10 AND version = $11",
    )
    .bind(c.state.code())
    .bind(c.state.is_open() as i64)
    .bind(c.risk.code())
    .bind(c.level.code())
    .bind(c.level_since.to_string())
    .bind(c.closed_on.map(|x| x.to_string()))
    .bind(rules::deadline(rules, c).to_string())
    .bind(referral)
    .bind(now_secs())
    .bind(d.id)
    .bind(d.version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::conflict("state_changed", "该纠纷刚刚已被他人处理，请刷新后查看最新状态"));
    }
    if let Action::AssignTeam { members } = action {
        sqlx::query("DELETE FROM dispute_team WHERE dispute_id = $1").bind(d.id).execute(&mut *conn).await?;
        for m in members {
            sqlx::query("INSERT INTO dispute_team (dispute_id, role, name) VALUES ($1, $2, $3)").bind(d.id).bind(m.role.trim()).bind(m.name.trim()).execute(&mut *conn).await?;
        }
    }
    let (from_level, to_level, reason) = match &t.escalation {
        Some(LevelChange { from, to, reason, .. }) => (Some(*from), Some(*to), Some(reason.code())),
        None => (None, None, None),
    };
    let mut note = t.record.clone().unwrap_or_default();
    if !t.explanation.is_empty() {
        note = if note.is_empty() { t.explanation.clone() } else { format!("{note}（{}）", t.explanation) };
    }
    let code = action_code(action);
    insert_event(conn, d.id, code, Some(t.from_state), c.state, from_level, to_level, reason, &note, by, today).await?;
    Ok(t)
}

/// The Chinese name of an event's action code, as the history shows it.
pub fn action_label(code: &str) -> &str {
    match code {
        "screen" => "排查登记",
        "start_mediation" => "开始调解",
        "record_mediation" => "填写调解记录",
        "resolve" => "调解成功",
        "fail" => "调解不成",
        "withdraw" => "当事人撤回",
        "escalate" => "提级",
        "upgrade_risk" => "风险升级",
        "assign_team" => "指定专班",
        other => other,
    }
}

fn action_code(a: &Action) -> &'static str {
    match a {
        Action::StartMediation => "start_mediation",
        Action::RecordMediation { .. } => "record_mediation",
        Action::Resolve { .. } => "resolve",
        Action::Fail { .. } => "fail",
        Action::Withdraw { .. } => "withdraw",
        Action::Escalate { .. } => "escalate",
        Action::UpgradeRisk { .. } => "upgrade_risk",
        Action::AssignTeam { .. } => "assign_team",
    }
}

/// Escalates every open case in the subtree past its level's time limit, one level each;
/// returns how many moved. Run by the server hourly and on demand.
pub async fn escalate_overdue(conn: &mut Conn, rules: &DisputeRules, root_path: Option<&str>) -> AppResult<usize> {
    let today = crate::db::today().to_string();
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM disputes d JOIN orgs o ON o.id = d.org_id WHERE d.is_open = 1 AND d.deadline_on < "));
    sql.bind(today).push(" AND d.level <> ").bind(rules.max_level.code());
    if let Some(p) = root_path {
        sql.push(" AND d.org_path >= ").bind(p.to_string()).push(" AND d.org_path < ").bind(crate::db::path::upper(p));
    }
    sql.push(" ORDER BY d.id LIMIT 10000");
    let list = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| from_row(r, crate::db::today())).collect::<AppResult<Vec<_>>>()?;
    let mut moved = 0;
    for d in list {
        let action = Action::Escalate { reason: EscalationReason::TimeLimit, note: String::new() };
        if transition(conn, rules, &d, &action, None).await.is_ok() {
            moved += 1;
        }
    }
    Ok(moved)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OpenDisputes {
    pub open: i64,
    pub overdue: i64,
    pub items: Vec<Dispute>,
}

/// Open cases in the subtree, overdue first.
pub async fn open_list(conn: &mut Conn, scope: &Scope<cap::ReadDisputes>, root: &Org, limit: i64) -> AppResult<OpenDisputes> {
    let scope = scope.within(&root.path);
    let today = crate::db::today();
    let mut count = Sql::new("SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN d.deadline_on < ");
    count.bind(today.to_string()).push(" THEN 1 ELSE 0 END), 0) AS overdue FROM disputes d WHERE d.is_open = 1");
    scope.push_filter(&mut count, "d.org_path");
    let c = count.query().fetch_one(&mut *conn).await?;
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM disputes d JOIN orgs o ON o.id = d.org_id WHERE d.is_open = 1"));
    scope.push_filter(&mut sql, "d.org_path");
    sql.push(" ORDER BY d.deadline_on, d.id LIMIT ").bind(limit.clamp(1, 2000));
    let items = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| from_row(r, today)).collect::<AppResult<Vec<_>>>()?;
    Ok(OpenDisputes { open: c.try_get("n")?, overdue: c.try_get("overdue")?, items })
}

/// The rows the report engine takes: cases alive in [from, to] in the subtree, with their escalations.
async fn case_rows(conn: &mut Conn, scope: &Scope<cap::ReadDisputes>, root: &Org, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<CaseRow>> {
    let scope = scope.within(&root.path);
    let mut sql = Sql::new("SELECT d.id, d.category, d.risk, d.level, d.state, d.opened_on, d.closed_on FROM disputes d WHERE d.opened_on <= ");
    sql.bind(to.to_string()).push(" AND (d.closed_on IS NULL OR d.closed_on >= ").bind(from.to_string()).push(")");
    scope.push_filter(&mut sql, "d.org_path");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    let mut esc = Sql::new("SELECT e.dispute_id, e.on_day, e.from_level, e.to_level, e.reason FROM dispute_events e JOIN disputes d ON d.id = e.dispute_id WHERE e.from_level IS NOT NULL AND e.to_level IS NOT NULL AND d.opened_on <= ");
    esc.bind(to.to_string()).push(" AND (d.closed_on IS NULL OR d.closed_on >= ").bind(from.to_string()).push(")");
    scope.push_filter(&mut esc, "d.org_path");
    esc.push(" ORDER BY e.id");
    let mut by_case: std::collections::HashMap<i64, Vec<LevelChange>> = std::collections::HashMap::new();
    for e in esc.query().fetch_all(&mut *conn).await? {
        let (from_l, to_l): (Option<String>, Option<String>) = (e.try_get("from_level")?, e.try_get("to_level")?);
        let (Some(from_l), Some(to_l)) = (from_l.as_deref().and_then(Level::parse), to_l.as_deref().and_then(Level::parse)) else { continue };
        by_case.entry(e.try_get("dispute_id")?).or_default().push(LevelChange {
            on: day(&e.try_get::<String, _>("on_day")?),
            from: from_l,
            to: to_l,
            reason: e.try_get::<Option<String>, _>("reason")?.as_deref().and_then(EscalationReason::parse).unwrap_or(EscalationReason::TimeLimit),
        });
    }
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            Ok(CaseRow {
                id,
                category: Category::parse(&r.try_get::<String, _>("category")?).unwrap_or(Category::Other),
                risk: Risk::parse(&r.try_get::<String, _>("risk")?).unwrap_or(Risk::General),
                level: Level::parse(&r.try_get::<String, _>("level")?).unwrap_or(Level::Village),
                state: State::parse(&r.try_get::<String, _>("state")?).unwrap_or(State::Screened),
                opened_on: day(&r.try_get::<String, _>("opened_on")?),
                closed_on: r.try_get::<Option<String>, _>("closed_on")?.as_deref().map(day),
                escalations: by_case.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

/// 周调度 / 月研判 for any subtree and period.
pub async fn report(conn: &mut Conn, scope: &Scope<cap::ReadDisputes>, rules: &DisputeRules, root: &Org, from: NaiveDate, to: NaiveDate) -> AppResult<rules::Report> {
    let rows = case_rows(conn, scope, root, from, to).await?;
    Ok(rules::report(rules, &rows, from, to, crate::db::today()))
}

/// The dispute ledger (台账) of a subtree and period; parties in full where `sensitive` covers the case.
pub async fn ledger_xlsx(
    conn: &mut Conn,
    scope: &Scope<cap::ReadDisputes>,
    sensitive: &Scope<cap::ReadSensitive>,
    root: &Org,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<u8>> {
    let scope = scope.within(&root.path);
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM disputes d JOIN orgs o ON o.id = d.org_id WHERE d.opened_on >= "));
    sql.bind(from.to_string()).push(" AND d.opened_on <= ").bind(to.to_string());
    scope.push_filter(&mut sql, "d.org_path");
    sql.push(" ORDER BY d.opened_on, d.id LIMIT 1000001");
    let today = crate::db::today();
    let list = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| from_row(r, today)).collect::<AppResult<Vec<_>>>()?;
    let mut rows = Vec::with_capacity(list.len());
    for d in list {
        let ps = parties(conn, sensitive, &d).await?;
        rows.push(vec![
            d.id.to_string(),
            d.opened_on.clone(),
            d.org_name.clone(),
            d.category_label.clone(),
            d.risk_label.clone(),
            ps.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join("、"),
            d.summary.clone(),
            d.level_label.clone(),
            d.state_label.clone(),
            d.deadline_on.clone(),
            if d.overdue_days > 0 { d.overdue_days.to_string() } else { String::new() },
            d.closed_on.clone().unwrap_or_default(),
            d.referral.as_deref().and_then(Referral::parse).map(|r| r.label().to_string()).unwrap_or_default(),
        ]);
    }
    let headers = ["编号", "排查日期", "村（社区）", "类别", "风险", "当事人", "简要情况", "办理层级", "状态", "时限", "超期天数", "办结日期", "引导途径"];
    let widths = [8.0, 11.0, 18.0, 10.0, 6.0, 14.0, 50.0, 10.0, 10.0, 11.0, 8.0, 11.0, 8.0];
    crate::members::sheets::write_table_xlsx(&format!("{}矛盾纠纷台账", root.name), &headers, &widths, rows.into_iter()).map_err(|e| AppError::invalid("export_failed", e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_masked_after_the_first_character() {
        assert_eq!(super::mask_name("张三"), "张*");
        assert_eq!(super::mask_name("欧阳娜娜"), "欧***");
        assert_eq!(super::mask_name("李"), "李*");
    }
}
