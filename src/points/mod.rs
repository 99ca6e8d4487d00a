//! Points (积分, DOMAIN.md §7) and the 文明超市 (§7, seed [002]). Households earn points for
//! civic practice and for service (volunteering::store credits them) and spend them at their
//! village's supermarket. [`rules`] is pure; [`ledger`] keeps accounts and transfers (two
//! movements summing to zero, append-only); [`market`] keeps goods, stock and redemptions.
//! Members' points are a projection of their records: [`member_rules`] (pure) says what each
//! record is worth, [`members`] keeps the append-only ledger in step with the records.

pub mod ledger;
pub mod market;
pub mod member_rules;
pub mod members;
pub mod rules;
