//! Residents' requests (DOMAIN.md §9): 社情民意, 微心愿 and complaints through the closed
//! loop 征集 → 核实 → 公示 → 认领 → 实现 → 反馈/销号, the public tracker and Open311.

pub mod rules;
pub mod store;
