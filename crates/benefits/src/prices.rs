//! 价格临时补贴 (RULES.md §4): the price-linkage subsidy paid per person in the months the
//! published price indices reach the trigger. The indices of a month are entered once (and corrected
//! only until its subsidy is paid); the amount is the average of the month's urban and rural dibao
//! standards times the SCPI year-on-year increase, rounded and raised to a floor, every figure from
//! the dated `price_subsidy.*` parameters. The payroll calls [`district_lines`] for each district:
//! one line per person covered (a dibao household gets the subsidy of every member counted).
//! Groups the platform does not enrol (优抚对象, 领取失业保险金人员, groups added for a period) are
//! imported as [`import_recipients`] rows.

use crate::enrolments::PAYABLE_STATUS;
use crate::fields::{self, FieldError, Rules};
use crate::programs::{Amount, Program};
use crate::{BenefitsError, LineProblem};
use minzheng_access::{Action, Principal};
use minzheng_kernel::id_number::{IdNumber, china_today};
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::params::{ParamError, ParamSet, ParamUnit};
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{Backend, Tx, params};
use std::collections::HashMap;

/// The indices are Chongqing's: the trigger is read at the city's scope.
const CITY: &str = "50";

/// Plausible year-on-year changes, in basis points: a value outside is a typing error (a CPI of
/// 36 % instead of 3.6 %). China's CPI has stayed within −2 %…+9 % since 2000 and its food CPI
/// within −5 %…+23 %; the bounds leave room for that and more.
const CPI_RANGE: (i64, i64) = (-1_000, 3_000);
const FOOD_RANGE: (i64, i64) = (-3_000, 6_000);

/// A month's published price indices, year on year (同比), in basis points (3.6 % = 360).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceIndex {
    /// 居民消费价格指数 (CPI) 同比.
    pub cpi_yoy_bp: i64,
    /// CPI 食品分项同比.
    pub food_cpi_yoy_bp: i64,
    /// 城镇低收入居民基本生活费用价格指数 (SCPI) 同比, once published.
    pub scpi_yoy_bp: Option<i64>,
}

/// Why a month is triggered: which index reached its threshold (both may).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// The month.
    pub month: Month,
    /// CPI reached `price_subsidy.trigger.cpi_yoy`.
    pub by_cpi: bool,
    /// Food CPI reached `price_subsidy.trigger.food_cpi_yoy`.
    pub by_food: bool,
    /// The CPI threshold in force.
    pub cpi_threshold_bp: i64,
    /// The food CPI threshold in force.
    pub food_threshold_bp: i64,
    /// In Chinese, with the figures: `2019-11 启动价格临时补贴：食品CPI同比 19.1% ≥ 6.0%`.
    pub explanation: String,
}

/// A basis-point value as a percentage with one or two decimals: 460 → `4.6%`, 346 → `3.46%`.
pub fn percent(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let m = bp.unsigned_abs();
    let mut s = format!("{sign}{}.{:02}", m / 100, m % 100);
    if s.ends_with('0') {
        s.pop();
    }
    s.push('%');
    s
}

/// Parses a percentage as published, with at most two decimals (`3.6`, `-0.5`, `21.30`, `3.6%`),
/// into basis points. Anything else (a comma, three decimals, full-width digits, `.5`) is refused.
pub fn parse_percent(text: &str, label: &str) -> Result<i64, BenefitsError> {
    let bad = || {
        BenefitsError::Invalid(format!(
            "{label}“{text}”无效：应为百分数，最多两位小数，例如 3.6 或 -0.5"
        ))
    };
    let t = text.trim();
    let t = t.strip_suffix('%').unwrap_or(t);
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || whole.len() > 3 || (t.contains('.') && (!digits(frac) || frac.len() > 2)) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let bp = whole * 100 + frac;
    Ok(if negative { -bp } else { bp })
}

fn param_error(key: &str, month: Month, e: ParamError) -> BenefitsError {
    BenefitsError::Parameter(format!("{key}（{month}）：{e}"))
}

/// A switch; a key with no row in force for the region and month is off (a group added later).
fn switch(params: &ParamSet, key: &str, region: &str, month: Month) -> Result<bool, BenefitsError> {
    match params.value_of(key, region, month.first_day()) {
        Ok(row) => row.flag().map_err(|e| param_error(key, month, e)),
        Err(ParamError::NoValueBefore { .. } | ParamError::NoValueForRegion { .. }) => Ok(false),
        Err(e) => Err(param_error(key, month, e)),
    }
}

fn amount_in(
    params: &ParamSet,
    key: &str,
    region: &str,
    month: Month,
    unit: ParamUnit,
) -> Result<i64, BenefitsError> {
    params
        .value_of(key, region, month.first_day())
        .and_then(|row| row.amount_in(unit))
        .map_err(|e| param_error(key, month, e))
}

