//! Shared set-up of the marriage tests: parameters, the 41 offices, citizens and registrars.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use minzheng_access::{Principal, Role};
use minzheng_kernel::id_number::IdNumber;
use minzheng_marriage::rules::Kind;
use minzheng_marriage::services::{BookingInput, PartyInput};
use minzheng_store::{Db, params};

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Parameters and the 41 offices.
pub fn setup(db: &Db) {
    db.write(|tx| -> Result<(), minzheng_marriage::MarriageError> {
        minzheng_reference::parameters::sync_seed(tx)?;
        minzheng_marriage::offices::seed_offices(tx)?;
        Ok(())
    })
    .unwrap();
}

pub fn system() -> Principal {
    Principal::system("test")
}

pub fn registrar(office: i64, scope: &str) -> Principal {
    Principal {
        account_id: 9_000 + office,
        username: format!("registrar-{office}"),
        display_name: "登记员".into(),
        role: Role::MarriageRegistrar,
        scope_code: scope.into(),
        unit_id: Some(office),
        address: None,
        request_id: None,
    }
}

/// Opens the slots of an office for the days `from..=to`.
pub fn open(db: &Db, office: i64, from: &str, to: &str) -> usize {
    db.write(|tx| minzheng_marriage::offices::open_days(tx, &system(), office, d(from), d(to)))
        .unwrap()
}

/// A valid ID number: `seq` odd is a man, even a woman.
pub fn id(region: &str, birth: &str, seq: u16) -> String {
    IdNumber::generate(region, d(birth), seq)
        .unwrap()
        .as_str()
        .to_owned()
}

/// A citizen account bound to an ID number, with a phone.
pub fn citizen(db: &Db, n: i64, id_number: &str) -> Principal {
    let phone = format!("139{n:08}");
    let id: i64 = db
        .write(|tx| {
            tx.query_one(
                "INSERT INTO account (username, display_name, search_keys, role, scope, phone, id_number, real_name, disabled, failed_attempts, created_at, updated_at)
                 VALUES ($1, $2, '', 'citizen', '', $3, $4, $5, FALSE, 0, '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z') RETURNING id",
                params![format!("citizen-{n}"), format!("居民{n}"), phone, id_number, format!("居民{n}")],
            )?
            .get::<i64>(0)
        })
        .unwrap();
    Principal {
        account_id: id,
        username: format!("citizen-{n}"),
        display_name: format!("居民{n}"),
        role: Role::Citizen,
        scope_code: String::new(),
        unit_id: None,
        address: None,
        request_id: None,
    }
}

pub fn slot_id(db: &Db, office: i64, day: &str, start: &str) -> i64 {
    db.read(|tx| {
        tx.query_one(
            "SELECT id FROM time_slot WHERE office_id = $1 AND day = $2 AND starts_at = $3",
            params![office, day, start],
        )?
        .get::<i64>(0)
    })
    .unwrap()
}

pub fn input(
    slot: i64,
    kind: Kind,
    a: (&str, &str, &str),
    b: (&str, &str, &str),
    key: &str,
) -> BookingInput {
    BookingInput {
        slot_id: slot,
        kind,
        party1: PartyInput {
            name: a.0.into(),
            id_number: a.1.into(),
            hukou: a.2.into(),
        },
        party2: PartyInput {
            name: b.0.into(),
            id_number: b.1.into(),
            hukou: b.2.into(),
        },
        idempotency_key: key.into(),
    }
}

/// (appointments, places taken on all slots, audit rows): what "nothing written" compares.
pub fn footprint(db: &Db) -> (i64, i64, i64) {
    db.read(|tx| {
        let a: i64 = tx
            .query_one("SELECT COUNT(*) FROM appointment", params![])?
            .get(0)?;
        let b: i64 = tx
            .query_one(
                "SELECT CAST(COALESCE(SUM(booked), 0) AS BIGINT) FROM time_slot",
                params![],
            )?
            .get(0)?;
        let c: i64 = tx
            .query_one("SELECT COUNT(*) FROM audit_log", params![])?
            .get(0)?;
        Ok::<_, minzheng_store::StoreError>((a, b, c))
    })
    .unwrap()
}

pub fn book(
    db: &Db,
    who: &Principal,
    inp: &BookingInput,
    now: DateTime<Utc>,
) -> Result<minzheng_marriage::services::Appointment, minzheng_marriage::MarriageError> {
    minzheng_marriage::services::book_in_tx_with_retry(db, who, inp, now)
}
