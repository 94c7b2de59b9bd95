//! The connection pool to PostgreSQL and the transactions every operation runs in: writes in
//! READ COMMITTED (row locks on the mailbox row serialise what must be serial), reads in one
//! REPEATABLE READ snapshot, both retried when PostgreSQL reports a deadlock or a
//! serialization failure. Failures map to [`StoreError`]: anything that says the server
//! cannot be reached now (connection errors, pool timeout, shutdown) is `Unavailable`.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{IsolationLevel, NoTls};
use r2d2_postgres::PostgresConnectionManager;

use crate::api::MailboxId;
use crate::error::{Result, StoreError};

pub(crate) use super::statements::Tx;

/// What an operation inside a transaction can fail with: a store error of its own, or a
/// PostgreSQL error, kept as it is so the transaction can be retried when that helps.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The operation's own verdict (no such mailbox, bad flag, ...).
    Store(StoreError),
    /// The database said no.
    Database(postgres::Error),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::Store(e)
    }
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Failure {
        Failure::Database(e)
    }
}

/// Result of a step inside a transaction.
pub(crate) type TxResult<T> = std::result::Result<T, Failure>;

/// What a write did that must be acted on once it committed.
#[derive(Default)]
pub(crate) struct Effects {
    /// Mailboxes that changed, with their new HIGHESTMODSEQ, to wake watchers of.
    pub notify: Vec<(MailboxId, u64)>,
}

/// Most connections one store keeps open.
const POOL_SIZE: u32 = 16;

/// How long an operation waits for a connection before PostgreSQL counts as unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a transaction runs when PostgreSQL keeps aborting it as a deadlock victim or a
/// serialization failure.
const ATTEMPTS: usize = 8;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// The pool of connections to the store's database.
pub(crate) struct Database {
    /// Present until dropped (see the `Drop` impl).
    pool: Option<Pool>,
    /// Round trips to the database so far (see [`Database::round_trips`]).
    trips: AtomicU64,
}

impl Drop for Database {
    /// Each pooled client owns a runtime, which must not be dropped on an async task's thread
    /// (where a server shutting down drops its state): the pool is dropped on a thread of its own.
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

impl Database {
    /// A pool of connections to `url` (`postgres://USER@HOST:PORT/DB`); connects lazily, so a
    /// database that is down now does not stop the caller (operations fail as unavailable
    /// until it is back).
    pub(crate) fn connect(url: &str) -> Result<Database> {
        let mut config = postgres::Config::from_str(url).map_err(|e| {
            StoreError::Io(format!(
                "store_url {url:?} is not a PostgreSQL URL ({e}); write postgres://USER@HOST:PORT/DB"
            ))
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        // Schema creation on every start: its "already exists, skipping" notices are no news.
        config.options("-c client_min_messages=warning");
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(0))
            // No test query before each use (a round trip per operation): a connection found
            // closed when its transaction starts is replaced instead (see `run`).
            .test_on_check_out(false)
            .connection_timeout(CONNECT_TIMEOUT)
            .build_unchecked(manager);
        Ok(Database { pool: Some(pool), trips: AtomicU64::new(0) })
    }

    /// Round trips made so far by this pool's transactions: BEGIN, each statement, COMMIT.
    pub(crate) fn round_trips(&self) -> u64 {
        self.trips.load(Ordering::Relaxed)
    }

    /// A connection from the pool, or `Unavailable`.
    pub(crate) fn client(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>> {
        let pool = self.pool.as_ref().expect("the pool is present until drop");
        pool.get().map_err(|e| StoreError::Unavailable(format!("cannot reach PostgreSQL: {e}")))
    }

    /// Runs `op` in a read-write transaction and commits it; returns its value and effects.
    pub(crate) fn write<T>(
        &self,
        mut op: impl FnMut(&mut Tx<'_>, &mut Effects) -> TxResult<T>,
    ) -> Result<(T, Effects)> {
        self.run(IsolationLevel::ReadCommitted, false, |tx| {
            let mut fx = Effects::default();
            let value = op(tx, &mut fx)?;
            Ok((value, fx))
        })
    }

    /// Runs `op` in a read-only transaction on one snapshot.
    pub(crate) fn read<T>(&self, op: impl FnMut(&mut Tx<'_>) -> TxResult<T>) -> Result<T> {
        self.run(IsolationLevel::RepeatableRead, true, op)
    }

    fn run<T>(
        &self,
        level: IsolationLevel,
        read_only: bool,
        op: impl FnMut(&mut Tx<'_>) -> TxResult<T>,
    ) -> Result<T> {
        blocking(|| self.run_here(level, read_only, op))
    }

    fn run_here<T>(
        &self,
        level: IsolationLevel,
        read_only: bool,
        mut op: impl FnMut(&mut Tx<'_>) -> TxResult<T>,
    ) -> Result<T> {
        let (mut attempt, mut stale) = (1, 0);
        loop {
            let mut client = self.client()?;
            let mut tx = match client.build_transaction().isolation_level(level).read_only(read_only).start()
            {
                Ok(tx) => Tx::begun(tx, &self.trips),
                // A pooled connection the server closed while it was idle (a restart): nothing
                // was done on it; the pool drops it and hands out another.
                Err(e) if e.as_db_error().is_none() && stale <= POOL_SIZE => {
                    stale += 1;
                    continue;
                }
                Err(e) => return Err(Failure::from(e).into()),
            };
            let outcome = op(&mut tx).and_then(|value| Ok(tx.commit().map(|()| value)?));
            match outcome {
                Ok(value) => return Ok(value),
                Err(Failure::Database(e)) if is_retryable(&e) && attempt < ATTEMPTS => {
                    tracing::debug!(error = %e, attempt, "PostgreSQL aborted a transaction; running it again");
                    attempt += 1;
                }
                Err(failure) => return Err(failure.into()),
            }
        }
    }
}

/// Runs `work`, which blocks on the database client's own runtime: on a worker thread of a
/// multi-threaded tokio runtime (an IMAP session calling the store directly) through
/// `block_in_place`, so the runtime moves its other tasks elsewhere meanwhile; elsewhere as is.
pub(crate) fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// Deadlock victims and serialization failures succeed when run again.
fn is_retryable(e: &postgres::Error) -> bool {
    e.code().is_some_and(|code| {
        *code == SqlState::T_R_DEADLOCK_DETECTED || *code == SqlState::T_R_SERIALIZATION_FAILURE
    })
}

impl From<Failure> for StoreError {
    fn from(failure: Failure) -> StoreError {
        match failure {
            Failure::Store(e) => e,
            Failure::Database(e) => database_error(&e),
        }
    }
}

/// A PostgreSQL error as the caller should see it: `Unavailable` when the server is down,
/// restarting, out of connections or unreachable (retrying later helps), `Full` when its
/// disk is, `Io` otherwise.
fn database_error(e: &postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        return StoreError::Unavailable(format!("PostgreSQL: {e}"));
    };
    let code = db.code();
    let text = format!("PostgreSQL: {} ({})", db.message(), code.code());
    if code.code().starts_with("08")
        || code.code().starts_with("57P")
        || *code == SqlState::TOO_MANY_CONNECTIONS
    {
        StoreError::Unavailable(text)
    } else if *code == SqlState::DISK_FULL {
        StoreError::Full(text)
    } else {
        StoreError::Io(format!("{text}; check store_url and the database's permissions"))
    }
}
