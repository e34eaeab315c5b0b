//! 动态管理: the periodic review of dibao households (RULES.md §1.6). How often a household is
//! re-checked depends on its situation (Chongqing 2016 art. 26): yearly when a member is seriously
//! ill or disabled and the income is stable, half-yearly when members and income are stable,
//! monthly (urban) or quarterly (rural) when a member able to work is unemployed. The situation is
//! not on the enrolment, so each enrolment has a review profile, entered by staff and `stable`
//! until they do (written explicitly at the first scheduling, so the list shows what was assumed).
//!
//! A review task is due `interval` months after the last review (or the start of the benefit); the
//! interval is copied onto the task from the dated parameter in force when it is set, with the
//! parameter's key. At most one task per enrolment is open; scheduling again changes nothing.
//!
//! Recording an outcome acts on the enrolment from the month after the review:
//! - `increase` / `decrease`: the enrolment's frozen basis (members, income, supplements) is
//!   updated in place with an event row. The payroll reads these columns when it computes a month,
//!   and computed lines never change, so the review month must already be computed and the next
//!   month not yet: then the new amount applies exactly from the month after the review.
//! - `suspend`: [`crate::enrolments::suspend`].
//! - `stop` (written reason required): the last month paid is the review month; when the review
//!   found the income at or above the standard and the 渐退期 is in force (`dibao.phase_out.*`),
//!   the benefit continues unchanged for the phase-out months after the review month, then ends.
//!
//! Only dibao is reviewed here: RULES.md sets no periodic review interval for the other programs.

use crate::BenefitsError;
use crate::enrolments;
use crate::programs::{Basis, CareTier, Program, Standards, monthly_amount};
use minzheng_access::{Action, Principal};
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::params::ParamSet;
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{ToValue, Tx, params};

/// The household situation that sets how often it is re-checked (Chongqing 2016 art. 26).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// A seriously ill or seriously disabled member, and the income essentially unchanged: yearly.
    SevereMemberStable,
    /// Members and income relatively stable: half-yearly.
    Stable,
    /// A working-age member able to work but unemployed: monthly (urban), quarterly (rural).
    AbleUnemployed,
}

/// Every category, in the order the forms list them.
pub const CATEGORIES: [Category; 3] = [
    Category::SevereMemberStable,
    Category::Stable,
    Category::AbleUnemployed,
];

impl Category {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Category::SevereMemberStable => "severe_member_stable",
            Category::Stable => "stable",
            Category::AbleUnemployed => "able_unemployed",
        }
    }

    /// The Chinese label.
    pub fn name_zh(self) -> &'static str {
        match self {
            Category::SevereMemberStable => "有重病重残成员且收入基本无变化",
            Category::Stable => "人员和收入相对稳定",
            Category::AbleUnemployed => "有劳动能力但未就业的成员",
        }
    }

    /// Reads a stored or submitted code.
    pub fn parse(code: &str) -> Result<Category, BenefitsError> {
        CATEGORIES
            .into_iter()
            .find(|c| c.code() == code.trim())
            .ok_or_else(|| BenefitsError::Invalid(format!("家庭情况类别“{code}”无效")))
    }

    /// The key of the parameter that gives the interval for a program (urban or rural).
    pub fn interval_key(self, program: Program) -> &'static str {
        match (self, program) {
            (Category::SevereMemberStable, _) => {
                "dibao.review.interval.severe_member_stable_income"
            }
            (Category::Stable, _) => "dibao.review.interval.stable",
            (Category::AbleUnemployed, Program::DibaoRural) => {
                "dibao.review.interval.able_unemployed_rural"
            }
            (Category::AbleUnemployed, _) => "dibao.review.interval.able_unemployed_urban",
        }
    }
}

/// What a review found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing changed.
    Unchanged,
    /// More is due (new members, lower income, new supplements).
    Increase,
    /// Less is due.
    Decrease,
    /// Payment suspended while something is checked.
    Suspend,
    /// The benefit ends (with a written reason).
    Stop,
}

/// Every outcome, in the order the forms list them.
pub const OUTCOMES: [Outcome; 5] = [
    Outcome::Unchanged,
    Outcome::Increase,
    Outcome::Decrease,
    Outcome::Suspend,
    Outcome::Stop,
];

