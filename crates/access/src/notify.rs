//! The notification outbox: messages to citizens and staff (one-time codes, application results,
//! booking confirmations) are written in the same transaction as the change that causes them, then
//! delivered by a background worker through a [`Sender`]. A message is never lost when the gateway is
//! down: it stays queued and is retried with growing pauses, and any instance may deliver it, each
//! message claimed by exactly one (`FOR UPDATE SKIP LOCKED` on PostgreSQL).

use crate::{AccessError, now_text};
use chrono::{DateTime, Duration, Utc};
use minzheng_store::audit::{self, AuditContext, AuditEntry};
use minzheng_store::{Backend, Db, Tx, params};
use serde::Serialize;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A text message to a mobile number.
    Sms,
    /// A message to a staff account's inbox.
    Staff,
}

impl Channel {
    fn id(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Staff => "staff",
        }
    }
}

/// A queued or sent message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Message {
    /// Its id.
    pub id: i64,
    /// `sms` or `staff`.
    pub channel: String,
    /// Phone number or account name.
    pub recipient: String,
    /// Short subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// `queued` or `sent`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// Which sender delivered it.
    pub sent_via: Option<String>,
    /// When it was queued.
    pub created_at: String,
}

/// Queues a message inside the caller's transaction (so it exists exactly when the change does).
pub fn enqueue(
    tx: &mut Tx<'_>,
    ctx: &AuditContext,
    channel: Channel,
    recipient: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<i64, AccessError> {
    insert(tx, ctx, channel, recipient, subject, body, false, now)
}

/// Queues a message whose text is a secret (a one-time code): once a gateway has delivered it, its
/// text is replaced by [`REDACTED_BODY`], so the outbox never keeps codes in clear.
pub fn enqueue_secret(
    tx: &mut Tx<'_>,
    ctx: &AuditContext,
    channel: Channel,
    recipient: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<i64, AccessError> {
    insert(tx, ctx, channel, recipient, subject, body, true, now)
}

/// What a delivered secret message's text becomes.
pub const REDACTED_BODY: &str = "（内容含验证码，已送达，不再保留）";

#[allow(clippy::too_many_arguments)]
fn insert(
    tx: &mut Tx<'_>,
    ctx: &AuditContext,
    channel: Channel,
    recipient: &str,
    subject: &str,
    body: &str,
    redact: bool,
    now: DateTime<Utc>,
) -> Result<i64, AccessError> {
    let id: i64 = tx
        .query_one(
            "INSERT INTO notification (channel, recipient, subject, body, status, attempts, next_attempt_at, created_at, redact_after_delivery)
             VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5, $6) RETURNING id",
            params![channel.id(), recipient, subject, body, now_text(now), redact],
        )?
        .get(0)?;
    audit::append(
        tx,
        ctx,
        AuditEntry {
            action: "notification.enqueue",
            record_type: "notification",
            record_id: id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "channel": channel.id(), "subject": subject }),
        },
    )?;
    Ok(id)
}

/// Something that delivers messages.
pub trait Sender: Send + Sync {
    /// A short name recorded with each delivered message.
    fn name(&self) -> &'static str;
    /// Delivers one message, or says why not.
    fn send(&self, message: &Message) -> Result<(), String>;
    /// Whether delivered messages are read from the outbox itself (the development inbox), so
    /// their text must stay; a real gateway has them, and secrets are then removed.
    fn is_development_inbox(&self) -> bool {
        false
    }
}

/// The built-in sender: writes each message to the log; the development inbox page lists them.
#[derive(Debug, Default)]
pub struct LogSender;

impl Sender for LogSender {
    fn name(&self) -> &'static str {
        "log"
    }

    fn send(&self, m: &Message) -> Result<(), String> {
        tracing::info!(id = m.id, channel = %m.channel, recipient = %minzheng_kernel::mask::phone(&m.recipient), subject = %m.subject, "message delivered to the development inbox");
        Ok(())
    }

    fn is_development_inbox(&self) -> bool {
        true
    }
}

/// Posts each message as JSON (`{"to","subject","text","id"}`) to an SMS gateway's HTTP endpoint;
/// any 2xx answer is delivery. Plain HTTP to a gateway on the internal network or a local TLS proxy.
#[derive(Debug, Clone)]
pub struct HttpSender {
    /// `http://host:port/path`.
    pub url: String,
    /// Connect and read time limit.
    pub timeout: std::time::Duration,
}

