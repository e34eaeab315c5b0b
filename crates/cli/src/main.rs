//! `minzheng`: the one binary of the platform. Every command runs the same services as the web.

mod assistance;
mod audit;
mod bench;
mod benefits;
mod check;
mod config;
mod demo;
mod generate;
mod governance;
mod institutions;
mod logwriter;
mod marriage;
mod payroll;
mod reference;
mod user;

use clap::{Parser, Subcommand};
use config::{Config, LogFormat};
use minzheng_store::{DatabaseUrl, Db, migrations};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "minzheng", version, about = "重庆市民政综合服务平台 minzheng")]
struct Cli {
    /// Configuration file (TOML); default ./minzheng.toml when it exists.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Database address: sqlite:PATH (default sqlite:minzheng-data/minzheng.db) or postgres://…
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Log format.
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the web server (migrates the database first).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<String>,
        /// Loads the demo data set when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Brings the database schema up to date.
    Migrate,
    /// Fills an empty database with the demo data set.
    Demo,
    /// Copies the running SQLite database to a file (for PostgreSQL: how to use pg_dump).
    Backup {
        /// Where the copy goes; an existing file is never overwritten.
        #[arg(long)]
        to: PathBuf,
    },
    /// Runs a named benchmark scenario and prints its figures (table and one JSON line).
    Bench {
        #[command(subcommand)]
        scenario: bench::BenchCommand,
    },
    /// Checks ID numbers or credit codes, one per line on standard input, one JSON line out each.
    Check {
        #[command(subcommand)]
        kind: check::CheckCommand,
    },
    /// The working-day calendar: add working days, count them, load a new year's notice.
    Calendar {
        #[command(subcommand)]
        command: reference::CalendarCommand,
    },
    /// The region tree of Chongqing on any date.
    Regions {
        #[command(subcommand)]
        command: reference::RegionsCommand,
    },
    /// The audit log: verify the keyed hash chain against its checkpoints, write a checkpoint,
    /// add a key.
    Audit {
        #[command(subcommand)]
        command: audit::Command,
    },
    /// Writes a deterministic synthetic population into an empty registry (demos, load tests).
    Generate {
        /// demo (渝中区 and 沙坪坝区, 1,000 households), district[:CODE] (25,000), chongqing (700,000).
        #[arg(long, default_value = "demo")]
        scale: String,
        /// The seed: the same seed and scale always give the same population.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Social assistance: households, applications and their procedure.
    Assistance {
        #[command(subcommand)]
        command: assistance::Command,
    },
    /// Care institutions and community facilities.
    Institutions {
        #[command(subcommand)]
        command: institutions::Command,
    },
    /// Marriage registration offices, slots and bookings.
    Marriage {
        #[command(subcommand)]
        command: marriage::Command,
    },
    /// The monthly payroll: compute, approve, authorize, bank files, returns, close, report.
    Payroll {
        /// Act as this staff account (its role and region scope); without it, as the system
        /// (the city administrator's rights: a district's approval needs a district account).
        #[arg(long = "as", global = true)]
        actor: Option<String>,
        #[command(subcommand)]
        command: payroll::Command,
    },
    /// Benefits: policy what-ifs (政策调整测算) and enrolment imports.
    Benefits {
        /// Act as this staff account (its role and region scope); without it, as the system.
        #[arg(long = "as", global = true)]
        actor: Option<String>,
        #[command(subcommand)]
        command: benefits::Command,
    },
    /// Grassroots governance: residents' requests, councils, duty lists.
    Governance {
        #[command(subcommand)]
        command: governance::Command,
    },
    /// Manages staff accounts (as the system: every scope).
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Prints the version and the schema version this binary brings.
    Version,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = run(cli);
    logwriter::flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("错误：{message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let vars: Vec<(String, String)> = std::env::vars().collect();
    let mut config = Config::load(cli.config.as_deref(), &vars)?;
    let cli_url = cli.database_url.clone();
    if let Some(url) = cli.database_url {
        config.database_url = url;
    }
    if let Some(f) = cli.log_format {
        config.log_format = f;
    }
    if let Command::Serve {
        listen: Some(l), ..
    } = &cli.command
    {
        config.listen = l.clone();
    }
    init_logging(&config)?;
    match cli.command {
        Command::Version => {
            println!(
                "minzheng {} (schema {})",
                env!("CARGO_PKG_VERSION"),
                migrations::MIGRATIONS.last().map(|m| m.name).unwrap_or("-")
            );
            Ok(())
        }
        Command::Migrate => {
            let db = open(&config)?;
            let report = migrations::migrate(&db).map_err(|e| e.to_string())?;
            let seeded = db
                .write(minzheng_reference::parameters::sync_seed)
                .map_err(|e| e.to_string())?;
            println!("政策参数：新增 {seeded} 行");
            println!(
                "已应用 {} 个迁移，原有 {} 个",
                report.applied.len(),
                report.already
            );
            for name in report.applied {
                println!("  {name}");
            }
            Ok(())
        }
        Command::Demo => {
            let db = open_migrated(&config)?;
            let report = demo::load(&db)?;
            println!("{report}");
            Ok(())
        }
        Command::Backup { to } => {
            let url = DatabaseUrl::parse(&config.database_url).map_err(|e| e.to_string())?;
            if let DatabaseUrl::Postgres(_) = url {
                println!("{}", minzheng_store::backup::POSTGRES_ADVICE);
                return Ok(());
            }
            let db = open(&config)?;
            let pages =
                minzheng_store::backup::sqlite_backup(&db, &to).map_err(|e| e.to_string())?;
            println!("已备份到 {}（{pages} 页，完整性检查通过）", to.display());
            Ok(())
        }
        Command::Serve { demo, .. } => serve(&config, demo),
        Command::Check { kind } => check::run(kind),
        Command::Assistance { command } => assistance::run(&config, command),
        Command::Institutions { command } => institutions::run(&config, command),
        Command::Marriage { command } => marriage::run(&config, command),
        Command::Governance { command } => governance::run(&config, command),
        Command::Payroll { actor, command } => payroll::run(&config, actor.as_deref(), command),
        Command::Benefits { actor, command } => benefits::run(&config, actor.as_deref(), command),
        Command::Generate { scale, seed } => {
            let scale = minzheng_synth::Scale::parse(&scale).map_err(|e| e.to_string())?;
            let db = open_migrated(&config)?;
            let g = generate::run(&db, scale, seed, true)?;
            println!(
                "已写入 {} 户、{} 人、{} 条待遇记录（在保 {} 人），用时 {:.1} 秒（{:.0} 人/秒）",
                g.households,
                g.people,
                g.enrolments,
                g.beneficiaries,
                g.seconds,
                g.people as f64 / g.seconds.max(0.001)
            );
            Ok(())
        }
        Command::Audit { command } => audit::run(&config, command),
        Command::Calendar { command } => {
            let db = open_migrated(&config)?;
            reference::calendar(&db, command)
        }
        Command::Regions { command } => reference::regions(command),
        Command::Bench { scenario } => {
            let url = std::env::var("MINZHENG_DATABASE_URL")
                .ok()
                .or(cli_url.clone());
            bench::run(url.as_deref(), scenario)
        }
        Command::User { command } => {
            let db = open_migrated(&config)?;
            user::run(&db, command)
        }
    }
}

fn init_logging(config: &Config) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .map_err(|e| format!("日志级别 {} 无效：{e}", config.log_level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(logwriter::start());
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    Ok(())
}

/// Reads an imported file as text by the one reader of every import (UTF-8 or GBK), saying in
/// Chinese what a file in another encoding looks like and how to save it again.
pub(crate) fn read_import(path: &std::path::Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("无法读取 {}：{e}", path.display()))?;
    let file = minzheng_kernel::text_file::decode(&bytes)
        .map_err(|e| format!("{}：{e}", path.display()))?;
    if file.encoding != minzheng_kernel::text_file::Encoding::Utf8 {
        eprintln!(
            "提示：{} 为 {} 编码，已按 {} 读取",
            path.display(),
            file.encoding.name(),
            file.encoding.name()
        );
    }
    Ok(file.text)
}

/// Opens the database with the audit keys of the configuration (see `audit::attach_keys`).
fn open(config: &Config) -> Result<Db, String> {
    // Resolved and read first: PostgreSQL without a key file, or a configured file that is not
    // there, is refused before anything connects.
    let files = audit::files(config)?;
    let keys = audit::load_keys(config, &files)?;
    let db = open_unkeyed(config)?;
    audit::attach_keys(&db, keys, &files)?;
    Ok(db)
}

/// Opens the database without audit keys: only for what writes no audit rows.
fn open_unkeyed(config: &Config) -> Result<Db, String> {
    let url = DatabaseUrl::parse(&config.database_url).map_err(|e| e.to_string())?;
    Db::open(&url, config.pool_size).map_err(|e| e.to_string())
}

fn open_migrated(config: &Config) -> Result<Db, String> {
    let db = open(config)?;
    let report = migrations::migrate(&db).map_err(|e| e.to_string())?;
    if !report.applied.is_empty() {
        tracing::info!(applied = ?report.applied, "database migrated");
    }
    let seeded = db
        .write(minzheng_reference::parameters::sync_seed)
        .map_err(|e| e.to_string())?;
    if seeded > 0 {
        tracing::info!(rows = seeded, "policy parameters seeded");
    }
    Ok(db)
}

fn serve(config: &Config, demo: bool) -> Result<(), String> {
    let listen = config.listen_addr()?;
    let db = open_migrated(config)?;
    let checkpoints = std::sync::Arc::new(audit::Checkpoints::new(
        db.clone(),
        audit::files(config)?.checkpoint_file,
    ));
    let checkpoint_every = std::time::Duration::from_secs(config.audit_checkpoint_interval_secs);
    if demo {
        match demo::load(&db) {
            Ok(report) => tracing::info!(%report, "demo data loaded"),
            Err(reason) => tracing::info!(%reason, "demo data not loaded"),
        }
    }
    let web_config = minzheng_web::WebConfig {
        listen,
        request_timeout: std::time::Duration::from_secs(config.request_timeout_secs),
        max_body_bytes: config.max_body_bytes,
        trusted_proxies: minzheng_web::proxies::TrustedProxies::parse(&config.trusted_proxies)?,
    };
    let mut state = minzheng_web::AppState::new(db.clone(), web_config);
    state.secure_cookies = config.secure_cookies;
    if let Some(url) = &config.real_name_verifier_url {
        state.verifier = std::sync::Arc::new(minzheng_access::identity::HttpVerifier {
            url: url.clone(),
            timeout: std::time::Duration::from_secs(10),
        });
    }
    if let Some(url) = &config.sms_gateway_url {
        state.sender = std::sync::Arc::new(minzheng_access::notify::HttpSender {
            url: url.clone(),
            timeout: std::time::Duration::from_secs(10),
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("无法启动运行时：{e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("无法监听 {listen}：{e}"))?;
        tracing::info!(
            %listen,
            database = %db.url().redacted(),
            config = ?config.file,
            "minzheng {} serving",
            env!("CARGO_PKG_VERSION")
        );
        let periodic = tokio::spawn(checkpoints.clone().every(checkpoint_every));
        let served = minzheng_web::serve(state, listener, shutdown_signal()).await;
        periodic.abort();
        checkpoints.last().await;
        served.map_err(|e| format!("服务异常退出：{e}"))?;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
