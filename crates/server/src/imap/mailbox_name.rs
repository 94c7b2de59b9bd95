//! Mailbox names from the wire: modified UTF-7 decoding and the INBOX case rule.

use bushbuck_proto::imap::mutf7;

/// Decodes a mailbox name as sent by the client into the store's UTF-8 form, folding any
/// case of `INBOX` (alone or as the first level) to `INBOX`. With `utf8` (IMAP4rev2 enabled)
/// names are UTF-8; otherwise modified UTF-7.
pub fn decode(raw: &[u8], utf8: bool) -> Result<String, String> {
    let name = if utf8 {
        String::from_utf8(raw.to_vec()).map_err(|_| "Mailbox name is not valid UTF-8".to_string())?
    } else {
        mutf7::decode(raw).map_err(|e| format!("Mailbox name is not valid modified UTF-7: {e}"))?
    };
    Ok(fold_inbox(&name))
}

/// Folds a leading `inbox` component to `INBOX`.
pub fn fold_inbox(name: &str) -> String {
    let first = name.split('/').next().unwrap_or("");
    if first.eq_ignore_ascii_case("INBOX") {
        format!("INBOX{}", &name[first.len()..])
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_in_any_case() {
        assert_eq!(fold_inbox("inbox"), "INBOX");
        assert_eq!(fold_inbox("InBox/Sub"), "INBOX/Sub");
        assert_eq!(fold_inbox("inboxes"), "inboxes");
    }

    #[test]
    fn decodes_modified_utf7() {
        assert_eq!(decode(b"Entw&APw-rfe", false).unwrap(), "Entw\u{fc}rfe");
        assert!(decode(b"bad&-x&", false).is_err());
        assert_eq!(decode("Entwürfe".as_bytes(), true).unwrap(), "Entw\u{fc}rfe");
    }
}
