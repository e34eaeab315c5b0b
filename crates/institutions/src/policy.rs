//! The policy library: measures, enhanced measures, guidance, lists and documents issued by the
//! bureau. Each measure (and enhanced measure) is a checklist item that institutions confirm with
//! evidence; compliance is the share of (institution, item) pairs confirmed, per district.

use crate::common::{self, refs, visible};
use crate::{InstitutionsError, rules};
use chrono::NaiveDate;
use minzheng_access::{Action, Principal};
use minzheng_store::{Tx, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Kinds of policy documents; the first two are checklist items.
pub const KINDS: [(&str, &str, bool); 5] = [
    ("measure", "防控措施", true),
    ("enhanced_measure", "强化措施", true),
    ("guidance", "工作指引", false),
    ("list", "清单", false),
    ("document", "文件", false),
];

/// The Chinese name of a document kind.
pub fn kind_zh(k: &str) -> &str {
    KINDS.iter().find(|x| x.0 == k).map(|x| x.1).unwrap_or(k)
}

/// What is filled in to issue a document.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewDocument {
    /// Kind id.
    pub kind: String,
    /// Document number (unique), e.g. 渝民发〔2020〕1号-3.
    pub number: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Issue day.
    pub issued_on: NaiveDate,
}

/// A document of the library.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Document {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Whether institutions confirm it.
    pub checklist: bool,
    /// Issue day.
    pub issued_on: String,
}

/// Issues a document of the library.
pub fn issue(tx: &mut Tx<'_>, who: &Principal, n: &NewDocument) -> Result<i64, InstitutionsError> {
    who.require(Action::InstitutionManage)?;
    let kind = KINDS
        .iter()
        .find(|k| k.0 == n.kind)
        .ok_or_else(|| InstitutionsError::Invalid(format!("文件类别“{}”不存在", n.kind)))?;
    let number = common::required(&n.number, "文号", 60)?;
    let title = common::required(&n.title, "标题", 200)?;
    let r = tx.query_one(
        "INSERT INTO policy_document (kind, number, title, body, checklist, issued_on, issued_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        params![kind.0, number, title, n.body.trim(), kind.2, n.issued_on, who.username, common::now()],
    );
    let id: i64 = match r {
        Ok(row) => row.get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(InstitutionsError::Invalid(format!("文号 {number} 已存在")));
        }
        Err(e) => return Err(e.into()),
    };
    common::audit(
        tx,
        who,
        "policy_document.issue",
        "policy_document",
        id,
        serde_json::json!({ "kind": kind.0 }),
    )?;
    Ok(id)
}

/// The library, newest first.
pub fn documents(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<Document>, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    tx.query(
        "SELECT id, kind, number, title, checklist, issued_on FROM policy_document ORDER BY issued_on DESC, id DESC",
        params![],
    )?
    .iter()
    .map(|r| {
        Ok(Document {
            id: r.get(0)?,
            kind: r.get(1)?,
            number: r.get(2)?,
            title: r.get(3)?,
            checklist: r.get(4)?,
            issued_on: r.get(5)?,
        })
    })
    .collect()
}

/// Confirms a checklist item for one's own institution, with the evidence.
pub fn confirm(
    tx: &mut Tx<'_>,
    who: &Principal,
    document_id: i64,
    evidence: &str,
    on: NaiveDate,
) -> Result<i64, InstitutionsError> {
    who.require(Action::InstitutionOperate)?;
    let inst = common::own_institution(tx, who)?;
    let evidence = common::required(evidence, "落实情况佐证", 1000)?;
    let checklist: bool = tx
        .query_opt(
            "SELECT checklist FROM policy_document WHERE id = $1",
            params![document_id],
        )?
        .ok_or(InstitutionsError::NotFound)?
        .get(0)?;
    if !checklist {
        return Err(InstitutionsError::Invalid(
            "该文件不是需逐项确认的措施".into(),
        ));
    }
    let r = tx.query_one(
        "INSERT INTO policy_confirmation (document_id, institution_id, region_code, evidence, confirmed_on, confirmed_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        params![document_id, inst.id, inst.region_code, evidence, on, who.username],
    );
    let id: i64 = match r {
        Ok(row) => row.get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(InstitutionsError::Invalid("本机构已确认落实该措施".into()));
        }
        Err(e) => return Err(e.into()),
    };
    common::audit(
        tx,
        who,
        "policy_confirmation.confirm",
        "policy_confirmation",
        id,
        serde_json::json!({ "document_id": document_id }),
    )?;
    Ok(id)
}

/// Compliance of one district.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Compliance {
    /// District code (6 digits).
    pub district: String,
    /// Institutions (category institution) in the district.
    pub institutions: i64,
    /// Checklist items in the library.
    pub items: i64,
    /// Confirmations given.
    pub confirmed: i64,
    /// confirmed / (institutions × items), basis points half up.
    pub share_bp: Option<i64>,
}

/// Compliance per district over `who`'s scope.
pub fn compliance(tx: &mut Tx<'_>, who: &Principal) -> Result<Vec<Compliance>, InstitutionsError> {
    who.require(Action::InstitutionRead)?;
    let items: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM policy_document WHERE checklist = $1",
            params![true],
        )?
        .get(0)?;
    let (cond, values) = visible(who, "region_code", "id", 1);
    let mut out: BTreeMap<String, Compliance> = BTreeMap::new();
    for r in tx.query(
        &format!(
            "SELECT substr(region_code, 1, 6), COUNT(*) FROM institution WHERE category = 'institution' AND {cond} GROUP BY substr(region_code, 1, 6)"
        ),
        &refs(&values),
    )? {
        let d: String = r.get(0)?;
        out.insert(
            d.clone(),
            Compliance {
                district: d,
                institutions: r.get(1)?,
                items,
                confirmed: 0,
                share_bp: None,
            },
        );
    }
    let (cond, values) = visible(who, "c.region_code", "c.institution_id", 1);
    for r in tx.query(
        &format!(
            "SELECT substr(c.region_code, 1, 6), COUNT(*) FROM policy_confirmation c JOIN policy_document d ON d.id = c.document_id
             WHERE d.checklist = TRUE AND {cond} GROUP BY substr(c.region_code, 1, 6)"
        ),
        &refs(&values),
    )? {
        let d: String = r.get(0)?;
        if let Some(c) = out.get_mut(&d) {
            c.confirmed = r.get(1)?;
        }
    }
    Ok(out
        .into_values()
        .map(|mut c| {
            c.share_bp = rules::share_bp(c.confirmed, c.institutions * c.items);
            c
        })
        .collect())
}
