//! What every session shares: the store, the user directory, configuration, TLS, limits.

use std::sync::Arc;

use bushbuck_auth::Directory;
use bushbuck_store::Store;
use tokio_rustls::TlsAcceptor;

use crate::config::Config;
use crate::duplicates::DuplicateLog;
use crate::imap::TableCache;
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::pop3::Pop3Locks;
use crate::sieve::scripts::ScriptStore;
use crate::store_gauges::StoreGauges;
use crate::throttle::Throttle;

/// Shared state of a running server.
pub struct ServerContext {
    /// The mailstore.
    pub store: Arc<dyn Store>,
    /// Users and passwords.
    pub directory: Arc<Directory>,
    /// Effective configuration.
    pub config: Config,
    /// TLS acceptor for implicit TLS and STARTTLS.
    pub tls: TlsAcceptor,
    /// Connection limits.
    pub limits: Limits,
    /// Users with a POP3 session holding their maildrop.
    pub pop3_locks: Arc<Pop3Locks>,
    /// Counters for /metrics.
    pub metrics: Metrics,
    /// Store size and quota gauges for /metrics.
    pub store_gauges: StoreGauges,
    /// Delivered Message-IDs, for duplicate suppression.
    pub duplicates: DuplicateLog,
    /// Users' Sieve scripts.
    pub scripts: ScriptStore,
    /// Failed-login counters, bans and the password-hashing queues.
    pub throttle: Throttle,
    /// Message tables of recently selected mailboxes, shared by IMAP sessions.
    pub tables: TableCache,
}
