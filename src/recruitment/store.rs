//! Recruitment files in the database. Every step goes through [`rules::check_step`] (or
//! [`rules::probation_outcome`]) against the file as stored, inside the write transaction, so a
//! step refused by the rules is never written and two parallel callers cannot both record one
//! step (`UNIQUE (recruit_id, step)`). The pipeline counters per stage live in `org_stats`
//! (dim `recruit`) for every ancestor, so any subtree's pipeline is one small read.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::rules::{self, File, MeetingRef, Person, ProbationDecision, RecruitmentRules, Stage, Step, StepRecord};
use crate::audit;
use crate::config::Rules;
use crate::auth::roles::{Actor, Perm};
use crate::auth::{cap, Scope};
use crate::db::{now_secs, path, Conn, Row, Sql};
use crate::error::{AppError, AppResult};
use crate::meetings::rules::MeetingKind;
use crate::members::id_card::{mask_id_number, mask_phone, IdCardNumber};
use crate::members::model::{Education, MemberStatus};
use crate::members::store as members;
use crate::members::validate::{past_day as day, valid_phone, MemberInput};
use crate::orgs::model::{Org, OrgDomain, OrgKind};
use crate::orgs::stats::StatsDelta;
use crate::orgs::store as orgs;

/// The `org_stats` dimension holding open files per stage.
pub use crate::orgs::stats::DIM_RECRUIT;
/// The stages a file is open in, counted in the pipeline.
pub const OPEN_STAGES: [Stage; 4] = [Stage::Applicant, Stage::Activist, Stage::Target, Stage::Probationary];
/// A 学时 is 45 minutes (the usual class hour of Party schools); a local default.
pub const CLASS_HOUR_MINUTES: i64 = 45;
/// Irregular files are listed for subtrees with at most this many open files; above, per child.
pub const MAX_FILES_CHECKED: i64 = 5000;

fn is_open(stage: Stage) -> bool {
    OPEN_STAGES.contains(&stage)
}

/// A file as lists show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Recruit {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    /// Masked as in member lists (region and last four of the ID number; first 3 and last 4 of the phone).
    pub id_number: String,
    pub gender: String,
    pub birth_date: String,
    pub phone: Option<String>,
    pub education: String,
    pub ethnicity: String,
    pub stage: String,
    pub stage_label: String,
    pub applied_on: String,
    /// The member record made at admission (step 17).
    pub member_id: Option<i64>,
    pub closed_on: Option<String>,
    pub closed_reason: Option<String>,
    #[serde(skip)]
    pub org_path: String,
    #[serde(skip)]
    raw: RawFields,
}

#[derive(Clone, Debug, Default)]
struct RawFields {
    political_review: Option<String>,
    training_class_id: Option<i64>,
    training_days: Option<i64>,
    training_hours: Option<i64>,
    ext_months: Option<i64>,
    ext_on: Option<String>,
    ext_meeting_id: Option<i64>,
    closed_meeting_id: Option<i64>,
}

const COLS: &str = "r.id, r.org_id, o.name AS org_name, r.org_path, r.name, r.id_number, r.gender, r.birth_date, r.phone, r.education, \
    r.ethnicity, r.stage, r.applied_on, r.political_review, r.training_class_id, r.training_days, r.training_hours, r.ext_months, r.ext_on, \
    r.ext_meeting_id, r.closed_on, r.closed_reason, r.closed_meeting_id, r.member_id";

fn from_row(r: &Row) -> AppResult<Recruit> {
    let stage: String = r.try_get("stage")?;
    Ok(Recruit {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        name: r.try_get("name")?,
        id_number: r.try_get("id_number")?,
        gender: r.try_get("gender")?,
        birth_date: r.try_get("birth_date")?,
        phone: r.try_get("phone")?,
        education: r.try_get("education")?,
        ethnicity: r.try_get("ethnicity")?,
        stage_label: Stage::parse(&stage).map(|s| s.label()).unwrap_or("").into(),
        stage,
        applied_on: r.try_get("applied_on")?,
        member_id: r.try_get("member_id")?,
        closed_on: r.try_get("closed_on")?,
        closed_reason: r.try_get("closed_reason")?,
        raw: RawFields {
            political_review: r.try_get("political_review")?,
            training_class_id: r.try_get("training_class_id")?,
            training_days: r.try_get("training_days")?,
            training_hours: r.try_get("training_hours")?,
            ext_months: r.try_get("ext_months")?,
            ext_on: r.try_get("ext_on")?,
            ext_meeting_id: r.try_get("ext_meeting_id")?,
            closed_meeting_id: r.try_get("closed_meeting_id")?,
        },
    })
}

impl Recruit {
    pub fn stage(&self) -> Stage {
        Stage::parse(&self.stage).unwrap_or(Stage::Applicant)
    }
    /// ID number and phone masked, as in every member list and record.
    fn masked(mut self) -> Recruit {
        self.id_number = mask_id_number(&self.id_number);
        self.phone = self.phone.as_deref().map(mask_phone);
        self
    }
}

impl audit::InOrg for Recruit {
    fn org_ref(&self) -> (i64, &str) {
        (self.org_id, &self.org_path)
    }
}

fn refused(r: rules::Refusal) -> AppError {
    AppError::Refused { code: r.code.code(), message: r.message, article: r.article.to_string(), allowed_from: r.allowed_from }
}

/// A file inside `scope`; else NotFound.
pub async fn get(conn: &mut Conn, scope: &Scope<cap::ReadRecruitment>, id: i64) -> AppResult<Recruit> {
    let sql = format!("SELECT {COLS} FROM recruits r JOIN orgs o ON o.id = r.org_id WHERE r.id = $1");
    match sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| from_row(&r)).transpose()? {
        Some(r) if scope.covers(&r.org_path) => Ok(r),
        _ => Err(AppError::NotFound),
    }
}

async fn get_writable(conn: &mut Conn, actor: &Actor, id: i64) -> AppResult<Recruit> {
    let r = get(conn, &actor.scope(), id).await?;
    if !actor.can(Perm::WriteRecruitment, &r.org_path) {
        return Err(AppError::forbidden("您的角色无权办理该发展党员档案"));
    }
    Ok(r)
}

/// Whether the branch decides the committee's steps in a 支部委员会: it has one when at least
/// `committee_min` members hold committee seats (《中国共产党支部工作条例（试行）》: 3 to 5).
pub async fn has_committee(conn: &mut Conn, org: &Org, committee_min: i64) -> AppResult<bool> {
    Ok(orgs::committee_seats(conn, org).await? >= committee_min)
}

