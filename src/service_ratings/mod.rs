//! 好差评 (DOMAIN.md §16): service windows, residents' ratings, the follow-up of every 差评.
//!
//! - `rules`: pure rules (the five grades, the follow-up time limit, the tally).
//! - `store`: windows, ratings, follow-ups, the report per window and department.

pub mod rules;
pub mod store;
