//! ID numbers for synthetic people: which region code a number carries, and unique sequence
//! numbers of the right parity.
//!
//! Realism: positions 1–6 of an ID number are the county code where the number was first issued,
//! and numbers are never re-issued when divisions change. Before Chongqing became a municipality
//! (1997) its counties had Sichuan codes (51xxxx), which changed several times (e.g. 万县 512221 in
//! the 1980s, 龙宝区 511202 in 1992–1996, today 万州区 500101); and several districts carried another
//! 500xxx code before becoming a district (江津市 500381 until 2005). [`COUNTY_CODE_HISTORY`] lists
//! them all, checked against the kernel's table of county codes by year.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{Datelike, NaiveDate};
use minzheng_kernel::county_codes;
use minzheng_kernel::id_number::{IdNumber, Sex};

use crate::SynthError;
use crate::household::Community;
use crate::rng::Rng;

/// For each county-level unit of Chongqing (the 38 of the NBS 2023 tree and 两江新区), every county
/// code its area carried since 1980, with one name the code carried (as in
/// `data/cn-county-codes-by-year-1980-2024.csv`; a test checks each pair against it). The years
/// each code was in force come from the kernel's table at run time, not from here.
///
/// Sichuan era: 1980–1981 the 永川/涪陵/万县 prefectures (5126xx, 5127xx, 5128xx), 1982 the next
/// renumbering (5121xx, 5122xx, 5123xx), 重庆市 itself 5102xx from 1980 (with 永川地区's counties
/// from 1983), 黔江地区 5135xx from 1988, 万县市 5112xx from 1992, 涪陵市 5170xx and the 5190xx
/// county-level cities in the 1990s. Municipality: 500xxx from 1997.
pub const COUNTY_CODE_HISTORY: &[(&str, &[(&str, &str)])] = &[
    (
        "500101",
        &[
            ("500101", "万州区"),
            ("512801", "万县市"),
            ("512821", "万县"),
            ("512201", "万县市"),
            ("512221", "万县"),
            ("511202", "龙宝区"),
            ("511203", "天城区"),
            ("511204", "五桥区"),
        ],
    ),
    (
        "500102",
        &[
            ("500102", "涪陵区"),
            ("512721", "涪陵县"),
            ("512321", "涪陵县"),
            ("512301", "涪陵市"),
            ("517002", "枳城区"),
            ("517003", "李渡区"),
        ],
    ),
    ("500103", &[("500103", "渝中区"), ("510202", "市中区")]),
    ("500104", &[("500104", "大渡口区"), ("510203", "大渡口区")]),
    ("500105", &[("500105", "江北区"), ("510211", "江北区")]),
    ("500106", &[("500106", "沙坪坝区"), ("510212", "沙坪坝区")]),
    ("500107", &[("500107", "九龙坡区"), ("510213", "九龙坡区")]),
    ("500108", &[("500108", "南岸区"), ("510214", "南岸区")]),
    ("500109", &[("500109", "北碚区"), ("510215", "北碚区")]),
    (
        "500110",
        &[
            ("500110", "綦江区"),
            ("500222", "綦江县"),
            ("510223", "綦江县"),
            ("510216", "南桐矿区"),
        ],
    ),
    (
        "500111",
        &[
            ("500111", "大足区"),
            ("500225", "大足县"),
            ("512622", "大足县"),
            ("512126", "大足县"),
            ("510230", "大足县"),
            ("510217", "双桥区"),
        ],
    ),
    (
        "500112",
        &[
            ("500112", "渝北区"),
            ("510224", "江北县"),
            ("510218", "渝北区"),
        ],
    ),
    (
        "500113",
        &[
            ("500113", "巴南区"),
            ("510222", "巴县"),
            ("510219", "巴南区"),
        ],
    ),
    (
        "500114",
        &[
            ("500114", "黔江区"),
            ("500239", "黔江土家族苗族自治县"),
            ("512727", "黔江县"),
            ("512328", "黔江县"),
            ("513523", "黔江土家族苗族自治县"),
        ],
    ),
    (
        "500115",
        &[
            ("500115", "长寿区"),
            ("500221", "长寿县"),
            ("510221", "长寿县"),
        ],
    ),
    (
        "500116",
        &[
            ("500116", "江津区"),
            ("500381", "江津市"),
            ("512627", "江津县"),
            ("512121", "江津县"),
            ("510225", "江津县"),
            ("519007", "江津市"),
            ("510283", "江津市"),
        ],
    ),
    (
        "500117",
        &[
            ("500117", "合川区"),
            ("500382", "合川市"),
            ("512624", "合川县"),
            ("512122", "合川县"),
            ("510226", "合川县"),
            ("519006", "合川市"),
            ("510282", "合川市"),
        ],
    ),
    (
        "500118",
        &[
            ("500118", "永川区"),
            ("500383", "永川市"),
            ("512621", "永川县"),
            ("512125", "永川县"),
            ("510229", "永川县"),
            ("519005", "永川市"),
            ("510281", "永川市"),
        ],
    ),
    (
        "500119",
        &[
            ("500119", "南川区"),
            ("500384", "南川市"),
            ("512730", "南川县"),
            ("512323", "南川县"),
            ("512302", "南川市"),
            ("517081", "南川市"),
        ],
    ),
    (
        "500120",
        &[
            ("500120", "璧山区"),
            ("500227", "璧山县"),
            ("512626", "璧山县"),
            ("512128", "璧山县"),
            ("510232", "璧山县"),
        ],
    ),
    (
        "500151",
        &[
            ("500151", "铜梁区"),
            ("500224", "铜梁县"),
            ("512623", "铜梁县"),
            ("512124", "铜梁县"),
            ("510228", "铜梁县"),
        ],
    ),
    (
        "500152",
        &[
            ("500152", "潼南区"),
            ("500223", "潼南县"),
            ("512625", "潼南县"),
            ("512123", "潼南县"),
            ("510227", "潼南县"),
        ],
    ),
    (
        "500153",
        &[
            ("500153", "荣昌区"),
            ("500226", "荣昌县"),
            ("512628", "荣昌县"),
            ("512127", "荣昌县"),
            ("510231", "荣昌县"),
        ],
    ),
    (
        "500154",
        &[
            ("500154", "开州区"),
            ("500234", "开县"),
            ("512822", "开县"),
            ("512222", "开县"),
            ("511221", "开县"),
        ],
    ),
    (
        "500155",
        &[
            ("500155", "梁平区"),
            ("500228", "梁平县"),
            ("512829", "梁平县"),
            ("512224", "梁平县"),
            ("511223", "梁平县"),
        ],
    ),
    (
        "500156",
        &[
            ("500156", "武隆区"),
            ("500232", "武隆县"),
            ("512729", "武隆县"),
            ("512326", "武隆县"),
            ("517023", "武隆县"),
        ],
    ),
    (
        "500229",
        &[
            ("500229", "城口县"),
            ("512823", "城口县"),
            ("512229", "城口县"),
            ("511228", "城口县"),
        ],
    ),
    (
        "500230",
        &[
            ("500230", "丰都县"),
            ("512723", "丰都县"),
            ("512324", "丰都县"),
            ("517022", "丰都县"),
        ],
    ),
    (
        "500231",
        &[
            ("500231", "垫江县"),
            ("512722", "垫江县"),
            ("512322", "垫江县"),
            ("517021", "垫江县"),
        ],
    ),
    (
        "500233",
        &[
            ("500233", "忠县"),
            ("512828", "忠县"),
            ("512223", "忠县"),
            ("511222", "忠县"),
        ],
    ),
    (
        "500235",
        &[
            ("500235", "云阳县"),
            ("512827", "云阳县"),
            ("512225", "云阳县"),
            ("511224", "云阳县"),
        ],
    ),
    (
        "500236",
        &[
            ("500236", "奉节县"),
            ("512826", "奉节县"),
            ("512226", "奉节县"),
            ("511225", "奉节县"),
        ],
    ),
    (
        "500237",
        &[
            ("500237", "巫山县"),
            ("512825", "巫山县"),
            ("512227", "巫山县"),
            ("511226", "巫山县"),
        ],
    ),
    (
        "500238",
        &[
            ("500238", "巫溪县"),
            ("512824", "巫溪县"),
            ("512228", "巫溪县"),
            ("511227", "巫溪县"),
        ],
    ),
    (
        "500240",
        &[
            ("500240", "石柱土家族自治县"),
            ("512724", "石柱县"),
            ("512325", "石柱县"),
            ("513521", "石柱土家族自治县"),
        ],
    ),
    (
        "500241",
        &[
            ("500241", "秀山土家族苗族自治县"),
            ("512725", "秀山县"),
            ("512330", "秀山县"),
            ("513522", "秀山土家族苗族自治县"),
        ],
    ),
    (
        "500242",
        &[
            ("500242", "酉阳土家族苗族自治县"),
            ("512726", "酉阳县"),
            ("512329", "酉阳县"),
            ("513524", "酉阳土家族苗族自治县"),
        ],
    ),
    (
        "500243",
        &[
            ("500243", "彭水苗族土家族自治县"),
            ("512728", "彭水县"),
            ("512327", "彭水县"),
            ("513525", "彭水苗族土家族自治县"),
        ],
    ),
    ("500157", &[("500157", "两江新区")]),
];

