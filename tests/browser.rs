//! The UI in a real browser: headless Chromium driven over WebDriver (chromedriver),
//! against the real server on SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use serde_json::{json, Value};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A minimal W3C WebDriver client over reqwest.
struct Browser {
    http: reqwest::Client,
    base: String,
    _driver: std::process::Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self._driver.kill();
        let _ = self._driver.wait();
    }
}

/// A phone: 390 CSS pixels wide (mobile emulation; a headless window cannot be that narrow).
const PHONE: u32 = 390;
const DESKTOP: u32 = 1280;

impl Browser {
    async fn start() -> Option<Browser> {
        Self::start_at(PHONE).await
    }

    async fn start_at(width: u32) -> Option<Browser> {
        if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
            if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
                panic!("chromium and chromedriver are required under CI=true (.ci/run installs them)");
            }
            eprintln!("chromium/chromedriver not installed: skipping the browser test");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = std::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::new();
        let root = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{root}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let metrics = if width <= 600 { json!({"deviceMetrics": {"width": width, "height": 844, "pixelRatio": 1}}) } else { json!(null) };
        let mut options = json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", format!("--window-size={width},900"), format!("--user-data-dir={}", profile.path().display())]
        });
        if !metrics.is_null() {
            options["mobileEmulation"] = metrics;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}});
        let v: Value = http.post(format!("{root}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let id = v["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {v}")).to_string();
        Some(Browser { http, base: format!("{root}/session/{id}"), _driver: driver, _profile: profile })
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap().json::<Value>().await.unwrap()["value"].clone()
    }

    /// Ends the session, which closes Chromium, before the profile folder is removed.
    async fn quit(self) {
        let _ = self.http.delete(&self.base).send().await;
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None).await.as_str().unwrap_or("").to_string()
    }

    async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or("").to_string()
    }

    async fn find(&self, css: &str) -> String {
        let v = self.cmd(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        assert!(v.get("error").is_none(), "no element {css}: {v}");
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|e| e.as_str())
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{e}/clear"), Some(json!({}))).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{e}/value"), Some(json!({"text": text}))).await;
    }

    /// Sets a field's value as a picker would (typing into date inputs depends on the locale).
    async fn set_value(&self, css: &str, value: &str) {
        let script = "document.querySelector(arguments[0]).value = arguments[1];";
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": [css, value]}))).await;
    }

    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{e}/click"), Some(json!({}))).await;
    }

    /// Waits until the page source contains `text`.
    async fn wait_for(&self, text: &str) -> String {
        for _ in 0..100 {
            let s = self.source().await;
            if s.contains(text) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("page never showed {text:?}; at {} it shows:\n{}", self.url().await, self.source().await);
    }

    async fn run(&self, script: &str) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }

    /// The page's width beyond the viewport, in CSS pixels (0: no horizontal scrolling).
    async fn overflow(&self) -> i64 {
        self.run("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await.as_i64().unwrap_or(-1)
    }

    async fn login(&self, base: &str, user: &str) {
        // Start signed out: the cookies of the previous user go.
        self.goto(&format!("{base}/login")).await;
        self.cmd(reqwest::Method::DELETE, "/cookie", None).await;
        self.goto(&format!("{base}/login")).await;
        self.wait_for("登录").await;
        self.type_into("input[name=username]", user).await;
        self.type_into("input[name=password]", common::PASSWORD).await;
        self.click("button").await;
        self.wait_for("工作台").await;
    }

    async fn screenshot(&self, file: &str) {
        use base64::Engine;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        if let Some(b64) = v.as_str() {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
            let _ = std::fs::write(dir.join(file), bytes);
        }
    }
}

