//! Helpers for HTTP tests: start the real server on port 0 over a fresh test database, and a small
//! blocking HTTP/1.1 client, so every area's tests speak to the server the way a browser does.

use crate::{AppState, Running, WebConfig, spawn};
use minzheng_store::Db;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// The whole application on 127.0.0.1:0 with its own runtime, so the test itself stays a plain
/// blocking test (the PostgreSQL driver must not be called from inside an async task).
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    running: Option<Running>,
    runtime: tokio::runtime::Runtime,
}

impl TestServer {
    /// Starts the application over `db`.
    pub fn start(db: Db) -> TestServer {
        Self::start_with(db, WebConfig::default())
    }

    /// Starts the application over `db` with `config` (its listen address is replaced by port 0).
    pub fn start_with(db: Db, config: WebConfig) -> TestServer {
        Self::start_state(AppState::new(db, config))
    }

    /// Starts the application with a state set up by the test (a sender, a verifier).
    pub fn start_state(state: AppState) -> TestServer {
        let mut state = state;
        let config = WebConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..(*state.config).clone()
        };
        state.config = std::sync::Arc::new(config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime");
        let running = runtime.block_on(spawn(state)).expect("start test server");
        TestServer {
            addr: running.addr,
            running: Some(running),
            runtime,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = self.runtime.block_on(r.stop());
        }
    }
}

/// A response as the test sees it.
#[derive(Debug, Clone)]
pub struct TestResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked (not decompressed).
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The first header of that name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request and reads the whole response (`Connection: close`).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> TestResponse {
    let mut s = TcpStream::connect(addr).expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).expect("write head");
    // A server may answer and close before reading a refused body: ignore write errors here.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse(&raw)
}

/// A GET without extra headers.
pub fn get(addr: SocketAddr, path: &str) -> TestResponse {
    request(addr, "GET", path, &[], b"")
}

fn parse(raw: &[u8]) -> TestResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16)
                .unwrap_or(0);
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[eol + 2 + size + 2..];
        }
        body = out;
    }
    TestResponse {
        status,
        headers,
        body,
    }
}

/// A client that keeps cookies and the CSRF token of the last page, like a browser with forms.
pub struct Browser {
    addr: SocketAddr,
    cookies: Vec<(String, String)>,
    /// The CSRF token found in the last page that had a form.
    pub csrf: Option<String>,
}

impl Browser {
    /// A fresh browser for the server at `addr`.
    pub fn new(addr: SocketAddr) -> Browser {
        Browser {
            addr,
            cookies: Vec::new(),
            csrf: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, r: &TestResponse) {
        for (k, v) in &r.headers {
            if k != "set-cookie" {
                continue;
            }
            let pair = v.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(n, _)| n != name);
                if !value.is_empty() && !v.contains("Max-Age=0") {
                    self.cookies.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        let text = r.text();
        if let Some(i) = text.find("name=\"_csrf\" value=\"") {
            let rest = &text[i + 20..];
            if let Some(end) = rest.find('"') {
                self.csrf = Some(rest[..end].to_owned());
            }
        }
    }

    /// The value of a cookie the server set.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// GET with the cookies.
    pub fn get(&mut self, path: &str) -> TestResponse {
        let c = self.cookie_header();
        let r = request(self.addr, "GET", path, &[("cookie", &c)], b"");
        self.absorb(&r);
        r
    }

    /// POSTs a form with the cookies and the page's CSRF token.
    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone().unwrap_or_default();
        all.push(("_csrf", &csrf));
        self.post_raw(path, &all)
    }

    /// POSTs a form exactly as given (no CSRF token added).
    pub fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        self.post_with_headers(path, fields, &[])
    }

    /// POSTs a form exactly as given with extra headers (an `Origin`, a forwarded address).
    pub fn post_with_headers(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let body = serde_urlencoded::to_string(fields).unwrap_or_default();
        let c = self.cookie_header();
        let mut headers = vec![
            ("cookie", c.as_str()),
            ("content-type", "application/x-www-form-urlencoded"),
        ];
        headers.extend_from_slice(extra);
        let r = request(self.addr, "POST", path, &headers, body.as_bytes());
        self.absorb(&r);
        r
    }

    /// Signs a staff member in through the sign-in form; panics if refused.
    pub fn sign_in(&mut self, username: &str, password: &str) {
        self.get("/sign-in");
        let r = self.post_form(
            "/sign-in",
            &[("username", username), ("password", password)],
        );
        assert_eq!(r.status, 303, "sign-in of {username} refused: {}", r.text());
        assert!(self.cookie(crate::auth::SESSION_COOKIE).is_some());
    }
}
