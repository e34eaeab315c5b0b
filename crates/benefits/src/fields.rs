//! One check per field of an enrolment or a price-subsidy recipient, shared by the forms, the
//! services and every import, so a value refused on a page is refused in a file too and the
//! other way round. Each field has a length limit and refuses control characters (a NUL byte
//! would cut a name short in some tools); a start month must lie in the window the payroll can
//! pay: not before the first standard of the program in the region (a register starting in 1900
//! would otherwise stop the district's payroll), not beyond next month.

use crate::BenefitsError;
use crate::bank::Layout;
use crate::programs::{CareTier, Program};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::params::ParamSet;
use minzheng_kernel::region::{RegionCode, RegionLevel, RegionTree};
use minzheng_store::Tx;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// The longest field of an imported line, in bytes: anything longer is refused unread.
pub const FIELD_MAX_BYTES: usize = 256;
/// The longest name, in characters.
pub const NAME_MAX_CHARS: usize = 50;
/// The shortest and longest card or account number, in digits (the bank file's account field
/// holds 32).
pub const ACCOUNT_DIGITS: (usize, usize) = (8, 32);
/// The most members a dibao household counts.
pub const MEMBERS_MAX: i64 = 30;
/// The largest monthly amount (income, supplement) a register may state: 100,000 yuan.
pub const MONTHLY_MAX: Fen = Fen(10_000_000);

/// A field that failed its check: which field (its Chinese label) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as a form labels it.
    pub field: &'static str,
    /// What is wrong, in Chinese.
    pub reason: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}：{}", self.field, self.reason)
    }
}

impl From<FieldError> for BenefitsError {
    fn from(e: FieldError) -> Self {
        BenefitsError::Invalid(e.to_string())
    }
}

/// Several refused fields as one refusal, for a form.
pub fn refusal(errors: Vec<FieldError>) -> BenefitsError {
    BenefitsError::Invalid(
        errors
            .iter()
            .map(FieldError::to_string)
            .collect::<Vec<_>>()
            .join("；"),
    )
}

/// The value of a checked field, or `None` with its problem added to `errors`: how a line's
/// fields are all checked before any is refused.
pub fn keep<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

fn bad(field: &'static str, reason: impl Into<String>) -> FieldError {
    FieldError {
        field,
        reason: reason.into(),
    }
}

/// Any field: trimmed, at most [`FIELD_MAX_BYTES`], without control characters.
pub fn text<'a>(field: &'static str, value: &'a str) -> Result<&'a str, FieldError> {
    let v = value.trim();
    if v.len() > FIELD_MAX_BYTES {
        return Err(bad(
            field,
            format!("过长（{} 字节，最多 {FIELD_MAX_BYTES} 字节）", v.len()),
        ));
    }
    if let Some(c) = v.chars().find(|c| c.is_control()) {
        return Err(bad(
            field,
            format!("含不可见的控制字符（U+{:04X}），请删除后重试", c as u32),
        ));
    }
    Ok(v)
}

/// A person's name: 1 to [`NAME_MAX_CHARS`] characters.
pub fn name(value: &str) -> Result<String, FieldError> {
    const FIELD: &str = "姓名";
    let v = text(FIELD, value)?;
    if v.is_empty() {
        return Err(bad(FIELD, "不能为空"));
    }
    let n = v.chars().count();
    if n > NAME_MAX_CHARS {
        return Err(bad(FIELD, format!("{n} 个字，最多 {NAME_MAX_CHARS} 个字")));
    }
    Ok(v.to_owned())
}

/// An 18-character ID number with a valid check digit and birth date.
pub fn id_number(value: &str, today: chrono::NaiveDate) -> Result<IdNumber, FieldError> {
    const FIELD: &str = "身份证号";
    let v = text(FIELD, value)?;
    IdNumber::parse_strict(v, today).map_err(|e| bad(FIELD, e.to_string()))
}

/// A community or village (12 digits) of today's region tree.
pub fn community(value: &str) -> Result<RegionCode, FieldError> {
    const FIELD: &str = "区划代码";
    let v = text(FIELD, value)?;
    if v.len() != 12 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(FIELD, format!("“{v}”应为 12 位社区或村代码")));
    }
    let code = RegionCode::parse(v).map_err(|e| bad(FIELD, e.to_string()))?;
    if code.level() != RegionLevel::Community {
        return Err(bad(FIELD, format!("“{v}”不是社区或村（12 位代码）")));
    }
    RegionTree::chongqing()
        .lookup(code)
        .map_err(|_| bad(FIELD, format!("{v} 不存在")))?;
    Ok(code)
}

