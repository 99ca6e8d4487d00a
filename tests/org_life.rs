//! Organizational life over real HTTP, on SQLite and PostgreSQL: meetings, sign-in,
//! quorum, closing and amendments, the compliance engine, dues.

mod common;

use common::id;
use serde_json::{json, Value};

fn china(secs_from_now: i64) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    (chrono::Utc::now() + chrono::Duration::seconds(secs_from_now)).with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A branch founded in 2025 with `full` full members and `probationary` probationary ones.
async fn branch(app: &common::TestApp, t: &str, code: &str, full: u32, probationary: u32) -> (i64, Vec<i64>) {
    let (s, org) = app
        .post(t, "/api/v1/orgs", json!({"parent_id": app.tree.town.id, "code": code, "name": format!("{code}村党支部"), "kind": "branch", "domain": "rural", "founded_on": "2025-01-01"}))
        .await;
    assert_eq!(s, 201, "{org}");
    let org_id = org["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    let seed = code.bytes().map(|b| b as u32).sum::<u32>();
    for i in 0..full + probationary {
        let birth = format!("19{}-0{}-1{}", 50 + (seed + i) % 25, 1 + i % 9, i % 9);
        let mut body = json!({"org_id": org_id, "name": format!("党员{}", ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛"][i as usize % 8]), "id_number": id(&birth, seed % 500 + i), "education": "高中", "joined_on": "2000-07-01"});
        if i < full {
            body["full_on"] = json!("2001-07-01");
        } else {
            body["joined_on"] = json!(chrono::Local::now().date_naive().to_string());
        }
        let (s, m) = app.post(t, "/api/v1/members", body).await;
        assert_eq!(s, 201, "{m}");
        ids.push(m["id"].as_i64().unwrap());
    }
    (org_id, ids)
}

async fn meeting(app: &common::TestApp, t: &str, org: i64, kind: &str, start: String) -> (i64, String) {
    let (s, m) = app.post(t, "/api/v1/meetings", json!({"org_id": org, "kind": kind, "topic": "学习党章", "place": "村部", "planned_start": start})).await;
    assert_eq!(s, 201, "{m}");
    let id = m["id"].as_i64().unwrap();
    let (_, d) = app.get(t, &format!("/api/v1/meetings/{id}")).await;
    (id, d["sign_in_url"].as_str().unwrap().trim_start_matches("/sign-in/").to_string())
}

both_backends!(meeting_lifecycle_with_quorum_and_amendments, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let (org, ids) = branch(&app, &t, "L1", 4, 1).await;
    let (mid, _) = meeting(&app, &t, org, "general_assembly", china(-3600)).await;
    let (_, d) = app.get(&t, &format!("/api/v1/meetings/{mid}")).await;
    assert_eq!(d["attendees"].as_array().unwrap().len(), 5);

    // Excused needs a reason; an outsider cannot be recorded.
    let (s, e) = app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!([{"member_id": ids[0], "status": "excused"}])).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "reason_required"));
    let (s, e) = app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!([{"member_id": 999999, "status": "present"}])).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "not_an_attendee"));
    // Two of four full members present: exactly half is not a quorum.
    let (s, _) = app
        .post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!([
            {"member_id": ids[0], "status": "present"}, {"member_id": ids[1], "status": "present"},
            {"member_id": ids[2], "status": "excused", "reason": "外出务工"}, {"member_id": ids[3], "status": "absent"},
            {"member_id": ids[4], "status": "present"}]))
        .await;
    assert_eq!(s, 200);
    let (s, e) = app.post(&t, &format!("/api/v1/meetings/{mid}/vote"), json!({"matter": "接收预备党员"})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "meeting_not_held"));
    let (s, h) = app.post(&t, &format!("/api/v1/meetings/{mid}/hold"), json!({})).await;
    assert_eq!(s, 200, "{h}");
    let (s, e) = app.post(&t, &format!("/api/v1/meetings/{mid}/vote"), json!({"matter": "接收预备党员"})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "no_quorum"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains('4'), "counts in the message: {e}");
    let (s, _) = app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!([{"member_id": ids[3], "status": "present"}])).await;
    assert_eq!(s, 200);
    let (s, v) = app.post(&t, &format!("/api/v1/meetings/{mid}/vote"), json!({"matter": "接收预备党员"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["vote_entitled"], 4);
    assert_eq!(v["vote_present"], 3);

    // Close needs minutes; afterwards the record is locked and only amendments change it.
    let (s, e) = app.post(&t, &format!("/api/v1/meetings/{mid}/close"), json!({"minutes": " "})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "minutes_required"));
    let (s, _) = app.post(&t, &format!("/api/v1/meetings/{mid}/close"), json!({"minutes": "会议由书记主持。"})).await;
    assert_eq!(s, 200);
    let (s, e) = app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!([{"member_id": ids[2], "status": "present"}])).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "meeting_closed"));
    let (s, a) = app.post(&t, &format!("/api/v1/meetings/{mid}/amendments"), json!({"field": "minutes", "value": "会议由书记主持，全体起立重温入党誓词。", "reason": "补记"})).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["before"], "会议由书记主持。");
    let (_, d) = app.get(&t, &format!("/api/v1/meetings/{mid}")).await;
    assert_eq!(d["meeting"]["minutes"], "会议由书记主持，全体起立重温入党誓词。");
    assert_eq!(d["amendments"][0]["before"], "会议由书记主持。");

    // Scope: another branch's secretary sees nothing.
    let sec_b = app.token("sec_b").await;
    let (s, _) = app.get(&sec_b, &format!("/api/v1/meetings/{mid}")).await;
    assert_eq!(s, 404);
});