impl Outcome {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Unchanged => "unchanged",
            Outcome::Increase => "increase",
            Outcome::Decrease => "decrease",
            Outcome::Suspend => "suspend",
            Outcome::Stop => "stop",
        }
    }

    /// The Chinese label.
    pub fn name_zh(self) -> &'static str {
        match self {
            Outcome::Unchanged => "无变化",
            Outcome::Increase => "增发",
            Outcome::Decrease => "减发",
            Outcome::Suspend => "暂停发放",
            Outcome::Stop => "停发",
        }
    }

    /// Reads a stored or submitted code.
    pub fn parse(code: &str) -> Result<Outcome, BenefitsError> {
        OUTCOMES
            .into_iter()
            .find(|o| o.code() == code.trim())
            .ok_or_else(|| BenefitsError::Invalid(format!("复核结果“{code}”无效")))
    }
}

/// The household's facts as the review found them (the amount's basis from the next month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    /// Members counted.
    pub members: i64,
    /// Countable monthly income.
    pub counted_income: Fen,
    /// Monthly category supplements.
    pub supplement: Fen,
}

/// A review's result as staff enter it.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What the review found.
    pub outcome: Outcome,
    /// The month the review was carried out; its effect starts the month after.
    pub review_month: Month,
    /// Why (required for suspend and stop: at least 4 characters).
    pub reason: String,
    /// The new facts (required for increase and decrease; for a stop, they show whether the
    /// income has reached the standard, which opens the phase-out period).
    pub figures: Option<Figures>,
}

/// The fewest characters a written reason for suspending or stopping has.
pub const MIN_REASON_CHARS: usize = 4;

/// What a scheduling run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleOutcome {
    /// The month it ran for.
    pub month: String,
    /// Tasks created.
    pub created: usize,
    /// Enrolments that already had an open task (left as they were).
    pub already_open: usize,
    /// Profiles written with the default category because staff had entered none.
    pub profiles_created: usize,
    /// Open tasks cancelled because their benefit was stopped, suspended or has a set end.
    pub cancelled: usize,
    /// Enrolments not scheduled because their end is already decided.
    pub ending: usize,
}

impl ScheduleOutcome {
    /// Whether the run changed anything.
    pub fn changed(&self) -> bool {
        self.created + self.profiles_created + self.cancelled > 0
    }

    /// One sentence for the user.
    pub fn message_zh(&self) -> String {
        if !self.changed() {
            return format!(
                "{} 的复核任务此前已安排，本次没有新增（{} 户已有待办复核）",
                self.month, self.already_open
            );
        }
        format!(
            "{}：新安排复核 {} 户，已有待办 {} 户，按默认类别登记 {} 户，取消 {} 项（待遇已停止或暂停）",
            self.month, self.created, self.already_open, self.profiles_created, self.cancelled
        )
    }
}

/// What recording an outcome did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The task.
    pub task_id: i64,
    /// The outcome recorded.
    pub outcome: Outcome,
    /// The first month it acts on (the month after the review).
    pub effective_month: Month,
    /// The last month paid, when the benefit ends.
    pub end_month: Option<Month>,
    /// The phase-out months granted, when the income reached the standard and 渐退期 applies.
    pub phase_out_months: Option<i64>,
    /// The monthly amount from the effective month (increase / decrease).
    pub new_amount: Option<Fen>,
    /// The next task and its due month, when the benefit continues.
    pub next_task: Option<(i64, Month)>,
}

impl Recorded {
    /// One sentence for the user.
    pub fn message_zh(&self) -> String {
        let mut m = format!("已登记复核结果：{}", self.outcome.name_zh());
        if let Some(a) = self.new_amount {
            m.push_str(&format!(
                "，自 {} 起每月 {} 元",
                self.effective_month,
                a.yuan_string()
            ));
        }
        if let Some(p) = self.phase_out_months {
            m.push_str(&format!("，给予渐退期 {p} 个月"));
        }
        if let Some(e) = self.end_month {
            m.push_str(&format!("，末次发放月份 {e}"));
        }
        if let Some((_, due)) = self.next_task {
            m.push_str(&format!("；下次复核 {due}"));
        }
        m
    }
}

/// One task of the worklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTask {
    /// The task.
    pub id: i64,
    /// The enrolment reviewed.
    pub enrolment_id: i64,
    /// Its program.
    pub program: Program,
    /// The beneficiary's name.
    pub name: String,
    /// The community or village.
    pub region_code: String,
    /// The situation the interval was chosen for.
    pub category: Category,
    /// The interval, as copied from the parameter.
    pub interval_months: i64,
    /// The month the interval counts from.
    pub base_month: String,
    /// The month the review is due.
    pub due_month: String,
    /// Months past due (0 when due this month).
    pub overdue_months: i32,
    /// The current basis: members, income and supplements.
    pub members: i64,
    /// Current countable monthly income.
    pub counted_income: Fen,
    /// Current monthly supplements.
    pub supplement: Fen,
}

