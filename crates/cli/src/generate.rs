//! `minzheng generate`: writes a synthetic population (households and their members) into an empty
//! population registry, with the benefit enrolments its households qualify for, for demos and load
//! tests. All or nothing: one transaction, so a crash or an interrupt leaves no half-written scale
//! behind; a second run is refused and changes nothing.
//!
//! The enrolments follow the programs' rules as of today, with a 24-month history: each starts in
//! one of the 24 months before this one, and about one in twelve has already ended (income rose
//! above the standard), so that past months can be recomputed and reported.

use minzheng_benefits::programs::Program;
use minzheng_kernel::month::Month;
use minzheng_kernel::params::ParamSet;
use minzheng_kernel::pinyin_keys::{NameKind, search_keys};
use minzheng_store::audit::{self, AuditContext, AuditEntry};
use minzheng_store::{Db, StoreError, Tx, Value, params};
use minzheng_synth::{Scale, SynthHousehold};
use std::io::Write;
use std::time::Instant;

/// Households written per batch (each batch is one COPY or one run of the prepared insert).
const BATCH: usize = 5_000;

/// What a run wrote.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Generated {
    /// Households written.
    pub households: u64,
    /// People written.
    pub people: u64,
    /// Benefit enrolments written (open and ended).
    pub enrolments: u64,
    /// People covered by an open enrolment (a dibao household counts all its members).
    pub beneficiaries: u64,
    /// Wall-clock seconds, generation and writing together.
    pub seconds: f64,
}

fn household_row(id: i64, h: &SynthHousehold, now: &str) -> Vec<Value> {
    vec![
        Value::Int(id),
        Value::Text(h.region_code.clone()),
        Value::Text(h.area_type.code().into()),
        Value::Text(h.address.clone()),
        Value::Int(h.deposits_fen),
        Value::Int(i64::from(h.vehicles)),
        Value::Int(i64::from(h.housing_units)),
        Value::Text("synthetic".into()),
        Value::Text(now.into()),
    ]
}

fn person_rows(first_id: i64, household_id: i64, h: &SynthHousehold, now: &str) -> Vec<Vec<Value>> {
    h.members
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                Value::Int(first_id + i as i64),
                Value::Int(household_id),
                Value::Text(p.id_number.clone()),
                Value::Text(p.name.clone()),
                Value::Text(search_keys(&p.name, NameKind::Person).to_index_string()),
                Value::Text(match p.sex {
                    minzheng_kernel::id_number::Sex::Male => "male".into(),
                    minzheng_kernel::id_number::Sex::Female => "female".into(),
                }),
                Value::Text(p.birth_date.format("%Y-%m-%d").to_string()),
                Value::Text(p.relation.code().into()),
                Value::Text(p.hukou_region6.clone()),
                Value::Text(h.region_code.clone()),
                Value::Int(p.monthly_income_fen),
                p.disability
                    .map(|d| Value::Text(format!("{:?}", d.kind).to_lowercase()))
                    .unwrap_or(Value::Null),
                p.disability
                    .map(|d| Value::Int(i64::from(d.level)))
                    .unwrap_or(Value::Null),
                Value::Bool(p.serious_illness),
                Value::Bool(p.student),
                Value::Text(now.into()),
            ]
        })
        .collect()
}

const HOUSEHOLD_COLUMNS: &[&str] = &[
    "id",
    "region_code",
    "area_type",
    "address",
    "deposits_fen",
    "vehicles",
    "housing_units",
    "origin",
    "created_at",
];
const PERSON_COLUMNS: &[&str] = &[
    "id",
    "household_id",
    "id_number",
    "name",
    "search_keys",
    "sex",
    "birth_date",
    "relation",
    "hukou_region",
    "region_code",
    "monthly_income_fen",
    "disability_kind",
    "disability_level",
    "serious_illness",
    "student",
    "created_at",
];

fn write_batch(
    tx: &mut Tx<'_>,
    households: &mut Vec<Vec<Value>>,
    people: &mut Vec<Vec<Value>>,
    enrolments: &mut Vec<Vec<Value>>,
) -> Result<(), StoreError> {
    tx.bulk_insert("household", HOUSEHOLD_COLUMNS, &mut households.drain(..))?;
    tx.bulk_insert("person", PERSON_COLUMNS, &mut people.drain(..))?;
    tx.bulk_insert(
        "enrolment",
        crate::payroll::ENROLMENT_COLUMNS,
        &mut enrolments.drain(..),
    )?;
    Ok(())
}

/// The amounts and thresholds the enrolment rules read, resolved once for the run.
struct Rules {
    standard_urban: i64,
    standard_rural: i64,
    care_max_grade: u8,
    elderly_age: u32,
    preschool_age: u32,
    disabled: i64,
    severe: i64,
    illness: i64,
    elderly: i64,
    preschool: i64,
    student: i64,
    month: Month,
}

