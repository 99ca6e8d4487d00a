//! A moved village takes everything with it: members, grids, buildings, households, requests,
//! disputes, recruitment files (with their counters), mobile members, volunteering activities, 四议两公开 matters and rectification cases follow it to the new township, which can act on them, while the old one no longer
//! sees them. The list of tables a move rewrites is checked against the schema itself.

mod common;

use serde_json::json;
use sqlx::Row as _;
use yinghuo::orgs::store::PATH_TABLES;

use common::TestApp;

both_backends!(a_moved_village_takes_its_governance_records, |app: TestApp| async move {
    let tr = &app.tree;
    let admin = app.token("admin").await;
    let town = app.token("town").await;
    let v = tr.village_a.id;
    let zhao = app.member(&admin, &tr.village_a, "赵六", &common::id("1972-04-04", 3)).await;
    let (s, grid) = app.post(&admin, "/api/v1/grids", json!({"org_id": v, "kind": "full", "code": "QK01", "name": "东关第一全科网格"})).await;
    assert_eq!(s, 201, "{grid}");
    let (s, b) = app.post(&admin, &format!("/api/v1/grids/{}/buildings", grid["id"]), json!({"name": "3号楼", "group_org_id": tr.group_a.id})).await;
    assert_eq!(s, 201, "{b}");
    let (s, h) = app
        .post(&admin, "/api/v1/households", json!({"grid_id": grid["id"], "building_id": b["id"], "address": "3号楼101", "head_name": "赵大", "phone": "13800001111",
            "residents": [{"name": "赵大", "id_number": common::id("1940-03-01", 11), "relation": "户主"}]}))
        .await;
    assert_eq!(s, 201, "{h}");
    let (s, r) = app.post(&admin, "/api/v1/requests", json!({"org_id": v, "source": "door_knocking", "category": "环境卫生", "text": "路灯不亮", "contact_name": "王阿姨", "contact_phone": "13912345678"})).await;
    assert_eq!(s, 201, "{r}");
    let (s, d) = app.post(&admin, "/api/v1/disputes", json!({"org_id": v, "category": "neighbour", "risk": "general", "summary": "排水沟争执", "parties": [{"name": "孙小红"}]})).await;
    assert_eq!(s, 201, "{d}");
    let (s, f) = app.post(&admin, "/api/v1/recruitment", json!({"org_id": v, "name": "钱七", "id_number": common::id("1998-05-05", 4), "education": "高中", "applied_on": yinghuo::db::today().to_string()})).await;
    assert_eq!(s, 201, "{f}");
    let (s, m) = app.post(&admin, "/api/v1/mobile-members", json!({"member_id": zhao, "left_on": yinghuo::db::today().to_string(), "place": "北京", "contact": "13900001111"})).await;
    assert_eq!(s, 201, "{m}");
    let tomorrow = (yinghuo::db::today() + chrono::Duration::days(1)).to_string();
    let (s, act) = app
        .post(&admin, "/api/v1/volunteering/activities", json!({"org_id": v, "title": "义务植树", "category": "环境整治", "place": "村口", "day": tomorrow, "start": "09:00", "end": "11:00", "slots": 5, "organizer": "组织者"}))
        .await;
    assert_eq!(s, 201, "{act}");
    let (s, matter) = app.post(&admin, "/api/v1/village-affairs/matters", json!({"org_id": v, "title": "鱼塘承包", "category": "其他重大事项"})).await;
    assert_eq!(s, 201, "{matter}");
    let (s, case) = app.post(&admin, "/api/v1/rectification/cases", json!({"org_id": v, "identified_on": yinghuo::db::today().to_string(), "reasons": ["life"]})).await;
    assert_eq!(s, 201, "{case}");
    let (s, inc) = app.post(&admin, "/api/v1/economy/incomes", json!({"org_id": v, "year": 2025, "source": "contract", "amount": "52000", "note": "鱼塘承包费"})).await;
    assert_eq!(s, 201, "{inc}");
    let (s, coop) = app.post(&admin, "/api/v1/economy/cooperatives", json!({"org_id": v, "name": "冬枣种植专业合作社"})).await;
    assert_eq!(s, 201, "{coop}");
    let (s, win) = app.post(&admin, "/api/v1/service-ratings/windows", json!({"org_id": v, "name": "便民服务窗口", "department": "村便民服务站"})).await;
    assert_eq!(s, 201, "{win}");
    let (s, rating) = app.post(&admin, &format!("/api/v1/service-ratings/windows/{}/ratings", win["id"]), json!({"grade": "satisfied"})).await;
    assert_eq!(s, 201, "{rating}");
    let (s, power_use) = app.post(&admin, "/api/v1/village-affairs/powers/uses", json!({"org_id": v, "item": "seal", "subject": "用印"})).await;
    assert_eq!(s, 201, "{power_use}");
    let (s, commitment) = app.post(&admin, "/api/v1/village-affairs/commitments", json!({"org_id": v, "title": "年内硬化村道"})).await;
    assert_eq!(s, 201, "{commitment}");
    let (s, center) = app.post(&admin, "/api/v1/centers", json!({"org_id": v})).await;
    assert_eq!(s, 201, "{center}");
    let (_, cd) = app.get(&admin, &format!("/api/v1/centers/{}", center["id"])).await;
    let results: Vec<serde_json::Value> = cd["standards"].as_array().unwrap().iter().map(|s| json!({"code": s["code"], "met": true})).collect();
    let png = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(yinghuo::demo::centers::tiny_png(4, 4, [0, 0, 200]))
    };
    let (s, check) = app.post(&admin, &format!("/api/v1/centers/{}/checks", center["id"]), json!({"plaques": 2, "guide_signs": 4, "results": results, "photos": [{"name": "外景.png", "base64": png}]})).await;
    assert_eq!(s, 201, "{check}");
    let reads = [
        format!("/api/v1/village-affairs/powers/uses/{}", power_use["id"]),
        format!("/api/v1/village-affairs/commitments/{}", commitment["id"]),
        format!("/api/v1/centers/{}", center["id"]),
        format!("/api/v1/centers/photos/{}", check["photos"][0]["id"]),
        format!("/api/v1/service-ratings/ratings/{}", rating["id"]),
        format!("/api/v1/orgs/{v}/economy/incomes?year=2025"),
        format!("/api/v1/volunteering/activities/{}", act["id"]),
        format!("/api/v1/village-affairs/matters/{}", matter["id"]),
        format!("/api/v1/rectification/cases/{}", case["id"]),
        format!("/api/v1/recruitment/{}", f["id"]),
        format!("/api/v1/mobile-members/{}", m["id"]),
        format!("/api/v1/grids/{}", grid["id"]),
        format!("/api/v1/households/{}", h["id"]),
        format!("/api/v1/requests/{}", r["id"]),
        format!("/api/v1/disputes/{}", d["id"]),
    ];
    for path in &reads {
        assert_eq!(app.get(&town, path).await.0, 200, "before the move, the town reads {path}");
    }

    // The village moves to a new township.
    let (s, town2) = app.post(&admin, "/api/v1/orgs", json!({"parent_id": tr.county.id, "code": "T002", "name": "河西镇党委", "kind": "committee", "domain": "township"})).await;
    assert_eq!(s, 201, "{town2}");
    let town2_id = town2["id"].as_i64().unwrap();
    let (s, moved) = app.post(&admin, &format!("/api/v1/orgs/{v}/move"), json!({"parent_id": town2_id})).await;
    assert_eq!(s, 200, "{moved}");
    let mut conn = app.db.pool.acquire().await.unwrap();
    let new_path = yinghuo::orgs::store::get(&mut conn, v).await.unwrap().unwrap().path;
    let town2_org = yinghuo::orgs::store::get(&mut conn, town2_id).await.unwrap().unwrap();
    assert!(new_path.starts_with(&town2_org.path));

    // Every path-carrying row of the village now sits under the new path.
    for table in PATH_TABLES {
        let stale: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE org_id IN (SELECT id FROM orgs WHERE path >= $1 AND path < $2) AND org_path NOT LIKE $3"))
            .bind(&new_path)
            .bind(yinghuo::db::path::upper(&new_path))
            .bind(format!("{new_path}%"))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(stale, 0, "{table}: rows left under the old path");
        let moved_rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE org_path LIKE $1")).bind(format!("{new_path}%")).fetch_one(&mut *conn).await.unwrap();
        assert!(moved_rows > 0, "{table}: the test made no row to move");
    }
    drop(conn);

    // The old township no longer reads them; the new one does, and acts.
    common::add_user(&app.db, "town2", "org_admin", &town2_org, None).await;
    let town2_t = app.token("town2").await;
    // The recruitment counters moved with the village.
    let (_, p) = app.get(&town2_t, &format!("/api/v1/orgs/{town2_id}/recruitment")).await;
    assert_eq!(p["counts"]["applicant"].as_i64(), Some(1), "{p}");
    let (_, p) = app.get(&admin, &format!("/api/v1/orgs/{}/recruitment", tr.town.id)).await;
    assert_eq!(p["counts"]["applicant"].as_i64(), Some(0), "{p}");
    for path in &reads {
        assert_eq!(app.get(&town, path).await.0, 404, "after the move, the old town must not read {path}");
        assert_eq!(app.get(&town2_t, path).await.0, 200, "after the move, the new town reads {path}");
    }
    let (s, v2) = app.post(&town2_t, &format!("/api/v1/requests/{}/actions", r["id"]), json!({"action": "verify"})).await;
    assert_eq!(s, 200, "the new town acts on the request: {v2}");
});

// Every `org_path` column in the schema belongs to a table the move rewrites (the audit log
// keeps the path of its time and is read through the org id).
both_backends!(every_path_column_is_moved, |app: TestApp| async move {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let tables: Vec<String> = match app.db.backend {
        yinghuo::db::Backend::Sqlite => sqlx::query("SELECT m.name AS t FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'org_path'")
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>("t").unwrap())
            .collect(),
        yinghuo::db::Backend::Postgres => sqlx::query("SELECT CAST(table_name AS TEXT) AS t FROM information_schema.columns WHERE column_name = 'org_path' AND table_schema = current_schema()")
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>("t").unwrap())
            .collect(),
    };
    assert!(tables.len() >= PATH_TABLES.len());
    for t in tables.iter().filter(|t| t.as_str() != "audit_log") {
        assert!(PATH_TABLES.contains(&t.as_str()), "table {t} carries org_path but orgs::store::PATH_TABLES does not list it");
    }
});
