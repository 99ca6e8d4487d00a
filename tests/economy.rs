//! Collective economy over real HTTP, on SQLite and PostgreSQL: incomes against the thresholds at
//! their boundaries, reversals once (50 in parallel), what counts, cooperatives and their titles,
//! the board and ledger, scope, and the cadres' “四不一起” sign fed by last year's income.

mod common;

use common::TestApp;
use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn this_year() -> i32 {
    chrono::Datelike::year(&yinghuo::db::today())
}

both_backends!(villages_stand_against_the_thresholds, |app: TestApp| async move {
    let t = app.token("admin").await;
    let (va, vb) = (app.tree.village_a.id, app.tree.village_b.id);
    let y = this_year() - 1;
    let income = |org: i64, source: &str, amount: &str| json!({"org_id": org, "year": y, "source": source, "amount": amount, "note": "承包费"});
    // Refusals: not a village, no note, a bad amount, a future year, a secretary.
    let (s, e) = app.post(&t, "/api/v1/economy/incomes", income(app.tree.town.id, "contract", "100")).await;
    assert_eq!((s, err(&e)), (422, "not_a_village"));
    let (s, e) = app.post(&t, "/api/v1/economy/incomes", json!({"org_id": va, "year": y, "source": "contract", "amount": "100"})).await;
    assert_eq!((s, err(&e)), (422, "note_required"));
    let (s, e) = app.post(&t, "/api/v1/economy/incomes", income(va, "contract", "12.345")).await;
    assert_eq!((s, err(&e)), (422, "amount_invalid"));
    let (s, e) = app.post(&t, "/api/v1/economy/incomes", json!({"org_id": va, "year": this_year() + 1, "source": "contract", "amount": "1", "note": "x"})).await;
    assert_eq!((s, err(&e)), (422, "year_invalid"));
    let sec = app.token("sec_a").await;
    assert_eq!(app.post(&sec, "/api/v1/economy/incomes", income(va, "contract", "100")).await.0, 403);
    // Village A: 49,999.99 yuan (weak); village B: exactly 50,000.
    assert_eq!(app.post(&t, "/api/v1/economy/incomes", income(va, "contract", "30000")).await.0, 201);
    assert_eq!(app.post(&t, "/api/v1/economy/incomes", income(va, "operating", "19999.99")).await.0, 201);
    let (s, wrong) = app.post(&t, "/api/v1/economy/incomes", income(vb, "investment", "80000")).await;
    assert_eq!(s, 201);
    assert_eq!(app.post(&t, "/api/v1/economy/incomes", income(vb, "subsidy", "50000")).await.0, 201);
    // The wrong entry is reversed, once; the reversal itself cannot be reversed.
    let wid = wrong["id"].as_i64().unwrap();
    let (s, e) = app.post(&t, &format!("/api/v1/economy/incomes/{wid}/reverse"), json!({})).await;
    assert_eq!((s, err(&e)), (422, "reason_required"));
    let (s, r) = app.post(&t, &format!("/api/v1/economy/incomes/{wid}/reverse"), json!({"reason": "误将镇里项目记入本村"})).await;
    assert_eq!((s, r["amount_fen"].as_i64()), (201, Some(-8_000_000)), "{r}");
    let (s, e) = app.post(&t, &format!("/api/v1/economy/incomes/{}/reverse", r["id"]), json!({"reason": "再冲"})).await;
    assert_eq!((s, err(&e)), (409, "is_correction"));
    let (_, b) = app.get(&t, &format!("/api/v1/orgs/{}/economy?year={y}", app.tree.town.id)).await;
    let row = |id: i64| b["rows"].as_array().unwrap().iter().find(|r| r["org_id"] == id).unwrap().clone();
    assert_eq!((row(va)["income_fen"].as_i64(), row(va)["band"]["weak"].as_bool()), (Some(4_999_999), Some(true)), "{b}");
    assert_eq!((row(vb)["income_fen"].as_i64(), row(vb)["band"]["index"].as_i64()), (Some(5_000_000), Some(1)), "{b}");
    assert_eq!((b["weak"].as_i64(), b["reported"].as_i64()), (Some(1), Some(2)));
    assert!(row(va)["band"]["explanation"].as_str().unwrap().contains("薄弱村"));
    // The village's entries show the reversal beside the original.
    let (_, list) = app.get(&t, &format!("/api/v1/orgs/{vb}/economy/incomes?year={y}")).await;
    assert!(list.as_array().unwrap().iter().any(|e| e["id"].as_i64() == Some(wid) && e["reversed"] == true), "{list}");
    // The ledger opens as a workbook; another township's secretary sees none of it.
    let r = app.client.get(format!("{}/api/v1/orgs/{}/economy.xlsx?year={y}", app.url, app.tree.town.id)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..2], b"PK");
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/orgs/{va}/economy/incomes?year={y}")).await.0, 404);

    // Cooperatives and their titles.
    let (s, c) = app.post(&t, "/api/v1/economy/cooperatives", json!({"org_id": va, "name": "关村冬枣专业合作社", "business": "冬枣种植", "households": 120})).await;
    assert_eq!(s, 201, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let (s, e) = app.post(&t, &format!("/api/v1/economy/cooperatives/{cid}/level"), json!({"level": "provincial", "year": y})).await;
    assert_eq!((s, err(&e)), (422, "document_required"));
    let (s, c) = app.post(&t, &format!("/api/v1/economy/cooperatives/{cid}/level"), json!({"level": "省级示范社", "year": y, "document": "晋农经发〔2025〕8号"})).await;
    assert_eq!((s, c["level"].as_str()), (200, Some("provincial")), "{c}");

    // The secretary of village A carries the “四不一起” sign of an income below 5万元.
    let m = app.member(&t, &app.tree.village_a, "王书记", &common::id("1970-01-01", 1)).await;
    let (s, v) = app.post(&t, &format!("/api/v1/orgs/{va}/team"), json!({"member_id": m, "post": "secretary", "starts_on": "2021-01-01"})).await;
    assert_eq!(s, 201, "{v}");
    let (_, o) = app.get(&t, &format!("/api/v1/orgs/{}/cadres", app.tree.town.id)).await;
    let text = o.to_string();
    assert!(text.contains("income_low"), "{o}");
});

both_backends!(fifty_parallel_reversals_record_one, |app: TestApp| async move {
    let t = app.token("admin").await;
    let va = app.tree.village_a.id;
    let (s, e) = app.post(&t, "/api/v1/economy/incomes", json!({"org_id": va, "year": this_year(), "source": "operating", "amount": "1000", "note": "农家乐"})).await;
    assert_eq!(s, 201, "{e}");
    let url = format!("{}/api/v1/economy/incomes/{}/reverse", app.url, e["id"]);
    let calls = (0..50).map(|i| {
        let (client, url, tok) = (app.client.clone(), url.clone(), t.clone());
        async move { client.post(url).bearer_auth(tok).json(&json!({"reason": format!("重复登记{i}")})).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    let (_, b) = app.get(&t, &format!("/api/v1/orgs/{va}/economy")).await;
    assert_eq!(b["rows"][0]["income_fen"], 0, "{b}");
    // Entries are append-only in the database itself.
    assert!(sqlx::query("UPDATE econ_incomes SET amount_fen = 1").execute(&app.db.pool).await.is_err());
    assert!(sqlx::query("DELETE FROM econ_incomes").execute(&app.db.pool).await.is_err());
});
