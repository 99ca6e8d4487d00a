//! `yinghuo bench`: the speed figures the foundation promises, measured in-process
//! (server time, no HTTP) against whatever database the URL names.

use std::io::Write;
use std::time::Instant;

use crate::auth::roles::{Actor, Grant, Role};
use crate::db::Db;
use crate::members::store::{search, MemberQuery};
use crate::orgs::stats;
use crate::orgs::store as orgs;

fn admin_at(org: &crate::orgs::model::Org) -> Actor {
    Actor {
        user_id: 0,
        username: "bench".into(),
        display_name: "bench".into(),
        member_id: None,
        grants: vec![Grant { role: Role::CountyAdmin, org_id: org.id, org_path: org.path.clone(), org_name: org.name.clone() }],
        csrf: None,
        must_change_password: false,
    }
}

fn summary(mut ms: Vec<f64>) -> String {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    format!("median {:.2} ms, p95 {:.2} ms, max {:.2} ms ({} runs)", p(0.5), p(0.95), p(1.0), ms.len())
}

/// Peak resident memory of this process (VmHWM), in MiB.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<f64>().unwrap_or(0.0)))
        .unwrap_or(0.0)
        / 1024.0
}

pub async fn queries(db: &Db, runs: usize) -> anyhow::Result<()> {
    let mut conn = db.pool.acquire().await?;
    let root_id: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_one(&mut *conn).await?;
    let branch_id: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE kind = 'branch' ORDER BY depth DESC, id LIMIT 1").fetch_one(&mut *conn).await?;
    // The largest org two levels down: a county in a province, a township in a county.
    let mid_id: i64 = sqlx::query_scalar(
        "SELECT o.id FROM orgs o JOIN org_stats s ON s.org_id = o.id AND s.dim = 'members' AND s.key = 'all' \
         WHERE o.depth = 2 ORDER BY s.n DESC, o.id LIMIT 1",
    )
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(root_id);
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(&mut *conn).await?;
    let n_orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs").fetch_one(&mut *conn).await?;
    println!("database: {:?}, {n_orgs} orgs, {members} members", db.backend);
    for (label, id) in [("root", root_id), ("depth 2", mid_id), ("branch", branch_id)] {
        let org = orgs::get(&mut conn, id).await?.ok_or_else(|| anyhow::anyhow!("org {id}"))?;
        let actor = admin_at(&org);
        let mut t_stats = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let raw = stats::load(&mut conn, org.id).await?;
            let s = stats::summarize(org.id, &raw, crate::db::today());
            std::hint::black_box(s);
            t_stats.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!("subtree stats, {label} ({}): {}", org.name, summary(t_stats));
        for q in [None, Some("王"), Some("wj"), Some("欧阳")] {
            let mut t_page = Vec::new();
            let mut total = 0;
            for _ in 0..runs {
                let t = Instant::now();
                let query = MemberQuery { org: Some(org.id), q: q.map(str::to_string), per_page: Some(50), ..Default::default() };
                let page = search(&mut conn, &actor.scope(), &org, &query).await?;
                total = page.total;
                t_page.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            println!("member page of 50, {label}, q={:?} ({} matches): {}", q.unwrap_or(""), total, summary(t_page));
        }
    }
    // Compliance for last year (the demo generates its meetings), and a branch's dues sheet.
    use chrono::Datelike;
    let year = crate::db::today().year() - 1;
    let (from, to) = (chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap(), chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap());
    let rules = crate::config::Rules::default();
    for (label, id, n) in [("depth 2", mid_id, runs.min(10)), ("root", root_id, runs.min(3))] {
        let org = orgs::get(&mut conn, id).await?.ok_or_else(|| anyhow::anyhow!("org {id}"))?;
        let actor = admin_at(&org);
        let mut t_c = Vec::new();
        let mut summary_line = String::new();
        for _ in 0..n {
            let t = Instant::now();
            let r = crate::meetings::compliance::report(db, &mut conn, &actor.scope(), &org, &rules, from, to, true).await?;
            t_c.push(t.elapsed().as_secs_f64() * 1000.0);
            summary_line = format!("{} orgs checked, {} with misses, {} misses", r.orgs_checked, r.orgs_with_misses, r.missed);
        }
        println!("compliance {year}, {label} ({}; {summary_line}): {}", org.name, summary(t_c));
    }
    let big_branch: i64 = sqlx::query_scalar(
        "SELECT o.id FROM orgs o JOIN org_stats s ON s.org_id = o.id AND s.dim = 'members' AND s.key = 'all' \
         WHERE o.kind = 'branch' AND s.n <= 60 ORDER BY s.n DESC, o.id LIMIT 1",
    )
    .fetch_one(&mut *conn)
    .await?;
    let org = orgs::get(&mut conn, big_branch).await?.ok_or_else(|| anyhow::anyhow!("org"))?;
    let actor = admin_at(&org);
    let month = crate::dues::rules::YearMonth::of(crate::db::today());
    let mut t_d = Vec::new();
    let mut n_members = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let d = crate::dues::store::for_org(&mut conn, &actor.scope(), &rules.dues, &org, month).await?;
        n_members = d.members.len();
        t_d.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("dues sheet for a month, branch of {n_members} ({}): {}", org.name, summary(t_d));
    println!("peak memory: {:.0} MiB", peak_rss_mib());
    Ok(())
}

/// Writes a member CSV of `rows` rows spread over the database's branches.
pub async fn write_csv(db: &Db, rows: usize, path: &std::path::Path) -> anyhow::Result<()> {
    let codes: Vec<String> = sqlx::query_scalar("SELECT code FROM orgs WHERE kind IN ('branch', 'group') AND dissolved_on IS NULL ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    anyhow::ensure!(!codes.is_empty(), "no branches: load demo data first");
    // Continue after earlier runs so numbers never repeat.
    let offset: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE id_number LIKE '659001%'").fetch_one(&db.pool).await?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "所在党组织编码,姓名,公民身份号码,学历,入党日期,转为正式党员日期,联系电话")?;
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
    let given = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇"];
    let base = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    for i in (offset as usize)..(offset as usize + rows) {
        // Region 659001 is not used by the demo generator, so numbers never collide with it.
        let birth = base + chrono::Duration::days((i / 1000) as i64 % 18000);
        let id = crate::members::id_card::IdCardNumber::build(659001, birth, (i % 1000) as u32);
        let joined = birth + chrono::Duration::days(365 * 25);
        writeln!(
            out,
            "{},{}{}{},{},高中,{},{},139{:08}",
            codes[i % codes.len()],
            surnames[i % 8],
            given[(i / 8) % 10],
            given[(i / 80) % 10],
            id,
            joined,
            joined + chrono::Duration::days(400),
            i
        )?;
    }
    out.flush()?;
    Ok(())
}

/// `yinghuo bench-governance`: a town's open-and-overdue list and monthly reports (server
/// time, in-process), then public submissions over real HTTP from `concurrency` clients
/// against an in-process server, checking afterwards that every one was stored exactly once.
pub async fn governance(db: &Db, town_code: Option<&str>, runs: usize, submissions: usize, concurrency: usize) -> anyhow::Result<()> {
    use crate::requests::store as requests;
    let rules = crate::config::Rules::default();
    let mut conn = db.pool.acquire().await?;
    let town = match town_code {
        Some(c) => orgs::get_by_code(&mut conn, c).await?.ok_or_else(|| anyhow::anyhow!("没有编码为 {c} 的党组织"))?,
        None => {
            let id: i64 = sqlx::query_scalar("SELECT o.id FROM orgs o JOIN grids g ON g.org_path >= o.path AND g.org_path < substr(o.path, 1, length(o.path) - 1) || '0' WHERE o.domain = 'township' GROUP BY o.id ORDER BY COUNT(*) DESC, o.id LIMIT 1")
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| anyhow::anyhow!("没有带网格的乡镇：先运行 yinghuo demo-governance"))?;
            orgs::get(&mut conn, id).await?.ok_or_else(|| anyhow::anyhow!("org {id}"))?
        }
    };
    let actor = admin_at(&town);
    let sum = crate::grids::store::summary(&mut conn, &actor.scope(), &town).await?;
    let n_requests: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(&mut *conn).await?;
    let n_disputes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM disputes").fetch_one(&mut *conn).await?;
    println!(
        "database: {:?}; town {}: {} full grids, {} micro-grids, {} households; {n_requests} requests, {n_disputes} disputes in the database",
        db.backend, town.name, sum.full_grids, sum.micro_grids, sum.households
    );
    let mut t_open = Vec::new();
    let mut t_report = Vec::new();
    let mut t_disputes = Vec::new();
    let today = crate::db::today();
    let month = crate::disputes::rules::ReportPeriod::month_of(today);
    let (mut open, mut overdue) = (0, 0);
    for _ in 0..runs {
        let t = Instant::now();
        let l = requests::open_list(&mut conn, &actor.scope(), &rules.requests, &town, false, 200).await?;
        let d = crate::disputes::store::open_list(&mut conn, &actor.scope(), &town, 200).await?;
        t_open.push(t.elapsed().as_secs_f64() * 1000.0);
        (open, overdue) = (l.open + d.open, l.overdue + d.overdue);
        let t = Instant::now();
        requests::report(&mut conn, &actor.scope(), &rules.requests, &town, month.from, month.to, "月报").await?;
        t_report.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        crate::disputes::store::report(&mut conn, &actor.scope(), &rules.disputes, &town, month.from, month.to).await?;
        t_disputes.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("open-and-overdue list (requests + disputes, first 200 each; {open} open, {overdue} overdue): {}", summary(t_open));
    println!("monthly report, requests ({}): {}", month.label, summary(t_report));
    println!("monthly report, disputes ({}): {}", month.label, summary(t_disputes));
    drop(conn);
    if submissions == 0 {
        return Ok(());
    }

    // Public submissions over HTTP: the per-address limit is lifted for the run.
    let community: String = sqlx::query_scalar("SELECT o.code FROM grids g JOIN orgs o ON o.id = g.org_id WHERE g.org_path >= $1 ORDER BY g.id LIMIT 1")
        .bind(&town.path)
        .fetch_one(&db.pool)
        .await?;
    let mut rules = crate::config::Rules::default();
    rules.public.submissions_per_hour = u32::MAX;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/open311/v2/requests.json", listener.local_addr()?);
    let server = tokio::spawn(crate::web::serve(crate::web::AppState::new(db.clone(), rules), listener));
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(&db.pool).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (client, url, next, community) = (client.clone(), url.clone(), next.clone(), community.clone());
        workers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut failed = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= submissions {
                    break;
                }
                let text = format!("压测诉求第{i}件：楼道灯不亮");
                let form = [("jurisdiction_id", community.as_str()), ("service_code", "sanitation"), ("description", text.as_str())];
                match client.post(&url).form(&form).send().await {
                    Ok(r) if r.status() == 201 => {
                        let v: serde_json::Value = r.json().await.unwrap_or_default();
                        ids.push(v[0]["service_request_id"].as_str().unwrap_or("").to_string());
                    }
                    _ => failed += 1,
                }
            }
            (ids, failed)
        }));
    }
    let mut ids = Vec::new();
    let mut failed = 0;
    for w in workers {
        let (i, f) = w.await?;
        ids.extend(i);
        failed += f;
    }
    let secs = started.elapsed().as_secs_f64();
    server.abort();
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(&db.pool).await?;
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    println!(
        "public submissions over HTTP ({concurrency} clients): {} accepted in {secs:.2} s = {:.0} per second; {failed} failed; stored {} (lost {}, duplicated {})",
        ids.len(),
        ids.len() as f64 / secs,
        after - before,
        ids.len() as i64 - (after - before).min(ids.len() as i64),
        ids.len() - distinct.len()
    );
    Ok(())
}

