//! Household points and the 文明超市 over real HTTP, on SQLite and PostgreSQL: civic-practice
//! entries with evidence, corrections as reversing transfers, the supermarket's goods and stock,
//! redemptions as two movements summing to zero, refusals that change nothing, scope, the
//! workbook and pages; 100 concurrent redemptions of the last 10 items and 50 of one balance.

mod common;

use common::TestApp;
use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// A grid in `org` and `n` households in it; their ids.
async fn households(app: &TestApp, token: &str, org: i64, code: &str, n: usize) -> Vec<i64> {
    let (s, g) = app.post(token, "/api/v1/grids", json!({"org_id": org, "kind": "full", "code": code, "name": format!("{code}网格")})).await;
    assert_eq!(s, 201, "{g}");
    let gid = g["id"].as_i64().unwrap();
    let mut out = Vec::new();
    for i in 0..n {
        let (s, h) = app.post(token, "/api/v1/households", json!({"grid_id": gid, "address": format!("东大街{}号", i + 1), "head_name": format!("户主{}", char::from_u32(0x4e00 + i as u32).unwrap())})).await;
        assert_eq!(s, 201, "{h}");
        out.push(h["id"].as_i64().unwrap());
    }
    out
}

async fn market(app: &TestApp, token: &str, org: i64) -> i64 {
    let (s, m) = app.post(token, "/api/v1/supermarket", json!({"org_id": org, "name": "东关村文明超市"})).await;
    assert_eq!(s, 201, "{m}");
    m["id"].as_i64().unwrap()
}

async fn good(app: &TestApp, token: &str, market: i64, name: &str, price: i64, stock: i64) -> i64 {
    let (s, g) = app.post(token, &format!("/api/v1/supermarket/{market}/goods"), json!({"name": name, "unit": "袋", "price": price})).await;
    assert_eq!(s, 201, "{g}");
    let gid = g["id"].as_i64().unwrap();
    let (s, g) = app.post(token, &format!("/api/v1/supermarket/{market}/stock"), json!({"good_id": gid, "quantity": stock, "kind": "restock", "note": "县供销社"})).await;
    assert_eq!((s, g["stock"].as_i64()), (200, Some(stock)), "{g}");
    gid
}

async fn earn(app: &TestApp, token: &str, household: i64, item: &str) -> Value {
    let (s, p) = app.post(token, &format!("/api/v1/points/households/{household}/civic"), json!({"item": item, "on": yinghuo::db::today().to_string(), "evidence": "入户查看"})).await;
    assert_eq!(s, 200, "{p}");
    p
}

