//! The member spreadsheet reader (.csv and .xlsx) on arbitrary bytes, then the member
//! validator on every row read. The first byte picks the kind a file name would give.
//! Invariants: no panic (in the reader thread either), no value over the cell cap, every
//! refusal has a message, and a limit refusal carries one of the stable codes.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "contain.rs"]
mod contain;
use yinghuo::members::sheet_limits::MAX_CELL_CHARS;
use yinghuo::members::sheets::{FileKind, MemberRows, RowError};

fn check_error(e: &RowError) {
    assert!(!e.message.is_empty());
    assert!(matches!(e.code, None | Some("spreadsheet_too_large" | "cell_too_long" | "row_too_long")), "{e:?}");
}

fn check_text(v: &Option<String>) {
    if let Some(s) = v {
        assert!(s.chars().count() <= MAX_CELL_CHARS, "a value of {} characters came through", s.chars().count());
    }
}

fuzz_target!(|data: &[u8]| {
    contain::install();
    let Some((&first, bytes)) = data.split_first() else { return };
    let kind = if first & 1 == 0 { FileKind::Csv } else { FileKind::Xlsx };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let before = contain::contained();
    let mut refused = false;
    match MemberRows::from_bytes(bytes.to_vec(), kind) {
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
                    Ok(row) => {
                        assert!(row.row >= 1);
                        assert!(row.org_code.chars().count() <= MAX_CELL_CHARS);
                        let i = &row.input;
                        for v in [&i.name, &i.id_number, &i.gender, &i.birth_date, &i.ethnicity, &i.education, &i.phone, &i.joined_on, &i.full_on, &i.status, &i.posts, &i.vanguard_post, &i.responsibility_area, &i.work_unit] {
                            check_text(v);
                        }
                        let _ = yinghuo::members::validate::validate(i, today);
                    }
                }
            }
        }
    }
    // A panic contained in the reader thread reaches the user as an error, never as rows alone.
    assert!(contain::contained() == before || refused, "a contained panic went unreported");
});
