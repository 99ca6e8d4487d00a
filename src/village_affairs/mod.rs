//! Village affairs (村务, DOMAIN.md §13): the 四议两公开 procedure of a village's major matters.
//!
//! - `rules`: pure rules (the order of the seven steps, dates, quorums).
//! - `store`: matters and their steps, the subtree list and ledger, the public view.

pub mod rules;
pub mod store;
