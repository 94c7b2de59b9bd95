//! The backends the contract runs on, one constructor each, named as in `contract_tests!`.

use std::path::PathBuf;

use bushbuck_store::{SqliteStore, Store};

use crate::{handed_location, Backend};

/// The embedded store in a fresh temporary data directory (or the one a parent test handed
/// down), with user `alice`.
pub fn sqlite() -> Option<Box<dyn Backend>> {
    Some(Box::new(match handed_location() {
        Some(root) => Sqlite::at(PathBuf::from(root), None),
        None => Sqlite::fresh(),
    }))
}

/// [`SqliteStore`] on one data directory.
struct Sqlite {
    root: PathBuf,
    store: SqliteStore,
    /// Removes the directory at the end of the test (none when a parent handed it down).
    _dir: Option<tempfile::TempDir>,
}

impl Sqlite {
    fn fresh() -> Sqlite {
        let dir = tempfile::tempdir().expect("create a temporary data directory");
        let sqlite = Sqlite::at(dir.path().to_path_buf(), Some(dir));
        sqlite.store.create_user("alice").unwrap();
        sqlite
    }

    fn at(root: PathBuf, dir: Option<tempfile::TempDir>) -> Sqlite {
        let store = SqliteStore::open(&root).unwrap();
        Sqlite { root, store, _dir: dir }
    }
}

impl Backend for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn store(&self) -> &dyn Store {
        &self.store
    }

    fn open_again(&self) -> Box<dyn Store> {
        Box::new(SqliteStore::open(&self.root).unwrap())
    }

    fn another(&self) -> Box<dyn Backend> {
        Box::new(Sqlite::fresh())
    }

    /// The embedded store removes a file with its last reference, so this counts the files.
    fn stored_contents(&self, user: &str) -> usize {
        crate::common::blob_files(&self.store, user)
    }

    fn location(&self) -> String {
        self.root.to_str().expect("temporary directories have UTF-8 names").to_string()
    }
}
