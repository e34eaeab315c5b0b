//! Money as whole fen (分): the only representation of an amount in minzheng, so that sums over a
//! payroll are exact and every rounding happens in one place with one written rule.
//!
//! - [`Fen`] is an `i64` count of fen; arithmetic is checked and reports [`MoneyError::Overflow`]
//!   instead of wrapping. There are deliberately no `+`/`-` operators.
//! - Staff type yuan ([`Fen::parse_yuan`]); screens show `¥1,234.56` (`Display`); files and forms
//!   get `1234.56` ([`Fen::yuan_string`]); payment notices get the uppercase amount
//!   ([`Fen::chinese_uppercase`], 壹仟贰佰叁拾肆元伍角陆分).
//! - Division rounds half away from zero (四舍五入) to the fen, computed in integers
//!   ([`Fen::mul_ratio`], [`Fen::per_capita`]); [`Fen::split_evenly`] shares an amount so that the
//!   shares add back exactly.
//! - Serialized as the integer number of fen (`123456`), never as a float.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Most decimals [`percent_string`] gives; more would be noise for an indicator.
pub const MAX_PERCENT_DECIMALS: u32 = 6;

/// Uppercase digits used on bills and payment notices (《支付结算办法》附一).
const UPPER_DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];

/// What can go wrong with an amount. Messages are shown to staff as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing was typed.
    #[error("金额为空")]
    Empty,
    /// Not a number in yuan.
    #[error(
        "金额“{input}”无法识别：请填写以元为单位的数字，可带千分位逗号、小数点和 ¥，例如 1,234.56"
    )]
    Invalid {
        /// What was typed.
        input: String,
    },
    /// Thousands separators in the wrong places (`12,34`).
    #[error("金额“{input}”的千分位逗号位置不对：应每三位一个逗号，例如 1,234,567.89")]
    BadGrouping {
        /// What was typed.
        input: String,
    },
    /// More than two decimals: amounts are kept to the fen.
    #[error("金额“{input}”有 {decimals} 位小数，金额只能精确到分（最多两位小数）")]
    TooManyDecimals {
        /// What was typed.
        input: String,
        /// How many decimals it has.
        decimals: usize,
    },
    /// The result does not fit in an `i64` number of fen.
    #[error("金额超出可表示的范围")]
    Overflow,
    /// More than the field allows ([`Fen::parse_yuan_within`]).
    #[error("金额不能超过 {max} 元")]
    TooLarge {
        /// The most the field takes, in yuan as shown.
        max: String,
    },
    /// Less than zero where only amounts of zero or more make sense.
    #[error("金额不能为负数")]
    Negative,
    /// Division by zero persons, shares or a zero denominator.
    #[error("除数（人数、份数或分母）不能为 0")]
    ZeroDivisor,
    /// A percentage with more decimals than [`MAX_PERCENT_DECIMALS`].
    #[error("百分比最多保留 {max} 位小数，要求了 {requested} 位")]
    TooManyPercentDecimals {
        /// Decimals asked for.
        requested: u32,
        /// The most allowed.
        max: u32,
    },
}

