//! The pre-calamine checks on their own: `check_xlsx` on arbitrary bytes as a zip, and the
//! XML scanner on arbitrary bytes fed whole and in chunks cut where the input says: the
//! verdict must not depend on the chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinghuo::members::sheet_limits::{check_xlsx, XmlScan};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, bytes)) = data.split_first() else { return };
    let _ = check_xlsx(std::io::Cursor::new(bytes));
    let shared = cut & 0x80 != 0;
    let whole = XmlScan::scan(bytes, shared);
    let step = usize::from(cut & 0x7f).max(1);
    let mut s = XmlScan::new(shared);
    let mut chunked = Ok(());
    for c in bytes.chunks(step) {
        chunked = s.feed(c);
        if chunked.is_err() {
            break;
        }
    }
    if chunked.is_ok() {
        chunked = s.finish();
    }
    assert_eq!(whole.is_ok(), chunked.is_ok(), "whole {whole:?}, in chunks of {step} {chunked:?}");
});
