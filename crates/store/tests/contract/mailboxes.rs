//! Users, mailbox hierarchy, names, subscriptions.

use bushbuck_store::{MetaParts, Store, StoreError};

use crate::common::{message, new, strings};
use crate::{with_flags, Backend};

fn names(store: &dyn Store) -> Vec<(String, bool)> {
    store.list_mailboxes("alice").unwrap().into_iter().map(|m| (m.name, m.selectable)).collect()
}

fn owned(v: &[(&str, bool)]) -> Vec<(String, bool)> {
    v.iter().map(|(n, s)| (n.to_string(), *s)).collect()
}

fn users(b: &dyn Backend) {
    let store = b.store();
    assert!(matches!(store.create_user("alice"), Err(StoreError::UserExists)));
    store.create_user("bob@example.org").unwrap();
    assert_eq!(store.list_users().unwrap(), vec!["alice", "bob@example.org"]);
    assert!(matches!(store.list_mailboxes("carol"), Err(StoreError::NoSuchUser)));
    for bad in ["../x", "a/b", ".x", "", "A"] {
        assert!(matches!(store.create_user(bad), Err(StoreError::InvalidName(_))), "{bad:?}");
    }
    store.append("bob@example.org", "INBOX", &[new(&message(1))]).unwrap();
    store.delete_user("bob@example.org").unwrap();
    assert_eq!(store.list_users().unwrap(), vec!["alice"]);
    assert!(matches!(store.delete_user("bob@example.org"), Err(StoreError::NoSuchUser)));
    store.create_user("bob@example.org").unwrap();
    assert_eq!(store.status("bob@example.org", "INBOX").unwrap().messages, 0);
}

fn hierarchy_and_inbox_case(b: &dyn Backend) {
    let store = b.store();
    let id = store.create_mailbox("alice", "Archive/2024/Q1", None).unwrap();
    store.create_mailbox("alice", "Sent", Some("\\Sent")).unwrap();
    store.create_mailbox("alice", "inbox/Sub", None).unwrap();
    assert_eq!(
        names(store),
        owned(&[
            ("Archive", true),
            ("Archive/2024", true),
            ("Archive/2024/Q1", true),
            ("INBOX", true),
            ("INBOX/Sub", true),
            ("Sent", true)
        ])
    );
    let sent = store.list_mailboxes("alice").unwrap().into_iter().find(|m| m.name == "Sent").unwrap();
    assert_eq!(sent.special_use.as_deref(), Some("\\Sent"));
    assert!(matches!(store.create_mailbox("alice", "Archive/2024/Q1", None), Err(StoreError::MailboxExists)));
    assert!(matches!(store.create_mailbox("alice", "Inbox", None), Err(StoreError::MailboxExists)));
    assert_eq!(store.select("alice", "Archive/2024/Q1").unwrap().id, id);
    assert_eq!(store.select("alice", "iNbOx").unwrap().uid_next, 1);
}

fn invalid_names_refused(b: &dyn Backend) {
    let store = b.store();
    for bad in ["../x", "a//b", "/abs", "a/", "a\0b", "a/../b", ".", "x*", "y%", "tab\t"] {
        assert!(
            matches!(store.create_mailbox("alice", bad, None), Err(StoreError::InvalidName(_))),
            "{bad:?}"
        );
        assert!(matches!(store.append("alice", bad, &[new(b"x")]), Err(StoreError::InvalidName(_))));
    }
    assert!(matches!(
        store.create_mailbox("alice", &"a".repeat(1025), None),
        Err(StoreError::InvalidName(_))
    ));
    assert_eq!(names(store), owned(&[("INBOX", true)]));
}

fn uidvalidity_is_new_after_recreate(b: &dyn Backend) {
    let store = b.store();
    store.create_mailbox("alice", "A", None).unwrap();
    store.create_mailbox("alice", "B", None).unwrap();
    let a = store.status("alice", "A").unwrap().uid_validity;
    let b = store.status("alice", "B").unwrap().uid_validity;
    assert!(b > a);
    store.delete_mailbox("alice", "A").unwrap();
    store.create_mailbox("alice", "A", None).unwrap();
    assert!(store.status("alice", "A").unwrap().uid_validity > b);
    assert!(matches!(store.status("alice", "Nope"), Err(StoreError::NoSuchMailbox)));
}

