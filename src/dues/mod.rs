//! Party dues (DOMAIN.md §5): amounts by the published brackets, history, payments, arrears.

pub mod rules;
pub mod store;