fn fen(params: &ParamSet, key: &str, region: &str, month: Month) -> Result<i64, BenefitsError> {
    params
        .value_of(key, region, month.first_day())
        .and_then(|row| row.fen())
        .map_err(|e| param_error(key, month, e))
}

/// `n / d` rounded half up (d > 0).
fn div_half_up(n: i64, d: i64) -> i64 {
    (2 * n + d).div_euclid(2 * d)
}

/// Whether `month` is triggered by the city's indices (RULES.md §4.1, §4.2): CPI 同比 at or above
/// `price_subsidy.trigger.cpi_yoy`, or food CPI at or above `price_subsidy.trigger.food_cpi_yoy`,
/// in a single month. `None` when neither index reaches its threshold.
pub fn trigger(
    params: &ParamSet,
    month: Month,
    index: &PriceIndex,
) -> Result<Option<Trigger>, BenefitsError> {
    trigger_in(params, CITY, month, index)
}

fn trigger_in(
    params: &ParamSet,
    region: &str,
    month: Month,
    index: &PriceIndex,
) -> Result<Option<Trigger>, BenefitsError> {
    let consecutive = amount_in(
        params,
        "price_subsidy.trigger.consecutive_months",
        region,
        month,
        ParamUnit::Count,
    )?;
    if consecutive != 1 {
        return Err(BenefitsError::Parameter(format!(
            "price_subsidy.trigger.consecutive_months（{month}）为 {consecutive}：只实现了单月触发"
        )));
    }
    let cpi_threshold_bp = amount_in(
        params,
        "price_subsidy.trigger.cpi_yoy",
        region,
        month,
        ParamUnit::BasisPoints,
    )?;
    let food_threshold_bp = amount_in(
        params,
        "price_subsidy.trigger.food_cpi_yoy",
        region,
        month,
        ParamUnit::BasisPoints,
    )?;
    let by_cpi = index.cpi_yoy_bp >= cpi_threshold_bp;
    let by_food = index.food_cpi_yoy_bp >= food_threshold_bp;
    if !by_cpi && !by_food {
        return Ok(None);
    }
    let mut reasons = Vec::new();
    if by_cpi {
        reasons.push(format!(
            "CPI同比 {} ≥ {}",
            percent(index.cpi_yoy_bp),
            percent(cpi_threshold_bp)
        ));
    }
    if by_food {
        reasons.push(format!(
            "食品CPI同比 {} ≥ {}",
            percent(index.food_cpi_yoy_bp),
            percent(food_threshold_bp)
        ));
    }
    Ok(Some(Trigger {
        month,
        by_cpi,
        by_food,
        cpi_threshold_bp,
        food_threshold_bp,
        explanation: format!("{month} 启动价格临时补贴：{}", reasons.join("，")),
    }))
}

/// The subsidy per person for `month` in `region` (a district or finer code), or `None` when the
/// month is not triggered (RULES.md §4.2):
///
/// - base: the average of the month's urban and rural dibao standards
///   (`price_subsidy.base.average_urban_rural`);
/// - rate: the SCPI increase (`price_subsidy.index.scpi`), otherwise the index that triggered, the
///   higher when both did;
/// - base × rate rounded half up to `price_subsidy.rounding_unit`, raised to
///   `price_subsidy.min_amount`.
///
/// Refused when the month is triggered but the SCPI it needs was not entered, or a parameter is
/// missing.
pub fn amount(
    params: &ParamSet,
    region: &str,
    month: Month,
    index: &PriceIndex,
) -> Result<Option<Amount>, BenefitsError> {
    let Some(t) = trigger_in(params, region, month, index)? else {
        return Ok(None);
    };
    let (rate_bp, rate_name) = if switch(params, "price_subsidy.index.scpi", region, month)? {
        let scpi = index.scpi_yoy_bp.ok_or_else(|| {
            BenefitsError::Invalid(format!(
                "{month} 已达到价格临时补贴启动条件，但尚未录入 SCPI 同比涨幅，无法测算补贴金额"
            ))
        })?;
        (scpi, "SCPI")
    } else if t.by_cpi && (!t.by_food || index.cpi_yoy_bp >= index.food_cpi_yoy_bp) {
        (index.cpi_yoy_bp, "CPI")
    } else {
        (index.food_cpi_yoy_bp, "食品CPI")
    };
    if !switch(
        params,
        "price_subsidy.base.average_urban_rural",
        region,
        month,
    )? {
        return Err(BenefitsError::Parameter(format!(
            "price_subsidy.base.average_urban_rural（{month}）：按城乡标准分别测算的基数尚未实现"
        )));
    }
    let urban = fen(params, "dibao.standard.urban", region, month)?;
    let rural = fen(params, "dibao.standard.rural", region, month)?;
    let unit = fen(params, "price_subsidy.rounding_unit", region, month)?.max(1);
    let floor = fen(params, "price_subsidy.min_amount", region, month)?;
    // (urban + rural) / 2 × rate / 10000, kept exact until the one rounding.
    let numerator = (urban + rural) * rate_bp;
    let exact = div_half_up(numerator, 20_000);
    let rounded = div_half_up(numerator, 20_000 * unit) * unit;
    let paid = rounded.max(floor);
    let mut explanation = format!(
        "价格临时补贴 {month}：城乡低保标准平均 {} 元 × {rate_name} 同比 {} = {} 元",
        Fen(div_half_up(urban + rural, 2)).yuan_string(),
        percent(rate_bp),
        Fen(exact).yuan_string()
    );
    if rounded != exact {
        explanation.push_str(&format!("，取整 {} 元", Fen(rounded).yuan_string()));
    }
    if paid != rounded {
        explanation.push_str(&format!(
            "，不足 {} 元按 {} 元发放",
            Fen(floor).yuan_string(),
            Fen(paid).yuan_string()
        ));
    }
    Ok(Some(Amount {
        fen: Fen(paid),
        explanation,
    }))
}

