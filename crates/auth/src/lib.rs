//! Users, password hashes and SASL mechanisms for Bushbuck.
//!
//! [`Directory`] keeps the users and their Argon2id password hashes in the data directory
//! (SQLite) or in a PostgreSQL database shared by several nodes, through [`database`], which
//! the server's duplicate log and shared Sieve scripts use too; [`sasl`] decodes the client
//! side of the SASL mechanisms the protocols offer.

pub mod database;
mod directory;
mod error;
mod names;
mod password;
mod quota_roots;
pub mod sasl;
mod transfer;
mod verified;

pub use directory::{Directory, QuotaLimits};
pub use error::{AuthError, Result};
pub use names::validate_user_name;
pub use transfer::UserRecord;
pub use verified::DEFAULT_TTL as DEFAULT_LOGIN_CACHE;
