//! Village affairs (村务, DOMAIN.md §13): the 四议两公开 procedure of a village's major matters,
//! the 小微权力清单 and its uses, and the 承诺践诺 of villages, townships and units.
//!
//! - `rules`: pure rules of 四议两公开 (the order of the seven steps, dates, quorums).
//! - `store`: matters and their steps, the subtree list and ledger, the public view.
//! - `powers`: pure rules of the power catalog, a power's procedure and a commitment's states.
//! - `power_store`: the catalog in force, the uses of powers and their steps.
//! - `commitment_store`: commitments, 践诺, 核验, the board per child org.

pub mod commitment_store;
pub mod power_store;
pub mod powers;
pub mod rules;
pub mod store;
