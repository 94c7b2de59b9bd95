//! The search text index: filled on append, shared by copies, removed with the last
//! reference, computed from the file (and stored) when a row is missing.

mod common;

use bushbuck_store::{FlagChange, SqliteStore, Store};
use common::*;

/// A message whose only text part is quoted-printable ISO-8859-1.
const LATIN1: &[u8] = b"From: a@example.org\r\nSubject: latin\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Gr=FC=DFe von Herrn M=FCLLER\r\n";

/// (content address, text) rows of the user's search text table, sorted.
fn rows(store: &SqliteStore, user: &str) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(store.user_dir(user).unwrap().join("index.sqlite3")).unwrap();
    let mut stmt = conn.prepare("SELECT blob, text FROM search_text ORDER BY blob").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn stored_on_append_decoded_and_folded() {
    let (_dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1)), new(LATIN1)]).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    let texts = store.search_texts("alice", id, &[2, 9, 1]).unwrap();
    assert_eq!(texts, vec![(1, "body 1\r\n".to_string()), (2, "grüße von herrn müller\r\n".to_string())]);
    assert_eq!(rows(&store, "alice").len(), 2);
}

#[test]
fn shared_by_copies_and_removed_with_the_last_reference() {
    let (_dir, store) = store();
    store.create_mailbox("alice", "Archive", None).unwrap();
    store.append("alice", "INBOX", &[new(LATIN1)]).unwrap();
    // The same octets delivered again share the file and the text.
    store.append("alice", "INBOX", &[new(LATIN1)]).unwrap();
    let inbox = store.select("alice", "INBOX").unwrap().id;
    store.copy("alice", inbox, &[1], "Archive").unwrap();
    assert_eq!(rows(&store, "alice").len(), 1);
    let archive = store.select("alice", "Archive").unwrap().id;
    assert_eq!(store.search_texts("alice", archive, &[1]).unwrap()[0].1, "grüße von herrn müller\r\n");

    store.store_flags("alice", inbox, &[1, 2], FlagChange::Add, &strings(&["\\Deleted"]), None).unwrap();
    store.expunge("alice", inbox, None).unwrap();
    assert_eq!(rows(&store, "alice").len(), 1, "Archive still refers to it");
    store.store_flags("alice", archive, &[1], FlagChange::Add, &strings(&["\\Deleted"]), None).unwrap();
    store.expunge("alice", archive, None).unwrap();
    assert!(rows(&store, "alice").is_empty());
    assert_eq!(blob_files(&store, "alice"), 0);

    // Deleting a mailbox removes its texts with its files.
    store.append("alice", "Archive", &[new(&message(3))]).unwrap();
    assert_eq!(rows(&store, "alice").len(), 1);
    store.delete_mailbox("alice", "Archive").unwrap();
    assert!(rows(&store, "alice").is_empty());
}

#[test]
fn missing_rows_are_computed_from_the_file_and_kept() {
    let (dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1)), new(LATIN1), new(&message(3))]).unwrap();
    let want = {
        let id = store.select("alice", "INBOX").unwrap().id;
        store.search_texts("alice", id, &[1, 2, 3]).unwrap()
    };
    drop(store);
    // As a store written before the index (schema version 3) looks: no text rows.
    let conn = rusqlite::Connection::open(dir.path().join("users/alice/index.sqlite3")).unwrap();
    conn.execute_batch("DROP TABLE search_text; PRAGMA user_version = 3;").unwrap();
    drop(conn);
    let store = SqliteStore::open(dir.path()).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    assert!(rows(&store, "alice").is_empty());
    assert_eq!(store.search_texts("alice", id, &[1, 2, 3]).unwrap(), want);
    assert_eq!(rows(&store, "alice").len(), 3, "the fallback stored what it computed");
    assert_eq!(store.search_texts("alice", id, &[1, 2, 3]).unwrap(), want);
}

#[test]
fn reconstruct_rebuilds_texts() {
    let (dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1)), new(LATIN1)]).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    let want = store.search_texts("alice", id, &[1, 2]).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("users/alice/index.sqlite3")).unwrap();
    conn.execute_batch(
        "UPDATE search_text SET text = 'stale' WHERE rowid = (SELECT MIN(rowid) FROM search_text);
         DELETE FROM search_text WHERE rowid = (SELECT MAX(rowid) FROM search_text);
         INSERT INTO search_text (blob, text) VALUES ('00', 'orphan');",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert!(!store.reconstruct("alice").unwrap().rebuilt);
    assert_eq!(rows(&store, "alice").len(), 2);
    // Read without the fallback: every row is there and right.
    let mut stored: Vec<String> = rows(&store, "alice").into_iter().map(|r| r.1).collect();
    let mut expected: Vec<String> = want.into_iter().map(|w| w.1).collect();
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected);
}
