//! `minzheng audit …` and the audit key and checkpoint files, through the binary: verify names the
//! broken row or checkpoint and exits non-zero, the key file is created only where that is safe,
//! PostgreSQL without a key file is refused, rotation, and the checkpoints `serve` writes.

use minzheng_store::audit::{self, AuditContext, AuditEntry};
use minzheng_store::testing::{TestDb, databases};
use minzheng_store::{DatabaseUrl, Db, params};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_minzheng"));
    c.current_dir(dir)
        .env_remove("MINZHENG_DATABASE_URL")
        .env_remove("MINZHENG_CONFIG")
        .env_remove("MINZHENG_AUDIT_KEY_FILE")
        .env_remove("MINZHENG_AUDIT_CHECKPOINT_FILE");
    c
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mz-cli-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "must succeed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn one_line_error(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "must fail: {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert_eq!(stderr.lines().count(), 1, "one line, got: {stderr}");
    assert!(stderr.starts_with("错误："), "{stderr}");
    stderr
}

fn url_of(db: &Db) -> String {
    match db.url() {
        DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
        DatabaseUrl::Postgres(u) => u.clone(),
    }
}

/// The binary on a test database, with its keys and a checkpoint file beside them.
fn on(t: &TestDb, args: &[&str]) -> Output {
    let key = t.audit_key_file();
    let dir = key.parent().unwrap().to_path_buf();
    bin(&dir)
        .env("MINZHENG_AUDIT_KEY_FILE", &key)
        .env("MINZHENG_AUDIT_CHECKPOINT_FILE", dir.join("cp.jsonl"))
        .args(["--database-url", &url_of(t)])
        .args(args)
        .output()
        .unwrap()
}

fn append_n(db: &Db, n: usize) {
    for i in 0..n {
        db.write(|tx| {
            audit::append(
                tx,
                &AuditContext::system("test"),
                AuditEntry {
                    action: "test.change",
                    record_type: "sample",
                    record_id: i.to_string(),
                    subject_key: None,
                    before: None,
                    after: None,
                    detail: serde_json::json!({ "n": i }),
                },
            )
        })
        .unwrap();
    }
}

#[test]
fn audit_verify_exits_non_zero_naming_the_checkpoint_or_the_row() {
    for t in databases("cli_audit_verify") {
        append_n(&t, 5);
        let out = stdout(&on(&t, &["audit", "checkpoint"]));
        assert!(
            out.contains("已写入检查点：链长 5 行"),
            "{}: {out}",
            t.label
        );
        let out = stdout(&on(&t, &["audit", "verify"]));
        assert!(
            out.contains("审计日志完整：共 5 行") && out.contains("核对检查点 1 个"),
            "{}: {out}",
            t.label
        );

        // The last two rows cut and the head moved back: every row left is genuine.
        t.write(|tx| {
            tx.execute("DELETE FROM audit_log WHERE seq > 3", params![])?;
            tx.execute(
                "UPDATE audit_head SET last_seq = 3, last_hash = (SELECT hash FROM audit_log WHERE seq = 3) WHERE id = 1",
                params![],
            )
        })
        .unwrap();
        let e = one_line_error(&on(&t, &["audit", "verify"]));
        assert!(
            e.contains("cp.jsonl 第 1 行") && e.contains("链只有 3 行") && e.contains("截去"),
            "{}: {e}",
            t.label
        );

        t.write(|tx| {
            tx.execute(
                "UPDATE audit_log SET detail = '{\"n\":9}' WHERE seq = 2",
                params![],
            )
        })
        .unwrap();
        let e = one_line_error(&on(&t, &["audit", "verify"]));
        assert!(
            e.contains("第 2 行") && e.contains("修改"),
            "{}: {e}",
            t.label
        );
    }
}

