//! Helpers shared by the store tests.
#![allow(dead_code)]

use bushbuck_store::{NewMessage, SqliteStore, Store};

/// A store in a fresh temporary directory with user `alice`.
pub fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store.create_user("alice").unwrap();
    (dir, store)
}

/// A small message with a distinct body.
pub fn message(n: usize) -> Vec<u8> {
    format!("From: a@example.org\r\nSubject: test {n}\r\n\r\nBody {n}\r\n").into_bytes()
}

/// A new message without flags.
pub fn new(data: &[u8]) -> NewMessage<'_> {
    NewMessage { data, flags: Vec::new(), internal_date: None }
}

/// A new message with flags.
pub fn with_flags<'a>(data: &'a [u8], flags: &[&str]) -> NewMessage<'a> {
    NewMessage { data, flags: strings(flags), internal_date: Some((1_700_000_000, 120)) }
}

/// Owned strings.
pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Number of message files of a user (not counting temporary files).
pub fn blob_files(store: &SqliteStore, user: &str) -> usize {
    let blobs = store.user_dir(user).unwrap().join("blobs");
    std::fs::read_dir(blobs)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != "tmp")
        .map(|e| std::fs::read_dir(e.path()).unwrap().count())
        .sum()
}
