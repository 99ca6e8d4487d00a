//! The permission matrix over HTTP, generated from the OpenAPI document: every operation whose
//! path (or query, or body) names an org or a record is called as every role, on a record
//! inside, beside and outside the role's subtree, and each answer is compared with what
//! `auth::roles::MATRIX` says through `web::matrix::READS` (GET) and `web::matrix::WRITES`
//! (POST, PUT, PATCH, DELETE). Writes are sent with a deliberately incomplete body, so nothing
//! valid is written: an allowed caller gets a validation answer (422) or a harmless no-op, one
//! without the permission 403 or 404, and a record out of the caller's subtree is always 404.
//! A new operation joins by being listed in READS or WRITES (unit tests refuse an unlisted
//! one); a new kind of record in a path needs one fixture in `World::build`, and the test says so.

mod common;

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use yinghuo::auth::roles::{Perm, Role};

use common::TestApp;

/// A record an operation can be aimed at, and where it sits.
#[derive(Clone)]
struct Target {
    label: &'static str,
    id: i64,
    org_id: i64,
    /// Empty for "anywhere" (operations gated on holding the permission somewhere).
    org_path: String,
    /// The member this record is about or who attends it, for a member's own reads.
    member_id: Option<i64>,
    /// Values of further path parameters (a meeting's file).
    extra: Vec<(&'static str, i64)>,
}

impl Target {
    fn anywhere() -> Target {
        Target { label: "anywhere", id: 0, org_id: 0, org_path: String::new(), member_id: None, extra: Vec::new() }
    }
}

struct Caller {
    user: &'static str,
    role: Role,
    at: String,
    member_id: Option<i64>,
}

impl Caller {
    fn covers(&self, t: &Target) -> bool {
        t.org_path.starts_with(&self.at)
    }
    fn may_read(&self, perm: Perm, t: &Target) -> bool {
        if t.label == "anywhere" {
            return self.role.grants(perm);
        }
        (self.role.grants(perm) && self.covers(t))
            || (self.role == Role::Member && perm.self_readable() && t.member_id.is_some() && t.member_id == self.member_id)
    }
    fn may_write(&self, perm: Perm, t: &Target) -> bool {
        self.role.grants(perm) && (t.label == "anywhere" || self.covers(t))
    }
}

/// The small county of the harness with records of every kind in village A (inside for the
/// branch-level callers), village B (beside) and, where the kind exists there, the county
/// organ branch (outside).
struct World {
    callers: Vec<Caller>,
    tokens: HashMap<&'static str, String>,
    /// Record kind (the path segment before `{id}`) → targets.
    records: HashMap<&'static str, Vec<Target>>,
}

fn day(offset: i64) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    (chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(offset)).to_string()
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> i64 {
    let (s, v) = app.post(token, path, body).await;
    assert_eq!(s, 201, "{path}: {v}");
    v["id"].as_i64().unwrap_or_else(|| v["meeting"]["id"].as_i64().unwrap())
}

impl World {
    async fn build(app: &TestApp) -> World {
        let tr = &app.tree;
        let admin = app.token("admin").await;
        let me = app.member(&admin, &tr.village_a, "本人", &common::id("1985-02-02", 3)).await;
        let other_a = app.member(&admin, &tr.village_a, "同支部", &common::id("1986-02-02", 5)).await;
        let in_b = app.member(&admin, &tr.village_b, "邻支部", &common::id("1987-02-02", 7)).await;
        let in_organ = app.member(&admin, &tr.organ, "机关", &common::id("1988-02-02", 9)).await;
        common::add_user(&app.db, "member1", "member", &tr.village_a, Some(me)).await;
        common::add_user(&app.db, "gworker", "grid_worker", &tr.village_a, None).await;

        let places = [("inside", &tr.village_a), ("beside", &tr.village_b), ("outside", &tr.organ)];
        let at = |label: &'static str, id: i64, org: &yinghuo::orgs::model::Org| Target {
            label,
            id,
            org_id: org.id,
            org_path: org.path.clone(),
            member_id: None,
            extra: Vec::new(),
        };
        let mut records: HashMap<&'static str, Vec<Target>> = HashMap::new();
        records.insert("orgs", places.iter().map(|(l, o)| at(l, o.id, o)).collect());
        records.insert(
            "members",
            [("self", me, &tr.village_a), ("inside", other_a, &tr.village_a), ("beside", in_b, &tr.village_b), ("outside", in_organ, &tr.organ)]
                .into_iter()
                .map(|(l, id, o)| Target { member_id: Some(id), ..at(l, id, o) })
                .collect(),
        );

