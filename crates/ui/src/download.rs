//! How a stored file leaves the server: photos are shown in the page, anything else (a PDF, an
//! office file) is a download, so a document uploaded by one person is never rendered as an active
//! page under this site's origin; and since these files are personal data, no cache keeps them.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The types a page may show inline.
const INLINE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/gif"];

/// `attachment` with an ASCII fallback name and the real one per RFC 5987 (`filename*`).
pub fn content_disposition(name: &str) -> String {
    // Old clients get the ASCII part (`500103-2020-03.xlsx`); the others read `filename*`.
    let fallback: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let fallback = fallback.trim_start_matches(['-', '_', '.']);
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            )
        {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A stored file as a response: its detected type, inline only for photos, never cached.
pub fn stored_file(content_type: &str, file_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = if INLINE_TYPES.contains(&content_type) {
        "inline".to_owned()
    } else {
        content_disposition(file_name)
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdfs_are_downloads_and_photos_are_shown() {
        let pdf = stored_file("application/pdf", "户口簿.pdf", b"%PDF-1.4".to_vec());
        let d = pdf.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(d.starts_with("attachment; filename=\"pdf\""), "{d}");
        assert!(d.contains("filename*=UTF-8''%E6%88%B7"), "{d}");
        let jpg = stored_file("image/jpeg", "a.jpg", vec![0xFF, 0xD8, 0xFF]);
        assert_eq!(jpg.headers()[header::CONTENT_DISPOSITION], "inline");
        assert_eq!(jpg.headers()[header::CACHE_CONTROL], "private, no-store");
    }
}
