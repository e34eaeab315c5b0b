//! The audit search by ID number under keyed subject keys, on every backend of the run: rows sealed
//! with the key file's subject key and rows from before keyed hashes are both found; another key
//! file finds nothing.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::audit_search::{self, AuditQuery};
use minzheng_access::{AccessError, Principal, Role};
use minzheng_store::audit::{self, AuditContext, AuditEntry, AuditKeys};
use minzheng_store::testing::databases;
use minzheng_store::{Db, params};
use std::sync::Arc;

const PERSON: &str = "500103198808080771";

fn auditor(db: &Db) -> Principal {
    db.write(|tx| {
        accounts::create(
            tx,
            &Principal::system("test"),
            &NewAccount {
                username: "auditor".into(),
                display_name: "审计员".into(),
                role: Role::Auditor,
                scope: "50".into(),
                unit_id: None,
                password: "Chongqing-2026".into(),
                phone: None,
            },
        )
    })
    .unwrap();
    let a = db
        .read(|tx| accounts::find_by_username(tx, "auditor"))
        .unwrap()
        .unwrap();
    Principal {
        account_id: a.id,
        username: a.username,
        display_name: a.display_name,
        role: a.role,
        scope_code: a.scope,
        unit_id: a.unit_id,
        address: None,
        request_id: None,
    }
}

fn actions_about(db: &Db, who: &Principal, typed: &str) -> Vec<String> {
    db.read(|tx| {
        audit_search::search(
            tx,
            who,
            &AuditQuery {
                id_number: Some(typed.into()),
                ..Default::default()
            },
        )
    })
    .unwrap()
    .into_iter()
    .map(|r| r.action)
    .collect()
}

#[test]
fn the_search_by_id_number_finds_keyed_and_old_rows_and_nothing_under_another_key() {
    for t in databases("audit_search_keys") {
        let who = auditor(&t);
        t.write(|tx| {
            let subject = audit::subject_key(tx, PERSON)?;
            audit::append(
                tx,
                &AuditContext::system("test"),
                AuditEntry {
                    action: "test.keyed",
                    record_type: "sample",
                    record_id: "1".into(),
                    subject_key: Some(subject),
                    before: None,
                    after: None,
                    detail: serde_json::json!({}),
                },
            )?;
            // A row as the code before keyed hashes wrote it: no key id, the unkeyed subject key.
            // (Its hash does not matter to the search.)
            tx.execute(
                "INSERT INTO audit_log (seq, at, actor, role, action, record_type, record_id, subject_key,
                    detail, prev_hash, hash)
                 VALUES (0, '2025-01-01T00:00:00.000000Z', 'system:old', 'system', 'test.old', 'sample',
                    '0', $1, '{}', '', '')",
                params![audit::unkeyed_subject_key(PERSON)],
            )?;
            Ok::<_, AccessError>(())
        })
        .unwrap();
        let stored: Vec<String> = t
            .read(|tx| {
                tx.query(
                    "SELECT subject_key FROM audit_log WHERE action LIKE 'test.%' ORDER BY seq",
                    params![],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect()
            })
            .unwrap();
        assert_ne!(stored[1], audit::unkeyed_subject_key(PERSON), "{}", t.label);

        assert_eq!(
            actions_about(&t, &who, &format!(" {} ", PERSON.to_lowercase())),
            vec!["test.keyed", "test.old"],
            "{}",
            t.label
        );
        assert!(
            actions_about(&t, &who, "500103198808080763").is_empty(),
            "{}: another person",
            t.label
        );
        // Under another key file the same number leads nowhere among the keyed rows.
        t.set_audit_keys(Arc::new(AuditKeys::generate().unwrap()));
        assert_eq!(
            actions_about(&t, &who, PERSON),
            vec!["test.old"],
            "{}",
            t.label
        );
    }
}
