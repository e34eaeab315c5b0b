//! `minzheng marriage …` and this area's benchmark scenarios: the same services as the pages.

use crate::bench::{Figures, backend_name, ms, peak_rss_mb, print, scratch};
use crate::config::Config;
use chrono::NaiveDate;
use clap::Subcommand;
use minzheng_access::Principal;
use minzheng_kernel::id_number::{IdNumber, china_today};
use minzheng_marriage::{offices, services};
use minzheng_store::{DatabaseUrl, Db, params};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// The commands of the marriage area.
#[derive(Subcommand)]
pub enum Command {
    /// Says what the area holds: offices, slots, appointments by status, certificates.
    Status,
    /// Lists the offices with their status on a day (default today).
    Offices {
        /// The day, YYYY-MM-DD.
        #[arg(long)]
        day: Option<String>,
    },
    /// Opens the time slots of an office (or of every office) for a range of days, by the
    /// calendar in force.
    OpenDays {
        /// Office id; all offices when left out.
        #[arg(long)]
        office: Option<i64>,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: String,
    },
    /// Marks past appointments nobody came to as no-shows and ends divorce applications whose
    /// window has passed (run daily).
    Sweep,
}

/// The benchmark scenarios of the marriage area (`minzheng bench …`).
#[derive(Subcommand)]
pub enum BenchCommand {
    /// A release-time rush over HTTP for one office-day: concurrent clients book until every
    /// place is gone; bookings/s, p99 latency and overbooked slots (must be 0), beside the raw
    /// database doing the conditional update and insert of each booking.
    BookingRush {
        /// Concurrent HTTP clients (each a keep-alive connection).
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Places per window (four windows in the day).
        #[arg(long, default_value_t = 2500)]
        places: i64,
        /// Couples trying, as a share of the places in percent (over 100 also measures refusals).
        #[arg(long, default_value_t = 120)]
        demand_percent: usize,
        /// Server instances (child processes of this binary); default 1 on SQLite, 2 on PostgreSQL.
        #[arg(long)]
        instances: Option<usize>,
    },
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("日期“{s}”无效：应为 YYYY-MM-DD"))
}

