//! Sessions read in the last few seconds, so a token needs no query on every request (a
//! dashboard screen or an API client polling). An entry lives [`TTL`]; every change to sessions,
//! users, roles or the tree clears the whole cache ([`forget_all`]), so a logout, a revoked
//! role or a disabled account takes effect on this server at once. A request racing such a
//! change inside its transaction may keep the old view for at most [`TTL`], as may another
//! server of the same database.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::roles::Actor;

pub const TTL: Duration = Duration::from_secs(5);
/// Entries kept at most; past it the cache starts again empty.
const MAX: usize = 20_000;

struct Entry {
    actor: Actor,
    at: Instant,
    expires_at: i64,
}

fn map() -> &'static Mutex<HashMap<(String, &'static str), Entry>> {
    static MAP: OnceLock<Mutex<HashMap<(String, &'static str), Entry>>> = OnceLock::new();
    MAP.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The actor of a session read within [`TTL`] and not expired.
pub fn get(hash: &str, kind: &'static str, now_secs: i64) -> Option<Actor> {
    let m = map().lock().ok()?;
    let e = m.get(&(hash.to_string(), kind))?;
    (e.at.elapsed() < TTL && e.expires_at > now_secs).then(|| e.actor.clone())
}

pub fn put(hash: &str, kind: &'static str, actor: &Actor, expires_at: i64) {
    if let Ok(mut m) = map().lock() {
        if m.len() >= MAX {
            m.clear();
        }
        m.insert((hash.to_string(), kind), Entry { actor: actor.clone(), at: Instant::now(), expires_at });
    }
}

/// Sessions, users, roles or org paths changed: read every session afresh.
pub fn forget_all() {
    if let Ok(mut m) = map().lock() {
        m.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(id: i64) -> Actor {
        Actor { user_id: id, username: "u".into(), display_name: "u".into(), member_id: None, grants: vec![], csrf: None, must_change_password: false }
    }

    #[test]
    fn entries_expire_with_their_session_and_go_on_any_change() {
        put("h1", "api", &actor(1), 100);
        assert_eq!(get("h1", "api", 99).map(|a| a.user_id), Some(1));
        assert!(get("h1", "api", 100).is_none(), "the session itself expired");
        assert!(get("h1", "web", 99).is_none(), "another kind of session");
        put("h2", "api", &actor(2), 100);
        forget_all();
        assert!(get("h2", "api", 0).is_none());
    }
}
