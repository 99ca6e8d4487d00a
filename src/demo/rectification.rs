//! Demo 软弱涣散 rectification, made through the store in the first township: two branches rated
//! weak the year before last, identified early last year, rectified with the four forces and their
//! problem lists and closed (销号) in November — last year's rating shows them 晋位升级; and one
//! identified this March, still rectifying, its 30 problems 15 resolved, 10 planned and 5 tracked
//! (the seed's figures, [001]).

use chrono::{Datelike, NaiveDate};

use crate::assessment::store::{self as assess, EntryInput, RateInput};
use crate::auth::roles::{Actor, Grant, Role};
use crate::config::Rules;
use crate::db::Db;
use crate::error::AppResult;
use crate::rectification::store::{self as rect, CaseInput, CloseInput, ForceInput, PlanInput, ProblemInput, ProblemUpdate};

const PROBLEMS: [&str; 30] = [
    "村内主干道坑洼积水", "饮用水压力不足", "路灯损坏", "村卫生室药品不全", "垃圾清运不及时", "排水沟堵塞", "村务公开栏内容陈旧", "留守老人无人照看",
    "文化广场设施破损", "农田灌溉渠渗漏", "村小学校舍漏雨", "小额贷款难", "土地流转纠纷", "集体资产底数不清", "快递无法进村", "村内无公共厕所",
    "产业路未硬化", "危房改造进度慢", "村医待遇低", "集体收入少", "夜间治安差", "健身器材缺", "网络信号弱", "村级活动场所面积小",
    "农产品销售难", "河道乱倒垃圾", "养殖污染", "幸福院无人管理", "公交班次少", "村规民约未修订",
];

fn actor(id: i64, path: &str, name: &str) -> Actor {
    Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: "镇党委组织委员".into(),
        member_id: None,
        grants: vec![Grant { role: Role::CountyAdmin, org_id: id, org_path: path.into(), org_name: name.into() }],
        csrf: None,
        must_change_password: false,
    }
}

fn day(y: i32, m: u32, d: u32) -> String {
    NaiveDate::from_ymd_opt(y, m, d).map(|x| x.to_string()).unwrap_or_default()
}

/// Returns the number of cases made.
pub async fn load(db: &Db, cfg: &Rules, town_id: i64) -> AppResult<usize> {
    let today = crate::db::today();
    let y = today.year();
    let mut conn = db.pool.acquire().await?;
    let town = crate::orgs::store::get(&mut conn, town_id).await?.ok_or(crate::error::AppError::NotFound)?;
    let Some(root) = crate::orgs::store::ancestors(&mut conn, &town).await?.into_iter().next() else {
        return Ok(0);
    };
    let a = actor(root.id, &root.path, &root.name);
    let branches: Vec<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE kind = 'branch' AND domain = 'rural' AND dissolved_on IS NULL AND path >= $1 AND path < $2 ORDER BY path")
        .bind(&town.path)
        .bind(crate::db::path::upper(&town.path))
        .fetch_all(&mut *conn)
        .await?;
    drop(conn);
    if branches.len() < 6 {
        return Ok(0);
    }
    let picks = [branches[1], branches[4], branches[branches.len() - 2]];
    let mut made = 0;
    for (k, &id) in picks.iter().enumerate() {
        let mut tx = db.begin_bulk().await?;
        let closed = k < 2;
        if closed {
            // The year before last: a weak rating (low entries, 十有 not met).
            let (rubric, _) = {
                let org = crate::orgs::store::get(&mut tx, id).await?.ok_or(crate::error::AppError::NotFound)?;
                assess::rubric_for(&mut tx, cfg, &org).await?
            };
            for it in rubric.items.iter().filter(|i| i.measure.is_none()) {
                let pts = (it.points * 4 / 10).to_string();
                assess::enter(&mut tx, &a, cfg, id, &EntryInput { year: Some(y - 2), item: Some(it.code.clone()), points: Some(pts), note: Some("年度考评：台账不全，阵地简陋".into()), ..Default::default() }).await?;
            }
            for h in rubric.ten_haves.iter().filter(|h| h.measure.is_none()) {
                assess::enter(&mut tx, &a, cfg, id, &EntryInput { year: Some(y - 2), item: Some(format!("ten:{}", h.code)), met: Some(false), note: Some("对照“十有”标准核查未达到".into()), ..Default::default() }).await?;
            }
            assess::rate(db, &mut tx, &a, cfg, id, &RateInput { year: Some(y - 2), note: Some("年度星级评定".into()) }).await?;
        }
        let (ident, reasons, n) = if closed { (day(y - 1, 2, 20), vec!["life".to_string(), "secretary".into()], 8) } else { (day(y, 3, 10), vec!["economy".to_string(), "finance".into(), "service".into()], 30) };
        let note = if closed { "镇党委研判：书记长期在外务工，全年仅开过一次支部党员大会" } else { "县委常委会专题研究确定：集体经济空壳，村务财务公开不及时，群众意见较大" };
        let c = rect::create(&mut tx, &a, cfg, &CaseInput { org_id: Some(id), identified_on: Some(ident.clone()), reasons, note: Some(note.into()), plan: None }).await?;
        let plan = "一村一策：调整充实村“两委”班子，规范“三会一课”，清理村级财务，发展特色产业增加集体收入，逐项解决群众反映的问题，挂图作战、销号管理";
        rect::set_plan(&mut tx, &a, cfg, c.id, &PlanInput { plan: Some(plan.into()) }).await?;
        for (force, name, unit) in [("county_leader", "张副县长", "县人民政府"), ("unit", "县农业农村局", "结对帮扶单位"), ("work_team", "镇整顿工作组", "镇党委组织委员任组长"), ("first_secretary", "刘第一书记", "县财政局选派")] {
            rect::add_force(&mut tx, &a, cfg, c.id, &ForceInput { force: Some(force.into()), name: Some(name.into()), unit: Some(unit.into()), assigned_on: Some(ident.clone()) }).await?;
        }
        let mut v = c;
        for (i, text) in PROBLEMS.iter().enumerate().take(n) {
            let source = ["入户走访", "群众座谈会", "12345热线", "党员大会"][i % 4];
            v = rect::add_problem(&mut tx, &a, cfg, v.id, &ProblemInput { text: Some((*text).into()), source: Some(source.into()) }).await?;
        }
        let ids: Vec<i64> = v.problems.iter().map(|p| p.id).collect();
        for (i, pid) in ids.iter().enumerate() {
            let (state, note) = if closed {
                if i % 4 == 3 {
                    ("planned", "纳入县“十四五”农村基础设施提升项目")
                } else {
                    ("resolved", "已办结，群众满意")
                }
            } else if i < 15 {
                ("resolved", "已办结，群众满意")
            } else if i < 25 {
                ("planned", "纳入明年村级项目计划")
            } else {
                ("tracked", "已报县直部门，持续跟踪")
            };
            rect::update_problem(&mut tx, &a, cfg, *pid, &ProblemUpdate { state: Some(state.into()), note: Some(note.into()) }).await?;
        }
        if closed {
            rect::close(&mut tx, &a, cfg, v.id, &CloseInput { on: Some(day(y - 1, 11, 28)), note: Some("经镇党委初验、县委组织部复核，整顿任务完成，同意销号".into()) }).await?;
        }
        tx.commit().await?;
        made += 1;
    }
    Ok(made)
}
