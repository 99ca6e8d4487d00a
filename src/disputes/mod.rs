//! Disputes (DOMAIN.md §10): screening, mediation at the lowest level that can,
//! escalation village → town → county, and the weekly and monthly reports.

pub mod rules;
pub mod store;
