//! The gate ledger (门岗登记): a family's delivery is logged at the gate, disinfected, the
//! residential area is told, and the area collects it. The states go one way:
//!
//! ```text
//! received ──disinfect──▶ disinfected ──notify──▶ notified ──collect──▶ collected
//!                                   └──────────────collect──────────────┘
//! ```
//!
//! Nothing is collected without a disinfection record. The notice is an in-app list: the open
//! items of an area are what its staff see on the gate page.

use crate::InstitutionsError;
use crate::common::{self, own_institution};
use minzheng_access::{Action, Principal};
use minzheng_store::{Tx, params};
use serde::{Deserialize, Serialize};

/// What the gate officer fills in.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewDelivery {
    /// Who brought it.
    pub sender_name: String,
    /// Their phone.
    pub sender_phone: String,
    /// What it is (milk, fruit, medicine, diapers…).
    pub items: String,
    /// For which resident.
    pub resident_id: i64,
}

/// A ledger line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Delivery {
    /// Id.
    pub id: i64,
    /// Sender.
    pub sender_name: String,
    /// Sender phone, masked.
    pub sender_phone_masked: String,
    /// Items.
    pub items: String,
    /// Recipient resident id.
    pub resident_id: i64,
    /// Recipient name.
    pub resident_name: String,
    /// Residential area.
    pub area: String,
    /// Room.
    pub room: String,
    /// State.
    pub status: String,
    /// Received at (instant).
    pub received_at: String,
    /// Gate officer.
    pub received_by: String,
    /// Disinfected at.
    pub disinfected_at: Option<String>,
    /// By whom.
    pub disinfected_by: Option<String>,
    /// Method.
    pub disinfection_method: Option<String>,
    /// Area told at.
    pub notified_at: Option<String>,
    /// Collected at.
    pub collected_at: Option<String>,
    /// Collected by.
    pub collected_by: Option<String>,
}

/// The Chinese name of a ledger state.
pub fn status_zh(s: &str) -> &str {
    match s {
        "received" => "已登记待消毒",
        "disinfected" => "已消毒待通知",
        "notified" => "已通知待领取",
        "collected" => "已领取",
        other => other,
    }
}

/// Logs a delivery at the gate; returns its id.
pub fn log_delivery(
    tx: &mut Tx<'_>,
    who: &Principal,
    n: &NewDelivery,
) -> Result<i64, InstitutionsError> {
    who.require(Action::InstitutionOperate)?;
    let inst = own_institution(tx, who)?;
    let sender = common::required(&n.sender_name, "送件人", 50)?;
    let phone = common::required(&n.sender_phone, "送件人电话", 20)?;
    let items = common::required(&n.items, "物品", 200)?;
    let r = tx
        .query_opt(
            "SELECT area, status FROM resident WHERE id = $1 AND institution_id = $2",
            params![n.resident_id, inst.id],
        )?
        .ok_or_else(|| InstitutionsError::Invalid("收件老人不在本机构名册中".into()))?;
    let area: String = r.get(0)?;
    let status: String = r.get(1)?;
    if status == "discharged" {
        return Err(InstitutionsError::Invalid("收件老人已出院".into()));
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO delivery (institution_id, sender_name, sender_phone, items, resident_id, area, status, received_at, received_by)
             VALUES ($1, $2, $3, $4, $5, $6, 'received', $7, $8) RETURNING id",
            params![inst.id, sender, phone, items, n.resident_id, area, common::now(), who.display_name],
        )?
        .get(0)?;
    common::audit(
        tx,
        who,
        "delivery.log",
        "delivery",
        id,
        serde_json::json!({ "area": area }),
    )?;
    Ok(id)
}

fn step(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
) -> Result<(i64, String, Option<String>), InstitutionsError> {
    who.require(Action::InstitutionOperate)?;
    let inst = own_institution(tx, who)?;
    let r = tx
        .query_opt(
            "SELECT status, disinfected_at FROM delivery WHERE id = $1 AND institution_id = $2",
            params![id, inst.id],
        )?
        .ok_or(InstitutionsError::NotFound)?;
    Ok((inst.id, r.get(0)?, r.get(1)?))
}