fn bad<T>(m: impl Into<String>) -> Result<T, BenefitsError> {
    Err(BenefitsError::Invalid(m.into()))
}

fn month_of(text: &str) -> Result<Month, BenefitsError> {
    Month::parse(text).map_err(|e| BenefitsError::Invalid(e.to_string()))
}

fn now() -> String {
    minzheng_store::format_instant(chrono::Utc::now())
}

/// The review interval for a program, category and region on the first day of `month`, with the
/// key it was read from.
pub fn interval(
    params: &ParamSet,
    program: Program,
    category: Category,
    region: &str,
    month: Month,
) -> Result<(i64, &'static str), BenefitsError> {
    let key = category.interval_key(program);
    let months = params
        .value_of(key, region, month.first_day())
        .map_err(|e| BenefitsError::Parameter(format!("{key}（{month}）：{e}")))?
        .value
        .as_months()
        .filter(|m| *m >= 1)
        .ok_or_else(|| BenefitsError::Parameter(format!("{key} 应为至少 1 个月")))?;
    Ok((months, key))
}

/// Whether the phase-out period applies to a household leaving dibao from `month`, and for how
/// many months (`dibao.phase_out.enabled`, `dibao.phase_out.months`).
pub fn phase_out(
    params: &ParamSet,
    region: &str,
    month: Month,
) -> Result<Option<i64>, BenefitsError> {
    let on = month.first_day();
    let enabled = params
        .value_of("dibao.phase_out.enabled", region, on)
        .and_then(|r| r.flag())
        .map_err(|e| {
            BenefitsError::Parameter(format!("dibao.phase_out.enabled（{month}）：{e}"))
        })?;
    if !enabled {
        return Ok(None);
    }
    let months = params
        .value_of("dibao.phase_out.months", region, on)
        .map_err(|e| BenefitsError::Parameter(format!("dibao.phase_out.months（{month}）：{e}")))?
        .value
        .as_months()
        .filter(|m| *m >= 0)
        .ok_or_else(|| BenefitsError::Parameter("dibao.phase_out.months 应为月数".into()))?;
    Ok(Some(months))
}

fn reviewed_program(code: &str) -> bool {
    matches!(code, "dibao_urban" | "dibao_rural")
}

/// The enrolment facts a task is created from.
struct Subject {
    enrolment_id: i64,
    program: Program,
    household_id: Option<i64>,
    region_code: String,
}

/// Creates the open task of an enrolment: due `interval` months after `base`, the interval read
/// on the first day of `rule_month`.
fn insert_task(
    tx: &mut Tx<'_>,
    who: &Principal,
    params: &ParamSet,
    s: &Subject,
    category: Category,
    base: Month,
    rule_month: Month,
) -> Result<(i64, Month), BenefitsError> {
    let (months, key) = interval(params, s.program, category, &s.region_code, rule_month)?;
    let due = base.plus(months as i32);
    let id: i64 = tx
        .query_one(
            "INSERT INTO review_task (enrolment_id, program, household_id, region_code, category,
                 interval_months, interval_key, base_month, due_month, status, scheduled_by, scheduled_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'due', $10, $11) RETURNING id",
            params![
                s.enrolment_id,
                s.program.code(),
                s.household_id,
                s.region_code,
                category.code(),
                months,
                key,
                base.to_string(),
                due.to_string(),
                who.username,
                now()
            ],
        )?
        .get(0)?;
    Ok((id, due))
}

fn scoped(who: &Principal, first: usize, column: &str) -> (String, Vec<String>) {
    who.scope().sql(column, first)
}