        for (label, org) in places {
            // Meetings (planned a month ahead: holding one today is refused) with a file each.
            let start = format!("{} 09:00", day(30));
            let mid = created(app, &admin, "/api/v1/meetings", json!({"org_id": org.id, "kind": "party_lecture", "topic": "专题党课", "planned_start": start})).await;
            let r = app
                .client
                .post(format!("{}/api/v1/meetings/{mid}/files?filename=minutes.pdf", app.url))
                .bearer_auth(&admin)
                .body(b"%PDF-1.4 minutes".to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "meeting file");
            let fid = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
            // The member attends the meeting of their own branch: it is theirs to read.
            let attends = org.id == tr.village_a.id;
            if attends {
                let (s, v) = app.post(&admin, &format!("/api/v1/meetings/{mid}/attendance"), json!([{"member_id": me, "status": "present"}])).await;
                assert_eq!(s, 200, "{v}");
            }
            records.entry("meetings").or_default().push(Target {
                member_id: attends.then_some(me),
                extra: vec![("file_id", fid)],
                ..at(label, mid, org)
            });

            // Training classes, running today, with one session today.
            let cid = created(app, &admin, "/api/v1/training/classes", json!({"org_id": org.id, "kind": "集中轮训", "title": "轮训班", "starts_on": day(-2), "ends_on": day(2)})).await;
            records.entry("classes").or_default().push(at(label, cid, org));
            let (s, session) = app
                .post(&admin, &format!("/api/v1/training/classes/{cid}/sessions"), json!({"day": day(0), "start": "00:05", "minutes": 60, "category": "red", "title": "党章"}))
                .await;
            assert_eq!(s, 201, "{session}");
            records.entry("sessions").or_default().push(at(label, session["id"].as_i64().unwrap(), org));

            // A user holding a role there (not one of the callers: disabling touches sessions).
            let uid = created(app, &admin, "/api/v1/users", json!({"username": format!("user_{label}"), "password": common::PASSWORD, "role": "branch_secretary", "org_id": org.id})).await;
            records.entry("users").or_default().push(at(label, uid, org));
        }

        // Grids, households, requests and disputes belong to villages (communities): inside and beside.
        for (label, org) in &places[..2] {
            let gid = created(app, &admin, "/api/v1/grids", json!({"org_id": org.id, "kind": "full", "code": "QK01", "name": "第一全科网格"})).await;
            records.entry("grids").or_default().push(at(label, gid, org));
            let (s, b) = app.post(&admin, &format!("/api/v1/grids/{gid}/buildings"), json!({"name": "3号楼"})).await;
            assert_eq!(s, 201, "{b}");
            records.entry("buildings").or_default().push(at(label, b["id"].as_i64().unwrap(), org));
            let hid = created(app, &admin, "/api/v1/households", json!({"grid_id": gid, "address": "3号楼101", "head_name": "赵大", "phone": "13800001111"})).await;
            records.entry("households").or_default().push(at(label, hid, org));
            // The village's 文明超市 and a civic-practice entry of the household.
            let mid = created(app, &admin, "/api/v1/supermarket", json!({"org_id": org.id})).await;
            records.entry("supermarket").or_default().push(at(label, mid, org));
            let (s, p) = app.post(&admin, &format!("/api/v1/points/households/{hid}/civic"), json!({"item": "tidy_yard", "on": day(0), "evidence": "入户查看"})).await;
            assert_eq!(s, 200, "{p}");
            records.entry("transfers").or_default().push(at(label, p["entries"][0]["transfer_id"].as_i64().unwrap(), org));
            let sid = created(app, &admin, &format!("/api/v1/households/{hid}/special"), json!({"kind": "80岁以上高龄老人", "note": "独居"})).await;
            records.entry("special").or_default().push(at(label, sid, org));
            let rid = created(
                app,
                &admin,
                "/api/v1/requests",
                json!({"org_id": org.id, "source": "door_knocking", "category": "环境卫生", "text": "路灯不亮", "contact_name": "王阿姨", "contact_phone": "13912345678"}),
            )
            .await;
            records.entry("requests").or_default().push(at(label, rid, org));
            let did = created(
                app,
                &admin,
                "/api/v1/disputes",
                json!({"org_id": org.id, "category": "neighbour", "risk": "general", "summary": "排水沟争执", "parties": [{"name": "孙小红", "phone": "13500002222"}]}),
            )
            .await;
            records.entry("disputes").or_default().push(at(label, did, org));
        }

