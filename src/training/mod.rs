//! Education and training (DOMAIN.md §6): classes, sessions, 一课一查岗 attendance,
//! the daily bulletin and the end-of-class report with hours and 问责.

pub mod rules;
pub mod store;
