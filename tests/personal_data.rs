//! Personal data (个人信息保护法): lists are masked, every full read is logged, numbers typed into
//! public text are masked before publication, tracking codes are kept only as a keyed digest,
//! and only villages and communities take public requests.

mod common;

use serde_json::{json, Value};
use sqlx::Row as _;

use common::TestApp;

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    let mut conn = app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action).fetch_one(&mut *conn).await.unwrap()
}

both_backends!(full_reads_are_logged_and_public_text_is_masked, |app: TestApp| async move {
    let tr = &app.tree;
    let t = app.token("admin").await;
    let v = tr.village_a.id;
    // A request whose text holds a phone and an ID number.
    let id_no = common::id("1990-06-06", 21);
    let (s, c) = app
        .post(&t, "/api/v1/requests", json!({"org_id": v, "source": "door_knocking", "category": "环境卫生", "text": format!("路灯坏了，请打13912345678或查身份证{id_no}"), "contact_name": "王阿姨", "contact_phone": "13912345678"}))
        .await;
    assert_eq!(s, 201, "{c}");
    let rid = c["id"].as_i64().unwrap();
    let code = c["tracking_code"].as_str().unwrap().to_string();

    // The stored digest is keyed: neither the code nor its plain SHA-256 is in the database.
    let mut conn = app.db.pool.acquire().await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT tracking_digest FROM requests WHERE id = $1").bind(rid).fetch_one(&mut *conn).await.unwrap();
    let parsed = yinghuo::requests::rules::TrackingCode::parse(&code).unwrap();
    assert_ne!(stored, parsed.legacy_digest());
    let key: String = sqlx::query("SELECT value FROM app_secrets WHERE name = 'tracking_code_key'").fetch_one(&mut *conn).await.unwrap().try_get("value").unwrap();
    assert_eq!(key.len(), 64, "a 32-byte key made at the first migration");
    drop(conn);
    // …and the code still finds the request.
    let page = app.client.get(format!("{}/p/track?code={code}", app.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);

    // Lists are masked for everyone; the request's own view shows the contact and is logged.
    let (s, list) = app.get(&t, &format!("/api/v1/orgs/{v}/requests/open")).await;
    assert_eq!(s, 200, "{list}");
    assert!(!list.to_string().contains("13912345678"), "{list}");
    let before = audit_count(&app, "request.view_sensitive").await;
    let (s, one) = app.get(&t, &format!("/api/v1/requests/{rid}")).await;
    assert_eq!(s, 200);
    assert_eq!(one["request"]["contact_phone"], "13912345678", "{one}");
    assert_eq!(audit_count(&app, "request.view_sensitive").await, before + 1);

    // Verified without a public text of its own: the published text is the resident's, masked.
    let (s, r) = app.post(&t, &format!("/api/v1/requests/{rid}/actions"), json!({"action": "verify"})).await;
    assert_eq!(s, 200, "{r}");
    let j = tr.village_a.code.clone();
    let o311: Value = app.client.get(format!("{}/open311/v2/requests/{rid}.json?jurisdiction_id={j}", app.url)).send().await.unwrap().json().await.unwrap_or(Value::Null);
    let text = o311.to_string();
    assert!(!text.contains("13912345678") && !text.contains(&id_no), "{text}");
    assert!(text.contains("139****5678"), "{text}");

    // A dispute's parties: logged when shown in full.
    let (s, d) = app.post(&t, "/api/v1/disputes", json!({"org_id": v, "category": "neighbour", "risk": "general", "summary": "排水沟争执", "parties": [{"name": "孙小红", "phone": "13500002222"}]})).await;
    assert_eq!(s, 201, "{d}");
    let before = audit_count(&app, "dispute.view_sensitive").await;
    let (s, _) = app.get(&t, &format!("/api/v1/disputes/{}", d["id"])).await;
    assert_eq!(s, 200);
    assert_eq!(audit_count(&app, "dispute.view_sensitive").await, before + 1);
    // A role without full reads sees masked parties and logs nothing.
    common::add_user(&app.db, "gworker", "grid_worker", &tr.village_a, None).await;
    let gw = app.token("gworker").await;
    let (s, seen) = app.get(&gw, &format!("/api/v1/disputes/{}", d["id"])).await;
    assert_eq!(s, 200, "{seen}");
    assert!(!seen.to_string().contains("13500002222"), "{seen}");
    assert_eq!(audit_count(&app, "dispute.view_sensitive").await, before + 1);
});

both_backends!(only_villages_and_communities_take_public_requests, |app: TestApp| async move {
    let tr = &app.tree;
    for (org, ok) in [(&tr.village_a, true), (&tr.county, false), (&tr.town, false), (&tr.group_a, false), (&tr.organ, false)] {
        let r = app
            .client
            .post(format!("{}/open311/v2/requests.json", app.url))
            .form(&[("jurisdiction_id", org.code.as_str()), ("service_code", "sanitation"), ("description", "垃圾桶满了")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status() == 201, ok, "{}: {}", org.code, r.status());
        let page = app.client.get(format!("{}/p/{}", app.url, org.code)).send().await.unwrap();
        let status = page.status();
        let body = page.text().await.unwrap_or_default();
        assert_eq!(status == 200, ok, "/p/{}: {} {}", org.code, status, body.chars().take(3000).collect::<String>());
    }
});