// ---------------------------------------------------------------- indices

/// A month's indices as stored, with who entered them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRecord {
    /// The month.
    pub month: Month,
    /// The indices.
    pub index: PriceIndex,
    /// Where they were published.
    pub source: String,
    /// Who entered (or last corrected) them.
    pub entered_by: String,
    /// When.
    pub entered_at: String,
}

/// What [`record_index`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The month had no indices; they are entered.
    Created,
    /// The month's indices were corrected (the audit row holds before and after).
    Corrected,
    /// The same values were entered again: nothing changed.
    Unchanged,
}

/// Reads the indices of `month`, if entered.
pub fn index_of(tx: &mut Tx<'_>, month: Month) -> Result<Option<IndexRecord>, BenefitsError> {
    let row = tx.query_opt(
        "SELECT month, cpi_yoy_bp, food_cpi_yoy_bp, scpi_yoy_bp, source, entered_by, entered_at
         FROM price_index WHERE month = $1",
        params![month.to_string()],
    )?;
    row.map(|mut r| index_record(&mut r)).transpose()
}

fn index_record(r: &mut minzheng_store::Row) -> Result<IndexRecord, BenefitsError> {
    let month: String = r.take(0)?;
    Ok(IndexRecord {
        month: Month::parse(&month).map_err(|e| BenefitsError::Invalid(e.to_string()))?,
        index: PriceIndex {
            cpi_yoy_bp: r.take(1)?,
            food_cpi_yoy_bp: r.take(2)?,
            scpi_yoy_bp: r.take(3)?,
        },
        source: r.take(4)?,
        entered_by: r.take(5)?,
        entered_at: r.take(6)?,
    })
}

/// Every month with indices, latest first.
pub fn list_indices(tx: &mut Tx<'_>) -> Result<Vec<IndexRecord>, BenefitsError> {
    let rows = tx.query(
        "SELECT month, cpi_yoy_bp, food_cpi_yoy_bp, scpi_yoy_bp, source, entered_by, entered_at
         FROM price_index ORDER BY month DESC",
        params![],
    )?;
    rows.into_iter().map(|mut r| index_record(&mut r)).collect()
}

/// Whether any price subsidy has been paid for `month` (then its indices are final).
pub fn subsidy_paid(tx: &mut Tx<'_>, month: Month) -> Result<bool, BenefitsError> {
    Ok(tx
        .query_opt(
            // The program is written out so that the partial index `payment_price_subsidy_month`
            // applies (a bound value would not prove its condition).
            "SELECT 1 FROM payment WHERE program = 'price_subsidy' AND for_month = $1 LIMIT 1",
            params![month.to_string()],
        )?
        .is_some())
}

/// Whether a price subsidy for `month` has been paid in `district` (6 digits): a payroll that pays
/// an index month in a later cycle asks this before [`district_lines`], since the payment table
/// allows one subsidy per person and month and a second one would stop the district's cycle.
pub fn paid_in_district(
    tx: &mut Tx<'_>,
    month: Month,
    district: &str,
) -> Result<bool, BenefitsError> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM payment WHERE program = 'price_subsidy' AND for_month = $1
               AND region_code >= $2 AND region_code < $3 LIMIT 1",
            params![month.to_string(), district, format!("{district}:")],
        )?
        .is_some())
}

