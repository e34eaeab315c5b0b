//! `minzheng institutions …` and this area's benchmark scenarios: the same services as the pages.

use crate::bench::{Figures, backend_name, ms, peak_rss_mb, print, scratch, stats};
use crate::config::Config;
use chrono::NaiveDate;
use clap::Subcommand;
use minzheng_access::Principal;
use minzheng_institutions::{InstitutionsError, inspections, registry, reports, rules};
use minzheng_store::{DatabaseUrl, Db, Value, params};
use std::time::{Duration, Instant};

/// The commands of the institutions area.
#[derive(Subcommand)]
pub enum Command {
    /// Says what the area holds: institutions, facilities, reports, open orders.
    Status,
    /// The daily-report dashboard of a day (city-wide, or one region).
    Dashboard {
        /// Day, YYYY-MM-DD (default today).
        #[arg(long)]
        date: Option<String>,
        /// Region prefix (2, 6, 9 or 12 digits; default the city).
        #[arg(long, default_value = "50")]
        region: String,
    },
    /// Coverage indicators of a region: urban communities with a facility, share socially
    /// operated, new beds and new private institutions per year.
    Coverage {
        /// Region prefix (default the city).
        #[arg(long, default_value = "50")]
        region: String,
        /// Day (default today).
        #[arg(long)]
        date: Option<String>,
    },
    /// Re-runs a recorded 双随机 draw from its seed and pools and says whether it matches.
    RecheckDraw {
        /// The draw id.
        id: i64,
    },
}

/// The benchmark scenarios of the institutions area (`minzheng bench …`).
#[derive(Subcommand)]
pub enum BenchCommand {
    /// The daily-report dashboard over 5,921 institutions and facilities (1,987 + 3,934) with a
    /// year of generated reports: the service city-wide and for one district, the same four SQL
    /// statements through the raw driver, and the page over HTTP.
    InstitutionsDashboard {
        /// Institutions and facilities.
        #[arg(long, default_value_t = 5_921)]
        units: i64,
        /// Days of reports (ending 2020-12-31).
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// Repetitions of each measurement.
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
}

fn date_or_today(s: Option<&str>) -> Result<NaiveDate, String> {
    match s {
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| format!("日期“{s}”无效：应为 YYYY-MM-DD")),
        None => Ok(minzheng_kernel::id_number::china_today()),
    }
}

fn err(e: InstitutionsError) -> String {
    match e {
        InstitutionsError::Internal(c) => c,
        InstitutionsError::Store(s) => s.to_string(),
        other => other.to_string(),
    }
}

fn viewer(region: &str) -> Principal {
    Principal {
        scope_code: region.into(),
        ..Principal::system("cli")
    }
}