/// An amount in fen (1 yuan = 100 fen), negative for refunds and corrections.
///
/// The field is public because a fen count has no invariant; the point of the type is that an
/// amount is never confused with a count of persons or a yuan figure.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    /// Zero fen, the start of every sum.
    pub const ZERO: Fen = Fen(0);

    /// Whole yuan as fen, e.g. a standard of 620 yuan; fails only beyond ±92 quadrillion yuan.
    pub fn from_yuan(yuan: i64) -> Result<Fen, MoneyError> {
        yuan.checked_mul(100).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// The sum, or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Fen) -> Result<Fen, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Fen)
            .ok_or(MoneyError::Overflow)
    }

    /// The difference, or [`MoneyError::Overflow`].
    pub fn checked_sub(self, other: Fen) -> Result<Fen, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Fen)
            .ok_or(MoneyError::Overflow)
    }

    /// The amount times a whole count (persons × standard, months × amount), or overflow.
    pub fn checked_mul(self, count: i64) -> Result<Fen, MoneyError> {
        self.0
            .checked_mul(count)
            .map(Fen)
            .ok_or(MoneyError::Overflow)
    }

    /// The sum of many amounts (a payroll, a ledger), stopping at the first overflow.
    pub fn checked_sum<I: IntoIterator<Item = Fen>>(amounts: I) -> Result<Fen, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Fen::ZERO, |sum, amount| sum.checked_add(amount))
    }

    /// `self × numerator / denominator`, rounded half away from zero (四舍五入) to the fen, with an
    /// exact 128-bit intermediate: percentages (`mul_ratio(15, 100)` = 15 %), pro-rata months
    /// (`mul_ratio(days, days_in_month)`). Errors on a zero denominator or a result beyond `i64`.
    pub fn mul_ratio(self, numerator: i64, denominator: i64) -> Result<Fen, MoneyError> {
        if denominator == 0 {
            return Err(MoneyError::ZeroDivisor);
        }
        let product = i128::from(self.0) * i128::from(numerator);
        let rounded = div_round_half_away(product, i128::from(denominator));
        i64::try_from(rounded)
            .map(Fen)
            .map_err(|_| MoneyError::Overflow)
    }

    /// The amount per person (e.g. 人均月收入), rounded half away from zero to the fen. The shares
    /// need not add back to the total; use [`Fen::split_evenly`] for that.
    pub fn per_capita(self, persons: u32) -> Result<Fen, MoneyError> {
        self.mul_ratio(1, i64::from(persons))
    }

    /// Splits the amount into `shares` parts that add back exactly: every part is the total
    /// divided by `shares` (truncated), and the remaining fen go one each to the first parts
    /// (for a negative total, minus one fen each). Memory is one `Fen` per share.
    pub fn split_evenly(self, shares: u32) -> Result<Vec<Fen>, MoneyError> {
        if shares == 0 {
            return Err(MoneyError::ZeroDivisor);
        }
        let n = i64::from(shares);
        let base = self.0 / n;
        let remainder = self.0 % n;
        let step = remainder.signum();
        let extra = remainder.abs();
        Ok((0..n)
            .map(|i| {
                if i < extra {
                    Fen(base + step)
                } else {
                    Fen(base)
                }
            })
            .collect())
    }

    /// True for refunds and corrections.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Reads an amount in yuan as staff type it: `1234.56`, `1,234.5`, `¥12`, `￥12元`, `-3.5`.
    ///
    /// Accepted: surrounding whitespace; full-width digits and punctuation (`１２３．４５`); a leading
    /// `-`; then an optional `¥`/`￥`; digits with optional thousands commas in groups of three;
    /// optionally `.` and one or two decimals; an optional trailing `元`. Rejected with a Chinese
    /// message: empty input, three or more decimals, misplaced commas, anything else.
    pub fn parse_yuan(input: &str) -> Result<Fen, MoneyError> {
        let normalized: String = input.trim().chars().map(full_width_to_ascii).collect();
        let mut rest = normalized.trim();
        if rest.is_empty() {
            return Err(MoneyError::Empty);
        }
        let invalid = || MoneyError::Invalid {
            input: input.trim().to_string(),
        };
        let negative = match rest.strip_prefix('-') {
            Some(r) => {
                rest = r;
                true
            }
            None => false,
        };
        rest = rest.strip_prefix('¥').unwrap_or(rest);
        rest = rest.strip_suffix('元').unwrap_or(rest);
        let (integer, fraction) = match rest.split_once('.') {
            Some((integer, fraction)) => (integer, Some(fraction)),
            None => (rest, None),
        };
        if integer.is_empty() {
            return Err(invalid());
        }
        let mut digits = String::with_capacity(integer.len());
        if integer.contains(',') {
            for (index, group) in integer.split(',').enumerate() {
                if !group.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                let good_length = if index == 0 {
                    (1..=3).contains(&group.len())
                } else {
                    group.len() == 3
                };
                if !good_length {
                    return Err(MoneyError::BadGrouping {
                        input: input.trim().to_string(),
                    });
                }
                digits.push_str(group);
            }
        } else {
            if !integer.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            digits.push_str(integer);
        }
        let mut fen: i64 = 0;
        for b in digits.bytes() {
            fen = fen
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(b - b'0')))
                .ok_or(MoneyError::Overflow)?;
        }
        fen = fen.checked_mul(100).ok_or(MoneyError::Overflow)?;
        if let Some(fraction) = fraction {
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            if fraction.len() > 2 {
                return Err(MoneyError::TooManyDecimals {
                    input: input.trim().to_string(),
                    decimals: fraction.len(),
                });
            }
            let bytes = fraction.as_bytes();
            let jiao = i64::from(bytes[0] - b'0') * 10;
            let fen_digit = bytes.get(1).map_or(0, |b| i64::from(b - b'0'));
            fen = fen
                .checked_add(jiao + fen_digit)
                .ok_or(MoneyError::Overflow)?;
        }
        Ok(Fen(if negative { -fen } else { fen }))
    }

    /// [`Fen::parse_yuan`] for a form field with a stated range, zero to `max`: an amount a person
    /// types is never unbounded, so a slip of the finger (or a probe) cannot put 999,999,999,999
    /// yuan into a case.
    pub fn parse_yuan_within(input: &str, max: Fen) -> Result<Fen, MoneyError> {
        let f = Fen::parse_yuan(input)?;
        if f.0 < 0 {
            return Err(MoneyError::Negative);
        }
        if f > max {
            return Err(MoneyError::TooLarge {
                max: max.yuan_string().trim_end_matches(".00").to_owned(),
            });
        }
        Ok(f)
    }

    /// Plain yuan with two decimals and no separators (`1234.56`, `-0.05`), for files and form
    /// fields that are read back by [`Fen::parse_yuan`].
    pub fn yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }

    /// The uppercase amount (大写金额) for payment notices and receipts, following 《支付结算办法》
    /// 附一 and 《会计基础工作规范》 art. 52:
    ///
    /// - `壹拾` is always written in full (10 → `壹拾元整`);
    /// - a run of zeros inside the number is one `零` (6007.14 → `陆仟零柒元壹角肆分`), also across
    ///   万 and 亿 (1,000,000,001 → `壹拾亿零壹元整`); zeros at the end of a 万/亿 group are not
    ///   written (1,004,000 → `壹佰万肆仟元整`);
    /// - 角 zero and 分 not zero: `零` after 元 (100.05 → `壹佰元零伍分`);
    /// - 元 digit zero and 角 not zero: no `零` (1680.32 → `壹仟陆佰捌拾元叁角贰分`; both forms are
    ///   allowed, this one is shorter);
    /// - ending at 元 or 角: `整` (0.50 → `伍角整`). 《会计基础工作规范》 requires 整 after 角 and
    ///   《支付结算办法》 allows it, so writing it satisfies both; ending at 分: no `整`;
    /// - no yuan part: starts at 角 or 分 (0.05 → `伍分`); zero is `零元整`; negative gets `负`.
    ///
    /// The caller adds any `人民币` prefix the form wants.
    pub fn chinese_uppercase(self) -> String {
        let magnitude = self.0.unsigned_abs();
        let yuan = magnitude / 100;
        let jiao = (magnitude / 10 % 10) as usize;
        let fen = (magnitude % 10) as usize;
        let mut out = String::new();
        if self.0 < 0 {
            out.push('负');
        }
        if magnitude == 0 {
            out.push_str("零元整");
            return out;
        }
        if yuan > 0 {
            push_uppercase_integer(yuan, &mut out);
            out.push('元');
        }
        if jiao == 0 && fen == 0 {
            out.push('整');
            return out;
        }
        if jiao > 0 {
            out.push(UPPER_DIGITS[jiao]);
            out.push('角');
        } else if yuan > 0 {
            out.push('零');
        }
        if fen > 0 {
            out.push(UPPER_DIGITS[fen]);
            out.push('分');
        } else {
            out.push('整');
        }
        out
    }
}

