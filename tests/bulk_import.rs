//! The bulk-load path of the member import: on PostgreSQL the rows go by COPY to a staging
//! table first; on both, a large load drops the secondary indexes and rebuilds them inside the
//! import's transaction, and everything reads the same afterwards.

mod common;

use std::io::Write;

use yinghuo::members::import::import_members_with;
use yinghuo::members::sheets::FileKind;

both_backends!(bulk_load_rebuilds_indexes_and_keeps_counts, |app: common::TestApp| async move {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.csv");
    let mut f = std::fs::File::create(&file).unwrap();
    writeln!(f, "所在党组织编码,姓名,公民身份号码,学历,入党日期,转为正式党员日期,工作单位").unwrap();
    let chars: Vec<char> = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉".chars().collect();
    for i in 0..300u32 {
        let org = if i % 2 == 0 { "V001" } else { "G001" };
        let day = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Duration::days(i as i64);
        let name = format!("王{}{}", chars[i as usize % 20], chars[i as usize / 20]);
        // COPY's text format must carry a backslash, a tab and a quote in a value unchanged.
        let unit = if i == 7 { "\"某\\公司\t二部\"\"\"" } else { "" };
        writeln!(f, "{org},{name},{},高中,1990-07-01,1991-07-01,{unit}", common::id(&day.to_string(), 1 + i % 2)).unwrap();
    }
    drop(f);
    let indexes = |db: yinghuo::db::Db| async move {
        let sql = if db.backend == yinghuo::db::Backend::Sqlite {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'members' ORDER BY name"
        } else {
            "SELECT CAST(indexname AS TEXT) FROM pg_indexes WHERE tablename = 'members' ORDER BY indexname"
        };
        let names: Vec<String> = sqlx::query_scalar(sql).fetch_all(&db.pool).await.unwrap();
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
    let unit: String = sqlx::query_scalar("SELECT work_unit FROM members WHERE work_unit <> '' ").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(unit, "某\\公司\t二部\"");
    // Every member is in place once, with the counters, marks and audit of one import.
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(n, 300);
    let audits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'member.import'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(audits, 2, "one entry per org");
    yinghuo::tallies::settle(&app.db, &yinghuo::config::Rules::default()).await.unwrap();
    assert!(yinghuo::tallies::verify(&app.db, &yinghuo::config::Rules::default()).await.unwrap().is_empty());
    // The unique ID number constraint stayed in force during the load.
    let again = import_members_with(&app.db, None, &file, FileKind::Csv, &|_| {}, 100).await;
    let Err(yinghuo::error::AppError::ImportRejected(rows)) = again else { panic!("a second import is refused row by row") };
    assert_eq!(rows.len(), 300, "every row is on the roll already");
    assert!(rows[0].message.contains("已有党员记录"), "{}", rows[0].message);
    assert_eq!(rows[0].row, 2);
    assert_eq!(indexes(app.db.clone()).await, before);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(n, 300, "nothing half-written");
    // No staging table is left behind.
    if app.db.backend == yinghuo::db::Backend::Postgres {
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 'yh_stage_%'").fetch_one(&app.db.pool).await.unwrap();
        assert_eq!(left, 0);
    }
});
