//! Reading a small `multipart/form-data` body (photos of documents sent from a phone together with
//! a few text fields), already held in memory under the upload body limit. Large files go through
//! the streaming upload of the web crate instead.

use axum::http::{HeaderMap, header};
use minzheng_store::attachments::AttachmentPolicy;

/// Room for a form's text fields and part headers beside its files.
const FIELDS_BYTES: usize = 1024 * 1024;

/// The body limit of every request that carries files: a file as large as the attachment store
/// takes at all (its default policy), with the form's other fields, and never more than the server
/// takes (`max_body_bytes`). Each file is then held to its own area's policy by the store, so
/// several photos of a phone fit in one form, and a file too large for its area is refused by
/// name rather than cut off.
pub fn upload_body_limit(server_max: usize) -> usize {
    let largest_file = usize::try_from(AttachmentPolicy::default().max_bytes).unwrap_or(usize::MAX);
    largest_file.saturating_add(FIELDS_BYTES).min(server_max)
}

/// Whether a request carries files (a `multipart/form-data` form, or raw bytes), so that
/// [`upload_body_limit`] applies to it rather than the limit of text forms and JSON.
pub fn is_upload(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v.starts_with("multipart/form-data") || v.starts_with("application/octet-stream")
        })
}

/// One part of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The form field's name.
    pub name: String,
    /// The file name, for a file field (empty when the user chose no file).
    pub file_name: Option<String>,
    /// The content.
    pub bytes: Vec<u8>,
}

impl Part {
    /// A text field's value, trimmed.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).trim().to_owned()
    }

    /// Whether the part is a file the user actually chose.
    pub fn is_file(&self) -> bool {
        self.file_name.as_deref().is_some_and(|f| !f.is_empty())
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() || from > hay.len() - needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

fn attribute(head: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let mut from = 0;
    while let Some(i) = head[from..].find(&key) {
        let at = from + i;
        // `name=` must not be the tail of `filename=`.
        if name == "name" && head[..at].ends_with("file") {
            from = at + key.len();
            continue;
        }
        let rest = &head[at + key.len()..];
        return rest.find('"').map(|j| rest[..j].to_owned());
    }
    None
}

/// Splits the body into its parts; the error is a Chinese message for the user.
pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Vec<Part>, String> {
    let incomplete = || "上传内容不完整，请重新选择照片后提交".to_owned();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_owned())
        .ok_or_else(|| "请以 multipart/form-data 方式上传照片".to_owned())?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, &delimiter, 0).ok_or_else(incomplete)?;
    loop {
        let start = pos + delimiter.len();
        if body.get(start..start + 2) == Some(b"--") {
            return Ok(parts);
        }
        let head_start = start + 2;
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or_else(incomplete)?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]).into_owned();
        let next = find(body, &delimiter, head_end + 4).ok_or_else(incomplete)?;
        let data_end = next.saturating_sub(2).max(head_end + 4);
        if let Some(name) = attribute(&head, "name") {
            parts.push(Part {
                name,
                file_name: attribute(&head, "filename"),
                bytes: body[head_end + 4..data_end].to_vec(),
            });
        }
        pos = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files_are_split() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=XyZ".parse().unwrap(),
        );
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nid_card\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"\"\r\n\r\n\r\n--XyZ--\r\n";
        let parts = parse(&headers, body).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].text()),
            ("kind", "id_card".into())
        );
        assert!(!parts[0].is_file());
        assert_eq!(parts[1].file_name.as_deref(), Some("a.jpg"));
        assert_eq!(parts[1].bytes, vec![0xff, 0xd8, 0xff]);
        assert!(parts[1].is_file() && !parts[2].is_file());
        assert!(parse(&headers, b"--XyZ\r\nbroken").is_err());
        assert!(parse(&HeaderMap::new(), body).is_err());
    }
}
