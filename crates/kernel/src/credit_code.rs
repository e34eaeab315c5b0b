//! 统一社会信用代码 (GB 32100-2015): the 18-character unified social credit code of an
//! organization, validated once at the edge so that every area can trust a [`CreditCode`].
//!
//! Layout: position 1 the registration authority (登记管理部门, `5` = 民政), 2 the organization type
//! within that authority, 3–8 the GB/T 2260 code of the registry's location, 9–17 the 9-character
//! organization code (组织机构代码, GB 11714), 18 a MOD 31 check character. The alphabet is
//! `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, S, V, Z).
//!
//! The organization code has its own GB 11714 check character (position 17). Codes issued to
//! individual businesses and some others do not follow it, so a failure is a
//! [`CreditCodeWarning`], never an error.
//!
//! An 18-digit string can pass both this check and the ID-number check: the caller must always say
//! which of the two it holds; never guess from the checksums.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::county_codes;
use crate::id_number::{Normalization, normalize_typed};

/// The 31 characters of the code, in value order 0..=30.
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// MOD 31 weights, `3^i mod 31` for positions 1..=17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// GB 11714 weights over the first 8 characters of the organization code.
const ORGANIZATION_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// The region code used by registries at the national level (e.g. 民政部 for national social
/// organizations: `53100000…`).
pub const NATIONAL_REGION_CODE: &str = "100000";

/// A valid 18-character unified social credit code in canonical form.
///
/// Once a value exists it is valid: the authority/type pair is one of GB 32100 table 1, the region
/// has a real province prefix (or is national), the MOD 31 check matches.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode {
    text: [u8; 18],
    organization_type: OrganizationType,
}

/// Position 1: which kind of registry issued the code (GB 32100 table 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationAuthority {
    /// `1` 机构编制 (public-sector staffing offices).
    Staffing,
    /// `2` 外交.
    ForeignAffairs,
    /// `3` 司法行政.
    Justice,
    /// `4` 文化.
    Culture,
    /// `5` 民政: social organizations, registered by civil affairs.
    CivilAffairs,
    /// `6` 旅游.
    Tourism,
    /// `7` 宗教.
    Religion,
    /// `8` 工会.
    TradeUnion,
    /// `9` 工商 (market regulation).
    MarketRegulation,
    /// `A` 中央军委改革和编制办公室.
    MilitaryStaffing,
    /// `N` 农业 (rural collective economic organizations).
    Agriculture,
    /// `Y` 其他.
    Other,
}

impl RegistrationAuthority {
    /// All authorities of table 1, in code order.
    pub const ALL: [RegistrationAuthority; 12] = [
        RegistrationAuthority::Staffing,
        RegistrationAuthority::ForeignAffairs,
        RegistrationAuthority::Justice,
        RegistrationAuthority::Culture,
        RegistrationAuthority::CivilAffairs,
        RegistrationAuthority::Tourism,
        RegistrationAuthority::Religion,
        RegistrationAuthority::TradeUnion,
        RegistrationAuthority::MarketRegulation,
        RegistrationAuthority::MilitaryStaffing,
        RegistrationAuthority::Agriculture,
        RegistrationAuthority::Other,
    ];

    /// The character at position 1.
    pub fn code(self) -> char {
        match self {
            RegistrationAuthority::Staffing => '1',
            RegistrationAuthority::ForeignAffairs => '2',
            RegistrationAuthority::Justice => '3',
            RegistrationAuthority::Culture => '4',
            RegistrationAuthority::CivilAffairs => '5',
            RegistrationAuthority::Tourism => '6',
            RegistrationAuthority::Religion => '7',
            RegistrationAuthority::TradeUnion => '8',
            RegistrationAuthority::MarketRegulation => '9',
            RegistrationAuthority::MilitaryStaffing => 'A',
            RegistrationAuthority::Agriculture => 'N',
            RegistrationAuthority::Other => 'Y',
        }
    }

    /// The authority a position-1 character stands for, if any.
    pub fn from_code(code: char) -> Option<RegistrationAuthority> {
        RegistrationAuthority::ALL
            .into_iter()
            .find(|authority| authority.code() == code)
    }

