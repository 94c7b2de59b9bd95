//! Bushbuck's network side: listeners, TLS, protocol sessions, limits and logging.
//!
//! [`run`] starts every configured listener over one [`context::ServerContext`] and serves
//! until the process is told to stop.

pub mod access;
pub mod accounts;
pub mod acl;
mod admission;
pub mod config;
pub mod context;
pub mod delivery;
pub mod duplicates;
mod hash_workers;
mod http;
pub mod imap;
mod limits;
mod line_reader;
mod listener;
mod lmtp;
mod login;
mod managesieve;
pub mod metrics;
pub mod namespace;
mod notices;
pub mod pop3;
pub mod quota;
pub mod quota_roots;
pub mod sieve;
mod state;
mod store_gauges;
mod stream;
mod sweeper;
mod telemetry;
pub mod throttle;
pub mod tls;

pub use config::{Config, PlaintextPolicy};
pub use listener::run;
