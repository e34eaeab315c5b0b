//! How many synthetic households and people one core generates per second.
//!
//! Run pinned to one CPU, in release:
//! `taskset -c 1 cargo run --release -p minzheng-synth --example bench_synth [households]`
//!
//! Streams the first `households` (default 100,000) households of the Chongqing plan (seed 1,
//! today 2026-01-15), five times, and prints the median rate. The first run also warms the region
//! tree and the tables, so it is timed but reported apart.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use minzheng_synth::{Scale, generate};

const RUNS: usize = 5;

fn main() {
    let households: usize = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(100_000);
    let today = NaiveDate::from_ymd_opt(2026, 1, 15).expect("a real date");

    let started = Instant::now();
    let generator = generate(Scale::Chongqing, 1, today).expect("the Chongqing plan");
    let plan_time = started.elapsed();
    println!(
        "plan: {} communities, {} households, built in {:.1} ms (region tree included)",
        generator.plan().len(),
        generator.remaining(),
        plan_time.as_secs_f64() * 1000.0
    );

    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut people = 0usize;
    for run in 0..RUNS {
        let generator = generate(Scale::Chongqing, 1, today).expect("the Chongqing plan");
        let started = Instant::now();
        people = 0;
        for household in generator.take(households) {
            let household = household.expect("a household");
            people += household.members.len();
            black_box(&household);
        }
        let elapsed = started.elapsed();
        println!("run {}: {:.3} s", run + 1, elapsed.as_secs_f64());
        times.push(elapsed);
    }
    times.sort();
    let median = times[RUNS / 2].as_secs_f64();
    println!(
        "median of {RUNS}: {households} households, {people} people in {median:.3} s: \
         {:.0} households/s, {:.0} people/s",
        households as f64 / median,
        people as f64 / median
    );
}
