//! What every test of the area needs: principals without accounts, staff accounts to sign in
//! with, months and the communities the tests enrol in.
#![allow(dead_code)]

use minzheng_access::{Principal, Role};
use minzheng_benefits::enrolments::NewEnrolment;
use minzheng_benefits::programs::Program;
use minzheng_kernel::id_number::IdNumber;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::region::RegionCode;
use minzheng_store::Db;

/// The password of every test account.
pub const PASSWORD: &str = "Minzheng-2026";
/// 渝中区 七星岗街道 华一坡社区 (urban).
pub const YUZHONG: &str = "500103001003";
/// A community of 沙坪坝区.
pub const SHAPINGBA: &str = "500106001001";

/// A principal of `role` over `scope`, for calling the services directly.
pub fn who(role: Role, scope: &str, name: &str) -> Principal {
    Principal {
        account_id: 1,
        username: name.into(),
        display_name: name.into(),
        role,
        scope_code: scope.into(),
        unit_id: None,
        address: None,
        request_id: None,
    }
}

/// The city administrator.
pub fn city() -> Principal {
    who(Role::CityAdmin, "50", "city")
}

/// A month from its text.
pub fn month(s: &str) -> Month {
    Month::parse(s).unwrap()
}

/// A staff account to sign in with (password [`PASSWORD`]).
pub fn account(db: &Db, username: &str, role: Role, scope: &str) {
    db.write(|tx| {
        minzheng_access::accounts::create(
            tx,
            &Principal::system("test"),
            &minzheng_access::accounts::NewAccount {
                username: username.into(),
                display_name: format!("{username}测试"),
                role,
                scope: scope.into(),
                unit_id: None,
                password: PASSWORD.into(),
                phone: None,
            },
        )
    })
    .unwrap();
}

/// Person `seq` enrolled in `program` in `community` from `start`, paid by CQRCB to a
/// social-security card: what a test changes field by field.
pub fn enrolment(
    program: Program,
    id_number: IdNumber,
    seq: u16,
    community: &str,
    start: &str,
) -> NewEnrolment {
    NewEnrolment {
        program,
        id_number,
        name: format!("测试{seq}"),
        household_id: None,
        region_code: RegionCode::parse(community).unwrap(),
        members: 1,
        counted_income: Fen(0),
        supplement: Fen(0),
        care_tier: None,
        bank_code: "CQRCB".into(),
        account_kind: "ssc".into(),
        account_no: format!("6230{seq:012}"),
        start_month: month(start),
        end_month: None,
        reason: "测试登记".into(),
    }
}
