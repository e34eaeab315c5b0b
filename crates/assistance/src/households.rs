//! Households and their members (RULES.md §1.2), incomes by kind and month, assets, possible
//! duplicates, and the register of staff relatives (重庆条例 art. 33).
//!
//! One person is an active member of one household only: the unique index
//! `household_member_one_active` enforces it even against racing writers.

use crate::rules::{self, EXCLUSIONS, RELATIONS};
use crate::{AssistanceError, now_text};
use chrono::{Datelike, NaiveDate};
use minzheng_access::{Action, Principal};
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::params::ParamSet;
use minzheng_kernel::pinyin_keys::{NameKind, search_keys};
use minzheng_kernel::region::{RegionCode, RegionLevel, RegionTree};
use minzheng_store::audit::{self, AuditEntry, subject_key};
use minzheng_store::{Tx, params};
use serde::Serialize;

pub(crate) fn audit(
    tx: &mut Tx<'_>,
    who: &Principal,
    action: &str,
    record_type: &str,
    record_id: i64,
    subject: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), AssistanceError> {
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action,
            record_type,
            record_id: record_id.to_string(),
            subject_key: subject.map(|n| subject_key(tx, n)).transpose()?,
            before: None,
            after: None,
            detail,
        },
    )?;
    Ok(())
}

/// A 12-digit community or village code inside the user's scope, or a clear refusal.
pub(crate) fn community_code(who: &Principal, input: &str) -> Result<String, AssistanceError> {
    let code = RegionCode::parse(input)
        .map_err(|e| AssistanceError::Invalid(format!("社区（村）代码有误：{e}")))?;
    if code.level() != RegionLevel::Community {
        return Err(AssistanceError::Invalid(
            "请填写 12 位社区（村）代码：家庭登记在社区或村".into(),
        ));
    }
    let text = format!("{:012}", code.as_u64());
    if RegionTree::chongqing().lookup(code).is_err() {
        return Err(AssistanceError::Invalid(format!(
            "社区（村）代码 {text} 不存在"
        )));
    }
    if !who.scope().contains(&text) {
        return Err(AssistanceError::Invalid(format!(
            "社区（村）{text} 不在您的辖区内"
        )));
    }
    Ok(text)
}

/// The name of a region (for pages), or the code itself.
pub fn region_name(code: &str) -> String {
    RegionCode::parse(code)
        .ok()
        .and_then(|c| {
            RegionTree::chongqing()
                .name_path(c, minzheng_kernel::id_number::china_today())
                .ok()
        })
        .map(|p| p.trim_start_matches("重庆市/").to_owned())
        .unwrap_or_else(|| code.to_owned())
}

fn next_id(tx: &mut Tx<'_>, table: &str) -> Result<i64, AssistanceError> {
    // household and person ids come from the registry's own numbering (0004 has no sequence, and the
    // generator writes explicit ids). On PostgreSQL two registrations could read the same maximum:
    // a transaction-level advisory lock per table makes them take turns (SQLite writers already do).
    if tx.backend() == minzheng_store::Backend::Postgres {
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            params![format!("minzheng.next_id.{table}")],
        )?;
    }
    let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}");
    Ok(tx.query_one(&sql, params![])?.get(0)?)
}

/// What a new household needs.
#[derive(Debug, Clone, Default)]
pub struct NewHousehold {
    /// 12-digit community or village code.
    pub region_code: String,
    /// Street address.
    pub address: String,
}

/// Registers a household in a community of the user's scope; urban or rural follows the code.
pub fn create_household(
    tx: &mut Tx<'_>,
    who: &Principal,
    input: &NewHousehold,
) -> Result<i64, AssistanceError> {
    who.require(Action::HouseholdManage)?;
    let region = community_code(who, &input.region_code)?;
    insert_household(tx, who, &region, &input.address)
}

