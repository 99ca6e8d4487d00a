//! Per-address counters for the public pages: a fixed window per (purpose, address).
//! In memory, per process: enough for one server; a restart forgets the counts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::error::AppError;

/// The caller's address for per-address limits: the peer, or, when `[public]
/// trusted_proxy_header` is set, the last address in that header (the one the proxy added).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<super::AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &super::AppState) -> Result<Self, Self::Rejection> {
        if let Some(h) = state.rules.public.trusted_proxy_header.as_deref() {
            let from_header = parts
                .headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if let Some(ip) = from_header {
                return Ok(ClientIp(ip));
            }
        }
        // Served without connection info (never by `web::serve`): one shared bucket.
        let peer = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        Ok(ClientIp(peer))
    }
}

/// (purpose, address) → (window start, uses in the window).
type Windows = HashMap<(&'static str, IpAddr), (Instant, u32)>;

#[derive(Default)]
pub struct Limiter {
    windows: Mutex<Windows>,
}

impl Limiter {
    /// Counts one use; refuses with 429 and the wait once `max` uses fall in one `window`.
    pub fn check(&self, purpose: &'static str, ip: IpAddr, max: u32, window: Duration) -> Result<(), AppError> {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = map.entry((purpose, ip)).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= max {
            let wait = window.saturating_sub(now.duration_since(entry.0)).as_secs().max(1);
            return Err(AppError::TooManyRequests {
                code: "rate_limited",
                message: format!("操作过于频繁，请 {} 分钟后再试", wait.div_ceil(60)),
                retry_after_secs: wait,
            });
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_purpose_and_address() {
        let l = Limiter::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let w = Duration::from_secs(60);
        assert!(l.check("submit", a, 2, w).is_ok());
        assert!(l.check("submit", a, 2, w).is_ok());
        assert!(matches!(l.check("submit", a, 2, w), Err(AppError::TooManyRequests { .. })));
        assert!(l.check("submit", b, 2, w).is_ok());
        assert!(l.check("track", a, 2, w).is_ok());
    }
}
