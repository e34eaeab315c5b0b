//! The programs paid every month, the standards each reads from the dated policy parameters, and
//! the one rule that turns an entitlement's frozen facts into the month's amount with its
//! explanation. Pure: the payroll, the pages and the what-ifs all call [`monthly_amount`].

use crate::BenefitsError;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::params::ParamSet;

/// A recurring benefit program (the codes are the glossary's, as stored in `benefit_program`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Program {
    /// 城市低保, per household.
    DibaoUrban,
    /// 农村低保, per household.
    DibaoRural,
    /// 特困人员集中供养: basic standard plus the care allowance of the person's tier.
    TekunInstitutional,
    /// 特困人员分散供养: basic standard plus the care allowance of the person's tier.
    TekunDispersed,
    /// 集中供养孤儿.
    OrphanInstitutional,
    /// 散居孤儿.
    OrphanDispersed,
    /// 事实无人抚养儿童.
    UnattendedChild,
    /// 困难残疾人生活补贴.
    DisabilityLiving,
    /// 重度残疾人护理补贴.
    DisabilityCare,
    /// 临时救助: a one-off payment of the amount decided, paid in the cycle of its month.
    TemporaryAssistance,
    /// 价格临时补贴: paid per person in the months the price-linkage trigger is on; its amount
    /// comes from the price indices (`prices`), not from a standard.
    PriceSubsidy,
}

impl Program {
    /// Every program, in the order reports list them.
    pub const ALL: [Program; 11] = [
        Program::DibaoUrban,
        Program::DibaoRural,
        Program::TekunInstitutional,
        Program::TekunDispersed,
        Program::OrphanInstitutional,
        Program::OrphanDispersed,
        Program::UnattendedChild,
        Program::DisabilityLiving,
        Program::DisabilityCare,
        Program::TemporaryAssistance,
        Program::PriceSubsidy,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Program::DibaoUrban => "dibao_urban",
            Program::DibaoRural => "dibao_rural",
            Program::TekunInstitutional => "tekun_institutional",
            Program::TekunDispersed => "tekun_dispersed",
            Program::OrphanInstitutional => "orphan_institutional",
            Program::OrphanDispersed => "orphan_dispersed",
            Program::UnattendedChild => "unattended_child",
            Program::DisabilityLiving => "disability_living",
            Program::DisabilityCare => "disability_care",
            Program::TemporaryAssistance => "temporary_assistance",
            Program::PriceSubsidy => "price_subsidy",
        }
    }

    /// The name staff know it by.
    pub fn name_zh(self) -> &'static str {
        match self {
            Program::DibaoUrban => "城市低保",
            Program::DibaoRural => "农村低保",
            Program::TekunInstitutional => "特困集中供养",
            Program::TekunDispersed => "特困分散供养",
            Program::OrphanInstitutional => "集中供养孤儿",
            Program::OrphanDispersed => "散居孤儿",
            Program::UnattendedChild => "事实无人抚养儿童",
            Program::DisabilityLiving => "困难残疾人生活补贴",
            Program::DisabilityCare => "重度残疾人护理补贴",
            Program::TemporaryAssistance => "临时救助",
            Program::PriceSubsidy => "价格临时补贴",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Result<Program, BenefitsError> {
        Program::ALL
            .into_iter()
            .find(|p| p.code() == code)
            .ok_or_else(|| BenefitsError::Invalid(format!("没有代码为“{code}”的待遇项目")))
    }

    /// Whether the program is granted per household (按户) rather than per person.
    pub fn per_household(self) -> bool {
        matches!(self, Program::DibaoUrban | Program::DibaoRural)
    }

    /// Whether the program pays a fixed amount decided once (temporary assistance) rather than a
    /// standard read each month.
    pub fn fixed_amount(self) -> bool {
        matches!(self, Program::TemporaryAssistance)
    }

    /// Whether the program pays the tekun care allowance, so that a care tier is required.
    pub fn needs_care_tier(self) -> bool {
        matches!(self, Program::TekunInstitutional | Program::TekunDispersed)
    }
}

/// The tekun care tier from the self-care assessment (RULES.md §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CareTier {
    /// 全护理: totally unable to care for oneself.
    Full,
    /// 半护理: partly unable.
    Partial,
    /// 全自理: able.
    SelfCare,
}

impl CareTier {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            CareTier::Full => "full",
            CareTier::Partial => "partial",
            CareTier::SelfCare => "self_care",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Result<CareTier, BenefitsError> {
        match code {
            "full" => Ok(CareTier::Full),
            "partial" => Ok(CareTier::Partial),
            "self_care" => Ok(CareTier::SelfCare),
            other => Err(BenefitsError::Invalid(format!(
                "护理等级“{other}”无效：应为 full（全护理）、partial（半护理）或 self_care（全自理）"
            ))),
        }
    }

