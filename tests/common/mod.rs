//! Test harness: each test gets its own fresh database (a SQLite file, or a new
//! PostgreSQL database), the real server on port 0, and talks to it over HTTP.

#![allow(dead_code)]


use serde_json::{json, Value};
use yinghuo::auth::store::{create_user, NewUser};
use yinghuo::config::Rules;
use yinghuo::db::Db;
use yinghuo::orgs::model::Org;
use yinghuo::orgs::store::{self as orgs, validate_new, OrgInput};
use yinghuo::web::{serve, AppState};
use yinghuo::write_tx;

pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub url: String,
    pub db: Db,
    pub client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
    pub tree: Tree,
}

/// A small county: root → town → two villages (branches) each with a group; a county organ branch.
pub struct Tree {
    pub county: Org,
    pub town: Org,
    pub village_a: Org,
    pub village_b: Org,
    pub group_a: Org,
    pub organ: Org,
}

/// The password of every test user.
pub const PASSWORD: &str = "Yinghuo-test-7";

pub fn pg_base() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// PostgreSQL must be there in CI; elsewhere its tests are skipped with a note.
pub async fn pg_available() -> bool {
    let ok = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect(&pg_base())
        .await
        .is_ok();
    if !ok {
        if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
            panic!("PostgreSQL is not reachable at {} and CI=true: failing, not skipping", pg_base());
        }
        eprintln!("PostgreSQL not reachable at {}: skipping this test", pg_base());
    }
    ok
}

async fn fresh_db(backend: &Backend) -> (Db, Option<tempfile::TempDir>) {
    // TEST_LOG=warn (or any filter) prints the server's log in a failing test's output.
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter)).with_test_writer().try_init();
    }
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("t.db").display());
            let db = Db::connect(&url).await.unwrap();
            db.migrate().await.unwrap();
            (db, Some(dir))
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let name = format!("yh_test_{}", &yinghuo::auth::store::random_token().to_lowercase().replace(['-', '_'], "")[..16]);
            let mut admin = sqlx::postgres::PgConnection::connect(&pg_base()).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
            let base = pg_base();
            let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
            let db = Db::connect(&url).await.unwrap();
            db.migrate().await.unwrap();
            (db, None)
        }
    }
}

async fn mk(db: &Db, parent: Option<&Org>, code: &str, name: &str, kind: &str, domain: &str) -> Org {
    let n = validate_new(&OrgInput {
        code: Some(code.into()),
        name: Some(name.into()),
        kind: Some(kind.into()),
        domain: Some(domain.into()),
        ..Default::default()
    })
    .unwrap();
    write_tx!(db, yinghuo::db::Lock::Tree, |tx| orgs::create(&mut tx, None, parent, &n).await).unwrap()
}

async fn org_by(db: &Db, sql: &'static str) -> Org {
    let id: i64 = sqlx::query_scalar(sql).fetch_one(&db.pool).await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    orgs::get(&mut conn, id).await.unwrap().unwrap()
}

