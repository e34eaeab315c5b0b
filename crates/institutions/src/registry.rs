//! The registry of institutions and community care facilities, and the coverage indicators over
//! the region tree.

use crate::common::{self, refs, visible};
use crate::{InstitutionsError, rules};
use chrono::{Datelike, NaiveDate};
use minzheng_access::{Action, Principal};
use minzheng_kernel::credit_code::CreditCode;
use minzheng_kernel::region::{RegionCode, RegionKind, RegionLevel, RegionScope, RegionTree};
use minzheng_store::{Tx, Value, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What is filled in to register an institution or a facility.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewInstitution {
    /// Kind (see [`rules::KINDS`]); it decides the category.
    pub kind: String,
    /// Name.
    pub name: String,
    /// `public`, `private` or `public_private`.
    pub operator: String,
    /// Whether a facility is run by a social organisation or company (社会化运营).
    pub socially_operated: bool,
    /// Unified social credit code; required for institutions.
    pub credit_code: Option<String>,
    /// Street address.
    pub address: String,
    /// 12-digit region code (a community for a facility).
    pub region_code: String,
    /// `licence` (许可) or `filing` (备案); required for institutions.
    pub licence_kind: Option<String>,
    /// Licence or filing number.
    pub licence_no: Option<String>,
    /// Beds.
    pub beds: i64,
    /// Residents (as declared).
    pub resident_count: i64,
    /// Staff (as declared).
    pub staff_count: i64,
    /// Opening day.
    pub opened_on: NaiveDate,
}

/// A registry row.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Institution {
    /// Id.
    pub id: i64,
    /// `institution` or `community_care_facility`.
    pub category: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Operator kind.
    pub operator: String,
    /// Socially operated.
    pub socially_operated: bool,
    /// Credit code.
    pub credit_code: Option<String>,
    /// Address.
    pub address: String,
    /// Region code.
    pub region_code: String,
    /// Licence kind.
    pub licence_kind: Option<String>,
    /// Licence number.
    pub licence_no: Option<String>,
    /// Beds.
    pub beds: i64,
    /// Residents declared.
    pub resident_count: i64,
    /// Staff declared.
    pub staff_count: i64,
    /// Opening day.
    pub opened_on: String,
}

const COLUMNS: &str = "id, category, kind, name, operator, socially_operated, credit_code, address, region_code, licence_kind, licence_no, beds, resident_count, staff_count, opened_on";

fn from_row(r: &minzheng_store::Row) -> Result<Institution, InstitutionsError> {
    Ok(Institution {
        id: r.get(0)?,
        category: r.get(1)?,
        kind: r.get(2)?,
        name: r.get(3)?,
        operator: r.get(4)?,
        socially_operated: r.get(5)?,
        credit_code: r.get(6)?,
        address: r.get(7)?,
        region_code: r.get(8)?,
        licence_kind: r.get(9)?,
        licence_no: r.get(10)?,
        beds: r.get(11)?,
        resident_count: r.get(12)?,
        staff_count: r.get(13)?,
        opened_on: r.get(14)?,
    })
}