/// Enters (or corrects) the indices of `month` as published, in percent with at most two
/// decimals (`scpi` may be empty until it is published). Refused: a value outside the plausible
/// range, a month not yet over, a triggered month without the SCPI the amount needs, and any change
/// to a month whose subsidy has already been paid. A correction writes an audit row with the
/// values before and after.
#[allow(clippy::too_many_arguments)]
pub fn record_index(
    tx: &mut Tx<'_>,
    who: &Principal,
    month: Month,
    cpi: &str,
    food: &str,
    scpi: &str,
    source: &str,
) -> Result<Recorded, BenefitsError> {
    who.require(Action::PriceIndexManage)?;
    let cpi_yoy_bp = parse_percent(cpi, "CPI同比")?;
    let food_cpi_yoy_bp = parse_percent(food, "食品CPI同比")?;
    let scpi_yoy_bp = match scpi.trim() {
        "" => None,
        s => Some(parse_percent(s, "SCPI同比")?),
    };
    let in_range = |bp: i64, (lo, hi): (i64, i64), label: &str| {
        if (lo..=hi).contains(&bp) {
            Ok(())
        } else {
            Err(BenefitsError::Invalid(format!(
                "{label} {} 不在合理范围（{} 至 {}）内，请核对是否录错",
                percent(bp),
                percent(lo),
                percent(hi)
            )))
        }
    };
    in_range(cpi_yoy_bp, CPI_RANGE, "CPI同比")?;
    in_range(food_cpi_yoy_bp, FOOD_RANGE, "食品CPI同比")?;
    if let Some(s) = scpi_yoy_bp {
        in_range(s, CPI_RANGE, "SCPI同比")?;
    }
    let source = source.trim();
    if source.is_empty() {
        return Err(BenefitsError::Invalid(
            "请填写指数来源（发布机构和日期）".into(),
        ));
    }
    if source.chars().count() > 200 || source.contains(['\n', '\r']) {
        return Err(BenefitsError::Invalid(
            "指数来源应为一行，不超过 200 字".into(),
        ));
    }
    let this_month = Month::of(china_today());
    if month >= this_month {
        return Err(BenefitsError::Invalid(format!(
            "{month} 尚未结束，其物价指数还未公布"
        )));
    }
    let index = PriceIndex {
        cpi_yoy_bp,
        food_cpi_yoy_bp,
        scpi_yoy_bp,
    };
    // The amount must be computable when the month triggers: check it now, not at the payroll.
    let params = minzheng_reference::parameters::parameter_set(tx)?;
    amount(&params, CITY, month, &index)?;

    let lock = match tx.backend() {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    let existing = tx.query_opt(
        &format!(
            "SELECT id, cpi_yoy_bp, food_cpi_yoy_bp, scpi_yoy_bp, source FROM price_index WHERE month = $1{lock}"
        ),
        params![month.to_string()],
    )?;
    let before = match existing {
        Some(r) => {
            let id: i64 = r.get(0)?;
            let old = PriceIndex {
                cpi_yoy_bp: r.get(1)?,
                food_cpi_yoy_bp: r.get(2)?,
                scpi_yoy_bp: r.get(3)?,
            };
            let old_source: String = r.get(4)?;
            if old == index && old_source == source {
                return Ok(Recorded::Unchanged);
            }
            Some((id, old, old_source))
        }
        None => None,
    };
    if subsidy_paid(tx, month)? {
        return Err(BenefitsError::Conflict(format!(
            "{month} 的价格临时补贴已经发放，该月物价指数不能再更改"
        )));
    }
    let now = minzheng_store::format_instant(chrono::Utc::now());
    let m = month.to_string();
    let json = |i: &PriceIndex, s: &str| {
        serde_json::json!({
            "cpi_yoy_bp": i.cpi_yoy_bp, "food_cpi_yoy_bp": i.food_cpi_yoy_bp,
            "scpi_yoy_bp": i.scpi_yoy_bp, "source": s,
        })
    };
    let after = json(&index, source);
    let (id, action, outcome, before_json) = match before {
        Some((id, old, old_source)) => {
            tx.execute(
                "UPDATE price_index SET cpi_yoy_bp = $1, food_cpi_yoy_bp = $2, scpi_yoy_bp = $3,
                     source = $4, entered_by = $5, entered_at = $6 WHERE id = $7",
                params![
                    cpi_yoy_bp,
                    food_cpi_yoy_bp,
                    scpi_yoy_bp,
                    source,
                    who.username,
                    now,
                    id
                ],
            )?;
            (
                id,
                "benefits.price_index.correct",
                Recorded::Corrected,
                Some(json(&old, &old_source)),
            )
        }
        None => {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO price_index (month, cpi_yoy_bp, food_cpi_yoy_bp, scpi_yoy_bp, source, entered_by, entered_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    params![m, cpi_yoy_bp, food_cpi_yoy_bp, scpi_yoy_bp, source, who.username, now],
                )?
                .get(0)?;
            (id, "benefits.price_index.record", Recorded::Created, None)
        }
    };
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action,
            record_type: "price_index",
            record_id: id.to_string(),
            subject_key: None,
            before: before_json.clone(),
            after: Some(after.clone()),
            // Published figures, nothing personal: kept in clear so the log shows the correction.
            detail: serde_json::json!({ "month": m, "before": before_json, "after": after }),
        },
    )?;
    Ok(outcome)
}

// ---------------------------------------------------------------- recipients