/// Runs a command of this area.
pub fn run(config: &Config, command: Command) -> Result<(), String> {
    let db = crate::open_migrated(config)?;
    let system = Principal::system("marriage");
    match command {
        Command::Status => {
            let (offices_n, slots, certs, by_status) = db
                .read(|tx| -> Result<_, minzheng_store::StoreError> {
                    let o: i64 = tx
                        .query_one("SELECT COUNT(*) FROM marriage_office", params![])?
                        .get(0)?;
                    let s: i64 = tx
                        .query_one("SELECT COUNT(*) FROM time_slot", params![])?
                        .get(0)?;
                    let c: i64 = tx
                        .query_one("SELECT COUNT(*) FROM marriage_certificate", params![])?
                        .get(0)?;
                    let rows = tx.query(
                        "SELECT status, COUNT(*) FROM appointment GROUP BY status ORDER BY status",
                        params![],
                    )?;
                    let mut v = Vec::new();
                    for r in rows {
                        v.push((r.get::<String>(0)?, r.get::<i64>(1)?));
                    }
                    Ok((o, s, c, v))
                })
                .map_err(|e| e.to_string())?;
            println!("婚姻登记处 {offices_n} 个，预约时段 {slots} 个，已发证 {certs} 本");
            for (s, n) in by_status {
                println!(
                    "  预约 {}：{n}",
                    minzheng_marriage::rules::status::label_zh(&s)
                );
            }
            Ok(())
        }
        Command::Offices { day } => {
            let day = day
                .as_deref()
                .map(parse_day)
                .transpose()?
                .unwrap_or_else(china_today);
            let list = db
                .read(|tx| offices::offices_on(tx, day))
                .map_err(|e| e.to_string())?;
            for s in list {
                println!(
                    "{:>3} {:<8} {}{}",
                    s.office.id,
                    s.office.code,
                    s.office.name,
                    s.suspended
                        .map(|r| format!("（{day} 暂停办理：{r}）"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::OpenDays { office, from, to } => {
            let (from, to) = (parse_day(&from)?, parse_day(&to)?);
            let ids: Vec<i64> = match office {
                Some(o) => vec![o],
                None => db
                    .read(offices::offices)
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .map(|o| o.id)
                    .collect(),
            };
            let mut n = 0;
            for id in ids {
                n += db
                    .write(|tx| offices::open_days(tx, &system, id, from, to))
                    .map_err(|e| e.to_string())?;
            }
            println!("已开放 {n} 个预约时段（{from} 至 {to}）");
            Ok(())
        }
        Command::Sweep => {
            let n = db
                .write(|tx| services::mark_no_shows(tx, &system, None, china_today()))
                .map_err(|e| e.to_string())?;
            println!("{n} 个预约记为未到场");
            Ok(())
        }
    }
}

/// Runs a benchmark scenario of this area.
pub fn bench(database_url: Option<&str>, command: BenchCommand) -> Result<(), String> {
    match command {
        BenchCommand::BookingRush {
            clients,
            places,
            demand_percent,
            instances,
        } => booking_rush(database_url, clients, places, demand_percent, instances),
    }
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16, String> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port())
}

fn spawn_instance(url: &str) -> Result<(Serve, SocketAddr), String> {
    let port = free_port()?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir();
    let child = Process::new(exe)
        .current_dir(dir)
        .env_remove("MINZHENG_DATABASE_URL")
        .env("MINZHENG_LOG_LEVEL", "warn")
        .env("MINZHENG_POOL_SIZE", "16")
        .args([
            "--database-url",
            url,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("无法启动服务实例：{e}"))?;
    let serve = Serve(child);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().map_err(|_| "addr")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut c) = HttpConn::connect(addr)
            && c.send("GET", "/readyz", &[], b"").map(|r| r.0) == Ok(200)
        {
            return Ok((serve, addr));
        }
        if Instant::now() > deadline {
            return Err(format!("实例 {addr} 30 秒内未就绪"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A minimal keep-alive HTTP/1.1 client (one request at a time on one connection).
struct HttpConn {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl HttpConn {
    fn connect(addr: SocketAddr) -> std::io::Result<HttpConn> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        Ok(HttpConn {
            addr,
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        })
    }

    fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut all = head.into_bytes();
        all.extend_from_slice(body);
        self.writer.write_all(&all).map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        self.reader
            .read_exact(&mut body)
            .map_err(|e| e.to_string())?;
        Ok((status, body))
    }
}

struct Couple {
    account_id: i64,
    cookie: String,
    csrf: String,
    body: String,
}

fn prepare(
    db: &Db,
    office: i64,
    day: NaiveDate,
    places: i64,
    couples: usize,
    tag: &str,
) -> Result<(Vec<i64>, Vec<Couple>), String> {
    let system = Principal::system("bench");
    db.write(|tx| -> Result<(), minzheng_marriage::MarriageError> {
        if office == 1 {
            minzheng_reference::parameters::sync_seed(tx)?;
            offices::seed_offices(tx)?;
        }
        offices::set_special_date(
            tx,
            &system,
            office,
            day,
            true,
            Some(places),
            "预约高峰演练",
            chrono::Utc::now(),
        )?;
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    let slots: Vec<i64> = db
        .read(|tx| {
            tx.query(
                "SELECT id FROM time_slot WHERE office_id = $2 AND day = $1 ORDER BY starts_at",
                params![day, office],
            )?
            .iter()
            .map(|r| r.get::<i64>(0))
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| e.to_string())?;
    if slots.is_empty() {
        return Err("演练日没有时段".into());
    }
    // Each office-day gets its own people (one active appointment per person).
    let year = 1980 + office as i32 * 2;
    let birth_m = NaiveDate::from_ymd_opt(year, 1, 1).ok_or("date")?;
    let birth_f = NaiveDate::from_ymd_opt(year + 1, 6, 1).ok_or("date")?;
    let now_text = minzheng_store::format_instant(chrono::Utc::now());
    let mut out = Vec::with_capacity(couples);
    let policy = minzheng_access::sessions::SessionPolicy::default();
    for chunk_start in (0..couples).step_by(2000) {
        let end = (chunk_start + 2000).min(couples);
        let made = db
            .write(|tx| -> Result<Vec<Couple>, minzheng_marriage::MarriageError> {
                let mut v = Vec::new();
                for i in chunk_start..end {
                    // Distinct people: the birth day moves every 500 sequence numbers.
                    let off = chrono::Duration::days((i / 450) as i64);
                    let seq = ((i % 450) * 2 + 1) as u16;
                    let him = IdNumber::generate("500103", birth_m + off, seq)
                        .map_err(|e| minzheng_marriage::MarriageError::Internal(e.to_string()))?;
                    let her = IdNumber::generate("500106", birth_f + off, seq + 1)
                        .map_err(|e| minzheng_marriage::MarriageError::Internal(e.to_string()))?;
                    let id: i64 = tx
                        .query_one(
                            "INSERT INTO account (username, display_name, search_keys, role, scope, phone, id_number, real_name, disabled, failed_attempts, created_at, updated_at)
                             VALUES ($1, $2, '', 'citizen', '', $3, $4, $2, FALSE, 0, $5, $5) RETURNING id",
                            params![format!("{tag}-{i}"), format!("居民{i}"), format!("1{}{i:08}", 37 + office), him.as_str(), now_text],
                        )?
                        .get(0)?;
                    let s = minzheng_access::sessions::create(tx, id, None, chrono::Utc::now(), &policy)?;
                    let slot = slots[i % slots.len()];
                    let body = serde_json::json!({
                        "slot_id": slot, "kind": "marriage",
                        "party1": { "name": "甲", "id_number": him.as_str(), "hukou": "500103" },
                        "party2": { "name": "乙", "id_number": her.as_str(), "hukou": "500106" },
                        "idempotency_key": format!("{tag}-{i:08}"),
                    })
                    .to_string();
                    v.push(Couple {
                        account_id: id,
                        cookie: format!("mz_session={}", s.token),
                        csrf: s.csrf_token,
                        body,
                    });
                }
                Ok(v)
            })
            .map_err(|e| e.to_string())?;
        out.extend(made);
    }
    Ok((slots, out))
}

fn overbooked_slots(db: &Db, slots: &[i64]) -> Result<i64, String> {
    db.read(|tx| -> Result<i64, minzheng_store::StoreError> {
        let mut over = 0;
        for id in slots {
            let r = tx.query_one(
                "SELECT s.quota, s.booked, (SELECT COUNT(*) FROM appointment a WHERE a.slot_id = s.id AND a.status <> 'cancelled') FROM time_slot s WHERE s.id = $1",
                params![id],
            )?;
            let (q, b, n): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if b > q || n > q || n != b {
                over += 1;
            }
        }
        Ok(over)
    })
    .map_err(|e| e.to_string())
}

/// The same rush without HTTP: `clients` threads call the booking writer of this process
/// directly (the same checks, batches and audit rows). Returns bookings made and time to sell out.
fn service_rush(db: &Db, prepared: &[Couple], clients: usize) -> Result<(usize, Duration), String> {
    let jobs: Vec<(Principal, services::BookingInput)> = prepared
        .iter()
        .map(|p| {
            let input: services::BookingInput =
                serde_json::from_str(&p.body).map_err(|e| e.to_string())?;
            let who = Principal {
                account_id: p.account_id,
                username: format!("citizen-{}", p.account_id),
                display_name: "居民".into(),
                role: minzheng_access::Role::Citizen,
                scope_code: String::new(),
                unit_id: None,
                address: None,
                request_id: None,
            };
            Ok((who, input))
        })
        .collect::<Result<_, String>>()?;
    let jobs = Arc::new(jobs);
    let next = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::new();
    for _ in 0..clients {
        let (db, jobs, next, barrier) = (db.clone(), jobs.clone(), next.clone(), barrier.clone());
        handles.push(std::thread::spawn(
            move || -> Result<(usize, Instant), String> {
                barrier.wait();
                let (mut ok, mut last) = (0, Instant::now());
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((who, input)) = jobs.get(i) else {
                        break;
                    };
                    match minzheng_marriage::writer::book_blocking(
                        &db,
                        who.clone(),
                        input.clone(),
                        chrono::Utc::now(),
                    ) {
                        Ok(_) => {
                            ok += 1;
                            last = Instant::now();
                        }
                        Err(minzheng_marriage::MarriageError::Invalid(m))
                            if m.contains("已约满") => {}
                        Err(e) => return Err(e.to_string()),
                    }
                }
                Ok((ok, last))
            },
        ));
    }
    barrier.wait();
    let start = Instant::now();
    let (mut ok, mut last) = (0, start);
    for h in handles {
        let (o, l) = h.join().map_err(|_| "service client panicked")??;
        ok += o;
        last = last.max(l);
    }
    Ok((ok, last.duration_since(start)))
}

/// The raw engine doing each booking's conditional update and insert, one transaction each:
/// one connection on SQLite (its single-writer limit), `clients` connections on PostgreSQL.
fn raw_rush(url: &DatabaseUrl, bookings: usize, clients: usize) -> Result<Duration, String> {
    let places = bookings as i64;
    match url {
        DatabaseUrl::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
            c.busy_timeout(Duration::from_secs(5))
                .map_err(|e| e.to_string())?;
            c.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                 CREATE TABLE raw_slot (id INTEGER PRIMARY KEY, quota BIGINT NOT NULL, booked BIGINT NOT NULL);
                 CREATE TABLE raw_appointment (id INTEGER PRIMARY KEY, slot_id BIGINT NOT NULL, key TEXT NOT NULL UNIQUE);",
            )
            .map_err(|e| e.to_string())?;
            c.execute(
                "INSERT INTO raw_slot (id, quota, booked) VALUES (1, ?1, 0)",
                [places],
            )
            .map_err(|e| e.to_string())?;
            let t = Instant::now();
            for i in 0..bookings {
                c.execute_batch("BEGIN IMMEDIATE")
                    .map_err(|e| e.to_string())?;
                let n = c
                    .prepare_cached(
                        "UPDATE raw_slot SET booked = booked + 1 WHERE id = 1 AND booked < quota",
                    )
                    .and_then(|mut s| s.execute([]))
                    .map_err(|e| e.to_string())?;
                if n == 1 {
                    c.prepare_cached("INSERT INTO raw_appointment (slot_id, key) VALUES (1, ?1)")
                        .and_then(|mut s| s.execute([format!("k{i}")]))
                        .map_err(|e| e.to_string())?;
                }
                c.execute_batch("COMMIT").map_err(|e| e.to_string())?;
            }
            Ok(t.elapsed())
        }
        DatabaseUrl::Postgres(u) => {
            let mut c = postgres::Client::connect(u, postgres::NoTls).map_err(|e| e.to_string())?;
            c.batch_execute(
                "CREATE TABLE raw_slot (id BIGINT PRIMARY KEY, quota BIGINT NOT NULL, booked BIGINT NOT NULL);
                 CREATE TABLE raw_appointment (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, slot_id BIGINT NOT NULL, key TEXT NOT NULL UNIQUE);",
            )
            .map_err(|e| e.to_string())?;
            c.execute(
                "INSERT INTO raw_slot (id, quota, booked) VALUES (1, $1, 0)",
                &[&places],
            )
            .map_err(|e| e.to_string())?;
            let next = Arc::new(AtomicUsize::new(0));
            let barrier = Arc::new(Barrier::new(clients + 1));
            let mut handles = Vec::new();
            for _ in 0..clients {
                let (u, next, barrier) = (u.clone(), next.clone(), barrier.clone());
                handles.push(std::thread::spawn(move || -> Result<(), String> {
                    let mut c = postgres::Client::connect(&u, postgres::NoTls).map_err(|e| e.to_string())?;
                    let up = c
                        .prepare("UPDATE raw_slot SET booked = booked + 1 WHERE id = 1 AND booked < quota")
                        .map_err(|e| e.to_string())?;
                    let ins = c
                        .prepare("INSERT INTO raw_appointment (slot_id, key) VALUES (1, $1)")
                        .map_err(|e| e.to_string())?;
                    barrier.wait();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= bookings {
                            return Ok(());
                        }
                        let mut t = c.transaction().map_err(|e| e.to_string())?;
                        if t.execute(&up, &[]).map_err(|e| e.to_string())? == 1 {
                            t.execute(&ins, &[&format!("k{i}")]).map_err(|e| e.to_string())?;
                        }
                        t.commit().map_err(|e| e.to_string())?;
                    }
                }));
            }
            barrier.wait();
            let t = Instant::now();
            for h in handles {
                h.join().map_err(|_| "raw client panicked")??;
            }
            Ok(t.elapsed())
        }
    }
}

fn booking_rush(
    database_url: Option<&str>,
    clients: usize,
    places: i64,
    demand_percent: usize,
    instances: Option<usize>,
) -> Result<(), String> {
    let s = scratch(database_url)?;
    let db = &s.db;
    minzheng_store::migrations::migrate(db).map_err(|e| e.to_string())?;
    let day = china_today() + chrono::Duration::days(3);
    let total_places = places * 4;
    let couples = (total_places as usize * demand_percent / 100).max(1);
    eprintln!("准备 {couples} 对预约人与会话……");
    let (slots, prepared) = prepare(db, 1, day, places, couples, "rush")?;
    let (service_slots, service_prepared) = prepare(db, 2, day, places, couples, "direct")?;
    let url = match db.url() {
        DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
        DatabaseUrl::Postgres(u) => u.clone(),
    };
    let instances = instances
        .unwrap_or(if db.backend() == minzheng_store::Backend::Postgres {
            2
        } else {
            1
        })
        .max(1);
    let mut servers = Vec::new();
    for _ in 0..instances {
        servers.push(spawn_instance(&url)?);
    }
    let addrs: Vec<SocketAddr> = servers.iter().map(|(_, a)| *a).collect();
    eprintln!(
        "{} 个服务实例就绪，{clients} 个客户端同时开抢……",
        addrs.len()
    );

    let prepared = Arc::new(prepared);
    let next = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::new();
    for c in 0..clients {
        let (prepared, next, barrier) = (prepared.clone(), next.clone(), barrier.clone());
        let addr = addrs[c % addrs.len()];
        handles.push(std::thread::spawn(
            move || -> Result<(Vec<Duration>, usize, usize, Instant), String> {
                let mut conn = HttpConn::connect(addr).map_err(|e| e.to_string())?;
                let mut lat = Vec::new();
                let (mut ok, mut full) = (0, 0);
                barrier.wait();
                let mut last = Instant::now();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = prepared.get(i) else { break };
                    let t = Instant::now();
                    let (status, body) = conn.send(
                        "POST",
                        "/api/v1/marriage/appointments",
                        &[
                            ("cookie", &p.cookie),
                            ("x-csrf-token", &p.csrf),
                            ("content-type", "application/json"),
                        ],
                        p.body.as_bytes(),
                    )?;
                    lat.push(t.elapsed());
                    match status {
                        201 => {
                            ok += 1;
                            last = Instant::now();
                        }
                        400 if String::from_utf8_lossy(&body).contains("已约满") => full += 1,
                        other => {
                            return Err(format!(
                                "status {other}: {}",
                                String::from_utf8_lossy(&body)
                            ));
                        }
                    }
                }
                Ok((lat, ok, full, last))
            },
        ));
    }
    barrier.wait();
    let start = Instant::now();
    let mut latencies = Vec::new();
    let (mut ok, mut full) = (0usize, 0usize);
    let mut last_ok = start;
    for h in handles {
        let (l, o, f, last) = h.join().map_err(|_| "client panicked")??;
        latencies.extend(l);
        ok += o;
        full += f;
        last_ok = last_ok.max(last);
    }
    let total = start.elapsed();
    let until_full = last_ok.duration_since(start);
    drop(servers);
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let (p50, p99) = (pct(0.50), pct(0.99));

    // The truth, from the database: no slot holds more appointments than places.
    let (overbooked, booked_total, rows_total) = db
        .read(|tx| -> Result<(i64, i64, i64), minzheng_store::StoreError> {
            let mut over = 0;
            let (mut b, mut n) = (0, 0);
            for id in &slots {
                let r = tx.query_one(
                    "SELECT s.quota, s.booked, (SELECT COUNT(*) FROM appointment a WHERE a.slot_id = s.id AND a.status <> 'cancelled') FROM time_slot s WHERE s.id = $1",
                    params![id],
                )?;
                let (q, bk, cnt): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
                if bk > q || cnt > q || cnt != bk {
                    over += 1;
                }
                b += bk;
                n += cnt;
            }
            Ok((over, b, n))
        })
        .map_err(|e| e.to_string())?;
    let (service_ok, service_time) = service_rush(db, &service_prepared, clients)?;
    let service_over = overbooked_slots(db, &service_slots)?;
    let raw = raw_rush(db.url(), ok.max(1), clients)?;
    let per_second = ok as f64 / until_full.as_secs_f64().max(1e-9);
    let raw_per_second = ok as f64 / raw.as_secs_f64().max(1e-9);
    print(&Figures {
        scenario: format!("booking-rush c={clients} x{instances}"),
        backend: backend_name(db),
        runs: 1,
        median_ms: ms(until_full),
        min_ms: ms(p50),
        max_ms: ms(p99),
        per_second,
        raw_median_ms: Some(ms(raw)),
        ratio_to_raw: Some(ms(until_full) / ms(raw).max(1e-9)),
        peak_rss_mb: peak_rss_mb(),
        note: format!(
            "in-process service (same checks, writer, no HTTP): {:.0} bookings/s, overbooked slots {service_over}; {ok} booked of {total_places} places ({booked_total} in slots, {rows_total} rows), {full} refused as full, {} requests in {:.0} ms; latency p50 {:.1} ms, p99 {:.1} ms; overbooked slots: {overbooked}; raw engine {raw_per_second:.0} bookings/s (conditional update + insert, one transaction each); median/min/max columns = time to sell out / p50 / p99",
            service_ok as f64 / service_time.as_secs_f64().max(1e-9),
            latencies.len(),
            ms(total),
            ms(p50),
            ms(p99)
        ),
    });
    if overbooked + service_over > 0 {
        return Err(format!("{} 个时段超订", overbooked + service_over));
    }
    Ok(())
}
