//! 好差评 over real HTTP, on SQLite and PostgreSQL: a window's public page (no login), the five
//! grades, a 差评's follow-up due in 15 working days and closed only with the resident's answer,
//! the report per window and department over a period, scope, and 50 parallel closings of one
//! 差评 recording one.

mod common;

use common::TestApp;
use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn today() -> String {
    yinghuo::db::today().to_string()
}

async fn window(app: &TestApp, token: &str, org: i64, name: &str, dept: &str) -> Value {
    let (s, w) = app.post(token, "/api/v1/service-ratings/windows", json!({"org_id": org, "name": name, "department": dept})).await;
    assert_eq!(s, 201, "{w}");
    w
}

both_backends!(residents_rate_and_every_bad_rating_is_followed_up, |app: TestApp| async move {
    let town = app.token("town").await;
    let t = app.tree.town.id;
    let sec = app.token("sec_a").await;
    let (s, _) = app.post(&sec, "/api/v1/service-ratings/windows", json!({"org_id": app.tree.village_a.id, "name": "x", "department": "y"})).await;
    assert_eq!(s, 403);
    let w1 = window(&app, &town, t, "社保医保窗口", "县人社局").await;
    let w2 = window(&app, &town, t, "不动产登记窗口", "县自然资源局").await;
    let code = w1["code"].as_str().unwrap();
    // The public page, no login: a resident rates; a bad grade or phone is refused with a reason.
    let page = app.client.get(format!("{}/r/{code}", app.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("社保医保窗口"));
    let post = |form: Vec<(&'static str, String)>, code: String| {
        let client = app.client.clone();
        let url = format!("{}/r/{code}", app.url);
        async move {
            let r = client.post(url).form(&form).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, body) = post(vec![("grade", "great".into())], code.into()).await;
    assert_eq!(s, 422, "{body}");
    let (s, _) = post(vec![("grade", "dissatisfied".into()), ("contact", "12345".into())], code.into()).await;
    assert_eq!(s, 422);
    for g in ["very_satisfied", "satisfied", "satisfied", "basic"] {
        assert_eq!(post(vec![("grade", g.into())], code.into()).await.0, 200);
    }
    let (s, body) = post(vec![("grade", "very_dissatisfied".into()), ("comment", "排队两小时".into()), ("contact", "13912345678".into())], code.into()).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(app.client.get(format!("{}/r/nosuchwindow", app.url)).send().await.unwrap().status(), 404);
    // A rating from the second window's device.
    let (s, bad2) = app.post(&town, &format!("/api/v1/service-ratings/windows/{}/ratings", w2["id"]), json!({"grade": "不满意", "comment": "材料要求说不清"})).await;
    assert_eq!(s, 201, "{bad2}");
    assert!(bad2["due_on"].as_str().unwrap() > today().as_str());

    // The report: per window and department, 好评率, the 差评 with their due dates.
    let (s, r) = app.get(&town, &format!("/api/v1/orgs/{t}/service-ratings?from={}&to={}", today(), today())).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["total"]["total"].as_i64(), r["total"]["good"].as_i64(), r["total"]["bad"].as_i64()), (Some(6), Some(3), Some(2)), "{}", r["total"]);
    assert_eq!(r["total"]["good_bp"], 5000);
    let dept = r["departments"].as_array().unwrap().iter().find(|d| d["name"] == "县人社局").unwrap();
    assert_eq!((dept["tally"]["total"].as_i64(), dept["tally"]["bad_open"].as_i64()), (Some(5), Some(1)));
    let bad = r["bad"].as_array().unwrap().iter().find(|b| b["window_id"] == w1["id"]).unwrap().clone();
    assert_eq!(bad["contact"], "13912345678", "the office that follows up sees the phone");
    let id = bad["id"].as_i64().unwrap();

    // Follow-up: the account of what was done, then the resident's answer closes it.
    let f = format!("/api/v1/service-ratings/ratings/{id}/followups");
    let (s, e) = app.post(&town, &f, json!({"on": today(), "what": "x"})).await;
    assert_eq!((s, err(&e)), (422, "what_required"));
    let (s, v) = app.post(&town, &f, json!({"on": today(), "what": "人社局窗口增开一个号段，科长电话回访"})).await;
    assert_eq!((s, v["closed_on"].is_null()), (200, true), "{v}");
    let (s, v) = app.post(&town, &f, json!({"on": today(), "what": "再次电话回访", "answer": "满意，现在不用排那么久"})).await;
    assert_eq!((s, v["closed_on"].as_str()), (200, Some(today().as_str())), "{v}");
    assert_eq!(v["followups"].as_array().unwrap().len(), 2);
    let (s, e) = app.post(&town, &f, json!({"on": today(), "what": "再回访", "answer": "好"})).await;
    assert_eq!((s, err(&e)), (409, "already_closed"));
    // A good rating needs no follow-up.
    let good: i64 = sqlx::query_scalar("SELECT MIN(id) FROM service_ratings WHERE grade = 'satisfied'").fetch_one(&app.db.pool).await.unwrap();
    let (s, e) = app.post(&town, &format!("/api/v1/service-ratings/ratings/{good}/followups"), json!({"on": today(), "what": "回访一下"})).await;
    assert_eq!((s, err(&e)), (422, "not_bad"));
    let (_, r) = app.get(&town, &format!("/api/v1/orgs/{t}/service-ratings")).await;
    assert_eq!((r["total"]["bad_closed_in_time"].as_i64(), r["total"]["bad_open"].as_i64()), (Some(1), Some(1)), "{}", r["total"]);
    // Out of scope looks like not-found; the ledger opens.
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/service-ratings/ratings/{id}")).await.0, 404);
    let x = app.client.get(format!("{}/api/v1/orgs/{t}/service-ratings.xlsx", app.url)).bearer_auth(&town).send().await.unwrap();
    assert_eq!(x.status(), 200);
    assert_eq!(&x.bytes().await.unwrap()[..2], b"PK");
    // The follow-up is audited at the window's org.
    let audited: Vec<i64> = sqlx::query_scalar("SELECT org_id FROM audit_log WHERE action = 'ratings.followup'").fetch_all(&app.db.pool).await.unwrap();
    assert!(!audited.is_empty() && audited.iter().all(|o| *o == t), "{audited:?}");
    // Follow-ups are append-only in the database itself.
    assert!(sqlx::query("UPDATE rating_followups SET what = 'x'").execute(&app.db.pool).await.is_err());
});

both_backends!(fifty_parallel_closings_record_one, |app: TestApp| async move {
    let town = app.token("town").await;
    let w = window(&app, &town, app.tree.town.id, "综合窗口", "镇便民服务中心").await;
    let (s, b) = app.post(&town, &format!("/api/v1/service-ratings/windows/{}/ratings", w["id"]), json!({"grade": "dissatisfied"})).await;
    assert_eq!(s, 201, "{b}");
    let url = format!("{}/api/v1/service-ratings/ratings/{}/followups", app.url, b["id"]);
    let calls = (0..50).map(|i| {
        let (client, url, tok) = (app.client.clone(), url.clone(), town.clone());
        async move { client.post(url).bearer_auth(tok).json(&json!({"on": today(), "what": format!("第{i}次回访整改"), "answer": "满意"})).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rating_followups").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(n, 1, "refused closings left no follow-up behind");
});