/// Runs a command of this area.
pub fn run(config: &Config, command: Command) -> Result<(), String> {
    let db = crate::open_migrated(config)?;
    match command {
        Command::Status => {
            let (inst, fac, reports, open): (i64, i64, i64, i64) = db
                .read(|tx| {
                    let one = |tx: &mut minzheng_store::Tx<'_>, sql: &str| -> Result<i64, minzheng_store::StoreError> {
                        tx.query_one(sql, params![])?.get(0)
                    };
                    Ok::<_, minzheng_store::StoreError>((
                        one(tx, "SELECT COUNT(*) FROM institution WHERE category = 'institution'")?,
                        one(tx, "SELECT COUNT(*) FROM institution WHERE category = 'community_care_facility'")?,
                        one(tx, "SELECT COUNT(*) FROM health_report")?,
                        one(tx, "SELECT COUNT(*) FROM epidemic_order WHERE lifted_on IS NULL")?,
                    ))
                })
                .map_err(|e| e.to_string())?;
            println!(
                "民政服务机构 {inst} 个，社区养老服务设施 {fac} 个，健康日报 {reports} 份，施行中的封闭管理通知 {open} 个"
            );
            Ok(())
        }
        Command::Dashboard { date, region } => {
            let on = date_or_today(date.as_deref())?;
            let who = viewer(if region == "50" { "" } else { &region });
            let d = db
                .read(|tx| reports::dashboard(tx, &who, on))
                .map_err(err)?;
            println!(
                "{on} 机构与设施 {}，已报 {}，未报 {}，发热 {}，隔离 {}，疑似 {}，确诊 {}，距最近一例确诊 {}",
                d.units,
                d.reporting,
                d.missing,
                d.fever,
                d.in_isolation,
                d.suspected,
                d.infections,
                d.days_since_last_case
                    .map(|n| format!("{n} 天"))
                    .unwrap_or_else(|| "无病例".into())
            );
            for (id, name, code) in d.missing_list {
                println!("  未报：{id} {name} {code}");
            }
            Ok(())
        }
        Command::Coverage { region, date } => {
            let on = date_or_today(date.as_deref())?;
            let who = Principal::system("cli");
            use chrono::Datelike;
            let c = db
                .read(|tx| registry::coverage(tx, &who, &region, on, (on.year() - 4)..=on.year()))
                .map_err(err)?;
            println!(
                "{} {}：城市社区 {} 个，有养老服务设施 {} 个（{}）；设施 {} 个，社会化运营 {} 个（{}）；机构 {} 个",
                c.region,
                c.on,
                c.urban_communities,
                c.covered_communities,
                rules::bp_text(c.coverage_bp),
                c.facilities,
                c.socially_operated,
                rules::bp_text(c.socially_operated_bp),
                c.institutions
            );
            for y in c.years {
                println!(
                    "  {} 年：新增床位 {}，新增民办机构 {}",
                    y.year, y.new_beds, y.new_private_institutions
                );
            }
            Ok(())
        }
        Command::RecheckDraw { id } => {
            let who = Principal::system("cli");
            let ok = db
                .read(|tx| inspections::recheck(tx, &who, id))
                .map_err(err)?;
            if ok {
                println!("第 {id} 次抽取复核一致：按记录的种子与名单重抽，结果与计划检查相同");
                Ok(())
            } else {
                Err(format!(
                    "第 {id} 次抽取复核不一致：计划检查与按种子重抽的结果不同"
                ))
            }
        }
    }
}

/// Runs a benchmark scenario of this area.
pub fn bench(database_url: Option<&str>, command: BenchCommand) -> Result<(), String> {
    match command {
        BenchCommand::InstitutionsDashboard { units, days, runs } => {
            dashboard_bench(database_url, units, days, runs)
        }
    }
}

/// The raw equivalent of `reports::dashboard` for a city-wide viewer (no scope condition): the
/// four statements the service runs, as one SQL text each.
const RAW_DASHBOARD: [&str; 4] = [
    "SELECT COUNT(*) FROM institution WHERE opened_on <= $1 AND (closed_on IS NULL OR closed_on > $1)",
    "SELECT COUNT(*), CAST(COALESCE(SUM(residents_fever + staff_fever), 0) AS BIGINT), CAST(COALESCE(SUM(in_isolation), 0) AS BIGINT) FROM health_report WHERE report_date = $1",
    "SELECT i.id, i.name, i.region_code FROM institution i WHERE i.opened_on <= $1 AND (i.closed_on IS NULL OR i.closed_on > $1) AND NOT EXISTS (SELECT 1 FROM health_report h WHERE h.institution_id = i.id AND h.report_date = $1) ORDER BY i.region_code, i.id LIMIT 20",
    "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'suspected' THEN persons ELSE 0 END), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN kind = 'confirmed' THEN persons ELSE 0 END), 0) AS BIGINT), MAX(CASE WHEN kind = 'confirmed' THEN occurred_on END) FROM incident WHERE occurred_on <= $1",
];

fn raw_dashboard(db: &Db, day: &str, runs: usize) -> Result<Vec<Duration>, String> {
    let mut samples = Vec::new();
    match db.url() {
        DatabaseUrl::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
            let mut stmts = Vec::new();
            for sql in RAW_DASHBOARD {
                stmts.push(
                    c.prepare(&sql.replace("$1", "?1"))
                        .map_err(|e| e.to_string())?,
                );
            }
            for _ in 0..runs {
                let t = Instant::now();
                for s in &mut stmts {
                    let mut rows = if s.parameter_count() == 1 {
                        s.query([day])
                    } else {
                        s.query([])
                    }
                    .map_err(|e| e.to_string())?;
                    while rows.next().map_err(|e| e.to_string())?.is_some() {}
                }
                samples.push(t.elapsed());
            }
        }
        DatabaseUrl::Postgres(url) => {
            let mut c =
                postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
            let mut stmts = Vec::new();
            for sql in RAW_DASHBOARD {
                stmts.push(c.prepare(sql).map_err(|e| e.to_string())?);
            }
            let d = day.to_owned();
            for _ in 0..runs {
                let t = Instant::now();
                for s in &stmts {
                    if s.params().is_empty() {
                        c.query(s, &[]).map_err(|e| e.to_string())?;
                    } else {
                        c.query(s, &[&d]).map_err(|e| e.to_string())?;
                    }
                }
                samples.push(t.elapsed());
            }
        }
    }
    Ok(samples)
}