/// Share (per mille) of people born before 1980 whose number carries a Sichuan-era code.
const OLD_CODE_BEFORE_1980: u32 = 600;
/// Share (per mille) of people born 1980–1996 whose number carries a Sichuan-era code.
const OLD_CODE_1980_1996: u32 = 300;

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

/// The codes [`COUNTY_CODE_HISTORY`] lists for a county, or an empty slice.
fn history_of(county: &str) -> &'static [(&'static str, &'static str)] {
    COUNTY_CODE_HISTORY
        .iter()
        .find(|(current, _)| *current == county)
        .map(|(_, codes)| *codes)
        .unwrap_or(&[])
}

fn is_sichuan_era(code: &str) -> bool {
    code.starts_with("51")
}

/// Picks uniformly among the county's codes of one era (`sichuan` or not) that were in force on
/// `on`; `None` when there is none.
fn pick_in_force(
    rng: &mut Rng,
    county: &str,
    sichuan: bool,
    on: NaiveDate,
) -> Option<&'static str> {
    // No county lists more than eight codes; a fixed array keeps this off the heap.
    let mut candidates: [&'static str; 8] = [""; 8];
    let mut count = 0;
    for (code, _) in history_of(county) {
        if count < candidates.len()
            && is_sichuan_era(code) == sichuan
            && county_codes::lookup(code).is_some_and(|entry| entry.in_force_on(on))
        {
            candidates[count] = code;
            count += 1;
        }
    }
    if count == 0 {
        return None;
    }
    candidates.get(rng.below(count as u64) as usize).copied()
}

