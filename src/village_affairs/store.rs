//! 四议两公开 in the database. A matter belongs to a village or community; its steps are recorded
//! in order by whoever keeps the village's organizational life (`WriteOrgLife`), and read by
//! anyone who may read the org (`ReadOrgs`). Recording a step is a conditional update on the
//! matter's count of steps, so two people recording at once cannot both take the same step. A
//! meeting short of its quorum is refused; a vote that falls short is recorded and ends the
//! matter as 未通过. Once the decision is published (决议公开) the matter appears on the village's
//! public page, and its result when that is published.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, Step, Vote};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::members::validate::{past_day as day, short_text};
use crate::orgs::model::Org;

/// A list holds at most this many matters.
pub const MAX_LIST: i64 = 500;

/// Kinds of matter (村级重大事项), a local default list.
pub const CATEGORIES: [&str; 7] = ["集体资产资源处置", "村级工程项目", "土地承包和流转", "集体经济项目", "惠民资金和救助", "村规民约", "其他重大事项"];

crate::code_enum!(
    /// Where a matter stands.
    MatterState {
        Open = ("open", "办理中"),
        Rejected = ("rejected", "未通过"),
        Done = ("done", "已完成"),
    }
);

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub seq: i64,
    pub step: String,
    pub step_label: String,
    pub on_day: String,
    /// Minutes of the meeting, or what was published.
    pub minutes: String,
    pub vote: Option<Vote>,
    pub passed: bool,
    /// Where a 公开 step was posted (村务公开栏, 微信群 …).
    pub posted_where: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MatterView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub title: String,
    pub category: String,
    pub summary: String,
    /// open, rejected, done
    pub state: String,
    pub state_label: String,
    pub steps_done: i64,
    /// The step that may come next (None when done or rejected).
    pub next_step: Option<String>,
    pub next_step_label: Option<String>,
    /// The quorum rule of the next step, when it votes.
    pub next_rule: Option<String>,
    pub last_on: Option<String>,
    pub steps: Vec<StepView>,
    #[serde(skip)]
    pub org_path: String,
}

