//! Connection limits per client address and per user.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Counts live holders per key and refuses new ones past a maximum.
pub struct Counter<K: Eq + Hash + Clone> {
    max: usize,
    counts: Arc<Mutex<HashMap<K, usize>>>,
}

/// A slot taken from a [`Counter`]; given back when dropped.
pub struct Slot<K: Eq + Hash + Clone> {
    key: K,
    counts: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Eq + Hash + Clone> Counter<K> {
    /// A counter allowing `max` holders per key.
    pub fn new(max: usize) -> Self {
        Counter { max, counts: Arc::default() }
    }

    /// Takes a slot for `key`, or `None` when the key already has `max` holders.
    pub fn acquire(&self, key: K) -> Option<Slot<K>> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let n = counts.entry(key.clone()).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Slot { key, counts: self.counts.clone() })
    }
}

impl<K: Eq + Hash + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// The server's connection limits.
pub struct Limits {
    /// Connections per client IP address.
    pub per_ip: Counter<IpAddr>,
    /// Authenticated sessions per user.
    pub per_user: Counter<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_given_back() {
        let c = Counter::new(2);
        let a = c.acquire("x").unwrap();
        let _b = c.acquire("x").unwrap();
        assert!(c.acquire("x").is_none());
        assert!(c.acquire("y").is_some());
        drop(a);
        assert!(c.acquire("x").is_some());
    }
}
