//! `editheader` (RFC 5293): applying header edits to a message, field-name checks and the
//! protected fields scripts may not touch.

use base64::Engine;

use crate::actions::HeaderEdit;
use crate::headers::{self, Field};

/// Whether `name` is an RFC 5322 field-name (printable ASCII except `:`).
pub fn valid_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// Fields a script may not add (RFC 5293 section 6/9: trace fields stay intact).
pub fn add_protected(name: &str) -> bool {
    name.eq_ignore_ascii_case("Received")
}

/// Fields a script may not delete: `Received` (trace) and `Auto-Submitted` (loop
/// protection).
pub fn delete_protected(name: &str) -> bool {
    name.eq_ignore_ascii_case("Received") || name.eq_ignore_ascii_case("Auto-Submitted")
}

/// Encodes a field value for the wire: control characters become spaces, non-ASCII text
/// becomes RFC 2047 `B` encoded-words, long lines are folded at spaces.
pub fn encode_value(value: &str, eol: &str) -> String {
    let clean: String = value.chars().map(|c| if c.is_control() && c != '\t' { ' ' } else { c }).collect();
    if clean.is_ascii() {
        // fold at spaces so that no line exceeds about 78 characters
        let mut out = String::new();
        let mut line_len = 0;
        for (i, word) in clean.split(' ').enumerate() {
            if i > 0 {
                if line_len + 1 + word.len() > 76 && line_len > 0 {
                    out.push_str(eol);
                    line_len = 0;
                }
                out.push(' ');
                line_len += 1;
            }
            out.push_str(word);
            line_len += word.len();
        }
        return out;
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in clean.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(w.as_bytes())))
        .collect::<Vec<_>>()
        .join(&format!("{eol} "))
}

/// Applies one edit to a parsed header.
pub(crate) fn apply_edit(fields: &mut Vec<Field>, edit: &HeaderEdit, eol: &str) {
    match edit {
        HeaderEdit::Add { name, value, last } => {
            if !valid_field_name(name) || add_protected(name) {
                return;
            }
            let raw = format!("{name}: {}{eol}", encode_value(value, eol)).into_bytes();
            let f = Field { name: name.clone(), raw };
            if *last {
                fields.push(f);
            } else {
                fields.insert(0, f);
            }
        }
        HeaderEdit::Delete { name, occurrence } => {
            if delete_protected(name) {
                return;
            }
            let pos = fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.is(name))
                .nth(occurrence.saturating_sub(1))
                .map(|(i, _)| i);
            if let (Some(p), true) = (pos, *occurrence > 0) {
                fields.remove(p);
            }
        }
    }
}

/// Applies header edits to a message and returns the new message bytes; the body and
/// untouched fields are kept byte for byte.
pub fn apply_edits(message: &[u8], edits: &[HeaderEdit]) -> Vec<u8> {
    if edits.is_empty() {
        return message.to_vec();
    }
    let eol = if headers::uses_crlf(message) { "\r\n" } else { "\n" };
    let (head, sep, body) = headers::split(message);
    let mut fields = headers::parse(head);
    // a last field without a line ending would glue to an appended one
    if let Some(f) = fields.last_mut() {
        if !f.raw.ends_with(b"\n") {
            f.raw.extend_from_slice(eol.as_bytes());
        }
    }
    for e in edits {
        apply_edit(&mut fields, e, eol);
    }
    let mut out = Vec::with_capacity(message.len() + 128);
    for f in &fields {
        out.extend_from_slice(&f.raw);
    }
    if sep.is_empty() {
        out.extend_from_slice(eol.as_bytes());
    } else {
        out.extend_from_slice(sep);
    }
    out.extend_from_slice(body);
    out
}
