//! Failure counters that forget: every `decay` one failure is forgotten, so a user who
//! mistyped a password yesterday starts clean while a steady attacker keeps a high count.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Entries kept before forgotten ones are swept out.
const SWEEP_AT: usize = 4096;

#[derive(Clone, Copy)]
struct Count {
    value: f64,
    at: Instant,
}

impl Count {
    fn decayed(self, now: Instant, decay: Duration) -> f64 {
        let forgotten = now.saturating_duration_since(self.at).as_secs_f64() / decay.as_secs_f64();
        (self.value - forgotten).max(0.0)
    }
}

/// Decaying failure counts per key.
pub struct FailureCounters<K> {
    decay: Duration,
    counts: HashMap<K, Count>,
    sweep_at: usize,
}

impl<K: Hash + Eq> FailureCounters<K> {
    /// Counters that forget one failure every `decay` (at least a millisecond).
    pub fn new(decay: Duration) -> FailureCounters<K> {
        FailureCounters {
            decay: decay.max(Duration::from_millis(1)),
            counts: HashMap::new(),
            sweep_at: SWEEP_AT,
        }
    }

    /// The failures of `key` not yet forgotten at `now`, rounded up.
    pub fn get(&self, key: &K, now: Instant) -> u32 {
        self.counts.get(key).map_or(0, |c| c.decayed(now, self.decay).ceil() as u32)
    }

    /// Counts one more failure of `key` at `now`; returns the new count.
    pub fn add(&mut self, key: K, now: Instant) -> u32 {
        if self.counts.len() >= self.sweep_at {
            let decay = self.decay;
            self.counts.retain(|_, c| c.decayed(now, decay) > 0.0);
            self.sweep_at = (self.counts.len() * 2).max(SWEEP_AT);
        }
        let count = self.counts.entry(key).or_insert(Count { value: 0.0, at: now });
        count.value = count.decayed(now, self.decay) + 1.0;
        count.at = now;
        count.value.ceil() as u32
    }

    /// How many keys are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.counts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_failures_per_key() {
        let now = Instant::now();
        let mut c = FailureCounters::new(Duration::from_secs(60));
        assert_eq!(c.add("a", now), 1);
        assert_eq!(c.add("a", now), 2);
        assert_eq!(c.add("b", now), 1);
        assert_eq!(c.get(&"a", now), 2);
        assert_eq!(c.get(&"c", now), 0);
    }

    #[test]
    fn forgets_one_failure_per_decay_period() {
        let start = Instant::now();
        let mut c = FailureCounters::new(Duration::from_secs(10));
        for _ in 0..5 {
            c.add("a", start);
        }
        assert_eq!(c.get(&"a", start + Duration::from_secs(20)), 3);
        assert_eq!(c.get(&"a", start + Duration::from_secs(49)), 1);
        assert_eq!(c.get(&"a", start + Duration::from_secs(50)), 0);
        assert_eq!(c.get(&"a", start + Duration::from_secs(500)), 0, "never below zero");
        assert_eq!(c.add("a", start + Duration::from_secs(500)), 1, "starts again from clean");
    }

    #[test]
    fn sweeps_forgotten_keys() {
        let start = Instant::now();
        let mut c = FailureCounters::new(Duration::from_secs(1));
        for i in 0..SWEEP_AT {
            c.add(i, start);
        }
        c.add(usize::MAX, start + Duration::from_secs(5));
        assert_eq!(c.len(), 1);
    }
}
