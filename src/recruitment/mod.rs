//! Recruitment (发展党员, DOMAIN.md §3): the way from 入党申请人 through 入党积极分子, 发展对象 and
//! 预备党员 to 正式党员, in the 25 steps of 《中国共产党发展党员工作细则》.
//!
//! [`rules`] holds the pure rules: the steps, the configurable time limits with their sources,
//! whether a step may be taken on a given day ([`rules::check_step`]), the end of the probation
//! ([`rules::probation_outcome`]) and the flags for irregular files and for villages without a
//! new member. [`store`] keeps the files and the pipeline counters.

pub mod rules;
pub mod store;