        // A recruitment file in each of the three branches.
        for (i, (label, org)) in places.iter().enumerate() {
            let body = json!({"org_id": org.id, "name": "申请人", "id_number": common::id("2000-03-03", 20 + i as u32), "education": "高中", "applied_on": day(-10)});
            let rid = created(app, &admin, "/api/v1/recruitment", body).await;
            records.entry("recruitment").or_default().push(at(label, rid, org));
        }
        // A member away in each of the three branches.
        for ((label, org), mid) in places.iter().zip([other_a, in_b, in_organ]) {
            let body = json!({"member_id": mid, "left_on": day(-30), "place": "北京", "contact": "13900002222"});
            let aid = created(app, &admin, "/api/v1/mobile-members", body).await;
            records.entry("mobile-members").or_default().push(at(label, aid, org));
        }
        // A 书记 seat in each of the three branches.
        for ((label, org), mid) in places.iter().zip([other_a, in_b, in_organ]) {
            let body = json!({"member_id": mid, "post": "secretary", "starts_on": day(-100)});
            let sid = created(app, &admin, &format!("/api/v1/orgs/{}/team", org.id), body).await;
            records.entry("team-seats").or_default().push(at(label, sid, org));
        }
        // A county delegate in each of the three branches.
        for ((label, org), mid) in places.iter().zip([other_a, in_b, in_organ]) {
            let did = created(app, &admin, "/api/v1/delegates", json!({"member_id": mid, "congress": "county", "term_start": day(-60)})).await;
            records.entry("delegates").or_default().push(at(label, did, org));
        }
        // Villages: the township helps each; a cadre file with a document (the seats above give
        // each village its secretary), a reserve and a first secretary.
        for (i, (label, org)) in places[..2].iter().enumerate() {
            let pid = created(app, &admin, "/api/v1/pairings", json!({"kind": "assistance", "helper_org_id": tr.town.id, "helped_org_id": org.id, "starts_on": day(-30)})).await;
            records.entry("pairings").or_default().push(at(label, pid, org));
            let r = app
                .client
                .post(format!("{}/api/v1/cadres/{}/docs?kind=basic_info&filename=info.pdf", app.url, org.id))
                .bearer_auth(&admin)
                .body(b"%PDF-1.4 info".to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "cadre doc");
            let doc = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
            records.entry("cadres").or_default().push(Target { extra: vec![("doc_id", doc)], ..at(label, org.id, org) });
            let body = json!({"name": "后备", "id_number": common::id("1995-03-03", 30 + i as u32), "added_on": day(-5)});
            let rid = created(app, &admin, &format!("/api/v1/cadres/{}/reserves", org.id), body).await;
            records.entry("cadre-reserves").or_default().push(at(label, rid, org));
            let fid = created(app, &admin, &format!("/api/v1/cadres/{}/first-secretaries", org.id), json!({"name": "第一书记", "unit": "县财政局", "started_on": day(-50)})).await;
            records.entry("first-secretaries").or_default().push(at(label, fid, org));
        }

        // A volunteering activity with one sign-up in each of the three branches.
        for ((label, org), mid) in places.iter().zip([other_a, in_b, in_organ]) {
            let body = json!({"org_id": org.id, "title": "义务植树", "category": "环境整治", "place": "村口", "day": day(1), "start": "09:00", "end": "11:00", "slots": 5, "organizer": "组织者"});
            let aid = created(app, &admin, "/api/v1/volunteering/activities", body).await;
            records.entry("activities").or_default().push(at(label, aid, org));
            let sid = created(app, &admin, &format!("/api/v1/volunteering/activities/{aid}/signups"), json!({"member_id": mid})).await;
            records.entry("signups").or_default().push(at(label, sid, org));
        }