both_backends!(secretary_works_in_a_real_browser, |app: common::TestApp| async move {
    let Some(b) = Browser::start().await else { return };
    let tr = &app.tree;
    let admin = app.token("admin").await;
    let other = app.member(&admin, &tr.village_b, "西关党员", &common::id("1966-06-06", 17)).await;

    // Log in through the form; land on the secretary's own branch.
    b.goto(&format!("{}/", app.url)).await;
    b.wait_for("登录").await;
    b.type_into("input[name=username]", "sec_a").await;
    b.type_into("input[name=password]", "wrong-password1").await;
    b.click("button").await;
    b.wait_for("用户名或密码错误").await;
    b.type_into("input[name=password]", common::PASSWORD).await;
    b.click("button").await;
    // The secretary's home is their branch's month; the branch page is one click away.
    b.wait_for("本月要办").await;
    b.goto(&format!("{}/orgs/{}", app.url, tr.village_a.id)).await;
    b.wait_for("东关村党支部").await;
    b.wait_for("正式党员 0 人，少于 3 人").await;
    b.screenshot("browser-org.png").await;

    // Add a member: a wrong ID number is explained and the typed name kept.
    b.goto(&format!("{}/members/new?org={}", app.url, tr.village_a.id)).await;
    b.type_into("input[name=name]", "刘文华").await;
    b.type_into("input[name=id_number]", "110105194912310021").await;
    b.set_value("input[name=joined_on]", "1980-01-01").await;
    b.set_value("input[name=full_on]", "1981-01-01").await;
    b.click("main form button").await;
    b.wait_for("校验位不符").await;
    let good = common::id("1960-02-03", 21);
    b.type_into("input[name=id_number]", &good).await;
    b.set_value("input[name=joined_on]", "1985-07-01").await;
    b.set_value("input[name=full_on]", "1986-07-01").await;
    b.click("main form button").await;
    let page = b.wait_for("已保存").await;
    assert!(page.contains("刘文华") && page.contains("********"), "masked after save");
    assert!(!page.contains(&good), "full ID not shown before asking");

    // Asking for the full number shows it, and says it is logged.
    b.click("form[action$='/reveal'] button").await;
    let page = b.wait_for("已记入操作日志").await;
    assert!(page.contains(&good));
    b.screenshot("browser-member.png").await;

    // Another branch's member is not there.
    b.goto(&format!("{}/members/{other}", app.url)).await;
    b.wait_for("未找到该记录").await;
    b.goto(&format!("{}/members?org={}", app.url, tr.village_a.id)).await;
    let list = b.wait_for("党员名册").await;
    assert!(list.contains("刘文华") && !list.contains("西关党员"));
    b.quit().await;
});

both_backends!(member_signs_in_at_the_door_on_a_phone, |app: common::TestApp| async move {
    let Some(b) = Browser::start().await else { return };
    let tr = &app.tree;
    let admin = app.token("admin").await;
    let me = app.member(&admin, &tr.village_a, "扫码党员", &common::id("1972-04-04", 31)).await;
    common::add_user(&app.db, "scan_member", "member", &tr.village_a, Some(me)).await;
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let start = (chrono::Utc::now() - chrono::Duration::minutes(10)).with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let (s, m) = app.post(&admin, "/api/v1/meetings", json!({"org_id": tr.village_a.id, "kind": "party_lecture", "topic": "专题党课", "planned_start": start})).await;
    assert_eq!(s, 201, "{m}");
    let mid = m["id"].as_i64().unwrap();
    let (_, d) = app.get(&admin, &format!("/api/v1/meetings/{mid}")).await;
    let link = d["sign_in_url"].as_str().unwrap().to_string();

    // The QR code's link sends a logged-out phone to the login form, then back to the sign-in page.
    b.goto(&format!("{}{}", app.url, link)).await;
    b.wait_for("登录").await;
    b.type_into("input[name=username]", "scan_member").await;
    b.type_into("input[name=password]", common::PASSWORD).await;
    b.click("button").await;
    b.wait_for("专题党课").await;
    b.click("main form button").await;
    b.wait_for("签到成功").await;
    b.screenshot("browser-sign-in.png").await;
    // Twice is refused with a clear message.
    b.goto(&format!("{}{}", app.url, link)).await;
    b.wait_for("专题党课").await;
    b.click("main form button").await;
    b.wait_for("您已签到，无需重复签到").await;
    let (_, d) = app.get(&admin, &format!("/api/v1/meetings/{mid}")).await;
    let a = d["attendees"].as_array().unwrap().iter().find(|a| a["member_id"] == me).cloned().unwrap();
    assert_eq!((a["status"].as_str(), a["means"].as_str()), (Some("present"), Some("qr")));
    b.quit().await;
});