/// Sets the situation of an enrolment's household (what the interval of its reviews depends on).
/// An open task is re-dated from its base month with the new interval.
pub fn set_category(
    tx: &mut Tx<'_>,
    who: &Principal,
    enrolment_id: i64,
    category: Category,
    reason: &str,
) -> Result<(), BenefitsError> {
    who.require(Action::ReviewManage)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return bad("请写明家庭情况的依据（如调查记录）");
    }
    let (scope_sql, scope_values) = scoped(who, 2, "e.region_code");
    let mut values: Vec<&dyn ToValue> = vec![&enrolment_id];
    for v in &scope_values {
        values.push(v);
    }
    let row = tx
        .query_opt(
            &format!(
                "SELECT e.program, e.id_number, e.region_code, e.household_id, p.category
                 FROM enrolment e LEFT JOIN review_profile p ON p.enrolment_id = e.id
                 WHERE e.id = $1 AND {scope_sql}"
            ),
            &values,
        )?
        .ok_or_else(|| BenefitsError::Invalid("没有这条待遇记录，或它不在您的管辖范围内".into()))?;
    let program_code: String = row.get(0)?;
    if !reviewed_program(&program_code) {
        return bad("只有城乡低保家庭按家庭情况安排定期复核");
    }
    let program = Program::parse(&program_code)?;
    let id_number: String = row.get(1)?;
    let region: String = row.get(2)?;
    let before: Option<String> = row.get(4)?;
    let at = now();
    if before.is_some() {
        tx.execute(
            "UPDATE review_profile SET category = $2, reason = $3, set_by = $4, set_at = $5 WHERE enrolment_id = $1",
            params![enrolment_id, category.code(), reason, who.username, at],
        )?;
    } else {
        tx.execute(
            "INSERT INTO review_profile (enrolment_id, category, reason, set_by, set_at) VALUES ($1, $2, $3, $4, $5)",
            params![enrolment_id, category.code(), reason, who.username, at],
        )?;
    }
    // The open task, if any, follows the new situation.
    let open = tx.query_opt(
        "SELECT id, base_month FROM review_task WHERE enrolment_id = $1 AND status = 'due'",
        params![enrolment_id],
    )?;
    let mut redated = None;
    if let Some(t) = open {
        let task_id: i64 = t.get(0)?;
        let base = month_of(&t.get::<String>(1)?)?;
        let params = minzheng_reference::parameters::parameter_set(tx)?;
        let today = Month::of(minzheng_kernel::id_number::china_today());
        let (months, key) = interval(&params, program, category, &region, today)?;
        let due = base.plus(months as i32);
        tx.execute(
            "UPDATE review_task SET category = $2, interval_months = $3, interval_key = $4, due_month = $5
             WHERE id = $1",
            params![task_id, category.code(), months, key, due.to_string()],
        )?;
        redated = Some(due.to_string());
    }
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "benefits.review.category",
            record_type: "review_profile",
            record_id: enrolment_id.to_string(),
            subject_key: Some(audit::subject_key(tx, &id_number)?),
            before: before.map(|c| serde_json::json!({ "category": c })),
            after: Some(serde_json::json!({ "category": category.code() })),
            detail: serde_json::json!({ "reason": reason, "open_task_due": redated }),
        },
    )?;
    Ok(())
}

