//! Dashboards over real HTTP, on SQLite and PostgreSQL: every figure is read from tallies kept
//! with the writes, and a recount from the records (`tallies::verify`) agrees after ordinary
//! writes, a move of a subtree, 50 parallel writers and a change of the rules.

mod common;

use chrono::Datelike;
use common::TestApp;
use serde_json::{json, Value};
use yinghuo::config::Rules;

fn figure(d: &Value, key: &str) -> Value {
    d["sections"].as_array().unwrap().iter().flat_map(|s| s["figures"].as_array().unwrap().iter()).find(|f| f["key"] == key).cloned().unwrap_or(Value::Null)
}

fn n(d: &Value, key: &str) -> i64 {
    figure(d, key)["n"].as_i64().unwrap_or_else(|| panic!("no figure {key} in {d}"))
}

/// The fixture's orgs are founded today; a monthly requirement binds an org only from a month it
/// existed at the start of. Date them to the 1st of this month, as if the test ran on the 1st.
async fn founded_this_month(app: &TestApp) {
    let first = yinghuo::db::today().with_day(1).unwrap().to_string();
    sqlx::query("UPDATE orgs SET founded_on = $1").bind(first).execute(&app.db.pool).await.unwrap();
}

async fn assert_projection_right(app: &TestApp) {
    let wrong = yinghuo::tallies::verify(&app.db, &Rules::default()).await.unwrap();
    assert!(wrong.is_empty(), "tallies differ from a recount: {wrong:?}");
}

both_backends!(dashboard_figures_come_from_what_was_written, |app: TestApp| async move {
    founded_this_month(&app).await;
    let t = app.token("admin").await;
    let (county, town, va) = (app.tree.county.id, app.tree.town.id, app.tree.village_a.id);
    let today = yinghuo::db::today();
    let year = today.year();
    // Members, a meeting held today, a month's dues, a request, a dispute, an income of last year.
    let m1 = app.member(&t, &app.tree.village_a, "李红", &common::id("1990-03-01", 1)).await;
    app.member(&t, &app.tree.village_a, "张伟", &common::id("1961-05-01", 2)).await;
    app.member(&t, &app.tree.organ, "赵敏", &common::id("1985-07-01", 3)).await;
    let (s, m) = app.post(&t, "/api/v1/meetings", json!({"org_id": va, "kind": "theme_day", "topic": "学习党章", "place": "村部", "planned_start": format!("{today}T09:00")})).await;
    assert_eq!(s, 201, "{m}");
    let (s, h) = app.post(&t, &format!("/api/v1/meetings/{}/hold", m["id"]), json!({"on": today.to_string()})).await;
    assert_eq!(s, 200, "{h}");
    let month = format!("{year}-{:02}", today.month());
    let (s, v) = app.post(&t, &format!("/api/v1/members/{m1}/dues/basis"), json!({"from_month": format!("{year}-01"), "category": "employed", "base_fen": 500000})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.post(&t, &format!("/api/v1/members/{m1}/dues/payments"), json!({"month": month, "amount_fen": 2500, "method": "cash"})).await;
    assert_eq!(s, 201, "{v}");
    let (s, r) = app.post(&t, "/api/v1/requests", json!({"org_id": va, "source": "door_knocking", "category": "环境卫生", "text": "楼道堆放杂物", "contact_name": "王阿姨", "contact_phone": "13912345678"})).await;
    assert_eq!(s, 201, "{r}");
    let (s, d) = app.post(&t, "/api/v1/disputes", json!({"org_id": va, "category": "neighbour", "risk": "general", "summary": "宅基地边界争执", "parties": [{"name": "孙小红"}]})).await;
    assert_eq!(s, 201, "{d}");
    let (s, e) = app.post(&t, "/api/v1/economy/incomes", json!({"org_id": va, "year": year - 1, "source": "contract", "amount": "30000", "note": "承包费"})).await;
    assert_eq!(s, 201, "{e}");
    // Village A's secretary is also its director (一肩挑); a member of village A is away.
    let (s, v) = app.post(&t, &format!("/api/v1/orgs/{va}/team"), json!({"member_id": m1, "post": "secretary", "starts_on": "2021-01-01"})).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app.post(&t, &format!("/api/v1/cadres/{va}/director"), json!({"member_id": m1, "starts_on": "2021-01-01"})).await;
    assert_eq!(s, 200, "{v}");
    let m2 = app.member(&t, &app.tree.village_b, "外出者", &common::id("1992-01-01", 4)).await;
    let (s, a) = app.post(&t, "/api/v1/mobile-members", json!({"member_id": m2, "left_on": today.to_string(), "place": "北京", "contact": "13900001111"})).await;
    assert_eq!(s, 201, "{a}");

    let (s, d) = app.get(&t, &format!("/api/v1/orgs/{county}/dashboard")).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["year"].as_i64(), Some(year as i64));
    assert_eq!(n(&d, "orgs.members"), 4);
    assert_eq!((n(&d, "cadres.one_shoulder"), figure(&d, "cadres.one_shoulder")["of"].as_i64()), (1, Some(2)), "{d}");
    assert_eq!((n(&d, "mobile.away"), n(&d, "mobile.heard")), (1, 0));
    // Judged: the county and town committees, two village branches, a group, an organ branch.
    assert_eq!(figure(&d, "life.compliance")["of"].as_i64(), Some(6), "{d}");
    assert!(n(&d, "life.met_rate") >= 1, "the meeting held today meets this month's 主题党日: {d}");
    assert_eq!(n(&d, "requests.received"), 1);
    assert_eq!(n(&d, "requests.open"), 1);
    assert_eq!(n(&d, "disputes.opened"), 1);
    assert_eq!(n(&d, "dues.paid"), 2500, "{d}");
    assert!(n(&d, "dues.owed") >= 2500);
    // Children compared: the town and the organ branch, one cell per visible section.
    let kids = d["children"].as_array().unwrap();
    assert_eq!(kids.len(), 2, "{d}");
    assert!(kids.iter().all(|k| k["cells"].as_array().unwrap().len() == d["columns"].as_array().unwrap().len()));
    assert_eq!(d["trends"].as_array().unwrap().first().map(|t| t["points"].as_array().unwrap().len()), Some(12));
    // Last year's income, against the thresholds.
    let (_, last) = app.get(&t, &format!("/api/v1/orgs/{county}/dashboard?year={}", year - 1)).await;
    assert_eq!((n(&last, "econ.weak"), n(&last, "econ.income")), (1, 3_000_000), "{last}");
    let (s, e) = app.get(&t, &format!("/api/v1/orgs/{county}/dashboard?year={}", year + 1)).await;
    assert_eq!((s, e["error"]["code"].as_str()), (422, Some("year_invalid")));
    assert_projection_right(&app).await;

    // Scope: another village's secretary sees nothing of village A; village A's secretary sees
    // only the sections the matrix lets a secretary read there.
    let sec_b = app.token("sec_b").await;
    assert_eq!(app.get(&sec_b, &format!("/api/v1/orgs/{va}/dashboard")).await.0, 404);
    let sec_a = app.token("sec_a").await;
    let (s, own) = app.get(&sec_a, &format!("/api/v1/orgs/{va}/dashboard")).await;
    assert_eq!(s, 200, "{own}");
    assert_eq!(n(&own, "orgs.members"), 2);
    assert_eq!(app.get(&sec_a, &format!("/api/v1/orgs/{town}/dashboard")).await.0, 404);
    let r = app.client.get(format!("{}/api/v1/orgs/{county}/dashboard.xlsx", app.url)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..2], b"PK");

    // A move takes the village's figures from the town to its new parent, and nothing else moves.
    let (s, moved) = app.post(&t, &format!("/api/v1/orgs/{va}/move"), json!({"parent_id": county})).await;
    assert_eq!(s, 200, "{moved}");
    let (_, town_d) = app.get(&t, &format!("/api/v1/orgs/{town}/dashboard")).await;
    assert_eq!((n(&town_d, "requests.received"), n(&town_d, "dues.paid"), n(&town_d, "disputes.opened")), (0, 0, 0), "{town_d}");
    let (_, county_d) = app.get(&t, &format!("/api/v1/orgs/{county}/dashboard")).await;
    assert_eq!((n(&county_d, "requests.received"), n(&county_d, "dues.paid")), (1, 2500));
    assert_projection_right(&app).await;

    // The UI: the page, the full-screen view and the workbook.
    let ui = common::ui_login(&app, "admin").await;
    for path in [format!("/orgs/{county}/dashboard"), format!("/orgs/{county}/dashboard/screen"), format!("/orgs/{county}/dashboard?year={}", year - 1)] {
        let r = ui.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("组织生活") && html.contains("群众诉求"), "{path}");
    }
    let r = ui.get(format!("{}/orgs/{county}/dashboard.xlsx", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
});

