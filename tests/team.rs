//! Leadership teams (班子) over real HTTP, on SQLite and PostgreSQL: appointing, ending, the
//! warnings (no 书记, two at once), the term, scope, and 50 parallel appointments of one seat.

mod common;

use chrono::Duration;
use common::{id, TestApp};
use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn day(offset: i64) -> String {
    (yinghuo::db::today() + Duration::days(offset)).to_string()
}

both_backends!(appoint_end_and_warnings, |app: TestApp| async move {
    let t = app.token("admin").await;
    let v = app.tree.village_a.id;
    let a = app.member(&t, &app.tree.village_a, "李书记", &id("1970-01-01", 1)).await;
    let b = app.member(&t, &app.tree.village_a, "王委员", &id("1971-01-01", 2)).await;
    let other = app.member(&t, &app.tree.village_b, "外村", &id("1972-01-01", 3)).await;
    let (_, team) = app.get(&t, &format!("/api/v1/orgs/{v}/team")).await;
    assert_eq!(team["warnings"][0]["code"], "no_secretary", "{team}");
    let (s, e) = app.post(&t, &format!("/api/v1/orgs/{v}/team"), json!({"member_id": other, "post": "secretary", "starts_on": day(-10)})).await;
    assert_eq!((s, err(&e)), (422, "member_outside_org"));
    let (s, e) = app.post(&t, &format!("/api/v1/orgs/{v}/team"), json!({"member_id": a, "post": "secretary", "starts_on": day(1)})).await;
    assert_eq!((s, err(&e)), (422, "date_in_future"));
    let (s, seat) = app.post(&t, &format!("/api/v1/orgs/{v}/team"), json!({"member_id": a, "post": "书记", "starts_on": day(-400)})).await;
    assert_eq!(s, 201, "{seat}");
    let (s, _) = app.post(&t, &format!("/api/v1/orgs/{v}/team"), json!({"member_id": b, "post": "secretary", "starts_on": day(-5)})).await;
    assert_eq!(s, 201);
    let (_, team) = app.get(&t, &format!("/api/v1/orgs/{v}/team")).await;
    assert_eq!(team["warnings"][0]["code"], "several_secretaries", "{team}");
    // The old secretary leaves at the 换届: one secretary again, the old seat kept as history.
    let sid = seat["id"].as_i64().unwrap();
    let (s, e) = app.post(&t, &format!("/api/v1/team-seats/{sid}/end"), json!({"ends_on": day(-5)})).await;
    assert_eq!((s, err(&e)), (422, "reason_required"));
    let (s, r) = app.post(&t, &format!("/api/v1/team-seats/{sid}/end"), json!({"ends_on": day(-5), "reason": "换届"})).await;
    assert_eq!(s, 200, "{r}");
    let (_, team) = app.get(&t, &format!("/api/v1/orgs/{v}/team")).await;
    assert!(team["warnings"].as_array().unwrap().is_empty(), "{team}");
    assert_eq!((team["current"].as_array().unwrap().len(), team["past"].as_array().unwrap().len()), (1, 1));
    let (s, e) = app.post(&t, &format!("/api/v1/team-seats/{sid}/end"), json!({"ends_on": day(-1), "reason": "x"})).await;
    assert_eq!((s, err(&e)), (409, "seat_ended"));
    // Scope: a branch secretary reads the team, may not change it; another village's cannot read it.
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/orgs/{v}/team")).await.0, 404);
    let sec_a = app.token("sec_a").await;
    assert_eq!(app.get(&sec_a, &format!("/api/v1/orgs/{v}/team")).await.0, 200);
    assert_eq!(app.post(&sec_a, &format!("/api/v1/orgs/{v}/team"), json!({"member_id": a, "post": "member", "starts_on": day(0)})).await.0, 403);
    // The page.
    let c = common::ui_login(&app, "admin").await;
    let page = c.get(format!("{}/orgs/{v}/team", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("领导班子") && page.contains("王委员") && page.contains("换届"), "{page}");
});

both_backends!(fifty_parallel_appointments_make_one_seat, |app: TestApp| async move {
    let t = app.token("admin").await;
    let v = app.tree.village_a.id;
    let a = app.member(&t, &app.tree.village_a, "并发书记", &id("1970-02-02", 4)).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (url, tok, client) = (format!("{}/api/v1/orgs/{v}/team", app.url), t.clone(), app.client.clone());
        tasks.push(tokio::spawn(async move {
            let r = client.post(url).bearer_auth(tok).json(&json!({"member_id": a, "post": "secretary", "starts_on": day(-1)})).send().await.unwrap();
            r.status().as_u16()
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            201 => created += 1,
            409 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
});
