//! Measures the region tree: approximate heap bytes, build time, and ns per call of lookup,
//! parent, ancestors, is_within and scope_prefixes (median of 5 runs), plus pinyin search keys.
//!
//! Run pinned, in release: `taskset -c 1 cargo run --release -p minzheng-kernel --example bench_region`.

use chrono::NaiveDate;
use minzheng_kernel::pinyin_keys::{NameKind, search_keys};
use minzheng_kernel::region::{RegionCode, RegionScope, RegionTree};
use std::hint::black_box;
use std::time::Instant;

/// Runs `f` (which performs `calls` calls) five times and returns the median ns per call.
fn median_ns(calls: usize, mut f: impl FnMut()) -> f64 {
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_nanos() as f64 / calls as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[2]
}

fn main() {
    let before = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or(NaiveDate::MIN);
    let after = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap_or(NaiveDate::MIN);

    let build_ms = median_ns(1, || {
        let tree = RegionTree::from_sources(
            include_str!("../../../data/chongqing-divisions-nbs-2023.csv"),
            include_str!("../../../data/chongqing-divisions-mca-2025.csv"),
            &minzheng_kernel::region::chongqing_changes(),
        );
        black_box(tree.is_ok());
    }) / 1e6;

    let tree = RegionTree::chongqing();
    let codes: Vec<RegionCode> = tree.nodes().iter().map(|n| n.code).collect();
    let n = codes.len();
    println!("region tree: {n} nodes, {} changes", tree.changes().len());
    println!(
        "heap: {} bytes ({:.2} MiB), {:.0} bytes per node",
        tree.heap_bytes(),
        tree.heap_bytes() as f64 / 1_048_576.0,
        tree.heap_bytes() as f64 / n as f64
    );
    println!("build (parse both files, apply changes, match MCA): {build_ms:.1} ms");

    let rounds = 50;
    let lookup = median_ns(n * rounds, || {
        for _ in 0..rounds {
            for &c in &codes {
                black_box(tree.lookup(black_box(c)).is_ok());
            }
        }
    });
    let parent = median_ns(n * rounds, || {
        for _ in 0..rounds {
            for &c in &codes {
                black_box(tree.parent(black_box(c), after).is_ok());
            }
        }
    });
    let ancestors = median_ns(n * rounds, || {
        for _ in 0..rounds {
            for &c in &codes {
                black_box(tree.ancestors(black_box(c), after).map(|a| a.len()).ok());
            }
        }
    });

    // Scopes: the city, each code's own county as of each date, and 两江新区 / 北碚区.
    let scopes: Vec<RegionScope> = ["50", "500157", "500109", "500103", "500112135"]
        .iter()
        .filter_map(|s| RegionScope::parse(s).ok())
        .collect();
    let within = median_ns(n * scopes.len() * 2 * 10, || {
        for _ in 0..10 {
            for &s in &scopes {
                for &c in &codes {
                    black_box(tree.is_within(black_box(c), s, before));
                    black_box(tree.is_within(black_box(c), s, after));
                }
            }
        }
    });
    let prefixes_liangjiang = median_ns(1000, || {
        for _ in 0..1000 {
            black_box(tree.scope_prefixes(scopes[1], after).len());
        }
    });
    let prefixes_city = median_ns(100, || {
        for _ in 0..100 {
            black_box(tree.scope_prefixes(scopes[0], after).len());
        }
    });
    println!("lookup:        {lookup:.1} ns/call");
    println!("parent:        {parent:.1} ns/call");
    println!("ancestors:     {ancestors:.1} ns/call");
    println!("is_within:     {within:.1} ns/call");
    println!(
        "scope_prefixes 两江新区 after the change: {:.1} µs/call; city: {:.1} µs/call",
        prefixes_liangjiang / 1000.0,
        prefixes_city / 1000.0
    );

    // Pinyin keys over every name of the tree.
    let names: Vec<&str> = tree.nodes().iter().map(|n| n.name.as_str()).collect();
    let keys_ns = median_ns(names.len(), || {
        for name in &names {
            black_box(search_keys(black_box(name), NameKind::Place).full.len());
        }
    });
    let keys: Vec<_> = names
        .iter()
        .map(|name| search_keys(name, NameKind::Place))
        .collect();
    let index_bytes: usize = keys.iter().map(|k| k.to_index_string().len()).sum();
    let matches_ns = median_ns(keys.len() * 3, || {
        for k in &keys {
            black_box(k.matches("chongqing"));
            black_box(k.matches("cq"));
            black_box(k.matches("两江"));
        }
    });
    println!("search_keys:   {keys_ns:.0} ns/name (Place)");
    println!("matches:       {matches_ns:.0} ns/call");
    println!(
        "index strings: {index_bytes} bytes for {} names ({:.1} bytes/name)",
        keys.len(),
        index_bytes as f64 / keys.len() as f64
    );
}