/// Schedules the next review of every active dibao enrolment in scope that started by `month` and
/// has no open task: due its interval after the last review (or the start month). The interval is
/// read as in force in `month`. Open tasks of benefits stopped or suspended since are cancelled.
/// Running it again changes nothing and says so; a run that changes something writes one audit row.
pub fn schedule(
    tx: &mut Tx<'_>,
    who: &Principal,
    month: Month,
) -> Result<ScheduleOutcome, BenefitsError> {
    who.require(Action::ReviewManage)?;
    let params = minzheng_reference::parameters::parameter_set(tx)?;
    let m = month.to_string();
    let mut out = ScheduleOutcome {
        month: m.clone(),
        ..ScheduleOutcome::default()
    };
    let at = now();

    // Open tasks whose benefit no longer runs on: cancelled.
    let (scope_sql, scope_values) = scoped(who, 1, "t.region_code");
    let values: Vec<&dyn ToValue> = scope_values.iter().map(|v| v as &dyn ToValue).collect();
    let stale = tx.query(
        &format!(
            "SELECT t.id FROM review_task t JOIN enrolment e ON e.id = t.enrolment_id
             WHERE t.status = 'due' AND (e.status <> 'active' OR e.end_month IS NOT NULL) AND {scope_sql}
             ORDER BY t.id"
        ),
        &values,
    )?;
    for row in &stale {
        let task_id: i64 = row.get(0)?;
        tx.execute(
            "UPDATE review_task SET status = 'cancelled', reason = $2, recorded_by = $3, recorded_at = $4
             WHERE id = $1 AND status = 'due'",
            params![task_id, "待遇已停止、暂停或已确定终止月份，复核任务取消", who.username, at],
        )?;
        out.cancelled += 1;
    }

    let (scope_sql, scope_values) = scoped(who, 2, "e.region_code");
    let mut values: Vec<&dyn ToValue> = vec![&m];
    for v in &scope_values {
        values.push(v);
    }
    let rows = tx.query(
        &format!(
            "SELECT e.id, e.program, e.household_id, e.region_code, e.start_month, e.end_month, p.category,
                    (SELECT MAX(t.review_month) FROM review_task t WHERE t.enrolment_id = e.id AND t.status = 'done'),
                    (SELECT COUNT(*) FROM review_task t WHERE t.enrolment_id = e.id AND t.status = 'due')
             FROM enrolment e LEFT JOIN review_profile p ON p.enrolment_id = e.id
             WHERE e.program IN ('dibao_urban', 'dibao_rural') AND e.status = 'active'
               AND e.start_month <= $1 AND {scope_sql}
             ORDER BY e.id"
        ),
        &values,
    )?;
    for row in rows {
        let open: i64 = row.get(8)?;
        if open > 0 {
            out.already_open += 1;
            continue;
        }
        let end: Option<String> = row.get(5)?;
        if end.is_some() {
            out.ending += 1;
            continue;
        }
        let s = Subject {
            enrolment_id: row.get(0)?,
            program: Program::parse(&row.get::<String>(1)?)?,
            household_id: row.get(2)?,
            region_code: row.get(3)?,
        };
        let category = match row.get::<Option<String>>(6)? {
            Some(c) => Category::parse(&c)?,
            None => {
                tx.execute(
                    "INSERT INTO review_profile (enrolment_id, category, reason, set_by, set_at)
                     VALUES ($1, $2, $3, $4, $5)",
                    params![
                        s.enrolment_id,
                        Category::Stable.code(),
                        "未登记家庭情况，安排复核时按“人员和收入相对稳定”登记",
                        who.username,
                        at
                    ],
                )?;
                out.profiles_created += 1;
                Category::Stable
            }
        };
        let last_review: Option<String> = row.get(7)?;
        let base = month_of(&last_review.unwrap_or(row.get::<String>(4)?))?;
        insert_task(tx, who, &params, &s, category, base, month)?;
        out.created += 1;
    }
    if out.changed() {
        audit::append(
            tx,
            &who.audit(),
            AuditEntry {
                action: "benefits.review.schedule",
                record_type: "review_task",
                record_id: m.clone(),
                subject_key: None,
                before: None,
                after: None,
                detail: serde_json::json!({
                    "month": m, "created": out.created, "already_open": out.already_open,
                    "profiles_created": out.profiles_created, "cancelled": out.cancelled, "ending": out.ending,
                }),
            },
        )?;
    }
    Ok(out)
}

/// Whether a district's payroll for a month has been computed.
fn computed(tx: &mut Tx<'_>, region: &str, month: Month) -> Result<bool, BenefitsError> {
    Ok(tx
        .query_opt(
            "SELECT id FROM payroll_cycle WHERE month = $1 AND district_code = $2",
            params![month.to_string(), &region[..6]],
        )?
        .is_some())
}

fn figures_text(f: &Figures) -> String {
    format!(
        "保障人数 {} 人，家庭月收入 {} 元，分类施保 {} 元",
        f.members,
        f.counted_income.yuan_string(),
        f.supplement.yuan_string()
    )
}

