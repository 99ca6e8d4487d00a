//! Loading a generated demo county, city or province into an empty database.

pub mod accounts;
pub mod affairs;
pub mod assessment;
pub mod cadres;
pub mod dues;
pub mod economy;
pub mod centers;
pub mod gen;
pub mod governance;
pub mod market;
pub mod meetings;
pub mod mobile;
pub mod ratings;
pub mod recruitment;
pub mod rectification;
pub mod team;
pub mod training;
pub mod volunteering;

use std::time::Instant;

use chrono::Datelike;

use crate::db::{path, Db, Sql};
use crate::error::{AppError, AppResult};
use crate::members::model::{posts_code, Education, Gender, MemberStatus};
use crate::orgs::model::{OrgDomain, OrgKind};
use crate::orgs::stats;
use gen::{generate, DemoMember, DemoOrg, Scale};

pub struct Loaded {
    pub orgs: usize,
    pub members: usize,
    pub meetings: usize,
    /// Grid governance of the first township.
    pub households: usize,
    pub requests: usize,
    pub disputes: usize,
    pub seconds: f64,
}

const BIRTH_YEAR_MIN: i32 = 1900;
const YEARS: usize = 140;
const SLOT_MEMBERS: usize = 0;
const SLOT_STATUS: usize = 1;
const SLOT_GENDER: usize = SLOT_STATUS + 2;
const SLOT_EDU: usize = SLOT_GENDER + 2;
const SLOT_DOMAIN: usize = SLOT_EDU + 6;
const SLOT_KIND: usize = SLOT_DOMAIN + 9;
const SLOT_YEAR: usize = SLOT_KIND + 6;
const SLOTS: usize = SLOT_YEAR + YEARS;

fn index_of<T: PartialEq + Copy>(all: &[T], v: T) -> usize {
    all.iter().position(|x| *x == v).unwrap_or(0)
}

