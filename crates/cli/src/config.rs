//! Configuration: built-in defaults, then a TOML file, then `MINZHENG_*` variables, then flags.
//! An unknown key or variable is an error, not a silent default: a misspelt setting must not
//! leave a server listening on the wrong address or writing to the wrong database.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The settings after every source is applied.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub database_url: String,
    pub log_format: LogFormat,
    pub log_level: String,
    pub pool_size: usize,
    pub request_timeout_secs: u64,
    pub max_body_bytes: usize,
    pub secure_cookies: bool,
    pub sms_gateway_url: Option<String>,
    /// Reverse proxies (addresses or CIDR blocks) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// The real-name verification service (`http://…`); none: bindings are verified at a counter.
    pub real_name_verifier_url: Option<String>,
    /// The audit key file; none: `audit.key` beside an SQLite database (created on first use),
    /// and an error for PostgreSQL, whose instances must share one file.
    pub audit_key_file: Option<PathBuf>,
    /// Where signed checkpoints of the audit chain go; none: `audit-checkpoints.jsonl` beside
    /// the key file.
    pub audit_checkpoint_file: Option<PathBuf>,
    /// How often `serve` writes a checkpoint (when the chain has grown).
    pub audit_checkpoint_interval_secs: u64,
    /// Where the settings came from, for the start-up log.
    pub file: Option<PathBuf>,
}

/// The default SQLite file, created on first run.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:minzheng-data/minzheng.db";
/// The file read when no `--config` is given and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "minzheng.toml";

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: DEFAULT_DATABASE_URL.into(),
            log_format: LogFormat::Text,
            log_level: "info".into(),
            pool_size: 8,
            request_timeout_secs: 30,
            max_body_bytes: 25 * 1024 * 1024,
            secure_cookies: false,
            sms_gateway_url: None,
            trusted_proxies: Vec::new(),
            real_name_verifier_url: None,
            audit_key_file: None,
            audit_checkpoint_file: None,
            audit_checkpoint_interval_secs: 300,
            file: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    log_format: Option<LogFormat>,
    log_level: Option<String>,
    pool_size: Option<usize>,
    request_timeout_secs: Option<u64>,
    max_body_bytes: Option<usize>,
    secure_cookies: Option<bool>,
    sms_gateway_url: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    real_name_verifier_url: Option<String>,
    audit_key_file: Option<PathBuf>,
    audit_checkpoint_file: Option<PathBuf>,
    audit_checkpoint_interval_secs: Option<u64>,
}

/// Variables this program reads; any other `MINZHENG_*` variable is refused.
/// `MINZHENG_TEST_*` belong to the test suite and are ignored here.
const KNOWN_VARS: &[&str] = &[
    "MINZHENG_CONFIG",
    "MINZHENG_LISTEN",
    "MINZHENG_DATABASE_URL",
    "MINZHENG_LOG_FORMAT",
    "MINZHENG_LOG_LEVEL",
    "MINZHENG_POOL_SIZE",
    "MINZHENG_REQUEST_TIMEOUT_SECS",
    "MINZHENG_MAX_BODY_BYTES",
    "MINZHENG_SECURE_COOKIES",
    "MINZHENG_SMS_GATEWAY_URL",
    "MINZHENG_TRUSTED_PROXIES",
    "MINZHENG_REAL_NAME_VERIFIER_URL",
    "MINZHENG_AUDIT_KEY_FILE",
    "MINZHENG_AUDIT_CHECKPOINT_FILE",
    "MINZHENG_AUDIT_CHECKPOINT_INTERVAL_SECS",
];

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn parse_num<T: std::str::FromStr>(var: &str, value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("环境变量 {var}={value}：应为正整数"))
}