both_backends!(resident_submits_a_wish_and_follows_it_on_a_phone, |app: common::TestApp| async move {
    let Some(b) = Browser::start().await else { return };
    let code = app.tree.village_a.code.clone();
    // No login: the wish box's QR code opens the form.
    b.goto(&format!("{}/p/{code}?source=wish_box", app.url)).await;
    b.wait_for("微光心愿箱").await;
    b.type_into("textarea[name=text]", "想给小区里的孩子们建一个读书角").await;
    b.type_into("input[name=contact_phone]", "1390000").await;
    b.click("main form button").await;
    b.wait_for("联系电话应为").await;
    let page = b.source().await;
    assert!(page.contains("想给小区里的孩子们建一个读书角"), "the typed wish is kept");
    b.type_into("input[name=contact_phone]", "13900001234").await;
    b.click("main form button").await;
    let page = b.wait_for("您的查询码").await;
    b.screenshot("browser-wish.png").await;
    let i = page.find("class=\"code\"").unwrap();
    let rest = &page[i..];
    let start = rest.find('>').unwrap() + 1;
    let tracking = rest[start..start + rest[start..].find('<').unwrap()].to_string();
    b.click("a.btn").await;
    let page = b.wait_for("办理经过").await;
    assert!(page.contains("征集") && page.contains("读书角") && !page.contains("13900001234"), "{page}");
    b.screenshot("browser-track.png").await;
    // A mistyped code is explained.
    b.goto(&format!("{}/p/track", app.url)).await;
    b.type_into("input[name=code]", &tracking.replace('-', "")[..8]).await;
    b.click("main form button").await;
    b.wait_for("查询码有误").await;
    b.quit().await;
});

