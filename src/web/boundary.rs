//! The HTTP boundary, in one place: body limits, control characters, request ids, security
//! headers, the framework's own rejections rendered in the project's error shapes, `/healthz`,
//! and flash messages kept in the session (never in the URL).
//!
//! Each request passes, outermost first: [`request_id`] → the trace span (method, route
//! pattern, request id; never the query string) → [`boundary`] → the route's body limit →
//! the handler.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::session::{cookie, SESSION_COOKIE};
use super::AppState;
use crate::error::AppError;

// ---------------------------------------------------------------------------
// Body limits
// ---------------------------------------------------------------------------

/// The largest body each kind of route reads, in bytes. Every route gets [`SMALL_BODY`] unless
/// its router names another (`DefaultBodyLimit::max(...)` on that route). The extractors stop
/// reading at the limit and the answer is 413 `body_too_large`: a large body is never buffered
/// whole. A declared `Content-Length` over [`MAX_BODY`] is refused before routing.
///
/// - [`SMALL_BODY`]: login, every JSON and form post (the default).
/// - [`LIST_BODY`]: posts that list many members at once (attendance, enrolments, marks).
/// - [`PUBLIC_FORM_BODY`]: the public request form, text and one photo.
/// - [`MEETING_FILE_BODY`]: one meeting photo or file.
/// - [`IMPORT_BODY`]: a spreadsheet import (members, orgs, households) over HTTP; larger files
///   go through the command line (`yinghuo import …`).
pub const SMALL_BODY: usize = 64 * 1024;
pub const LIST_BODY: usize = 1024 * 1024;
pub const PUBLIC_FORM_BODY: usize = crate::requests::store::MAX_PHOTO_BYTES + 64 * 1024;
pub const MEETING_FILE_BODY: usize = crate::files::MAX_FILE_BYTES + 64 * 1024;
pub const IMPORT_BODY: usize = 50 * 1024 * 1024;
/// No route reads more than this.
pub const MAX_BODY: usize = IMPORT_BODY;

/// JSON and urlencoded bodies up to this size are read here to look for control characters
/// (the routes that take them read at most [`LIST_BODY`]); bigger ones go to their route, whose
/// limit refuses them.
const TEXT_CHECK_BODY: usize = LIST_BODY;

// ---------------------------------------------------------------------------
// Security headers
// ---------------------------------------------------------------------------

/// No inline script anywhere (the little script there is lives in `/static/app.js`); inline
/// styles are allowed; no framing; forms post only here.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                       object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

fn add_security_headers(face: Face, h: &mut HeaderMap) {
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The public tracker carries the private tracking code in its URL: never send it on.
    let referrer = if face == Face::Public { "no-referrer" } else { "same-origin" };
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    // Pages and API answers can carry personal data: never stored by a browser or proxy.
    // Static files set their own Cache-Control.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

// ---------------------------------------------------------------------------
// Who is asking: the error shape depends on the part of the site
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Face {
    /// `/api/…`: `{"error":{"code","message"}}`.
    Api,
    /// `/open311/…`: GeoReport v2's `[{"code","description"}]`.
    Open311,
    /// `/p/…`: the public error page (no login, no menu).
    Public,
    /// Everything else: the Chinese error page.
    Ui,
}

impl Face {
    pub fn of(path: &str) -> Face {
        if path.starts_with("/api/") {
            Face::Api
        } else if path.starts_with("/open311/") {
            Face::Open311
        } else if path == "/p" || path.starts_with("/p/") {
            Face::Public
        } else {
            Face::Ui
        }
    }

    /// An error in this part's own shape.
    pub fn error(self, e: AppError) -> Response {
        match self {
            Face::Api => e.into_response(),
            Face::Open311 => super::public::o311(e),
            Face::Public => super::public::public_error(e),
            Face::Ui => super::ui::UiError(e).into_response(),
        }
    }
}

// ---------------------------------------------------------------------------
// Control characters
// ---------------------------------------------------------------------------

/// A control character other than tab, line feed and carriage return (NUL included).
pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

pub fn control_error() -> AppError {
    AppError::Boundary {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "control_character",
        message: "提交的内容中含有不允许的控制字符（如空字符），请删除后重新提交".into(),
        detail: None,
    }
}

/// For text read by hand (multipart fields, file names): refuses control characters.
pub fn check_text(s: &str) -> Result<(), AppError> {
    if has_control(s) {
        Err(control_error())
    } else {
        Ok(())
    }
}

/// A multipart field that could not be read: too large, or not multipart at all.
pub fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::Boundary { status: StatusCode::BAD_REQUEST, code: "bad_multipart", message: "上传的表单无法读取，请重新选择文件后提交".into(), detail: Some(e.body_text()) }
    }
}

