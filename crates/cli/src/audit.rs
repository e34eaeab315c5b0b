//! The audit log's keys and checkpoints in the binary: where the key file is, its creation on the
//! first start of an SQLite deployment, the `audit` commands, and the checkpoint task of `serve`.
//!
//! The key file never lives in the database: whoever can write the database must not be able to
//! re-seal what they changed. A PostgreSQL deployment names the file (every instance the same
//! file), since an instance that made up its own key would seal rows no other could verify.

use crate::config::Config;
use minzheng_store::audit::{self, AuditKeys, ChainStatus, checkpoint};
use minzheng_store::{DatabaseUrl, Db};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The `audit` commands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Checks every row of the audit chain and the chain against every checkpoint in the checkpoint
    /// file; names the first broken row or checkpoint and exits non-zero if any.
    Verify,
    /// Appends a signed checkpoint of the chain head to the checkpoint file (serve does this
    /// periodically and at shutdown).
    Checkpoint,
    /// Adds a new chain key to the key file (creating the file when there is none); new rows are
    /// sealed with it once each instance restarts, and the old keys keep verifying old rows.
    RotateKey,
}

/// Where the audit key file and the checkpoint file of a configuration are.
pub struct AuditFiles {
    /// The key file.
    pub key_file: PathBuf,
    /// The checkpoint file.
    pub checkpoint_file: PathBuf,
}

/// The file name of the key file beside an SQLite database.
pub const DEFAULT_KEY_FILE: &str = "audit.key";
/// The file name of the checkpoint file beside the key file.
pub const DEFAULT_CHECKPOINT_FILE: &str = "audit-checkpoints.jsonl";

/// Resolves the two files; PostgreSQL without a configured key file is refused here, before
/// anything connects.
pub fn files(config: &Config) -> Result<AuditFiles, String> {
    let url = DatabaseUrl::parse(&config.database_url).map_err(|e| e.to_string())?;
    let key_file = match (&config.audit_key_file, url) {
        (Some(p), _) => p.clone(),
        (None, DatabaseUrl::Sqlite(db)) => {
            db.parent().unwrap_or(Path::new("")).join(DEFAULT_KEY_FILE)
        }
        (None, DatabaseUrl::Postgres(_)) => {
            return Err(
                "使用 PostgreSQL 时必须配置审计密钥文件 audit_key_file（或 MINZHENG_AUDIT_KEY_FILE），\
                 所有实例共用同一文件，且不与数据库放在一起；新部署可先配置路径再运行 minzheng audit rotate-key 生成"
                    .into(),
            );
        }
    };
    let checkpoint_file = config
        .audit_checkpoint_file
        .clone()
        .unwrap_or_else(|| key_file.with_file_name(DEFAULT_CHECKPOINT_FILE));
    Ok(AuditFiles {
        key_file,
        checkpoint_file,
    })
}

/// Refuses to make a new key file for a database whose rows were sealed with a key: they could
/// never be verified again. The old file must be found instead.
fn refuse_if_sealed(db: &Db, key_file: &Path) -> Result<(), String> {
    if audit::has_keyed_rows(db).map_err(|e| e.to_string())? {
        return Err(format!(
            "审计密钥文件 {} 不存在，而数据库中已有以密钥封存的审计记录：请找回原来的密钥文件，\
             不要生成新的（否则这些记录无法再核对）",
            key_file.display()
        ));
    }
    Ok(())
}

/// Reads the key file, before the database is opened: a configured file that is missing stops
/// start-up here. `None` only for SQLite without a configured file and none there yet: see
/// [`attach_keys`].
pub fn load_keys(config: &Config, files: &AuditFiles) -> Result<Option<AuditKeys>, String> {
    let path = &files.key_file;
    if path.exists() {
        return AuditKeys::load(path).map(Some).map_err(|e| e.to_string());
    }
    if config.audit_key_file.is_some() {
        return Err(format!(
            "审计密钥文件 {} 不存在：请检查 audit_key_file；新部署可运行 minzheng audit rotate-key 生成",
            path.display()
        ));
    }
    Ok(None)
}

/// Gives the keys to the database. Only for SQLite without a configured file is a missing one
/// created (mode 0600), with a warning in the log: the demo and a first `serve` then just work,
/// and a real deployment moves it elsewhere.
pub fn attach_keys(db: &Db, loaded: Option<AuditKeys>, files: &AuditFiles) -> Result<(), String> {
    let keys = match loaded {
        Some(keys) => keys,
        None => {
            let path = &files.key_file;
            refuse_if_sealed(db, path)?;
            let keys = AuditKeys::create(path).map_err(|e| e.to_string())?;
            tracing::warn!(
                file = %path.display(),
                "audit key file created beside the database: back it up apart from the database, and in \
                 production keep it where database administrators cannot write (audit_key_file)"
            );
            keys
        }
    };
    db.set_audit_keys(Arc::new(keys));
    Ok(())
}

fn require_current(db: &Db) -> Result<(), String> {
    if !minzheng_store::migrations::is_current(db).map_err(|e| e.to_string())? {
        return Err("数据库尚未迁移到本程序的版本：请先运行 minzheng migrate".into());
    }
    Ok(())
}