/// Checks a registration and gives the row to store (category, normalised credit code), or the reason.
fn validate(
    who: &Principal,
    n: &NewInstitution,
) -> Result<(&'static str, Option<String>), InstitutionsError> {
    let category = rules::category_of(&n.kind)
        .ok_or_else(|| InstitutionsError::Invalid(format!("机构类型“{}”不存在", n.kind)))?;
    common::required(&n.name, "名称", 100)?;
    common::required(&n.address, "地址", 200)?;
    if !rules::OPERATORS.iter().any(|o| o.0 == n.operator) {
        return Err(InstitutionsError::Invalid(format!(
            "举办性质“{}”无效：应为公办、民办或公建民营",
            n.operator
        )));
    }
    common::count(n.beds, "床位数")?;
    common::count(n.resident_count, "在院人数")?;
    common::count(n.staff_count, "工作人员数")?;
    let code = RegionCode::parse(&n.region_code)
        .map_err(|e| InstitutionsError::Invalid(format!("区划代码无效：{e}")))?;
    let tree = RegionTree::chongqing();
    if !tree.exists_on(code, n.opened_on) {
        return Err(InstitutionsError::Invalid(format!(
            "区划代码 {} 在 {} 不存在",
            n.region_code, n.opened_on
        )));
    }
    let code12 = format!("{:012}", code.as_u64());
    if !who.scope().contains(&code12) {
        return Err(InstitutionsError::Invalid(format!(
            "区划 {code12} 不在您的管辖范围内"
        )));
    }
    let credit = match n
        .credit_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(c) => Some(
            CreditCode::parse(c)
                .map_err(|e| InstitutionsError::Invalid(format!("统一社会信用代码有误：{e}")))?
                .credit_code
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    if category == "institution" {
        if credit.is_none() {
            return Err(InstitutionsError::Invalid(
                "民政服务机构须填写统一社会信用代码".into(),
            ));
        }
        match n.licence_kind.as_deref() {
            Some("licence" | "filing") => {}
            _ => {
                return Err(InstitutionsError::Invalid(
                    "民政服务机构须注明许可或备案".into(),
                ));
            }
        }
        common::required(n.licence_no.as_deref().unwrap_or(""), "许可或备案编号", 60)?;
    } else if code.level() != RegionLevel::Community {
        return Err(InstitutionsError::Invalid(
            "社区养老服务设施须登记在村（社区）一级的区划代码下".into(),
        ));
    }
    Ok((category, credit))
}

/// Registers an institution or a facility; returns its id.
pub fn register(
    tx: &mut Tx<'_>,
    who: &Principal,
    n: &NewInstitution,
) -> Result<i64, InstitutionsError> {
    who.require(Action::InstitutionManage)?;
    let (category, credit) = validate(who, n)?;
    let code12 = format!(
        "{:012}",
        RegionCode::parse(&n.region_code)
            .map_err(|e| InstitutionsError::Invalid(e.to_string()))?
            .as_u64()
    );
    let socially = category == "community_care_facility" && n.socially_operated;
    let licence_kind = if category == "institution" {
        n.licence_kind.clone()
    } else {
        None
    };
    let r = tx.query_one(
        "INSERT INTO institution (category, kind, name, operator, socially_operated, credit_code, address, region_code, licence_kind, licence_no, beds, resident_count, staff_count, opened_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        params![
            category,
            n.kind,
            n.name.trim(),
            n.operator,
            socially,
            credit,
            n.address.trim(),
            code12,
            licence_kind,
            n.licence_no.as_deref().map(str::trim).filter(|s| !s.is_empty()),
            n.beds,
            n.resident_count,
            n.staff_count,
            n.opened_on,
            common::now()
        ],
    );
    let id: i64 = match r {
        Ok(row) => row.get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(InstitutionsError::Invalid(
                "该统一社会信用代码已登记".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    common::audit(
        tx,
        who,
        "institution.register",
        "institution",
        id,
        serde_json::json!({ "kind": n.kind, "region_code": code12 }),
    )?;
    Ok(id)
}

/// Records that an institution or facility closed on `on` (it stops counting from that day);
/// the row stays, so past coverage can be recomputed.
pub fn close(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    on: NaiveDate,
) -> Result<(), InstitutionsError> {
    who.require(Action::InstitutionManage)?;
    common::institution_for(tx, who, id)?;
    let r = tx.query_one(
        "SELECT opened_on, closed_on FROM institution WHERE id = $1",
        params![id],
    )?;
    let opened: String = r.get(0)?;
    if let Some(c) = r.get::<Option<String>>(1)? {
        return Err(InstitutionsError::Invalid(format!("已于 {c} 停业")));
    }
    if on.format("%Y-%m-%d").to_string() <= opened {
        return Err(InstitutionsError::Invalid(format!(
            "停业日期应晚于开业日期 {opened}"
        )));
    }
    tx.execute(
        "UPDATE institution SET closed_on = $1 WHERE id = $2",
        params![on, id],
    )?;
    common::audit(
        tx,
        who,
        "institution.close",
        "institution",
        id,
        serde_json::json!({ "on": on }),
    )
}

/// The registry rows `who` may see, optionally of one category, by region then id.
pub fn list(
    tx: &mut Tx<'_>,
    who: &Principal,
    category: Option<&str>,
    limit: i64,
) -> Result<Vec<Institution>, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let (cond, mut values) = visible(who, "region_code", "id", 3);
    values.insert(0, Value::Int(limit));
    values.insert(
        0,
        category.map_or(Value::Null, |c| Value::Text(c.to_owned())),
    );
    let sql = format!(
        "SELECT {COLUMNS} FROM institution WHERE (CAST($1 AS TEXT) IS NULL OR category = $1) AND {cond} ORDER BY region_code, id LIMIT $2"
    );
    tx.query(&sql, &refs(&values))?
        .iter()
        .map(from_row)
        .collect()
}

/// One registry row.
pub fn get(tx: &mut Tx<'_>, who: &Principal, id: i64) -> Result<Institution, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    common::institution_for(tx, who, id)?;
    let row = tx.query_one(
        &format!("SELECT {COLUMNS} FROM institution WHERE id = $1"),
        params![id],
    )?;
    from_row(&row)
}

/// Figures of one year.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct YearFigures {
    /// The year.
    pub year: i32,
    /// Beds of institutions and facilities opened that year.
    pub new_beds: i64,
    /// Private (民办) institutions opened that year.
    pub new_private_institutions: i64,
}

/// Coverage indicators of a region on a date.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Coverage {
    /// The region prefix.
    pub region: String,
    /// The date.
    pub on: NaiveDate,
    /// Urban communities (居委会) in the region on the date, from the region tree.
    pub urban_communities: i64,
    /// Of those, how many have at least one open community care facility.
    pub covered_communities: i64,
    /// Share of urban communities with a facility, basis points, half up.
    pub coverage_bp: Option<i64>,
    /// Open community care facilities in the region.
    pub facilities: i64,
    /// Of those, socially operated.
    pub socially_operated: i64,
    /// Share socially operated, basis points, half up.
    pub socially_operated_bp: Option<i64>,
    /// Open institutions (category institution).
    pub institutions: i64,
    /// New beds and new private institutions per year, oldest first.
    pub years: Vec<YearFigures>,
}

