//! Rectification cases in the database. A case belongs to a basic-level organization (a branch,
//! a general branch, or a village's or community's Party organization); it is identified with its
//! reasons, gets a plan, the four helping forces, the “四个一” measures and a list of people's
//! problems, and is closed (销号) only by [`rules::check_close`]. Every change is also written to
//! the case's append-only history. Reads need `ReadAssessment`, changes `WriteAssessment`.
//! One case per organization is open at a time (a partial unique index).

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, CaseFacts, CaseState, Force, ProblemState, RectificationRules};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::members::validate::{past_day, short_text};
use crate::orgs::model::{Org, OrgDomain, OrgKind};

/// A board lists at most this many cases.
pub const MAX_LIST: i64 = 2_000;

/// Organizations that may be identified: branches and general branches, and the Party
/// organization of a village or community.
pub fn may_be_weak(org: &Org) -> bool {
    !org.is_dissolved() && (matches!(org.kind, OrgKind::Branch | OrgKind::GeneralBranch) || (org.kind == OrgKind::Committee && matches!(org.domain, OrgDomain::Rural | OrgDomain::Community)))
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ForceView {
    pub id: i64,
    pub force: String,
    pub force_label: String,
    pub name: String,
    pub unit: String,
    pub assigned_on: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemView {
    pub id: i64,
    pub text: String,
    pub source: String,
    /// open, resolved, planned, tracked
    pub state: String,
    pub state_label: String,
    pub note: String,
    pub updated_on: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryItem {
    pub on: String,
    pub by: String,
    pub kind: String,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemCounts {
    pub total: i64,
    pub resolved: i64,
    pub planned: i64,
    pub tracked: i64,
    pub open: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub parent_name: String,
    pub year: i32,
    pub identified_on: String,
    /// Reason labels.
    pub reasons: Vec<String>,
    pub reason_note: String,
    pub plan: String,
    /// rectifying, closed
    pub state: String,
    pub state_label: String,
    pub closed_on: Option<String>,
    pub closed_note: Option<String>,
    /// The “四个一” measures: (label, done).
    pub measures: Vec<(String, bool)>,
    pub forces: Vec<ForceView>,
    pub problems: Vec<ProblemView>,
    pub counts: ProblemCounts,
    /// What still stands in the way of 销号 (None: it may be closed).
    pub blocker: Option<String>,
    /// Stars before (the latest rating before the year identified) and since (the latest rating of
    /// the year closed or later), for 晋位升级.
    pub stars_before: Option<i64>,
    pub stars_since: Option<i64>,
    pub history: Vec<HistoryItem>,
    #[serde(skip)]
    pub org_path: String,
}

impl audit::InOrg for CaseView {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

const COLS: &str = "c.id, c.org_id, o.name AS org_name, p.name AS parent_name, c.org_path, c.year, c.identified_on, c.reasons, c.reason_note, c.plan, c.state, c.measures_done, c.closed_on, c.closed_note, \
    c.n_problems, c.n_resolved, c.n_planned, c.n_tracked";
const FROM: &str = "FROM weak_cases c JOIN orgs o ON o.id = c.org_id LEFT JOIN orgs p ON p.id = o.parent_id";

fn from_row(r: &Row, rules: &RectificationRules) -> AppResult<CaseView> {
    let reasons: String = r.try_get("reasons")?;
    let done: String = r.try_get("measures_done")?;
    let done: Vec<&str> = done.split(',').filter(|s| !s.is_empty()).collect();
    let state: String = r.try_get("state")?;
    let n = |c: &str| -> AppResult<i64> { Ok(r.try_get::<i64, _>(c)?) };
    let counts = ProblemCounts { total: n("n_problems")?, resolved: n("n_resolved")?, planned: n("n_planned")?, tracked: n("n_tracked")?, open: n("n_problems")? - n("n_resolved")? - n("n_planned")? - n("n_tracked")? };
    Ok(CaseView {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        parent_name: r.try_get::<Option<String>, _>("parent_name")?.unwrap_or_default(),
        year: r.try_get::<i64, _>("year")? as i32,
        identified_on: r.try_get("identified_on")?,
        reasons: reasons.split(',').filter(|s| !s.is_empty()).map(|c| rules.reason(c).map_or(c.to_string(), |x| x.label.clone())).collect(),
        reason_note: r.try_get("reason_note")?,
        plan: r.try_get("plan")?,
        state_label: CaseState::parse(&state).map(|s| s.label()).unwrap_or("").into(),
        state,
        closed_on: r.try_get("closed_on")?,
        closed_note: r.try_get("closed_note")?,
        measures: rules.measures.iter().map(|m| (m.label.clone(), done.contains(&m.code.as_str()))).collect(),
        forces: Vec::new(),
        problems: Vec::new(),
        counts,
        blocker: None,
        stars_before: None,
        stars_since: None,
        history: Vec::new(),
        org_path: r.try_get("org_path")?,
    })
}

fn stars_around(c: &mut CaseView, list: &[(i32, i64)]) {
    c.stars_before = list.iter().rfind(|(y, _)| *y < c.year).map(|x| x.1);
    if let Some(closed) = c.closed_on.as_deref().and_then(|d| d.get(..4)).and_then(|y| y.parse::<i32>().ok()) {
        c.stars_since = list.iter().rfind(|(y, _)| *y >= closed).map(|x| x.1);
    }
}

fn facts(c: &CaseView, rules: &RectificationRules, measures_done: &str) -> CaseFacts {
    CaseFacts {
        plan: c.plan.clone(),
        forces: c.forces.iter().filter_map(|f| Force::parse(&f.force)).collect(),
        measures_done: measures_done.split(',').filter(|s| !s.is_empty() && rules.measure(s).is_some()).map(str::to_string).collect(),
        problems: c.problems.iter().map(|p| (p.text.clone(), ProblemState::parse(&p.state).unwrap_or(ProblemState::Open))).collect(),
    }
}

/// A case in scope with its forces, problems, history and what blocks 销号.
pub async fn get(conn: &mut Conn, scope: &Scope<cap::ReadAssessment>, cfg: &Rules, id: i64) -> AppResult<CaseView> {
    let r = sqlx::query(&format!("SELECT {COLS} {FROM} WHERE c.id = $1")).bind(id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let rules = &cfg.rectification;
    let mut c = from_row(&r, rules)?;
    scope.require_at(&c.org_path)?;
    let measures_done: String = r.try_get("measures_done")?;
    for f in sqlx::query("SELECT id, force, name, unit, assigned_on FROM weak_forces WHERE case_id = $1 ORDER BY id").bind(id).fetch_all(&mut *conn).await? {
        let force: String = f.try_get("force")?;
        c.forces.push(ForceView { id: f.try_get("id")?, force_label: Force::parse(&force).map(|x| x.label()).unwrap_or("").into(), force, name: f.try_get("name")?, unit: f.try_get("unit")?, assigned_on: f.try_get("assigned_on")? });
    }
    for p in sqlx::query("SELECT id, text, source, state, state_note, updated_on FROM weak_problems WHERE case_id = $1 ORDER BY id").bind(id).fetch_all(&mut *conn).await? {
        let state: String = p.try_get("state")?;
        c.problems.push(ProblemView {
            id: p.try_get("id")?,
            text: p.try_get("text")?,
            source: p.try_get("source")?,
            state_label: ProblemState::parse(&state).map(|x| x.label()).unwrap_or("").into(),
            state,
            note: p.try_get("state_note")?,
            updated_on: p.try_get("updated_on")?,
        });
    }
    for h in sqlx::query("SELECT kind, detail, by_name, on_day FROM weak_events WHERE case_id = $1 ORDER BY id DESC").bind(id).fetch_all(&mut *conn).await? {
        c.history.push(HistoryItem { on: h.try_get("on_day")?, by: h.try_get("by_name")?, kind: h.try_get("kind")?, detail: h.try_get("detail")? });
    }
    if c.state == "rectifying" {
        c.blocker = rules::check_close(rules, &facts(&c, rules, &measures_done)).err().map(|e| e.message);
    }
    let s = crate::assessment::store::stars_by_year(conn, &[c.org_id]).await?;
    if let Some(list) = s.get(&c.org_id) {
        stars_around(&mut c, list);
    }
    Ok(c)
}

async fn event(conn: &mut Conn, actor: &Actor, case_id: i64, kind: &str, detail: &str) -> AppResult<()> {
    sqlx::query("INSERT INTO weak_events (case_id, kind, detail, by_user_id, by_name, on_day, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(case_id)
        .bind(kind)
        .bind(detail)
        .bind(actor.user_id)
        .bind(&actor.display_name)
        .bind(crate::db::today().to_string())
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The case, writable by the caller and still open.
async fn open_case(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64) -> AppResult<CaseView> {
    let c = get(conn, &actor.scope(), cfg, id).await?;
    if !actor.can(Perm::WriteAssessment, &c.org_path) {
        return Err(AppError::forbidden("您的角色无权办理软弱涣散党组织整顿"));
    }
    if c.state != "rectifying" {
        return Err(AppError::conflict("case_closed", format!("该党组织已于{}销号，不能再修改", c.closed_on.as_deref().unwrap_or(""))));
    }
    Ok(c)
}

fn required(field: &'static str, v: &Option<String>, max: usize, label: &str) -> AppResult<String> {
    let s = short_text(field, v, max, label)?;
    if s.is_empty() {
        return Err(AppError::invalid_field("required", field, format!("请填写{label}")));
    }
    Ok(s)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CaseInput {
    pub org_id: Option<i64>,
    /// YYYY-MM-DD
    pub identified_on: Option<String>,
    /// Reason codes or labels (at least one), from `[rectification] reasons`.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// What was found (the 研判 behind the reasons).
    pub note: Option<String>,
    pub plan: Option<String>,
}

/// Identifies an organization as weak and lax (one open case per organization).
pub async fn create(conn: &mut Conn, actor: &Actor, cfg: &Rules, input: &CaseInput) -> AppResult<CaseView> {
    let rules = &cfg.rectification;
    let org_id = input.org_id.ok_or_else(|| AppError::invalid_field("org_required", "org_id", "请选择党组织"))?;
    let org = crate::orgs::store::get_scoped(conn, &actor.scope::<cap::ReadAssessment>(), org_id).await?;
    if !actor.can(Perm::WriteAssessment, &org.path) {
        return Err(AppError::forbidden("您的角色无权认定软弱涣散党组织"));
    }
    if !may_be_weak(&org) {
        return Err(AppError::invalid_field("not_basic_level", "org_id", "软弱涣散整顿针对党支部（总支）和村（社区）党组织，请选择基层党组织"));
    }
    let on = past_day("identified_on", input.identified_on.as_deref())?;
    let mut codes = Vec::new();
    for r in &input.reasons {
        let x = rules.reason(r.trim()).ok_or_else(|| AppError::invalid_field("reason_unknown", "reasons", format!("认定原因“{r}”不在清单中，可选：{}", rules.reasons.iter().map(|x| x.label.as_str()).collect::<Vec<_>>().join("；"))))?;
        if !codes.contains(&x.code) {
            codes.push(x.code.clone());
        }
    }
    if codes.is_empty() {
        return Err(AppError::invalid_field("reasons_required", "reasons", "请至少选择一项认定原因（不设比例，不定指标，按实际问题认定）"));
    }
    let note = short_text("note", &input.note, 1000, "研判情况")?;
    let plan = short_text("plan", &input.plan, 4000, "整顿方案")?;
    let r = sqlx::query_scalar::<_, i64>(
        "INSERT INTO weak_cases (org_id, org_path, year, identified_on, reasons, reason_note, plan, state, measures_done, n_problems, n_resolved, n_planned, n_tracked, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'rectifying', $8, 0, 0, 0, 0, $9, $10) RETURNING id",
    )
    .bind(org.id)
    .bind(&org.path)
    .bind(chrono::Datelike::year(&on) as i64)
    .bind(on.to_string())
    .bind(codes.join(","))
    .bind(&note)
    .bind(&plan)
    .bind(if plan.is_empty() { "" } else { "plan" })
    .bind(actor.user_id)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await;
    let id = match r {
        Ok(id) => id,
        Err(e) if crate::error::is_unique_violation(&e) => return Err(AppError::conflict("already_rectifying", format!("{}已在整顿中，请在原整顿档案中继续", org.name))),
        Err(e) => return Err(e.into()),
    };
    let labels: Vec<String> = codes.iter().filter_map(|c| rules.reason(c)).map(|x| x.label.clone()).collect();
    event(conn, actor, id, "认定", &format!("认定原因：{}{}", labels.join("；"), if note.is_empty() { String::new() } else { format!("。{note}") })).await?;
    crate::tallies::mark(conn, crate::tallies::Source::Weak, org.id).await?;
    let c = get(conn, &actor.scope(), cfg, id).await?;
    audit::record(conn, Some(actor), "rectification.create", "weak_case", Some(id), &c, None, Some(&serde_json::json!({"org": org.name, "reasons": labels}))).await?;
    Ok(c)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    pub plan: Option<String>,
}

/// Sets the rectification plan (一村一策); the earlier text stays in the history.
pub async fn set_plan(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &PlanInput) -> AppResult<CaseView> {
    let c = open_case(conn, actor, cfg, id).await?;
    let plan = required("plan", &input.plan, 4000, "整顿方案")?;
    let done: String = sqlx::query_scalar("SELECT measures_done FROM weak_cases WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    let mut codes: Vec<&str> = done.split(',').filter(|s| !s.is_empty()).collect();
    if !codes.contains(&"plan") && cfg.rectification.measure("plan").is_some() {
        codes.push("plan");
    }
    sqlx::query("UPDATE weak_cases SET plan = $1, measures_done = $2 WHERE id = $3").bind(&plan).bind(codes.join(",")).bind(id).execute(&mut *conn).await?;
    event(conn, actor, id, "整顿方案", &if c.plan.is_empty() { plan.clone() } else { format!("修订（原方案：{}）", c.plan) }).await?;
    audit::record(conn, Some(actor), "rectification.plan", "weak_case", Some(id), &c, None, Some(&serde_json::json!({"plan": plan}))).await?;
    get(conn, &actor.scope(), cfg, id).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ForceInput {
    /// county_leader, unit, work_team, first_secretary (or the label).
    pub force: Option<String>,
    pub name: Option<String>,
    pub unit: Option<String>,
    /// YYYY-MM-DD
    pub assigned_on: Option<String>,
}

/// Assigns one of the four helping forces; the matching “四个一” measure is then done.
pub async fn add_force(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &ForceInput) -> AppResult<CaseView> {
    let c = open_case(conn, actor, cfg, id).await?;
    let force = input.force.as_deref().and_then(Force::parse).ok_or_else(|| AppError::invalid_field("force_invalid", "force", format!("请选择帮扶力量：{}", Force::labels())))?;
    let name = required("name", &input.name, 50, "姓名或单位名称")?;
    let unit = short_text("unit", &input.unit, 100, "单位和职务")?;
    let on = past_day("assigned_on", input.assigned_on.as_deref())?;
    sqlx::query("INSERT INTO weak_forces (case_id, force, name, unit, assigned_on, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(force.code())
        .bind(&name)
        .bind(&unit)
        .bind(on.to_string())
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    // 一名县级领导包联, 一个县直单位结对帮扶, 一名第一书记驻村 follow from the assignment.
    let measure = match force {
        Force::CountyLeader => Some("leader"),
        Force::Unit => Some("unit"),
        Force::FirstSecretary => Some("first_secretary"),
        Force::WorkTeam => None,
    };
    if let Some(m) = measure.filter(|m| cfg.rectification.measure(m).is_some()) {
        mark_measure(conn, id, m).await?;
    }
    event(conn, actor, id, "帮扶力量", &format!("{}：{}{}（{}起）", force.label(), name, if unit.is_empty() { String::new() } else { format!("，{unit}") }, on)).await?;
    audit::record(conn, Some(actor), "rectification.force", "weak_case", Some(id), &c, None, Some(&serde_json::json!({"force": force.label(), "name": name}))).await?;
    get(conn, &actor.scope(), cfg, id).await
}

async fn mark_measure(conn: &mut Conn, id: i64, code: &str) -> AppResult<()> {
    let done: String = sqlx::query_scalar("SELECT measures_done FROM weak_cases WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    let mut codes: Vec<&str> = done.split(',').filter(|s| !s.is_empty()).collect();
    if !codes.contains(&code) {
        codes.push(code);
        sqlx::query("UPDATE weak_cases SET measures_done = $1 WHERE id = $2").bind(codes.join(",")).bind(id).execute(&mut *conn).await?;
    }
    Ok(())
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MeasureInput {
    /// A “四个一” measure's code or label.
    pub measure: Option<String>,
    /// How it was carried out.
    pub note: Option<String>,
}

/// Records a “四个一” measure as carried out (those that follow from an assignment or the plan
/// are marked by them).
pub async fn do_measure(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &MeasureInput) -> AppResult<CaseView> {
    let c = open_case(conn, actor, cfg, id).await?;
    let m = input.measure.as_deref().and_then(|m| cfg.rectification.measure(m.trim())).ok_or_else(|| {
        AppError::invalid_field("measure_unknown", "measure", format!("请选择“四个一”举措：{}", cfg.rectification.measures.iter().map(|m| m.label.as_str()).collect::<Vec<_>>().join("、")))
    })?;
    let note = required("note", &input.note, 500, "落实情况")?;
    mark_measure(conn, id, &m.code).await?;
    event(conn, actor, id, "四个一", &format!("{}：{note}", m.label)).await?;
    audit::record(conn, Some(actor), "rectification.measure", "weak_case", Some(id), &c, None, Some(&serde_json::json!({"measure": m.label, "note": note}))).await?;
    get(conn, &actor.scope(), cfg, id).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProblemInput {
    /// The problem as the people put it.
    pub text: Option<String>,
    /// Where it was heard (入户走访, 座谈会, 12345 …).
    pub source: Option<String>,
}

/// Adds a people's problem to the case's list.
pub async fn add_problem(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &ProblemInput) -> AppResult<CaseView> {
    let c = open_case(conn, actor, cfg, id).await?;
    let text = required("text", &input.text, 200, "问题")?;
    let source = short_text("source", &input.source, 50, "来源")?;
    let today = crate::db::today().to_string();
    sqlx::query("INSERT INTO weak_problems (case_id, text, source, state, state_note, updated_on, created_at) VALUES ($1, $2, $3, 'open', '', $4, $5)")
        .bind(id)
        .bind(&text)
        .bind(&source)
        .bind(&today)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE weak_cases SET n_problems = n_problems + 1 WHERE id = $1").bind(id).execute(&mut *conn).await?;
    event(conn, actor, id, "问题清单", &format!("列入：{text}{}", if source.is_empty() { String::new() } else { format!("（{source}）") })).await?;
    audit::record(conn, Some(actor), "rectification.problem", "weak_case", Some(id), &c, None, Some(&serde_json::json!({"text": text}))).await?;
    get(conn, &actor.scope(), cfg, id).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProblemUpdate {
    /// resolved, planned, tracked (or the label).
    pub state: Option<String>,
    /// What was done; for `planned` the plan it went into.
    pub note: Option<String>,
}

fn count_col(s: ProblemState) -> Option<&'static str> {
    match s {
        ProblemState::Resolved => Some("n_resolved"),
        ProblemState::Planned => Some("n_planned"),
        ProblemState::Tracked => Some("n_tracked"),
        ProblemState::Open => None,
    }
}

/// Moves a problem to resolved, planned or tracked (a conditional update on the state read, so
/// the counts stay right under concurrent updates).
pub async fn update_problem(conn: &mut Conn, actor: &Actor, cfg: &Rules, problem_id: i64, input: &ProblemUpdate) -> AppResult<CaseView> {
    let (case_id, text, old): (i64, String, String) = {
        let r = sqlx::query("SELECT case_id, text, state FROM weak_problems WHERE id = $1").bind(problem_id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
        (r.try_get("case_id")?, r.try_get("text")?, r.try_get("state")?)
    };
    let c = open_case(conn, actor, cfg, case_id).await?;
    let state = input.state.as_deref().and_then(ProblemState::parse).filter(|s| *s != ProblemState::Open).ok_or_else(|| AppError::invalid_field("state_invalid", "state", "请选择：已解决、已纳入规划或持续跟踪"))?;
    let note = required("note", &input.note, 500, if state == ProblemState::Planned { "纳入的规划或项目" } else { "办理情况" })?;
    if old == state.code() {
        return Err(AppError::conflict("unchanged", format!("该问题已是“{}”", state.label())));
    }
    let today = crate::db::today().to_string();
    let moved = sqlx::query("UPDATE weak_problems SET state = $1, state_note = $2, updated_on = $3 WHERE id = $4 AND state = $5")
        .bind(state.code())
        .bind(&note)
        .bind(&today)
        .bind(problem_id)
        .bind(&old)
        .execute(&mut *conn)
        .await?;
    if moved.rows_affected() == 0 {
        return Err(AppError::conflict("changed_meanwhile", "该问题刚被他人更新，请刷新后再试"));
    }
    let old_state = ProblemState::parse(&old).unwrap_or(ProblemState::Open);
    let mut sql = String::from("UPDATE weak_cases SET ");
    let mut parts = Vec::new();
    if let Some(col) = count_col(old_state) {
        parts.push(format!("{col} = {col} - 1"));
    }
    if let Some(col) = count_col(state) {
        parts.push(format!("{col} = {col} + 1"));
    }
    sql.push_str(&parts.join(", "));
    sql.push_str(" WHERE id = $1");
    sqlx::query(&sql).bind(case_id).execute(&mut *conn).await?;
    event(conn, actor, case_id, "问题办理", &format!("{text}：{} → {}，{note}", old_state.label(), state.label())).await?;
    audit::record(conn, Some(actor), "rectification.problem_update", "weak_case", Some(case_id), &c, None, Some(&serde_json::json!({"problem": text, "state": state.label(), "note": note}))).await?;
    get(conn, &actor.scope(), cfg, case_id).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CloseInput {
    /// YYYY-MM-DD
    pub on: Option<String>,
    /// The township's and county's acceptance (验收).
    pub note: Option<String>,
}

/// 销号: refused while a problem is open or tracked, a force is missing or a measure undone.
pub async fn close(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &CloseInput) -> AppResult<CaseView> {
    let c = open_case(conn, actor, cfg, id).await?;
    let measures_done: String = sqlx::query_scalar("SELECT measures_done FROM weak_cases WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    rules::check_close(&cfg.rectification, &facts(&c, &cfg.rectification, &measures_done)).map_err(|r| AppError::invalid(r.code, r.message))?;
    let on = past_day("on", input.on.as_deref())?;
    if on.to_string() < c.identified_on {
        return Err(AppError::invalid_field("date_before_identified", "on", format!("销号日期不能早于认定日期{}", c.identified_on)));
    }
    let note = required("note", &input.note, 1000, "验收意见")?;
    crate::tallies::mark_path(conn, crate::tallies::Source::Weak, &c.org_path).await?;
    let moved = sqlx::query("UPDATE weak_cases SET state = 'closed', closed_on = $1, closed_note = $2 WHERE id = $3 AND state = 'rectifying' AND n_problems = n_resolved + n_planned")
        .bind(on.to_string())
        .bind(&note)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if moved.rows_affected() == 0 {
        return Err(AppError::conflict("changed_meanwhile", "该整顿档案刚被他人更新，请刷新后再试"));
    }
    event(conn, actor, id, "销号", &format!("{on}销号：{note}")).await?;
    audit::record(conn, Some(actor), "rectification.close", "weak_case", Some(id), &c, None, Some(&serde_json::json!({"on": on.to_string(), "note": note}))).await?;
    get(conn, &actor.scope(), cfg, id).await
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub org_id: i64,
    pub org_name: String,
    pub rectifying: i64,
    pub closed: i64,
    /// Problems over the listed cases.
    pub problems: ProblemCounts,
    /// Open cases first, then the closed, newest first; at most 2,000.
    pub cases: Vec<CaseView>,
    pub source: String,
}

/// The weak-organization board of a subtree: every case with its reasons, plan, forces, problem
/// counts and stars before and since; counts kept on the case rows, so no problem is read.
pub async fn board(conn: &mut Conn, scope: &Scope<cap::ReadAssessment>, cfg: &Rules, root: &Org) -> AppResult<Board> {
    if !scope.covers(&root.path) && !scope.prefixes().iter().any(|p| p.starts_with(&root.path)) {
        return Err(AppError::NotFound);
    }
    let mut sql = Sql::new(&format!("SELECT {COLS} {FROM} WHERE 1 = 1"));
    crate::db::push_under(&mut sql, "c.org_path", &root.path);
    scope.push_filter(&mut sql, "c.org_path");
    sql.push(" ORDER BY c.state DESC, c.identified_on DESC, c.id DESC LIMIT ").bind(MAX_LIST);
    let mut cases = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        cases.push(from_row(&r, &cfg.rectification)?);
    }
    // The forces of the listed cases, one row per case.
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT id, case_id, force, name, unit, assigned_on FROM weak_forces WHERE case_id IN (");
        sql.bind_list(chunk.iter().copied()).push(")");
        for f in sql.query().fetch_all(&mut *conn).await? {
            let case_id: i64 = f.try_get("case_id")?;
            let force: String = f.try_get("force")?;
            if let Some(c) = cases.iter_mut().find(|c| c.id == case_id) {
                c.forces.push(ForceView { id: f.try_get("id")?, force_label: Force::parse(&force).map(|x| x.label()).unwrap_or("").into(), force, name: f.try_get("name")?, unit: f.try_get("unit")?, assigned_on: f.try_get("assigned_on")? });
            }
        }
    }
    let org_ids: Vec<i64> = cases.iter().map(|c| c.org_id).collect();
    let s = crate::assessment::store::stars_by_year(conn, &org_ids).await?;
    let mut total = ProblemCounts { total: 0, resolved: 0, planned: 0, tracked: 0, open: 0 };
    let (mut rectifying, mut closed) = (0, 0);
    for c in &mut cases {
        if let Some(list) = s.get(&c.org_id) {
            stars_around(c, list);
        }
        total.total += c.counts.total;
        total.resolved += c.counts.resolved;
        total.planned += c.counts.planned;
        total.tracked += c.counts.tracked;
        total.open += c.counts.open;
        if c.state == "closed" {
            closed += 1;
        } else {
            rectifying += 1;
        }
    }
    Ok(Board { org_id: root.id, org_name: root.name.clone(), rectifying, closed, problems: total, cases, source: rules::SOURCE.into() })
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub org_id: i64,
    pub org_name: String,
    pub parent_name: String,
    /// (reason label, evidence)
    pub reasons: Vec<(String, String)>,
}

/// Organizations of a subtree whose records suggest a look (no secretary, a third of the
/// meetings missed, no new member for years, one star or none), not already in rectification.
/// A suggestion, never a quota: the office decides.
pub async fn suggestions(db: &crate::db::Db, conn: &mut Conn, scope: &Scope<cap::ReadAssessment>, cfg: &Rules, root: &Org, year: i32) -> AppResult<Vec<Suggestion>> {
    let (rated, facts) = crate::assessment::store::facts_of_subtree(db, conn, scope, cfg, root, year).await?;
    let open: std::collections::HashSet<i64> = {
        let mut sql = Sql::new("SELECT org_id FROM weak_cases WHERE state = 'rectifying'");
        crate::db::push_under(&mut sql, "org_path", &root.path);
        sql.query_scalar().fetch_all(&mut *conn).await?.into_iter().collect()
    };
    let ids: Vec<i64> = rated.iter().map(|r| r.0).collect();
    let s = crate::assessment::store::stars_by_year(conn, &ids).await?;
    let names = crate::members::store::org_names(conn, rated.iter().filter_map(|r| r.2)).await?;
    let mut out = Vec::new();
    for (id, name, parent) in &rated {
        if open.contains(id) {
            continue;
        }
        let Some(f) = facts.get(id) else { continue };
        let sf = rules::SuggestFacts {
            has_secretary: f.secretary.is_some(),
            meetings_missed: f.meetings_missed,
            meetings_due: f.meetings_met + f.meetings_missed,
            latest_admission_year: f.latest_admission.as_deref().and_then(|d| d.get(..4)).and_then(|y| y.parse().ok()),
            rated: s.get(id).and_then(|l| l.iter().rfind(|(y, _)| *y < year).copied()),
        };
        let reasons: Vec<(String, String)> = rules::suggest(&cfg.rectification, year, &sf).into_iter().map(|(c, e)| (cfg.rectification.reason(&c).map_or(c.clone(), |x| x.label.clone()), e)).collect();
        // One sign alone (a branch that has not recruited) is common; two or more suggest a look.
        if reasons.len() >= 2 {
            out.push(Suggestion { org_id: *id, org_name: name.clone(), parent_name: parent.and_then(|p| names.get(&p)).cloned().unwrap_or_default(), reasons });
        }
    }
    out.sort_by(|a, b| b.reasons.len().cmp(&a.reasons.len()).then(a.org_id.cmp(&b.org_id)));
    Ok(out)
}

/// The 软弱涣散党组织整顿台账 of a subtree: one row per case.
pub fn board_xlsx(b: &Board) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.into());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("整顿台账").map_err(x)?;
    let bold = Format::new().set_bold();
    ws.write_string_with_format(0, 0, format!("{} 软弱涣散党组织整顿台账", b.org_name), &bold).map_err(x)?;
    let head = ["党组织", "上级组织", "认定日期", "认定原因", "整顿方案", "帮扶力量", "“四个一”", "问题数", "已解决", "已纳入规划", "持续跟踪", "待解决", "状态", "销号日期", "整顿前星级", "销号后星级"];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &bold).map_err(x)?;
    }
    for (i, c) in b.cases.iter().enumerate() {
        let row = i as u32 + 2;
        let forces: Vec<String> = c.forces.iter().map(|f| format!("{}：{}", f.force_label, f.name)).collect();
        let measures: Vec<String> = c.measures.iter().map(|(l, d)| format!("{l}{}", if *d { "✓" } else { "✗" })).collect();
        let texts = [&c.org_name, &c.parent_name, &c.identified_on, &c.reasons.join("；"), &c.plan, &forces.join("；"), &measures.join("；")];
        for (k, t) in texts.iter().enumerate() {
            ws.write_string(row, k as u16, t.as_str()).map_err(x)?;
        }
        for (k, n) in [c.counts.total, c.counts.resolved, c.counts.planned, c.counts.tracked, c.counts.open].iter().enumerate() {
            ws.write_number(row, 7 + k as u16, *n as f64).map_err(x)?;
        }
        ws.write_string(row, 12, &c.state_label).map_err(x)?;
        ws.write_string(row, 13, c.closed_on.as_deref().unwrap_or("")).map_err(x)?;
        if let Some(s) = c.stars_before {
            ws.write_number(row, 14, s as f64).map_err(x)?;
        }
        if let Some(s) = c.stars_since {
            ws.write_number(row, 15, s as f64).map_err(x)?;
        }
    }
    wb.save_to_buffer().map_err(x)
}
