//! Dashboards and reports read from a real PostgreSQL streaming replica (a second cluster made
//! by `pg_basebackup`, `scripts/pg-replica.sh`), writes still go to the primary, and a replica
//! that falls behind or goes away sends its reads back to the primary.

mod common;

use std::time::Duration;

use common::*;
use sqlx::Connection;

fn replica_base() -> String {
    std::env::var("TEST_REPLICA_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".into())
}

/// The replica must be there in CI (test.sh starts it); elsewhere the test is skipped.
async fn replica_available() -> bool {
    let ok = sqlx::postgres::PgConnection::connect(&replica_base()).await.is_ok();
    if !ok {
        if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
            panic!("the PostgreSQL replica is not reachable at {} and CI=true: run scripts/pg-replica.sh", replica_base());
        }
        eprintln!("PostgreSQL replica not reachable at {}: skipping", replica_base());
    }
    ok
}

/// The replica's URL for the database `db` uses on the primary.
async fn replica_of(db: &yinghuo::db::Db) -> String {
    let name: String = sqlx::query_scalar("SELECT CAST(current_database() AS TEXT)").fetch_one(&db.pool).await.unwrap();
    let base = replica_base();
    format!("{}/{name}", &base[..base.rfind('/').unwrap()])
}

async fn replica_conn(url: &str) -> sqlx::postgres::PgConnection {
    // The new database reaches the replica once it has replayed its creation.
    for _ in 0..100 {
        if let Ok(c) = sqlx::postgres::PgConnection::connect(url).await {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the test database never reached the replica at {url}");
}

/// Waits until the replica has replayed everything the primary has written so far.
async fn caught_up(db: &yinghuo::db::Db, replica: &mut sqlx::postgres::PgConnection) {
    let lsn: String = sqlx::query_scalar("SELECT CAST(pg_current_wal_lsn() AS TEXT)").fetch_one(&db.pool).await.unwrap();
    for _ in 0..200 {
        let done: bool = sqlx::query_scalar("SELECT pg_last_wal_replay_lsn() >= CAST($1 AS pg_lsn)").bind(&lsn).fetch_one(&mut *replica).await.unwrap();
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the replica did not catch up");
}

fn members_now(d: &serde_json::Value) -> i64 {
    let f = d["sections"][0]["figures"].as_array().unwrap().iter().find(|f| f["key"] == "orgs.members").unwrap_or_else(|| panic!("{d}"));
    f["n"].as_i64().unwrap()
}

#[tokio::test]
async fn dashboards_and_reports_read_from_a_streaming_replica() {
    if !pg_available().await || !replica_available().await {
        return;
    }
    let mut control = sqlx::postgres::PgConnection::connect(&replica_base()).await.unwrap();
    // A run that failed half-way may have left replay paused.
    sqlx::query("SELECT pg_wal_replay_resume()").execute(&mut control).await.ok();

    let app = TestApp::spawn_with(Backend::Postgres, |db| async move {
        let url = replica_of(&db).await;
        db.with_replica(&url, Duration::from_secs(3600)).await.unwrap()
    })
    .await;
    let url = replica_of(&app.db).await;
    let mut replica = replica_conn(&url).await;
    let admin = app.token("admin").await;
    let c = app.tree.county.id;
    app.member(&admin, &app.tree.village_a, "张三", &id("1980-01-01", 1)).await;
    caught_up(&app.db, &mut replica).await;

    // Caught up: the dashboard reads the replica, and says so.
    let (s, d) = app.get(&admin, &format!("/api/v1/orgs/{c}/dashboard")).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["read_from"], "replica", "{d}");
    assert_eq!(members_now(&d), 1);

    // Replay paused: a write still lands (on the primary) and the dashboard, allowed an hour of
    // lag, shows the replica's older figure, which proves where it read.
    sqlx::query("SELECT pg_wal_replay_pause()").execute(&mut control).await.unwrap();
    app.member(&admin, &app.tree.village_a, "李四", &id("1981-01-01", 2)).await;
    let (_, d) = app.get(&admin, &format!("/api/v1/orgs/{c}/dashboard")).await;
    assert_eq!(d["read_from"], "replica", "{d}");
    assert_eq!(members_now(&d), 1, "the paused replica has not seen the second member");
    // The member's own page reads the primary: its writer sees it at once.
    let (s, list) = app.get(&admin, &format!("/api/v1/members?org={}", app.tree.village_a.id)).await;
    assert_eq!(s, 200, "{list}");
    assert!(list.to_string().contains("李四"), "{list}");

    // A server that allows no lag sends the same read to the primary while replay is paused.
    let strict = app.db.clone().with_replica(&url, Duration::ZERO).await.unwrap();
    let rules = yinghuo::config::Rules::default();
    let actor = {
        let mut conn = app.db.pool.acquire().await.unwrap();
        yinghuo::auth::store::actor_for_token(&mut conn, &admin, yinghuo::auth::store::SessionKind::Api).await.unwrap().unwrap()
    };
    let year = chrono::Datelike::year(&yinghuo::db::today());
    let d = yinghuo::dashboard::build(&strict, &actor, &rules, &app.tree.county, year).await.unwrap();
    assert_eq!(d.read_from, "primary");
    let d = serde_json::to_value(&d).unwrap();
    assert_eq!(members_now(&d), 2);

    // Replay resumed: the replica catches up and shows both.
    sqlx::query("SELECT pg_wal_replay_resume()").execute(&mut control).await.unwrap();
    caught_up(&app.db, &mut replica).await;
    let (_, d) = app.get(&admin, &format!("/api/v1/orgs/{c}/dashboard")).await;
    assert_eq!(d["read_from"], "replica", "{d}");
    assert_eq!(members_now(&d), 2);

    // Reports and their workbooks read there too, and the UI page says where it read.
    let (s, r) = app.get(&admin, &format!("/api/v1/orgs/{c}/compliance?from=2026-01-01&to=2026-06-30")).await;
    assert_eq!(s, 200, "{r}");
    let web = ui_login(&app, "admin").await;
    let page = web.get(format!("{}/orgs/{c}/dashboard", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("只读副本"), "the page says it read the replica");
    let x = web.get(format!("{}/orgs/{c}/dashboard.xlsx", app.url)).send().await.unwrap();
    assert_eq!(x.status(), 200);

    // A replica that is not there: the same reads come from the primary, nothing fails.
    let gone = app.db.clone().with_replica("postgres://postgres@127.0.0.1:1/none", Duration::from_secs(3600)).await.unwrap();
    let d = yinghuo::dashboard::build(&gone, &actor, &rules, &app.tree.county, year).await.unwrap();
    assert_eq!(d.read_from, "primary");

    // A replica URL on SQLite is refused with a clear message.
    let lite = yinghuo::db::Db::connect("sqlite::memory:").await.unwrap();
    let err = lite.with_replica(&url, Duration::from_secs(10)).await.err().unwrap();
    assert!(err.to_string().contains("只读副本"), "{err}");
}
