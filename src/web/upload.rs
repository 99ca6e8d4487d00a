//! Uploaded spreadsheets: streamed, after the caller's permission and CSRF checks, into a private
//! temporary file (mode 0600, removed when dropped) with its own cap, never held whole in memory.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;

use axum::extract::multipart::Field;
use axum::http::StatusCode;
use futures_util::StreamExt as _;

use crate::error::{AppError, AppResult};
use crate::members::sheets::FileKind;

/// An uploaded file on disk, deleted when dropped.
pub struct Upload {
    pub path: std::path::PathBuf,
    pub kind: FileKind,
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The largest upload kept (the import routes' body limit).
pub const MAX_UPLOAD_BYTES: usize = super::boundary::IMPORT_BODY;

/// A file being written: the first bytes are kept to recognise the format. Dropped before
/// `finish` (a refusal, a broken upload), it removes its file.
struct Sink {
    upload: Upload,
    file: std::fs::File,
    head: Vec<u8>,
    written: usize,
}

impl Sink {
    fn new() -> AppResult<Sink> {
        let path = std::env::temp_dir().join(format!("yinghuo-upload-{}", crate::auth::store::random_token()));
        let file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(|e| AppError::Internal(e.into()))?;
        Ok(Sink { upload: Upload { path, kind: FileKind::Csv }, file, head: Vec::new(), written: 0 })
    }

    fn write(&mut self, chunk: &[u8]) -> AppResult<()> {
        self.written += chunk.len();
        if self.written > MAX_UPLOAD_BYTES {
            return Err(AppError::Boundary {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "body_too_large",
                message: format!("文件超过 {} MB，请拆分后分批导入，或用命令行 yinghuo import 导入", MAX_UPLOAD_BYTES / 1024 / 1024),
                detail: None,
            });
        }
        if self.head.len() < 4096 {
            let take = (4096 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.file.write_all(chunk).map_err(|e| AppError::Internal(e.into()))
    }

    fn finish(self, name_hint: Option<&str>) -> AppResult<Upload> {
        let Sink { mut upload, file, head, written } = self;
        drop(file);
        if written == 0 {
            return Err(AppError::invalid("empty_file", "上传的文件是空的，请选择填好的 .xlsx 或 .csv 文件"));
        }
        upload.kind = name_hint
            .and_then(FileKind::from_name)
            .or_else(|| FileKind::sniff(&head))
            .ok_or_else(|| AppError::invalid("unsupported_file", "无法识别的文件格式，请上传 .xlsx 或 UTF-8 编码的 .csv 文件"))?;
        Ok(upload)
    }
}

/// The raw body of an API import (`application/octet-stream`).
pub async fn from_body(body: axum::body::Body, name_hint: Option<&str>) -> AppResult<Upload> {
    let mut sink = Sink::new()?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| AppError::invalid("upload_broken", format!("文件没有传完整，请重新上传（{e}）")))?;
        sink.write(&chunk)?;
    }
    sink.finish(name_hint)
}

/// The `file` field of a web form, streamed the same way.
pub async fn from_field(mut field: Field<'_>) -> AppResult<Upload> {
    let name = field.file_name().map(str::to_string);
    super::boundary::check_text(name.as_deref().unwrap_or(""))?;
    let mut sink = Sink::new()?;
    while let Some(chunk) = field.chunk().await.map_err(super::boundary::multipart_error)? {
        sink.write(&chunk)?;
    }
    sink.finish(name.as_deref())
}
