//! The SQLite bulk-load path of the member import: secondary indexes are dropped and
//! rebuilt inside the import's transaction, and everything reads the same afterwards.

mod common;

use std::io::Write;

use yinghuo::members::import::import_members_with;
use yinghuo::members::sheets::FileKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_load_rebuilds_indexes_and_keeps_counts() {
    let app = common::TestApp::spawn(common::Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.csv");
    let mut f = std::fs::File::create(&file).unwrap();
    writeln!(f, "所在党组织编码,姓名,公民身份号码,学历,入党日期,转为正式党员日期").unwrap();
    let chars: Vec<char> = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉".chars().collect();
    for i in 0..300u32 {
        let org = if i % 2 == 0 { "V001" } else { "G001" };
        let day = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Duration::days(i as i64);
        let name = format!("王{}{}", chars[i as usize % 20], chars[i as usize / 20]);
        writeln!(f, "{org},{name},{},高中,1990-07-01,1991-07-01", common::id(&day.to_string(), 1 + i % 2)).unwrap();
    }
    drop(f);
    let indexes = |db: yinghuo::db::Db| async move {
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'members' ORDER BY name")
            .fetch_all(&db.pool)
            .await
            .unwrap();
        names
    };
    let before = indexes(app.db.clone()).await;
    let s = import_members_with(&app.db, None, &file, FileKind::Csv, &|_| {}, 100).await.map_err(|e| e.message()).unwrap();
    assert_eq!(s.imported, 300);
    assert_eq!(indexes(app.db.clone()).await, before, "every index is back");
    let t = app.token("admin").await;
    let (_, st) = app.get(&t, &format!("/api/v1/orgs/{}/stats", app.tree.county.id)).await;
    assert_eq!(st["members"], 300);
    let (_, page) = app.get(&t, &format!("/api/v1/members?org={}&q=王甲", app.tree.county.id)).await;
    assert_eq!(page["total"], 15, "every 20th name");
    let (_, page) = app.get(&t, &format!("/api/v1/members?org={}&q=wjy", app.tree.county.id)).await;
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"王甲乙"), "found by its initials: {names:?}");
    // The unique ID number constraint stayed in force during the load.
    let again = import_members_with(&app.db, None, &file, FileKind::Csv, &|_| {}, 100).await;
    assert!(again.is_err());
    assert_eq!(indexes(app.db.clone()).await, before);
}
