//! 四张清单: each community's four duty lists (the kinds are configuration), the check of every
//! task or certificate request a department pushes to a community, and the burden indicator.

use crate::GovernanceError;
use crate::requests::{choice, choices, community};
use crate::rules::{self, ListItem, PushDecision, PushKind};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{ToValue, Tx, Value, params};
use serde::Serialize;

fn invalid(m: impl Into<String>) -> GovernanceError {
    GovernanceError::Invalid(m.into())
}

fn now() -> String {
    minzheng_store::format_instant(chrono::Utc::now())
}

/// A community's lists as pages show them.
#[derive(Debug, Clone, Serialize)]
pub struct DutyLists {
    /// The community.
    pub region_code: String,
    /// The day they took effect, if adopted.
    pub effective_from: Option<String>,
    /// Items: (id, kind, kind name, item name), by kind then position.
    pub items: Vec<(i64, String, String, String)>,
}

/// The lists of a community (public information).
pub fn lists(tx: &mut Tx<'_>, code: &str) -> Result<DutyLists, GovernanceError> {
    let head = tx.query_opt(
        "SELECT id, effective_from FROM duty_list WHERE region_code = $1",
        params![code],
    )?;
    let mut out = DutyLists {
        region_code: code.to_owned(),
        effective_from: None,
        items: Vec::new(),
    };
    if let Some(h) = head {
        let id: i64 = h.get(0)?;
        out.effective_from = Some(h.get(1)?);
        let rows = tx.query(
            "SELECT i.id, i.kind, o.name_zh, i.name FROM duty_item i
             JOIN governance_option o ON o.kind = 'duty_list_kind' AND o.code = i.kind
             WHERE i.duty_list_id = $1 ORDER BY o.position, i.position, i.id",
            params![id],
        )?;
        for r in rows {
            out.items.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
        }
    }
    Ok(out)
}

/// Adopts a community's lists from `effective_from` (once; items are added afterwards with
/// [`add_item`]). `items` are (kind, name) pairs.
pub fn adopt(
    tx: &mut Tx<'_>,
    who: &Principal,
    community_code: &str,
    effective_from: &str,
    items: &[(String, String)],
    today: NaiveDate,
) -> Result<i64, GovernanceError> {
    who.require(Action::GovernanceManage)?;
    let code = format!("{:012}", community(community_code, today)?.as_u64());
    if !who.scope().contains(&code) {
        return Err(invalid(format!("村（社区）{code} 不在您的辖区内")));
    }
    let from = NaiveDate::parse_from_str(effective_from.trim(), "%Y-%m-%d")
        .map_err(|_| invalid("生效日期格式应为 YYYY-MM-DD"))?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO duty_list (region_code, effective_from, adopted_by, adopted_at) VALUES ($1, $2, $3, $4) RETURNING id",
            params![code, from, who.username, now()],
        )
        .map_err(|e| if e.is_unique_violation() { invalid("该村（社区）已制定四张清单，请在原清单上增加事项") } else { e.into() })?
        .get(0)?;
    for (kind, name) in items {
        insert_item(tx, id, kind, name)?;
    }
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "duty_list.adopt",
            record_type: "duty_list",
            record_id: id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "region_code": code, "effective_from": from.to_string(), "items": items.len() }),
        },
    )?;
    Ok(id)
}

fn insert_item(
    tx: &mut Tx<'_>,
    list_id: i64,
    kind: &str,
    name: &str,
) -> Result<i64, GovernanceError> {
    let k = choice(tx, "duty_list_kind", kind, "清单类别")?;
    let name = name.trim();
    if name.chars().count() < 2 || name.chars().count() > 100 {
        return Err(invalid("清单事项名称应为 2 至 100 字"));
    }
    let pos: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM duty_item WHERE duty_list_id = $1 AND kind = $2",
            params![list_id, k.code],
        )?
        .get(0)?;
    Ok(tx
        .query_one(
            "INSERT INTO duty_item (duty_list_id, kind, position, name) VALUES ($1, $2, $3, $4) RETURNING id",
            params![list_id, k.code, pos + 1, name],
        )
        .map_err(|e| if e.is_unique_violation() { invalid(format!("“{name}”已在{}中", k.name)) } else { e.into() })?
        .get(0)?)
}

