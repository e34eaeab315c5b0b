//! What the assistance tests share: dates, generated ID numbers and accounts written directly.
#![allow(dead_code)]

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_kernel::id_number::IdNumber;
use minzheng_store::{Db, params};

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn id(region: &str, birth: &str, seq: u16) -> String {
    IdNumber::generate(region, d(birth), seq)
        .unwrap()
        .as_str()
        .to_owned()
}

/// Inserts an account row directly (staff or citizen) and returns its principal.
pub fn account(
    db: &Db,
    username: &str,
    role: Role,
    scope: &str,
    citizen: Option<(&str, &str, &str)>,
) -> Principal {
    let username = username.to_owned();
    let scope_s = scope.to_owned();
    let citizen = citizen.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    let aid: i64 = db
        .write(|tx| -> Result<i64, minzheng_store::StoreError> {
            tx.query_one(
                "INSERT INTO account (username, display_name, search_keys, role, scope, unit_id, password_hash, phone, id_number,
                 real_name, disabled, failed_attempts, locked_until, created_at, updated_at)
                 VALUES ($1, $2, '', $3, $4, NULL, NULL, $5, $6, $7, FALSE, 0, NULL, '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z') RETURNING id",
                params![
                    username,
                    username,
                    role.id(),
                    scope_s,
                    citizen.as_ref().map(|c| c.0.clone()),
                    citizen.as_ref().map(|c| c.1.clone()),
                    citizen.as_ref().map(|c| c.2.clone())
                ],
            )?
            .get(0)
        })
        .unwrap();
    Principal {
        account_id: aid,
        username: username.clone(),
        display_name: username,
        role,
        scope_code: scope.to_owned(),
        unit_id: None,
        address: None,
        request_id: None,
    }
}