    /// The name a screen shows, e.g. `民政`.
    pub fn name_zh(self) -> &'static str {
        match self {
            RegistrationAuthority::Staffing => "机构编制",
            RegistrationAuthority::ForeignAffairs => "外交",
            RegistrationAuthority::Justice => "司法行政",
            RegistrationAuthority::Culture => "文化",
            RegistrationAuthority::CivilAffairs => "民政",
            RegistrationAuthority::Tourism => "旅游",
            RegistrationAuthority::Religion => "宗教",
            RegistrationAuthority::TradeUnion => "工会",
            RegistrationAuthority::MarketRegulation => "工商",
            RegistrationAuthority::MilitaryStaffing => "中央军委改革和编制办公室",
            RegistrationAuthority::Agriculture => "农业",
            RegistrationAuthority::Other => "其他",
        }
    }

    /// The organization-type characters (position 2) this authority may use, in order.
    pub fn type_codes(self) -> &'static [char] {
        match self {
            RegistrationAuthority::Staffing => &['1', '2', '3', '9'],
            RegistrationAuthority::ForeignAffairs => &['1', '9'],
            RegistrationAuthority::Justice => &['1', '2', '3', '4', '5', '9'],
            RegistrationAuthority::Culture => &['1', '9'],
            RegistrationAuthority::CivilAffairs => &['1', '2', '3', '9'],
            RegistrationAuthority::Tourism => &['1', '2', '9'],
            RegistrationAuthority::Religion => &['1', '2', '9'],
            RegistrationAuthority::TradeUnion => &['1', '9'],
            RegistrationAuthority::MarketRegulation => &['1', '2', '3'],
            RegistrationAuthority::MilitaryStaffing => &['1', '9'],
            RegistrationAuthority::Agriculture => &['1', '2', '3', '9'],
            RegistrationAuthority::Other => &['1'],
        }
    }
}

impl fmt::Display for RegistrationAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

/// Position 2 read together with position 1: the organization type of GB 32100 table 1.
/// Only valid pairs can be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrganizationType {
    authority: RegistrationAuthority,
    code: char,
}

impl OrganizationType {
    /// The type `code` of `authority`, if table 1 has that pair.
    pub fn new(authority: RegistrationAuthority, code: char) -> Option<OrganizationType> {
        if authority.type_codes().contains(&code) {
            Some(OrganizationType { authority, code })
        } else {
            None
        }
    }

    /// The registration authority (position 1).
    pub fn authority(self) -> RegistrationAuthority {
        self.authority
    }

    /// The character at position 2.
    pub fn code(self) -> char {
        self.code
    }

    /// The name a screen shows, e.g. `社会团体` for `51`.
    pub fn name_zh(self) -> &'static str {
        use RegistrationAuthority as A;
        match (self.authority, self.code) {
            (A::Staffing, '1') => "机关",
            (A::Staffing, '2') => "事业单位",
            (A::Staffing, '3') => "中央编办直接管理机构编制的群众团体",
            (A::ForeignAffairs, '1') => "外国常驻新闻机构",
            (A::Justice, '1') => "律师执业机构",
            (A::Justice, '2') => "公证处",
            (A::Justice, '3') => "基层法律服务所",
            (A::Justice, '4') => "司法鉴定机构",
            (A::Justice, '5') => "仲裁委员会",
            (A::Culture, '1') => "外国在华文化中心",
            (A::CivilAffairs, '1') => "社会团体",
            (A::CivilAffairs, '2') => "民办非企业单位",
            (A::CivilAffairs, '3') => "基金会",
            (A::Tourism, '1') => "外国旅游部门常驻代表机构",
            (A::Tourism, '2') => "港澳台地区旅游部门常驻内地（大陆）代表机构",
            (A::Religion, '1') => "宗教活动场所",
            (A::Religion, '2') => "宗教院校",
            (A::TradeUnion, '1') => "基层工会",
            (A::MarketRegulation, '1') => "企业",
            (A::MarketRegulation, '2') => "个体工商户",
            (A::MarketRegulation, '3') => "农民专业合作社",
            (A::MilitaryStaffing, '1') => "军队事业单位",
            (A::Agriculture, '1') => "组级集体经济组织",
            (A::Agriculture, '2') => "村级集体经济组织",
            (A::Agriculture, '3') => "乡镇级集体经济组织",
            _ => "其他",
        }
    }
}

