//! Real-name verification (实名核验) of the ID number a citizen binds to their account. A bound
//! number is self-declared until something checks it: an online verifier (the public-security
//! identity service, reached over HTTP), or a member of staff who sees the card at a counter. Until
//! then the account may apply only for a household it registers itself, never for one already in
//! the registry, so typing someone else's number gets nobody into that person's case.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

/// What a verifier says of a number and a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The identity service holds this number under this name.
    Match,
    /// It does not: the binding is refused.
    Mismatch,
    /// No answer (no verifier configured, or the service is down): the binding is kept as
    /// self-declared and can be verified at a counter.
    Unavailable(String),
}

/// Something that checks a number against a name.
pub trait RealNameVerifier: Send + Sync {
    /// A short name recorded with each verification it gives.
    fn name(&self) -> &'static str;
    /// Checks `id_number` (canonical) against `name`.
    fn verify(&self, id_number: &str, name: &str) -> Verdict;
}

/// No online verification: every binding waits for a counter (the default until a deployment
/// configures `real_name_verifier_url`).
#[derive(Debug, Default, Clone, Copy)]
pub struct CounterOnly;

impl RealNameVerifier for CounterOnly {
    fn name(&self) -> &'static str {
        "counter"
    }

    fn verify(&self, _: &str, _: &str) -> Verdict {
        Verdict::Unavailable("未配置在线实名核验，请到街道或社区窗口核验".into())
    }
}

/// Posts `{"id_number","name"}` as JSON to the identity service and reads `{"match": true|false}`.
/// Plain HTTP to a service on the government network or a local TLS proxy, like the SMS gateway.
#[derive(Debug, Clone)]
pub struct HttpVerifier {
    /// `http://host:port/path`.
    pub url: String,
    /// Connect and read time limit.
    pub timeout: std::time::Duration,
}

impl RealNameVerifier for HttpVerifier {
    fn name(&self) -> &'static str {
        "identity_service"
    }

    fn verify(&self, id_number: &str, name: &str) -> Verdict {
        match self.ask(id_number, name) {
            Ok(true) => Verdict::Match,
            Ok(false) => Verdict::Mismatch,
            Err(e) => {
                tracing::warn!(error = %e, "real-name verification unavailable");
                Verdict::Unavailable("实名核验服务暂时无法使用，可稍后再试或到窗口核验".into())
            }
        }
    }
}

impl HttpVerifier {
    fn ask(&self, id_number: &str, name: &str) -> Result<bool, String> {
        let rest = self
            .url
            .strip_prefix("http://")
            .ok_or("核验服务地址须以 http:// 开头")?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = host
            .to_socket_addrs()
            .map_err(|e| format!("{host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host}: no address"))?;
        let mut s = TcpStream::connect_timeout(&addr, self.timeout).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        let body = serde_json::json!({ "id_number": id_number, "name": name }).to_string();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        s.take(64 * 1024)
            .read_to_end(&mut answer)
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&answer);
        let (head, body) = text.split_once("\r\n\r\n").ok_or("no body")?;
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if !(200..300).contains(&status) {
            return Err(format!("status {status}"));
        }
        let v: serde_json::Value = serde_json::from_str(body.trim()).map_err(|e| e.to_string())?;
        v.get("match")
            .and_then(serde_json::Value::as_bool)
            .ok_or_else(|| "no match field".into())
    }
}

/// A verifier that answers from a fixed list, for tests and the demo's own citizens.
#[derive(Debug, Default, Clone)]
pub struct ListVerifier {
    /// Number and name pairs the "service" holds.
    pub known: Vec<(String, String)>,
}

impl RealNameVerifier for ListVerifier {
    fn name(&self) -> &'static str {
        "list"
    }

    fn verify(&self, id_number: &str, name: &str) -> Verdict {
        match self.known.iter().find(|(n, _)| n == id_number) {
            Some((_, known)) if known == name => Verdict::Match,
            Some(_) => Verdict::Mismatch,
            None => Verdict::Mismatch,
        }
    }
}