/// `¥1,234.56`, negative `-¥1,234.56`: how screens show an amount. Width and alignment flags apply.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let digits = (magnitude / 100).to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (index, c) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        f.pad(&format!("{sign}¥{grouped}.{:02}", magnitude % 100))
    }
}

/// Same as [`Fen::parse_yuan`], for `"12.30".parse::<Fen>()`.
impl FromStr for Fen {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Fen, MoneyError> {
        Fen::parse_yuan(s)
    }
}

/// `part / whole` as a percentage with `decimals` decimals and a `%` sign (`percent_string(1, 3, 2)`
/// = `33.33%`), for indicators such as coverage rates. Exact integer arithmetic, rounded half away
/// from zero (四舍五入); a result that rounds to zero has no minus sign.
pub fn percent_string(part: i64, whole: i64, decimals: u32) -> Result<String, MoneyError> {
    if decimals > MAX_PERCENT_DECIMALS {
        return Err(MoneyError::TooManyPercentDecimals {
            requested: decimals,
            max: MAX_PERCENT_DECIMALS,
        });
    }
    if whole == 0 {
        return Err(MoneyError::ZeroDivisor);
    }
    let scale = 10i128.pow(decimals);
    // |part| ≤ 2^63, × 100 × 10^6 stays far below i128::MAX.
    let scaled = div_round_half_away(i128::from(part) * 100 * scale, i128::from(whole));
    let sign = if scaled < 0 { "-" } else { "" };
    let magnitude = scaled.unsigned_abs();
    let scale = scale.unsigned_abs();
    let integer = magnitude / scale;
    if decimals == 0 {
        Ok(format!("{sign}{integer}%"))
    } else {
        let fraction = magnitude % scale;
        let width = decimals as usize;
        Ok(format!("{sign}{integer}.{fraction:0width$}%"))
    }
}

