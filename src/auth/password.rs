//! Password hashing with argon2id (the `argon2` crate's defaults: m=19 MiB, t=2, p=1).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hash password: {e}"))
}

pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so timing does not reveal it.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no such user").expect("hash"))
}

/// Minimum length 8, letters and digits: GB/T 22239 (等保2.0) 身份鉴别 practice.
pub fn check_strength(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 8 {
        return Err("密码至少8位");
    }
    if n > 128 {
        return Err("密码不超过128位");
    }
    let letters = password.chars().any(|c| c.is_alphabetic());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    if !(letters && digits) {
        return Err("密码须同时包含字母和数字");
    }
    Ok(())
}

/// A random password of letters and digits for generated accounts.
pub fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    loop {
        let p: String = (0..14).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect();
        if check_strength(&p).is_ok() {
            return p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn hashes_verify_and_strength() {
        let h = hash("abc12345").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("abc12345", &h));
        assert!(!verify("abc12346", &h));
        assert!(check_strength("abc1234").is_err());
        assert!(check_strength("abcdefgh").is_err());
        assert!(check_strength(&random_password()).is_ok());
    }
}
