//! Connection limits: in total, before login, per client address and per user.

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

    /// How many slots `key` holds now.
    pub fn held(&self, key: &K) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).get(key).copied().unwrap_or(0)
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
    /// Connections open on every listener together (one key, `()`).
    pub total: Counter<()>,
    /// Connections that have not authenticated yet (one key, `()`); LMTP is not counted.
    pub prelogin: Counter<()>,
    /// Connections per client IP address.
    pub per_ip: Counter<IpAddr>,
    /// Authenticated sessions per user.
    pub per_user: Counter<String>,
}

impl Limits {
    /// The server-wide gauges for /metrics: connections open and the limits they approach.
    pub fn render(&self) -> String {
        let gauges = [
            ("bushbuck_connections_open_all", "Connections open on every listener.", self.total.held(&())),
            ("bushbuck_connections_limit", "max_connections.", self.total.max),
            (
                "bushbuck_prelogin_connections_open",
                "Connections not authenticated yet.",
                self.prelogin.held(&()),
            ),
            ("bushbuck_prelogin_connections_limit", "max_prelogin_connections.", self.prelogin.max),
        ];
        gauges
            .iter()
            .map(|(name, help, value)| format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"))
            .collect()
    }
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
        assert_eq!(c.held(&"x"), 2);
        drop(a);
        assert_eq!(c.held(&"x"), 1);
        assert!(c.acquire("x").is_some());
    }
}
