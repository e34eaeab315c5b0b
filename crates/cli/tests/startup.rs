//! The binary refuses bad start-up input with one clear line, a non-zero exit code, and no writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_minzheng"));
    c.env_remove("MINZHENG_DATABASE_URL")
        .env_remove("MINZHENG_CONFIG");
    c
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mz-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "must fail: {out:?}");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert_eq!(stderr.lines().count(), 1, "one line, got: {stderr}");
    assert!(stderr.starts_with("错误："), "{stderr}");
    stderr
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn an_unknown_config_key_stops_start_up() {
    let dir = temp_dir("badkey");
    std::fs::write(
        dir.join("minzheng.toml"),
        "listen = \"127.0.0.1:0\"\ndatabse_url = \"sqlite:x.db\"\n",
    )
    .unwrap();
    let out = bin().current_dir(&dir).args(["serve"]).output().unwrap();
    let e = one_line_error(&out);
    assert!(
        e.contains("minzheng.toml") && e.contains("第 2 行") && e.contains("databse_url"),
        "{e}"
    );
    assert_eq!(files_in(&dir), vec!["minzheng.toml"], "nothing written");
}

#[test]
fn a_bad_database_url_stops_start_up() {
    let dir = temp_dir("badurl");
    let out = bin()
        .current_dir(&dir)
        .args(["--database-url", "mysql://root@localhost/m", "migrate"])
        .output()
        .unwrap();
    let e = one_line_error(&out);
    assert!(
        e.contains("mysql://root@localhost/m") && e.contains("不支持"),
        "{e}"
    );
    assert!(files_in(&dir).is_empty());
}

#[test]
fn a_file_that_is_not_a_database_stops_start_up_untouched() {
    let dir = temp_dir("notadb");
    let path = dir.join("data.db");
    std::fs::write(&path, "名单\n张三,500103199001011234\n".repeat(100)).unwrap();
    let before = std::fs::read(&path).unwrap();
    let out = bin()
        .current_dir(&dir)
        .args(["--database-url", "sqlite:data.db", "serve"])
        .output()
        .unwrap();
    let e = one_line_error(&out);
    assert!(
        e.contains("data.db") && e.contains("不是 SQLite 数据库"),
        "{e}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(files_in(&dir), vec!["data.db"]);
}

#[test]
fn an_edited_migration_stops_start_up() {
    let dir = temp_dir("edited");
    let ok = bin()
        .current_dir(&dir)
        .args(["--database-url", "sqlite:m.db", "migrate"])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
    let conn = rusqlite_like_edit(&dir.join("m.db"));
    assert!(conn);
    let out = bin()
        .current_dir(&dir)
        .args(["--database-url", "sqlite:m.db", "serve"])
        .output()
        .unwrap();
    let e = one_line_error(&out);
    assert!(e.contains("0001_foundation") && e.contains("被修改"), "{e}");
}

/// Edits the recorded checksum through the binary's own store crate.
fn rusqlite_like_edit(path: &Path) -> bool {
    let db = minzheng_store::Db::open(&minzheng_store::DatabaseUrl::Sqlite(path.to_path_buf()), 1)
        .unwrap();
    db.write(|tx| {
        tx.execute(
            "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1",
            minzheng_store::params![],
        )
    })
    .unwrap()
        == 1
}

#[test]
fn demo_loads_once_and_backup_copies() {
    let dir = temp_dir("demo");
    let out = bin().current_dir(&dir).args(["demo"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        dir.join("minzheng-data/minzheng.db").exists(),
        "default SQLite file created"
    );
    let again = bin().current_dir(&dir).args(["demo"]).output().unwrap();
    let e = one_line_error(&again);
    assert!(e.contains("不是空的"), "{e}");
    let out = bin()
        .current_dir(&dir)
        .args(["backup", "--to", "copy.db"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(dir.join("copy.db").exists());
    let out = bin()
        .current_dir(&dir)
        .args([
            "--database-url",
            "postgres://u@127.0.0.1:1/x",
            "backup",
            "--to",
            "x",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("pg_dump --format=custom"));
}

#[test]
fn user_commands_manage_accounts_with_passwords_from_stdin() {
    use std::io::Write;
    let dir = temp_dir("user");
    let run = |args: &[&str], stdin: &str| {
        let mut child = bin()
            .current_dir(&dir)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let ok = run(
        &[
            "user",
            "add",
            "wang.fang",
            "--name",
            "王芳",
            "--role",
            "street_officer",
            "--scope",
            "500103001",
        ],
        "Chongqing-2026\n",
    );
    assert!(ok.status.success(), "{ok:?}");
    let weak = run(
        &[
            "user",
            "add",
            "li.lei",
            "--name",
            "李雷",
            "--role",
            "street_officer",
            "--scope",
            "500103001",
        ],
        "123\n",
    );
    let e = one_line_error(&weak);
    assert!(e.contains("密码至少"), "{e}");
    let bad_role = run(
        &[
            "user", "add", "li.lei", "--name", "李雷", "--role", "king", "--scope", "50",
        ],
        "Chongqing-2026\n",
    );
    assert!(one_line_error(&bad_role).contains("未知角色"));
    let list = run(&["user", "list"], "");
    let out = String::from_utf8_lossy(&list.stdout);
    assert!(
        out.contains("wang.fang") && out.contains("共 1 个账户"),
        "{out}"
    );
    assert!(run(&["user", "disable", "wang.fang"], "").status.success());
    let list = run(&["user", "list"], "");
    assert!(String::from_utf8_lossy(&list.stdout).contains("已停用"));
    assert!(
        run(
            &["user", "reset-password", "wang.fang"],
            "Chongqing-2027!\n"
        )
        .status
        .success()
    );
    let missing = run(&["user", "disable", "nobody"], "");
    assert!(one_line_error(&missing).contains("nobody"));
}

#[test]
fn audit_verify_names_the_first_broken_row() {
    let dir = temp_dir("audit");
    assert!(
        bin()
            .current_dir(&dir)
            .args(["demo"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let ok = bin()
        .current_dir(&dir)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("审计日志完整"));
    let path = dir.join("minzheng-data/minzheng.db");
    let db = minzheng_store::Db::open(&minzheng_store::DatabaseUrl::Sqlite(path), 1).unwrap();
    db.write(|tx| {
        tx.execute(
            "UPDATE audit_log SET detail = '{}' WHERE seq = 5",
            minzheng_store::params![],
        )
    })
    .unwrap();
    drop(db);
    let broken = bin()
        .current_dir(&dir)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    let e = one_line_error(&broken);
    assert!(e.contains("第 5 行") && e.contains("修改"), "{e}");
}
