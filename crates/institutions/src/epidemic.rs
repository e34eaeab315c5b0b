//! Closed-management orders (封闭管理) and district risk levels by date (分区分级). While an order
//! covers an institution, [`enforce`] refuses what the five suspensions forbid, naming the order.

use crate::InstitutionsError;
use crate::common::{self, InstitutionRef};
use crate::rules::{self, OrderScope, Suspension};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_kernel::region::RegionScope;
use minzheng_store::{Tx, params};
use serde::{Deserialize, Serialize};

/// What is filled in to issue an order.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewOrder {
    /// Title, e.g. 关于全市民政服务机构实行封闭管理的通知.
    pub title: String,
    /// The issuing body, e.g. 重庆市民政局.
    pub issuer: String,
    /// First day in force.
    pub from_date: NaiveDate,
    /// Region prefixes covered (empty: the issuer's whole scope).
    pub regions: Vec<String>,
    /// Institution kinds covered (empty: all).
    pub kinds: Vec<String>,
}

/// An order with who issued and lifted it.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    /// The order as the rules see it.
    #[serde(flatten)]
    pub scope: OrderScope,
    /// The account that issued it.
    pub issued_by: String,
    /// The account that lifted it.
    pub lifted_by: Option<String>,
    /// Why it was lifted.
    pub lift_reason: Option<String>,
}

fn list_text(v: &[String]) -> String {
    v.join(",")
}

fn from_row(r: &minzheng_store::Row) -> Result<Order, InstitutionsError> {
    let regions: String = r.get(5)?;
    let kinds: String = r.get(6)?;
    Ok(Order {
        scope: OrderScope {
            id: r.get(0)?,
            title: r.get(1)?,
            issuer: r.get(2)?,
            from_date: r.get(4)?,
            lifted_on: r.get(7)?,
            regions: rules::split_list(&regions),
            kinds: rules::split_list(&kinds),
        },
        issued_by: r.get(3)?,
        lifted_by: r.get(8)?,
        lift_reason: r.get(9)?,
    })
}

const COLUMNS: &str = "id, title, issuer, issued_by, from_date, regions, institution_kinds, lifted_on, lifted_by, lift_reason";

