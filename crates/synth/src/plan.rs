//! How many households each community gets at a scale, and the stream that generates them.

use chrono::{Datelike, NaiveDate};
use minzheng_kernel::region::{RegionCode, RegionKind, RegionLevel, RegionTree};

use crate::SynthError;
use crate::household::{AreaType, Community, SynthHousehold, dibao_standard_fen, household};
use crate::ids::IdAllocator;
use crate::rng::Rng;

/// How much synthetic data to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// A demonstration: 渝中区 (500103) and 沙坪坝区 (500106), 1,000 households.
    Demo,
    /// One district (six-digit code; the usual one is 沙坪坝区 500106), 25,000 households: about
    /// the caseload of a large district office.
    District(u32),
    /// All 11,270 communities and villages of the NBS tree, 700,000 households (about 1.5 million
    /// people): the city's caseload, with villages denser in beneficiaries than urban communities.
    Chongqing,
}

/// The districts of the demonstration.
const DEMO_DISTRICTS: [&str; 2] = ["500103", "500106"];

/// Main-city districts: fewer beneficiaries per community (per mille of the average).
const MAIN_CITY: [&str; 9] = [
    "500103", "500104", "500105", "500106", "500107", "500108", "500109", "500112", "500113",
];

/// The mountainous north-east and south-east (渝东北, 渝东南), formerly poverty counties: more.
const REMOTE: [&str; 14] = [
    "500114", "500154", "500156", "500229", "500230", "500233", "500235", "500236", "500237",
    "500238", "500240", "500241", "500242", "500243",
];

impl Scale {
    /// The district [`Scale::District`] usually names: 沙坪坝区.
    pub const DEFAULT_DISTRICT: u32 = 500106;

    /// Total households of the plan at this scale.
    pub fn households(self) -> u32 {
        match self {
            Scale::Demo => 1_000,
            Scale::District(_) => 25_000,
            Scale::Chongqing => 700_000,
        }
    }

    /// Reads a scale as a command line gives it: `demo`, `district` (沙坪坝区),
    /// `district:500103`, or `chongqing`.
    pub fn parse(input: &str) -> Result<Scale, SynthError> {
        let text = input.trim();
        let bad = |reason: &str| SynthError::BadScale {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        match text {
            "demo" => Ok(Scale::Demo),
            "district" => Ok(Scale::District(Scale::DEFAULT_DISTRICT)),
            "chongqing" => Ok(Scale::Chongqing),
            _ => {
                let code = text
                    .strip_prefix("district:")
                    .ok_or_else(|| bad("应为 demo、district、district:区县代码 或 chongqing"))?;
                if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("区县代码应为 6 位数字"));
                }
                code.parse::<u32>()
                    .map(Scale::District)
                    .map_err(|_| bad("区县代码应为 6 位数字"))
            }
        }
    }

    /// The label a screen or log shows.
    pub fn label_zh(self) -> String {
        match self {
            Scale::Demo => "演示（渝中区、沙坪坝区）".to_string(),
            Scale::District(code) => format!("单个区县（{code:06}）"),
            Scale::Chongqing => "全市".to_string(),
        }
    }
}

/// A 64-bit finaliser, to draw a community's fixed jitter from its code.
fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A community's share of its scale's households: villages 35, urban communities 20, times a
/// district factor (main city 0.8, remote counties 1.3, others 1.0), times a fixed jitter of
/// ±30 % drawn from the code, so that communities differ but never with the seed.
fn community_weight(code: RegionCode, is_village: bool) -> u64 {
    let text = code.to_string();
    let county = &text[..6];
    let base: u64 = if is_village { 35 } else { 20 };
    let district: u64 = if MAIN_CITY.contains(&county) {
        800
    } else if REMOTE.contains(&county) {
        1300
    } else {
        1000
    };
    let jitter = 700 + mix(code.as_u64()) % 601;
    base * district * jitter
}

/// Splits `total` in proportion to `weights` (largest remainder; ties to the earlier entry), so
/// the parts add up to `total` exactly.
fn apportion(total: u32, weights: &[u64]) -> Vec<u32> {
    let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut parts: Vec<u32> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let exact = u128::from(total) * u128::from(*weight);
        parts.push((exact / sum) as u32);
        remainders.push((exact % sum, index));
    }
    let given: u32 = parts.iter().sum();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders.iter().take((total - given) as usize) {
        parts[*index] += 1;
    }
    parts
}

/// The communities (12-digit code) of a scale and how many households each gets, in code order.
/// The counts add up to [`Scale::households`] exactly and do not depend on any seed.
pub fn plan(scale: Scale) -> Result<Vec<(String, u32)>, SynthError> {
    let tree = RegionTree::chongqing();
    let wanted: Vec<String> = match scale {
        Scale::Demo => DEMO_DISTRICTS.iter().map(|c| c.to_string()).collect(),
        Scale::District(code) => {
            let text = format!("{code:06}");
            let bad = |reason: &str| SynthError::BadScale {
                input: text.clone(),
                reason: reason.to_string(),
            };
            let parsed = RegionCode::parse(&text).map_err(|e| bad(&e.to_string()))?;
            let node = tree.lookup(parsed).map_err(|e| bad(&e.to_string()))?;
            if node.level() != RegionLevel::District {
                return Err(bad("不是区县代码"));
            }
            vec![text]
        }
        Scale::Chongqing => Vec::new(),
    };
    let mut codes: Vec<String> = Vec::new();
    let mut weights: Vec<u64> = Vec::new();
    for node in tree.nodes() {
        if node.level() != RegionLevel::Community {
            continue;
        }
        let text = node.code.to_string();
        if !wanted.is_empty()
            && !wanted
                .iter()
                .any(|county| text.starts_with(county.as_str()))
        {
            continue;
        }
        weights.push(community_weight(
            node.code,
            node.kind == RegionKind::Village,
        ));
        codes.push(text);
    }
    if codes.is_empty() {
        return Err(SynthError::BadScale {
            input: scale.label_zh(),
            reason: "统计用区划代码中该范围没有村（社区）".to_string(),
        });
    }
    let counts = apportion(scale.households(), &weights);
    Ok(codes.into_iter().zip(counts).collect())
}

