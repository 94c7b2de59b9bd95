//! The grants index, the shared store's directory and garbage collection of message files.

use bushbuck_store::{SqliteStore, Store, SHARED_OWNER};

use crate::common::{message, new, strings};
use crate::store;

#[test]
fn a_lost_grants_index_is_rebuilt_from_the_stores() {
    let (dir, store) = store();
    store.create_mailbox("alice", "Share", None).unwrap();
    store.set_acl("alice", "Share", "carol", Some("l")).unwrap();
    store.create_mailbox(SHARED_OWNER, "news", None).unwrap();
    store.set_acl(SHARED_OWNER, "news", "anyone", Some("lr")).unwrap();
    drop(store);
    std::fs::remove_file(dir.path().join("grants.sqlite3")).unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.grantors(&strings(&["carol", "anyone"])).unwrap(), strings(&[SHARED_OWNER, "alice"]));
}

#[test]
fn the_shared_store_has_a_directory_of_its_own() {
    let (dir, store) = store();
    store.create_mailbox(SHARED_OWNER, "news", None).unwrap();
    store.append(SHARED_OWNER, "news", &[new(&message(1))]).unwrap();
    assert!(dir.path().join("shared/index.sqlite3").is_file());
    assert!(!dir.path().join("users").join(SHARED_OWNER).exists());
}

/// Files orphaned by a crash (written, never committed) are collected; referenced ones stay.
#[test]
fn garbage_collection_keeps_referenced_files() {
    let (_dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1))]).unwrap();
    let blobs = store.user_dir("alice").unwrap().join("blobs");
    let orphan = blobs.join("ab").join("ab".repeat(32));
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"never committed").unwrap();
    // What a crashed portable write (no O_TMPFILE) leaves.
    std::fs::create_dir_all(blobs.join("tmp")).unwrap();
    std::fs::write(blobs.join("tmp").join("partial"), b"half").unwrap();
    let hour = std::time::Duration::from_secs(3600);
    assert_eq!(store.collect_garbage("alice", hour).unwrap(), 0);
    assert_eq!(store.collect_garbage("alice", std::time::Duration::ZERO).unwrap(), 2);
    assert!(!orphan.exists());
    let id = store.select("alice", "INBOX").unwrap().id;
    assert_eq!(store.read_message("alice", id, 1).unwrap(), message(1));
}
