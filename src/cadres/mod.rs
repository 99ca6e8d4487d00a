//! Village cadres and leadership teams (DOMAIN.md §2, seed [004]): the 一人一档 archive of village
//! and community secretaries, the 后备干部库, the 一肩挑 ratio, 选派第一书记 terms, the computable
//! “四不一起” warning signs, and the consistency of a leadership team's posts.
//!
//! [`rules`] holds the pure rules, [`store`] the records; pages and API are in `web`, the
//! leadership team in `orgs::team`.

pub mod rules;
pub mod store;
