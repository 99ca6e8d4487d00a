//! Collective economy (集体经济, DOMAIN.md §14): village incomes against the thresholds, weak
//! villages, cooperatives and their demonstration titles.
//!
//! - `rules`: pure rules (thresholds, bands, what counts, amounts in words).
//! - `store`: income entries and reversals, cooperatives, the board, the figures the cadres use.

pub mod rules;
pub mod store;