impl Rules {
    fn read(params: &ParamSet, today: chrono::NaiveDate) -> Result<Rules, String> {
        let get = |key: &str| -> Result<i64, String> {
            params
                .value_of(key, "500000000000", today)
                .map(|r| r.value.amount())
                .map_err(|e| format!("{key}: {e}"))
        };
        Ok(Rules {
            standard_urban: get("dibao.standard.urban")?,
            standard_rural: get("dibao.standard.rural")?,
            care_max_grade: get("disability_subsidy.care.max_grade")? as u8,
            elderly_age: get("dibao.category_supplement.elderly.min_age")? as u32,
            preschool_age: get("dibao.category_supplement.preschool_child.max_age")? as u32,
            disabled: get("dibao.category_supplement.disabled")?,
            severe: get("dibao.category_supplement.severe_disability")?,
            illness: get("dibao.category_supplement.serious_illness")?,
            elderly: get("dibao.category_supplement.elderly")?,
            preschool: get("dibao.category_supplement.preschool_child")?,
            student: get("dibao.category_supplement.student")?,
            month: Month::of(today),
        })
    }

    /// The monthly category supplement of one dibao member: the highest of the five, plus the
    /// disability one (RULES.md §1.3).
    fn supplement(&self, p: &minzheng_synth::SynthPerson, today: chrono::NaiveDate) -> i64 {
        let age = today.years_since(p.birth_date).unwrap_or(0);
        let severe = p.disability.is_some_and(|d| d.level <= self.care_max_grade);
        let five = [
            (severe, self.severe),
            (p.serious_illness, self.illness),
            (age >= self.elderly_age, self.elderly),
            (age < self.preschool_age, self.preschool),
            (p.student, self.student),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, v)| v)
        .max()
        .unwrap_or(0);
        five + if p.disability.is_some() {
            self.disabled
        } else {
            0
        }
    }
}

/// A small deterministic hash of an ID number, to spread start months and choices evenly.
fn spread(id_number: &str, modulus: u64) -> u64 {
    id_number
        .bytes()
        .fold(1_469_598_103_934_665_603_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(1_099_511_628_211)
        })
        % modulus
}

/// The enrolments a household qualifies for, with their history; returns the rows and the number
/// of people covered by the open ones.
fn enrolment_rows(
    household_id: i64,
    h: &SynthHousehold,
    rules: &Rules,
    today: chrono::NaiveDate,
    now: &str,
) -> (Vec<Vec<Value>>, u64) {
    let mut rows = Vec::new();
    let mut covered = 0;
    let Some(head) = h.head() else {
        return (rows, 0);
    };
    let rural = h.area_type == minzheng_synth::AreaType::Rural;
    let standard = if rural {
        rules.standard_rural
    } else {
        rules.standard_urban
    };
    let n = h.members.len() as i64;
    let income = h.monthly_income_fen();
    let age_of = |p: &minzheng_synth::SynthPerson| today.years_since(p.birth_date).unwrap_or(0);
    let mut row = |program: Program,
                   p: &minzheng_synth::SynthPerson,
                   members: i64,
                   income: i64,
                   supplement: i64,
                   care: Option<&str>|
     -> bool {
        let back = spread(&p.id_number, 24) as i32 + 1;
        let start = rules.month.plus(-back);
        let ended = spread(&p.id_number, 12) == 0 && back > 1;
        let end = ended.then(|| start.plus(spread(&p.id_number, back as u64) as i32));
        rows.push(vec![
            Value::Text(program.code().into()),
            Value::Text(p.id_number.clone()),
            Value::Text(p.name.clone()),
            Value::Int(household_id),
            Value::Text(h.region_code.clone()),
            Value::Text(h.area_type.code().into()),
            Value::Int(members),
            Value::Int(income),
            Value::Int(supplement),
            care.map(|c| Value::Text(c.into())).unwrap_or(Value::Null),
            Value::Text(["CQRCB", "ICBC", "CCB", "PSBC"][spread(&p.id_number, 4) as usize].into()),
            Value::Text("ssc".into()),
            Value::Text(format!("6230{}", &p.id_number[6..17])),
            Value::Text(start.to_string()),
            end.map(|m| Value::Text(m.to_string()))
                .unwrap_or(Value::Null),
            Value::Text(start.to_string()),
            Value::Text(if ended { "stopped" } else { "active" }.into()),
            Value::Text(
                if ended {
                    "家庭收入超过保障标准，停止保障（合成数据）"
                } else {
                    "合成数据"
                }
                .into(),
            ),
            Value::Text("synthetic".into()),
            Value::Text(now.into()),
            Value::Text(now.into()),
        ]);
        !ended
    };
    // Tekun: an older person living alone with no means of living (income below the dibao line,
    // no one obliged to support them in the household); otherwise dibao when the income per
    // person is below the standard.
    let tekun = n == 1 && income < standard && age_of(head) >= 60;
    if tekun {
        let care = match head.disability {
            Some(d) if d.level <= rules.care_max_grade => "full",
            Some(_) => "partial",
            None => "self_care",
        };
        let program = if spread(&head.id_number, 5) == 0 {
            Program::TekunInstitutional
        } else {
            Program::TekunDispersed
        };
        if row(program, head, 1, 0, 0, Some(care)) {
            covered += 1;
        }
    } else if income < standard * n {
        let program = if rural {
            Program::DibaoRural
        } else {
            Program::DibaoUrban
        };
        let supplement: i64 = h.members.iter().map(|p| rules.supplement(p, today)).sum();
        if row(program, head, n, income, supplement, None) {
            covered += n as u64;
        }
    }
    // A child with no adult of working age or younger grandparent in the household is taken to be
    // without a carer (orphan or de facto unattended).
    let adults = h.members.iter().any(|p| (18..70).contains(&age_of(p)));
    for p in &h.members {
        if let Some(d) = p.disability {
            if d.level <= rules.care_max_grade && row(Program::DisabilityCare, p, 1, 0, 0, None) {
                covered += 1;
            }
            if !tekun && row(Program::DisabilityLiving, p, 1, 0, 0, None) {
                covered += 1;
            }
        }
        if age_of(p) < 18 && !adults {
            let program = if spread(&p.id_number, 3) == 0 {
                Program::OrphanDispersed
            } else {
                Program::UnattendedChild
            };
            if row(program, p, 1, 0, 0, None) {
                covered += 1;
            }
        }
    }
    (rows, covered)
}