pub(crate) fn insert_household(
    tx: &mut Tx<'_>,
    who: &Principal,
    region: &str,
    address: &str,
) -> Result<i64, AssistanceError> {
    let address = address.trim();
    if address.chars().count() < 4 || address.chars().count() > 200 {
        return Err(AssistanceError::Invalid(
            "请填写家庭住址（4 至 200 字）".into(),
        ));
    }
    let code = RegionCode::parse(region).map_err(|e| AssistanceError::Invalid(e.to_string()))?;
    let area = if code.is_village() { "rural" } else { "urban" };
    let id = next_id(tx, "household")?;
    tx.execute(
        "INSERT INTO household (id, region_code, area_type, address, deposits_fen, vehicles, housing_units, origin, created_at)
         VALUES ($1, $2, $3, $4, 0, 0, 0, 'assistance', $5)",
        params![id, region, area, address, now_text()],
    )?;
    audit(
        tx,
        who,
        "household.create",
        "household",
        id,
        None,
        serde_json::json!({ "region_code": region, "area_type": area }),
    )?;
    Ok(id)
}

/// What a new member needs.
#[derive(Debug, Clone, Default)]
pub struct NewMember {
    /// ID number (GB 11643, strict).
    pub id_number: String,
    /// Name as on the ID card.
    pub name: String,
    /// Relation to the head (`rules::RELATIONS`).
    pub relation: String,
    /// Lives with the household.
    pub co_resident: bool,
    /// Why not counted (`rules::EXCLUSIONS`), `none` when counted.
    pub exclusion: String,
    /// Since when the exclusion applies (clergy away: years are counted from it).
    pub exclusion_since: Option<NaiveDate>,
    /// Counted separately (分户): an adult who lost labour capacity through severe disability or illness.
    pub separate_household: bool,
    /// Disability grade 1–4, if certified.
    pub disability_grade: Option<u8>,
    /// Seriously ill.
    pub serious_illness: bool,
    /// In school.
    pub student: bool,
}

/// What adding a member did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberAdded {
    /// The person's id.
    pub person_id: i64,
    /// How many possible duplicates were flagged for a person to decide.
    pub duplicates_flagged: usize,
}

fn check_member(
    input: &NewMember,
    today: NaiveDate,
    p: &ParamSet,
    region: &str,
) -> Result<IdNumber, AssistanceError> {
    let id = IdNumber::parse_strict(&input.id_number, today)
        .map_err(|e| AssistanceError::Invalid(format!("身份证号码有误：{e}")))?;
    let name = input.name.trim();
    let ok = (2..=20).contains(&name.chars().count())
        && name.chars().all(|c| !c.is_ascii_digit() && !c.is_control());
    if !ok {
        return Err(AssistanceError::Invalid(
            "请填写身份证上的姓名（2 至 20 个字）".into(),
        ));
    }
    if rules::label(RELATIONS, &input.relation).is_empty() {
        return Err(AssistanceError::Invalid("请选择与户主关系".into()));
    }
    if rules::label(EXCLUSIONS, &input.exclusion).is_empty() {
        return Err(AssistanceError::Invalid("不计入家庭成员的原因无效".into()));
    }
    if input.exclusion != "none" && input.exclusion_since.is_none() {
        return Err(AssistanceError::Invalid(
            "不计入的成员请填写该情形的起始日期".into(),
        ));
    }
    if let Some(g) = input.disability_grade
        && !(1..=4).contains(&g)
    {
        return Err(AssistanceError::Invalid("残疾等级应为 1 至 4 级".into()));
    }
    if input.separate_household {
        let allowed = p
            .value_of(
                "dibao.household.allow_separate_disabled_adult",
                region,
                today,
            )
            .ok()
            .and_then(|r| r.flag().ok())
            .unwrap_or(false);
        let adult = id.age_on(today).is_some_and(|a| a >= 18);
        let qualifies =
            adult && (input.disability_grade.is_some_and(|g| g <= 2) || input.serious_illness);
        if !allowed || !qualifies {
            return Err(AssistanceError::Invalid(
                "只有丧失劳动能力的成年重度残疾或重病人员可以分户计算".into(),
            ));
        }
    }
    Ok(id)
}

