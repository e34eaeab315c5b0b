//! Time per `Calendar::add_workdays` call (and, for comparison, `workdays_between` and
//! `civil_code_deadline`): 1,000,000 random calls per run, median of 5 runs.
//!
//! Run pinned to one core: `taskset -c 1 cargo run --release --example bench_calendar`.

use std::hint::black_box;
use std::time::Instant;

use chrono::NaiveDate;
use minzheng_kernel::calendar::Calendar;

const CALLS: usize = 1_000_000;
const RUNS: usize = 5;

/// xorshift64*: reproducible inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Median nanoseconds per call of `f` over `RUNS` runs of `CALLS` calls.
fn median_ns(mut f: impl FnMut() -> u64) -> f64 {
    let mut per_call: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed().as_nanos() as f64 / CALLS as f64
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    per_call[RUNS / 2]
}

fn main() {
    let calendar = Calendar::builtin();
    let first = NaiveDate::from_ymd_opt(2004, 1, 1).unwrap_or_default();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Start dates 2004-01-01 .. 2027-12-31 (the last year provisional), n in 0..=60.
    let inputs: Vec<(NaiveDate, u32)> = (0..CALLS)
        .map(|_| {
            let offset = (rng.next() % 8766) as i64;
            let n = (rng.next() % 61) as u32;
            (first + chrono::Duration::days(offset), n)
        })
        .collect();

    let add = median_ns(|| {
        let mut checksum = 0u64;
        for &(date, n) in &inputs {
            if let Ok(day) = calendar.add_workdays(black_box(date), black_box(n)) {
                checksum = checksum.wrapping_add(day.date.to_epoch_days() as u64);
            }
        }
        checksum
    });
    let between = median_ns(|| {
        let mut checksum = 0u64;
        for &(date, n) in &inputs {
            let to = date + chrono::Duration::days(i64::from(n));
            let count = calendar.workdays_between(black_box(date), black_box(to));
            checksum = checksum.wrapping_add(count.workdays as u64);
        }
        checksum
    });
    let civil = median_ns(|| {
        let mut checksum = 0u64;
        for &(date, n) in &inputs {
            if let Ok(day) = calendar.civil_code_deadline(black_box(date), black_box(n)) {
                checksum = checksum.wrapping_add(day.date.to_epoch_days() as u64);
            }
        }
        checksum
    });
    // Baseline: the day-by-day loop of RULES.md §15.2 over the same inputs.
    let naive = median_ns(|| {
        let mut checksum = 0u64;
        for &(date, n) in &inputs {
            let mut day = black_box(date);
            let mut left = black_box(n);
            while left > 0 {
                day = day.succ_opt().unwrap_or(day);
                if calendar.is_workday(day) {
                    left -= 1;
                }
            }
            checksum = checksum.wrapping_add(day.to_epoch_days() as u64);
        }
        checksum
    });
    println!("add_workdays:        {add:.1} ns/call (median of {RUNS} runs x {CALLS} calls)");
    println!("workdays_between:    {between:.1} ns/call (incl. computing `to`)");
    println!("civil_code_deadline: {civil:.1} ns/call");
    println!("day-by-day loop:     {naive:.1} ns/call (baseline, n >= 1 only)");
}
