//! The organization spreadsheet reader (.csv and .xlsx) on arbitrary bytes; the first byte
//! picks the kind. Invariants: no panic, no value over the cell cap, refusals well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "contain.rs"]
mod contain;
use yinghuo::members::sheet_limits::MAX_CELL_CHARS;
use yinghuo::members::sheets::{FileKind, OrgRows, RowError};

fn check_error(e: &RowError) {
    assert!(!e.message.is_empty());
    assert!(matches!(e.code, None | Some("spreadsheet_too_large" | "cell_too_long" | "row_too_long")), "{e:?}");
}

fuzz_target!(|data: &[u8]| {
    contain::install();
    let Some((&first, bytes)) = data.split_first() else { return };
    let kind = if first & 1 == 0 { FileKind::Csv } else { FileKind::Xlsx };
    let before = contain::contained();
    let mut refused = false;
    match OrgRows::from_bytes(bytes.to_vec(), kind) {
        Err(e) => {
            refused = true;
            check_error(&e)
        }
        Ok(rows) => {
            for r in rows {
                match r {
                    Err(e) => {
                        refused = true;
                        check_error(&e)
                    }
                    Ok(o) => {
                        assert!(o.row >= 1);
                        for v in [&o.code, &o.parent_code, &o.name, &o.kind, &o.variant, &o.domain, &o.joint_units, &o.term_start, &o.founded_on] {
                            assert!(v.chars().count() <= MAX_CELL_CHARS);
                        }
                        let _ = yinghuo::orgs::model::OrgKind::parse(&o.kind);
                    }
                }
            }
        }
    }
    // A panic contained in the reader thread reaches the user as an error, never as rows alone.
    assert!(contain::contained() == before || refused, "a contained panic went unreported");
});
