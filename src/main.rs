//! The `yinghuo` command: serve (default), demo, user, import.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use yinghuo::auth::store::{create_user, NewUser};
use yinghuo::config::Rules;
use yinghuo::db::Db;
use yinghuo::demo::gen::Scale;
use yinghuo::members::sheets::FileKind;
use yinghuo::web::{serve, AppState};

#[derive(Parser)]
#[command(name = "yinghuo", version, about = "萤火：基层党建与党建引领基层治理平台")]
struct Cli {
    /// sqlite://FILE or postgres://USER@HOST/DB
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://yinghuo.db", global = true)]
    database_url: String,
    /// A TOML file overriding the published rule defaults.
    #[arg(long, global = true)]
    rules: Option<PathBuf>,
    /// postgres://… of a streaming replica of --database-url: dashboards, reports and their
    /// workbooks read there while it trails the primary by at most --replica-max-lag seconds.
    #[arg(long, env = "YINGHUO_REPLICA_URL", global = true)]
    replica_url: Option<String>,
    /// How far (seconds) the replica may trail the primary before its reads go to the primary.
    #[arg(long, env = "YINGHUO_REPLICA_MAX_LAG", default_value_t = 10, global = true)]
    replica_max_lag: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default). Fills a demo county into an empty database.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Start with an empty database instead of the demo county.
        #[arg(long)]
        no_demo: bool,
        /// Mark cookies `Secure`: set this when users reach the server over HTTPS (through a
        /// TLS proxy); YINGHUO_SECURE_COOKIES=true does the same.
        #[arg(long, env = "YINGHUO_SECURE_COOKIES")]
        secure_cookies: bool,
    },
    /// Load a deterministic demo dataset into an empty database.
    Demo {
        /// county, city, province, or country (with --provinces)
        #[arg(long, default_value = "county")]
        scale: String,
        /// Provinces of the province's shape under a national root, for --scale country.
        #[arg(long, default_value_t = 5)]
        provinces: u32,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Fill one town with a year of grid governance: 51 full grids, 324 micro-grids,
    /// 40,000 households, residents' requests and disputes.
    DemoGovernance {
        /// The town's org code (default: the first township 党委).
        #[arg(long)]
        town: Option<String>,
        /// The calendar year (default: this year, up to today).
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Measure subtree figures and member pages (server time) on the current database.
    Bench {
        #[arg(long, default_value_t = 100)]
        runs: usize,
    },
    /// Measure grid governance: a town's open-and-overdue list, monthly reports, and public submissions per second over HTTP.
    BenchGovernance {
        /// Code of the town (default: the township with the most grids).
        #[arg(long)]
        town: Option<String>,
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Public submissions to send (0 skips that part; they stay in the database).
        #[arg(long, default_value_t = 10_000)]
        submissions: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
    /// Measure the recruitment pipeline with N open files spread over the branches (rolled back after).
    BenchRecruitment {
        #[arg(long, default_value_t = 60_000)]
        people: usize,
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// Measure the mobile-member ledger (flags, this quarter's gaps, places) of the root and a depth-2 org.
    BenchMobile {
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// Replay members' points of a year from the records (rolled back unless --commit) and time a
    /// branch's standing.
    BenchPoints {
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// Keep the replayed entries (a replay appends only what the ledger lacks).
        #[arg(long)]
        commit: bool,
    },
    /// Score every branch for a year (township by township), time one branch's scorecard and the
    /// root's weak-organization board.
    BenchAssessment {
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// Time the dashboard at the root, at a depth-2 org and at a branch, and this year's compliance at
    /// the root; with --recount, first recount every tally from the records and verify it.
    BenchDashboard {
        #[arg(long, default_value_t = 50)]
        runs: usize,
        #[arg(long)]
        recount: bool,
    },
    /// Measure logins per second over HTTP (10 concurrent by default) and the server's memory over many page views.
    BenchLogin {
        #[arg(long, default_value_t = 1000)]
        logins: usize,
        #[arg(long, default_value_t = 10)]
        concurrency: usize,
        /// Org page views after the logins (0 skips them).
        #[arg(long, default_value_t = 100_000)]
        views: usize,
    },
    /// Measure a member import: write a CSV of ROWS members over the existing branches, then import it.
    BenchImport {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
    },
    /// Import members, orgs or households from .xlsx or .csv (all rows checked first).
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        name: String,
        /// county_admin, org_admin, branch_secretary, member, grid_worker
        #[arg(long)]
        role: String,
        /// Code of the org the role is held at (default: the member's org with --member, else
        /// the root of the tree).
        #[arg(long)]
        org: Option<String>,
        /// ID number of the member this account belongs to (for QR sign-in and own records).
        #[arg(long)]
        member: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    Members { file: PathBuf },
    Orgs { file: PathBuf },
    /// Households and residents, one row per resident; the grids must be under --org.
    Households {
        /// Code of the org (village, community or above) whose grids the file names.
        #[arg(long)]
        org: String,
        file: PathBuf,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        // axum logs each rejected request's text at trace level, which can echo what was typed:
        // never, whatever RUST_LOG says.
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into())
                .add_directive("axum::rejection=off".parse().expect("a valid directive")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("错误：{e:#}");
        std::process::exit(1);
    }
}

async fn open(cli: &Cli) -> anyhow::Result<Db> {
    let db = Db::connect(&cli.database_url).await?;
    db.migrate().await?;
    match &cli.replica_url {
        Some(url) => db.with_replica(url, std::time::Duration::from_secs(cli.replica_max_lag)).await,
        None => Ok(db),
    }
}

async fn root_org(db: &Db) -> anyhow::Result<i64> {
    sqlx::query_scalar::<_, i64>("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1")
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| anyhow::anyhow!("数据库中还没有党组织：先运行 yinghuo demo 或导入党组织"))
}

/// Households under the org with code `org`, as the command line (no actor) imports them.
async fn import_households(db: &Db, org: &str, file: &std::path::Path, kind: FileKind) -> yinghuo::error::AppResult<String> {
    let mut conn = db.pool.acquire().await?;
    let root = yinghuo::orgs::store::get_by_code(&mut conn, org.trim())
        .await?
        .ok_or_else(|| yinghuo::error::AppError::invalid("org_not_found", format!("没有编码为 {org} 的党组织")))?;
    drop(conn);
    let s = yinghuo::grids::import::import_households(db, None, &root, file, kind).await?;
    Ok(format!("导入完成：{} 行，{} 户，{} 位居民，{} 条特殊群体记录", s.rows, s.households, s.residents, s.special))
}

fn bar(what: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(ProgressStyle::with_template("{spinner} {msg} {pos} 行 [{elapsed}] {per_sec}").unwrap());
    pb.set_message(what.to_string());
    pb
}

async fn run(mut cli: Cli) -> anyhow::Result<()> {
    let rules = Rules::load(cli.rules.as_deref())?;
    let default_serve = Command::Serve {
        bind: "127.0.0.1:8080".parse()?,
        no_demo: false,
        secure_cookies: std::env::var("YINGHUO_SECURE_COOKIES").is_ok_and(|v| matches!(v.as_str(), "1" | "true")),
    };
    match cli.command.take().unwrap_or(default_serve) {
        Command::Serve { bind, no_demo, secure_cookies } => {
            let db = open(&cli).await?;
            let mut conn = db.pool.acquire().await?;
            let empty = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM orgs").fetch_one(&mut *conn).await? == 0;
            drop(conn);
            if empty && !no_demo {
                println!("首次启动：正在生成演示县（约1000个党组织、12000名党员）……");
                let loaded = yinghuo::demo::load(&db, Scale::County, 2026, &|_, _| {}).await?;
                println!("演示数据已生成：{} 个党组织，{} 名党员，{} 次会议，{} 户居民，{} 件群众诉求，{} 件矛盾纠纷，用时 {:.1} 秒", loaded.orgs, loaded.members, loaded.meetings, loaded.households, loaded.requests, loaded.disputes, loaded.seconds);
            }
            let mut conn = db.pool.acquire().await?;
            let users = yinghuo::auth::store::user_count(&mut conn).await?;
            drop(conn);
            let mut login = None;
            let mut demo_accounts = Vec::new();
            let mut demo_password = String::new();
            if users == 0 {
                if let Ok(root) = root_org(&db).await {
                    let password = yinghuo::auth::password::random_password();
                    let u = NewUser {
                        username: "admin".into(),
                        display_name: Some("组织部管理员".into()),
                        password: password.clone(),
                        role: "county_admin".into(),
                        org_id: root,
                        member_id: None,
                        generated: true,
                    };
                    create_user(&db, None, &u).await?;
                    if empty && !no_demo {
                        demo_password = yinghuo::auth::password::random_password();
                        demo_accounts = yinghuo::demo::accounts::create(&db, &demo_password).await?;
                    }
                    login = Some(password);
                }
            }
            let listener = tokio::net::TcpListener::bind(bind).await?;
            let addr = listener.local_addr()?;
            println!("萤火已启动：http://{addr}/");
            match login {
                Some(p) => {
                    println!("管理员登录：用户名 admin  密码 {p}  （请登录后修改密码）");
                    if !demo_accounts.is_empty() {
                        println!("各角色演示账号（密码均为 {demo_password}）：");
                        for (user, role, org) in &demo_accounts {
                            println!("  {user:<10} {role}，{org}");
                        }
                    }
                }
                None => println!("使用已有账号登录；新增账号：yinghuo user add 用户名 --role county_admin"),
            }
            let mut state = AppState::new(db, rules);
            state.secure_cookies = secure_cookies;
            yinghuo::web::spawn_jobs(&state);
            serve(state, listener).await
        }
        Command::Demo { scale, provinces, seed } => {
            let scale = Scale::parse_with(&scale, provinces).ok_or_else(|| {
                anyhow::anyhow!("--scale 应为 county、city、province 或 country（country 时 --provinces 为 1 至 {}）", yinghuo::demo::gen::MAX_PROVINCES)
            })?;
            let db = open(&cli).await?;
            let pb = bar("演示数据");
            let loaded = yinghuo::demo::load(&db, scale, seed, &|what, n| {
                pb.set_message(what.to_string());
                pb.set_position(n);
            })
            .await?;
            pb.finish_and_clear();
            println!("已生成 {} 个党组织、{} 名党员、{} 次会议、{} 户居民、{} 件群众诉求、{} 件矛盾纠纷，用时 {:.1} 秒", loaded.orgs, loaded.members, loaded.meetings, loaded.households, loaded.requests, loaded.disputes, loaded.seconds);
            Ok(())
        }
        Command::DemoGovernance { town, year, seed } => {
            use chrono::Datelike;
            let db = open(&cli).await?;
            let found: Option<(i64, String)> = match &town {
                Some(code) => sqlx::query_as("SELECT id, name FROM orgs WHERE code = $1 ORDER BY id LIMIT 1").bind(code.trim()).fetch_optional(&db.pool).await?,
                None => {
                    sqlx::query_as("SELECT id, name FROM orgs WHERE kind = 'committee' AND domain = 'township' AND dissolved_on IS NULL ORDER BY id LIMIT 1")
                        .fetch_optional(&db.pool)
                        .await?
                }
            };
            let (town_id, name) = found.ok_or_else(|| match &town {
                Some(code) => anyhow::anyhow!("没有编码为 {code} 的党组织"),
                None => anyhow::anyhow!("数据库中没有乡镇党委：先运行 yinghuo demo，或用 --town 指定乡镇党组织编码"),
            })?;
            let year = year.unwrap_or_else(|| yinghuo::db::today().year());
            println!("正在为{name}生成{year}年网格治理演示数据……");
            let l = yinghuo::demo::governance::load_town(&db, town_id, year, seed).await?;
            println!(
                "已生成 {} 个网格（全科网格和微网格）、{} 户、{} 名居民、{} 件群众诉求、{} 件矛盾纠纷，用时 {:.1} 秒",
                l.grids, l.households, l.residents, l.requests, l.disputes, l.seconds
            );
            Ok(())
        }
        Command::User { action: UserCommand::Add { name, role, org, member, display_name } } => {
            let db = open(&cli).await?;
            let mut conn = db.pool.acquire().await?;
            let member = match member {
                None => None,
                Some(raw) => {
                    let number = yinghuo::members::id_card::IdCardNumber::parse(&raw).map_err(|e| anyhow::anyhow!("身份证号 {raw} 无效：{e}"))?;
                    let found: Option<(i64, i64)> = sqlx::query_as("SELECT id, org_id FROM members WHERE id_number = $1")
                        .bind(number.as_str())
                        .fetch_optional(&mut *conn)
                        .await?;
                    Some(found.ok_or_else(|| anyhow::anyhow!("没有身份证号为 {raw} 的党员：请先录入党员档案"))?)
                }
            };
            let org_id = match (org, member) {
                (Some(code), _) => {
                    yinghuo::orgs::store::get_by_code(&mut conn, code.trim()).await?.ok_or_else(|| anyhow::anyhow!("没有编码为 {code} 的党组织"))?.id
                }
                (None, Some((_, member_org))) => member_org,
                (None, None) => root_org(&db).await?,
            };
            drop(conn);
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            let u = NewUser { username: name.clone(), display_name, password, role, org_id, member_id: member.map(|m| m.0), generated: false };
            let id = create_user(&db, None, &u).await.map_err(|e| anyhow::anyhow!(e.message()))?;
            println!("已添加用户 {name}（编号 {id}）");
            Ok(())
        }
        Command::Bench { runs } => {
            let db = open(&cli).await?;
            yinghuo::bench::queries(&db, runs).await
        }
        Command::BenchRecruitment { people, runs } => {
            let db = open(&cli).await?;
            yinghuo::bench::recruitment(&db, people, runs).await
        }
        Command::BenchMobile { runs } => {
            let db = open(&cli).await?;
            yinghuo::bench::mobile(&db, runs).await
        }
        Command::BenchPoints { year, runs, commit } => {
            let db = open(&cli).await?;
            yinghuo::bench::points(&db, year, runs, commit).await
        }
        Command::BenchAssessment { year, runs } => {
            let db = open(&cli).await?;
            yinghuo::bench::assessment(&db, year, runs).await
        }
        Command::BenchDashboard { runs, recount } => {
            let db = open(&cli).await?;
            yinghuo::bench::dashboard(&db, runs, recount).await
        }
        Command::BenchGovernance { town, runs, submissions, concurrency } => {
            let db = open(&cli).await?;
            yinghuo::bench::governance(&db, town.as_deref(), runs, submissions, concurrency).await
        }
        Command::BenchLogin { logins, concurrency, views } => {
            let db = open(&cli).await?;
            yinghuo::bench::logins_and_pages(&db, logins, concurrency, views).await
        }
        Command::BenchImport { rows } => {
            let db = open(&cli).await?;
            let file = std::env::temp_dir().join(format!("yinghuo-bench-{rows}.csv"));
            yinghuo::bench::write_csv(&db, rows, &file).await?;
            let before = yinghuo::bench::peak_rss_mib();
            let pb = bar("导入");
            let t = std::time::Instant::now();
            let s = yinghuo::members::import::import_members(&db, None, &file, FileKind::Csv, &|n| pb.set_position(n))
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            let secs = t.elapsed().as_secs_f64();
            pb.finish_and_clear();
            let _ = std::fs::remove_file(&file);
            println!(
                "imported {} members in {:.1} s: {:.0} rows/s (check and write); peak memory {:.0} MiB (before import {:.0} MiB)",
                s.imported, secs, s.imported as f64 / secs, yinghuo::bench::peak_rss_mib(), before
            );
            Ok(())
        }
        Command::Import { what } => {
            let db = open(&cli).await?;
            let (ImportCommand::Members { file } | ImportCommand::Orgs { file } | ImportCommand::Households { file, .. }) = &what;
            let kind = FileKind::from_name(&file.to_string_lossy())
                .ok_or_else(|| anyhow::anyhow!("请提供 .xlsx 或 .csv 文件"))?;
            let pb = bar("检查并导入");
            let done = |s: yinghuo::members::import::ImportSummary| format!("导入完成：{} 行，导入 {} 条", s.rows, s.imported);
            let result = match &what {
                ImportCommand::Members { .. } => yinghuo::members::import::import_members(&db, None, file, kind, &|n| pb.set_position(n)).await.map(done),
                ImportCommand::Orgs { .. } => yinghuo::members::import::import_orgs(&db, None, file, kind).await.map(done),
                ImportCommand::Households { org, .. } => import_households(&db, org, file, kind).await,
            };
            pb.finish_and_clear();
            match result {
                Ok(line) => {
                    println!("{line}");
                    Ok(())
                }
                Err(yinghuo::error::AppError::ImportRejected(rows)) => {
                    for r in &rows {
                        // RowError's Display: "第3行“姓名”：…", the file-level ones (row 0) without a row.
                        eprintln!("{r}");
                    }
                    anyhow::bail!("文件有错误，未导入任何数据")
                }
                Err(e) => anyhow::bail!(e.message()),
            }
        }
    }
}
