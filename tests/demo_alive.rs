//! The demo county is alive on the day it runs, on SQLite and PostgreSQL: this year's meetings,
//! attendance, dues and training are there, and the figures look like a working county.

mod common;

use chrono::Datelike;

async fn count(app: &common::TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db.pool).await.unwrap()
}

both_backends_demo!(this_year_looks_like_a_working_county, |app: common::TestApp| async move {
    let t = app.token("admin").await;
    let today = yinghuo::db::today();
    let jan = format!("{}-01-01", today.year());

    // Compliance this year: most orgs met every due requirement, a few did not.
    let (s, r) = app.get(&t, &format!("/api/v1/orgs/{}/compliance?from={jan}&to={today}", app.tree.county.id)).await;
    assert_eq!(s, 200, "{r}");
    let (checked, missing) = (r["orgs_checked"].as_i64().unwrap(), r["orgs_with_misses"].as_i64().unwrap());
    assert!(checked > 900, "{checked} orgs judged");
    let share = missing as f64 / checked as f64;
    assert!((0.03..=0.25).contains(&share), "{missing} of {checked} orgs missed a meeting this year");

    // The same year read from the tallies the writes keep (how a province's report is made)
    // agrees with the engine's report over the meetings, township by township and row by row.
    let county = {
        let mut conn = app.db.pool.acquire().await.unwrap();
        yinghuo::orgs::store::get(&mut conn, app.tree.county.id).await.unwrap().unwrap()
    };
    let rules = yinghuo::config::Rules::default();
    use yinghuo::auth::roles::{Actor, Grant, Role};
    let actor = Actor {
        user_id: 0,
        username: "test".into(),
        display_name: "test".into(),
        member_id: None,
        grants: vec![Grant { role: Role::CountyAdmin, org_id: county.id, org_path: county.path.clone(), org_name: county.name.clone() }],
        csrf: None,
        must_change_password: false,
    };
    for year in [today.year() - 1, today.year()] {
        let (from, to) = (chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap(), chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap());
        let mut conn = app.db.pool.acquire().await.unwrap();
        let engine = yinghuo::meetings::compliance::report(&app.db, &mut conn, &actor.scope(), &county, &rules, from, to, true).await.unwrap();
        let tallied = yinghuo::meetings::compliance::tallied(&app.db, &mut conn, &rules, &county, from, to, true).await.unwrap().expect("the demo's tallies are counted");
        assert!(engine.detailed && !tallied.detailed);
        assert_eq!((tallied.orgs_checked, tallied.orgs_with_misses, tallied.missed), (engine.orgs_checked, engine.orgs_with_misses, engine.missed), "{year}");
        let key = |r: &yinghuo::meetings::compliance::ComplianceTally| (r.org_id, r.orgs_checked, r.orgs_with_misses, r.missed, r.compliant_bp);
        assert_eq!(tallied.children.iter().map(key).collect::<Vec<_>>(), engine.children.iter().map(key).collect::<Vec<_>>(), "{year}");
        let row = |r: &yinghuo::meetings::compliance::ComplianceRow| (r.org_id, r.org_name.clone(), r.parent_name.clone(), r.met, r.missed, r.not_due);
        assert_eq!(tallied.rows.iter().map(row).collect::<Vec<_>>(), engine.rows.iter().map(row).collect::<Vec<_>>(), "{year}");
    }
    // The county's dashboard: every section has figures from the demo's own records.
    let (s, d) = app.get(&t, &format!("/api/v1/orgs/{}/dashboard", app.tree.county.id)).await;
    assert_eq!(s, 200, "{d}");
    for sec in d["sections"].as_array().unwrap() {
        let figs = sec["figures"].as_array().unwrap();
        assert!(figs.iter().any(|f| f["n"].as_i64().unwrap_or(0) > 0), "section {} is empty: {sec}", sec["key"]);
    }
    assert_eq!(d["sections"].as_array().unwrap().len(), yinghuo::dashboard::figures::SECTIONS.len());
    assert!(!d["children"].as_array().unwrap().is_empty());
    let wrong = yinghuo::tallies::verify(&app.db, &rules).await.unwrap();
    assert!(wrong.is_empty(), "{wrong:?}");
    // A board's facts (meetings, dues, requests) read from the tallies equal those read from the
    // records, branch by branch, for both years the tallies keep.
    let town = {
        let mut conn = app.db.pool.acquire().await.unwrap();
        yinghuo::orgs::store::get(&mut conn, app.tree.town.id).await.unwrap().unwrap()
    };
    for year in [today.year() - 1, today.year()] {
        let mut conn = app.db.pool.acquire().await.unwrap();
        let (_, tallied) = yinghuo::assessment::store::facts_of_subtree(&app.db, &mut conn, &actor.scope(), &rules, &town, year).await.unwrap();
        let records = yinghuo::assessment::store::facts_from_records(&app.db, &mut conn, &actor.scope(), &rules, &town, year).await.unwrap();
        assert_eq!(tallied.len(), records.len());
        for (id, f) in &records {
            let g = &tallied[id];
            let key = |f: &yinghuo::assessment::rules::BranchFacts| (f.meetings_met, f.meetings_missed, f.dues_owed_fen, f.dues_paid_fen, f.requests_closed, f.requests_on_time, f.members);
            assert_eq!(key(g), key(f), "branch {id}, {year}");
        }
    }

    // Meetings held this year with attendance (some by QR), and plans for the weeks ahead.
    let this_year = count(&app, &format!("SELECT COUNT(*) FROM meetings WHERE held_on >= '{jan}'")).await;
    assert!(this_year > 10_000, "{this_year} meetings held this year");
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM meetings WHERE held_on > '{today}'")).await, 0, "nothing held in the future");
    assert!(count(&app, "SELECT COUNT(*) FROM meetings WHERE state = 'planned'").await > 100);
    assert!(count(&app, "SELECT COUNT(*) FROM meeting_attendance WHERE means = 'qr'").await > 1000);

    // Dues: a township's sheet for last month is mostly paid, with a few arrears and no member
    // without a basis; hardly anyone is flagged for six months without organizational life.
    let last_month = (today.with_day(1).unwrap() - chrono::Duration::days(1)).format("%Y-%m").to_string();
    let (s, d) = app.get(&t, &format!("/api/v1/orgs/{}/dues?month={last_month}", app.tree.town.id)).await;
    assert_eq!(s, 200, "{d}");
    let (owed, paid) = (d["owed_fen"].as_i64().unwrap(), d["paid_fen"].as_i64().unwrap());
    assert!(owed > 0 && paid as f64 >= 0.85 * owed as f64 && paid <= owed, "owed {owed}, paid {paid}");
    let members = d["members"].as_array().unwrap();
    let arrears = members.iter().filter(|m| m["arrears_fen"].as_i64().unwrap() > 0).count();
    assert!(arrears > 0 && arrears * 10 < members.len(), "{arrears} of {} in arrears", members.len());
    let no_life = members.iter().filter(|m| m["no_life_six_months"].as_bool().unwrap()).count();
    assert!(no_life * 50 < members.len(), "{no_life} of {} without organizational life", members.len());

    // The county sees its dues too: one line per township, adding up to the county's figures.
    let (s, c) = app.get(&t, &format!("/api/v1/orgs/{}/dues?month={last_month}", app.tree.county.id)).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["members_listed"], false, "12,000 members are not listed one by one");
    let lines = c["children"].as_array().unwrap();
    assert!(lines.len() > 10, "{} lines", lines.len());
    let sum = |k: &str| lines.iter().map(|l| l[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!((sum("owed_fen"), sum("paid_fen")), (c["owed_fen"].as_i64().unwrap(), c["paid_fen"].as_i64().unwrap()));
    assert_eq!(sum("members"), count(&app, "SELECT COUNT(*) FROM members").await);

    // Training: this year's class has its trainees, once March is over.
    if today.month() > 3 {
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM training_classes WHERE kind = 'rotation' AND starts_on >= '{jan}'")).await, 1);
    }
    // Recruitment: every stage is filled, some files wait for review, some people became full members.
    let (s, p) = app.get(&t, &format!("/api/v1/orgs/{}/recruitment", app.tree.county.id)).await;
    assert_eq!(s, 200, "{p}");
    for stage in ["applicant", "activist", "target", "probationary"] {
        assert!(p["counts"][stage].as_i64().unwrap() > 0, "no {stage}: {p}");
    }
    assert!(!p["irregular_files"].as_array().unwrap().is_empty(), "{p}");
    assert!(count(&app, "SELECT COUNT(*) FROM recruits WHERE stage = 'full' AND member_id IS NOT NULL").await > 0);
    // Mobile members: away in several cities, the two temporary branches in use, this quarter's gaps.
    let (s, l) = app.get(&t, &format!("/api/v1/orgs/{}/mobile-members", app.tree.county.id)).await;
    assert_eq!(s, 200);
    let away = l["away"].as_array().unwrap();
    assert!(away.len() > 50, "{} away", away.len());
    assert!(away.iter().filter(|a| a["temp_org_id"].is_i64()).count() > 5);
    let gaps = l["gaps"].as_array().unwrap().len();
    assert!(gaps > 0 && gaps * 4 < away.len(), "{gaps} gaps of {}", away.len());
    // Leadership teams: the secretary's branch has one 书记 in post and no warning.
    let (_, team) = app.get(&t, &format!("/api/v1/orgs/{}/team", app.tree.village_a.id)).await;
    assert!(team["current"].as_array().unwrap().iter().any(|s| s["post"] == "secretary"), "{team}");
    // Delegates: county, city and province; most analysed this quarter, some not yet.
    let (_, d) = app.get(&t, &format!("/api/v1/orgs/{}/delegates", app.tree.county.id)).await;
    let n = d["delegates"].as_array().unwrap().len() as i64;
    assert!(d["by_congress"].as_array().unwrap().iter().all(|c| c["count"].as_i64().unwrap() > 0), "{}", d["summary"]);
    let due = d["review_due"].as_i64().unwrap();
    assert!(due > 0 && due * 2 < n, "{due} of {n} due");
    assert!(!d["ended"].as_array().unwrap().is_empty());
    // Village cadres: every village has a secretary, 一肩挑 near the seed's two thirds, some
    // villages short of reserves, first secretaries, archives mostly complete.
    let (_, o) = app.get(&t, &format!("/api/v1/orgs/{}/cadres", app.tree.county.id)).await;
    let villages = o["villages"].as_array().unwrap();
    assert!(villages.len() > 50 && villages.iter().all(|v| v["secretary"].is_object()), "{}", o["summary"]);
    let bp = o["one_shoulder_basis_points"].as_i64().unwrap();
    assert!((5500..=7500).contains(&bp), "{}", o["summary"]);
    let short = o["reserves_short"].as_i64().unwrap() as usize;
    assert!(short > 0 && short < villages.len(), "{}", o["summary"]);
    assert!(o["first_secretaries"].as_i64().unwrap() > 5 && o["archives_complete"].as_i64().unwrap() > 5, "{}", o["summary"]);
    // Pairings: each kind in force, most active, some quiet.
    let (_, p) = app.get(&t, &format!("/api/v1/orgs/{}/pairings", app.tree.county.id)).await;
    assert!(p["by_kind"].as_array().unwrap().iter().all(|k| k["count"].as_i64().unwrap() > 0), "{}", p["summary"]);
    let quiet = p["quiet"].as_i64().unwrap() as usize;
    assert!(quiet > 0 && quiet * 3 < p["current"].as_array().unwrap().len(), "{}", p["summary"]);
    // 文明超市: the township's villages keep one, with this year's points earned and spent, and
    // a ledger that balances.
    let (_, m) = app.get(&t, &format!("/api/v1/orgs/{}/supermarket", app.tree.village_a.id)).await;
    assert!(m["redemptions"].as_i64().unwrap() > 0 && m["goods"].as_array().unwrap().len() == 8, "{m}");
    let off: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM point_accounts a WHERE a.balance <> (SELECT COALESCE(SUM(m.points), 0) FROM point_movements m WHERE m.account_id = a.id)").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(off, 0);
    assert!(count(&app, "SELECT COUNT(*) FROM point_transfers WHERE kind = 'civic'").await > 1000);
    // Volunteering: the township's villages and communities hold activities all year, most
    // confirmed, some open for sign-up; households were credited for residents' hours, and
    // members reported to communities (双报到) served there.
    let (_, v) = app.get(&t, &format!("/api/v1/orgs/{}/volunteering", app.tree.town.id)).await;
    assert!(v["activities"].as_i64().unwrap() > 100 && v["hours"].as_i64().unwrap() > 1000, "{}", v["activities"]);
    assert!(v["items"].as_array().unwrap().iter().any(|a| a["state"] == "open"), "some open for sign-up");
    let reported = v["reported"].as_array().unwrap();
    assert!(!reported.is_empty() && (v["reported_flagged"].as_i64().unwrap() as usize) * 2 < reported.len(), "{}", v["reported_flagged"]);
    assert!(count(&app, "SELECT COUNT(*) FROM point_transfers WHERE kind = 'volunteer'").await > 100);
    // 四议两公开: finished, under way and voted-down matters in the township's villages.
    let (_, l) = app.get(&t, &format!("/api/v1/orgs/{}/village-affairs", app.tree.town.id)).await;
    assert!(l["done"].as_i64().unwrap() > 0 && l["open"].as_i64().unwrap() > 0 && l["rejected"].as_i64().unwrap() > 0, "{}", l["done"]);
    // 小微权力: every village of the township used its powers, a 四议两公开 power on its published
    // matter, one use still under way; 承诺践诺: every township and unit committed, last year
    // settled (mostly verified), this year verified, waiting, under way and overdue.
    let (_, p) = app.get(&t, &format!("/api/v1/orgs/{}/powers", app.tree.town.id)).await;
    assert!(p["done"].as_i64().unwrap() >= 3 * p["open"].as_i64().unwrap() && p["open"].as_i64().unwrap() > 0, "{} {}", p["done"], p["open"]);
    assert!(p["uses"].as_array().unwrap().iter().any(|u| u["four_two"] == true && u["done"] == true && u["matter_published"] == true));
    let (_, c) = app.get(&t, &format!("/api/v1/orgs/{}/commitments?year={}", app.tree.county.id, chrono::Datelike::year(&yinghuo::db::today()) - 1)).await;
    assert!(c["total"]["made"].as_i64().unwrap() > 30 && c["total"]["verified"].as_i64().unwrap() * 10 > c["total"]["made"].as_i64().unwrap() * 8, "{}", c["total"]);
    let (_, c) = app.get(&t, &format!("/api/v1/orgs/{}/commitments", app.tree.county.id)).await;
    let tot = &c["total"];
    assert!(tot["verified"].as_i64().unwrap() > 0 && tot["fulfilled"].as_i64().unwrap() > 0 && tot["open"].as_i64().unwrap() > 0 && c["rows"].as_array().unwrap().len() > 10, "{tot}");
    // Star ratings: every branch of the township rated last year, some appealed and reviewed, a
    // few titles; 软弱涣散: two cases closed last year, one rectifying with the seed's 15/10/5.
    let last = chrono::Datelike::year(&yinghuo::db::today()) - 1;
    let (_, b) = app.get(&t, &format!("/api/v1/orgs/{}/assessment?year={last}", app.tree.town.id)).await;
    assert!(b["branches"].as_i64().unwrap() > 10 && b["rated"] == b["branches"], "{}", b["rated"]);
    assert!(b["rows"].as_array().unwrap().iter().any(|r| !r["titles"].as_array().unwrap().is_empty()), "some titles");
    assert!(count(&app, "SELECT COUNT(*) FROM assessment_events WHERE kind = 'review'").await > 0);
    let (_, r) = app.get(&t, &format!("/api/v1/orgs/{}/rectification", app.tree.town.id)).await;
    assert_eq!((r["rectifying"].as_i64(), r["closed"].as_i64()), (Some(1), Some(2)), "{}", r["problems"]);
    let open = r["cases"].as_array().unwrap().iter().find(|c| c["state"] == "rectifying").unwrap();
    assert_eq!((open["counts"]["resolved"].as_i64(), open["counts"]["planned"].as_i64(), open["counts"]["tracked"].as_i64()), (Some(15), Some(10), Some(5)));
    // Collective economy: every village reported last year, some weak, some above 100万元; cooperatives with titles.
    let (_, e) = app.get(&t, &format!("/api/v1/orgs/{}/economy?year={last}", app.tree.county.id)).await;
    assert!(e["villages"].as_i64().unwrap() > 50 && e["reported"] == e["villages"], "{}", e["reported"]);
    let bands: Vec<i64> = e["by_band"].as_array().unwrap().iter().map(|b| b[1].as_i64().unwrap()).collect();
    assert!(bands[0] > 0 && bands[1] > 0 && bands[2] > 0 && bands[3] > 0, "{bands:?}");
    assert!(e["coops"].as_array().unwrap().iter().any(|c| c["level"] == "provincial"));
    // Service centers: all but a few villages and communities have one, each checked this year;
    // most 达标, some missing a standard or over a signage limit; the first carry a photo.
    let (_, c) = app.get(&t, &format!("/api/v1/orgs/{}/centers", app.tree.county.id)).await;
    let n = |k: &str| c[k].as_i64().unwrap();
    assert!(n("centers") > 50 && n("centers") < n("villages") && n("checked") == n("centers"), "{} {} {}", n("villages"), n("centers"), n("checked"));
    assert!(n("passed") * 2 > n("checked") && n("passed") < n("checked") && n("over_signage") > 0, "{} {}", n("passed"), n("over_signage"));
    assert!(!c["unregistered"].as_array().unwrap().is_empty() && !c["failures"].as_array().unwrap().is_empty());
    assert!(count(&app, "SELECT COUNT(*) FROM center_checks").await >= 3 * n("centers"));
    let photo = count(&app, "SELECT MIN(id) FROM center_photos").await;
    let r = app.client.get(format!("{}/api/v1/centers/photos/{photo}", app.url)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    // 好差评: a year of ratings at the county's and the township's windows; the 差评 followed up,
    // the latest still open.
    let (_, r) = app.get(&t, &format!("/api/v1/orgs/{}/service-ratings?from={last}-01-01", app.tree.county.id)).await;
    let total = &r["total"];
    assert!(total["total"].as_i64().unwrap() > 1000 && total["good_bp"].as_i64().unwrap() > 8000, "{total}");
    assert!(total["bad_closed_in_time"].as_i64().unwrap() > 0 && total["bad_closed_late"].as_i64().unwrap() > 0 && total["bad_open"].as_i64().unwrap() > 0, "{total}");
    // Grid governance up to today.
    assert!(count(&app, "SELECT COUNT(*) FROM requests").await > 1000);

    // Each role's home shows that role's day; the county's pages stay under 300 KB.
    yinghuo::demo::accounts::create(&app.db, common::PASSWORD).await.unwrap();
    for (user, expected) in [
        ("admin", &["按下级组织", "组织生活全部落实", "党费交纳率", "在办诉求"][..]),
        ("town", &["按下级组织", "在办纠纷"][..]),
        ("secretary", &["本月要办", "尚未交清党费", "群众诉求"][..]),
        ("member", &["我的组织生活", "我的党费", "我的学习"][..]),
        ("grid", &["我的网格", "今日要办"][..]),
    ] {
        let c = common::ui_login(&app, user).await;
        let html = c.get(format!("{}/", app.url)).send().await.unwrap().text().await.unwrap();
        for e in expected {
            assert!(html.contains(e), "{user}'s home lacks {e}");
        }
    }
    let admin = common::ui_login(&app, "admin").await;
    let county = app.tree.county.id;
    for p in ["/".to_string(), format!("/orgs/{county}"), format!("/orgs/{county}/compliance"), format!("/orgs/{county}/dues"), format!("/orgs/{county}/meetings"), format!("/orgs/{county}/governance"), format!("/orgs/{county}/requests"), format!("/orgs/{county}/disputes"), format!("/orgs/{county}/training")] {
        let r = admin.get(format!("{}{p}", app.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{p}");
        let n = r.bytes().await.unwrap().len();
        assert!(n < 300_000, "{p} is {n} bytes");
    }
    // Compliance per township, lowest share first, and only those with a miss when asked.
    let html = admin.get(format!("{}/orgs/{county}/compliance?missing=1", app.url)).send().await.unwrap().text().await.unwrap();
    let table = html.split("按下级组织").nth(1).unwrap().split("</table>").next().unwrap();
    let rates: Vec<f64> = table.split("<td>").filter_map(|c| c.split("%</td>").next().filter(|v| v.len() < 7)?.parse().ok()).collect();
    assert!(!rates.is_empty() && rates.iter().all(|r| *r < 100.0), "only townships with a miss: {rates:?}");
    assert!(rates.windows(2).all(|w| w[0] <= w[1]), "lowest first: {rates:?}");

    // The township's trends: five charts of twelve months, each with its numbers.
    let html = admin.get(format!("{}/orgs/{}/trends", app.url, app.tree.town.id)).send().await.unwrap().text().await.unwrap();
    for title in ["组织生活落实率", "党费交纳率", "诉求按时办结率", "矛盾纠纷化解率", "好差评非差评率"] {
        assert!(html.contains(&format!("<title>{title}</title>")), "{title} chart");
    }
    assert_eq!(html.matches("<svg").count(), 5);
    let dues = html.split("<title>党费交纳率</title>").nth(1).unwrap().split("</svg>").next().unwrap();
    assert!(dues.matches("<circle").count() >= 11, "a point per month");
});
