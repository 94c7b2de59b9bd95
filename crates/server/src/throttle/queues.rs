//! Two password-hashing queues, so that an attacker cannot starve everyone else: attempts
//! from clean sources use the main queue; sources with recent failures, or with many attempts
//! at once, share a smaller queue with one thread, and may have one attempt in it at a time.
//! A full queue refuses at once, without hashing.

use std::collections::HashMap;
use std::sync::Mutex;

use super::keys::SourceKey;
use crate::hash_workers::{HashWorkers, Refused};

/// Threads of the main queue.
const MAIN_THREADS: usize = 2;
/// Threads of the penalty queue.
const PENALTY_THREADS: usize = 1;
/// Attempts one clean source may have in the main queue at once (one per thread); more go to
/// the penalty queue, so that a burst of new connections from one address delays the others
/// by one hash at most.
const MAIN_PER_SOURCE: usize = MAIN_THREADS;
/// Attempts one suspect source may have in the penalty queue (hashing or waiting for its
/// delayed answer) at once.
const PENALTY_PER_SOURCE: usize = 1;

/// Which queue an attempt uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    /// The main queue, for clean sources.
    Main,
    /// The penalty queue, for sources with recent failures.
    Penalty,
}

/// The two queues and the attempts each source has in them.
pub struct HashQueues {
    main: HashWorkers,
    penalty: HashWorkers,
    in_flight: Mutex<HashMap<(SourceKey, Lane), usize>>,
}

impl HashQueues {
    /// Starts the threads; each queue takes at most its `*_max` attempts at a time.
    pub fn new(main_max: usize, penalty_max: usize) -> HashQueues {
        HashQueues {
            main: HashWorkers::new("main", MAIN_THREADS, main_max),
            penalty: HashWorkers::new("penalty", PENALTY_THREADS, penalty_max),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// A place for one attempt of `source` (`clean` when it has no recent failures), held
    /// until the attempt is answered; `None` when the source has as many attempts in flight
    /// as it may.
    pub fn enter(&self, source: SourceKey, clean: bool) -> Option<Place<'_>> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let mut take = |lane: Lane, most: usize| {
            let n = in_flight.entry((source, lane)).or_insert(0);
            (*n < most).then(|| {
                *n += 1;
                Place { queues: self, source, lane }
            })
        };
        let main = if clean { take(Lane::Main, MAIN_PER_SOURCE) } else { None };
        main.or_else(|| take(Lane::Penalty, PENALTY_PER_SOURCE))
    }
}

/// One attempt's place in a queue.
pub struct Place<'a> {
    queues: &'a HashQueues,
    source: SourceKey,
    lane: Lane,
}

impl Place<'_> {
    /// The queue this attempt uses.
    pub fn lane(&self) -> Lane {
        self.lane
    }

    /// Runs `work` on this attempt's queue.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Refused> {
        match self.lane {
            Lane::Main => self.queues.main.run(work).await,
            Lane::Penalty => self.queues.penalty.run(work).await,
        }
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut in_flight = self.queues.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let key = (self.source, self.lane);
        if let Some(n) = in_flight.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                in_flight.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_sources_use_the_main_queue_up_to_a_few_at_once() {
        let queues = HashQueues::new(8, 2);
        let source: SourceKey = "192.0.2.1".parse().unwrap();
        let places: Vec<Place> = (0..MAIN_PER_SOURCE).map(|_| queues.enter(source, true).unwrap()).collect();
        assert!(places.iter().all(|p| p.lane() == Lane::Main));
        let overflow = queues.enter(source, true).unwrap();
        assert_eq!(overflow.lane(), Lane::Penalty);
        assert!(queues.enter(source, true).is_none());
        drop(places);
        assert_eq!(queues.enter(source, true).unwrap().lane(), Lane::Main);
    }

    #[test]
    fn suspect_sources_get_one_penalty_place_each() {
        let queues = HashQueues::new(8, 2);
        let a: SourceKey = "192.0.2.1".parse().unwrap();
        let b: SourceKey = "192.0.2.2".parse().unwrap();
        let first = queues.enter(a, false).unwrap();
        assert_eq!(first.lane(), Lane::Penalty);
        assert!(queues.enter(a, false).is_none());
        assert_eq!(queues.enter(b, false).unwrap().lane(), Lane::Penalty);
        drop(first);
        assert!(queues.enter(a, false).is_some());
    }
}
