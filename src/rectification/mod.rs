//! Rectification of weak and lax organizations (软弱涣散, DOMAIN.md §12).
//!
//! - `rules`: pure rules (reasons, the four helping forces, “四个一”, 销号, suggestions).
//! - `store`: cases, forces, problems, history, the board and the suggestions from records.

pub mod rules;
pub mod store;
