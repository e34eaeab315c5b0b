//! The indicators of requests per community, street and district, and each community's public
//! board. Counts come from one grouped query each; rates are exact fractions rendered by
//! `rules::rate` (one decimal, half away from zero) and `rules::mean` (two decimals).

use crate::GovernanceError;
use crate::requests::{Choice, choices, place_name};
use crate::rules::{self, Step};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_kernel::region::{RegionCode, RegionTree};
use minzheng_store::{ToValue, Tx, Value, params};
use serde::Serialize;
use std::collections::BTreeMap;

/// The name of a district (6 digits), street (9) or community (12) code.
pub fn unit_name(code: &str) -> String {
    let padded = format!("{code:0<12}");
    RegionCode::parse(&padded)
        .ok()
        .and_then(|rc| RegionTree::chongqing().lookup(rc).ok())
        .map(|n| n.name.clone())
        .unwrap_or_else(|| code.to_owned())
}

/// The level indicators are grouped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 区县.
    District,
    /// 街道乡镇.
    Street,
    /// 村（社区）.
    Community,
}

impl Level {
    /// Digits of the code at this level.
    pub fn digits(self) -> usize {
        match self {
            Level::District => 6,
            Level::Street => 9,
            Level::Community => 12,
        }
    }

    /// Parses `district`, `street` or `community`.
    pub fn from_id(s: &str) -> Option<Level> {
        match s {
            "district" => Some(Level::District),
            "street" => Some(Level::Street),
            "community" => Some(Level::Community),
            _ => None,
        }
    }
}

/// The indicators of one unit.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct IndicatorRow {
    /// Code of the unit.
    pub code: String,
    /// Its name.
    pub name: String,
    /// All requests (every cycle counts once).
    pub total: i64,
    /// Requests per configured triage class, in configuration order; the last is "not yet screened".
    pub by_triage: Vec<i64>,
    /// Completed requests (work marked done).
    pub completed: i64,
    /// Of those, by the deadline.
    pub on_time: i64,
    /// Rated requests.
    pub rated: i64,
    /// Sum of ratings.
    pub rating_sum: i64,
    /// Ratings at or above the satisfied level (parameter).
    pub satisfied: i64,
    /// Cycles that ended (修单 or closed).
    pub ended: i64,
    /// Of those, reopened.
    pub reopened: i64,
    /// `on_time / completed`.
    pub on_time_rate: String,
    /// `satisfied / rated`.
    pub satisfaction_rate: String,
    /// `rating_sum / rated`.
    pub mean_rating: String,
    /// `reopened / ended`.
    pub reopen_rate: String,
}

/// The indicators and the configuration they were computed with.
#[derive(Debug, Clone, Serialize)]
pub struct Indicators {
    /// The level.
    pub level: Level,
    /// The triage classes (columns of `by_triage`, then "未分流").
    pub triage: Vec<Choice>,
    /// The satisfied level used.
    pub satisfied_min: i64,
    /// One row per unit.
    pub rows: Vec<IndicatorRow>,
    /// The whole scope.
    pub total: IndicatorRow,
}

fn finish(r: &mut IndicatorRow) {
    r.on_time_rate = rules::rate(r.on_time, r.completed);
    r.satisfaction_rate = rules::rate(r.satisfied, r.rated);
    r.mean_rating = rules::mean(r.rating_sum, r.rated);
    r.reopen_rate = rules::rate(r.reopened, r.ended);
}