/// A photo or document upload form with its text fields (csrf, kind …) and its `file`.
pub struct UploadForm {
    pub fields: std::collections::HashMap<String, String>,
    file: Option<(String, Vec<u8>)>,
}

impl UploadForm {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// The file, if one was chosen.
    pub fn take_file(&mut self) -> Option<(String, Vec<u8>)> {
        self.file.take().filter(|(_, b)| !b.is_empty())
    }

    /// The file (name, bytes), or `no_file` with `missing` as the message.
    pub fn file(self, missing: &str) -> Result<(String, Vec<u8>), AppError> {
        self.file.ok_or_else(|| AppError::invalid("no_file", missing))
    }
}

/// Reads an upload form; control characters in names and fields are refused.
pub async fn upload_form(mut mp: axum::extract::Multipart) -> Result<UploadForm, AppError> {
    let mut fields = std::collections::HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = mp.next_field().await.map_err(multipart_error)? {
        let Some(name) = field.name().map(str::to_string) else { continue };
        if name == "file" {
            let fname = field.file_name().unwrap_or("附件").to_string();
            check_text(&fname)?;
            let bytes = field.bytes().await.map_err(multipart_error)?;
            file = Some((fname, bytes.to_vec()));
        } else {
            let v = field.text().await.unwrap_or_default();
            check_text(&v)?;
            fields.insert(name, v);
        }
    }
    Ok(UploadForm { fields, file })
}

fn too_large() -> AppError {
    AppError::Boundary { status: StatusCode::PAYLOAD_TOO_LARGE, code: "body_too_large", message: "提交的内容过大，超出了该操作允许的大小".into(), detail: None }
}

/// `%XX` decoded (and `+` as a space in a query), as text; invalid UTF-8 is replaced.
fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json_has_control(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => has_control(s),
        serde_json::Value::Array(a) => a.iter().any(json_has_control),
        serde_json::Value::Object(o) => o.iter().any(|(k, v)| has_control(k) || json_has_control(v)),
        _ => false,
    }
}

fn is_json(ct: &str) -> bool {
    let ct = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"))
}

fn is_form(ct: &str) -> bool {
    ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// Whether a small JSON or urlencoded body holds a control character in any text.
/// Bodies that do not parse are left to the route's extractor (which answers `bad_json` …).
fn body_has_control(ct: &str, body: &[u8]) -> bool {
    if is_json(ct) {
        serde_json::from_slice::<serde_json::Value>(body).map(|v| json_has_control(&v)).unwrap_or(false)
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(|pairs| pairs.iter().any(|(k, v)| has_control(k) || has_control(v)))
            .unwrap_or(false)
    }
}

// ---------------------------------------------------------------------------
// The framework's own rejections, in the project's shapes
// ---------------------------------------------------------------------------

/// A stable code and a Chinese message for a plain-text answer of the framework (axum's
/// extractor rejections, 404, 405). The English text is kept as `detail` for API callers only.
fn classify(status: StatusCode, text: &str) -> (StatusCode, &'static str, &'static str) {
    let t = text.trim_start();
    let starts = |p: &str| t.starts_with(p);
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => (status, "body_too_large", "提交的内容过大，超出了该操作允许的大小"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (status, "unsupported_media_type", "提交内容的类型不对：JSON 请用 Content-Type: application/json，表单请用 application/x-www-form-urlencoded"),
        StatusCode::METHOD_NOT_ALLOWED => (status, "method_not_allowed", "该地址不支持这种请求方式"),
        StatusCode::NOT_FOUND => (status, "not_found", "您访问的地址不存在"),
        _ if starts("Failed to parse the request body as JSON") => (status, "bad_json", "提交的内容不是有效的 JSON"),
        _ if starts("Failed to deserialize the JSON body") => (status, "bad_json", "提交的 JSON 中有字段缺失、类型不对或取值无法识别"),
        _ if starts("Failed to deserialize query string") => (status, "bad_query", "地址中的查询参数无法识别（类型不对或缺少必填项）"),
        _ if starts("Invalid URL") || starts("Wrong number of path arguments") => (status, "bad_path", "地址中的编号或参数无法识别"),
        _ if starts("Failed to deserialize form") => (status, "bad_form", "提交的表单无法识别：缺少必填项或格式不对"),
        _ if t.contains("multipart") || starts("Invalid `boundary`") => (status, "bad_multipart", "上传的表单无法读取，请重新选择文件后提交"),
        _ if starts("Request body didn't contain valid UTF-8") => (status, "bad_encoding", "提交的内容不是有效的 UTF-8 文本"),
        _ if starts("Failed to buffer the request body") => (status, "bad_body", "提交的内容没有完整收到，请重试"),
        s if s.is_server_error() => (s, "internal_error", "内部错误"),
        s => (s, "bad_request", "请求无法识别"),
    }
}

/// An error answer not in one of the project's shapes (plain text or empty) is rewritten.
async fn reshape(face: Face, resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let ct = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !(ct.is_empty() || ct.starts_with("text/plain")) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let (status, code, message) = classify(status, &text);
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), "the framework answered with an error");
    }
    let detail = (face == Face::Api && !text.is_empty() && !status.is_server_error()).then_some(text);
    let mut out = face.error(AppError::Boundary { status, code, message: message.into(), detail });
    // Keep what the framework said about the method (405's Allow).
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

