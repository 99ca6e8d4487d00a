//! 软弱涣散 rectification over real HTTP, on SQLite and PostgreSQL: identification with reasons (no
//! quota), one open case per organization, the four forces and “四个一”, the people's problems,
//! 销号 refused while a problem is open or tracked, the board and ledger, the suggestions from
//! records, scope, and 50 parallel problem updates keeping the counts right.

mod common;

use common::TestApp;
use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn today() -> String {
    yinghuo::db::today().to_string()
}

async fn case(app: &TestApp, token: &str, org: i64) -> Value {
    let (s, c) = app.post(token, "/api/v1/rectification/cases", json!({"org_id": org, "identified_on": today(), "reasons": ["组织制度形同虚设，组织生活不正常", "members"], "note": "全年只开过一次支部党员大会"})).await;
    assert_eq!(s, 201, "{c}");
    c
}

both_backends!(a_case_closes_only_when_every_problem_is_closed, |app: TestApp| async move {
    let town = app.token("town").await;
    let va = app.tree.village_a.id;
    // Refusals: no reason, an unknown reason, a group, a future date, a secretary.
    let (s, e) = app.post(&town, "/api/v1/rectification/cases", json!({"org_id": va, "identified_on": today(), "reasons": []})).await;
    assert_eq!((s, err(&e)), (422, "reasons_required"));
    let (s, e) = app.post(&town, "/api/v1/rectification/cases", json!({"org_id": va, "identified_on": today(), "reasons": ["指标"]})).await;
    assert_eq!((s, err(&e)), (422, "reason_unknown"));
    let (s, e) = app.post(&town, "/api/v1/rectification/cases", json!({"org_id": app.tree.group_a.id, "identified_on": today(), "reasons": ["life"]})).await;
    assert_eq!((s, err(&e)), (422, "not_basic_level"));
    let sec = app.token("sec_a").await;
    let (s, _) = app.post(&sec, "/api/v1/rectification/cases", json!({"org_id": va, "identified_on": today(), "reasons": ["life"]})).await;
    assert_eq!(s, 403);
    let c = case(&app, &town, va).await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["reasons"][0], "组织制度形同虚设，组织生活不正常");
    assert_eq!(c["state"], "rectifying");
    // One open case per organization.
    let (s, e) = app.post(&town, "/api/v1/rectification/cases", json!({"org_id": va, "identified_on": today(), "reasons": ["life"]})).await;
    assert_eq!((s, err(&e)), (409, "already_rectifying"));

    // 销号 names what is missing, step by step.
    let close = format!("/api/v1/rectification/cases/{id}/close");
    let body = json!({"on": today(), "note": "镇党委验收合格"});
    let (s, e) = app.post(&town, &close, body.clone()).await;
    assert_eq!((s, err(&e)), (422, "plan_missing"));
    let (s, c) = app.post(&town, &format!("/api/v1/rectification/cases/{id}/plan"), json!({"plan": "一村一策：调整班子，规范三会一课，解决群众急难愁盼问题"})).await;
    assert_eq!(s, 200, "{c}");
    let (s, e) = app.post(&town, &close, body.clone()).await;
    assert_eq!((s, err(&e)), (422, "forces_missing"));
    assert!(e["error"]["message"].as_str().unwrap().contains("第一书记"));
    for (force, name) in [("county_leader", "王副县长"), ("unit", "县农业农村局"), ("work_team", "镇整顿工作组"), ("first_secretary", "李第一书记")] {
        let (s, c) = app.post(&town, &format!("/api/v1/rectification/cases/{id}/forces"), json!({"force": force, "name": name, "assigned_on": today()})).await;
        assert_eq!(s, 200, "{c}");
    }
    let (s, e) = app.post(&town, &close, body.clone()).await;
    assert_eq!((s, err(&e)), (422, "no_problems"), "{e}");
    let mut pids = Vec::new();
    for text in ["村道坑洼", "饮水不稳", "路灯不亮"] {
        let (s, c) = app.post(&town, &format!("/api/v1/rectification/cases/{id}/problems"), json!({"text": text, "source": "入户走访"})).await;
        assert_eq!(s, 200, "{c}");
        pids.push(c["problems"].as_array().unwrap().last().unwrap()["id"].as_i64().unwrap());
    }
    let up = |p: i64| format!("/api/v1/rectification/problems/{p}");
    assert_eq!(app.post(&town, &up(pids[0]), json!({"state": "resolved", "note": "已硬化"})).await.0, 200);
    let (s, e) = app.post(&town, &up(pids[1]), json!({"state": "planned"})).await;
    assert_eq!((s, err(&e)), (422, "required"));
    assert_eq!(app.post(&town, &up(pids[1]), json!({"state": "planned", "note": "纳入2027年农村饮水安全工程"})).await.0, 200);
    let (s, c) = app.post(&town, &up(pids[2]), json!({"state": "tracked", "note": "已报县供电公司"})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!((c["counts"]["resolved"].as_i64(), c["counts"]["planned"].as_i64(), c["counts"]["tracked"].as_i64()), (Some(1), Some(1), Some(1)), "{c}");
    // A tracked problem keeps the case open, and says which.
    let (s, e) = app.post(&town, &close, body.clone()).await;
    assert_eq!((s, err(&e)), (422, "problems_open"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("路灯不亮"));
    let (_, c) = app.get(&town, &format!("/api/v1/rectification/cases/{id}")).await;
    assert_eq!(c["state"], "rectifying", "the refusal wrote nothing");
    assert_eq!(app.post(&town, &up(pids[2]), json!({"state": "resolved", "note": "已更换路灯"})).await.0, 200);
    // The “四个一”: leader, unit and first secretary follow from the forces, the plan from the plan.
    assert!(c["measures"].as_array().unwrap().iter().all(|m| m[1] == true), "{c}");
    let (s, e) = app.post(&town, &close, json!({"on": "2000-01-01", "note": "验收"})).await;
    assert_eq!((s, err(&e)), (422, "date_before_identified"), "{e}");
    let (s, c) = app.post(&town, &close, body.clone()).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["state"], "closed");
    assert!(c["history"].as_array().unwrap().len() >= 10, "{c}");
    // Closed: nothing more changes; a new case may be opened later.
    let (s, e) = app.post(&town, &format!("/api/v1/rectification/cases/{id}/problems"), json!({"text": "新问题"})).await;
    assert_eq!((s, err(&e)), (409, "case_closed"));

    // The board and ledger of the township; out of scope looks like not-found.
    let (s, b) = app.get(&town, &format!("/api/v1/orgs/{}/rectification", app.tree.town.id)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!((b["closed"].as_i64(), b["problems"]["total"].as_i64(), b["problems"]["resolved"].as_i64()), (Some(1), Some(3), Some(2)), "{b}");
    assert_eq!(b["cases"][0]["forces"].as_array().unwrap().len(), 4);
    let r = app.client.get(format!("{}/api/v1/orgs/{}/rectification.xlsx", app.url, app.tree.town.id)).bearer_auth(&town).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..2], b"PK");
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/rectification/cases/{id}")).await.0, 404);
    assert_eq!(app.get(&sec, &format!("/api/v1/rectification/cases/{id}")).await.0, 200, "the branch reads its own case");
});

