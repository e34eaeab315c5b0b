//! The scope walk, on every backend of the run: the demo data set loaded as `minzheng demo` loads
//! it, then every demo account signs in and walks every list, count and export page and API of
//! every area, and every record page of every record; the commands that export or count walk
//! the same with `--as`. Nothing outside the account's scope may appear: every region code in an
//! answer (12-digit communities, 9-digit streets) lies inside the scope or above it, every record
//! outside it is refused, and whole ID numbers appear only to a role allowed to see them.
//!
//! A new route is one line in [`LISTS`] (a page, an API or a download of lists and counts) or in
//! [`RECORDS`] (one URL per record of a table, with the record's place).

use minzheng_access::{Action, Principal, Role};
use minzheng_kernel::id_number::{IdNumber, china_today};
use minzheng_kernel::month::Month;
use minzheng_store::testing::databases;
use minzheng_store::{DatabaseUrl, Db, params};
use minzheng_web::testing::{Browser, TestResponse, TestServer};
use std::process::Command;

/// Lists, counts and downloads, per area. `{month}` is the demo's computed payroll month,
/// `{this}` the current month.
const LISTS: &[(&str, &str)] = &[
    ("home", "/"),
    ("assistance", "/assistance"),
    ("assistance", "/assistance/notices"),
    ("assistance", "/assistance/notices/print"),
    ("assistance", "/api/v1/assistance/worklist"),
    ("benefits", "/benefits?month={month}"),
    ("benefits", "/benefits/enrolments"),
    ("benefits", "/benefits/reviews?month={this}"),
    ("benefits", "/benefits/prices"),
    ("benefits", "/benefits/what-if"),
    ("benefits", "/benefits/worklist"),
    ("benefits", "/benefits/months/{month}/export.csv"),
    ("benefits", "/benefits/months/{month}/export.xlsx"),
    ("institutions", "/institutions"),
    ("institutions", "/institutions/gate"),
    ("institutions", "/institutions/inspections"),
    ("institutions", "/institutions/orders"),
    ("institutions", "/institutions/policies"),
    ("institutions", "/institutions/registry"),
    ("institutions", "/institutions/residents"),
    ("institutions", "/institutions/worklist"),
    ("institutions", "/api/v1/institutions/coverage"),
    ("institutions", "/api/v1/institutions/dashboard"),
    ("institutions", "/api/v1/institutions/gate/open"),
    ("institutions", "/api/v1/institutions/worklist"),
    ("marriage", "/marriage"),
    ("marriage", "/marriage/desk"),
    ("marriage", "/marriage/desk/divorces"),
    ("marriage", "/marriage/stats"),
    ("marriage", "/api/v1/marriage/stats?month={this}"),
    ("governance", "/governance"),
    ("governance", "/governance/councils"),
    ("governance", "/governance/duty-lists"),
    ("governance", "/governance/indicators"),
    ("governance", "/api/v1/governance/requests"),
    ("governance", "/api/v1/governance/indicators"),
    ("accounts", "/admin/accounts"),
    ("audit", "/admin/audit"),
];

/// Record pages of one table: the area, the query giving each record's id and place (a region
/// code or prefix; a payroll cycle's is its district, which a street inside it reaches), its URLs,
/// and the permission, if any, that carries whole ID numbers in them beside
/// [`Action::PersonUnmask`] (a bank file holds them for the bank: docs/ACCESS.md).
struct Records {
    area: &'static str,
    sql: &'static str,
    urls: &'static [&'static str],
    whole_ids_with: Option<Action>,
}

const fn records(area: &'static str, sql: &'static str, urls: &'static [&'static str]) -> Records {
    Records {
        area,
        sql,
        urls,
        whole_ids_with: None,
    }
}

