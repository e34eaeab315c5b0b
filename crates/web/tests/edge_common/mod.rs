//! What the edge tests share: a staff account to sign in with, and the session cookie to call the
//! API with.
#![allow(dead_code)]

use minzheng_access::accounts::{self, NewAccount};
use minzheng_access::{Principal, Role};
use minzheng_store::Db;
use minzheng_web::testing::Browser;

/// The password of every test account.
pub const PASSWORD: &str = "Minzheng-2026";

/// A staff account of `role` over `scope`, to sign in with [`PASSWORD`].
pub fn staff(db: &Db, username: &str, role: Role, scope: &str) {
    db.write(|tx| {
        accounts::create(
            tx,
            &Principal::system("test"),
            &NewAccount {
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

/// The `Cookie` header of a signed-in browser's session.
pub fn session(b: &Browser) -> String {
    format!(
        "{}={}",
        minzheng_web::auth::SESSION_COOKIE,
        b.cookie(minzheng_web::auth::SESSION_COOKIE).unwrap()
    )
}