/// A group paid the subsidy that the platform does not enrol; its code is the suffix of the
/// `price_subsidy.covers.*` switch that says whether it is paid in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientGroup {
    /// 享受国家定期抚恤补助的优抚对象.
    EntitledGroups,
    /// 领取失业保险金人员.
    UnemploymentInsurance,
    /// 低保边缘人员 (added 2022-09 to 2023-03).
    DibaoMarginal,
    /// 领取失业补助金人员 (added 2022-09 to 2023-03).
    UnemploymentAllowance,
}

impl RecipientGroup {
    /// Every group.
    pub const ALL: [RecipientGroup; 4] = [
        RecipientGroup::EntitledGroups,
        RecipientGroup::UnemploymentInsurance,
        RecipientGroup::DibaoMarginal,
        RecipientGroup::UnemploymentAllowance,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            RecipientGroup::EntitledGroups => "entitled_groups",
            RecipientGroup::UnemploymentInsurance => "unemployment_insurance",
            RecipientGroup::DibaoMarginal => "dibao_marginal",
            RecipientGroup::UnemploymentAllowance => "unemployment_allowance",
        }
    }

    /// The name staff know it by.
    pub fn name_zh(self) -> &'static str {
        match self {
            RecipientGroup::EntitledGroups => "优抚对象",
            RecipientGroup::UnemploymentInsurance => "领取失业保险金人员",
            RecipientGroup::DibaoMarginal => "低保边缘人员",
            RecipientGroup::UnemploymentAllowance => "领取失业补助金人员",
        }
    }

    /// The switch that covers the group.
    pub fn cover_key(self) -> String {
        format!("price_subsidy.covers.{}", self.code())
    }

    /// Parses a code or the Chinese name.
    pub fn parse(text: &str) -> Result<RecipientGroup, BenefitsError> {
        RecipientGroup::ALL
            .into_iter()
            .find(|g| g.code() == text || g.name_zh() == text)
            .ok_or_else(|| {
                BenefitsError::Invalid(format!(
                    "补贴对象类别“{text}”无效：应为 entitled_groups（优抚对象）、unemployment_insurance（领取失业保险金人员）、dibao_marginal（低保边缘人员）或 unemployment_allowance（领取失业补助金人员）"
                ))
            })
    }
}

/// The columns of the recipients file, in order (the header line is optional).
pub const RECIPIENT_COLUMNS: &str =
    "group,id_number,name,region_code,bank_code,account_kind,account_no,start_month,end_month";

/// One line of the recipients file, validated.
#[derive(Debug, Clone)]
struct NewRecipient {
    group: RecipientGroup,
    id_number: IdNumber,
    name: String,
    region_code: String,
    bank_code: String,
    account_kind: String,
    account_no: String,
    start_month: Month,
    end_month: Option<Month>,
}

/// Reads one line of the recipients file, every field by the rules the enrolments use
/// ([`fields`]), every problem of the line at once.
fn parse_recipient(
    line: &str,
    who: &Principal,
    rules: &Rules,
) -> Result<NewRecipient, Vec<FieldError>> {
    let f = crate::bank::split_csv(line);
    if f.len() != 9 {
        return Err(vec![FieldError {
            field: "列数",
            reason: format!("应有 9 列（{RECIPIENT_COLUMNS}），实有 {} 列", f.len()),
        }]);
    }
    let mut errors: Vec<FieldError> = Vec::new();
    let group = fields::keep(
        &mut errors,
        fields::text("补贴对象类别", &f[0]).and_then(|g| {
            RecipientGroup::parse(g).map_err(|e| FieldError {
                field: "补贴对象类别",
                reason: e.to_string(),
            })
        }),
    );
    let id_number = fields::keep(&mut errors, fields::id_number(&f[1], rules.today()));
    let name = fields::keep(&mut errors, fields::name(&f[2]));
    let code = fields::keep(
        &mut errors,
        fields::community(&f[3]).and_then(|code| {
            let region = format!("{:012}", code.as_u64());
            if who.scope().contains(&region) {
                Ok(code)
            } else {
                Err(FieldError {
                    field: "区划代码",
                    reason: format!("{region} 不在您的管辖范围内"),
                })
            }
        }),
    );
    let bank = fields::keep(&mut errors, rules.bank(&f[4]));
    let account_kind = fields::keep(&mut errors, fields::account_kind(&f[5]));
    if let (Some(bank), Some(kind)) = (bank, account_kind) {
        fields::keep(&mut errors, rules.account_kind_for(bank, kind));
    }
    let account_no = fields::keep(&mut errors, fields::account_no(&f[6]));
    let start_month = fields::keep(&mut errors, fields::required_month("起始月份", &f[7]));
    if let (Some(code), Some(start)) = (code, start_month) {
        fields::keep(&mut errors, rules.start_month(None, &code, start));
    }
    let end_month = fields::keep(&mut errors, fields::month("终止月份", &f[8]));
    if let (Some(start), Some(Some(end))) = (start_month, end_month)
        && end < start
    {
        errors.push(FieldError {
            field: "终止月份",
            reason: format!("{end} 早于起始月份 {start}"),
        });
    }
    let (
        Some(group),
        Some(id_number),
        Some(name),
        Some(code),
        Some(bank),
        Some(account_kind),
        Some(account_no),
        Some(start_month),
        Some(end_month),
    ) = (
        group,
        id_number,
        name,
        code,
        bank,
        account_kind,
        account_no,
        start_month,
        end_month,
    )
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewRecipient {
        group,
        id_number,
        name,
        region_code: format!("{:012}", code.as_u64()),
        bank_code: bank.bank_code.clone(),
        account_kind: account_kind.to_owned(),
        account_no,
        start_month,
        end_month,
    })
}

