//! Household composition: relations, ages, sexes, area types, addresses, incomes and assets.

mod common;

use chrono::NaiveDate;
use common::{all, today, years_between};
use minzheng_kernel::id_number::Sex;
use minzheng_kernel::region::RegionTree;
use minzheng_synth::{
    AreaType, Community, IdAllocator, Relation, Rng, Scale, SynthError, SynthHousehold, generate,
    household,
};

fn sample() -> Vec<SynthHousehold> {
    let mut households = all(Scale::Demo, 1);
    households.extend(
        generate(Scale::Chongqing, 1, today())
            .expect("a generator")
            .take(4000)
            .map(|h| h.expect("a household")),
    );
    households
}

#[test]
fn ages_and_sexes_fit_the_relations() {
    let households = sample();
    for household in &households {
        let members = &household.members;
        assert!((1..=6).contains(&members.len()), "{}", members.len());
        assert_eq!(members[0].relation, Relation::Head);
        assert_eq!(
            members
                .iter()
                .filter(|m| m.relation == Relation::Head)
                .count(),
            1
        );
        assert!(
            members
                .iter()
                .filter(|m| m.relation == Relation::Spouse)
                .count()
                <= 1
        );
        let head = &members[0];
        assert!(
            years_between(head.birth_date, today()) >= 18,
            "{}",
            head.name
        );
        for member in &members[1..] {
            // Positive: the member is younger than the head by that many whole years.
            let younger_by = years_between(head.birth_date, member.birth_date);
            let older_by = years_between(member.birth_date, head.birth_date);
            match member.relation {
                Relation::Head => unreachable!("one head"),
                Relation::Spouse => {
                    assert_ne!(member.sex, head.sex, "{}", member.name);
                    assert!(younger_by.abs() <= 8 && older_by.abs() <= 8);
                }
                Relation::Child => assert!((18..=46).contains(&younger_by), "{younger_by}"),
                Relation::Parent => assert!((18..=46).contains(&older_by), "{older_by}"),
                Relation::Grandchild => assert!(younger_by >= 36, "{younger_by}"),
                Relation::Sibling => assert!(younger_by.abs() <= 13),
                Relation::Other => {}
            }
            assert!(years_between(member.birth_date, today()) <= 98);
        }
        // Parents of the head: a father and a mother, never two of one sex.
        let parents: Vec<Sex> = members
            .iter()
            .filter(|m| m.relation == Relation::Parent)
            .map(|m| m.sex)
            .collect();
        if parents.len() == 2 {
            assert_ne!(parents[0], parents[1]);
        }
    }
}

#[test]
fn sizes_and_shapes_are_plausible() {
    let households = sample();
    let count = households.len() as f64;
    let people: usize = households.iter().map(|h| h.members.len()).sum();
    let mean = people as f64 / count;
    assert!((1.9..2.5).contains(&mean), "{mean}");
    let alone = households.iter().filter(|h| h.members.len() == 1).count() as f64 / count;
    assert!((0.35..0.55).contains(&alone), "{alone}");
    let six = households.iter().filter(|h| h.members.len() == 6).count();
    assert!(six > 0);
    for relation in [
        Relation::Spouse,
        Relation::Child,
        Relation::Parent,
        Relation::Grandchild,
        Relation::Sibling,
        Relation::Other,
    ] {
        assert!(
            households
                .iter()
                .any(|h| h.members.iter().any(|m| m.relation == relation)),
            "no {relation:?}"
        );
    }
    let elderly_alone = households
        .iter()
        .filter(|h| h.members.len() == 1 && years_between(h.members[0].birth_date, today()) >= 60)
        .count() as f64
        / count;
    assert!((0.2..0.35).contains(&elderly_alone), "{elderly_alone}");
}

#[test]
fn area_type_registration_and_address_follow_the_community() {
    for household in sample() {
        let village_part: u32 = household.region_code[9..].parse().expect("digits");
        let expected = if village_part >= 200 {
            AreaType::Rural
        } else {
            AreaType::Urban
        };
        assert_eq!(household.area_type, expected, "{}", household.region_code);
        let address = &household.address;
        assert!(
            address.ends_with('号') || address.contains("号"),
            "{address}"
        );
        match household.area_type {
            AreaType::Rural => {
                let (group, rest) = address.split_once('组').expect("组");
                assert!(group.parse::<u32>().is_ok_and(|g| (1..=12).contains(&g)));
                assert!(rest.ends_with('号'));
            }
            AreaType::Urban => assert!(!address.contains('组'), "{address}"),
        }
        assert!(!address.chars().any(|c| c.is_ascii_alphabetic()));
        let community =
            Community::from_tree(RegionTree::chongqing(), &household.region_code).expect("known");
        for member in &household.members {
            assert_eq!(member.hukou_region6, community.county_on(today()));
        }
    }
}

