//! Demo 好差评, made through the store: the county's 政务服务中心 and the first township's 便民服务
//! 中心 with their windows, a year of residents' ratings (mostly 满意, about one in thirty a 差评),
//! most 差评 followed up within the time limit with the resident's answer, a few late, and the
//! latest still open — one of them already overdue.

use chrono::{Datelike, Duration};
use sqlx::Row as _;

use crate::auth::roles::{Actor, Grant, Role};
use crate::config::Rules;
use crate::db::Db;
use crate::error::AppResult;
use crate::service_ratings::store::{self as sr, FollowupInput, RateInput, WindowInput};

fn actor(id: i64, path: &str, name: &str) -> Actor {
    Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: "政务服务中心".into(),
        member_id: None,
        grants: vec![Grant { role: Role::CountyAdmin, org_id: id, org_path: path.into(), org_name: name.into() }],
        csrf: None,
        must_change_password: false,
    }
}

const COUNTY: [(&str, &str); 5] = [("社保医保窗口", "县人社局"), ("不动产登记窗口", "县自然资源局"), ("市场主体登记窗口", "县市场监管局"), ("户籍办理窗口", "县公安局"), ("税费办理窗口", "县税务局")];
const TOWN: [(&str, &str); 3] = [("综合受理窗口", "镇便民服务中心"), ("民政救助窗口", "镇民政办"), ("农业农村窗口", "镇农业农村办")];

/// Returns the number of ratings made.
pub async fn load(db: &Db, cfg: &Rules, town_id: i64) -> AppResult<usize> {
    let today = crate::db::today();
    let mut tx = db.begin_bulk().await?;
    let Some(root) = sqlx::query("SELECT id, path, name FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *tx).await? else {
        return Ok(0);
    };
    let root_id: i64 = root.try_get("id")?;
    let a = actor(root_id, &root.try_get::<String, _>("path")?, &root.try_get::<String, _>("name")?);
    let mut windows = Vec::new();
    for (org, list) in [(root_id, &COUNTY[..]), (town_id, &TOWN[..])] {
        for (name, dept) in list {
            windows.push(sr::create_window(&mut tx, &a, &WindowInput { org_id: Some(org), name: Some((*name).into()), department: Some((*dept).into()) }).await?);
        }
    }
    let comments = ["办事效率高", "工作人员很耐心", "一次就办好了", "排队时间长", "材料要求没说清楚，跑了两趟", "窗口人员态度生硬"];
    let grades = ["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"];
    let mut made = 0;
    for back in (0..365i64).rev() {
        let day = today - Duration::days(back);
        if matches!(day.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
            continue;
        }
        for (wi, w) in windows.iter().enumerate() {
            let n = if wi < COUNTY.len() { 3 } else { 1 };
            for k in 0..n {
                let h = (back as usize * 31 + wi * 7 + k * 13) % 100;
                let g = match h {
                    0..=54 => 0,
                    55..=86 => 1,
                    87..=96 => 2,
                    97..=98 => 3,
                    _ => 4,
                };
                let comment = if g >= 3 { comments[3 + h % 3] } else if h.is_multiple_of(4) { comments[h % 3] } else { "" };
                let contact = if g >= 3 { format!("139{:08}", (back as usize * 977 + wi * 131 + k) % 100_000_000) } else { String::new() };
                let id = sr::rate_on(&mut tx, cfg, &w.code, &RateInput { grade: Some(grades[g].into()), comment: Some(comment.into()), contact: Some(contact) }, if k % 2 == 0 { "device" } else { "qr" }, day).await?;
                made += 1;
                if g >= 3 && back > 3 {
                    // Followed up: most in a week, one in five after the limit; the last few days still open.
                    let after = if back % 5 == 0 { 25 } else { 2 + (h as i64 % 5) };
                    let on = (day + Duration::days(after)).min(today);
                    let answer = if back > 30 || h.is_multiple_of(2) { "满意，问题已解决" } else { "" };
                    let what = format!("{}负责人电话回访，已对窗口人员提醒谈话并优化流程", w.department);
                    sr::follow_up(&mut tx, &a, id, &FollowupInput { on: Some(on.to_string()), what: Some(what), answer: Some(answer.into()) }).await?;
                }
            }
        }
    }
    tx.commit().await?;
    Ok(made)
}
