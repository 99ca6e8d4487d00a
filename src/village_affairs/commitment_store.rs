//! 承诺践诺 in the database. An org (a village, a township, a unit) makes commitments for a
//! year and reports them done (`WriteOrgLife` at the org); the level above checks each report,
//! accepting it or sending it back, and records a commitment not fulfilled once its due day has
//! passed (`WriteOrgs` at the org's parent). Each change is a conditional update on the state
//! read, so of two people acting at once one wins and the other is told. Read with `ReadOrgs`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::powers::{self, Commitment, CommitmentState};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::members::validate::{parse_date, past_day, short_text};
use crate::orgs::model::Org;

/// A board lists at most this many commitments.
pub const MAX_LIST: usize = 1000;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CommitmentView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub title: String,
    pub detail: String,
    pub made_on: String,
    pub due_on: String,
    /// open, fulfilled, verified, unfulfilled
    pub state: String,
    pub state_label: String,
    /// Open past its due day.
    pub overdue: bool,
    pub done_on: Option<String>,
    pub done_note: String,
    pub checked_by: String,
    pub checked_on: Option<String>,
    pub check_note: String,
    pub by: String,
    #[serde(skip)]
    pub org_path: String,
}

impl audit::InOrg for CommitmentView {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

const COLS: &str = "c.id, c.org_id, o.name AS org_name, c.org_path, c.year, c.title, c.detail, c.made_on, c.due_on, c.state, c.done_on, c.done_note, c.checked_by, c.checked_on, c.check_note, c.by_name";

fn from_row(r: &Row, today: NaiveDate) -> AppResult<CommitmentView> {
    let state: String = r.try_get("state")?;
    let st = CommitmentState::parse(&state).unwrap_or(CommitmentState::Open);
    let due_on: String = r.try_get("due_on")?;
    Ok(CommitmentView {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        year: r.try_get::<i64, _>("year")? as i32,
        title: r.try_get("title")?,
        detail: r.try_get("detail")?,
        made_on: r.try_get("made_on")?,
        overdue: due_on.parse().map(|d| powers::overdue(st, d, today)).unwrap_or(false),
        due_on,
        state_label: st.label().into(),
        state,
        done_on: r.try_get("done_on")?,
        done_note: r.try_get("done_note")?,
        checked_by: r.try_get("checked_by")?,
        checked_on: r.try_get("checked_on")?,
        check_note: r.try_get("check_note")?,
        by: r.try_get("by_name")?,
        org_path: r.try_get("org_path")?,
    })
}

/// A commitment inside the caller's scope (else not found).
pub async fn get(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, id: i64) -> AppResult<CommitmentView> {
    let r = sqlx::query(&format!("SELECT {COLS} FROM commitments c JOIN orgs o ON o.id = c.org_id WHERE c.id = $1")).bind(id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let c = from_row(&r, crate::db::today())?;
    scope.require_at(&c.org_path)?;
    Ok(c)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CommitmentInput {
    pub org_id: Option<i64>,
    /// The year it is made for (this year when absent).
    pub year: Option<i32>,
    pub title: Option<String>,
    /// What will be done, to what measure.
    pub detail: Option<String>,
    /// YYYY-MM-DD; the end of the year when absent.
    pub due_on: Option<String>,
}

/// Records a commitment an org makes (`WriteOrgLife` at the org).
pub async fn make(conn: &mut Conn, actor: &Actor, input: &CommitmentInput) -> AppResult<CommitmentView> {
    let oid = match input.org_id {
        Some(id) => id,
        None if !actor.can_anywhere(Perm::WriteOrgLife) => return Err(AppError::forbidden("您的角色无权登记承诺事项")),
        None => return Err(AppError::invalid_field("org_required", "org_id", "请选择作出承诺的党组织")),
    };
    let org = crate::orgs::store::get_scoped(conn, &actor.scope::<cap::ReadOrgs>(), oid).await?;
    if !actor.can(Perm::WriteOrgLife, &org.path) {
        return Err(AppError::forbidden(format!("您的角色无权为{}登记承诺事项", org.name)));
    }
    if org.parent_id.is_none() {
        return Err(AppError::invalid_field("no_level_above", "org_id", "承诺是向上级党委作出的：请选择乡镇、单位或村（社区）党组织"));
    }
    let today = crate::db::today();
    let this_year = chrono::Datelike::year(&today);
    let year = input.year.unwrap_or(this_year);
    if !(this_year - 1..=this_year + 1).contains(&year) {
        return Err(AppError::invalid_field("year_invalid", "year", format!("承诺年度应在{}至{}年之间", this_year - 1, this_year + 1)));
    }
    let title = short_text("title", &input.title, 100, "承诺事项")?;
    if title.chars().count() < 4 {
        return Err(AppError::invalid_field("title_required", "title", "请写明承诺事项，如“年内完成村级活动场所改造”"));
    }
    let detail = short_text("detail", &input.detail, 500, "具体内容")?;
    let due_on = match input.due_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today),
        Some(s) => parse_date(s).ok_or_else(|| AppError::invalid_field("date_invalid", "due_on", format!("无法识别的日期“{s}”，请写成 2026-12-31")))?,
    };
    if due_on < today || chrono::Datelike::year(&due_on) > year + 1 {
        return Err(AppError::invalid_field("due_invalid", "due_on", format!("完成期限应在今天（{today}）之后、{}年底之前", year + 1)));
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO commitments (org_id, org_path, year, title, detail, made_on, due_on, by_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(org.id)
        .bind(&org.path)
        .bind(year as i64)
        .bind(&title)
        .bind(&detail)
        .bind(today.to_string())
        .bind(due_on.to_string())
        .bind(&actor.display_name)
        .bind(now_secs())
        .fetch_one(&mut *conn)
        .await?;
    let c = get(conn, &actor.scope(), id).await?;
    audit::record(conn, Some(actor), "commitments.make", "commitment", Some(id), &c, None, Some(&serde_json::json!({"title": c.title, "year": year, "due_on": c.due_on}))).await?;
    Ok(c)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct FulfilInput {
    /// YYYY-MM-DD
    pub on: Option<String>,
    /// What was done, and where the proof is.
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CheckInput {
    /// true: the report is accepted (已核验); false: sent back to 践诺中 with the note.
    pub accept: Option<bool>,
    pub note: Option<String>,
}

/// Moves a commitment from the state read, or tells the caller it changed meanwhile.
async fn moved(conn: &mut Conn, c: &CommitmentView, set: &str, binds: Vec<String>) -> AppResult<()> {
    let n = binds.len();
    let q = format!("UPDATE commitments SET {set} WHERE id = ${} AND state = ${}", n + 1, n + 2);
    let mut query = sqlx::query(&q);
    for b in binds {
        query = query.bind(b);
    }
    let r = query.bind(c.id).bind(c.state.clone()).execute(&mut *conn).await?;
    if r.rows_affected() == 0 {
        return Err(AppError::conflict("changed_meanwhile", "该承诺刚被他人办理，请刷新后再看"));
    }
    Ok(())
}

fn refused(r: powers::Refusal, field: &'static str) -> AppError {
    if matches!(r.code, "not_open" | "not_fulfilled") {
        AppError::conflict(r.code, r.message)
    } else {
        AppError::invalid_field(r.code, field, r.message)
    }
}

/// The state `action` takes the commitment to, or the refusal with its rule.
fn next_state(c: &CommitmentView, action: Commitment, field: &'static str) -> AppResult<CommitmentState> {
    let today = crate::db::today();
    let (made, due) = (c.made_on.parse().unwrap_or(today), c.due_on.parse().unwrap_or(today));
    let st = CommitmentState::parse(&c.state).unwrap_or(CommitmentState::Open);
    powers::check_commitment(st, made, due, action, today).map_err(|r| refused(r, field))
}

/// The org reports a commitment done (践诺).
pub async fn fulfil(conn: &mut Conn, actor: &Actor, id: i64, input: &FulfilInput) -> AppResult<CommitmentView> {
    let c = get(conn, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteOrgLife, &c.org_path) {
        return Err(AppError::forbidden("您的角色无权报告该承诺的践诺情况"));
    }
    let on = past_day("on", input.on.as_deref())?;
    let note = short_text("note", &input.note, 500, "践诺情况")?;
    if note.chars().count() < 4 {
        return Err(AppError::invalid_field("note_required", "note", "请写明践诺情况：做了什么、达到什么效果、佐证材料在哪里"));
    }
    let next = next_state(&c, Commitment::Fulfil(on), "on")?;
    moved(conn, &c, "state = $1, done_on = $2, done_note = $3", vec![next.code().into(), on.to_string(), note.clone()]).await?;
    audit::record(conn, Some(actor), "commitments.fulfil", "commitment", Some(id), &c, None, Some(&serde_json::json!({"on": on.to_string(), "note": note}))).await?;
    get(conn, &actor.scope(), id).await
}

/// Whether the caller is the level above the org that made a commitment: `WriteOrgs` at the
/// org's parent.
pub async fn may_check(conn: &mut Conn, actor: &Actor, org_id: i64) -> AppResult<bool> {
    let parent: Option<String> = sqlx::query_scalar("SELECT p.path FROM orgs o JOIN orgs p ON p.id = o.parent_id WHERE o.id = $1").bind(org_id).fetch_optional(&mut *conn).await?;
    Ok(parent.is_some_and(|p| actor.can(Perm::WriteOrgs, &p)))
}

async fn require_above(conn: &mut Conn, actor: &Actor, c: &CommitmentView) -> AppResult<()> {
    if may_check(conn, actor, c.org_id).await? {
        Ok(())
    } else {
        Err(AppError::forbidden("承诺由上级党组织核验：您的角色无权核验这一承诺"))
    }
}

/// The level above accepts a report (已核验) or sends it back (践诺中) with its reason.
pub async fn check(conn: &mut Conn, actor: &Actor, id: i64, input: &CheckInput) -> AppResult<CommitmentView> {
    let c = get(conn, &actor.scope(), id).await?;
    require_above(conn, actor, &c).await?;
    let accept = input.accept.ok_or_else(|| AppError::invalid_field("accept_required", "accept", "请选择核验结论：通过，或退回重报"))?;
    let note = short_text("note", &input.note, 500, "核验意见")?;
    if !accept && note.chars().count() < 2 {
        return Err(AppError::invalid_field("note_required", "note", "退回时请写明理由"));
    }
    let next = next_state(&c, Commitment::Verify { accept }, "accept")?;
    let today = crate::db::today().to_string();
    moved(conn, &c, "state = $1, checked_by = $2, checked_on = $3, check_note = $4", vec![next.code().into(), actor.display_name.clone(), today, note.clone()]).await?;
    audit::record(conn, Some(actor), "commitments.check", "commitment", Some(id), &c, None, Some(&serde_json::json!({"accept": accept, "note": note}))).await?;
    get(conn, &actor.scope(), id).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct FailInput {
    pub reason: Option<String>,
}

/// The level above records an open commitment past its due day as not fulfilled (未践诺).
pub async fn fail(conn: &mut Conn, actor: &Actor, id: i64, input: &FailInput) -> AppResult<CommitmentView> {
    let c = get(conn, &actor.scope(), id).await?;
    require_above(conn, actor, &c).await?;
    let reason = short_text("reason", &input.reason, 500, "原因")?;
    if reason.chars().count() < 2 {
        return Err(AppError::invalid_field("reason_required", "reason", "请写明未践诺的原因"));
    }
    let next = next_state(&c, Commitment::Fail, "reason")?;
    let today = crate::db::today().to_string();
    moved(conn, &c, "state = $1, checked_by = $2, checked_on = $3, check_note = $4", vec![next.code().into(), actor.display_name.clone(), today, reason.clone()]).await?;
    audit::record(conn, Some(actor), "commitments.fail", "commitment", Some(id), &c, None, Some(&serde_json::json!({"reason": reason}))).await?;
    get(conn, &actor.scope(), id).await
}

/// One org's (or one child's subtree's) counts.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub org_id: i64,
    pub name: String,
    pub made: i64,
    pub open: i64,
    pub overdue: i64,
    pub fulfilled: i64,
    pub verified: i64,
    pub unfulfilled: i64,
    /// Verified out of made, in tenths of a percent.
    pub rate_permille: i64,
}

impl Tally {
    fn add(&mut self, c: &CommitmentView) {
        self.made += 1;
        match c.state.as_str() {
            "open" => self.open += 1,
            "fulfilled" => self.fulfilled += 1,
            "verified" => self.verified += 1,
            _ => self.unfulfilled += 1,
        }
        if c.overdue {
            self.overdue += 1;
        }
        self.rate_permille = if self.made > 0 { self.verified * 1000 / self.made } else { 0 };
    }

    pub fn rate(&self) -> String {
        format!("{}.{}%", self.rate_permille / 10, self.rate_permille % 10)
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CommitmentBoard {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub total: Tally,
    /// The org's own, then each child's subtree (township against township, village against village).
    pub rows: Vec<Tally>,
    /// Overdue first, then by due day; at most 1000.
    pub items: Vec<CommitmentView>,
    pub source: String,
}

/// The commitments of a subtree for a year, counted per child.
pub async fn board(conn: &mut Conn, scope: &Scope<cap::ReadOrgs>, root: &Org, year: i32) -> AppResult<CommitmentBoard> {
    let scope = scope.within(&root.path);
    let today = crate::db::today();
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM commitments c JOIN orgs o ON o.id = c.org_id WHERE c.year = "));
    sql.bind(year as i64);
    crate::db::push_under(&mut sql, "c.org_path", &root.path);
    scope.push_filter(&mut sql, "c.org_path");
    sql.push(" ORDER BY c.due_on, c.id LIMIT 50000");
    let all = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| from_row(r, today)).collect::<AppResult<Vec<_>>>()?;
    let children = sqlx::query("SELECT id, name, path FROM orgs WHERE parent_id = $1 AND dissolved_on IS NULL ORDER BY path").bind(root.id).fetch_all(&mut *conn).await?;
    let mut own = Tally { org_id: root.id, name: format!("{}（本级）", root.name), ..Tally::default() };
    let mut rows: Vec<(String, Tally)> = Vec::new();
    for r in &children {
        rows.push((r.try_get("path")?, Tally { org_id: r.try_get("id")?, name: r.try_get("name")?, ..Tally::default() }));
    }
    let mut total = Tally { org_id: root.id, name: root.name.clone(), ..Tally::default() };
    for c in &all {
        total.add(c);
        match rows.iter_mut().find(|(p, _)| c.org_path.starts_with(p.as_str())) {
            Some((_, t)) => t.add(c),
            None => own.add(c),
        }
    }
    let mut out: Vec<Tally> = Vec::new();
    if own.made > 0 {
        out.push(own);
    }
    out.extend(rows.into_iter().map(|(_, t)| t).filter(|t| t.made > 0));
    let mut items = all;
    items.sort_by_key(|c| (!c.overdue, c.state != "fulfilled", c.state != "open", c.due_on.clone(), c.id));
    items.truncate(MAX_LIST);
    Ok(CommitmentBoard { org_id: root.id, org_name: root.name.clone(), year, total, rows: out, items, source: powers::COMMITMENT_SOURCE.into() })
}

/// The 承诺践诺台账: one row per commitment.
pub fn board_xlsx(b: &CommitmentBoard) -> AppResult<Vec<u8>> {
    let rows = b.items.iter().map(|c| {
        vec![
            c.org_name.clone(),
            c.title.clone(),
            c.detail.clone(),
            c.made_on.clone(),
            c.due_on.clone(),
            if c.overdue { format!("{}（逾期）", c.state_label) } else { c.state_label.clone() },
            c.done_on.clone().unwrap_or_default(),
            c.done_note.clone(),
            c.checked_by.clone(),
            c.check_note.clone(),
        ]
    });
    let headers = ["承诺单位", "承诺事项", "具体内容", "承诺日期", "完成期限", "状态", "践诺日期", "践诺情况", "核验人", "核验意见"];
    let widths = [18.0, 28.0, 30.0, 11.0, 11.0, 14.0, 11.0, 30.0, 10.0, 24.0];
    crate::members::sheets::write_table_xlsx(&format!("{}{}年度承诺践诺台账", b.org_name, b.year), &headers, &widths, rows).map_err(|e| AppError::invalid("export_failed", e))
}
