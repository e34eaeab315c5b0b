//! Streams an HTTP request body into the attachment store without holding the whole file in memory:
//! the async side forwards body chunks through a small channel to the blocking database writer,
//! which stops (and the transaction rolls back) as soon as the file is refused.

use crate::error::WebError;
use crate::server::AppState;
use bytes::Bytes;
use http_body_util::BodyExt;
use minzheng_store::attachments::{self, AttachmentMeta, AttachmentPolicy};
use minzheng_store::audit::AuditContext;
use std::io::Read;

struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Stores an uploaded body as an attachment in its own transaction, audited as `ctx`.
pub async fn receive(
    state: &AppState,
    body: axum::body::Body,
    file_name: String,
    ctx: AuditContext,
    policy: AttachmentPolicy,
) -> Result<AttachmentMeta, WebError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(4);
    let db = state.db.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let mut reader = ChannelReader {
            rx,
            current: Bytes::new(),
        };
        db.write(|t| attachments::put(t, &mut reader, &file_name, &ctx, &policy))
    });
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let item = match frame {
            Ok(f) => match f.into_data() {
                Ok(data) => Ok(data),
                Err(_) => continue, // trailers carry no file bytes
            },
            Err(e) => Err(format!("上传中断：{e}")),
        };
        let failed = item.is_err();
        if tx.send(item).await.is_err() || failed {
            break; // the writer refused the file or the client broke off: stop reading
        }
    }
    drop(tx);
    match writer.await {
        Ok(Ok(meta)) => Ok(meta),
        Ok(Err(minzheng_store::StoreError::Attachment(m))) => Err(WebError::BadRequest(m)),
        Ok(Err(minzheng_store::StoreError::Io(m))) => Err(WebError::BadRequest(m)),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(WebError::Internal(e.to_string())),
    }
}