/// Everything the rules need about one file, read from the store.
async fn load_file(conn: &mut Conn, r: &Recruit, branch_has_committee: bool) -> AppResult<File> {
    let steps: Vec<StepRecord> = sqlx::query("SELECT step, on_date, body, meeting_id, note FROM recruit_steps WHERE recruit_id = $1 ORDER BY on_date, id")
        .bind(r.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .filter_map(|row| {
            let step = Step::parse(row.try_get::<String, _>("step").ok()?.as_str())?;
            Some(StepRecord {
                step,
                on: row.try_get::<String, _>("on_date").ok()?.parse().ok()?,
                body: row.try_get("body").ok()?,
                meeting_id: row.try_get("meeting_id").ok()?,
                note: row.try_get::<String, _>("note").ok().filter(|n| !n.is_empty()),
            })
        })
        .collect();
    let people = sqlx::query("SELECT p.role, p.member_id, m.name, p.full_member FROM recruit_people p JOIN members m ON m.id = p.member_id WHERE p.recruit_id = $1 ORDER BY p.id")
        .bind(r.id)
        .fetch_all(&mut *conn)
        .await?;
    let (mut contacts, mut sponsors) = (Vec::new(), Vec::new());
    for p in &people {
        let person = Person { member_id: p.try_get("member_id")?, name: p.try_get("name")?, full_member: p.try_get::<i64, _>("full_member")? != 0 };
        match p.try_get::<String, _>("role")?.as_str() {
            "contact" => contacts.push(person),
            _ => sponsors.push(person),
        }
    }
    let reviews: Vec<NaiveDate> = sqlx::query_scalar::<_, String>("SELECT on_date FROM recruit_reviews WHERE recruit_id = $1 ORDER BY on_date")
        .bind(r.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .filter_map(|d| d.parse().ok())
        .collect();
    let mut meeting_ids: Vec<i64> = steps.iter().filter_map(|s| s.meeting_id).collect();
    meeting_ids.extend(r.raw.ext_meeting_id);
    meeting_ids.extend(r.raw.closed_meeting_id);
    let meetings = meeting_refs(conn, &meeting_ids).await?;
    let parse = |s: &Option<String>| s.as_deref().and_then(|d| d.parse::<NaiveDate>().ok());
    let stage = r.stage();
    Ok(File {
        name: r.name.clone(),
        birth_date: r.birth_date.parse().unwrap_or_default(),
        branch_has_committee,
        steps,
        meetings,
        contacts,
        sponsors,
        reviews,
        political_review_passed: r.raw.political_review.as_deref().map(|p| p == "passed"),
        training: r.raw.training_days.map(|d| rules::Training { days: d.max(0) as u32, class_hours: r.raw.training_hours.unwrap_or(0).max(0) as u32 }),
        extension: match (r.raw.ext_months, parse(&r.raw.ext_on)) {
            (Some(m), Some(on)) => Some(rules::Extension { decided_on: on, months: m.max(0) as u32, meeting_id: r.raw.ext_meeting_id }),
            _ => None,
        },
        cancelled: match (stage, parse(&r.closed_on)) {
            (Stage::Cancelled, Some(on)) => Some(rules::Cancellation { on, reason: r.closed_reason.clone().unwrap_or_default(), meeting_id: r.raw.closed_meeting_id }),
            _ => None,
        },
        withdrawn: match (stage, parse(&r.closed_on)) {
            (Stage::Withdrawn, Some(on)) => Some(rules::Withdrawal { on, reason: r.closed_reason.clone().unwrap_or_default() }),
            _ => None,
        },
    })
}

async fn meeting_refs(conn: &mut Conn, ids: &[i64]) -> AppResult<Vec<MeetingRef>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new("SELECT id, kind, held_on FROM meetings WHERE held_on IS NOT NULL AND id IN (");
    sql.bind_list(ids.iter().copied()).push(")");
    Ok(sql
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .filter_map(|m| {
            Some(MeetingRef {
                id: m.try_get("id").ok()?,
                kind: MeetingKind::parse(&m.try_get::<String, _>("kind").ok()?)?,
                held_on: m.try_get::<String, _>("held_on").ok()?.parse().ok()?,
            })
        })
        .collect())
}

/// A held meeting of the file's branch, for a step that needs one.
async fn branch_meeting(conn: &mut Conn, r: &Recruit, id: i64) -> AppResult<MeetingRef> {
    let row = sqlx::query("SELECT org_id, kind, held_on FROM meetings WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    let Some(row) = row else {
        return Err(AppError::invalid_field("meeting_unknown", "meeting_id", "所选会议不存在"));
    };
    if row.try_get::<i64, _>("org_id")? != r.org_id {
        return Err(AppError::invalid_field("meeting_other_org", "meeting_id", format!("所选会议不是{}的会议，请选择本支部召开的会议", r.org_name)));
    }
    let held: Option<String> = row.try_get("held_on")?;
    let Some(held_on) = held.and_then(|h| h.parse().ok()) else {
        return Err(AppError::invalid_field("meeting_not_held", "meeting_id", "所选会议尚未召开：请先在组织生活中登记会议召开"));
    };
    let kind: String = row.try_get("kind")?;
    Ok(MeetingRef { id, kind: MeetingKind::parse(&kind).unwrap_or(MeetingKind::GeneralAssembly), held_on })
}

/// The meeting a step or decision names (one of the branch's, held) and its day: the meeting's
/// day unless `on` is given, else today. The meeting joins the file's meetings for the rules.
async fn meeting_and_day(conn: &mut Conn, r: &Recruit, file: &mut File, meeting_id: Option<i64>, on: Option<&str>) -> AppResult<(Option<MeetingRef>, NaiveDate)> {
    let meeting = match meeting_id {
        Some(mid) => Some(branch_meeting(conn, r, mid).await?),
        None => None,
    };
    let on = match (on.map(str::trim).filter(|s| !s.is_empty()), &meeting) {
        (None, Some(m)) => m.held_on,
        (on, _) => day("on", Some(on.unwrap_or(&crate::db::today().to_string())))?,
    };
    if let Some(m) = &meeting {
        file.meetings.retain(|x| x.id != m.id);
        file.meetings.push(m.clone());
    }
    Ok((meeting, on))
}

/// Moves a file's count in `org_stats` from stage `before` (none for a new file) to `after`, for
/// every ancestor; stages that are not open are not counted.
async fn recount(conn: &mut Conn, org_path: &str, before: Option<Stage>, after: Stage) -> AppResult<()> {
    if before == Some(after) {
        return Ok(());
    }
    let mut delta = StatsDelta::default();
    for a in path::ids(org_path) {
        if let Some(b) = before.filter(|b| is_open(*b)) {
            delta.add(a, DIM_RECRUIT, b.code(), -1);
        }
        if is_open(after) {
            delta.add(a, DIM_RECRUIT, after.code(), 1);
        }
    }
    delta.apply(conn).await
}

// ---------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewRecruitInput {
    /// The 党支部 the application is made to.
    pub org_id: Option<i64>,
    pub name: Option<String>,
    /// 18 digits; birth date and gender come from it.
    pub id_number: Option<String>,
    pub phone: Option<String>,
    /// Code or label: 大学本科, 高中, …
    pub education: Option<String>,
    /// Default 汉族.
    pub ethnicity: Option<String>,
    /// The day the 入党申请书 was handed in (step 1), YYYY-MM-DD.
    pub applied_on: Option<String>,
    pub note: Option<String>,
}

