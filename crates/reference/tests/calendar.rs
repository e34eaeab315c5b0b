//! Loading a new year's holiday notice on every backend of the run.

use chrono::NaiveDate;
use minzheng_access::{Principal, Role};
use minzheng_kernel::calendar::DayKind;
use minzheng_reference::calendar::{calendar, load_notice};
use minzheng_store::params;
use minzheng_store::testing::databases;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const NOTICE_2027: &str = "date,kind,name_zh
2027-01-01,holiday,元旦
2027-02-06,makeup_workday,春节
2027-02-08,holiday,春节
2027-02-09,holiday,春节
2027-02-10,holiday,春节
2027-02-11,holiday,春节
2027-02-12,holiday,春节
";

#[test]
fn a_loaded_notice_makes_next_years_deadlines_exact() {
    for t in databases("calendar_notice") {
        let before = t
            .read(|tx| {
                Ok::<_, minzheng_reference::ReferenceError>(
                    calendar(tx)?.add_workdays(d(2026, 12, 25), 10).unwrap(),
                )
            })
            .unwrap();
        assert!(before.provisional, "{}", t.label);
        // Weekends only: 12-28..31 (4), 01-01 (Fri) counts as a workday, 01-04..08 (5) → 10th is 2027-01-08.
        assert_eq!(before.date, d(2027, 1, 8), "{}", t.label);

        let street = Principal {
            role: Role::StreetOfficer,
            scope_code: "500103001".into(),
            ..Principal::system("s")
        };
        assert!(t.write(|tx| load_notice(tx, &street, NOTICE_2027)).is_err());
        let admin = Principal::system("test");
        let bad = NOTICE_2027.replace("2027-02-06,makeup_workday", "2027-02-05,makeup_workday");
        let err = t.write(|tx| load_notice(tx, &admin, &bad)).unwrap_err();
        assert!(err.to_string().contains("2027-02-05"), "{err}");
        let gap = NOTICE_2027.replace("2027-", "2029-");
        assert!(
            t.write(|tx| load_notice(tx, &admin, &gap)).is_err(),
            "{}: 2028 missing",
            t.label
        );
        let stored: i64 = t
            .read(|tx| {
                tx.query_one("SELECT COUNT(*) FROM calendar_notice", params![])?
                    .get(0)
            })
            .unwrap();
        assert_eq!(stored, 0, "{}: refused notices leave nothing", t.label);

        let notice = t.write(|tx| load_notice(tx, &admin, NOTICE_2027)).unwrap();
        assert_eq!(notice.year(), 2027);
        let (after, newyear, makeup) = t
            .read(|tx| {
                let c = calendar(tx)?;
                Ok::<_, minzheng_reference::ReferenceError>((
                    c.add_workdays(d(2026, 12, 25), 10).unwrap(),
                    c.day_kind(d(2027, 1, 1)).kind,
                    c.is_workday(d(2027, 2, 6)),
                ))
            })
            .unwrap();
        assert!(!after.provisional, "{}", t.label);
        assert_eq!(
            after.date,
            d(2027, 1, 11),
            "{}: 元旦 is a holiday now",
            t.label
        );
        assert_eq!(newyear, DayKind::Holiday);
        assert!(makeup, "{}: the make-up Saturday is a working day", t.label);
        let audits: i64 = t
            .read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'calendar.load_notice'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(audits, 1);
    }
}