/// The indicators within `who`'s scope (narrowed to `prefix` if given), grouped at `level`, summed
/// from the running totals of `request_tally` (see [`crate::tally`]).
pub fn indicators(
    tx: &mut Tx<'_>,
    who: &Principal,
    level: Level,
    prefix: Option<&str>,
    today: NaiveDate,
) -> Result<Indicators, GovernanceError> {
    who.require(Action::GovernanceRead)?;
    let triage = choices(tx, "triage")?;
    let set = minzheng_reference::parameters::current(tx)?;
    let satisfied_min = set
        .value_of("governance.rating.satisfied_min_level", "50", today)
        .map_err(|e| GovernanceError::Internal(e.to_string()))?
        .amount_in(minzheng_kernel::params::ParamUnit::Level)
        .map_err(|e| GovernanceError::Internal(e.to_string()))?;
    let prefix = prefix
        .map(str::trim)
        .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let d = level.digits();
    let (cond, values) = who.scope().sql("region_code", 1);
    let mut p: Vec<Value> = values.into_iter().map(Value::Text).collect();
    // The prefix narrows by a plain range (an `OR`-guarded optional filter would hide the index).
    let narrow = match prefix {
        Some(pre) => {
            let n = p.len();
            p.push(Value::Text(pre.to_owned()));
            p.push(Value::Text(format!("{pre}:")));
            format!(
                " AND region_code >= ${} AND region_code < ${}",
                n + 1,
                n + 2
            )
        }
        None => String::new(),
    };
    let refs: Vec<&dyn ToValue> = p.iter().map(|v| v as &dyn ToValue).collect();
    let sums: Vec<String> = [
        "total",
        "completed",
        "on_time",
        "rated",
        "rating_sum",
        "rating_1",
        "rating_2",
        "rating_3",
        "rating_4",
        "rating_5",
        "ended",
        "reopened",
    ]
    .iter()
    .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
    .collect();
    let sql = format!(
        "SELECT SUBSTR(region_code, 1, {d}), triage, {} FROM request_tally
         WHERE {cond}{narrow} GROUP BY SUBSTR(region_code, 1, {d}), triage",
        sums.join(", ")
    );
    let rows = tx.query(&sql, &refs)?;
    let mut units: BTreeMap<String, IndicatorRow> = BTreeMap::new();
    let mut total = IndicatorRow {
        code: prefix.unwrap_or("").to_owned(),
        name: "合计".into(),
        by_triage: vec![0; triage.len() + 1],
        ..Default::default()
    };
    for r in rows {
        let code: String = r.get(0)?;
        let class: String = r.get(1)?;
        let mut n = [0i64; 12];
        for (k, v) in n.iter_mut().enumerate() {
            *v = r.get(k + 2)?;
        }
        // Ratings at or above the satisfied level: the histogram columns rating_1 … rating_5.
        let satisfied: i64 = (1..=5)
            .filter(|k| *k >= satisfied_min)
            .map(|k| n[4 + k as usize])
            .sum();
        let slot = triage
            .iter()
            .position(|t| t.code == class)
            .unwrap_or(triage.len());
        let u = units.entry(code.clone()).or_insert_with(|| IndicatorRow {
            name: unit_name(&code),
            code,
            by_triage: vec![0; triage.len() + 1],
            ..Default::default()
        });
        for row in [&mut *u, &mut total] {
            row.total += n[0];
            row.by_triage[slot] += n[0];
            row.completed += n[1];
            row.on_time += n[2];
            row.rated += n[3];
            row.rating_sum += n[4];
            row.satisfied += satisfied;
            row.ended += n[10];
            row.reopened += n[11];
        }
    }
    let mut rows: Vec<IndicatorRow> = units.into_values().collect();
    rows.iter_mut().for_each(finish);
    finish(&mut total);
    Ok(Indicators {
        level,
        triage,
        satisfied_min,
        rows,
        total,
    })
}

/// One line of a community's public board: no names, phones or ID numbers in clear.
#[derive(Debug, Clone, Serialize)]
pub struct BoardRow {
    /// Request number.
    pub id: i64,
    /// Cycle (2 and more: reopened).
    pub cycle: i64,
    /// Step label (configured).
    pub step: String,
    /// Category label.
    pub category: String,
    /// What it is about (first 80 characters).
    pub summary: String,
    /// The resident, masked (`张*明`).
    pub raiser: String,
    /// The day it was raised.
    pub raised_on: String,
    /// Triage label.
    pub triage: String,
    /// `受理` / `不予受理` / empty.
    pub decision: String,
    /// Owner kind and masked name.
    pub owner: String,
    /// Deadline.
    pub deadline: String,
    /// Percent done.
    pub percent_done: i64,
    /// Result: on time or late, rating.
    pub result: String,
}

/// A community's public board.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// Community code.
    pub code: String,
    /// Its name with street and district.
    pub name: String,
    /// Requests per step: (label, count).
    pub by_step: Vec<(String, i64)>,
    /// The latest 100 requests.
    pub rows: Vec<BoardRow>,
    /// The pact in force, if any: (version, title, valid_from).
    pub pact: Option<(i64, String, String)>,
    /// Duty lists in force from, if adopted.
    pub lists_from: Option<String>,
}

