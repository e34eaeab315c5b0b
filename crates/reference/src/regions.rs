//! What one division looks like on a date: the same answer for `minzheng regions show` and
//! `GET /api/v1/regions/{code}`.

use crate::ReferenceError;
use chrono::NaiveDate;
use minzheng_kernel::region::{RegionCode, RegionTree};
use serde::Serialize;

/// A division as of a date.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RegionView {
    /// The 12-digit statistical code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Kind in Chinese (区县、街道、镇、乡、社区居委会、村委会…).
    pub kind: String,
    /// The date asked about.
    pub as_of: NaiveDate,
    /// Whether the unit exists on that date.
    pub exists: bool,
    /// The names from the city down, e.g. 重庆市/两江新区/水土街道.
    pub path: Option<String>,
    /// The parent's code on that date.
    pub parent: Option<String>,
    /// Its direct subdivisions on that date: `(code, name)`.
    pub children: Vec<(String, String)>,
    /// How many units lie below it on that date.
    pub descendants: usize,
    /// The Ministry of Civil Affairs code of the same township, where matched (never mixed with NBS).
    pub mca_code: Option<String>,
    /// First day in force, when known.
    pub valid_from: Option<NaiveDate>,
    /// First day no longer in force.
    pub valid_to: Option<NaiveDate>,
}

/// Looks a code up as of a date; a code that does not parse or does not exist is a clear error.
pub fn show(code: &str, as_of: NaiveDate) -> Result<RegionView, ReferenceError> {
    let tree = RegionTree::chongqing();
    let code = RegionCode::parse(code).map_err(|e| ReferenceError::Invalid(e.to_string()))?;
    let node = tree
        .lookup(code)
        .map_err(|e| ReferenceError::Invalid(e.to_string()))?;
    let exists = tree.exists_on(code, as_of);
    let children = if exists {
        tree.children(code, as_of)
            .map_err(|e| ReferenceError::Invalid(e.to_string()))?
            .into_iter()
            .map(|c| (c.code.to_string(), c.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    Ok(RegionView {
        code: code.to_string(),
        name: node.name.clone(),
        kind: node.kind.name_zh().to_owned(),
        as_of,
        exists,
        path: tree.name_path(code, as_of).ok(),
        parent: tree
            .parent(code, as_of)
            .ok()
            .flatten()
            .map(|p| p.code.to_string()),
        descendants: if exists {
            tree.descendant_count(code, as_of).unwrap_or(0)
        } else {
            0
        },
        children,
        mca_code: tree.mca_alias(code).map(|m| m.to_string()),
        valid_from: node.valid_from,
        valid_to: node.valid_to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_street_has_a_new_parent_after_the_change() {
        let shuitu = RegionTree::chongqing()
            .nodes()
            .iter()
            .find(|n| n.name == "水土街道")
            .unwrap()
            .code
            .to_string();
        let before = show(&shuitu, NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()).unwrap();
        let after = show(&shuitu, NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()).unwrap();
        assert_eq!(before.parent.as_deref(), Some("500109000000"));
        assert_eq!(after.parent.as_deref(), Some("500157000000"));
        assert_eq!(after.path.as_deref(), Some("重庆市/两江新区/水土街道"));
        let jiangbei = show("500105", NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()).unwrap();
        assert!(!jiangbei.exists && jiangbei.children.is_empty());
        assert!(show("500199", NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()).is_err());
    }
}