/// Adds an item to a community's adopted lists.
pub fn add_item(
    tx: &mut Tx<'_>,
    who: &Principal,
    community_code: &str,
    kind: &str,
    name: &str,
    today: NaiveDate,
) -> Result<i64, GovernanceError> {
    who.require(Action::GovernanceManage)?;
    let code = format!("{:012}", community(community_code, today)?.as_u64());
    if !who.scope().contains(&code) {
        return Err(invalid(format!("村（社区）{code} 不在您的辖区内")));
    }
    let list: i64 = tx
        .query_opt(
            "SELECT id FROM duty_list WHERE region_code = $1",
            params![code],
        )?
        .ok_or_else(|| invalid("该村（社区）尚未制定四张清单"))?
        .get(0)?;
    let id = insert_item(tx, list, kind, name)?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "duty_list.add_item",
            record_type: "duty_item",
            record_id: id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "region_code": code, "kind": kind, "name": name.trim() }),
        },
    )?;
    Ok(id)
}

/// What a department pushes to a community.
#[derive(Debug, Clone, Default)]
pub struct Push {
    /// The community.
    pub community: String,
    /// `task` or `certificate`.
    pub kind: String,
    /// What is asked.
    pub title: String,
    /// Who asks.
    pub department: String,
}

/// What happened to a pushed task.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PushOutcome {
    /// Row id (refusals are recorded and counted too).
    pub id: i64,
    /// Whether the community takes it.
    pub accepted: bool,
    /// The list item cited (matched for an acceptance, the forbidden item for a refusal).
    pub item: Option<String>,
    /// The list the item is on.
    pub list: Option<String>,
    /// Why, in Chinese.
    pub reason: String,
}

/// TaskPush: a task or certificate request pushed to a community, checked against its lists in
/// force on `today`. A refusal cites the item (or the certificate list) and is recorded, so it
/// counts in the burden indicator. Bad input is refused and nothing is written.
pub fn push(
    tx: &mut Tx<'_>,
    who: &Principal,
    p: &Push,
    today: NaiveDate,
) -> Result<PushOutcome, GovernanceError> {
    who.require(Action::TaskPush)?;
    let code = format!("{:012}", community(&p.community, today)?.as_u64());
    if !who.scope().contains(&code) {
        return Err(invalid(format!("村（社区）{code} 不在您的辖区内")));
    }
    let kind =
        PushKind::from_id(p.kind.trim()).ok_or_else(|| invalid("请选择工作事项或证明事项"))?;
    let title = p.title.trim();
    if title.chars().count() < 2 || title.chars().count() > 200 {
        return Err(invalid("事项名称应为 2 至 200 字"));
    }
    let department = p.department.trim();
    if department.chars().count() < 2 || department.chars().count() > 60 {
        return Err(invalid("请填写派发部门（2 至 60 字）"));
    }
    let lists = lists(tx, &code)?;
    let in_force = lists
        .effective_from
        .as_deref()
        .is_some_and(|f| f <= today.to_string().as_str());
    let kinds = choices(tx, "duty_list_kind")?;
    let items: Vec<ListItem> = lists
        .items
        .iter()
        .map(|(id, k, _, name)| ListItem {
            id: *id,
            kind: k.clone(),
            effect: kinds
                .iter()
                .find(|c| &c.code == k)
                .map(|c| c.flag.clone())
                .unwrap_or_default(),
            name: name.clone(),
        })
        .collect();
    let decision = rules::check_push(kind, title, &items, in_force);
    let (accepted, item_id, reason) = match decision {
        PushDecision::Accepted(i) => (true, i, "符合四张清单，村（社区）承接".to_owned()),
        PushDecision::Refused(i, r) => (false, i, r),
    };
    let item = item_id.and_then(|i| lists.items.iter().find(|x| x.0 == i));
    let list = match (item, accepted, kind) {
        (Some(it), _, _) => Some(it.2.clone()),
        (None, false, PushKind::Certificate) => kinds
            .iter()
            .find(|c| c.flag == "certificate")
            .map(|c| c.name.clone()),
        _ => None,
    };
    let reason = if in_force {
        reason
    } else {
        "该村（社区）四张清单尚未生效，照常派发".to_owned()
    };
    let id: i64 = tx
        .query_one(
            "INSERT INTO pushed_task (region_code, street_code, district_code, kind, title, department, pushed_on, pushed_by,
                lists_in_force, outcome, duty_item_id, reason, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            params![code, code[..9].to_owned(), code[..6].to_owned(), kind.id(), title, department, today, who.username,
                in_force, if accepted { "accepted" } else { "refused" }, item_id, reason, now()],
        )?
        .get(0)?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: if accepted {
                "task.push_accepted"
            } else {
                "task.push_refused"
            },
            record_type: "pushed_task",
            record_id: id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({ "region_code": code, "kind": kind.id(), "title": title, "item": item_id }),
        },
    )?;
    Ok(PushOutcome {
        id,
        accepted,
        item: item.map(|i| i.3.clone()),
        list,
        reason,
    })
}