fn label(options: &[Choice], code: Option<&str>) -> String {
    match code {
        Some(c) => options
            .iter()
            .find(|o| o.code == c)
            .map(|o| o.name.clone())
            .unwrap_or_else(|| c.to_owned()),
        None => String::new(),
    }
}

/// The public board of a community: anyone may open it; personal data is masked here, in the
/// service, so no page or API can show more.
pub fn board(tx: &mut Tx<'_>, code: &str, today: NaiveDate) -> Result<Board, GovernanceError> {
    let rc = crate::requests::community(code, today)?;
    let code = format!("{:012}", rc.as_u64());
    let steps = choices(tx, "step")?;
    let categories = choices(tx, "category")?;
    let triage = choices(tx, "triage")?;
    let owners = choices(tx, "owner_kind")?;
    let counts = tx.query(
        "SELECT step, COUNT(*) FROM request WHERE region_code = $1 GROUP BY step",
        params![code],
    )?;
    let mut by_step = Vec::new();
    for s in Step::ALL {
        let n = counts
            .iter()
            .find(|r| r.get::<String>(0).ok().as_deref() == Some(s.id()))
            .map(|r| r.get::<i64>(1))
            .transpose()?
            .unwrap_or(0);
        by_step.push((label(&steps, Some(s.id())), n));
    }
    let rows = tx.query(
        "SELECT id, cycle, step, category, description, raiser_name, raised_on, triage, decision, owner_kind, owner_name,
            deadline, percent_done, on_time, rating
         FROM request WHERE region_code = $1 ORDER BY id DESC LIMIT 100",
        params![code],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let description: String = r.get(4)?;
        let step: String = r.get(2)?;
        let category: String = r.get(3)?;
        let t: Option<String> = r.get(7)?;
        let decision: Option<String> = r.get(8)?;
        let ok: Option<String> = r.get(9)?;
        let on: Option<String> = r.get(10)?;
        let on_time: Option<bool> = r.get(13)?;
        let rating: Option<i64> = r.get(14)?;
        let mut result = match on_time {
            Some(true) => "按期办结".to_owned(),
            Some(false) => "逾期办结".to_owned(),
            None => String::new(),
        };
        if let Some(x) = rating {
            result.push_str(&format!(" 评价 {x} 星"));
        }
        out.push(BoardRow {
            id: r.get(0)?,
            cycle: r.get(1)?,
            step: label(&steps, Some(&step)),
            category: label(&categories, Some(&category)),
            summary: mask_text(&description),
            raiser: minzheng_kernel::mask::name(&r.get::<String>(5)?),
            raised_on: r.get(6)?,
            triage: label(&triage, t.as_deref()),
            decision: match decision.as_deref() {
                Some("accepted") => "受理".into(),
                Some("declined") => "不予受理".into(),
                _ => String::new(),
            },
            owner: match (ok, on) {
                (Some(k), Some(n)) => format!(
                    "{} {}",
                    label(&owners, Some(&k)),
                    minzheng_kernel::mask::name(&n)
                ),
                _ => String::new(),
            },
            deadline: r.get::<Option<String>>(11)?.unwrap_or_default(),
            percent_done: r.get(12)?,
            result: result.trim().to_owned(),
        });
    }
    let pact = crate::councils::pact_in_force(tx, &code, today)?
        .map(|p| (p.version, p.title, p.valid_from));
    let lists_from = crate::duty::lists(tx, &code)?.effective_from;
    Ok(Board {
        name: place_name(&code),
        code,
        by_step,
        rows: out,
        pact,
        lists_from,
    })
}

/// The first 80 characters of a description with the personal numbers in it masked: residents
/// sometimes type their phone or ID number into the text.
pub fn mask_text(s: &str) -> String {
    let head: String = s.chars().take(80).collect();
    let mut out = minzheng_kernel::mask::in_text(&head);
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn phones_and_id_numbers_in_text_are_masked() {
        assert_eq!(
            super::mask_text("请联系13812345678，身份证50010319900101123X"),
            "请联系138****5678，身份证500103********123X"
        );
        assert_eq!(super::mask_text("3号楼 12 单元"), "3号楼 12 单元");
    }
}
