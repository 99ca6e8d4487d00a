//! The foundation over real HTTP, on SQLite and PostgreSQL.

mod common;

use common::id;
use serde_json::{json, Value};

both_backends!(login_tokens_and_throttle, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let (s, me) = app.get(&t, "/api/v1/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["roles"][0]["role"], "county_admin");
    let (s, _) = app.get("not-a-token", "/api/v1/me").await;
    assert_eq!(s, 401);
    // Wrong passwords: refused, then slowed down.
    let mut codes = Vec::new();
    for _ in 0..5 {
        let (s, v) = app.post("", "/api/v1/auth/login", json!({"username": "town", "password": "wrong123"})).await;
        codes.push((s, v["error"]["code"].as_str().unwrap_or("").to_string()));
    }
    assert_eq!(codes[0], (422, "bad_credentials".to_string()));
    assert!(codes.iter().any(|(s, c)| *s == 429 && c == "login_too_fast"), "{codes:?}");
    // Even the right password waits while throttled.
    let (s, _) = app.post("", "/api/v1/auth/login", json!({"username": "town", "password": common::PASSWORD})).await;
    assert_eq!(s, 429);
});

both_backends!(org_tree_with_live_counts, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let tr = &app.tree;
    app.member(&t, &tr.village_a, "王建国", &id("1970-01-02", 11)).await;
    app.member(&t, &tr.group_a, "李红", &id("1985-03-04", 22)).await;
    app.member(&t, &tr.village_b, "张伟", &id("1990-05-06", 33)).await;

    let (s, st) = app.get(&t, &format!("/api/v1/orgs/{}/stats", tr.county.id)).await;
    assert_eq!(s, 200);
    assert_eq!(st["members"], 3);
    assert_eq!(st["orgs"], 6);
    let (_, st_a) = app.get(&t, &format!("/api/v1/orgs/{}/stats", tr.village_a.id)).await;
    assert_eq!(st_a["members"], 2);
    let females = st["members_by_gender"].as_array().unwrap().iter().find(|c| c["key"] == "female").unwrap()["n"].clone();
    assert_eq!(females, 1);

    // Children with counts.
    let (_, kids) = app.get(&t, &format!("/api/v1/orgs/{}/children", tr.town.id)).await;
    let a = kids.as_array().unwrap().iter().find(|k| k["org"]["id"] == tr.village_a.id).unwrap();
    assert_eq!(a["members"], 2);
    assert_eq!(a["orgs"], 2);

    // Create, rename, move a subtree, and the counts follow.
    let (s, town2) = app.post(&t, "/api/v1/orgs", json!({"parent_id": tr.county.id, "code": "T002", "name": "河西镇党委", "kind": "党委", "domain": "乡镇街道"})).await;
    assert_eq!(s, 201, "{town2}");
    let town2_id = town2["id"].as_i64().unwrap();
    let (s, moved) = app.post(&t, &format!("/api/v1/orgs/{}/move", tr.village_a.id), json!({"parent_id": town2_id})).await;
    assert_eq!(s, 200, "{moved}");
    let (_, st_town) = app.get(&t, &format!("/api/v1/orgs/{}/stats", tr.town.id)).await;
    assert_eq!(st_town["members"], 1);
    let (_, st_town2) = app.get(&t, &format!("/api/v1/orgs/{town2_id}/stats")).await;
    assert_eq!(st_town2["members"], 2);
    assert_eq!(st_town2["orgs"], 3);
    let (_, st_root) = app.get(&t, &format!("/api/v1/orgs/{}/stats", tr.county.id)).await;
    assert_eq!(st_root["members"], 3);
    // Members of the moved subtree are still found under their new ancestor.
    let (_, page) = app.get(&t, &format!("/api/v1/members?org={town2_id}")).await;
    assert_eq!(page["total"], 2);

    // Moving into its own subtree, or a group under a committee, is refused.
    let (s, e) = app.post(&t, &format!("/api/v1/orgs/{town2_id}/move"), json!({"parent_id": tr.village_a.id})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "move_into_own_subtree"));
    let (s, e) = app.post(&t, "/api/v1/orgs", json!({"parent_id": tr.county.id, "code": "X1", "name": "错层党小组", "kind": "group", "domain": "rural"})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "org_kind_not_allowed"));
    let (s, e) = app.post(&t, "/api/v1/orgs", json!({"parent_id": tr.county.id, "code": "T002", "name": "重复", "kind": "branch", "domain": "organ"})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (409, "org_code_taken"));

    // Rename keeps history in the audit log.
    let (s, _) = app.patch(&t, &format!("/api/v1/orgs/{town2_id}"), json!({"name": "河西镇委员会"})).await;
    assert_eq!(s, 200);
    let (_, log) = app.get(&t, &format!("/api/v1/audit?org={town2_id}&entity=org&entity_id={town2_id}")).await;
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["org.update", "org.create"]);

    // Dissolving needs an empty org; afterwards it stays as history and leaves the counts.
    let (s, e) = app.post(&t, &format!("/api/v1/orgs/{}/dissolve", tr.village_a.id), json!({"reason": "合并"})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "has_children"));
    let (s, d) = app.post(&t, &format!("/api/v1/orgs/{}/dissolve", tr.organ.id), json!({"reason": "机构改革", "date": "2026-06-30"})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["dissolved_on"], "2026-06-30");
    let (_, st_root) = app.get(&t, &format!("/api/v1/orgs/{}/stats", tr.county.id)).await;
    assert_eq!(st_root["orgs"], 6);
});