/// Every order, newest first (orders are few: one per wave and level).
pub fn all_orders(tx: &mut Tx<'_>) -> Result<Vec<Order>, InstitutionsError> {
    tx.query(
        &format!("SELECT {COLUMNS} FROM epidemic_order ORDER BY id DESC"),
        params![],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// The orders whose regions touch `who`'s scope (a district sees the city's orders too).
pub fn orders(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<Order>, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let scope = who.scope();
    Ok(all_orders(tx)?
        .into_iter()
        .filter(|o| {
            o.scope.regions.iter().any(|r| {
                scope.contains(r)
                    || scope
                        .as_prefixes()
                        .iter()
                        .any(|p| p.starts_with(r.as_str()))
            })
        })
        .collect())
}

/// Issues a closed-management order; returns its id.
pub fn issue(tx: &mut Tx<'_>, who: &Principal, n: &NewOrder) -> Result<i64, InstitutionsError> {
    who.require(Action::EpidemicOrderManage)?;
    let title = common::required(&n.title, "通知标题", 200)?;
    let issuer = common::required(&n.issuer, "发布单位", 100)?;
    let mut regions = Vec::new();
    for r in &n.regions {
        let s = RegionScope::parse(r)
            .map_err(|e| InstitutionsError::Invalid(format!("适用区域“{r}”无效：{e}")))?;
        regions.push(s.prefix());
    }
    if regions.is_empty() {
        regions.push(if who.scope_code.is_empty() {
            "50".into()
        } else {
            who.scope_code.clone()
        });
    }
    let scope = who.scope();
    for r in &regions {
        if !scope.contains(&format!("{r:0<12}")) {
            return Err(InstitutionsError::Invalid(format!(
                "适用区域 {r} 超出您的管辖范围"
            )));
        }
    }
    for k in &n.kinds {
        if rules::category_of(k).is_none() {
            return Err(InstitutionsError::Invalid(format!("机构类型“{k}”不存在")));
        }
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO epidemic_order (title, issuer, issued_by, issuer_scope, from_date, regions, institution_kinds, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            params![
                title,
                issuer,
                who.username,
                who.scope_code,
                n.from_date,
                list_text(&regions),
                list_text(&n.kinds),
                common::now()
            ],
        )?
        .get(0)?;
    common::audit(
        tx,
        who,
        "epidemic_order.issue",
        "epidemic_order",
        id,
        serde_json::json!({ "from": n.from_date, "regions": regions, "kinds": n.kinds }),
    )?;
    Ok(id)
}

/// Lifts an order from `on` (the first day no longer under it): a dated, audited act.
pub fn lift(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    on: NaiveDate,
    reason: &str,
) -> Result<(), InstitutionsError> {
    who.require(Action::EpidemicOrderManage)?;
    let reason = common::required(reason, "解除理由", 500)?;
    let order = all_orders(tx)?
        .into_iter()
        .find(|o| o.scope.id == id)
        .ok_or(InstitutionsError::NotFound)?;
    let scope = who.scope();
    if !order
        .scope
        .regions
        .iter()
        .all(|r| scope.contains(&format!("{r:0<12}")))
    {
        return Err(InstitutionsError::Invalid(
            "该封闭管理通知的适用区域超出您的管辖范围，须由发布层级解除".into(),
        ));
    }
    if let Some(l) = order.scope.lifted_on {
        return Err(InstitutionsError::Invalid(format!("该通知已于 {l} 解除")));
    }
    if on <= order.scope.from_date {
        return Err(InstitutionsError::Invalid(format!(
            "解除日期应晚于施行日期 {}",
            order.scope.from_date
        )));
    }
    let n = tx.execute(
        "UPDATE epidemic_order SET lifted_on = $1, lifted_by = $2, lift_reason = $3 WHERE id = $4 AND lifted_on IS NULL",
        params![on, who.username, reason, id],
    )?;
    if n != 1 {
        return Err(InstitutionsError::Invalid("该通知已解除".into()));
    }
    common::audit(
        tx,
        who,
        "epidemic_order.lift",
        "epidemic_order",
        id,
        serde_json::json!({ "lifted_on": on, "reason": reason }),
    )?;
    Ok(())
}

/// The order covering an institution on a date, if any.
pub fn in_force(
    tx: &mut Tx<'_>,
    inst: &InstitutionRef,
    on: NaiveDate,
) -> Result<Option<OrderScope>, InstitutionsError> {
    let orders: Vec<OrderScope> = all_orders(tx)?.into_iter().map(|o| o.scope).collect();
    Ok(rules::order_in_force(&orders, &inst.region_code, &inst.kind, on).cloned())
}

/// Refuses `s` at `inst` on `on` if an order is in force, naming it.
pub fn enforce(
    tx: &mut Tx<'_>,
    inst: &InstitutionRef,
    s: Suspension,
    on: NaiveDate,
) -> Result<(), InstitutionsError> {
    match in_force(tx, inst, on)? {
        Some(o) => Err(InstitutionsError::Invalid(o.refusal(s))),
        None => Ok(()),
    }
}

/// Sets a district's risk level from a date (a new dated row; earlier rows stay).
pub fn set_risk_level(
    tx: &mut Tx<'_>,
    who: &Principal,
    district: &str,
    valid_from: NaiveDate,
    level: &str,
) -> Result<i64, InstitutionsError> {
    who.require(Action::EpidemicOrderManage)?;
    let s = RegionScope::parse(district)
        .map_err(|e| InstitutionsError::Invalid(format!("区县代码无效：{e}")))?;
    let d = s.prefix();
    if d.len() != 6 {
        return Err(InstitutionsError::Invalid(
            "风险等级按区县设定：应为 6 位区县代码".into(),
        ));
    }
    if !who.scope().contains(&format!("{d:0<12}")) {
        return Err(InstitutionsError::Invalid(format!(
            "区县 {d} 超出您的管辖范围"
        )));
    }
    if !rules::RISK_LEVELS.iter().any(|l| l.0 == level) {
        return Err(InstitutionsError::Invalid(format!("风险等级“{level}”无效")));
    }
    let r = tx.query_one(
        "INSERT INTO risk_level (district_code, valid_from, level, set_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        params![d, valid_from, level, who.username, common::now()],
    );
    let id: i64 = match r {
        Ok(row) => row.get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(InstitutionsError::Invalid(format!(
                "{d} 自 {valid_from} 起的风险等级已设定；请另选日期"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    common::audit(
        tx,
        who,
        "risk_level.set",
        "risk_level",
        id,
        serde_json::json!({ "district": d, "from": valid_from, "level": level }),
    )?;
    Ok(id)
}

/// A district's risk level on a date.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RiskLevel {
    /// District code (6 digits).
    pub district_code: String,
    /// Level id.
    pub level: String,
    /// Since when.
    pub valid_from: String,
}

/// The level in force on `on` for each district `who` sees (latest row not after the date).
pub fn risk_levels(
    tx: &mut Tx<'_>,
    who: &Principal,
    on: NaiveDate,
) -> Result<Vec<RiskLevel>, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let rows = tx.query(
        "SELECT district_code, level, valid_from FROM risk_level WHERE valid_from <= $1 ORDER BY district_code, valid_from",
        params![on],
    )?;
    let scope = who.scope();
    let mut out: Vec<RiskLevel> = Vec::new();
    for r in rows {
        let d: String = r.get(0)?;
        if !scope.contains(&format!("{d:0<12}"))
            && !scope
                .as_prefixes()
                .iter()
                .any(|p| p.starts_with(d.as_str()))
        {
            continue;
        }
        let row = RiskLevel {
            district_code: d,
            level: r.get(1)?,
            valid_from: r.get(2)?,
        };
        match out.last_mut() {
            Some(last) if last.district_code == row.district_code => *last = row,
            _ => out.push(row),
        }
    }
    Ok(out)
}
