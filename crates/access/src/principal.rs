//! The signed-in user as every service sees it, and the region scope applied to queries.

use crate::AccessError;
use crate::roles::{Action, Role};
use minzheng_kernel::region::{RegionScope, RegionTree};
use minzheng_store::audit::AuditContext;

/// A region scope: the set of 12-digit codes a user may see, as code prefixes.
///
/// Applied inside SQL as ranges (`code >= p AND code < p || ':'`, which an index serves on both
/// backends: ':' is the character after '9'), so a list, a count, an export and a direct URL agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    prefixes: Vec<String>,
}

impl Scope {
    /// A scope of one prefix (`""` is everything, for the system itself).
    pub fn prefix(p: &str) -> Scope {
        Scope {
            prefixes: vec![p.to_owned()],
        }
    }

    /// A scope of several prefixes (a division whose units moved in from elsewhere).
    pub fn prefixes(ps: Vec<String>) -> Scope {
        Scope { prefixes: ps }
    }

    /// Whether a code lies inside the scope.
    pub fn contains(&self, code: &str) -> bool {
        self.prefixes.iter().any(|p| code.starts_with(p.as_str()))
    }

    /// An SQL condition on `column` with its parameters, numbered from `$first`.
    /// Returns the condition and the values to bind, in order.
    pub fn sql(&self, column: &str, first: usize) -> (String, Vec<String>) {
        if self.prefixes.iter().any(String::is_empty) {
            return ("1 = 1".into(), Vec::new());
        }
        let mut parts = Vec::new();
        let mut values = Vec::new();
        for (i, p) in self.prefixes.iter().enumerate() {
            let n = first + 2 * i;
            parts.push(format!("({column} >= ${n} AND {column} < ${})", n + 1));
            values.push(p.clone());
            values.push(format!("{p}:"));
        }
        if parts.is_empty() {
            return ("1 = 0".into(), Vec::new());
        }
        (format!("({})", parts.join(" OR ")), values)
    }

    /// The prefixes, for display and tests.
    pub fn as_prefixes(&self) -> &[String] {
        &self.prefixes
    }
}

/// Who is acting: resolved once per request from the session, or made for the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account id (0 for the system).
    pub account_id: i64,
    /// The sign-in name.
    pub username: String,
    /// The name shown on pages.
    pub display_name: String,
    /// What the account is.
    pub role: Role,
    /// The region code prefix the account works in.
    pub scope_code: String,
    /// The institution or marriage office the account belongs to, for those roles.
    pub unit_id: Option<i64>,
    /// The client address of the request, for the audit log.
    pub address: Option<String>,
    /// The request id, for the audit log.
    pub request_id: Option<String>,
}

impl Principal {
    /// The command line and background jobs: every permission, the whole city.
    pub fn system(what: &str) -> Principal {
        Principal {
            account_id: 0,
            username: format!("system:{what}"),
            display_name: "系统".into(),
            role: Role::CityAdmin,
            scope_code: String::new(),
            unit_id: None,
            address: None,
            request_id: None,
        }
    }

    /// Whether this is the system itself (a command or a job), not a signed-in person.
    pub fn is_system(&self) -> bool {
        self.account_id == 0 && self.username.starts_with("system:")
    }

    /// Whether the permission table grants `action`.
    pub fn can(&self, action: Action) -> bool {
        self.role.can(action)
    }

    /// Refuses with a message naming what is not allowed.
    pub fn require(&self, action: Action) -> Result<(), AccessError> {
        if self.can(action) {
            Ok(())
        } else {
            Err(AccessError::Forbidden(action.name_zh().into()))
        }
    }

    /// The scope the account's queries are limited to, as of today's region tree: after the
    /// 2025 division change a 两江新区 account also sees the streets that moved in with their old
    /// codes, and an account of an abolished district sees nothing until it is re-scoped.
    pub fn scope(&self) -> Scope {
        self.scope_on(minzheng_kernel::id_number::china_today())
    }

    /// The scope as of a given day (what tests and recomputations of the past use).
    pub fn scope_on(&self, date: chrono::NaiveDate) -> Scope {
        // The whole system, and the city, need no tree walk: every code starts with them.
        if self.scope_code.len() <= 2 {
            return Scope::prefix(&self.scope_code);
        }
        match RegionScope::parse(&self.scope_code) {
            Ok(scope) => Scope::prefixes(RegionTree::chongqing().scope_prefixes(scope, date)),
            Err(_) => Scope::prefix(&self.scope_code),
        }
    }

    /// How this principal appears in the audit log.
    pub fn audit(&self) -> AuditContext {
        AuditContext {
            actor: self.username.clone(),
            role: self.role.id().into(),
            address: self.address.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_sql_is_a_range_per_prefix() {
        let s = Scope::prefixes(vec!["500103".into(), "500112001".into()]);
        let (sql, values) = s.sql("region_code", 3);
        assert_eq!(
            sql,
            "((region_code >= $3 AND region_code < $4) OR (region_code >= $5 AND region_code < $6))"
        );
        assert_eq!(values, vec!["500103", "500103:", "500112001", "500112001:"]);
        assert!(s.contains("500103001001") && !s.contains("500104001001"));
        assert_eq!(Scope::prefix("").sql("c", 1).0, "1 = 1");
    }

    #[test]
    fn a_liangjiang_scope_covers_the_streets_that_moved_in_after_the_change() {
        let p = Principal {
            scope_code: "500157".into(),
            ..Principal::system("t")
        };
        let before = p.scope_on(chrono::NaiveDate::from_ymd_opt(2025, 11, 5).unwrap());
        assert!(
            before.as_prefixes().is_empty(),
            "两江新区 did not exist yet: {before:?}"
        );
        let after = p.scope_on(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
        // 水土街道 of 北碚区 (500109) moved to 两江新区 and keeps its code.
        let shuitu = RegionTree::chongqing()
            .nodes()
            .iter()
            .find(|n| n.name == "水土街道")
            .map(|n| format!("{:012}", n.code.as_u64()))
            .unwrap();
        assert!(
            shuitu.starts_with("500109") && after.contains(&shuitu),
            "{after:?}"
        );
        let beibei = Principal {
            scope_code: "500109".into(),
            ..Principal::system("t")
        };
        assert!(
            !beibei
                .scope_on(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap())
                .contains(&shuitu)
        );
        assert!(
            beibei
                .scope_on(chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap())
                .contains(&shuitu)
        );
    }
}
