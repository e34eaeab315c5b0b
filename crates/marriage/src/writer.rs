//! The per-process booking writer: requests queue here and one thread commits many per
//! transaction, each in its own SAVEPOINT (a refusal rolls back only its own work, and each
//! booking writes its own audit row). On SQLite this replaces dozens of writers spinning on the
//! busy lock with one that never waits; on PostgreSQL it saves commits.
//!
//! Correctness never depends on this queue: the conditional update, the CHECK and the unique
//! indexes hold in the database, so two processes (or a request that falls back to its own
//! transaction when the writer is gone) stay correct.

use crate::MarriageError;
use crate::services::{self, Appointment, BookingInput, BookingRules};
use chrono::{DateTime, Utc};
use minzheng_access::Principal;
use minzheng_store::{Db, Tx};
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

type Reply = tokio::sync::oneshot::Sender<Result<Appointment, MarriageError>>;

struct Job {
    who: Principal,
    input: BookingInput,
    now: DateTime<Utc>,
    reply: Reply,
}

struct Handle {
    generation: u64,
    sender: mpsc::Sender<Job>,
}

const MAX_BATCH: usize = 512;
const IDLE_EXIT: Duration = Duration::from_secs(2);

fn writers() -> &'static Mutex<HashMap<String, Handle>> {
    static W: OnceLock<Mutex<HashMap<String, Handle>>> = OnceLock::new();
    W.get_or_init(|| Mutex::new(HashMap::new()))
}

fn key(db: &Db) -> String {
    format!("{:?}", db.url())
}

fn sender_for(db: &Db) -> mpsc::Sender<Job> {
    static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut map = writers().lock().unwrap_or_else(|p| p.into_inner());
    let k = key(db);
    if let Some(h) = map.get(&k) {
        return h.sender.clone();
    }
    let (tx, rx) = mpsc::channel::<Job>();
    let generation = GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    map.insert(
        k.clone(),
        Handle {
            generation,
            sender: tx.clone(),
        },
    );
    let db = db.clone();
    let k_thread = k.clone();
    let spawned = std::thread::Builder::new()
        .name("marriage-booking-writer".into())
        .spawn(move || run(db, rx, k_thread, generation));
    if spawned.is_err() {
        // No thread: the send will fail and the caller books in its own transaction.
        map.remove(&k);
    }
    tx
}

fn run(db: Db, rx: mpsc::Receiver<Job>, k: String, generation: u64) {
    loop {
        let first = match rx.recv_timeout(IDLE_EXIT) {
            Ok(j) => j,
            Err(_) => {
                // Idle: leave, so a dropped test database is not held open. Jobs that raced in
                // are dropped with the receiver; their senders fall back to their own transaction.
                let mut map = writers().lock().unwrap_or_else(|p| p.into_inner());
                if map.get(&k).is_some_and(|h| h.generation == generation) {
                    map.remove(&k);
                }
                drop(map);
                // Serve what was already queued, then stop.
                let rest: Vec<Job> = rx.try_iter().collect();
                if !rest.is_empty() {
                    commit_batch(&db, rest);
                }
                return;
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        commit_batch(&db, batch);
    }
}

/// Runs a savepoint command. On SQLite through the connection's statement cache (compiling it again
/// for every booking showed in profiles of the rush); on PostgreSQL as a simple query.
fn savepoint(tx: &mut Tx<'_>, sql: &str) -> Result<(), MarriageError> {
    if tx.backend() == minzheng_store::Backend::Sqlite {
        tx.execute(sql, minzheng_store::params![])?;
    } else {
        tx.execute_batch(sql)?;
    }
    Ok(())
}

fn one_in_savepoint(
    tx: &mut Tx<'_>,
    rules: &BookingRules,
    job: &Job,
) -> Result<Appointment, MarriageError> {
    let mut last = MarriageError::Conflict;
    for _ in 0..3 {
        savepoint(tx, "SAVEPOINT booking")?;
        let r = services::book(tx, &job.who, &job.input, rules, job.now);
        match r {
            Ok(a) => {
                savepoint(tx, "RELEASE SAVEPOINT booking")?;
                return Ok(a);
            }
            Err(e) => {
                savepoint(tx, "ROLLBACK TO SAVEPOINT booking")?;
                savepoint(tx, "RELEASE SAVEPOINT booking")?;
                match e {
                    MarriageError::Conflict => last = e,
                    other => return Err(other),
                }
            }
        }
    }
    Err(last)
}

fn commit_batch(db: &Db, batch: Vec<Job>) {
    let results = db.write(
        |tx| -> Result<Vec<Result<Appointment, MarriageError>>, MarriageError> {
            if tx.backend() == minzheng_store::Backend::Sqlite {
                // Savepoints journal the pages they change; keep that journal in memory (a setting of
                // this connection only, harmless to the other users of the pool).
                // Set once per connection: changing it expires the connection's prepared statements.
                let current: i64 = tx
                    .query_one("PRAGMA temp_store", minzheng_store::params![])
                    .and_then(|r| r.get(0))
                    .unwrap_or(2);
                if current != 2 {
                    let _ = tx.execute_batch("PRAGMA temp_store = MEMORY");
                }
            }
            services::lock_audit_head(tx)?;
            let rules = BookingRules::load(tx)?;
            let mut out = Vec::with_capacity(batch.len());
            for job in &batch {
                let r = one_in_savepoint(tx, &rules, job);
                if let Err(MarriageError::Store(e)) = &r {
                    // A failed savepoint command leaves the transaction unusable: give up the batch.
                    return Err(MarriageError::Internal(e.to_string()));
                }
                out.push(r);
            }
            Ok(out)
        },
    );
    match results {
        Ok(results) => {
            for (job, r) in batch.into_iter().zip(results) {
                let _ = job.reply.send(r);
            }
        }
        Err(_) => {
            // The batch did not commit: run each on its own, so one bad request cannot sink the rest.
            for job in batch {
                let r = services::book_in_tx_with_retry(db, &job.who, &job.input, job.now);
                let _ = job.reply.send(r);
            }
        }
    }
}

/// Books through the process's writer; when the writer is gone, in a transaction of its own.
pub async fn book(
    db: &Db,
    who: Principal,
    input: BookingInput,
    now: DateTime<Utc>,
) -> Result<Appointment, MarriageError> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = Job {
        who: who.clone(),
        input: input.clone(),
        now,
        reply,
    };
    if sender_for(db).send(job).is_ok()
        && let Ok(r) = answer.await
    {
        return r;
    }
    // The writer left between lookup and send: the database decides on its own.
    let db = db.clone();
    tokio::task::spawn_blocking(move || services::book_in_tx_with_retry(&db, &who, &input, now))
        .await
        .map_err(|e| MarriageError::Internal(format!("后台任务中断：{e}")))?
}

/// The same from a plain thread (benchmarks, commands): blocks until the batch commits.
pub fn book_blocking(
    db: &Db,
    who: Principal,
    input: BookingInput,
    now: DateTime<Utc>,
) -> Result<Appointment, MarriageError> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = Job {
        who: who.clone(),
        input: input.clone(),
        now,
        reply,
    };
    if sender_for(db).send(job).is_ok()
        && let Ok(r) = answer.blocking_recv()
    {
        return r;
    }
    services::book_in_tx_with_retry(db, &who, &input, now)
}
