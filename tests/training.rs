//! Training over real HTTP, on SQLite and PostgreSQL: a class with sessions, enrollment,
//! 一课一查岗 marks, the daily bulletin, the end-of-class report, yearly hours and the workbook.

mod common;

use common::id;
use serde_json::{json, Value};

fn day(offset: i64) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    (chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(offset)).to_string()
}

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

both_backends!(training_class_bulletin_and_report, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let town = app.tree.town.id;
    let names = ["甲", "乙", "丙"];
    let mut ids = Vec::new();
    for (i, n) in names.iter().enumerate() {
        ids.push(app.member(&t, &app.tree.village_a, &format!("学员{n}"), &id(&format!("1970-05-0{}", i + 1), i as u32 + 1)).await);
    }
    let outsider = app.member(&t, &app.tree.organ, "机关党员", &id("1980-01-01", 9)).await;

    let (s, e) = app.post(&t, "/api/v1/training/classes", json!({"org_id": town, "kind": "rotation", "title": "村党支部书记轮训", "starts_on": day(1), "ends_on": day(-2)})).await;
    assert_eq!((s, err(&e)), (422, "date_order"));
    let (s, c) = app.post(&t, "/api/v1/training/classes", json!({"org_id": town, "kind": "集中轮训", "title": "村党支部书记轮训", "starts_on": day(-2), "ends_on": day(1), "place": "镇党校"})).await;
    assert_eq!(s, 201, "{c}");
    let cid = c["id"].as_i64().unwrap();

    let mut sid = Vec::new();
    for (d, start, minutes, cat, title) in [(-2, "09:00", 180, "red", "学习党章"), (-1, "09:00", 90, "蓝色课堂", "村务管理"), (-1, "14:00", 90, "green", "廉洁教育"), (1, "09:00", 90, "red", "结业考试")] {
        let (s, r) = app.post(&t, &format!("/api/v1/training/classes/{cid}/sessions"), json!({"day": day(d), "start": start, "minutes": minutes, "category": cat, "title": title})).await;
        assert_eq!(s, 201, "{r}");
        sid.push(r["id"].as_i64().unwrap());
    }
    let (s, e) = app.post(&t, &format!("/api/v1/training/classes/{cid}/sessions"), json!({"day": day(5), "start": "09:00", "minutes": 60, "category": "red", "title": "x"})).await;
    assert_eq!((s, err(&e)), (422, "session_outside_class"));

    // Enroll a branch; someone outside the town is refused and nothing is written.
    let (s, e) = app.post(&t, &format!("/api/v1/training/classes/{cid}/enrollments"), json!({"member_ids": [outsider], "org_id": app.tree.village_a.id})).await;
    assert_eq!((s, err(&e)), (422, "member_outside_class"), "{e}");
    let (_, d) = app.get(&t, &format!("/api/v1/training/classes/{cid}")).await;
    assert_eq!(d["trainees"].as_array().unwrap().len(), 0, "all or nothing");
    let (s, r) = app.post(&t, &format!("/api/v1/training/classes/{cid}/enrollments"), json!({"org_id": app.tree.village_a.id, "enrolled_on": day(-2)})).await;
    assert_eq!((s, r["added"].as_i64()), (200, Some(3)), "{r}");

    // 一课一查岗.
    let all_present: Vec<Value> = ids.iter().map(|i| json!({"member_id": i, "mark": "present"})).collect();
    assert_eq!(app.post(&t, &format!("/api/v1/training/sessions/{}/marks", sid[0]), Value::Array(all_present.clone())).await.0, 200);
    let (s, e) = app.post(&t, &format!("/api/v1/training/sessions/{}/marks", sid[1]), json!([{"member_id": ids[1], "mark": "excused"}])).await;
    assert_eq!((s, err(&e)), (422, "reason_required"));
    let (s, e) = app.post(&t, &format!("/api/v1/training/sessions/{}/marks", sid[1]), json!([{"member_id": ids[0], "mark": "late"}])).await;
    assert_eq!((s, err(&e)), (422, "missed_minutes_invalid"));
    let (s, r) = app
        .post(&t, &format!("/api/v1/training/sessions/{}/marks", sid[1]), json!([
            {"member_id": ids[0], "mark": "late", "missed_minutes": 20},
            {"member_id": ids[1], "mark": "excused", "reason": "防汛值班"},
            {"member_id": ids[2], "mark": "absent"}]))
        .await;
    assert_eq!(s, 200, "{r}");
    let (s, _) = app.post(&t, &format!("/api/v1/training/sessions/{}/marks", sid[2]), json!([{"member_id": ids[0], "mark": "present"}, {"member_id": ids[1], "mark": "present"}])).await;
    assert_eq!(s, 200);
    let (s, e) = app.post(&t, &format!("/api/v1/training/sessions/{}/marks", sid[3]), Value::Array(all_present)).await;
    assert_eq!((s, err(&e)), (422, "session_not_started"));
    let (s, e) = app.post(&t, &format!("/api/v1/training/sessions/{}/marks", sid[0]), json!([{"member_id": outsider, "mark": "present"}])).await;
    assert_eq!((s, err(&e)), (422, "not_enrolled"));

    // 一天一通报 for yesterday: 6 expected check-ins, one late, one excused, one absent, one not checked.
    let (s, b) = app.get(&t, &format!("/api/v1/training/classes/{cid}/bulletin?day={}", day(-1))).await;
    assert_eq!(s, 200, "{b}");
    let tot = &b["totals"];
    assert_eq!((tot["expected"].as_i64(), tot["late"].as_i64(), tot["excused"].as_i64(), tot["absent"].as_i64(), tot["unmarked"].as_i64()), (Some(6), Some(1), Some(1), Some(1), Some(1)), "{b}");
    let summary = b["summary"].as_str().unwrap();
    assert!(summary.contains("学员丙"), "{summary}");

    // 一期一问责: 丙 was absent without leave; 甲 is credited 180 + 70 + 90 minutes.
    let (s, r) = app.get(&t, &format!("/api/v1/training/classes/{cid}/report")).await;
    assert_eq!(s, 200, "{r}");
    let by = |n: &str| r["trainees"].as_array().unwrap().iter().find(|x| x["name"] == n).cloned().unwrap();
    assert_eq!(by("学员甲")["credited_minutes"], 340);
    assert!(!by("学员丙")["accountability"].as_array().unwrap().is_empty(), "{r}");
    assert!(by("学员甲")["accountability"].as_array().unwrap().is_empty());
    let (s, h) = app.get(&t, &format!("/api/v1/members/{}/training", ids[0])).await;
    assert_eq!(s, 200, "{h}");
    if day(-2)[..4] == day(0)[..4] {
        assert_eq!(h["verdict"]["credited_minutes"], 340, "{h}");
    }

    // The subtree workbook: classes and trainees.
    let bytes = app.client.get(format!("{}/api/v1/orgs/{}/training.xlsx?from={}&to={}", app.url, app.tree.county.id, day(-30), day(0))).bearer_auth(&t).send().await.unwrap().bytes().await.unwrap();
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheets = wb.sheet_names().to_vec();
    assert_eq!(sheets.len(), 2, "{sheets:?}");
    let trainees = wb.worksheet_range(&sheets[1]).unwrap();
    assert_eq!(trainees.height(), 4, "header + 3 trainees");
    assert!(trainees.rows().any(|row| row.iter().any(|c| *c == "学员丙")));

    // Scope: another village's secretary cannot see the town's class.
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/training/classes/{cid}")).await.0, 404);
    assert_eq!(app.post(&sec_b, &format!("/api/v1/training/sessions/{}/marks", sid[0]), json!([])).await.0, 404);
});