/// Loads a household's region, if it is in the user's scope.
pub(crate) fn household_region(
    tx: &mut Tx<'_>,
    who: &Principal,
    household_id: i64,
) -> Result<String, AssistanceError> {
    let (cond, vals) = who.scope().sql("region_code", 2);
    let sql = format!("SELECT region_code FROM household WHERE id = $1 AND {cond}");
    let mut ps: Vec<&dyn minzheng_store::ToValue> = vec![&household_id];
    for v in &vals {
        ps.push(v);
    }
    tx.query_opt(&sql, &ps)?
        .map(|r| r.get::<String>(0))
        .transpose()?
        .ok_or(AssistanceError::NotFound)
}

/// Adds a member to a household of the user's scope. Refused when the person is already active
/// in another household; possible duplicates (same name and birth date, or same pinyin and a
/// near birth date) are flagged, not refused.
pub fn add_member(
    tx: &mut Tx<'_>,
    who: &Principal,
    household_id: i64,
    input: &NewMember,
    today: NaiveDate,
) -> Result<MemberAdded, AssistanceError> {
    who.require(Action::HouseholdManage)?;
    let region = household_region(tx, who, household_id)?;
    insert_member(tx, who, household_id, &region, input, today)
}

pub(crate) fn insert_member(
    tx: &mut Tx<'_>,
    who: &Principal,
    household_id: i64,
    region: &str,
    input: &NewMember,
    today: NaiveDate,
) -> Result<MemberAdded, AssistanceError> {
    let params_set = crate::param_set(tx)?;
    let id = check_member(input, today, &params_set, region)?;
    let number = id.as_str().to_owned();
    let name = input.name.trim().to_owned();
    let existing = tx.query_opt(
        "SELECT p.id, m.household_id FROM person p
         LEFT JOIN household_member m ON m.person_id = p.id AND m.active
         WHERE p.id_number = $1",
        params![number],
    )?;
    let person_id = match existing {
        Some(r) => {
            let pid: i64 = r.get(0)?;
            if let Some(other) = r.get::<Option<i64>>(1)? {
                return Err(AssistanceError::Invalid(if other == household_id {
                    format!("{} 已是本户成员", minzheng_kernel::mask::id_number(&number))
                } else if who.role == minzheng_access::Role::Citizen {
                    // A citizen is not told which household, or anything else about it.
                    format!(
                        "{} 已在其他家庭登记在册，不能在网上列为本户成员；请到街道或社区窗口办理",
                        minzheng_kernel::mask::id_number(&number)
                    )
                } else {
                    format!(
                        "{} 已是另一户（家庭编号 {other}）的在册成员；同一人只能在一户中在册，请先办理迁出",
                        minzheng_kernel::mask::id_number(&number)
                    )
                }));
            }
            tx.execute(
                "UPDATE person SET household_id = $1, region_code = $2, relation = $3, name = $4,
                 disability_level = $5, serious_illness = $6, student = $7 WHERE id = $8",
                params![
                    household_id,
                    region,
                    input.relation,
                    name,
                    input.disability_grade.map(i64::from),
                    input.serious_illness,
                    input.student,
                    pid
                ],
            )?;
            pid
        }
        None => {
            let pid = next_id(tx, "person")?;
            let sex = match id.sex() {
                minzheng_kernel::id_number::Sex::Male => "male",
                minzheng_kernel::id_number::Sex::Female => "female",
            };
            tx.execute(
                "INSERT INTO person (id, household_id, id_number, name, search_keys, sex, birth_date, relation,
                 hukou_region, region_code, monthly_income_fen, disability_kind, disability_level, serious_illness,
                 student, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $13, $14, $15)",
                params![
                    pid,
                    household_id,
                    number,
                    name,
                    search_keys(&name, NameKind::Person).to_index_string(),
                    sex,
                    id.birth_date().to_string(),
                    input.relation,
                    id.region_code().to_owned(),
                    region,
                    input.disability_grade.map(|_| "certified".to_owned()),
                    input.disability_grade.map(i64::from),
                    input.serious_illness,
                    input.student,
                    now_text()
                ],
            )?;
            pid
        }
    };
    let inserted = tx.execute(
        "INSERT INTO household_member (household_id, person_id, relation, co_resident, exclusion, exclusion_since,
         separate_household, active, joined_on, left_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, NULL, $9)",
        params![
            household_id,
            person_id,
            input.relation,
            input.co_resident,
            input.exclusion,
            input.exclusion_since.map(|d| d.to_string()),
            input.separate_household,
            today.to_string(),
            now_text()
        ],
    );
    if let Err(e) = inserted {
        if e.is_unique_violation() {
            return Err(AssistanceError::Invalid(
                "该成员已是另一户的在册成员；同一人只能在一户中在册".into(),
            ));
        }
        return Err(e.into());
    }
    let flagged = flag_duplicates(
        tx,
        person_id,
        &name,
        id.birth_date(),
        region,
        &params_set,
        today,
    )?;
    audit(
        tx,
        who,
        "household.member_add",
        "household",
        household_id,
        Some(&number),
        serde_json::json!({ "person_id": person_id, "relation": input.relation, "exclusion": input.exclusion }),
    )?;
    Ok(MemberAdded {
        person_id,
        duplicates_flagged: flagged,
    })
}