/// The region code (positions 1–6) for the ID number of someone born on `birth` whose household is
/// registered in `community`.
///
/// - About 60 % of people born before 1980 and 30 % of those born 1980–1996 carry the Sichuan-era
///   code (51xxxx) in force where the community lay when the number was issued: in 1985–1991 (the
///   first ID cards) for those born before 1985, in the birth year otherwise.
/// - Everyone else carries the 500xxx code in force when the number was issued: at birth for those
///   born from 1997 (so 江津 people born in 2000 carry 500381), and on a date between 1997 and the
///   end of 2024 for older people given a new number (re-registration after a move).
///
/// The county comes from the community's place in the tree on that date (a community of the former
/// 江北区 gives 500105 before 2025-11-06 and 两江新区 500157 after). Codes not in the history table
/// (outside Chongqing) fall back to the community's county code.
pub fn id_region_code<'a>(
    rng: &mut Rng,
    community: &'a Community,
    birth: NaiveDate,
    today: NaiveDate,
) -> &'a str {
    let municipality = date(1997, 1, 1);
    let year = birth.year();
    let old_share = if year < 1980 {
        OLD_CODE_BEFORE_1980
    } else if birth < municipality {
        OLD_CODE_1980_1996
    } else {
        0
    };
    if old_share > 0 && rng.chance(old_share) {
        let issue_year = if year < 1985 {
            rng.between(1985, 1991) as i32
        } else {
            year
        };
        let issued = date(issue_year.clamp(1980, 1996), 7, 1);
        let county = community.county_on(issued);
        if let Some(code) = pick_in_force(rng, county, true, issued) {
            return code;
        }
    }
    let issued = if birth >= municipality {
        birth
    } else {
        let first = date(1997, 7, 1);
        let last = date(2024, 12, 31).min(today).max(first);
        let span = (last - first).num_days();
        first + chrono::TimeDelta::days(rng.between(0, span))
    };
    let county = community.county_on(issued);
    pick_in_force(rng, county, false, issued)
        .or_else(|| {
            history_of(county)
                .iter()
                .find(|(code, _)| !is_sichuan_era(code))
                .map(|(code, _)| *code)
        })
        .unwrap_or(county)
}

/// A cheap, fixed hash for the allocator's integer keys (the standard hasher is randomly keyed
/// and slower; the map is never iterated, so its order cannot leak into the output).
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(*byte)).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = mix(self.0 ^ value);
    }
}

