//! Service centers (党群服务中心) over real HTTP, on SQLite and PostgreSQL: registration (one per
//! village, 50 in parallel record one), checks against the standards with the signage limits at
//! their boundaries and the verdict naming what fails, photos (type from the bytes, scope), the
//! board and ledger, scope before permission, the page's multipart form, append-only checks.

mod common;

use base64::Engine as _;
use common::TestApp;
use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// Every standard of a center's list met, except those named (with a note).
fn answers(detail: &Value, failing: &[(&str, &str)]) -> Value {
    let list = detail["standards"].as_array().unwrap();
    Value::Array(
        list.iter()
            .map(|s| {
                let code = s["code"].as_str().unwrap();
                match failing.iter().find(|(c, _)| *c == code) {
                    Some((_, note)) => json!({"code": code, "met": false, "note": note}),
                    None => json!({"code": code, "met": true}),
                }
            })
            .collect(),
    )
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

both_backends!(centers_are_checked_against_the_standards, |app: TestApp| async move {
    let t = app.token("admin").await;
    let (va, vb) = (app.tree.village_a.id, app.tree.village_b.id);
    // Refusals: not a village (the township, a group, an organ branch), a secretary, out of scope.
    for org in [app.tree.town.id, app.tree.group_a.id, app.tree.organ.id] {
        let (s, e) = app.post(&t, "/api/v1/centers", json!({"org_id": org})).await;
        assert_eq!((s, err(&e)), (422, "not_a_village"), "{e}");
    }
    let sec_a = app.token("sec_a").await;
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.post(&sec_a, "/api/v1/centers", json!({"org_id": va})).await.0, 403);
    assert_eq!(app.post(&sec_a, "/api/v1/centers", json!({"org_id": vb})).await.0, 404);
    let (s, e) = app.post(&t, "/api/v1/centers", json!({"org_id": va, "area_m2": 0})).await;
    assert_eq!((s, err(&e)), (422, "area_invalid"));
    let (s, c) = app.post(&t, "/api/v1/centers", json!({"org_id": va, "address": "东关村委会院内", "area_m2": 420})).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!((c["name"].as_str(), c["kind"].as_str()), (Some("东关村党群服务中心"), Some("village")));
    let id = c["id"].as_i64().unwrap();
    let (s, e) = app.post(&t, "/api/v1/centers", json!({"org_id": va})).await;
    assert_eq!((s, err(&e)), (409, "center_exists"));

    // Reads: the village's secretary yes, the neighbour's no (404, not 403).
    let (s, d) = app.get(&sec_a, &format!("/api/v1/centers/{id}")).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["standards"].as_array().unwrap().len(), 20);
    assert!(d["latest"].is_null());
    assert_eq!(app.get(&sec_b, &format!("/api/v1/centers/{id}")).await.0, 404);
    let url = format!("/api/v1/centers/{id}/checks");
    let today = yinghuo::db::today();
    let all = answers(&d, &[]);
    // The secretary reads but does not inspect; the neighbour's secretary does not even see it.
    assert_eq!(app.post(&sec_a, &url, json!({"plaques": 1, "guide_signs": 1, "results": all})).await.0, 403);
    assert_eq!(app.post(&sec_b, &url, json!({"plaques": 1, "guide_signs": 1, "results": all})).await.0, 404);

    // Refused checks: a standard left out, a count out of range, a future day, no note, bad photos.
    let mut short = all.as_array().unwrap().clone();
    short.pop();
    let (s, e) = app.post(&t, &url, json!({"plaques": 3, "guide_signs": 3, "results": short})).await;
    assert_eq!((s, err(&e)), (422, "standard_missing"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("环境整洁"), "{e}");
    let (s, e) = app.post(&t, &url, json!({"plaques": 201, "guide_signs": 3, "results": all})).await;
    assert_eq!((s, err(&e)), (422, "count_invalid"));
    let (s, e) = app.post(&t, &url, json!({"plaques": 3, "results": all})).await;
    assert_eq!((s, err(&e)), (422, "count_required"));
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let (s, e) = app.post(&t, &url, json!({"on": tomorrow, "plaques": 3, "guide_signs": 3, "results": all})).await;
    assert_eq!((s, err(&e)), (422, "on_future"));
    let (s, e) = app.post(&t, &url, json!({"plaques": 3, "guide_signs": 3, "results": answers(&d, &[("member_room", "")])})).await;
    assert_eq!((s, err(&e)), (422, "note_required"));
    let (s, e) = app.post(&t, &url, json!({"plaques": 3, "guide_signs": 3, "results": all, "photos": [{"name": "a.png", "base64": b64(b"<html>not a photo</html>")}]})).await;
    assert_eq!((s, err(&e)), (422, "file_type"), "{e}");
    let (s, e) = app.post(&t, &url, json!({"plaques": 3, "guide_signs": 3, "results": all, "photos": [{"name": "a.pdf", "base64": b64(b"%PDF-1.4 x")}]})).await;
    assert_eq!((s, err(&e)), (422, "photo_type"), "{e}");
    let png = yinghuo::demo::centers::tiny_png(8, 6, [180, 30, 30]);
    let seven: Vec<Value> = (0..7).map(|i| json!({"name": format!("{i}.png"), "base64": b64(&png)})).collect();
    let (s, e) = app.post(&t, &url, json!({"plaques": 3, "guide_signs": 3, "results": all, "photos": seven})).await;
    assert_eq!((s, err(&e)), (422, "too_many_photos"));
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM center_checks").fetch_one(&app.db.pool).await.unwrap(), 0);

    // At the limits (6 plaques, 12 guide signs), every standard met: 达标, with a photo.
    let last_month = (today - chrono::Duration::days(30)).to_string();
    let (s, k) = app.post(&t, &url, json!({"on": last_month, "plaques": 6, "guide_signs": 12, "results": all, "photos": [{"name": "外景.png", "base64": b64(&png)}]})).await;
    assert_eq!(s, 201, "{k}");
    assert_eq!((k["verdict"]["passed"].as_bool(), k["verdict"]["label"].as_str(), k["verdict"]["met"].as_i64()), (Some(true), Some("达标"), Some(20)), "{k}");
    let photo = k["photos"][0]["id"].as_i64().unwrap();
    let r = app.client.get(format!("{}/api/v1/centers/photos/{photo}", app.url)).bearer_auth(&sec_a).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    assert_eq!(app.get(&sec_b, &format!("/api/v1/centers/photos/{photo}")).await.0, 404);

    // 19 of 20 and 7 plaques: 未达标, naming the standard with its note and the excess.
    let (s, k) = app.post(&t, &url, json!({"plaques": 7, "guide_signs": 12, "results": answers(&d, &[("member_room", "活动室被占作仓库")]), "note": "限期整改"})).await;
    assert_eq!(s, 201, "{k}");
    let v = &k["verdict"];
    assert_eq!((v["passed"].as_bool(), v["met"].as_i64(), v["total"].as_i64()), (Some(false), Some(19), Some(20)), "{v}");
    let reasons: Vec<&str> = v["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("党员活动室") && r.contains("活动室被占作仓库")), "{reasons:?}");
    assert!(reasons.contains(&"标牌7块，超过上限6块"), "{reasons:?}");
    // 13 guide signs alone are over too.
    let (_, k13) = app.post(&t, &url, json!({"on": last_month, "plaques": 6, "guide_signs": 13, "results": all})).await;
    assert_eq!(k13["verdict"]["reasons"][0], "内部指引牌13块，超过上限12块", "{k13}");

    // The history: newest first; the latest is today's failing check.
    let (_, d) = app.get(&t, &format!("/api/v1/centers/{id}")).await;
    assert_eq!(d["checks"].as_array().unwrap().len(), 3);
    assert_eq!(d["latest"]["verdict"]["passed"], false, "{}", d["latest"]);
    assert_eq!(d["latest"]["plaques"], 7);

    // A community's center is held to the 12 community standards.
    let (s, o) = app.post(&t, "/api/v1/orgs", json!({"parent_id": app.tree.town.id, "code": "S001", "name": "龙湖社区党总支", "kind": "general_branch", "domain": "community"})).await;
    assert_eq!(s, 201, "{o}");
    let (s, cc) = app.post(&t, "/api/v1/centers", json!({"org_id": o["id"]})).await;
    assert_eq!((s, cc["kind"].as_str(), cc["name"].as_str()), (201, Some("community"), Some("龙湖社区党群服务中心")), "{cc}");
    let (_, cd) = app.get(&t, &format!("/api/v1/centers/{}", cc["id"])).await;
    assert_eq!(cd["standards"].as_array().unwrap().len(), 12);
    let (s, e) = app.post(&t, &format!("/api/v1/centers/{}/checks", cc["id"]), json!({"plaques": 1, "guide_signs": 1, "results": all})).await;
    assert_eq!((s, err(&e)), (422, "standard_unknown"), "{e}");
    let (s, k) = app.post(&t, &format!("/api/v1/centers/{}/checks", cc["id"]), json!({"plaques": 4, "guide_signs": 9, "results": answers(&cd, &[])})).await;
    assert_eq!((s, k["verdict"]["passed"].as_bool()), (201, Some(true)), "{k}");

    // The township's board: three villages and communities, two centers, village B without one.
    let (s, b) = app.get(&t, &format!("/api/v1/orgs/{}/centers", app.tree.town.id)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!((b["villages"].as_i64(), b["centers"].as_i64(), b["checked"].as_i64(), b["passed"].as_i64(), b["over_signage"].as_i64()), (Some(3), Some(2), Some(2), Some(1), Some(1)), "{b}");
    assert_eq!(b["unregistered"].as_array().unwrap().iter().map(|v| v["org_id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![vb]);
    assert_eq!(b["failures"][0]["code"], "member_room", "{}", b["failures"]);
    assert_eq!(b["rows"][0]["center"]["id"].as_i64(), Some(id), "the failing center comes first");
    assert_eq!(b["rows"][0]["checks_in_year"].as_i64(), Some(if chrono::Datelike::ordinal(&today) > 30 { 3 } else { 1 }));
    // The village's secretary sees only its own village on the board.
    let (_, own) = app.get(&sec_a, &format!("/api/v1/orgs/{va}/centers")).await;
    assert_eq!((own["villages"].as_i64(), own["centers"].as_i64()), (Some(1), Some(1)), "{own}");
    assert_eq!(app.get(&sec_b, &format!("/api/v1/orgs/{va}/centers")).await.0, 404);

    // The ledger opens as a workbook.
    let r = app.client.get(format!("{}/api/v1/orgs/{}/centers.xlsx", app.url, app.tree.town.id)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    {
        use calamine::Reader;
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = wb.worksheet_range("党群服务中心").unwrap();
        let text: Vec<String> = sheet.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
        assert!(text.iter().any(|c| c == "东关村党群服务中心"), "{text:?}");
        assert!(text.iter().any(|c| c.contains("标牌7块，超过上限6块")), "{text:?}");
        let missing = wb.worksheet_range("未建中心").unwrap();
        assert!(missing.rows().any(|r| r.iter().any(|c| *c == "西关村党支部")));
    }

    // Checks and photos are append-only in the database itself; writes are audited.
    assert!(sqlx::query("UPDATE center_checks SET plaques = 1").execute(&app.db.pool).await.is_err());
    assert!(sqlx::query("DELETE FROM center_checks").execute(&app.db.pool).await.is_err());
    assert!(sqlx::query("DELETE FROM center_photos").execute(&app.db.pool).await.is_err());
    let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('centers.register', 'centers.check')").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(audited, 2 + 4);
});

both_backends!(the_pages_show_and_record_a_check, |app: TestApp| async move {
    let t = app.token("admin").await;
    let town = app.tree.town.id;
    let c = common::ui_login(&app, "town").await;
    // The board offers the villages without a center; registering one goes to its page.
    let page = c.get(format!("{}/orgs/{town}/centers", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("登记党群服务中心") && page.contains("东关村党支部"), "{page}");
    let r = c
        .post(format!("{}/centers", app.url))
        .form(&[("csrf", common::hidden(&page, "csrf").as_str()), ("org_id", &app.tree.village_a.id.to_string()), ("name", ""), ("area_m2", "300")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let at = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    let page = c.get(format!("{}{at}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("记录一次检查") && page.contains("多功能会议室"), "{page}");
    let (_, d) = app.get(&t, &format!("/api/v1/centers/{id}")).await;
    let mut form = reqwest::multipart::Form::new().text("csrf", common::hidden(&page, "csrf")).text("plaques", "8").text("guide_signs", "10").text("note", "标牌过多");
    for s in d["standards"].as_array().unwrap() {
        let code = s["code"].as_str().unwrap().to_string();
        form = form.text(format!("std_{code}"), code.clone());
        if code == "accessible" {
            form = form.text(format!("note_{code}"), "无障碍坡道未建");
        } else {
            form = form.text(format!("met_{code}"), "1");
        }
    }
    let png = yinghuo::demo::centers::tiny_png(8, 6, [30, 120, 30]);
    form = form.part("photo", reqwest::multipart::Part::bytes(png.clone()).file_name("门口.png")).part("photo", reqwest::multipart::Part::bytes(png).file_name("活动室.png"));
    let r = c.post(format!("{}/centers/{id}/checks", app.url)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = c.get(format!("{}/centers/{id}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("标牌8块，超过上限6块") && page.contains("无障碍坡道未建"), "{page}");
    assert!(page.contains("/centers/photos/"), "thumbnails");
    let (_, d) = app.get(&t, &format!("/api/v1/centers/{id}")).await;
    assert_eq!(d["latest"]["photos"].as_array().unwrap().len(), 2, "{}", d["latest"]);
    let photo = d["latest"]["photos"][0]["id"].as_i64().unwrap();
    assert_eq!(c.get(format!("{}/centers/photos/{photo}", app.url)).send().await.unwrap().status(), 200);
    // A page with a photo that is not one is refused with the reason; nothing is recorded.
    let mut form = reqwest::multipart::Form::new().text("csrf", common::hidden(&page, "csrf")).text("plaques", "1").text("guide_signs", "1");
    for s in d["standards"].as_array().unwrap() {
        let code = s["code"].as_str().unwrap().to_string();
        form = form.text(format!("std_{code}"), code.clone()).text(format!("met_{code}"), "1");
    }
    let form = form.part("photo", reqwest::multipart::Part::bytes(b"MZ\x90\x00".to_vec()).file_name("x.png"));
    let r = c.post(format!("{}/centers/{id}/checks", app.url)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("只接受照片"));
    let (_, d) = app.get(&t, &format!("/api/v1/centers/{id}")).await;
    assert_eq!(d["checks"].as_array().unwrap().len(), 1);
    // The secretary reads the page without the form; the neighbour gets nothing.
    let sec = common::ui_login(&app, "sec_a").await;
    let page = sec.get(format!("{}/centers/{id}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("未达标") && !page.contains("记录一次检查"), "{page}");
    let other = common::ui_login(&app, "sec_b").await;
    assert_eq!(other.get(format!("{}/centers/{id}", app.url)).send().await.unwrap().status(), 404);
    // The org page links here.
    let page = c.get(format!("{}/orgs/{town}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("/orgs/{town}/centers")));
});

both_backends!(fifty_parallel_registrations_record_one, |app: TestApp| async move {
    let t = app.token("admin").await;
    let url = format!("{}/api/v1/centers", app.url);
    let vb = app.tree.village_b.id;
    let calls = (0..50).map(|i| {
        let (client, url, tok) = (app.client.clone(), url.clone(), t.clone());
        async move { client.post(url).bearer_auth(tok).json(&json!({"org_id": vb, "address": format!("村委会{i}")})).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_centers WHERE org_id = $1").bind(vb).fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(n, 1);
});
