//! BODY[section] and BINARY[part] extraction.

use crate::decode;
use crate::header;
use crate::structure::{self, Kind, Part};

/// Which part of a section (RFC 3501 BODY[...] / RFC 9051).
#[derive(Debug, Clone, Copy)]
pub enum SectionPart<'a> {
    /// The whole part (`BODY[1]`), or the whole message with an empty part number.
    Full,
    /// The header of the message or of the encapsulated message/rfc822.
    Header,
    /// Only the named header fields (case-insensitive), plus the blank line.
    HeaderFields(&'a [String]),
    /// All header fields but the named ones, plus the blank line.
    HeaderFieldsNot(&'a [String]),
    /// The body of the message or of the encapsulated message/rfc822.
    Text,
    /// The MIME header of the part.
    Mime,
}

/// Header lines whose field name is (or is not) in `names`, newlines as CRLF, then CRLF.
fn filter_fields(block: &[u8], names: &[String], keep: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for f in header::parse(block) {
        let listed = names.iter().any(|n| f.is(n));
        if listed != keep {
            continue;
        }
        let raw = &block[f.start..f.end];
        let mut pos = 0;
        while pos < raw.len() {
            let (content_end, next) = header::line_at(raw, pos);
            out.extend_from_slice(&raw[pos..content_end]);
            out.extend_from_slice(b"\r\n");
            pos = next;
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The message a HEADER/TEXT/HEADER.FIELDS section applies to: the part itself at the top
/// level, the encapsulated message of a message/rfc822 part, otherwise none.
fn message_of(part: &Part, top: bool) -> Option<&Part> {
    match &part.kind {
        Kind::Message(inner) if !top => Some(inner),
        _ if top => Some(part),
        _ => None,
    }
}

/// BODY[part.kind] octets; `part` empty = whole message. None when the part does not exist.
/// HEADER, TEXT and HEADER.FIELDS of a non-message part give an empty string.
pub fn section(message: &[u8], part: &[u32], kind: SectionPart<'_>) -> Option<Vec<u8>> {
    let root = structure::parse(message);
    let p = structure::find(&root, part)?;
    let top = part.is_empty();
    let data = match kind {
        SectionPart::Full if top => message.to_vec(),
        SectionPart::Full => p.body(message).to_vec(),
        SectionPart::Mime if top => return None,
        SectionPart::Mime => p.header(message).to_vec(),
        SectionPart::Header => message_of(p, top)
            .map(|m| m.header(message).to_vec())
            .unwrap_or_default(),
        SectionPart::Text => message_of(p, top)
            .map(|m| m.body(message).to_vec())
            .unwrap_or_default(),
        SectionPart::HeaderFields(names) => message_of(p, top)
            .map(|m| filter_fields(m.header(message), names, true))
            .unwrap_or_default(),
        SectionPart::HeaderFieldsNot(names) => message_of(p, top)
            .map(|m| filter_fields(m.header(message), names, false))
            .unwrap_or_default(),
    };
    Some(data)
}

/// Why BINARY[part] could not be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryError {
    /// The part does not exist.
    NoSuchPart,
    /// The part's Content-Transfer-Encoding is not one we can decode.
    UnknownEncoding,
}

/// BINARY[part]: the part's content with its Content-Transfer-Encoding removed; the whole
/// message unchanged for an empty part number; multipart and message/rfc822 bodies raw.
pub fn binary(message: &[u8], part: &[u32]) -> Result<Vec<u8>, BinaryError> {
    if part.is_empty() {
        return Ok(message.to_vec());
    }
    let root = structure::parse(message);
    let p = structure::find(&root, part).ok_or(BinaryError::NoSuchPart)?;
    match p.kind {
        Kind::Leaf => decode::transfer(p.body(message), p.info.encoding.as_deref())
            .map_err(|()| BinaryError::UnknownEncoding),
        _ => Ok(p.body(message).to_vec()),
    }
}