/// A 64-bit finaliser (MurmurHash3's), to spread keys and choose starting offsets.
fn mix(value: u64) -> u64 {
    let mut z = value;
    z = (z ^ (z >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    z = (z ^ (z >> 33)).wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    z ^ (z >> 33)
}

/// Sequence numbers per parity and (region code, birth date): 0, 2, …, 998 for women and
/// 1, 3, …, 999 for men.
const PER_PARITY: u32 = 500;
/// Step through the 500 slots of a parity; coprime with 500, so 500 steps visit every slot once.
const STRIDE: u32 = 211;

/// Hands out ID numbers that are unique within one run: for each (region code, birth date) it
/// counts the numbers given to men and to women, and maps the count to a sequence number of the
/// right parity (odd male, even female) through a fixed permutation, so that sequences look
/// scattered rather than 001, 003, ….
///
/// When all 500 numbers of a parity are taken it moves to a neighbouring code: the nearest codes
/// (by number) of the same two-level group in the county table (`5001xx` districts, `5002xx`
/// counties, `5102xx` the old 重庆市 …). At the planned scales a county has a handful of people per
/// birth date, so that never happens in practice; the fallback keeps the guarantee.
///
/// Memory: one hash-table entry (16 bytes and a control byte) per (region code, birth date) in
/// use, about 35 MB for the whole city (1.5 million people).
#[derive(Debug, Clone, Default)]
pub struct IdAllocator {
    counts: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    issued: u64,
}

impl IdAllocator {
    /// An allocator that has handed out nothing.
    pub fn new() -> IdAllocator {
        IdAllocator::default()
    }

    /// How many numbers were handed out.
    pub fn issued(&self) -> u64 {
        self.issued
    }

    /// A new number for someone of `sex` born on `birth`, with region code `region6` (six digits of
    /// a real province) or, when those are used up, a neighbouring code.
    pub fn allocate(
        &mut self,
        region6: &str,
        birth: NaiveDate,
        sex: Sex,
    ) -> Result<IdNumber, SynthError> {
        if let Some(id) = self.try_allocate(region6, birth, sex)? {
            return Ok(id);
        }
        for neighbour in neighbours(region6) {
            if let Some(id) = self.try_allocate(neighbour, birth, sex)? {
                return Ok(id);
            }
        }
        Err(SynthError::IdNumbersExhausted {
            region: region6.to_string(),
            birth,
        })
    }

    fn try_allocate(
        &mut self,
        region6: &str,
        birth: NaiveDate,
        sex: Sex,
    ) -> Result<Option<IdNumber>, SynthError> {
        let region: u64 = match region6.parse::<u32>() {
            Ok(number) if region6.len() == 6 => u64::from(number),
            _ => {
                return Err(SynthError::IdNumber(format!(
                    "地址码 {region6} 应为 6 位数字"
                )));
            }
        };
        let day = u64::from(birth.num_days_from_ce().max(0) as u32);
        let key = (region << 32) | day;
        let counts = self.counts.entry(key).or_insert(0);
        let (taken, shift, parity) = match sex {
            Sex::Male => (*counts & 0xFFFF, 0, 1),
            Sex::Female => (*counts >> 16, 16, 0),
        };
        if taken >= PER_PARITY {
            return Ok(None);
        }
        let offset = (mix(key) % u64::from(PER_PARITY)) as u32;
        let slot = (offset + taken * STRIDE) % PER_PARITY;
        let sequence = (slot * 2 + parity) as u16;
        let id = IdNumber::generate(region6, birth, sequence)
            .map_err(|error| SynthError::IdNumber(error.to_string()))?;
        *counts += 1 << shift;
        self.issued += 1;
        Ok(Some(id))
    }
}

/// The codes of the county table that share the first four digits with `region6`, nearest first
/// (ties: the lower code first), `region6` itself excluded.
fn neighbours(region6: &str) -> Vec<&'static str> {
    let Ok(own) = region6.parse::<i64>() else {
        return Vec::new();
    };
    let group = region6.get(..4).unwrap_or("");
    let mut codes: Vec<&'static str> = county_codes::entries()
        .iter()
        .map(|entry| entry.code)
        .filter(|code| code.starts_with(group) && *code != region6)
        .collect();
    codes.sort_by_key(|code| {
        let number = code.parse::<i64>().unwrap_or(i64::MAX);
        ((number - own).abs(), number)
    });
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_are_in_the_same_group_nearest_first() {
        let list = neighbours("500103");
        assert_eq!(&list[..3], &["500102", "500104", "500101"]);
        assert!(list.iter().all(|code| code.starts_with("5001")));
    }

    #[test]
    fn stride_visits_every_slot() {
        let mut seen = [false; PER_PARITY as usize];
        for taken in 0..PER_PARITY {
            seen[((7 + taken * STRIDE) % PER_PARITY) as usize] = true;
        }
        assert!(seen.iter().all(|&slot| slot));
    }
}
