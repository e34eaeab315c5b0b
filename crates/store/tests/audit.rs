//! The audit chain against someone who can write the database but has neither the key file nor the
//! checkpoint file, on every backend of the run: cutting off the tail, rewriting rows with unkeyed
//! hashes, forging rows under another key; and key rotation, rows from before keyed hashes, and
//! the person search key.

use minzheng_store::audit::{
    self, AuditContext, AuditEntry, AuditKeys, ChainStatus, Checkpoint, checkpoint,
};
use minzheng_store::testing::{TestDb, databases};
use minzheng_store::{Db, StoreError, Tx, params};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const PERSON: &str = "11010519491231002X";

fn append_n(db: &Db, n: usize) {
    for i in 0..n {
        db.write(|tx| {
            let subject = audit::subject_key(tx, PERSON)?;
            audit::append(
                tx,
                &AuditContext::system("test"),
                AuditEntry {
                    action: "test.change",
                    record_type: "sample",
                    record_id: i.to_string(),
                    subject_key: Some(subject),
                    before: None,
                    after: Some(serde_json::json!({ "n": i })),
                    detail: serde_json::json!({ "n": i }),
                },
            )
        })
        .unwrap();
    }
}

/// A folder of the test's own for key and checkpoint files, emptied first.
fn scratch(t: &TestDb, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "mz-audit-{name}-{}-{}",
        t.label,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn checkpoint_now(db: &Db, file: &Path) -> Checkpoint {
    let cp = checkpoint::take(db)
        .unwrap()
        .expect("a chain to checkpoint");
    checkpoint::append(file, &cp).unwrap();
    cp
}

fn verify_against(db: &Db, file: &Path) -> ChainStatus {
    let cps = checkpoint::read(file).unwrap();
    audit::verify_with(db, &cps).unwrap().status
}

/// Asserts a break at row `seq` (when given) whose reason says every one of `needles`.
fn assert_broken(status: ChainStatus, seq: Option<i64>, needles: &[&str], label: &str) {
    let ChainStatus::Broken { seq: at, reason } = status else {
        panic!("{label}: expected a break, got {status:?}");
    };
    if let Some(seq) = seq {
        assert_eq!(at, seq, "{label}: {reason}");
    }
    for n in needles {
        assert!(reason.contains(n), "{label}: {reason} (wanted {n})");
    }
}

/// What an attacker without the keys does first: delete every row after `keep` and move the head
/// back to it, consistently.
fn cut_tail(db: &Db, keep: i64) {
    db.write(|tx| {
        tx.execute("DELETE FROM audit_log WHERE seq > $1", params![keep])?;
        tx.execute(
            "UPDATE audit_head SET last_seq = $1, last_hash = (SELECT hash FROM audit_log WHERE seq = $1) WHERE id = 1",
            params![keep],
        )
    })
    .unwrap();
}

/// One stored row, as an attacker reads it to rewrite it.
#[derive(Clone)]
struct Stored {
    seq: i64,
    cols: Vec<Option<String>>,
    key_id: Option<i64>,
}

const COLUMNS: &str = "seq, at, actor, role, action, record_type, record_id, subject_key, before_digest, \
                       after_digest, detail, address, request_id, prev_hash, hash, key_id";

fn stored_rows(db: &Db) -> Vec<Stored> {
    db.read(|tx| {
        tx.query(
            &format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq"),
            params![],
        )?
        .into_iter()
        .map(|r| {
            Ok(Stored {
                seq: r.get(0)?,
                cols: (1..15)
                    .map(|i| r.get(i))
                    .collect::<Result<_, StoreError>>()?,
                key_id: r.get(15)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()
    })
    .unwrap()
}

/// The hash the code before keyed hashes wrote: SHA-256 over the fields and the previous hash.
fn unkeyed_hash(seq: i64, cols: &[Option<String>], prev: &str) -> String {
    let c = |i: usize| cols[i - 1].as_deref().unwrap_or("\u{0}");
    let seq = seq.to_string();
    let parts = [
        prev,
        &seq,
        c(1),
        c(2),
        c(3),
        c(4),
        c(5),
        c(6),
        c(7),
        c(8),
        c(9),
        c(10),
        c(11),
        c(12),
    ];
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// What an attacker with write access and the old code does: change rows, then recompute every
/// hash from the first changed row on with plain SHA-256, relink the chain and move the head.
fn rewrite_unkeyed(db: &Db, change: impl Fn(&mut Stored)) {
    let mut rows = stored_rows(db);
    let mut prev = "0".repeat(64);
    let mut touched = false;
    for r in &mut rows {
        let before = (r.cols.clone(), r.key_id);
        change(r);
        touched |= (r.cols.clone(), r.key_id) != before;
        if touched {
            r.cols[12] = Some(prev.clone());
            let hash = unkeyed_hash(r.seq, &r.cols, &prev);
            r.cols[13] = Some(hash);
        }
        prev = r.cols[13].clone().unwrap();
    }
    write_rows(db, &rows);
}

fn write_rows(db: &Db, rows: &[Stored]) {
    db.write(|tx| {
        tx.execute("DELETE FROM audit_log", params![])?;
        for r in rows {
            insert_row(tx, r)?;
        }
        let last = rows.last().unwrap();
        tx.execute(
            "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1",
            params![last.seq, last.cols[13].clone()],
        )?;
        Ok::<_, StoreError>(())
    })
    .unwrap();
}

fn insert_row(tx: &mut Tx<'_>, r: &Stored) -> Result<u64, StoreError> {
    let c = |i: usize| r.cols[i - 1].clone();
    tx.execute(
        &format!(
            "INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ),
        params![
            r.seq,
            c(1),
            c(2),
            c(3),
            c(4),
            c(5),
            c(6),
            c(7),
            c(8),
            c(9),
            c(10),
            c(11),
            c(12),
            c(13),
            c(14),
            r.key_id
        ],
    )
}

/// A database as the code before keyed hashes left it: `n` rows without key ids, unkeyed hashes.
fn write_rows_from_before_keying(db: &Db, n: i64) {
    let mut rows = Vec::new();
    let mut prev = "0".repeat(64);
    for seq in 1..=n {
        let mut cols: Vec<Option<String>> = vec![
            Some(format!("2025-01-0{seq}T08:00:00.000000Z")),
            Some("system:old".into()),
            Some("system".into()),
            Some("old.change".into()),
            Some("sample".into()),
            Some(seq.to_string()),
            Some(audit::unkeyed_subject_key(PERSON)),
            None,
            None,
            Some("{}".into()),
            None,
            None,
            Some(prev.clone()),
            None,
        ];
        let hash = unkeyed_hash(seq, &cols, &prev);
        cols[13] = Some(hash.clone());
        prev = hash;
        rows.push(Stored {
            seq,
            cols,
            key_id: None,
        });
    }
    write_rows(db, &rows);
}

#[test]
fn a_cut_off_tail_with_the_head_moved_back_is_found_by_the_checkpoint() {
    for t in databases("audit_cut_tail") {
        let dir = scratch(&t, "cut");
        let file = dir.join("audit-checkpoints.jsonl");
        append_n(&t, 6);
        let cp = checkpoint_now(&t, &file);
        assert_eq!((cp.seq, cp.unkeyed, cp.chain.as_str()), (6, 0, "audit"));
        append_n(&t, 2);
        assert_eq!(
            verify_against(&t, &file),
            ChainStatus::Intact { rows: 8 },
            "{}",
            t.label
        );

        // Cut rows 5–8 and move the head back to row 4, consistently.
        cut_tail(&t, 4);
        // Every remaining row is genuine: the chain alone cannot tell.
        assert_eq!(
            audit::verify(&t).unwrap(),
            ChainStatus::Intact { rows: 4 },
            "{}",
            t.label
        );
        assert_broken(
            verify_against(&t, &file),
            Some(5),
            &[
                "链只有 4 行",
                "链长 6 行",
                "audit-checkpoints.jsonl 第 1 行",
                "截去",
            ],
            t.label,
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_row_edited_and_resealed_with_unkeyed_hashes_does_not_verify() {
    for t in databases("audit_unkeyed_rewrite") {
        append_n(&t, 5);
        // Edit row 3's detail and recompute rows 3–5 as the code before keyed hashes did.
        rewrite_unkeyed(&t, |r| {
            if r.seq == 3 {
                r.cols[9] = Some(r#"{"n":"changed"}"#.into());
            }
        });
        assert_broken(
            audit::verify(&t).unwrap(),
            Some(3),
            &["记录被修改"],
            t.label,
        );
    }
    for t in databases("audit_unkeyed_whole") {
        let dir = scratch(&t, "whole");
        let file = dir.join("cp.jsonl");
        append_n(&t, 5);
        checkpoint_now(&t, &file);
        // Pass the whole chain off as rows from before keyed hashes: no key ids, unkeyed hashes.
        rewrite_unkeyed(&t, |r| {
            r.key_id = None;
            if r.seq == 3 {
                r.cols[9] = Some(r#"{"n":"changed"}"#.into());
            }
        });
        assert_broken(
            audit::verify(&t).unwrap(),
            Some(1),
            &["没有密钥编号", "没有检查点"],
            t.label,
        );
        assert_broken(
            verify_against(&t, &file),
            Some(1),
            &["检查点只为前 0 行作证"],
            t.label,
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn rows_forged_under_another_key_do_not_verify() {
    for t in databases("audit_other_key") {
        let dir = scratch(&t, "forge");
        let file = dir.join("cp.jsonl");
        append_n(&t, 4);
        checkpoint_now(&t, &file);
        // The attacker runs the software with a key file of their own (its key is also "key 1"),
        // cuts rows 3–4 and writes edited ones in their place through the ordinary code.
        let attacker = Db::open(t.url(), 2).unwrap();
        attacker.set_audit_keys(Arc::new(AuditKeys::generate().unwrap()));
        cut_tail(&attacker, 2);
        append_n(&attacker, 2);
        let seals: Vec<Option<i64>> = stored_rows(&t).iter().map(|r| r.key_id).collect();
        assert_eq!(seals, vec![Some(1); 4], "{}", t.label);

        assert_broken(
            audit::verify(&t).unwrap(),
            Some(3),
            &["记录被修改"],
            t.label,
        );
        // A checkpoint the attacker signs with their key does not pass either.
        let forged = checkpoint::take(&attacker).unwrap().unwrap();
        assert_broken(
            audit::verify_with(&t, &[forged]).unwrap().status,
            Some(4),
            &["签名不符"],
            t.label,
        );
        attacker.close();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn rotated_keys_verify_old_and_new_rows_and_a_missing_key_is_named() {
    for t in databases("audit_rotation") {
        let dir = scratch(&t, "rotate");
        let key_file = dir.join("audit.key");
        let file = dir.join("cp.jsonl");
        let keys = AuditKeys::create(&key_file).unwrap();
        assert_eq!(keys.key_ids(), vec![1]);
        t.set_audit_keys(Arc::new(AuditKeys::load(&key_file).unwrap()));
        let subject_before = t.read(|tx| audit::subject_key(tx, PERSON)).unwrap();
        append_n(&t, 3);
        checkpoint_now(&t, &file);

        assert_eq!(AuditKeys::rotate(&key_file).unwrap(), 2);
        let rotated = AuditKeys::load(&key_file).unwrap();
        assert_eq!((rotated.key_ids(), rotated.newest_id()), (vec![1, 2], 2));
        t.set_audit_keys(Arc::new(rotated));
        append_n(&t, 2);
        let cp = checkpoint_now(&t, &file);
        assert_eq!((cp.seq, cp.key), (5, 2), "{}", t.label);

        let seals: Vec<Option<i64>> = stored_rows(&t).iter().map(|r| r.key_id).collect();
        assert_eq!(
            seals,
            vec![Some(1), Some(1), Some(1), Some(2), Some(2)],
            "{}",
            t.label
        );
        let report = audit::verify_with(&t, &checkpoint::read(&file).unwrap()).unwrap();
        assert_eq!(
            report.status,
            ChainStatus::Intact { rows: 5 },
            "{}",
            t.label
        );
        assert_eq!(
            (
                report.rows_by_key.into_iter().collect::<Vec<_>>(),
                report.checkpoints
            ),
            (vec![(1, 3), (2, 2)], 2),
            "{}",
            t.label
        );
        // The person search key does not rotate with the chain key: old rows stay findable.
        let subject_after = t.read(|tx| audit::subject_key(tx, PERSON)).unwrap();
        assert_eq!(subject_before, subject_after, "{}", t.label);
        let found: i64 = t
            .read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM audit_log WHERE subject_key = $1",
                    params![subject_after],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(found, 5, "{}", t.label);

        // Key 1 taken out of the file: verify says which key it lacks.
        let text = std::fs::read_to_string(&key_file).unwrap();
        let without_1: String = text
            .lines()
            .filter(|l| !l.starts_with("key 1 "))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&key_file, without_1).unwrap();
        t.set_audit_keys(Arc::new(AuditKeys::load(&key_file).unwrap()));
        assert_broken(
            audit::verify(&t).unwrap(),
            Some(1),
            &["以密钥 1 封存", "没有密钥 1"],
            t.label,
        );
        assert_broken(
            verify_against(&t, &file),
            None,
            &["cp.jsonl 第 1 行", "没有密钥 1"],
            t.label,
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn subject_keys_are_keyed_and_differ_under_another_key_file() {
    let old_formula = hex::encode(Sha256::digest(
        format!("minzheng-subject:{PERSON}").as_bytes(),
    ));
    assert_eq!(audit::unkeyed_subject_key(PERSON), old_formula);
    for t in databases("audit_subject_key") {
        append_n(&t, 1);
        let stored: String = t
            .read(|tx| {
                tx.query_one("SELECT subject_key FROM audit_log WHERE seq = 1", params![])?
                    .get(0)
            })
            .unwrap();
        let keyed = t.read(|tx| audit::subject_key(tx, PERSON)).unwrap();
        assert_eq!(stored, keyed, "{}", t.label);
        assert_ne!(keyed, old_formula, "{}: not the unkeyed SHA-256", t.label);
        assert_eq!(keyed.len(), 64);
        let other = AuditKeys::generate().unwrap();
        assert_ne!(
            other.subject_key(PERSON),
            keyed,
            "{}: another key file, another key",
            t.label
        );
        assert_ne!(
            t.read(|tx| audit::subject_key(tx, "500103198808080771"))
                .unwrap(),
            keyed
        );
    }
}

#[test]
fn rows_from_before_keyed_hashes_verify_once_a_checkpoint_seals_them() {
    for t in databases("audit_carry_over") {
        let dir = scratch(&t, "carry");
        let file = dir.join("cp.jsonl");
        write_rows_from_before_keying(&t, 3);
        // Before the first checkpoint nothing vouches for them: they could be a forged chain.
        assert_broken(
            audit::verify(&t).unwrap(),
            Some(1),
            &["minzheng audit checkpoint"],
            t.label,
        );
        let cp = checkpoint_now(&t, &file);
        assert_eq!((cp.seq, cp.unkeyed), (3, 3), "{}", t.label);
        append_n(&t, 2);
        let report = audit::verify_with(&t, &checkpoint::read(&file).unwrap()).unwrap();
        assert_eq!(
            report.status,
            ChainStatus::Intact { rows: 5 },
            "{}",
            t.label
        );
        assert_eq!(report.unkeyed_rows, 3, "{}", t.label);
        checkpoint_now(&t, &file);
        assert_eq!(
            verify_against(&t, &file),
            ChainStatus::Intact { rows: 5 },
            "{}",
            t.label
        );

        // A keyed row passed off as an old one, beyond what the checkpoints vouch for.
        let genuine = stored_rows(&t);
        rewrite_unkeyed(&t, |r| {
            if r.seq >= 4 {
                r.key_id = None;
            }
        });
        assert_broken(
            verify_against(&t, &file),
            Some(4),
            &["检查点只为前 3 行作证"],
            t.label,
        );
        // An unkeyed row after a keyed one is never accepted.
        write_rows(&t, &genuine);
        rewrite_unkeyed(&t, |r| {
            if r.seq == 5 {
                r.key_id = None;
            }
        });
        assert_broken(
            verify_against(&t, &file),
            Some(5),
            &["排在以密钥封存的第 4 行之后"],
            t.label,
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn an_edited_checkpoint_file_is_refused_naming_the_line() {
    for t in databases("audit_checkpoint_edit") {
        let dir = scratch(&t, "cpedit");
        let file = dir.join("cp.jsonl");
        append_n(&t, 3);
        checkpoint_now(&t, &file);
        let text = std::fs::read_to_string(&file).unwrap();
        // Lowering the recorded length would hide a cut tail: the signature no longer fits.
        std::fs::write(&file, text.replace("\"seq\":3", "\"seq\":2")).unwrap();
        assert_broken(
            verify_against(&t, &file),
            Some(2),
            &["cp.jsonl 第 1 行", "签名不符"],
            t.label,
        );
        std::fs::write(&file, format!("{text}not a checkpoint\n")).unwrap();
        let err = checkpoint::read(&file).unwrap_err().to_string();
        assert!(err.contains("第 2 行"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn without_keys_nothing_is_audited_and_an_empty_chain_has_no_checkpoint() {
    for t in databases("audit_no_keys") {
        assert!(!audit::has_keyed_rows(&t).unwrap());
        assert_eq!(checkpoint::take(&t).unwrap(), None, "{}", t.label);
        append_n(&t, 1);
        assert!(audit::has_keyed_rows(&t).unwrap());
        let bare = Db::open(t.url(), 1).unwrap();
        let err = bare
            .write(|tx| {
                audit::append(
                    tx,
                    &AuditContext::system("test"),
                    AuditEntry {
                        action: "test.change",
                        record_type: "sample",
                        record_id: "x".into(),
                        subject_key: None,
                        before: None,
                        after: None,
                        detail: serde_json::json!({}),
                    },
                )
            })
            .unwrap_err();
        assert!(err.to_string().contains("未配置审计密钥"), "{err}");
        bare.close();
        let rows: i64 = t
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM audit_log", params![])?
                    .get(0)
            })
            .unwrap();
        assert_eq!(rows, 1, "{}", t.label);
    }
}

#[test]
fn key_files_are_parsed_strictly_created_private_and_never_overwritten() {
    let dir = std::env::temp_dir().join(format!("mz-audit-keyfile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("sub").join("audit.key");
    let keys = AuditKeys::create(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let err = AuditKeys::create(&path).unwrap_err().to_string();
    assert!(err.contains("audit.key"), "{err}");
    let again = AuditKeys::load(&path).unwrap();
    assert_eq!(again.subject_key(PERSON), keys.subject_key(PERSON));
    let text = keys.to_file_text();
    let subject_secret = text
        .lines()
        .find_map(|l| l.strip_prefix("subject "))
        .unwrap();
    assert!(!format!("{again:?}").contains(subject_secret));

    let hex64 = "ab".repeat(32);
    for (text, expect) in [
        (format!("key 1 {hex64}\n"), "缺少 subject"),
        (format!("subject {hex64}\n"), "没有 key 行"),
        (format!("subject {hex64}\nkey 0 {hex64}\n"), "第 2 行"),
        (format!("subject {hex64}\nkey 1 abcd\n"), "64 位十六进制"),
        (
            format!("subject {hex64}\nkey 1 {hex64}\nkey 1 {hex64}\n"),
            "编号 1 重复",
        ),
        (
            format!("subject {hex64}\nsubject {hex64}\n"),
            "subject 只能有一行",
        ),
        (
            format!("# c\n\nsubject {hex64}\nkye 1 {hex64}\n"),
            "第 4 行",
        ),
    ] {
        let err = AuditKeys::parse(&text, "k.key").unwrap_err().to_string();
        assert!(
            err.contains(expect) && err.contains("k.key"),
            "{text}: {err}"
        );
    }
    let ok = AuditKeys::parse(
        &format!("# c\nsubject {hex64}\nkey 3 {hex64}\nkey 7 {hex64}\n"),
        "k.key",
    )
    .unwrap();
    assert_eq!((ok.key_ids(), ok.newest_id()), (vec![3, 7], 7));
    std::fs::remove_dir_all(&dir).unwrap();
}