const RECORDS: &[Records] = &[
    records(
        "assistance",
        "SELECT id, region_code FROM assistance_application",
        &[
            "/assistance/cases/{id}",
            "/assistance/cases/{id}/print/acceptance",
            "/assistance/cases/{id}/print/approval",
            "/api/v1/assistance/cases/{id}",
        ],
    ),
    records(
        "assistance",
        "SELECT id, region_code FROM household",
        &["/assistance/households/{id}"],
    ),
    records(
        "benefits",
        "SELECT id, region_code FROM enrolment",
        &["/benefits/enrolments/{id}"],
    ),
    records(
        "benefits",
        "SELECT id, district_code FROM payroll_cycle",
        &[
            "/benefits/cycles/{id}",
            "/benefits/cycles/{id}/export.csv",
            "/benefits/cycles/{id}/export.xlsx",
        ],
    ),
    Records {
        whole_ids_with: Some(Action::PayrollRelease),
        ..records(
            "benefits",
            "SELECT f.id, c.district_code FROM bank_file f JOIN payroll_cycle c ON c.id = f.cycle_id",
            &["/benefits/bank-files/{id}"],
        )
    },
    records(
        "governance",
        "SELECT id, region_code FROM request",
        &[
            "/governance/requests/{id}",
            "/api/v1/governance/requests/{id}",
        ],
    ),
    records(
        "governance",
        "SELECT id, region_code FROM meeting",
        &["/governance/meetings/{id}"],
    ),
    records(
        "marriage",
        "SELECT a.id, o.region_code FROM appointment a JOIN marriage_office o ON o.id = a.office_id",
        &["/marriage/desk/{id}"],
    ),
    records(
        "accounts",
        "SELECT id, scope FROM account",
        &["/admin/accounts/{id}"],
    ),
];

/// Records walked per table and place.
const RECORDS_PER_PLACE: usize = 3;

/// The commands that list, count or export, run as each account with `--as`; `{out}` is a file.
const COMMANDS: &[&[&str]] = &[
    &["payroll", "report", "{month}"],
    &["payroll", "worklist"],
    &["payroll", "export", "{month}", "--out", "{out}.csv"],
];

/// A demo account as the walk sees it.
struct Account {
    username: String,
    principal: Principal,
}

impl Account {
    fn prefixes(&self) -> Vec<String> {
        self.principal.scope().as_prefixes().to_vec()
    }

    /// A code inside the scope, or above it (the district of a street officer).
    fn may_see(&self, code: &str) -> bool {
        self.prefixes()
            .iter()
            .any(|p| code.starts_with(p.as_str()) || p.starts_with(code))
    }

    /// A record's place inside the scope (a payroll cycle's district: reached from inside).
    fn reaches(&self, place: &str) -> bool {
        self.prefixes()
            .iter()
            .any(|p| place.starts_with(p.as_str()) || p.starts_with(place))
    }
}

fn url_of(db: &Db) -> String {
    match db.url() {
        DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
        DatabaseUrl::Postgres(u) => u.clone(),
    }
}

fn accounts(db: &Db) -> Vec<Account> {
    db.read(|tx| {
        let rows = tx.query(
            "SELECT id, username, role, scope, unit_id FROM account WHERE role <> 'citizen' ORDER BY id",
            params![],
        )?;
        rows.iter()
            .map(|r| {
                let username: String = r.get(1)?;
                Ok(Account {
                    principal: Principal {
                        account_id: r.get(0)?,
                        username: username.clone(),
                        display_name: username.clone(),
                        role: Role::from_id(&r.get::<String>(2)?).expect("a known role"),
                        scope_code: r.get(3)?,
                        unit_id: r.get(4)?,
                        address: None,
                        request_id: None,
                    },
                    username,
                })
            })
            .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
    })
    .unwrap()
}

/// The text of an answer: a page, JSON, a CSV, or every part of a workbook.
fn text_of(r: &TestResponse) -> String {
    if r.body.starts_with(b"PK\x03\x04") {
        return minzheng_kernel::sheet::unzip(&r.body)
            .expect("a readable workbook")
            .into_iter()
            .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
            .collect();
    }
    r.text()
}

/// Runs of digits (with a final X for ID numbers) in a text.
fn digit_runs(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i < bytes.len() && (bytes[i] == b'X' || bytes[i] == b'x') && i - start == 17 {
            i += 1;
        }
        out.push(&text[start..i]);
    }
    out
}