/// A first month and, when known, a last month.
type Period = (Month, Option<Month>);

fn overlaps(a: Period, b: Period) -> bool {
    let ends_before = |x: Option<Month>, start: Month| x.is_some_and(|e| e < start);
    !(ends_before(a.1, b.0) || ends_before(b.1, a.0))
}

/// Imports recipients from CSV text ([`RECIPIENT_COLUMNS`], one person and period a line, header
/// optional, blank lines skipped). Every line is checked first (ID number, 12-digit community in
/// scope, account, months, no overlapping period for the same person and group in the file or
/// already imported); if any line is bad nothing is imported and the message names each bad line
/// by its number. Returns how many rows were imported; each gets an audit row.
pub fn import_recipients(
    tx: &mut Tx<'_>,
    who: &Principal,
    csv: &str,
) -> Result<usize, BenefitsError> {
    who.require(Action::PriceIndexManage)?;
    let rules = Rules::load(tx)?;
    let mut errors: Vec<LineProblem> = Vec::new();
    let mut good: Vec<(usize, NewRecipient)> = Vec::new();
    let mut first = true;
    for (i, raw) in csv.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            continue;
        }
        if first {
            first = false;
            let head = line.split(',').next().unwrap_or("").trim();
            if head == "group" || head == "类别" {
                continue;
            }
        }
        match parse_recipient(line, who, &rules) {
            Ok(r) => good.push((line_no, r)),
            Err(e) => errors.extend(e.into_iter().map(|e| LineProblem::field(line_no, e))),
        }
    }
    // The same person twice in a group with overlapping periods, in the file or already imported.
    let mut seen: HashMap<(RecipientGroup, String), Vec<(usize, Period)>> = HashMap::new();
    for (line_no, r) in &good {
        let key = (r.group, r.id_number.as_str().to_owned());
        let period = (r.start_month, r.end_month);
        let earlier = seen.entry(key).or_default();
        if let Some((other, _)) = earlier.iter().find(|(_, p)| overlaps(*p, period)) {
            errors.push(LineProblem::line(
                *line_no,
                format!("与第 {other} 行为同一人同一类别，期间重叠"),
            ));
        }
        earlier.push((*line_no, period));
        let stored = tx.query(
            "SELECT start_month, end_month FROM price_subsidy_recipient WHERE recipient_group = $1 AND id_number = $2",
            params![r.group.code(), r.id_number.as_str()],
        )?;
        for row in stored {
            let s: String = row.get(0)?;
            let e: Option<String> = row.get(1)?;
            let parse =
                |t: &str| Month::parse(t).map_err(|e| BenefitsError::Invalid(e.to_string()));
            let s = parse(&s)?;
            let e = e.as_deref().map(parse).transpose()?;
            if overlaps((s, e), period) {
                errors.push(LineProblem::line(
                    *line_no,
                    format!("此人已登记为{}（自 {s} 起），期间重叠", r.group.name_zh()),
                ));
                break;
            }
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|p| p.line);
        return Err(BenefitsError::Lines(errors));
    }
    if good.is_empty() {
        return Err(BenefitsError::Invalid(format!(
            "没有可导入的记录：每行应为 {RECIPIENT_COLUMNS}"
        )));
    }
    let now = minzheng_store::format_instant(chrono::Utc::now());
    let ctx = who.audit();
    for (line_no, r) in &good {
        let id: i64 = tx
            .query_one(
                "INSERT INTO price_subsidy_recipient (recipient_group, id_number, name, region_code, bank_code,
                     account_kind, account_no, start_month, end_month, imported_by, imported_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                params![
                    r.group.code(),
                    r.id_number.as_str(),
                    r.name,
                    r.region_code,
                    r.bank_code,
                    r.account_kind,
                    r.account_no,
                    r.start_month.to_string(),
                    r.end_month.map(|m| m.to_string()),
                    who.username,
                    now
                ],
            )?
            .get(0)?;
        audit::append(
            tx,
            &ctx,
            AuditEntry {
                action: "benefits.price_recipient.import",
                record_type: "price_subsidy_recipient",
                record_id: id.to_string(),
                subject_key: Some(audit::subject_key(tx, r.id_number.as_str())?),
                before: None,
                after: Some(serde_json::json!({
                    "group": r.group.code(), "region_code": r.region_code, "bank_code": r.bank_code,
                    "account_kind": r.account_kind, "start_month": r.start_month.to_string(),
                    "end_month": r.end_month.map(|m| m.to_string()),
                })),
                detail: serde_json::json!({ "line": line_no, "group": r.group.code() }),
            },
        )?;
    }
    Ok(good.len())
}

