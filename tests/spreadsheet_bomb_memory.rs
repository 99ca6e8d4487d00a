//! The memory a zip bomb costs an import: the case (a ~1 MB .xlsx holding one 1 GiB
//! shared string, which took an import to 3.2 GB), honest and with its declared size rewritten
//! to 1 KB. Peak resident memory is read from /proc/self/status around the import; this file
//! holds a single test so nothing else runs in the process meanwhile.
//! `cargo test --test spreadsheet_bomb_memory -- --nocapture` prints the figures.

mod bomb;

use yinghuo::db::Db;
use yinghuo::error::AppError;
use yinghuo::members::import::import_members;
use yinghuo::members::sheets::{member_headers, FileKind};

/// The budget for a zip bomb.
const MAX_EXTRA_KIB: u64 = 100 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zip_bomb_import_adds_under_100_mb() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
    db.migrate().await.unwrap();
    let honest = bomb::bomb_xlsx(&member_headers(), 1024);
    let lying = bomb::declare_size(honest.clone(), "xl/sharedStrings.xml", 1000);
    for (label, bytes) in [("1 GiB shared string", honest), ("the same declared as 1 KB", lying)] {
        let size = bytes.len();
        let p = dir.path().join("bomb.xlsx");
        std::fs::write(&p, &bytes).unwrap();
        drop(bytes);
        let rss = bomb::vm_rss_kib();
        let reset = bomb::reset_hwm();
        let hwm_before = bomb::vm_hwm_kib();
        let t = std::time::Instant::now();
        let r = import_members(&db, None, &p, FileKind::Xlsx, &|_| {}).await;
        let secs = t.elapsed().as_secs_f64();
        let hwm_after = bomb::vm_hwm_kib();
        let rows = match r {
            Err(AppError::ImportRejected(rows)) => rows,
            other => panic!("{label}: expected a refusal, got {:?}", other.map(|s| s.imported)),
        };
        assert_eq!((rows[0].row, rows[0].code), (0, Some("spreadsheet_too_large")), "{label}: {rows:?}");
        // With the peak reset, the extra is the new peak over the resident size before; without,
        // the growth of the peak (an upper bound only if the earlier peak was lower).
        let extra = if reset { hwm_after.saturating_sub(rss) } else { hwm_after.saturating_sub(hwm_before) };
        println!(
            "{label}: file {:.2} MB, refused in {secs:.3}s; RSS before {rss} KiB, peak during import {hwm_after} KiB, extra {extra} KiB (peak reset: {reset})",
            size as f64 / 1e6
        );
        assert!(extra < MAX_EXTRA_KIB, "{label}: {extra} KiB extra");
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(&db.pool).await.unwrap();
    assert_eq!(n, 0);
}