/// One line of the pushed-task ledger.
#[derive(Debug, Clone, Serialize)]
pub struct PushedRow {
    /// Id.
    pub id: i64,
    /// Community.
    pub region_code: String,
    /// Task or certificate.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Department.
    pub department: String,
    /// Day.
    pub pushed_on: String,
    /// `accepted` or `refused`.
    pub outcome: String,
    /// Why.
    pub reason: String,
}

/// The pushed tasks within the scope, newest first (200).
pub fn pushed(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<PushedRow>, GovernanceError> {
    who.require(Action::GovernanceRead)?;
    let (cond, values) = who.scope().sql("region_code", 1);
    let p: Vec<Value> = values.into_iter().map(Value::Text).collect();
    let refs: Vec<&dyn ToValue> = p.iter().map(|v| v as &dyn ToValue).collect();
    let rows = tx.query(
        &format!("SELECT id, region_code, kind, title, department, pushed_on, outcome, reason FROM pushed_task WHERE {cond} ORDER BY id DESC LIMIT 200"),
        &refs,
    )?;
    rows.iter()
        .map(|r| {
            Ok(PushedRow {
                id: r.get(0)?,
                region_code: r.get(1)?,
                kind: r.get(2)?,
                title: r.get(3)?,
                department: r.get(4)?,
                pushed_on: r.get(5)?,
                outcome: r.get(6)?,
                reason: r.get(7)?,
            })
        })
        .collect()
}

/// The burden indicator of one street or district: tasks pushed before and after the lists took
/// effect, and the share refused, as exact counts with the percentage rendered by `rules::rate`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BurdenRow {
    /// The street (9 digits) or district (6 digits).
    pub code: String,
    /// Its name.
    pub name: String,
    /// Pushed before the community's lists were in force.
    pub before_pushed: i64,
    /// Of those, refused (always 0: there was nothing to check against).
    pub before_refused: i64,
    /// Pushed with the lists in force.
    pub after_pushed: i64,
    /// Of those, refused.
    pub after_refused: i64,
    /// `after_refused / after_pushed`.
    pub after_share: String,
    /// `before_refused / before_pushed`.
    pub before_share: String,
}

/// The burden indicator per street (`digits` = 9) or district (6) within the scope.
pub fn burden(
    tx: &mut Tx<'_>,
    who: &Principal,
    digits: usize,
) -> Result<Vec<BurdenRow>, GovernanceError> {
    who.require(Action::GovernanceRead)?;
    let digits = if digits == 9 { 9 } else { 6 };
    let (cond, values) = who.scope().sql("region_code", 1);
    let p: Vec<Value> = values.into_iter().map(Value::Text).collect();
    let refs: Vec<&dyn ToValue> = p.iter().map(|v| v as &dyn ToValue).collect();
    let rows = tx.query(
        &format!(
            "SELECT SUBSTR(region_code, 1, {digits}) AS unit,
                CAST(SUM(CASE WHEN lists_in_force THEN 0 ELSE 1 END) AS BIGINT),
                CAST(SUM(CASE WHEN NOT lists_in_force AND outcome = 'refused' THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN lists_in_force THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN lists_in_force AND outcome = 'refused' THEN 1 ELSE 0 END) AS BIGINT)
             FROM pushed_task WHERE {cond} GROUP BY SUBSTR(region_code, 1, {digits}) ORDER BY unit"
        ),
        &refs,
    )?;
    rows.iter()
        .map(|r| {
            let code: String = r.get(0)?;
            let (bp, br, ap, ar): (i64, i64, i64, i64) =
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
            Ok(BurdenRow {
                name: crate::indicators::unit_name(&code),
                code,
                before_pushed: bp,
                before_refused: br,
                after_pushed: ap,
                after_refused: ar,
                after_share: rules::rate(ar, ap),
                before_share: rules::rate(br, bp),
            })
        })
        .collect()
}
