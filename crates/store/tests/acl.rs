//! ACLs, the grants index, the shared store and per-user \Seen.

mod common;

use bushbuck_store::{SqliteStore, Store, StoreError, OWNER_RIGHTS, SHARED_OWNER};
use common::*;

fn acl(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(i, r)| (i.to_string(), r.to_string())).collect()
}

#[test]
fn new_mailboxes_get_owner_rights_or_their_parents_acl() {
    let (_dir, store) = store();
    assert_eq!(store.get_acl("alice", "INBOX").unwrap(), acl(&[("alice", OWNER_RIGHTS)]));
    store.create_mailbox("alice", "Projects", None).unwrap();
    store.set_acl("alice", "Projects", "bob", Some("lr")).unwrap();
    store.create_mailbox("alice", "Projects/2024/Q1", None).unwrap();
    let expected = acl(&[("alice", OWNER_RIGHTS), ("bob", "lr")]);
    assert_eq!(store.get_acl("alice", "Projects/2024").unwrap(), expected);
    assert_eq!(store.get_acl("alice", "Projects/2024/Q1").unwrap(), expected);
    store.set_acl("alice", "Projects", "bob", None).unwrap();
    assert_eq!(store.get_acl("alice", "Projects").unwrap(), acl(&[("alice", OWNER_RIGHTS)]));
    assert!(matches!(store.get_acl("alice", "Nope"), Err(StoreError::NoSuchMailbox)));
}

#[test]
fn grants_index_finds_owners_and_forgets_them() {
    let (dir, store) = store();
    store.create_mailbox("alice", "Share", None).unwrap();
    store.set_acl("alice", "Share", "bob", Some("lr")).unwrap();
    store.create_mailbox(SHARED_OWNER, "news", None).unwrap();
    store.set_acl(SHARED_OWNER, "news", "anyone", Some("lr")).unwrap();
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(store.grantors(&ids(&["bob", "anyone"])).unwrap(), ids(&[SHARED_OWNER, "alice"]));
    store.set_acl("alice", "Share", "bob", None).unwrap();
    assert_eq!(store.grantors(&ids(&["bob"])).unwrap(), Vec::<String>::new());
    // A lost index is rebuilt from the stores.
    store.set_acl("alice", "Share", "carol", Some("l")).unwrap();
    drop(store);
    std::fs::remove_file(dir.path().join("grants.sqlite3")).unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.grantors(&ids(&["carol", "anyone"])).unwrap(), ids(&[SHARED_OWNER, "alice"]));
}

#[test]
fn shared_store_lives_apart_and_is_no_user() {
    let (dir, store) = store();
    assert!(store.list_mailboxes(SHARED_OWNER).unwrap().is_empty(), "the shared store has no INBOX");
    store.create_mailbox(SHARED_OWNER, "news", None).unwrap();
    store.append(SHARED_OWNER, "news", &[new(&message(1))]).unwrap();
    assert!(dir.path().join("shared/index.sqlite3").is_file());
    assert!(!store.list_users().unwrap().contains(&SHARED_OWNER.to_string()));
    assert!(store.create_user(SHARED_OWNER).is_err());
}

#[test]
fn seen_is_per_viewer_and_bumps_modseq() {
    let (_dir, store) = store();
    store.create_mailbox(SHARED_OWNER, "board", None).unwrap();
    store.append(SHARED_OWNER, "board", &[new(&message(1)), new(&message(2))]).unwrap();
    let snap = store.select(SHARED_OWNER, "board").unwrap();
    let states = store.set_seen(SHARED_OWNER, snap.id, "alice", &[1, 2, 9], true).unwrap();
    assert_eq!(states.iter().map(|s| s.uid).collect::<Vec<_>>(), vec![1, 2]);
    assert!(states.iter().all(|s| s.modseq > snap.highest_modseq && s.flags.is_empty()));
    assert_eq!(store.seen_uids(SHARED_OWNER, snap.id, "alice").unwrap(), vec![1, 2]);
    assert!(store.seen_uids(SHARED_OWNER, snap.id, "bob").unwrap().is_empty());
    let again = store.set_seen(SHARED_OWNER, snap.id, "alice", &[1], true).unwrap();
    assert_eq!(again[0].modseq, states[0].modseq, "no change, no new MODSEQ");
    store.set_seen(SHARED_OWNER, snap.id, "alice", &[1], false).unwrap();
    assert_eq!(store.seen_uids(SHARED_OWNER, snap.id, "alice").unwrap(), vec![2]);
    let changes = store.changes(SHARED_OWNER, snap.id, states[0].modseq, 2).unwrap();
    assert_eq!(changes.changed.iter().map(|s| s.uid).collect::<Vec<_>>(), vec![1]);
}
