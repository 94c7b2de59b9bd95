//! Messages: append, read, flags and MODSEQ, expunge, changes, \Recent, copy/move.

use bushbuck_store::{FlagChange, MessageState, MetaParts, StoreError};

use crate::common::{message, new, strings};
use crate::{with_flags, Backend};

fn append_and_read_back_exactly(b: &dyn Backend) {
    let store = b.store();
    let binary: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let mut odd = b"Subject: bare LF\n\nline\nno final newline".to_vec();
    odd.push(0);
    let placed = store
        .append("alice", "inbox", &[with_flags(&message(1), &["\\seen", "$Label1"]), new(&binary), new(&odd)])
        .unwrap();
    assert_eq!(placed.uids, vec![(0, 1), (0, 2), (0, 3)]);
    let snap = store.select("alice", "INBOX").unwrap();
    assert_eq!(placed.uid_validity, snap.uid_validity);
    assert_eq!((snap.uid_next, snap.highest_modseq), (4, 2));
    assert_eq!(snap.messages[0].flags, strings(&["\\Seen", "$Label1"]));
    assert_eq!(snap.keywords, strings(&["$Label1"]));
    assert_eq!(store.read_message("alice", snap.id, 1).unwrap(), message(1));
    assert_eq!(store.read_message("alice", snap.id, 2).unwrap(), binary);
    assert_eq!(store.read_message("alice", snap.id, 3).unwrap(), odd);
    assert!(matches!(store.read_message("alice", snap.id, 9), Err(StoreError::NotPossible(_))));

    let meta = store
        .fetch_meta("alice", snap.id, &[3, 1, 7, 1], MetaParts { structure: true, header: true })
        .unwrap();
    assert_eq!(meta.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!((meta[0].internal_date, meta[0].internal_date_offset), (1_700_000_000, 120));
    assert_eq!(meta[0].size, message(1).len() as u64);
    assert!(meta[0].email_id.starts_with('M') && meta[0].email_id.len() >= 17);
    let header = meta[0].header.as_deref().unwrap();
    assert!(header.ends_with(b"\r\n\r\n") && message(1).starts_with(header));
    assert_eq!(meta[1].header.as_deref(), Some(&b"Subject: bare LF\n\n"[..]));
    assert!(store.fetch_meta("alice", snap.id, &[1], MetaParts::FACTS).unwrap()[0].header.is_none());

    let status = store.status("alice", "INBOX").unwrap();
    assert_eq!((status.messages, status.unseen, status.recent), (3, 2, 3));
    assert_eq!(status.size, (message(1).len() + binary.len() + odd.len()) as u64);
    assert_eq!(store.usage("alice").unwrap(), (status.size, 3));

    assert!(matches!(store.append("alice", "Nope", &[new(b"x")]), Err(StoreError::NoSuchMailbox)));
    assert!(matches!(
        store.append("alice", "INBOX", &[with_flags(b"x", &["\\Bogus"])]),
        Err(StoreError::NotPossible(_))
    ));
    assert_eq!(store.status("alice", "INBOX").unwrap().messages, 3);
}

fn flags_modseq_and_unchangedsince(b: &dyn Backend) {
    let store = b.store();
    store.append("alice", "INBOX", &[new(&message(1)), new(&message(2)), new(&message(3))]).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    let up = store
        .store_flags("alice", id, &[1, 2], FlagChange::Add, &strings(&["\\seen", "Work", "\\Recent"]), None)
        .unwrap();
    assert_eq!(up.updated.len(), 2);
    assert!(up.updated.iter().all(|m| m.modseq == 3 && m.flags == strings(&["\\Seen", "Work"])));
    // Keywords compare case-insensitively and keep the first spelling.
    let up = store.store_flags("alice", id, &[2, 3], FlagChange::Add, &strings(&["WORK"]), None).unwrap();
    assert_eq!(up.updated[0], MessageState { uid: 2, flags: strings(&["\\Seen", "Work"]), modseq: 3 });
    assert_eq!(up.updated[1].flags, strings(&["Work"]));
    assert_eq!(up.updated[1].modseq, 4);
    // UNCHANGEDSINCE: message 3 (modseq 4) is refused, 1 and 2 (modseq 3) are changed.
    let up = store
        .store_flags("alice", id, &[1, 2, 3, 99], FlagChange::Remove, &strings(&["work"]), Some(3))
        .unwrap();
    assert_eq!(up.modified, vec![3]);
    assert_eq!(up.updated.iter().map(|m| (m.uid, m.modseq)).collect::<Vec<_>>(), vec![(1, 5), (2, 5)]);
    assert_eq!(up.updated[0].flags, strings(&["\\Seen"]));
    // Unchanged messages keep their MODSEQ and do not bump HIGHESTMODSEQ.
    let up = store.store_flags("alice", id, &[1], FlagChange::Replace, &strings(&["\\Seen"]), None).unwrap();
    assert_eq!(up.updated[0].modseq, 5);
    assert_eq!(store.status("alice", "INBOX").unwrap().highest_modseq, 5);
    assert!(matches!(
        store.store_flags("alice", id, &[1], FlagChange::Add, &strings(&["\\Unknown"]), None),
        Err(StoreError::NotPossible(_))
    ));
    let changes = store.changes("alice", id, 4, 3).unwrap();
    assert_eq!(changes.changed.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(changes.highest_modseq, 5);
}

fn expunge_and_changes(b: &dyn Backend) {
    let store = b.store();
    let msgs: Vec<Vec<u8>> = (1..=4).map(message).collect();
    store.append("alice", "INBOX", &msgs.iter().map(|m| new(m)).collect::<Vec<_>>()).unwrap();
    let snap = store.select("alice", "INBOX").unwrap();
    assert!(store.expunge("alice", snap.id, None).unwrap().is_empty());
    store.store_flags("alice", snap.id, &[1, 2, 3], FlagChange::Add, &strings(&["\\Deleted"]), None).unwrap();
    assert_eq!(store.status("alice", "INBOX").unwrap().deleted, 3);
    assert_eq!(store.expunge("alice", snap.id, Some(&[2, 4])).unwrap(), vec![2]);
    let after_first = store.status("alice", "INBOX").unwrap().highest_modseq;
    assert_eq!(store.expunge("alice", snap.id, None).unwrap(), vec![1, 3]);
    store.append("alice", "INBOX", &[new(&message(5))]).unwrap();
    let ch = store.changes("alice", snap.id, snap.highest_modseq, 4).unwrap();
    assert_eq!(ch.expunged, vec![1, 2, 3]);
    assert_eq!(ch.new_messages.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![5]);
    assert!(ch.changed.is_empty());
    assert_eq!(ch.uid_next, 6);
    assert_eq!(store.expunged_since("alice", snap.id, after_first).unwrap(), vec![1, 3]);
    assert_eq!(store.expunged_since("alice", snap.id, 0).unwrap(), vec![1, 2, 3]);
    assert_eq!(store.fetch_meta("alice", snap.id, &[1, 2, 3, 4, 5], MetaParts::FACTS).unwrap().len(), 2);
    assert_eq!(b.stored_contents("alice"), 2);
}

fn recent_is_claimed_once(b: &dyn Backend) {
    let store = b.store();
    store.append("alice", "INBOX", &[new(&message(1)), new(&message(2))]).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    assert_eq!(store.status("alice", "INBOX").unwrap().recent, 2);
    // Two sessions select: only the first gets \Recent.
    assert_eq!(store.claim_recent("alice", id).unwrap(), vec![1, 2]);
    assert!(store.claim_recent("alice", id).unwrap().is_empty());
    assert_eq!(store.status("alice", "INBOX").unwrap().recent, 0);
    store.append("alice", "INBOX", &[new(&message(3))]).unwrap();
    assert_eq!(store.status("alice", "INBOX").unwrap().recent, 1);
    let claims: Vec<Vec<u32>> = std::thread::scope(|s| {
        let sessions: Vec<_> = (0..4).map(|_| s.spawn(|| store.claim_recent("alice", id).unwrap())).collect();
        sessions.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(claims.concat(), vec![3]);
}

fn copy_and_move_share_one_file(b: &dyn Backend) {
    let store = b.store();
    store.create_mailbox("alice", "Archive", None).unwrap();
    store.create_mailbox("alice", "Trash", None).unwrap();
    store
        .append("alice", "INBOX", &[with_flags(&message(1), &["\\Seen", "Work"]), new(&message(2))])
        .unwrap();
    let inbox = store.select("alice", "INBOX").unwrap();
    let placed = store.copy("alice", inbox.id, &[2, 1, 7], "Archive").unwrap();
    assert_eq!(placed.uids, vec![(1, 1), (2, 2)]);
    assert_eq!(placed.uid_validity, store.status("alice", "Archive").unwrap().uid_validity);
    assert_eq!(b.stored_contents("alice"), 2);
    let archive = store.select("alice", "Archive").unwrap();
    assert_eq!(archive.messages[0].flags, strings(&["\\Seen", "Work"]));
    let a = store.fetch_meta("alice", archive.id, &[1], MetaParts::WITH_STRUCTURE).unwrap();
    let i = store.fetch_meta("alice", inbox.id, &[1], MetaParts::WITH_STRUCTURE).unwrap();
    assert!(!a[0].email_id.is_empty());
    assert_eq!(a[0].email_id, i[0].email_id);

    let moved = store.move_messages("alice", inbox.id, &[1, 2], "Trash").unwrap();
    assert_eq!(moved.uids, vec![(1, 1), (2, 2)]);
    assert_eq!(store.status("alice", "INBOX").unwrap().messages, 0);
    assert_eq!(store.status("alice", "Trash").unwrap().messages, 2);
    assert_eq!(store.changes("alice", inbox.id, inbox.highest_modseq, 2).unwrap().expunged, vec![1, 2]);
    assert_eq!(b.stored_contents("alice"), 2);
    assert!(matches!(store.copy("alice", archive.id, &[1], "Nope"), Err(StoreError::NoSuchMailbox)));

    // Files go only when the last reference goes.
    store.delete_mailbox("alice", "Trash").unwrap();
    assert_eq!(b.stored_contents("alice"), 2);
    store.store_flags("alice", archive.id, &[1], FlagChange::Add, &strings(&["\\Deleted"]), None).unwrap();
    store.expunge("alice", archive.id, None).unwrap();
    assert_eq!(b.stored_contents("alice"), 1);
    assert_eq!(store.read_message("alice", archive.id, 2).unwrap(), message(2));
}

fn concurrent_appends_get_distinct_uids(b: &dyn Backend) {
    let store = b.store();
    let mut uids: Vec<u32> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..8)
            .map(|t| {
                s.spawn(move || {
                    (0..10)
                        .flat_map(|i| {
                            let data = message(t * 100 + i);
                            store.append("alice", "INBOX", &[new(&data)]).unwrap().uids
                        })
                        .map(|(_, uid)| uid)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        writers.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    uids.sort();
    assert_eq!(uids, (1..=80).collect::<Vec<_>>());
    assert_eq!(store.status("alice", "INBOX").unwrap().highest_modseq, 81);
}

fn second_store_on_same_location_sees_changes(b: &dyn Backend) {
    let store = b.store();
    store.append("alice", "INBOX", &[new(&message(1))]).unwrap();
    // Another process (the CLI) or node opening the same store, while the first is still open.
    let other = b.open_again();
    let id = other.select("alice", "INBOX").unwrap().id;
    assert_eq!(other.read_message("alice", id, 1).unwrap(), message(1));
    other.append("alice", "INBOX", &[new(&message(2))]).unwrap();
    assert_eq!(store.changes("alice", id, 0, 1).unwrap().new_messages.len(), 1);
    assert_eq!(store.read_message("alice", id, 2).unwrap(), message(2));
}

fn watch_sees_changes(b: &dyn Backend) {
    let store = b.store();
    let id = store.select("alice", "INBOX").unwrap().id;
    let mut rx = store.watch("alice", id);
    assert_eq!(*rx.borrow_and_update(), 1);
    store.append("alice", "INBOX", &[new(&message(1))]).unwrap();
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow_and_update(), 2);
    store.claim_recent("alice", id).unwrap();
    assert!(!rx.has_changed().unwrap());
}

fn content_shared_across_users(b: &dyn Backend) {
    let store = b.store();
    store.create_user("bob").unwrap();
    let data = message(1);
    store.append("alice", "INBOX", &[new(&data)]).unwrap();
    assert!(store.share_content("alice", "bob", &data).unwrap());
    assert!(!store.share_content("alice", "bob", b"unknown").unwrap());
    store.append("bob", "INBOX", &[new(&data)]).unwrap();
    let id = store.select("bob", "INBOX").unwrap().id;
    assert_eq!(store.read_message("bob", id, 1).unwrap(), data);
    assert_eq!(b.stored_contents("bob"), 1);
}

contract_tests!(
    append_and_read_back_exactly,
    flags_modseq_and_unchangedsince,
    expunge_and_changes,
    recent_is_claimed_once,
    copy_and_move_share_one_file,
    concurrent_appends_get_distinct_uids,
    second_store_on_same_location_sees_changes,
    watch_sees_changes,
    content_shared_across_users,
);
