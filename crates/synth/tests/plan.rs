//! Plans: communities and household totals per scale.

use minzheng_kernel::region::{RegionKind, RegionLevel, RegionTree};
use minzheng_synth::{Scale, SynthError, plan};

fn total(plan: &[(String, u32)]) -> u64 {
    plan.iter().map(|(_, n)| u64::from(*n)).sum()
}

#[test]
fn demo_covers_two_districts_with_a_thousand_households() {
    let demo = plan(Scale::Demo).expect("a plan");
    assert_eq!(demo.len(), 280);
    assert_eq!(total(&demo), 1000);
    assert!(
        demo.iter()
            .all(|(code, _)| code.starts_with("500103") || code.starts_with("500106"))
    );
    assert!(demo.iter().all(|(_, n)| *n >= 1));
    let mut sorted = demo.clone();
    sorted.sort();
    assert_eq!(sorted, demo, "code order");
}

#[test]
fn a_district_has_twenty_five_thousand_households() {
    let district = plan(Scale::District(Scale::DEFAULT_DISTRICT)).expect("a plan");
    assert_eq!(district.len(), 200);
    assert_eq!(total(&district), 25_000);
    let other = plan(Scale::District(500242)).expect("酉阳");
    assert_eq!(other.len(), 278);
    assert_eq!(total(&other), 25_000);
}

#[test]
fn chongqing_covers_every_community_with_villages_denser() {
    let city = plan(Scale::Chongqing).expect("a plan");
    let tree = RegionTree::chongqing();
    let communities = tree
        .nodes()
        .iter()
        .filter(|n| n.level() == RegionLevel::Community)
        .count();
    assert_eq!(communities, 11_270);
    assert_eq!(city.len(), 11_270);
    assert_eq!(total(&city), 700_000);
    let (mut village, mut villages, mut urban, mut urbans) = (0u64, 0u64, 0u64, 0u64);
    for (code, count) in &city {
        let node = tree
            .lookup(code.parse().expect("a code"))
            .expect("in the tree");
        if node.kind == RegionKind::Village {
            village += u64::from(*count);
            villages += 1;
        } else {
            urban += u64::from(*count);
            urbans += 1;
        }
        assert!(*count >= 10, "{code} {count}");
    }
    assert_eq!((villages, urbans), (7946, 3324));
    let per_village = village as f64 / villages as f64;
    let per_urban = urban as f64 / urbans as f64;
    assert!(per_village > 1.5 * per_urban, "{per_village} {per_urban}");
}

#[test]
fn a_plan_does_not_depend_on_anything_but_the_scale() {
    assert_eq!(plan(Scale::Demo), plan(Scale::Demo));
}

#[test]
fn unknown_districts_are_refused() {
    for code in [999_999, 500_199, 500_157] {
        let error = plan(Scale::District(code)).expect_err("not a district with communities");
        assert!(matches!(error, SynthError::BadScale { .. }), "{code}");
    }
}