impl fmt::Display for OrganizationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

/// Something worth telling the user about a code that is nevertheless valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CreditCodeWarning {
    /// The embedded organization code (positions 9–17) fails its GB 11714 check.
    OrganizationCodeCheck {
        /// The check character positions 9–16 require.
        expected: char,
        /// The character found at position 17.
        found: char,
    },
}

impl fmt::Display for CreditCodeWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CreditCodeWarning::OrganizationCodeCheck { expected, found } => write!(
                f,
                "统一社会信用代码中的组织机构代码校验码不符：应为 {expected}，实为 {found}（代码本身有效，仅作提示）"
            ),
        }
    }
}

/// What [`CreditCode::parse`] found: the code, what it had to change, and any warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCreditCode {
    /// The valid code in canonical form.
    pub credit_code: CreditCode,
    /// Every change made to the input; empty when it was canonical. Never `ConvertedFrom15`.
    pub normalizations: Vec<Normalization>,
    /// Warnings that do not make the code invalid.
    pub warnings: Vec<CreditCodeWarning>,
}

/// Why a string is not a valid credit code. The Display text is the Chinese message a form shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// Nothing but whitespace was given.
    #[error("统一社会信用代码为空")]
    Empty,
    /// Not 18 characters.
    #[error("统一社会信用代码应为 18 位，实为 {length} 位")]
    WrongLength {
        /// Number of characters after normalization.
        length: usize,
    },
    /// A character that cannot appear at that position.
    #[error(
        "统一社会信用代码第 {position} 位“{character}”无效：第 3–8 位应为数字，其余为数字或大写字母（不含 I、O、S、V、Z）"
    )]
    BadCharacter {
        /// One-based position in the (trimmed) input.
        position: usize,
        /// The offending character as typed.
        character: char,
    },
    /// Position 1 is not an authority of table 1.
    #[error("统一社会信用代码第 1 位登记管理部门代码“{character}”不存在")]
    BadRegistrationAuthority {
        /// The character found.
        character: char,
    },
    /// Position 2 is not a type of that authority in table 1.
    #[error("统一社会信用代码第 2 位机构类别代码“{character}”不属于登记管理部门“{authority}”")]
    BadOrganizationType {
        /// The authority at position 1.
        authority: RegistrationAuthority,
        /// The character found at position 2.
        character: char,
    },
    /// Positions 3–4 are not a province-level code (and 3–8 are not the national `100000`).
    #[error("统一社会信用代码第 3–4 位 {prefix} 不是有效的省级行政区划代码")]
    BadProvince {
        /// The two digits found.
        prefix: String,
    },
    /// The MOD 31 check character does not match.
    #[error("统一社会信用代码校验码错误：应为 {expected}，实为 {found}")]
    BadCheckCharacter {
        /// The check character positions 1–17 require.
        expected: char,
        /// The check character found.
        found: char,
    },
    /// Generator input: the region code is not six digits.
    #[error("登记管理机关行政区划码 {region} 应为 6 位数字")]
    BadRegionCode {
        /// The region code given.
        region: String,
    },
    /// Generator input: the organization code body is not 8 characters of the alphabet.
    #[error("组织机构代码本体 {body} 应为 8 位数字或大写字母（不含 I、O、S、V、Z）")]
    BadOrganizationBody {
        /// The body given.
        body: String,
    },
}

impl CreditCode {
    /// Parses what a person typed or pasted: trims whitespace, turns full-width characters into
    /// ASCII and lowercase into uppercase, and says so in [`ParsedCreditCode::normalizations`].
    pub fn parse(input: &str) -> Result<ParsedCreditCode, CreditCodeError> {
        let (text, normalizations) = normalize_typed(input);
        let credit_code = CreditCode::parse_strict(&text)?;
        Ok(ParsedCreditCode {
            credit_code,
            normalizations,
            warnings: credit_code.warnings(),
        })
    }

