//! Argon2id password hashing in PHC string form.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::{AuthError, Result};

/// Longest password accepted, in bytes.
const MAX_PASSWORD: usize = 1024;

/// Hashes a password with Argon2id and a fresh random salt.
pub fn hash(password: &[u8]) -> Result<String> {
    if password.is_empty() || password.len() > MAX_PASSWORD {
        return Err(AuthError::InvalidPassword(format!("must be 1 to {MAX_PASSWORD} bytes long")));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password, &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Storage(format!("hashing failed: {e}")))
}

/// True when `password` matches the stored PHC hash; a malformed hash never matches.
pub fn verify(password: &[u8], stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password, &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let h = hash(b"s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(b"s3cret", &h));
        assert!(!verify(b"wrong", &h));
        assert!(!verify(b"s3cret", "garbage"));
    }

    #[test]
    fn refuses_empty_password() {
        assert!(hash(b"").is_err());
    }
}
