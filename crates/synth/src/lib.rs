//! A realistic synthetic population of social-assistance households over the real region tree of
//! Chongqing, for demos, load tests and benchmarks.
//!
//! No public record-level social-assistance data exists, so the platform makes its own: households
//! of one to six people with names, ID numbers, relations to the head, ages that fit those
//! relations, incomes around the local dibao standard, disabilities, and household assets.
//!
//! The crate is pure: no database, no I/O, no threads, no clock. It hands out plain rows
//! ([`SynthHousehold`], [`SynthPerson`]); the caller writes them to the database in bulk.
//!
//! **Determinism.** The same seed, scale and `today` give byte-identical output, on every machine
//! and with any dependency versions: randomness comes from the crate's own [`Rng`] (xoshiro256**),
//! tables are compiled in, and nothing iterates a hash map. Each household draws from its own stream
//! ([`household_rng`]: seed → community code → index in the community), so its contents do not depend
//! on which communities were generated before it. The one shared state is the [`IdAllocator`], which
//! keeps ID numbers unique: the sequence digits (positions 15–17) of a number depend on how many
//! people with the same region code and birth date came before, in plan order.
//!
//! Entry points: [`plan`] says how many households each community gets at a [`Scale`];
//! [`generate`] streams the households of a whole plan; [`household`] makes one; [`person_name`] and
//! [`IdAllocator`] are the building blocks.

#![warn(missing_docs)]

mod household;
mod ids;
mod names;
mod plan;
mod rng;

use std::fmt;

use chrono::NaiveDate;

pub use household::{
    AreaType, Community, Disability, DisabilityKind, Relation, SynthHousehold, SynthPerson,
    household,
};
pub use ids::{COUNTY_CODE_HISTORY, IdAllocator, id_region_code};
pub use names::{RARE_CHARACTERS, SURNAMES, given_name, person_name, surname};
pub use plan::{Generator, Scale, generate, household_rng, plan};
pub use rng::Rng;

/// Why synthetic data could not be made. The Display text is Chinese, for the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SynthError {
    /// Every sequence number of this region code and birth date, and of its neighbouring codes,
    /// for this sex is taken (more than 500 people per code; cannot happen at the planned scales).
    IdNumbersExhausted {
        /// The region code first asked for.
        region: String,
        /// The birth date.
        birth: NaiveDate,
    },
    /// The kernel refused to build an ID number (only a defect of this crate can cause it).
    IdNumber(String),
    /// A community code that is not a 12-digit community (村/居委会) code.
    BadCommunity {
        /// The code given.
        code: String,
        /// Why it was refused.
        reason: String,
    },
    /// The region tree refused a lookup.
    Region(String),
    /// The policy parameters have no dibao standard for the place and date.
    Param(String),
    /// A scale that names no district of the tree, or cannot be read.
    BadScale {
        /// What was given.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// `today` is outside the dates the generator supports.
    BadToday {
        /// The date given.
        today: NaiveDate,
        /// Why it was refused.
        reason: String,
    },
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthError::IdNumbersExhausted { region, birth } => write!(
                f,
                "地址码 {region} 及其相邻代码下出生日期为 {birth} 的顺序码已用尽"
            ),
            SynthError::IdNumber(message) => write!(f, "无法生成身份证号码：{message}"),
            SynthError::BadCommunity { code, reason } => {
                write!(f, "村（社区）代码 {code} 不正确：{reason}")
            }
            SynthError::Region(message) => write!(f, "区划查询失败：{message}"),
            SynthError::Param(message) => write!(f, "政策参数查询失败：{message}"),
            SynthError::BadScale { input, reason } => {
                write!(f, "数据规模 “{input}” 不正确：{reason}")
            }
            SynthError::BadToday { today, reason } => {
                write!(f, "当前日期 {today} 不可用：{reason}")
            }
        }
    }
}

impl std::error::Error for SynthError {}
