//! Volunteering (志愿服务, DOMAIN.md §11): activities with slots, sign-up, the door QR for check-in
//! and check-out, minutes confirmed by the organizer, the 双报到 members' “四季” service ([001]).
//! Confirmed minutes feed members' points (points::members) and households' points (the
//! 文明超市 ledger, points::ledger).
//!
//! - `rules`: pure rules (seasons, the door windows, minutes and points).
//! - `store`: activities, sign-ups, checks, confirmation and corrections, the board, the ledger.

pub mod rules;
pub mod store;