fn dashboard_bench(url: Option<&str>, units: i64, days: i64, runs: usize) -> Result<(), String> {
    let s = scratch(url)?;
    let db = s.db.clone();
    minzheng_store::migrations::migrate(&db).map_err(|e| e.to_string())?;
    db.write(minzheng_reference::parameters::sync_seed)
        .map_err(|e| e.to_string())?;
    let tree = minzheng_kernel::region::RegionTree::chongqing();
    let communities: Vec<String> = tree
        .nodes()
        .iter()
        .filter(|n| n.level() == minzheng_kernel::region::RegionLevel::Community)
        .map(|n| format!("{:012}", n.code.as_u64()))
        .collect();
    let last = NaiveDate::from_ymd_opt(2020, 12, 31).ok_or("date")?;
    let first = last - chrono::Days::new(u64::try_from(days - 1).map_err(|_| "days")?);
    let institutions = units * 1_987 / 5_921;
    let load_start = Instant::now();
    let created = minzheng_store::format_instant(chrono::Utc::now());
    db.write(|tx| {
        tx.bulk_insert(
            "institution",
            &[
                "id",
                "category",
                "kind",
                "name",
                "operator",
                "socially_operated",
                "address",
                "region_code",
                "beds",
                "resident_count",
                "staff_count",
                "opened_on",
                "created_at",
            ],
            &mut (1..=units).map(|i| {
                let inst = i <= institutions;
                let code = &communities[(i as usize * 7919) % communities.len()];
                vec![
                    Value::Int(i),
                    Value::Text(
                        if inst {
                            "institution"
                        } else {
                            "community_care_facility"
                        }
                        .into(),
                    ),
                    Value::Text(if inst { "elderly_home" } else { "station" }.into()),
                    Value::Text(format!("机构{i}")),
                    Value::Text(if i % 3 == 0 { "private" } else { "public" }.into()),
                    Value::Bool(!inst && i % 20 < 9),
                    Value::Text("x".into()),
                    Value::Text(code.clone()),
                    Value::Int(if inst { 120 } else { 10 }),
                    Value::Int(0),
                    Value::Int(0),
                    Value::Text("2019-01-01".into()),
                    Value::Text(created.clone()),
                ]
            }),
        )?;
        // One report per unit and day, except a deterministic ~3 % that did not report.
        tx.bulk_insert(
            "health_report",
            &[
                "institution_id",
                "region_code",
                "report_date",
                "residents_fever",
                "residents_symptoms",
                "staff_fever",
                "staff_symptoms",
                "in_isolation",
                "tested",
                "reported_by",
                "reported_at",
            ],
            &mut (0..days).flat_map(|dd| {
                let day = (first + chrono::Days::new(dd as u64))
                    .format("%Y-%m-%d")
                    .to_string();
                let communities = &communities;
                let created = created.clone();
                (1..=units).filter_map(move |i| {
                    if (i * 31 + dd * 17) % 100 < 3 {
                        return None;
                    }
                    let code = &communities[(i as usize * 7919) % communities.len()];
                    Some(vec![
                        Value::Int(i),
                        Value::Text(code.clone()),
                        Value::Text(day.clone()),
                        Value::Int(i64::from((i + dd) % 997 == 0)),
                        Value::Int(0),
                        Value::Int(0),
                        Value::Int(0),
                        Value::Int(i64::from(i % 50 == 0)),
                        Value::Int(5),
                        Value::Text("bench".into()),
                        Value::Text(created.clone()),
                    ])
                })
            }),
        )?;
        Ok::<_, minzheng_store::StoreError>(())
    })
    .map_err(|e| e.to_string())?;
    let load = load_start.elapsed();
    let analyze = match db.backend() {
        minzheng_store::Backend::Postgres => "ANALYZE institution; ANALYZE health_report",
        minzheng_store::Backend::Sqlite => "ANALYZE",
    };
    db.write(|tx| tx.execute_batch(analyze))
        .map_err(|e| e.to_string())?;
    let rows: i64 = db
        .read(|tx| {
            tx.query_one("SELECT COUNT(*) FROM health_report", params![])?
                .get::<i64>(0)
        })
        .map_err(|e| e.to_string())?;
    let backend = backend_name(&db);
    let time = |who: &Principal| -> Result<(Vec<Duration>, reports::Dashboard), String> {
        let mut samples = Vec::new();
        let mut last_d = None;
        for _ in 0..runs {
            let t = Instant::now();
            let d = db
                .read(|tx| reports::dashboard(tx, who, last))
                .map_err(err)?;
            samples.push(t.elapsed());
            last_d = Some(d);
        }
        Ok((samples, last_d.ok_or("no runs")?))
    };
    let city = Principal::system("bench");
    let (city_samples, d) = time(&city)?;
    let raw = raw_dashboard(&db, &last.format("%Y-%m-%d").to_string(), runs)?;
    let (raw_m, _, _) = stats(raw);
    let (m, lo, hi) = stats(city_samples);
    print(&Figures {
        scenario: "institutions-dashboard city".into(),
        backend: backend.clone(),
        runs,
        median_ms: m,
        min_ms: lo,
        max_ms: hi,
        per_second: 1000.0 / m,
        raw_median_ms: Some(raw_m),
        ratio_to_raw: Some(m / raw_m),
        peak_rss_mb: peak_rss_mb(),
        note: format!(
            "{units} units, {rows} reports over {days} days loaded in {:.1} s; {} reporting, {} missing on {last}; raw = the same statements through the driver",
            load.as_secs_f64(),
            d.reporting,
            d.missing
        ),
    });
    let district = viewer("500103");
    let (dist_samples, dd) = time(&district)?;
    let (m, lo, hi) = stats(dist_samples);
    print(&Figures {
        scenario: "institutions-dashboard district".into(),
        backend: backend.clone(),
        runs,
        median_ms: m,
        min_ms: lo,
        max_ms: hi,
        per_second: 1000.0 / m,
        raw_median_ms: None,
        ratio_to_raw: None,
        peak_rss_mb: peak_rss_mb(),
        note: format!(
            "渝中区 scope: {} units, {} reporting",
            dd.units, dd.reporting
        ),
    });
    // The page over HTTP, signed in as a city administrator.
    db.write(|tx| {
        minzheng_access::accounts::create(
            tx,
            &Principal::system("bench"),
            &minzheng_access::accounts::NewAccount {
                username: "bench-admin".into(),
                display_name: "压测管理员".into(),
                role: minzheng_access::Role::CityAdmin,
                scope: "50".into(),
                unit_id: None,
                password: crate::demo::DEMO_PASSWORD.into(),
                phone: None,
            },
        )
    })
    .map_err(|e| e.to_string())?;
    let server = minzheng_web::testing::TestServer::start(db.clone());
    let mut b = minzheng_web::testing::Browser::new(server.addr);
    b.sign_in("bench-admin", crate::demo::DEMO_PASSWORD);
    let path = format!("/institutions?date={last}");
    let mut samples = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let r = b.get(&path);
        samples.push(t.elapsed());
        if r.status != 200 {
            return Err(format!("page answered {}", r.status));
        }
    }
    let mut sorted = samples.clone();
    sorted.sort();
    let p95 = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)];
    let (m, lo, hi) = stats(samples);
    print(&Figures {
        scenario: "institutions-dashboard page".into(),
        backend,
        runs,
        median_ms: m,
        min_ms: lo,
        max_ms: hi,
        per_second: 1000.0 / m,
        raw_median_ms: Some(raw_m),
        ratio_to_raw: Some(m / raw_m),
        peak_rss_mb: peak_rss_mb(),
        note: format!(
            "GET /institutions (city scope) over HTTP/1.1, p95 {:.2} ms; raw = the four statements through the driver",
            ms(p95)
        ),
    });
    Ok(())
}
