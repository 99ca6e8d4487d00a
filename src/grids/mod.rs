//! Grid governance (DOMAIN.md §8): 全科网格 and 微网格, buildings with their 楼栋党小组 and
//! in-service members (包楼联户, 双报到), households, residents and special groups.

pub mod import;
pub mod model;
pub mod store;
