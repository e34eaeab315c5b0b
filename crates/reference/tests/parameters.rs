//! Policy parameters in the database on every backend of the run.

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_kernel::params::{Confidence, ParamSet};
use minzheng_reference::ReferenceError;
use minzheng_reference::parameters::{self, NewParameter};
use minzheng_store::params;
use minzheng_store::testing::databases;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn new(value: &str, from: NaiveDate) -> NewParameter {
    NewParameter {
        key: "dibao.standard.urban".into(),
        region_scope: "50".into(),
        value: value.into(),
        valid_from: from,
        source: "渝民发〔2026〕1号".into(),
        confidence: Confidence::S,
        note: String::new(),
    }
}

#[test]
fn the_seed_is_copied_once_and_new_dated_rows_supersede_without_editing() {
    for t in databases("parameters") {
        let seeded = t.write(parameters::sync_seed).unwrap();
        assert_eq!(seeded, ParamSet::builtin().len(), "{}", t.label);
        assert_eq!(
            t.write(parameters::sync_seed).unwrap(),
            0,
            "{}: the second start adds nothing",
            t.label
        );
        let set = t.read(parameters::parameter_set).unwrap();
        let v = |set: &ParamSet, date| {
            set.value_of("dibao.standard.urban", "500103001001", date)
                .unwrap()
                .value
                .amount()
        };
        assert_eq!(v(&set, d(2019, 6, 1)), 58000, "{}", t.label);
        assert_eq!(v(&set, d(2025, 7, 1)), 77000, "{}", t.label);

        let admin = Principal::system("test");
        t.write(|tx| parameters::add(tx, &admin, &new("800.50", d(2026, 7, 1))))
            .unwrap();
        let set = t.read(parameters::parameter_set).unwrap();
        assert_eq!(
            v(&set, d(2026, 6, 30)),
            77000,
            "{}: earlier months keep their value",
            t.label
        );
        assert_eq!(v(&set, d(2026, 7, 1)), 80050, "{}", t.label);

        let dup = t
            .write(|tx| parameters::add(tx, &admin, &new("900", d(2026, 7, 1))))
            .unwrap_err();
        assert!(
            matches!(dup, ReferenceError::Invalid(_)),
            "{}: {dup}",
            t.label
        );
        let bad = t
            .write(|tx| parameters::add(tx, &admin, &new("8OO", d(2027, 1, 1))))
            .unwrap_err();
        assert!(bad.to_string().contains("金额"), "{bad}");
        let mut unknown = new("1", d(2027, 1, 1));
        unknown.key = "dibao.no_such_key".into();
        assert!(
            t.write(|tx| parameters::add(tx, &admin, &unknown))
                .unwrap_err()
                .to_string()
                .contains("不存在")
        );
        let street = Principal {
            role: Role::StreetOfficer,
            scope_code: "500103001".into(),
            ..Principal::system("street")
        };
        let refused = t
            .write(|tx| parameters::add(tx, &street, &new("900", d(2027, 1, 1))))
            .unwrap_err();
        assert!(matches!(refused, ReferenceError::Access(_)), "{refused}");

        let (rows, audits): (i64, i64) = t
            .read(|tx| {
                let r = tx
                    .query_one("SELECT COUNT(*) FROM policy_parameter", params![])?
                    .get(0)?;
                let a = tx
                    .query_one(
                        "SELECT COUNT(*) FROM audit_log WHERE action = 'parameter.add'",
                        params![],
                    )?
                    .get(0)?;
                Ok::<_, minzheng_store::StoreError>((r, a))
            })
            .unwrap();
        assert_eq!(
            (rows, audits),
            (ParamSet::builtin().len() as i64 + 1, 1),
            "{}",
            t.label
        );
    }
}
