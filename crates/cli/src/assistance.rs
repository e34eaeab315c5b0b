//! `minzheng assistance …` and this area's benchmark scenarios: the same services as the pages.

use crate::bench::{Figures, backend_name, peak_rss_mb, print, scratch, stats};
use crate::config::Config;
use chrono::{Duration as Days, NaiveDate};
use clap::Subcommand;
use minzheng_access::{Principal, Role};
use minzheng_assistance::queries::{self, WorklistQuery};
use minzheng_assistance::rules::State;
use minzheng_kernel::id_number::{IdNumber, china_today};
use minzheng_store::{Backend, Db, StoreError, Value, params};
use minzheng_web::testing::{TestServer, request};
use std::time::{Duration, Instant};

/// The commands of the assistance area.
#[derive(Subcommand)]
pub enum Command {
    /// Counts of households, applications by state, overdue cases and referrals.
    Status,
    /// The worklist of an account (by sign-in name), soonest deadline first.
    Worklist {
        /// Sign-in name.
        #[arg(long)]
        user: String,
        /// Only overdue cases.
        #[arg(long)]
        overdue: bool,
    },
}

/// The benchmark scenarios of the assistance area (`minzheng bench …`).
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Worklist page and case page times over HTTP with N applications in the database (generated
    /// through the bulk path), beside the worklist query alone.
    AssistanceWorklist {
        /// Applications generated.
        #[arg(long, default_value_t = 1_000_000)]
        applications: i64,
        /// Requests measured per page.
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// End-to-end time of the scripted online case through the HTTP API (citizen applies, street
    /// accepts, checks, visits, a 5-member panel votes by API, notice, district visits and approves).
    AssistanceOnline {
        /// Cases run.
        #[arg(long, default_value_t = 10)]
        runs: usize,
    },
}

fn principal(db: &Db, username: &str) -> Result<Principal, String> {
    db.read(|tx| -> Result<Principal, StoreError> {
        let r = tx.query_one(
            "SELECT id, display_name, role, scope, unit_id FROM account WHERE username = $1",
            params![username],
        )?;
        let role: String = r.get(2)?;
        Ok(Principal {
            account_id: r.get(0)?,
            username: username.to_owned(),
            display_name: r.get(1)?,
            role: Role::ALL
                .into_iter()
                .find(|x| x.id() == role)
                .unwrap_or(Role::Citizen),
            scope_code: r.get(3)?,
            unit_id: r.get(4)?,
            address: None,
            request_id: None,
        })
    })
    .map_err(|e| format!("账户 {username}：{e}"))
}

/// Runs a command of this area.
pub fn run(config: &Config, command: Command) -> Result<(), String> {
    let db = crate::open_migrated(config)?;
    match command {
        Command::Status => {
            let today = china_today().to_string();
            let (households, by_state, overdue, referrals) = db
                .read(|tx| -> Result<_, StoreError> {
                    let h: i64 = tx.query_one("SELECT COUNT(DISTINCT household_id) FROM household_member WHERE active", params![])?.get(0)?;
                    let mut v = Vec::new();
                    for r in tx.query("SELECT state, COUNT(*) FROM assistance_application GROUP BY state ORDER BY state", params![])? {
                        v.push((r.get::<String>(0)?, r.get::<i64>(1)?));
                    }
                    let o: i64 = tx
                        .query_one("SELECT COUNT(*) FROM assistance_application WHERE is_open AND paused_since IS NULL AND deadline < $1", params![today])?
                        .get(0)?;
                    let f: i64 = tx.query_one("SELECT COUNT(*) FROM assistance_referral", params![])?.get(0)?;
                    Ok((h, v, o, f))
                })
                .map_err(|e| e.to_string())?;
            println!("救助家庭 {households} 户，转办事项 {referrals} 件，超期未办结 {overdue} 件");
            for (s, n) in by_state {
                println!(
                    "  {}：{n}",
                    State::parse(&s).map(|s| s.label_zh()).unwrap_or("?")
                );
            }
            Ok(())
        }
        Command::Worklist { user, overdue } => {
            let who = principal(&db, &user)?;
            let q = WorklistQuery {
                overdue_only: overdue,
                limit: 100,
                ..WorklistQuery::default()
            };
            let items = db
                .read(|tx| queries::worklist(tx, &who, &q, china_today()))
                .map_err(|e| e.to_string())?;
            for i in items {
                println!(
                    "{:>8} {:<12} {:<8} {:<16} {}{}",
                    i.id,
                    i.program,
                    i.applicant,
                    i.state_label,
                    i.deadline.unwrap_or_default(),
                    if i.overdue { " 已超期" } else { "" }
                );
            }
            Ok(())
        }
    }
}

/// Runs a benchmark scenario of this area.
pub fn bench(database_url: Option<&str>, command: BenchCommand) -> Result<(), String> {
    match command {
        BenchCommand::AssistanceWorklist { applications, runs } => {
            worklist_bench(database_url, applications, runs)
        }
        BenchCommand::AssistanceOnline { runs } => online_bench(database_url, runs),
    }
}

const PASSWORD: &str = "Bench-Minzheng-2026";

fn prepare(db: &Db) -> Result<(), String> {
    minzheng_store::migrations::migrate(db).map_err(|e| e.to_string())?;
    db.write(minzheng_reference::parameters::sync_seed)
        .map_err(|e| e.to_string())?;
    let system = Principal::system("bench");
    let mut accounts = vec![
        (
            "bench-street".to_owned(),
            Role::StreetOfficer,
            "500103001".to_owned(),
        ),
        (
            "bench-reviewer".to_owned(),
            Role::DistrictReviewer,
            "500103".to_owned(),
        ),
    ];
    for i in 1..=5 {
        accounts.push((
            format!("bench-panel{i}"),
            Role::CommunityWorker,
            "500103001003".to_owned(),
        ));
    }
    for (u, role, scope) in accounts {
        let new = minzheng_access::accounts::NewAccount {
            username: u,
            display_name: "压测".into(),
            role,
            scope,
            unit_id: None,
            password: PASSWORD.into(),
            phone: None,
        };
        db.write(|tx| minzheng_access::accounts::create(tx, &system, &new))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn session(db: &Db, username: &str) -> Result<(String, String), String> {
    let who = principal(db, username)?;
    let s = db
        .write(|tx| {
            minzheng_access::sessions::create(
                tx,
                who.account_id,
                None,
                chrono::Utc::now(),
                &minzheng_access::sessions::SessionPolicy::default(),
            )
        })
        .map_err(|e| e.to_string())?;
    Ok((format!("mz_session={}", s.token), s.csrf_token))
}

fn citizen(db: &Db, n: usize, today: NaiveDate) -> Result<(String, String), String> {
    let id = IdNumber::generate(
        "500103",
        NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or(today) + Days::days(n as i64),
        500,
    )
    .map_err(|e| e.to_string())?;
    let phone = format!("137{:08}", n);
    let username = format!("citizen-{phone}");
    db.write(|tx| {
        tx.execute(
            "INSERT INTO account (username, display_name, search_keys, role, scope, unit_id, password_hash, phone, id_number, real_name,
             disabled, failed_attempts, locked_until, created_at, updated_at)
             VALUES ($1, '居民', '', 'citizen', '', NULL, NULL, $2, $3, '周建华', FALSE, 0, NULL, $4, $4)",
            params![username, phone, id.as_str(), minzheng_store::format_instant(chrono::Utc::now())],
        )
    })
    .map_err(|e: StoreError| e.to_string())?;
    session(db, &username)
}

struct Api {
    addr: std::net::SocketAddr,
}

impl Api {
    fn post(
        &self,
        who: &(String, String),
        path: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let b = body.to_string();
        let r = request(
            self.addr,
            "POST",
            path,
            &[
                ("cookie", &who.0),
                ("x-csrf-token", &who.1),
                ("content-type", "application/json"),
            ],
            b.as_bytes(),
        );
        if r.status != 200 {
            return Err(format!("POST {path}: {} {}", r.status, r.text()));
        }
        Ok(r.json())
    }
    fn get(
        &self,
        who: &(String, String),
        path: &str,
    ) -> Result<minzheng_web::testing::TestResponse, String> {
        let r = request(self.addr, "GET", path, &[("cookie", &who.0)], b"");
        if r.status != 200 {
            return Err(format!("GET {path}: {} {}", r.status, r.text()));
        }
        Ok(r)
    }
}

/// One scripted online case through the JSON API; returns the case id.
fn scripted_case(
    db: &Db,
    api: &Api,
    n: usize,
    street: &(String, String),
    reviewer: &(String, String),
    panel: &[(String, String)],
) -> Result<i64, String> {
    let today = china_today();
    let c = citizen(db, n, today)?;
    let app = api.post(
        &c,
        "/api/v1/assistance/applications",
        serde_json::json!({
            "program": "dibao", "region_code": "500103001003", "address": format!("华一坡 {n} 号"),
            "members": [], "reason": "失业无收入，申请低保", "authorization_signed": true,
            "documents": ["application_form", "hukou", "id_cards", "income_proof"]
        }),
    )?;
    let id = app["id"].as_i64().ok_or("no id")?;
    let step = |who: &(String, String), s: &str, body: serde_json::Value| {
        api.post(
            who,
            &format!("/api/v1/assistance/cases/{id}/steps/{s}"),
            body,
        )
    };
    step(street, "accept", serde_json::json!({}))?;
    step(
        street,
        "means_check",
        serde_json::json!({ "amount": "120", "flag": true, "text": "核对无异常" }),
    )?;
    step(
        street,
        "home_visit",
        serde_json::json!({ "names": ["甲", "乙"], "text": "情况属实" }),
    )?;
    let names: Vec<String> = (1..=5).map(|i| format!("bench-panel{i}")).collect();
    let view = step(
        street,
        "open_appraisal",
        serde_json::json!({ "names": names, "mode": "video" }),
    )?;
    let meeting = view["meetings"][0]["id"].as_i64().ok_or("no meeting")?;
    for p in panel {
        api.post(
            p,
            &format!("/api/v1/assistance/meetings/{meeting}/vote"),
            serde_json::json!({ "vote": "agree" }),
        )?;
    }
    step(street, "post_notice", serde_json::json!({}))?;
    // The 7-day notice cannot pass in a benchmark: its window is moved back (the only step not
    // through the API).
    let past = (today - Days::days(10)).to_string();
    db.write(|tx| {
        tx.execute(
            "UPDATE public_notice SET starts_on = $1, ends_on = $1 WHERE application_id = $2",
            params![past, id],
        )
    })
    .map_err(|e| e.to_string())?;
    step(street, "close_notice", serde_json::json!({}))?;
    step(
        reviewer,
        "sample_visit",
        serde_json::json!({ "names": ["区县甲", "区县乙"], "text": "抽查属实" }),
    )?;
    let done = step(reviewer, "approve", serde_json::json!({}))?;
    if done["state"] != "approved" {
        return Err(format!("case {id} ended in {}", done["state"]));
    }
    api.get(&c, &format!("/api/v1/assistance/cases/{id}"))?;
    Ok(id)
}

fn online_bench(url: Option<&str>, runs: usize) -> Result<(), String> {
    let s = scratch(url)?;
    let db = &s.db;
    prepare(db)?;
    let server = TestServer::start(db.clone());
    let api = Api { addr: server.addr };
    let street = session(db, "bench-street")?;
    let reviewer = session(db, "bench-reviewer")?;
    let panel: Vec<(String, String)> = (1..=5)
        .map(|i| session(db, &format!("bench-panel{i}")))
        .collect::<Result<_, _>>()?;
    let mut samples = Vec::new();
    for n in 0..runs.max(1) {
        let t = Instant::now();
        scripted_case(db, &api, n + 1, &street, &reviewer, &panel)?;
        samples.push(t.elapsed());
    }
    let (median, min, max) = stats(samples);
    print(&Figures {
        scenario: "assistance-online".into(),
        backend: backend_name(db),
        runs: runs.max(1),
        median_ms: median,
        min_ms: min,
        max_ms: max,
        per_second: if median > 0.0 { 1000.0 / median } else { 0.0 },
        raw_median_ms: None,
        ratio_to_raw: None,
        peak_rss_mb: peak_rss_mb(),
        note: "一件网上申请从提交到批准：15 次 HTTP 请求（申请、受理、核对、入户、评议、5 人表决、公示、结束公示、抽查、批准、查看）；公示期由数据库直接前移".into(),
    });
    Ok(())
}

const APP_COLUMNS: &[&str] = &[
    "id",
    "household_id",
    "applicant_person_id",
    "region_code",
    "program",
    "subtype",
    "channel",
    "state",
    "is_open",
    "rule_set",
    "citizen_account_id",
    "phone",
    "reason",
    "documents",
    "authorization_signed",
    "missing",
    "close_relative",
    "sample_visit",
    "requested_fen",
    "self_care_fails",
    "amount_fen",
    "first_month",
    "explanation",
    "refusal_reasons",
    "submitted_on",
    "accepted_on",
    "decided_on",
    "deadline",
    "time_limit",
    "paused_days",
    "paused_workdays",
    "paused_since",
    "processing_days",
    "version",
    "created_by",
    "created_at",
    "updated_at",
];

const OPEN: [State; 10] = [
    State::Submitted,
    State::Supplement,
    State::Accepted,
    State::MeansChecked,
    State::Visited,
    State::Appraisal,
    State::Notice,
    State::Reinvestigation,
    State::Renotice,
    State::Review,
];
const CLOSED: [State; 3] = [State::Approved, State::Refused, State::Withdrawn];

fn worklist_bench(url: Option<&str>, applications: i64, runs: usize) -> Result<(), String> {
    let s = scratch(url)?;
    let db = &s.db;
    prepare(db)?;
    let today = china_today();
    let tree = minzheng_kernel::region::RegionTree::chongqing();
    let mut communities: Vec<String> = tree
        .nodes()
        .iter()
        .filter(|n| n.level() == minzheng_kernel::region::RegionLevel::Community)
        .map(|n| format!("{:012}", n.code.as_u64()))
        .collect();
    communities.sort();
    let households = (applications / 10).max(1);
    let now = minzheng_store::format_instant(chrono::Utc::now());
    let load = Instant::now();
    db.write(|tx| -> Result<(), StoreError> {
        tx.bulk_insert(
            "household",
            &["id", "region_code", "area_type", "address", "deposits_fen", "vehicles", "housing_units", "origin", "created_at"],
            &mut (1..=households).map(|h| {
                vec![
                    Value::Int(h),
                    Value::Text(communities[(h as usize * 7919) % communities.len()].clone()),
                    Value::Text("urban".into()),
                    Value::Text(format!("压测地址 {h}")),
                    Value::Int(0), Value::Int(0), Value::Int(0),
                    Value::Text("synthetic".into()),
                    Value::Text(now.clone()),
                ]
            }),
        )?;
        tx.bulk_insert(
            "person",
            &["id", "household_id", "id_number", "name", "search_keys", "sex", "birth_date", "relation", "hukou_region", "region_code",
              "monthly_income_fen", "disability_kind", "disability_level", "serious_illness", "student", "created_at"],
            &mut (1..=households).map(|h| {
                let birth = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap_or(today) + Days::days(h % 25_000);
                let id = IdNumber::generate("500106", birth, (h / 25_000 % 1000) as u16).map(|i| i.as_str().to_owned()).unwrap_or_default();
                vec![
                    Value::Int(h), Value::Int(h), Value::Text(id), Value::Text(format!("压测{h}")), Value::Text(String::new()),
                    Value::Text("male".into()), Value::Text(birth.to_string()), Value::Text("head".into()), Value::Text("500106".into()),
                    Value::Text(communities[(h as usize * 7919) % communities.len()].clone()),
                    Value::Int(0), Value::Null, Value::Null, Value::Bool(false), Value::Bool(false), Value::Text(now.clone()),
                ]
            }),
        )?;
        tx.bulk_insert("assistance_application", APP_COLUMNS, &mut (0..applications).map(|i| {
            let h = i % households + 1;
            let round = i / households;
            let open = round == 9 || (applications < 10 && i == 0);
            let state = if open { OPEN[(i as usize * 31) % OPEN.len()] } else { CLOSED[(i as usize) % CLOSED.len()] };
            let submitted = today - Days::days(400 - (round * 40) - (i % 30));
            let deadline = today + Days::days((i % 60) - 20);
            vec![
                Value::Int(i + 1), Value::Int(h), Value::Int(h),
                Value::Text(communities[(h as usize * 7919) % communities.len()].clone()),
                Value::Text("dibao".into()), Value::Null, Value::Text("counter".into()), Value::Text(state.id().into()),
                Value::Bool(open), Value::Text("cq2016".into()), Value::Null, Value::Null, Value::Text("压测".into()),
                Value::Text("application_form,hukou,id_cards,income_proof".into()), Value::Bool(true), Value::Null,
                Value::Bool(false), Value::Bool(false), Value::Null, Value::Null,
                if state == State::Approved { Value::Int(58_000) } else { Value::Null }, Value::Null, Value::Null, Value::Null,
                Value::Text(submitted.to_string()), Value::Text(submitted.to_string()),
                if open { Value::Null } else { Value::Text((submitted + Days::days(25)).to_string()) },
                if open { Value::Text(deadline.to_string()) } else { Value::Null },
                Value::Int(30), Value::Int(0), Value::Int(0), Value::Null, Value::Null, Value::Int(1),
                Value::Text("bench".into()), Value::Text(now.clone()), Value::Text(now.clone()),
            ]
        }))?;
        if tx.backend() == Backend::Postgres {
            tx.execute_batch(
                "SELECT setval(pg_get_serial_sequence('assistance_application', 'id'), (SELECT MAX(id) FROM assistance_application));
                 ANALYZE household; ANALYZE person; ANALYZE assistance_application;",
            )?;
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    let load_s = load.elapsed().as_secs_f64();
    // One real case, made through the services, to open its page.
    let street = principal(db, "bench-street")?;
    let reviewer = principal(db, "bench-reviewer")?;
    let server = TestServer::start(db.clone());
    let api = Api { addr: server.addr };
    let street_s = session(db, "bench-street")?;
    let reviewer_s = session(db, "bench-reviewer")?;
    let panel: Vec<(String, String)> = (1..=5)
        .map(|i| session(db, &format!("bench-panel{i}")))
        .collect::<Result<_, _>>()?;
    let case = scripted_case(db, &api, 1, &street_s, &reviewer_s, &panel)?;
    let mut out = Vec::new();
    for (label, who, sess, path) in [
        (
            "assistance-worklist-district",
            &reviewer,
            &reviewer_s,
            "/assistance".to_owned(),
        ),
        (
            "assistance-worklist-street",
            &street,
            &street_s,
            "/assistance".to_owned(),
        ),
        (
            "assistance-case-page",
            &reviewer,
            &reviewer_s,
            format!("/assistance/cases/{case}"),
        ),
    ] {
        // The same work without HTTP and templates: the role's own worklist (as the page asks)
        // and the case view, straight through the services. Warmed up first (every pooled
        // connection prepares its statements once).
        let states: Vec<String> = queries::states_for(who)
            .iter()
            .map(|s| s.id().to_owned())
            .collect();
        let direct = || -> Result<(), String> {
            if path == "/assistance" {
                let q = WorklistQuery {
                    states: states.clone(),
                    limit: 100,
                    ..WorklistQuery::default()
                };
                db.read(|tx| -> Result<(), minzheng_assistance::AssistanceError> {
                    queries::worklist(tx, who, &q, today)?;
                    queries::counts(tx, who, today)?;
                    Ok(())
                })
                .map_err(|e| e.to_string())
            } else {
                db.read(|tx| queries::case_view(tx, who, case, today))
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        };
        for _ in 0..16 {
            api.get(sess, &path)?;
            direct()?;
        }
        let mut page = Vec::new();
        let mut raw: Vec<Duration> = Vec::new();
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            api.get(sess, &path)?;
            page.push(t.elapsed());
            let t = Instant::now();
            direct()?;
            raw.push(t.elapsed());
        }
        let (median, min, max) = stats(page);
        let (raw_median, _, _) = stats(raw);
        out.push(Figures {
            scenario: label.into(),
            backend: backend_name(db),
            runs: runs.max(1),
            median_ms: median,
            min_ms: min,
            max_ms: max,
            per_second: if median > 0.0 { 1000.0 / median } else { 0.0 },
            raw_median_ms: Some(raw_median),
            ratio_to_raw: Some(if raw_median > 0.0 { median / raw_median } else { 0.0 }),
            peak_rss_mb: peak_rss_mb(),
            note: format!("{applications} 件申请（{} 件办理中）、{households} 户；批量写入 {load_s:.1} 秒；raw = 同样的查询直接调用服务（无 HTTP、无模板），均先预热", applications / 10),
        });
    }
    for f in &out {
        print(f);
    }
    Ok(())
}
