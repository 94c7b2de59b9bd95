//! The search text rows of the embedded index: stored compressed on append, shared by
//! copies, removed with the last reference, computed from the file (and stored) when a row is
//! missing or damaged, rebuilt by reconstruct.

use bushbuck_store::{FlagChange, SqliteStore, Store};

use crate::common::{blob_files, message, new, strings, HTML, LATIN1};
use crate::store;

/// (content address, text) rows of the user's search text table, sorted, the texts
/// decompressed (stored as the length, 4 bytes little endian, then an LZ4 block).
fn rows(store: &SqliteStore, user: &str) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(store.user_dir(user).unwrap().join("index.sqlite3")).unwrap();
    let mut stmt = conn.prepare("SELECT blob, text FROM search_text ORDER BY blob").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).unwrap();
    rows.map(|r| {
        let (blob, packed) = r.unwrap();
        let text = lz4_flex::decompress_size_prepended(&packed).expect("an LZ4 block");
        (blob, String::from_utf8(text).unwrap())
    })
    .collect()
}

/// Runs `sql` on the user's index with the store closed.
fn edit_index(dir: &tempfile::TempDir, sql: &str) {
    let conn = rusqlite::Connection::open(dir.path().join("users/alice/index.sqlite3")).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn rows_are_stored_on_append_compressed() {
    let (_dir, store) = store();
    store.append("alice", "INBOX", &[new(HTML), new(LATIN1)]).unwrap();
    let mut texts: Vec<String> = rows(&store, "alice").into_iter().map(|r| r.1).collect();
    texts.sort();
    assert_eq!(texts, vec!["café olé\r\nfish & chips".to_string(), "grüße von herrn müller\r\n".to_string()]);
}

#[test]
fn damaged_rows_fall_back_to_the_file_and_are_repaired() {
    let (dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1)), new(LATIN1), new(&message(3))]).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    let want = store.search_texts("alice", id, &[1, 2, 3]).unwrap();
    let good = rows(&store, "alice");
    drop(store);
    // A truncated block, a text value, a number.
    edit_index(
        &dir,
        "UPDATE search_text SET text = substr(text, 1, 6) WHERE rowid = 1;
         UPDATE search_text SET text = 'stale' WHERE rowid = 2;
         UPDATE search_text SET text = 42 WHERE rowid = 3;",
    );
    let store = SqliteStore::open(dir.path()).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    assert_eq!(store.search_texts("alice", id, &[1, 2, 3]).unwrap(), want);
    assert_eq!(rows(&store, "alice"), good, "the damaged rows were rewritten");
}

#[test]
fn rows_shared_by_copies_and_removed_with_the_last_reference() {
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
    edit_index(
        &dir,
        "ALTER TABLE mailboxes DROP COLUMN expunge_log_from; DROP TABLE retained; DROP TABLE search_text;
         PRAGMA user_version = 3;",
    );
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
    edit_index(
        &dir,
        // A valid block of \"stale\", an orphan row.
        "UPDATE search_text SET text = x'05000000507374616c65' WHERE rowid = (SELECT MIN(rowid) FROM search_text);
         DELETE FROM search_text WHERE rowid = (SELECT MAX(rowid) FROM search_text);
         INSERT INTO search_text (blob, text) VALUES ('00', x'00');",
    );
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