both_backends!(parallel_writers_and_new_rules_keep_the_tallies_right, |app: TestApp| async move {
    founded_this_month(&app).await;
    let t = app.token("admin").await;
    let (county, va, vb) = (app.tree.county.id, app.tree.village_a.id, app.tree.village_b.id);
    let year = yinghuo::db::today().year();
    // 50 income entries and 50 requests at once, over two villages.
    let calls = (0..50).map(|i| {
        let (app, t) = (&app, &t);
        async move {
            let org = if i % 2 == 0 { va } else { vb };
            let (s, e) = app.post(t, "/api/v1/economy/incomes", json!({"org_id": org, "year": year, "source": "operating", "amount": format!("{}", 1000 + i), "note": "经营收入"})).await;
            assert_eq!(s, 201, "{e}");
            let (s, r) = app.post(t, "/api/v1/requests", json!({"org_id": org, "source": "door_knocking", "category": "环境卫生", "text": format!("第{i}件"), "contact_name": "王阿姨", "contact_phone": "13912345678"})).await;
            assert_eq!(s, 201, "{r}");
        }
    });
    futures_util::future::join_all(calls).await;
    let (_, d) = app.get(&t, &format!("/api/v1/orgs/{county}/dashboard")).await;
    let expected: i64 = (0..50).map(|i| (1000 + i) * 100).sum();
    assert_eq!((n(&d, "econ.income"), n(&d, "requests.received")), (expected, 50), "{d}");
    assert_eq!(figure(&d, "econ.above_first")["of"].as_i64(), Some(2));
    assert_projection_right(&app).await;

    // New rules (a county that counts no 主题党日): the tallies differ until the sweep recounts.
    let mut rules = Rules::default();
    rules.compliance.requirements.retain(|r| r.kind != yinghuo::meetings::rules::MeetingKind::ThemeDay);
    let before = yinghuo::tallies::verify(&app.db, &rules).await.unwrap();
    assert!(!before.is_empty(), "other rules judge other requirements");
    let swept = yinghuo::tallies::sweep(&app.db, &rules).await.unwrap();
    assert!(swept.contains(&yinghuo::tallies::Source::Life), "{swept:?}");
    assert!(yinghuo::tallies::verify(&app.db, &rules).await.unwrap().is_empty());
    assert!(yinghuo::tallies::sweep(&app.db, &rules).await.unwrap().is_empty(), "a second sweep has nothing to do");
});