/// Members counted: 1 to [`MEMBERS_MAX`] for a household program, 1 (or empty) for a person.
pub fn members(value: &str, program: Program) -> Result<i64, FieldError> {
    const FIELD: &str = "保障人数";
    let v = text(FIELD, value)?;
    if v.is_empty() && !program.per_household() {
        return Ok(1);
    }
    let n = v
        .parse::<i64>()
        .map_err(|_| bad(FIELD, format!("“{v}”应为整数")))?;
    check_members(n, program)?;
    Ok(n)
}

fn check_members(n: i64, program: Program) -> Result<(), FieldError> {
    const FIELD: &str = "保障人数";
    if program.per_household() {
        if !(1..=MEMBERS_MAX).contains(&n) {
            return Err(bad(FIELD, format!("低保家庭应为 1 至 {MEMBERS_MAX} 人")));
        }
    } else if n != 1 {
        return Err(bad(FIELD, "按人发放的项目应为 1"));
    }
    Ok(())
}

/// A monthly amount in yuan (empty is zero): not negative, at most [`MONTHLY_MAX`].
pub fn monthly_yuan(field: &'static str, value: &str) -> Result<Fen, FieldError> {
    let v = text(field, value)?;
    if v.is_empty() {
        return Ok(Fen(0));
    }
    let fen = Fen::parse_yuan(v).map_err(|e| bad(field, e.to_string()))?;
    check_monthly(field, fen)?;
    Ok(fen)
}

fn check_monthly(field: &'static str, fen: Fen) -> Result<(), FieldError> {
    if fen.is_negative() {
        return Err(bad(field, "不能为负数"));
    }
    if fen > MONTHLY_MAX {
        return Err(bad(
            field,
            format!(
                "{} 元超过每月上限 {} 元",
                fen.yuan_string(),
                MONTHLY_MAX.yuan_string()
            ),
        ));
    }
    Ok(())
}

/// The tekun care tier: required for tekun, empty for every other program.
pub fn care_tier(value: &str, program: Program) -> Result<Option<CareTier>, FieldError> {
    const FIELD: &str = "护理等级";
    let v = text(FIELD, value)?;
    let tier = match v {
        "" => None,
        t => Some(CareTier::parse(t).map_err(|e| bad(FIELD, e.to_string()))?),
    };
    check_care_tier(tier, program)?;
    Ok(tier)
}

fn check_care_tier(tier: Option<CareTier>, program: Program) -> Result<(), FieldError> {
    const FIELD: &str = "护理等级";
    match (program.needs_care_tier(), tier) {
        (true, None) => Err(bad(FIELD, "特困人员须填写（full、partial 或 self_care）")),
        (false, Some(_)) => Err(bad(FIELD, "只有特困人员填写，其他项目应留空")),
        _ => Ok(()),
    }
}

/// A month typed as `YYYY-MM`, or nothing when empty.
pub fn month(field: &'static str, value: &str) -> Result<Option<Month>, FieldError> {
    let v = text(field, value)?;
    if v.is_empty() {
        return Ok(None);
    }
    Month::parse(v)
        .map(Some)
        .map_err(|_| bad(field, format!("“{v}”无效：应为 YYYY-MM，例如 2020-03")))
}

/// A month that must be given.
pub fn required_month(field: &'static str, value: &str) -> Result<Month, FieldError> {
    month(field, value)?.ok_or_else(|| bad(field, "不能为空"))
}

/// `ssc` (社保卡) or `bank` (银行账户).
pub fn account_kind(value: &str) -> Result<&'static str, FieldError> {
    const FIELD: &str = "账户类型";
    match text(FIELD, value)? {
        "ssc" | "社保卡" => Ok("ssc"),
        "bank" | "银行账户" => Ok("bank"),
        other => Err(bad(
            FIELD,
            format!("“{other}”无效：应为 ssc（社保卡）或 bank（银行账户）"),
        )),
    }
}

/// A card or account number: digits only, [`ACCOUNT_DIGITS`] long.
pub fn account_no(value: &str) -> Result<String, FieldError> {
    const FIELD: &str = "账号";
    let v = text(FIELD, value)?;
    let (min, max) = ACCOUNT_DIGITS;
    if v.is_empty() {
        return Err(bad(FIELD, "不能为空"));
    }
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(FIELD, "只能是数字（不含空格和横线）"));
    }
    if !(min..=max).contains(&v.len()) {
        return Err(bad(
            FIELD,
            format!("{} 位，应为 {min} 至 {max} 位数字", v.len()),
        ));
    }
    Ok(v.to_owned())
}

