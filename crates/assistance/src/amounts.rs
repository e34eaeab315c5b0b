//! The amount of assistance a household or person gets: ONE pure function, [`calculate`], used by
//! the decision here and by the monthly payroll of the benefits area, so the two can never differ.
//!
//! Every figure comes from the dated policy parameters in force on the date asked about, and the
//! result carries its explanation line by line (the parameter key, its value, the date it applies
//! from and its source), in fen.
//!
//! Rules (RULES.md §1.3, §2.3, §3.3):
//! - dibao: `N × S − Y` (差额), with `S` the urban or rural standard, `N` the members counted and
//!   `Y` the household's countable monthly income; eligible only when `Y < N × S`. The difference is
//!   rounded half up to `dibao.payment.rounding_unit`. Category supplements per counted member:
//!   one of the five categories (the highest when `dibao.category_supplement.highest_of_five`, else
//!   the first in the order severe disability, serious illness, aged, pre-school, student), plus the
//!   disability supplement when `disabled_stacks` (otherwise the disability supplement competes with
//!   the five). A household that is not eligible gets nothing, supplements included.
//! - tekun: the basic standard plus the care allowance of the self-care tier (6 activities: 4 or
//!   more failed = full care, 1–3 = partial, 0 = self-care; thresholds are parameters).
//! - temporary assistance: the need, capped at `cap.standard_multiple` × the urban monthly standard
//!   (× persons when `cap.per_person`); above `township_approval.max_standard_multiple` × standard
//!   the district decides.

use chrono::{Datelike, NaiveDate};
use minzheng_kernel::money::Fen;
use minzheng_kernel::params::{ParamRow, ParamSet, ParamUnit};
use serde::{Deserialize, Serialize};

/// Urban or rural: selects the dibao standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaType {
    /// 城市.
    Urban,
    /// 农村.
    Rural,
}

impl AreaType {
    /// From the stored identifier (`urban` / `rural`).
    pub fn parse(s: &str) -> Option<AreaType> {
        match s {
            "urban" => Some(AreaType::Urban),
            "rural" => Some(AreaType::Rural),
            _ => None,
        }
    }
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            AreaType::Urban => "城市",
            AreaType::Rural => "农村",
        }
    }
}

/// What the supplements need to know about one counted member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberFacts {
    /// Name, for the explanation.
    pub name: String,
    /// Birth date (age for the aged and pre-school categories).
    pub birth_date: NaiveDate,
    /// Disability grade 1–4 when the member holds a disability certificate.
    pub disability_grade: Option<u8>,
    /// Seriously ill (患有重大疾病).
    pub serious_illness: bool,
    /// In school (在校学生).
    pub student: bool,
}

/// Temporary assistance kinds (GLOSSARY: `emergency`, `expenditure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemporaryKind {
    /// 急难型.
    Emergency,
    /// 支出型.
    Expenditure,
}

/// What to compute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AmountRequest {
    /// The monthly dibao of a household.
    Dibao {
        /// Urban or rural standard.
        area: AreaType,
        /// The members counted (after exclusions and separate households).
        members: Vec<MemberFacts>,
        /// Countable household income per month.
        countable_income: Fen,
    },
    /// The monthly tekun support of one person.
    Tekun {
        /// How many of the six self-care activities the person cannot do.
        self_care_fails: u8,
    },
    /// One temporary-assistance payment.
    Temporary {
        /// Emergency or expenditure.
        kind: TemporaryKind,
        /// Persons in the household (for per-person caps).
        persons: u32,
        /// The need assessed by staff.
        need: Fen,
    },
}

/// One line of an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// What the line is, in Chinese, with the arithmetic.
    pub text: String,
    /// The amount of the line (0 for lines that only state a rule).
    pub amount: Fen,
    /// The parameters used, as `key = value (from date; source)`.
    pub basis: String,
}

/// The result: the amount and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amount {
    /// Whether the household or person qualifies on the figures (dibao: income below the line).
    pub eligible: bool,
    /// The monthly amount (dibao, tekun) or the one-off amount (temporary assistance), in fen.
    pub total: Fen,
    /// Every step, in order.
    pub lines: Vec<Line>,
    /// Temporary assistance: whether the amount is within what the street may approve.
    pub street_may_approve: bool,
    /// Dibao: the members counted (`N`), zero otherwise; with the income and the supplements
    /// below, the facts a benefits enrolment freezes so the monthly payroll pays this amount.
    pub members_counted: i64,
    /// Dibao: the countable monthly income (`Y`).
    pub counted_income: Fen,
    /// Dibao: the category supplements included in the total.
    pub supplements: Fen,
    /// Tekun: the care tier (`full`, `partial`, `self_care`).
    pub care_tier: Option<&'static str>,
}