/// How many recipients each group has on file (any period) within the principal's scope, for
/// the page: a count applies the same scope as the list it comes from.
pub fn recipient_counts(
    tx: &mut Tx<'_>,
    who: &Principal,
) -> Result<Vec<(RecipientGroup, i64)>, BenefitsError> {
    who.require(Action::BenefitsRead)?;
    let (cond, values) = who.scope().sql("region_code", 1);
    let ps: Vec<&dyn minzheng_store::ToValue> = values
        .iter()
        .map(|v| v as &dyn minzheng_store::ToValue)
        .collect();
    let rows = tx.query(
        &format!(
            "SELECT recipient_group, COUNT(*) FROM price_subsidy_recipient WHERE {cond} GROUP BY recipient_group"
        ),
        &ps,
    )?;
    let mut counts: HashMap<String, i64> = HashMap::new();
    for r in rows {
        counts.insert(r.get(0)?, r.get(1)?);
    }
    Ok(RecipientGroup::ALL
        .into_iter()
        .map(|g| (g, counts.get(g.code()).copied().unwrap_or(0)))
        .collect())
}

// ---------------------------------------------------------------- the payroll's hook

/// One person (or dibao household) to pay the month's subsidy, before the payroll writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceLine {
    /// The enrolment paid through (positive), or for an imported recipient the negated id of its
    /// `price_subsidy_recipient` row (negative): see [`PriceLine::recipient_id`].
    pub enrolment_id: i64,
    /// Who is paid (a dibao household's beneficiary).
    pub id_number: String,
    /// Their community (12 digits).
    pub region_code: String,
    /// The paying bank.
    pub bank_code: String,
    /// The amount (a dibao household: per person × members counted).
    pub amount: Fen,
    /// The sentence with every figure used.
    pub explanation: String,
    /// The month the subsidy is for.
    pub for_month: Month,
    /// The payee's name, as the bank file carries it.
    pub name: String,
    /// `ssc` or `bank`.
    pub account_kind: String,
    /// The card or account number.
    pub account_no: String,
}

impl PriceLine {
    /// The `price_subsidy_recipient` row the line pays, when it is not an enrolment.
    pub fn recipient_id(&self) -> Option<i64> {
        (self.enrolment_id < 0).then_some(-self.enrolment_id)
    }
}

/// The programs whose enrolees are covered in `month`, by the `price_subsidy.covers.*` switches.
fn covered_programs(
    params: &ParamSet,
    district: &str,
    month: Month,
) -> Result<Vec<Program>, BenefitsError> {
    let mut out = Vec::new();
    let on = |key: &str| switch(params, key, district, month);
    if on("price_subsidy.covers.dibao")? {
        out.extend([Program::DibaoUrban, Program::DibaoRural]);
    }
    if on("price_subsidy.covers.tekun")? {
        out.extend([Program::TekunInstitutional, Program::TekunDispersed]);
    }
    if on("price_subsidy.covers.orphan")? {
        out.extend([Program::OrphanInstitutional, Program::OrphanDispersed]);
    }
    if on("price_subsidy.covers.children_groups")? {
        out.push(Program::UnattendedChild);
    }
    Ok(out)
}

fn group_label(program: Program) -> &'static str {
    match program {
        Program::DibaoUrban | Program::DibaoRural => "低保对象",
        Program::TekunInstitutional | Program::TekunDispersed => "特困人员",
        Program::OrphanInstitutional | Program::OrphanDispersed => "孤儿",
        Program::UnattendedChild => "事实无人抚养儿童",
        _ => program.name_zh(),
    }
}