/// Records a review's outcome on an open task and acts on the enrolment from the month after the
/// review (see the module documentation); then schedules the next review when the benefit goes on.
/// The task, the enrolment, its event row and the audit row change in the caller's transaction.
pub fn record_outcome(
    tx: &mut Tx<'_>,
    who: &Principal,
    task_id: i64,
    f: &Finding,
) -> Result<Recorded, BenefitsError> {
    who.require(Action::ReviewManage)?;
    let reason = f.reason.trim().to_owned();
    let (scope_sql, scope_values) = scoped(who, 2, "e.region_code");
    let mut values: Vec<&dyn ToValue> = vec![&task_id];
    for v in &scope_values {
        values.push(v);
    }
    let row = tx
        .query_opt(
            &format!(
                "SELECT t.status, t.base_month, t.category, e.id, e.program, e.id_number, e.region_code,
                        e.status, e.start_month, e.end_month, e.members, e.counted_income_fen,
                        e.supplement_fen, e.care_tier, e.fixed_amount_fen, e.household_id
                 FROM review_task t JOIN enrolment e ON e.id = t.enrolment_id
                 WHERE t.id = $1 AND {scope_sql}"
            ),
            &values,
        )?
        .ok_or_else(|| BenefitsError::Invalid("没有这项复核任务，或它不在您的管辖范围内".into()))?;
    let task_status: String = row.get(0)?;
    if task_status != "due" {
        return Err(BenefitsError::Conflict(if task_status == "done" {
            "这项复核已登记结果，不能重复登记".into()
        } else {
            "这项复核任务已取消".into()
        }));
    }
    let base = month_of(&row.get::<String>(1)?)?;
    let category = Category::parse(&row.get::<String>(2)?)?;
    let enrolment_id: i64 = row.get(3)?;
    let program = Program::parse(&row.get::<String>(4)?)?;
    let id_number: String = row.get(5)?;
    let region: String = row.get(6)?;
    let status: String = row.get(7)?;
    let start = month_of(&row.get::<String>(8)?)?;
    let end: Option<String> = row.get(9)?;
    let care: Option<String> = row.get(13)?;
    let old = Basis {
        members: row.get(10)?,
        counted_income: Fen(row.get(11)?),
        supplement: Fen(row.get(12)?),
        care_tier: care.as_deref().map(CareTier::parse).transpose()?,
        fixed: Fen(row.get(14)?),
    };
    let household_id: Option<i64> = row.get(15)?;

    // The review month: after the last review, not in the future.
    let m = f.review_month;
    let e = m.plus(1);
    let this_month = Month::of(minzheng_kernel::id_number::china_today());
    if m > this_month {
        return bad(format!("复核月份 {m} 在本月之后"));
    }
    if m < start {
        return bad(format!("复核月份 {m} 早于待遇起始月份 {start}"));
    }
    if m <= base {
        return bad(format!(
            "复核月份 {m} 应晚于上次复核（或待遇起始）月份 {base}"
        ));
    }
    if status != "active" || end.is_some() {
        return Err(BenefitsError::Conflict(
            "这户的待遇已暂停、停止或已确定终止月份，不能登记复核结果；下次安排复核时此任务将取消"
                .into(),
        ));
    }
    if let Some(fig) = &f.figures {
        if fig.members < 1 {
            return bad("保障人数至少为 1");
        }
        if fig.counted_income.is_negative() || fig.supplement.is_negative() {
            return bad("家庭月收入和分类施保金额不能为负数");
        }
    }
    let needs_reason = matches!(f.outcome, Outcome::Suspend | Outcome::Stop);
    if needs_reason && reason.chars().count() < MIN_REASON_CHARS {
        return bad(format!(
            "{}须写明理由（至少 {MIN_REASON_CHARS} 个字）",
            f.outcome.name_zh()
        ));
    }

    let params = minzheng_reference::parameters::parameter_set(tx)?;
    let standards = Standards::read(&params, &region, e)?;
    let old_amount = monthly_amount(program, &old, &standards)?.map(|a| a.fen);
    let new_basis = f.figures.map(|fig| Basis {
        members: fig.members,
        counted_income: fig.counted_income,
        supplement: fig.supplement,
        ..old
    });
    let new_amount = match &new_basis {
        Some(b) => monthly_amount(program, b, &standards)?.map(|a| a.fen),
        None => None,
    };
    let at = now();
    let mut result = Recorded {
        task_id,
        outcome: f.outcome,
        effective_month: e,
        end_month: None,
        phase_out_months: None,
        new_amount: None,
        next_task: None,
    };
    let event_reason: String;
    let event_to: &str;
    let mut enrolment_after = serde_json::json!({});

    match f.outcome {
        Outcome::Unchanged => {
            if f.figures.is_some() {
                return bad(
                    "复核结果为“无变化”时不填写新的家庭情况；情况有变请选择增发、减发或停发",
                );
            }
            event_to = "active";
            event_reason = format!("定期复核（{m}）：无变化。{reason}");
        }
        Outcome::Increase | Outcome::Decrease => {
            let (Some(fig), Some(new_basis)) = (f.figures, new_basis) else {
                return bad("增发或减发须填写复核核定的保障人数、家庭月收入和分类施保金额");
            };
            let Some(new) = new_amount else {
                return bad(format!(
                    "按复核核定的情况（{}），家庭月收入已达到或超过低保标准，不再符合条件：请选择“停发”并写明理由",
                    figures_text(&fig)
                ));
            };
            let was = old_amount.unwrap_or(Fen(0));
            if f.outcome == Outcome::Increase && new.0 <= was.0 {
                return bad(format!(
                    "按复核核定的情况每月应发 {} 元，不高于现在的 {} 元，不是增发",
                    new.yuan_string(),
                    was.yuan_string()
                ));
            }
            if f.outcome == Outcome::Decrease && new.0 >= was.0 {
                return bad(format!(
                    "按复核核定的情况每月应发 {} 元，不低于现在的 {} 元，不是减发",
                    new.yuan_string(),
                    was.yuan_string()
                ));
            }
            // The payroll reads the enrolment when it computes a month: the new basis must be
            // written after the review month is computed and before the next one is.
            if computed(tx, &region, e)? {
                return Err(BenefitsError::Conflict(format!(
                    "{e} 的发放名册已经生成，调整无法从该月起生效：请按实际复核月份登记（不早于 {e}）"
                )));
            }
            if !computed(tx, &region, m)? {
                return Err(BenefitsError::Conflict(format!(
                    "{m} 的发放名册尚未生成：复核调整从次月（{e}）起生效，请在 {m} 名册生成后再登记，以免 {m} 按新的情况发放"
                )));
            }
            tx.execute(
                "UPDATE enrolment SET members = $2, counted_income_fen = $3, supplement_fen = $4, updated_at = $5
                 WHERE id = $1",
                params![
                    enrolment_id,
                    new_basis.members,
                    new_basis.counted_income.0,
                    new_basis.supplement.0,
                    at
                ],
            )?;
            result.new_amount = Some(new);
            event_to = "active";
            event_reason = format!(
                "定期复核（{m}）{}：{}（原为保障人数 {} 人，家庭月收入 {} 元，分类施保 {} 元）；每月 {} 元 → {} 元，自 {e} 起。{reason}",
                f.outcome.name_zh(),
                figures_text(&fig),
                old.members,
                old.counted_income.yuan_string(),
                old.supplement.yuan_string(),
                was.yuan_string(),
                new.yuan_string()
            );
            enrolment_after = serde_json::json!({
                "members": new_basis.members, "counted_income_fen": new_basis.counted_income.0,
                "supplement_fen": new_basis.supplement.0,
            });
        }
        Outcome::Suspend => {
            // The suspension writes its own event and audit rows.
            enrolments::suspend(
                tx,
                who,
                enrolment_id,
                e,
                &format!("定期复核（{m}）：{reason}"),
            )?;
            event_to = "suspended";
            event_reason = String::new();
        }
        Outcome::Stop => {
            // Income at or above the standard: the phase-out period, when in force from `e`.
            let over_standard = f.figures.is_some() && new_amount.is_none();
            let phase = if over_standard {
                phase_out(&params, &region, e)?
            } else {
                None
            };
            let last = match phase {
                Some(months) => m.plus(months as i32),
                None => m,
            };
            result.phase_out_months = phase;
            result.end_month = Some(last);
            // Stopped outright once nothing is left to pay; otherwise it runs on to its end month.
            let stopped = last == m && computed(tx, &region, m)?;
            let new_status = if stopped { "stopped" } else { "active" };
            let why = match (over_standard, phase) {
                (true, Some(p)) => format!(
                    "家庭月收入已达到或超过低保标准（{}），给予渐退期 {p} 个月（{e} 至 {last}），自 {} 起停发",
                    figures_text(f.figures.as_ref().expect("figures checked above")),
                    last.plus(1)
                ),
                (true, None) => format!(
                    "家庭月收入已达到或超过低保标准（{}）；{e} 时不适用渐退期，自 {e} 起停发",
                    figures_text(f.figures.as_ref().expect("figures checked above"))
                ),
                (false, _) => format!("自 {e} 起停发"),
            };
            tx.execute(
                "UPDATE enrolment SET status = $2, end_month = $3, reason = $4, updated_at = $5 WHERE id = $1",
                params![
                    enrolment_id,
                    new_status,
                    last.to_string(),
                    format!("定期复核停发：{reason}"),
                    at
                ],
            )?;
            event_to = new_status;
            event_reason = format!("定期复核（{m}）停发：{why}。理由：{reason}");
            enrolment_after =
                serde_json::json!({ "status": new_status, "end_month": last.to_string() });
        }
    }
    if f.outcome != Outcome::Suspend {
        tx.execute(
            "INSERT INTO enrolment_event (enrolment_id, at, actor, from_status, to_status, effective_month, reason)
             VALUES ($1, $2, $3, 'active', $4, $5, $6)",
            params![
                enrolment_id,
                at,
                who.username,
                event_to,
                e.to_string(),
                event_reason
            ],
        )?;
    }
    let fig = f.figures;
    tx.execute(
        "UPDATE review_task SET status = 'done', review_month = $2, outcome = $3, reason = $4, new_members = $5,
             new_counted_income_fen = $6, new_supplement_fen = $7, old_amount_fen = $8, new_amount_fen = $9,
             effective_month = $10, end_month = $11, phase_out_months = $12, recorded_by = $13, recorded_at = $14
         WHERE id = $1 AND status = 'due'",
        params![
            task_id,
            m.to_string(),
            f.outcome.code(),
            reason,
            fig.map(|x| x.members),
            fig.map(|x| x.counted_income.0),
            fig.map(|x| x.supplement.0),
            old_amount.map(|a| a.0),
            new_amount.map(|a| a.0),
            e.to_string(),
            result.end_month.map(|x| x.to_string()),
            result.phase_out_months,
            who.username,
            at
        ],
    )?;

    // The benefit goes on: the next review, from this one.
    if matches!(
        f.outcome,
        Outcome::Unchanged | Outcome::Increase | Outcome::Decrease
    ) {
        let s = Subject {
            enrolment_id,
            program,
            household_id,
            region_code: region.clone(),
        };
        result.next_task = Some(insert_task(tx, who, &params, &s, category, m, m)?);
    }
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "benefits.review.record",
            record_type: "review_task",
            record_id: task_id.to_string(),
            subject_key: Some(audit::subject_key(tx, &id_number)?),
            before: Some(serde_json::json!({
                "status": "due", "members": old.members, "counted_income_fen": old.counted_income.0,
                "supplement_fen": old.supplement.0,
            })),
            after: Some(serde_json::json!({
                "status": "done", "outcome": f.outcome.code(), "enrolment": enrolment_after,
            })),
            detail: serde_json::json!({
                "enrolment_id": enrolment_id, "review_month": m.to_string(), "effective_month": e.to_string(),
                "end_month": result.end_month.map(|x| x.to_string()), "phase_out_months": result.phase_out_months,
                "next_due": result.next_task.map(|(_, d)| d.to_string()),
            }),
        },
    )?;
    Ok(result)
}

