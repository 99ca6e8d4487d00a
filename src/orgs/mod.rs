//! The organization tree (DOMAIN.md §1).

pub mod cache;
pub mod detail;
pub mod inherited;
pub mod model;
pub mod rules;
pub mod stats;
pub mod store;
pub mod team;
