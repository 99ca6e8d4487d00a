//! Star ratings over real HTTP, on SQLite and PostgreSQL: every item measured from a hand-made
//! branch's records, assessors' entries with evidence, rating refused while items are missing,
//! the stars, an appeal and its review, titles asking for stars, a county's rubric, scope, the
//! ledger, and 50 parallel appeals of which one is recorded.

mod common;

use chrono::Datelike;
use common::TestApp;
use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn item<'a>(card: &'a Value, code: &str) -> &'a Value {
    card["scorecard"]["items"].as_array().unwrap_or_else(|| panic!("{card}")).iter().find(|i| i["code"] == code).unwrap_or_else(|| panic!("no item {code}: {card}"))
}

fn pts(card: &Value, code: &str) -> i64 {
    item(card, code)["tenths"].as_i64().unwrap()
}

fn why(card: &Value, code: &str) -> String {
    item(card, code)["explanation"].as_str().unwrap().to_string()
}

both_backends!(every_item_is_measured_from_the_branchs_records, |app: TestApp| async move {
    let t = app.token("admin").await;
    let va = app.tree.village_a.id;
    let year = yinghuo::db::today().year();
    let url = format!("/api/v1/assessment/branches/{va}?year={year}");
    // The branch has existed for years, so this year's meetings are due.
    let (s, v) = app.patch(&t, &format!("/api/v1/orgs/{va}"), json!({"founded_on": "2015-03-01"})).await;
    assert_eq!(s, 200, "{v}");
    let m1 = app.member(&t, &app.tree.village_a, "王书记", &common::id("1970-01-01", 1)).await;
    let m2 = app.member(&t, &app.tree.village_a, "李党员", &common::id("1971-01-01", 2)).await;
    let (_, c) = app.get(&t, &url).await;
    // Two full members: fewer than a branch needs; no secretary; no admission in three years.
    assert_eq!(pts(&c, "size"), 0, "{c}");
    assert!(why(&c, "size").contains("正式党员2人"), "{}", why(&c, "size"));
    assert_eq!(pts(&c, "committee"), 0);
    assert!(why(&c, "committee").contains("书记空缺"));
    assert_eq!(pts(&c, "recruitment"), 0);
    assert!(why(&c, "recruitment").contains("2010-07-01"), "{}", why(&c, "recruitment"));
    // No hours yet: nobody meets the yearly target.
    assert_eq!(pts(&c, "training"), 0);
    assert!(why(&c, "training").contains("2名党员中0人"), "{}", why(&c, "training"));
    // No request closed: nothing to judge.
    assert_eq!(pts(&c, "requests"), 100);
    assert_eq!(c["facts"]["members"], 2);
    assert!(c["facts"]["meetings_missed"].as_i64().unwrap() > 0, "{c}");

    // A third full member, one newly admitted (probationary), and a secretary: size, committee
    // and recruitment in full.
    app.member(&t, &app.tree.village_a, "钱党员", &common::id("1972-01-01", 4)).await;
    let (s, v) = app.post(&t, "/api/v1/members", json!({"org_id": va, "name": "赵新", "id_number": common::id("1995-05-05", 3), "education": "大学本科", "joined_on": format!("{year}-01-02")})).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app.patch(&t, &format!("/api/v1/members/{m1}"), json!({"posts": "书记"})).await;
    assert_eq!(s, 200, "{v}");
    let (_, c) = app.get(&t, &url).await;
    assert_eq!((pts(&c, "size"), pts(&c, "committee"), pts(&c, "recruitment")), (40, 80, 80), "{c}");
    assert!(why(&c, "committee").contains("王书记"));

    // Meetings: what is due and missed so far is named; holding one adds a requirement met.
    let met_before = c["facts"]["meetings_met"].as_i64().unwrap();
    let held = yinghuo::db::today() - chrono::Duration::days(1);
    let (s, mt) = app.post(&t, "/api/v1/meetings", json!({"org_id": va, "kind": "party_lecture", "topic": "专题党课", "planned_start": format!("{held} 09:00")})).await;
    assert_eq!(s, 201, "{mt}");
    let mid = mt["id"].as_i64().unwrap_or_else(|| mt["meeting"]["id"].as_i64().unwrap());
    assert_eq!(app.post(&t, &format!("/api/v1/meetings/{mid}/hold"), json!({"held_on": held.to_string()})).await.0, 200);
    let (_, c) = app.get(&t, &url).await;
    let f = &c["facts"];
    let (met, missed) = (f["meetings_met"].as_i64().unwrap(), f["meetings_missed"].as_i64().unwrap());
    assert!(met >= met_before && missed > 0, "{f}");
    assert_eq!(pts(&c, "meetings"), 200 * met / (met + missed), "{c}");
    assert!(why(&c, "meetings").contains(&format!("到期要求{}项", met + missed)), "{}", why(&c, "meetings"));
    assert!(why(&c, "meetings").contains("未按期") && why(&c, "meetings").contains("年"), "{}", why(&c, "meetings"));

    // Dues: a wage basis with nothing paid scores nothing; the months over are counted.
    if yinghuo::db::today().month() > 1 {
        let (s, v) = app.post(&t, &format!("/api/v1/members/{m2}/dues/basis"), json!({"from_month": format!("{year}-01"), "category": "employed", "base_fen": 500000})).await;
        assert_eq!(s, 200, "{v}");
        let (_, c) = app.get(&t, &url).await;
        assert_eq!(pts(&c, "dues"), 0, "{c}");
        let owed = c["facts"]["dues_owed_fen"].as_i64().unwrap();
        assert!(owed > 0);
        let (_, d) = app.get(&t, &format!("/api/v1/members/{m2}/dues?month={year}-01")).await;
        let monthly = d["owed_fen"].as_i64().or_else(|| d["months"][0]["owed_fen"].as_i64()).unwrap_or(owed);
        let (s, v) = app.post(&t, &format!("/api/v1/members/{m2}/dues/payments"), json!({"month": format!("{year}-01"), "amount_fen": monthly, "method": "cash"})).await;
        assert!(s == 200 || s == 201, "{v}");
        let (_, c) = app.get(&t, &url).await;
        assert!(pts(&c, "dues") > 0, "{c}");
        assert!(why(&c, "dues").contains("应交"), "{}", why(&c, "dues"));
    }

    // A request fulfilled on time.
    let (s, r) = app.post(&t, "/api/v1/requests", json!({"org_id": va, "source": "door_knocking", "category": "环境卫生", "text": "楼道堆放杂物", "contact_name": "王阿姨", "contact_phone": "13912345678"})).await;
    assert_eq!(s, 201, "{r}");
    let rid = r["id"].as_i64().unwrap();
    for body in [json!({"action": "verify", "public_text": "楼道堆放杂物"}), json!({"action": "publish"}), json!({"action": "claim", "claimant_kind": "member", "claimant_id": m2}), json!({"action": "fulfil", "note": "已清理"})] {
        let (s, v) = app.post(&t, &format!("/api/v1/requests/{rid}/actions"), body).await;
        assert_eq!(s, 200, "{v}");
    }
    let (_, c) = app.get(&t, &url).await;
    assert_eq!((c["facts"]["requests_closed"].as_i64(), pts(&c, "requests")), (Some(1), 100), "{c}");
    assert!(why(&c, "requests").contains("办结群众诉求1件"));

    // Most of the score is there from records; the rest waits for the assessors.
    assert_eq!(c["scorecard"]["missing"], 5);
    let total = c["scorecard"]["total_tenths"].as_i64().unwrap();
    let sum: i64 = c["scorecard"]["items"].as_array().unwrap().iter().map(|i| i["tenths"].as_i64().unwrap()).sum();
    assert_eq!(total, sum);
});