impl Sender for HttpSender {
    fn name(&self) -> &'static str {
        "sms_gateway"
    }

    fn send(&self, m: &Message) -> Result<(), String> {
        let rest = self
            .url
            .strip_prefix("http://")
            .ok_or("网关地址须以 http:// 开头")?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = host
            .to_socket_addrs()
            .map_err(|e| format!("网关地址 {host} 无法解析：{e}"))?
            .next()
            .ok_or_else(|| format!("网关地址 {host} 无法解析"))?;
        let mut s = TcpStream::connect_timeout(&addr, self.timeout)
            .map_err(|e| format!("无法连接短信网关：{e}"))?;
        s.set_read_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        let body = serde_json::json!({ "id": m.id, "to": m.recipient, "subject": m.subject, "text": m.body }).to_string();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes())
            .map_err(|e| format!("发送失败：{e}"))?;
        let mut head = [0u8; 64];
        let n = s.read(&mut head).map_err(|e| format!("网关无应答：{e}"))?;
        let status_line = String::from_utf8_lossy(&head[..n]);
        let code: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if (200..300).contains(&code) {
            Ok(())
        } else {
            Err(format!("网关返回状态 {code}"))
        }
    }
}

/// How long a claimed message is reserved for the worker that claimed it.
const CLAIM_FOR: Duration = Duration::minutes(2);

/// The pause before attempt `n + 1`: 10 s doubling up to one hour. Never giving up.
pub fn backoff(attempts: i64) -> Duration {
    let secs = 10_i64.saturating_mul(1_i64 << attempts.clamp(0, 12));
    Duration::seconds(secs.min(3600))
}

fn message_from(r: &minzheng_store::Row) -> Result<Message, AccessError> {
    Ok(Message {
        id: r.get(0)?,
        channel: r.get(1)?,
        recipient: r.get(2)?,
        subject: r.get(3)?,
        body: r.get(4)?,
        status: r.get(5)?,
        attempts: r.get(6)?,
        last_error: r.get(7)?,
        sent_via: r.get(8)?,
        created_at: r.get(9)?,
    })
}

const MESSAGE_COLUMNS: &str =
    "id, channel, recipient, subject, body, status, attempts, last_error, sent_via, created_at";

/// Claims up to `limit` due messages for `worker`; no other worker gets them while claimed.
pub fn claim_due(
    tx: &mut Tx<'_>,
    worker: &str,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Message>, AccessError> {
    let lock = match tx.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE notification SET claimed_by = $1, claimed_until = $2
         WHERE id IN (SELECT id FROM notification
                      WHERE status = 'queued' AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3)
                      ORDER BY id LIMIT $4 {lock})
         RETURNING {MESSAGE_COLUMNS}"
    );
    let rows = tx.query(
        &sql,
        params![worker, now_text(now + CLAIM_FOR), now_text(now), limit],
    )?;
    let mut out: Vec<Message> = rows.iter().map(message_from).collect::<Result<_, _>>()?;
    out.sort_by_key(|m| m.id);
    Ok(out)
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed and were put back with a later attempt time.
    pub failed: usize,
}

/// One pass: claim due messages, deliver each outside any transaction, record each outcome.
pub fn deliver_due(
    db: &Db,
    sender: &dyn Sender,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, AccessError> {
    let claimed = db.write(|tx| claim_due(tx, worker, now, 100))?;
    let mut report = DeliveryReport::default();
    for m in claimed {
        let result = sender.send(&m);
        db.write(|tx| {
            match &result {
                Ok(()) => tx.execute(
                    "UPDATE notification SET status = 'sent', attempts = attempts + 1, sent_at = $1, sent_via = $2,
                        claimed_by = NULL, claimed_until = NULL, last_error = NULL,
                        body = CASE WHEN redact_after_delivery AND $5 THEN $6 ELSE body END
                     WHERE id = $3 AND claimed_by = $4",
                    params![now_text(now), sender.name(), m.id, worker, !sender.is_development_inbox(), REDACTED_BODY],
                )?,
                Err(e) => tx.execute(
                    "UPDATE notification SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2,
                        claimed_by = NULL, claimed_until = NULL WHERE id = $3 AND claimed_by = $4",
                    params![now_text(now + backoff(m.attempts)), e, m.id, worker],
                )?,
            };
            Ok::<_, AccessError>(())
        })?;
        match result {
            Ok(()) => report.sent += 1,
            Err(e) => {
                tracing::warn!(id = m.id, error = %e, "message not delivered; will retry");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// The newest messages, for the development inbox and the staff worklist of undelivered ones.
pub fn recent(tx: &mut Tx<'_>, limit: i64) -> Result<Vec<Message>, AccessError> {
    let rows = tx.query(
        &format!("SELECT {MESSAGE_COLUMNS} FROM notification ORDER BY id DESC LIMIT $1"),
        params![limit],
    )?;
    rows.iter().map(message_from).collect()
}