/// `n / d` rounded half away from zero. `d` must not be zero; `|n|` must be below 2^126.
fn div_round_half_away(n: i128, d: i128) -> i128 {
    let quotient = n / d;
    let remainder = n % d;
    if remainder.unsigned_abs() * 2 >= d.unsigned_abs() {
        if (n < 0) == (d < 0) {
            quotient + 1
        } else {
            quotient - 1
        }
    } else {
        quotient
    }
}

/// Full-width digits and punctuation (as a Chinese input method types them) to ASCII.
fn full_width_to_ascii(c: char) -> char {
    match c {
        '０'..='９' => {
            char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
        }
        '．' | '。' => '.',
        '，' => ',',
        '－' => '-',
        '￥' => '¥',
        _ => c,
    }
}

/// Writes a positive integer in uppercase: groups of four digits joined by 万 and 亿, one `零`
/// where a group starts with zeros after a non-zero higher part.
fn push_uppercase_integer(n: u64, out: &mut String) {
    if n < 10_000 {
        push_uppercase_group(n, out);
    } else if n < 100_000_000 {
        push_uppercase_split(n, 10_000, '万', out);
    } else {
        push_uppercase_split(n, 100_000_000, '亿', out);
    }
}

fn push_uppercase_split(n: u64, base: u64, unit: char, out: &mut String) {
    let high = n / base;
    let low = n % base;
    push_uppercase_integer(high, out);
    out.push(unit);
    if low > 0 {
        if low < base / 10 {
            out.push('零');
        }
        push_uppercase_integer(low, out);
    }
}

/// 1..=9999 as 仟佰拾 digits; inner zeros give one `零`, trailing zeros nothing.
fn push_uppercase_group(n: u64, out: &mut String) {
    const UNITS: [&str; 4] = ["仟", "佰", "拾", ""];
    let digits = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10];
    let mut started = false;
    let mut zero_pending = false;
    for (digit, unit) in digits.into_iter().zip(UNITS) {
        if digit == 0 {
            zero_pending = started;
        } else {
            if zero_pending {
                out.push('零');
                zero_pending = false;
            }
            out.push(UPPER_DIGITS[digit as usize]);
            out.push_str(unit);
            started = true;
        }
    }
}