both_backends!(sign_in_by_qr_window_and_attendees, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let (org, ids) = branch(&app, &t, "Q1", 3, 0).await;
    let (_, other) = branch(&app, &t, "Q2", 3, 0).await;
    common::add_user(&app.db, "member0", "member", &yinghuo_org(&app, org).await, Some(ids[0])).await;
    common::add_user(&app.db, "stranger", "member", &yinghuo_org(&app, org).await, Some(other[0])).await;
    let (mid, now_token) = meeting(&app, &t, org, "theme_day", china(-600)).await;
    let (_, later_token) = meeting(&app, &t, org, "theme_day", china(7 * 86400)).await;
    let m0 = app.token("member0").await;
    let (s, v) = app.post(&m0, &format!("/api/v1/sign-in/{now_token}"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (s, e) = app.post(&m0, &format!("/api/v1/sign-in/{now_token}"), json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (409, "already_signed_in"));
    let (s, e) = app.post(&m0, &format!("/api/v1/sign-in/{later_token}"), json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "signin_window_closed"));
    let stranger = app.token("stranger").await;
    let (s, e) = app.post(&stranger, &format!("/api/v1/sign-in/{now_token}"), json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "not_an_attendee"));
    let (s, _) = app.post(&m0, "/api/v1/sign-in/not-a-real-token", json!({})).await;
    assert_eq!(s, 404);
    // The secretary then saves the whole sheet: the QR sign-in stays 扫码, the others become 登记.
    let att: Vec<Value> = ids.iter().map(|i| json!({"member_id": i, "status": "present"})).collect();
    let (s, a) = app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!(att)).await;
    assert_eq!(s, 200, "{a}");
    let means: Vec<(i64, String)> = a.as_array().unwrap().iter().map(|x| (x["member_id"].as_i64().unwrap(), x["means"].as_str().unwrap().to_string())).collect();
    assert!(means.contains(&(ids[0], "qr".to_string())), "{means:?}");
    assert!(means.contains(&(ids[1], "manual".to_string())), "{means:?}");
});

async fn yinghuo_org(app: &common::TestApp, id: i64) -> yinghuo::orgs::model::Org {
    let mut conn = app.db.pool.acquire().await.unwrap();
    yinghuo::orgs::store::get(&mut conn, id).await.unwrap().unwrap()
}

