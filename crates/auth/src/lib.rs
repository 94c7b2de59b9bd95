//! Users, password hashes and SASL mechanisms for Bushbuck.
//!
//! [`Directory`] keeps the users and their Argon2id password hashes in the data directory;
//! [`sasl`] decodes the client side of the SASL mechanisms the protocols offer.

mod directory;
mod error;
mod names;
mod password;
mod quota_roots;
pub mod sasl;
mod verified;

pub use directory::{Directory, QuotaLimits};
pub use error::{AuthError, Result};
pub use names::validate_user_name;
