//! 小微权力清单 and 承诺践诺 over real HTTP, on SQLite and PostgreSQL: a county's catalog
//! inherited by its villages, a power's procedure in order, a 四议两公开 power waiting for the
//! published decision, the public page; commitments made, reported, checked by the level above,
//! sent back, not fulfilled only after their due day, counted per child; scope; 50 parallel
//! callers on one step and one report.

mod common;

use common::TestApp;
use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn day(offset: i64) -> String {
    (yinghuo::db::today() + chrono::Duration::days(offset)).to_string()
}

async fn step(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.post(token, &format!("/api/v1/village-affairs/powers/uses/{id}/steps"), body).await
}

fn xlsx_rows(bytes: Vec<u8>) -> usize {
    use calamine::Reader as _;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    wb.worksheet_range_at(0).unwrap().unwrap().height()
}

both_backends!(a_county_catalog_applies_below_it_and_a_bad_one_is_refused, |app: TestApp| async move {
    let admin = app.token("admin").await;
    let sec = app.token("sec_a").await;
    let va = app.tree.village_a.id;
    let (s, c) = app.get(&sec, &format!("/api/v1/orgs/{va}/powers/catalog")).await;
    assert_eq!(s, 200);
    let default_len = c["items"].as_array().unwrap().len();
    assert!(default_len >= 10 && c["items"].as_array().unwrap().iter().any(|i| i["four_two"] == true), "{c}");
    // A secretary may not set it; the county may.
    let mut items = c["items"].as_array().unwrap().clone();
    items.push(json!({"category": "便民服务", "name": "村级救灾物资发放", "basis": "自然灾害救助条例", "steps": ["群众申请", "村两委研究", "公示", "发放登记"]}));
    let (s, _) = app.put(&sec, &format!("/api/v1/orgs/{va}/powers/catalog"), json!({"items": items})).await;
    assert_eq!(s, 403);
    let county = app.tree.county.id;
    let (s, v) = app.put(&admin, &format!("/api/v1/orgs/{county}/powers/catalog"), json!({"items": items})).await;
    assert_eq!(s, 200, "{v}");
    let (_, c) = app.get(&sec, &format!("/api/v1/orgs/{va}/powers/catalog")).await;
    assert_eq!(c["items"].as_array().unwrap().len(), default_len + 1, "the village sees the county's catalog");
    let (_, b) = app.get(&sec, &format!("/api/v1/orgs/{va}/powers")).await;
    assert_eq!(b["catalog_from"].as_str(), Some(app.tree.county.name.as_str()), "{b}");
    // A procedure with no steps, or a duplicate, is refused and nothing changes.
    let mut bad = items.clone();
    bad.push(json!({"category": "便民服务", "name": "空流程", "steps": []}));
    let (s, e) = app.put(&admin, &format!("/api/v1/orgs/{county}/powers/catalog"), json!({"items": bad})).await;
    assert_eq!((s, err(&e)), (422, "catalog_invalid"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("空流程"));
    let (s, e) = app.put(&admin, &format!("/api/v1/orgs/{county}/powers/catalog"), json!({})).await;
    assert_eq!((s, err(&e)), (422, "items_required"));
    let (_, c) = app.get(&sec, &format!("/api/v1/orgs/{va}/powers/catalog")).await;
    assert_eq!(c["items"].as_array().unwrap().len(), default_len + 1);
});

both_backends!(a_power_goes_step_by_step_and_a_four_two_power_waits_for_the_decision, |app: TestApp| async move {
    let sec = app.token("sec_a").await;
    let va = app.tree.village_a.id;
    let (s, e) = app.post(&sec, "/api/v1/village-affairs/powers/uses", json!({"org_id": va, "item": "不存在的权力", "subject": "x"})).await;
    assert_eq!((s, err(&e)), (422, "item_unknown"));
    let (s, u) = app.post(&sec, "/api/v1/village-affairs/powers/uses", json!({"org_id": va, "item": "homestead", "subject": "张某宅基地申请"})).await;
    assert_eq!(s, 201, "{u}");
    let id = u["id"].as_i64().unwrap();
    let n = u["procedure"].as_array().unwrap().len() as i64;
    assert_eq!(u["next_step"].as_str(), Some("本人书面申请"));
    let (s, e) = step(&app, &sec, id, json!({"seq": 2, "on": day(-10), "note": "小组评议"})).await;
    assert_eq!((s, err(&e)), (422, "step_skipped"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("本人书面申请"));
    let (s, e) = step(&app, &sec, id, json!({"on": day(-10)})).await;
    assert_eq!((s, err(&e)), (422, "note_required"));
    assert_eq!(step(&app, &sec, id, json!({"on": day(-10), "note": "张某递交书面申请及户口本"})).await.0, 200);
    let (s, e) = step(&app, &sec, id, json!({"on": day(-11), "note": "评议"})).await;
    assert_eq!((s, err(&e)), (422, "step_before_previous"));
    for k in 2..=n {
        let (s, v) = step(&app, &sec, id, json!({"on": day(-10 + k), "note": format!("第{k}步办理")})).await;
        assert_eq!(s, 200, "{v}");
    }
    let (_, u) = app.get(&sec, &format!("/api/v1/village-affairs/powers/uses/{id}")).await;
    assert_eq!((u["done"].as_bool(), u["steps_done"].as_i64(), u["steps"].as_array().unwrap().len() as i64), (Some(true), Some(n), n), "{u}");
    let (s, e) = step(&app, &sec, id, json!({"on": day(0), "note": "多余"})).await;
    assert_eq!((s, err(&e)), (422, "procedure_complete"));

    // A 四议两公开 power: a matter is required, of this village, and its last step waits.
    let (s, e) = app.post(&sec, "/api/v1/village-affairs/powers/uses", json!({"org_id": va, "item": "asset_disposal", "subject": "村东鱼塘发包"})).await;
    assert_eq!((s, err(&e)), (422, "matter_required"), "{e}");
    let admin = app.token("admin").await;
    let (_, other) = app.post(&admin, "/api/v1/village-affairs/matters", json!({"org_id": app.tree.village_b.id, "title": "别村的事", "category": "其他重大事项"})).await;
    let (s, e) = app.post(&admin, "/api/v1/village-affairs/powers/uses", json!({"org_id": va, "item": "asset_disposal", "subject": "村东鱼塘发包", "matter_id": other["id"]})).await;
    assert_eq!((s, err(&e)), (422, "matter_elsewhere"), "{e}");
    let (_, m) = app.post(&sec, "/api/v1/village-affairs/matters", json!({"org_id": va, "title": "村东鱼塘发包", "category": "集体资产资源处置"})).await;
    let mid = m["id"].as_i64().unwrap();
    let (s, u) = app.post(&sec, "/api/v1/village-affairs/powers/uses", json!({"org_id": va, "item": "集体资产资源处置（发包、租赁、出让）", "subject": "村东鱼塘发包", "matter_id": mid})).await;
    assert_eq!(s, 201, "{u}");
    let uid = u["id"].as_i64().unwrap();
    let n = u["procedure"].as_array().unwrap().len() as i64;
    for k in 1..n {
        assert_eq!(step(&app, &sec, uid, json!({"on": day(-20 + k), "note": "办理"})).await.0, 200);
    }
    let (s, e) = step(&app, &sec, uid, json!({"on": day(0), "note": "结果公示"})).await;
    assert_eq!((s, err(&e)), (422, "decision_not_published"), "{e}");
    let vote = |e: i64, p: i64, y: i64| json!({"entitled": e, "present": p, "for": y, "against": p - y, "abstain": 0});
    for (st, v) in [("consult", Value::Null), ("propose", vote(5, 5, 5)), ("discuss", vote(9, 9, 9)), ("review", vote(30, 30, 30)), ("resolve", vote(30, 30, 30))] {
        let (s, e) = app.post(&sec, &format!("/api/v1/village-affairs/matters/{mid}/steps"), json!({"step": st, "on": day(-5), "minutes": "会议", "vote": v})).await;
        assert_eq!(s, 200, "{e}");
    }
    let (s, _) = app.post(&sec, &format!("/api/v1/village-affairs/matters/{mid}/steps"), json!({"step": "publish_decision", "on": day(-1), "minutes": "鱼塘公开发包", "posted_where": "村务公开栏"})).await;
    assert_eq!(s, 200);
    let (s, u) = step(&app, &sec, uid, json!({"on": day(0), "note": "发包结果在公开栏公示"})).await;
    assert_eq!((s, u["done"].as_bool()), (200, Some(true)), "{u}");
    // The public page lists the catalog and the finished uses; another village sees nothing.
    let code: String = sqlx::query_scalar("SELECT code FROM orgs WHERE id = $1").bind(va).fetch_one(&app.db.pool).await.unwrap();
    let page = app.client.get(format!("{}/p/{code}/affairs", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("小微权力清单") && page.contains("农村宅基地申请") && page.contains("张某宅基地申请") && page.contains("村东鱼塘发包"), "{page}");
    assert!(!page.contains("户口本"), "notes stay internal");
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/village-affairs/powers/uses/{uid}")).await.0, 404);
    assert_eq!(step(&app, &sec_b, uid, json!({"on": day(0), "note": "x"})).await.0, 404);
    let (_, b) = app.get(&admin, &format!("/api/v1/orgs/{}/powers", app.tree.town.id)).await;
    assert_eq!((b["done"].as_i64(), b["open"].as_i64()), (Some(2), Some(0)), "{b}");
    let r = app.client.get(format!("{}/api/v1/orgs/{va}/powers.xlsx", app.url)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let steps = u["procedure"].as_array().unwrap().len() + 5;
    assert_eq!(xlsx_rows(r.bytes().await.unwrap().to_vec()), steps + 1, "a header and one row per step");
});

both_backends!(parallel_recorders_take_a_power_step_once, |app: TestApp| async move {
    let sec = app.token("sec_a").await;
    let (_, u) = app.post(&sec, "/api/v1/village-affairs/powers/uses", json!({"org_id": app.tree.village_a.id, "item": "seal", "subject": "出具收入证明用印"})).await;
    let id = u["id"].as_i64().unwrap();
    let body = json!({"seq": 1, "on": day(0), "note": "提出用印申请"});
    let answers = futures_util::future::join_all((0..50).map(|_| step(&app, &sec, id, body.clone()))).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 1);
    assert!(answers.iter().all(|(s, e)| *s == 200 || (*s == 409 && err(e) == "changed_meanwhile") || (*s == 422 && err(e) == "step_done")), "{:?}", answers.iter().map(|(_, e)| err(e)).collect::<Vec<_>>());
    let (_, v) = app.get(&sec, &format!("/api/v1/village-affairs/powers/uses/{id}")).await;
    assert_eq!((v["steps_done"].as_i64(), v["steps"].as_array().unwrap().len()), (Some(1), 1));
});

both_backends!(a_commitment_is_reported_checked_and_counted, |app: TestApp| async move {
    let sec = app.token("sec_a").await;
    let town = app.token("town").await;
    let va = app.tree.village_a.id;
    let (s, e) = app.post(&sec, "/api/v1/village-affairs/commitments", json!({"org_id": va, "title": "改"})).await;
    assert_eq!((s, err(&e)), (422, "title_required"));
    let (s, e) = app.post(&sec, "/api/v1/village-affairs/commitments", json!({"org_id": va, "title": "硬化村道2公里", "due_on": day(-1)})).await;
    assert_eq!((s, err(&e)), (422, "due_invalid"));
    let (s, c) = app.post(&sec, "/api/v1/village-affairs/commitments", json!({"org_id": va, "title": "年内硬化村道2公里", "detail": "村东至村西主干道"})).await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["state"].as_str(), Some("open"));
    // Not fulfilled only once the due day has passed.
    let (s, e) = app.post(&town, &format!("/api/v1/village-affairs/commitments/{id}/fail"), json!({"reason": "未完成"})).await;
    assert_eq!((s, err(&e)), (422, "not_due"), "{e}");
    // Reported; the secretary cannot check his own; the township sends it back, then accepts.
    let (s, e) = app.post(&sec, &format!("/api/v1/village-affairs/commitments/{id}/fulfil"), json!({"on": day(1), "note": "已完工验收"})).await;
    assert_eq!((s, err(&e)), (422, "date_in_future"));
    let (s, c) = app.post(&sec, &format!("/api/v1/village-affairs/commitments/{id}/fulfil"), json!({"on": day(0), "note": "已完工，乡镇验收合格"})).await;
    assert_eq!((s, c["state"].as_str()), (200, Some("fulfilled")), "{c}");
    let (s, _) = app.post(&sec, &format!("/api/v1/village-affairs/commitments/{id}/check"), json!({"accept": true})).await;
    assert_eq!(s, 403);
    let (s, e) = app.post(&town, &format!("/api/v1/village-affairs/commitments/{id}/check"), json!({"accept": false})).await;
    assert_eq!((s, err(&e)), (422, "note_required"));
    let (s, c) = app.post(&town, &format!("/api/v1/village-affairs/commitments/{id}/check"), json!({"accept": false, "note": "缺验收单"})).await;
    assert_eq!((s, c["state"].as_str()), (200, Some("open")), "{c}");
    assert_eq!(app.post(&sec, &format!("/api/v1/village-affairs/commitments/{id}/fulfil"), json!({"on": day(0), "note": "补交验收单"})).await.0, 200);
    let (s, c) = app.post(&town, &format!("/api/v1/village-affairs/commitments/{id}/check"), json!({"accept": true, "note": "属实"})).await;
    assert_eq!((s, c["state"].as_str()), (200, Some("verified")), "{c}");
    let (s, e) = app.post(&sec, &format!("/api/v1/village-affairs/commitments/{id}/fulfil"), json!({"on": day(0), "note": "再报一次"})).await;
    assert_eq!((s, err(&e)), (409, "not_open"));
    // One past its due day (set in the database: the API refuses a past due day) is overdue.
    let (_, c2) = app.post(&sec, "/api/v1/village-affairs/commitments", json!({"org_id": va, "title": "建成村级文化广场"})).await;
    let id2 = c2["id"].as_i64().unwrap();
    sqlx::query("UPDATE commitments SET due_on = $1 WHERE id = $2").bind(day(-1)).bind(id2).execute(&app.db.pool).await.unwrap();
    let (_, c2) = app.get(&sec, &format!("/api/v1/village-affairs/commitments/{id2}")).await;
    assert_eq!(c2["overdue"].as_bool(), Some(true));
    let (s, c2) = app.post(&town, &format!("/api/v1/village-affairs/commitments/{id2}/fail"), json!({"reason": "资金未到位"})).await;
    assert_eq!((s, c2["state"].as_str()), (200, Some("unfulfilled")), "{c2}");
    // The township also commits, to the county; the county's board counts per child.
    let (s, _) = app.post(&town, "/api/v1/village-affairs/commitments", json!({"org_id": app.tree.town.id, "title": "村级集体经济全部过5万元"})).await;
    assert_eq!(s, 201);
    let admin = app.token("admin").await;
    let (_, b) = app.get(&admin, &format!("/api/v1/orgs/{}/commitments", app.tree.county.id)).await;
    assert_eq!((b["total"]["made"].as_i64(), b["total"]["verified"].as_i64(), b["total"]["unfulfilled"].as_i64()), (Some(3), Some(1), Some(1)), "{b}");
    let town_row = b["rows"].as_array().unwrap().iter().find(|r| r["org_id"] == app.tree.town.id).unwrap();
    assert_eq!((town_row["made"].as_i64(), town_row["rate_permille"].as_i64()), (Some(3), Some(333)), "{town_row}");
    let (_, b) = app.get(&town, &format!("/api/v1/orgs/{}/commitments", app.tree.town.id)).await;
    let rows = b["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["org_id"] == app.tree.town.id && r["made"] == 1) && rows.iter().any(|r| r["org_id"] == va && r["made"] == 2), "{b}");
    // Scope: village B's secretary sees none of it.
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/village-affairs/commitments/{id}")).await.0, 404);
    let (_, b) = app.get(&sec_b, &format!("/api/v1/orgs/{}/commitments", app.tree.village_b.id)).await;
    assert_eq!(b["total"]["made"].as_i64(), Some(0));
    let r = app.client.get(format!("{}/api/v1/orgs/{}/commitments.xlsx", app.url, app.tree.town.id)).bearer_auth(&town).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(xlsx_rows(r.bytes().await.unwrap().to_vec()), 4);
});

both_backends!(parallel_reports_of_one_commitment_record_one, |app: TestApp| async move {
    let sec = app.token("sec_a").await;
    let (_, c) = app.post(&sec, "/api/v1/village-affairs/commitments", json!({"org_id": app.tree.village_a.id, "title": "年内新发展党员2名"})).await;
    let id = c["id"].as_i64().unwrap();
    let path = format!("/api/v1/village-affairs/commitments/{id}/fulfil");
    let answers = futures_util::future::join_all((0..50).map(|i| app.post(&sec, &path, json!({"on": day(0), "note": format!("第{i}次报告")})))).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 1);
    assert!(answers.iter().all(|(s, e)| *s == 200 || (*s == 409 && matches!(err(e), "changed_meanwhile" | "not_open"))), "{:?}", answers.iter().map(|(_, e)| err(e)).collect::<Vec<_>>());
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'commitments.fulfil'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(n, 1);
});
