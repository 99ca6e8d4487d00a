//! Uploaded photos and files: the type comes from the bytes, the name loses any path. Meetings'
//! photos and cadres' archive documents are stored the same way (name, type, size, sha256, bytes).

use serde::Serialize;
use sqlx::Row as _;

use crate::db::Row;
use crate::error::{AppError, AppResult};

/// One upload is at most 10 MB (a phone photo or a scanned document).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// A stored photo or file, without its bytes.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StoredFile {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub at: i64,
}

impl StoredFile {
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }

    /// From a row with `id, name, content_type, size, sha256, at`.
    pub fn from_row(r: &Row) -> AppResult<StoredFile> {
        Ok(StoredFile {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            content_type: r.try_get("content_type")?,
            size: r.try_get("size")?,
            sha256: r.try_get("sha256")?,
            at: r.try_get("at")?,
        })
    }
}

/// An upload that passed [`check`]: clean name, type from the bytes, digest.
pub struct Checked {
    pub name: String,
    pub content_type: &'static str,
    pub sha256: String,
}

/// Refuses an empty or oversized upload and one whose bytes are not a photo or document.
pub fn check(name: &str, data: &[u8]) -> AppResult<Checked> {
    use sha2::Digest;
    if data.is_empty() {
        return Err(AppError::invalid_field("file_empty", "file", "文件是空的，请重新选择"));
    }
    if data.len() > MAX_FILE_BYTES {
        return Err(AppError::invalid_field("file_too_large", "file", format!("文件过大（{} KB）：每个文件不超过 {} MB", data.len() / 1024, MAX_FILE_BYTES / 1024 / 1024)));
    }
    let name = clean_name(name);
    let content_type = sniff(&name, data).ok_or_else(|| AppError::invalid_field("file_type", "file", "只接受照片（JPG、PNG）和文件（PDF、Word、Excel、PPT 的 docx/xlsx/pptx 格式）"))?;
    let sha256 = sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect::<String>();
    Ok(Checked { name, content_type, sha256 })
}

/// The content type from the file's first bytes (never from what the client claims).
pub fn sniff(name: &str, data: &[u8]) -> Option<&'static str> {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if data.starts_with(b"PK\x03\x04") {
        match ext.as_str() {
            "docx" => Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            "xlsx" => Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            "pptx" => Some("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
            _ => None,
        }
    } else {
        None
    }
}

/// The file name without any directory part or control characters, at most 100 characters.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    let s = s.trim().to_string();
    if s.is_empty() { "附件".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_trusts_bytes_not_names() {
        assert_eq!(sniff("a.png", b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(sniff("a.jpg", b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff("x.docx", b"PK\x03\x04...."), Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"));
        assert_eq!(sniff("x.zip", b"PK\x03\x04...."), None);
        assert_eq!(sniff("x.html", b"<script>alert(1)</script>"), None);
    }

    #[test]
    fn names_lose_directories_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\a\\会议照片.jpg"), "会议照片.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\r\nb.pdf"), "ab.pdf");
        assert_eq!(clean_name("  "), "附件");
    }
}
