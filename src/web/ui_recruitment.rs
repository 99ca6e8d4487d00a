//! UI pages for recruitment (发展党员): the pipeline of a subtree with its irregular files and
//! villages without a new member, and one file with its 25 steps, what may come next and when.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use sqlx::Row as _;

use super::boundary::Flash;
use super::pick::picked;
use super::session::WebActor;
use super::ui::{notice_redirect, options, render, Nav, UiResult};
use super::AppState;
use crate::auth::cap;
use crate::auth::roles::Perm;
use crate::db::{path, Lock};
use crate::error::AppError;
use crate::members::model::Education;
use crate::orgs::model::{Org, OrgKind};
use crate::orgs::store as orgs;
use crate::recruitment::rules::{Stage, Step};
use crate::recruitment::store::{self as recruitment, NewRecruitInput, Pipeline, ProbationInput, Recruit, RecruitDetail, ReviewInput, StepInput, WithdrawInput};
use crate::write_tx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{id}/recruitment", get(pipeline_page))
        .route("/orgs/{id}/recruitment.xlsx", get(ledger))
        .route("/recruitment", post(create))
        .route("/recruitment/{id}", get(file_page))
        .route("/recruitment/{id}/steps", post(step))
        .route("/recruitment/{id}/reviews", post(review))
        .route("/recruitment/{id}/probation", post(probation))
        .route("/recruitment/{id}/withdraw", post(withdraw))
}

#[derive(Deserialize)]
struct ListQuery {
    stage: Option<String>,
}

#[derive(Template)]
#[template(path = "recruitment.html")]
struct PipelinePage {
    nav: Nav,
    org: Org,
    p: Pipeline,
    /// Children with open files or irregular ones; the others are only counted.
    rows: Vec<recruitment::PipelineRow>,
    quiet: usize,
    files: Vec<Recruit>,
    stage: String,
    stages: Vec<(&'static str, &'static str)>,
    educations: Vec<(&'static str, &'static str)>,
    can_write: bool,
    /// The branch a new application goes to, when this page is a branch's.
    branch: bool,
    notice: Option<String>,
    today: String,
}

async fn pipeline_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, Query(q): Query<ListQuery>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadRecruitment>(), id).await?;
    let p = recruitment::pipeline(&mut conn, &a.scope(), &s.rules, &org, true).await?;
    let rows: Vec<_> = p.children.iter().filter(|c| c.counts.total() > 0 || c.irregular.unwrap_or(0) > 0).cloned().collect();
    let quiet = p.children.len() - rows.len();
    let stage = q.stage.as_deref().and_then(Stage::parse);
    let files = recruitment::list(&mut conn, &a.scope(), &org, stage, 300).await?;
    render(&PipelinePage {
        nav: Nav::of(&a),
        can_write: a.can(Perm::WriteRecruitment, &org.path),
        branch: org.kind == OrgKind::Branch,
        org,
        p,
        rows,
        quiet,
        files,
        stage: stage.map(|s| s.code()).unwrap_or("").into(),
        stages: options(Stage::ALL, Stage::code, Stage::label),
        educations: options(Education::ALL, Education::code, Education::label),
        notice: f.notice,
        today: crate::db::today().to_string(),
    })
}

async fn ledger(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let org = orgs::get_scoped(&mut conn, &a.scope::<cap::ReadRecruitment>(), id).await?;
    let bytes = recruitment::ledger_xlsx(&mut conn, &a.scope(), &s.rules, &org).await?;
    Ok(super::api::xlsx_response(&format!("{}发展党员工作台账.xlsx", org.name), bytes).into_response())
}

#[derive(Deserialize)]
struct NewForm {
    csrf: String,
    org_id: Option<String>,
    name: Option<String>,
    id_number: Option<String>,
    phone: Option<String>,
    education: Option<String>,
    ethnicity: Option<String>,
    applied_on: Option<String>,
    note: Option<String>,
}

async fn create(State(s): State<AppState>, wa: WebActor, Form(f): Form<NewForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = NewRecruitInput {
        org_id: picked("org_id", &f.org_id, "党支部")?,
        name: f.name,
        id_number: f.id_number,
        phone: f.phone,
        education: f.education,
        ethnicity: f.ethnicity,
        applied_on: f.applied_on,
        note: f.note,
    };
    let d = write_tx!(&s.db, Lock::Tree, |tx| recruitment::create(&mut tx, a, &s.rules, &input).await)?;
    Ok(notice_redirect(&format!("/recruitment/{}", d.recruit.id), "入党申请已登记。党组织应在一个月内派人谈话（《细则》第七条）"))
}

