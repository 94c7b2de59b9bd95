//! The backends the contract runs on, one constructor each, named as in `contract_tests!`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bushbuck_store::{BlobStore, LocalBlobs, PostgresStore, SqliteStore, Store};

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

/// [`PostgresStore`] on a fresh database of the test PostgreSQL (or the one a parent test
/// handed down), objects in a temporary directory, with user `alice`. `None` when
/// PostgreSQL is not installed here.
pub fn postgres() -> Option<Box<dyn Backend>> {
    Some(Box::new(match handed_location() {
        Some(location) => {
            let (url, objects) =
                location.split_once('\n').expect("a postgres location is URL, newline, directory");
            Postgres::at(url.to_string(), PathBuf::from(objects), None)
        }
        None => Postgres::fresh()?,
    }))
}

/// [`PostgresStore`] on one database and one directory of objects.
struct Postgres {
    url: String,
    objects: PathBuf,
    store: PostgresStore,
    /// Removes the objects at the end of the test (none when a parent handed them down).
    _dir: Option<tempfile::TempDir>,
}

impl Postgres {
    fn fresh() -> Option<Postgres> {
        let url = bushbuck_testsvc::postgres_url()?;
        let dir = tempfile::tempdir().expect("create a temporary directory for objects");
        let postgres = Postgres::at(url, dir.path().join("objects"), Some(dir));
        postgres.store.create_user("alice").unwrap();
        Some(postgres)
    }

    fn at(url: String, objects: PathBuf, dir: Option<tempfile::TempDir>) -> Postgres {
        let store = Postgres::open(&url, &objects);
        Postgres { url, objects, store, _dir: dir }
    }

    fn open(url: &str, objects: &Path) -> PostgresStore {
        PostgresStore::open(url, Arc::new(LocalBlobs::new(objects.to_path_buf()))).unwrap()
    }
}

impl Backend for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn store(&self) -> &dyn Store {
        &self.store
    }

    fn open_again(&self) -> Box<dyn Store> {
        Box::new(Postgres::open(&self.url, &self.objects))
    }

    fn another(&self) -> Box<dyn Backend> {
        Box::new(Postgres::fresh().expect("PostgreSQL ran a moment ago"))
    }

    /// Objects are shared by every user of a location: after a sweep without grace, the
    /// objects left (a test's location holds only that test's users).
    fn stored_contents(&self, _user: &str) -> usize {
        self.store.sweep(Duration::ZERO).unwrap();
        let blobs = LocalBlobs::new(self.objects.clone());
        blobs.stored_before(Duration::ZERO).unwrap().len()
    }

    fn location(&self) -> String {
        format!("{}\n{}", self.url, self.objects.to_str().expect("temporary directories have UTF-8 names"))
    }
}