/// Resident memory of this process now (VmRSS), in MiB.
pub fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<f64>().unwrap_or(0.0)))
        .unwrap_or(0.0)
        / 1024.0
}

/// Logins over real HTTP (`POST /api/v1/auth/login`, argon2id with the crate's defaults) from
/// `concurrency` clients, then `views` page views of an org page through a browser session,
/// with the server's resident memory before and after. A bench user is made (or reused) at the
/// root org; its password is random and shown nowhere.
pub async fn logins_and_pages(db: &Db, logins: usize, concurrency: usize, views: usize) -> anyhow::Result<()> {
    use crate::auth::store::{create_user, NewUser};
    let root: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_one(&db.pool).await?;
    // One account per client, as when that many people sign in at once (one account's parallel
    // attempts are charged to its throttle before they are checked, and would slow each other).
    let password = crate::auth::password::random_password();
    let tag = crate::auth::store::random_token()[..8].to_lowercase().replace(['-', '_'], "x");
    let mut usernames = Vec::new();
    for i in 0..concurrency {
        let username = format!("bench{tag}{i}");
        let u = NewUser { username: username.clone(), display_name: Some("基准测试".into()), password: password.clone(), role: "county_admin".into(), org_id: root, member_id: None, generated: false };
        create_user(db, None, &u).await.map_err(|e| anyhow::anyhow!(e.message()))?;
        usernames.push(username);
    }
    let username = usernames[0].clone();
    // The floor: one argon2id check on one core, as configured (auth::password).
    let hash = crate::auth::password::hash(&password)?;
    let t = std::time::Instant::now();
    for _ in 0..20 {
        crate::auth::password::verify(&password, &hash);
    }
    println!("一次 argon2id 校验（单核）：{:.1} ms", t.elapsed().as_secs_f64() * 1000.0 / 20.0);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(crate::web::serve(crate::web::AppState::new(db.clone(), crate::config::Rules::default()), listener));
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let url = format!("{base}/api/v1/auth/login");
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = std::time::Instant::now();
    let mut tasks = Vec::new();
    for username in &usernames {
        let (client, url, next, username, password) = (client.clone(), url.clone(), next.clone(), username.clone(), password.clone());
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < logins {
                let t = std::time::Instant::now();
                let r = client.post(&url).json(&serde_json::json!({"username": username, "password": password})).send().await?;
                anyhow::ensure!(r.status() == 200, "login answered {}", r.status());
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(ms)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let secs = t.elapsed().as_secs_f64();
    println!("登录 {} 次，{concurrency} 个并发：{:.1} 次/秒；{}", all.len(), all.len() as f64 / secs, summary(all));

    if views > 0 {
        let session = crate::auth::store::sign_in(db, &crate::config::AuthRules::default(), &username, &password, None, crate::auth::store::SessionKind::Web).await?.session;
        let cookie = format!("{}={}", crate::web::session::SESSION_COOKIE, session.token);
        let page = format!("{base}/orgs/{root}");
        let warm = 1000.min(views);
        for _ in 0..warm {
            client.get(&page).header("cookie", &cookie).send().await?.bytes().await?;
        }
        let before = rss_mib();
        let t = std::time::Instant::now();
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (client, page, cookie, next) = (client.clone(), page.clone(), cookie.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < views {
                    let r = client.get(&page).header("cookie", &cookie).send().await?;
                    anyhow::ensure!(r.status() == 200, "page answered {}", r.status());
                    r.bytes().await?;
                }
                Ok::<_, anyhow::Error>(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        println!(
            "组织页面浏览 {views} 次：{:.0} 次/秒；常驻内存 {before:.1} MiB → {:.1} MiB（预热 {warm} 次之后）",
            views as f64 / t.elapsed().as_secs_f64(),
            rss_mib()
        );
    }
    server.abort();
    Ok(())
}

/// `bench-recruitment`: `people` open recruitment files spread over the database's branches
/// (inserted with their counters inside one transaction that is rolled back at the end, so the
/// database is left as it was), then the pipeline of the root, the largest org two levels down
/// and a branch, from the counters (`deep=false`), and the township-level page with its file
/// checks (`deep=true`) for a subtree within the check limit.
pub async fn recruitment(db: &Db, people: usize, runs: usize) -> anyhow::Result<()> {
    use crate::db::{path, Sql};
    use crate::orgs::stats::StatsDelta;
    use crate::recruitment::store::{pipeline, DIM_RECRUIT, OPEN_STAGES};
    let mut tx = db.begin_bulk().await?;
    let conn: &mut crate::db::Conn = &mut tx;
    let branches: Vec<(i64, String)> = sqlx::query_as("SELECT id, path FROM orgs WHERE kind = 'branch' AND dissolved_on IS NULL ORDER BY id").fetch_all(&mut *conn).await?;
    anyhow::ensure!(!branches.is_empty(), "no branches: load a demo first (yinghuo demo --scale province)");
    let t = Instant::now();
    let mut delta = StatsDelta::default();
    let today = crate::db::today().to_string();
    let now = crate::db::now_secs();
    for chunk in (0..people).collect::<Vec<_>>().chunks(300) {
        let mut sql = Sql::bulk(conn, "INSERT INTO recruits (org_id, org_path, name, id_number, gender, birth_date, education, ethnicity, stage, applied_on, created_at, updated_at) VALUES ");
        for (i, n) in chunk.iter().enumerate() {
            let (org, p) = &branches[(n * 7919) % branches.len()];
            // 35 % applicants, 30 % activists, 15 % targets, 20 % probationers.
            let stage = OPEN_STAGES[match n % 20 { 0..=6 => 0, 7..=12 => 1, 13..=15 => 2, _ => 3 }];
            for a in path::ids(p) {
                delta.add(a, DIM_RECRUIT, stage.code(), 1);
            }
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(").bind(*org).push(", ").bind(p.clone()).push(", '测试', ").bind(format!("BENCH{n:012}")).push(", 'male', '1995-01-01', 'high_school', '汉族', ");
            sql.bind(stage.code()).push(", ").bind(today.clone()).push(", ").bind(now).push(", ").bind(now).push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    delta.apply(conn).await?;
    println!("database: {:?}, {} branches; {people} open files inserted in {:.1} s (rolled back at the end)", db.backend, branches.len(), t.elapsed().as_secs_f64());
    let root_id: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_one(&mut *conn).await?;
    let mid_id: i64 = sqlx::query_scalar("SELECT o.id FROM orgs o JOIN org_stats s ON s.org_id = o.id AND s.dim = 'recruit' WHERE o.depth = 2 GROUP BY o.id ORDER BY SUM(s.n) DESC, o.id LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(root_id);
    let branch_id = branches[0].0;
    let rules = crate::config::Rules::default();
    for (label, id, deep) in [("root", root_id, false), ("depth 2", mid_id, false), ("branch", branch_id, false), ("depth 2, with file checks", mid_id, true)] {
        let org = orgs::get(conn, id).await?.ok_or_else(|| anyhow::anyhow!("org {id}"))?;
        let actor = admin_at(&org);
        let mut ms = Vec::new();
        let mut total = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let p = pipeline(conn, &actor.scope(), &rules, &org, deep).await?;
            total = p.counts.total();
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!("recruitment pipeline, {label} ({}, {total} open files, {} children): {}", org.name, orgs::children(conn, id, false).await?.len(), summary(ms));
    }
    tx.rollback().await?;
    Ok(())
}

/// `bench-mobile`: the mobile-member ledger (members away, their flags, this quarter's gaps,
/// places) of the root and of the largest org two levels down, on the database as it is.
pub async fn mobile(db: &Db, runs: usize) -> anyhow::Result<()> {
    let mut conn = db.pool.acquire().await?;
    let away: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mobile_members WHERE returned_on IS NULL").fetch_one(&mut *conn).await?;
    println!("database: {:?}, {away} members away", db.backend);
    let root_id: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_one(&mut *conn).await?;
    let mid_id: i64 = sqlx::query_scalar(
        "SELECT o.id FROM orgs o JOIN org_stats s ON s.org_id = o.id AND s.dim = 'members' AND s.key = 'all' WHERE o.depth = 2 ORDER BY s.n DESC, o.id LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or(root_id);
    let rules = crate::config::Rules::default();
    for (label, id) in [("root", root_id), ("depth 2", mid_id)] {
        let org = orgs::get(&mut conn, id).await?.ok_or_else(|| anyhow::anyhow!("org {id}"))?;
        let actor = admin_at(&org);
        let mut ms = Vec::new();
        let mut line = String::new();
        for _ in 0..runs {
            let t = Instant::now();
            let l = crate::mobile::store::ledger(&mut conn, &rules, &actor.scope(), &org).await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            line = format!("{} away, {} gaps this quarter, {} flagged, {} places", l.away.len(), l.gaps.len(), l.flagged, l.places.len());
        }
        println!("mobile-member ledger, {label} ({}; {line}): {}", org.name, summary(ms));
    }
    Ok(())
}

/// Members' points: the year of the whole database recomputed from the records (a replay of the
/// projection, rolled back unless `commit`), then the standing of the largest branch `runs` times.
pub async fn points(db: &Db, year: Option<i32>, runs: usize, commit: bool) -> anyhow::Result<()> {
    let year = year.unwrap_or_else(|| chrono::Datelike::year(&crate::db::today()));
    let rules = crate::config::Rules::default();
    let mut tx = db.pool.begin().await?;
    let root: String = sqlx::query_scalar("SELECT path FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_one(&mut *tx).await?;
    let t = Instant::now();
    let n = crate::points::members::sync(&mut tx, &rules, &root, year).await?;
    let replay = t.elapsed().as_secs_f64();
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM member_points WHERE year = $1").bind(year as i64).fetch_one(&mut *tx).await?;
    println!("database: {:?}; points of {year} replayed from the records: {n} entries appended ({total} in the ledger) in {replay:.2} s", db.backend);
    if commit {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    let mut conn = db.pool.acquire().await?;
    let branch: Option<i64> = sqlx::query_scalar("SELECT org_id FROM members WHERE left_on IS NULL GROUP BY org_id ORDER BY COUNT(*) DESC, org_id LIMIT 1").fetch_optional(&mut *conn).await?;
    let Some(branch) = branch else { return Ok(()) };
    let org = orgs::get(&mut conn, branch).await?.ok_or_else(|| anyhow::anyhow!("org {branch}"))?;
    let actor = admin_at(&org);
    let mut ms = Vec::new();
    let mut line = String::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut tx = db.pool.begin().await?;
        let p = crate::points::members::org_points(&mut tx, &rules, &actor.scope(), &org, year).await?;
        tx.commit().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        line = format!("{} members", p.members.len());
    }
    println!("a branch's standing ({}, {line}; synced, then read): {}", org.name, summary(ms));
    Ok(())
}

/// Star ratings and weak organizations: every branch's scorecard for a year (township by
/// township, as the boards read them), one branch's scorecard with its explanations, and the
/// weak-organization board of the root `runs` times.
pub async fn assessment(db: &Db, year: Option<i32>, runs: usize) -> anyhow::Result<()> {
    let year = year.unwrap_or_else(|| chrono::Datelike::year(&crate::db::today()));
    let rules = crate::config::Rules::default();
    let mut conn = db.pool.acquire().await?;
    let root_id: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_one(&mut *conn).await?;
    let root = orgs::get(&mut conn, root_id).await?.ok_or_else(|| anyhow::anyhow!("no root"))?;
    let actor = admin_at(&root);
    let scope = actor.scope();
    let branches: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs WHERE kind IN ('branch', 'general_branch') AND dissolved_on IS NULL").fetch_one(&mut *conn).await?;
    println!("database: {:?}; {branches} branches and general branches; year {year}", db.backend);
    // Boards of at most MAX_BOARD branches: the root when it fits, else its children, and so on.
    let t = Instant::now();
    let (mut scored, mut boards, mut stars) = (0usize, 0usize, [0usize; 6]);
    let mut todo = vec![root.clone()];
    while let Some(org) = todo.pop() {
        match crate::assessment::store::board(db, &mut conn, &scope, &rules, &org, year).await {
            Ok(b) => {
                boards += 1;
                scored += b.rows.len();
                for r in &b.rows {
                    stars[r.stars_now as usize] += 1;
                }
            }
            Err(crate::error::AppError::Invalid { code: "too_many_branches", .. }) => todo.extend(orgs::children(&mut conn, org.id, false).await?),
            Err(e) => return Err(e.into()),
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "every branch's scorecard: {scored} in {secs:.2} s over {boards} boards ({:.2} ms each); by stars now (none … five): {stars:?}; peak memory {:.0} MiB",
        secs * 1000.0 / scored.max(1) as f64,
        peak_rss_mib()
    );
    let branch: Option<i64> = sqlx::query_scalar(
        "SELECT o.id FROM orgs o JOIN members m ON m.org_id = o.id WHERE o.kind = 'branch' AND m.left_on IS NULL GROUP BY o.id ORDER BY COUNT(*) DESC, o.id LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(branch) = branch {
        let mut ms = Vec::new();
        let mut line = String::new();
        for _ in 0..runs {
            let t = Instant::now();
            let c = crate::assessment::store::card(db, &mut conn, &scope, &rules, branch, year).await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            line = format!("{}, {} members, {} points, {} items explained", c.org_name, c.facts.members, c.total, c.scorecard.items.len());
        }
        println!("one branch's scorecard ({line}): {}", summary(ms));
    }
    let mut ms = Vec::new();
    let mut line = String::new();
    for _ in 0..runs {
        let t = Instant::now();
        let b = crate::rectification::store::board(&mut conn, &scope, &rules, &root).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        line = format!("{}, {} rectifying, {} closed, {} problems", root.name, b.rectifying, b.closed, b.problems.total);
    }
    println!("weak-organization board of the root ({line}): {}", summary(ms));
    Ok(())
}

/// Dashboards at the root, at the largest org of depth 2 and at a branch, each with every
/// section a county admin sees (server time, no HTTP); the compliance of this year read from the
/// tallies at the root; and, with `recount`, every tally recounted from the records (what a new
/// month or new rules cost) and verified.
pub async fn dashboard(db: &Db, runs: usize, recount: bool) -> anyhow::Result<()> {
    use chrono::Datelike;
    let rules = crate::config::Rules::default();
    let mut conn = db.pool.acquire().await?;
    if recount {
        sqlx::query("DELETE FROM tally_sweeps").execute(&mut *conn).await?;
        let t = Instant::now();
        let swept = crate::tallies::sweep(db, &rules).await?;
        println!("recount of {} sources from the records: {:.1} s", swept.len(), t.elapsed().as_secs_f64());
        let t = Instant::now();
        let wrong = crate::tallies::verify(db, &rules).await?;
        println!("verify (a second recount, compared): {:.1} s, {} differences", t.elapsed().as_secs_f64(), wrong.len());
    }
    let settled = crate::tallies::settle(db, &rules).await?;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tallies").fetch_one(&mut *conn).await?;
    println!("database: {:?}; {rows} tally rows; {settled} marks settled first", db.backend);
    let root_id: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_one(&mut *conn).await?;
    let mid_id: i64 = sqlx::query_scalar("SELECT o.id FROM orgs o JOIN org_stats s ON s.org_id = o.id AND s.dim = 'members' AND s.key = 'all' WHERE o.depth = 2 ORDER BY s.n DESC, o.id LIMIT 1")
        .fetch_one(&mut *conn)
        .await?;
    let branch_id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM orgs WHERE kind = 'branch' AND dissolved_on IS NULL").fetch_one(&mut *conn).await?;
    let year = crate::db::today().year();
    let mut medians = Vec::new();
    for (label, id) in [("root", root_id), ("depth 2", mid_id), ("branch", branch_id)] {
        let org = orgs::get(&mut conn, id).await?.ok_or_else(|| anyhow::anyhow!("org {id}"))?;
        let (members, n_orgs) = stats::totals(&mut conn, &[id]).await?.get(&id).copied().unwrap_or((0, 0));
        let actor = admin_at(&org);
        let mut ms = Vec::new();
        let mut figures = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let d = crate::dashboard::build(db, &actor, &rules, &org, year).await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            figures = d.sections.iter().map(|s| s.figures.len()).sum::<usize>() + d.children.len() * d.columns.len();
        }
        let mut sorted = ms.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        medians.push(sorted[sorted.len() / 2]);
        println!("dashboard {year}, {label} ({}; {n_orgs} orgs, {members} members; {figures} figures): {}", org.name, summary(ms));
    }
    println!("root ÷ branch (medians): {:.2}×", medians[0] / medians[2].max(1e-9));
    let root = orgs::get(&mut conn, root_id).await?.ok_or_else(|| anyhow::anyhow!("root"))?;
    let actor = admin_at(&root);
    let (from, to) = (chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap(), chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap());
    let mut ms = Vec::new();
    let mut line = String::new();
    for _ in 0..runs.min(20) {
        let t = Instant::now();
        let r = crate::meetings::compliance::report(db, &mut conn, &actor.scope(), &root, &rules, from, to, true).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        line = format!("{} orgs judged, {} with misses, {} misses, from {}", r.orgs_checked, r.orgs_with_misses, r.missed, if r.detailed { "the meetings" } else { "the tallies" });
    }
    println!("compliance {year}, root ({line}): {}", summary(ms));
    Ok(())
}
