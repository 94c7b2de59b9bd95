//! The usage counters in the embedded index: right after reconstruct, repaired by
//! `fix_usage` when damaged, backfilled in an index written before they existed.

use bushbuck_store::{SqliteStore, Store, Usage, UsageFix};

use crate::common::{assert_counters_match, message, new};
use crate::store;

#[test]
fn reconstruct_keeps_counters_right() {
    let (_dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1)), new(&message(2))]).unwrap();
    let dir = store.user_dir("alice").unwrap();
    std::fs::write(dir.join("index.sqlite3"), b"garbage").unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("index.sqlite3{suffix}")));
    }
    let store = SqliteStore::open(dir.parent().unwrap().parent().unwrap()).unwrap();
    store.reconstruct("alice").unwrap();
    assert_counters_match(&store);
    assert_eq!(store.usage("alice").unwrap().1, 2);
}

#[test]
fn fix_usage_repairs_a_corrupted_counter() {
    let (_dir, store) = store();
    let data = message(1);
    store.append("alice", "INBOX", &[new(&data), new(&data)]).unwrap();
    let index = store.user_dir("alice").unwrap().join("index.sqlite3");
    let conn = rusqlite::Connection::open(&index).unwrap();
    conn.execute("UPDATE mailboxes SET used_bytes = 7, used_messages = 99 WHERE name = 'INBOX'", []).unwrap();
    drop(conn);
    assert_eq!(store.usage("alice").unwrap(), (7, 99));

    let fixes = store.fix_usage("alice").unwrap();
    let now = Usage { bytes: 2 * data.len() as u64, messages: 2 };
    assert_eq!(fixes, vec![UsageFix { mailbox: "INBOX".into(), was: Usage { bytes: 7, messages: 99 }, now }]);
    assert_eq!(store.usage("alice").unwrap(), (now.bytes, now.messages));
    assert!(store.fix_usage("alice").unwrap().is_empty());
}

#[test]
fn an_old_index_is_backfilled() {
    let (_dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1))]).unwrap();
    let dir = store.user_dir("alice").unwrap();
    let conn = rusqlite::Connection::open(dir.join("index.sqlite3")).unwrap();
    // Undo the usage step (and the later ones) as an index written by version 2 would look.
    conn.execute_batch(
        "DROP INDEX messages_state;
         DROP TRIGGER messages_usage_insert; DROP TRIGGER messages_usage_delete;
         DROP TRIGGER messages_usage_update;
         ALTER TABLE mailboxes DROP COLUMN used_bytes; ALTER TABLE mailboxes DROP COLUMN used_messages;
         DROP TABLE search_text; DROP TABLE retained;
         ALTER TABLE mailboxes DROP COLUMN expunge_log_from;
         PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(dir.parent().unwrap().parent().unwrap()).unwrap();
    assert_eq!(store.usage("alice").unwrap(), (message(1).len() as u64, 1));
    assert_counters_match(&store);
}