    fn name_zh(self) -> &'static str {
        match self {
            CareTier::Full => "全护理",
            CareTier::Partial => "半护理",
            CareTier::SelfCare => "全自理",
        }
    }
}

/// The facts an entitlement's amount depends on, frozen on the enrolment when it is decided
/// (household programs: the members counted, their countable monthly income and the monthly
/// category supplements computed by the assistance decision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Basis {
    /// Members counted (1 for a person program).
    pub members: i64,
    /// The household's countable monthly income.
    pub counted_income: Fen,
    /// The monthly category supplements (分类施保) of the household's members.
    pub supplement: Fen,
    /// The tekun care tier.
    pub care_tier: Option<CareTier>,
    /// The amount decided once, for a fixed-amount program (temporary assistance); zero otherwise.
    pub fixed: Fen,
}

/// Every standard a month's amounts read, resolved once for a region and month from the dated
/// parameters (on the first day of the month), so a payroll of a million lines reads each once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standards {
    /// The month they apply to.
    pub month: Month,
    dibao_urban: Option<Fen>,
    dibao_rural: Option<Fen>,
    tekun_basic: Option<Fen>,
    care_full: Option<Fen>,
    care_partial: Option<Fen>,
    care_self: Option<Fen>,
    orphan_institutional: Option<Fen>,
    orphan_dispersed: Option<Fen>,
    unattended_child: Option<Fen>,
    disability_living: Option<Fen>,
    disability_care: Option<Fen>,
    rounding_unit: i64,
    minimum: Fen,
    prorate_first_month: bool,
}

fn fen(params: &ParamSet, key: &str, region: &str, month: Month) -> Result<Fen, BenefitsError> {
    params
        .value_of(key, region, month.first_day())
        .and_then(|row| row.fen())
        .map(Fen)
        .map_err(|e| BenefitsError::Parameter(format!("{key}（{month}）：{e}")))
}

impl Standards {
    /// Reads the standards in force in `month` for `region` (a district or finer code).
    pub fn read(params: &ParamSet, region: &str, month: Month) -> Result<Standards, BenefitsError> {
        Ok(Standards {
            month,
            dibao_urban: fen(params, "dibao.standard.urban", region, month).ok(),
            dibao_rural: fen(params, "dibao.standard.rural", region, month).ok(),
            tekun_basic: fen(params, "tekun.standard.basic", region, month).ok(),
            care_full: fen(params, "tekun.care.full", region, month).ok(),
            care_partial: fen(params, "tekun.care.partial", region, month).ok(),
            care_self: fen(params, "tekun.care.self_care", region, month).ok(),
            orphan_institutional: fen(params, "orphan.allowance.institutional", region, month).ok(),
            orphan_dispersed: fen(params, "orphan.allowance.dispersed", region, month).ok(),
            unattended_child: fen(params, "unattended_child.allowance", region, month).ok(),
            disability_living: fen(params, "disability_subsidy.living", region, month).ok(),
            disability_care: fen(params, "disability_subsidy.care", region, month).ok(),
            rounding_unit: fen(params, "dibao.payment.rounding_unit", region, month)?
                .0
                .max(1),
            minimum: fen(params, "dibao.payment.minimum", region, month)?,
            prorate_first_month: params
                .value_of(
                    "dibao.payment.prorate_first_month",
                    region,
                    month.first_day(),
                )
                .and_then(|row| row.flag())
                .map_err(|e| {
                    BenefitsError::Parameter(format!(
                        "dibao.payment.prorate_first_month（{month}）：{e}"
                    ))
                })?,
        })
    }

    /// The per-person standard a program pays (dibao: the standard the difference is taken from),
    /// refused when no standard is in force that month (the program did not exist yet).
    pub fn standard_of(&self, program: Program) -> Result<Fen, BenefitsError> {
        let value = match program {
            Program::DibaoUrban => self.dibao_urban,
            Program::DibaoRural => self.dibao_rural,
            Program::TekunInstitutional | Program::TekunDispersed => self.tekun_basic,
            Program::OrphanInstitutional => self.orphan_institutional,
            Program::OrphanDispersed => self.orphan_dispersed,
            Program::UnattendedChild => self.unattended_child,
            Program::DisabilityLiving => self.disability_living,
            Program::DisabilityCare => self.disability_care,
            Program::TemporaryAssistance | Program::PriceSubsidy => {
                return Err(BenefitsError::Invalid(format!(
                    "{} 没有按月的保障标准",
                    program.name_zh()
                )));
            }
        };
        value.ok_or_else(|| {
            BenefitsError::Parameter(format!(
                "{} 在 {} 没有适用的保障标准",
                program.name_zh(),
                self.month
            ))
        })
    }

