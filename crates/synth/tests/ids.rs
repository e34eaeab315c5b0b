//! ID numbers: valid, unique, of the right sex and birth date, with historically right region codes.

mod common;

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use common::{all, today};
use minzheng_kernel::county_codes;
use minzheng_kernel::id_number::{IdNumber, Sex};
use minzheng_kernel::region::{RegionLevel, RegionTree};
use minzheng_synth::{
    COUNTY_CODE_HISTORY, Community, IdAllocator, Rng, Scale, SynthHousehold, generate,
    id_region_code,
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

fn municipality() -> NaiveDate {
    day(1997, 1, 1)
}

/// Checks every member's number and adds it to `seen`; panics on the first fault.
fn check_numbers(households: &[SynthHousehold], seen: &mut HashSet<String>) {
    for household in households {
        for person in &household.members {
            let id = IdNumber::parse_strict(&person.id_number, today())
                .unwrap_or_else(|e| panic!("{}: {e}", person.id_number));
            assert_eq!(id.sex(), person.sex, "{}", person.id_number);
            assert_eq!(id.birth_date(), person.birth_date);
            let region = id.region_code();
            assert!(
                region.starts_with("50") || region.starts_with("51"),
                "{region}"
            );
            if region.starts_with("51") {
                assert!(person.birth_date < municipality(), "{}", person.id_number);
            }
            assert!(
                seen.insert(person.id_number.clone()),
                "{} handed out twice",
                person.id_number
            );
        }
    }
}

#[test]
fn demo_and_a_district_slice_have_valid_unique_numbers() {
    let mut seen = HashSet::new();
    check_numbers(&all(Scale::Demo, 1), &mut seen);
    assert!(seen.len() > 2000, "{}", seen.len());

    // A district run: its own allocator, so uniqueness is checked within it.
    let mut seen = HashSet::new();
    let district: Vec<SynthHousehold> = generate(Scale::District(500106), 1, today())
        .expect("a generator")
        .take(5000)
        .map(|h| h.expect("a household"))
        .collect();
    check_numbers(&district, &mut seen);
    assert!(seen.len() > 10_000, "{}", seen.len());
}

#[test]
fn a_whole_district_has_unique_numbers() {
    let mut seen = HashSet::new();
    let mut households = 0;
    for household in
        generate(Scale::District(Scale::DEFAULT_DISTRICT), 3, today()).expect("a generator")
    {
        let household = household.expect("a household");
        households += 1;
        check_numbers(std::slice::from_ref(&household), &mut seen);
    }
    assert_eq!(households, 25_000);
    assert!((50_000..60_000).contains(&seen.len()), "{}", seen.len());
}

#[test]
fn sichuan_era_codes_go_to_older_people_in_the_planned_shares() {
    // counts: (people, with a 51 code) by birth period
    let mut before_1980 = (0u32, 0u32);
    let mut from_1980 = (0u32, 0u32);
    let mut from_1997 = (0u32, 0u32);
    for household in all(Scale::Demo, 11).into_iter().chain(all(Scale::Demo, 12)) {
        for person in household.members {
            let old = person.id_number.starts_with("51");
            let bucket = if person.birth_date.year() < 1980 {
                &mut before_1980
            } else if person.birth_date < municipality() {
                &mut from_1980
            } else {
                &mut from_1997
            };
            bucket.0 += 1;
            bucket.1 += u32::from(old);
        }
    }
    let share = |(people, old): (u32, u32)| f64::from(old) / f64::from(people);
    assert!(
        (0.52..0.68).contains(&share(before_1980)),
        "{before_1980:?}"
    );
    assert!((0.22..0.38).contains(&share(from_1980)), "{from_1980:?}");
    assert_eq!(from_1997.1, 0);
    assert!(from_1997.0 > 500);
}

/// The first community (by code) of a county.
fn first_community(county: &str) -> Community {
    let tree = RegionTree::chongqing();
    let node = tree
        .nodes()
        .iter()
        .find(|n| n.level() == RegionLevel::Community && n.code.to_string().starts_with(county))
        .expect("a community of the county");
    Community::from_tree(tree, &node.code.to_string()).expect("a community")
}

#[test]
fn region_codes_follow_the_history_of_the_place() {
    let mut rng = Rng::new(5);
    // 渝中区: 510202 (市中区, then 渝中区) before 1997, 500103 after.
    let yuzhong = first_community("500103");
    let mut codes = HashSet::new();
    for _ in 0..400 {
        codes.insert(id_region_code(&mut rng, &yuzhong, day(1950, 5, 1), today()));
    }
    assert_eq!(codes, HashSet::from(["510202", "500103"]));
    // 江津区: people born in 2000 carry 江津市 500381; in 2010, 500116.
    let jiangjin = first_community("500116");
    assert_eq!(
        id_region_code(&mut rng, &jiangjin, day(2000, 3, 1), today()),
        "500381"
    );
    assert_eq!(
        id_region_code(&mut rng, &jiangjin, day(2010, 3, 1), today()),
        "500116"
    );
    // 黔江 born 1990: 黔江土家族苗族自治县 of 黔江地区, 513523.
    let qianjiang = first_community("500114");
    let codes: HashSet<&str> = (0..200)
        .map(|_| id_region_code(&mut rng, &qianjiang, day(1990, 3, 1), today()))
        .collect();
    assert_eq!(codes, HashSet::from(["513523", "500114", "500239"]));
    // A baby of the former 江北区 born after the 2025 change: 两江新区.
    let jiangbei = first_community("500105");
    assert_eq!(
        id_region_code(&mut rng, &jiangbei, day(2026, 1, 2), today()),
        "500157"
    );
    assert_eq!(
        id_region_code(&mut rng, &jiangbei, day(2025, 1, 2), today()),
        "500105"
    );
}

#[test]
fn history_table_agrees_with_the_county_table() {
    let tree = RegionTree::chongqing();
    let nbs_counties: HashSet<String> = tree
        .nodes()
        .iter()
        .filter(|n| n.level() == RegionLevel::District)
        .map(|n| n.code.to_string()[..6].to_string())
        .collect();
    let listed: HashSet<String> = COUNTY_CODE_HISTORY
        .iter()
        .map(|(county, _)| county.to_string())
        .collect();
    // The 38 counties of the NBS 2023 tree plus 两江新区.
    assert_eq!(listed.len(), 39);
    assert_eq!(listed, nbs_counties);

    let mut owner: HashMap<&str, &str> = HashMap::new();
    for (county, codes) in COUNTY_CODE_HISTORY {
        assert_eq!(codes[0].0, *county, "the current code comes first");
        assert!(codes.len() <= 8, "pick_in_force holds at most eight");
        for (code, name) in *codes {
            let entry = county_codes::lookup(code).unwrap_or_else(|| panic!("{code} unknown"));
            assert!(
                entry.names.iter().any(|n| n.name == *name),
                "{code} never carried the name {name}"
            );
            if code.starts_with("51") {
                assert!(entry.first_year() < 1997, "{code}");
                assert!((1980..=1996).any(|y| entry.in_force_in_year(y)), "{code}");
            }
            if let Some(previous) = owner.insert(code, county) {
                panic!("{code} listed for {previous} and {county}");
            }
        }
        if *county == "500157" {
            continue;
        }
        for year in 1980..=1996 {
            assert!(
                codes.iter().any(|(code, _)| code.starts_with("51")
                    && county_codes::lookup(code).is_some_and(|e| e.in_force_in_year(year))),
                "{county} has no Sichuan-era code in {year}"
            );
        }
        for year in 1997..=2024 {
            assert!(
                codes.iter().any(|(code, _)| code.starts_with("50")
                    && county_codes::lookup(code).is_some_and(|e| e.in_force_in_year(year))),
                "{county} has no 500xxx code in {year}"
            );
        }
    }
}

#[test]
fn the_allocator_moves_to_a_neighbouring_code_when_a_date_is_full() {
    let mut ids = IdAllocator::new();
    let birth = day(1990, 1, 1);
    let mut seen = HashSet::new();
    let mut regions: HashMap<String, u32> = HashMap::new();
    for sex in [Sex::Male, Sex::Female] {
        for _ in 0..1200 {
            let id = ids.allocate("500103", birth, sex).expect("a number");
            assert_eq!(id.sex(), sex);
            assert_eq!(id.birth_date(), birth);
            assert!(seen.insert(id.as_str().to_string()));
            *regions.entry(id.region_code().to_string()).or_default() += 1;
        }
    }
    assert_eq!(ids.issued(), 2400);
    // 500 per parity on each code: 渝中区 full, then 涪陵区 and 大渡口区, then 万州区 in part.
    assert_eq!(regions["500103"], 1000);
    assert_eq!(regions["500102"], 1000);
    assert_eq!(regions["500104"], 400);
}
