//! Per-mailbox usage counters: equal to a recount after every kind of write.

use bushbuck_store::FlagChange;

use crate::common::{assert_counters_match, message, new, strings};
use crate::Backend;

fn counters_follow_every_write(b: &dyn Backend) {
    let store = b.store();
    let (a, b, c) = (message(1), message(2), vec![b'x'; 5000]);
    store.append("alice", "INBOX", &[new(&a), new(&b), new(&c)]).unwrap();
    assert_counters_match(store);

    store.create_mailbox("alice", "Work/Old", None).unwrap();
    let inbox = store.select("alice", "INBOX").unwrap().id;
    store.copy("alice", inbox, &[1, 2], "Work/Old").unwrap();
    assert_counters_match(store);

    store.move_messages("alice", inbox, &[3], "Work").unwrap();
    assert_counters_match(store);

    store.store_flags("alice", inbox, &[1], FlagChange::Add, &strings(&["\\Deleted"]), None).unwrap();
    store.expunge("alice", inbox, None).unwrap();
    assert_counters_match(store);

    store.delete_mailbox("alice", "Work").unwrap(); // has a child: becomes a placeholder
    assert_counters_match(store);

    store.rename_mailbox("alice", "INBOX", "Saved").unwrap();
    assert_counters_match(store);
    assert_eq!(
        store.mailbox_usage("alice").unwrap().iter().find(|m| m.name == "INBOX").unwrap().usage.messages,
        0
    );

    store.rename_mailbox("alice", "Work/Old", "Archive").unwrap();
    store.delete_mailbox("alice", "Archive").unwrap();
    assert_counters_match(store);
    assert_eq!(store.usage("alice").unwrap(), (b.len() as u64, 1));
}

contract_tests!(counters_follow_every_write);
