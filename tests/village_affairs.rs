//! 四议两公开 over real HTTP, on SQLite and PostgreSQL: the seven steps in order, a skipped or
//! earlier-dated step refused, quorums at exactly two thirds and exactly half, a failed vote
//! ending the matter, the public page, scope, the ledger, and 50 parallel recorders of one step.

mod common;

use common::TestApp;
use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn day(offset: i64) -> String {
    (yinghuo::db::today() + chrono::Duration::days(offset)).to_string()
}

async fn matter(app: &TestApp, token: &str, org: i64, title: &str) -> i64 {
    let (s, v) = app.post(token, "/api/v1/village-affairs/matters", json!({"org_id": org, "title": title, "category": "集体资产资源处置", "summary": "村东鱼塘5年承包"})).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

async fn step(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.post(token, &format!("/api/v1/village-affairs/matters/{id}/steps"), body).await
}

fn vote(entitled: i64, present: i64, yes: i64) -> Value {
    json!({"entitled": entitled, "present": present, "for": yes, "against": present - yes, "abstain": 0})
}

both_backends!(a_matter_goes_through_every_step_in_order, |app: TestApp| async move {
    let sec = app.token("sec_a").await;
    let va = app.tree.village_a.id;
    let (s, e) = app.post(&sec, "/api/v1/village-affairs/matters", json!({"org_id": va, "title": "鱼塘承包", "category": "卖地"})).await;
    assert_eq!((s, err(&e)), (422, "category_invalid"));
    let t = app.token("admin").await;
    let (s, e) = app.post(&t, "/api/v1/village-affairs/matters", json!({"org_id": app.tree.organ.id, "title": "鱼塘承包", "category": "其他重大事项"})).await;
    assert_eq!((s, err(&e)), (422, "not_a_village"));
    let m = matter(&app, &sec, va, "村集体鱼塘承包").await;
    // Skipping 三方议事 is refused and names the missing step.
    let (s, e) = step(&app, &sec, m, json!({"step": "propose", "on": day(-20), "minutes": "支部委员会提议", "vote": vote(5, 5, 5)})).await;
    assert_eq!((s, err(&e)), (422, "step_skipped"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("三方议事"));
    let (s, v) = step(&app, &sec, m, json!({"step": "consult", "on": day(-20), "minutes": "支部、村委会、村务监督委员会三方商议同意提交"})).await;
    assert_eq!((s, v["next_step"].as_str()), (200, Some("propose")), "{v}");
    let (s, e) = step(&app, &sec, m, json!({"step": "propose", "on": day(-18), "minutes": "支委会提议"})).await;
    assert_eq!((s, err(&e)), (422, "vote_required"));
    let (s, _) = step(&app, &sec, m, json!({"step": "党支部提议", "on": day(-18), "minutes": "支委会提议", "vote": vote(5, 4, 4)})).await;
    assert_eq!(s, 200);
    // Dated before the previous step: refused.
    let (s, e) = step(&app, &sec, m, json!({"step": "discuss", "on": day(-19), "minutes": "两委联席会", "vote": vote(9, 8, 8)})).await;
    assert_eq!((s, err(&e)), (422, "step_before_previous"), "{e}");
    let (s, _) = step(&app, &sec, m, json!({"step": "discuss", "on": day(-15), "minutes": "两委联席会", "vote": vote(9, 8, 8)})).await;
    assert_eq!(s, 200);
    // 党员大会: 19 of 30 is short of two thirds (nothing written); 20 of 30 with exactly 16 for passes.
    let (s, e) = step(&app, &sec, m, json!({"step": "review", "on": day(-10), "minutes": "党员大会", "vote": vote(30, 19, 19)})).await;
    assert_eq!((s, err(&e)), (422, "quorum_not_met"), "{e}");
    let (_, v) = app.get(&sec, &format!("/api/v1/village-affairs/matters/{m}")).await;
    assert_eq!(v["steps_done"], 3, "the refused meeting left nothing");
    let (s, v) = step(&app, &sec, m, json!({"step": "review", "on": day(-10), "minutes": "党员大会", "vote": vote(30, 20, 16)})).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("open")), "{v}");
    // 村民代表会议: exactly two thirds present, more than half of those present in favour.
    let (s, v) = step(&app, &sec, m, json!({"step": "resolve", "on": day(-8), "minutes": "村民代表会议", "vote": vote(30, 20, 11)})).await;
    assert_eq!((s, v["next_step"].as_str()), (200, Some("publish_decision")), "{v}");
    let (s, e) = step(&app, &sec, m, json!({"step": "publish_decision", "on": day(-7), "minutes": "决议：鱼塘公开竞标承包5年"})).await;
    assert_eq!((s, err(&e)), (422, "posted_where_required"));
    let (s, _) = step(&app, &sec, m, json!({"step": "publish_decision", "on": day(-7), "minutes": "决议：鱼塘公开竞标承包5年", "posted_where": "村务公开栏，公示7天"})).await;
    assert_eq!(s, 200);
    // The public page shows the decision, with the representatives' count.
    let code: String = sqlx::query_scalar("SELECT code FROM orgs WHERE id = $1").bind(va).fetch_one(&app.db.pool).await.unwrap();
    let page = app.client.get(format!("{}/p/{code}/affairs", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("村集体鱼塘承包") && page.contains("赞成11票") && page.contains("实施中"), "{page}");
    let (s, e) = step(&app, &sec, m, json!({"step": "publish_result", "on": day(1), "minutes": "已签订承包合同", "posted_where": "村务公开栏"})).await;
    assert_eq!((s, err(&e)), (422, "date_in_future"));
    let (s, v) = step(&app, &sec, m, json!({"step": "publish_result", "on": day(0), "minutes": "已签订承包合同，年租金2万元", "posted_where": "村务公开栏"})).await;
    assert_eq!((s, v["state"].as_str(), v["steps_done"].as_i64()), (200, Some("done"), Some(7)), "{v}");
    let page = app.client.get(format!("{}/p/{code}/affairs", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("年租金2万元"), "{page}");
    let (s, e) = step(&app, &sec, m, json!({"step": "publish_result", "on": day(0), "minutes": "x", "posted_where": "x"})).await;
    assert_eq!((s, err(&e)), (409, "matter_closed"));
    // Another village's secretary sees nothing; the township sees both in its list and ledger.
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/village-affairs/matters/{m}")).await.0, 404);
    assert_eq!(step(&app, &sec_b, m, json!({"step": "publish_result"})).await.0, 404);
    let (_, l) = app.get(&t, &format!("/api/v1/orgs/{}/village-affairs", app.tree.town.id)).await;
    assert_eq!((l["done"].as_i64(), l["items"].as_array().unwrap().len()), (Some(1), 1), "{l}");
    let r = app.client.get(format!("{}/api/v1/orgs/{va}/village-affairs.xlsx", app.url)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    use calamine::Reader as _;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(wb.worksheet_range_at(0).unwrap().unwrap().height(), 8, "a header and seven steps");
});

both_backends!(a_vote_short_of_half_ends_the_matter, |app: TestApp| async move {
    let sec = app.token("sec_a").await;
    let m = matter(&app, &sec, app.tree.village_a.id, "村道硬化").await;
    for (st, v) in [("consult", Value::Null), ("propose", vote(5, 5, 5)), ("discuss", vote(9, 9, 9))] {
        let (s, e) = step(&app, &sec, m, json!({"step": st, "on": day(-5), "minutes": "会议记录", "vote": v})).await;
        assert_eq!(s, 200, "{e}");
    }
    // Exactly half of those entitled (15 of 30) is not more than half: recorded, not passed.
    let (s, v) = step(&app, &sec, m, json!({"step": "review", "on": day(-4), "minutes": "党员大会", "vote": vote(30, 24, 15)})).await;
    assert_eq!((s, v["state"].as_str(), v["steps"][3]["passed"].as_bool()), (200, Some("rejected"), Some(false)), "{v}");
    let (s, e) = step(&app, &sec, m, json!({"step": "resolve", "on": day(-3), "minutes": "x", "vote": vote(30, 30, 30)})).await;
    assert_eq!((s, err(&e)), (409, "matter_closed"));
    // 村民代表会议 on another matter: exactly half of those present is not enough either.
    let m2 = matter(&app, &sec, app.tree.village_a.id, "村规民约修订").await;
    for (st, v) in [("consult", Value::Null), ("propose", vote(5, 5, 5)), ("discuss", vote(9, 9, 9)), ("review", vote(30, 30, 30))] {
        assert_eq!(step(&app, &sec, m2, json!({"step": st, "on": day(-5), "minutes": "会议记录", "vote": v})).await.0, 200);
    }
    let (s, v) = step(&app, &sec, m2, json!({"step": "resolve", "on": day(-2), "minutes": "村民代表会议", "vote": vote(30, 20, 10)})).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("rejected")), "{v}");
});

both_backends!(parallel_recorders_take_a_step_once, |app: TestApp| async move {
    let sec = app.token("sec_a").await;
    let m = matter(&app, &sec, app.tree.village_a.id, "集体林地流转").await;
    let body = json!({"step": "consult", "on": day(-1), "minutes": "三方商议"});
    let answers = futures_util::future::join_all((0..50).map(|_| step(&app, &sec, m, body.clone()))).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 1);
    assert!(answers.iter().all(|(s, e)| *s == 200 || (*s == 409 && err(e) == "changed_meanwhile") || (*s == 422 && err(e) == "step_done")), "{:?}", answers.iter().filter(|(s, _)| *s != 200).map(|(_, e)| err(e)).collect::<Vec<_>>());
    let (_, v) = app.get(&sec, &format!("/api/v1/village-affairs/matters/{m}")).await;
    assert_eq!((v["steps_done"].as_i64(), v["steps"].as_array().unwrap().len()), (Some(1), 1));
});
