//! A small fixed pool of threads for password hashing. Argon2 takes ~19 MiB per hash; run on
//! whatever thread happens to be free, every thread's allocator arena keeps that much, so a
//! burst of logins would grow the server by 19 MiB per thread. Two dedicated threads bound it.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads.
pub struct HashWorkers {
    jobs: Mutex<Sender<Job>>,
}

impl HashWorkers {
    /// Starts `threads` worker threads.
    pub fn new(threads: usize) -> HashWorkers {
        let (tx, rx) = channel::<Job>();
        let rx: Arc<Mutex<Receiver<Job>>> = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned =
                std::thread::Builder::new().name(format!("bushbuck-hash-{i}")).spawn(move || loop {
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
        HashWorkers { jobs: Mutex::new(tx) }
    }

    /// Runs `work` on a hashing thread and waits for its result; `None` if the pool is gone.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).send(job).ok()?;
        rx.await.ok()
    }
}

impl Default for HashWorkers {
    fn default() -> Self {
        HashWorkers::new(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_on_the_pool() {
        let pool = HashWorkers::new(2);
        let name = pool.run(|| std::thread::current().name().map(str::to_string)).await.flatten();
        assert!(name.is_some_and(|n| n.starts_with("bushbuck-hash-")));
        assert_eq!(pool.run(|| 6 * 7).await, Some(42));
    }
}