fn flag_duplicates(
    tx: &mut Tx<'_>,
    person_id: i64,
    name: &str,
    birth: NaiveDate,
    region: &str,
    p: &ParamSet,
    today: NaiveDate,
) -> Result<usize, AssistanceError> {
    let near = p
        .value_of("person.duplicate.near_birth_days", region, today)
        .ok()
        .and_then(|r| r.value.as_days())
        .unwrap_or(31);
    let keys = search_keys(name, NameKind::Person);
    let pinyin = keys.full.first().cloned().unwrap_or_default();
    let pattern = format!("%|{pinyin}|%");
    let lo = (birth - chrono::Duration::days(near)).to_string();
    let hi = (birth + chrono::Duration::days(near)).to_string();
    let rows = tx.query(
        "SELECT id, name, birth_date FROM person WHERE birth_date >= $1 AND birth_date <= $2 AND id <> $3
         AND ((name = $4 AND birth_date = $5) OR search_keys LIKE $6) LIMIT 20",
        params![lo, hi, person_id, name, birth.to_string(), pattern],
    )?;
    let mut n = 0;
    for r in rows {
        let other: i64 = r.get(0)?;
        let other_name: String = r.get(1)?;
        let other_birth: String = r.get(2)?;
        let reason = if other_name == name && other_birth == birth.to_string() {
            "姓名、出生日期相同"
        } else {
            "姓名拼音相同、出生日期相近"
        };
        let done = tx.execute(
            "INSERT INTO person_duplicate (person_id, other_person_id, region_code, reason, status, decided_by, decided_at, created_at)
             SELECT $1, $2, $3, $4, 'open', NULL, NULL, $5
             WHERE NOT EXISTS (SELECT 1 FROM person_duplicate WHERE person_id = $1 AND other_person_id = $2)",
            params![person_id, other, region, reason, now_text()],
        )?;
        n += done as usize;
    }
    Ok(n)
}

/// A person decides a flagged pair: `same` (one person, two records) or `different`.
pub fn decide_duplicate(
    tx: &mut Tx<'_>,
    who: &Principal,
    duplicate_id: i64,
    same: bool,
) -> Result<(), AssistanceError> {
    who.require(Action::HouseholdManage)?;
    let (cond, vals) = who.scope().sql("region_code", 2);
    let sql =
        format!("SELECT id FROM person_duplicate WHERE id = $1 AND status = 'open' AND {cond}");
    let mut ps: Vec<&dyn minzheng_store::ToValue> = vec![&duplicate_id];
    for v in &vals {
        ps.push(v);
    }
    if tx.query_opt(&sql, &ps)?.is_none() {
        return Err(AssistanceError::NotFound);
    }
    let status = if same { "same" } else { "different" };
    tx.execute(
        "UPDATE person_duplicate SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4",
        params![status, who.username, now_text(), duplicate_id],
    )?;
    audit(
        tx,
        who,
        "person_duplicate.decide",
        "person_duplicate",
        duplicate_id,
        None,
        serde_json::json!({ "status": status }),
    )
}

