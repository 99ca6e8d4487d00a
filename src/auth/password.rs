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

/// At most this many argon2 computations run at once, each on a blocking thread: they are
/// CPU-bound (more than the cores only queue) and each takes 19 MiB, which the allocator keeps
/// per thread, so unbounded bursts grew the server by hundreds of MiB.
fn permits() -> &'static tokio::sync::Semaphore {
    static S: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    S.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// [`verify`] off the async runtime, within the permits.
pub async fn verify_off_runtime(password: String, stored: String) -> anyhow::Result<bool> {
    let _permit = permits().acquire().await?;
    Ok(tokio::task::spawn_blocking(move || verify(&password, &stored)).await?)
}

/// [`hash`] off the async runtime, within the permits.
pub async fn hash_off_runtime(password: String) -> anyhow::Result<String> {
    let _permit = permits().acquire().await?;
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

/// A hash to verify against when the user does not exist, so timing does not reveal it.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no such user").expect("hash"))
}

/// Passwords guessed first (the most common in published Chinese and global leak lists, as
/// lower case); a password equal to one, ignoring case, is refused.
const COMMON: &[&str] = &[
    "password", "password1", "password123", "passw0rd", "pass1234", "pass123456", "12345678", "123456789", "1234567890",
    "abc12345", "abc123456", "a1234567", "a12345678", "a123456789", "aa123456", "qq123456", "qwerty123", "qwe12345",
    "qwe123456", "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "zxcvbnm123", "asd12345", "asdf1234", "admin123", "admin1234",
    "admin12345", "root1234", "test1234", "woaini1314", "woaini520", "iloveyou1", "welcome1", "letmein1", "abcd1234",
    "abcd123456", "p@ssw0rd", "p@ssword1", "88888888a", "a88888888", "11111111a", "a11111111", "yinghuo123", "dangjian123",
    "dangyuan123", "zuzhibu123",
];

/// At least 8 characters with letters and digits (GB/T 22239 (等保2.0) 身份鉴别 practice), not a
/// common password, and not the username.
pub fn check_strength(password: &str, username: &str) -> Result<(), &'static str> {
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
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err("该密码过于常见，容易被猜中，请换一个");
    }
    let user = username.trim().to_lowercase();
    if !user.is_empty() && lower.contains(&user) {
        return Err("密码不能包含用户名");
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
        if check_strength(&p, "").is_ok() {
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
        assert!(check_strength("abc1234", "").is_err());
        assert!(check_strength("abcdefgh", "").is_err());
        assert_eq!(check_strength("Password1", ""), Err("该密码过于常见，容易被猜中，请换一个"));
        assert_eq!(check_strength("zhang2026x", "zhang"), Err("密码不能包含用户名"));
        assert!(check_strength("zhang2026x", "li").is_ok());
        assert!(check_strength(&random_password(), "admin").is_ok());
    }
}