    /// Parses a code that must already be canonical: exactly 18 characters of the alphabet,
    /// uppercase, no whitespace. For files, APIs and stored data.
    pub fn parse_strict(input: &str) -> Result<CreditCode, CreditCodeError> {
        if input.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        let length = input.chars().count();
        if length != 18 {
            return Err(CreditCodeError::WrongLength { length });
        }
        let mut text = [0u8; 18];
        for (index, character) in input.chars().enumerate() {
            let allowed = if (2..8).contains(&index) {
                character.is_ascii_digit()
            } else {
                value_of(character).is_some()
            };
            if !allowed || index >= 18 {
                return Err(CreditCodeError::BadCharacter {
                    position: index + 1,
                    character,
                });
            }
            text[index] = character as u8;
        }
        let organization_type = organization_type_of(text[0], text[1])?;
        check_region(&text)?;
        let expected = check_character_of(&text);
        if text[17] != expected {
            return Err(CreditCodeError::BadCheckCharacter {
                expected: char::from(expected),
                found: char::from(text[17]),
            });
        }
        Ok(CreditCode {
            text,
            organization_type,
        })
    }

    /// Builds a valid code for synthetic data and tests from its parts: the authority, the type
    /// character, the registry's six-digit region code and the 8-character body of the
    /// organization code. Both check characters (GB 11714 at position 17, MOD 31 at 18) are
    /// computed, so the result has no warning. The same inputs always give the same code.
    pub fn generate(
        authority: RegistrationAuthority,
        type_code: char,
        region6: &str,
        organization_body: &str,
    ) -> Result<CreditCode, CreditCodeError> {
        let organization_type = OrganizationType::new(authority, type_code).ok_or(
            CreditCodeError::BadOrganizationType {
                authority,
                character: type_code,
            },
        )?;
        if organization_body.len() != 8 || !organization_body.chars().all(|c| value_of(c).is_some())
        {
            return Err(CreditCodeError::BadOrganizationBody {
                body: organization_body.to_string(),
            });
        }
        if region6.len() != 6 || !region6.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CreditCodeError::BadRegionCode {
                region: region6.to_string(),
            });
        }
        let mut text = [0u8; 18];
        text[0] = authority.code() as u8;
        text[1] = type_code as u8;
        text[2..8].copy_from_slice(region6.as_bytes());
        text[8..16].copy_from_slice(organization_body.as_bytes());
        text[16] = organization_check_character(&text);
        check_region(&text)?;
        text[17] = check_character_of(&text);
        Ok(CreditCode {
            text,
            organization_type,
        })
    }

    /// The whole code as text, e.g. `91350100M000100Y43`.
    pub fn as_str(&self) -> &str {
        // Always ASCII: a CreditCode is only built from checked characters.
        std::str::from_utf8(&self.text).unwrap_or("")
    }

    /// Position 1: who registered the organization.
    pub fn registration_authority(&self) -> RegistrationAuthority {
        self.organization_type.authority
    }

    /// Positions 1–2: the organization type (e.g. `53` 民政 · 基金会).
    pub fn organization_type(&self) -> OrganizationType {
        self.organization_type
    }

    /// Positions 3–8: the GB/T 2260 code of the registry's location (`100000` = national level).
    pub fn region_code(&self) -> &str {
        &self.as_str()[2..8]
    }

    /// Whether the registry is at the national level (region code `100000`).
    pub fn is_national(&self) -> bool {
        self.region_code() == NATIONAL_REGION_CODE
    }

    /// Positions 9–17: the 9-character organization code (组织机构代码).
    pub fn organization_code(&self) -> &str {
        &self.as_str()[8..17]
    }

    /// Position 18.
    pub fn check_character(&self) -> char {
        char::from(self.text[17])
    }

    /// Warnings about a valid code: today only the GB 11714 check of the organization code.
    pub fn warnings(&self) -> Vec<CreditCodeWarning> {
        let expected = organization_check_character(&self.text);
        if self.text[16] == expected {
            Vec::new()
        } else {
            vec![CreditCodeWarning::OrganizationCodeCheck {
                expected: char::from(expected),
                found: char::from(self.text[16]),
            }]
        }
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreditCode({})", self.as_str())
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    /// Strict, like [`CreditCode::parse_strict`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse_strict(s)
    }
}

impl Serialize for CreditCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CreditCode {
    /// Strict: only the canonical form is accepted.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        CreditCode::parse_strict(&text).map_err(serde::de::Error::custom)
    }
}

