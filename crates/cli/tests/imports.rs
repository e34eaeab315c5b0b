//! `minzheng benefits import-enrolments FILE` on every backend of the run: a GBK file (what Excel
//! saves as "CSV" on a Chinese Windows) is read as such; a UTF-16 file, a workbook or broken bytes
//! are refused in Chinese saying what the file looks like and how to save it; a file with bad
//! lines lists each line, field and reason and changes nothing; `--as` imports within the
//! account's scope only.

use minzheng_store::testing::{TestDb, databases};
use minzheng_store::{DatabaseUrl, Db, params};
use std::process::{Command, Output};

fn url_of(db: &Db) -> String {
    match db.url() {
        DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
        DatabaseUrl::Postgres(u) => u.clone(),
    }
}

fn minzheng(t: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minzheng"))
        .env_remove("MINZHENG_DATABASE_URL")
        .env("MINZHENG_AUDIT_KEY_FILE", t.audit_key_file())
        .args(["--database-url", &url_of(t)])
        .args(args)
        .output()
        .unwrap()
}

fn enrolments(db: &Db) -> i64 {
    db.read(|tx| {
        tx.query_one("SELECT COUNT(*) FROM enrolment", params![])?
            .get(0)
    })
    .unwrap()
}

fn line(seq: u16, name: &str, community: &str) -> String {
    let id = minzheng_kernel::id_number::IdNumber::generate(
        "500103",
        chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap(),
        seq,
    )
    .unwrap();
    format!(
        "disability_care,{},{name},{community},1,,,,CQRCB,ssc,6230{seq:012},2020-01,",
        id.as_str()
    )
}

#[test]
fn import_files_in_other_encodings_are_read_or_refused_in_chinese() {
    for t in databases("cli_import_encodings") {
        let dir = tempdir();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path.display().to_string()
        };
        let text = [
            line(1, "张秀英", "500103001003"),
            line(2, "李建国", "500103001006"),
        ]
        .join("\r\n");

        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let out = minzheng(
            &t,
            &["benefits", "import-enrolments", &write("u16.csv", &utf16)],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", t.label);
        assert!(
            err.contains("文件是 UTF-16 编码") && err.contains("另存为“CSV UTF-8（逗号分隔）”"),
            "{}: {err}",
            t.label
        );
        let out = minzheng(
            &t,
            &[
                "benefits",
                "import-enrolments",
                &write("bad.csv", b"a,b\n\x80\xff\xfe\n"),
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", t.label);
        assert!(
            err.contains("既不是 UTF-8 也不是 GBK 编码"),
            "{}: {err}",
            t.label
        );
        assert!(!err.contains("valid UTF-8"), "{}: {err}", t.label);
        assert_eq!(enrolments(&t), 0, "{}", t.label);

        // GBK, as Excel saves it: read as GBK, the names intact.
        let gbk = gbk(&text);
        let out = minzheng(
            &t,
            &["benefits", "import-enrolments", &write("gbk.csv", &gbk)],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {err}", t.label);
        assert!(
            err.contains("GBK 编码，已按 GBK 读取"),
            "{}: {err}",
            t.label
        );
        let names: Vec<String> = t
            .read(|tx| {
                tx.query("SELECT name FROM enrolment ORDER BY id", params![])?
                    .iter()
                    .map(|r| r.get(0))
                    .collect::<Result<Vec<String>, _>>()
            })
            .unwrap();
        assert_eq!(names, vec!["张秀英", "李建国"], "{}", t.label);
    }
}

#[test]
fn a_bad_register_lists_every_line_and_changes_nothing_and_as_limits_the_scope() {
    for t in databases("cli_import_lines") {
        assert!(minzheng(&t, &["migrate"]).status.success(), "{}", t.label);
        let created = minzheng_access::accounts::NewAccount {
            username: "qxg-street".into(),
            display_name: "七星岗街道".into(),
            role: minzheng_access::Role::StreetOfficer,
            scope: "500103001".into(),
            unit_id: None,
            password: "Minzheng-2026".into(),
            phone: None,
        };
        t.write(|tx| {
            minzheng_access::accounts::create(
                tx,
                &minzheng_access::Principal::system("test"),
                &created,
            )
        })
        .unwrap();
        let dir = tempdir();
        let path = dir.join("register.csv");
        let file = [
            line(1, "张秀英", "500103001003"),
            line(2, "李\0建国", "500103001006"),
            line(3, "王芳", "500103003013"),
        ]
        .join("\n");
        std::fs::write(&path, file).unwrap();
        let path = path.display().to_string();
        let out = minzheng(
            &t,
            &["benefits", "--as", "qxg-street", "import-enrolments", &path],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", t.label);
        assert!(
            err.contains("第 2 行，姓名：含不可见的控制字符"),
            "{}: {err}",
            t.label
        );
        assert!(
            err.contains("第 3 行，区划代码：500103003013 不在您的管辖范围内"),
            "{}: {err}",
            t.label
        );
        assert!(
            err.contains("有 2 处问题，未导入任何内容"),
            "{}: {err}",
            t.label
        );
        assert_eq!(enrolments(&t), 0, "{}", t.label);
    }
}

/// The text in GBK: ASCII as it is, and the two names of the test by their GBK bytes.
fn gbk(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("张秀英") {
            out.extend_from_slice(&[0xD5, 0xC5, 0xD0, 0xE3, 0xD3, 0xA2]);
            rest = r;
        } else if let Some(r) = rest.strip_prefix("李建国") {
            out.extend_from_slice(&[0xC0, 0xEE, 0xBD, 0xA8, 0xB9, 0xFA]);
            rest = r;
        } else {
            let c = rest.chars().next().unwrap();
            assert!(c.is_ascii(), "{c}");
            out.push(c as u8);
            rest = &rest[1..];
        }
    }
    out
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "minzheng-cli-imports-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