both_backends!(civic_points_and_a_redemption, |app: TestApp| async move {
    let t = app.token("admin").await;
    let sec = app.token("sec_a").await;
    let (va, vb) = (app.tree.village_a.id, app.tree.village_b.id);
    let (s, e) = app.post(&t, "/api/v1/supermarket", json!({"org_id": app.tree.organ.id})).await;
    assert_eq!((s, err(&e)), (422, "not_a_village"));
    let m = market(&app, &sec, va).await;
    assert_eq!(app.post(&t, "/api/v1/supermarket", json!({"org_id": va})).await.0, 409);
    let soap = good(&app, &sec, m, "洗衣粉", 30, 5).await;
    let towel = good(&app, &sec, m, "毛巾", 15, 1).await;
    let (s, e) = app.post(&sec, &format!("/api/v1/supermarket/{m}/stock"), json!({"good_id": soap, "quantity": 3, "kind": "donation"})).await;
    assert_eq!((s, err(&e)), (422, "donor_required"));
    let hs = households(&app, &sec, va, "QK01", 2).await;
    // Civic practice: an item of the catalog with its evidence.
    let (s, e) = app.post(&sec, &format!("/api/v1/points/households/{}/civic", hs[0]), json!({"item": "打扫", "on": yinghuo::db::today().to_string(), "evidence": "x"})).await;
    assert_eq!((s, err(&e)), (422, "item_invalid"));
    let (s, e) = app.post(&sec, &format!("/api/v1/points/households/{}/civic", hs[0]), json!({"item": "孝老爱亲", "on": yinghuo::db::today().to_string()})).await;
    assert_eq!((s, err(&e)), (422, "evidence_required"));
    for item in ["孝老爱亲", "孝老爱亲", "移风易俗（红白事简办）", "tidy_yard", "tidy_yard"] {
        earn(&app, &sec, hs[0], item).await;
    }
    let p = earn(&app, &sec, hs[0], "filial").await;
    assert_eq!(p["balance"], 50, "{p}");
    // Too dear: refused, nothing taken.
    let redeem = format!("/api/v1/supermarket/{m}/redeem");
    let (s, e) = app.post(&sec, &redeem, json!({"household_id": hs[0], "items": [{"good_id": soap, "quantity": 2}]})).await;
    assert_eq!((s, err(&e)), (422, "points_short"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("还差 10 分"), "{e}");
    let (s, e) = app.post(&sec, &redeem, json!({"household_id": hs[0], "items": [{"good_id": towel, "quantity": 2}]})).await;
    assert_eq!((s, err(&e)), (422, "out_of_stock"));
    let (_, mv) = app.get(&sec, &format!("/api/v1/supermarket/{m}")).await;
    assert_eq!(mv["goods"].as_array().unwrap().iter().map(|g| g["stock"].as_i64().unwrap()).sum::<i64>(), 6, "{mv}");
    // Found by card code at the counter, then a basket of two goods.
    let (_, p) = app.get(&sec, &format!("/api/v1/points/households/{}", hs[0])).await;
    let card = p["card_code"].as_str().unwrap().to_lowercase();
    let (_, found) = app.get(&sec, &format!("/api/v1/supermarket/{m}/households?q={card}")).await;
    assert_eq!(found[0]["household_id"].as_i64(), Some(hs[0]), "{found}");
    let (s, r) = app.post(&sec, &redeem, json!({"card_code": card, "items": [{"good_id": soap, "quantity": 1}, {"good_id": towel, "quantity": 1}]})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["points"].as_i64(), r["balance_after"].as_i64()), (Some(45), Some(5)), "{r}");
    let (_, list) = app.get(&sec, &format!("/api/v1/supermarket/{m}/redemptions")).await;
    assert_eq!((list[0]["household_movement"].as_i64(), list[0]["market_movement"].as_i64()), (Some(-45), Some(45)), "{list}");
    // A household of another village is not served here.
    let other = households(&app, &t, vb, "QK02", 1).await;
    let (s, e) = app.post(&t, &redeem, json!({"household_id": other[0], "items": [{"good_id": soap, "quantity": 1}]})).await;
    assert_eq!((s, err(&e)), (422, "household_elsewhere"));
    // Corrections: a spent entry cannot be taken back; an unspent one once.
    let (_, p) = app.get(&sec, &format!("/api/v1/points/households/{}", hs[0])).await;
    let first_earned = p["entries"].as_array().unwrap().iter().rev().find(|e| e["points"].as_i64().unwrap() > 0).unwrap()["transfer_id"].as_i64().unwrap();
    let (s, e) = app.post(&sec, &format!("/api/v1/points/transfers/{first_earned}/reverse"), json!({"reason": "误登记"})).await;
    assert_eq!((s, err(&e)), (422, "points_spent"), "{e}");
    let p = earn(&app, &sec, hs[1], "tidy_yard").await;
    let tid = p["entries"][0]["transfer_id"].as_i64().unwrap();
    let (s, e) = app.post(&sec, &format!("/api/v1/points/transfers/{tid}/reverse"), json!({})).await;
    assert_eq!((s, err(&e)), (422, "reason_required"));
    let (s, p) = app.post(&sec, &format!("/api/v1/points/transfers/{tid}/reverse"), json!({"reason": "误登记"})).await;
    assert_eq!((s, p["balance"].as_i64()), (200, Some(0)), "{p}");
    assert!(p["entries"].as_array().unwrap().iter().any(|e| e["reversed"] == true), "{p}");
    assert_eq!(app.post(&sec, &format!("/api/v1/points/transfers/{tid}/reverse"), json!({"reason": "再次"})).await.0, 409);
    // Scope: the other village's secretary sees neither the supermarket nor the household.
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/supermarket/{m}")).await.0, 404);
    assert_eq!(app.get(&sec_b, &format!("/api/v1/points/households/{}", hs[0])).await.0, 404);
    let r = app.client.get(format!("{}/api/v1/supermarket/{m}/ledger.xlsx", app.url)).bearer_auth(&sec).send().await.unwrap();
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    // The pages: the shelf, the counter with the household chosen by its card, its points.
    let c = common::ui_login(&app, "sec_a").await;
    let page = c.get(format!("{}/orgs/{va}/supermarket", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("洗衣粉") && page.contains("兑换柜台"), "{page}");
    let page = c.get(format!("{}/supermarket/{m}/counter?q={card}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("可用积分") && page.contains("qty_"), "{page}");
    let page = c.get(format!("{}/households/{}/points", app.url, hs[0])).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("文明超市兑换") && page.contains("孝老爱亲"), "{page}");
    // The printed card carries the code and a QR that opens this supermarket's counter on it.
    let page = c.get(format!("{}/households/{}/card", app.url, hs[0])).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("东关村文明超市积分卡") && page.contains(&card.to_uppercase()) && page.contains("<svg"), "{page}");
});

both_backends!(concurrent_redemptions_never_go_below_zero, |app: TestApp| async move {
    let t = app.token("admin").await;
    let va = app.tree.village_a.id;
    let m = market(&app, &t, va).await;
    let scarce = good(&app, &t, m, "食用油", 10, 10).await;
    let plenty = good(&app, &t, m, "肥皂", 5, 1000).await;
    let hs = households(&app, &t, va, "QK01", 20).await;
    for h in &hs {
        earn(&app, &t, *h, "孝老爱亲").await;
        earn(&app, &t, *h, "孝老爱亲").await;
    }
    // 100 counters at once for the last 10 bottles: exactly 10 succeed.
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (url, tok, client, h) = (format!("{}/api/v1/supermarket/{m}/redeem", app.url), t.clone(), app.client.clone(), hs[i % hs.len()]);
        tasks.push(tokio::spawn(async move {
            let r = client.post(url).bearer_auth(tok).json(&json!({"household_id": h, "items": [{"good_id": scarce, "quantity": 1}]})).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }));
    }
    let mut ok = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            200 => ok += 1,
            422 => assert!(matches!(err(&body), "out_of_stock" | "points_short"), "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 10);
    let (_, mv) = app.get(&t, &format!("/api/v1/supermarket/{m}")).await;
    let stock = |id: i64| mv["goods"].as_array().unwrap().iter().find(|g| g["id"].as_i64() == Some(id)).unwrap()["stock"].as_i64().unwrap();
    assert_eq!(stock(scarce), 0);
    // 50 counters at once on one household's 20 points, 5 each: exactly 4 succeed, balance 0.
    let h = hs[19];
    let (_, before) = app.get(&t, &format!("/api/v1/points/households/{h}")).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (url, tok, client) = (format!("{}/api/v1/supermarket/{m}/redeem", app.url), t.clone(), app.client.clone());
        tasks.push(tokio::spawn(async move { client.post(url).bearer_auth(tok).json(&json!({"household_id": h, "items": [{"good_id": plenty, "quantity": 1}]})).send().await.unwrap().status().as_u16() }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            200 => ok += 1,
            422 => {}
            other => panic!("unexpected {other}"),
        }
    }
    let (_, after) = app.get(&t, &format!("/api/v1/points/households/{h}")).await;
    assert_eq!(ok, before["balance"].as_i64().unwrap() / 5, "{before} → {after}");
    assert_eq!(after["balance"], 0, "{after}");
    let (_, mv) = app.get(&t, &format!("/api/v1/supermarket/{m}")).await;
    assert_eq!(mv["goods"].as_array().unwrap().iter().find(|g| g["id"].as_i64() == Some(plenty)).unwrap()["stock"].as_i64(), Some(1000 - ok));
    // The ledger balances: every transfer's movements sum to zero; balances equal movements.
    let sums: Vec<i64> = sqlx::query_scalar("SELECT CAST(SUM(points) AS BIGINT) FROM point_movements GROUP BY transfer_id").fetch_all(&app.db.pool).await.unwrap();
    assert!(!sums.is_empty() && sums.iter().all(|s| *s == 0), "{sums:?}");
    let off: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM point_accounts a WHERE a.balance <> (SELECT COALESCE(SUM(m.points), 0) FROM point_movements m WHERE m.account_id = a.id)").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(off, 0);
    let neg: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM point_accounts WHERE kind <> 'source' AND balance < 0").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(neg, 0);
});

both_backends!(member_points_follow_the_records, |app: TestApp| async move {
    let t = app.token("admin").await;
    let va = app.tree.village_a.id;
    let m = app.member(&t, &app.tree.village_a, "积分党员", &common::id("1980-08-08", 5)).await;
    let other = app.member(&t, &app.tree.village_a, "另一党员", &common::id("1981-08-08", 7)).await;
    let held = yinghuo::db::today() - chrono::Duration::days(2);
    let year = chrono::Datelike::year(&held);
    let (s, mt) = app.post(&t, "/api/v1/meetings", json!({"org_id": va, "kind": "party_lecture", "topic": "专题党课", "planned_start": format!("{held} 09:00")})).await;
    assert_eq!(s, 201, "{mt}");
    let mid = mt["id"].as_i64().unwrap_or_else(|| mt["meeting"]["id"].as_i64().unwrap());
    let (s, e) = app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!([{"member_id": m, "status": "present"}, {"member_id": other, "status": "absent"}])).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(app.post(&t, &format!("/api/v1/meetings/{mid}/hold"), json!({"held_on": held.to_string()})).await.0, 200);
    // A meeting attended gives its points with no other entry; an absence costs 基础分.
    let path = format!("/api/v1/points/members/{m}?year={year}");
    let (s, p) = app.get(&t, &path).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!((p["task"].as_i64(), p["base"].as_i64(), p["total"].as_i64()), (Some(2), Some(20), Some(22)), "{p}");
    assert_eq!(p["entries"][0]["rule"], "meeting_present");
    assert!(p["entries"][0]["source"].as_str().unwrap().contains("专题党课"), "{p}");
    let (_, o) = app.get(&t, &format!("/api/v1/points/members/{other}?year={year}")).await;
    assert_eq!((o["base"].as_i64(), o["total"].as_i64()), (Some(18), Some(18)), "{o}");
    // Reading again appends nothing.
    let (_, again) = app.get(&t, &path).await;
    assert_eq!(again["entries"].as_array().unwrap().len(), 1);
    // A correction of the record reverses its points with a new entry: leave costs nothing.
    let (s, e) = app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!([{"member_id": m, "status": "excused", "reason": "生病住院"}, {"member_id": other, "status": "excused", "reason": "外出务工"}])).await;
    assert_eq!(s, 200, "{e}");
    let (_, p) = app.get(&t, &path).await;
    assert_eq!((p["total"].as_i64(), p["entries"].as_array().unwrap().len()), (Some(20), 2), "{p}");
    assert_eq!(p["entries"][0]["points"], -2);
    let (_, o) = app.get(&t, &format!("/api/v1/points/members/{other}?year={year}")).await;
    assert_eq!(o["total"], 20, "{o}");
    // The county's catalog overrides the default: attendance worth 5.
    app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!([{"member_id": m, "status": "present"}])).await;
    let (s, c) = app.put(&t, &format!("/api/v1/orgs/{}/points-catalog", app.tree.county.id), json!({"catalog": {"meeting_present": 5, "rankings": false}})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["from"], "中共测试县委员会");
    let (_, c) = app.get(&t, &format!("/api/v1/orgs/{va}/points-catalog")).await;
    assert_eq!(c["catalog"]["meeting_present"], 5);
    let (_, p) = app.get(&t, &path).await;
    assert_eq!(p["task"], 5, "{p}");
    let (s, e) = app.put(&t, &format!("/api/v1/orgs/{}/points-catalog", app.tree.county.id), json!({"catalog": {"meeting_absent": 3}})).await;
    assert_eq!((s, err(&e)), (422, "catalog_invalid"));
    // The branch's own entry with evidence; rankings off: no rank.
    let sec = app.token("sec_a").await;
    let (s, e) = app.post(&sec, &format!("/api/v1/points/members/{m}/entries"), json!({"points": 5, "on": held.to_string()})).await;
    assert_eq!((s, err(&e)), (422, "evidence_required"));
    let (s, p) = app.post(&sec, &format!("/api/v1/points/members/{m}/entries"), json!({"points": 5, "note": "获评优秀共产党员", "on": held.to_string()})).await;
    assert_eq!((s, p["reward"].as_i64()), (200, Some(5)), "{p}");
    let (_, b) = app.get(&sec, &format!("/api/v1/orgs/{va}/points?year={year}")).await;
    let me = b["members"].as_array().unwrap().iter().find(|x| x["member_id"].as_i64() == Some(m)).unwrap().clone();
    assert_eq!((me["total"].as_i64(), me["rank"].is_null()), (Some(30), true), "{b}");
    // A wish the member claimed and fulfilled earns its points once fulfilled.
    let (s, _) = app.patch(&t, &format!("/api/v1/members/{m}"), json!({"in_service": true, "work_unit": "县教育局"})).await;
    assert_eq!(s, 200);
    let (s, c) = app.post(&t, "/api/v1/requests", json!({"org_id": va, "source": "door_knocking", "category": "环境卫生", "text": "楼道堆放杂物", "contact_name": "王阿姨", "contact_phone": "13912345678"})).await;
    assert_eq!(s, 201, "{c}");
    let rid = c["id"].as_i64().unwrap();
    for body in [json!({"action": "verify", "public_text": "楼道堆放杂物"}), json!({"action": "publish"}), json!({"action": "claim", "claimant_kind": "member", "claimant_id": m})] {
        let (s, r) = app.post(&t, &format!("/api/v1/requests/{rid}/actions"), body).await;
        assert_eq!(s, 200, "{r}");
    }
    let (_, p) = app.get(&t, &path).await;
    assert!(!p["entries"].as_array().unwrap().iter().any(|e| e["rule"] == "wish_fulfilled"), "claimed, not yet fulfilled: {p}");
    let (s, r) = app.post(&t, &format!("/api/v1/requests/{rid}/actions"), json!({"action": "fulfil", "note": "已清理"})).await;
    assert_eq!(s, 200, "{r}");
    let this_year = chrono::Datelike::year(&yinghuo::db::today());
    let (_, p) = app.get(&t, &format!("/api/v1/points/members/{m}?year={this_year}")).await;
    let wish = p["entries"].as_array().unwrap().iter().find(|e| e["rule"] == "wish_fulfilled").cloned().unwrap_or_else(|| panic!("{p}"));
    assert_eq!((wish["points"].as_i64(), wish["source_id"].as_i64()), (Some(3), Some(rid)), "{wish}");
    // A member reads their own points, not another's; another village cannot.
    common::add_user(&app.db, "pmember", "member", &app.tree.village_a, Some(m)).await;
    let mine = app.token("pmember").await;
    assert_eq!(app.get(&mine, &path).await.0, 200);
    assert_eq!(app.get(&mine, &format!("/api/v1/points/members/{other}")).await.0, 404);
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &path).await.0, 404);
    let c = common::ui_login(&app, "sec_a").await;
    let page = c.get(format!("{}/orgs/{va}/points", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("积分党员") && page.contains("任务分"), "{page}");
    let r = app.client.get(format!("{}/api/v1/orgs/{va}/points.xlsx?year={year}", app.url)).bearer_auth(&sec).send().await.unwrap();
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    let page = c.get(format!("{}/members/{m}/points", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("专题党课") && page.contains("获评优秀共产党员"), "{page}");
});

