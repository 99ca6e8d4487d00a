//! One error type for the whole application. API handlers render it as
//! `{"error":{"code","message"}}`; UI handlers wrap it in [`crate::web::ui::UiError`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or outside the caller's scope: the two are indistinguishable on purpose.
    #[error("未找到该记录，或您无权查看")]
    NotFound,
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        field: Option<&'static str>,
    },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A rule refused a step (a recruitment step taken too early, …): which rule, which
    /// article, and from when it will be allowed.
    #[error("{message}")]
    Refused { code: &'static str, message: String, article: String, allowed_from: Option<chrono::NaiveDate> },
    #[error("请先登录")]
    Unauthenticated,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{message}")]
    TooManyRequests {
        code: &'static str,
        message: String,
        retry_after_secs: u64,
    },
    /// It existed, but is no longer available (an expired tracking code).
    #[error("{0}")]
    Gone(String),
    /// Refused at the HTTP boundary before a handler could use the request: a malformed body,
    /// a wrong media type or method, a body over its route's limit, a control character.
    /// `detail` is the framework's English explanation, shown to API callers only.
    #[error("{message}")]
    Boundary { status: StatusCode, code: &'static str, message: String, detail: Option<String> },
    /// A file import refused as a whole; every bad row is listed.
    #[error("文件中有 {} 处错误，未导入任何数据", .0.len())]
    ImportRejected(Vec<crate::members::sheets::RowError>),
    /// A write kept meeting concurrent writes and gave up (503): nothing was written.
    #[error("系统繁忙，本次操作未保存，请稍后重试")]
    Busy,
    /// The tree lock is held by another write: retried by `write_tx!`, never shown.
    #[error("系统繁忙，本次操作未保存，请稍后重试")]
    LockBusy,
    #[error("数据库错误")]
    Db(#[from] sqlx::Error),
    #[error("内部错误")]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid { code, message: message.into(), field: None }
    }
    pub fn invalid_field(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid { code, message: message.into(), field: Some(field) }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict { code, message: message.into() }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden { code: "forbidden", message: message.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid { .. } | AppError::Refused { .. } | AppError::ImportRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Boundary { status, .. } => *status,
            AppError::Busy | AppError::LockBusy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Db(e) if is_unique_violation(e) => StatusCode::CONFLICT,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Invalid { code, .. } => code,
            AppError::Conflict { code, .. } => code,
            AppError::Refused { code, .. } => code,
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden { code, .. } => code,
            AppError::TooManyRequests { code, .. } => code,
            AppError::ImportRejected(_) => "import_rejected",
            AppError::Gone(_) => "expired",
            AppError::Boundary { code, .. } => code,
            AppError::Busy | AppError::LockBusy => "busy",
            AppError::Db(e) if is_unique_violation(e) => "duplicate",
            AppError::Db(_) => "database_error",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// The message shown to the user (Chinese). Internal details go to the log only.
    pub fn message(&self) -> String {
        match self {
            AppError::Db(e) if is_unique_violation(e) => "记录重复：与已有记录冲突，请检查编码、身份证号或用户名".into(),
            other => other.to_string(),
        }
    }

    /// What the log may say about a failure: the kind, the database's code and primary message,
    /// never its detail (PostgreSQL's DETAIL can hold a whole row: ID numbers, phones).
    pub fn log_text(&self) -> String {
        match self {
            AppError::Db(sqlx::Error::Database(e)) => format!("database error {}: {}", e.code().as_deref().unwrap_or("?"), e.message()),
            AppError::Db(e) => format!("database error: {e}"),
            AppError::Internal(e) => format!("internal error: {e:#}"),
            other => format!("{}: {}", other.code(), other.message()),
        }
    }

    /// SQLITE_BUSY, SQLSTATE 40001/40P01, and SQLITE_CANTOPEN (seen transiently under load when a
    /// new pooled connection opens the WAL) mean "try the whole transaction again".
    pub fn is_retryable(&self) -> bool {
        match self {
            AppError::LockBusy => true,
            AppError::Db(sqlx::Error::Database(e)) => {
                matches!(e.code().as_deref(), Some("40001") | Some("40P01") | Some("5") | Some("517") | Some("14"))
            }
            _ => false,
        }
    }
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            matches!(d.kind(), sqlx::error::ErrorKind::UniqueViolation)
                || matches!(d.code().as_deref(), Some("23505") | Some("2067") | Some("1555"))
        }
        _ => false,
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorInner<'a>,
}

#[derive(Serialize)]
struct ErrorInner<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<&'a [crate::members::sheets::RowError]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    /// For a refused step: `{"article": "第十三条", "allowed_from": "2026-03-05"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<serde_json::Value>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self.log_text(), "request failed");
        }
        let field = match &self {
            AppError::Invalid { field, .. } => *field,
            _ => None,
        };
        let rows = match &self {
            AppError::ImportRejected(rows) => Some(rows.as_slice()),
            _ => None,
        };
        let detail = match &self {
            AppError::Boundary { detail, .. } => detail.as_deref(),
            _ => None,
        };
        let rule = match &self {
            AppError::Refused { article, allowed_from, .. } => Some(serde_json::json!({ "article": article, "allowed_from": allowed_from })),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorInner { code: self.code(), message: self.message(), field, rows, detail, rule },
        };
        let mut resp = (status, axum::Json(body)).into_response();
        if matches!(self, AppError::Busy | AppError::LockBusy) {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        }
        if let AppError::TooManyRequests { retry_after_secs, .. } = &self {
            if let Ok(v) = retry_after_secs.to_string().parse() {
                resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        resp
    }
}