    /// A copy with one program's standard replaced (what a policy what-if proposes).
    pub fn with_standard(mut self, program: Program, value: Fen) -> Standards {
        let value = Some(value);
        match program {
            Program::DibaoUrban => self.dibao_urban = value,
            Program::DibaoRural => self.dibao_rural = value,
            Program::TekunInstitutional | Program::TekunDispersed => self.tekun_basic = value,
            Program::OrphanInstitutional => self.orphan_institutional = value,
            Program::OrphanDispersed => self.orphan_dispersed = value,
            Program::UnattendedChild => self.unattended_child = value,
            Program::DisabilityLiving => self.disability_living = value,
            Program::DisabilityCare => self.disability_care = value,
            Program::TemporaryAssistance | Program::PriceSubsidy => {}
        }
        self
    }

    fn care(&self, tier: CareTier) -> Result<Fen, BenefitsError> {
        match tier {
            CareTier::Full => self.care_full,
            CareTier::Partial => self.care_partial,
            CareTier::SelfCare => self.care_self,
        }
        .ok_or_else(|| BenefitsError::Parameter(format!("{} 没有适用的护理补贴标准", self.month)))
    }
}

/// A month's amount and the sentence that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    /// What is paid.
    pub fen: Fen,
    /// How it was reached, with every figure used.
    pub explanation: String,
}

/// The first month's amount when the enrolment was decided during that month and the proration
/// parameter is on: the days from the decision to the month's end over the month's days, rounded
/// half up to the fen. Otherwise (the rule in Chongqing: the whole month from the month of
/// approval) the amount unchanged.
pub fn prorated(amount: Amount, decided_on: Option<chrono::NaiveDate>, s: &Standards) -> Amount {
    let Some(day) = decided_on else {
        return amount;
    };
    if !s.prorate_first_month || Month::of(day) != s.month {
        return amount;
    }
    let days_in_month = i64::from(chrono::Datelike::day(&s.month.last_day()));
    let paid_days = days_in_month - i64::from(chrono::Datelike::day(&day)) + 1;
    if paid_days >= days_in_month {
        return amount;
    }
    let fen = (amount.fen.0 * paid_days * 2 + days_in_month).div_euclid(days_in_month * 2);
    Amount {
        fen: Fen(fen),
        explanation: format!(
            "{}；首月自 {day} 起按 {paid_days}/{days_in_month} 天折算为 {} 元",
            amount.explanation,
            Fen(fen).yuan_string()
        ),
    }
}

/// Rounds half up to a whole multiple of `unit` fen (the dibao rounding rule, a parameter).
fn round_half_up(value: i64, unit: i64) -> i64 {
    (value + unit / 2).div_euclid(unit) * unit
}

