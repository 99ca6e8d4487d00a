//! Assessment (考评, DOMAIN.md §12): the star rating of every branch.
//!
//! - `rules`: pure rules (the 百分考评细则 and “十有”, measures from records, cut-offs, titles).
//! - `store`: the facts of a subtree's branches, entries with evidence, ratings, appeals, titles.

pub mod rules;
pub mod store;
