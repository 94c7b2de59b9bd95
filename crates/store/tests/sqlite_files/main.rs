//! The embedded store's own files: the grants index, the shared store's index, garbage
//! collection of message files, the search text rows and the usage counters in the index.
//! What every backend must do is tested once in `tests/contract`.

#[path = "../common/mod.rs"]
mod common;

mod files;
mod search_text;
mod usage;

use bushbuck_store::{SqliteStore, Store};

/// An embedded store in a fresh temporary directory with user `alice`.
pub fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store.create_user("alice").unwrap();
    (dir, store)
}
