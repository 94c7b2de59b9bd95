//! Recognising a message that is already in the local folder by its Message-ID and size, for
//! when the UIDs cannot tell (UIDVALIDITY changed, an import interrupted between storing and
//! recording, a folder filled before). Messages without a Message-ID are never skipped.

use std::collections::HashSet;

use bushbuck_store::MessageMeta;

use crate::imap_client::{self, Value};

/// (Message-ID, size) of a message.
pub type Key = (String, u64);

/// The key of a message, if it has a Message-ID. Only the `<...>` part of the field counts,
/// so folding and comments do not make two copies look different.
pub fn key(message_id: Option<&str>, size: u64) -> Option<Key> {
    let id = message_id?.trim();
    let id = match (id.find('<'), id.rfind('>')) {
        (Some(a), Some(b)) if a < b => &id[a..=b],
        _ => id,
    };
    (!id.is_empty()).then(|| (id.to_string(), size))
}

/// Keys of the messages a local folder holds, from the stored ENVELOPEs (no file read).
pub fn existing(messages: &[MessageMeta]) -> HashSet<Key> {
    messages.iter().filter_map(|m| key(envelope_message_id(&m.envelope).as_deref(), m.size)).collect()
}

/// The message-id field (the tenth) of an ENVELOPE in IMAP syntax.
fn envelope_message_id(envelope: &str) -> Option<String> {
    let values = imap_client::parse(envelope.as_bytes()).ok()?;
    values.first().map(Value::items)?.get(9)?.text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_fields_and_envelopes() {
        assert_eq!(key(Some(" <a@b> (comment)"), 5), Some(("<a@b>".into(), 5)));
        assert_eq!(key(Some("  "), 5), None);
        assert_eq!(key(None, 5), None);
        let envelope = r#"("Mon, 1 Jan 2024 00:00:00 +0000" "s" NIL NIL NIL NIL NIL NIL NIL "<x@y>")"#;
        assert_eq!(envelope_message_id(envelope).as_deref(), Some("<x@y>"));
        assert_eq!(envelope_message_id(r#"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"#), None);
    }
}
