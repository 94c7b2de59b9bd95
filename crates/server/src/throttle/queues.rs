//! Two password-hashing queues, so that an attacker cannot starve everyone else: attempts
//! from clean sources use the main queue, a few per source at once (more wait their turn);
//! sources with recent failures share a smaller queue with one thread, and may have one
//! attempt in it at a time. No room: refused at once, without hashing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::keys::SourceKey;
use crate::hash_workers::{HashWorkers, Refused};

/// Threads of the main queue.
const MAIN_THREADS: usize = 2;
/// Threads of the penalty queue.
const PENALTY_THREADS: usize = 1;
/// Attempts one clean source may have in the main queue at once (one per thread); more wait
/// for one of them to finish, so that a burst of new connections from one address delays
/// the others by one hash at most.
const MAIN_PER_SOURCE: usize = MAIN_THREADS;
/// Attempts one suspect source may have in the penalty queue (hashing or waiting for its
/// delayed answer) at once.
const PENALTY_PER_SOURCE: usize = 1;

/// Which queue an attempt uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// The main queue, for clean sources.
    Main,
    /// The penalty queue, for sources with recent failures.
    Penalty,
}

/// The places one source may take in each queue.
struct SourcePlaces {
    main: Arc<Semaphore>,
    penalty: Arc<Semaphore>,
}

/// The two queues and the places each source holds or waits for.
pub struct HashQueues {
    main: HashWorkers,
    penalty: HashWorkers,
    sources: Mutex<HashMap<SourceKey, Arc<SourcePlaces>>>,
}

impl HashQueues {
    /// Starts the threads; each queue takes at most its `*_max` attempts at a time.
    pub fn new(main_max: usize, penalty_max: usize) -> HashQueues {
        HashQueues {
            main: HashWorkers::new("main", MAIN_THREADS, main_max),
            penalty: HashWorkers::new("penalty", PENALTY_THREADS, penalty_max),
            sources: Mutex::new(HashMap::new()),
        }
    }

    /// A place for one attempt of `source`, held until the attempt is answered. While
    /// `clean()` (no recent failures) the attempt waits for a main-queue place; otherwise it
    /// takes the source's penalty place, or gets `None` when that is taken.
    pub async fn enter(&self, source: SourceKey, clean: impl Fn() -> bool) -> Option<Place<'_>> {
        let places = {
            let mut sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
            sources
                .entry(source)
                .or_insert_with(|| {
                    Arc::new(SourcePlaces {
                        main: Arc::new(Semaphore::new(MAIN_PER_SOURCE)),
                        penalty: Arc::new(Semaphore::new(PENALTY_PER_SOURCE)),
                    })
                })
                .clone()
        };
        let mut place = Place { queues: self, source, places, lane: Lane::Main, permit: None };
        if clean() {
            let permit = place.places.main.clone().acquire_owned().await.ok()?;
            // The source may have failed while this attempt waited.
            if clean() {
                place.permit = Some(permit);
                return Some(place);
            }
        }
        place.lane = Lane::Penalty;
        place.permit = Some(place.places.penalty.clone().try_acquire_owned().ok()?);
        Some(place)
    }
}

/// One attempt's place in a queue.
pub struct Place<'a> {
    queues: &'a HashQueues,
    source: SourceKey,
    places: Arc<SourcePlaces>,
    lane: Lane,
    permit: Option<OwnedSemaphorePermit>,
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
        self.permit = None;
        let mut sources = self.queues.sources.lock().unwrap_or_else(|p| p.into_inner());
        // Forget the source when no other attempt holds or waits for its places.
        if Arc::strong_count(&self.places) == 2 {
            sources.remove(&self.source);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// True when `future` is not ready at its first poll.
    async fn waits<F: std::future::Future>(future: F) -> bool {
        tokio::select! {
            biased;
            _ = future => false,
            _ = std::future::ready(()) => true,
        }
    }

    #[tokio::test]
    async fn clean_sources_wait_for_one_of_a_few_main_places() {
        let queues = HashQueues::new(8, 2);
        let source: SourceKey = "192.0.2.1".parse().unwrap();
        let mut places = Vec::new();
        for _ in 0..MAIN_PER_SOURCE {
            places.push(queues.enter(source, || true).await.unwrap());
        }
        assert!(places.iter().all(|p| p.lane() == Lane::Main));
        assert!(waits(queues.enter(source, || true)).await, "the next one waits its turn");
        places.pop();
        assert_eq!(queues.enter(source, || true).await.unwrap().lane(), Lane::Main);
        let other: SourceKey = "192.0.2.2".parse().unwrap();
        assert_eq!(queues.enter(other, || true).await.unwrap().lane(), Lane::Main, "others do not wait");
        drop(places);
        assert!(queues.sources.lock().unwrap().is_empty(), "idle sources are forgotten");
    }

    #[tokio::test]
    async fn suspect_sources_get_one_penalty_place_each() {
        let queues = HashQueues::new(8, 2);
        let a: SourceKey = "192.0.2.1".parse().unwrap();
        let b: SourceKey = "192.0.2.2".parse().unwrap();
        let first = queues.enter(a, || false).await.unwrap();
        assert_eq!(first.lane(), Lane::Penalty);
        assert!(queues.enter(a, || false).await.is_none());
        assert_eq!(queues.enter(b, || false).await.unwrap().lane(), Lane::Penalty);
        drop(first);
        assert!(queues.enter(a, || false).await.is_some());
    }
}