impl Config {
    /// Resolves the settings. `explicit_file` is `--config`; variables come from `vars`.
    pub fn load(explicit_file: Option<&Path>, vars: &[(String, String)]) -> Result<Config, String> {
        let var = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        for (k, _) in vars {
            if k.starts_with("MINZHENG_")
                && !k.starts_with("MINZHENG_TEST_")
                && !KNOWN_VARS.contains(&k.as_str())
            {
                return Err(format!(
                    "未知的环境变量 {k}：可用的有 {}",
                    KNOWN_VARS.join("、")
                ));
            }
        }
        let mut c = Config::default();
        let file = match (explicit_file, var("MINZHENG_CONFIG")) {
            (Some(p), _) => Some(p.to_path_buf()),
            (None, Some(p)) => Some(PathBuf::from(p)),
            (None, None) => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("无法读取配置文件 {}：{e}", path.display()))?;
            let f: FileConfig = toml::from_str(&text).map_err(|e| {
                let line = e.span().map(|s| line_of(&text, s.start)).unwrap_or(0);
                format!(
                    "配置文件 {} 第 {line} 行：{}",
                    path.display(),
                    e.message().trim()
                )
            })?;
            if let Some(v) = f.listen {
                c.listen = v;
            }
            if let Some(v) = f.database_url {
                c.database_url = v;
            }
            if let Some(v) = f.log_format {
                c.log_format = v;
            }
            if let Some(v) = f.log_level {
                c.log_level = v;
            }
            if let Some(v) = f.pool_size {
                c.pool_size = v;
            }
            if let Some(v) = f.request_timeout_secs {
                c.request_timeout_secs = v;
            }
            if let Some(v) = f.max_body_bytes {
                c.max_body_bytes = v;
            }
            if let Some(v) = f.secure_cookies {
                c.secure_cookies = v;
            }
            if let Some(v) = f.sms_gateway_url {
                c.sms_gateway_url = Some(v);
            }
            if let Some(v) = f.trusted_proxies {
                c.trusted_proxies = v;
            }
            if let Some(v) = f.real_name_verifier_url {
                c.real_name_verifier_url = Some(v);
            }
            if let Some(v) = f.audit_key_file {
                c.audit_key_file = Some(v);
            }
            if let Some(v) = f.audit_checkpoint_file {
                c.audit_checkpoint_file = Some(v);
            }
            if let Some(v) = f.audit_checkpoint_interval_secs {
                c.audit_checkpoint_interval_secs = v;
            }
            c.file = Some(path.clone());
        }
        if let Some(v) = var("MINZHENG_LISTEN") {
            c.listen = v;
        }
        if let Some(v) = var("MINZHENG_DATABASE_URL") {
            c.database_url = v;
        }
        if let Some(v) = var("MINZHENG_LOG_FORMAT") {
            c.log_format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(format!(
                        "环境变量 MINZHENG_LOG_FORMAT={v}：应为 text 或 json"
                    ));
                }
            };
        }
        if let Some(v) = var("MINZHENG_LOG_LEVEL") {
            c.log_level = v;
        }
        if let Some(v) = var("MINZHENG_POOL_SIZE") {
            c.pool_size = parse_num("MINZHENG_POOL_SIZE", &v)?;
        }
        if let Some(v) = var("MINZHENG_REQUEST_TIMEOUT_SECS") {
            c.request_timeout_secs = parse_num("MINZHENG_REQUEST_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = var("MINZHENG_MAX_BODY_BYTES") {
            c.max_body_bytes = parse_num("MINZHENG_MAX_BODY_BYTES", &v)?;
        }
        if let Some(v) = var("MINZHENG_SECURE_COOKIES") {
            c.secure_cookies = match v.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err(format!(
                        "环境变量 MINZHENG_SECURE_COOKIES={v}：应为 true 或 false"
                    ));
                }
            };
        }
        if let Some(v) = var("MINZHENG_SMS_GATEWAY_URL") {
            c.sms_gateway_url = Some(v);
        }
        if let Some(v) = var("MINZHENG_TRUSTED_PROXIES") {
            c.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        minzheng_web::proxies::TrustedProxies::parse(&c.trusted_proxies)?;
        if let Some(v) = var("MINZHENG_REAL_NAME_VERIFIER_URL") {
            c.real_name_verifier_url = Some(v);
        }
        if c.real_name_verifier_url
            .as_deref()
            .is_some_and(|u| !u.starts_with("http://"))
        {
            return Err(
                "real_name_verifier_url 应以 http:// 开头（HTTPS 服务请经本机 TLS 代理转发）"
                    .into(),
            );
        }
        if let Some(v) = var("MINZHENG_AUDIT_KEY_FILE") {
            c.audit_key_file = Some(PathBuf::from(v));
        }
        if let Some(v) = var("MINZHENG_AUDIT_CHECKPOINT_FILE") {
            c.audit_checkpoint_file = Some(PathBuf::from(v));
        }
        if let Some(v) = var("MINZHENG_AUDIT_CHECKPOINT_INTERVAL_SECS") {
            c.audit_checkpoint_interval_secs =
                parse_num("MINZHENG_AUDIT_CHECKPOINT_INTERVAL_SECS", &v)?;
        }
        if c.sms_gateway_url
            .as_deref()
            .is_some_and(|u| !u.starts_with("http://"))
        {
            return Err(
                "sms_gateway_url 应以 http:// 开头（HTTPS 网关请经本机 TLS 代理转发）".into(),
            );
        }
        if c.pool_size == 0 {
            return Err("pool_size 必须大于 0".into());
        }
        if c.audit_checkpoint_interval_secs == 0 {
            return Err("audit_checkpoint_interval_secs 必须大于 0".into());
        }
        Ok(c)
    }

    /// The listen address, checked.
    pub fn listen_addr(&self) -> Result<std::net::SocketAddr, String> {
        self.listen.parse().map_err(|_| {
            format!(
                "监听地址 {} 无效：应为 IP:端口，例如 127.0.0.1:8080",
                self.listen
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn file_then_environment_then_defaults() {
        let dir = std::env::temp_dir().join(format!("mz-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.toml");
        std::fs::write(&path, "listen = \"0.0.0.0:9000\"\npool_size = 3\n").unwrap();
        let c = Config::load(
            Some(&path),
            &vars(&[
                ("MINZHENG_POOL_SIZE", "5"),
                ("MINZHENG_TEST_DATABASE_URL", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.pool_size, 5);
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_keys_and_variables_are_refused_with_their_place() {
        let dir = std::env::temp_dir().join(format!("mz-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\n\nlisten_port = 8080\n").unwrap();
        let err = Config::load(Some(&path), &[]).unwrap_err();
        assert!(
            err.contains("第 3 行") && err.contains("listen_port"),
            "{err}"
        );
        let err = Config::load(None, &vars(&[("MINZHENG_LISTN", "1")])).unwrap_err();
        assert!(err.contains("MINZHENG_LISTN"), "{err}");
        let err = Config::load(None, &vars(&[("MINZHENG_POOL_SIZE", "many")])).unwrap_err();
        assert!(err.contains("MINZHENG_POOL_SIZE"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn audit_files_and_the_checkpoint_interval_come_from_file_or_environment() {
        let dir = std::env::temp_dir().join(format!("mz-config-audit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.toml");
        std::fs::write(
            &path,
            "audit_key_file = \"/etc/minzheng/audit.key\"\naudit_checkpoint_interval_secs = 60\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&path),
            &vars(&[("MINZHENG_AUDIT_CHECKPOINT_FILE", "/var/lib/mz/cp.jsonl")]),
        )
        .unwrap();
        assert_eq!(
            c.audit_key_file.as_deref(),
            Some(Path::new("/etc/minzheng/audit.key"))
        );
        assert_eq!(
            c.audit_checkpoint_file.as_deref(),
            Some(Path::new("/var/lib/mz/cp.jsonl"))
        );
        assert_eq!(c.audit_checkpoint_interval_secs, 60);
        assert_eq!(Config::default().audit_checkpoint_interval_secs, 300);
        let err = Config::load(
            None,
            &vars(&[("MINZHENG_AUDIT_CHECKPOINT_INTERVAL_SECS", "0")]),
        )
        .unwrap_err();
        assert!(err.contains("audit_checkpoint_interval_secs"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
