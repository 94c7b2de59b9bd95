//! Parses an RFC 5322 / MIME message once into what an IMAP server serves: ENVELOPE,
//! BODYSTRUCTURE, BODY, BODY[section], BINARY and decoded text for SEARCH.
//!
//! Pure code, no I/O. Robust against malformed input: it never panics, nesting is bounded
//! ([`MAX_DEPTH`], deeper parts are opaque), LF-only line endings are accepted and offsets
//! always refer to the original bytes. Output follows Dovecot 2.3 byte for byte where
//! possible (see the module docs of `envelope`, `bodystructure` and `address`), except that
//! sizes count the original octets (Dovecot counts LF as CRLF) and strings that are not
//! valid UTF-8 are sent as literals of their lossy UTF-8 conversion.

mod address;
mod bodystructure;
mod date;
mod decode;
mod encoded_word;
mod envelope;
mod header;
mod html_text;
mod params;
mod quote;
mod section;
mod structure;
mod subject;
mod text;

#[cfg(test)]
mod tests;

pub use address::{parse_address_list, Address};
pub use date::parse_date;
pub use encoded_word::decode as decode_encoded_words;
pub use html_text::html_to_text;
pub use section::{binary, section, BinaryError, SectionPart};
pub use structure::{MAX_DEPTH, MAX_PARTS};
pub use subject::{base_subject, base_subject_of_reply};
pub use text::{
    body_text, contains_folded, first_address, first_address_mailbox, first_header_values, fold,
    folded_body_text, header_may_contain, header_text, header_values, without_embedded_headers,
    EMBEDDED_HEADER_END, EMBEDDED_HEADER_START,
};

/// What the index caches about a message at delivery time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    /// IMAP ENVELOPE, a parenthesised list as on the wire.
    pub envelope: String,
    /// IMAP BODYSTRUCTURE (extensible form).
    pub body_structure: String,
    /// IMAP BODY (non-extensible form).
    pub body: String,
    /// Length in bytes of the top-level header including the blank line.
    pub header_len: usize,
    /// The first Date: header as epoch seconds (for SENTBEFORE/SORT), when parseable.
    pub sent_date: Option<i64>,
}

/// Parses `message` and builds its [`MessageSummary`].
pub fn summarize(message: &[u8]) -> MessageSummary {
    let root = structure::parse(message);
    let fields = header::parse(root.header(message));
    let mut env = String::from("(");
    envelope::write(&mut env, &fields);
    env.push(')');
    let mut body_structure = String::new();
    bodystructure::write(&mut body_structure, message, &root, true);
    let mut body = String::new();
    bodystructure::write(&mut body, message, &root, false);
    let sent_date = fields
        .iter()
        .find(|f| f.is("Date"))
        .and_then(|f| parse_date(&String::from_utf8_lossy(&header::unfold(&f.value))))
        .map(|(t, _)| t);
    MessageSummary { envelope: env, body_structure, body, header_len: root.body_start, sent_date }
}