        // A 四议两公开 matter in each of the two villages (the organ branch is not a village).
        for (label, org) in &places[..2] {
            let mid = created(app, &admin, "/api/v1/village-affairs/matters", json!({"org_id": org.id, "title": "鱼塘承包", "category": "其他重大事项"})).await;
            records.entry("matters").or_default().push(at(label, mid, org));
            let uid = created(app, &admin, "/api/v1/village-affairs/powers/uses", json!({"org_id": org.id, "item": "seal", "subject": "用印"})).await;
            records.entry("uses").or_default().push(at(label, uid, org));
            let cid = created(app, &admin, "/api/v1/village-affairs/commitments", json!({"org_id": org.id, "title": "年内硬化村道"})).await;
            records.entry("commitments").or_default().push(at(label, cid, org));
            let iid = created(app, &admin, "/api/v1/economy/incomes", json!({"org_id": org.id, "year": 2025, "source": "contract", "amount": "52000", "note": "鱼塘承包费"})).await;
            records.entry("incomes").or_default().push(at(label, iid, org));
            let cid = created(app, &admin, "/api/v1/economy/cooperatives", json!({"org_id": org.id, "name": "冬枣种植专业合作社", "business": "冬枣种植", "households": 40})).await;
            records.entry("cooperatives").or_default().push(at(label, cid, org));
            let wid = created(app, &admin, "/api/v1/service-ratings/windows", json!({"org_id": org.id, "name": "综合受理窗口", "department": "镇便民服务中心"})).await;
            records.entry("windows").or_default().push(at(label, wid, org));
            let rid = created(app, &admin, &format!("/api/v1/service-ratings/windows/{wid}/ratings"), json!({"grade": "dissatisfied", "comment": "等太久"})).await;
            records.entry("ratings").or_default().push(at(label, rid, org));
            // The village's 党群服务中心, checked once with a photo.
            let cid = created(app, &admin, "/api/v1/centers", json!({"org_id": org.id})).await;
            records.entry("centers").or_default().push(at(label, cid, org));
            let (_, d) = app.get(&admin, &format!("/api/v1/centers/{cid}")).await;
            let results: Vec<Value> = d["standards"].as_array().unwrap().iter().map(|s| json!({"code": s["code"], "met": true})).collect();
            let png = {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(yinghuo::demo::centers::tiny_png(4, 4, [200, 0, 0]))
            };
            let (s, k) = app.post(&admin, &format!("/api/v1/centers/{cid}/checks"), json!({"plaques": 3, "guide_signs": 5, "results": results, "photos": [{"name": "外景.png", "base64": png}]})).await;
            assert_eq!(s, 201, "{k}");
            records.entry("photos").or_default().push(at(label, k["photos"][0]["id"].as_i64().unwrap(), org));
        }

        // Star rating: each branch, and an assessor's entry with its evidence file.
        for (label, org) in places.iter() {
            records.entry("branches").or_default().push(at(label, org.id, org));
            let body = json!({"year": 2026, "item": "term", "points": "3", "note": "查阅换届选举材料", "file_name": "换届.pdf", "file_base64": "JVBERi0xLjQgdGVybQ=="});
            let eid = created(app, &admin, &format!("/api/v1/assessment/branches/{}/entries", org.id), body).await;
            records.entry("entries").or_default().push(at(label, eid, org));
            let (s, c) = app.post(&admin, "/api/v1/rectification/cases", json!({"org_id": org.id, "identified_on": day(-3), "reasons": ["life"]})).await;
            assert_eq!(s, 201, "{c}");
            let cid = c["id"].as_i64().unwrap();
            records.entry("cases").or_default().push(at(label, cid, org));
            let (s, c) = app.post(&admin, &format!("/api/v1/rectification/cases/{cid}/problems"), json!({"text": "村道坑洼"})).await;
            assert_eq!(s, 200, "{c}");
            records.entry("problems").or_default().push(at(label, c["problems"][0]["id"].as_i64().unwrap(), org));
        }

