//! Shared by the spreadsheet targets. The xlsx reader runs calamine on a helper thread named
//! `xlsx-rows` precisely so that a panic inside calamine (or the zip / XML crates under it) on a
//! malformed file ends that thread and becomes a row error, not a failed request. libFuzzer's
//! panic hook aborts on every panic; this hook lets those contained panics through (counting
//! them) and still aborts on any panic in our own code or on the fuzzing thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

static CONTAINED: AtomicUsize = AtomicUsize::new(0);
static INSTALL: Once = Once::new();

pub fn install() {
    INSTALL.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let reader = std::thread::current().name() == Some("xlsx-rows");
            let dependency = info.location().is_some_and(|l| l.file().contains("/.cargo/registry/"));
            if reader && dependency {
                if CONTAINED.fetch_add(1, Ordering::SeqCst) == 0 {
                    eprintln!("contained (reported to the user as a damaged file): {info}");
                }
                return;
            }
            abort(info);
        }));
    });
}

/// Contained panics so far.
pub fn contained() -> usize {
    CONTAINED.load(Ordering::SeqCst)
}