pub async fn add_user(db: &Db, username: &str, role: &str, org: &Org, member_id: Option<i64>) {
    let u = NewUser {
        username: username.into(),
        display_name: None,
        password: PASSWORD.into(),
        role: role.into(),
        org_id: org.id,
        member_id,
        generated: false,
    };
    create_user(db, None, &u).await.unwrap();
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        let (db, dir) = fresh_db(&backend).await;
        let county = mk(&db, None, "C001", "中共测试县委员会", "committee", "region").await;
        let town = mk(&db, Some(&county), "T001", "城关镇党委", "committee", "township").await;
        let village_a = mk(&db, Some(&town), "V001", "东关村党支部", "branch", "rural").await;
        let village_b = mk(&db, Some(&town), "V002", "西关村党支部", "branch", "rural").await;
        let group_a = mk(&db, Some(&village_a), "G001", "东关村第一党小组", "group", "rural").await;
        let organ = mk(&db, Some(&county), "O001", "县教育局机关党支部", "branch", "organ").await;
        Self::start(db, dir, Tree { county, town, village_a, village_b, group_a, organ }).await
    }

    /// The demo county (seed 2026, alive up to today) instead of the small tree: `tree` names its
    /// root, first township, that township's first two village branches, a group and an organ branch.
    pub async fn spawn_demo(backend: Backend) -> TestApp {
        let (db, dir) = fresh_db(&backend).await;
        yinghuo::demo::load(&db, yinghuo::demo::gen::Scale::County, 2026, &|_, _| {}).await.unwrap();
        let county = org_by(&db, "SELECT id FROM orgs WHERE parent_id IS NULL").await;
        let town = org_by(&db, "SELECT id FROM orgs WHERE domain = 'township' AND kind = 'committee' ORDER BY id LIMIT 1").await;
        let village_a = org_by(&db, "SELECT MIN(o.id) FROM orgs o JOIN orgs t ON t.id = o.parent_id WHERE o.kind = 'branch' AND o.domain = 'rural' AND t.domain = 'township' AND t.kind = 'committee' AND t.id = (SELECT MIN(id) FROM orgs WHERE domain = 'township' AND kind = 'committee') AND EXISTS (SELECT 1 FROM orgs g WHERE g.parent_id = o.id)").await;
        let village_b = org_by(&db, "SELECT MAX(o.id) FROM orgs o WHERE o.kind = 'branch' AND o.domain = 'rural' AND o.parent_id = (SELECT MIN(id) FROM orgs WHERE domain = 'township' AND kind = 'committee')").await;
        let group_a = org_by(&db, "SELECT MIN(g.id) FROM orgs g JOIN orgs o ON o.id = g.parent_id WHERE g.kind = 'group' AND o.id = (SELECT MIN(o.id) FROM orgs o JOIN orgs t ON t.id = o.parent_id WHERE o.kind = 'branch' AND o.domain = 'rural' AND t.id = (SELECT MIN(id) FROM orgs WHERE domain = 'township' AND kind = 'committee') AND EXISTS (SELECT 1 FROM orgs g WHERE g.parent_id = o.id))").await;
        let organ = org_by(&db, "SELECT MIN(id) FROM orgs WHERE kind = 'branch' AND domain = 'organ'").await;
        Self::start(db, dir, Tree { county, town, village_a, village_b, group_a, organ }).await
    }

    /// [`TestApp::spawn`] with the database handle changed before the server starts (a replica).
    pub async fn spawn_with<F, Fut>(backend: Backend, change: F) -> TestApp
    where
        F: FnOnce(Db) -> Fut,
        Fut: std::future::Future<Output = Db>,
    {
        let mut app = Self::spawn(backend).await;
        let db = change(app.db.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        app.url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(serve(AppState::new(db.clone(), Rules::default()), listener));
        app.db = db;
        app
    }

    async fn start(db: Db, dir: Option<tempfile::TempDir>, tree: Tree) -> TestApp {
        add_user(&db, "admin", "county_admin", &tree.county, None).await;
        add_user(&db, "town", "org_admin", &tree.town, None).await;
        add_user(&db, "sec_a", "branch_secretary", &tree.village_a, None).await;
        add_user(&db, "sec_b", "branch_secretary", &tree.village_b, None).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(db.clone(), Rules::default());
        tokio::spawn(serve(state, listener));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestApp { url, db, client, _dir: dir, tree }
    }

    /// The SQLite file's folder, if any (for diagnosing lost files).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|d| d.path())
    }

    pub async fn token(&self, username: &str) -> String {
        let r = self
            .client
            .post(format!("{}/api/v1/auth/login", self.url))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {username}");
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self.client.get(format!("{}{}", self.url, path)).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn send(&self, method: reqwest::Method, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self.client.request(method, format!("{}{}", self.url, path)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, token, path, body).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, token, path, body).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, token, path, body).await
    }

    /// Creates a member through the API and returns its id.
    pub async fn member(&self, token: &str, org: &Org, name: &str, id_number: &str) -> i64 {
        let (s, v) = self
            .post(
                token,
                "/api/v1/members",
                json!({"org_id": org.id, "name": name, "id_number": id_number, "education": "大学本科",
                       "joined_on": "2010-07-01", "full_on": "2011-07-01", "phone": "13812345678"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_i64().unwrap()
    }
}

/// A valid ID number for tests: region 140781, the given birth date, a sequence.
pub fn id(birth: &str, seq: u32) -> String {
    let d = chrono::NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap();
    yinghuo::members::id_card::IdCardNumber::build(140781, d, seq).to_string()
}

/// Logs in through the login form (with its CSRF cookie) and returns a cookie-keeping client.
pub async fn ui_login(app: &TestApp, username: &str) -> reqwest::Client {
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = c.get(format!("{}/login", app.url)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let r = c
        .post(format!("{}/login", app.url))
        .form(&[("username", username), ("password", PASSWORD), ("csrf", &csrf), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login form");
    c
}

pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// Runs one scenario on the demo county, on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! both_backends_demo {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = common::TestApp::spawn_demo(common::Backend::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !common::pg_available().await {
                    return;
                }
                let app = common::TestApp::spawn_demo(common::Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}

/// Runs one scenario on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = common::TestApp::spawn(common::Backend::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !common::pg_available().await {
                    return;
                }
                let app = common::TestApp::spawn(common::Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}
