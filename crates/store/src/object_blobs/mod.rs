//! Message contents for a store whose index is shared by many nodes: one flat namespace of
//! immutable objects, each named by the SHA-256 of its octets (lower-case hex), so equal
//! content is stored once for every user and mailbox that holds it.
//!
//! The embedded store keeps its own per-user files ([`crate::blobs`]); this is what the
//! distributed store writes to. Crash safety rests on one rule its callers keep: `put` has
//! returned (the object is durable) before the index row naming it commits, and an object
//! is deleted only by a sweeper that finds no row naming it after a grace period.

mod local;

pub use local::LocalBlobs;

use std::time::Duration;

use crate::error::Result;

/// A store of immutable, content-addressed message objects. Safe to call from many threads.
pub trait BlobStore: Send + Sync {
    /// Stores `data` under `sha` (its SHA-256, lower-case hex). On `Ok` the object survives a
    /// crash of this node and of the engine. Storing a name that exists is `Ok`.
    fn put(&self, sha: &str, data: &[u8]) -> Result<()>;
    /// The octets stored under `sha`.
    fn get(&self, sha: &str) -> Result<Vec<u8>>;
    /// Removes the object; one already gone is fine.
    fn delete(&self, sha: &str) -> Result<()>;
    /// Names of the objects stored at least `min_age` ago: what a sweeper may consider.
    fn stored_before(&self, min_age: Duration) -> Result<Vec<String>>;
    /// Where the objects live, for logs and error messages (never a secret).
    fn describe(&self) -> String;
}
