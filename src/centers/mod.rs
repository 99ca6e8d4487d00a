//! Service centers (阵地, DOMAIN.md §15): each village's or community's 党群服务中心 checked
//! against the standards (20 for villages, 12 for communities) with photos, and the signage limits
//! (at most 6 plaques, 12 guide signs).
//!
//! - `rules`: pure rules (the standard lists, the limits, the verdict of one check).
//! - `store`: centers, append-only checks with their photos, the board and ledger of a subtree.

pub mod rules;
pub mod store;
