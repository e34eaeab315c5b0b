//! The database layer on every backend this run has: SQLite always, PostgreSQL when
//! `MINZHENG_TEST_DATABASE_URL` is set.

use minzheng_store::attachments::{self, AttachmentPolicy};
use minzheng_store::audit::{self, AuditContext, AuditEntry, ChainStatus};
use minzheng_store::migrations::{self, MIGRATIONS};
use minzheng_store::testing::{databases, empty_databases, postgres_empty, sqlite_empty};
use minzheng_store::{DatabaseUrl, Db, StoreError, params};

fn ctx() -> AuditContext {
    AuditContext::system("test")
}

#[test]
fn values_round_trip_on_every_backend() {
    for t in databases("values") {
        let date = chrono::NaiveDate::from_ymd_opt(2020, 2, 2).unwrap();
        t.write(|tx| {
            tx.execute_batch(
                "CREATE TABLE sample (id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount BIGINT, flag BOOLEAN NOT NULL, blob_data BYTEA, day TEXT)"
                    .replace("BYTEA", if t.label == "sqlite" { "BLOB" } else { "BYTEA" })
                    .as_str(),
            )?;
            // $2 appears before $1: both backends bind by number, not by position.
            tx.execute(
                "INSERT INTO sample (name, id, amount, flag, blob_data, day) VALUES ($2, $1, $3, $4, $5, $6)",
                params![7_i64, "重庆·两江", Option::<i64>::None, true, vec![0_u8, 255, 1], date],
            )?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
        let row = t
            .read(|tx| {
                tx.query_one(
                    "SELECT id, name, amount, flag, blob_data, day FROM sample WHERE id = $1",
                    params![7_i64],
                )
            })
            .unwrap();
        assert_eq!(row.get::<i64>(0).unwrap(), 7, "{}", t.label);
        assert_eq!(row.get::<String>(1).unwrap(), "重庆·两江", "{}", t.label);
        assert_eq!(row.get::<Option<i64>>(2).unwrap(), None, "{}", t.label);
        assert!(row.get::<bool>(3).unwrap(), "{}", t.label);
        assert_eq!(
            row.get::<Vec<u8>>(4).unwrap(),
            vec![0, 255, 1],
            "{}",
            t.label
        );
        assert_eq!(
            row.get::<chrono::NaiveDate>(5).unwrap(),
            date,
            "{}",
            t.label
        );
        let wrong = row.get::<i64>(1);
        assert!(matches!(wrong, Err(StoreError::Decode(_))), "{}", t.label);
    }
}

#[test]
fn a_failed_transaction_changes_nothing_and_unique_keys_are_recognised() {
    for t in databases("rollback") {
        t.write(|tx| tx.execute_batch("CREATE TABLE k (code TEXT PRIMARY KEY, n BIGINT NOT NULL)"))
            .unwrap();
        let result: Result<(), StoreError> = t.write(|tx| {
            tx.execute(
                "INSERT INTO k (code, n) VALUES ($1, $2)",
                params!["a", 1_i64],
            )?;
            tx.execute(
                "INSERT INTO k (code, n) VALUES ($1, $2)",
                params!["a", 2_i64],
            )?;
            Ok(())
        });
        let err = result.unwrap_err();
        assert!(err.is_unique_violation(), "{}: {err}", t.label);
        let count: i64 = t
            .read(|tx| tx.query_one("SELECT COUNT(*) FROM k", params![])?.get(0))
            .unwrap();
        assert_eq!(
            count, 0,
            "{}: the first insert must have been rolled back",
            t.label
        );
        let wrong = t.read(|tx| tx.query("SELECT n FROM k WHERE code = $1", params!["a", 1_i64]));
        assert!(
            matches!(
                wrong,
                Err(StoreError::Params { .. }) | Err(StoreError::Sql { .. })
            ),
            "{}",
            t.label
        );
    }
}

#[test]
fn migrations_are_idempotent_and_both_backends_build_the_same_schema() {
    let dbs = empty_databases("parity");
    let mut outlines = Vec::new();
    for t in &dbs {
        let first = migrations::migrate(t).unwrap();
        assert_eq!(first.applied.len(), MIGRATIONS.len(), "{}", t.label);
        let second = migrations::migrate(t).unwrap();
        assert!(second.applied.is_empty(), "{}", t.label);
        assert_eq!(second.already, MIGRATIONS.len());
        assert!(migrations::is_current(t).unwrap());
        let outline = migrations::schema_outline(t).unwrap();
        assert!(
            outline
                .columns
                .contains(&("audit_log".into(), "hash".into(), "text".into()))
        );
        assert!(outline.indexes.contains("attachment_sha256"));
        outlines.push((t.label, outline));
    }
    if let [(_, sqlite), (_, pg)] = outlines.as_slice() {
        let only_sqlite: Vec<_> = sqlite.columns.difference(&pg.columns).collect();
        let only_pg: Vec<_> = pg.columns.difference(&sqlite.columns).collect();
        assert!(
            only_sqlite.is_empty() && only_pg.is_empty(),
            "columns differ: sqlite {only_sqlite:?} postgres {only_pg:?}"
        );
        assert_eq!(sqlite.indexes, pg.indexes, "indexes differ");
    }
}

#[test]
fn an_edited_or_unknown_migration_stops_migrate_and_changes_nothing() {
    for t in databases("edited") {
        t.write(|tx| {
            tx.execute(
                "UPDATE schema_migrations SET checksum = $1 WHERE version = 1",
                params!["edited"],
            )
        })
        .unwrap();
        let err = migrations::migrate(&t).unwrap_err().to_string();
        assert!(
            err.contains("0001_foundation") && err.contains("被修改"),
            "{}: {err}",
            t.label
        );
        assert!(migrations::is_current(&t).is_err());
        t.write(|tx| {
            tx.execute("UPDATE schema_migrations SET checksum = $1 WHERE version = 1", params![MIGRATIONS[0].checksum(tx.backend())])?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, '0999_future', 'x', 'now')",
                params![],
            )
        })
        .unwrap();
        let err = migrations::migrate(&t).unwrap_err().to_string();
        assert!(err.contains("0999_future"), "{}: {err}", t.label);
    }
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_untouched() {
    let dir = std::env::temp_dir().join(format!("mz-notadb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notes.db");
    let content = b"this is a text file, not a database\n".repeat(200);
    std::fs::write(&path, &content).unwrap();
    let err = Db::open(&DatabaseUrl::Sqlite(path.clone()), 2)
        .unwrap_err()
        .to_string();
    assert!(err.contains("不是 SQLite 数据库"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), content);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no -wal or -shm file may appear: {names:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn database_urls_are_parsed_strictly() {
    assert_eq!(
        DatabaseUrl::parse("sqlite:./x.db").unwrap(),
        DatabaseUrl::Sqlite("./x.db".into())
    );
    assert_eq!(
        DatabaseUrl::parse("data/m.db").unwrap(),
        DatabaseUrl::Sqlite("data/m.db".into())
    );
    assert!(matches!(
        DatabaseUrl::parse("postgres://u@h/db").unwrap(),
        DatabaseUrl::Postgres(_)
    ));
    for bad in ["mysql://root@localhost/db", "", "sqlite:", "http://x"] {
        let err = DatabaseUrl::parse(bad).unwrap_err();
        assert!(matches!(err, StoreError::BadUrl(_)), "{bad}: {err}");
    }
    let red = DatabaseUrl::parse("postgres://app:secret@db:5432/mz")
        .unwrap()
        .redacted();
    assert_eq!(red, "postgres://app:***@db:5432/mz");
}

fn png(extra: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend((0..extra).map(|i| (i % 251) as u8));
    v
}

#[test]
fn attachments_are_typed_from_bytes_deduplicated_and_refused_cleanly() {
    for t in databases("attachments") {
        let policy = AttachmentPolicy {
            max_bytes: 600 * 1024,
            allowed: vec!["image/png", "application/pdf"],
        };
        let bytes = png(300 * 1024); // two chunks
        let meta = t
            .write(|tx| attachments::put(tx, &mut bytes.as_slice(), "户口簿.jpg", &ctx(), &policy))
            .unwrap();
        assert_eq!(
            meta.content_type, "image/png",
            "{}: typed from bytes, not the name",
            t.label
        );
        assert_eq!(meta.size_bytes, bytes.len() as i64);
        let again = t
            .write(|tx| attachments::put(tx, &mut bytes.as_slice(), "again.png", &ctx(), &policy))
            .unwrap();
        assert_eq!(again.id, meta.id, "{}: same bytes stored once", t.label);
        let back = t
            .read(|tx| attachments::read_all(tx, meta.id))
            .unwrap()
            .unwrap();
        assert_eq!(back, bytes);

        let too_big = png(700 * 1024);
        let err = t
            .write(|tx| attachments::put(tx, &mut too_big.as_slice(), "big.png", &ctx(), &policy))
            .unwrap_err();
        assert!(err.to_string().contains("文件过大"), "{err}");
        let exe = b"MZ\x90\x00 not allowed".to_vec();
        let err = t
            .write(|tx| attachments::put(tx, &mut exe.as_slice(), "scan.pdf", &ctx(), &policy))
            .unwrap_err();
        assert!(err.to_string().contains("不支持的文件类型"), "{err}");
        let (files, chunks, audits): (i64, i64, i64) = t
            .read(|tx| {
                let f = tx
                    .query_one("SELECT COUNT(*) FROM attachment", params![])?
                    .get(0)?;
                let c = tx
                    .query_one("SELECT COUNT(*) FROM attachment_chunk", params![])?
                    .get(0)?;
                let a = tx
                    .query_one(
                        "SELECT COUNT(*) FROM audit_log WHERE action = 'attachment.put'",
                        params![],
                    )?
                    .get(0)?;
                Ok::<_, StoreError>((f, c, a))
            })
            .unwrap();
        assert_eq!(
            (files, chunks, audits),
            (1, 2, 1),
            "{}: refused files leave nothing",
            t.label
        );
    }
}

fn append_n(db: &Db, n: usize) {
    for i in 0..n {
        db.write(|tx| {
            audit::append(
                tx,
                &ctx(),
                AuditEntry {
                    action: "test.change",
                    record_type: "sample",
                    record_id: i.to_string(),
                    subject_key: Some(audit::subject_key(tx, "11010519491231002X")?),
                    before: None,
                    after: Some(serde_json::json!({ "n": i })),
                    detail: serde_json::json!({}),
                },
            )
        })
        .unwrap();
    }
}

#[test]
fn the_audit_chain_detects_edited_deleted_and_inserted_rows() {
    for t in databases("audit") {
        append_n(&t, 6);
        assert_eq!(
            audit::verify(&t).unwrap(),
            ChainStatus::Intact { rows: 6 },
            "{}",
            t.label
        );

        t.write(|tx| {
            tx.execute(
                "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3",
                params![],
            )
        })
        .unwrap();
        match audit::verify(&t).unwrap() {
            ChainStatus::Broken { seq, reason } => assert!(
                seq == 3 && reason.contains("修改"),
                "{}: {seq} {reason}",
                t.label
            ),
            other => panic!("{}: edit not detected: {other:?}", t.label),
        }
    }
    for t in databases("audit_delete") {
        append_n(&t, 5);
        t.write(|tx| tx.execute("DELETE FROM audit_log WHERE seq = 2", params![]))
            .unwrap();
        assert!(
            matches!(
                audit::verify(&t).unwrap(),
                ChainStatus::Broken { seq: 2, .. }
            ),
            "{}",
            t.label
        );
    }
    for t in databases("audit_tail") {
        append_n(&t, 4);
        t.write(|tx| tx.execute("DELETE FROM audit_log WHERE seq = 4", params![]))
            .unwrap();
        assert!(
            matches!(
                audit::verify(&t).unwrap(),
                ChainStatus::Broken { seq: 4, .. }
            ),
            "{}",
            t.label
        );
    }
    for t in databases("audit_insert") {
        append_n(&t, 3);
        t.write(|tx| {
            tx.execute("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 2", params![])?;
            tx.execute("UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000", params![])?;
            tx.execute(
                "INSERT INTO audit_log (seq, at, actor, role, action, record_type, record_id, detail, prev_hash, hash)
                 SELECT 2, at, actor, role, action, record_type, record_id, detail, hash, hash FROM audit_log WHERE seq = 1",
                params![],
            )
        })
        .unwrap();
        assert!(
            matches!(
                audit::verify(&t).unwrap(),
                ChainStatus::Broken { seq: 2, .. }
            ),
            "{}",
            t.label
        );
    }
}

#[test]
fn sqlite_backup_copies_a_live_database() {
    let t = sqlite_empty("backup");
    migrations::migrate(&t).unwrap();
    append_n(&t, 3);
    let to = std::env::temp_dir().join(format!("mz-backup-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&to);
    // Hold a read transaction open during the copy: the backup must not wait for it or block it.
    t.read(|_tx| minzheng_store::backup::sqlite_backup(&t, &to))
        .unwrap();
    let copy = Db::open(&DatabaseUrl::Sqlite(to.clone()), 1).unwrap();
    copy.set_audit_keys(t.audit_keys().unwrap());
    let n: i64 = copy
        .read(|tx| {
            tx.query_one("SELECT COUNT(*) FROM audit_log", params![])?
                .get(0)
        })
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        audit::verify(&copy).unwrap(),
        ChainStatus::Intact { rows: 3 }
    );
    let err = minzheng_store::backup::sqlite_backup(&t, &to)
        .unwrap_err()
        .to_string();
    assert!(err.contains("已存在"), "{err}");
    drop(copy);
    let _ = std::fs::remove_file(&to);
    if let Some(pg) = postgres_empty("backup_pg") {
        let err = minzheng_store::backup::sqlite_backup(&pg, &to)
            .unwrap_err()
            .to_string();
        assert!(err.contains("pg_dump"), "{err}");
    }
}

#[test]
fn bulk_insert_loads_awkward_values_exactly_and_rolls_back_whole() {
    use minzheng_store::Value;
    for t in databases("bulk") {
        let blob = if t.label == "sqlite" { "BLOB" } else { "BYTEA" };
        t.write(|tx| {
            tx.execute_batch(&format!(
                "CREATE TABLE b (id BIGINT PRIMARY KEY, name TEXT, flag BOOLEAN NOT NULL, data {blob})"
            ))
        })
        .unwrap();
        let names = [
            "tab\there",
            "line\nbreak",
            "back\\slash",
            "华润·凌江社区",
            "㭎",
        ];
        let n = t
            .write(|tx| {
                tx.bulk_insert(
                    "b",
                    &["id", "name", "flag", "data"],
                    &mut (0..10_000_i64).map(|i| {
                        vec![
                            Value::Int(i),
                            if i % 7 == 0 {
                                Value::Null
                            } else {
                                Value::Text(names[i as usize % 5].into())
                            },
                            Value::Bool(i % 2 == 0),
                            Value::Bytes(vec![(i % 256) as u8, 0, 92]),
                        ]
                    }),
                )
            })
            .unwrap();
        assert_eq!(n, 10_000, "{}", t.label);
        let rows = t
            .read(|tx| {
                tx.query(
                    "SELECT id, name, flag, data FROM b WHERE id IN (1, 2, 3, 7, 9) ORDER BY id",
                    params![],
                )
            })
            .unwrap();
        let got: Vec<(i64, Option<String>, bool, Vec<u8>)> = rows
            .iter()
            .map(|r| {
                (
                    r.get(0).unwrap(),
                    r.get(1).unwrap(),
                    r.get(2).unwrap(),
                    r.get(3).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got[0],
            (1, Some("line\nbreak".into()), false, vec![1, 0, 92]),
            "{}",
            t.label
        );
        assert_eq!(got[1].1.as_deref(), Some("back\\slash"));
        assert_eq!(got[2].1.as_deref(), Some("华润·凌江社区"));
        assert_eq!(got[3].1, None);
        assert_eq!(got[4].1.as_deref(), Some("㭎"));
        let failed: Result<u64, StoreError> = t.write(|tx| {
            tx.bulk_insert(
                "b",
                &["id", "name", "flag", "data"],
                &mut (20_000..20_010_i64)
                    .map(|i| vec![Value::Int(i), Value::Null, Value::Bool(true), Value::Null]),
            )?;
            Err(StoreError::Io("deliberate".into()))
        });
        assert!(failed.is_err());
        let count: i64 = t
            .read(|tx| tx.query_one("SELECT COUNT(*) FROM b", params![])?.get(0))
            .unwrap();
        assert_eq!(
            count, 10_000,
            "{}: nothing of the failed load stays",
            t.label
        );
    }
}
