//! Mobile members (流动党员) over real HTTP, on SQLite and PostgreSQL: 外出报备, the flags with
//! their boundaries (six months away at a fixed place, the letter's last valid day, the quarterly
//! ledger), places with three or more, 50 parallel 报备 of one member, scope, the workbook, pages.

mod common;

use chrono::{Duration, NaiveDate};
use common::{id, TestApp};
use serde_json::{json, Value};
use yinghuo::recruitment::rules::add_months;

fn today() -> NaiveDate {
    yinghuo::db::today()
}

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn codes(v: &Value) -> Vec<String> {
    v["flags"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

both_backends!(away_flags_and_ledger, |app: TestApp| async move {
    let t = app.token("sec_a").await;
    let admin = app.token("admin").await;
    let mut m = Vec::new();
    for i in 0..5u32 {
        m.push(app.member(&admin, &app.tree.village_a, &format!("外出{}", ["甲", "乙", "丙", "丁", "戊"][i as usize]), &id("1980-03-03", 60 + i)).await);
    }
    // Bad input first: no place, no contact, a day to come, a member out of scope.
    let (s, e) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": m[0], "left_on": today().to_string(), "contact": "13900001111"})).await;
    assert_eq!((s, err(&e)), (422, "place_required"));
    let (s, e) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": m[0], "left_on": today().to_string(), "place": "北京"})).await;
    assert_eq!((s, err(&e)), (422, "contact_required"));
    let (s, e) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": m[0], "left_on": (today() + Duration::days(1)).to_string(), "place": "北京", "contact": "1"})).await;
    assert_eq!((s, err(&e)), (422, "date_in_future"));
    let outsider = app.member(&admin, &app.tree.village_b, "邻村", &id("1981-03-03", 70)).await;
    let (s, _) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": outsider, "left_on": today().to_string(), "place": "北京", "contact": "1"})).await;
    assert_eq!(s, 404, "out of scope looks like not found");

    // Six months at a fixed place: on the day it is reached, transfer the relationship; the day before, the certificate.
    let six = today();
    let left_exact = six.checked_sub_months(chrono::Months::new(6)).unwrap();
    let (s, a) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": m[0], "left_on": left_exact.to_string(), "place": "北京市", "contact": "13900001111", "place_fixed": true})).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(add_months(left_exact, 6), six);
    // Six months are reached tomorrow (month ends clip: 05-31 + 6 months is 11-30 too).
    let not_yet = (six + Duration::days(1)).checked_sub_months(chrono::Months::new(6)).unwrap();
    assert_eq!(add_months(not_yet, 6), six + Duration::days(1));
    assert!(codes(&a).contains(&"should_transfer".to_string()), "{a}");
    let (s, b) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": m[1], "left_on": not_yet.to_string(), "place": "北京", "contact": "13900001112", "place_fixed": true})).await;
    assert_eq!(s, 201, "{b}");
    assert!(!codes(&b).contains(&"should_transfer".to_string()) && codes(&b).contains(&"certificate_missing".to_string()), "{b}");
    // A certificate removes that flag.
    let bid = b["id"].as_i64().unwrap();
    let (s, b2) = app.patch(&t, &format!("/api/v1/mobile-members/{bid}"), json!({"certificate_no": "晋流2026001"})).await;
    assert_eq!(s, 200, "{b2}");
    assert!(!codes(&b2).contains(&"certificate_missing".to_string()), "{b2}");
    // The same member cannot be reported away twice.
    let (s, e) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": m[1], "left_on": today().to_string(), "place": "北京", "contact": "1"})).await;
    assert_eq!((s, err(&e)), (409, "already_away"));

    // A transfer letter valid three months: flagged from the day after its last valid day.
    let issued = today().checked_sub_months(chrono::Months::new(3)).unwrap();
    let (s, c) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": m[2], "left_on": (issued - Duration::days(5)).to_string(), "place": "太原", "contact": "13900001113"})).await;
    assert_eq!(s, 201, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let (_, c) = app.patch(&t, &format!("/api/v1/mobile-members/{cid}"), json!({"letter_issued_on": issued.to_string()})).await;
    assert!(!codes(&c).contains(&"letter_expired".to_string()), "valid through its last day (today): {c}");
    let (_, c) = app.patch(&t, &format!("/api/v1/mobile-members/{cid}"), json!({"letter_issued_on": (issued - Duration::days(1)).to_string()})).await;
    assert!(codes(&c).contains(&"letter_expired".to_string()), "{c}");
    let (_, c) = app.patch(&t, &format!("/api/v1/mobile-members/{cid}"), json!({"letter_returned": true})).await;
    assert!(!codes(&c).contains(&"letter_expired".to_string()), "{c}");

    // This quarter's ledger: one entry, a second refused; incomplete entries refused.
    let aid = a["id"].as_i64().unwrap();
    let (s, e) = app.post(&t, &format!("/api/v1/mobile-members/{aid}/ledger"), json!({"on": today().to_string(), "life": "参加临时党支部会议"})).await;
    assert_eq!((s, err(&e)), (422, "ledger_incomplete"), "{e}");
    let (_, l) = app.get(&t, &format!("/api/v1/orgs/{}/mobile-members", app.tree.village_a.id)).await;
    let gaps_before = l["gaps"].as_array().unwrap().len();
    let (s, r) = app.post(&t, &format!("/api/v1/mobile-members/{aid}/ledger"), json!({"on": today().to_string(), "life": "参加临时党支部会议", "thinking": "稳定", "role": "志愿服务", "job": "快递员"})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["job"], "快递员");
    let (s, e) = app.post(&t, &format!("/api/v1/mobile-members/{aid}/ledger"), json!({"on": today().to_string(), "life": "a", "thinking": "b", "role": "c"})).await;
    assert_eq!((s, err(&e)), (409, "ledger_exists"), "{e}");
    let (_, l) = app.get(&t, &format!("/api/v1/orgs/{}/mobile-members", app.tree.village_a.id)).await;
    assert_eq!(l["gaps"].as_array().unwrap().len(), gaps_before - 1, "{l}");
    // Three at 北京 (北京市 counts as 北京): a temporary branch may be formed.
    let (s, d) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": m[3], "left_on": today().to_string(), "place": " 北京 ", "contact": "13900001114"})).await;
    assert_eq!(s, 201, "{d}");
    let (_, l) = app.get(&admin, &format!("/api/v1/orgs/{}/mobile-members", app.tree.county.id)).await;
    let bj = l["places"].as_array().unwrap().iter().find(|p| p["count"] == 3).expect("three at one place");
    assert_eq!(bj["may_form_temp_branch"], true, "{l}");
    assert_eq!(l["away"].as_array().unwrap().len(), 4);
    // Back home: off the ledger, and a new 外出 may be reported.
    let did = d["id"].as_i64().unwrap();
    let (s, r) = app.post(&t, &format!("/api/v1/mobile-members/{did}/return"), json!({"on": today().to_string()})).await;
    assert_eq!(s, 200, "{r}");
    let (s, _) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": m[3], "left_on": today().to_string(), "place": "天津", "contact": "13900001114"})).await;
    assert_eq!(s, 201);

    // The workbook.
    let r = app.client.get(format!("{}/api/v1/orgs/{}/mobile-members.xlsx", app.url, app.tree.village_a.id)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    use calamine::Reader;
    let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.rows().count(), 5, "header and four members away");

    // The page.
    let c = common::ui_login(&app, "sec_a").await;
    let page = c.get(format!("{}/orgs/{}/mobile-members", app.url, app.tree.village_a.id)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("外出报备") && page.contains("外出甲") && page.contains("应转接组织关系"), "{page}");
    let page = c.get(format!("{}/mobile-members/{aid}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("七个清楚") && page.contains("快递员"), "{page}");
});

both_backends!(fifty_parallel_reports_of_one_member, |app: TestApp| async move {
    let t = app.token("sec_a").await;
    let mid = app.member(&t, &app.tree.village_a, "并发", &id("1979-09-09", 80)).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (url, tok, client) = (format!("{}/api/v1/mobile-members", app.url), t.clone(), app.client.clone());
        tasks.push(tokio::spawn(async move {
            let r = client.post(url).bearer_auth(tok).json(&json!({"member_id": mid, "left_on": today().to_string(), "place": format!("城市{i}"), "contact": "13900009999"})).send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut created = 0;
    for task in tasks {
        let (s, v) = task.await.unwrap();
        match s {
            201 => created += 1,
            409 => assert_eq!(err(&v), "already_away"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(created, 1);
    let (_, l) = app.get(&t, &format!("/api/v1/orgs/{}/mobile-members", app.tree.village_a.id)).await;
    assert_eq!(l["away"].as_array().unwrap().len(), 1);
});
