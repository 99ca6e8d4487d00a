//! Delegates to Party congresses (党代表, DOMAIN.md §2, seed [004]): county, city and province
//! congresses, the five-year term, the quarterly review (一季一析) and the termination of a
//! delegate's qualification.
//!
//! [`rules`] holds the pure rules, [`store`] the records; pages and API are in `web`.

pub mod rules;
pub mod store;