/// The parameters every month's payroll reads whatever the program: a month before all of them
/// exist cannot be computed.
const PAYROLL_KEYS: [&str; 3] = [
    "dibao.payment.rounding_unit",
    "dibao.payment.minimum",
    "dibao.payment.prorate_first_month",
];

/// The parameter that first makes the price subsidy payable.
const PRICE_SUBSIDY_KEY: &str = "price_subsidy.trigger.cpi_yoy";

/// What the checks of one form or file need from the database, read once: today, the banks
/// with their layouts, the policy parameters (for the start-month window).
pub struct Rules {
    today: chrono::NaiveDate,
    banks: Vec<Layout>,
    params: Arc<ParamSet>,
    /// First payable month per (program code, district), computed once per file.
    first: RefCell<HashMap<(&'static str, String), Option<Month>>>,
}

impl Rules {
    /// Reads what the checks need.
    pub fn load(tx: &mut Tx<'_>) -> Result<Rules, BenefitsError> {
        Ok(Rules {
            today: minzheng_kernel::id_number::china_today(),
            banks: crate::bank::layouts(tx)?,
            params: minzheng_reference::parameters::current(tx)?,
            first: RefCell::new(HashMap::new()),
        })
    }

    /// Rules over given parts (tests, and services that hold them already).
    pub fn new(today: chrono::NaiveDate, banks: Vec<Layout>, params: Arc<ParamSet>) -> Rules {
        Rules {
            today,
            banks,
            params,
            first: RefCell::new(HashMap::new()),
        }
    }

    /// Today, as the checks see it.
    pub fn today(&self) -> chrono::NaiveDate {
        self.today
    }

