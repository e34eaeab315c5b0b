//! How many ID numbers and credit codes one core validates per second.
//!
//! Run pinned to one CPU, in release:
//! `taskset -c 1 cargo run --release -p minzheng-kernel --example bench_ids [count]`
//!
//! Generates `count` (default 2,000,000) distinct synthetic numbers over every county code in the
//! table, then times five passes of each parser and prints the median rate.

use std::hint::black_box;
use std::time::Instant;

use chrono::{NaiveDate, TimeDelta};
use minzheng_kernel::county_codes;
use minzheng_kernel::credit_code::{CreditCode, RegistrationAuthority};
use minzheng_kernel::id_number::IdNumber;

const RUNS: usize = 5;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(2_000_000);
    let today = NaiveDate::from_ymd_opt(2026, 1, 15).expect("a real date");
    let first_birth = NaiveDate::from_ymd_opt(1920, 1, 1).expect("a real date");
    let regions: Vec<&str> = county_codes::entries()
        .iter()
        .map(|entry| entry.code)
        .filter(|code| county_codes::is_province_prefix(code))
        .collect();

    let ids: Vec<String> = (0..count)
        .map(|i| {
            let region = regions[i % regions.len()];
            let birth = first_birth + TimeDelta::days((i / regions.len() % 36_500) as i64);
            let sequence = (i % 1000) as u16;
            IdNumber::generate(region, birth, sequence)
                .expect("generated from valid parts")
                .to_string()
        })
        .collect();
    let typed: Vec<String> = ids
        .iter()
        .map(|id| format!(" {}", id.to_lowercase()))
        .collect();
    let codes: Vec<String> = (0..count)
        .map(|i| {
            let region = regions[i % regions.len()];
            let body = format!("{:08}", i);
            CreditCode::generate(RegistrationAuthority::CivilAffairs, '1', region, &body)
                .expect("generated from valid parts")
                .to_string()
        })
        .collect();

    report("IdNumber::parse_strict", count, || {
        ids.iter()
            .filter(|id| IdNumber::parse_strict(id, today).is_ok())
            .count()
    });
    report("IdNumber::parse (canonical input)", count, || {
        ids.iter()
            .filter(|id| IdNumber::parse(id, today).is_ok())
            .count()
    });
    report("IdNumber::parse (\" \" + lowercase)", count, || {
        typed
            .iter()
            .filter(|id| IdNumber::parse(id, today).is_ok())
            .count()
    });
    report("CreditCode::parse_strict", count, || {
        codes
            .iter()
            .filter(|code| CreditCode::parse_strict(code).is_ok())
            .count()
    });
    report("CreditCode::parse", count, || {
        codes
            .iter()
            .filter(|code| CreditCode::parse(code).is_ok())
            .count()
    });
}

/// Times `RUNS` passes of `validate_all` (which returns how many were valid) and prints the median.
fn report(label: &str, count: usize, validate_all: impl Fn() -> usize) {
    let mut rates: Vec<f64> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let valid = black_box(validate_all());
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(valid, count, "every generated value must validate");
        rates.push(count as f64 / seconds);
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[RUNS / 2];
    println!(
        "{label:<38} {count} values, median of {RUNS}: {:>6.2} M/s ({:.0} ns each)  [runs: {}]",
        median / 1e6,
        1e9 / median,
        rates
            .iter()
            .map(|r| format!("{:.2}", r / 1e6))
            .collect::<Vec<_>>()
            .join(" ")
    );
}
