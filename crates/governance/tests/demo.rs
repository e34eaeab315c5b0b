//! The demo seed on every backend: requests stand at every step in both demo communities.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{Principal, Role};
use minzheng_store::params;
use minzheng_store::testing::databases;

#[test]
fn the_demo_has_requests_at_every_step_in_both_communities() {
    for t in databases("governance_demo") {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let line =
            t.db.write(|tx| {
                minzheng_reference::parameters::sync_seed(tx).unwrap();
                let system = Principal::system("test");
                for (u, role, scope) in [
                    ("yuzhong-admin", Role::DistrictAdmin, "500103"),
                    ("yuzhong-street", Role::StreetOfficer, "500103001"),
                    ("yuzhong-community", Role::CommunityWorker, "500103001003"),
                    ("shapingba-admin", Role::DistrictAdmin, "500106"),
                    ("shapingba-street", Role::StreetOfficer, "500106001"),
                    ("shapingba-community", Role::CommunityWorker, "500106001001"),
                ] {
                    accounts::create(
                        tx,
                        &system,
                        &NewAccount {
                            username: u.into(),
                            display_name: u.into(),
                            role,
                            scope: scope.into(),
                            unit_id: None,
                            password: "Minzheng-2026".into(),
                            phone: None,
                        },
                    )
                    .unwrap();
                }
                minzheng_governance::demo::seed(tx, today)
            })
            .unwrap();
        assert!(line.contains("基层治理"), "{line}");
        for community in ["500103001003", "500106001001"] {
            let steps: Vec<String> =
                t.db.read(|tx| {
                    tx.query(
                        "SELECT DISTINCT step FROM request WHERE region_code = $1 ORDER BY step",
                        params![community],
                    )?
                    .iter()
                    .map(|r| r.get::<String>(0))
                    .collect::<Result<Vec<_>, _>>()
                })
                .unwrap();
            assert_eq!(
                steps,
                [
                    "closed",
                    "collect",
                    "decide",
                    "deliberate",
                    "implement",
                    "publicize",
                    "revise",
                    "screen"
                ],
                "{} {community}",
                t.label
            );
        }
        let city = Principal::system("test");
        let level = minzheng_governance::indicators::Level::Community;
        let before = t
            .db
            .read(|tx| minzheng_governance::indicators::indicators(tx, &city, level, None, today))
            .unwrap();
        let after =
            t.db.write(|tx| {
                minzheng_governance::tally::rebuild(tx)?;
                minzheng_governance::indicators::indicators(tx, &city, level, None, today)
            })
            .unwrap();
        assert_eq!(
            before.rows, after.rows,
            "running totals drifted ({})",
            t.label
        );
        assert_eq!(before.total.total, 24);
        let refused: i64 =
            t.db.read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM pushed_task WHERE outcome = 'refused'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(refused, 6);
        assert!(matches!(
            minzheng_store::audit::verify(&t.db).unwrap(),
            minzheng_store::audit::ChainStatus::Intact { .. }
        ));
    }
}