both_backends!(training_pages_run_a_class_end_to_end, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let m = app.member(&t, &app.tree.village_a, "页面学员", &id("1975-03-03", 7)).await;
    let ui = common::ui_login(&app, "admin").await;
    let town = app.tree.town.id;
    let page = ui.get(format!("{}/orgs/{town}/training", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("举办培训班"), "{page}");
    let csrf = common::hidden(&page, "csrf");
    let form = |pairs: Vec<(&str, String)>| {
        let mut v: Vec<(String, String)> = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        v.push(("csrf".into(), csrf.clone()));
        v
    };
    let r = ui
        .post(format!("{}/training", app.url))
        .form(&form(vec![("org_id", town.to_string()), ("kind", "rotation".into()), ("title", "页面轮训班".into()), ("starts_on", day(-1)), ("ends_on", day(0))]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let class_url = r.headers()["location"].to_str().unwrap().split('?').next().unwrap().to_string();
    let cid: i64 = class_url.rsplit('/').next().unwrap().parse().unwrap();
    let r = ui
        .post(format!("{}/training/{cid}/sessions", app.url))
        .form(&form(vec![("day", day(-1)), ("start", "09:00".into()), ("minutes", "90".into()), ("category", "green".into()), ("title", "廉洁教育".into())]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // A bad member id is explained, not a crash.
    let r = ui.post(format!("{}/training/{cid}/enroll", app.url)).form(&form(vec![("member_ids", "abc".into())])).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("党员编号应为数字"));
    let r = ui.post(format!("{}/training/{cid}/enroll", app.url)).form(&form(vec![("member_ids", m.to_string())])).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, d) = app.get(&t, &format!("/api/v1/training/classes/{cid}")).await;
    let sid = d["sessions"][0]["id"].as_i64().unwrap();
    let page = ui.get(format!("{}/training/sessions/{sid}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("页面学员") && page.contains("未查岗"), "{page}");
    let r = ui.post(format!("{}/training/sessions/{sid}", app.url)).form(&form(vec![(&*format!("k_{m}"), "absent".into())])).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = ui.get(format!("{}/training/{cid}/bulletin?day={}", app.url, day(-1))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("页面学员") && page.contains("缺勤"), "{page}");
    let page = ui.get(format!("{}/training/{cid}/report", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("一期一问责") && page.contains("绿色课堂"), "{page}");
    let r = ui.get(format!("{}/orgs/{town}/training.xlsx", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
});