/// Records the disinfection of a delivery (who, when, method).
pub fn disinfect(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    method: &str,
) -> Result<(), InstitutionsError> {
    let (_, status, _) = step(tx, who, id)?;
    let method = common::required(method, "消毒方式", 100)?;
    if status != "received" {
        return Err(InstitutionsError::Invalid(format!(
            "该物品{}，不能再登记消毒",
            status_zh(&status)
        )));
    }
    tx.execute(
        "UPDATE delivery SET status = 'disinfected', disinfected_at = $1, disinfected_by = $2, disinfection_method = $3 WHERE id = $4 AND status = 'received'",
        params![common::now(), who.display_name, method, id],
    )?;
    common::audit(
        tx,
        who,
        "delivery.disinfect",
        "delivery",
        id,
        serde_json::json!({ "method": method }),
    )
}

/// Tells the residential area the item is ready (it appears on the area's open list as notified).
pub fn notify_area(tx: &mut Tx<'_>, who: &Principal, id: i64) -> Result<(), InstitutionsError> {
    let (_, status, _) = step(tx, who, id)?;
    if status != "disinfected" {
        return Err(InstitutionsError::Invalid(format!(
            "该物品{}：消毒后才能通知居住区领取",
            status_zh(&status)
        )));
    }
    tx.execute(
        "UPDATE delivery SET status = 'notified', notified_at = $1, notified_by = $2 WHERE id = $3",
        params![common::now(), who.display_name, id],
    )?;
    common::audit(
        tx,
        who,
        "delivery.notify",
        "delivery",
        id,
        serde_json::json!({}),
    )
}

/// Records the collection by the residential area; refused without a disinfection record.
pub fn collect(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: i64,
    collected_by: &str,
) -> Result<(), InstitutionsError> {
    let (_, status, disinfected_at) = step(tx, who, id)?;
    let by = common::required(collected_by, "领取人", 50)?;
    if status == "collected" {
        return Err(InstitutionsError::Invalid("该物品已领取".into()));
    }
    if disinfected_at.is_none() {
        return Err(InstitutionsError::Invalid(
            "该物品尚无消毒记录，消毒登记后才能领取".into(),
        ));
    }
    tx.execute(
        "UPDATE delivery SET status = 'collected', collected_at = $1, collected_by = $2 WHERE id = $3 AND disinfected_at IS NOT NULL",
        params![common::now(), by, id],
    )?;
    common::audit(
        tx,
        who,
        "delivery.collect",
        "delivery",
        id,
        serde_json::json!({}),
    )
}

/// The ledger of one's own institution: open items (optionally of one area), or the latest of all.
pub fn ledger(
    tx: &mut Tx<'_>,
    who: &Principal,
    open_only: bool,
    area: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>, InstitutionsError> {
    who.require(Action::InstitutionOperate)?;
    let inst = own_institution(tx, who)?;
    let rows = tx.query(
        "SELECT d.id, d.sender_name, d.sender_phone, d.items, d.resident_id, r.name, d.area, r.room, d.status,
                d.received_at, d.received_by, d.disinfected_at, d.disinfected_by, d.disinfection_method,
                d.notified_at, d.collected_at, d.collected_by
         FROM delivery d JOIN resident r ON r.id = d.resident_id
         WHERE d.institution_id = $1 AND ($2 = 0 OR d.status <> 'collected')
           AND (CAST($3 AS TEXT) IS NULL OR d.area = $3)
         ORDER BY d.id DESC LIMIT $4",
        params![inst.id, i64::from(open_only), area.map(str::to_owned), limit],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Delivery {
                id: r.get(0)?,
                sender_name: r.get(1)?,
                sender_phone_masked: minzheng_kernel::mask::phone(&r.get::<String>(2)?),
                items: r.get(3)?,
                resident_id: r.get(4)?,
                resident_name: r.get(5)?,
                area: r.get(6)?,
                room: r.get(7)?,
                status: r.get(8)?,
                received_at: r.get(9)?,
                received_by: r.get(10)?,
                disinfected_at: r.get(11)?,
                disinfected_by: r.get(12)?,
                disinfection_method: r.get(13)?,
                notified_at: r.get(14)?,
                collected_at: r.get(15)?,
                collected_by: r.get(16)?,
            })
        })
        .collect()
}