both_backends!(assessors_enter_rate_and_review, |app: TestApp| async move {
    let t = app.token("admin").await;
    let town = app.token("town").await;
    let sec = app.token("sec_a").await;
    let va = app.tree.village_a.id;
    let year = yinghuo::db::today().year();
    for (i, name) in ["甲", "乙", "丙"].iter().enumerate() {
        app.member(&t, &app.tree.village_a, name, &common::id("1975-03-03", 10 + i as u32)).await;
    }
    let entries = format!("/api/v1/assessment/branches/{va}/entries");
    // Refusals: a measured item, over the maximum, no evidence, a broken file, a secretary.
    let (s, e) = app.post(&town, &entries, json!({"year": year, "item": "meetings", "points": "20", "note": "查阅会议记录"})).await;
    assert_eq!((s, err(&e)), (422, "item_from_records"), "{e}");
    let (s, e) = app.post(&town, &entries, json!({"year": year, "item": "venue", "points": "8.5", "note": "实地查看"})).await;
    assert_eq!((s, err(&e)), (422, "points_over_max"));
    let (s, e) = app.post(&town, &entries, json!({"year": year, "item": "venue", "points": "7.55", "note": "实地查看"})).await;
    assert_eq!((s, err(&e)), (422, "points_invalid"));
    let (s, e) = app.post(&town, &entries, json!({"year": year, "item": "venue", "points": "7"})).await;
    assert_eq!((s, err(&e)), (422, "evidence_required"));
    let (s, e) = app.post(&town, &entries, json!({"year": year, "item": "venue", "points": "7", "note": "实地查看", "file_name": "a.exe", "file_base64": "TVqQAAMAAAAEAAAA"})).await;
    assert_eq!(s, 422, "{e}");
    let (s, e) = app.post(&sec, &entries, json!({"year": year, "item": "venue", "points": "7", "note": "实地查看"})).await;
    assert_eq!(s, 403, "{e}");
    let (s, e) = app.post(&town, &entries, json!({"year": year + 1, "item": "venue", "points": "7", "note": "实地查看"})).await;
    assert_eq!((s, err(&e)), (422, "year_invalid"));
    // Nothing was written by the refusals.
    let (_, c) = app.get(&t, &format!("/api/v1/assessment/branches/{va}?year={year}")).await;
    assert!(c["entries"].as_array().unwrap().is_empty(), "{c}");

    // Rating waits for every item.
    let rate = format!("/api/v1/assessment/branches/{va}/ratings");
    let (s, e) = app.post(&town, &rate, json!({"year": year})).await;
    assert_eq!((s, err(&e)), (422, "items_missing"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("活动阵地"));
    // Entries with evidence; a later entry replaces an earlier one, both stay on file.
    let (s, v) = app.post(&town, &entries, json!({"year": year, "item": "venue", "points": "6", "note": "活动室面积不足", "file_name": "阵地.pdf", "file_base64": "JVBERi0xLjQgdmVudWU="})).await;
    assert_eq!(s, 201, "{v}");
    let file = v["id"].as_i64().unwrap();
    let (s, _) = app.get(&t, &format!("/api/v1/assessment/entries/{file}/file")).await;
    assert_eq!(s, 200);
    for (code, p) in [("venue", "7.5"), ("term", "3"), ("secretary", "7"), ("records", "7"), ("funds", "7")] {
        let (s, v) = app.post(&town, &entries, json!({"year": year, "item": code, "points": p, "note": "查阅台账和实地查看"})).await;
        assert_eq!(s, 201, "{v}");
    }
    let (_, c) = app.get(&t, &format!("/api/v1/assessment/branches/{va}?year={year}")).await;
    assert_eq!(pts(&c, "venue"), 75);
    assert_eq!(c["entries"].as_array().unwrap().len(), 6);
    let (s, e) = app.post(&town, &rate, json!({"year": year})).await;
    assert_eq!((s, err(&e)), (422, "ten_haves_missing"), "{e}");
    for code in ["venue", "rules", "funds", "service"] {
        let (s, v) = app.post(&town, &entries, json!({"year": year, "item": format!("ten:{code}"), "met": true, "note": "对照标准核查"})).await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, e) = app.post(&town, &entries, json!({"year": year, "item": "ten:life", "met": true, "note": "对照标准核查"})).await;
    assert_eq!((s, err(&e)), (422, "item_from_records"));
    // The secretary cannot appeal before a rating.
    let appeals = format!("/api/v1/assessment/branches/{va}/appeals");
    let (s, e) = app.post(&sec, &appeals, json!({"year": year, "reason": "阵地分数偏低"})).await;
    assert_eq!((s, err(&e)), (409, "not_rated"));
    let (s, c) = app.post(&town, &rate, json!({"year": year})).await;
    assert_eq!(s, 200, "{c}");
    let stars = c["rated_stars"].as_i64().unwrap();
    assert_eq!(stars, c["scorecard"]["stars"].as_i64().unwrap());
    assert_eq!(c["events"][0]["change"], "首次评定");
    assert!(c["events"][0]["note"].as_str().unwrap().contains("总分"), "{c}");
    // A title asks for stars the branch may not have.
    let titles = format!("/api/v1/assessment/branches/{va}/titles");
    let (s, e) = app.post(&town, &titles, json!({"title": "biaogan", "year": year, "document": "X组通〔2026〕1号"})).await;
    if stars < 5 {
        assert_eq!((s, err(&e)), (422, "title_needs_stars"), "{e}");
    }
    let (s, e) = app.post(&town, &titles, json!({"title": "nope", "year": year, "document": "X"})).await;
    assert_eq!((s, err(&e)), (422, "title_unknown"));
    // Appeal and review: one open appeal at a time; rating waits for the review.
    let (s, c) = app.post(&sec, &appeals, json!({"year": year, "reason": "阵地已扩建，请复核"})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["appeal_open"], true);
    let (s, e) = app.post(&sec, &appeals, json!({"year": year, "reason": "再次申诉"})).await;
    assert_eq!((s, err(&e)), (409, "appeal_open"));
    let (s, e) = app.post(&town, &rate, json!({"year": year})).await;
    assert_eq!((s, err(&e)), (409, "appeal_open"));
    let reviews = format!("/api/v1/assessment/branches/{va}/reviews");
    let (s, e) = app.post(&sec, &reviews, json!({"year": year, "stars": 5, "note": "同意"})).await;
    assert_eq!(s, 403, "{e}");
    let (s, c) = app.post(&town, &reviews, json!({"year": year, "stars": 5, "note": "实地复核，阵地已达标"})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!((c["rated_stars"].as_i64(), c["appeal_open"].as_bool()), (Some(5), Some(false)), "{c}");
    assert_eq!(c["events"].as_array().unwrap().len(), 3);
    let (s, c) = app.post(&town, &titles, json!({"title": "biaogan", "year": year, "document": "X组通〔2026〕1号"})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["titles"][0]["name"], "标杆党组织");
    let (s, e) = app.post(&town, &titles, json!({"title": "biaogan", "year": year, "document": "X组通〔2026〕2号"})).await;
    assert_eq!((s, err(&e)), (409, "title_already"));
    let (s, c) = app.post(&town, &titles, json!({"title": "biaogan", "year": year, "document": "X组通〔2026〕3号", "revoke": true})).await;
    assert_eq!(s, 200, "{c}");
    assert!(c["titles"][0]["withdrawn"].as_str().unwrap().contains("撤销"));

    // The board of the township: the branch with its stars; the ledger opens as a workbook.
    let (s, b) = app.get(&town, &format!("/api/v1/orgs/{}/assessment?year={year}", app.tree.town.id)).await;
    assert_eq!(s, 200, "{b}");
    let row = b["rows"].as_array().unwrap().iter().find(|r| r["org_id"] == va).unwrap();
    assert_eq!(row["rated_stars"], 5);
    assert_eq!(b["rated"], 1);
    let r = app.client.get(format!("{}/api/v1/orgs/{}/assessment.xlsx?year={year}", app.url, app.tree.town.id)).bearer_auth(&town).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    // Out of scope looks like not-found; a member reads no scorecard.
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/assessment/branches/{va}?year={year}")).await.0, 404);
    // A group is not rated.
    let (s, e) = app.get(&t, &format!("/api/v1/assessment/branches/{}?year={year}", app.tree.group_a.id)).await;
    assert_eq!((s, err(&e)), (422, "not_a_branch"));
});

both_backends!(a_countys_rubric_overrides_the_default, |app: TestApp| async move {
    let t = app.token("admin").await;
    let county = app.tree.county.id;
    let va = app.tree.village_a.id;
    let (_, r) = app.get(&t, &format!("/api/v1/orgs/{va}/assessment/rubric")).await;
    assert_eq!(r["cutoffs_tenths"], json!([950, 850, 750, 650, 600]));
    let mut rubric = r.clone();
    rubric["items"][0]["points"] = json!(9);
    let (s, e) = app.put(&t, &format!("/api/v1/orgs/{county}/assessment/rubric"), rubric.clone()).await;
    assert_eq!((s, err(&e)), (422, "rubric_invalid"));
    assert!(e["error"]["message"].as_str().unwrap().contains("101"));
    rubric["items"][0]["points"] = json!(8);
    rubric["cutoffs_tenths"] = json!([900, 800, 700, 600, 500]);
    let (s, v) = app.put(&t, &format!("/api/v1/orgs/{county}/assessment/rubric"), rubric).await;
    assert_eq!(s, 200, "{v}");
    let (_, c) = app.get(&t, &format!("/api/v1/assessment/branches/{va}?year={}", yinghuo::db::today().year())).await;
    assert_eq!(c["rubric"]["cutoffs_tenths"][0], 900);
    assert_eq!(c["rubric_from"], "中共测试县委员会");
    // A township office cannot set the county's rubric.
    let town = app.token("town").await;
    let (s, _) = app.put(&town, &format!("/api/v1/orgs/{county}/assessment/rubric"), c["rubric"].clone()).await;
    assert!(s == 403 || s == 404, "{s}");
});

both_backends!(fifty_parallel_appeals_record_one, |app: TestApp| async move {
    let t = app.token("admin").await;
    let town = app.token("town").await;
    let va = app.tree.village_a.id;
    let year = yinghuo::db::today().year();
    for (i, name) in ["甲", "乙", "丙"].iter().enumerate() {
        app.member(&t, &app.tree.village_a, name, &common::id("1976-04-04", 20 + i as u32)).await;
    }
    let entries = format!("/api/v1/assessment/branches/{va}/entries");
    for code in ["venue", "term", "secretary", "records", "funds"] {
        assert_eq!(app.post(&town, &entries, json!({"year": year, "item": code, "points": "1", "note": "查阅台账"})).await.0, 201);
    }
    for code in ["venue", "rules", "funds", "service"] {
        assert_eq!(app.post(&town, &entries, json!({"year": year, "item": format!("ten:{code}"), "met": false, "note": "对照标准核查"})).await.0, 201);
    }
    assert_eq!(app.post(&town, &format!("/api/v1/assessment/branches/{va}/ratings"), json!({"year": year})).await.0, 200);
    let sec = app.token("sec_a").await;
    let url = format!("{}/api/v1/assessment/branches/{va}/appeals", app.url);
    let calls = (0..50).map(|i| {
        let (client, url, sec) = (app.client.clone(), url.clone(), sec.clone());
        async move { client.post(url).bearer_auth(sec).json(&json!({"year": year, "reason": format!("申诉理由第{i}条")})).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    let (_, c) = app.get(&t, &format!("/api/v1/assessment/branches/{va}?year={year}")).await;
    let kinds: Vec<&str> = c["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["rating", "appeal"], "{c}");
});

both_backends!(a_county_edits_its_rubric_on_the_page, |app: TestApp| async move {
    let county = app.tree.county.id;
    let c = common::ui_login(&app, "admin").await;
    let url = format!("{}/orgs/{county}/assessment/rubric", app.url);
    let page = c.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("百分考评细则") && page.contains("默认细则"), "{page}");
    let csrf = common::hidden(&page, "csrf");
    // Items adding to 101: refused with the reason, nothing saved.
    let r = c.post(&url).form(&[("csrf", csrf.as_str()), ("points_committee", "9")]).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("101"));
    // Moving a point and lowering the five-star line to 92.5.
    let r = c.post(&url).form(&[("csrf", csrf.as_str()), ("points_committee", "9"), ("points_size", "3"), ("cut_0", "92.5")]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let t = app.token("admin").await;
    let (_, rubric) = app.get(&t, &format!("/api/v1/orgs/{}/assessment/rubric", app.tree.village_a.id)).await;
    assert_eq!((rubric["cutoffs_tenths"][0].as_i64(), rubric["items"][0]["points"].as_i64()), (Some(925), Some(9)), "{rubric}");
    // The township inherits it; the county's own page is out of its scope.
    let town = common::ui_login(&app, "town").await;
    let page = town.get(format!("{}/orgs/{}/assessment/rubric", app.url, app.tree.town.id)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("中共测试县委员会设定"), "{page}");
    assert_eq!(town.get(&url).send().await.unwrap().status(), 404);
});
