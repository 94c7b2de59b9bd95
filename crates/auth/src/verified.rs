//! Passwords recently verified against their Argon2 hash, so a client that logs in again and
//! again (a phone polling every few minutes, webmail logging in per request) costs a keyed
//! SHA-256 instead of an Argon2 run (Dovecot's auth cache does the same). Only that digest is
//! kept, under a key made fresh in each process; an entry also holds the stored hash it was
//! checked against, so a changed password (a new hash, also when changed by another process)
//! never matches an old entry. Entries expire after the cache's time to live (an hour by
//! default, `login_cache_seconds`); a time to live of zero turns the cache off.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// How long a verified password is remembered unless configured otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

/// Most users remembered at once; when full, the cache starts over.
const CAPACITY: usize = 100_000;

/// One remembered verification.
struct Entry {
    stored_hash: String,
    digest: [u8; 32],
    at: Instant,
}

/// The cache of verified passwords.
pub(crate) struct VerifiedPasswords {
    key: [u8; 32],
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl VerifiedPasswords {
    /// An empty cache with a new random key that remembers a verification for `ttl` (zero:
    /// never).
    pub(crate) fn new(ttl: Duration) -> VerifiedPasswords {
        VerifiedPasswords { key: rand::random(), ttl, entries: Mutex::default() }
    }

    fn digest(&self, password: &[u8]) -> [u8; 32] {
        Sha256::new().chain_update(self.key).chain_update(password).finalize().into()
    }

    /// Whether `password` was verified for `user` against `stored_hash` within the time to live.
    pub(crate) fn contains(&self, user: &str, stored_hash: &str, password: &[u8]) -> bool {
        let digest = self.digest(password);
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(user).is_some_and(|e| {
            e.stored_hash == stored_hash
                && e.at.elapsed() < self.ttl
                && e.digest.iter().zip(digest).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        })
    }

    /// Remembers that `password` matched `stored_hash` for `user`.
    pub(crate) fn insert(&self, user: &str, stored_hash: &str, password: &[u8]) {
        if self.ttl.is_zero() {
            return;
        }
        let entry =
            Entry { stored_hash: stored_hash.to_string(), digest: self.digest(password), at: Instant::now() };
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(user) {
            entries.clear();
        }
        entries.insert(user.to_string(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_only_the_same_password_and_hash() {
        let cache = VerifiedPasswords::new(DEFAULT_TTL);
        assert!(!cache.contains("alice", "$hash1", b"secret"));
        cache.insert("alice", "$hash1", b"secret");
        assert!(cache.contains("alice", "$hash1", b"secret"));
        assert!(!cache.contains("alice", "$hash1", b"Secret"));
        assert!(!cache.contains("alice", "$hash2", b"secret"), "a changed password misses");
        assert!(!cache.contains("bob", "$hash1", b"secret"));
    }

    #[test]
    fn a_zero_time_to_live_remembers_nothing() {
        let cache = VerifiedPasswords::new(Duration::ZERO);
        cache.insert("alice", "$hash1", b"secret");
        assert!(!cache.contains("alice", "$hash1", b"secret"));
        assert!(cache.entries.lock().unwrap().is_empty());
    }
}
