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
                let page = search(&mut conn, &actor, &org, &query).await?;
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
            let r = crate::meetings::compliance::report(db, &mut conn, &actor, &org, &rules.compliance, from, to, true).await?;
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
        let d = crate::dues::store::for_org(&mut conn, &actor, &rules.dues, &org, month).await?;
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