/// The urban communities under a region on a date, walking the tree.
pub fn urban_communities(
    tree: &RegionTree,
    region: RegionCode,
    on: NaiveDate,
) -> Result<BTreeSet<String>, InstitutionsError> {
    let mut out = BTreeSet::new();
    let mut stack = vec![region];
    while let Some(c) = stack.pop() {
        let node = tree
            .lookup(c)
            .map_err(|e| InstitutionsError::Invalid(e.to_string()))?;
        if node.kind == RegionKind::UrbanCommunity {
            out.insert(format!("{:012}", c.as_u64()));
            continue;
        }
        for child in tree
            .children(c, on)
            .map_err(|e| InstitutionsError::Invalid(e.to_string()))?
        {
            stack.push(child.code);
        }
    }
    Ok(out)
}

/// Coverage indicators of `region` (2, 6, 9 or 12 digits) on `on`, with the years `years`.
///
/// Shares are basis points rounded half up ([`rules::share_bp`]); counts are exact. A facility
/// counts while `opened_on <= on` and it is not closed on `on`.
pub fn coverage(
    tx: &mut Tx<'_>,
    who: &Principal,
    region: &str,
    on: NaiveDate,
    years: std::ops::RangeInclusive<i32>,
) -> Result<Coverage, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let scope = RegionScope::parse(region)
        .map_err(|e| InstitutionsError::Invalid(format!("区划无效：{e}")))?;
    let prefix = scope.prefix();
    let padded = format!("{prefix:0<12}");
    if !who.scope().contains(&padded) && !who.scope_code.is_empty() {
        return Err(InstitutionsError::NotFound);
    }
    let communities = urban_communities(RegionTree::chongqing(), scope.code(), on)?;
    let rows = tx.query(
        "SELECT category, region_code, socially_operated, operator, beds, opened_on, closed_on FROM institution
         WHERE region_code >= $1 AND region_code < $2",
        params![prefix.clone(), format!("{prefix}:")],
    )?;
    let on_text = on.format("%Y-%m-%d").to_string();
    let mut covered = BTreeSet::new();
    let (mut facilities, mut social, mut institutions) = (0_i64, 0_i64, 0_i64);
    let mut per_year: Vec<YearFigures> = years
        .clone()
        .map(|y| YearFigures {
            year: y,
            new_beds: 0,
            new_private_institutions: 0,
        })
        .collect();
    for r in rows {
        let category: String = r.get(0)?;
        let code: String = r.get(1)?;
        let socially: bool = r.get(2)?;
        let operator: String = r.get(3)?;
        let beds: i64 = r.get(4)?;
        let opened: String = r.get(5)?;
        let closed: Option<String> = r.get(6)?;
        if let Ok(d) = NaiveDate::parse_from_str(&opened, "%Y-%m-%d")
            && let Some(y) = per_year.iter_mut().find(|y| y.year == d.year())
        {
            y.new_beds += beds;
            if category == "institution" && operator == "private" {
                y.new_private_institutions += 1;
            }
        }
        let open = opened <= on_text && closed.is_none_or(|c| c > on_text);
        if !open {
            continue;
        }
        if category == "community_care_facility" {
            facilities += 1;
            if socially {
                social += 1;
            }
            if communities.contains(&code) {
                covered.insert(code);
            }
        } else {
            institutions += 1;
        }
    }
    let urban = communities.len() as i64;
    let covered_n = covered.len() as i64;
    Ok(Coverage {
        region: prefix,
        on,
        urban_communities: urban,
        covered_communities: covered_n,
        coverage_bp: rules::share_bp(covered_n, urban),
        facilities,
        socially_operated: social,
        socially_operated_bp: rules::share_bp(social, facilities),
        institutions,
        years: per_year,
    })
}
