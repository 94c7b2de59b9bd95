//! BODY[section] and BINARY[part] extraction.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

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
/// As in Dovecot, HEADER.FIELDS always ends with the blank line, HEADER.FIELDS.NOT only
/// when the header has one (a message that is all header has none).
fn filter_fields(block: &[u8], names: &[String], keep: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let fields = header::parse(block);
    let has_blank_line = block.len() > fields.last().map_or(0, |f| f.end);
    for f in fields {
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
    if keep || has_blank_line {
        out.extend_from_slice(b"\r\n");
    }
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

/// The body of `part` as BODY[] data: a leaf whose content holds NUL octets (binary content
/// APPENDed as literal8) is sent base64-encoded in lines of 76 characters, since BODY[] data
/// never carries NUL; the raw octets go only through BINARY[] (RFC 3516 4.2, 4.3).
fn leaf_content(part: &Part, body: &[u8]) -> Vec<u8> {
    if !matches!(part.kind, Kind::Leaf) || !body.contains(&0) {
        return body.to_vec();
    }
    let text = STANDARD.encode(body);
    let mut out = Vec::with_capacity(text.len() + text.len() / 38 + 2);
    for line in text.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// BODY[part.kind] octets; `part` empty = whole message. None when the part does not exist.
/// HEADER, TEXT and HEADER.FIELDS of a non-message part give an empty string.
pub fn section(message: &[u8], part: &[u32], kind: SectionPart<'_>) -> Option<Vec<u8>> {
    let root = structure::parse(message);
    let p = structure::find(&root, part)?;
    let top = part.is_empty();
    let data = match kind {
        SectionPart::Full if top => message.to_vec(),
        SectionPart::Full => leaf_content(p, p.body(message)),
        SectionPart::Mime if top => return None,
        SectionPart::Mime => p.header(message).to_vec(),
        SectionPart::Header => message_of(p, top).map(|m| m.header(message).to_vec()).unwrap_or_default(),
        SectionPart::Text => message_of(p, top).map(|m| leaf_content(m, m.body(message))).unwrap_or_default(),
        SectionPart::HeaderFields(names) => {
            message_of(p, top).map(|m| filter_fields(m.header(message), names, true)).unwrap_or_default()
        }
        SectionPart::HeaderFieldsNot(names) => {
            message_of(p, top).map(|m| filter_fields(m.header(message), names, false)).unwrap_or_default()
        }
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
/// message unchanged for an empty part number. A multipart or message/rfc822 part is served
/// as Dovecot does: every base64 / quoted-printable part inside it decoded, with its
/// Content-Transfer-Encoding field replaced by `Content-Transfer-Encoding: binary` at the
/// end of its header; everything else (headers, boundaries) unchanged. The empty part 1
/// that BODYSTRUCTURE shows for a multipart without parts is served as an empty string.
pub fn binary(message: &[u8], part: &[u32]) -> Result<Vec<u8>, BinaryError> {
    if part.is_empty() {
        return Ok(message.to_vec());
    }
    let root = structure::parse(message);
    let Some(p) = structure::find(&root, part) else {
        return if structure::is_phantom(&root, part) {
            Ok(Vec::new())
        } else {
            Err(BinaryError::NoSuchPart)
        };
    };
    match p.kind {
        Kind::Leaf => decode::transfer(p.body(message), p.info.encoding.as_deref())
            .map_err(|()| BinaryError::UnknownEncoding),
        _ => {
            let mut conv = Converter { msg: message, out: Vec::new(), copied: p.body_start };
            conv.children(p)?;
            conv.copy_to(p.end);
            Ok(conv.out)
        }
    }
}

/// Builds the BINARY form of a multipart or message/rfc822 body (Dovecot's
/// index-mail-binary): raw bytes are copied up to each part that needs decoding.
struct Converter<'a> {
    msg: &'a [u8],
    out: Vec<u8>,
    /// Offset up to which the message has been written (or skipped).
    copied: usize,
}

fn converted(encoding: Option<&[u8]>) -> bool {
    encoding.is_some_and(|e| e.eq_ignore_ascii_case(b"base64") || e.eq_ignore_ascii_case(b"quoted-printable"))
}

impl Converter<'_> {
    fn copy_to(&mut self, end: usize) {
        if end > self.copied {
            self.out.extend_from_slice(&self.msg[self.copied..end]);
            self.copied = end;
        }
    }

    fn children(&mut self, part: &Part) -> Result<(), BinaryError> {
        match &part.kind {
            Kind::Multipart(children) => children.iter().try_for_each(|c| self.entity(c)),
            Kind::Message(inner) => self.entity(inner),
            Kind::Leaf => Ok(()),
        }
    }

    /// A part with its header.
    fn entity(&mut self, part: &Part) -> Result<(), BinaryError> {
        let enc = part.info.encoding.as_deref();
        let leaf = matches!(part.kind, Kind::Leaf);
        if leaf && decode::transfer(b"", enc).is_err() {
            return Err(BinaryError::UnknownEncoding);
        }
        if converted(enc) && leaf {
            self.copy_to(part.header_start);
            let block = part.header(self.msg);
            let fields = header::parse(block);
            let fields_end = fields.last().map_or(0, |f| f.end);
            for f in fields.iter().filter(|f| !f.is("Content-Transfer-Encoding")) {
                self.out.extend_from_slice(&block[f.start..f.end]);
            }
            self.out.extend_from_slice(b"Content-Transfer-Encoding: binary\r\n");
            self.out.extend_from_slice(&block[fields_end..]);
            self.copied = part.body_start;
            let decoded =
                decode::transfer(part.body(self.msg), enc).map_err(|()| BinaryError::UnknownEncoding)?;
            self.out.extend_from_slice(&decoded);
            self.copied = part.end;
            return Ok(());
        }
        self.copy_to(part.body_start);
        self.children(part)?;
        self.copy_to(part.end);
        Ok(())
    }
}