/// Each role's day on the demo county in real Chromium, on a 390 px phone and on a desktop:
/// every staff page the role reaches fits the screen, and each role does its daily job. Runs on
/// SQLite (the HTTP tests hold the same flows on both databases: tests/demo_alive.rs and
/// tests/daily_use.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_on_a_phone_and_a_desktop() {
    let Some(b) = Browser::start_at(PHONE).await else { return };
    let app = common::TestApp::spawn_demo(common::Backend::Sqlite).await;
    yinghuo::demo::accounts::create(&app.db, common::PASSWORD).await.unwrap();
    let id = |sql: &'static str| {
        let db = app.db.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&db.pool).await.unwrap() }
    };
    let village = id("SELECT o.id FROM orgs o JOIN user_roles r ON r.org_id = o.id JOIN users u ON u.id = r.user_id WHERE u.username = 'secretary'").await;
    let town = app.tree.town.id;
    let member = id("SELECT member_id FROM users WHERE username = 'member'").await;
    let meeting = id("SELECT MIN(m.id) FROM meetings m JOIN users u ON u.username = 'secretary' JOIN user_roles r ON r.user_id = u.id WHERE m.org_id = r.org_id AND m.state = 'closed'").await;
    let grid = id("SELECT MIN(g.id) FROM grids g JOIN users u ON u.id = g.worker_user_id WHERE u.username = 'grid' AND g.parent_grid_id IS NOT NULL").await;
    let household = id("SELECT MIN(h.id) FROM households h JOIN grids g ON g.id = h.grid_id JOIN users u ON u.id = g.worker_user_id WHERE u.username = 'grid'").await;
    let request = id("SELECT MIN(id) FROM requests WHERE org_id IN (SELECT r.org_id FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.username = 'grid')").await;
    let dispute = id("SELECT MIN(id) FROM disputes").await;
    let recruit: i64 = sqlx::query_scalar("SELECT MAX(id) FROM recruits WHERE org_path >= $1 AND org_path < $2")
        .bind(app.tree.town.path.clone())
        .bind(yinghuo::db::path::upper(&app.tree.town.path))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let upper = yinghuo::db::path::upper(&app.tree.town.path);
    let delegate: i64 = sqlx::query_scalar("SELECT MAX(d.id) FROM delegates d JOIN members m ON m.id = d.member_id WHERE m.org_path >= $1 AND m.org_path < $2")
        .bind(app.tree.town.path.clone())
        .bind(upper.clone())
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let pairing: i64 = sqlx::query_scalar("SELECT MIN(p.id) FROM pairings p JOIN orgs d ON d.id = p.helped_id WHERE d.path >= $1 AND d.path < $2")
        .bind(app.tree.town.path.clone())
        .bind(upper)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let (market, market_village) = {
        let r = sqlx::query("SELECT id, org_id FROM markets ORDER BY id LIMIT 1").fetch_one(&app.db.pool).await.unwrap();
        (sqlx::Row::get::<i64, _>(&r, "id"), sqlx::Row::get::<i64, _>(&r, "org_id"))
    };
    let center: i64 = sqlx::query_scalar("SELECT MIN(c.id) FROM service_centers c WHERE c.org_path >= $1 AND c.org_path < $2")
        .bind(app.tree.town.path.clone())
        .bind(yinghuo::db::path::upper(&app.tree.town.path))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let activity = id("SELECT MAX(id) FROM vol_activities WHERE state = 'confirmed'").await;
    let matter = id("SELECT MAX(id) FROM village_matters WHERE state = 'open'").await;
    let power_use = id("SELECT MAX(id) FROM power_uses WHERE done = 0").await;
    let rated = id("SELECT MAX(org_id) FROM assessment_events WHERE kind = 'review'").await;
    let case = id("SELECT MAX(id) FROM weak_cases").await;
    let bad_rating = id("SELECT MAX(id) FROM service_ratings WHERE due_on IS NOT NULL").await;
    let window_code: String = sqlx::query_scalar("SELECT code FROM service_windows ORDER BY id LIMIT 1").fetch_one(&app.db.pool).await.unwrap();
    let card: String = sqlx::query_scalar("SELECT card_code FROM point_accounts WHERE kind = 'household' AND org_id = $1 ORDER BY id LIMIT 1").bind(market_village).fetch_one(&app.db.pool).await.unwrap();
    let pages: Vec<(&str, Vec<String>)> = vec![
        ("town", vec!["/".into(), "/tree".into(), format!("/orgs/{town}"), format!("/orgs/{town}/compliance"), format!("/orgs/{town}/dues"), format!("/orgs/{town}/meetings"),
            format!("/orgs/{town}/trends"), format!("/orgs/{town}/dashboard"), format!("/orgs/{town}/dashboard/screen"), format!("/orgs/{town}/governance"), format!("/orgs/{town}/requests"), format!("/orgs/{town}/requests/report"),
            format!("/orgs/{town}/disputes"), format!("/orgs/{town}/disputes/report"), format!("/disputes/{dispute}"),
            format!("/orgs/{town}/powers"), format!("/powers/uses/{power_use}"), format!("/orgs/{town}/commitments"),
            format!("/orgs/{town}/recruitment"), format!("/recruitment/{recruit}"), format!("/orgs/{town}/mobile-members"),
            format!("/orgs/{town}/delegates"), format!("/delegates/{delegate}"), format!("/orgs/{town}/cadres"), format!("/cadres/{village}"), format!("/orgs/{town}/pairings"), format!("/pairings/{pairing}"), format!("/orgs/{market_village}/supermarket"), format!("/supermarket/{market}/counter?q={card}"), format!("/orgs/{town}/volunteering"), format!("/volunteering/{activity}"), format!("/orgs/{town}/village-affairs"), format!("/village-affairs/{matter}"), format!("/orgs/{town}/assessment"), format!("/orgs/{town}/assessment/rubric"), format!("/assessment/{rated}"), format!("/orgs/{town}/rectification?suggest=1"), format!("/rectification/{case}"), format!("/orgs/{town}/economy"), format!("/orgs/{village}/economy"), format!("/orgs/{town}/centers"), format!("/centers/{center}"), format!("/orgs/{town}/service-ratings"), format!("/service-ratings/ratings/{bad_rating}"), format!("/r/{window_code}"), "/users".into(), "/audit".into(), "/import".into(), format!("/?org={village}")]),
        ("secretary", vec!["/".into(), format!("/orgs/{village}"), format!("/members?org={village}"), format!("/members/{member}"), format!("/members/{member}/dues"),
            format!("/orgs/{village}/meetings"), format!("/meetings/{meeting}"), format!("/meetings/{meeting}/poster"), format!("/orgs/{village}/dues"), format!("/orgs/{village}/theme-day"),
            format!("/orgs/{village}/training"), format!("/orgs/{village}/compliance"), format!("/orgs/{village}/wishbox-poster"), format!("/orgs/{village}/recruitment"), format!("/orgs/{village}/mobile-members"), format!("/orgs/{village}/team"), format!("/orgs/{village}/pairings"), format!("/orgs/{village}/points"), format!("/members/{member}/points"), format!("/assessment/{village}"), format!("/orgs/{village}/dashboard")]),
        ("member", vec!["/".into(), format!("/members/{member}"), format!("/members/{member}/dues"), format!("/members/{member}/points"), "/volunteering/mine".into(), "/users".into()]),
        ("grid", vec!["/".into(), format!("/grids/{grid}"), format!("/households/{household}"), format!("/requests/{request}"), format!("/orgs/{village}/governance"), format!("/orgs/{village}/requests"), format!("/households/{household}/points")]),
    ];
    let mut wide = Vec::new();
    for (user, list) in &pages {
        b.login(&app.url, user).await;
        for p in list {
            b.goto(&format!("{}{p}", app.url)).await;
            let src = b.source().await;
            assert!(!src.contains("操作未完成"), "{user} {p} is an error page");
            let over = b.overflow().await;
            if over != 0 {
                b.screenshot(&format!("wide-{user}-{}.png", p.replace('/', "_"))).await;
                wide.push(format!("{user} {p}: {over} px too wide"));
            }
        }
    }
    assert!(wide.is_empty(), "pages wider than a {PHONE} px phone:\n{}", wide.join("\n"));

    // The township drills down from its home to a village's.
    b.login(&app.url, "town").await;
    b.click(&format!("a[href='/?org={village}']")).await;
    b.wait_for("组织生活全部落实").await;

    // The grid worker names a household's 党员中心户 by typing a name in a real picker.
    b.login(&app.url, "grid").await;
    b.goto(&format!("{}/members/{member}", app.url)).await;
    let name = b.run("return document.querySelector('h1').firstChild.textContent.trim()").await.as_str().unwrap().to_string();
    b.goto(&format!("{}/households/{household}", app.url)).await;
    b.run("document.querySelectorAll('details').forEach(d => d.open = true)").await;
    b.type_into("input[name=central_member_id_label]", &name).await;
    b.wait_for(&format!("<b>{name}</b>")).await;
    b.click(".pick-list li").await;
    let picked = b.run("return document.querySelector('input[name=central_member_id]').value").await;
    assert_eq!(picked.as_str(), Some(member.to_string().as_str()), "the picker filled the id");

    // A web import shows its progress and links to what it wrote.
    let code: String = sqlx::query_scalar("SELECT code FROM orgs WHERE id = $1").bind(village).fetch_one(&app.db.pool).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("members.csv");
    std::fs::write(
        &csv,
        format!("所在党组织编码,姓名,公民身份号码,性别,出生日期,民族,学历,联系电话,入党日期,转为正式党员日期,人员类别,党内职务\n{code},网页导入,{},,,汉族,高中,,2000-07-01,2001-07-01,正式党员,\n", common::id("1971-03-03", 77)),
    )
    .unwrap();
    b.login(&app.url, "town").await;
    b.goto(&format!("{}/import", app.url)).await;
    let input = b.find("form[action='/import/members'] input[type=file]").await;
    b.cmd(reqwest::Method::POST, &format!("/element/{input}/value"), Some(json!({"text": csv.display().to_string()}))).await;
    b.click("form[action='/import/members'] button").await;
    let done = b.wait_for("导入成功").await;
    assert!(done.contains(&format!("href=\"/members?org={village}\"")), "links to the org it wrote into");

    // The member sees their day, the grid worker theirs.
    b.login(&app.url, "member").await;
    let home = b.wait_for("我的党费").await;
    assert!(home.contains("我的组织生活") && home.contains("我的学习"));
    // …and signs up for a volunteering activity with one tap.
    b.click("a[href='/volunteering/mine']").await;
    let page = b.wait_for("可以报名的活动").await;
    // The demo may already have signed the member up for every open activity: withdraw one
    // first (that is a tap too), then sign up again.
    if !page.contains("/join\"") {
        b.click("form[action$='/withdraw'] button").await;
        b.wait_for("的报名已取消").await;
    }
    b.click("form[action$='/join'] button").await;
    let mine = b.wait_for("报名成功").await;
    assert!(mine.contains("已报名"), "the activity shows the sign-up");
    b.login(&app.url, "grid").await;
    b.wait_for("我的网格").await;
    b.click(&format!("a[href='/grids/{grid}']")).await;
    b.wait_for("查找住户").await;
    b.quit().await;

    // On a desktop the homes fit as well.
    let Some(d) = Browser::start_at(DESKTOP).await else { return };
    for user in ["town", "secretary", "member", "grid"] {
        d.login(&app.url, user).await;
        assert_eq!(d.overflow().await, 0, "{user}'s home on a desktop");
    }
    d.quit().await;
}