both_backends!(compliance_names_the_missing_meetings, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let (org, ids) = branch(&app, &t, "C1", 3, 0).await;
    // A general assembly held in Q1 2025 only.
    let (mid, _) = meeting(&app, &t, org, "general_assembly", "2025-03-31 09:00".into()).await;
    let att: Vec<Value> = ids.iter().map(|i| json!({"member_id": i, "status": "present"})).collect();
    app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!(att)).await;
    let (s, h) = app.post(&t, &format!("/api/v1/meetings/{mid}/hold"), json!({"held_on": "2025-03-31"})).await;
    assert_eq!(s, 200, "{h}");
    let (s, r) = app.get(&t, &format!("/api/v1/orgs/{}/compliance?from=2025-01-01&to=2025-12-31", app.tree.town.id)).await;
    assert_eq!(s, 200, "{r}");
    let row = r["rows"].as_array().unwrap().iter().find(|row| row["org_id"] == org).expect("the branch is judged").clone();
    let ga: Vec<&Value> = row["findings"].as_array().unwrap().iter().filter(|f| f["requirement"] == "general_assembly").collect();
    assert_eq!(ga.len(), 4, "four quarters");
    let missed: Vec<&str> = ga.iter().filter(|f| f["verdict"]["status"] == "missed").map(|f| f["period"]["label"].as_str().unwrap()).collect();
    assert_eq!(missed.len(), 3, "{ga:?}");
    assert!(ga.iter().all(|f| f["explanation"].as_str().unwrap().contains("支部党员大会")));
    // Branches created today are not blamed for 2025.
    let (_, r) = app.get(&t, &format!("/api/v1/orgs/{}/compliance?from=2025-01-01&to=2025-12-31&only_missed=true", app.tree.town.id)).await;
    assert!(r["rows"].as_array().unwrap().iter().all(|row| row["org_id"] != app.tree.village_b.id));
    // The same as spreadsheets: the compliance findings and the meeting ledger.
    for (path, min_rows) in [
        (format!("/api/v1/orgs/{org}/compliance.xlsx?from=2025-01-01&to=2025-12-31"), 3),
        (format!("/api/v1/orgs/{org}/meetings.xlsx?from=2025-01-01&to=2025-12-31"), 1),
    ] {
        let r = app.client.get(format!("{}{}", app.url, path)).bearer_auth(&t).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        use calamine::Reader;
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
        let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
        assert!(sheet.rows().count() > min_rows, "{path}: {} rows", sheet.rows().count());
    }
    // The secretary's reminder: this month's 主题党日 is upcoming, not yet missed.
    let (s, rem) = app.get(&t, &format!("/api/v1/orgs/{org}/reminders")).await;
    assert_eq!(s, 200, "{rem}");
    assert!(rem["upcoming"].as_array().unwrap().iter().any(|f| f["requirement"] == "theme_day"), "{rem}");
    let (s, e) = app.get(&t, &format!("/api/v1/orgs/{}/compliance?from=2025-12-31&to=2025-01-01", app.tree.town.id)).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "range_invalid"));
});

both_backends!(dues_by_bracket_payments_and_arrears, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let (_, ids) = branch(&app, &t, "D1", 3, 0).await;
    let m = ids[0];
    let (s, e) = app.get(&t, &format!("/api/v1/members/{m}/dues?month=2026-01")).await;
    assert_eq!(s, 200, "{e}");
    assert!(e["assessment"].is_null(), "no basis yet");
    let (s, a) = app.post(&t, &format!("/api/v1/members/{m}/dues/basis"), json!({"from_month": "2025-07", "category": "employed", "base_fen": 300001})).await;
    assert_eq!(s, 200, "{a}");
    let (_, d) = app.get(&t, &format!("/api/v1/members/{m}/dues?month=2026-01")).await;
    assert_eq!(d["owed_fen"], 3000, "1% of 3,000.01 yuan, half-up to the fen: {d}");
    assert!(d["assessment"]["explanation"].as_str().unwrap().contains("1%"));
    // A raise from 2026-03 applies from March, not February.
    app.post(&t, &format!("/api/v1/members/{m}/dues/basis"), json!({"from_month": "2026-03", "category": "employed", "base_fen": 1000001})).await;
    let (_, feb) = app.get(&t, &format!("/api/v1/members/{m}/dues?month=2026-02")).await;
    let (_, mar) = app.get(&t, &format!("/api/v1/members/{m}/dues?month=2026-03")).await;
    assert_eq!(feb["owed_fen"], 3000);
    assert_eq!(mar["owed_fen"], 20000);
    // Nothing paid from 2025-07 to 2026-01: seven months unpaid, flagged.
    let (_, d) = app.get(&t, &format!("/api/v1/members/{m}/dues?month=2026-01")).await;
    assert_eq!(d["unpaid_months"], 7);
    assert_eq!(d["six_month_flag"], true);
    assert_eq!(d["arrears_fen"], 7 * 3000);
    let (s, _) = app.post(&t, &format!("/api/v1/members/{m}/dues/payments"), json!({"month": "2026-01", "amount_fen": 3000, "method": "cash", "receipt_no": "R1"})).await;
    assert_eq!(s, 201);
    let (_, d) = app.get(&t, &format!("/api/v1/members/{m}/dues?month=2026-01")).await;
    assert_eq!((d["paid_fen"].as_i64(), d["unpaid_months"].as_i64()), (Some(3000), Some(0)));
    // Bad input: unknown category, negative base, a correction without a reason.
    let (s, _) = app.post(&t, &format!("/api/v1/members/{m}/dues/basis"), json!({"from_month": "2026-03", "category": "nobody", "base_fen": 1})).await;
    assert_eq!(s, 422);
    let (s, _) = app.post(&t, &format!("/api/v1/members/{m}/dues/basis"), json!({"from_month": "2026-03", "category": "employed", "base_fen": -1})).await;
    assert_eq!(s, 422);
    let (s, e) = app.post(&t, &format!("/api/v1/members/{m}/dues/payments"), json!({"month": "2026-01", "amount_fen": -3000, "method": "cash"})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "note_required"));
    // No meeting attended in the last six months: flagged; attending one clears it.
    assert_eq!(d["no_life_six_months"], true);
    let (mid, _) = meeting(&app, &t, sheet_org(&app, m).await, "theme_day", "2026-01-10 09:00".into()).await;
    app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), json!([{"member_id": m, "status": "present"}])).await;
    let (s, _) = app.post(&t, &format!("/api/v1/meetings/{mid}/hold"), json!({"held_on": "2026-01-10"})).await;
    assert_eq!(s, 200);
    let (_, d) = app.get(&t, &format!("/api/v1/members/{m}/dues?month=2026-01")).await;
    assert_eq!((d["no_life_six_months"].as_bool(), d["last_attended"].as_str()), (Some(false), Some("2026-01-10")));
    // The branch sheet adds it up; payments are append-only in the database.
    let (_, sheet) = app.get(&t, &format!("/api/v1/orgs/{}/dues?month=2026-01", app.tree.town.id)).await;
    assert_eq!(sheet["paid_fen"], 3000);
    assert!(sqlx::query("UPDATE dues_payments SET amount_fen = 0").execute(&app.db.pool).await.is_err());
    let r = app.client.get(format!("{}/api/v1/orgs/{}/dues.xlsx?month=2026-01", app.url, app.tree.town.id)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    use calamine::Reader;
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
    let paid: Vec<String> = sheet.rows().skip(1).map(|r| r[3].to_string()).collect();
    assert!(paid.contains(&"30.00".to_string()), "{paid:?}");
});