/// A step that may come next, with what its form needs.
struct NextForm {
    code: String,
    number: u8,
    label: String,
    body: String,
    article: String,
    allowed_from: Option<String>,
    blocked: Option<String>,
    meetings: Vec<(i64, String)>,
    meeting_kind_label: Option<String>,
    people: Option<&'static str>,
    political: bool,
    classes: Vec<(i64, String)>,
}

struct Phase {
    label: &'static str,
    steps: Vec<StepLine>,
}

struct StepLine {
    number: u8,
    label: &'static str,
    done: Option<(String, String, Option<i64>)>,
    next: bool,
}

#[derive(Template)]
#[template(path = "recruitment_file.html")]
struct FilePage {
    nav: Nav,
    d: RecruitDetail,
    phases: Vec<Phase>,
    next: Vec<NextForm>,
    contacts: Vec<String>,
    sponsors: Vec<String>,
    assemblies: Vec<(i64, String)>,
    can_review: bool,
    can_decide: bool,
    can_withdraw: bool,
    notice: Option<String>,
    today: String,
}

async fn meeting_options(conn: &mut crate::db::Conn, org_id: i64, kind: &str) -> Result<Vec<(i64, String)>, AppError> {
    let rows = sqlx::query("SELECT id, topic, held_on FROM meetings WHERE org_id = $1 AND kind = $2 AND held_on IS NOT NULL ORDER BY held_on DESC, id DESC LIMIT 40")
        .bind(org_id)
        .bind(kind)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, format!("{} {}", r.try_get::<String, _>("held_on")?, r.try_get::<String, _>("topic")?)))).collect()
}

async fn file_page(State(s): State<AppState>, WebActor(a): WebActor, Path(id): Path<i64>, f: Flash) -> UiResult<Response> {
    let mut conn = s.db.pool.acquire().await?;
    let d = recruitment::detail(&mut conn, &a, &s.rules, id).await?;
    let org = orgs::get(&mut conn, d.recruit.org_id).await?.ok_or(AppError::NotFound)?;
    let mut next = Vec::new();
    if d.can_write {
        for n in &d.next {
            let step = Step::parse(&n.step).unwrap_or(Step::Application);
            let meetings = match &n.meeting_kind {
                Some(k) => meeting_options(&mut conn, org.id, k).await?,
                None => vec![],
            };
            let classes = if step == Step::Training {
                // Classes of the branch or above that end on or after the 发展对象 was filed.
                let filed = d.steps.iter().find(|s| s.step == Step::TargetFiling.code()).map(|s| s.on.clone()).unwrap_or_default();
                let mut sql = crate::db::Sql::new("SELECT c.id, c.title, c.starts_on FROM training_classes c WHERE c.ends_on >= ");
                sql.bind(filed).push(" AND c.org_id IN (").bind_list(path::ids(&org.path)).push(") ORDER BY c.starts_on DESC LIMIT 40");
                sql.query().fetch_all(&mut *conn).await?.iter().map(|r| Ok((r.try_get("id")?, format!("{} {}", r.try_get::<String, _>("starts_on")?, r.try_get::<String, _>("title")?)))).collect::<Result<Vec<_>, AppError>>()?
            } else {
                vec![]
            };
            next.push(NextForm {
                code: n.step.clone(),
                number: n.number,
                label: n.label.clone(),
                body: n.body.clone(),
                article: n.article.clone(),
                allowed_from: n.allowed_from.clone(),
                blocked: n.blocked.clone(),
                meetings,
                meeting_kind_label: n.meeting_kind_label.clone(),
                people: match step {
                    Step::Contacts => Some("培养联系人"),
                    Step::Sponsors => Some("入党介绍人"),
                    _ => None,
                },
                political: step == Step::PoliticalReview,
                classes,
            });
        }
    }
    let phases = crate::recruitment::rules::Phase::ALL
        .iter()
        .map(|ph| Phase {
            label: ph.label(),
            steps: Step::ALL
                .iter()
                .filter(|s| s.phase() == *ph)
                .map(|s| StepLine {
                    number: s.number(),
                    label: s.label(),
                    done: d.steps.iter().find(|v| v.step == s.code()).map(|v| (v.on.clone(), v.body.clone(), v.meeting_id)),
                    next: d.next.iter().any(|n| n.step == s.code()),
                })
                .collect(),
        })
        .collect();
    let stage = d.recruit.stage();
    let assemblies = if d.can_write && stage == Stage::Probationary { meeting_options(&mut conn, org.id, "general_assembly").await? } else { vec![] };
    let names = |role: &str| d.people.iter().filter(|p| p.role == role).map(|p| format!("{}{}", p.name, if p.full_member { "" } else { "（非正式党员）" })).collect::<Vec<_>>();
    render(&FilePage {
        nav: Nav::of(&a),
        contacts: names("contact"),
        sponsors: names("sponsor"),
        phases,
        next,
        assemblies,
        can_review: d.can_write && stage == Stage::Activist,
        can_decide: d.can_write && stage == Stage::Probationary,
        can_withdraw: d.can_write && matches!(stage, Stage::Applicant | Stage::Activist | Stage::Target),
        notice: f.notice,
        today: crate::db::today().to_string(),
        d,
    })
}

