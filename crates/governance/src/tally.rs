//! The indicators' running totals (`request_tally`): one row per community and triage class,
//! changed by the services in the same transaction as the request (the old state's contribution
//! subtracted, the new one's added), and rebuilt from `request` by [`rebuild`].

use crate::GovernanceError;
use minzheng_store::{Tx, params};

/// The part of a request's state the indicators count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// Triage class (`None`: not yet screened).
    pub triage: Option<String>,
    /// Step identifier.
    pub step: String,
    /// Whether done by the deadline, once completed.
    pub on_time: Option<bool>,
    /// The raiser's rating.
    pub rating: Option<i64>,
    /// Whether reopened.
    pub reopened: bool,
}

const COLUMNS: [&str; 12] = [
    "total",
    "completed",
    "on_time",
    "rated",
    "rating_sum",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
    "ended",
    "reopened",
];

fn vector(s: &State) -> [i64; 12] {
    let r = s.rating.unwrap_or(0);
    let b = |c: bool| i64::from(c);
    [
        1,
        b(s.on_time.is_some()),
        b(s.on_time == Some(true)),
        b(s.rating.is_some()),
        r,
        b(r == 1),
        b(r == 2),
        b(r == 3),
        b(r == 4),
        b(r == 5),
        b(s.step == "revise" || s.step == "closed"),
        b(s.reopened),
    ]
}

fn upsert(
    tx: &mut Tx<'_>,
    region_code: &str,
    triage: &str,
    d: [i64; 12],
) -> Result<(), GovernanceError> {
    if d.iter().all(|x| *x == 0) {
        return Ok(());
    }
    let cols = COLUMNS.join(", ");
    let sets: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("{c} = request_tally.{c} + excluded.{c}"))
        .collect();
    let sql = format!(
        "INSERT INTO request_tally (region_code, triage, {cols}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (region_code, triage) DO UPDATE SET {}",
        sets.join(", ")
    );
    tx.execute(
        &sql,
        params![
            region_code,
            triage,
            d[0],
            d[1],
            d[2],
            d[3],
            d[4],
            d[5],
            d[6],
            d[7],
            d[8],
            d[9],
            d[10],
            d[11]
        ],
    )?;
    Ok(())
}

/// Counts a new request.
pub(crate) fn add(tx: &mut Tx<'_>, region_code: &str, s: &State) -> Result<(), GovernanceError> {
    upsert(
        tx,
        region_code,
        s.triage.as_deref().unwrap_or(""),
        vector(s),
    )
}

/// Moves a request's contribution from its old state to its new one.
pub(crate) fn change(
    tx: &mut Tx<'_>,
    region_code: &str,
    old: &State,
    new: &State,
) -> Result<(), GovernanceError> {
    if old == new {
        return Ok(());
    }
    let (o, n) = (vector(old), vector(new));
    if old.triage == new.triage {
        let mut d = [0; 12];
        for i in 0..12 {
            d[i] = n[i] - o[i];
        }
        return upsert(tx, region_code, new.triage.as_deref().unwrap_or(""), d);
    }
    upsert(
        tx,
        region_code,
        old.triage.as_deref().unwrap_or(""),
        o.map(|x| -x),
    )?;
    upsert(tx, region_code, new.triage.as_deref().unwrap_or(""), n)
}

/// The state of a stored request.
pub(crate) fn state_of(tx: &mut Tx<'_>, id: i64) -> Result<State, GovernanceError> {
    let r = tx.query_one(
        "SELECT triage, step, on_time, rating, reopened FROM request WHERE id = $1",
        params![id],
    )?;
    Ok(State {
        triage: r.get(0)?,
        step: r.get(1)?,
        on_time: r.get(2)?,
        rating: r.get(3)?,
        reopened: r.get(4)?,
    })
}

/// Rebuilds every running total from the requests (after a bulk load, or to repair); returns rows.
pub fn rebuild(tx: &mut Tx<'_>) -> Result<u64, GovernanceError> {
    tx.execute("DELETE FROM request_tally", params![])?;
    let b = |c: &str| format!("CAST(SUM(CASE WHEN {c} THEN 1 ELSE 0 END) AS BIGINT)");
    let sql = format!(
        "INSERT INTO request_tally (region_code, triage, {cols})
         SELECT region_code, COALESCE(triage, ''), COUNT(*), {completed}, {on_time}, {rated},
            CAST(COALESCE(SUM(rating), 0) AS BIGINT), {r1}, {r2}, {r3}, {r4}, {r5}, {ended}, {reopened}
         FROM request GROUP BY region_code, COALESCE(triage, '')",
        cols = COLUMNS.join(", "),
        completed = b("on_time IS NOT NULL"),
        on_time = b("on_time"),
        rated = b("rating IS NOT NULL"),
        r1 = b("rating = 1"),
        r2 = b("rating = 2"),
        r3 = b("rating = 3"),
        r4 = b("rating = 4"),
        r5 = b("rating = 5"),
        ended = b("step IN ('revise', 'closed')"),
        reopened = b("reopened"),
    );
    Ok(tx.execute(&sql, params![])?)
}
