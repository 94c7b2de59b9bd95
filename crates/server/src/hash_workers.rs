//! A small fixed pool of threads for password hashing. Argon2 takes ~19 MiB per hash; run on
//! whatever thread happens to be free, every thread's allocator arena keeps that much, so a
//! burst of logins would grow the server by 19 MiB per thread. A few dedicated threads bound
//! it, and a bound on waiting jobs keeps a flood of attempts from queueing without end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// Why a job did not run.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// As many jobs as allowed are waiting or running already.
    Full,
    /// The threads are gone.
    Gone,
}

/// The hashing threads.
pub struct HashWorkers {
    jobs: Mutex<Sender<Job>>,
    pending: Arc<AtomicUsize>,
    max_pending: usize,
}

impl HashWorkers {
    /// Starts `threads` worker threads named `bushbuck-hash-NAME-I` that take at most
    /// `max_pending` jobs (waiting or running) at a time.
    pub fn new(name: &str, threads: usize, max_pending: usize) -> HashWorkers {
        let (tx, rx) = channel::<Job>();
        let rx: Arc<Mutex<Receiver<Job>>> = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned =
                std::thread::Builder::new().name(format!("bushbuck-hash-{name}-{i}")).spawn(move || loop {
                    let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        HashWorkers {
            jobs: Mutex::new(tx),
            pending: Arc::new(AtomicUsize::new(0)),
            max_pending: max_pending.max(1),
        }
    }

    /// Runs `work` on a hashing thread and waits for its result; refused at once when the
    /// pool has `max_pending` jobs already.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Refused> {
        let max = self.max_pending;
        self.pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1))
            .map_err(|_| Refused::Full)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let pending = self.pending.clone();
        let job: Job = Box::new(move || {
            let result = work();
            pending.fetch_sub(1, Ordering::AcqRel);
            let _ = tx.send(result);
        });
        if self.jobs.lock().unwrap_or_else(|p| p.into_inner()).send(job).is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return Err(Refused::Gone);
        }
        rx.await.map_err(|_| Refused::Gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_on_the_pool() {
        let pool = HashWorkers::new("test", 2, 8);
        let name = pool.run(|| std::thread::current().name().map(str::to_string)).await.ok().flatten();
        assert!(name.is_some_and(|n| n.starts_with("bushbuck-hash-test-")));
        assert_eq!(pool.run(|| 6 * 7).await, Ok(42));
    }

    #[tokio::test]
    async fn refuses_jobs_beyond_the_bound() {
        let pool = Arc::new(HashWorkers::new("test", 1, 1));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let busy = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(move || wait.recv().is_ok()).await })
        };
        while pool.pending.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.run(|| ()).await, Err(Refused::Full));
        release.send(()).unwrap();
        assert_eq!(busy.await.unwrap(), Ok(true));
        assert_eq!(pool.run(|| 1).await, Ok(1), "room again once the job is done");
    }
}
