//! Mobile members (流动党员, DOMAIN.md §2, seed [004]): members away from the place their
//! organizational relationship is kept, the quarterly ledger of the “七个清楚”, the
//! 《流动党员活动证》, the transfer of the relationship, 在外临时党支部 and the 自行脱党 check.
//!
//! [`rules`] holds the pure rules; [`store`] the 外出报备 records, their quarterly entries and the
//! ledger of a subtree.

pub mod rules;
pub mod store;