/// The month's amount of one entitlement, or `None` when nothing is payable (a dibao household
/// whose income per person has reached the standard); an error when a standard it needs is missing.
///
/// Dibao (RULES.md §1.3): `N × S − Y`, rounded half up to the rounding unit, raised to the minimum
/// payment when one is set, plus the household's category supplements. Tekun (§2): basic standard
/// plus the care allowance of the tier. The other programs pay their standard per person.
pub fn monthly_amount(
    program: Program,
    basis: &Basis,
    s: &Standards,
) -> Result<Option<Amount>, BenefitsError> {
    let name = program.name_zh();
    match program {
        Program::TemporaryAssistance => {
            return Ok(Some(Amount {
                fen: basis.fixed,
                explanation: format!(
                    "{name} {}：核定一次性救助金 {} 元",
                    s.month,
                    basis.fixed.yuan_string()
                ),
            }));
        }
        Program::PriceSubsidy => {
            return Err(BenefitsError::Invalid(
                "价格临时补贴按当月物价指数测算，不按保障标准计算".into(),
            ));
        }
        _ => {}
    }
    let standard = s.standard_of(program)?;
    match program {
        Program::DibaoUrban | Program::DibaoRural => {
            let gross = standard.0 * basis.members - basis.counted_income.0;
            if gross <= 0 {
                return Ok(None);
            }
            let rounded = round_half_up(gross, s.rounding_unit);
            let base = rounded.max(s.minimum.0);
            let total = base + basis.supplement.0;
            let mut explanation = format!(
                "{name} {}：标准 {} 元 × {} 人 − 家庭月收入 {} 元 = {} 元",
                s.month,
                standard.yuan_string(),
                basis.members,
                basis.counted_income.yuan_string(),
                Fen(gross).yuan_string()
            );
            if rounded != gross {
                explanation.push_str(&format!("，取整为 {} 元", Fen(rounded).yuan_string()));
            }
            if base != rounded {
                explanation.push_str(&format!(
                    "，不足最低发放额按 {} 元",
                    Fen(base).yuan_string()
                ));
            }
            if basis.supplement.0 != 0 {
                explanation.push_str(&format!("；分类施保 {} 元", basis.supplement.yuan_string()));
            }
            explanation.push_str(&format!("；合计 {} 元", Fen(total).yuan_string()));
            Ok(Some(Amount {
                fen: Fen(total),
                explanation,
            }))
        }
        Program::TekunInstitutional | Program::TekunDispersed => {
            let tier = basis.care_tier.unwrap_or(CareTier::SelfCare);
            let care = s.care(tier)?;
            let total = standard.0 + care.0;
            Ok(Some(Amount {
                fen: Fen(total),
                explanation: format!(
                    "{name} {}：基本生活标准 {} 元 + 照料护理补贴（{}）{} 元 = {} 元",
                    s.month,
                    standard.yuan_string(),
                    tier.name_zh(),
                    care.yuan_string(),
                    Fen(total).yuan_string()
                ),
            }))
        }
        _ => Ok(Some(Amount {
            fen: standard,
            explanation: format!("{name} {}：标准 {} 元", s.month, standard.yuan_string()),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standards(month: &str) -> Standards {
        Standards::read(ParamSet::builtin(), "500103", Month::parse(month).unwrap()).unwrap()
    }

    #[test]
    fn dibao_is_the_difference_plus_supplements_at_the_standard_of_the_month() {
        // 2020-03: urban standard 580 yuan. 3 members, income 900 yuan: 3 × 580 − 900 = 840,
        // plus a 60-yuan supplement (a person over 70) = 900.
        let basis = Basis {
            members: 3,
            counted_income: Fen(90_000),
            supplement: Fen(6_000),
            care_tier: None,
            fixed: Fen(0),
        };
        let a = monthly_amount(Program::DibaoUrban, &basis, &standards("2020-03"))
            .unwrap()
            .unwrap();
        assert_eq!(a.fen, Fen(90_000));
        assert_eq!(
            a.explanation,
            "城市低保 2020-03：标准 580.00 元 × 3 人 − 家庭月收入 900.00 元 = 840.00 元；分类施保 60.00 元；合计 900.00 元"
        );
        // From 2020-07 the standard is 620: 3 × 620 − 900 = 960, + 60 = 1020.
        let a = monthly_amount(Program::DibaoUrban, &basis, &standards("2020-07"))
            .unwrap()
            .unwrap();
        assert_eq!(a.fen, Fen(102_000));
    }

    #[test]
    fn dibao_rounds_half_up_to_the_yuan_and_pays_nothing_at_the_standard() {
        let s = standards("2020-03");
        let basis = Basis {
            members: 2,
            counted_income: Fen(44_050),
            supplement: Fen(0),
            care_tier: None,
            fixed: Fen(0),
        };
        // Rural 440 × 2 − 440.50 = 439.50 → 440.00.
        let a = monthly_amount(Program::DibaoRural, &basis, &s)
            .unwrap()
            .unwrap();
        assert_eq!(a.fen, Fen(44_000));
        assert!(
            a.explanation.contains("取整为 440.00 元"),
            "{}",
            a.explanation
        );
        let at_standard = Basis {
            counted_income: Fen(88_000),
            ..basis
        };
        assert_eq!(
            monthly_amount(Program::DibaoRural, &at_standard, &s).unwrap(),
            None
        );
    }

    #[test]
    fn tekun_adds_the_care_allowance_of_the_tier() {
        let basis = Basis {
            members: 1,
            counted_income: Fen(0),
            supplement: Fen(0),
            care_tier: Some(CareTier::Full),
            fixed: Fen(0),
        };
        let a = monthly_amount(Program::TekunDispersed, &basis, &standards("2019-06"))
            .unwrap()
            .unwrap();
        assert_eq!(a.fen, Fen(75_400 + 30_000));
        let orphan = monthly_amount(Program::OrphanInstitutional, &basis, &standards("2019-06"))
            .unwrap()
            .unwrap();
        // No unattended-child allowance existed before 2020: paying one then is refused, not zero.
        let none = monthly_amount(Program::UnattendedChild, &basis, &standards("2019-06"));
        assert!(matches!(none, Err(BenefitsError::Parameter(_))), "{none:?}");
        assert_eq!(orphan.fen, Fen(140_400));
    }
}