/// Ends a membership (moved out, died): the person may then join another household.
pub fn remove_member(
    tx: &mut Tx<'_>,
    who: &Principal,
    household_id: i64,
    person_id: i64,
    today: NaiveDate,
) -> Result<(), AssistanceError> {
    who.require(Action::HouseholdManage)?;
    household_region(tx, who, household_id)?;
    let n = tx.execute(
        "UPDATE household_member SET active = FALSE, left_on = $1 WHERE household_id = $2 AND person_id = $3 AND active",
        params![today.to_string(), household_id, person_id],
    )?;
    if n == 0 {
        return Err(AssistanceError::NotFound);
    }
    audit(
        tx,
        who,
        "household.member_remove",
        "household",
        household_id,
        None,
        serde_json::json!({ "person_id": person_id }),
    )
}

/// A month `YYYY-MM`, checked: a real month, not after the current one.
pub fn parse_month(s: &str, today: NaiveDate) -> Result<NaiveDate, AssistanceError> {
    let bad =
        || AssistanceError::Invalid(format!("月份“{}”无效：应为 YYYY-MM，如 2020-01", s.trim()));
    let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
    if y < 1990 || (y, m) > (today.year(), today.month()) {
        return Err(AssistanceError::Invalid(format!(
            "月份“{}”不可能：收入月份不能晚于本月",
            s.trim()
        )));
    }
    Ok(first)
}

/// What a new income line needs.
#[derive(Debug, Clone, Default)]
pub struct NewIncome {
    /// The member it belongs to, if any.
    pub person_id: Option<i64>,
    /// Kind (`rules::INCOME_KINDS`).
    pub kind: String,
    /// Month `YYYY-MM`.
    pub month: String,
    /// Amount in yuan as typed.
    pub amount: String,
    /// Note.
    pub note: String,
}

/// Whether an income kind counts in the month (fixed exclusions, then the dated parameters).
pub fn income_countable(kind: &str, p: &ParamSet, region: &str, month: NaiveDate) -> bool {
    if rules::NEVER_COUNTED.contains(&kind) {
        return false;
    }
    let flag = |key: &str| {
        p.value_of(key, region, month)
            .ok()
            .and_then(|r| r.flag().ok())
    };
    match kind {
        "resident_basic_pension" => {
            !flag("dibao.income.exclude_resident_basic_pension").unwrap_or(false)
        }
        "disability_subsidy" => flag("disability_subsidy.counts_as_dibao_income").unwrap_or(false),
        _ => true,
    }
}

/// Records an income of a month. Negative amounts and impossible months are refused.
pub fn add_income(
    tx: &mut Tx<'_>,
    who: &Principal,
    household_id: i64,
    input: &NewIncome,
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    who.require(Action::HouseholdManage)?;
    let region = household_region(tx, who, household_id)?;
    if rules::label(rules::INCOME_KINDS, &input.kind).is_empty() {
        return Err(AssistanceError::Invalid("请选择收入类型".into()));
    }
    let month = parse_month(&input.month, today)?;
    let amount = Fen::parse_yuan_within(&input.amount, rules::INCOME_MAX)
        .map_err(|e| AssistanceError::Invalid(format!("收入金额有误：{e}")))?;
    if amount.is_negative() {
        return Err(AssistanceError::Invalid("收入金额不能为负数".into()));
    }
    if let Some(pid) = input.person_id {
        let member = tx.query_opt(
            "SELECT 1 FROM household_member WHERE household_id = $1 AND person_id = $2 AND active",
            params![household_id, pid],
        )?;
        if member.is_none() {
            return Err(AssistanceError::Invalid("该人员不是本户在册成员".into()));
        }
    }
    let p = crate::param_set(tx)?;
    let countable = income_countable(&input.kind, &p, &region, month);
    let id: i64 = tx
        .query_one(
            "INSERT INTO household_income (household_id, person_id, kind, month, amount_fen, countable, note, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            params![
                household_id,
                input.person_id,
                input.kind,
                month.format("%Y-%m").to_string(),
                amount.0,
                countable,
                input.note.trim(),
                who.username,
                now_text()
            ],
        )?
        .get(0)?;
    audit(
        tx,
        who,
        "household.income_add",
        "household",
        household_id,
        None,
        serde_json::json!({ "income_id": id, "kind": input.kind, "month": month.format("%Y-%m").to_string(), "countable": countable }),
    )?;
    Ok(id)
}

