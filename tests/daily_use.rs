//! Daily use over real HTTP, on SQLite and PostgreSQL: pickers instead of internal ids, scoped
//! like the lists they come from.

mod common;

use serde_json::Value;

async fn pick(c: &reqwest::Client, app: &common::TestApp, kind: &str, q: &str) -> Vec<Value> {
    let r = c.get(format!("{}/pick/{kind}", app.url)).query(&[("q", q)]).send().await.unwrap();
    assert_eq!(r.status(), 200, "/pick/{kind}");
    r.json::<Vec<Value>>().await.unwrap()
}

both_backends!(pickers_stay_in_scope, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let a1 = app.member(&t, &app.tree.village_a, "王东关", &common::id("1980-01-01", 11)).await;
    let b1 = app.member(&t, &app.tree.village_b, "王西关", &common::id("1980-01-02", 12)).await;
    let admin = common::ui_login(&app, "admin").await;
    let ids = |v: &[Value]| v.iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>();
    let both = pick(&admin, &app, "members", "王").await;
    assert!(ids(&both).contains(&a1) && ids(&both).contains(&b1), "{both:?}");
    // The detail tells two namesakes apart and never shows a full ID number.
    assert!(both.iter().all(|c| c["detail"].as_str().unwrap().contains('*')), "{both:?}");
    let sec_a = common::ui_login(&app, "sec_a").await;
    assert_eq!(ids(&pick(&sec_a, &app, "members", "王").await), vec![a1]);
    assert_eq!(ids(&pick(&sec_a, &app, "members", "wxg").await), Vec::<i64>::new());
    let orgs = pick(&sec_a, &app, "orgs", "村").await;
    assert!(orgs.iter().all(|o| o["id"] != app.tree.village_b.id), "{orgs:?}");
    assert!(orgs.iter().any(|o| o["id"] == app.tree.village_a.id));
    // A group named like many others carries its parent in the detail.
    let groups = pick(&admin, &app, "orgs", "第一党小组").await;
    assert_eq!(groups[0]["detail"].as_str().unwrap().split(" · ").next().unwrap(), app.tree.village_a.name);
    let users = pick(&admin, &app, "users", "sec").await;
    assert_eq!(users.len(), 2, "{users:?}");
    assert!(pick(&sec_a, &app, "users", "sec").await.iter().all(|u| u["label"].as_str().unwrap().contains("sec_a")));
    // Signed out: no answer but the login page.
    let r = app.client.get(format!("{}/pick/members?q=王", app.url)).send().await.unwrap();
    assert_ne!(r.status(), 200);
});

// Forms never ask for an internal number: every *_id field is a picker (hidden, filled by search).
both_backends!(no_form_asks_for_an_internal_id, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let m = app.member(&t, &app.tree.village_a, "李想", &common::id("1985-05-05", 21)).await;
    let admin = common::ui_login(&app, "admin").await;
    let town = app.tree.town.id;
    let pages = [
        "/users".to_string(),
        format!("/orgs/{}", app.tree.village_a.id),
        format!("/members/{m}"),
        format!("/members/new?org={}", app.tree.village_a.id),
        format!("/orgs/{town}/governance"),
        format!("/orgs/{town}/requests"),
        format!("/orgs/{town}/disputes"),
        format!("/orgs/{town}/training"),
        format!("/orgs/{town}/meetings"),
        format!("/orgs/{town}/dues"),
    ];
    for p in &pages {
        let r = admin.get(format!("{}{p}", app.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{p}");
        let html = r.text().await.unwrap();
        for tag in html.split("<input").skip(1).map(|t| &t[..t.find('>').unwrap_or(t.len())]) {
            let name = tag.split("name=\"").nth(1).and_then(|n| n.split('"').next()).unwrap_or("");
            if name.ends_with("_id") || name.ends_with("_ids") {
                assert!(tag.contains(r#"type="hidden""#), "{p}: a visible id field: <input{tag}>");
            }
        }
    }
});
