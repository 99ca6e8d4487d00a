//! Pairings (DOMAIN.md §2, seeds [000][002][003]): 包联 (a county leader and a contact point),
//! 共驻共建 (a unit's org and a community) and 结对帮扶, with their dates and what each pairing
//! did, listed on both orgs. [`rules`] is pure; [`store`] holds the records.

pub mod rules;
pub mod store;