/// Runs an `audit` command.
pub fn run(config: &Config, command: Command) -> Result<(), String> {
    match command {
        Command::Verify => {
            let files = files(config)?;
            let db = crate::open(config)?;
            require_current(&db)?;
            let checkpoints =
                checkpoint::read(&files.checkpoint_file).map_err(|e| e.to_string())?;
            let report = audit::verify_with(&db, &checkpoints).map_err(|e| e.to_string())?;
            match report.status {
                ChainStatus::Intact { rows } => {
                    let by_key: Vec<String> = report
                        .rows_by_key
                        .iter()
                        .map(|(k, n)| format!("密钥 {k} 封存 {n} 行"))
                        .collect();
                    let mut parts = by_key;
                    if report.unkeyed_rows > 0 {
                        parts.push(format!("升级前未加密钥 {} 行", report.unkeyed_rows));
                    }
                    println!(
                        "审计日志完整：共 {rows} 行，哈希链无断点{}；核对检查点 {} 个（{}）",
                        if parts.is_empty() {
                            String::new()
                        } else {
                            format!("（{}）", parts.join("，"))
                        },
                        report.checkpoints,
                        files.checkpoint_file.display()
                    );
                    if report.checkpoints == 0 && rows > 0 {
                        println!(
                            "注意：没有检查点可核对，末尾被截去的记录无法发现；serve 会定期写入，也可运行 minzheng audit checkpoint"
                        );
                    }
                    Ok(())
                }
                ChainStatus::Broken { reason, .. } => Err(format!("审计日志核对未通过：{reason}")),
            }
        }
        Command::Checkpoint => {
            let files = files(config)?;
            let db = crate::open(config)?;
            require_current(&db)?;
            match write_checkpoint(&db, &files.checkpoint_file, 0).map_err(|e| e.to_string())? {
                Some(cp) => println!(
                    "已写入检查点：链长 {} 行，末行哈希 {}，以密钥 {} 签名（{}）",
                    cp.seq,
                    cp.hash,
                    cp.key,
                    files.checkpoint_file.display()
                ),
                None => println!("审计日志为空，无需检查点"),
            }
            Ok(())
        }
        Command::RotateKey => {
            let files = files(config)?;
            let path = &files.key_file;
            if path.exists() {
                let id = AuditKeys::rotate(path).map_err(|e| e.to_string())?;
                println!(
                    "已在 {} 加入密钥 {id}：各实例重启后以它封存新记录。旧密钥须留在文件中，否则旧记录无法核对；\
                     多个实例须换上同一文件",
                    path.display()
                );
            } else {
                let db = crate::open_unkeyed(config)?;
                refuse_if_sealed(&db, path)?;
                AuditKeys::create(path).map_err(|e| e.to_string())?;
                println!(
                    "已生成审计密钥文件 {}（密钥 1）：请另行备份，不要与数据库放在一起",
                    path.display()
                );
            }
            Ok(())
        }
    }
}

/// Takes a checkpoint and appends it when the chain has grown past `written` rows; returns what
/// was written. Each one also goes to the log, so a log collector keeps a copy off this machine.
fn write_checkpoint(
    db: &Db,
    path: &Path,
    written: i64,
) -> Result<Option<checkpoint::Checkpoint>, minzheng_store::StoreError> {
    let Some(cp) = checkpoint::take(db)?.filter(|cp| cp.seq > written) else {
        return Ok(None);
    };
    checkpoint::append(path, &cp)?;
    tracing::info!(
        file = %path.display(),
        chain = %cp.chain,
        seq = cp.seq,
        hash = %cp.hash,
        unkeyed = cp.unkeyed,
        key = cp.key,
        at = %cp.at,
        mac = %cp.mac,
        "audit checkpoint written"
    );
    Ok(Some(cp))
}

/// Writes checkpoints from `serve`: at start (which seals rows from before keyed hashes), then every
/// `every` while the chain grows, and once more at shutdown ([`Checkpoints::last`]).
pub struct Checkpoints {
    db: Db,
    path: PathBuf,
    written: Arc<AtomicI64>,
}

impl Checkpoints {
    /// The writer for a database and a checkpoint file.
    pub fn new(db: Db, path: PathBuf) -> Checkpoints {
        Checkpoints {
            db,
            path,
            written: Arc::new(AtomicI64::new(0)),
        }
    }

    async fn once(&self) {
        let db = self.db.clone();
        let path = self.path.clone();
        let written = self.written.clone();
        let result = tokio::task::spawn_blocking(move || {
            let done = write_checkpoint(&db, &path, written.load(Ordering::SeqCst))?;
            if let Some(cp) = &done {
                written.fetch_max(cp.seq, Ordering::SeqCst);
            }
            Ok::<_, minzheng_store::StoreError>(())
        })
        .await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "audit checkpoint not written"),
            Err(e) => tracing::error!(error = %e, "audit checkpoint task failed"),
        }
    }

    /// The periodic task; the first checkpoint is written at once.
    pub async fn every(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            self.once().await;
        }
    }

    /// The checkpoint at shutdown, after the last request.
    pub async fn last(&self) {
        self.once().await;
    }
}