both_backends!(records_suggest_without_a_quota, |app: TestApp| async move {
    let t = app.token("admin").await;
    let va = app.tree.village_a.id;
    let (s, v) = app.patch(&t, &format!("/api/v1/orgs/{va}"), json!({"founded_on": "2015-03-01"})).await;
    assert_eq!(s, 200, "{v}");
    app.member(&t, &app.tree.village_a, "老党员", &common::id("1950-02-02", 1)).await;
    let year = chrono::Datelike::year(&yinghuo::db::today());
    let (s, list) = app.get(&t, &format!("/api/v1/orgs/{}/rectification/suggestions?year={year}", app.tree.town.id)).await;
    assert_eq!(s, 200, "{list}");
    let row = list.as_array().unwrap().iter().find(|x| x["org_id"] == va).unwrap_or_else(|| panic!("{list}"));
    let reasons: Vec<String> = row["reasons"].as_array().unwrap().iter().map(|r| r[0].as_str().unwrap().to_string()).collect();
    assert!(reasons.iter().any(|r| r.contains("书记")), "{row}");
    assert!(row["reasons"].as_array().unwrap().iter().any(|r| r[1].as_str().unwrap().contains("近3年未发展党员")), "{row}");
    // Once identified, it is no longer suggested.
    case(&app, &t, va).await;
    let (_, list) = app.get(&t, &format!("/api/v1/orgs/{}/rectification/suggestions?year={year}", app.tree.town.id)).await;
    assert!(!list.as_array().unwrap().iter().any(|x| x["org_id"] == va), "{list}");
});

both_backends!(fifty_parallel_updates_keep_the_counts, |app: TestApp| async move {
    let town = app.token("town").await;
    let c = case(&app, &town, app.tree.village_a.id).await;
    let id = c["id"].as_i64().unwrap();
    let mut pids = Vec::new();
    for i in 0..10 {
        let (s, c) = app.post(&town, &format!("/api/v1/rectification/cases/{id}/problems"), json!({"text": format!("问题{i}")})).await;
        assert_eq!(s, 200);
        pids.push(c["problems"].as_array().unwrap().last().unwrap()["id"].as_i64().unwrap());
    }
    // Five callers per problem, each moving it to resolved: one wins per problem.
    let calls = (0..50).map(|i| {
        let (client, url, tok) = (app.client.clone(), format!("{}/api/v1/rectification/problems/{}", app.url, pids[i % 10]), town.clone());
        async move { client.post(url).bearer_auth(tok).json(&json!({"state": "resolved", "note": format!("第{i}次办理")})).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    let (_, c) = app.get(&town, &format!("/api/v1/rectification/cases/{id}")).await;
    assert_eq!((c["counts"]["total"].as_i64(), c["counts"]["resolved"].as_i64(), c["counts"]["open"].as_i64()), (Some(10), Some(10), Some(0)), "{c}");
});