/// The stream household number `index` of `community` draws from: seed → community → index.
/// Regenerating one household needs only this (and an [`IdAllocator`]); nothing else is shared.
pub fn household_rng(seed: u64, community: &str, index: u32) -> Rng {
    let stream: u64 = community.parse().unwrap_or_else(|_| {
        community
            .bytes()
            .fold(0u64, |acc, b| mix(acc ^ u64::from(b)))
    });
    Rng::new(seed).fork(stream).fork(u64::from(index))
}

/// Streams the households of a plan, community by community in code order, holding only the
/// current community and the [`IdAllocator`]. Made by [`generate`].
#[derive(Debug, Clone)]
pub struct Generator {
    plan: Vec<(String, u32)>,
    seed: u64,
    today: NaiveDate,
    ids: IdAllocator,
    community_index: usize,
    household_index: u32,
    current: Option<Community>,
    remaining: u64,
}

impl Generator {
    /// The plan being generated.
    pub fn plan(&self) -> &[(String, u32)] {
        &self.plan
    }

    /// How many households are still to come.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The ID numbers handed out so far.
    pub fn ids(&self) -> &IdAllocator {
        &self.ids
    }
}

impl Iterator for Generator {
    type Item = Result<SynthHousehold, SynthError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (code, count) = self.plan.get(self.community_index)?;
            if self.household_index >= *count {
                self.community_index += 1;
                self.household_index = 0;
                self.current = None;
                continue;
            }
            if self.current.is_none() {
                match Community::from_tree(RegionTree::chongqing(), code) {
                    Ok(community) => self.current = Some(community),
                    Err(error) => {
                        // Skip the community so that the stream ends; the caller sees why.
                        self.remaining = self.remaining.saturating_sub(u64::from(*count));
                        self.community_index += 1;
                        self.household_index = 0;
                        return Some(Err(error));
                    }
                }
            }
            let community = self.current.as_ref()?;
            let mut rng = household_rng(self.seed, code, self.household_index);
            self.household_index += 1;
            self.remaining = self.remaining.saturating_sub(1);
            return Some(household(&mut rng, community, &mut self.ids, self.today));
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (remaining, Some(remaining))
    }
}

/// Streams every household of `scale` for `seed`, as of `today` (the civil date in China: ages,
/// ID-number checks and the dibao standard are taken on it).
///
/// Deterministic: the same scale, seed and `today` give byte-identical households in the same
/// order, whatever the machine or dependency versions. Each household draws from
/// [`household_rng`], so its contents do not depend on the order of generation; only the sequence
/// digits of ID numbers depend on the numbers handed out before (in code order).
///
/// To split the work across threads, give each part whole districts and its own [`IdAllocator`]:
/// the region codes of different districts do not overlap (a test checks the history table), so
/// numbers stay unique, with two exceptions a parallel caller must keep in one part: people born
/// from 2025-11-06 in units the 2025 change moved (the former 江北区 and 渝北区 and five towns of
/// 北碚区 all give 两江新区 500157; five towns of 渝北区 give 北碚区 500109), and the exhaustion
/// fallback of [`IdAllocator`], which never triggers at these scales.
pub fn generate(scale: Scale, seed: u64, today: NaiveDate) -> Result<Generator, SynthError> {
    if today.year() < 2017 || today.year() > 2199 {
        return Err(SynthError::BadToday {
            today,
            reason: "应在 2017 年（内置低保标准的起点）至 2199 年之间".to_string(),
        });
    }
    // Fail at the start, not on the first household, when the standards are missing.
    for area in [AreaType::Urban, AreaType::Rural] {
        dibao_standard_fen(area, "50", today).map_err(|error| SynthError::BadToday {
            today,
            reason: error.to_string(),
        })?;
    }
    let plan = plan(scale)?;
    let remaining = plan.iter().map(|(_, count)| u64::from(*count)).sum();
    Ok(Generator {
        plan,
        seed,
        today,
        ids: IdAllocator::new(),
        community_index: 0,
        household_index: 0,
        current: None,
        remaining,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_adds_up_and_follows_weights() {
        let parts = apportion(10, &[1, 1, 1]);
        assert_eq!(parts, vec![4, 3, 3]);
        let parts = apportion(1000, &[3, 1]);
        assert_eq!(parts, vec![750, 250]);
        assert_eq!(apportion(5, &[0, 0]), vec![0, 0]);
    }

    #[test]
    fn scales_parse() {
        assert_eq!(Scale::parse("demo"), Ok(Scale::Demo));
        assert_eq!(Scale::parse("district"), Ok(Scale::District(500106)));
        assert_eq!(Scale::parse("district:500103"), Ok(Scale::District(500103)));
        assert_eq!(Scale::parse(" chongqing "), Ok(Scale::Chongqing));
        assert!(Scale::parse("district:5001").is_err());
        assert!(Scale::parse("city").is_err());
    }
}
