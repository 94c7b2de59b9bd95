//! Copying a mailbox into another store keeps its UIDVALIDITY, UIDs, MODSEQs, flags and dates,
//! resumes without duplicates, and refuses to renumber a mailbox that holds other messages.

use bushbuck_store::{FlagChange, ImportedMessage, MailboxImage, MetaParts, Store, StoreError};

use crate::common::{message, new, strings};
use crate::{with_flags, Backend};

/// The image of `name` in `store`, as `bushbuck store migrate` reads it.
fn image_of(store: &dyn Store, user: &str, name: &str) -> MailboxImage {
    let status = store.status(user, name).unwrap();
    let special_use =
        store.list_mailboxes(user).unwrap().into_iter().find(|m| m.name == name).unwrap().special_use;
    MailboxImage {
        name: name.to_string(),
        special_use,
        uid_validity: status.uid_validity,
        uid_next: status.uid_next,
        highest_modseq: status.highest_modseq,
    }
}

/// Copies every message of `name` from `from` to `to`.
fn copy_mailbox(from: &dyn Store, to: &dyn Store, user: &str, name: &str) -> usize {
    let target = to.import_mailbox(user, &image_of(from, user, name)).unwrap();
    let snapshot = from.select(user, name).unwrap();
    let uids: Vec<u32> = snapshot.messages.iter().map(|m| m.uid).collect();
    let metas = from.fetch_meta(user, snapshot.id, &uids, MetaParts::FACTS).unwrap();
    let data: Vec<Vec<u8>> =
        uids.iter().map(|&uid| from.read_message(user, snapshot.id, uid).unwrap()).collect();
    let batch: Vec<ImportedMessage<'_>> = metas
        .iter()
        .zip(&data)
        .map(|(m, data)| {
            let seen_by = ["bob", "carol"]
                .into_iter()
                .filter(|viewer| from.seen_uids(user, snapshot.id, viewer).unwrap().contains(&m.uid))
                .map(str::to_string)
                .collect();
            ImportedMessage::from_meta(m, data, seen_by)
        })
        .collect();
    to.import_messages(user, target, &batch).unwrap()
}