both_backends!(org_life_pages_render_for_the_secretary, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let (org, ids) = branch(&app, &t, "U1", 3, 0).await;
    common::add_user(&app.db, "sec_u1", "branch_secretary", &yinghuo_org(&app, org).await, None).await;
    let (mid, token) = meeting(&app, &t, org, "committee", china(-60)).await;
    app.post(&t, &format!("/api/v1/members/{}/dues/basis", ids[0]), json!({"from_month": "2026-01", "category": "retiree", "base_fen": 500000})).await;
    let ui = common::ui_login(&app, "sec_u1").await;
    for (path, text) in [
        (format!("/orgs/{org}/meetings"), "安排会议".to_string()),
        (format!("/meetings/{mid}"), "签到二维码".to_string()),
        (format!("/orgs/{org}/compliance"), "三会一课落实情况".to_string()),
        (format!("/orgs/{org}/dues?month=2026-01"), "本月应交".to_string()),
        (format!("/members/{}/dues?month=2026-01", ids[0]), "0.5%".to_string()),
        (format!("/sign-in/{token}"), "签到".to_string()),
    ] {
        let r = ui.get(format!("{}{}", app.url, path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains(&text), "{path} shows {text}");
    }
    let r = ui.get(format!("{}/meetings/{mid}/qr.svg", app.url)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().starts_with("<?xml"));
    // A form without its token changes nothing.
    let r = ui.post(format!("{}/meetings/{mid}/hold", app.url)).form(&[("csrf", "x")]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let page = ui.get(format!("{}/meetings/{mid}", app.url)).send().await.unwrap().text().await.unwrap();
    let csrf = common::hidden(&page, "csrf");
    let r = ui.post(format!("{}/meetings/{mid}/hold", app.url)).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, d) = app.get(&t, &format!("/api/v1/meetings/{mid}")).await;
    assert_eq!(d["meeting"]["state"], "held");
});

async fn sheet_org(app: &common::TestApp, member: i64) -> i64 {
    let mut conn = app.db.pool.acquire().await.unwrap();
    yinghuo::members::store::get(&mut conn, member).await.unwrap().unwrap().org_id
}

