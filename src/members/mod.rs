//! Party members' records (DOMAIN.md §2).

pub mod id_card;
pub mod export;
pub mod import;
pub mod model;
pub mod sheet_limits;
pub mod sheets;
pub mod store;
pub mod validate;
