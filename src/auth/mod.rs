//! Who the caller is and what they may do: passwords, sessions and tokens,
//! the login throttle, roles scoped to subtrees.

pub mod cache;
pub mod password;
pub mod roles;
pub mod scope;
pub mod store;

pub use scope::{cap, Capability, Scope};
