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

/// The file of `data` in alice's store.
fn file_of(store: &SqliteStore, data: &[u8]) -> std::path::PathBuf {
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect();
    store.user_dir("alice").unwrap().join("blobs").join(&sha[..2]).join(sha)
}

/// An expunge while a session holds the mailbox keeps the message readable (metadata and
/// file) until every hold caught up with it; without a hold the file goes at once.
#[test]
fn expunged_messages_are_retained_for_holds() {
    use bushbuck_store::{FlagChange, MetaParts};
    let (_dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1)), new(&message(2)), new(&message(3))]).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    let deleted = vec!["\\Deleted".to_string()];
    let (a, b) = (store.hold_expunged("alice", id), store.hold_expunged("alice", id));
    let told = store.select("alice", "INBOX").unwrap().highest_modseq;
    a.caught_up(told);
    b.caught_up(told);
    store.store_flags("alice", id, &[2], FlagChange::Add, &deleted, None).unwrap();
    assert_eq!(store.expunge("alice", id, None).unwrap(), vec![2]);
    let expunged_at = store.select("alice", "INBOX").unwrap().highest_modseq;
    assert!(store.fetch_meta("alice", id, &[2], MetaParts::FACTS).unwrap().is_empty());
    let kept = store.retained_meta("alice", id, &[1, 2, 3], MetaParts::WITH_STRUCTURE).unwrap();
    assert_eq!(kept.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![2]);
    assert!(kept[0].envelope.starts_with('('), "{}", kept[0].envelope);
    assert_eq!(store.read_message("alice", id, 2).unwrap(), message(2));
    a.caught_up(expunged_at);
    assert!(file_of(&store, &message(2)).exists(), "b has not been told");
    b.caught_up(expunged_at);
    assert!(!file_of(&store, &message(2)).exists());
    assert!(store.retained_meta("alice", id, &[2], MetaParts::FACTS).unwrap().is_empty());
    assert!(store.read_message("alice", id, 2).is_err());

    // A hold that ends releases what only it needed; unheld expunges keep nothing.
    store.store_flags("alice", id, &[1], FlagChange::Add, &deleted, None).unwrap();
    store.expunge("alice", id, None).unwrap();
    assert!(file_of(&store, &message(1)).exists());
    drop((a, b));
    assert!(!file_of(&store, &message(1)).exists());
    store.store_flags("alice", id, &[3], FlagChange::Add, &deleted, None).unwrap();
    store.expunge("alice", id, None).unwrap();
    assert!(!file_of(&store, &message(3)).exists());
    assert!(store.retained_meta("alice", id, &[1, 3], MetaParts::FACTS).unwrap().is_empty());
}

/// Rows a process retained and never released (it was killed) are purged by garbage
/// collection, and their files with them.
#[test]
fn retained_rows_left_behind_are_collected() {
    use bushbuck_store::{FlagChange, MetaParts};
    let (_dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1))]).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    let hold = store.hold_expunged("alice", id);
    store.store_flags("alice", id, &[1], FlagChange::Add, &["\\Deleted".to_string()], None).unwrap();
    store.expunge("alice", id, None).unwrap();
    std::mem::forget(hold);
    assert_eq!(store.retained_meta("alice", id, &[1], MetaParts::FACTS).unwrap().len(), 1);
    store.collect_garbage("alice", std::time::Duration::from_secs(3600)).unwrap();
    assert!(file_of(&store, &message(1)).exists(), "younger than the grace period");
    store.collect_garbage("alice", std::time::Duration::ZERO).unwrap();
    assert!(!file_of(&store, &message(1)).exists());
    assert!(store.retained_meta("alice", id, &[1], MetaParts::FACTS).unwrap().is_empty());
}