both_backends!(fifty_parallel_reads_append_each_point_once, |app: TestApp| async move {
    let t = app.token("admin").await;
    let va = app.tree.village_a.id;
    let m = app.member(&t, &app.tree.village_a, "并发积分", &common::id("1982-09-09", 9)).await;
    let held = yinghuo::db::today() - chrono::Duration::days(1);
    let (_, mt) = app.post(&t, "/api/v1/meetings", json!({"org_id": va, "kind": "party_lecture", "topic": "党课", "planned_start": format!("{held} 09:00")})).await;
    let mid = mt["id"].as_i64().unwrap_or_else(|| mt["meeting"]["id"].as_i64().unwrap());
    app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!([{"member_id": m, "status": "present"}])).await;
    assert_eq!(app.post(&t, &format!("/api/v1/meetings/{mid}/hold"), json!({"held_on": held.to_string()})).await.0, 200);
    let year = chrono::Datelike::year(&held);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let url = if i % 2 == 0 { format!("{}/api/v1/points/members/{m}?year={year}", app.url) } else { format!("{}/api/v1/orgs/{va}/points?year={year}", app.url) };
        let (tok, client) = (t.clone(), app.client.clone());
        tasks.push(tokio::spawn(async move { client.get(url).bearer_auth(tok).send().await.unwrap().status().as_u16() }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM member_points WHERE member_id = $1").bind(m).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(n, 1);
});