/// What a new asset line needs.
#[derive(Debug, Clone, Default)]
pub struct NewAsset {
    /// Kind (`rules::ASSET_KINDS`).
    pub kind: String,
    /// What it is.
    pub description: String,
    /// Value in yuan as typed.
    pub value: String,
    /// Exempt (a disabled person's mobility vehicle).
    pub exempt: bool,
    /// Valuation date.
    pub as_of: NaiveDate,
}

/// Records an asset as of a date.
pub fn add_asset(
    tx: &mut Tx<'_>,
    who: &Principal,
    household_id: i64,
    input: &NewAsset,
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    who.require(Action::HouseholdManage)?;
    household_region(tx, who, household_id)?;
    if rules::label(rules::ASSET_KINDS, &input.kind).is_empty() {
        return Err(AssistanceError::Invalid("请选择财产类型".into()));
    }
    let value = Fen::parse_yuan_within(&input.value, rules::ASSET_MAX)
        .map_err(|e| AssistanceError::Invalid(format!("财产价值有误：{e}")))?;
    if value.is_negative() {
        return Err(AssistanceError::Invalid("财产价值不能为负数".into()));
    }
    if input.as_of > today {
        return Err(AssistanceError::Invalid("财产登记日期不能晚于今天".into()));
    }
    if input.exempt && input.kind != "vehicle" {
        return Err(AssistanceError::Invalid(
            "只有残疾人功能性补偿代步机动车辆可以不计入财产".into(),
        ));
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO household_asset (household_id, kind, description, value_fen, exempt, as_of, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            params![household_id, input.kind, input.description.trim(), value.0, input.exempt, input.as_of.to_string(), who.username, now_text()],
        )?
        .get(0)?;
    audit(
        tx,
        who,
        "household.asset_add",
        "household",
        household_id,
        None,
        serde_json::json!({ "asset_id": id, "kind": input.kind }),
    )?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
/// Registers a relative of assistance staff or a community cadre (近亲属备案): their applications
/// are flagged and need the district's home visit.
pub fn register_relative(
    tx: &mut Tx<'_>,
    who: &Principal,
    relative_id_number: &str,
    relative_name: &str,
    staff_name: &str,
    staff_position: &str,
    relation: &str,
    today: NaiveDate,
) -> Result<i64, AssistanceError> {
    who.require(Action::CaseHandle)?;
    let id = IdNumber::parse_strict(relative_id_number, today)
        .map_err(|e| AssistanceError::Invalid(format!("身份证号码有误：{e}")))?;
    if staff_name.trim().is_empty() || relative_name.trim().is_empty() || relation.trim().is_empty()
    {
        return Err(AssistanceError::Invalid(
            "请填写工作人员姓名、亲属姓名和关系".into(),
        ));
    }
    let rid = tx.query_one(
        "INSERT INTO staff_relative (relative_id_number, relative_name, staff_name, staff_position, relation, region_code, registered_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        params![id.as_str(), relative_name.trim(), staff_name.trim(), staff_position.trim(), relation.trim(), who.scope_code, who.username, now_text()],
    );
    let rid: i64 = match rid {
        Ok(r) => r.get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(AssistanceError::Invalid("该亲属关系已备案".into()));
        }
        Err(e) => return Err(e.into()),
    };
    // Open applications of the relative's household are flagged now too.
    tx.execute(
        "UPDATE assistance_application SET close_relative = TRUE WHERE is_open AND household_id IN
         (SELECT m.household_id FROM household_member m JOIN person p ON p.id = m.person_id
          WHERE p.id_number = $1 AND m.active)",
        params![id.as_str()],
    )?;
    audit(
        tx,
        who,
        "staff_relative.register",
        "staff_relative",
        rid,
        Some(id.as_str()),
        serde_json::json!({ "staff": staff_name.trim() }),
    )?;
    Ok(rid)
}

/// One member as the household page and the amount calculation see them.
#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    /// Person id.
    pub person_id: i64,
    /// Name.
    pub name: String,
    /// ID number (whole; pages mask it unless the viewer may unmask).
    pub id_number: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Relation id.
    pub relation: String,
    /// Lives with the household.
    pub co_resident: bool,
    /// Exclusion id.
    pub exclusion: String,
    /// Since when.
    pub exclusion_since: Option<NaiveDate>,
    /// Counted separately.
    pub separate_household: bool,
    /// Disability grade.
    pub disability_grade: Option<u8>,
    /// Seriously ill.
    pub serious_illness: bool,
    /// Student.
    pub student: bool,
}

