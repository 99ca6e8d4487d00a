//! Grid governance over real HTTP, on SQLite and PostgreSQL: grids and households, the
//! request loop with its refusals and arbitration, concurrent claims, the public tracker,
//! Open311, and disputes with escalation and reports.

mod common;

use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

async fn act(app: &common::TestApp, t: &str, id: i64, body: Value) -> (u16, Value) {
    app.post(t, &format!("/api/v1/requests/{id}/actions"), body).await
}

async fn new_request(app: &common::TestApp, t: &str, org: i64) -> (i64, String) {
    let (s, c) = app.post(t, "/api/v1/requests", json!({"org_id": org, "source": "door_knocking", "category": "环境卫生", "text": "楼道堆放杂物，有消防隐患", "contact_name": "王阿姨", "contact_phone": "13912345678"})).await;
    assert_eq!(s, 201, "{c}");
    (c["id"].as_i64().unwrap(), c["tracking_code"].as_str().unwrap().to_string())
}

both_backends!(grids_households_and_buildings, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let v = app.tree.village_a.id;
    let (s, full) = app.post(&t, "/api/v1/grids", json!({"org_id": v, "kind": "full", "code": "QK01", "name": "东关第一全科网格"})).await;
    assert_eq!(s, 201, "{full}");
    let (s, e) = app.post(&t, "/api/v1/grids", json!({"org_id": v, "kind": "micro", "code": "W1", "name": "微网格一"})).await;
    assert_eq!((s, err(&e)), (422, "grid_parent"));
    let (s, micro) = app.post(&t, "/api/v1/grids", json!({"org_id": v, "kind": "micro", "parent_grid_id": full["id"], "code": "W1", "name": "微网格一"})).await;
    assert_eq!(s, 201, "{micro}");
    let (s, e) = app.post(&t, "/api/v1/grids", json!({"org_id": v, "kind": "full", "code": "QK01", "name": "重复"})).await;
    assert_eq!((s, err(&e)), (409, "grid_code_taken"));
    let (s, b) = app.post(&t, &format!("/api/v1/grids/{}/buildings", full["id"]), json!({"name": "3号楼", "group_org_id": app.tree.group_a.id})).await;
    assert_eq!(s, 201, "{b}");

    // A household with residents; a bad ID number is explained and nothing is written.
    let bad = json!({"grid_id": micro["id"], "building_id": b["id"], "address": "3号楼1单元101", "head_name": "赵大", "phone": "13800001111",
        "residents": [{"name": "赵大", "id_number": "110105194912310021", "relation": "户主"}]});
    let (s, e) = app.post(&t, "/api/v1/households", bad).await;
    assert_eq!((s, err(&e)), (422, "id_number_invalid"), "{e}");
    let good = json!({"grid_id": micro["id"], "building_id": b["id"], "address": "3号楼1单元101", "head_name": "赵大", "phone": "13800001111",
        "residents": [{"name": "赵大", "id_number": common::id("1940-03-01", 11), "relation": "户主"}, {"name": "钱二", "gender": "女", "relation": "配偶"}]});
    let (s, h) = app.post(&t, "/api/v1/households", good.clone()).await;
    assert_eq!(s, 201, "{h}");
    let hid = h["id"].as_i64().unwrap();
    let (s, e) = app.post(&t, "/api/v1/households", good).await;
    assert_eq!((s, err(&e)), (409, "household_exists"));
    let (s, sp) = app.post(&t, &format!("/api/v1/households/{hid}/special"), json!({"kind": "80岁以上高龄老人", "note": "独居"})).await;
    assert_eq!(s, 201, "{sp}");
    let (s, e) = app.post(&t, &format!("/api/v1/special/{}/records", sp["id"]), json!({"kind": "allowance"})).await;
    assert_eq!((s, err(&e)), (422, "amount_required"));
    let (s, _) = app.post(&t, &format!("/api/v1/special/{}/records", sp["id"]), json!({"kind": "allowance", "amount": "100.00"})).await;
    assert_eq!(s, 201);

    // People move and numbers change: edit the household, add a member; a taken address is refused.
    let (s, e) = app.patch(&t, &format!("/api/v1/households/{hid}"), json!({"phone": "12345"})).await;
    assert_eq!((s, err(&e)), (422, "phone_invalid"));
    let (s, d) = app.patch(&t, &format!("/api/v1/households/{hid}"), json!({"phone": "13800002222", "head_name": "赵大"})).await;
    assert_eq!((s, d["household"]["phone"].as_str()), (200, Some("13800002222")), "{d}");
    let (s, r) = app.post(&t, &format!("/api/v1/households/{hid}/residents"), json!({"name": "赵小", "gender": "男", "relation": "子女"})).await;
    assert_eq!(s, 201, "{r}");
    let (s, e) = app.post(&t, &format!("/api/v1/households/{hid}/residents"), json!({"name": "赵某"})).await;
    assert_eq!((s, err(&e)), (422, "gender_required"));

    // Lists mask phones and ID numbers for a grid worker; the county admin may read them.
    let (_, d) = app.get(&t, &format!("/api/v1/households/{hid}")).await;
    assert_eq!(d["residents"].as_array().unwrap().len(), 3);
    assert_eq!(d["special"][0]["records"][0]["amount_fen"], 10000);
    common::add_user(&app.db, "grid_a", "grid_worker", &app.tree.village_a, None).await;
    let gw = app.token("grid_a").await;
    let (_, list) = app.get(&gw, &format!("/api/v1/grids/{}/households", full["id"])).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "a full grid lists its micro-grids' households");
    assert!(list[0]["phone"].as_str().unwrap().contains('*'), "{list}");
    assert_eq!(list[0]["special"][0], "80岁以上高龄老人");

    // In-service members on buildings (包楼联户): a member not in service is refused.
    let m = app.member(&t, &app.tree.organ, "机关干部", &common::id("1985-05-05", 3)).await;
    let (s, e) = app.post(&t, &format!("/api/v1/buildings/{}/assignments", b["id"]), json!({"member_id": m})).await;
    assert_eq!((s, err(&e)), (422, "not_in_service"), "{e}");
    let (s, _) = app.patch(&t, &format!("/api/v1/members/{m}"), json!({"in_service": true, "work_unit": "县教育局"})).await;
    assert_eq!(s, 200);
    let (s, a) = app.post(&t, &format!("/api/v1/buildings/{}/assignments", b["id"]), json!({"member_id": m})).await;
    assert_eq!(s, 201, "{a}");
    let (_, sum) = app.get(&t, &format!("/api/v1/orgs/{}/governance", app.tree.town.id)).await;
    assert_eq!((sum["full_grids"].as_i64(), sum["micro_grids"].as_i64(), sum["households"].as_i64(), sum["residents"].as_i64(), sum["assigned_members"].as_i64()), (Some(1), Some(1), Some(1), Some(3), Some(1)), "{sum}");

    // Another village's secretary sees none of it.
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/households/{hid}")).await.0, 404);
    assert_eq!(app.get(&sec_b, &format!("/api/v1/grids/{}", full["id"])).await.0, 404);
});

