//! The vocabulary every area of minzheng shares: validated identifiers, the region tree,
//! the working-day calendar, money in fen and dated policy parameters.
//!
//! Pure and synchronous: no I/O, no database. Reference data is compiled in (from `data/`
//! at the repository root) or handed in by `store`, so every caller sees the same rules.

pub mod calendar;
pub mod checks;
pub mod county_codes;
pub mod credit_code;
pub mod id_number;
pub mod mask;
pub mod money;
pub mod month;
pub mod params;
pub mod pinyin_keys;
pub mod region;
pub mod sheet;
pub mod text_file;