// ---------------------------------------------------------------------------
// The middleware
// ---------------------------------------------------------------------------

tokio::task_local! {
    /// The flash message a handler set for the next page (see [`set_flash`]).
    static FLASH_OUT: Arc<Mutex<Option<String>>>;
}

/// Refuses what no route may take (a declared body over [`MAX_BODY`], control characters in the
/// path, query or a small JSON/form body), renders the framework's rejections in the caller's
/// shape, stores the flash message a handler set, and adds the security headers.
pub async fn boundary(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let face = Face::of(req.uri().path());
    let mut resp = match check(req).await {
        Err(e) => face.error(e),
        Ok(req) => {
            let session = cookie(req.headers(), SESSION_COOKIE);
            let slot = Arc::new(Mutex::new(None));
            let resp = FLASH_OUT.scope(slot.clone(), next.run(req)).await;
            let flash = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let (Some(msg), Some(token)) = (flash, session) {
                if resp.status().is_redirection() {
                    if let Err(e) = store_flash(&state, &token, &msg).await {
                        tracing::warn!(error = %e.log_text(), "flash message not kept");
                    }
                }
            }
            reshape(face, resp).await
        }
    };
    add_security_headers(face, resp.headers_mut());
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
        // The rest of the body was never read: this connection cannot carry another request.
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

async fn check(req: Request) -> Result<Request, AppError> {
    let uri = req.uri();
    if has_control(&percent_decode(uri.path(), false)) || uri.query().is_some_and(|q| has_control(&percent_decode(q, true))) {
        return Err(control_error());
    }
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text_body = !matches!(*req.method(), Method::GET | Method::HEAD) && (is_json(&ct) || is_form(&ct));
    if !text_body || declared.is_some_and(|n| n > TEXT_CHECK_BODY as u64) {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, TEXT_CHECK_BODY).await.map_err(|_| too_large())?;
    if body_has_control(&ct, &bytes) {
        return Err(control_error());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A request id on every request and answer: the caller's `x-request-id` if it is a short
/// token, else a new one. The trace span carries it, so every log line of a request has it.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)))
        .map(str::to_string);
    let id = given.unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()));
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert("x-request-id", value.clone());
    let mut resp = next.run(req).await;
    resp.headers_mut().insert("x-request-id", value);
    resp
}

/// The trace span of a request: method, request id, and (filled in after routing) the route's
/// pattern such as `/members/{id}`. Never the raw path or query: tracking codes, sign-in tokens
/// and searched names stay out of the logs.
pub fn span(req: &Request) -> tracing::Span {
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    tracing::info_span!("request", method = %req.method(), route = tracing::field::Empty, request_id = %id)
}

/// Records the matched route pattern in the request's span (a route layer: runs after routing).
pub async fn record_route(req: Request, next: Next) -> Response {
    if let Some(p) = req.extensions().get::<MatchedPath>() {
        tracing::Span::current().record("route", p.as_str());
    }
    next.run(req).await
}

/// `GET /healthz`: no login; `ok` when the database answers.
pub async fn healthz(State(s): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(&s.db.pool).await {
        Ok(_) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %AppError::from(e).log_text(), "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "unavailable").into_response()
        }
    }
}

// ---------------------------------------------------------------------------
// Flash messages
// ---------------------------------------------------------------------------

/// Keeps `msg` for the next page this session renders. Called by a handler that answers with
/// a redirect ([`super::ui::notice_redirect`]); [`boundary`] stores it in the session after the
/// handler has run, and the next page takes it with [`Flash`]. Nothing goes into the URL, so a
/// crafted link cannot make a real page say anything.
pub fn set_flash(msg: &str) {
    let _ = FLASH_OUT.try_with(|slot| *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(msg.to_string()));
}

async fn store_flash(state: &AppState, token: &str, msg: &str) -> Result<(), AppError> {
    let hash = crate::auth::store::token_hash(token);
    crate::write_tx!(&state.db, |tx| {
        sqlx::query("UPDATE sessions SET flash = $1 WHERE token_hash = $2").bind(msg).bind(&hash).execute(&mut *tx).await?;
        Ok::<_, AppError>(())
    })
}

