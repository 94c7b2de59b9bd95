//! Small helpers for writing IMAP response data that the session needs often.

use bushbuck_proto::imap::{mutf7, response};

/// A mailbox name as it goes on the wire: modified UTF-7 unless UTF8=ACCEPT is enabled,
/// quoted or as a literal.
pub fn mailbox(name: &str, utf8: bool) -> String {
    if utf8 {
        response::astring(name.as_bytes())
    } else {
        response::astring(mutf7::encode(name).as_bytes())
    }
}

/// A flag list `(\Seen kw)`, adding `\Recent` when asked.
pub fn flag_list(flags: &[String], recent: bool) -> String {
    let mut out = String::from("(");
    for (i, f) in flags.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(f);
    }
    if recent {
        if !flags.is_empty() {
            out.push(' ');
        }
        out.push_str("\\Recent");
    }
    out.push(')');
    out
}
