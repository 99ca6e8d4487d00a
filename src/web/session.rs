//! Who is calling: bearer tokens for the API, cookies (with CSRF tokens) for the UI.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use crate::auth::roles::Actor;
use crate::auth::store::{actor_for, SessionKind};
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "yh_session";
pub const LOGIN_CSRF_COOKIE: &str = "yh_login_csrf";

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A cookie for the whole site, never readable by scripts; `Secure` when the server is reached
/// over HTTPS (`AppState::secure_cookies`).
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// An API caller, authenticated by `Authorization: Bearer <token>`.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthenticated)?;
        let actor = actor_for(&state.db, token, SessionKind::Api).await?.ok_or(AppError::Unauthenticated)?;
        if actor.must_change_password {
            let own = format!("/api/v1/users/{}/password", actor.user_id);
            let path = parts.uri.path();
            if path != own && path != "/api/v1/auth/logout" && path != "/api/v1/me" {
                return Err(AppError::Forbidden {
                    code: "password_change_required",
                    message: format!("密码由管理员设置，请先修改密码（POST {own}，附 current_password）"),
                });
            }
        }
        Ok(ApiActor(actor))
    }
}

/// A browser user, authenticated by the session cookie; others are sent to the login page.
pub struct WebActor(pub Actor);

pub enum WebRejection {
    Login(String),
    Redirect(String),
    Error(AppError),
}

impl IntoResponse for WebRejection {
    fn into_response(self) -> Response {
        match self {
            WebRejection::Login(next) => Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response(),
            WebRejection::Redirect(to) => Redirect::to(&to).into_response(),
            WebRejection::Error(e) => super::ui::UiError(e).into_response(),
        }
    }
}

impl FromRequestParts<AppState> for WebActor {
    type Rejection = WebRejection;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebRejection> {
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(WebRejection::Login(next));
        };
        match actor_for(&state.db, &token, SessionKind::Web).await {
            // A password set by an administrator is replaced before anything else (the form is on /users).
            Ok(Some(a)) if a.must_change_password && !matches!(parts.uri.path(), "/users" | "/account/password" | "/logout") => {
                Err(WebRejection::Redirect("/users?must_change=1".into()))
            }
            Ok(Some(a)) => Ok(WebActor(a)),
            Ok(None) => Err(WebRejection::Login(next)),
            Err(e) => Err(WebRejection::Error(e)),
        }
    }
}

impl WebActor {
    /// Every state-changing form carries the session's CSRF token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        match &self.0.csrf {
            Some(t) if !submitted.is_empty() && constant_eq(t.as_bytes(), submitted.as_bytes()) => Ok(()),
            _ => Err(AppError::Forbidden { code: "csrf", message: "页面已过期，请刷新页面后重新提交".into() }),
        }
    }
}

pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
