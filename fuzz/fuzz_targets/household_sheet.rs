//! The household/resident spreadsheet reader (.csv and .xlsx) on arbitrary bytes, then the
//! import's pure planning (grouping into households, every row checked) with no known grids.
//! The first byte picks the kind. Invariants: no panic, no value over the cell cap.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "contain.rs"]
mod contain;
use yinghuo::grids::import::{plan, read_rows_from_bytes, Known};
use yinghuo::members::sheet_limits::MAX_CELL_CHARS;
use yinghuo::members::sheets::FileKind;

fuzz_target!(|data: &[u8]| {
    contain::install();
    let Some((&first, bytes)) = data.split_first() else { return };
    let kind = if first & 1 == 0 { FileKind::Csv } else { FileKind::Xlsx };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let before = contain::contained();
    let Ok((rows, errors)) = read_rows_from_bytes(bytes.to_vec(), kind) else { return };
    assert!(contain::contained() == before || !errors.is_empty(), "a contained panic went unreported");
    for e in &errors {
        assert!(!e.message.is_empty());
    }
    for r in &rows {
        for v in [&r.grid_code, &r.building, &r.address, &r.name, &r.relation, &r.gender, &r.id_number, &r.birth_date, &r.phone, &r.special] {
            assert!(v.chars().count() <= MAX_CELL_CHARS);
        }
    }
    // Every row names an unknown grid here, so a non-empty file is always refused.
    if let Ok(households) = plan(&rows, &Known::default(), today) {
        assert!(households.is_empty() && rows.is_empty());
    }
});