/// The worklist: open tasks in scope due by `month`, most overdue first.
pub fn due(tx: &mut Tx<'_>, who: &Principal, month: Month) -> Result<Vec<DueTask>, BenefitsError> {
    who.require(Action::ReviewManage)?;
    let m = month.to_string();
    let (scope_sql, scope_values) = scoped(who, 2, "t.region_code");
    let mut values: Vec<&dyn ToValue> = vec![&m];
    for v in &scope_values {
        values.push(v);
    }
    let rows = tx.query(
        &format!(
            "SELECT t.id, t.enrolment_id, t.program, e.name, t.region_code, t.category, t.interval_months,
                    t.base_month, t.due_month, e.members, e.counted_income_fen, e.supplement_fen
             FROM review_task t JOIN enrolment e ON e.id = t.enrolment_id
             WHERE t.status = 'due' AND t.due_month <= $1 AND {scope_sql}
             ORDER BY t.due_month, t.region_code, t.id"
        ),
        &values,
    )?;
    // Names whole only to a role that may see personal data whole, as every list of the area.
    let unmask = who.can(Action::PersonUnmask);
    rows.into_iter()
        .map(|r| {
            let due_month: String = r.get(8)?;
            let name: String = r.get(3)?;
            Ok(DueTask {
                id: r.get(0)?,
                enrolment_id: r.get(1)?,
                program: Program::parse(&r.get::<String>(2)?)?,
                name: if unmask {
                    name
                } else {
                    minzheng_kernel::mask::name(&name)
                },
                region_code: r.get(4)?,
                category: Category::parse(&r.get::<String>(5)?)?,
                interval_months: r.get(6)?,
                base_month: r.get(7)?,
                overdue_months: month_of(&due_month)?.months_until(month),
                due_month,
                members: r.get(9)?,
                counted_income: Fen(r.get(10)?),
                supplement: Fen(r.get(11)?),
            })
        })
        .collect()
}
