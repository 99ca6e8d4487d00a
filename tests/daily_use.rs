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
    // Users: the grid workers a grid can be given to, in scope.
    common::add_user(&app.db, "gw_a", "grid_worker", &app.tree.village_a, None).await;
    common::add_user(&app.db, "gw_b", "grid_worker", &app.tree.village_b, None).await;
    let users = pick(&admin, &app, "users", "").await;
    let labels: Vec<&str> = users.iter().map(|u| u["label"].as_str().unwrap()).collect();
    assert_eq!(labels, vec!["gw_a", "gw_b"], "only grid workers");
    assert_eq!(pick(&sec_a, &app, "users", "gw").await.len(), 1, "in scope");
    // 双报到: any community by name, even outside the caller's subtree.
    let (s, c) = app
        .post(&t, "/api/v1/orgs", serde_json::json!({"parent_id": app.tree.county.id, "code": "S001", "name": "幸福社区党委", "kind": "committee", "domain": "community"}))
        .await;
    assert_eq!(s, 201, "{c}");
    let found = pick(&sec_a, &app, "communities", "幸福").await;
    assert_eq!(ids(&found), vec![c["id"].as_i64().unwrap()]);
    // A claim in a community also offers the in-service members who reported there, only to
    // those who handle its requests.
    let (s, m) = app
        .post(&t, "/api/v1/members", serde_json::json!({"org_id": app.tree.organ.id, "name": "王报到", "id_number": common::id("1982-02-02", 13),
            "education": "大学本科", "joined_on": "2010-07-01", "full_on": "2011-07-01", "in_service": true, "report_org_id": c["id"]}))
        .await;
    assert_eq!(s, 201, "{m}");
    let with = |cl: &reqwest::Client, community: i64| {
        let r = cl.get(format!("{}/pick/members", app.url)).query(&[("q", "王"), ("community", &community.to_string())]).send();
        async move { r.await.unwrap().json::<Vec<Value>>().await.unwrap() }
    };
    assert!(ids(&with(&admin, c["id"].as_i64().unwrap()).await).contains(&m["id"].as_i64().unwrap()));
    assert!(!ids(&with(&sec_a, c["id"].as_i64().unwrap()).await).contains(&m["id"].as_i64().unwrap()), "not theirs to handle");
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
        format!("/orgs/{}/governance", app.tree.village_a.id),
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

fn china_now() -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    chrono::Utc::now().with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

// A 主题党日 in two steps: the one who asked for leave, then "the rest were present".
both_backends!(attendance_all_present_then_the_exceptions, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let org = &app.tree.village_a;
    let ids = [
        app.member(&t, org, "甲", &common::id("1970-01-01", 31)).await,
        app.member(&t, org, "乙", &common::id("1970-01-02", 32)).await,
        app.member(&t, org, "丙", &common::id("1970-01-03", 33)).await,
    ];
    let (s, m) = app.post(&t, "/api/v1/meetings", serde_json::json!({"org_id": org.id, "kind": "theme_day", "topic": "主题党日", "planned_start": china_now()})).await;
    assert_eq!(s, 201, "{m}");
    let mid = m["id"].as_i64().unwrap();
    let sec = common::ui_login(&app, "sec_a").await;
    let page = sec.get(format!("{}/meetings/{mid}", app.url)).send().await.unwrap().text().await.unwrap();
    let csrf = common::hidden(&page, "csrf");
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf), ("rest".into(), "present".into())];
    for (i, id) in ids.iter().enumerate() {
        form.push((format!("s_{id}"), if i == 1 { "excused".into() } else { String::new() }));
        form.push((format!("r_{id}"), if i == 1 { "外出务工".into() } else { String::new() }));
    }
    let r = sec.post(format!("{}/meetings/{mid}/attendance", app.url)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, d) = app.get(&t, &format!("/api/v1/meetings/{mid}")).await;
    let status = |id: i64| d["attendees"].as_array().unwrap().iter().find(|a| a["member_id"] == id).unwrap()["status"].as_str().unwrap_or("").to_string();
    assert_eq!((status(ids[0]), status(ids[1]), status(ids[2])), ("present".into(), "excused".into(), "present".into()));
});