/// Generates `scale` from `seed` and writes it; `progress` prints a line on stderr as it goes.
pub fn run(db: &Db, scale: Scale, seed: u64, progress: bool) -> Result<Generated, String> {
    let today = minzheng_kernel::id_number::china_today();
    let generator = minzheng_synth::generate(scale, seed, today).map_err(|e| e.to_string())?;
    let total = scale.households();
    let start = Instant::now();
    let now = minzheng_store::format_instant(chrono::Utc::now());
    let params = db
        .read(minzheng_reference::parameters::parameter_set)
        .map_err(|e| e.to_string())?;
    let rules = Rules::read(&params, today)?;
    let result = db.write(|tx| -> Result<Result<Generated, String>, StoreError> {
        let existing: i64 = tx
            .query_one("SELECT COUNT(*) FROM household", params![])?
            .get(0)?;
        if existing > 0 {
            return Ok(Err(format!(
                "人口库已有 {existing} 户：合成数据只写入空的人口库，现有数据未作任何改动"
            )));
        }
        let (mut hh, mut pp) = (Vec::with_capacity(BATCH), Vec::with_capacity(BATCH * 3));
        let mut ee = Vec::with_capacity(BATCH * 2);
        let (mut households, mut people) = (0_i64, 0_i64);
        let (mut enrolments, mut beneficiaries) = (0_u64, 0_u64);
        for item in generator {
            let h = match item {
                Ok(h) => h,
                Err(e) => return Ok(Err(e.to_string())),
            };
            households += 1;
            hh.push(household_row(households, &h, &now));
            pp.extend(person_rows(people + 1, households, &h, &now));
            let (rows, covered) = enrolment_rows(households, &h, &rules, today, &now);
            enrolments += rows.len() as u64;
            beneficiaries += covered;
            ee.extend(rows);
            people += h.members.len() as i64;
            if hh.len() == BATCH {
                write_batch(tx, &mut hh, &mut pp, &mut ee)?;
                if progress {
                    eprint!("\r已写入 {households} / {total} 户，{people} 人");
                    let _ = std::io::stderr().flush();
                }
            }
        }
        write_batch(tx, &mut hh, &mut pp, &mut ee)?;
        audit::append(
            tx,
            &AuditContext::system("generate"),
            AuditEntry {
                action: "population.generate",
                record_type: "population",
                record_id: format!("{}:{seed}", scale.label_zh()),
                subject_key: None,
                before: None,
                after: None,
                detail: serde_json::json!({
                    "households": households, "people": people, "seed": seed,
                    "enrolments": enrolments, "beneficiaries": beneficiaries,
                }),
            },
        )?;
        Ok(Ok(Generated {
            households: households as u64,
            people: people as u64,
            enrolments,
            beneficiaries,
            seconds: 0.0,
        }))
    });
    if progress {
        eprintln!();
    }
    let mut generated = result.map_err(|e| e.to_string())??;
    generated.seconds = start.elapsed().as_secs_f64();
    Ok(generated)
}