async fn take_flash(state: &AppState, token: &str) -> Result<Option<String>, AppError> {
    let hash = crate::auth::store::token_hash(token);
    let mut conn = state.db.pool.acquire().await?;
    let pending: Option<Option<String>> = sqlx::query_scalar("SELECT flash FROM sessions WHERE token_hash = $1").bind(&hash).fetch_optional(&mut *conn).await?;
    drop(conn);
    match pending.flatten() {
        None => Ok(None),
        Some(_) => crate::write_tx!(&state.db, |tx| {
            let msg: Option<Option<String>> = sqlx::query_scalar("SELECT flash FROM sessions WHERE token_hash = $1").bind(&hash).fetch_optional(&mut *tx).await?;
            sqlx::query("UPDATE sessions SET flash = NULL WHERE token_hash = $1").bind(&hash).execute(&mut *tx).await?;
            Ok::<_, AppError>(msg.flatten())
        }),
    }
}

/// The flash message left for this page by the previous post, taken (shown once).
pub struct Flash {
    pub notice: Option<String>,
}

impl FromRequestParts<AppState> for Flash {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let notice = match cookie(&parts.headers, SESSION_COOKIE) {
            None => None,
            Some(token) => take_flash(state, &token).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e.log_text(), "flash message not read");
                None
            }),
        };
        Ok(Flash { notice })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters() {
        assert!(has_control("a\0b"));
        assert!(has_control("\u{7f}"));
        assert!(has_control("\u{85}"));
        assert!(!has_control("第一行\n第二行\r\n\t缩进"));
        assert!(has_control(&percent_decode("/p/%00", false)));
        assert!(has_control(&percent_decode("code=ab%0Bc", true)));
        assert!(!has_control(&percent_decode("q=%E7%8E%8B+%25&x=%", true)));
        assert!(body_has_control("application/json", br#"{"a":["x\u0000"]}"#));
        assert!(!body_has_control("application/json", br#"{"a":"x\ny"}"#));
        assert!(body_has_control("application/x-www-form-urlencoded", b"a=1&b=%00"));
        assert!(!body_has_control("application/x-www-form-urlencoded", b"a=1&b=%0D%0A"));
    }

    #[test]
    fn login_next_and_cookies() {
        use crate::web::ui::safe_next;
        for bad in ["/\\evil.example", "//evil.example", "https://evil.example", "/\\/x", "/a\nb", "/a\0", "x", "/名字"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some("/orgs/5?month=2026-11")), "/orgs/5?month=2026-11");
        assert_eq!(safe_next(None), "/");
        use crate::web::session::set_cookie;
        assert!(set_cookie("a", "b", 60, true).ends_with("; Secure"));
        assert!(!set_cookie("a", "b", 60, false).contains("Secure"));
    }

    #[test]
    fn rejection_texts_are_classified() {
        use axum::extract::rejection::{JsonRejection, QueryRejection};
        let code = |s: StatusCode, t: &str| classify(s, t).1;
        assert_eq!(code(StatusCode::BAD_REQUEST, "Failed to parse the request body as JSON: expected value at line 1 column 1"), "bad_json");
        assert_eq!(code(StatusCode::UNPROCESSABLE_ENTITY, "Failed to deserialize the JSON body into the target type: missing field `x`"), "bad_json");
        assert_eq!(code(StatusCode::BAD_REQUEST, "Invalid URL: Cannot parse `abc` to a `i64`"), "bad_path");
        assert_eq!(code(StatusCode::BAD_REQUEST, "Failed to deserialize query string: invalid digit"), "bad_query");
        assert_eq!(code(StatusCode::UNPROCESSABLE_ENTITY, "Failed to deserialize form body: missing field `csrf`"), "bad_form");
        assert_eq!(code(StatusCode::METHOD_NOT_ALLOWED, ""), "method_not_allowed");
        // The texts come from the framework: if an upgrade changes them, this fails.
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[allow(dead_code)]
            n: i64,
        }
        let q: QueryRejection = axum::extract::Query::<T>::try_from_uri(&"/x?n=abc".parse().unwrap()).unwrap_err();
        assert_eq!(code(q.status(), &q.body_text()), "bad_query");
        let j: JsonRejection = axum::Json::<T>::from_bytes(b"{").unwrap_err();
        assert_eq!(code(j.status(), &j.body_text()), "bad_json");
        let j: JsonRejection = axum::Json::<T>::from_bytes(br#"{"n":"x"}"#).unwrap_err();
        assert_eq!(code(j.status(), &j.body_text()), "bad_json");
    }
}
