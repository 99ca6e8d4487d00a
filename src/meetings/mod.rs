//! Organizational life (DOMAIN.md §4): 三会一课 and the other meetings, sign-in,
//! quorum, and the compliance engine.

pub mod compliance;
pub mod ledger;
pub mod rules;
pub mod store;
pub mod theme_day;