impl audit::InOrg for MatterView {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

const COLS: &str = "v.id, v.org_id, o.name AS org_name, v.org_path, v.title, v.category, v.summary, v.state, v.steps_done, v.last_on";

fn from_row(r: &Row) -> AppResult<MatterView> {
    let state: String = r.try_get("state")?;
    let steps_done: i64 = r.try_get("steps_done")?;
    let next = (state == "open").then(|| Step::ALL.get(steps_done as usize).copied()).flatten();
    Ok(MatterView {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        title: r.try_get("title")?,
        category: r.try_get("category")?,
        summary: r.try_get("summary")?,
        state_label: MatterState::parse(&state).map(|s| s.label()).unwrap_or("").into(),
        state,
        steps_done,
        next_step: next.map(|s| s.code().to_string()),
        next_step_label: next.map(|s| s.label().to_string()),
        next_rule: next.filter(|s| s.votes()).map(|s| s.quorum_rule().to_string()),
        last_on: r.try_get("last_on")?,
        steps: Vec::new(),
        org_path: r.try_get("org_path")?,
    })
}

async fn steps(conn: &mut Conn, id: i64) -> AppResult<Vec<StepView>> {
    let rows = sqlx::query("SELECT seq, step, on_day, minutes, entitled, present, yes, against, abstain, passed, posted_where FROM village_matter_steps WHERE matter_id = $1 ORDER BY seq").bind(id).fetch_all(&mut *conn).await?;
    let mut out = Vec::new();
    for r in &rows {
        let step: String = r.try_get("step")?;
        let entitled: Option<i64> = r.try_get("entitled")?;
        out.push(StepView {
            seq: r.try_get("seq")?,
            step_label: Step::parse(&step).map(|s| s.label()).unwrap_or("").into(),
            step,
            on_day: r.try_get("on_day")?,
            minutes: r.try_get("minutes")?,
            vote: match entitled {
                Some(entitled) => Some(Vote {
                    entitled,
                    present: r.try_get::<Option<i64>, _>("present")?.unwrap_or(0),
                    yes: r.try_get::<Option<i64>, _>("yes")?.unwrap_or(0),
                    against: r.try_get::<Option<i64>, _>("against")?.unwrap_or(0),
                    abstain: r.try_get::<Option<i64>, _>("abstain")?.unwrap_or(0),
                }),
                None => None,
            },
            passed: r.try_get::<i64, _>("passed")? != 0,
            posted_where: r.try_get("posted_where")?,
        });
    }
    Ok(out)
}

/// A matter inside `scope`, with its steps; else NotFound.
pub async fn get(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, id: i64) -> AppResult<MatterView> {
    let sql = format!("SELECT {COLS} FROM village_matters v JOIN orgs o ON o.id = v.org_id WHERE v.id = $1");
    let mut v = match sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| from_row(&r)).transpose()? {
        Some(v) if scope.covers(&v.org_path) => v,
        _ => return Err(AppError::NotFound),
    };
    v.steps = steps(conn, v.id).await?;
    Ok(v)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MatterInput {
    /// The village or community.
    pub org_id: Option<i64>,
    pub title: Option<String>,
    /// One of the kinds of 村级重大事项 (集体资产资源处置, 村级工程项目 …).
    pub category: Option<String>,
    pub summary: Option<String>,
}

/// Opens a matter in a village (`WriteOrgLife` there).
pub async fn create(conn: &mut Conn, actor: &Actor, input: &MatterInput) -> AppResult<MatterView> {
    // Scope before permission: an org out of reach is 404 whoever asks.
    let org = crate::cadres::store::village_to_record(conn, actor, input.org_id, Perm::WriteOrgLife, "村级重大事项").await?;
    let title = short_text("title", &input.title, 80, "事项名称")?;
    if title.is_empty() {
        return Err(AppError::invalid_field("title_required", "title", "请填写事项名称，如“村集体鱼塘承包”"));
    }
    let category = input.category.as_deref().map(str::trim).unwrap_or("");
    if !CATEGORIES.contains(&category) {
        return Err(AppError::invalid_field("category_invalid", "category", format!("请选择事项类别：{}", CATEGORIES.join("、"))));
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO village_matters (org_id, org_path, title, category, summary, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(org.id)
        .bind(&org.path)
        .bind(&title)
        .bind(category)
        .bind(short_text("summary", &input.summary, 1000, "事项内容")?)
        .bind(actor.user_id)
        .bind(now_secs())
        .fetch_one(&mut *conn)
        .await?;
    let v = get(conn, &actor.scope(), id).await?;
    audit::record(conn, Some(actor), "village_affairs.create", "matter", Some(id), &v, None, Some(&serde_json::json!({"title": v.title, "category": v.category}))).await?;
    Ok(v)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct StepInput {
    /// consult, propose, discuss, review, resolve, publish_decision, publish_result (or the label).
    pub step: Option<String>,
    /// YYYY-MM-DD
    pub on: Option<String>,
    /// Minutes of the meeting (who, what was said), or what was published.
    pub minutes: Option<String>,
    /// The count, for 党支部提议, 两委会商议, 党员大会审议 and 村民代表会议决议.
    pub vote: Option<Vote>,
    /// Where a 公开 step was posted and for how long (村务公开栏，公示7天).
    pub posted_where: Option<String>,
}

/// Records the next step of a matter: in order, not before the previous one, with its minutes
/// and, for a meeting, a count that meets its quorum.
pub async fn record_step(conn: &mut Conn, actor: &Actor, id: i64, input: &StepInput) -> AppResult<MatterView> {
    let v = get(conn, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteOrgLife, &v.org_path) {
        return Err(AppError::forbidden("您的角色无权登记该村的议事步骤"));
    }
    if v.state != "open" {
        return Err(AppError::conflict("matter_closed", format!("该事项{}，不能再登记步骤", v.state_label)));
    }
    let step = input.step.as_deref().and_then(Step::parse).ok_or_else(|| AppError::invalid_field("step_invalid", "step", format!("请选择步骤：{}", Step::labels())))?;
    let on = day("on", input.on.as_deref())?;
    let done: Vec<(Step, chrono::NaiveDate)> = v.steps.iter().filter_map(|s| Some((Step::parse(&s.step)?, s.on_day.parse().ok()?))).collect();
    rules::check_step(&done, step, on, crate::db::today()).map_err(|r| AppError::invalid_field(r.code, "step", r.message))?;
    let minutes = short_text("minutes", &input.minutes, 2000, "记录")?;
    if minutes.is_empty() {
        return Err(AppError::invalid_field("minutes_required", "minutes", if step.votes() || step == Step::Consult { "请填写会议记录：参加人员、议题和意见" } else { "请填写公开的内容" }));
    }
    let posted_where = short_text("posted_where", &input.posted_where, 100, "公开方式")?;
    let publishes = matches!(step, Step::PublishDecision | Step::PublishResult);
    if publishes && posted_where.is_empty() {
        return Err(AppError::invalid_field("posted_where_required", "posted_where", "请写明公开的地点和时间，如“村务公开栏，公示7天”"));
    }
    let (vote, passed) = if step.votes() {
        let vote = input.vote.ok_or_else(|| AppError::invalid_field("vote_required", "vote", format!("请填写表决情况（应到、实到、赞成、反对、弃权）：{}", step.quorum_rule())))?;
        let passed = rules::check_vote(step, &vote).map_err(|r| AppError::invalid_field(r.code, "vote", r.message))?;
        (Some(vote), passed)
    } else {
        (None, true)
    };
    let state = if !passed {
        MatterState::Rejected
    } else if step == Step::PublishResult {
        MatterState::Done
    } else {
        MatterState::Open
    };
    // Conditional on the count read: of two recorders one wins, the other is told.
    let moved = sqlx::query("UPDATE village_matters SET steps_done = steps_done + 1, state = $1, last_on = $2 WHERE id = $3 AND steps_done = $4 AND state = 'open'")
        .bind(state.code())
        .bind(on.to_string())
        .bind(v.id)
        .bind(v.steps_done)
        .execute(&mut *conn)
        .await?;
    if moved.rows_affected() == 0 {
        return Err(AppError::conflict("changed_meanwhile", "该事项刚被他人登记了一步，请刷新后再试"));
    }
    sqlx::query(
        "INSERT INTO village_matter_steps (matter_id, seq, step, on_day, minutes, entitled, present, yes, against, abstain, passed, posted_where, by_user_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(v.id)
    .bind(v.steps_done + 1)
    .bind(step.code())
    .bind(on.to_string())
    .bind(&minutes)
    .bind(vote.map(|x| x.entitled))
    .bind(vote.map(|x| x.present))
    .bind(vote.map(|x| x.yes))
    .bind(vote.map(|x| x.against))
    .bind(vote.map(|x| x.abstain))
    .bind(passed as i64)
    .bind(&posted_where)
    .bind(actor.user_id)
    .bind(now_secs())
    .execute(&mut *conn)
    .await?;
    audit::record(conn, Some(actor), "village_affairs.step", "matter", Some(v.id), &v, None, Some(&serde_json::json!({"step": step.label(), "on": on.to_string(), "passed": passed, "vote": vote}))).await?;
    get(conn, &actor.scope(), v.id).await
}

/// How many full members a branch's 党员大会 would count as entitled to vote (预备党员 have no
/// vote), for the form's default.
pub async fn full_members(conn: &mut Conn, org: &Org) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE org_path >= $1 AND org_path < $2 AND status = 'full' AND left_on IS NULL")
        .bind(&org.path)
        .bind(crate::db::path::upper(&org.path))
        .fetch_one(&mut *conn)
        .await?)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MatterList {
    pub org_id: i64,
    pub org_name: String,
    pub open: i64,
    pub rejected: i64,
    pub done: i64,
    /// Latest first, at most 500; without their steps.
    pub items: Vec<MatterView>,
}

/// The matters of a subtree's villages.
pub async fn list(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, root: &Org) -> AppResult<MatterList> {
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM village_matters v JOIN orgs o ON o.id = v.org_id WHERE 1 = 1"));
    crate::db::push_under(&mut sql, "v.org_path", &root.path);
    scope.push_filter(&mut sql, "v.org_path");
    sql.push(" ORDER BY v.created_at DESC, v.id DESC LIMIT ").bind(MAX_LIST);
    let items = sql.query().fetch_all(&mut *conn).await?.iter().map(from_row).collect::<AppResult<Vec<_>>>()?;
    let mut sql = Sql::new("SELECT v.state, COUNT(*) AS n FROM village_matters v WHERE 1 = 1");
    crate::db::push_under(&mut sql, "v.org_path", &root.path);
    scope.push_filter(&mut sql, "v.org_path");
    sql.push(" GROUP BY v.state");
    let (mut open, mut rejected, mut done) = (0, 0, 0);
    for r in sql.query().fetch_all(&mut *conn).await? {
        let n: i64 = r.try_get("n")?;
        match r.try_get::<String, _>("state")?.as_str() {
            "open" => open = n,
            "rejected" => rejected = n,
            _ => done = n,
        }
    }
    Ok(MatterList { org_id: root.id, org_name: root.name.clone(), open, rejected, done, items })
}

/// The 四议两公开台账: one row per step of each matter.
pub async fn list_xlsx(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, root: &Org) -> AppResult<Vec<u8>> {
    let mut sql = Sql::new(
        "SELECT o.name AS org_name, v.title, v.category, v.state, s.step, s.on_day, s.minutes, s.entitled, s.present, s.yes, s.against, s.abstain, s.passed, s.posted_where \
         FROM village_matters v JOIN orgs o ON o.id = v.org_id LEFT JOIN village_matter_steps s ON s.matter_id = v.id WHERE 1 = 1",
    );
    crate::db::push_under(&mut sql, "v.org_path", &root.path);
    scope.push_filter(&mut sql, "v.org_path");
    sql.push(" ORDER BY v.org_path, v.id, s.seq LIMIT 50000");
    let mut rows = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let num = |c: &str| -> AppResult<String> { Ok(r.try_get::<Option<i64>, _>(c)?.map(|v| v.to_string()).unwrap_or_default()) };
        let state: String = r.try_get("state")?;
        let step: Option<String> = r.try_get("step")?;
        rows.push(vec![
            r.try_get("org_name")?,
            r.try_get("title")?,
            r.try_get("category")?,
            MatterState::parse(&state).map(|s| s.label()).unwrap_or("").to_string(),
            step.as_deref().and_then(Step::parse).map(|s| s.label()).unwrap_or("").to_string(),
            r.try_get::<Option<String>, _>("on_day")?.unwrap_or_default(),
            num("entitled")?,
            num("present")?,
            num("yes")?,
            num("against")?,
            num("abstain")?,
            match r.try_get::<Option<i64>, _>("passed")? {
                Some(0) => "未通过".into(),
                Some(_) => "通过".into(),
                None => String::new(),
            },
            r.try_get::<Option<String>, _>("posted_where")?.unwrap_or_default(),
            r.try_get::<Option<String>, _>("minutes")?.unwrap_or_default(),
        ]);
    }
    let headers = ["村（社区）", "事项", "类别", "状态", "步骤", "日期", "应到", "实到", "赞成", "反对", "弃权", "结果", "公开方式", "记录"];
    let widths = [16.0, 24.0, 14.0, 8.0, 14.0, 11.0, 6.0, 6.0, 6.0, 6.0, 6.0, 8.0, 18.0, 40.0];
    crate::members::sheets::write_table_xlsx(&format!("{}四议两公开台账", root.name), &headers, &widths, rows.into_iter()).map_err(|e| AppError::invalid("export_failed", e))
}

/// What residents see: matters of a village whose decision was published, with the result once
/// published. No minutes of internal meetings beyond the counts.
#[derive(Clone, Debug, Serialize)]
pub struct PublicMatter {
    pub title: String,
    pub category: String,
    pub summary: String,
    pub decided_on: String,
    /// The 村民代表会议's count.
    pub vote: Option<Vote>,
    pub decision: String,
    pub decision_posted: String,
    pub result: Option<String>,
    pub result_on: Option<String>,
}

/// The village's published decisions and results, latest first (no login).
pub async fn published(conn: &mut Conn, org_id: i64) -> AppResult<Vec<PublicMatter>> {
    let rows = sqlx::query(
        "SELECT v.id, v.title, v.category, v.summary FROM village_matters v WHERE v.org_id = $1 AND EXISTS (SELECT 1 FROM village_matter_steps s WHERE s.matter_id = v.id AND s.step = 'publish_decision') ORDER BY v.last_on DESC, v.id DESC LIMIT 100",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let st = steps(conn, id).await?;
        let find = |s: Step| st.iter().find(|x| x.step == s.code());
        let (Some(resolve), Some(decision)) = (find(Step::Resolve), find(Step::PublishDecision)) else { continue };
        let result = find(Step::PublishResult);
        out.push(PublicMatter {
            title: r.try_get("title")?,
            category: r.try_get("category")?,
            summary: r.try_get("summary")?,
            decided_on: resolve.on_day.clone(),
            vote: resolve.vote,
            decision: decision.minutes.clone(),
            decision_posted: format!("{}（{}）", decision.on_day, decision.posted_where),
            result: result.map(|x| x.minutes.clone()),
            result_on: result.map(|x| x.on_day.clone()),
        });
    }
    Ok(out)
}