        let callers = vec![
            Caller { user: "admin", role: Role::CountyAdmin, at: tr.county.path.clone(), member_id: None },
            Caller { user: "town", role: Role::OrgAdmin, at: tr.town.path.clone(), member_id: None },
            Caller { user: "sec_a", role: Role::BranchSecretary, at: tr.village_a.path.clone(), member_id: None },
            Caller { user: "gworker", role: Role::GridWorker, at: tr.village_a.path.clone(), member_id: None },
            Caller { user: "member1", role: Role::Member, at: tr.village_a.path.clone(), member_id: Some(me) },
        ];
        let mut tokens = HashMap::new();
        for c in &callers {
            tokens.insert(c.user, app.token(c.user).await);
        }
        World { callers, tokens, records }
    }

    /// The record kind and the targets for a path with `{id}`: the kind is the segment before it.
    fn targets(&self, path: &str) -> Option<(&'static str, &Vec<Target>)> {
        let before = &path[..path.find("/{id}")?];
        let kind = before.rsplit('/').next()?;
        self.records.get_key_value(kind).map(|(k, v)| (*k, v))
    }
}

/// Fills a path's parameters from a target: `{id}` is the record, others come from `extra`.
fn fill(path: &str, t: &Target) -> Option<String> {
    let mut url = path.replace("{id}", &t.id.to_string());
    while let Some(start) = url.find('{') {
        let end = start + url[start..].find('}')?;
        let name = &url[start + 1..end];
        let value = t.extra.iter().find(|(n, _)| *n == name)?.1;
        url.replace_range(start..=end, &value.to_string());
    }
    Some(url)
}

fn short(body: &str) -> String {
    body.chars().take(140).collect()
}

/// Answers the matrix does not predict, known and reported; each says why.
/// (method, path, role (None: any), target label ("*": any), status)
const KNOWN: &[(&str, &str, Option<Role>, &str, u16)] = &[
    // None: POST /orgs and /users used to validate the body before checking scope (fixed:
    // both now check scope first). A future exception goes here with its reason.
];

fn known(method: &str, path: &str, role: Role, label: &str, status: u16) -> bool {
    KNOWN.iter().any(|(m, p, r, l, s)| m.eq_ignore_ascii_case(method) && *p == path && r.is_none_or(|r| r == role) && (*l == "*" || *l == label) && *s == status)
}

both_backends!(every_read_answers_as_the_matrix_says, |app: TestApp| async move {
    let w = World::build(&app).await;
    let admin = &w.tokens["admin"];
    let orgs = &w.records["orgs"];
    let (_, doc) = app.get(admin, "/api/v1/openapi.json").await;
    let mut checked = 0;
    let mut wrong: Vec<String> = Vec::new();
    let mut unaddressed: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        let perm = yinghuo::web::matrix::read_perm(path).unwrap_or_else(|| panic!("{path} is not in web::matrix::READS"));
        // Any signed-in caller, about themself: nothing to compare.
        let Some(perm) = perm else { continue };
        let takes_org = op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == "org" && p["in"] == "query"));
        let calls: Vec<(String, Target)> = if path.contains("{id}") {
            match w.targets(path) {
                Some((_, ts)) => ts.iter().filter_map(|t| Some((fill(path, t)?, t.clone()))).collect(),
                None => Vec::new(),
            }
        } else if takes_org {
            orgs.iter().map(|t| (format!("{path}?org={}", t.id), t.clone())).collect()
        } else {
            vec![(path.clone(), Target::anywhere())]
        };
        if calls.is_empty() {
            unaddressed.push(format!("GET {path}"));
            continue;
        }
        for (url, target) in &calls {
            for c in &w.callers {
                // The query values some reads require (period, month); others ignore them.
                let sep = if url.contains('?') { '&' } else { '?' };
                let full = format!("{}{url}{sep}from=2026-01-01&to=2026-11-30&month=2026-11&period=month&date=2026-11-30", app.url);
                let r = app.client.get(full).bearer_auth(&w.tokens[c.user]).send().await.unwrap();
                let status = r.status().as_u16();
                let body = r.text().await.unwrap_or_default();
                let expect = c.may_read(perm, target);
                let mut ok = if expect {
                    status < 400 || status == 422
                } else if target.label != "anywhere" && !c.covers(target) && !(c.role == Role::Member && target.member_id == c.member_id && target.member_id.is_some()) {
                    // Out of the caller's subtree: not found, never "forbidden".
                    status == 404
                } else {
                    status == 404 || status == 403
                };
                // A member's member list holds only themself.
                if !ok && c.role == Role::Member && path == "/api/v1/members" && status == 200 {
                    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    ok = v["items"].as_array().is_some_and(|items| items.iter().all(|m| m["id"].as_i64() == c.member_id));
                }
                if !ok && known("get", path, c.role, target.label, status) {
                    ok = true;
                }
                if !ok {
                    wrong.push(format!("{} GET {url} ({}, {:?}): {status}, expected {} — {}", c.user, target.label, perm, if expect { "allowed" } else { "403/404" }, short(&body)));
                }
                if status >= 500 {
                    wrong.push(format!("{} GET {url}: server error {status}", c.user));
                }
                checked += 1;
            }
        }
    }
    assert!(unaddressed.is_empty(), "no fixture for these operations (add records of their kind to World::build): {unaddressed:?}");
    assert!(wrong.is_empty(), "{} of {checked} answers differ from the matrix:\n{}", wrong.len(), wrong.join("\n"));
    eprintln!("matrix: {checked} reads checked");
    assert!(checked > 500, "only {checked} calls were made");
});

