//! Points (积分, DOMAIN.md §7) and the 文明超市 (§7, seed [002]). Households earn points for
//! civic practice (and, with the volunteering module, for service) and spend them at their
//! village's supermarket. [`rules`] is pure; [`ledger`] keeps accounts and transfers (two
//! movements summing to zero, append-only); [`market`] keeps goods, stock and redemptions.

pub mod ledger;
pub mod market;
pub mod rules;
