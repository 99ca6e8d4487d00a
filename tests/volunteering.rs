//! Volunteering over real HTTP, on SQLite and PostgreSQL: an activity from sign-up to confirmed
//! minutes, members' points and households' points following the minutes (and their
//! corrections), the door QR (check in, check out, nothing twice), refusals that change nothing,
//! the 双报到 “四季” board, scope, the workbook and the pages; slots and confirmation under 50
//! parallel callers.

mod common;

use common::TestApp;
use serde_json::{json, Value};

fn err(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn day(offset: i64) -> String {
    (yinghuo::db::today() + chrono::Duration::days(offset)).to_string()
}

/// An activity at `org` on `on` from `start` to `end`.
async fn activity(app: &TestApp, token: &str, org: i64, on: &str, start: &str, end: &str, slots: i64) -> i64 {
    let body = json!({"org_id": org, "title": "清理河道垃圾", "category": "环境整治", "place": "村东河道", "day": on, "start": start, "end": end, "slots": slots, "organizer": "王芳 13800001111"});
    let (s, v) = app.post(token, "/api/v1/volunteering/activities", body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

/// A household in `org` with one resident; (household, resident).
async fn resident(app: &TestApp, token: &str, org: i64, code: &str) -> (i64, i64) {
    let (s, g) = app.post(token, "/api/v1/grids", json!({"org_id": org, "kind": "full", "code": code, "name": format!("{code}网格")})).await;
    assert_eq!(s, 201, "{g}");
    let (s, h) = app.post(token, "/api/v1/households", json!({"grid_id": g["id"], "address": "东大街8号", "head_name": "赵大爷"})).await;
    assert_eq!(s, 201, "{h}");
    let hid = h["id"].as_i64().unwrap();
    let (s, r) = app.post(token, &format!("/api/v1/households/{hid}/residents"), json!({"name": "赵小燕", "relation": "子女", "gender": "女", "birth_date": "1990-05-05"})).await;
    assert_eq!(s, 201, "{r}");
    (hid, r["id"].as_i64().unwrap())
}

fn volunteer_points(p: &Value) -> i64 {
    p["entries"].as_array().unwrap().iter().filter(|e| e["rule"] == "volunteer_hour").map(|e| e["points"].as_i64().unwrap()).sum()
}

both_backends!(an_activity_from_signup_to_points, |app: TestApp| async move {
    let t = app.token("admin").await;
    let sec = app.token("sec_a").await;
    let va = app.tree.village_a.id;
    let m = app.member(&t, &app.tree.village_a, "李志愿", &common::id("1985-03-03", 41)).await;
    let (hid, rid) = resident(&app, &sec, va, "ZY01").await;
    // Yesterday 09:00–11:00, recorded after the fact from the paper sheet.
    let a = activity(&app, &sec, va, &day(-1), "09:00", "11:00", 3).await;
    let path = format!("/api/v1/volunteering/activities/{a}");
    let (s, su) = app.post(&sec, &format!("{path}/signups"), json!({"member_id": m})).await;
    assert_eq!(s, 201, "{su}");
    let msu = su["id"].as_i64().unwrap();
    let (s, e) = app.post(&sec, &format!("{path}/signups"), json!({"member_id": m})).await;
    assert_eq!((s, err(&e)), (409, "already_signed_up"));
    let (s, su) = app.post(&sec, &format!("{path}/signups"), json!({"resident_id": rid})).await;
    assert_eq!(s, 201, "{su}");
    let rsu = su["id"].as_i64().unwrap();
    let (s, e) = app.post(&sec, &format!("{path}/signups"), json!({})).await;
    assert_eq!((s, err(&e)), (422, "volunteer_required"));
    // Checked by hand: out before in is refused; the resident stayed the whole time.
    let (s, e) = app.post(&sec, &format!("/api/v1/volunteering/signups/{msu}/check"), json!({"action": "out", "at": "10:00"})).await;
    assert_eq!((s, err(&e)), (422, "not_checked_in"));
    for (sid, action, at) in [(msu, "in", "09:10"), (msu, "out", "10:40"), (rsu, "in", "08:50")] {
        let (s, v) = app.post(&sec, &format!("/api/v1/volunteering/signups/{sid}/check"), json!({"action": action, "at": at})).await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, e) = app.post(&sec, &format!("/api/v1/volunteering/signups/{msu}/check"), json!({"action": "in"})).await;
    assert_eq!((s, err(&e)), (409, "already_checked_in"));
    // Nothing counts before the organizer confirms.
    let (_, p) = app.get(&t, &format!("/api/v1/points/members/{m}")).await;
    assert_eq!(volunteer_points(&p), 0, "{p}");
    let (s, e) = app.post(&sec, &format!("{path}/confirm"), json!({"minutes": [{"signup_id": msu, "minutes": 500}]})).await;
    assert_eq!((s, err(&e)), (422, "minutes_invalid"));
    let (s, v) = app.post(&sec, &format!("{path}/confirm"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    // 90 minutes for the member (1 whole hour × 2), 120 for the resident (2 × 2 household points).
    assert_eq!(v["minutes"], 90 + 120, "{v}");
    let (s, e) = app.post(&sec, &format!("{path}/confirm"), json!({})).await;
    assert_eq!((s, err(&e)), (409, "already_confirmed"));
    let (_, p) = app.get(&t, &format!("/api/v1/points/members/{m}")).await;
    assert_eq!(volunteer_points(&p), 2, "{p}");
    let entry = p["entries"].as_array().unwrap().iter().find(|e| e["rule"] == "volunteer_hour").unwrap();
    assert!(entry["source"].as_str().unwrap().contains("清理河道垃圾（90分钟）"), "{entry}");
    let (_, hp) = app.get(&t, &format!("/api/v1/points/households/{hid}")).await;
    assert_eq!((hp["balance"].as_i64(), hp["entries"][0]["kind"].as_str()), (Some(4), Some("volunteer")), "{hp}");
    // Corrections: the member served 2 hours, the resident only 1; both ledgers follow.
    let (s, e) = app.post(&sec, &format!("/api/v1/volunteering/signups/{msu}/minutes"), json!({"minutes": 120})).await;
    assert_eq!((s, err(&e)), (422, "reason_required"));
    let (s, v) = app.post(&sec, &format!("/api/v1/volunteering/signups/{msu}/minutes"), json!({"minutes": 120, "reason": "纸质签到表记录到11:00"})).await;
    assert_eq!((s, v["minutes"].as_i64()), (200, Some(120)), "{v}");
    let (s, v) = app.post(&sec, &format!("/api/v1/volunteering/signups/{rsu}/minutes"), json!({"minutes": 60, "reason": "10点离开"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["changes"][0]["minutes_before"], 120, "{v}");
    let (_, p) = app.get(&t, &format!("/api/v1/points/members/{m}")).await;
    assert_eq!(volunteer_points(&p), 4, "a new entry of +2, the first kept: {p}");
    assert_eq!(p["entries"].as_array().unwrap().iter().filter(|e| e["rule"] == "volunteer_hour").count(), 2);
    let (_, hp) = app.get(&t, &format!("/api/v1/points/households/{hid}")).await;
    assert_eq!(hp["balance"], 2, "reversed 4, credited 2: {hp}");
    assert_eq!(hp["entries"].as_array().unwrap().len(), 3, "{hp}");
    // A county catalog of 5 per hour revalues the member's hours with a new entry.
    let (s, c) = app.put(&t, &format!("/api/v1/orgs/{}/points-catalog", app.tree.county.id), json!({"catalog": {"volunteer_hour": 5}})).await;
    assert_eq!(s, 200, "{c}");
    let (_, p) = app.get(&t, &format!("/api/v1/points/members/{m}")).await;
    assert_eq!(volunteer_points(&p), 10, "{p}");
    // The board and the ledger.
    let (s, b) = app.get(&t, &format!("/api/v1/orgs/{}/volunteering", app.tree.town.id)).await;
    assert_eq!((s, b["activities"].as_i64(), b["volunteers"].as_i64(), b["hours"].as_i64()), (200, Some(1), Some(2), Some(3)), "{b}");
    let r = app.client.get(format!("{}/api/v1/orgs/{va}/volunteering.xlsx", app.url)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    use calamine::Reader as _;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.height(), 3, "a header and two volunteers");
    assert_eq!(sheet.get_value((2, 12)).map(|v| v.to_string()), Some("2".into()), "the resident's household points");
});

both_backends!(refusals_change_nothing_and_scope_hides, |app: TestApp| async move {
    let t = app.token("admin").await;
    let sec = app.token("sec_a").await;
    let sec_b = app.token("sec_b").await;
    let va = app.tree.village_a.id;
    let base = json!({"org_id": va, "title": "义诊", "category": "健康义诊", "place": "村委会", "day": day(1), "start": "09:00", "end": "11:00", "slots": 10, "organizer": "李医生"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, code) in [
        (with("category", json!("打扫")), "category_invalid"),
        (with("end", json!("08:00")), "time_order"),
        (with("slots", json!(0)), "slots_invalid"),
        (with("start", json!("9点")), "time_invalid"),
        (with("title", json!("")), "title_required"),
        (with("organizer", json!(" ")), "organizer_required"),
    ] {
        let (s, e) = app.post(&sec, "/api/v1/volunteering/activities", body).await;
        assert_eq!((s, err(&e)), (422, code), "{e}");
    }
    let (s, e) = app.post(&sec_b, "/api/v1/volunteering/activities", base.clone()).await;
    assert_eq!(s, 404, "another village's secretary: {e}");
    let a = activity(&app, &sec, va, &day(1), "09:00", "11:00", 10).await;
    let (_, b) = app.get(&t, &format!("/api/v1/orgs/{va}/volunteering")).await;
    assert_eq!(b["items"].as_array().unwrap().len(), 1, "refused ones left nothing: {b}");
    assert_eq!(app.get(&sec_b, &format!("/api/v1/volunteering/activities/{a}")).await.0, 404);
    assert_eq!(app.get(&sec_b, &format!("/api/v1/orgs/{va}/volunteering")).await.0, 404);
    // Not over yet: no confirmation.
    let (s, e) = app.post(&sec, &format!("/api/v1/volunteering/activities/{a}/confirm"), json!({})).await;
    assert_eq!((s, err(&e)), (422, "activity_not_over"));
    // A member of village B may not join village A's activity: it is not theirs to see.
    let mb = app.member(&t, &app.tree.village_b, "钱乙", &common::id("1980-01-01", 42)).await;
    common::add_user(&app.db, "m_b", "member", &app.tree.village_b, Some(mb)).await;
    let tb = app.token("m_b").await;
    assert_eq!(app.post(&tb, &format!("/api/v1/volunteering/activities/{a}/join"), json!({})).await.0, 404);
    // Cancelled: reason required, then no sign-up.
    let (s, e) = app.post(&sec, &format!("/api/v1/volunteering/activities/{a}/cancel"), json!({})).await;
    assert_eq!((s, err(&e)), (422, "reason_required"));
    let (s, _) = app.post(&sec, &format!("/api/v1/volunteering/activities/{a}/cancel"), json!({"reason": "降雨改期"})).await;
    assert_eq!(s, 200);
    let ma = app.member(&t, &app.tree.village_a, "孙甲", &common::id("1981-01-01", 43)).await;
    let (s, e) = app.post(&sec, &format!("/api/v1/volunteering/activities/{a}/signups"), json!({"member_id": ma})).await;
    assert_eq!((s, err(&e)), (409, "activity_closed"));
});

both_backends!(the_door_qr_checks_in_then_out, |app: TestApp| async move {
    let t = app.token("admin").await;
    let sec = app.token("sec_a").await;
    let va = app.tree.village_a.id;
    // The whole of today (China time), so the test runs at any hour.
    let a = activity(&app, &sec, va, &day(0), "00:00", "23:59", 1).await;
    let (_, d) = app.get(&sec, &format!("/api/v1/volunteering/activities/{a}")).await;
    let url = d["scan_url"].as_str().unwrap().to_string();
    let token = url.rsplit('/').next().unwrap().to_string();
    let r = app.client.get(format!("{}/api/v1/volunteering/activities/{a}/qr.svg", app.url)).bearer_auth(&sec).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("<svg"));
    let m = app.member(&t, &app.tree.village_a, "周扫码", &common::id("1988-08-08", 44)).await;
    common::add_user(&app.db, "m_a", "member", &app.tree.village_a, Some(m)).await;
    let tm = app.token("m_a").await;
    // Walk-in: the first scan signs up (the last slot) and checks in.
    let scan = format!("/api/v1/volunteering/scan/{token}");
    let (s, r) = app.post(&tm, &scan, json!({})).await;
    assert_eq!((s, r["action"].as_str()), (200, Some("check_in")), "{r}");
    let (s, r) = app.post(&tm, &scan, json!({})).await;
    assert_eq!((s, r["action"].as_str()), (200, Some("check_out")), "{r}");
    let (s, e) = app.post(&tm, &scan, json!({})).await;
    assert_eq!((s, err(&e)), (422, "already_checked_out"));
    // No slot left for another walk-in; an admin without a member record is told so.
    let m2 = app.member(&t, &app.tree.village_a, "吴迟到", &common::id("1989-09-09", 45)).await;
    common::add_user(&app.db, "m_a2", "member", &app.tree.village_a, Some(m2)).await;
    let (s, e) = app.post(&app.token("m_a2").await, &scan, json!({})).await;
    assert_eq!((s, err(&e)), (409, "activity_full"));
    let (s, e) = app.post(&t, &scan, json!({})).await;
    assert_eq!((s, err(&e)), (422, "no_member_record"));
    assert_eq!(app.post(&tm, "/api/v1/volunteering/scan/nosuchtoken", json!({})).await.0, 404);
    let (_, mine) = app.get(&tm, "/api/v1/volunteering/mine").await;
    assert_eq!(mine["mine"][0]["signup"]["check_via"], "qr", "{mine}");
    // The page the QR opens, in a browser session.
    let cl = common::ui_login(&app, "m_a").await;
    let html = cl.get(format!("{}/v/{token}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("清理河道垃圾") && html.contains("签到 / 签退"), "{html}");
});

both_backends!(slots_and_confirmation_hold_under_parallel_callers, |app: TestApp| async move {
    let t = app.token("admin").await;
    let va = app.tree.village_a.id;
    let mut members = Vec::new();
    for i in 0..50u32 {
        let name = format!("志愿{}", char::from_u32(0x4e00 + i).unwrap());
        members.push(app.member(&t, &app.tree.village_a, &name, &common::id("1990-01-01", 100 + i)).await);
    }
    let a = activity(&app, &t, va, &day(-1), "09:00", "11:00", 10).await;
    let path = format!("/api/v1/volunteering/activities/{a}/signups");
    let calls = members.iter().map(|m| app.post(&t, &path, json!({"member_id": m})));
    let answers = futures_util::future::join_all(calls).await;
    let ok = answers.iter().filter(|(s, _)| *s == 201).count();
    let full = answers.iter().filter(|(s, e)| *s == 409 && err(e) == "activity_full").count();
    assert_eq!((ok, full), (10, 40), "{:?}", answers.iter().filter(|(s, _)| *s != 201 && *s != 409).collect::<Vec<_>>());
    let (_, d) = app.get(&t, &format!("/api/v1/volunteering/activities/{a}")).await;
    assert_eq!((d["signed"].as_i64(), d["signups"].as_array().unwrap().len()), (Some(10), 10), "{d}");
    // 50 parallel confirmations: one wins.
    let confirm = format!("/api/v1/volunteering/activities/{a}/confirm");
    let answers = futures_util::future::join_all((0..50).map(|_| app.post(&t, &confirm, json!({})))).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 1);
    assert!(answers.iter().all(|(s, e)| *s == 200 || (*s == 409 && err(e) == "already_confirmed")));
});

both_backends!(reported_members_show_their_seasons, |app: TestApp| async move {
    let t = app.token("admin").await;
    let (s, c) = app.post(&t, "/api/v1/orgs", json!({"parent_id": app.tree.town.id, "code": "SQ01", "name": "幸福社区党支部", "kind": "branch", "domain": "community"})).await;
    assert_eq!(s, 201, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for (i, name) in ["郑在职", "冯在职"].iter().enumerate() {
        let (s, m) = app
            .post(&t, "/api/v1/members", json!({"org_id": app.tree.organ.id, "name": name, "id_number": common::id("1982-02-02", 50 + i as u32), "education": "大学本科", "joined_on": "2010-07-01", "full_on": "2011-07-01", "in_service": true, "work_unit": "县教育局", "report_org_id": cid}))
            .await;
        assert_eq!(s, 201, "{m}");
        ids.push(m["id"].as_i64().unwrap());
    }
    // The organ branch's member joins the community's activity (双报到) with their own login.
    common::add_user(&app.db, "m_z", "member", &app.tree.organ, Some(ids[0])).await;
    let tz = app.token("m_z").await;
    // An activity in the middle of the last whole season (judged; the one under way is progress).
    let last = yinghuo::volunteering::rules::SeasonOf::of(yinghuo::db::today()).previous();
    let a = activity(&app, &t, cid, &(last.days().0 + chrono::Duration::days(20)).to_string(), "09:00", "10:00", 5).await;
    let b = activity(&app, &t, cid, &day(1), "09:00", "10:00", 5).await;
    let (_, mine) = app.get(&tz, "/api/v1/volunteering/mine").await;
    assert!(mine["open"].as_array().unwrap().iter().any(|v| v["id"] == b), "{mine}");
    let (s, su) = app.post(&tz, &format!("/api/v1/volunteering/activities/{b}/join"), json!({})).await;
    assert_eq!(s, 201, "{su}");
    let (s, su) = app.post(&t, &format!("/api/v1/volunteering/activities/{a}/signups"), json!({"member_id": ids[0]})).await;
    assert_eq!(s, 201, "{su}");
    let (s, v) = app.post(&t, &format!("/api/v1/volunteering/activities/{a}/confirm"), json!({"minutes": [{"signup_id": su["id"], "minutes": 60}]})).await;
    assert_eq!(s, 200, "{v}");
    let (_, board) = app.get(&t, &format!("/api/v1/orgs/{cid}/volunteering")).await;
    let rows = board["reported"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{board}");
    let served = rows.iter().find(|r| r["member_id"] == ids[0]).unwrap();
    let idle = rows.iter().find(|r| r["member_id"] == ids[1]).unwrap();
    assert_eq!((served["last_season"].as_i64(), served["flag"].is_null(), served["minutes_this_year"].as_i64()), (Some(1), true, Some(if last.year == chrono::Datelike::year(&yinghuo::db::today()) { 60 } else { 0 })), "{served}");
    assert_eq!(idle["last_season"], 0);
    assert!(idle["flag"].as_str().unwrap().contains("少于每季1次"), "{idle}");
    assert_eq!(board["reported_flagged"], 1);
});