fn a_copied_mailbox_keeps_identity_and_messages(b: &dyn Backend) {
    let (source, copy) = (b.store(), b.another());
    let target = copy.store();
    source.create_mailbox("alice", "Archive/2024", Some("\\Archive")).unwrap();
    let (m1, m2, m3) = (message(1), message(2), message(3));
    source
        .append("alice", "Archive/2024", &[with_flags(&m1, &["\\Seen", "$Label1"]), new(&m2), new(&m3)])
        .unwrap();
    let id = source.select("alice", "Archive/2024").unwrap().id;
    source.store_flags("alice", id, &[2], FlagChange::Add, &strings(&["\\Deleted"]), None).unwrap();
    source.expunge("alice", id, None).unwrap();
    source.store_flags("alice", id, &[3], FlagChange::Add, &strings(&["\\Flagged"]), None).unwrap();
    source.set_seen("alice", id, "bob", &[1, 3], true).unwrap();
    source.set_seen("alice", id, "carol", &[3], true).unwrap();

    assert_eq!(copy_mailbox(source, target, "alice", "Archive/2024"), 2);

    let (s, t) =
        (source.select("alice", "Archive/2024").unwrap(), target.select("alice", "Archive/2024").unwrap());
    assert_eq!(
        (t.uid_validity, t.uid_next, t.highest_modseq),
        (s.uid_validity, s.uid_next, s.highest_modseq)
    );
    assert_eq!(t.messages, s.messages, "UIDs, flags and MODSEQs");
    assert_eq!(t.messages.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(target.seen_uids("alice", t.id, "bob").unwrap(), vec![1, 3], "viewers' own \\Seen");
    assert_eq!(target.seen_uids("alice", t.id, "carol").unwrap(), vec![3]);
    let meta = |st: &dyn Store, id| st.fetch_meta("alice", id, &[1, 3], MetaParts::WITH_STRUCTURE).unwrap();
    let (sm, tm) = (meta(source, s.id), meta(target, t.id));
    for (a, b) in sm.iter().zip(&tm) {
        assert_eq!(
            (a.internal_date, a.internal_date_offset, a.save_date),
            (b.internal_date, b.internal_date_offset, b.save_date)
        );
        assert_eq!((a.size, &a.envelope, &a.email_id), (b.size, &b.envelope, &b.email_id));
    }
    assert_eq!(target.read_message("alice", t.id, 3).unwrap(), m3);
    let listed = target.list_mailboxes("alice").unwrap();
    assert!(listed.iter().any(|m| m.name == "Archive/2024" && m.special_use.as_deref() == Some("\\Archive")));
    assert_eq!(target.usage("alice").unwrap(), source.usage("alice").unwrap(), "quota usage follows");

    // The next APPEND continues the source's numbering.
    let placed = target.append("alice", "Archive/2024", &[new(&message(4))]).unwrap();
    assert_eq!(placed.uids, vec![(0, s.uid_next)]);
    assert!(target.status("alice", "Archive/2024").unwrap().highest_modseq > s.highest_modseq);
}

fn a_resumed_copy_stores_only_what_is_missing(b: &dyn Backend) {
    let (source, copy) = (b.store(), b.another());
    let target = copy.store();
    let (m1, m2) = (message(1), message(2));
    source.append("alice", "INBOX", &[new(&m1), new(&m2)]).unwrap();
    assert_eq!(copy_mailbox(source, target, "alice", "INBOX"), 2);
    assert_eq!(copy_mailbox(source, target, "alice", "INBOX"), 0);
    source.append("alice", "INBOX", &[new(&message(3))]).unwrap();
    assert_eq!(copy_mailbox(source, target, "alice", "INBOX"), 1);
    assert_eq!(
        target.select("alice", "INBOX").unwrap().messages,
        source.select("alice", "INBOX").unwrap().messages
    );
}

fn a_mailbox_holding_other_messages_is_not_renumbered(b: &dyn Backend) {
    let (source, copy) = (b.store(), b.another());
    let target = copy.store();
    source.append("alice", "INBOX", &[new(&message(1))]).unwrap();
    target.append("alice", "INBOX", &[new(&message(9))]).unwrap();
    let mut image = image_of(source, "alice", "INBOX");
    image.uid_validity = target.status("alice", "INBOX").unwrap().uid_validity + 1;
    match target.import_mailbox("alice", &image) {
        Err(StoreError::NotPossible(text)) => assert!(text.contains("UIDVALIDITY"), "{text}"),
        other => panic!("expected NotPossible, got {other:?}"),
    }
}

fn mailboxes_created_after_an_import_get_a_larger_uidvalidity(b: &dyn Backend) {
    let target = b.store();
    let far = u32::MAX - 10;
    let image = MailboxImage {
        name: "Old".into(),
        special_use: None,
        uid_validity: far,
        uid_next: 1,
        highest_modseq: 1,
    };
    target.import_mailbox("alice", &image).unwrap();
    target.create_mailbox("alice", "New", None).unwrap();
    assert!(target.status("alice", "New").unwrap().uid_validity > far);
}

/// A mailbox copied in from another store has no expunge log from before the copy: a resync
/// from an older MODSEQ is told every UID without a message, one from the copy on only the
/// expunges since.
fn an_imported_mailbox_answers_old_resyncs_with_every_missing_uid(b: &dyn Backend) {
    let store = b.store();
    let image = MailboxImage {
        name: "Copied".into(),
        special_use: None,
        uid_validity: 777,
        uid_next: 7,
        highest_modseq: 50,
    };
    let id = store.import_mailbox("alice", &image).unwrap();
    let datas: Vec<Vec<u8>> = (1..=4).map(message).collect();
    let batch: Vec<ImportedMessage<'_>> = [1u32, 2, 4, 5]
        .iter()
        .zip(&datas)
        .map(|(&uid, data)| ImportedMessage {
            uid,
            modseq: 40,
            flags: Vec::new(),
            internal_date: (0, 0),
            save_date: 0,
            seen_by: Vec::new(),
            data,
        })
        .collect();
    store.import_messages("alice", id, &batch).unwrap();
    assert_eq!(store.expunged_since("alice", id, 10).unwrap(), vec![3, 6]);
    assert!(store.expunged_since("alice", id, 50).unwrap().is_empty());
    store.store_flags("alice", id, &[4], FlagChange::Add, &["\\Deleted".to_string()], None).unwrap();
    store.expunge("alice", id, None).unwrap();
    assert_eq!(store.expunged_since("alice", id, 50).unwrap(), vec![4]);
    assert_eq!(store.expunged_since("alice", id, 49).unwrap(), vec![3, 4, 6]);
}

contract_tests!(
    a_copied_mailbox_keeps_identity_and_messages,
    a_resumed_copy_stores_only_what_is_missing,
    a_mailbox_holding_other_messages_is_not_renumbered,
    mailboxes_created_after_an_import_get_a_larger_uidvalidity,
    an_imported_mailbox_answers_old_resyncs_with_every_missing_uid,
);