both_backends!(request_loop_refusals_and_arbitration, |app: common::TestApp| async move {
    let t = app.token("sec_a").await;
    let v = app.tree.village_a.id;
    let (s, team) = app.post(&t, &format!("/api/v1/orgs/{v}/teams"), json!({"name": "党员先锋队"})).await;
    assert_eq!(s, 201, "{team}");
    let tid = team["id"].as_i64().unwrap();
    let (id, code) = new_request(&app, &t, v).await;

    // Skipping 核实, claiming before dispatch, rating before fulfilment: each refused with what to do.
    let (s, e) = act(&app, &t, id, json!({"action": "publish"})).await;
    assert_eq!((s, err(&e)), (422, "skip_step"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("可进行"), "{e}");
    let (s, e) = act(&app, &t, id, json!({"action": "rate", "rating": "satisfied"})).await;
    assert_eq!((s, err(&e)), (422, "not_fulfilled"));
    let (s, r) = act(&app, &t, id, json!({"action": "verify", "public_text": "楼道堆放杂物"})).await;
    assert_eq!((s, r["state"].as_str()), (200, Some("verified")), "{r}");
    let (s, r) = act(&app, &t, id, json!({"action": "publish"})).await;
    assert_eq!(s, 200);
    assert!(r["deadline_on"].as_str().is_some(), "deadline set at dispatch: {r}");
    let deadline = r["deadline_on"].clone();

    // Passed back and forth: the second hand-back goes up to the town for arbitration.
    for round in 0..2 {
        let (s, r) = act(&app, &t, id, json!({"action": "claim", "claimant_kind": "vanguard_team", "claimant_id": tid})).await;
        assert_eq!(s, 200, "{r}");
        let (s, e) = act(&app, &t, id, json!({"action": "release"})).await;
        assert_eq!((s, err(&e)), (422, "reason_required"));
        let (s, r) = act(&app, &t, id, json!({"action": "release", "reason": "不属本队职责"})).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["state"], if round == 0 { "published" } else { "arbitration" });
    }
    let (_, d) = app.get(&t, &format!("/api/v1/requests/{id}")).await;
    assert_eq!(d["request"]["owner_org_id"], app.tree.town.id);
    assert_eq!(d["request"]["deadline_on"], deadline, "the deadline runs from dispatch");
    let (s, _) = act(&app, &t, id, json!({"action": "assign", "claimant_kind": "vanguard_team", "claimant_id": tid})).await;
    assert_eq!(s, 403, "the village cannot arbitrate its own case");
    let town = app.token("town").await;
    let (s, r) = act(&app, &town, id, json!({"action": "assign", "claimant_kind": "org", "claimant_id": v})).await;
    assert_eq!((s, r["state"].as_str()), (200, Some("claimed")), "{r}");
    let (s, r) = act(&app, &town, id, json!({"action": "fulfil", "note": "已清理杂物，设置提示牌"})).await;
    assert_eq!(s, 200, "{r}");

    // The resident rates with the code; afterwards the request is closed and refuses claims.
    let r = app.client.post(format!("{}/p/track", app.url)).form(&[("code", code.as_str()), ("rating", "satisfied"), ("comment", "谢谢")]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("感谢您的评价"));
    let (_, d) = app.get(&t, &format!("/api/v1/requests/{id}")).await;
    assert_eq!((d["request"]["state"].as_str(), d["request"]["rating"].as_str(), d["request"]["rating_comment"].as_str()), (Some("closed"), Some("satisfied"), Some("谢谢")));
    let (s, e) = act(&app, &town, id, json!({"action": "claim", "claimant_kind": "vanguard_team", "claimant_id": tid})).await;
    assert_eq!((s, err(&e)), (422, "already_closed"));
    let events = d["events"].as_array().unwrap();
    assert_eq!(events.first().unwrap()["action"], "collect");
    assert_eq!(events.last().unwrap()["to_state"], "closed");

    // A duplicate is closed as such, never deleted.
    let (dup, _) = new_request(&app, &t, v).await;
    let (s, e) = act(&app, &t, dup, json!({"action": "close_duplicate", "duplicate_of": id})).await;
    assert_eq!((s, err(&e)), (422, "reason_required"), "{e}");
    let (s, r) = act(&app, &t, dup, json!({"action": "close_duplicate", "duplicate_of": id, "reason": "与前一件相同"})).await;
    assert_eq!((s, r["state"].as_str(), r["duplicate_of"].as_i64()), (200, Some("closed_duplicate"), Some(id)));
    let deleted = sqlx::query("DELETE FROM requests WHERE id = $1").bind(dup).execute(&app.db.pool).await;
    assert!(deleted.is_err(), "requests are never deleted");

    // The town's open list and report.
    let (_, open) = app.get(&town, &format!("/api/v1/orgs/{}/requests/open", app.tree.town.id)).await;
    assert_eq!(open["open"], 0, "{open}");
    let (s, rep) = app.get(&town, &format!("/api/v1/orgs/{}/requests/report?period=month", app.tree.town.id)).await;
    assert_eq!(s, 200, "{rep}");
    assert_eq!((rep["received"].as_i64(), rep["fixed"].as_i64(), rep["satisfaction_bp"].as_i64()), (Some(2), Some(1), Some(10000)), "{rep}");
    let bytes = app.client.get(format!("{}/api/v1/orgs/{}/requests.xlsx", app.url, app.tree.town.id)).bearer_auth(&town).send().await.unwrap().bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"));
});