// A month of dues in one form: all or nothing, amounts as typed.
both_backends!(a_month_of_dues_in_one_form, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let org = &app.tree.village_a;
    let a = app.member(&t, org, "赵", &common::id("1970-02-01", 41)).await;
    let b = app.member(&t, org, "钱", &common::id("1970-02-02", 42)).await;
    let month = chrono::Local::now().format("%Y-%m").to_string();
    for m in [a, b] {
        let (s, v) = app.post(&t, &format!("/api/v1/members/{m}/dues/basis"), serde_json::json!({"from_month": "2020-01", "category": "employed", "base_fen": 500000})).await;
        assert_eq!(s, 200, "{v}");
    }
    let sec = common::ui_login(&app, "sec_a").await;
    let page = sec.get(format!("{}/orgs/{}/dues?month={month}", app.url, org.id)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("name=\"a_{a}\" value=\"50.00\"")), "the amount is prefilled from the rule");
    let csrf = common::hidden(&page, "csrf");
    let post = |amount_b: &'static str| {
        let form = vec![
            ("csrf".to_string(), csrf.clone()), ("month".into(), month.clone()), ("method".into(), "cash".into()),
            (format!("on_{a}"), "1".into()), (format!("n_{a}"), "赵".into()), (format!("a_{a}"), "50.00".into()),
            (format!("on_{b}"), "1".into()), (format!("n_{b}"), "钱".into()), (format!("a_{b}"), amount_b.into()),
        ];
        sec.post(format!("{}/orgs/{}/dues/payments", app.url, org.id)).form(&form).send()
    };
    let r = post("五十").await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("钱的金额"), "names the member");
    let paid = |m: i64| {
        let (app, t, month) = (&app, &t, &month);
        async move { app.get(t, &format!("/api/v1/members/{m}/dues?month={month}")).await.1["paid_fen"].as_i64().unwrap() }
    };
    assert_eq!((paid(a).await, paid(b).await), (0, 0), "nothing written when one amount is wrong");
    let r = post("50").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!((paid(a).await, paid(b).await), (5000, 5000));
});