fn delete_with_children_leaves_placeholder(b: &dyn Backend) {
    let store = b.store();
    store.create_mailbox("alice", "P/C", None).unwrap();
    let old = store.select("alice", "P").unwrap().id;
    store.append("alice", "P", &[new(&message(1))]).unwrap();
    store.delete_mailbox("alice", "P").unwrap();
    assert_eq!(names(store), owned(&[("INBOX", true), ("P", false), ("P/C", true)]));
    assert!(matches!(store.select("alice", "P"), Err(StoreError::NoSuchMailbox)));
    assert!(matches!(store.fetch_meta("alice", old, &[1], MetaParts::FACTS), Err(StoreError::NoSuchMailbox)));
    assert_eq!(b.stored_contents("alice"), 0);
    // A placeholder with children cannot be deleted.
    assert!(matches!(store.delete_mailbox("alice", "P"), Err(StoreError::NotPossible(_))));
    // Deleting the last child removes the placeholder too.
    store.delete_mailbox("alice", "P/C").unwrap();
    assert_eq!(names(store), owned(&[("INBOX", true)]));
    // Creating over a placeholder turns it into a mailbox.
    store.create_mailbox("alice", "Q/C", None).unwrap();
    store.delete_mailbox("alice", "Q").unwrap();
    store.create_mailbox("alice", "Q", None).unwrap();
    assert_eq!(names(store), owned(&[("INBOX", true), ("Q", true), ("Q/C", true)]));
    assert!(
        matches!(store.delete_mailbox("alice", "inbox"), Err(StoreError::NotPossible(m)) if m == "INBOX cannot be deleted")
    );
    assert!(matches!(store.delete_mailbox("alice", "Nope"), Err(StoreError::NoSuchMailbox)));
}

fn rename_with_children(b: &dyn Backend) {
    let store = b.store();
    store.create_mailbox("alice", "A/B/C", None).unwrap();
    store.create_mailbox("alice", "AB", None).unwrap();
    let id = store.select("alice", "A/B").unwrap().id;
    store.append("alice", "A/B", &[new(&message(1))]).unwrap();
    let validity = store.status("alice", "A/B").unwrap().uid_validity;
    store.rename_mailbox("alice", "A", "X/Y").unwrap();
    assert_eq!(
        names(store),
        owned(&[
            ("AB", true),
            ("INBOX", true),
            ("X", true),
            ("X/Y", true),
            ("X/Y/B", true),
            ("X/Y/B/C", true)
        ])
    );
    let snap = store.select("alice", "X/Y/B").unwrap();
    assert_eq!((snap.id, snap.uid_validity, snap.messages.len()), (id, validity, 1));
    assert!(matches!(store.rename_mailbox("alice", "X", "AB"), Err(StoreError::MailboxExists)));
    assert!(matches!(store.rename_mailbox("alice", "X", "X/Z"), Err(StoreError::NotPossible(_))));
    assert!(matches!(store.rename_mailbox("alice", "Nope", "Z"), Err(StoreError::NoSuchMailbox)));
}

fn rename_inbox_moves_messages(b: &dyn Backend) {
    let store = b.store();
    store.create_mailbox("alice", "INBOX/Kept", None).unwrap();
    store
        .append("alice", "INBOX", &[with_flags(&message(1), &["\\Seen", "Work"]), new(&message(2))])
        .unwrap();
    let inbox = store.select("alice", "INBOX").unwrap();
    store.rename_mailbox("alice", "INBOX", "Old").unwrap();
    let old = store.select("alice", "Old").unwrap();
    assert_eq!(old.messages.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(old.messages[0].flags, strings(&["\\Seen", "Work"]));
    assert_eq!(old.keywords, strings(&["Work"]));
    assert_ne!(old.uid_validity, inbox.uid_validity);
    let now = store.select("alice", "INBOX").unwrap();
    assert!(now.messages.is_empty());
    assert_eq!((now.id, now.uid_validity, now.uid_next), (inbox.id, inbox.uid_validity, 3));
    let changes = store.changes("alice", inbox.id, inbox.highest_modseq, 2).unwrap();
    assert_eq!(changes.expunged, vec![1, 2]);
    assert!(names(store).contains(&("INBOX/Kept".to_string(), true)));
    assert_eq!(store.read_message("alice", old.id, 2).unwrap(), message(2));
    // New mail gets fresh UIDs in INBOX.
    let placed = store.append("alice", "INBOX", &[new(&message(3))]).unwrap();
    assert_eq!(placed.uids, vec![(0, 3)]);
}

fn subscriptions_are_independent(b: &dyn Backend) {
    let store = b.store();
    store.set_subscribed("alice", "Ghost", true).unwrap();
    store.set_subscribed("alice", "inbox", true).unwrap();
    store.set_subscribed("alice", "Ghost", true).unwrap();
    assert_eq!(store.subscriptions("alice").unwrap(), strings(&["Ghost", "INBOX"]));
    store.set_subscribed("alice", "Ghost", false).unwrap();
    assert_eq!(store.subscriptions("alice").unwrap(), strings(&["INBOX"]));
    assert!(store.set_subscribed("alice", "a//b", true).is_err());
}

contract_tests!(
    users,
    hierarchy_and_inbox_case,
    invalid_names_refused,
    uidvalidity_is_new_after_recreate,
    delete_with_children_leaves_placeholder,
    rename_with_children,
    rename_inbox_moves_messages,
    subscriptions_are_independent,
);