both_backends!(members_validated_searched_and_masked, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let tr = &app.tree;
    let good = id("1975-06-01", 11);
    let mid = app.member(&t, &tr.village_a, "王建国", &good).await;

    // Each bad input gets a code, the field and a Chinese explanation; nothing is written.
    let mut bad_id = good.clone();
    bad_id.replace_range(17..18, if good.ends_with('1') { "2" } else { "1" });
    let cases = [
        (json!({"org_id": tr.village_a.id, "name": "甲", "id_number": bad_id, "education": "大学本科", "joined_on": "2001-07-01"}), "id_number", "校验位"),
        (json!({"org_id": tr.village_a.id, "name": "甲", "id_number": "1234", "education": "大学本科", "joined_on": "2001-07-01"}), "id_number", "18位"),
        (json!({"org_id": tr.village_a.id, "name": "甲", "id_number": id("1990-01-01", 3), "education": "大学本科", "joined_on": "2001-07-01"}), "joined_on", "未满18周岁"),
        (json!({"org_id": tr.village_a.id, "name": "甲", "id_number": id("1990-01-01", 3), "birth_date": "1990-01-02", "education": "大学本科", "joined_on": "2011-07-01"}), "birth_date", "不一致"),
        (json!({"org_id": tr.village_a.id, "name": "甲", "id_number": id("1990-01-01", 3), "education": "博士后", "joined_on": "2011-07-01"}), "education", "学历"),
    ];
    for (body, field, text) in cases {
        let (s, e) = app.post(&t, "/api/v1/members", body).await;
        assert_eq!(s, 422, "{e}");
        assert_eq!(e["error"]["code"], "invalid_member");
        assert_eq!(e["error"]["field"], field, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(text), "{e}");
    }
    let (s, e) = app.post(&t, "/api/v1/members", json!({"org_id": tr.village_b.id, "name": "王建国", "id_number": good, "education": "高中", "joined_on": "2001-07-01", "full_on": "2002-07-01"})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (409, "id_number_taken"));
    let (s, e) = app.post(&t, "/api/v1/members", json!({"org_id": tr.town.id, "name": "乙", "id_number": id("1980-01-01", 5), "education": "高中", "joined_on": "2001-07-01"})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "org_cannot_hold_members"), "a committee is not a branch? {e}");
    let (_, st) = app.get(&t, &format!("/api/v1/orgs/{}/stats", tr.county.id)).await;
    assert_eq!(st["members"], 1);

    // Masked everywhere in lists and records.
    let (_, m) = app.get(&t, &format!("/api/v1/members/{mid}")).await;
    assert_eq!(m["id_number"], format!("{}********{}", &good[..6], &good[14..]));
    assert_eq!(m["phone"], "138****5678");
    assert_eq!(m["gender"], "male");
    // Full view is audited.
    let (s, full) = app.get(&t, &format!("/api/v1/members/{mid}/sensitive")).await;
    assert_eq!(s, 200);
    assert_eq!(full["id_number"], good);
    let (_, log) = app.get(&t, &format!("/api/v1/audit?entity=member&entity_id={mid}")).await;
    assert_eq!(log[0]["action"], "member.view_sensitive");

    app.member(&t, &tr.village_b, "王小明", &id("1988-08-08", 7)).await;
    app.member(&t, &tr.village_b, "李四", &id("1988-08-09", 9)).await;
    for (q, n) in [("王", 2), ("wjg", 1), ("WXM", 1), ("李", 1), (good.as_str(), 1), ("13812345678", 3), ("赵", 0)] {
        let (s, page) = app.get(&t, &format!("/api/v1/members?org={}&q={}", tr.county.id, q)).await;
        assert_eq!(s, 200);
        assert_eq!(page["total"], n, "q={q}: {page}");
        for item in page["items"].as_array().unwrap() {
            assert!(item["id_number"].as_str().unwrap().contains("********"));
        }
    }
    let (_, page) = app.get(&t, &format!("/api/v1/members?org={}&q=王&status=probationary", tr.county.id)).await;
    assert_eq!(page["total"], 0);
    let (s, e) = app.get(&t, &format!("/api/v1/members?org={}&status=bogus", tr.county.id)).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (422, "invalid_filter"));

    // Edit and transfer with history.
    let (s, m) = app.patch(&t, &format!("/api/v1/members/{mid}"), json!({"education": "研究生", "posts": "书记"})).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["education"], "postgraduate");
    let (s, m) = app.post(&t, &format!("/api/v1/members/{mid}/transfer"), json!({"to_org_id": tr.village_b.id, "reason": "工作调动"})).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["org_id"], tr.village_b.id);
    let (_, hist) = app.get(&t, &format!("/api/v1/members/{mid}/transfers")).await;
    assert_eq!(hist[0]["from_org_id"], tr.village_a.id);
    assert_eq!(hist[0]["reason"], "工作调动");
    let (_, st_b) = app.get(&t, &format!("/api/v1/orgs/{}/stats", tr.village_b.id)).await;
    assert_eq!(st_b["members"], 3);
    let pg = st_b["members_by_education"].as_array().unwrap().iter().find(|c| c["key"] == "postgraduate").unwrap()["n"].clone();
    assert_eq!(pg, 1);
});