both_backends!(theme_day_checklist_and_meeting_files, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let (org, ids) = branch(&app, &t, "L9", 3, 0).await;
    // The county sets "3+2"; the branch inherits it.
    let (s, e) = app
        .send(reqwest::Method::PUT, &t, &format!("/api/v1/orgs/{}/theme-day-checklist", app.tree.county.id), json!({"name": "3+2", "required": ["重温入党誓词", "交纳党费", "传达学习"], "optional": ["民主议事"], "min_optional": 2}))
        .await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "checklist_invalid"), "{e}");
    let (s, c) = app
        .send(reqwest::Method::PUT, &t, &format!("/api/v1/orgs/{}/theme-day-checklist", app.tree.county.id), json!({"name": "3+2", "required": ["重温入党誓词", "交纳党费", "传达学习"], "optional": ["民主议事", "志愿服务", "主题研讨"], "min_optional": 2}))
        .await;
    assert_eq!(s, 200, "{c}");
    let (_, c) = app.get(&t, &format!("/api/v1/orgs/{org}/theme-day-checklist")).await;
    assert_eq!((c["checklist"]["name"].as_str(), c["set_at_org_id"].as_i64()), (Some("3+2"), Some(app.tree.county.id)));
    // A branch secretary cannot change the county's list.
    let sec = app.token("sec_a").await;
    let (s, _) = app.send(reqwest::Method::PUT, &sec, &format!("/api/v1/orgs/{}/theme-day-checklist", app.tree.county.id), json!({"name": "x", "required": ["a"]})).await;
    assert_eq!(s, 404);

    let (mid, _) = meeting(&app, &t, org, "theme_day", china(-3600)).await;
    let all: Vec<Value> = ids.iter().map(|i| json!({"member_id": i, "status": "present"})).collect();
    assert_eq!(app.post(&t, &format!("/api/v1/meetings/{mid}/attendance"), Value::Array(all)).await.0, 200);
    assert_eq!(app.post(&t, &format!("/api/v1/meetings/{mid}/hold"), json!({})).await.0, 200);
    let (s, e) = app.send(reqwest::Method::PUT, &t, &format!("/api/v1/meetings/{mid}/items"), json!({"items": ["重温入党誓词", "跳广场舞"]})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "item_not_on_checklist"));
    let (s, v) = app.send(reqwest::Method::PUT, &t, &format!("/api/v1/meetings/{mid}/items"), json!({"items": ["重温入党誓词", "传达学习", "民主议事"]})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["verdict"]["complete"], false);
    assert_eq!(v["verdict"]["missing_required"], json!(["交纳党费"]));
    // Closing names what is missing.
    let (s, e) = app.post(&t, &format!("/api/v1/meetings/{mid}/close"), json!({"minutes": "记录"})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "theme_day_items_missing"));
    assert!(e["error"]["message"].as_str().unwrap().contains("交纳党费"), "{e}");

    // Photos and files: bytes decide the type; oversize and foreign types are refused.
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82";
    let upload = |name: &str, body: Vec<u8>| {
        app.client.post(format!("{}/api/v1/meetings/{mid}/files?filename={}", app.url, name)).bearer_auth(&t).body(body).send()
    };
    let r = upload("photo.png", png.to_vec()).await.unwrap();
    assert_eq!(r.status(), 201);
    let f: Value = r.json().await.unwrap();
    let r = upload("evil.html", b"<script>alert(1)</script>".to_vec()).await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "file_type");
    let r = upload("big.pdf", [b"%PDF-".as_slice(), &vec![0u8; 10 * 1024 * 1024]].concat()).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "file_too_large");
    let r = app.client.get(format!("{}/api/v1/meetings/{mid}/files/{}", app.url, f["id"])).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), png);
    // Out of scope looks like not-found.
    let sec_b = app.token("sec_b").await;
    let (s, _) = app.get(&sec_b, &format!("/api/v1/meetings/{mid}/files/{}", f["id"])).await;
    assert_eq!(s, 404);

    let (s, _) = app.send(reqwest::Method::PUT, &t, &format!("/api/v1/meetings/{mid}/items"), json!({"items": ["重温入党誓词", "传达学习", "交纳党费", "民主议事", "主题研讨"]})).await;
    assert_eq!(s, 200);
    let (s, m) = app.post(&t, &format!("/api/v1/meetings/{mid}/close"), json!({"minutes": "记录"})).await;
    assert_eq!(s, 200, "{m}");
    let (_, d) = app.get(&t, &format!("/api/v1/meetings/{mid}")).await;
    assert_eq!(d["theme_day"]["verdict"]["complete"], true);
    assert_eq!(d["files"].as_array().unwrap().len(), 1);
    let r = upload("late.png", png.to_vec()).await.unwrap();
    assert_eq!(r.status(), 422, "a closed meeting takes no more files");
});
