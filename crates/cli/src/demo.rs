//! The demo data set: small, realistic, and only ever loaded into an empty database.
//!
//! Every change to the database writes an audit row, so a database whose audit log holds nothing but
//! the reference seed (written as `system:seed`) is empty.
//! Each area adds its part of the demo set here as it is built.

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{AccessError, Principal, Role};
use minzheng_store::audit::{self, AuditContext, AuditEntry};
use minzheng_store::{Db, params};

/// The password of every demo account (listed in the README).
pub const DEMO_PASSWORD: &str = "Minzheng-2026";

/// The demo staff: one account of each role in two districts, 渝中区 and 沙坪坝区, plus the
/// city-wide administrator and auditor: `(username, name, role, scope, unit)`.
pub const DEMO_ACCOUNTS: &[(&str, &str, Role, &str, Option<i64>)] = &[
    ("admin", "市局管理员", Role::CityAdmin, "50", None),
    ("auditor", "市局审计员", Role::Auditor, "50", None),
    (
        "yuzhong-admin",
        "渝中区管理员",
        Role::DistrictAdmin,
        "500103",
        None,
    ),
    (
        "yuzhong-reviewer",
        "渝中区审核员",
        Role::DistrictReviewer,
        "500103",
        None,
    ),
    (
        "yuzhong-street",
        "七星岗街道经办员",
        Role::StreetOfficer,
        "500103001",
        None,
    ),
    (
        "yuzhong-community",
        "华一坡社区工作者",
        Role::CommunityWorker,
        "500103001003",
        None,
    ),
    (
        "yuzhong-institution",
        "渝中区社会福利院工作人员",
        Role::InstitutionStaff,
        "500103",
        Some(1),
    ),
    (
        "yuzhong-registrar",
        "渝中区婚姻登记员",
        Role::MarriageRegistrar,
        "500103",
        Some(1),
    ),
    (
        "shapingba-admin",
        "沙坪坝区管理员",
        Role::DistrictAdmin,
        "500106",
        None,
    ),
    (
        "shapingba-reviewer",
        "沙坪坝区审核员",
        Role::DistrictReviewer,
        "500106",
        None,
    ),
    (
        "shapingba-street",
        "小龙坎街道经办员",
        Role::StreetOfficer,
        "500106001",
        None,
    ),
    (
        "shapingba-community",
        "龙泉路社区工作者",
        Role::CommunityWorker,
        "500106001001",
        None,
    ),
    (
        "shapingba-institution",
        "沙坪坝区社会福利院工作人员",
        Role::InstitutionStaff,
        "500106",
        Some(2),
    ),
    (
        "shapingba-registrar",
        "沙坪坝区婚姻登记员",
        Role::MarriageRegistrar,
        "500106",
        Some(2),
    ),
];

/// Why the demo set could not be loaded (the whole transaction is rolled back).
#[derive(Debug, thiserror::Error)]
enum DemoError {
    #[error(transparent)]
    Store(#[from] minzheng_store::StoreError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("{0}")]
    Area(String),
}

fn area(e: impl std::fmt::Display) -> DemoError {
    DemoError::Area(e.to_string())
}

/// Loads the demo set, or says why not.
pub fn load(db: &Db) -> Result<String, String> {
    let system = Principal::system("demo");
    db.write(|tx| {
        let changes: i64 = tx
            .query_one("SELECT COUNT(*) FROM audit_log WHERE actor <> 'system:seed'", params![])?
            .get(0)?;
        if changes > 0 {
            return Ok(Err(format!(
                "数据库不是空的（已有 {changes} 条变更记录）：演示数据只装入空数据库，现有数据未作任何改动"
            )));
        }
        audit::append(
            tx,
            &AuditContext::system("demo"),
            AuditEntry {
                action: "demo.load",
                record_type: "database",
                record_id: "demo".into(),
                subject_key: None,
                before: None,
                after: None,
                detail: serde_json::json!({ "version": env!("CARGO_PKG_VERSION") }),
            },
        )?;
        for (username, name, role, scope, unit) in DEMO_ACCOUNTS {
            let new = NewAccount {
                username: (*username).into(),
                display_name: (*name).into(),
                role: *role,
                scope: (*scope).into(),
                unit_id: *unit,
                password: DEMO_PASSWORD.into(),
                phone: None,
            };
            accounts::create(tx, &system, &new)?;
        }
        let today = minzheng_kernel::id_number::china_today();
        let mut lines = vec![format!("演示数据已装入：{} 个工作人员账户", DEMO_ACCOUNTS.len())];
        lines.push(minzheng_assistance::demo::seed(tx, today).map_err(area)?);
        lines.push(minzheng_institutions::demo::seed(tx, today).map_err(area)?);
        lines.push(minzheng_marriage::demo::seed(tx, today).map_err(area)?);
        lines.push(minzheng_governance::demo::seed(tx, today).map_err(area)?);
        lines.push(minzheng_benefits::demo::seed(tx, today).map_err(area)?);
        lines.retain(|l| !l.is_empty());
        Ok::<_, DemoError>(Ok(lines.join("\n")))
    })
    .map_err(|e| e.to_string())?
}