impl Amount {
    /// The explanation as text, one line each, for print views and the stored record.
    pub fn explanation(&self) -> String {
        self.lines
            .iter()
            .map(|l| {
                if l.basis.is_empty() {
                    l.text.clone()
                } else {
                    format!("{}〔{}〕", l.text, l.basis)
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Why an amount cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// A parameter is missing for the region and date, or has the wrong unit.
    #[error("政策参数缺失或有误：{0}")]
    Parameter(String),
    /// The input is impossible.
    #[error("{0}")]
    Invalid(String),
}

struct Params<'a> {
    set: &'a ParamSet,
    region: &'a str,
    on: NaiveDate,
}

impl<'a> Params<'a> {
    fn row(&self, key: &str) -> Result<&'a ParamRow, AmountError> {
        self.set
            .value_of(key, self.region, self.on)
            .map_err(|e| AmountError::Parameter(e.to_string()))
    }
    fn fen(&self, key: &str) -> Result<(Fen, String), AmountError> {
        let r = self.row(key)?;
        let v = r.fen().map_err(|e| AmountError::Parameter(e.to_string()))?;
        Ok((Fen(v), basis(r, &format!("{} 元", Fen(v).yuan_string()))))
    }
    fn int(&self, key: &str, unit: ParamUnit) -> Result<(i64, String), AmountError> {
        let r = self.row(key)?;
        let v = r
            .amount_in(unit)
            .map_err(|e| AmountError::Parameter(e.to_string()))?;
        Ok((v, basis(r, &format!("{v} {}", unit.label_zh()))))
    }
    fn flag(&self, key: &str) -> Result<bool, AmountError> {
        self.row(key)?
            .flag()
            .map_err(|e| AmountError::Parameter(e.to_string()))
    }
}

fn basis(r: &ParamRow, shown: &str) -> String {
    format!(
        "{} = {}，{} 起，{}",
        r.key.as_str(),
        shown,
        r.valid_from,
        r.source
    )
}

fn err(e: minzheng_kernel::money::MoneyError) -> AmountError {
    AmountError::Invalid(format!("金额超出范围：{e}"))
}

/// Full years of age on a date.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i64 {
    let mut age = i64::from(on.year() - birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

fn yuan(f: Fen) -> String {
    f.yuan_string()
}

/// Computes the amount of `request` for a household in `region_code` (12 digits) as of `on`
/// (for a decision: the date of approval; for a payroll: the first day of the month paid).
pub fn calculate(
    params: &ParamSet,
    region_code: &str,
    on: NaiveDate,
    request: &AmountRequest,
) -> Result<Amount, AmountError> {
    let p = Params {
        set: params,
        region: region_code,
        on,
    };
    match request {
        AmountRequest::Dibao {
            area,
            members,
            countable_income,
        } => dibao(&p, *area, members, *countable_income),
        AmountRequest::Tekun { self_care_fails } => tekun(&p, *self_care_fails),
        AmountRequest::Temporary {
            kind,
            persons,
            need,
        } => temporary(&p, *kind, *persons, *need),
    }
}

fn dibao(
    p: &Params<'_>,
    area: AreaType,
    members: &[MemberFacts],
    income: Fen,
) -> Result<Amount, AmountError> {
    if members.is_empty() {
        return Err(AmountError::Invalid(
            "家庭没有计入的成员，无法计算低保金".into(),
        ));
    }
    if income.is_negative() {
        return Err(AmountError::Invalid("家庭月收入不能为负数".into()));
    }
    let key = match area {
        AreaType::Urban => "dibao.standard.urban",
        AreaType::Rural => "dibao.standard.rural",
    };
    let (s, s_basis) = p.fen(key)?;
    let n = members.len() as i64;
    let line_total = s.checked_mul(n).map_err(err)?;
    let mut lines = vec![
        Line {
            text: format!(
                "{}低保标准 {} 元/人·月 × 计入成员 {} 人 = {} 元",
                area.label_zh(),
                yuan(s),
                n,
                yuan(line_total)
            ),
            amount: line_total,
            basis: s_basis,
        },
        Line {
            text: format!(
                "家庭月可计收入 {} 元（人均 {} 元）",
                yuan(income),
                yuan(income.per_capita(n as u32).map_err(err)?)
            ),
            amount: income,
            basis: String::new(),
        },
    ];
    if income >= line_total {
        lines.push(Line {
            text: "人均收入不低于低保标准，不符合低保条件，保障金 0 元".into(),
            amount: Fen::ZERO,
            basis: String::new(),
        });
        return Ok(Amount {
            eligible: false,
            total: Fen::ZERO,
            lines,
            street_may_approve: false,
            members_counted: n,
            counted_income: income,
            supplements: Fen::ZERO,
            care_tier: None,
        });
    }
    let diff = line_total.checked_sub(income).map_err(err)?;
    let (unit, unit_basis) = p.int("dibao.payment.rounding_unit", ParamUnit::Fen)?;
    let rounded = if unit > 1 {
        diff.mul_ratio(1, unit)
            .map_err(err)?
            .checked_mul(unit)
            .map_err(err)?
    } else {
        diff
    };
    lines.push(Line {
        text: format!(
            "差额补助 {} − {} = {} 元，按 {} 元取整（四舍五入）为 {} 元",
            yuan(line_total),
            yuan(income),
            yuan(diff),
            yuan(Fen(unit.max(1))),
            yuan(rounded)
        ),
        amount: rounded,
        basis: unit_basis,
    });
    let highest = p.flag("dibao.category_supplement.highest_of_five")?;
    let stacks = p.flag("dibao.category_supplement.disabled_stacks")?;
    let (severe_max, _) = p.int(
        "dibao.category_supplement.severe_disability.max_grade",
        ParamUnit::Level,
    )?;
    let (elderly_age, _) = p.int(
        "dibao.category_supplement.elderly.min_age",
        ParamUnit::Years,
    )?;
    let (preschool_age, _) = p.int(
        "dibao.category_supplement.preschool_child.max_age",
        ParamUnit::Years,
    )?;
    let mut supplements = Fen::ZERO;
    for m in members {
        let age = age_on(m.birth_date, p.on);
        // The five exclusive categories, in the order of the rule text.
        let mut five: Vec<(&str, &str)> = Vec::new();
        if m.disability_grade
            .is_some_and(|g| i64::from(g) <= severe_max)
        {
            five.push((
                "dibao.category_supplement.severe_disability",
                "一至二级重残",
            ));
        }
        if m.serious_illness {
            five.push(("dibao.category_supplement.serious_illness", "重病"));
        }
        if age >= elderly_age {
            five.push(("dibao.category_supplement.elderly", "70岁以上老人"));
        }
        if age < preschool_age {
            five.push(("dibao.category_supplement.preschool_child", "学龄前儿童"));
        }
        if m.student {
            five.push(("dibao.category_supplement.student", "在校学生"));
        }
        let disabled = m.disability_grade.is_some();
        if disabled && !stacks {
            five.push(("dibao.category_supplement.disabled", "残疾人员"));
        }
        let mut chosen: Option<(Fen, String, &str)> = None;
        for (key, label) in &five {
            let (v, b) = p.fen(key)?;
            let better = match &chosen {
                None => true,
                Some((cur, _, _)) => highest && v > *cur,
            };
            if better {
                chosen = Some((v, b, label));
            }
        }
        if let Some((v, b, label)) = chosen {
            let others = if five.len() > 1 {
                format!("（同时属于 {} 类，只享受一类）", five.len())
            } else {
                String::new()
            };
            lines.push(Line {
                text: format!("{}：分类施保“{}” {} 元{}", m.name, label, yuan(v), others),
                amount: v,
                basis: b,
            });
            supplements = supplements.checked_add(v).map_err(err)?;
        }
        if disabled && stacks {
            let (v, b) = p.fen("dibao.category_supplement.disabled")?;
            lines.push(Line {
                text: format!(
                    "{}：残疾人员分类施保 {} 元（可与上述一类同时享受）",
                    m.name,
                    yuan(v)
                ),
                amount: v,
                basis: b,
            });
            supplements = supplements.checked_add(v).map_err(err)?;
        }
    }
    let total = rounded.checked_add(supplements).map_err(err)?;
    lines.push(Line {
        text: format!(
            "每月保障金合计 {} + {} = {} 元",
            yuan(rounded),
            yuan(supplements),
            yuan(total)
        ),
        amount: total,
        basis: String::new(),
    });
    Ok(Amount {
        eligible: true,
        total,
        lines,
        street_may_approve: false,
        members_counted: n,
        counted_income: income,
        supplements,
        care_tier: None,
    })
}

fn tekun(p: &Params<'_>, fails: u8) -> Result<Amount, AmountError> {
    let (count, _) = p.int("tekun.self_care.indicator_count", ParamUnit::Count)?;
    if i64::from(fails) > count {
        return Err(AmountError::Invalid(format!(
            "生活自理能力评估共 {count} 项，不能完成的项数不能超过 {count}"
        )));
    }
    let (basic, b_basis) = p.fen("tekun.standard.basic")?;
    let (full_min, full_basis) = p.int("tekun.self_care.total_loss_min_fails", ParamUnit::Count)?;
    let (partial_min, _) = p.int("tekun.self_care.partial_loss_min_fails", ParamUnit::Count)?;
    let f = i64::from(fails);
    let (tier_key, tier, tier_code) = if f >= full_min {
        ("tekun.care.full", "完全丧失生活自理能力（全护理）", "full")
    } else if f >= partial_min {
        (
            "tekun.care.partial",
            "部分丧失生活自理能力（半护理）",
            "partial",
        )
    } else {
        (
            "tekun.care.self_care",
            "具备生活自理能力（全自理）",
            "self_care",
        )
    };
    let (care, c_basis) = p.fen(tier_key)?;
    let total = basic.checked_add(care).map_err(err)?;
    Ok(Amount {
        eligible: true,
        total,
        lines: vec![
            Line {
                text: format!("特困人员基本生活标准 {} 元/月", yuan(basic)),
                amount: basic,
                basis: b_basis,
            },
            Line {
                text: format!(
                    "自理能力评估 {count} 项中 {fails} 项不能完成：{tier}，照料护理补贴 {} 元/月",
                    yuan(care)
                ),
                amount: care,
                basis: format!("{c_basis}；{full_basis}"),
            },
            Line {
                text: format!("每月供养金合计 {} 元", yuan(total)),
                amount: total,
                basis: String::new(),
            },
        ],
        street_may_approve: false,
        members_counted: 0,
        counted_income: Fen::ZERO,
        supplements: Fen::ZERO,
        care_tier: Some(tier_code),
    })
}

fn temporary(
    p: &Params<'_>,
    kind: TemporaryKind,
    persons: u32,
    need: Fen,
) -> Result<Amount, AmountError> {
    if need.0 <= 0 {
        return Err(AmountError::Invalid("救助需求金额应大于 0".into()));
    }
    if persons == 0 {
        return Err(AmountError::Invalid("家庭人数应至少 1 人".into()));
    }
    let (s, s_basis) = p.fen("dibao.standard.urban")?;
    let (cap_m, cap_basis) = p.int(
        "temporary_assistance.cap.standard_multiple",
        ParamUnit::MultipleMilli,
    )?;
    let per_person = p.flag("temporary_assistance.cap.per_person")?;
    let base = if per_person {
        s.checked_mul(i64::from(persons)).map_err(err)?
    } else {
        s
    };
    let cap = base.mul_ratio(cap_m, 1000).map_err(err)?;
    let total = if need > cap { cap } else { need };
    let (street_m, street_basis) = p.int(
        "temporary_assistance.township_approval.max_standard_multiple",
        ParamUnit::MultipleMilli,
    )?;
    let street_limit = base.mul_ratio(street_m, 1000).map_err(err)?;
    let kind_zh = match kind {
        TemporaryKind::Emergency => "急难型",
        TemporaryKind::Expenditure => "支出型",
    };
    let persons_text = if per_person {
        format!(" × {persons} 人")
    } else {
        String::new()
    };
    let lines = vec![
        Line {
            text: format!("{kind_zh}临时救助，核定需求 {} 元", yuan(need)),
            amount: need,
            basis: String::new(),
        },
        Line {
            text: format!(
                "上限 = 城市低保标准 {} 元{} × {}.{:03} 倍 = {} 元",
                yuan(s),
                persons_text,
                cap_m / 1000,
                cap_m % 1000,
                yuan(cap)
            ),
            amount: cap,
            basis: format!("{s_basis}；{cap_basis}"),
        },
        Line {
            text: format!(
                "救助金额 {} 元；{}",
                yuan(total),
                if total <= street_limit {
                    format!("不超过 {} 元，街道（乡镇）可审批", yuan(street_limit))
                } else {
                    format!("超过 {} 元，报区县审批", yuan(street_limit))
                }
            ),
            amount: total,
            basis: street_basis,
        },
    ];
    Ok(Amount {
        eligible: true,
        total,
        lines,
        street_may_approve: total <= street_limit,
        members_counted: 0,
        counted_income: Fen::ZERO,
        supplements: Fen::ZERO,
        care_tier: None,
    })
}