/// The month's price-subsidy lines of one district (6 digits), for the payroll: empty when no
/// indices are entered for the month or it is not triggered. Otherwise one line per person covered
/// that month: active enrolments of the covered programs (a dibao household: the subsidy × the
/// members counted, paid to its beneficiary), and imported recipients of covered groups whose
/// period includes the month and who have no death or move-out recorded before it. A person on
/// several programs or groups is paid once (the larger line, so a household line is kept over a
/// person line of its beneficiary). Enrolments are streamed, not collected.
pub fn district_lines(
    tx: &mut Tx<'_>,
    params: &ParamSet,
    month: Month,
    district: &str,
) -> Result<Vec<PriceLine>, BenefitsError> {
    let Some(record) = index_of(tx, month)? else {
        return Ok(Vec::new());
    };
    let Some(per_person) = amount(params, district, month, &record.index)? else {
        return Ok(Vec::new());
    };
    let upper = format!("{district}:");
    let m = month.to_string();
    let mut lines: Vec<PriceLine> = Vec::new();
    let mut by_person: HashMap<String, usize> = HashMap::new();
    let mut keep = |line: PriceLine| match by_person.get(&line.id_number) {
        Some(&i) => {
            if line.amount.0 > lines[i].amount.0 {
                lines[i] = line;
            }
        }
        None => {
            by_person.insert(line.id_number.clone(), lines.len());
            lines.push(line);
        }
    };

    let programs = covered_programs(params, district, month)?;
    if !programs.is_empty() {
        // The codes are the program enum's own constants, not input.
        let list: Vec<String> = programs.iter().map(|p| format!("'{}'", p.code())).collect();
        let sql = format!(
            "SELECT id, program, id_number, region_code, bank_code, members, name, account_kind, account_no
             FROM enrolment
             WHERE region_code >= $1 AND region_code < $2 AND {PAYABLE_STATUS}
               AND start_month <= $3 AND (end_month IS NULL OR end_month >= $3)
               AND program IN ({})
             ORDER BY region_code, id",
            list.join(", ")
        );
        tx.query_each(
            &sql,
            params![district, upper, m],
            |mut row| -> Result<(), BenefitsError> {
                let enrolment_id: i64 = row.take(0)?;
                let program = Program::parse(&row.take::<String>(1)?)?;
                let members: i64 = row.take(5)?;
                let (fen, explanation) = if program.per_household() {
                    let total = per_person.fen.0 * members;
                    (
                        total,
                        format!(
                            "{}；{}家庭保障 {members} 人，合计 {} 元",
                            per_person.explanation,
                            program.name_zh(),
                            Fen(total).yuan_string()
                        ),
                    )
                } else {
                    (
                        per_person.fen.0,
                        format!("{}；{}", per_person.explanation, group_label(program)),
                    )
                };
                keep(PriceLine {
                    enrolment_id,
                    id_number: row.take(2)?,
                    region_code: row.take(3)?,
                    bank_code: row.take(4)?,
                    amount: Fen(fen),
                    explanation,
                    for_month: month,
                    name: row.take(6)?,
                    account_kind: row.take(7)?,
                    account_no: row.take(8)?,
                });
                Ok(())
            },
        )?;
    }

    let mut groups = Vec::new();
    for g in RecipientGroup::ALL {
        if switch(params, &g.cover_key(), district, month)? {
            groups.push(g);
        }
    }
    if !groups.is_empty() {
        let first_day = month.first_day().format("%Y-%m-%d").to_string();
        tx.query_each(
            "SELECT r.id, r.recipient_group, r.id_number, r.region_code, r.bank_code, r.name,
                    r.account_kind, r.account_no
             FROM price_subsidy_recipient r
             WHERE r.region_code >= $1 AND r.region_code < $2
               AND r.start_month <= $3 AND (r.end_month IS NULL OR r.end_month >= $3)
               AND NOT EXISTS (SELECT 1 FROM beneficiary_stop s
                               WHERE s.id_number = r.id_number AND s.effective_date < $4)
             ORDER BY r.region_code, r.id",
            params![district, upper, m, first_day],
            |mut row| -> Result<(), BenefitsError> {
                let id: i64 = row.take(0)?;
                let group = RecipientGroup::parse(&row.take::<String>(1)?)?;
                if !groups.contains(&group) {
                    return Ok(());
                }
                keep(PriceLine {
                    enrolment_id: -id,
                    id_number: row.take(2)?,
                    region_code: row.take(3)?,
                    bank_code: row.take(4)?,
                    amount: per_person.fen,
                    explanation: format!("{}；{}", per_person.explanation, group.name_zh()),
                    for_month: month,
                    name: row.take(5)?,
                    account_kind: row.take(6)?,
                    account_no: row.take(7)?,
                });
                Ok(())
            },
        )?;
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_parse_strictly_to_basis_points() {
        assert_eq!(parse_percent("3.6", "x").unwrap(), 360);
        assert_eq!(parse_percent("3.46", "x").unwrap(), 346);
        assert_eq!(parse_percent("-0.5", "x").unwrap(), -50);
        assert_eq!(parse_percent("21", "x").unwrap(), 2100);
        assert_eq!(parse_percent(" 6.0% ", "x").unwrap(), 600);
        for bad in [
            "", "3.", ".5", "3.456", "3,6", "３.6", "abc", "--1", "1e2", "+3.6",
        ] {
            assert!(parse_percent(bad, "x").is_err(), "{bad}");
        }
        assert_eq!(percent(460), "4.6%");
        assert_eq!(percent(346), "3.46%");
        assert_eq!(percent(-50), "-0.5%");
        assert_eq!(percent(600), "6.0%");
    }

    #[test]
    fn rounding_is_half_up() {
        assert_eq!(div_half_up(2346, 100), 23);
        assert_eq!(div_half_up(2350, 100), 24);
        assert_eq!(div_half_up(-2350, 100), -23);
    }
}