/// Fills an empty database with a deterministic demo dataset.
pub async fn load(db: &Db, scale: Scale, seed: u64, progress: &(dyn Fn(&str, u64) + Sync)) -> AppResult<Loaded> {
    let started = Instant::now();
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs").fetch_one(&db.pool).await?;
    if existing > 0 {
        return Err(AppError::invalid("database_not_empty", "数据库中已有党组织，演示数据只能载入空数据库"));
    }
    let mut org_list: Vec<DemoOrg> = Vec::new();
    let (tx_m, mut rx_m) = tokio::sync::mpsc::channel::<Vec<DemoMember>>(8);
    // Generation runs on a blocking thread and streams members in batches.
    let (tx_o, rx_o) = tokio::sync::oneshot::channel::<Vec<DemoOrg>>();
    let gen_task = tokio::task::spawn_blocking(move || {
        let orgs = std::cell::RefCell::new(Vec::new());
        let mut batch = Vec::with_capacity(1000);
        let mut tx_o = Some(tx_o);
        let mut orgs_sent = false;
        generate(scale, seed, crate::db::today(), &mut |o| orgs.borrow_mut().push(o), &mut |m| {
            if !orgs_sent {
                if let Some(t) = tx_o.take() {
                    let _ = t.send(orgs.take());
                }
                orgs_sent = true;
            }
            batch.push(m);
            if batch.len() == 1000 {
                let _ = tx_m.blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(1000)));
            }
        });
        if let Some(t) = tx_o.take() {
            let _ = t.send(orgs.take());
        }
        if !batch.is_empty() {
            let _ = tx_m.blocking_send(batch);
        }
    });
    org_list.extend(rx_o.await.map_err(|e| anyhow::anyhow!("demo generator stopped: {e}"))?);
    let n_orgs = org_list.len();
    // Paths and depths, parents first.
    let mut paths: Vec<String> = vec![String::new(); n_orgs + 1];
    let mut depth: Vec<i64> = vec![0; n_orgs + 1];
    for o in &org_list {
        let id = o.id as usize;
        match o.parent_id {
            None => paths[id] = path::root(o.id),
            Some(p) => {
                paths[id] = path::child(&paths[p as usize], o.id);
                depth[id] = depth[p as usize] + 1;
            }
        }
    }
    let mut counters: Vec<[i32; SLOTS]> = vec![[0; SLOTS]; n_orgs + 1];
    let domains: Vec<OrgDomain> = std::iter::once(OrgDomain::Region).chain(org_list.iter().map(|o| o.domain)).collect();

    let mut n_members = 0usize;
    // One transaction, not retried: the member stream cannot be replayed.
    let mut tx = db.begin_bulk().await?;
    let result: AppResult<()> = async {
        let conn: &mut crate::db::Conn = &mut tx;
        let now = crate::db::now_secs();
        // An empty table: load first, index after.
        let rebuild = crate::db::drop_secondary_indexes(conn, "members").await?;
        for chunk in org_list.chunks(500) {
            let mut sql = Sql::bulk(conn,
                "INSERT INTO orgs (id, parent_id, path, depth, code, name, kind, variant, domain, joint_units, term_start, founded_on, created_at, updated_at) VALUES ",
            );
            for (i, o) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let id = o.id as usize;
                sql.push("(").bind(o.id).push(", ").bind(o.parent_id).push(", ").bind(paths[id].clone()).push(", ").bind(depth[id]);
                sql.push(", ").bind(o.code.clone()).push(", ").bind(o.name.clone()).push(", ").bind(o.kind.code());
                sql.push(", ").bind(o.variant.code()).push(", ").bind(o.domain.code()).push(", ").bind(o.joint_units);
                sql.push(", ").bind(o.term_start.map(|d| d.to_string())).push(", ").bind(o.founded_on.to_string());
                sql.push(", ").bind(now).push(", ").bind(now).push(")");
                counters[id][SLOT_KIND + index_of(OrgKind::ALL, o.kind)] += 1;
            }
            sql.query().execute(&mut *conn).await?;
        }
        progress("orgs", n_orgs as u64);
        while let Some(batch) = rx_m.recv().await {
            for chunk in batch.chunks(500) {
                let mut sql = Sql::bulk(conn,
                    "INSERT INTO members (org_id, org_path, name, name_initials, id_number, gender, birth_date, ethnicity, education, phone, \
                     joined_on, full_on, status, posts, in_service, work_unit, created_at, updated_at) VALUES ",
                );
                for (i, m) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    let oid = m.org_id as usize;
                    sql.push("(").bind(m.org_id).push(", ").bind(paths[oid].clone()).push(", ").bind(m.name.clone());
                    sql.push(", ").bind(crate::members::store::initials(&m.name)).push(", ").bind(m.id_number.as_str());
                    sql.push(", ").bind(m.gender.code()).push(", ").bind(m.birth_date.to_string()).push(", ").bind(m.ethnicity.clone());
                    sql.push(", ").bind(m.education.code()).push(", ").bind(m.phone.clone()).push(", ").bind(m.joined_on.to_string());
                    sql.push(", ").bind(m.full_on.map(|d| d.to_string())).push(", ").bind(m.status.code());
                    sql.push(", ").bind(posts_code(&m.posts)).push(", ").bind(m.in_service as i64).push(", ").bind(m.work_unit.clone());
                    sql.push(", ").bind(now).push(", ").bind(now).push(")");
                    let c = &mut counters[oid];
                    c[SLOT_MEMBERS] += 1;
                    c[SLOT_STATUS + index_of(MemberStatus::ALL, m.status)] += 1;
                    c[SLOT_GENDER + index_of(Gender::ALL, m.gender)] += 1;
                    c[SLOT_EDU + index_of(Education::ALL, m.education)] += 1;
                    c[SLOT_DOMAIN + index_of(OrgDomain::ALL, domains[oid])] += 1;
                    let y = (m.birth_date.year() - BIRTH_YEAR_MIN).clamp(0, YEARS as i32 - 1) as usize;
                    c[SLOT_YEAR + y] += 1;
                }
                sql.query().execute(&mut *conn).await?;
                n_members += chunk.len();
            }
            if n_members % 50_000 < 1000 {
                progress("members", n_members as u64);
            }
        }
        progress("members", n_members as u64);
        for sql in &rebuild {
            sqlx::query(sql).execute(&mut *conn).await?;
        }
        progress("indexes", rebuild.len() as u64);
        // Roll counters up the tree: children come after parents, so walk backwards.
        for o in org_list.iter().rev() {
            if let Some(p) = o.parent_id {
                let child = counters[o.id as usize];
                let parent = &mut counters[p as usize];
                for s in 0..SLOTS {
                    parent[s] += child[s];
                }
            }
        }
        let mut rows: Vec<(i64, &'static str, String, i64)> = Vec::new();
        for o in &org_list {
            let c = &counters[o.id as usize];
            let mut push = |dim: &'static str, key: String, n: i32| {
                if n != 0 {
                    rows.push((o.id, dim, key, n as i64));
                }
            };
            push(stats::DIM_MEMBERS, "all".into(), c[SLOT_MEMBERS]);
            for (i, v) in MemberStatus::ALL.iter().enumerate() {
                push(stats::DIM_STATUS, v.code().into(), c[SLOT_STATUS + i]);
            }
            for (i, v) in Gender::ALL.iter().enumerate() {
                push(stats::DIM_GENDER, v.code().into(), c[SLOT_GENDER + i]);
            }
            for (i, v) in Education::ALL.iter().enumerate() {
                push(stats::DIM_EDUCATION, v.code().into(), c[SLOT_EDU + i]);
            }
            for (i, v) in OrgDomain::ALL.iter().enumerate() {
                push(stats::DIM_DOMAIN, v.code().into(), c[SLOT_DOMAIN + i]);
            }
            for (i, v) in OrgKind::ALL.iter().enumerate() {
                push(stats::DIM_ORGS, v.code().into(), c[SLOT_KIND + i]);
            }
            for y in 0..YEARS {
                push(stats::DIM_BIRTH_YEAR, (BIRTH_YEAR_MIN + y as i32).to_string(), c[SLOT_YEAR + y]);
            }
        }
        for chunk in rows.chunks(500) {
            let mut sql = Sql::bulk(conn, "INSERT INTO org_stats (org_id, dim, key, n) VALUES ");
            for (i, (org, dim, key, n)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(").bind(*org).push(", ").bind(*dim).push(", ").bind(key.clone()).push(", ").bind(*n).push(")");
            }
            sql.query().execute(&mut *conn).await?;
        }
        progress("stats", rows.len() as u64);
        Ok(())
    }
    .await;
    result?;
    tx.commit().await?;
    gen_task.await.map_err(|e| anyhow::anyhow!("demo generator failed: {e}"))?;
    db.sync_sequence("orgs").await?;
    // Meetings, dues and training from January of last year up to today: a county at work.
    let today = crate::db::today();
    let n_meetings = meetings::load(db, today.year() - 1, today, seed).await?;
    progress("meetings", n_meetings as u64);
    let n_payments = dues::load(db, today.year() - 1, today, seed).await?;
    progress("payments", n_payments as u64);
    let mut n_trainees = training::load(db, today.year() - 1).await?;
    n_trainees += training::load(db, today.year()).await?;
    progress("trainees", n_trainees as u64);
    // Recruitment files at every stage, built step by step through the rules (published defaults).
    let n_recruits = recruitment::load(db, &crate::config::Rules::default(), seed).await?;
    progress("recruits", n_recruits as u64);
    let n_seats = team::load(db).await?;
    progress("team seats", n_seats);
    let n_mobile = mobile::load(db).await?;
    progress("mobile members", n_mobile as u64);
    let first_town: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE kind = 'committee' AND domain = 'township' AND dissolved_on IS NULL ORDER BY id LIMIT 1")
        .fetch_optional(&db.pool)
        .await?;
    let e = economy::load(db, first_town.unwrap_or(0)).await?;
    progress("collective income entries", e.entries as u64);
    progress("cooperatives", e.coops as u64);
    let sc = centers::load(db).await?;
    progress("service centers", sc.centers as u64);
    progress("service center checks", sc.checks as u64);
    let c = cadres::load(db).await?;
    progress("delegates", c.delegates as u64);
    progress("villages with cadre files", c.villages as u64);
    progress("pairings", c.pairings as u64);
    // This year's grid governance for the first township: grids, households, requests, disputes.
    let town: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE kind = 'committee' AND domain = 'township' AND dissolved_on IS NULL ORDER BY id LIMIT 1")
        .fetch_optional(&db.pool)
        .await?;
    let (mut households, mut requests, mut disputes) = (0, 0, 0);
    if let Some(town) = town {
        let g = governance::load_town(db, town, crate::db::today().year(), seed).await?;
        progress("households", g.households as u64);
        (households, requests, disputes) = (g.households, g.requests, g.disputes);
        let n = market::load(db).await?;
        progress("points transfers", n as u64);
        let v = volunteering::load(db, &crate::config::Rules::default()).await?;
        progress("volunteering activities", v.activities as u64);
        progress("volunteer sign-ups", v.signups as u64);
        let n = affairs::load(db, town).await?;
        progress("village matters (四议两公开)", n as u64);
        let rules = crate::config::Rules::default();
        let p = affairs::load_powers(db, &rules, town).await?;
        progress("uses of village powers (小微权力)", p.uses as u64);
        progress("commitments (承诺践诺)", p.commitments as u64);
        let mut n = training::load_winter(db, town, today.year() - 1).await?;
        n += training::load_winter(db, town, today.year()).await?;
        progress("winter trainees (党员冬训)", n as u64);
        let r = assessment::load(db, &rules, town).await?;
        progress("branches rated (星级评定)", r.rated as u64);
        let n = rectification::load(db, &rules, town).await?;
        progress("rectification cases (软弱涣散)", n as u64);
        let n = ratings::load(db, &rules, town).await?;
        progress("service ratings (好差评)", n as u64);
    }
    // Every figure of the dashboards, counted once from what the demo wrote.
    let swept = crate::tallies::sweep(db, &crate::config::Rules::default()).await?;
    progress("tally sources counted", swept.len() as u64);
    if db.backend == crate::db::Backend::Sqlite {
        sqlx::query("ANALYZE").execute(&db.pool).await?;
    } else {
        // VACUUM sets the visibility map, so counts can use index-only scans at once.
        for table in ["orgs", "members", "org_stats", "meetings", "tallies", "tally_own"] {
            sqlx::query(&format!("VACUUM (ANALYZE) {table}")).execute(&db.pool).await?;
        }
    }
    crate::db::note_commit();
    Ok(Loaded { orgs: n_orgs, members: n_members, meetings: n_meetings, households, requests, disputes, seconds: started.elapsed().as_secs_f64() })
}
