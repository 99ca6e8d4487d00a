//! Training classes in the database: classes run by an org, sessions, enrollment and
//! per-session attendance. Bulletins and reports are computed by `rules` from these rows.
//! Every read and write is bounded to the caller's subtrees.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, AttendanceMark, ClassKind, CourseCategory, TrainingRules};
use crate::audit;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::db::{now_secs, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::orgs::model::Org;
use crate::orgs::store as orgs;

/// A class spans at most this many days.
pub const MAX_CLASS_DAYS: i64 = 366;
/// Enrolling more at once is refused; split the list.
pub const MAX_ENROLL: usize = 5000;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Class {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    pub starts_on: String,
    pub ends_on: String,
    pub place: String,
    pub sessions: i64,
    pub trainees: i64,
    #[serde(skip)]
    pub org_path: String,
}

const CLASS_COLS: &str = "c.id, c.org_id, o.name AS org_name, o.path AS org_path, c.kind, c.title, c.starts_on, c.ends_on, c.place, \
    (SELECT COUNT(*) FROM training_sessions s WHERE s.class_id = c.id) AS n_sessions, \
    (SELECT COUNT(*) FROM training_enrollments e WHERE e.class_id = c.id AND e.withdrawn_on IS NULL) AS n_trainees";

fn class_from_row(r: &Row) -> AppResult<Class> {
    let kind: String = r.try_get("kind")?;
    Ok(Class {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        kind_label: ClassKind::parse(&kind).map(|k| k.label()).unwrap_or("").to_string(),
        kind,
        title: r.try_get("title")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        place: r.try_get("place")?,
        sessions: r.try_get("n_sessions")?,
        trainees: r.try_get("n_trainees")?,
    })
}

impl Class {
    pub fn starts(&self) -> NaiveDate {
        self.starts_on.parse().unwrap_or_default()
    }
    pub fn ends(&self) -> NaiveDate {
        self.ends_on.parse().unwrap_or_default()
    }
}

/// A class inside `scope`; else NotFound.
pub async fn get_class(conn: &mut Conn, scope: &Scope<cap::ReadTraining>, id: i64) -> AppResult<Class> {
    let sql = format!("SELECT {CLASS_COLS} FROM training_classes c JOIN orgs o ON o.id = c.org_id WHERE c.id = $1");
    match sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| class_from_row(&r)).transpose()? {
        Some(c) if scope.covers(&c.org_path) => Ok(c),
        _ => Err(AppError::NotFound),
    }
}