both_backends!(scope_is_enforced_in_the_data_layer, |app: common::TestApp| async move {
    let admin = app.token("admin").await;
    let tr = &app.tree;
    let in_a = app.member(&admin, &tr.village_a, "甲", &id("1970-01-02", 11)).await;
    let in_b = app.member(&admin, &tr.village_b, "乙", &id("1971-01-02", 13)).await;
    let sec_a = app.token("sec_a").await;

    // Own branch: fine.
    let (s, _) = app.get(&sec_a, &format!("/api/v1/members/{in_a}")).await;
    assert_eq!(s, 200);
    // The other branch looks exactly like a missing record, on every member endpoint.
    let missing = 999_999;
    for target in [in_b, missing] {
        for path in [format!("/api/v1/members/{target}"), format!("/api/v1/members/{target}/sensitive"), format!("/api/v1/members/{target}/transfers")] {
            let (s, e) = app.get(&sec_a, &path).await;
            assert_eq!((s, e["error"]["code"].as_str().unwrap()), (404, "not_found"), "{path}");
        }
        let (s, _) = app.patch(&sec_a, &format!("/api/v1/members/{target}"), json!({"name": "改"})).await;
        assert_eq!(s, 404);
        let (s, _) = app.post(&sec_a, &format!("/api/v1/members/{target}/transfer"), json!({"to_org_id": tr.village_a.id})).await;
        assert_eq!(s, 404);
    }
    let (s, _) = app.get(&sec_a, &format!("/api/v1/members?org={}", tr.village_b.id)).await;
    assert_eq!(s, 404);
    let (s, _) = app.get(&sec_a, &format!("/api/v1/orgs/{}", tr.village_b.id)).await;
    assert_eq!(s, 404);
    let (s, _) = app.get(&sec_a, &format!("/api/v1/orgs/{}/stats", tr.town.id)).await;
    assert_eq!(s, 404);
    // Cannot write there, nor move own members there.
    let (s, _) = app.post(&sec_a, "/api/v1/members", json!({"org_id": tr.village_b.id, "name": "丙", "id_number": id("1972-01-02", 15), "education": "高中", "joined_on": "2001-07-01"})).await;
    assert_eq!(s, 404);
    let (s, _) = app.post(&sec_a, &format!("/api/v1/members/{in_a}/transfer"), json!({"to_org_id": tr.village_b.id})).await;
    assert_eq!(s, 404);
    // A search from the township root shows only the secretary's own branch.
    let (s, _) = app.get(&sec_a, &format!("/api/v1/members?org={}", tr.town.id)).await;
    assert_eq!(s, 404);
    let (_, page) = app.get(&sec_a, &format!("/api/v1/members?org={}", tr.village_a.id)).await;
    assert_eq!(page["total"], 1);
    // The township office sees both, the secretary cannot change org settings.
    let town = app.token("town").await;
    let (_, page) = app.get(&town, &format!("/api/v1/members?org={}", tr.town.id)).await;
    assert_eq!(page["total"], 2);
    let (s, e) = app.patch(&sec_a, &format!("/api/v1/orgs/{}", tr.village_a.id), json!({"name": "改名"})).await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (403, "forbidden"));
    // GET /orgs lists the orgs where the caller's roles are held.
    let (_, list) = app.get(&sec_a, "/api/v1/orgs").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["org"]["id"], tr.village_a.id);
    // Users: the township office may appoint a secretary below it, not a county admin, not elsewhere.
    // A common password, or one holding the username, is refused.
    for pw in ["abc12345", "Password1", "sec_a2-2026"] {
        let (s, e) = app.post(&town, "/api/v1/users", json!({"username": "sec_a2", "password": pw, "role": "branch_secretary", "org_id": tr.village_a.id})).await;
        assert_eq!((s, e["error"]["code"].as_str()), (422, Some("weak_password")), "{pw}: {e}");
    }
    let (s, _) = app.post(&town, "/api/v1/users", json!({"username": "sec_a2", "password": "Zhen-2026a", "role": "branch_secretary", "org_id": tr.village_a.id})).await;
    assert_eq!(s, 201);
    let (s, _) = app.post(&town, "/api/v1/users", json!({"username": "boss", "password": "Zhen-2026a", "role": "county_admin", "org_id": tr.town.id})).await;
    assert_eq!(s, 403);
    let (s, _) = app.post(&town, "/api/v1/users", json!({"username": "org2", "password": "Zhen-2026a", "role": "org_admin", "org_id": tr.organ.id})).await;
    assert_eq!(s, 404);
    let (s, _) = app.post(&sec_a, "/api/v1/users", json!({"username": "x123", "password": "Zhen-2026a", "role": "member", "org_id": tr.village_a.id})).await;
    assert_eq!(s, 403);

    // UI pages: same rule.
    let ui = common::ui_login(&app, "sec_a").await;
    let r = ui.get(format!("{}/members/{in_b}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = ui.get(format!("{}/orgs/{}", app.url, tr.village_b.id)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = ui.get(format!("{}/members?org={}", app.url, tr.village_b.id)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = ui.get(format!("{}/members/{in_a}", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("甲") && body.contains("********"));
});