/// What an answer shows that the account may not see; `whole` when the answer may carry whole
/// ID numbers whatever [`Action::PersonUnmask`] says.
fn leaks(a: &Account, text: &str, whole: bool) -> Vec<String> {
    let today = china_today();
    let unmask = whole || a.principal.can(Action::PersonUnmask);
    let mut out = Vec::new();
    for run in digit_runs(text) {
        let region = matches!(run.len(), 9 | 12) && run.starts_with("50");
        if region && !a.may_see(run) {
            out.push(format!("region code {run}"));
        }
        if run.len() == 18 && IdNumber::parse_strict(run, today).is_ok() && !unmask {
            out.push(format!("whole ID number {run}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn no_demo_account_sees_anything_outside_its_scope_anywhere() {
    for t in databases("cli_scope_walk") {
        let url = url_of(&t);
        let demo = Command::new(env!("CARGO_BIN_EXE_minzheng"))
            .env_remove("MINZHENG_DATABASE_URL")
            .env("MINZHENG_AUDIT_KEY_FILE", t.audit_key_file())
            .args(["--database-url", &url, "demo"])
            .output()
            .unwrap();
        assert!(
            demo.status.success(),
            "{}: {}",
            t.label,
            String::from_utf8_lossy(&demo.stderr)
        );
        let this = Month::of(china_today());
        let month = this.plus(-1).to_string();
        let fill = |path: &str| {
            path.replace("{month}", &month)
                .replace("{this}", &this.to_string())
        };
        let records: Vec<(&Records, String, String)> = RECORDS
            .iter()
            .flat_map(|rec| {
                let rows: Vec<(i64, String)> = t
                    .read(|tx| {
                        tx.query(rec.sql, params![])?
                            .iter()
                            .map(|r| Ok((r.get(0)?, r.get(1)?)))
                            .collect::<Result<Vec<_>, minzheng_store::StoreError>>()
                    })
                    .unwrap();
                assert!(!rows.is_empty(), "{}: no records for {}", t.label, rec.sql);
                // Every place, a few records of each: what a scope lets through is the place.
                let mut per_place: std::collections::HashMap<String, usize> = Default::default();
                let rows: Vec<(i64, String)> = rows
                    .into_iter()
                    .filter(|(_, place)| {
                        let n = per_place.entry(place.clone()).or_default();
                        *n += 1;
                        *n <= RECORDS_PER_PLACE
                    })
                    .collect();
                rows.into_iter().flat_map(move |(id, place)| {
                    rec.urls
                        .iter()
                        .map(move |u| (rec, u.replace("{id}", &id.to_string()), place.clone()))
                })
            })
            .collect();
        let server = TestServer::start(t.db.clone());
        let mut failures: Vec<String> = Vec::new();
        let mut walked = 0;
        let mut shown = 0;
        let all = accounts(&t);
        assert_eq!(all.len(), 14, "{}: the README's demo accounts", t.label);
        for a in &all {
            let mut b = Browser::new(server.addr);
            b.sign_in(&a.username, "Minzheng-2026");
            // Every answer is counted and none may be a server error.
            let mut get = |path: &str| {
                let r = b.get(path);
                walked += 1;
                assert!(
                    r.status < 500,
                    "{}: {} {path}: {}",
                    t.label,
                    a.username,
                    r.status
                );
                r
            };
            for (area, path) in LISTS {
                let path = fill(path);
                let r = get(&path);
                if r.status == 200 {
                    shown += 1;
                    for leak in leaks(a, &text_of(&r), false) {
                        failures.push(format!("{} ({area}) {path}: {leak}", a.username));
                    }
                }
            }
            for (rec, path, place) in &records {
                let area = rec.area;
                let r = get(path);
                if r.status != 200 {
                    continue;
                }
                if !a.reaches(place) {
                    failures.push(format!(
                        "{} ({area}) {path}: a record of {place} is shown",
                        a.username
                    ));
                }
                let whole = rec.whole_ids_with.is_some_and(|w| a.principal.can(w));
                for leak in leaks(a, &text_of(&r), whole) {
                    failures.push(format!("{} ({area}) {path}: {leak}", a.username));
                }
            }
            for command in COMMANDS {
                let out_file = std::env::temp_dir().join(format!(
                    "minzheng-scope-walk-{}-{}",
                    std::process::id(),
                    a.username
                ));
                let args: Vec<String> = command
                    .iter()
                    .map(|c| fill(c).replace("{out}", &out_file.display().to_string()))
                    .collect();
                let out = Command::new(env!("CARGO_BIN_EXE_minzheng"))
                    .env_remove("MINZHENG_DATABASE_URL")
                    .env("MINZHENG_AUDIT_KEY_FILE", t.audit_key_file())
                    .args(["--database-url", &url])
                    .args(&args[..1])
                    .args(["--as", &a.username])
                    .args(&args[1..])
                    .output()
                    .unwrap();
                walked += 1;
                let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
                let written = out_file.with_extension("csv");
                if let Ok(bytes) = std::fs::read(&written) {
                    text.push_str(&String::from_utf8_lossy(&bytes));
                    let _ = std::fs::remove_file(&written);
                }
                for leak in leaks(a, &text, false) {
                    failures.push(format!("{} (cli) {}: {leak}", a.username, args.join(" ")));
                }
            }
        }
        assert!(walked > 500, "{}: walked {walked}", t.label);
        eprintln!(
            "{}: {walked} answers walked, {shown} list answers shown",
            t.label
        );
        assert!(
            failures.is_empty(),
            "{}: {} answers show what their account may not see:\n{}",
            t.label,
            failures.len(),
            failures.join("\n")
        );
    }
}
