//! `minzheng generate`: writes a synthetic population (households and their members) into an empty
//! population registry, for demos and load tests. All or nothing: one transaction, so a crash or an
//! interrupt leaves no half-written scale behind; a second run is refused and changes nothing.

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
) -> Result<(), StoreError> {
    tx.bulk_insert("household", HOUSEHOLD_COLUMNS, &mut households.drain(..))?;
    tx.bulk_insert("person", PERSON_COLUMNS, &mut people.drain(..))?;
    Ok(())
}

/// Generates `scale` from `seed` and writes it; `progress` prints a line on stderr as it goes.
pub fn run(db: &Db, scale: Scale, seed: u64, progress: bool) -> Result<Generated, String> {
    let today = minzheng_kernel::id_number::china_today();
    let generator = minzheng_synth::generate(scale, seed, today).map_err(|e| e.to_string())?;
    let total = scale.households();
    let start = Instant::now();
    let now = minzheng_store::format_instant(chrono::Utc::now());
    let result = db.write(|tx| -> Result<Result<Generated, String>, StoreError> {
        let existing: i64 = tx.query_one("SELECT COUNT(*) FROM household", params![])?.get(0)?;
        if existing > 0 {
            return Ok(Err(format!("人口库已有 {existing} 户：合成数据只写入空的人口库，现有数据未作任何改动")));
        }
        let (mut hh, mut pp) = (Vec::with_capacity(BATCH), Vec::with_capacity(BATCH * 3));
        let (mut households, mut people) = (0_i64, 0_i64);
        for item in generator {
            let h = match item {
                Ok(h) => h,
                Err(e) => return Ok(Err(e.to_string())),
            };
            households += 1;
            hh.push(household_row(households, &h, &now));
            pp.extend(person_rows(people + 1, households, &h, &now));
            people += h.members.len() as i64;
            if hh.len() == BATCH {
                write_batch(tx, &mut hh, &mut pp)?;
                if progress {
                    eprint!("\r已写入 {households} / {total} 户，{people} 人");
                    let _ = std::io::stderr().flush();
                }
            }
        }
        write_batch(tx, &mut hh, &mut pp)?;
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
                detail: serde_json::json!({ "households": households, "people": people, "seed": seed }),
            },
        )?;
        Ok(Ok(Generated { households: households as u64, people: people as u64, seconds: 0.0 }))
    });
    if progress {
        eprintln!();
    }
    let mut generated = result.map_err(|e| e.to_string())??;
    generated.seconds = start.elapsed().as_secs_f64();
    Ok(generated)
}
