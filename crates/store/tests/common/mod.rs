//! Helpers shared by the contract suite (`tests/contract`) and the embedded store's own tests
//! (`tests/sqlite_files`).

use bushbuck_store::{NewMessage, SqliteStore, Store, Usage};

/// A small message with a distinct body.
pub fn message(n: usize) -> Vec<u8> {
    format!("From: a@example.org\r\nSubject: test {n}\r\n\r\nBody {n}\r\n").into_bytes()
}

/// A new message without flags.
pub fn new(data: &[u8]) -> NewMessage<'_> {
    NewMessage { data, flags: Vec::new(), internal_date: None }
}

/// Owned strings.
pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A message whose only text part is quoted-printable ISO-8859-1.
pub const LATIN1: &[u8] = b"From: a@example.org\r\nSubject: latin\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Gr=FC=DFe von Herrn M=FCLLER\r\n";

/// An HTML-only message: markup, a style sheet and character references.
pub const HTML: &[u8] = b"From: a@example.org\r\nSubject: html\r\nMIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n\
<html><head><link rel=stylesheet href=x.css><style>p { color: red }</style></head>\r\n\
<body><p class=\"greeting\">Caf&eacute; <b>Ol&eacute;</b></p><p>Fish &amp; Chips</p></body></html>\r\n";

/// Number of message files of a user of the embedded store (not counting temporary files).
pub fn blob_files(store: &SqliteStore, user: &str) -> usize {
    let blobs = store.user_dir(user).unwrap().join("blobs");
    std::fs::read_dir(blobs)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != "tmp")
        .map(|e| std::fs::read_dir(e.path()).unwrap().count())
        .sum()
}

/// Asserts that every mailbox's usage counters equal what STATUS counts from the messages, that
/// the total is their sum, and that `fix_usage` finds nothing to fix.
pub fn assert_counters_match(store: &dyn Store) {
    let listed = store.mailbox_usage("alice").unwrap();
    let mut total = Usage::default();
    for m in &listed {
        let recount = match store.status("alice", &m.name) {
            Ok(s) => Usage { bytes: s.size, messages: u64::from(s.messages) },
            Err(_) => Usage::default(), // a \Noselect placeholder holds nothing
        };
        assert_eq!(m.usage, recount, "counters of {}", m.name);
        total.bytes += recount.bytes;
        total.messages += recount.messages;
    }
    assert_eq!(store.usage("alice").unwrap(), (total.bytes, total.messages));
    assert!(store.fix_usage("alice").unwrap().is_empty(), "nothing to fix after every write");
}
