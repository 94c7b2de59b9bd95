//! The text SEARCH BODY matches: decoded, folded, the visible text of HTML, and the same for
//! every copy of a message while any copy is left.

use bushbuck_store::FlagChange;

use crate::common::{message, new, strings, HTML, LATIN1};
use crate::Backend;

fn html_is_searched_as_its_visible_text(b: &dyn Backend) {
    let store = b.store();
    store.append("alice", "INBOX", &[new(HTML)]).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    let want = "café olé\r\nfish & chips".to_string();
    assert_eq!(store.search_texts("alice", id, &[1]).unwrap(), vec![(1, want)]);
}

fn texts_are_decoded_and_folded(b: &dyn Backend) {
    let store = b.store();
    store.append("alice", "INBOX", &[new(&message(1)), new(LATIN1)]).unwrap();
    let id = store.select("alice", "INBOX").unwrap().id;
    let texts = store.search_texts("alice", id, &[2, 9, 1]).unwrap();
    assert_eq!(texts, vec![(1, "body 1\r\n".to_string()), (2, "grüße von herrn müller\r\n".to_string())]);
}

fn texts_follow_copies_until_the_last_is_expunged(b: &dyn Backend) {
    let store = b.store();
    store.create_mailbox("alice", "Archive", None).unwrap();
    store.append("alice", "INBOX", &[new(LATIN1), new(LATIN1)]).unwrap();
    let inbox = store.select("alice", "INBOX").unwrap().id;
    store.copy("alice", inbox, &[1], "Archive").unwrap();
    let archive = store.select("alice", "Archive").unwrap().id;
    store.store_flags("alice", inbox, &[1, 2], FlagChange::Add, &strings(&["\\Deleted"]), None).unwrap();
    store.expunge("alice", inbox, None).unwrap();
    assert!(store.search_texts("alice", inbox, &[1, 2]).unwrap().is_empty());
    assert_eq!(
        store.search_texts("alice", archive, &[1]).unwrap(),
        vec![(1, "grüße von herrn müller\r\n".to_string())]
    );
    store.store_flags("alice", archive, &[1], FlagChange::Add, &strings(&["\\Deleted"]), None).unwrap();
    store.expunge("alice", archive, None).unwrap();
    assert_eq!(b.stored_contents("alice"), 0);
    // The same octets stored again are searchable again.
    store.append("alice", "Archive", &[new(LATIN1)]).unwrap();
    assert_eq!(store.search_texts("alice", archive, &[2]).unwrap()[0].1, "grüße von herrn müller\r\n");
}

contract_tests!(
    html_is_searched_as_its_visible_text,
    texts_are_decoded_and_folded,
    texts_follow_copies_until_the_last_is_expunged,
);
