//! Helpers shared by the integration tests.

#![allow(dead_code)]

use chrono::{Datelike, NaiveDate};
use minzheng_synth::{Scale, SynthHousehold, generate};

/// The date every test generates on.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 15).expect("a real date")
}

/// A fixed text form of a household with every field, independent of `Debug` formats of other
/// crates, so that a hash of it pins the output.
pub fn render(household: &SynthHousehold) -> String {
    let mut text = format!(
        "{}|{}|{}|{}|{}|{}\n",
        household.region_code,
        household.area_type.code(),
        household.address,
        household.deposits_fen,
        household.vehicles,
        household.housing_units
    );
    for m in &household.members {
        let disability = m
            .disability
            .map(|d| format!("{}{}", d.kind.label_zh(), d.level))
            .unwrap_or_default();
        text.push_str(&format!(
            "  {}|{}|{}|{}|{}|{}|{}|{}|{}|{}\n",
            m.relation.code(),
            m.name,
            m.sex.label_zh(),
            m.birth_date,
            m.id_number,
            m.hukou_region6,
            m.monthly_income_fen,
            disability,
            m.serious_illness,
            m.student
        ));
    }
    text
}

/// FNV-1a, 64 bits: a fixed hash for golden values.
pub fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// The FNV-1a offset basis.
pub const FNV_START: u64 = 0xCBF2_9CE4_8422_2325;

/// Every household of a scale, collected (only for the small scales).
pub fn all(scale: Scale, seed: u64) -> Vec<SynthHousehold> {
    generate(scale, seed, today())
        .expect("a generator")
        .map(|h| h.expect("a household"))
        .collect()
}

/// Whole years from `earlier` to `later` (negative when `later` comes first).
pub fn years_between(earlier: NaiveDate, later: NaiveDate) -> i32 {
    let mut years = later.year() - earlier.year();
    if (later.month(), later.day()) < (earlier.month(), earlier.day()) {
        years -= 1;
    }
    years
}