    /// A bank with a file layout (the payroll cannot pay through any other).
    pub fn bank(&self, value: &str) -> Result<&Layout, FieldError> {
        const FIELD: &str = "代发银行";
        let v = text(FIELD, value)?;
        if v.is_empty() {
            return Err(bad(FIELD, "不能为空"));
        }
        self.banks.iter().find(|l| l.bank_code == v).ok_or_else(|| {
            bad(
                FIELD,
                format!(
                    "“{v}”不是已登记代发文件格式的银行（可用：{}）",
                    self.banks
                        .iter()
                        .map(|l| l.bank_code.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )
        })
    }

    /// The account kind a bank pays into (a bank that takes only social-security cards refuses a
    /// bank account, and the bank file would stop at that line).
    pub fn account_kind_for(&self, bank: &Layout, kind: &str) -> Result<(), FieldError> {
        if bank.account_kind == "any" || bank.account_kind == kind {
            return Ok(());
        }
        Err(bad(
            "账户类型",
            format!(
                "{} 只代发到{}，不能代发到{}",
                bank.bank_name,
                kind_name(&bank.account_kind),
                kind_name(kind)
            ),
        ))
    }

    /// Checks a start month: not before the first month the program can be paid in the region,
    /// not beyond next month. `program` is `None` for a price-subsidy recipient.
    pub fn start_month(
        &self,
        program: Option<Program>,
        region: &RegionCode,
        start: Month,
    ) -> Result<(), FieldError> {
        const FIELD: &str = "起始月份";
        let latest = Month::of(self.today).plus(1);
        if start > latest {
            return Err(bad(
                FIELD,
                format!("{start} 晚于下个月（{latest}）：尚未到来的月份不能登记"),
            ));
        }
        let district = format!("{:012}", region.as_u64())[..6].to_owned();
        let code = program.map(Program::code).unwrap_or("price_subsidy");
        let first = *self
            .first
            .borrow_mut()
            .entry((code, district.clone()))
            .or_insert_with(|| first_month(&self.params, program, &district));
        match first {
            Some(first) if start >= first => Ok(()),
            Some(first) => Err(bad(
                FIELD,
                format!(
                    "{start} 早于{}在本地最早的保障标准（{first} 起）",
                    program.map(Program::name_zh).unwrap_or("价格临时补贴")
                ),
            )),
            None => Err(bad(
                FIELD,
                format!(
                    "{}在本地没有任何保障标准，不能登记",
                    program.map(Program::name_zh).unwrap_or("价格临时补贴")
                ),
            )),
        }
    }

    /// Every check of an enrolment as typed or imported, all problems at once: the fields held as
    /// text (name, bank, account) and how the fields fit together.
    pub fn enrolment(&self, e: &crate::enrolments::NewEnrolment) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut keep = |r: Result<(), FieldError>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        keep(name(&e.name).map(|_| ()));
        if e.region_code.level() != RegionLevel::Community {
            keep(Err(bad("区划代码", "所在地须为社区或村（12 位区划代码）")));
        }
        keep(check_members(e.members, e.program));
        keep(check_monthly("家庭月收入", e.counted_income));
        keep(check_monthly("分类施保", e.supplement));
        keep(check_care_tier(e.care_tier, e.program));
        let kind = account_kind(&e.account_kind);
        keep(account_no(&e.account_no).map(|_| ()));
        match (self.bank(&e.bank_code), kind) {
            (Ok(bank), Ok(kind)) => keep(self.account_kind_for(bank, kind)),
            (bank, kind) => {
                keep(bank.map(|_| ()));
                keep(kind.map(|_| ()));
            }
        }
        keep(self.start_month(Some(e.program), &e.region_code, e.start_month));
        if let Some(end) = e.end_month
            && end < e.start_month
        {
            keep(Err(bad(
                "终止月份",
                format!("{end} 早于起始月份 {}", e.start_month),
            )));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn kind_name(kind: &str) -> &'static str {
    match kind {
        "ssc" => "社保卡",
        "bank" => "银行账户",
        _ => "其他账户",
    }
}

/// The parameters a program's amount reads, beside the payroll's own ([`PAYROLL_KEYS`]).
fn standard_keys(program: Option<Program>) -> &'static [&'static str] {
    match program {
        None | Some(Program::PriceSubsidy) => &[PRICE_SUBSIDY_KEY],
        Some(Program::DibaoUrban) => &["dibao.standard.urban"],
        Some(Program::DibaoRural) => &["dibao.standard.rural"],
        Some(Program::TekunInstitutional | Program::TekunDispersed) => &[
            "tekun.standard.basic",
            "tekun.care.full",
            "tekun.care.partial",
            "tekun.care.self_care",
        ],
        Some(Program::OrphanInstitutional) => &["orphan.allowance.institutional"],
        Some(Program::OrphanDispersed) => &["orphan.allowance.dispersed"],
        Some(Program::UnattendedChild) => &["unattended_child.allowance"],
        Some(Program::DisabilityLiving) => &["disability_subsidy.living"],
        Some(Program::DisabilityCare) => &["disability_subsidy.care"],
        Some(Program::TemporaryAssistance) => &[],
    }
}

/// The first month in which every parameter the program's payroll reads is in force in the
/// district (parameters are read on a month's first day); `None` when one never is.
pub fn first_month(params: &ParamSet, program: Option<Program>, district: &str) -> Option<Month> {
    let keys = standard_keys(program).iter().chain(if program.is_some() {
        PAYROLL_KEYS.iter()
    } else {
        [].iter()
    });
    let mut first: Option<Month> = None;
    for key in keys {
        let earliest = params
            .rows()
            .into_iter()
            .filter(|r| r.key.as_str() == *key && r.applies_to(district))
            .map(|r| r.valid_from)
            .min()?;
        let m = Month::of(earliest);
        let m = if earliest == m.first_day() {
            m
        } else {
            m.plus(1)
        };
        first = Some(first.map_or(m, |f| f.max(m)));
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_refuse_what_the_payroll_or_the_bank_cannot_take() {
        assert_eq!(name("  张三 ").unwrap(), "张三");
        assert!(name("张\0三").unwrap_err().reason.contains("控制字符"));
        assert!(name(&"名".repeat(51)).is_err());
        assert!(
            account_no(&"6".repeat(1 << 20))
                .unwrap_err()
                .reason
                .contains("过长")
        );
        assert!(account_no("6230 0000 0001").is_err());
        assert!(account_no("6230000000000001").is_ok());
        assert!(monthly_yuan("家庭月收入", "100000.01").is_err());
        assert_eq!(monthly_yuan("家庭月收入", "").unwrap(), Fen(0));
        assert!(care_tier("full", Program::OrphanDispersed).is_err());
        assert!(care_tier("", Program::TekunDispersed).is_err());
        assert_eq!(members("", Program::DisabilityCare).unwrap(), 1);
        assert!(members("0", Program::DibaoUrban).is_err());
        assert!(community("500103001").is_err());
        assert!(community("500103001003").is_ok());
    }

    #[test]
    fn the_first_month_is_when_every_parameter_the_program_reads_is_in_force() {
        let p = ParamSet::builtin();
        let m = |s: &str| Month::parse(s).unwrap();
        // Disability subsidies from 2016-01, the payroll's rounding rule from 2016-05.
        assert_eq!(
            first_month(p, Some(Program::DisabilityCare), "500103"),
            Some(m("2016-05"))
        );
        assert_eq!(
            first_month(p, Some(Program::UnattendedChild), "500103"),
            Some(m("2020-01"))
        );
        // The price subsidy from 2016-08-29 nationally: the first whole month is September.
        assert_eq!(first_month(p, None, "500103"), Some(m("2016-09")));
    }
}
