//! Demo recruitment: in up to eight villages of each township, one person on the way to
//! membership, applied at a different time so each township shows every stage today. Each file
//! is built through the store, step by step, so the rules accept every step; the branch meetings the steps need are held on
//! the day, and each township runs a 发展对象培训班 when its targets need one. Two kinds of
//! lateness the seed's review found (a talk after one month, an approval after three months) are
//! planted in a few files, so the county has files to check.

use chrono::{Duration, NaiveDate};
use sqlx::Row as _;

use crate::auth::roles::{Actor, Grant, Role};
use crate::config::Rules;
use crate::db::{china, path, Conn, Db};
use crate::error::{AppError, AppResult};
use crate::meetings::rules::MeetingKind;
use crate::recruitment::rules::{add_months, Step};
use crate::recruitment::store::{self as recruitment, NewRecruitInput, StepInput};

/// Days before today each village's applicant handed in the application, by village index.
/// At most this many files, so a province's demo stays quick.
const MAX_FILES: usize = 400;
const APPLIED_DAYS_AGO: [i64; 8] = [12, 150, 330, 520, 700, 880, 1150, 1500];
const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"];
const GIVEN: [&str; 12] = ["晓东", "春燕", "志强", "丽娟", "海涛", "雪梅", "建军", "婷婷", "明辉", "佳琪", "浩然", "思雨"];

fn demo_actor(root_id: i64, root_path: &str, root_name: &str) -> Actor {
    Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: "演示数据".into(),
        member_id: None,
        grants: vec![Grant { role: Role::CountyAdmin, org_id: root_id, org_path: root_path.into(), org_name: root_name.into() }],
        csrf: None,
        must_change_password: false,
    }
}

/// A held branch meeting on `day`, made for the step that needs it.
async fn meeting(conn: &mut Conn, org_id: i64, kind: MeetingKind, day: NaiveDate, topic: &str, token: &str) -> AppResult<i64> {
    let start = china::at(day, 19, 30, 0);
    Ok(sqlx::query_scalar(
        "INSERT INTO meetings (org_id, kind, topic, place, planned_start, planned_end, held_on, minutes, state, signin_token, created_at, updated_at, closed_at, items_done) \
         VALUES ($1, $2, $3, '村党群服务中心', $4, $5, $6, $7, 'closed', $8, $4, $4, $5, '') RETURNING id",
    )
    .bind(org_id)
    .bind(kind.code())
    .bind(topic)
    .bind(start)
    .bind(start + 5400)
    .bind(day.to_string())
    .bind(format!("{topic}。与会同志充分讨论，一致同意。"))
    .bind(token)
    .fetch_one(&mut *conn)
    .await?)
}