/// The MOD 31 check character positions 1–17 require, or `None` if `first17` is not 17 characters
/// of the alphabet. Lets a form say which last character it expected.
pub fn check_character(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.chars().all(|c| value_of(c).is_some()) {
        return None;
    }
    let mut text = [0u8; 18];
    text[..17].copy_from_slice(first17.as_bytes());
    Some(char::from(check_character_of(&text)))
}

/// Marks a byte that is not in the alphabet in [`VALUES`].
const NOT_IN_ALPHABET: u8 = u8::MAX;

/// Value of each ASCII byte in the alphabet, [`NOT_IN_ALPHABET`] for the others.
const VALUES: [u8; 128] = value_table();

const fn value_table() -> [u8; 128] {
    let mut table = [NOT_IN_ALPHABET; 128];
    let alphabet = ALPHABET.as_bytes();
    let mut index = 0;
    while index < alphabet.len() {
        table[alphabet[index] as usize] = index as u8;
        index += 1;
    }
    table
}

/// Value 0..=30 of a character of the alphabet.
fn value_of(character: char) -> Option<u32> {
    let value = *VALUES.get(character as usize)?;
    if value == NOT_IN_ALPHABET {
        None
    } else {
        Some(u32::from(value))
    }
}

/// `Σ value(c_i) × W_i` over positions 1–17 (all already in the alphabet).
fn weighted_sum(text: &[u8; 18]) -> u32 {
    text[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| value_of(char::from(*b)).unwrap_or(0) * w)
        .sum()
}

fn check_character_of(text: &[u8; 18]) -> u8 {
    let value = (31 - weighted_sum(text) % 31) % 31;
    ALPHABET.as_bytes()[value as usize]
}

/// GB 11714: `C9 = 11 − (Σ v_i × W_i mod 11)` over positions 9–16, digits as themselves and letters
/// A–Z as 10–35; 10 → `X`, 11 → `0`.
fn organization_check_character(text: &[u8; 18]) -> u8 {
    let sum: u32 = text[8..16]
        .iter()
        .zip(ORGANIZATION_WEIGHTS)
        .map(|(b, w)| {
            let value = if b.is_ascii_digit() {
                u32::from(b - b'0')
            } else {
                u32::from(b - b'A') + 10
            };
            value * w
        })
        .sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        digit => b'0' + digit as u8,
    }
}

fn organization_type_of(authority: u8, type_code: u8) -> Result<OrganizationType, CreditCodeError> {
    let authority_character = char::from(authority);
    let authority = RegistrationAuthority::from_code(authority_character).ok_or(
        CreditCodeError::BadRegistrationAuthority {
            character: authority_character,
        },
    )?;
    let type_character = char::from(type_code);
    OrganizationType::new(authority, type_character).ok_or(CreditCodeError::BadOrganizationType {
        authority,
        character: type_character,
    })
}

/// Positions 3–8 (digits): a real province prefix, or the national `100000`.
fn check_region(text: &[u8; 18]) -> Result<(), CreditCodeError> {
    let region = std::str::from_utf8(&text[2..8]).unwrap_or("");
    if region == NATIONAL_REGION_CODE || county_codes::is_province_prefix(region) {
        Ok(())
    } else {
        Err(CreditCodeError::BadProvince {
            prefix: region.get(..2).unwrap_or("").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_sum() {
        // RULES.md §11.2: 91350100M000100Y4 → sum 1640, 1640 mod 31 = 28, check 3.
        let mut text = [b'0'; 18];
        text[..17].copy_from_slice(b"91350100M000100Y4");
        assert_eq!(weighted_sum(&text), 1640);
        assert_eq!(check_character_of(&text), b'3');
        assert_eq!(organization_check_character(&text), b'4');
    }

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        for (i, w) in WEIGHTS.iter().enumerate() {
            assert_eq!(*w, 3u32.pow(i as u32) % 31);
        }
    }

    #[test]
    fn alphabet_has_31_distinct_symbols_without_i_o_s_v_z() {
        assert_eq!(ALPHABET.len(), 31);
        for c in ['I', 'O', 'S', 'V', 'Z'] {
            assert_eq!(value_of(c), None);
        }
        assert_eq!(value_of('Y'), Some(30));
        assert_eq!(value_of('A'), Some(10));
    }
}