#[derive(Deserialize)]
struct StepForm {
    csrf: String,
    step: String,
    on: Option<String>,
    meeting_id: Option<String>,
    note: Option<String>,
    member_1: Option<String>,
    member_2: Option<String>,
    passed: Option<String>,
    training_class_id: Option<String>,
    days: Option<String>,
    class_hours: Option<String>,
}

async fn step(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<StepForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let num = |field: &'static str, v: &Option<String>| -> Result<Option<u32>, AppError> {
        match v.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
            None => Ok(None),
            Some(x) => x.parse().map(Some).map_err(|_| AppError::invalid_field("number_invalid", field, "请填写整数")),
        }
    };
    let input = StepInput {
        step: f.step,
        on: f.on,
        meeting_id: picked("meeting_id", &f.meeting_id, "会议")?,
        note: f.note,
        member_ids: [picked("member_ids", &f.member_1, "党员")?, picked("member_ids", &f.member_2, "党员")?].into_iter().flatten().collect(),
        passed: f.passed.as_deref().map(|p| p == "yes"),
        training_class_id: picked("training_class_id", &f.training_class_id, "培训班")?,
        days: num("days", &f.days)?,
        class_hours: num("class_hours", &f.class_hours)?,
    };
    let d = write_tx!(&s.db, Lock::Tree, |tx| recruitment::record_step(&mut tx, a, &s.rules, id, &input).await)?;
    let last = d.steps.iter().max_by_key(|x| x.number).map(|x| format!("已办理第{}步“{}”，现为{}", x.number, x.label, d.recruit.stage_label)).unwrap_or_default();
    Ok(notice_redirect(&format!("/recruitment/{id}"), &last))
}

#[derive(Deserialize)]
struct ReviewForm {
    csrf: String,
    on: Option<String>,
    note: Option<String>,
}

async fn review(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ReviewForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = ReviewInput { on: f.on, note: f.note };
    write_tx!(&s.db, |tx| recruitment::add_review(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/recruitment/{id}"), "半年考察已登记"))
}

#[derive(Deserialize)]
struct ProbationForm {
    csrf: String,
    decision: String,
    on: Option<String>,
    meeting_id: Option<String>,
    months: Option<String>,
    reason: Option<String>,
}

async fn probation(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<ProbationForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let months = match f.months.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None => None,
        Some(x) => Some(x.parse::<u32>().map_err(|_| AppError::invalid_field("months_invalid", "months", "延长月数应为6至12的整数"))?),
    };
    let input = ProbationInput { decision: f.decision, on: f.on, meeting_id: picked("meeting_id", &f.meeting_id, "会议")?, months, reason: f.reason };
    let d = write_tx!(&s.db, Lock::Tree, |tx| recruitment::decide_probation(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/recruitment/{id}"), &format!("已登记支部大会决定，现为{}", d.recruit.stage_label)))
}

#[derive(Deserialize)]
struct WithdrawForm {
    csrf: String,
    on: Option<String>,
    reason: Option<String>,
}

async fn withdraw(State(s): State<AppState>, wa: WebActor, Path(id): Path<i64>, Form(f): Form<WithdrawForm>) -> UiResult<Redirect> {
    wa.check_csrf(&f.csrf)?;
    let a = &wa.0;
    let input = WithdrawInput { on: f.on, reason: f.reason };
    write_tx!(&s.db, Lock::Tree, |tx| recruitment::withdraw(&mut tx, a, &s.rules, id, &input).await)?;
    Ok(notice_redirect(&format!("/recruitment/{id}"), "发展程序已终止"))
}