/// A three-day 发展对象培训班 of the township starting `first`: 6 sessions of 180 minutes, 24 学时.
async fn class(conn: &mut Conn, town_id: i64, town_name: &str, first: NaiveDate) -> AppResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO training_classes (org_id, kind, title, starts_on, ends_on, place, created_at) VALUES ($1, 'special', $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(town_id)
    .bind(format!("{town_name}{}发展对象培训班", first.format("%Y年%-m月")))
    .bind(first.to_string())
    .bind((first + Duration::days(2)).to_string())
    .bind(format!("{town_name}党校"))
    .bind(crate::db::now_secs())
    .fetch_one(&mut *conn)
    .await?;
    for d in 0..3 {
        for (start, title) in [(540, "党的基本理论和入党条件"), (840, "党章党规和党员义务权利")] {
            sqlx::query("INSERT INTO training_sessions (class_id, day, start_minute, minutes, category, title, teacher) VALUES ($1, $2, $3, 180, 'red', $4, '乡镇党委组织委员')")
                .bind(id)
                .bind((first + Duration::days(d)).to_string())
                .bind(start as i64)
                .bind(title)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(id)
}

/// One step, with a meeting held that day when the step needs one. `Ok(false)`: the rules
/// refused it (the file stops there).
#[allow(clippy::too_many_arguments)]
async fn take(conn: &mut Conn, a: &Actor, cfg: &Rules, rid: i64, org_id: i64, has_committee: bool, step: Step, on: NaiveDate, extra: StepInput) -> AppResult<bool> {
    let meeting_id = match step.required_meeting(has_committee) {
        Some(kind) => Some(meeting(conn, org_id, kind, on, &format!("讨论发展党员：{}", step.label()), &format!("demo-r{rid}-{}", step.code())).await?),
        None => None,
    };
    let input = StepInput { step: step.code().into(), on: Some(on.to_string()), meeting_id, ..extra };
    match recruitment::record_step(conn, a, cfg, rid, &input).await {
        Ok(_) => Ok(true),
        Err(AppError::Refused { message, .. }) => {
            tracing::warn!(recruit = rid, step = step.code(), %message, "demo recruitment step refused");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Returns the number of files made.
pub async fn load(db: &Db, cfg: &Rules, seed: u64) -> AppResult<usize> {
    let today = crate::db::today();
    let rules = &cfg.recruitment;
    let mut tx = db.begin_bulk().await?;
    let conn: &mut Conn = &mut tx;
    let Some(root) = sqlx::query("SELECT id, path, name FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *conn).await? else {
        return Ok(0);
    };
    let a = demo_actor(root.try_get("id")?, &root.try_get::<String, _>("path")?, &root.try_get::<String, _>("name")?);
    let villages = sqlx::query("SELECT o.id, o.path, o.parent_id FROM orgs o WHERE o.kind = 'branch' AND o.domain = 'rural' AND o.dissolved_on IS NULL ORDER BY o.path")
        .fetch_all(&mut *conn)
        .await?;
    let mut classes: Vec<(i64, NaiveDate, i64)> = Vec::new();
    let mut made = 0usize;
    // Up to eight files per township, one per village, each township cycling through the stages.
    let mut per_town: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for v in &villages {
        if made >= MAX_FILES {
            break;
        }
        let (org_id, org_path): (i64, String) = (v.try_get("id")?, v.try_get("path")?);
        let town_id = path::ids(&org_path).get(1).copied().unwrap_or(org_id);
        let j = per_town.entry(town_id).or_default();
        if *j >= 8 {
            continue;
        }
        let slot = (*j + town_id as usize) % APPLIED_DAYS_AGO.len();
        *j += 1;
        let k = made;
        let applied = today - Duration::days(APPLIED_DAYS_AGO[slot] + (seed as i64 + k as i64) % 9);
        // A late talk in every seventh file, a late approval in every eleventh.
        let late_talk = k % 7 == 3;
        let late_approval = k % 11 == 5;
        let birth = NaiveDate::from_ymd_opt(1988 + (k % 15) as i32, 1 + (k % 12) as u32, 1 + (k % 27) as u32).unwrap_or(applied);
        let id_number = crate::members::id_card::IdCardNumber::build(410_522, birth, 700 + (k % 200) as u32);
        let name = format!("{}{}", SURNAMES[k % 12], GIVEN[(k * 5 + 3) % 12]);
        // Full members already on the day of the application, to be contacts and sponsors.
        let full: Vec<i64> = sqlx::query_scalar("SELECT id FROM members WHERE org_path = $1 AND status = 'full' AND full_on < $2 AND left_on IS NULL ORDER BY id LIMIT 3")
            .bind(&org_path)
            .bind(applied.to_string())
            .fetch_all(&mut *conn)
            .await?;
        if full.len() < 3 {
            continue;
        }
        let input = NewRecruitInput {
            org_id: Some(org_id),
            name: Some(name),
            id_number: Some(id_number.as_str().into()),
            phone: Some(format!("139{:08}", 10_000_000 + k * 7919 % 89_999_999)),
            education: Some(["high_school", "college", "bachelor", "secondary"][k % 4].into()),
            ethnicity: None,
            applied_on: Some(applied.to_string()),
            note: None,
        };
        let d = match recruitment::create(conn, &a, cfg, &input).await {
            Ok(d) => d,
            Err(AppError::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        };
        made += 1;
        let rid = d.recruit.id;
        let org = crate::orgs::store::get(conn, org_id).await?.ok_or(AppError::NotFound)?;
        let committee = recruitment::has_committee(conn, &org, cfg.org_setup.committee_min).await?;
        let none = StepInput::default;
        // The plan: each step on the first day it may be taken plus a working margin, up to today.
        let mut on = applied + Duration::days(if late_talk { 45 } else { 14 });
        macro_rules! step {
            ($step:expr, $extra:expr) => {{
                if on > today || !take(conn, &a, cfg, rid, org_id, committee, $step, on, $extra).await? {
                    continue;
                }
            }};
        }
        step!(Step::Talk, none());
        on += Duration::days(45);
        let activist = on;
        step!(Step::ActivistDecision, none());
        on += Duration::days(7);
        step!(Step::ActivistFiling, none());
        step!(Step::Contacts, StepInput { member_ids: full.iter().take(2).copied().collect(), ..none() });
        on += Duration::days(3);
        step!(Step::ActivistEducation, none());
        for half in [5, 11] {
            let r = add_months(activist, half);
            if r <= today {
                recruitment::add_review(conn, &a, cfg, rid, &recruitment::ReviewInput { on: Some(r.to_string()), note: Some("思想上进，积极参加村里志愿服务".into()) }).await?;
            }
        }
        on = add_months(activist, rules.activist_min_months) + Duration::days(10);
        step!(Step::TargetDecision, none());
        on += Duration::days(7);
        step!(Step::TargetFiling, none());
        on += Duration::days(7);
        step!(Step::Sponsors, StepInput { member_ids: full.iter().rev().take(2).copied().collect(), ..none() });
        on += Duration::days(20);
        step!(Step::PoliticalReview, StepInput { passed: Some(true), ..none() });
        // The township's class of the next month (10th to 12th), shared by its targets.
        let next_month = add_months(on, 1);
        let first = NaiveDate::from_ymd_opt(chrono::Datelike::year(&next_month), chrono::Datelike::month(&next_month), 10).unwrap_or(next_month);
        if first + Duration::days(2) > today {
            continue;
        }
        let cid = match classes.iter().find(|(t, f, _)| *t == town_id && *f == first) {
            Some((_, _, c)) => *c,
            None => {
                let town_name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1").bind(town_id).fetch_one(&mut *conn).await?;
                let c = class(conn, town_id, &town_name, first).await?;
                classes.push((town_id, first, c));
                c
            }
        };
        on = first + Duration::days(2);
        step!(Step::Training, StepInput { training_class_id: Some(cid), ..none() });
        on += Duration::days(10);
        step!(Step::CommitteeReview, none());
        on += Duration::days(10);
        step!(Step::PreReview, none());
        on += Duration::days(5);
        step!(Step::ApplicationForm, none());
        on += Duration::days(7);
        let admitted = on;
        step!(Step::AdmissionMeeting, none());
        on += Duration::days(10);
        step!(Step::ApprovalTalk, none());
        on = admitted + Duration::days(if late_approval { 100 } else { 40 });
        step!(Step::AdmissionApproval, none());
        on += Duration::days(10);
        step!(Step::AdmissionFiling, none());
        step!(Step::GroupAssignment, none());
        on += Duration::days(20);
        step!(Step::Oath, none());
        on += Duration::days(15);
        step!(Step::ProbationEducation, none());
        let end = add_months(admitted, rules.probation_months);
        on = end - Duration::days(20);
        step!(Step::ConversionApplication, none());
        on = end + Duration::days(5);
        step!(Step::ConversionMeeting, none());
        on += Duration::days(30);
        step!(Step::ConversionApproval, none());
        on += Duration::days(15);
        step!(Step::Archiving, none());
    }
    tx.commit().await?;
    Ok(made)
}
