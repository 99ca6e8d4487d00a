//! Uploaded photos and files: the type comes from the bytes, the name loses any path.

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
