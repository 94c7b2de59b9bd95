//! ACLs, the grants index, the shared store and per-user \Seen.

use bushbuck_store::{StoreError, OWNER_RIGHTS, SHARED_OWNER};

use crate::common::{message, new, strings};
use crate::Backend;

fn acl(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(i, r)| (i.to_string(), r.to_string())).collect()
}

fn new_mailboxes_get_owner_rights_or_their_parents_acl(b: &dyn Backend) {
    let store = b.store();
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

fn grants_index_finds_owners_and_forgets_them(b: &dyn Backend) {
    let store = b.store();
    store.create_mailbox("alice", "Share", None).unwrap();
    store.set_acl("alice", "Share", "bob", Some("lr")).unwrap();
    store.create_mailbox(SHARED_OWNER, "news", None).unwrap();
    store.set_acl(SHARED_OWNER, "news", "anyone", Some("lr")).unwrap();
    assert_eq!(store.grantors(&strings(&["bob", "anyone"])).unwrap(), strings(&[SHARED_OWNER, "alice"]));
    store.set_acl("alice", "Share", "bob", None).unwrap();
    assert_eq!(store.grantors(&strings(&["bob"])).unwrap(), Vec::<String>::new());
    // Another instance sees the grants of the first.
    store.set_acl("alice", "Share", "carol", Some("l")).unwrap();
    let other = b.open_again();
    assert_eq!(other.grantors(&strings(&["carol", "anyone"])).unwrap(), strings(&[SHARED_OWNER, "alice"]));
}

fn shared_store_is_no_user(b: &dyn Backend) {
    let store = b.store();
    assert!(store.list_mailboxes(SHARED_OWNER).unwrap().is_empty(), "the shared store has no INBOX");
    store.create_mailbox(SHARED_OWNER, "news", None).unwrap();
    store.append(SHARED_OWNER, "news", &[new(&message(1))]).unwrap();
    assert_eq!(store.status(SHARED_OWNER, "news").unwrap().messages, 1);
    assert!(!store.list_users().unwrap().contains(&SHARED_OWNER.to_string()));
    assert!(store.create_user(SHARED_OWNER).is_err());
}

fn seen_is_per_viewer_and_bumps_modseq(b: &dyn Backend) {
    let store = b.store();
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

contract_tests!(
    new_mailboxes_get_owner_rights_or_their_parents_acl,
    grants_index_finds_owners_and_forgets_them,
    shared_store_is_no_user,
    seen_is_per_viewer_and_bumps_modseq,
);
