//! The state every handler reaches: the database and the settings, and nothing per user, so any
//! instance can serve any request.

use minzheng_store::{Db, StoreError, Tx};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Settings of the HTTP server, from the config file and `MINZHENG_*` variables.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Longest a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Largest request body accepted (uploads included).
    pub max_body_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: crate::proxies::TrustedProxies,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 25 * 1024 * 1024,
            trusted_proxies: crate::proxies::TrustedProxies::default(),
        }
    }
}

/// What every handler can reach. Holds no per-user state: any instance can serve any request.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Server settings.
    pub config: Arc<WebConfig>,
    /// How long sessions last.
    pub session_policy: minzheng_access::sessions::SessionPolicy,
    /// Whether cookies carry the `Secure` flag (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Who delivers queued messages.
    pub sender: Arc<dyn minzheng_access::notify::Sender>,
    /// Who checks the ID number a citizen binds (real-name verification).
    pub verifier: Arc<dyn minzheng_access::identity::RealNameVerifier>,
}

impl AppState {
    /// A state with the default session policy and the built-in (log) sender.
    pub fn new(db: Db, config: WebConfig) -> Self {
        AppState {
            db,
            config: Arc::new(config),
            session_policy: minzheng_access::sessions::SessionPolicy::default(),
            secure_cookies: false,
            sender: Arc::new(minzheng_access::notify::LogSender),
            verifier: Arc::new(minzheng_access::identity::CounterOnly),
        }
    }
}

impl AppState {
    /// Runs a service in a transaction (a write one when `write`) on a blocking thread, keeping the
    /// async workers free; the error type is the service's own.
    pub async fn run<T, E, F>(&self, write: bool, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || if write { db.write(f) } else { db.read(f) })
            .await
            .map_err(|e| E::from(StoreError::Io(format!("后台任务中断：{e}"))))?
    }
}