async fn get_writable(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<Class> {
    let c = get_class(conn, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteTraining, &c.org_path) {
        return Err(AppError::forbidden("您的角色无权管理该培训班"));
    }
    Ok(c)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct ClassInput {
    /// The org running the class; trainees come from its subtree.
    pub org_id: i64,
    /// rotation (集中轮训), secretary_lecture (书记讲堂), micro_lecture (微党课), special (专题培训)
    pub kind: String,
    pub title: String,
    /// YYYY-MM-DD
    pub starts_on: String,
    pub ends_on: String,
    pub place: Option<String>,
}

fn day(field: &'static str, s: &str) -> AppResult<NaiveDate> {
    crate::members::validate::parse_day(Some(s)).map_err(|_| AppError::invalid_field("date_invalid", field, "日期格式应为 2026-03-05"))
}

pub async fn create_class(conn: &mut Conn, actor: &Actor, input: &ClassInput) -> AppResult<Class> {
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadTraining>(), input.org_id).await?;
    if !actor.can(Perm::WriteTraining, &org.path) {
        return Err(AppError::forbidden("您的角色无权为该组织举办培训班"));
    }
    if org.is_dissolved() {
        return Err(AppError::invalid("org_dissolved", "该组织已撤销"));
    }
    let kind = ClassKind::parse(&input.kind)
        .ok_or_else(|| AppError::invalid_field("class_kind_invalid", "kind", format!("培训类型应为：{}", ClassKind::labels())))?;
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(AppError::invalid_field("title_required", "title", "请填写培训班名称（不超过100字）"));
    }
    let (starts, ends) = (day("starts_on", &input.starts_on)?, day("ends_on", &input.ends_on)?);
    if ends < starts {
        return Err(AppError::invalid_field("date_order", "ends_on", "结束日期不能早于开始日期"));
    }
    if (ends - starts).num_days() >= MAX_CLASS_DAYS {
        return Err(AppError::invalid_field("class_too_long", "ends_on", "一期培训班不超过一年"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO training_classes (org_id, kind, title, starts_on, ends_on, place, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(org.id)
    .bind(kind.code())
    .bind(title)
    .bind(starts.to_string())
    .bind(ends.to_string())
    .bind(input.place.as_deref().unwrap_or("").trim())
    .bind(actor.user_id)
    .bind(now_secs())
    .fetch_one(&mut *conn)
    .await?;
    let c = get_class(conn, &actor.scope(), id).await?;
    audit::record(conn, Some(actor), "training.class", "training_class", Some(id), &org, None, Some(&serde_json::to_value(&c).unwrap_or_default())).await?;
    Ok(c)
}

/// Classes run in an org's subtree that overlap [from, to], newest first.
pub async fn list_classes(conn: &mut Conn, scope: &Scope<cap::ReadTraining>, root: &Org, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<Class>> {
    let scope = scope.within(&root.path);
    let mut sql = Sql::new(&format!("SELECT {CLASS_COLS} FROM training_classes c JOIN orgs o ON o.id = c.org_id WHERE c.starts_on <= "));
    sql.bind(to.to_string()).push(" AND c.ends_on >= ").bind(from.to_string());
    scope.push_filter(&mut sql, "o.path");
    sql.push(" ORDER BY c.starts_on DESC, c.id DESC LIMIT 2000");
    sql.query().fetch_all(&mut *conn).await?.iter().map(class_from_row).collect()
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SessionRow {
    pub id: i64,
    pub day: String,
    /// "09:00"
    pub start: String,
    pub minutes: i64,
    pub category: String,
    pub category_label: String,
    pub title: String,
    pub teacher: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct SessionInput {
    /// YYYY-MM-DD, within the class's dates.
    pub day: String,
    /// HH:MM (China time)
    pub start: String,
    pub minutes: i64,
    /// red (红色课堂), blue (蓝色课堂), green (绿色课堂)
    pub category: String,
    pub title: String,
    pub teacher: Option<String>,
}

fn parse_hm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once([':', '：'])?;
    let (h, m): (u32, u32) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

pub async fn add_session(conn: &mut Conn, actor: &Actor, class_id: i64, input: &SessionInput) -> AppResult<SessionRow> {
    let c = get_writable(conn, actor, class_id).await?;
    let d = day("day", &input.day)?;
    if d < c.starts() || d > c.ends() {
        return Err(AppError::invalid_field("session_outside_class", "day", format!("课次日期须在培训班日期 {} 至 {} 之内", c.starts_on, c.ends_on)));
    }
    let start = parse_hm(&input.start).ok_or_else(|| AppError::invalid_field("time_invalid", "start", "开始时间应写成 09:00"))?;
    if !(1..=600).contains(&input.minutes) || start as i64 + input.minutes > 24 * 60 {
        return Err(AppError::invalid_field("minutes_invalid", "minutes", "课次时长应为1至600分钟，且不跨过午夜"));
    }
    let category = CourseCategory::parse(&input.category)
        .ok_or_else(|| AppError::invalid_field("category_invalid", "category", format!("课程类别应为：{}", CourseCategory::labels())))?;
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(AppError::invalid_field("title_required", "title", "请填写课程名称（不超过100字）"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO training_sessions (class_id, day, start_minute, minutes, category, title, teacher) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(c.id)
    .bind(d.to_string())
    .bind(start as i64)
    .bind(input.minutes)
    .bind(category.code())
    .bind(title)
    .bind(input.teacher.as_deref().unwrap_or("").trim())
    .fetch_one(&mut *conn)
    .await?;
    let s = sessions(conn, c.id).await?.into_iter().find(|s| s.id == id).ok_or(AppError::NotFound)?;
    audit::record(conn, Some(actor), "training.session", "training_class", Some(c.id), &(c.org_id, c.org_path.as_str()), None, Some(&serde_json::to_value(&s).unwrap_or_default())).await?;
    Ok(s)
}

pub async fn sessions(conn: &mut Conn, class_id: i64) -> AppResult<Vec<SessionRow>> {
    let rows = sqlx::query("SELECT id, day, start_minute, minutes, category, title, teacher FROM training_sessions WHERE class_id = $1 ORDER BY day, start_minute, id")
        .bind(class_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let start: i64 = r.try_get("start_minute")?;
            let category: String = r.try_get("category")?;
            Ok(SessionRow {
                id: r.try_get("id")?,
                day: r.try_get("day")?,
                start: format!("{:02}:{:02}", start / 60, start % 60),
                minutes: r.try_get("minutes")?,
                category_label: CourseCategory::parse(&category).map(|c| c.label()).unwrap_or("").to_string(),
                category,
                title: r.try_get("title")?,
                teacher: r.try_get("teacher")?,
            })
        })
        .collect()
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Trainee {
    pub member_id: i64,
    pub name: String,
    pub org_name: String,
    pub enrolled_on: String,
    pub withdrawn_on: Option<String>,
}

pub async fn trainees(conn: &mut Conn, class_id: i64) -> AppResult<Vec<Trainee>> {
    let rows = sqlx::query(
        "SELECT e.member_id, m.name, o.name AS org_name, e.enrolled_on, e.withdrawn_on FROM training_enrollments e \
         JOIN members m ON m.id = e.member_id JOIN orgs o ON o.id = m.org_id WHERE e.class_id = $1 ORDER BY o.path, m.name, m.id",
    )
    .bind(class_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Trainee {
                member_id: r.try_get("member_id")?,
                name: r.try_get("name")?,
                org_name: r.try_get("org_name")?,
                enrolled_on: r.try_get("enrolled_on")?,
                withdrawn_on: r.try_get("withdrawn_on")?,
            })
        })
        .collect()
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EnrollInput {
    /// Members by id.
    #[serde(default)]
    pub member_ids: Vec<i64>,
    /// Or everyone in this org's subtree…
    pub org_id: Option<i64>,
    /// …holding this post (e.g. secretary for a rotation of branch secretaries).
    pub post: Option<String>,
    /// From which day the trainee is expected; defaults to the class's first day.
    pub enrolled_on: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EnrollResult {
    pub added: i64,
    pub already: i64,
}

/// Enrolls members of the class org's subtree; members outside it (or outside the actor's scope) are refused by id.
pub async fn enroll(conn: &mut Conn, actor: &Actor, class_id: i64, input: &EnrollInput) -> AppResult<EnrollResult> {
    let c = get_writable(conn, actor, class_id).await?;
    let members_scope = actor.scope::<cap::ReadMembers>();
    let on = match input.enrolled_on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => day("enrolled_on", s)?,
        None => c.starts(),
    };
    if on < c.starts() {
        return Err(AppError::invalid_field("date_order", "enrolled_on", format!("报名日期不能早于开班日期 {}", c.starts_on)));
    }
    if on > c.ends() {
        return Err(AppError::invalid_field("class_over", "enrolled_on", "培训班已结束，不能再报名"));
    }
    let mut ids: Vec<i64> = input.member_ids.clone();
    if let Some(org_id) = input.org_id {
        let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadMembers>(), org_id).await?;
        let post = match input.post.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(p) => Some(crate::members::model::Post::parse(p).ok_or_else(|| AppError::invalid_field("post_invalid", "post", "无法识别的职务"))?),
            None => None,
        };
        let mut sql = Sql::new("SELECT id, posts FROM members WHERE left_on IS NULL AND org_path >= ");
        sql.bind(org.path.clone()).push(" AND org_path < ").bind(crate::db::path::upper(&org.path));
        for r in sql.query().fetch_all(&mut *conn).await? {
            let posts: String = r.try_get("posts")?;
            if post.is_none_or(|p| posts.split(',').any(|x| x == p.code())) {
                ids.push(r.try_get("id")?);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(AppError::invalid("nobody_to_enroll", "没有找到要报名的党员：请填写党员编号，或选择组织（及职务）"));
    }
    if ids.len() > MAX_ENROLL {
        return Err(AppError::invalid("too_many", format!("一次最多报名 {MAX_ENROLL} 人，请分批")));
    }
    let (mut added, mut already) = (0, 0);
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT m.id, m.org_path, e.member_id AS enrolled FROM members m LEFT JOIN training_enrollments e ON e.member_id = m.id AND e.class_id = ");
        sql.bind(c.id).push(" WHERE m.left_on IS NULL AND m.id IN (").bind_list(chunk.iter().copied()).push(")");
        let rows = sql.query().fetch_all(&mut *conn).await?;
        for id in chunk {
            let row = rows.iter().find(|r| r.try_get::<i64, _>("id").ok() == Some(*id));
            let Some(r) = row else {
                return Err(AppError::invalid("member_not_found", format!("党员编号 {id} 不存在")));
            };
            let path: String = r.try_get("org_path")?;
            if !path.starts_with(&c.org_path) || !members_scope.covers(&path) {
                return Err(AppError::invalid("member_outside_class", format!("党员编号 {id} 不在{}的范围内，不能报名本班", c.org_name)));
            }
            if r.try_get::<Option<i64>, _>("enrolled")?.is_some() {
                already += 1;
                continue;
            }
            sqlx::query("INSERT INTO training_enrollments (class_id, member_id, enrolled_on) VALUES ($1, $2, $3)")
                .bind(c.id)
                .bind(*id)
                .bind(on.to_string())
                .execute(&mut *conn)
                .await?;
            added += 1;
        }
    }
    audit::record(conn, Some(actor), "training.enroll", "training_class", Some(c.id), &(c.org_id, c.org_path.as_str()), None, Some(&serde_json::json!({"added": added, "on": on.to_string()}))).await?;
    Ok(EnrollResult { added, already })
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct WithdrawInput {
    pub member_id: i64,
    /// YYYY-MM-DD; defaults to today.
    pub on: Option<String>,
}

/// A trainee leaves the class (退学): kept in the roll, not expected from that day on.
pub async fn withdraw(conn: &mut Conn, actor: &Actor, class_id: i64, input: &WithdrawInput) -> AppResult<()> {
    let c = get_writable(conn, actor, class_id).await?;
    let on = match input.on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => day("on", s)?,
        None => crate::db::today(),
    };
    let enrolled: Option<(String, Option<String>)> = sqlx::query_as("SELECT enrolled_on, withdrawn_on FROM training_enrollments WHERE class_id = $1 AND member_id = $2")
        .bind(c.id)
        .bind(input.member_id)
        .fetch_optional(&mut *conn)
        .await?;
    match enrolled {
        None => return Err(AppError::invalid("not_enrolled", "该党员没有报名本班")),
        Some((_, Some(w))) => return Err(AppError::conflict("already_withdrawn", format!("该学员已于 {w} 退出"))),
        Some((e, None)) if on.to_string() < e => return Err(AppError::invalid_field("date_order", "on", "退出日期不能早于报名日期")),
        _ => {}
    }
    sqlx::query("UPDATE training_enrollments SET withdrawn_on = $1 WHERE class_id = $2 AND member_id = $3")
        .bind(on.to_string())
        .bind(c.id)
        .bind(input.member_id)
        .execute(&mut *conn)
        .await?;
    audit::record(conn, Some(actor), "training.withdraw", "training_class", Some(c.id), &(c.org_id, c.org_path.as_str()), None, Some(&serde_json::json!({"member_id": input.member_id, "on": on.to_string()}))).await?;
    Ok(())
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct MarkInput {
    pub member_id: i64,
    /// present, late, left_early, excused, absent
    pub mark: String,
    /// For late / left_early: minutes missed.
    pub missed_minutes: Option<i64>,
    /// Required for excused.
    pub reason: Option<String>,
}

/// 一课一查岗: the attendance of one session, member by member (a later check replaces an earlier one).
pub async fn record_marks(conn: &mut Conn, actor: &Actor, session_id: i64, items: &[MarkInput]) -> AppResult<usize> {
    let class_id: Option<i64> = sqlx::query_scalar("SELECT class_id FROM training_sessions WHERE id = $1").bind(session_id).fetch_optional(&mut *conn).await?;
    let c = get_writable(conn, actor, class_id.ok_or(AppError::NotFound)?).await?;
    let s = sessions(conn, c.id).await?.into_iter().find(|s| s.id == session_id).ok_or(AppError::NotFound)?;
    let sday: NaiveDate = s.day.parse().unwrap_or_default();
    if sday > crate::db::today() {
        return Err(AppError::invalid("session_not_started", format!("该课次在 {} 举行，届时再查岗", s.day)));
    }
    let roll = trainees(conn, c.id).await?;
    for it in items {
        let Some(t) = roll.iter().find(|t| t.member_id == it.member_id) else {
            return Err(AppError::invalid("not_enrolled", format!("党员编号 {} 没有报名本班", it.member_id)));
        };
        if !rules::is_expected(&enrollment(t), sday) {
            return Err(AppError::invalid("not_expected", format!("{}在 {} 不在班（报名 {}{}）", t.name, s.day, t.enrolled_on, t.withdrawn_on.as_deref().map(|w| format!("，{w} 退出")).unwrap_or_default())));
        }
        let mark = AttendanceMark::parse(&it.mark)
            .ok_or_else(|| AppError::invalid_field("mark_invalid", "mark", format!("考勤应为：{}", AttendanceMark::labels())))?;
        let reason = it.reason.as_deref().unwrap_or("").trim();
        if mark == AttendanceMark::Excused && reason.is_empty() {
            return Err(AppError::invalid_field("reason_required", "reason", format!("{}请假须注明原因", t.name)));
        }
        let missed = it.missed_minutes.unwrap_or(0);
        let partial = matches!(mark, AttendanceMark::Late | AttendanceMark::LeftEarly);
        if missed < 0 || missed >= s.minutes || (!partial && missed > 0) || (partial && missed == 0) {
            return Err(AppError::invalid_field("missed_minutes_invalid", "missed_minutes", format!("{}：迟到或早退须填写缺课分钟数（1至{}），其他情况不填", t.name, s.minutes - 1)));
        }
        sqlx::query(
            "INSERT INTO training_marks (session_id, member_id, mark, missed_minutes, reason, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (session_id, member_id) DO UPDATE SET mark = excluded.mark, missed_minutes = excluded.missed_minutes, reason = excluded.reason, by_user_id = excluded.by_user_id, at = excluded.at",
        )
        .bind(session_id)
        .bind(it.member_id)
        .bind(mark.code())
        .bind(missed)
        .bind(reason)
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await?;
    }
    let after = serde_json::json!({"session_id": session_id, "marks": items.iter().map(|i| (i.member_id, i.mark.clone())).collect::<Vec<_>>()});
    audit::record(conn, Some(actor), "training.marks", "training_class", Some(c.id), &(c.org_id, c.org_path.as_str()), None, Some(&after)).await?;
    Ok(items.len())
}

fn enrollment(t: &Trainee) -> rules::Enrollment {
    rules::Enrollment {
        member_id: t.member_id,
        name: t.name.clone(),
        enrolled_on: t.enrolled_on.parse().unwrap_or_default(),
        withdrawn_on: t.withdrawn_on.as_deref().and_then(|w| w.parse().ok()),
    }
}

/// The rows of one class as the rules engine takes them.
pub struct ClassData {
    pub sessions: Vec<rules::Session>,
    pub enrollments: Vec<rules::Enrollment>,
    pub marks: Vec<rules::Mark>,
    /// Sessions over by now.
    pub held: BTreeSet<i64>,
}

pub async fn load(conn: &mut Conn, class_id: i64) -> AppResult<ClassData> {
    let sessions: Vec<rules::Session> = sessions(conn, class_id)
        .await?
        .into_iter()
        .map(|s| rules::Session {
            id: s.id,
            day: s.day.parse().unwrap_or_default(),
            start_minute: parse_hm(&s.start).unwrap_or(0),
            minutes: s.minutes as u32,
            category: CourseCategory::parse(&s.category).unwrap_or(CourseCategory::Red),
            title: s.title,
        })
        .collect();
    let enrollments = trainees(conn, class_id).await?.iter().map(enrollment).collect();
    let rows = sqlx::query(
        "SELECT k.session_id, k.member_id, k.mark, k.missed_minutes, k.reason FROM training_marks k JOIN training_sessions s ON s.id = k.session_id WHERE s.class_id = $1",
    )
    .bind(class_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut marks = Vec::with_capacity(rows.len());
    for r in rows {
        let reason: String = r.try_get("reason")?;
        marks.push(rules::Mark {
            session_id: r.try_get("session_id")?,
            member_id: r.try_get("member_id")?,
            mark: AttendanceMark::parse(&r.try_get::<String, _>("mark")?).unwrap_or(AttendanceMark::Absent),
            missed_minutes: r.try_get::<i64, _>("missed_minutes")?.max(0) as u32,
            reason: (!reason.is_empty()).then_some(reason),
        });
    }
    let now = chrono::Utc::now().with_timezone(&crate::db::china::tz());
    let held = rules::held_as_of(&sessions, now.date_naive(), now.time().num_seconds_from_midnight() / 60);
    Ok(ClassData { sessions, enrollments, marks, held })
}

use chrono::Timelike as _;

/// 一天一通报: who was absent, late, on leave or not yet checked on `day`.
pub async fn bulletin(conn: &mut Conn, scope: &Scope<cap::ReadTraining>, rules: &TrainingRules, class_id: i64, day: NaiveDate) -> AppResult<rules::Bulletin> {
    let c = get_class(conn, scope, class_id).await?;
    let d = load(conn, c.id).await?;
    Ok(rules::daily_bulletin(rules, day, &d.sessions, &d.enrollments, &d.marks, &d.held))
}

/// 一期一问责: hours per trainee, completion and accountability findings.
pub async fn report(conn: &mut Conn, scope: &Scope<cap::ReadTraining>, rules: &TrainingRules, class_id: i64) -> AppResult<(Class, rules::ClassReport)> {
    let c = get_class(conn, scope, class_id).await?;
    let d = load(conn, c.id).await?;
    let r = rules::class_report(rules, &d.sessions, &d.enrollments, &d.marks, &d.held);
    Ok((c, r))
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberTraining {
    pub year: i32,
    pub classes: Vec<MemberClassHours>,
    /// Credited hours against the yearly target, with the rule cited.
    #[schema(value_type = Object)]
    pub verdict: rules::HoursVerdict,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberClassHours {
    pub class_id: i64,
    pub title: String,
    pub org_name: String,
    pub credited_minutes: i64,
    pub credited_tenths: u64,
}

/// A member's credited training minutes in a year, against the yearly target (secretaries and committee members: the higher one).
pub async fn member_year(conn: &mut Conn, scope: &Scope<cap::ReadTraining>, rules: &TrainingRules, member_id: i64, year: i32) -> AppResult<MemberTraining> {
    let m = crate::members::store::get_scoped(conn, scope, member_id).await?;
    let rows = sqlx::query(
        "SELECT c.id, c.title, o.name AS org_name, s.minutes, k.mark, k.missed_minutes FROM training_marks k \
         JOIN training_sessions s ON s.id = k.session_id JOIN training_classes c ON c.id = s.class_id JOIN orgs o ON o.id = c.org_id \
         WHERE k.member_id = $1 AND s.day >= $2 AND s.day <= $3 ORDER BY c.starts_on, c.id",
    )
    .bind(m.id)
    .bind(format!("{year:04}-01-01"))
    .bind(format!("{year:04}-12-31"))
    .fetch_all(&mut *conn)
    .await?;
    let mut classes: Vec<MemberClassHours> = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let mark = AttendanceMark::parse(&r.try_get::<String, _>("mark")?).unwrap_or(AttendanceMark::Absent);
        let credit = rules::credit_minutes(r.try_get::<i64, _>("minutes")? as u32, mark, r.try_get::<i64, _>("missed_minutes")?.max(0) as u32) as i64;
        match classes.iter_mut().find(|c| c.class_id == id) {
            Some(c) => c.credited_minutes += credit,
            None => classes.push(MemberClassHours { class_id: id, title: r.try_get("title")?, org_name: r.try_get("org_name")?, credited_minutes: credit, credited_tenths: 0 }),
        }
    }
    for c in &mut classes {
        c.credited_tenths = rules.tenths_of_hours(c.credited_minutes as u64);
    }
    let total: i64 = classes.iter().map(|c| c.credited_minutes).sum();
    let is_secretary = m.posts.iter().any(|p| p.is_committee_seat());
    let verdict = rules::annual_hours(rules, &[rules::AnnualInput { member_id: m.id, name: m.name.clone(), credited_minutes: total as u64, is_secretary }])
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("annual_hours returned nothing")))?;
    Ok(MemberTraining { year, classes, verdict })
}

/// The training report of a subtree and period as a workbook: one sheet of classes, one of trainees.
pub async fn subtree_xlsx(conn: &mut Conn, scope: &Scope<cap::ReadTraining>, rules: &TrainingRules, root: &Org, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<u8>> {
    let classes = list_classes(conn, scope, root, from, to).await?;
    let mut class_rows = Vec::new();
    let mut trainee_rows = Vec::new();
    let pct = |bp: Option<u32>| bp.map(rules::fmt_bp).unwrap_or_default();
    let hours = rules::fmt_hours;
    for c in &classes {
        let d = load(conn, c.id).await?;
        let r = rules::class_report(rules, &d.sessions, &d.enrollments, &d.marks, &d.held);
        let cat = |k: CourseCategory| r.categories.iter().find(|x| x.category == k).map(|x| hours(x.scheduled_tenths)).unwrap_or_default();
        class_rows.push(vec![
            c.org_name.clone(),
            c.title.clone(),
            c.kind_label.clone(),
            format!("{} 至 {}", c.starts_on, c.ends_on),
            r.totals.sessions.to_string(),
            cat(CourseCategory::Red),
            cat(CourseCategory::Blue),
            cat(CourseCategory::Green),
            r.totals.trainees.to_string(),
            r.totals.completed.to_string(),
            pct(r.totals.average_attendance_bp),
            r.totals.flagged.to_string(),
            r.summary.clone(),
        ]);
        for t in &r.trainees {
            trainee_rows.push(vec![
                c.title.clone(),
                t.name.clone(),
                t.sessions_expected.to_string(),
                t.attended.to_string(),
                t.late.to_string(),
                t.left_early.to_string(),
                t.excused.to_string(),
                t.absent.to_string(),
                t.unmarked.to_string(),
                hours(t.class_hours_tenths),
                pct(t.attendance_bp),
                if t.completed { "是" } else { "否" }.to_string(),
                t.accountability.iter().map(|f| f.explanation.clone()).collect::<Vec<_>>().join("；"),
            ]);
        }
    }
    let title = format!("{}培训情况（{} 至 {}）", root.name, from, to);
    crate::members::sheets::write_tables_xlsx(&[
        crate::members::sheets::Table {
            title: format!("{}培训班", root.name),
            headers: &["举办单位", "培训班", "类型", "日期", "课次", "红色课堂学时", "蓝色课堂学时", "绿色课堂学时", "学员", "结业", "平均出勤率", "问责人数", "小结"],
            widths: &[22.0, 26.0, 10.0, 24.0, 6.0, 10.0, 10.0, 10.0, 6.0, 6.0, 10.0, 8.0, 60.0],
            rows: class_rows,
        },
        crate::members::sheets::Table {
            title: "学员学时".into(),
            headers: &["培训班", "姓名", "应到课次", "出勤", "迟到", "早退", "请假", "缺勤", "未查岗", "计入学时", "出勤率", "结业", "问责"],
            widths: &[26.0, 10.0, 8.0, 6.0, 6.0, 6.0, 6.0, 6.0, 6.0, 8.0, 8.0, 6.0, 60.0],
            rows: trainee_rows,
        },
    ])
    .map_err(|e| AppError::invalid("export_failed", format!("{title}：{e}")))
}
