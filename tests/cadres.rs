//! Delegates, village cadres and pairings over real HTTP, on SQLite and PostgreSQL: the writes
//! and their refusals (each with a stable code, a termination naming its article), the flags
//! (review due, reserves short, 一肩挑, first secretary's term, “四不一起”), both sides of a
//! pairing, scope, the workbooks and pages, and 50 parallel callers on every write that keeps
//! one record.

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

fn codes(flags: &Value) -> Vec<String> {
    flags.as_array().map(|a| a.iter().filter_map(|f| f["code"].as_str().map(String::from)).collect()).unwrap_or_default()
}

/// 50 identical requests at once: the statuses.
async fn race(app: &TestApp, token: &str, path: &str, body: Value) -> Vec<u16> {
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (url, tok, client, body) = (format!("{}{path}", app.url), token.to_string(), app.client.clone(), body.clone());
        tasks.push(tokio::spawn(async move { client.post(url).bearer_auth(tok).json(&body).send().await.unwrap().status().as_u16() }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn one_won(statuses: &[u16], ok: u16, lost: &[u16]) {
    assert_eq!(statuses.iter().filter(|s| **s == ok).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == ok || lost.contains(s)), "{statuses:?}");
}

both_backends!(delegates_register_review_and_terminate, |app: TestApp| async move {
    let t = app.token("admin").await;
    let m = app.member(&t, &app.tree.village_a, "郭代表", &id("1975-05-05", 1)).await;
    let (s, e) = app.post(&t, "/api/v1/delegates", json!({"member_id": m, "congress": "county", "term_start": day(1)})).await;
    assert_eq!((s, err(&e)), (422, "date_in_future"));
    let (s, e) = app.post(&t, "/api/v1/delegates", json!({"member_id": m, "congress": "town", "term_start": day(-75)})).await;
    assert_eq!((s, err(&e)), (422, "congress_invalid"));
    let (s, d) = app.post(&t, "/api/v1/delegates", json!({"member_id": m, "congress": "县党代表大会", "term_start": day(-75), "unit": "城关镇代表团"})).await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(codes(&d["flags"]), vec!["review_due"], "{d}");
    let did = d["id"].as_i64().unwrap();
    let (s, e) = app.post(&t, "/api/v1/delegates", json!({"member_id": m, "congress": "county", "term_start": day(-75)})).await;
    assert_eq!((s, err(&e)), (409, "already_delegate"));
    // The quarter's analysis: once, with findings, not before the term.
    let (s, e) = app.post(&t, &format!("/api/v1/delegates/{did}/reviews"), json!({"reviewed_on": day(0), "findings": " "})).await;
    assert_eq!((s, err(&e)), (422, "findings_required"));
    let (s, e) = app.post(&t, &format!("/api/v1/delegates/{did}/reviews"), json!({"reviewed_on": day(-80), "findings": "走访"})).await;
    assert_eq!((s, err(&e)), (422, "date_order"));
    let (s, d) = app.post(&t, &format!("/api/v1/delegates/{did}/reviews"), json!({"reviewed_on": day(0), "findings": "走访群众8户"})).await;
    assert_eq!(s, 200, "{d}");
    assert!(codes(&d["flags"]).is_empty(), "{d}");
    let (s, e) = app.post(&t, &format!("/api/v1/delegates/{did}/reviews"), json!({"reviewed_on": day(0), "findings": "再次"})).await;
    assert_eq!((s, err(&e)), (409, "review_exists"));
    // Termination: refusals name the article; then done once.
    let path = format!("/api/v1/delegates/{did}/terminate");
    let (s, e) = app.post(&t, &path, json!({"on": day(1), "kind": "left_area", "reason": "调离本县"})).await;
    assert_eq!((s, err(&e)), (422, "in_future"), "{e}");
    assert!(e["error"]["rule"]["article"].as_str().unwrap().contains("第二十六条"), "{e}");
    let (s, e) = app.post(&t, &path, json!({"on": day(-100), "kind": "left_area", "reason": "调离本县"})).await;
    assert_eq!((s, err(&e)), (422, "before_term_start"));
    let (s, e) = app.post(&t, &path, json!({"on": day(0), "kind": "resigned", "reason": ""})).await;
    assert_eq!((s, err(&e)), (422, "reason_missing"));
    let (s, d) = app.post(&t, &path, json!({"on": day(0), "kind": "left_area", "reason": "调离本县"})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["termination_label"], "调离同级党代表大会所属范围");
    let (s, e) = app.post(&t, &path, json!({"on": day(0), "kind": "other", "reason": "x"})).await;
    assert_eq!((s, err(&e)), (422, "already_terminated"));
    let (s, e) = app.post(&t, &format!("/api/v1/delegates/{did}/reviews"), json!({"reviewed_on": day(0), "findings": "x"})).await;
    assert_eq!((s, err(&e)), (409, "terminated"));
    // Registered again after the termination (a new congress), listed apart from the ended one.
    let (s, _) = app.post(&t, "/api/v1/delegates", json!({"member_id": m, "congress": "county", "term_start": day(0)})).await;
    assert_eq!(s, 201);
    let (_, l) = app.get(&t, &format!("/api/v1/orgs/{}/delegates", app.tree.county.id)).await;
    assert_eq!((l["delegates"].as_array().unwrap().len(), l["ended"].as_array().unwrap().len(), l["review_due"].as_i64()), (1, 1, Some(1)), "{l}");
    // Scope: the county's and the township's files; not a branch secretary's, not another township's.
    let town = app.token("town").await;
    assert_eq!(app.get(&town, &format!("/api/v1/delegates/{did}")).await.0, 200);
    let sec_a = app.token("sec_a").await;
    assert_eq!(app.get(&sec_a, &format!("/api/v1/delegates/{did}")).await.0, 404);
    assert_eq!(app.post(&sec_a, "/api/v1/delegates", json!({"member_id": m, "congress": "city", "term_start": day(0)})).await.0, 403);
    // The roll as a workbook, and the pages.
    let r = app.client.get(format!("{}/api/v1/orgs/{}/delegates.xlsx", app.url, app.tree.county.id)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    let c = common::ui_login(&app, "admin").await;
    let page = c.get(format!("{}/orgs/{}/delegates", app.url, app.tree.county.id)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("郭代表") && page.contains("已终止资格"), "{page}");
    let page = c.get(format!("{}/delegates/{did}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("走访群众8户") && page.contains("调离本县"), "{page}");
});

both_backends!(pairings_are_seen_from_both_sides, |app: TestApp| async move {
    let t = app.token("admin").await;
    let (county, va, vb, organ) = (app.tree.county.id, app.tree.village_a.id, app.tree.village_b.id, app.tree.organ.id);
    let (s, e) = app.post(&t, "/api/v1/pairings", json!({"kind": "liaison", "helper_org_id": county, "helped_org_id": va, "starts_on": day(-100)})).await;
    assert_eq!((s, err(&e)), (422, "leader_required"));
    let (s, e) = app.post(&t, "/api/v1/pairings", json!({"kind": "assistance", "helper_org_id": va, "helped_org_id": va, "starts_on": day(-100)})).await;
    assert_eq!((s, err(&e)), (422, "same_org"));
    let body = json!({"kind": "包联", "helper_org_id": county, "helped_org_id": va, "leader": "王某 县委常委", "starts_on": day(-100)});
    let (s, p) = app.post(&t, "/api/v1/pairings", body.clone()).await;
    assert_eq!(s, 201, "{p}");
    assert!(p["quiet"].as_str().unwrap().contains("100天"), "{p}");
    let pid = p["id"].as_i64().unwrap();
    assert_eq!(app.post(&t, "/api/v1/pairings", body).await.0, 409);
    let (s, _) = app.post(&t, "/api/v1/pairings", json!({"kind": "co_building", "helper_org_id": organ, "helped_org_id": vb, "starts_on": day(-10)})).await;
    assert_eq!(s, 201);
    // The village's secretary records what the pairing did; the other village's cannot see it.
    let sec_a = app.token("sec_a").await;
    let (s, e) = app.post(&sec_a, &format!("/api/v1/pairings/{pid}/activities"), json!({"held_on": day(-101), "summary": "走访"})).await;
    assert_eq!((s, err(&e)), (422, "date_order"));
    let (s, p) = app.post(&sec_a, &format!("/api/v1/pairings/{pid}/activities"), json!({"held_on": day(-2), "summary": "走访困难户5户", "people": 6})).await;
    assert_eq!(s, 200, "{p}");
    assert!(p["quiet"].is_null() && p["activities"] == 1, "{p}");
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/pairings/{pid}")).await.0, 404);
    // Listed on both sides and above them; a village sees only its own pairings.
    let (_, l) = app.get(&sec_a, &format!("/api/v1/orgs/{va}/pairings")).await;
    assert_eq!(l["current"].as_array().unwrap().len(), 1, "{l}");
    let (_, l) = app.get(&t, &format!("/api/v1/orgs/{county}/pairings")).await;
    assert_eq!(l["current"].as_array().unwrap().len(), 2, "{l}");
    let (_, l) = app.get(&t, &format!("/api/v1/orgs/{organ}/pairings")).await;
    assert_eq!(l["current"][0]["helped_name"], "西关村党支部", "{l}");
    // Ending needs WriteOrgs at both sides: the township cannot end the county's 包联.
    let town = app.token("town").await;
    assert_eq!(app.post(&town, &format!("/api/v1/pairings/{pid}/end"), json!({"ends_on": day(0), "reason": "调整"})).await.0, 403);
    let (s, p) = app.post(&t, &format!("/api/v1/pairings/{pid}/end"), json!({"ends_on": day(0), "reason": "包联调整"})).await;
    assert_eq!(s, 200, "{p}");
    let (s, e) = app.post(&sec_a, &format!("/api/v1/pairings/{pid}/activities"), json!({"held_on": day(0), "summary": "x"})).await;
    assert_eq!((s, err(&e)), (409, "pairing_ended"));
    let r = app.client.get(format!("{}/api/v1/orgs/{county}/pairings.xlsx", app.url)).bearer_auth(&t).send().await.unwrap();
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    let c = common::ui_login(&app, "sec_a").await;
    let page = c.get(format!("{}/pairings/{pid}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("走访困难户5户") && page.contains("包联调整"), "{page}");
});

both_backends!(village_cadre_files_and_flags, |app: TestApp| async move {
    let t = app.token("admin").await;
    let (town, va, vb) = (app.tree.town.id, app.tree.village_a.id, app.tree.village_b.id);
    let sec = app.member(&t, &app.tree.village_a, "老书记", &id("1960-01-01", 1)).await;
    let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
    let upload = |kind: &str, name: &str, data: Vec<u8>| {
        app.client.post(format!("{}/api/v1/cadres/{va}/docs?kind={kind}&filename={name}", app.url)).bearer_auth(&t).header("content-type", "application/octet-stream").body(data).send()
    };
    // No secretary yet: the archive has no owner.
    let r = upload("basic_info", "a.pdf", pdf.clone()).await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "no_secretary");
    let (s, _) = app.post(&t, &format!("/api/v1/orgs/{va}/team"), json!({"member_id": sec, "post": "secretary", "starts_on": day(-800)})).await;
    assert_eq!(s, 201);
    let r = upload("basic_info", "a.pdf", pdf.clone()).await.unwrap();
    assert_eq!(r.status(), 201);
    let r = upload("id_card", "b.pdf", b"not a pdf".to_vec()).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "file_type");
    let r = upload("nonsense", "b.pdf", pdf.clone()).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "kind_invalid");
    // Reserves: a valid ID number, once while listed.
    let rpath = format!("/api/v1/cadres/{va}/reserves");
    let (s, e) = app.post(&t, &rpath, json!({"name": "小李", "id_number": "110101199001011234", "added_on": day(0)})).await;
    assert_eq!((s, err(&e)), (422, "id_number_invalid"));
    let body = json!({"name": "小李", "id_number": id("1990-01-01", 7), "for_secretary": true, "added_on": day(-30), "present_post": "村委委员"});
    let (s, r) = app.post(&t, &rpath, body.clone()).await;
    assert_eq!(s, 201, "{r}");
    assert!(r["id_number"].as_str().unwrap().contains('*'), "masked: {r}");
    assert_eq!(app.post(&t, &rpath, body).await.0, 409);
    // Director = the secretary: 一肩挑 in one village of two.
    let (s, _) = app.post(&t, &format!("/api/v1/cadres/{va}/director"), json!({"member_id": sec, "starts_on": day(-700)})).await;
    assert_eq!(s, 200);
    let (s, _) = app.post(&t, &format!("/api/v1/cadres/{vb}/director"), json!({"name": "赵主任", "starts_on": day(-700)})).await;
    assert_eq!(s, 200);
    // A first secretary near the end of the two-year term, with an exact subsidy.
    let fpath = format!("/api/v1/cadres/{va}/first-secretaries");
    let (s, e) = app.post(&t, &fpath, json!({"name": "周一书", "unit": "县财政局", "started_on": day(-700), "subsidy_yuan_month": "8百"})).await;
    assert_eq!((s, err(&e)), (422, "subsidy_invalid"));
    let (s, f) = app.post(&t, &fpath, json!({"name": "周一书", "unit": "县财政局", "started_on": day(-700), "subsidy_yuan_month": "800.50"})).await;
    assert_eq!(s, 201, "{f}");
    assert_eq!(f["subsidy_fen_month"], 80050);
    assert_eq!(app.post(&t, &fpath, json!({"name": "另一人", "unit": "县教育局", "started_on": day(0)})).await.0, 409);
    // Last year's assessment: 不称职 is one of the “四不一起” signs.
    let apath = format!("/api/v1/cadres/{va}/assessments");
    let year = chrono::Datelike::year(&yinghuo::db::today()) as i64 - 1;
    let (s, _) = app.post(&t, &apath, json!({"year": year, "grade": "不称职"})).await;
    assert_eq!(s, 201);
    assert_eq!(app.post(&t, &apath, json!({"year": year, "grade": "competent"})).await.0, 409);
    assert_eq!(app.post(&t, &apath, json!({"year": year + 2, "grade": "competent"})).await.0, 422);
    // The file: what is missing, the flags with their rules, and the township's overview.
    let (s, v) = app.get(&t, &format!("/api/v1/cadres/{va}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["docs_present"].as_i64(), v["missing"].as_array().unwrap().len()), (Some(1), 12), "{v}");
    let flags = codes(&v["flags"]);
    for want in ["age_over", "assessed_incompetent", "reserves_too_few", "first_secretary_term_ending"] {
        assert!(flags.iter().any(|f| f == want), "{want} missing in {flags:?}");
    }
    assert!(v["one_shoulder"].as_bool().unwrap());
    let (_, o) = app.get(&t, &format!("/api/v1/orgs/{town}/cadres")).await;
    assert_eq!((o["villages"].as_array().unwrap().len(), o["one_shoulder_percent"].as_str()), (2, Some("50.00%")), "{o}");
    // Removing a reserve keeps the record; ending the first secretary lets another be posted.
    let rid = v["reserves_list"][0]["id"].as_i64().unwrap();
    let (s, v2) = app.post(&t, &format!("/api/v1/cadre-reserves/{rid}/remove"), json!({"on": day(0), "reason": "已任村委委员"})).await;
    assert_eq!(s, 200, "{v2}");
    assert_eq!(v2["reserves"], 0);
    let fid = f["id"].as_i64().unwrap();
    assert_eq!(app.post(&t, &format!("/api/v1/first-secretaries/{fid}/end"), json!({"on": day(0), "reason": "期满轮换"})).await.0, 200);
    assert_eq!(app.post(&t, &fpath, json!({"name": "另一人", "unit": "县教育局", "started_on": day(0)})).await.0, 201);
    // Scope: not a branch secretary's to read; an org that is not a village is not found.
    let sec_a = app.token("sec_a").await;
    assert_eq!(app.get(&sec_a, &format!("/api/v1/cadres/{va}")).await.0, 404);
    assert_eq!(app.get(&t, &format!("/api/v1/cadres/{}", app.tree.organ.id)).await.0, 404);
    let (_, fileinfo) = app.get(&t, &format!("/api/v1/cadres/{va}")).await;
    let doc = fileinfo["docs"][0]["id"].as_i64().unwrap();
    let r = app.client.get(format!("{}/api/v1/cadres/{va}/docs/{doc}", app.url)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf.as_slice());
    let r = app.client.get(format!("{}/api/v1/orgs/{town}/cadres.xlsx", app.url)).bearer_auth(&t).send().await.unwrap();
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    let c = common::ui_login(&app, "town").await;
    let page = c.get(format!("{}/orgs/{town}/cadres", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("东关村党支部") && page.contains("50.00%"), "{page}");
    let page = c.get(format!("{}/cadres/{va}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("老书记") && page.contains("年龄超过60周岁") && page.contains("还缺 12 类"), "{page}");
    // A scan filed through the page's form.
    let form = reqwest::multipart::Form::new()
        .text("csrf", common::hidden(&page, "csrf"))
        .text("kind", "id_card")
        .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 id".to_vec()).file_name("身份证.pdf"));
    let r = c.post(format!("{}/cadres/{va}/docs", app.url)).multipart(form).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(r.headers()["location"], format!("/cadres/{va}").as_str());
    let (_, v) = app.get(&t, &format!("/api/v1/cadres/{va}")).await;
    assert_eq!(v["docs_present"], 2, "{v}");
});

both_backends!(fifty_parallel_callers_keep_one_record, |app: TestApp| async move {
    let t = app.token("admin").await;
    let (county, va) = (app.tree.county.id, app.tree.village_a.id);
    let m = app.member(&t, &app.tree.village_a, "并发代表", &id("1975-06-06", 2)).await;
    let st = race(&app, &t, "/api/v1/delegates", json!({"member_id": m, "congress": "county", "term_start": day(-10)})).await;
    one_won(&st, 201, &[409]);
    let (_, l) = app.get(&t, &format!("/api/v1/orgs/{county}/delegates")).await;
    let did = l["delegates"][0]["id"].as_i64().unwrap();
    one_won(&race(&app, &t, &format!("/api/v1/delegates/{did}/reviews"), json!({"reviewed_on": day(0), "findings": "正常"})).await, 200, &[409]);
    one_won(&race(&app, &t, &format!("/api/v1/delegates/{did}/terminate"), json!({"on": day(0), "kind": "other", "reason": "并发"})).await, 200, &[409, 422]);
    let p = json!({"kind": "assistance", "helper_org_id": app.tree.town.id, "helped_org_id": va, "starts_on": day(-5)});
    one_won(&race(&app, &t, "/api/v1/pairings", p).await, 201, &[409]);
    let (_, l) = app.get(&t, &format!("/api/v1/orgs/{va}/pairings")).await;
    let pid = l["current"][0]["id"].as_i64().unwrap();
    one_won(&race(&app, &t, &format!("/api/v1/pairings/{pid}/end"), json!({"ends_on": day(0), "reason": "并发"})).await, 200, &[409]);
    let r = json!({"name": "并发后备", "id_number": id("1992-02-02", 3), "added_on": day(0)});
    one_won(&race(&app, &t, &format!("/api/v1/cadres/{va}/reserves"), r).await, 201, &[409]);
    let f = json!({"name": "并发一书", "unit": "县财政局", "started_on": day(-1)});
    one_won(&race(&app, &t, &format!("/api/v1/cadres/{va}/first-secretaries"), f).await, 201, &[409]);
    // Directors: every caller may succeed in turn, but one is in post at the end.
    let st = race(&app, &t, &format!("/api/v1/cadres/{va}/director"), json!({"name": "并发主任", "starts_on": day(0)})).await;
    assert!(st.iter().all(|s| *s == 200 || *s == 409), "{st:?}");
    let (_, v) = app.get(&t, &format!("/api/v1/cadres/{va}")).await;
    assert_eq!(v["director"]["name"], "并发主任");
    let (s, _) = app.post(&t, &format!("/api/v1/orgs/{va}/team"), json!({"member_id": m, "post": "secretary", "starts_on": day(-1)})).await;
    assert_eq!(s, 201);
    let year = chrono::Datelike::year(&yinghuo::db::today()) as i64 - 1;
    one_won(&race(&app, &t, &format!("/api/v1/cadres/{va}/assessments"), json!({"year": year, "grade": "competent"})).await, 201, &[409]);
    let (_, team) = app.get(&t, &format!("/api/v1/orgs/{va}/team")).await;
    let sid = team["current"][0]["id"].as_i64().unwrap();
    one_won(&race(&app, &t, &format!("/api/v1/team-seats/{sid}/end"), json!({"ends_on": day(0), "reason": "并发"})).await, 200, &[409]);
});