/// Whether a member counts in the household on a date (RULES.md §1.2, dated parameters), with the
/// reason when not.
pub fn counted(m: &MemberView, p: &ParamSet, region: &str, on: NaiveDate) -> Result<(), String> {
    if m.separate_household {
        return Err("分户计算".into());
    }
    let flag = |key: &str| {
        p.value_of(key, region, on)
            .ok()
            .and_then(|r| r.flag().ok())
            .unwrap_or(false)
    };
    let excluded = match m.exclusion.as_str() {
        "none" => false,
        "unmarried_soldier" => flag("dibao.household.exclude_unmarried_soldier"),
        "prisoner" => flag("dibao.household.exclude_prisoner"),
        "compulsory_rehab" => flag("dibao.household.exclude_compulsory_rehab"),
        "declared_missing" => flag("dibao.household.exclude_declared_missing"),
        "clergy_away" => {
            let years = p
                .value_of("dibao.household.clergy_away.min_years", region, on)
                .ok()
                .and_then(|r| r.value.as_years())
                .unwrap_or(1);
            m.exclusion_since
                .is_some_and(|since| crate::amounts::age_on(since, on) >= years)
        }
        _ => false,
    };
    if excluded {
        return Err(rules::label(EXCLUSIONS, &m.exclusion).to_owned());
    }
    let minor = crate::amounts::age_on(m.birth_date, on) < 18;
    let core = matches!(m.relation.as_str(), "head" | "spouse") || (m.relation == "child" && minor);
    if !m.co_resident && !core {
        return Err("不共同生活".into());
    }
    Ok(())
}

/// The active members of a household.
pub fn members(tx: &mut Tx<'_>, household_id: i64) -> Result<Vec<MemberView>, AssistanceError> {
    let rows = tx.query(
        "SELECT p.id, p.name, p.id_number, p.birth_date, m.relation, m.co_resident, m.exclusion, m.exclusion_since,
         m.separate_household, p.disability_level, p.serious_illness, p.student
         FROM household_member m JOIN person p ON p.id = m.person_id
         WHERE m.household_id = $1 AND m.active ORDER BY m.id",
        params![household_id],
    )?;
    let date = |s: String| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|e| AssistanceError::Internal(e.to_string()))
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(MemberView {
            person_id: r.get(0)?,
            name: r.get(1)?,
            id_number: r.get(2)?,
            birth_date: date(r.get(3)?)?,
            relation: r.get(4)?,
            co_resident: r.get(5)?,
            exclusion: r.get(6)?,
            exclusion_since: r.get::<Option<String>>(7)?.map(date).transpose()?,
            separate_household: r.get(8)?,
            disability_grade: r.get::<Option<i64>>(9)?.and_then(|g| u8::try_from(g).ok()),
            serious_illness: r.get(10)?,
            student: r.get(11)?,
        });
    }
    Ok(out)
}

/// The household's countable income of a month, in fen.
pub fn countable_income(
    tx: &mut Tx<'_>,
    household_id: i64,
    month: &str,
) -> Result<Fen, AssistanceError> {
    let v: Option<i64> = tx
        .query_one(
            "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM household_income WHERE household_id = $1 AND month = $2 AND countable",
            params![household_id, month],
        )?
        .get(0)?;
    Ok(Fen(v.unwrap_or(0)))
}