#[test]
fn households_of_the_former_jiangbei_district_are_registered_in_liangjiang() {
    let plan = minzheng_synth::plan(Scale::District(500105)).expect("江北区 in the NBS tree");
    let (code, _) = &plan[0];
    let community = Community::from_tree(RegionTree::chongqing(), code).expect("a community");
    let mut ids = IdAllocator::new();
    let mut rng = Rng::new(1);
    let made = household(&mut rng, &community, &mut ids, today()).expect("a household");
    assert!(made.members.iter().all(|m| m.hukou_region6 == "500157"));
    let before = NaiveDate::from_ymd_opt(2025, 1, 1).expect("a real date");
    let made = household(&mut rng, &community, &mut ids, before).expect("a household");
    assert!(made.members.iter().all(|m| m.hukou_region6 == "500105"));
    // Numbers keep the code of where they were issued: no one born before the change has 500157.
    assert!(
        made.members
            .iter()
            .all(|m| !m.id_number.starts_with("500157"))
    );
}

#[test]
fn incomes_sit_around_the_dibao_standard() {
    let households = sample();
    let mut below = 0;
    let mut edge = 0;
    for household in &households {
        // Standards in force on 2026-01-15 (from 2025-07-01): 770 urban, 630 rural.
        let standard = match household.area_type {
            AreaType::Urban => 77_000,
            AreaType::Rural => 63_000,
        };
        let per_capita = household.per_capita_income_fen();
        if per_capita < standard {
            below += 1;
        } else if per_capita * 2 < standard * 3 {
            edge += 1;
        }
        assert!(household.members.iter().all(|m| m.monthly_income_fen >= 0));
        assert!(
            household
                .members
                .iter()
                .all(|m| m.monthly_income_fen % 100 == 0)
        );
        assert!(per_capita <= standard * 3);
        assert!(household.deposits_fen >= 0 && household.deposits_fen < 15_000_100);
        assert!(household.vehicles <= 2 && household.housing_units <= 2);
        for member in &household.members {
            let age = years_between(member.birth_date, today());
            if age < 16 || member.student {
                assert_eq!(member.monthly_income_fen, 0, "{}", member.name);
            }
            if let Some(disability) = member.disability {
                assert!((1..=4).contains(&disability.level));
            }
            if member.student {
                assert!((6..=22).contains(&age));
            }
        }
    }
    let share = |n: i32| f64::from(n) / households.len() as f64;
    assert!((0.5..0.72).contains(&share(below)), "{}", share(below));
    assert!((0.18..0.32).contains(&share(edge)), "{}", share(edge));
    let disabled = households
        .iter()
        .flat_map(|h| &h.members)
        .filter(|m| m.disability.is_some())
        .count();
    let people: usize = households.iter().map(|h| h.members.len()).sum();
    let disabled_share = disabled as f64 / people as f64;
    assert!((0.12..0.30).contains(&disabled_share), "{disabled_share}");
}

#[test]
fn a_household_can_be_made_on_its_own() {
    let community = Community::new("500242208205", true).expect("a village of 酉阳");
    assert_eq!(community.area_type(), AreaType::Rural);
    let mut ids = IdAllocator::new();
    let mut rng = Rng::new(99);
    let made = household(&mut rng, &community, &mut ids, today()).expect("a household");
    assert_eq!(made.region_code, "500242208205");
    assert_eq!(made.area_type, AreaType::Rural);
    assert_eq!(ids.issued(), made.members.len() as u64);
}

#[test]
fn bad_inputs_are_refused_in_chinese() {
    for code in [
        "50010300100",
        "5001030010011",
        "50010300100a",
        "500103001000",
    ] {
        let error = Community::new(code, false).expect_err(code);
        assert!(matches!(error, SynthError::BadCommunity { .. }), "{code}");
        assert!(error.to_string().contains("村（社区）代码"));
    }
    let early = NaiveDate::from_ymd_opt(2010, 1, 1).expect("a real date");
    let error = generate(Scale::Demo, 1, early).expect_err("no standard in 2010");
    assert!(matches!(error, SynthError::BadToday { .. }));
}