// Households: door numbers in their natural order, a search, and the 80+ suggestion.
both_backends!(households_sort_search_and_suggest, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let v = app.tree.village_a.id;
    let (s, full) = app.post(&t, "/api/v1/grids", serde_json::json!({"org_id": v, "kind": "full", "code": "QK01", "name": "第一全科网格"})).await;
    assert_eq!(s, 201, "{full}");
    let (_, micro) = app.post(&t, "/api/v1/grids", serde_json::json!({"org_id": v, "kind": "micro", "parent_grid_id": full["id"], "code": "W1", "name": "微网格一"})).await;
    let mut first = 0;
    for (i, (addr, head)) in [("东大街10号", "张三"), ("东大街1号", "李四"), ("东大街2号", "王五")].iter().enumerate() {
        let (s, h) = app
            .post(&t, "/api/v1/households", serde_json::json!({"grid_id": micro["id"], "address": addr, "head_name": head,
                "residents": [{"name": head, "id_number": common::id(if i == 0 { "1943-05-01" } else { "1980-05-01" }, 50 + i as u32), "relation": "户主"}]}))
            .await;
        assert_eq!(s, 201, "{h}");
        if i == 0 {
            first = h["id"].as_i64().unwrap();
        }
    }
    let addrs = |v: &Value| v.as_array().unwrap().iter().map(|h| h["address"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let (_, list) = app.get(&t, &format!("/api/v1/grids/{}/households", full["id"])).await;
    assert_eq!(addrs(&list), vec!["东大街1号", "东大街2号", "东大街10号"]);
    let (_, found) = app.get(&t, &format!("/api/v1/grids/{}/households?q=%E7%8E%8B", full["id"])).await;
    assert_eq!(addrs(&found), vec!["东大街2号"], "by the head's name");
    let (_, found) = app.get(&t, &format!("/api/v1/grids/{}/households?q=10%E5%8F%B7", full["id"])).await;
    assert_eq!(addrs(&found), vec!["东大街10号"], "by the door number");
    // A 党员中心户 can be named and removed again.
    let m = app.member(&t, &app.tree.village_a, "中心户党员", &common::id("1975-05-05", 71)).await;
    async fn central(app: &common::TestApp, t: &str, id: i64) -> Value {
        app.get(t, &format!("/api/v1/households/{id}")).await.1["household"]["central_member_id"].clone()
    }
    let (s, e) = app.patch(&t, &format!("/api/v1/households/{first}"), serde_json::json!({"central_member_id": m})).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(central(&app, &t, first).await, m);
    let (s, e) = app.patch(&t, &format!("/api/v1/households/{first}"), serde_json::json!({"clear_central_member": true})).await;
    assert_eq!(s, 200, "{e}");
    assert!(central(&app, &t, first).await.is_null(), "cleared");

    // The resident born in 1943 is suggested as 80岁以上高龄老人, with a one-click form.
    let c = common::ui_login(&app, "sec_a").await;
    let page = c.get(format!("{}/households/{first}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("尚未登记为80岁以上高龄老人"), "suggested");
    let csrf = common::hidden(&page, "csrf");
    let rid = page.split("name=\"resident_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = c
        .post(format!("{}/households/{first}/special", app.url))
        .form(&[("csrf", csrf.as_str()), ("kind", "elderly_80"), ("resident_id", rid.as_str()), ("note", "按出生日期登记")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = c.get(format!("{}/households/{first}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("尚未登记为80岁以上高龄老人"), "no longer suggested once recorded");
});

// An error page keeps the user's name and menu, in Chinese, without a raw code up front.
both_backends!(error_pages_keep_the_menu, |app: common::TestApp| async move {
    let c = common::ui_login(&app, "sec_a").await;
    let r = c.get(format!("{}/members/999999", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let html = r.text().await.unwrap();
    assert!(html.contains("未找到该记录"), "{html}");
    assert!(html.contains("sec_a") && html.contains("组织生活") && html.contains("退出"), "the menu is there: {html}");
    assert!(!html.contains("错误代码"));
});

// Printable posters: the org, the purpose, how to use it, the QR code; https behind a TLS proxy.
both_backends!(printable_qr_posters, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let org = &app.tree.village_a;
    let (_, m) = app.post(&t, "/api/v1/meetings", serde_json::json!({"org_id": org.id, "kind": "theme_day", "topic": "重温入党誓词", "planned_start": china_now()})).await;
    let sec = common::ui_login(&app, "sec_a").await;
    let html = sec.get(format!("{}/orgs/{}/wishbox-poster", app.url, org.id)).header("x-forwarded-proto", "https").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("微光心愿箱") && html.contains(&org.name) && html.contains("<svg") && html.contains("查询码"), "{html}");
    assert!(html.contains(&format!("https://{}/p/{}", app.url.trim_start_matches("http://"), org.code)), "the printed link says https");
    let html = sec.get(format!("{}/meetings/{}/poster", app.url, m["id"])).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("主题党日签到") && html.contains("重温入党誓词") && html.contains("<svg"), "{html}");
    // Residents' data stays with those who may read requests: a plain member gets no poster.
    let me = app.member(&t, org, "党员甲", &common::id("1990-01-01", 61)).await;
    common::add_user(&app.db, "member_x", "member", org, Some(me)).await;
    let mem = common::ui_login(&app, "member_x").await;
    assert_eq!(mem.get(format!("{}/meetings/{}/poster", app.url, m["id"])).send().await.unwrap().status(), 404);
});

// A lost tracking code: staff issue a new one, the old one stops working.
both_backends!(a_lost_tracking_code_is_reissued, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let (s, r) = app.post(&t, "/api/v1/requests", serde_json::json!({"org_id": app.tree.village_a.id, "source": "door_knocking", "category": "环境卫生", "text": "路灯不亮"})).await;
    assert_eq!(s, 201, "{r}");
    let (id, old) = (r["id"].as_i64().unwrap(), r["tracking_code"].as_str().unwrap().to_string());
    let track = |code: String| {
        let c = app.client.clone();
        let url = format!("{}/p/track?code={code}", app.url);
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(track(old.clone()).await, 200);
    let sec_b = app.token("sec_b").await;
    let (s, _) = app.post(&sec_b, &format!("/api/v1/requests/{id}/tracking-code"), serde_json::json!({})).await;
    assert_eq!(s, 404, "not theirs");
    let (s, n) = app.post(&t, &format!("/api/v1/requests/{id}/tracking-code"), serde_json::json!({})).await;
    assert_eq!(s, 200, "{n}");
    let new = n["code"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(track(new).await, 200);
    assert_ne!(track(old).await, 200, "the lost code no longer works");
});

fn china_tomorrow() -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    (chrono::Utc::now() + chrono::Duration::days(1)).with_timezone(&tz).format("%Y-%m-%d 09:00").to_string()
}

// A member's home lists the meetings they are expected at: their branch's, and a committee's only
// where they hold the seat (not the township's committee above them).
both_backends!(a_members_home_lists_their_own_meetings, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let (s, m) = app
        .post(&t, "/api/v1/members", serde_json::json!({"org_id": app.tree.village_a.id, "name": "支书甲", "id_number": common::id("1970-06-06", 81),
            "education": "高中", "joined_on": "1995-07-01", "full_on": "1996-07-01", "posts": "书记"}))
        .await;
    assert_eq!(s, 201, "{m}");
    common::add_user(&app.db, "sec_member", "member", &app.tree.village_a, m["id"].as_i64()).await;
    for (org, kind, topic) in [(app.tree.village_a.id, "committee", "本支部支委会"), (app.tree.village_a.id, "theme_day", "本支部主题党日"), (app.tree.town.id, "democratic_life_meeting", "镇党委民主生活会")] {
        let (s, v) = app.post(&t, "/api/v1/meetings", serde_json::json!({"org_id": org, "kind": kind, "topic": topic, "planned_start": china_tomorrow()})).await;
        assert_eq!(s, 201, "{topic}: {v}");
    }
    let c = common::ui_login(&app, "sec_member").await;
    let home = c.get(format!("{}/", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("本支部支委会") && home.contains("本支部主题党日"), "{home}");
    assert!(!home.contains("镇党委民主生活会"), "the township committee's meeting is not theirs");
});
