//! The store contract: every test here is written once against `&dyn Store` and runs on every
//! backend (`mailboxes::sqlite::users`, ...). Tests about one backend's own files (the embedded
//! store's index and message files) live in that backend's test crate (`tests/sqlite_files`).
//!
//! A test is a `fn(&dyn Backend)` in one of the modules below, named in that module's
//! `contract_tests!` list, which expands it into one `#[test]` per backend.

#[path = "../common/mod.rs"]
mod common;

mod backends;

use bushbuck_store::Store;

/// One backend under test, on a location of its own (a fresh data directory, database or key
/// prefix) that holds the user `alice` and nothing else when the test starts.
pub trait Backend {
    /// The backend's name, as it appears in test names (`mailboxes::sqlite::users`).
    fn name(&self) -> &'static str;
    /// The store the test works on.
    fn store(&self) -> &dyn Store;
    /// A second store on the same location, as another process or node opens it.
    fn open_again(&self) -> Box<dyn Store>;
    /// A new location of the same backend, apart from this one (the target of a copy).
    fn another(&self) -> Box<dyn Backend>;
    /// How many message contents the location keeps for `user` once whatever no message
    /// refers to any more has been removed.
    fn stored_contents(&self, user: &str) -> usize;
    /// What a child process needs to open this location (passed in [`LOCATION_ENV`]).
    fn location(&self) -> String;
}

/// Set in a child process (a test re-run by itself): its backend opens this location
/// instead of a fresh one (see `durability::append_survives_sigkill`).
pub const LOCATION_ENV: &str = "BUSHBUCK_CONTRACT_LOCATION";

/// The location a parent test handed to this process, if it is such a child.
pub fn handed_location() -> Option<String> {
    std::env::var(LOCATION_ENV).ok()
}

/// Runs `test` on a location of the backend `open` gives, or returns at once when the
/// backend's engine is not installed here (`open` printed why; CI installs every engine).
pub fn run(open: fn() -> Option<Box<dyn Backend>>, test: fn(&dyn Backend)) {
    if let Some(backend) = open() {
        test(&*backend);
    }
}

/// `contract_tests!(a, b)` in a module makes `a` and `b` (each a `fn(&dyn Backend)`) tests
/// on every backend of [`backends`]: `MODULE::sqlite::a`, `MODULE::postgres::a`, ...
/// `contract_tests!([sqlite] a, b)` runs them on the listed backends only: for a module
/// whose methods a backend does not have yet.
macro_rules! contract_tests {
    ([$($backend:ident),*] $($test:ident),* $(,)?) => {
        contract_tests!(@backends [$($backend),*] [$($test),*]);
    };
    ($($test:ident),* $(,)?) => {
        contract_tests!(@backends [sqlite, postgres] [$($test),*]);
    };
    (@backends [$($backend:ident),*] $tests:tt) => {
        $(contract_tests!(@one $backend $tests);)*
    };
    (@one $backend:ident [$($test:ident),*]) => {
        mod $backend {
            $(
                #[test]
                fn $test() {
                    $crate::run($crate::backends::$backend, super::$test);
                }
            )*
        }
    };
}

mod acl;
mod durability;
mod import;
mod mailboxes;
mod messages;
mod search_text;
mod usage;

/// A new message with flags and a fixed INTERNALDATE (2023-11-14 22:13:20 +0200).
pub fn with_flags<'a>(data: &'a [u8], flags: &[&str]) -> bushbuck_store::NewMessage<'a> {
    bushbuck_store::NewMessage {
        data,
        flags: common::strings(flags),
        internal_date: Some((1_700_000_000, 120)),
    }
}
