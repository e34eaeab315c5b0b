//! `minzheng generate` on every backend of the run: all or nothing, refused twice, deterministic.

use minzheng_store::testing::{TestDb, databases};
use minzheng_store::{DatabaseUrl, Db, params};
use std::process::Command;

fn url_of(db: &Db) -> String {
    match db.url() {
        DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
        DatabaseUrl::Postgres(u) => u.clone(),
    }
}

fn generate(t: &TestDb, seed: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_minzheng"))
        .env_remove("MINZHENG_DATABASE_URL")
        .env("MINZHENG_AUDIT_KEY_FILE", t.audit_key_file())
        .args([
            "--database-url",
            &url_of(t),
            "generate",
            "--scale",
            "demo",
            "--seed",
            seed,
        ])
        .output()
        .unwrap()
}

fn ids(db: &Db) -> Vec<String> {
    db.read(|tx| {
        tx.query("SELECT id_number FROM person ORDER BY id", params![])?
            .iter()
            .map(|r| r.get(0))
            .collect()
    })
    .unwrap()
}

#[test]
fn the_demo_population_is_written_whole_once_and_the_same_for_the_same_seed() {
    let mut previous: Option<Vec<String>> = None;
    for t in databases("generate") {
        let out = generate(&t, "7");
        assert!(out.status.success(), "{}: {out:?}", t.label);
        let (households, people, outside): (i64, i64, i64) = t
            .read(|tx| {
                let h = tx.query_one("SELECT COUNT(*) FROM household", params![])?.get(0)?;
                let p = tx.query_one("SELECT COUNT(*) FROM person", params![])?.get(0)?;
                let o = tx
                    .query_one(
                        "SELECT COUNT(*) FROM person WHERE NOT (region_code >= '500103' AND region_code < '500104')
                         AND NOT (region_code >= '500106' AND region_code < '500107')",
                        params![],
                    )?
                    .get(0)?;
                Ok::<_, minzheng_store::StoreError>((h, p, o))
            })
            .unwrap();
        let today = minzheng_kernel::id_number::china_today();
        let expected: i64 = minzheng_synth::generate(minzheng_synth::Scale::Demo, 7, today)
            .unwrap()
            .map(|h| h.unwrap().members.len() as i64)
            .sum();
        assert_eq!(
            (households, people, outside),
            (1_000, expected, 0),
            "{}",
            t.label
        );
        let numbers = ids(&t);
        assert!(
            numbers
                .iter()
                .all(|n| minzheng_kernel::id_number::IdNumber::parse_strict(n, today).is_ok())
        );
        let heads: i64 = t
            .read(|tx| {
                tx.query_one(
                    "SELECT COUNT(*) FROM person WHERE relation = 'head'",
                    params![],
                )?
                .get(0)
            })
            .unwrap();
        assert_eq!(heads, 1_000, "{}: one head per household", t.label);

        // The enrolments follow the rules: dibao households below the standard of their area,
        // tekun people alone and below the line, care subsidies only for grades 1-2.
        let params = minzheng_kernel::params::ParamSet::builtin();
        let standard = |key: &str| {
            params
                .value_of(key, "500103", today)
                .unwrap()
                .value
                .amount()
        };
        let (urban, rural) = (
            standard("dibao.standard.urban"),
            standard("dibao.standard.rural"),
        );
        let (enrolled, dibao, wrong_dibao, wrong_tekun, wrong_care, programs): (
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
        ) = t
            .read(|tx| {
                let one = |tx: &mut minzheng_store::Tx<'_>, sql: &str| -> Result<i64, minzheng_store::StoreError> {
                    tx.query_one(sql, params![urban, rural])?.get(0)
                };
                Ok::<_, minzheng_store::StoreError>((
                    one(tx, "SELECT COUNT(*) FROM enrolment WHERE $1 > 0 AND $2 > 0")?,
                    one(tx, "SELECT COUNT(*) FROM enrolment WHERE program IN ('dibao_urban', 'dibao_rural') AND $1 > 0 AND $2 > 0")?,
                    one(tx, "SELECT COUNT(*) FROM enrolment e WHERE (e.program = 'dibao_urban' AND e.counted_income_fen >= e.members * $1)
                              OR (e.program = 'dibao_rural' AND e.counted_income_fen >= e.members * $2)
                              OR (e.program IN ('dibao_urban', 'dibao_rural')
                                  AND e.members <> (SELECT COUNT(*) FROM person p WHERE p.household_id = e.household_id))")?,
                    one(tx, "SELECT COUNT(*) FROM enrolment e WHERE e.program LIKE 'tekun%'
                              AND ((SELECT COUNT(*) FROM person p WHERE p.household_id = e.household_id) <> 1
                                OR e.counted_income_fen <> 0
                                OR (SELECT MAX(p.monthly_income_fen) FROM person p WHERE p.household_id = e.household_id)
                                   >= CASE WHEN e.area_type = 'urban' THEN CAST($1 AS BIGINT) ELSE CAST($2 AS BIGINT) END)")?,
                    one(tx, "SELECT COUNT(*) FROM enrolment e JOIN person p ON p.id_number = e.id_number
                              WHERE e.program = 'disability_care' AND (p.disability_level IS NULL OR p.disability_level > 2) AND $1 > 0 AND $2 > 0")?,
                    one(tx, "SELECT COUNT(DISTINCT program) FROM enrolment WHERE $1 > 0 AND $2 > 0")?,
                ))
            })
            .unwrap();
        assert!(
            enrolled > 0 && dibao > 0,
            "{}: {enrolled} enrolments",
            t.label
        );
        assert_eq!(
            (wrong_dibao, wrong_tekun, wrong_care),
            (0, 0, 0),
            "{}",
            t.label
        );
        assert!(programs >= 4, "{}: {programs} programs", t.label);

        let again = generate(&t, "7");
        assert!(!again.status.success());
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("人口库已有 1000 户"),
            "{again:?}"
        );
        assert_eq!(
            ids(&t).len() as i64,
            expected,
            "{}: the refused run changed nothing",
            t.label
        );
        if let Some(p) = &previous {
            assert_eq!(
                p, &numbers,
                "the same seed gives the same people on every backend"
            );
        }
        previous = Some(numbers);
    }
}
