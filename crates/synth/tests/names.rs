//! Names: surname frequencies, compound surnames, rare characters, only Han characters.

use std::collections::HashMap;

use minzheng_kernel::id_number::Sex;
use minzheng_synth::{RARE_CHARACTERS, Rng, SURNAMES, person_name};

const NAMES: u32 = 100_000;

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// 100,000 names of people of both sexes born 1930–2025, with their surname split off by the table.
fn names() -> Vec<(String, i32)> {
    let mut rng = Rng::new(2024);
    (0..NAMES)
        .map(|_| {
            let sex = if rng.chance(500) {
                Sex::Male
            } else {
                Sex::Female
            };
            let year = rng.between(1930, 2025) as i32;
            (person_name(&mut rng, sex, year), year)
        })
        .collect()
}

/// The surname of a generated name: compound surnames first, as a person would read it.
fn surname_of(name: &str) -> &str {
    for (surname, _) in SURNAMES {
        if surname.chars().count() == 2 && name.starts_with(surname) {
            return &name[..surname.len()];
        }
    }
    let first = name.chars().next().map(char::len_utf8).unwrap_or(0);
    &name[..first]
}

#[test]
fn surname_frequencies_are_roughly_right() {
    let mut counts: HashMap<String, u32> = HashMap::new();
    for (name, _) in names() {
        *counts.entry(surname_of(&name).to_string()).or_default() += 1;
    }
    let share = |s: &str| f64::from(counts.get(s).copied().unwrap_or(0)) / f64::from(NAMES);
    for common in ["王", "李", "张"] {
        assert!(
            (0.05..0.09).contains(&share(common)),
            "{common} {}",
            share(common)
        );
    }
    // Chongqing: 陈 and 刘 are as common as 王.
    assert!(share("陈") > 0.06 && share("刘") > 0.055);
    // Chongqing-typical surnames appear.
    for local in ["谭", "冉", "牟", "向", "况"] {
        assert!(share(local) > 0.0005, "{local}");
    }
    // Compound surnames: present, rare.
    let compound: u32 = ["欧阳", "上官", "司马", "诸葛"]
        .iter()
        .map(|s| counts.get(*s).copied().unwrap_or(0))
        .sum();
    assert!(counts.get("欧阳").copied().unwrap_or(0) >= 15);
    assert!((20..=100).contains(&compound), "{compound}");
}

#[test]
fn given_names_are_one_or_two_characters_and_rarely_rare() {
    let mut single_before_1990 = (0u32, 0u32);
    let mut single_from_1990 = (0u32, 0u32);
    let mut rare = 0;
    let mut extension_a = 0;
    for (name, year) in names() {
        assert!(name.chars().all(is_han), "{name}");
        assert!(!name.chars().any(|c| c.is_ascii()), "{name}");
        let given = name[surname_of(&name).len()..].chars().count();
        assert!((1..=2).contains(&given), "{name}");
        let bucket = if year < 1990 {
            &mut single_before_1990
        } else {
            &mut single_from_1990
        };
        bucket.0 += 1;
        bucket.1 += u32::from(given == 1);
        if name.chars().any(|c| RARE_CHARACTERS.contains(&c)) {
            rare += 1;
        }
        if name.chars().any(|c| ('\u{3400}'..='\u{4DBF}').contains(&c)) {
            extension_a += 1;
        }
    }
    let share = |(all, single): (u32, u32)| f64::from(single) / f64::from(all);
    assert!(
        (0.28..0.38).contains(&share(single_before_1990)),
        "{single_before_1990:?}"
    );
    assert!(
        (0.10..0.20).contains(&share(single_from_1990)),
        "{single_from_1990:?}"
    );
    // One in 5,000: about 20 of 100,000.
    assert!((5..=45).contains(&rare), "{rare}");
    assert!(extension_a >= 1, "{extension_a}");
}

#[test]
fn names_depend_on_sex() {
    let mut rng = Rng::new(1);
    let men: Vec<String> = (0..2000)
        .map(|_| person_name(&mut rng, Sex::Male, 1975))
        .collect();
    let women: Vec<String> = (0..2000)
        .map(|_| person_name(&mut rng, Sex::Female, 1975))
        .collect();
    let has = |names: &[String], c: char| names.iter().filter(|n| n.contains(c)).count();
    assert!(has(&men, '强') > 50 && has(&women, '强') == 0);
    assert!(has(&women, '丽') > 50 && has(&men, '丽') == 0);
}
