//! The permission matrix over HTTP: every GET operation of the OpenAPI document whose path
//! names an org, a member, a request or a dispute, called as every role, on a record inside,
//! beside and outside the role's subtree; each answer is compared with what
//! `auth::roles::MATRIX` and `web::matrix::READS` say. A new GET operation joins by being listed
//! in READS (a unit test refuses an unlisted one); nothing here needs editing.

mod common;

use serde_json::{json, Value};
use yinghuo::auth::roles::{Perm, Role};

use common::TestApp;

/// Where a record sits, as the org path it belongs to.
#[derive(Clone)]
struct Target {
    label: &'static str,
    org_path: String,
    /// The member record itself, for member operations.
    member_id: Option<i64>,
}

struct Caller {
    user: &'static str,
    role: Role,
    at: String,
    member_id: Option<i64>,
}

fn allowed(c: &Caller, perm: Perm, t: &Target) -> bool {
    (c.role.grants(perm) && t.org_path.starts_with(&c.at))
        || (c.role == Role::Member && perm.self_readable() && t.member_id.is_some() && t.member_id == c.member_id)
}

both_backends!(every_read_answers_as_the_matrix_says, |app: TestApp| async move {
    let tr = &app.tree;
    let admin = app.token("admin").await;
    let me = app.member(&admin, &tr.village_a, "本人", &common::id("1985-02-02", 3)).await;
    let other_a = app.member(&admin, &tr.village_a, "同支部", &common::id("1986-02-02", 5)).await;
    let in_b = app.member(&admin, &tr.village_b, "邻支部", &common::id("1987-02-02", 7)).await;
    let in_organ = app.member(&admin, &tr.organ, "机关", &common::id("1988-02-02", 9)).await;
    common::add_user(&app.db, "member1", "member", &tr.village_a, Some(me)).await;
    common::add_user(&app.db, "gworker", "grid_worker", &tr.village_a, None).await;

    // A request and a dispute in each village (the organ has neither).
    let mut requests = Vec::new();
    let mut disputes = Vec::new();
    for org in [&tr.village_a, &tr.village_b] {
        let (s, r) = app.post(&admin, "/api/v1/requests", json!({"org_id": org.id, "source": "door_knocking", "category": "环境卫生", "text": "路灯不亮", "contact_name": "王阿姨", "contact_phone": "13912345678"})).await;
        assert_eq!(s, 201, "{r}");
        requests.push((org.path.clone(), r["id"].as_i64().unwrap()));
        let (s, d) = app.post(&admin, "/api/v1/disputes", json!({"org_id": org.id, "category": "neighbour", "risk": "general", "summary": "排水沟争执", "parties": [{"name": "孙小红", "phone": "13500002222"}]})).await;
        assert_eq!(s, 201, "{d}");
        disputes.push((org.path.clone(), d["id"].as_i64().unwrap()));
    }

    let callers = [
        Caller { user: "admin", role: Role::CountyAdmin, at: tr.county.path.clone(), member_id: None },
        Caller { user: "town", role: Role::OrgAdmin, at: tr.town.path.clone(), member_id: None },
        Caller { user: "sec_a", role: Role::BranchSecretary, at: tr.village_a.path.clone(), member_id: None },
        Caller { user: "gworker", role: Role::GridWorker, at: tr.village_a.path.clone(), member_id: None },
        Caller { user: "member1", role: Role::Member, at: tr.village_a.path.clone(), member_id: Some(me) },
    ];
    let mut tokens = std::collections::HashMap::new();
    for c in &callers {
        tokens.insert(c.user, app.token(c.user).await);
    }
    let orgs = [("inside", &tr.village_a), ("beside", &tr.village_b), ("outside", &tr.organ)];
    let members = [("self", me, &tr.village_a), ("inside", other_a, &tr.village_a), ("beside", in_b, &tr.village_b), ("outside", in_organ, &tr.organ)];

    let (_, doc) = app.get(&admin, "/api/v1/openapi.json").await;
    let mut checked = 0;
    let mut wrong: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let perm = yinghuo::web::matrix::read_perm(path).unwrap_or_else(|| panic!("{path} is not in web::matrix::READS"));
        let Some(perm) = perm else { continue };
        // (url, target) pairs for this operation.
        let mut calls: Vec<(String, Target)> = Vec::new();
        if let Some(rest) = path.strip_prefix("/api/v1/orgs/{id}") {
            for (label, o) in orgs {
                calls.push((format!("/api/v1/orgs/{}{rest}", o.id), Target { label, org_path: o.path.clone(), member_id: None }));
            }
        } else if path == "/api/v1/members" {
            for (label, o) in orgs {
                calls.push((format!("/api/v1/members?org={}", o.id), Target { label, org_path: o.path.clone(), member_id: None }));
            }
        } else if let Some(rest) = path.strip_prefix("/api/v1/members/{id}") {
            for (label, id, o) in members {
                calls.push((format!("/api/v1/members/{id}{rest}"), Target { label, org_path: o.path.clone(), member_id: Some(id) }));
            }
        } else if path == "/api/v1/requests/{id}" || path == "/api/v1/disputes/{id}" {
            let list = if path.starts_with("/api/v1/requests") { &requests } else { &disputes };
            for ((p, id), label) in list.iter().zip(["inside", "beside"]) {
                calls.push((path.replace("{id}", &id.to_string()), Target { label, org_path: p.clone(), member_id: None }));
            }
        } else {
            continue;
        }
        for (url, target) in &calls {
            for c in &callers {
                // The query values some reads require (period, month); others ignore them.
                let sep = if url.contains('?') { '&' } else { '?' };
                let full = format!("{}{url}{sep}from=2026-01-01&to=2026-11-30&month=2026-11&period=month&date=2026-11-30", app.url);
                let r = app.client.get(full).bearer_auth(&tokens[c.user]).send().await.unwrap();
                let status = r.status().as_u16();
                let body = r.text().await.unwrap_or_default();
                let expect = allowed(c, perm, target);
                let mut ok = if expect { status < 400 || status == 422 } else { status == 404 || status == 403 };
                // A member's member list holds only themself.
                if !ok && c.role == Role::Member && path == "/api/v1/members" && status == 200 {
                    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    ok = v["items"].as_array().is_some_and(|items| items.iter().all(|m| m["id"].as_i64() == c.member_id));
                }
                if !ok {
                    wrong.push(format!("{} {url} ({}, {:?}): {status}, expected {} — {}", c.user, target.label, perm, if expect { "allowed" } else { "404/403" }, &body.chars().take(120).collect::<String>()));
                }
                if status >= 500 {
                    wrong.push(format!("{} {url}: server error {status}", c.user));
                }
                checked += 1;
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {checked} answers differ from the matrix:\n{}", wrong.len(), wrong.join("\n"));
    assert!(checked > 400, "only {checked} calls were made");
});
