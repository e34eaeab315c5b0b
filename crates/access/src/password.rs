//! Passwords: argon2id hashes and the strength rules staff passwords must meet.
//!
//! Cost: argon2id with m = 19 MiB, t = 2, p = 1 (the OWASP minimum for argon2id). On these 2-core
//! machines one hash takes tens of milliseconds: slow enough to make guessing a stolen hash costly,
//! fast enough that a morning rush of a few thousand staff signing in is no queue (figures in
//! docs/BENCHMARKS.md).

use crate::AccessError;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// The shortest accepted password.
pub const MIN_LENGTH: usize = 10;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks the strength rules: at least [`MIN_LENGTH`] characters, three of four kinds (lowercase,
/// uppercase, digit, other), and not the username.
pub fn check_strength(password: &str, username: &str) -> Result<(), AccessError> {
    let len = password.chars().count();
    if len < MIN_LENGTH {
        return Err(AccessError::WeakPassword(format!(
            "密码至少 {MIN_LENGTH} 位，当前 {len} 位"
        )));
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if kinds < 3 {
        return Err(AccessError::WeakPassword(
            "密码须包含小写字母、大写字母、数字、符号中的至少三类".into(),
        ));
    }
    if password.to_lowercase().contains(&username.to_lowercase()) && !username.is_empty() {
        return Err(AccessError::WeakPassword("密码不得包含用户名".into()));
    }
    Ok(())
}

/// Hashes a password to a PHC string with a random salt.
pub fn hash(password: &str) -> Result<String, AccessError> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AccessError::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches the stored PHC string (parameters are read from the string).
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rules_and_round_trip() {
        assert!(check_strength("short1A!", "x").is_err());
        assert!(check_strength("alllowercase", "x").is_err());
        assert!(check_strength("zhangsan-Pass1", "zhangsan").is_err());
        check_strength("Chongqing-2026", "zhangsan").unwrap();
        let h = hash("Chongqing-2026").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("Chongqing-2026", &h));
        assert!(!verify("Chongqing-2027", &h));
        assert!(!verify("Chongqing-2026", "not a hash"));
    }
}