/// Records an application (step 1): a new file.
pub async fn create(conn: &mut Conn, actor: &Actor, cfg: &Rules, input: &NewRecruitInput) -> AppResult<RecruitDetail> {
    let rules = &cfg.recruitment;
    let org_id = input.org_id.ok_or_else(|| AppError::invalid_field("org_required", "org_id", "请选择接收申请的党支部"))?;
    let org = orgs::get_scoped(conn, &actor.scope::<cap::ReadRecruitment>(), org_id).await?;
    if !actor.can(Perm::WriteRecruitment, &org.path) {
        return Err(AppError::forbidden("您的角色无权为该组织办理发展党员"));
    }
    if org.kind != OrgKind::Branch || org.is_dissolved() {
        return Err(AppError::invalid_field("org_not_branch", "org_id", "入党申请应向党支部提出（《细则》第六条）：请选择一个党支部"));
    }
    let name = input.name.as_deref().map(str::trim).unwrap_or("");
    if name.is_empty() || name.chars().count() > 30 || name.chars().any(|c| c.is_ascii_digit()) {
        // The member record made at admission takes the same name: the same rule as members.
        return Err(AppError::invalid_field("name_invalid", "name", "请填写申请人姓名：不含数字，不超过30字"));
    }
    let id = IdCardNumber::parse(input.id_number.as_deref().unwrap_or(""))
        .map_err(|e| AppError::invalid_field("id_number_invalid", "id_number", format!("公民身份号码有误：{e}")))?;
    let phone = input.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if phone.is_some_and(|p| !valid_phone(p)) {
        return Err(AppError::invalid_field("phone_invalid", "phone", "联系电话应为11位手机号或带区号的固定电话"));
    }
    let education = match input.education.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => return Err(AppError::invalid_field("education_required", "education", format!("请选择学历：{}", Education::labels()))),
        Some(e) => Education::parse(e).ok_or_else(|| AppError::invalid_field("education_invalid", "education", format!("无效的学历“{e}”，可选：{}", Education::labels())))?,
    };
    let ethnicity = match input.ethnicity.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => "汉族".to_string(),
        Some(e) => {
            let e = if e.ends_with('族') { e.to_string() } else { format!("{e}族") };
            if !crate::members::model::ETHNICITIES.contains(&e.as_str()) {
                return Err(AppError::invalid_field("ethnicity_invalid", "ethnicity", format!("无效的民族“{e}”，请填写56个民族之一")));
            }
            e
        }
    };
    let applied = day("applied_on", input.applied_on.as_deref())?;
    if members::id_number_taken(conn, id.as_str(), None).await? {
        return Err(AppError::conflict("already_member", "该公民身份号码已有党员记录，不能再作为入党申请人登记"));
    }
    let open: Option<i64> = sqlx::query_scalar("SELECT id FROM recruits WHERE id_number = $1 AND stage IN ('applicant', 'activist', 'target', 'probationary')")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    if open.is_some() {
        return Err(AppError::conflict("recruit_exists", "该申请人已有在办的发展党员档案，请勿重复登记"));
    }
    let mut file = File::new(name, id.birth_date());
    let allowed = rules::check_step(rules, &file, Step::Application, applied, None).map_err(refused)?;
    let now = now_secs();
    let gender = if id.is_male() { "male" } else { "female" };
    let rid: i64 = sqlx::query_scalar(
        "INSERT INTO recruits (org_id, org_path, name, id_number, gender, birth_date, phone, education, ethnicity, stage, applied_on, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(org.id)
    .bind(&org.path)
    .bind(name)
    .bind(id.as_str())
    .bind(gender)
    .bind(id.birth_date().to_string())
    .bind(phone)
    .bind(education.code())
    .bind(&ethnicity)
    .bind(allowed.stage.code())
    .bind(applied.to_string())
    .bind(actor.user_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    file.steps.push(StepRecord { step: Step::Application, on: applied, body: format!("{name}（本人）"), meeting_id: None, note: None });
    insert_step(conn, actor, rid, &file.steps[0], input.note.as_deref().unwrap_or("")).await?;
    recount(conn, &org.path, None, allowed.stage).await?;
    let r = get(conn, &actor.scope(), rid).await?;
    audit::record(conn, Some(actor), "recruit.apply", "recruit", Some(rid), &r, None, Some(&audit_json(&r))).await?;
    detail(conn, actor, cfg, rid).await
}

fn audit_json(r: &Recruit) -> serde_json::Value {
    serde_json::to_value(r.clone().masked()).unwrap_or_default()
}

async fn insert_step(conn: &mut Conn, actor: &Actor, recruit_id: i64, s: &StepRecord, note: &str) -> AppResult<()> {
    let res = sqlx::query("INSERT INTO recruit_steps (recruit_id, step, on_date, body, meeting_id, note, by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(recruit_id)
        .bind(s.step.code())
        .bind(s.on.to_string())
        .bind(&s.body)
        .bind(s.meeting_id)
        .bind(note.trim())
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await;
    match res {
        Err(e) if crate::error::is_unique_violation(&e) => {
            Err(AppError::conflict("already_recorded", format!("{}已经办理，不能重复办理", s.step.title())))
        }
        Err(e) => Err(e.into()),
        Ok(_) => Ok(()),
    }
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct StepInput {
    /// The step's code (`talk`, `activist_decision`, …) or its Chinese name.
    pub step: String,
    /// The day it was taken, YYYY-MM-DD; default the meeting's day, else today.
    pub on: Option<String>,
    /// The branch meeting that decided it (支部委员会 or 支部党员大会), for the steps that need one.
    pub meeting_id: Option<i64>,
    pub note: Option<String>,
    /// 培养联系人 (step 5) or 入党介绍人 (step 9): member ids.
    #[serde(default)]
    pub member_ids: Vec<i64>,
    /// 政治审查 (step 10): whether it concluded 合格.
    pub passed: Option<bool>,
    /// 集中培训 (step 11): the training class attended; days and class hours default to the
    /// class's own (distinct session days, minutes / 45).
    pub training_class_id: Option<i64>,
    pub days: Option<u32>,
    pub class_hours: Option<u32>,
}

/// The name of the body that takes `step` for a file of `org` (its branch).
async fn body_name(conn: &mut Conn, org: &Org, step: Step, file_name: &str) -> AppResult<String> {
    use rules::Body;
    let up = |o: &Org| o.parent_id;
    Ok(match step.body() {
        Body::Applicant => format!("{file_name}（本人）"),
        Body::Branch | Body::BranchCommittee | Body::GeneralMeeting => format!("{}（{}）", org.name, step.body().label()),
        Body::HigherCommittee | Body::TrainingBody | Body::HigherOrgDept => {
            // The nearest 党委 / 党工委 above the branch approves; its parent's organization
            // department files the admission.
            let mut cur = up(org);
            let mut found: Option<Org> = None;
            while let Some(id) = cur {
                let Some(o) = orgs::get(conn, id).await? else { break };
                cur = o.parent_id;
                if matches!(o.kind, OrgKind::Committee | OrgKind::WorkingCommittee) {
                    found = Some(o);
                    break;
                }
            }
            match (step.body(), found) {
                (Body::HigherOrgDept, Some(c)) => match c.parent_id {
                    Some(p) => orgs::get(conn, p).await?.map(|p| format!("{}组织部门", p.name)).unwrap_or_else(|| step.body().label().into()),
                    None => format!("{}组织部门", c.name),
                },
                (_, Some(c)) => c.name,
                (_, None) => step.body().label().into(),
            }
        }
    })
}

/// Records one step of a file, refused when the rules forbid it on that day.
pub async fn record_step(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &StepInput) -> AppResult<RecruitDetail> {
    let rules = &cfg.recruitment;
    let r = get_writable(conn, actor, id).await?;
    let step = Step::parse(&input.step)
        .ok_or_else(|| AppError::invalid_field("step_invalid", "step", format!("无法识别的步骤“{}”", input.step.trim())))?;
    if step == Step::ConversionMeeting {
        let p = ProbationInput { decision: "on_time".into(), on: input.on.clone(), meeting_id: input.meeting_id, months: None, reason: None };
        return decide_probation(conn, actor, cfg, id, &p).await;
    }
    let org = orgs::get(conn, r.org_id).await?.ok_or(AppError::NotFound)?;
    let has = has_committee(conn, &org, cfg.org_setup.committee_min).await?;
    let mut file = load_file(conn, &r, has).await?;
    let (meeting, on) = meeting_and_day(conn, &r, &mut file, input.meeting_id, input.on.as_deref()).await?;
    // What the step brings with it.
    let mut people: Vec<(&'static str, i64, bool)> = Vec::new();
    let mut political: Option<bool> = None;
    let mut training: Option<(i64, u32, u32)> = None;
    match step {
        Step::Contacts | Step::Sponsors => {
            let role = if step == Step::Contacts { "contact" } else { "sponsor" };
            let mut seen = Vec::new();
            for &mid in &input.member_ids {
                if seen.contains(&mid) {
                    continue;
                }
                seen.push(mid);
                let m = members::get_scoped(conn, &actor.scope::<cap::ReadMembers>(), mid)
                    .await
                    .map_err(|_| AppError::invalid_field("member_unknown", "member_ids", "所选党员不存在或不在您的管理范围内"))?;
                if m.left_on.is_some() {
                    return Err(AppError::invalid_field("member_left", "member_ids", format!("{}已不在党员名册中", m.name)));
                }
                let full = m.status == MemberStatus::Full && m.full_on.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()).is_none_or(|f| f <= on);
                people.push((role, mid, full));
                let person = Person { member_id: Some(mid), name: m.name.clone(), full_member: full };
                if step == Step::Contacts { file.contacts.push(person) } else { file.sponsors.push(person) }
            }
        }
        Step::PoliticalReview => {
            let passed = input.passed.ok_or_else(|| AppError::invalid_field("conclusion_required", "passed", "请选择政治审查结论：合格或不合格"))?;
            political = Some(passed);
            file.political_review_passed = Some(passed);
        }
        Step::Training => {
            let cid = input.training_class_id.ok_or_else(|| AppError::invalid_field("class_required", "training_class_id", "请选择参加的发展对象培训班"))?;
            // A class run by the branch or a committee above it (the township's 发展对象培训班):
            // visible for this purpose whoever reads training there.
            let class: Option<(String, String)> = sqlx::query_as("SELECT c.title, o.path FROM training_classes c JOIN orgs o ON o.id = c.org_id WHERE c.id = $1")
                .bind(cid)
                .fetch_optional(&mut *conn)
                .await?;
            let Some((title, _)) = class.filter(|(_, p)| path::contains(p, &r.org_path)) else {
                return Err(AppError::invalid_field("class_unknown", "training_class_id", format!("所选培训班不存在，或不是{}及其上级党组织举办的培训班", r.org_name)));
            };
            let (days, minutes) = class_length(conn, cid).await?;
            let hours = (minutes / CLASS_HOUR_MINUTES) as u32;
            let (d, h) = (input.days.unwrap_or(days as u32), input.class_hours.unwrap_or(hours));
            if d as i64 > days || h > hours {
                return Err(AppError::invalid_field("training_over_class", "days", format!("{title}共{days}天、{hours}学时，登记的参训时间不能超过培训班本身")));
            }
            training = Some((cid, d, h));
            file.training = Some(rules::Training { days: d, class_hours: h });
        }
        _ => {}
    }
    let allowed = rules::check_step(rules, &file, step, on, meeting.as_ref()).map_err(refused)?;
    let before = r.stage();
    let body = body_name(conn, &org, step, &r.name).await?;
    let record = StepRecord { step, on, body, meeting_id: meeting.as_ref().map(|m| m.id), note: None };
    insert_step(conn, actor, r.id, &record, input.note.as_deref().unwrap_or("")).await?;
    for (role, mid, full) in &people {
        sqlx::query("INSERT INTO recruit_people (recruit_id, role, member_id, full_member, since) VALUES ($1, $2, $3, $4, $5)")
            .bind(r.id)
            .bind(*role)
            .bind(*mid)
            .bind(*full as i64)
            .bind(on.to_string())
            .execute(&mut *conn)
            .await?;
    }
    if let Some(p) = political {
        sqlx::query("UPDATE recruits SET political_review = $1 WHERE id = $2").bind(if p { "passed" } else { "failed" }).bind(r.id).execute(&mut *conn).await?;
    }
    if let Some((cid, d, h)) = training {
        sqlx::query("UPDATE recruits SET training_class_id = $1, training_days = $2, training_hours = $3 WHERE id = $4")
            .bind(cid)
            .bind(d as i64)
            .bind(h as i64)
            .bind(r.id)
            .execute(&mut *conn)
            .await?;
    }
    // Step 17 makes the applicant a 预备党员: the member record follows, without retyping.
    let mut member_id = r.member_id;
    if step == Step::AdmissionApproval {
        let joined = file.probation_start().unwrap_or(on);
        let m = members::create(
            conn,
            actor,
            &MemberInput {
                org_id: Some(r.org_id),
                name: Some(r.name.clone()),
                id_number: Some(r.id_number.clone()),
                gender: Some(r.gender.clone()),
                birth_date: Some(r.birth_date.clone()),
                ethnicity: Some(r.ethnicity.clone()),
                education: Some(r.education.clone()),
                phone: r.phone.clone(),
                joined_on: Some(joined.to_string()),
                status: Some(MemberStatus::Probationary.code().into()),
                ..MemberInput::default()
            },
        )
        .await?;
        member_id = Some(m.id);
    }
    let after = allowed.stage;
    sqlx::query("UPDATE recruits SET stage = $1, member_id = $2, updated_at = $3 WHERE id = $4")
        .bind(after.code())
        .bind(member_id)
        .bind(now_secs())
        .bind(r.id)
        .execute(&mut *conn)
        .await?;
    if step == Step::ConversionApproval {
        convert_member(conn, actor, rules, &r, &file).await?;
    }
    recount(conn, &r.org_path, Some(before), after).await?;
    let new = get(conn, &actor.scope(), r.id).await?;
    let entry = serde_json::json!({ "step": step.code(), "label": step.label(), "on": on.to_string(), "meeting_id": record.meeting_id, "stage": after.code(), "warnings": allowed.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>() });
    audit::record(conn, Some(actor), "recruit.step", "recruit", Some(r.id), &new, None, Some(&entry)).await?;
    detail(conn, actor, cfg, r.id).await
}

/// On 转正: the member record becomes 正式党员 from the end of the probation.
async fn convert_member(conn: &mut Conn, actor: &Actor, rules: &RecruitmentRules, r: &Recruit, file: &File) -> AppResult<()> {
    let Some(mid) = r.member_id else {
        return Err(AppError::invalid("member_missing", "该预备党员没有党员记录：请先办理第17步“上级党委审批”"));
    };
    let full_on = file.probation_end(rules).ok_or_else(|| AppError::invalid("probation_missing", "档案中没有支部大会接收的记录"))?;
    let patch = MemberInput { status: Some(MemberStatus::Full.code().into()), full_on: Some(full_on.to_string()), ..MemberInput::default() };
    members::update(conn, actor, mid, &patch).await?;
    Ok(())
}

/// Days (distinct session days) and minutes of a class.
async fn class_length(conn: &mut Conn, class_id: i64) -> AppResult<(i64, i64)> {
    let row = sqlx::query("SELECT COUNT(DISTINCT day) AS days, CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS minutes FROM training_sessions WHERE class_id = $1")
        .bind(class_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get("days")?, row.try_get::<i64, _>("minutes")?))
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    /// YYYY-MM-DD
    pub on: Option<String>,
    pub note: Option<String>,
}

/// Records a half-yearly review of an activist (《细则》第十一条).
pub async fn add_review(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &ReviewInput) -> AppResult<RecruitDetail> {
    let r = get_writable(conn, actor, id).await?;
    let on = day("on", input.on.as_deref())?;
    let from: Option<String> = sqlx::query_scalar("SELECT on_date FROM recruit_steps WHERE recruit_id = $1 AND step = 'activist_decision'")
        .bind(r.id)
        .fetch_optional(&mut *conn)
        .await?;
    let until: Option<String> = sqlx::query_scalar("SELECT on_date FROM recruit_steps WHERE recruit_id = $1 AND step = 'target_decision'")
        .bind(r.id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(from) = from else {
        return Err(AppError::Refused {
            code: "not_activist",
            message: format!("{}尚未确定为入党积极分子，考察从确定入党积极分子之后开始（《细则》{}）", r.name, rules::ART_REVIEW),
            article: rules::ART_REVIEW.into(),
            allowed_from: None,
        });
    };
    let on_s = on.to_string();
    if on_s < from || until.as_deref().is_some_and(|u| on_s.as_str() > u) {
        return Err(AppError::invalid_field(
            "review_outside_period",
            "on",
            format!("半年考察应在培养考察期内（{} 至 {}）", from, until.as_deref().unwrap_or("确定发展对象之日")),
        ));
    }
    if !is_open(r.stage()) {
        return Err(AppError::invalid("file_closed", "该档案已终止"));
    }
    let res = sqlx::query("INSERT INTO recruit_reviews (recruit_id, on_date, note, by_user_id, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(r.id)
        .bind(on.to_string())
        .bind(input.note.as_deref().unwrap_or("").trim())
        .bind(actor.user_id)
        .bind(now_secs())
        .execute(&mut *conn)
        .await;
    match res {
        Err(e) if crate::error::is_unique_violation(&e) => return Err(AppError::conflict("review_exists", format!("{on}已有考察记录"))),
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    audit::record(conn, Some(actor), "recruit.review", "recruit", Some(r.id), &r, None, Some(&serde_json::json!({ "on": on.to_string() }))).await?;
    detail(conn, actor, cfg, r.id).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProbationInput {
    /// on_time (按期转正), extend (延长预备期), cancel (取消预备党员资格)
    pub decision: String,
    /// The day of the 支部党员大会; default the meeting's day.
    pub on: Option<String>,
    pub meeting_id: Option<i64>,
    /// For an extension: 6 to 12.
    pub months: Option<u32>,
    /// For a cancellation.
    pub reason: Option<String>,
}

/// The 支部党员大会's decision at the end of a probation.
pub async fn decide_probation(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &ProbationInput) -> AppResult<RecruitDetail> {
    let rules = &cfg.recruitment;
    let r = get_writable(conn, actor, id).await?;
    let org = orgs::get(conn, r.org_id).await?.ok_or(AppError::NotFound)?;
    let has = has_committee(conn, &org, cfg.org_setup.committee_min).await?;
    let mut file = load_file(conn, &r, has).await?;
    let decision = match input.decision.trim() {
        "on_time" | "按期转正" => ProbationDecision::OnTime,
        "extend" | "延长预备期" => ProbationDecision::Extend {
            months: input.months.ok_or_else(|| AppError::invalid_field("months_required", "months", "请填写延长的月数（6至12个月）"))?,
        },
        "cancel" | "取消预备党员资格" => ProbationDecision::Cancel { reason: input.reason.clone().unwrap_or_default() },
        other => return Err(AppError::invalid_field("decision_invalid", "decision", format!("无法识别的决定“{other}”，可选：按期转正、延长预备期、取消预备党员资格"))),
    };
    let (meeting, on) = meeting_and_day(conn, &r, &mut file, input.meeting_id, input.on.as_deref()).await?;
    let verdict = rules::probation_outcome(rules, &file, &decision, on, meeting.as_ref()).map_err(refused)?;
    let before = r.stage();
    let mid = meeting.as_ref().map(|m| m.id);
    match &decision {
        ProbationDecision::OnTime => {
            let body = body_name(conn, &org, Step::ConversionMeeting, &r.name).await?;
            insert_step(conn, actor, r.id, &StepRecord { step: Step::ConversionMeeting, on, body, meeting_id: mid, note: None }, "按期转正").await?;
        }
        ProbationDecision::Extend { months } => {
            sqlx::query("UPDATE recruits SET ext_months = $1, ext_on = $2, ext_meeting_id = $3 WHERE id = $4")
                .bind(*months as i64)
                .bind(on.to_string())
                .bind(mid)
                .bind(r.id)
                .execute(&mut *conn)
                .await?;
        }
        ProbationDecision::Cancel { reason } => {
            sqlx::query("UPDATE recruits SET stage = 'cancelled', closed_on = $1, closed_reason = $2, closed_meeting_id = $3 WHERE id = $4")
                .bind(on.to_string())
                .bind(reason.trim())
                .bind(mid)
                .bind(r.id)
                .execute(&mut *conn)
                .await?;
            if let Some(member) = r.member_id {
                members::leave(conn, actor, member, on, &format!("取消预备党员资格：{}", reason.trim())).await?;
            }
        }
    }
    let after = verdict.stage;
    sqlx::query("UPDATE recruits SET stage = $1, updated_at = $2 WHERE id = $3").bind(after.code()).bind(now_secs()).bind(r.id).execute(&mut *conn).await?;
    recount(conn, &r.org_path, Some(before), after).await?;
    let new = get(conn, &actor.scope(), r.id).await?;
    let entry = serde_json::json!({ "decision": verdict.kind.code(), "label": verdict.kind.label(), "on": on.to_string(), "meeting_id": mid, "explanation": verdict.explanation });
    audit::record(conn, Some(actor), "recruit.probation", "recruit", Some(r.id), &new, None, Some(&entry)).await?;
    detail(conn, actor, cfg, r.id).await
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct WithdrawInput {
    pub on: Option<String>,
    pub reason: Option<String>,
}

/// Closes a file before admission: the applicant withdrew or the branch stopped the process.
pub async fn withdraw(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64, input: &WithdrawInput) -> AppResult<RecruitDetail> {
    let r = get_writable(conn, actor, id).await?;
    let on = day("on", input.on.as_deref())?;
    let reason = input.reason.as_deref().map(str::trim).unwrap_or("");
    if reason.is_empty() {
        return Err(AppError::invalid_field("reason_required", "reason", "请填写终止发展程序的原因"));
    }
    let before = r.stage();
    if !matches!(before, Stage::Applicant | Stage::Activist | Stage::Target) {
        return Err(AppError::invalid(
            "withdraw_not_allowed",
            format!("{}现为{}：预备党员的去留由支部大会讨论决定（延长预备期或取消预备党员资格），不能直接终止", r.name, before.label()),
        ));
    }
    if on.to_string() < r.applied_on {
        return Err(AppError::invalid_field("date_order", "on", format!("终止日期不能早于申请日期 {}", r.applied_on)));
    }
    sqlx::query("UPDATE recruits SET stage = 'withdrawn', closed_on = $1, closed_reason = $2, updated_at = $3 WHERE id = $4")
        .bind(on.to_string())
        .bind(reason)
        .bind(now_secs())
        .bind(r.id)
        .execute(&mut *conn)
        .await?;
    recount(conn, &r.org_path, Some(before), Stage::Withdrawn).await?;
    let new = get(conn, &actor.scope(), r.id).await?;
    audit::record(conn, Some(actor), "recruit.withdraw", "recruit", Some(r.id), &new, Some(&audit_json(&r)), Some(&audit_json(&new))).await?;
    detail(conn, actor, cfg, r.id).await
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub number: u8,
    pub step: String,
    pub label: String,
    pub phase: String,
    pub on: String,
    pub body: String,
    pub meeting_id: Option<i64>,
    pub article: String,
    pub note: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    /// contact (培养联系人) or sponsor (入党介绍人)
    pub role: String,
    pub member_id: i64,
    pub name: String,
    pub full_member: bool,
    pub since: String,
}

/// A step that may come next: allowed today, or from a day, or blocked by a missing record.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NextStep {
    pub number: u8,
    pub step: String,
    pub label: String,
    pub body: String,
    pub article: String,
    /// The meeting it needs: 支部委员会 / 支部党员大会.
    pub meeting_kind: Option<String>,
    pub meeting_kind_label: Option<String>,
    /// `None`: it may be taken today.
    pub allowed_from: Option<String>,
    /// Why not yet, in the rule's words.
    pub blocked: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Issue {
    pub code: String,
    pub article: String,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RecruitDetail {
    #[serde(flatten)]
    pub recruit: Recruit,
    pub steps: Vec<StepView>,
    pub people: Vec<PersonView>,
    pub reviews: Vec<String>,
    pub political_review: Option<String>,
    /// The 发展对象培训班 attended (学习培训).
    pub training_class_id: Option<i64>,
    pub training_days: Option<i64>,
    pub training_hours: Option<i64>,
    pub probation_start: Option<String>,
    pub probation_end: Option<String>,
    pub extension_months: Option<i64>,
    /// Half-years of the activist period that ended without a review (up to today).
    pub reviews_missing: Vec<String>,
    pub next: Vec<NextStep>,
    /// What a review of the file finds wrong (《细则》 dates, meetings, people).
    pub irregularities: Vec<Issue>,
    pub can_write: bool,
}

/// A file with its steps, people, what may come next and what is irregular.
pub async fn detail(conn: &mut Conn, actor: &Actor, cfg: &Rules, id: i64) -> AppResult<RecruitDetail> {
    let rules = &cfg.recruitment;
    let r = get(conn, &actor.scope(), id).await?;
    let org = orgs::get(conn, r.org_id).await?.ok_or(AppError::NotFound)?;
    let has = has_committee(conn, &org, cfg.org_setup.committee_min).await?;
    let file = load_file(conn, &r, has).await?;
    let mut steps: Vec<StepView> = file
        .steps
        .iter()
        .map(|x| StepView {
            number: x.step.number(),
            step: x.step.code().into(),
            label: x.step.label().into(),
            phase: x.step.phase().label().into(),
            on: x.on.to_string(),
            body: x.body.clone(),
            meeting_id: x.meeting_id,
            article: x.step.article().into(),
            note: x.note.clone().unwrap_or_default(),
        })
        .collect();
    steps.sort_by_key(|s| s.number);
    let people = sqlx::query("SELECT p.role, p.member_id, m.name, p.full_member, p.since FROM recruit_people p JOIN members m ON m.id = p.member_id WHERE p.recruit_id = $1 ORDER BY p.id")
        .bind(r.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|p| {
            Ok(PersonView {
                role: p.try_get("role")?,
                member_id: p.try_get("member_id")?,
                name: p.try_get("name")?,
                full_member: p.try_get::<i64, _>("full_member")? != 0,
                since: p.try_get("since")?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let today = crate::db::today();
    let reviews_missing = match (file.date_of(Step::ActivistDecision), is_open(r.stage())) {
        (Some(start), true) => {
            let until = file.date_of(Step::TargetDecision).unwrap_or(today);
            rules::missing_reviews(rules, start, until, &file.reviews).iter().map(|(a, b)| format!("{a} 至 {b}")).collect()
        }
        _ => vec![],
    };
    let next = if is_open(r.stage()) { next_steps(rules, &file, today) } else { vec![] };
    let irregularities = rules::irregular(rules, &file).into_iter().map(|i| Issue { code: i.code.code().into(), article: i.article.into(), message: i.message }).collect();
    Ok(RecruitDetail {
        can_write: actor.can(Perm::WriteRecruitment, &r.org_path),
        steps,
        people,
        reviews: file.reviews.iter().map(|d| d.to_string()).collect(),
        political_review: r.raw.political_review.clone(),
        training_class_id: r.raw.training_class_id,
        training_days: r.raw.training_days,
        training_hours: r.raw.training_hours,
        probation_start: file.probation_start().map(|d| d.to_string()),
        probation_end: file.probation_end(rules).map(|d| d.to_string()),
        extension_months: r.raw.ext_months,
        reviews_missing,
        next,
        irregularities,
        recruit: r.masked(),
    })
}

/// The steps whose previous steps are all recorded, each judged for today.
pub fn next_steps(rules: &RecruitmentRules, file: &File, today: NaiveDate) -> Vec<NextStep> {
    use rules::RuleCode as C;
    let mut out = Vec::new();
    for &step in Step::ALL {
        if file.record(step).is_some() || !step.prerequisites().iter().all(|p| file.record(*p).is_some()) {
            continue;
        }
        let kind = step.required_meeting(file.branch_has_committee);
        let probe = kind.map(|k| MeetingRef { id: -1, kind: k, held_on: today });
        let mut probe_file = file.clone();
        if let Some(m) = &probe {
            probe_file.meetings.push(m.clone());
        }
        let verdict = if step == Step::ConversionMeeting {
            rules::probation_outcome(rules, &probe_file, &ProbationDecision::OnTime, today, probe.as_ref()).map(|_| ())
        } else {
            rules::check_step(rules, &probe_file, step, today, probe.as_ref()).map(|_| ())
        };
        // The people, conclusion or class the step records come with it: not a reason to wait.
        let (allowed_from, blocked) = match verdict {
            Ok(()) => (None, None),
            Err(r) if matches!(r.code, C::ContactsCount | C::SponsorsCount | C::PoliticalReviewNotPassed | C::TrainingInsufficient) => (None, None),
            Err(r) => (r.allowed_from.map(|d| d.to_string()), Some(r.message)),
        };
        out.push(NextStep {
            number: step.number(),
            step: step.code().into(),
            label: step.label().into(),
            body: step.body().label().into(),
            article: step.article().into(),
            meeting_kind: kind.map(|k| k.code().into()),
            meeting_kind_label: kind.map(|k| k.label().into()),
            allowed_from,
            blocked,
        });
    }
    out
}

/// Files of a subtree, newest application first; `stage` narrows to one stage.
pub async fn list(conn: &mut Conn, scope: &Scope<cap::ReadRecruitment>, root: &Org, stage: Option<Stage>, limit: i64) -> AppResult<Vec<Recruit>> {
    let scope = scope.within(&root.path);
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM recruits r JOIN orgs o ON o.id = r.org_id WHERE 1=1"));
    if let Some(s) = stage {
        sql.push(" AND r.stage = ").bind(s.code());
    }
    scope.push_filter(&mut sql, "r.org_path");
    sql.push(" ORDER BY r.applied_on DESC, r.id DESC LIMIT ").bind(limit);
    sql.query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| from_row(row).map(Recruit::masked))
        .collect()
}

#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct StageCounts {
    pub applicant: i64,
    pub activist: i64,
    pub target: i64,
    pub probationary: i64,
}

impl StageCounts {
    fn add(&mut self, key: &str, n: i64) {
        match key {
            "applicant" => self.applicant += n,
            "activist" => self.activist += n,
            "target" => self.target += n,
            "probationary" => self.probationary += n,
            _ => {}
        }
    }
    pub fn total(&self) -> i64 {
        self.applicant + self.activist + self.target + self.probationary
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PipelineRow {
    pub org_id: i64,
    pub org_name: String,
    pub counts: StageCounts,
    /// Open files with at least one irregularity (`None` when the subtree was too large to check).
    pub irregular: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IrregularFile {
    pub id: i64,
    pub name: String,
    pub org_name: String,
    pub stage_label: String,
    pub issues: Vec<Issue>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NoNewMember {
    pub org_id: i64,
    pub org_name: String,
    pub last_new_member: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Pipeline {
    pub org_id: i64,
    pub org_name: String,
    pub counts: StageCounts,
    pub children: Vec<PipelineRow>,
    /// Irregular open files, when the subtree holds at most [`MAX_FILES_CHECKED`] open files.
    pub irregular_files: Option<Vec<IrregularFile>>,
    /// Villages (rural branches) with no new member for the configured years.
    pub no_new_member: Option<Vec<NoNewMember>>,
    pub summary: String,
}

/// Counts per stage of many orgs' subtrees, from the counters.
async fn counts(conn: &mut Conn, ids: &[i64]) -> AppResult<HashMap<i64, StageCounts>> {
    let mut out: HashMap<i64, StageCounts> = HashMap::new();
    for chunk in ids.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let mut sql = Sql::new("SELECT org_id, key, n FROM org_stats WHERE dim = 'recruit' AND n <> 0 AND org_id IN (");
        sql.bind_list(chunk.iter().copied()).push(")");
        for r in sql.query().fetch_all(&mut *conn).await? {
            out.entry(r.try_get("org_id")?).or_default().add(&r.try_get::<String, _>("key")?, r.try_get("n")?);
        }
    }
    Ok(out)
}

/// The pipeline of a subtree: counts per stage for it and each child (from the counters), the
/// irregular files and the villages without a new member (computed when the subtree is small
/// enough, see [`MAX_FILES_CHECKED`]).
pub async fn pipeline(conn: &mut Conn, scope: &Scope<cap::ReadRecruitment>, cfg: &Rules, root: &Org, deep: bool) -> AppResult<Pipeline> {
    let rules = &cfg.recruitment;
    scope.require_at(&root.path)?;
    let children = orgs::children(conn, root.id, false).await?;
    let mut ids: Vec<i64> = children.iter().map(|c| c.id).collect();
    ids.push(root.id);
    let c = counts(conn, &ids).await?;
    let total = c.get(&root.id).cloned().unwrap_or_default();
    let check = deep && total.total() <= MAX_FILES_CHECKED;
    let (irregular_files, by_child) = if check {
        let files = irregular_in(conn, cfg, root).await?;
        let mut by_child: HashMap<i64, i64> = HashMap::new();
        for (path_of, _) in &files {
            if let Some(ch) = children.iter().find(|ch| path::contains(&ch.path, path_of)) {
                *by_child.entry(ch.id).or_default() += 1;
            }
        }
        (Some(files.into_iter().map(|(_, f)| f).collect::<Vec<_>>()), Some(by_child))
    } else {
        (None, None)
    };
    let rows = children
        .iter()
        .map(|ch| PipelineRow {
            org_id: ch.id,
            org_name: ch.name.clone(),
            counts: c.get(&ch.id).cloned().unwrap_or_default(),
            irregular: by_child.as_ref().map(|m| m.get(&ch.id).copied().unwrap_or(0)),
        })
        .collect();
    let no_new_member = if deep { no_new_member(conn, rules, root).await? } else { None };
    let summary = format!(
        "{}：入党申请人 {} 人，入党积极分子 {} 人，发展对象 {} 人，预备党员 {} 人{}{}。",
        root.name,
        total.applicant,
        total.activist,
        total.target,
        total.probationary,
        irregular_files.as_ref().map(|f| format!("；{} 份档案有不规范之处", f.len())).unwrap_or_default(),
        no_new_member.as_ref().map(|v| format!("；{} 个村{}年以上未发展党员", v.len(), rules.no_new_member_years)).unwrap_or_default(),
    );
    Ok(Pipeline { org_id: root.id, org_name: root.name.clone(), counts: total, children: rows, irregular_files, no_new_member, summary })
}

/// Open files of a subtree that the rules find irregular, with their org path.
async fn irregular_in(conn: &mut Conn, cfg: &Rules, root: &Org) -> AppResult<Vec<(String, IrregularFile)>> {
    let rules = &cfg.recruitment;
    let mut sql = Sql::new(&format!("SELECT {COLS} FROM recruits r JOIN orgs o ON o.id = r.org_id WHERE r.stage IN ('applicant', 'activist', 'target', 'probationary')"));
    crate::db::push_under(&mut sql, "r.org_path", &root.path);
    sql.push(" ORDER BY r.org_path, r.id");
    let list: Vec<Recruit> = sql.query().fetch_all(&mut *conn).await?.iter().map(from_row).collect::<AppResult<_>>()?;
    let mut out = Vec::new();
    let mut committee: HashMap<i64, bool> = HashMap::new();
    for r in list {
        let has = match committee.get(&r.org_id) {
            Some(h) => *h,
            None => {
                let org = orgs::get(conn, r.org_id).await?.ok_or(AppError::NotFound)?;
                let h = has_committee(conn, &org, cfg.org_setup.committee_min).await?;
                committee.insert(r.org_id, h);
                h
            }
        };
        let file = load_file(conn, &r, has).await?;
        let issues = rules::irregular(rules, &file);
        if !issues.is_empty() {
            out.push((
                r.org_path.clone(),
                IrregularFile {
                    id: r.id,
                    name: r.name.clone(),
                    org_name: r.org_name.clone(),
                    stage_label: r.stage_label.clone(),
                    issues: issues.into_iter().map(|i| Issue { code: i.code.code().into(), article: i.article.into(), message: i.message }).collect(),
                },
            ));
        }
    }
    Ok(out)
}

/// Villages (rural branches and general branches) of a subtree with no new member for the
/// configured years. The last new member is the latest 入党 date on the roll or admission on
/// file. Computed for at most 3,000 villages.
async fn no_new_member(conn: &mut Conn, rules: &RecruitmentRules, root: &Org) -> AppResult<Option<Vec<NoNewMember>>> {
    let mut sql = Sql::new("SELECT id, name, path FROM orgs WHERE dissolved_on IS NULL AND domain = 'rural' AND kind IN ('branch', 'general_branch')");
    crate::db::push_under(&mut sql, "path", &root.path);
    sql.push(" ORDER BY path LIMIT 3001");
    let villages: Vec<(i64, String, String)> = sql.query().fetch_all(&mut *conn).await?.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("path")?))).collect::<AppResult<_>>()?;
    if villages.len() > 3000 {
        return Ok(None);
    }
    // A general branch's own branches are villages of the same village: keep the outermost.
    let outer: Vec<&(i64, String, String)> = villages.iter().filter(|(_, _, p)| !villages.iter().any(|(_, _, q)| q != p && path::contains(q, p))).collect();
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    let mut sql = Sql::new("SELECT org_path, MAX(joined_on) AS d FROM members WHERE 1=1");
    crate::db::push_under(&mut sql, "org_path", &root.path);
    sql.push(" GROUP BY org_path");
    for r in sql.query().fetch_all(&mut *conn).await? {
        let (p, d): (String, Option<String>) = (r.try_get("org_path")?, r.try_get("d")?);
        if let Some(d) = d {
            last.insert(p, d);
        }
    }
    let mut sql = Sql::new("SELECT r.org_path, MAX(s.on_date) AS d FROM recruit_steps s JOIN recruits r ON r.id = s.recruit_id WHERE s.step = 'admission_approval'");
    crate::db::push_under(&mut sql, "r.org_path", &root.path);
    sql.push(" GROUP BY r.org_path");
    for r in sql.query().fetch_all(&mut *conn).await? {
        let (p, d): (String, Option<String>) = (r.try_get("org_path")?, r.try_get("d")?);
        if let Some(d) = d {
            let e = last.entry(p).or_default();
            if d > *e {
                *e = d;
            }
        }
    }
    let today = crate::db::today();
    let mut out = Vec::new();
    for (id, name, p) in outer {
        let latest = last.range(p.clone()..path::upper(p)).map(|(_, d)| d.clone()).max();
        let date = latest.as_deref().and_then(|d| d.parse::<NaiveDate>().ok());
        if let Some(message) = rules::no_new_member_flag(rules, date, today) {
            out.push(NoNewMember { org_id: *id, org_name: name.clone(), last_new_member: latest, message });
        }
    }
    Ok(Some(out))
}

/// Rural villages only: the flag is about 行政村 (seed [004]).
pub fn is_village(org: &Org) -> bool {
    org.domain == OrgDomain::Rural && matches!(org.kind, OrgKind::Branch | OrgKind::GeneralBranch)
}

/// The 发展党员工作台账 of a subtree as a workbook: one row per file.
pub async fn ledger_xlsx(conn: &mut Conn, scope: &Scope<cap::ReadRecruitment>, cfg: &Rules, root: &Org) -> AppResult<Vec<u8>> {
    let rules = &cfg.recruitment;
    let files = list(conn, scope, root, None, 20_000).await?;
    let mut sql = Sql::new("SELECT s.recruit_id, s.step, s.on_date FROM recruit_steps s JOIN recruits r ON r.id = s.recruit_id WHERE 1=1");
    scope.within(&root.path).push_filter(&mut sql, "r.org_path");
    let mut dates: HashMap<(i64, String), String> = HashMap::new();
    for r in sql.query().fetch_all(&mut *conn).await? {
        dates.insert((r.try_get("recruit_id")?, r.try_get("step")?), r.try_get("on_date")?);
    }
    let key = [
        Step::Application,
        Step::Talk,
        Step::ActivistDecision,
        Step::TargetDecision,
        Step::Training,
        Step::AdmissionMeeting,
        Step::AdmissionApproval,
        Step::ConversionMeeting,
        Step::ConversionApproval,
    ];
    let mut header: Vec<String> = ["姓名", "公民身份号码", "性别", "出生日期", "学历", "所在党支部", "当前阶段"].iter().map(|s| s.to_string()).collect();
    header.extend(key.iter().map(|s| format!("{}（第{}步）", s.label(), s.number())));
    header.push("预备期满".into());
    header.push("终止日期".into());
    header.push("终止原因".into());
    let mut rows: Vec<Vec<String>> = Vec::new();
    for f in &files {
        let mut row = vec![
            f.name.clone(),
            f.id_number.clone(),
            if f.gender == "male" { "男".into() } else { "女".into() },
            f.birth_date.clone(),
            Education::parse(&f.education).map(|e| e.label()).unwrap_or("").into(),
            f.org_name.clone(),
            f.stage_label.clone(),
        ];
        for s in key {
            row.push(dates.get(&(f.id, s.code().to_string())).cloned().unwrap_or_default());
        }
        let end = dates.get(&(f.id, Step::AdmissionMeeting.code().to_string())).and_then(|d| d.parse::<NaiveDate>().ok()).map(|d| {
            let end = rules::add_months(d, rules.probation_months);
            f.raw.ext_months.map(|m| rules::add_months(end, m.max(0) as u32)).unwrap_or(end).to_string()
        });
        row.push(end.unwrap_or_default());
        row.push(f.closed_on.clone().unwrap_or_default());
        row.push(f.closed_reason.clone().unwrap_or_default());
        rows.push(row);
    }
    let headers: Vec<&str> = header.iter().map(String::as_str).collect();
    let widths: Vec<f64> = headers.iter().enumerate().map(|(i, _)| if i == 1 { 20.0 } else if i == 5 { 18.0 } else { 12.0 }).collect();
    crate::members::sheets::write_table_xlsx(&format!("{}发展党员工作台账", root.name), &headers, &widths, rows.into_iter()).map_err(|e| AppError::invalid("export_failed", e))
}