both_backends!(ui_forms_need_csrf_and_show_errors_in_chinese, |app: common::TestApp| async move {
    let ui = common::ui_login(&app, "admin").await;
    let tr = &app.tree;
    let r = ui.get(format!("{}/orgs/{}", app.url, tr.town.id)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("城关镇党委") && page.contains("东关村党支部"));
    // The two villages have no members: the setup warning shows on their page.
    let village = ui.get(format!("{}/orgs/{}", app.url, tr.village_a.id)).send().await.unwrap().text().await.unwrap();
    assert!(village.contains("正式党员 0 人，少于 3 人"), "warning");
    let csrf = common::hidden(&page, "csrf");
    // Without the token: refused, nothing created.
    let r = ui
        .post(format!("{}/orgs/{}/children", app.url, tr.town.id))
        .form(&[("csrf", "forged"), ("name", "新村党支部"), ("code", "V009"), ("kind", "branch"), ("domain", "rural")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = ui
        .post(format!("{}/orgs/{}/children", app.url, tr.town.id))
        .form(&[("csrf", csrf.as_str()), ("name", "新村党支部"), ("code", "V009"), ("kind", "branch"), ("variant", "regular"), ("domain", "rural")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // A bad member form comes back with the typed values and the reason.
    let r = ui
        .post(format!("{}/members", app.url))
        .form(&[("csrf", csrf.as_str()), ("org_id", &tr.village_a.id.to_string()), ("name", "赵六"), ("id_number", "110105194912310021"), ("education", "bachelor"), ("status", "full"), ("joined_on", "1980-01-01"), ("full_on", "1981-01-01")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("校验位不符") && body.contains("赵六"), "{body}");
});

both_backends!(import_checks_everything_first, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let header = "所在党组织编码,姓名,公民身份号码,性别,出生日期,民族,学历,联系电话,入党日期,转为正式党员日期,人员类别,党内职务\n";
    let good = format!(
        "{header}V001,王一,{},,,汉族,高中,13900000001,2000-07-01,2001-07-01,正式党员,书记\nG001,王二,{},,,,大学本科,,2010-07-01,2011-07-01,,\nV002,王三,{},,,回族,初中及以下,,2025-12-01,,预备党员,\n",
        id("1970-01-02", 11),
        id("1980-01-02", 12),
        id("1990-01-02", 13)
    );
    let bad = format!(
        "{header}V001,李一,{},,,汉族,高中,,2000-07-01,2001-07-01,正式党员,\nV999,李二,{},,,,大学本科,,2010-07-01,2011-07-01,,\nV002,李三,12345,,,,大学本科,,2010-07-01,2011-07-01,,\nV002,李四,{},,,,大学专科,,2010-07-01,2011-07-01,,\n",
        id("1960-01-02", 21),
        id("1961-01-02", 23),
        id("1960-01-02", 21)
    );
    let post = |body: String| {
        app.client
            .post(format!("{}/api/v1/import/members?filename=m.csv", app.url))
            .bearer_auth(&t)
            .body(body)
            .send()
    };
    let r = post(bad).await.unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    let rows: Vec<(i64, String)> = e["error"]["rows"].as_array().unwrap().iter().map(|r| (r["row"].as_i64().unwrap(), r["column"].as_str().unwrap().to_string())).collect();
    assert_eq!(
        rows,
        vec![(3, "所在党组织编码".into()), (4, "公民身份号码".into()), (5, "公民身份号码".into())],
        "{e}"
    );
    let (_, st) = app.get(&t, &format!("/api/v1/orgs/{}/stats", app.tree.county.id)).await;
    assert_eq!(st["members"], 0, "nothing written");

    let r = post(good.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["imported"], 3);
    // The answer says where the rows went: V001 and its group G001 are two orgs, V002 a third.
    let into: Vec<(i64, i64)> = v["into"].as_array().unwrap().iter().map(|i| (i["org_id"].as_i64().unwrap(), i["count"].as_i64().unwrap())).collect();
    assert_eq!(into.len(), 3, "{v}");
    assert!(into.contains(&(app.tree.village_b.id, 1)), "{v}");
    let (_, st) = app.get(&t, &format!("/api/v1/orgs/{}/stats", app.tree.county.id)).await;
    assert_eq!(st["members"], 3);
    // The same file again: every row is a duplicate, nothing changes.
    let r = post(good).await.unwrap();
    assert_eq!(r.status(), 422);
    let (_, st) = app.get(&t, &format!("/api/v1/orgs/{}/stats", app.tree.county.id)).await;
    assert_eq!(st["members"], 3);

    // Export the subtree to a real .xlsx and read it back.
    let r = app.client.get(format!("{}/api/v1/orgs/{}/members.xlsx", app.url, app.tree.town.id)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    use calamine::Reader;
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.rows().count(), 4);
    let all: Vec<String> = sheet.rows().skip(1).map(|r| r[2].to_string()).collect();
    assert!(all.contains(&"王二".to_string()), "{all:?}");

    // Orgs import: a child before its parent is fine; an unknown parent is not.
    let orgs_csv = "党组织编码,上级党组织编码,党组织名称,党组织类别,所属领域\nV010,T009,南庄村党支部,党支部,农村\nT009,C001,南庄镇党委,党委,乡镇街道\n";
    let r = app.client.post(format!("{}/api/v1/import/orgs?filename=o.csv", app.url)).bearer_auth(&t).body(orgs_csv).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let bad_orgs = "党组织编码,上级党组织编码,党组织名称,党组织类别,所属领域\nV011,NOPE,北庄村党支部,党支部,农村\n";
    let r = app.client.post(format!("{}/api/v1/import/orgs?filename=o.csv", app.url)).bearer_auth(&t).body(bad_orgs).send().await.unwrap();
    assert_eq!(r.status(), 422);
});

both_backends!(audit_log_is_append_only, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    app.member(&t, &app.tree.village_a, "王建国", &id("1970-01-02", 11)).await;
    let (_, log) = app.get(&t, "/api/v1/audit").await;
    assert!(log.as_array().unwrap().iter().any(|e| e["action"] == "member.create"));
    let upd = sqlx::query("UPDATE audit_log SET username = 'x'").execute(&app.db.pool).await;
    assert!(upd.is_err(), "update must be refused by the database");
    let del = sqlx::query("DELETE FROM audit_log").execute(&app.db.pool).await;
    assert!(del.is_err(), "delete must be refused by the database");
    let sec = app.token("sec_a").await;
    let (s, _) = app.get(&sec, "/api/v1/audit").await;
    assert_eq!(s, 403);
});

both_backends!(openapi_document_lists_the_endpoints, |app: common::TestApp| async move {
    let r = app.client.get(format!("{}/api/v1/openapi.json", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    for p in ["/api/v1/orgs/{id}", "/api/v1/orgs/{id}/stats", "/api/v1/members", "/api/v1/members/{id}", "/api/v1/auth/login"] {
        assert!(doc["paths"].get(p).is_some(), "{p}");
    }
    let (s, e) = app.get("x", "/api/v1/nope").await;
    assert_eq!((s, e["error"]["code"].as_str().unwrap()), (404, "not_found"));
});

// The stats answer is cached between writes: a write shows at once, and the cache never
// widens anyone's scope.
both_backends!(cached_stats_follow_writes_and_scope, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let tr = &app.tree;
    let path = format!("/api/v1/orgs/{}/stats", tr.village_a.id);
    let (_, st) = app.get(&t, &path).await;
    assert_eq!(st["members"], 0);
    app.member(&t, &tr.village_a, "王建国", &id("1970-01-02", 11)).await;
    let (_, st) = app.get(&t, &path).await;
    assert_eq!(st["members"], 1, "the write shows at once");
    let sec_b = app.token("sec_b").await;
    let (s, _) = app.get(&sec_b, &path).await;
    assert_eq!(s, 404, "another branch's secretary does not see it, cached or not");
    let sec_a = app.token("sec_a").await;
    let (s, st) = app.get(&sec_a, &path).await;
    assert_eq!((s, st["members"].as_i64()), (200, Some(1)));
});
