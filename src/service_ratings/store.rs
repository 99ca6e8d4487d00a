//! 好差评 in the database: service windows (each with a public code for its QR card), ratings
//! given at the window (no login), the follow-ups of every 差评, and the report of a subtree's
//! windows and departments over any period. Windows and follow-ups are kept by the offices
//! (`WriteOrgs`); reports are read with `ReadOrgs`. A resident's phone is shown masked except to
//! those who follow up.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, Grade, Seen, Tally};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::config::Rules;
use crate::db::{now_secs, Conn, Sql};
use crate::error::{AppError, AppResult};
use crate::members::validate::{past_day, short_text};
use crate::orgs::model::Org;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WindowView {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    pub department: String,
    /// The public code of the window's QR card (`/r/{code}`).
    pub code: String,
    #[serde(skip)]
    pub org_path: String,
}

impl audit::InOrg for WindowView {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

const WCOLS: &str = "w.id, w.org_id, o.name AS org_name, w.name, w.department, w.code, w.org_path";

fn window_row(r: &crate::db::Row) -> AppResult<WindowView> {
    Ok(WindowView { id: r.try_get("id")?, org_id: r.try_get("org_id")?, org_name: r.try_get("org_name")?, name: r.try_get("name")?, department: r.try_get("department")?, code: r.try_get("code")?, org_path: r.try_get("org_path")? })
}

pub async fn window_by_code(conn: &mut Conn, code: &str) -> AppResult<WindowView> {
    let r = sqlx::query(&format!("SELECT {WCOLS} FROM service_windows w JOIN orgs o ON o.id = w.org_id WHERE w.code = $1 AND w.closed_on IS NULL")).bind(code).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    window_row(&r)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct WindowInput {
    pub org_id: Option<i64>,
    /// The window (综合受理窗口, 社保窗口 …).
    pub name: Option<String>,
    /// The department behind it (县人社局 …).
    pub department: Option<String>,
}

/// Opens a service window at an org's service center.
pub async fn create_window(conn: &mut Conn, actor: &Actor, input: &WindowInput) -> AppResult<WindowView> {
    let org_id = input.org_id.ok_or_else(|| AppError::invalid_field("org_required", "org_id", "请选择服务中心所在的党组织"))?;
    let org = crate::orgs::store::get_scoped(conn, &actor.scope::<cap::ReadOrgs>(), org_id).await?;
    if !actor.can(Perm::WriteOrgs, &org.path) {
        return Err(AppError::forbidden("您的角色无权设置服务窗口"));
    }
    let name = short_text("name", &input.name, 50, "窗口名称")?;
    let department = short_text("department", &input.department, 50, "所属部门")?;
    if name.is_empty() || department.is_empty() {
        return Err(AppError::invalid_field("required", if name.is_empty() { "name" } else { "department" }, "请填写窗口名称和所属部门"));
    }
    let code: String = crate::auth::store::random_token().chars().filter(|c| c.is_ascii_alphanumeric()).take(12).collect::<String>().to_lowercase();
    let id: i64 = sqlx::query_scalar("INSERT INTO service_windows (org_id, org_path, name, department, code, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(org.id)
        .bind(&org.path)
        .bind(&name)
        .bind(&department)
        .bind(&code)
        .bind(now_secs())
        .fetch_one(&mut *conn)
        .await?;
    let w = window_row(&sqlx::query(&format!("SELECT {WCOLS} FROM service_windows w JOIN orgs o ON o.id = w.org_id WHERE w.id = $1")).bind(id).fetch_one(&mut *conn).await?)?;
    audit::record(conn, Some(actor), "ratings.window", "service_window", Some(id), &w, None, Some(&serde_json::json!({"name": name, "department": department}))).await?;
    Ok(w)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RateInput {
    /// very_satisfied, satisfied, basic, dissatisfied, very_dissatisfied (or the label).
    pub grade: Option<String>,
    pub comment: Option<String>,
    /// A phone for the follow-up of a 差评 (optional; 实名差评 are called back).
    pub contact: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RatingView {
    pub id: i64,
    pub window_id: i64,
    pub window_name: String,
    pub department: String,
    pub org_name: String,
    pub grade: String,
    pub grade_label: String,
    pub comment: String,
    /// Masked unless the caller follows up.
    pub contact: String,
    pub rated_on: String,
    /// For a 差评: the follow-up's due date, and the day the resident's answer closed it.
    pub due_on: Option<String>,
    pub closed_on: Option<String>,
    pub overdue: bool,
    pub followups: Vec<FollowupView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FollowupView {
    pub on: String,
    pub by: String,
    /// Who called and what was done.
    pub what: String,
    /// The resident's answer, when reached.
    pub answer: String,
}

/// A rating given at the window (no login). A 差评 gets its follow-up due date.
pub async fn rate(conn: &mut Conn, cfg: &Rules, window_code: &str, input: &RateInput, channel: &str) -> AppResult<i64> {
    rate_on(conn, cfg, window_code, input, channel, crate::db::today()).await
}

/// [`rate`] on a given day (the demo's past year).
pub async fn rate_on(conn: &mut Conn, cfg: &Rules, window_code: &str, input: &RateInput, channel: &str, today: NaiveDate) -> AppResult<i64> {
    let w = window_by_code(conn, window_code).await?;
    let grade = input.grade.as_deref().and_then(Grade::parse).ok_or_else(|| AppError::invalid_field("grade_invalid", "grade", "请选择评价：非常满意、满意、基本满意、不满意或非常不满意"))?;
    let comment = short_text("comment", &input.comment, 300, "意见")?;
    let contact = short_text("contact", &input.contact, 20, "电话")?;
    let mobile = contact.len() == 11 && contact.starts_with('1') && contact.bytes().all(|b| b.is_ascii_digit());
    if !contact.is_empty() && !mobile {
        return Err(AppError::invalid_field("phone_invalid", "contact", "请填写11位手机号，或不填"));
    }
    let due = grade.is_bad().then(|| rules::due(&cfg.service_ratings, &cfg.requests.calendar, today).to_string());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO service_ratings (window_id, org_id, org_path, grade, comment, contact, channel, rated_on, due_on, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(w.id)
    .bind(w.org_id)
    .bind(&w.org_path)
    .bind(grade.code())
    .bind(&comment)
    .bind(&contact)
    .bind(channel)
    .bind(today.to_string())
    .bind(&due)
    .bind(if grade.is_bad() { "open" } else { "none" })
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await?;
    crate::tallies::mark(conn, crate::tallies::Source::Ratings, w.org_id).await?;
    Ok(id)
}

/// Records a rating from the window's device or a paper card (`WriteOrgs` there).
pub async fn rate_as_staff(conn: &mut Conn, actor: &Actor, cfg: &Rules, window_id: i64, input: &RateInput) -> AppResult<RatingView> {
    let r = sqlx::query("SELECT code, org_path FROM service_windows WHERE id = $1").bind(window_id).fetch_optional(&mut *conn).await?.ok_or(AppError::NotFound)?;
    let path: String = r.try_get("org_path")?;
    actor.scope::<cap::ReadOrgs>().require_at(&path)?;
    if !actor.can(Perm::WriteOrgs, &path) {
        return Err(AppError::forbidden("您的角色无权登记评价"));
    }
    let id = rate(conn, cfg, &r.try_get::<String, _>("code")?, input, "device").await?;
    get(conn, actor, id).await
}

/// A rating with its follow-ups; the contact shown in full to those who follow up.
pub async fn get(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<RatingView> {
    let r = sqlx::query(
        "SELECT s.id, s.window_id, w.name AS window_name, w.department, o.name AS org_name, s.grade, s.comment, s.contact, s.rated_on, s.due_on, s.closed_on, s.org_path \
         FROM service_ratings s JOIN service_windows w ON w.id = s.window_id JOIN orgs o ON o.id = w.org_id WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let path: String = r.try_get("org_path")?;
    actor.scope::<cap::ReadOrgs>().require_at(&path)?;
    let mut v = rating_view(&r, actor.can(Perm::WriteOrgs, &path))?;
    for f in sqlx::query("SELECT on_day, by_name, what, answer FROM rating_followups WHERE rating_id = $1 ORDER BY id").bind(id).fetch_all(&mut *conn).await? {
        v.followups.push(FollowupView { on: f.try_get("on_day")?, by: f.try_get("by_name")?, what: f.try_get("what")?, answer: f.try_get("answer")? });
    }
    Ok(v)
}

fn rating_view(r: &crate::db::Row, full_contact: bool) -> AppResult<RatingView> {
    let grade: String = r.try_get("grade")?;
    let contact: String = r.try_get("contact")?;
    let due_on: Option<String> = r.try_get("due_on")?;
    let closed_on: Option<String> = r.try_get("closed_on")?;
    let today = crate::db::today().to_string();
    Ok(RatingView {
        id: r.try_get("id")?,
        window_id: r.try_get("window_id")?,
        window_name: r.try_get("window_name")?,
        department: r.try_get("department")?,
        org_name: r.try_get("org_name")?,
        grade_label: Grade::parse(&grade).map(|g| g.label()).unwrap_or("").into(),
        grade,
        comment: r.try_get("comment")?,
        contact: if full_contact || contact.is_empty() { contact } else { crate::members::id_card::mask_phone(&contact) },
        rated_on: r.try_get("rated_on")?,
        overdue: closed_on.is_none() && due_on.as_deref().is_some_and(|d| today.as_str() > d),
        due_on,
        closed_on,
        followups: Vec::new(),
    })
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct FollowupInput {
    /// YYYY-MM-DD
    pub on: Option<String>,
    /// Who called or visited, and what was done about it.
    pub what: Option<String>,
    /// The resident's answer (回访意见); recording it closes the 差评.
    pub answer: Option<String>,
}

/// Follows up a 差评; with the resident's answer it is closed (once: a conditional update).
pub async fn follow_up(conn: &mut Conn, actor: &Actor, id: i64, input: &FollowupInput) -> AppResult<RatingView> {
    let v = get(conn, actor, id).await?;
    let (org_id, path): (i64, String) = sqlx::query_as("SELECT org_id, org_path FROM service_ratings WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    if !actor.can(Perm::WriteOrgs, &path) {
        return Err(AppError::forbidden("您的角色无权回访差评"));
    }
    if v.due_on.is_none() {
        return Err(AppError::invalid("not_bad", "只有差评（不满意、非常不满意）需要回访整改"));
    }
    if v.closed_on.is_some() {
        return Err(AppError::conflict("already_closed", "该差评已回访办结"));
    }
    let on = past_day("on", input.on.as_deref())?;
    if on.to_string() < v.rated_on {
        return Err(AppError::invalid_field("date_before_rating", "on", format!("回访日期不能早于评价日期{}", v.rated_on)));
    }
    let what = short_text("what", &input.what, 500, "整改情况")?;
    if what.chars().count() < 4 {
        return Err(AppError::invalid_field("what_required", "what", "请写明谁回访、整改了什么"));
    }
    let answer = short_text("answer", &input.answer, 300, "群众意见")?;
    sqlx::query("INSERT INTO rating_followups (rating_id, on_day, by_user_id, by_name, what, answer, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id)
        .bind(on.to_string())
        .bind(actor.user_id)
        .bind(&actor.display_name)
        .bind(&what)
        .bind(&answer)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    if !answer.is_empty() {
        let moved = sqlx::query("UPDATE service_ratings SET state = 'closed', closed_on = $1 WHERE id = $2 AND state = 'open'").bind(on.to_string()).bind(id).execute(&mut *conn).await?;
        crate::tallies::mark(conn, crate::tallies::Source::Ratings, org_id).await?;
        if moved.rows_affected() == 0 {
            return Err(AppError::conflict("already_closed", "该差评刚被他人回访办结"));
        }
    }
    let w = WindowView { id: v.window_id, org_id, org_name: v.org_name.clone(), name: v.window_name.clone(), department: v.department.clone(), code: String::new(), org_path: path };
    audit::record(conn, Some(actor), "ratings.followup", "service_rating", Some(id), &w, None, Some(&serde_json::json!({"on": on.to_string(), "what": what, "answer": answer}))).await?;
    get(conn, actor, id).await
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Line {
    pub name: String,
    /// The window's department (for a department line, empty).
    pub detail: String,
    pub window_id: Option<i64>,
    pub code: Option<String>,
    pub tally: Tally,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub org_id: i64,
    pub org_name: String,
    pub from: String,
    pub to: String,
    pub total: Tally,
    pub windows: Vec<Line>,
    pub departments: Vec<Line>,
    /// 差评 of the period, open first (at most 500).
    pub bad: Vec<RatingView>,
    pub grades: Vec<String>,
    pub followup_working_days: u32,
    pub source: String,
}

/// The 好差评 of a subtree's windows and departments from `from` to `to`.
pub async fn report(conn: &mut Conn, actor: &Actor, scope: &Scope<cap::ReadOrgs>, cfg: &Rules, root: &Org, from: NaiveDate, to: NaiveDate) -> AppResult<Report> {
    if to < from || (to - from).num_days() > 3 * 366 {
        return Err(AppError::invalid("range_invalid", "请选择不超过三年的起止日期"));
    }
    let scope = scope.within(&root.path);
    let today = crate::db::today();
    let mut sql = Sql::new(&format!("SELECT {WCOLS} FROM service_windows w JOIN orgs o ON o.id = w.org_id WHERE 1 = 1"));
    crate::db::push_under(&mut sql, "w.org_path", &root.path);
    scope.push_filter(&mut sql, "w.org_path");
    sql.push(" ORDER BY w.department, w.name");
    let mut windows: Vec<(WindowView, Tally)> = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        windows.push((window_row(&r)?, Tally::default()));
    }
    // Counts per window, grade, due and closing day: the period's ratings never cross one by one.
    let mut sql = Sql::new("SELECT s.window_id, s.grade, s.due_on, s.closed_on, COUNT(*) AS n FROM service_ratings s WHERE s.rated_on >= ");
    sql.bind(from.to_string()).push(" AND s.rated_on <= ").bind(to.to_string());
    crate::db::push_under(&mut sql, "s.org_path", &root.path);
    scope.push_filter(&mut sql, "s.org_path");
    sql.push(" GROUP BY s.window_id, s.grade, s.due_on, s.closed_on");
    let index: std::collections::HashMap<i64, usize> = windows.iter().enumerate().map(|(i, (w, _))| (w.id, i)).collect();
    let mut total = Tally::default();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let Some(grade) = Grade::parse(&r.try_get::<String, _>("grade")?) else { continue };
        let seen = Seen {
            grade,
            due: r.try_get::<Option<String>, _>("due_on")?.and_then(|d| d.parse().ok()),
            closed_on: r.try_get::<Option<String>, _>("closed_on")?.and_then(|d| d.parse().ok()),
        };
        let n: i64 = r.try_get("n")?;
        total.add_many(&seen, today, n);
        if let Some(&i) = index.get(&r.try_get::<i64, _>("window_id")?) {
            windows[i].1.add_many(&seen, today, n);
        }
    }
    let mut by_dept: BTreeMap<String, Tally> = BTreeMap::new();
    for (w, t) in &windows {
        let d = by_dept.entry(w.department.clone()).or_default();
        merge(d, t);
    }
    let mut sql = Sql::new(
        "SELECT s.id, s.window_id, w.name AS window_name, w.department, o.name AS org_name, s.grade, s.comment, s.contact, s.rated_on, s.due_on, s.closed_on, s.org_path \
         FROM service_ratings s JOIN service_windows w ON w.id = s.window_id JOIN orgs o ON o.id = w.org_id WHERE s.due_on IS NOT NULL AND s.rated_on >= ",
    );
    sql.bind(from.to_string()).push(" AND s.rated_on <= ").bind(to.to_string());
    crate::db::push_under(&mut sql, "s.org_path", &root.path);
    scope.push_filter(&mut sql, "s.org_path");
    sql.push(" ORDER BY s.state DESC, s.due_on, s.id LIMIT 500");
    let mut bad = Vec::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        let path: String = r.try_get("org_path")?;
        bad.push(rating_view(&r, actor.can(Perm::WriteOrgs, &path))?);
    }
    Ok(Report {
        org_id: root.id,
        org_name: root.name.clone(),
        from: from.to_string(),
        to: to.to_string(),
        total,
        windows: windows.into_iter().map(|(w, t)| Line { name: w.name, detail: format!("{} · {}", w.department, w.org_name), window_id: Some(w.id), code: Some(w.code), tally: t }).collect(),
        departments: by_dept.into_iter().map(|(d, t)| Line { name: d, detail: String::new(), window_id: None, code: None, tally: t }).collect(),
        bad,
        grades: Grade::ALL.iter().map(|g| g.label().to_string()).collect(),
        followup_working_days: cfg.service_ratings.followup_working_days,
        source: rules::SOURCE.into(),
    })
}

fn merge(into: &mut Tally, t: &Tally) {
    if into.by_grade.is_empty() {
        into.by_grade = vec![0; Grade::ALL.len()];
    }
    for (a, b) in into.by_grade.iter_mut().zip(&t.by_grade) {
        *a += b;
    }
    into.total += t.total;
    into.good += t.good;
    into.bad += t.bad;
    into.bad_closed_in_time += t.bad_closed_in_time;
    into.bad_closed_late += t.bad_closed_late;
    into.bad_open += t.bad_open;
    into.bad_overdue += t.bad_overdue;
    into.good_bp = (into.total > 0).then(|| into.good * 10_000 / into.total);
}

/// The 好差评台账 of a period: windows, departments, and every 差评 with its follow-up.
pub fn report_xlsx(r: &Report) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.into());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for (sheet, lines) in [("窗口", &r.windows), ("部门", &r.departments)] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet).map_err(x)?;
        ws.write_string_with_format(0, 0, format!("{} 好差评 {} 至 {}", r.org_name, r.from, r.to), &bold).map_err(x)?;
        let mut head = vec![sheet.to_string(), "说明".into(), "评价数".into()];
        head.extend(r.grades.iter().cloned());
        head.extend(["好评率".to_string(), "差评按时整改".into(), "差评超时整改".into(), "差评未办结".into(), "其中超期".into()]);
        for (c, h) in head.iter().enumerate() {
            ws.write_string_with_format(1, c as u16, h, &bold).map_err(x)?;
        }
        for (i, l) in lines.iter().enumerate() {
            let row = i as u32 + 2;
            ws.write_string(row, 0, &l.name).map_err(x)?;
            ws.write_string(row, 1, &l.detail).map_err(x)?;
            ws.write_number(row, 2, l.tally.total as f64).map_err(x)?;
            for k in 0..r.grades.len() {
                ws.write_number(row, 3 + k as u16, *l.tally.by_grade.get(k).unwrap_or(&0) as f64).map_err(x)?;
            }
            let c = 3 + r.grades.len() as u16;
            ws.write_string(row, c, l.tally.good_bp.map(crate::charts::percent).unwrap_or_default()).map_err(x)?;
            for (k, n) in [l.tally.bad_closed_in_time, l.tally.bad_closed_late, l.tally.bad_open, l.tally.bad_overdue].iter().enumerate() {
                ws.write_number(row, c + 1 + k as u16, *n as f64).map_err(x)?;
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("差评").map_err(x)?;
    for (c, h) in ["评价日期", "窗口", "部门", "评价", "意见", "整改时限", "办结日期"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(x)?;
    }
    for (i, b) in r.bad.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, v) in [&b.rated_on, &b.window_name, &b.department, &b.grade_label, &b.comment].iter().enumerate() {
            ws.write_string(row, c as u16, v.as_str()).map_err(x)?;
        }
        ws.write_string(row, 5, b.due_on.as_deref().unwrap_or("")).map_err(x)?;
        ws.write_string(row, 6, b.closed_on.as_deref().unwrap_or("未办结")).map_err(x)?;
    }
    wb.save_to_buffer().map_err(x)
}