/// Write operations the generated test cannot aim at a record without really writing, and why.
const WRITE_SKIPS: &[(&str, &str, &str)] = &[
    ("delete", "/api/v1/assignments/{id}", "a DELETE has no body to leave incomplete: an allowed call would end the assignment"),
    ("delete", "/api/v1/users/{id}/roles/{role_id}", "a DELETE has no body to leave incomplete: an allowed call would revoke the role"),
];

/// An incomplete body from the operation's schema: each required property gets an empty value
/// (""/0/false/[]), except the ids that place the record, which point at the target.
fn incomplete_body(doc: &Value, schema: &Value, placing: &str, t: &Target) -> Value {
    let resolve = |s: &Value| -> Value {
        match s["$ref"].as_str() {
            Some(r) => doc["components"]["schemas"][r.rsplit('/').next().unwrap()].clone(),
            None => s.clone(),
        }
    };
    let s = resolve(schema);
    if s["type"] == "array" {
        return json!([]);
    }
    let mut out = Map::new();
    let required: Vec<&str> = s["required"].as_array().map(|r| r.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
    for (name, p) in s["properties"].as_object().into_iter().flatten() {
        let is_org = name == "org_id" || name == "parent_id" || name == "to_org_id";
        if name == placing {
            out.insert(name.clone(), json!(t.id));
        } else if required.contains(&name.as_str()) {
            let ty = match &p["type"] {
                Value::Array(ts) => ts.iter().find(|v| *v != "null").cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            let v = match ty.as_str() {
                Some("integer") if is_org => json!(t.org_id),
                Some("integer") | Some("number") => json!(0),
                Some("boolean") => json!(false),
                Some("array") => json!([]),
                Some("object") => json!({}),
                _ if resolve(p)["type"] == "object" => json!({}),
                _ => json!(""),
            };
            out.insert(name.clone(), v);
        }
    }
    Value::Object(out)
}

both_backends!(every_write_answers_as_the_matrix_says, |app: TestApp| async move {
    let w = World::build(&app).await;
    let admin = &w.tokens["admin"];
    let (_, doc) = app.get(admin, "/api/v1/openapi.json").await;
    let mut checked = 0;
    let mut operations = 0;
    let mut wrong: Vec<String> = Vec::new();
    let mut unaddressed: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let perm = yinghuo::web::matrix::write_perm(method, path).unwrap_or_else(|| panic!("{method} {path} is not in web::matrix::WRITES"));
            // Signing in and out, one's own password, the public sign-in: nothing to compare.
            let Some(perm) = perm else { continue };
            if WRITE_SKIPS.iter().any(|(m, p, _)| *m == method && p == path) {
                continue;
            }
            let content = &op["requestBody"]["content"];
            let schema = &content["application/json"]["schema"];
            let raw = content.get("application/octet-stream").is_some();
            let props = {
                let s = match schema["$ref"].as_str() {
                    Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
                    None => schema,
                };
                s["properties"].as_object().cloned().unwrap_or_default()
            };
            // Where the record is: the path's {id}, else an id the body names, else anywhere.
            let (placing, targets): (&str, Vec<Target>) = if path.contains("{id}") {
                match w.targets(path) {
                    Some((_, ts)) => ("", ts.clone()),
                    None => ("", Vec::new()),
                }
            } else if props.contains_key("grid_id") && props.contains_key("address") {
                ("grid_id", w.records["grids"].clone())
            } else if let Some(field) = ["org_id", "parent_id"].into_iter().find(|f| props.contains_key(*f)) {
                (field, w.records["orgs"].clone())
            } else {
                ("", vec![Target::anywhere()])
            };
            if targets.is_empty() {
                unaddressed.push(format!("{method} {path}"));
                continue;
            }
            operations += 1;
            for t in &targets {
                let Some(url) = fill(path, t) else {
                    unaddressed.push(format!("{method} {path}"));
                    continue;
                };
                for c in &w.callers {
                    let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                    // An upload is sent empty: refused as empty once the caller is let in.
                    let query = if raw { "?filename=empty.xlsx" } else { "" };
                    let mut req = app.client.request(m, format!("{}{url}{query}", app.url)).bearer_auth(&w.tokens[c.user]);
                    let mut shown = String::new();
                    if raw {
                        req = req.header("content-type", "application/octet-stream").body(Vec::new());
                    } else if !schema.is_null() {
                        let body = incomplete_body(&doc, schema, placing, t);
                        shown = body.to_string();
                        req = req.json(&body);
                    }
                    let r = req.send().await.unwrap();
                    let status = r.status().as_u16();
                    let answer = r.text().await.unwrap_or_default();
                    let expect = c.may_write(perm, t);
                    let mut ok = if expect {
                        !matches!(status, 401 | 403 | 404) && status < 500
                    } else if t.label != "anywhere" && !c.covers(t) {
                        status == 404
                    } else {
                        status == 403 || status == 404
                    };
                    if !ok && known(method, path, c.role, t.label, status) {
                        ok = true;
                    }
                    if !ok {
                        wrong.push(format!(
                            "{} {} {url} {shown} ({}, {:?}): {status}, expected {} — {}",
                            c.user,
                            method.to_uppercase(),
                            t.label,
                            perm,
                            if expect { "allowed" } else if t.label != "anywhere" && !c.covers(t) { "404" } else { "403/404" },
                            short(&answer)
                        ));
                    }
                    if status >= 500 {
                        wrong.push(format!("{} {} {url}: server error {status} — {}", c.user, method.to_uppercase(), short(&answer)));
                    }
                    checked += 1;
                }
            }
        }
    }
    // The two operations that once validated before they checked are checked again with a
    // complete body, sent only to callers the matrix refuses: nothing may be written.
    let orgs = &w.records["orgs"];
    for (n, (t, c)) in orgs.iter().flat_map(|t| w.callers.iter().map(move |c| (t, c))).enumerate() {
        for (path, perm, body) in [
            ("/api/v1/orgs", Perm::WriteOrgs, json!({"parent_id": t.id, "code": format!("Z{n:03}"), "name": format!("探针第{n}党小组"), "kind": "group", "domain": "rural"})),
            ("/api/v1/users", Perm::ManageUsers, json!({"username": format!("probe_{n}"), "password": common::PASSWORD, "role": "member", "org_id": t.id})),
        ] {
            if c.may_write(perm, t) {
                continue;
            }
            let (status, answer) = app.post(&w.tokens[c.user], path, body.clone()).await;
            let ok = if c.covers(t) { status == 403 || status == 404 } else { status == 404 };
            if !ok {
                wrong.push(format!("{} POST {path} {body} ({}, {perm:?}, complete body): {status}, expected refusal — {answer}", c.user, t.label));
            }
            checked += 1;
        }
    }
    assert!(unaddressed.is_empty(), "no fixture for these operations (add records of their kind to World::build, or a reason to WRITE_SKIPS): {unaddressed:?}");
    assert!(wrong.is_empty(), "{} of {checked} answers differ from the matrix:\n{}", wrong.len(), wrong.join("\n"));
    eprintln!("matrix: {checked} writes checked over {operations} operations");
    assert!(operations >= 40 && checked > 600, "only {checked} calls over {operations} operations were made");
});