fn user_add(dir: &Path, username: &str) -> Output {
    let mut child = bin(dir)
        .args([
            "user",
            "add",
            username,
            "--name",
            "王芳",
            "--role",
            "street_officer",
            "--scope",
            "500103001",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Chongqing-2026\n")
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_key_file_is_made_beside_a_new_sqlite_database_never_replaced_and_rotated() {
    let dir = temp_dir("keyfile");
    let first = user_add(&dir, "wang.fang");
    assert!(first.status.success(), "{first:?}");
    let key = dir.join("minzheng-data/audit.key");
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("audit key file created"),
        "the log says so: {first:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let original = std::fs::read(&key).unwrap();

    // Lost key file: nothing makes a new one over rows it sealed.
    std::fs::remove_file(&key).unwrap();
    let e = one_line_error(&bin(&dir).args(["audit", "verify"]).output().unwrap());
    assert!(
        e.contains("audit.key") && e.contains("已有以密钥封存的审计记录"),
        "{e}"
    );
    let e = one_line_error(&user_add(&dir, "li.lei"));
    assert!(e.contains("请找回原来的密钥文件"), "{e}");
    let e = one_line_error(&bin(&dir).args(["audit", "rotate-key"]).output().unwrap());
    assert!(e.contains("请找回原来的密钥文件"), "{e}");
    assert!(!key.exists());
    std::fs::write(&key, &original).unwrap();

    let out = stdout(&bin(&dir).args(["audit", "rotate-key"]).output().unwrap());
    assert!(out.contains("加入密钥 2"), "{out}");
    assert!(user_add(&dir, "li.lei").status.success());
    let out = stdout(&bin(&dir).args(["audit", "verify"]).output().unwrap());
    // The policy parameters seeded at the first start and the first account under key 1, the
    // second account under key 2.
    assert!(
        out.contains("密钥 1 封存") && out.contains("密钥 2 封存 1 行"),
        "{out}"
    );
    assert!(out.contains("没有检查点可核对"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn postgres_without_a_key_file_is_refused_before_it_connects() {
    let dir = temp_dir("pgkey");
    let url = "postgres://u@127.0.0.1:1/x";
    let e = one_line_error(
        &bin(&dir)
            .args(["--database-url", url, "migrate"])
            .output()
            .unwrap(),
    );
    assert!(
        e.contains("audit_key_file") && e.contains("所有实例共用同一文件"),
        "{e}"
    );
    let e = one_line_error(
        &bin(&dir)
            .env("MINZHENG_AUDIT_KEY_FILE", dir.join("missing.key"))
            .args(["--database-url", url, "audit", "verify"])
            .output()
            .unwrap(),
    );
    assert!(e.contains("missing.key") && e.contains("不存在"), "{e}");
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "nothing written"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn checkpoint_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_writes_a_checkpoint_at_start_and_another_at_shutdown() {
    let dir = temp_dir("serve");
    assert!(user_add(&dir, "wang.fang").status.success());
    let file = dir.join("minzheng-data/audit-checkpoints.jsonl");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = bin(&dir)
        .env("MINZHENG_AUDIT_CHECKPOINT_INTERVAL_SECS", "3600")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the checkpoint at start", || {
        !checkpoint_lines(&file).is_empty()
    });
    let at_start = checkpoint_lines(&file);
    assert_eq!(at_start.len(), 1);
    assert_eq!(at_start[0]["chain"], "audit");
    let start_seq = at_start[0]["seq"].as_i64().unwrap();
    assert!(start_seq > 0, "{at_start:?}");

    // A change while it runs, then an orderly stop.
    assert!(user_add(&dir, "li.lei").status.success());
    let killed = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(serve.wait().unwrap().success());
    let all = checkpoint_lines(&file);
    assert_eq!(all.len(), 2, "{all:?}");
    // One row more: the account made while it ran.
    assert_eq!(all[1]["seq"].as_i64(), Some(start_seq + 1), "{all:?}");
    let out = stdout(&bin(&dir).args(["audit", "verify"]).output().unwrap());
    assert!(
        out.contains(&format!("共 {} 行", start_seq + 1)) && out.contains("核对检查点 2 个"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