both_backends!(concurrent_claims_exactly_one_wins, |app: common::TestApp| async move {
    let t = app.token("sec_a").await;
    let v = app.tree.village_a.id;
    let (id, _) = new_request(&app, &t, v).await;
    assert_eq!(act(&app, &t, id, json!({"action": "verify"})).await.0, 200);
    assert_eq!(act(&app, &t, id, json!({"action": "publish"})).await.0, 200);
    let mut teams = Vec::new();
    for i in 0..8 {
        let (_, team) = app.post(&t, &format!("/api/v1/orgs/{v}/teams"), json!({"name": format!("先锋队{i}")})).await;
        teams.push(team["id"].as_i64().unwrap());
    }
    let claims = teams.iter().map(|tid| {
        let (app, t) = (&app, &t);
        async move { act(app, t, id, json!({"action": "claim", "claimant_kind": "vanguard_team", "claimant_id": tid})).await }
    });
    let results = futures_util::future::join_all(claims).await;
    let wins = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(wins, 1, "{results:?}");
    for (s, e) in results.iter().filter(|(s, _)| *s != 200) {
        assert!(matches!((*s, err(e)), (409, "state_changed") | (422, "already_claimed")), "{s} {e}");
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_events WHERE request_id = $1 AND action = 'claim'").bind(id).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(n, 1);
});

async fn submit_page(app: &common::TestApp, code: &str, text: &str) -> (u16, String) {
    let page = app.client.get(format!("{}/p/{code}?source=wish_box", app.url)).send().await.unwrap().text().await.unwrap();
    let nonce = common::hidden(&page, "nonce");
    let form = reqwest::multipart::Form::new()
        .text("category", "micro_wish")
        .text("text", text.to_string())
        .text("contact_phone", "13700001234")
        .text("source", "wish_box")
        .text("nonce", nonce);
    let r = app.client.post(format!("{}/p/{code}", app.url)).multipart(form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn code_in(html: &str) -> String {
    let i = html.find("class=\"code\"").expect("code shown");
    let rest = &html[i..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..start + rest[start..].find('<').unwrap()].to_string()
}

both_backends!(public_submission_and_tracker, |app: common::TestApp| async move {
    let code = &app.tree.village_a.code;
    // A script-laden wish is stored as text and shown escaped.
    let (s, html) = submit_page(&app, code, "<script>alert(1)</script>想给孩子们建个读书角").await;
    assert_eq!(s, 200, "{html}");
    let tracking = code_in(&html);
    let page = app.client.get(format!("{}/p/track?code={tracking}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("&#60;script&#62;") && !page.contains("<script>alert"), "escaped: {page}");
    assert!(page.contains("征集") && !page.contains("13700001234"), "no personal data on the tracker");
    // Lower case and without dashes works too.
    let loose = tracking.replace('-', "").to_lowercase();
    let r = app.client.get(format!("{}/p/track?code={loose}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // A mistyped code fails its check symbol; a guessed well-formed one finds nothing; the same words either way for unknown codes.
    let mut typo: Vec<char> = tracking.chars().collect();
    typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let r = app.client.get(format!("{}/p/track?code={typo}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("查询码有误"));
    let guessed = yinghuo::requests::rules::TrackingCode::generate().to_string();
    let r = app.client.get(format!("{}/p/track?code={guessed}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("没有查到"));

    // An expired code: closed more than a year ago.
    let id: i64 = sqlx::query_scalar("SELECT id FROM requests ORDER BY id DESC LIMIT 1").fetch_one(&app.db.pool).await.unwrap();
    sqlx::query("UPDATE requests SET state = 'closed_out_of_scope', is_open = 0, closed_on = '2020-01-01' WHERE id = $1").bind(id).execute(&app.db.pool).await.unwrap();
    let r = app.client.get(format!("{}/p/track?code={tracking}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.text().await.unwrap().contains("已过期"));

    // Oversized text: refused, and the typed text comes back in the form.
    let long = "很".repeat(1001);
    let (s, html) = submit_page(&app, code, &long).await;
    assert_eq!(s, 422);
    assert!(html.contains("内容过长") && html.contains(&long));
    // An oversized body is refused before it is read.
    let form = reqwest::multipart::Form::new().text("category", "other").text("text", "x").part("photo", reqwest::multipart::Part::bytes(vec![0xFFu8; 7 * 1024 * 1024]).file_name("a.jpg"));
    // The server may answer 413 or drop the connection mid-upload; either way nothing is stored.
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(&app.db.pool).await.unwrap();
    // Its own client: the aborted connection must not be reused by the next request.
    if let Ok(r) = reqwest::Client::new().post(format!("{}/p/{code}", app.url)).multipart(form).send().await {
        assert!(r.status() == 413 || r.status() == 422, "{}", r.status());
    }
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(before, after);
    // An unknown community.
    assert_eq!(app.client.get(format!("{}/p/NO-SUCH", app.url)).send().await.unwrap().status(), 404);

    // Submitting the same form twice (same nonce) records it once.
    let page = app.client.get(format!("{}/p/{code}", app.url)).send().await.unwrap().text().await.unwrap();
    let nonce = common::hidden(&page, "nonce");
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(&app.db.pool).await.unwrap();
    for _ in 0..2 {
        let form = reqwest::multipart::Form::new().text("category", "other").text("text", "路灯不亮").text("nonce", nonce.clone());
        assert_eq!(app.client.post(format!("{}/p/{code}", app.url)).multipart(form).send().await.unwrap().status(), 200);
    }
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(after - before, 1);
});

both_backends!(open311_georeport_v2, |app: common::TestApp| async move {
    let j = &app.tree.village_a.code;
    let services: Value = app.client.get(format!("{}/open311/v2/services.json", app.url)).send().await.unwrap().json().await.unwrap();
    let first = &services[0];
    for key in ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(first["type"], "realtime");
    // POST as the spec has it: form-encoded.
    let r = app
        .client
        .post(format!("{}/open311/v2/requests.json", app.url))
        .form(&[("jurisdiction_id", j.as_str()), ("service_code", "sanitation"), ("description", "垃圾桶满了没人清"), ("first_name", "三"), ("last_name", "张"), ("phone", "13600001111"), ("address_string", "幸福路12号")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(created[0]["token"].as_str().unwrap().len() >= 13);
    // The list and the single request: open, public fields only, no description before 核实.
    let list: Value = app.client.get(format!("{}/open311/v2/requests.json?jurisdiction_id={j}&status=open", app.url)).send().await.unwrap().json().await.unwrap();
    let item = list.as_array().unwrap().iter().find(|x| x["service_request_id"] == id.as_str()).cloned().unwrap();
    assert_eq!((item["status"].as_str(), item["service_code"].as_str(), item["description"].as_str()), (Some("open"), Some("sanitation"), Some("")));
    assert!(!item.to_string().contains("13600001111") && !item.to_string().contains("张三"), "{item}");
    assert!(item["requested_datetime"].as_str().unwrap().ends_with("+08:00"));
    let one: Value = app.client.get(format!("{}/open311/v2/requests/{id}.json", app.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(one[0]["service_request_id"], id.as_str());
    assert!(one[0]["status_notes"].as_str().unwrap().contains("征集"));
    // Closed requests map to "closed" with the richer state in status_notes.
    let t = app.token("sec_a").await;
    let (s, _) = act(&app, &t, id.parse().unwrap(), json!({"action": "close_out_of_scope", "reason": "属物业公司职责，已转告"})).await;
    assert_eq!(s, 200);
    let one: Value = app.client.get(format!("{}/open311/v2/requests/{id}.json", app.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(one[0]["status"], "closed");
    assert!(one[0]["status_notes"].as_str().unwrap().contains("不属受理范围"));
    // Errors are GeoReport error arrays.
    let r = app.client.get(format!("{}/open311/v2/requests.json", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e[0]["code"], 400);
    let r = app.client.post(format!("{}/open311/v2/requests.json", app.url)).form(&[("jurisdiction_id", j.as_str()), ("service_code", "nope"), ("description", "x")]).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(app.client.get(format!("{}/open311/v2/requests/999999.json", app.url)).send().await.unwrap().status(), 404);
});

both_backends!(public_submissions_are_rate_limited, |app: common::TestApp| async move {
    let j = &app.tree.village_b.code;
    let mut statuses = Vec::new();
    for i in 0..21 {
        let r = app.client.post(format!("{}/open311/v2/requests.json", app.url)).form(&[("jurisdiction_id", j.as_str()), ("service_code", "other"), ("description", &format!("第{i}件"))]).send().await.unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 500 {
            let d = app.dir().map(|d| (d.display().to_string(), d.join("t.db").exists()));
            panic!("500: {} dir {d:?}", r.text().await.unwrap());
        }
        if r.status() == 429 {
            assert!(r.headers().get("retry-after").is_some());
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 20, "{statuses:?}");
    assert_eq!(*statuses.last().unwrap(), 429);
});

both_backends!(disputes_escalate_and_report, |app: common::TestApp| async move {
    let t = app.token("sec_a").await;
    let v = app.tree.village_a.id;
    let (s, e) = app.post(&t, "/api/v1/disputes", json!({"org_id": v, "category": "neighbour", "risk": "general", "summary": "宅基地边界争执", "parties": []})).await;
    assert_eq!((s, err(&e)), (422, "parties_required"));
    let (s, d) = app
        .post(&t, "/api/v1/disputes", json!({"org_id": v, "category": "neighbour", "risk": "general", "summary": "两户因排水沟争执", "parties": [{"name": "孙小红", "phone": "13500002222"}, {"name": "周大伟"}]}))
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["level"], "village");
    let id = d["id"].as_i64().unwrap();
    let (s, e) = app.post(&t, &format!("/api/v1/disputes/{id}/actions"), json!({"action": "resolve", "agreement": "x"})).await;
    assert_eq!((s, err(&e)), (422, "skip_step"), "{e}");
    let (s, _) = app.post(&t, &format!("/api/v1/disputes/{id}/actions"), json!({"action": "start_mediation"})).await;
    assert_eq!(s, 200);
    // Parties are masked for a grid worker.
    common::add_user(&app.db, "grid_d", "grid_worker", &app.tree.village_a, None).await;
    let gw = app.token("grid_d").await;
    let (_, detail) = app.get(&gw, &format!("/api/v1/disputes/{id}")).await;
    assert_eq!(detail["parties"][0]["name"], "孙**");

    // Past the village's time limit, the hourly job (here on demand) sends it to the town.
    sqlx::query("UPDATE disputes SET level_since = '2026-01-01', deadline_on = '2026-01-08' WHERE id = $1").bind(id).execute(&app.db.pool).await.unwrap();
    let town = app.token("town").await;
    let (s, r) = app.post(&town, &format!("/api/v1/orgs/{}/disputes/escalate-overdue", app.tree.town.id), json!({})).await;
    assert_eq!((s, r["escalated"].as_i64()), (200, Some(1)), "{r}");
    let (_, detail) = app.get(&town, &format!("/api/v1/disputes/{id}")).await;
    assert_eq!(detail["dispute"]["level"], "town");
    assert_eq!(detail["handled_by"], app.tree.town.name.as_str());
    let (s, _) = app.post(&t, &format!("/api/v1/disputes/{id}/actions"), json!({"action": "resolve", "agreement": "x"})).await;
    assert_eq!(s, 403, "the village no longer handles it");

    // A major case needs its 五包一 team before it can be resolved.
    let (s, r) = app.post(&town, &format!("/api/v1/disputes/{id}/actions"), json!({"action": "upgrade_risk", "risk": "major"})).await;
    assert_eq!(s, 200, "{r}");
    let (s, e) = app.post(&town, &format!("/api/v1/disputes/{id}/actions"), json!({"action": "resolve", "agreement": "签订协议"})).await;
    assert_eq!((s, err(&e)), (422, "team_incomplete"), "{e}");
    let team: Vec<Value> = ["县级领导", "乡镇领导", "包村干部", "村干部", "网格员"].iter().enumerate().map(|(i, r)| json!({"role": r, "name": format!("成员{i}")})).collect();
    let (s, _) = app.post(&town, &format!("/api/v1/disputes/{id}/actions"), json!({"action": "assign_team", "team": team})).await;
    assert_eq!(s, 200);
    let (s, r) = app.post(&town, &format!("/api/v1/disputes/{id}/actions"), json!({"action": "resolve", "agreement": "重新疏通排水沟，费用两户分担"})).await;
    assert_eq!((s, r["state"].as_str()), (200, Some("resolved")), "{r}");
    let (s, e) = app.post(&town, &format!("/api/v1/disputes/{id}/actions"), json!({"action": "record_mediation", "note": "x"})).await;
    assert_eq!((s, err(&e)), (422, "case_closed"));

    let (s, rep) = app.get(&town, &format!("/api/v1/orgs/{}/disputes/report?period=month", app.tree.town.id)).await;
    assert_eq!(s, 200, "{rep}");
    assert_eq!((rep["new_in_period"].as_i64(), rep["resolved_in_period"].as_i64(), rep["escalations_in_period"].as_i64()), (Some(1), Some(1), Some(1)), "{rep}");
    assert_eq!(rep["resolution_rate"]["bp"], 10000);
    let (s, rep) = app.get(&town, &format!("/api/v1/orgs/{}/disputes/report?period=week", app.tree.town.id)).await;
    assert_eq!(s, 200);
    assert!(rep["title"].as_str().unwrap().contains("周调度"), "{rep}");
    let bytes = app.client.get(format!("{}/api/v1/orgs/{}/disputes.xlsx", app.url, app.tree.town.id)).bearer_auth(&town).send().await.unwrap().bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"));
});

both_backends!(governance_pages_end_to_end, |app: common::TestApp| async move {
    let ui = common::ui_login(&app, "sec_a").await;
    let v = app.tree.village_a.id;
    let page = ui.get(format!("{}/orgs/{v}/governance", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("新建网格") && page.contains("微光心愿箱"), "{page}");
    let csrf = common::hidden(&page, "csrf");
    let post = |path: String, pairs: Vec<(&'static str, String)>| {
        let mut form: Vec<(String, String)> = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        form.push(("csrf".into(), csrf.clone()));
        ui.post(format!("{}{}", app.url, path)).form(&form).send()
    };
    let loc = |r: &reqwest::Response| r.headers()["location"].to_str().unwrap().split('?').next().unwrap().to_string();
    let r = post("/grids".into(), vec![("org_id", v.to_string()), ("kind", "full".into()), ("code", "QK09".into()), ("name", "页面网格".into())]).await.unwrap();
    assert_eq!(r.status(), 303);
    let grid = loc(&r);
    let r = post(format!("{grid}/households"), vec![("address", "幸福路1号".into()), ("head_name", "吴老汉".into()), ("head_gender", "男".into()), ("phone", "13811112222".into())]).await.unwrap();
    assert_eq!(r.status(), 303);
    let household = loc(&r);
    let r = post(format!("{household}/special"), vec![("kind", "tekun_elderly".into())]).await.unwrap();
    assert_eq!(r.status(), 303);
    let page = ui.get(format!("{}{household}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("特困老人") && page.contains("吴老汉"), "{page}");
    let page = ui.get(format!("{}{grid}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("幸福路1号"));

    // A request from door-knocking, through the pages.
    let r = post("/requests".into(), vec![("org_id", v.to_string()), ("source", "door_knocking".into()), ("category", "hardship_help".into()), ("text", "独居老人冬季取暖困难".into())]).await.unwrap();
    assert_eq!(r.status(), 303);
    let req = loc(&r);
    let page = ui.get(format!("{}{}", app.url, r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("查询码"), "the code is shown once");
    let r = post(format!("{req}/act"), vec![("action", "publish".into())]).await.unwrap();
    assert_eq!(r.status(), 422, "skipping 核实 is refused on the page too");
    assert!(r.text().await.unwrap().contains("可进行"));
    let r = post(format!("{req}/act"), vec![("action", "verify".into()), ("public_text", "老人冬季取暖困难".into())]).await.unwrap();
    assert_eq!(r.status(), 303);
    let page = ui.get(format!("{}/orgs/{v}/requests", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("独居老人冬季取暖困难"));
    for path in [format!("/orgs/{v}/requests/report?period=week"), format!("/orgs/{v}/requests/report?period=month")] {
        let r = ui.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.text().await.unwrap().contains("按类别"));
    }

    // A dispute, through the pages.
    let r = post("/disputes".into(), vec![("org_id", v.to_string()), ("category", "family".into()), ("risk", "general".into()), ("summary", "赡养老人分歧".into()), ("parties", "郑一 13900001111\n郑二".into())]).await.unwrap();
    assert_eq!(r.status(), 303);
    let dispute = loc(&r);
    let r = post(format!("{dispute}/act"), vec![("action", "start_mediation".into())]).await.unwrap();
    assert_eq!(r.status(), 303);
    let r = post(format!("{dispute}/act"), vec![("action", "resolve".into()), ("agreement", "兄弟二人轮流赡养".into())]).await.unwrap();
    assert_eq!(r.status(), 303);
    let page = ui.get(format!("{}{dispute}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("调解成功"), "{page}");
    let page = ui.get(format!("{}/orgs/{v}/disputes/report?period=month", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("化解率") && page.contains("婚姻家庭"), "{page}");
    let r = ui.get(format!("{}/orgs/{v}/wishbox-qr.svg", app.url)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/svg+xml");

    // Households from a sheet on the page: a bad row lists its error and imports nothing.
    let header = "网格编码,楼栋,门牌地址,姓名,与户主关系,性别,公民身份号码,出生日期,联系电话,特殊群体\n";
    let upload = |body: String| {
        let form = reqwest::multipart::Form::new().text("csrf", csrf.clone()).part("file", reqwest::multipart::Part::bytes(body.into_bytes()).file_name("h.csv"));
        ui.post(format!("{}/orgs/{v}/households/import", app.url)).multipart(form).send()
    };
    let r = upload(format!("{header}QK09,,幸福路2号,冯大,户主,男,,,1381111,\n")).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("未导入任何数据"));
    let r = upload(format!("{header}QK09,,幸福路2号,冯大,户主,男,,,13811113333,\nQK09,,幸福路2号,冯小,子女,女,,,,留守儿童\n")).await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().contains("governance"));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM residents").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(n, 3);
});
