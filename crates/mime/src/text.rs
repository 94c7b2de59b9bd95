//! Decoded text for SEARCH: header values, the header block and text parts.

use crate::decode;
use crate::encoded_word;
use crate::header;
use crate::html_text::html_to_text;
use crate::structure::{self, Kind, Part};

/// Values of a header field in a header block, unfolded, RFC 2047 encoded-words decoded to
/// UTF-8, surrounding whitespace trimmed, in message order.
pub fn header_values(header: &[u8], name: &str) -> Vec<String> {
    header::parse_named(header, name)
        .iter()
        .map(|f| encoded_word::decode(&header::unfold(&f.value)).trim().to_string())
        .collect()
}

/// The first value of each of `names` in a header block, as [`header_values`] gives it,
/// found in one pass over the block (THREAD reads five fields of every message).
pub fn first_header_values(header: &[u8], names: &[&str]) -> Vec<Option<String>> {
    let wanted = |n: &[u8]| names.iter().any(|name| n.eq_ignore_ascii_case(name.as_bytes()));
    let fields = header::parse_where(header, wanted);
    names
        .iter()
        .map(|name| {
            let f = fields.iter().find(|f| f.is(name))?;
            Some(encoded_word::decode(&header::unfold(&f.value)).trim().to_string())
        })
        .collect()
}

/// The whole header block decoded for SEARCH TEXT: one `Name: value` line per field,
/// unfolded, encoded-words decoded.
pub fn header_text(header: &[u8]) -> String {
    let mut out = String::new();
    for f in header::parse(header) {
        out.push_str(&String::from_utf8_lossy(f.name));
        out.push_str(": ");
        out.push_str(&encoded_word::decode(&header::unfold(&f.value)));
        out.push('\n');
    }
    out
}

/// What [`collect`] takes from a message besides its text parts.
#[derive(Clone, Copy)]
struct Extract {
    /// text/html parts contribute their visible text ([`html_to_text`]), not their markup.
    html_as_text: bool,
    /// An encapsulated message (message/rfc822) contributes its header lines
    /// ([`header_text`]) before its text: they are text of the enclosing message's body.
    embedded_headers: bool,
}

/// Appends the decoded text parts under `part` to `out`, as `how` says.
fn collect(msg: &[u8], part: &Part, how: Extract, out: &mut String) {
    match &part.kind {
        Kind::Multipart(children) => children.iter().for_each(|c| collect(msg, c, how, out)),
        Kind::Message(inner) => {
            if how.embedded_headers {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push(EMBEDDED_HEADER_START);
                out.push_str(&header_text(inner.header(msg)));
                out.push(EMBEDDED_HEADER_END);
            }
            collect(msg, inner, how, out)
        }
        Kind::Leaf if part.info.is_text() => {
            // A part in an unknown transfer encoding is skipped, as Dovecot's decoder does.
            let Ok(bytes) = decode::transfer(part.body(msg), part.info.encoding.as_deref()) else {
                return;
            };
            let charset = part.info.param("charset").map(|c| String::from_utf8_lossy(c).into_owned());
            let text = match charset {
                Some(cs) => decode::to_utf8(&bytes, &cs),
                None => String::from_utf8_lossy(&bytes).into_owned(),
            };
            if !out.is_empty() {
                out.push('\n');
            }
            if how.html_as_text && is_html(part) {
                out.push_str(&html_to_text(&text));
            } else {
                out.push_str(&text);
            }
        }
        Kind::Leaf => {}
    }
}

/// Decoded text of every text/* part (transfer encoding removed, charset converted to UTF-8,
/// HTML left as is), parts separated by a newline. Parts in an unknown
/// Content-Transfer-Encoding are left out.
pub fn body_text(message: &[u8]) -> String {
    let root = structure::parse(message);
    let mut out = String::new();
    collect(message, &root, Extract { html_as_text: false, embedded_headers: false }, &mut out);
    out
}

/// Whether a part is text/html.
fn is_html(part: &Part) -> bool {
    part.info.content_type.as_ref().is_some_and(|(_, sub)| sub.eq_ignore_ascii_case(b"html"))
}

/// The case folding of SEARCH: Unicode lower case. Text stored folded (the search text
/// index) and needles must both go through this one function, so they fold alike.
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Opens the decoded header lines of an embedded message in [`folded_body_text`]: SEARCH TEXT
/// matches them, SEARCH BODY does not ([`without_embedded_headers`]), as in Dovecot. A control
/// character, so no decoded text or folded needle holds it.
pub const EMBEDDED_HEADER_START: char = '\u{1}';
/// Closes what [`EMBEDDED_HEADER_START`] opened.
pub const EMBEDDED_HEADER_END: char = '\u{2}';

/// A [`folded_body_text`] without the header lines of embedded messages: what SEARCH BODY
/// matches (borrowed when there are none).
pub fn without_embedded_headers(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(EMBEDDED_HEADER_START) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(EMBEDDED_HEADER_START) {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find(EMBEDDED_HEADER_END) {
            Some(end) => &rest[start + end + EMBEDDED_HEADER_END.len_utf8()..],
            None => "",
        };
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// What SEARCH BODY/TEXT match against: the decoded text parts as in [`body_text`], except
/// that text/html parts are reduced to their visible text ([`html_to_text`]: no tags,
/// scripts or styles, character references decoded) and that each embedded message
/// (message/rfc822, as in a bounce) adds its decoded header lines ([`header_text`]) between
/// [`EMBEDDED_HEADER_START`] and [`EMBEDDED_HEADER_END`], for TEXT only, as Dovecot matches
/// them; [`fold`]ed. The search text index keeps exactly this, and a reader
/// without an index row computes it from the file, so both must call this one function.
pub fn folded_body_text(message: &[u8]) -> String {
    let root = structure::parse(message);
    let mut out = String::new();
    collect(message, &root, Extract { html_as_text: true, embedded_headers: true }, &mut out);
    fold(&out)
}

/// Case-insensitive substring match as IMAP SEARCH does it (both sides [`fold`]ed).
pub fn contains_folded(haystack: &str, needle: &str) -> bool {
    fold(haystack).contains(&fold(needle))
}

/// False only when no field of the header block can contain `needle` as [`header_values`]
/// and [`contains_folded`] match it, decided without splitting the block: when the block is
/// plain ASCII (no encoded words, no NUL, no CR but before LF) and the needle printable ASCII
/// without spaces, unfolding and decoding change nothing the needle could match, so the
/// needle must appear in the block itself (in any case). SEARCH HEADER on a big mailbox
/// skips most messages this way.
pub fn header_may_contain(header: &[u8], needle: &str) -> bool {
    let plain_needle = !needle.is_empty() && needle.bytes().all(|b| b.is_ascii_graphic());
    if !plain_needle {
        return true;
    }
    let plain_block = header.is_ascii()
        && memchr::memchr(0, header).is_none()
        && memchr::memmem::find(header, b"=?").is_none()
        && memchr::memchr_iter(b'\r', header).all(|i| header.get(i + 1) == Some(&b'\n'));
    !plain_block || contains_ascii_case_insensitive(header, needle.as_bytes())
}

/// Whether `needle` (not empty) occurs in `haystack`, ASCII letters matching in either case.
fn contains_ascii_case_insensitive(haystack: &[u8], needle: &[u8]) -> bool {
    let first = needle[0];
    let mut starts = memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), haystack);
    starts.any(|i| haystack.get(i..i + needle.len()).is_some_and(|w| w.eq_ignore_ascii_case(needle)))
}

/// The address SORT uses for a field (RFC 5256 FROM/TO/CC, RFC 5957 DISPLAYFROM/DISPLAYTO):
/// the first of its first field; a group stands for its first mailbox, an empty group for
/// none.
pub fn first_address(header: &[u8], name: &str) -> Option<crate::Address> {
    let fields = header::parse(header);
    let f = fields.iter().find(|f| f.is(name))?;
    let mut list = crate::address::parse_address_list(&f.value).into_iter();
    let first = list.next()?;
    if first.domain.is_some() {
        return Some(first);
    }
    list.next().filter(|a| a.domain.is_some())
}

/// The local part of [`first_address`].
pub fn first_address_mailbox(header: &[u8], name: &str) -> Option<String> {
    first_address(header, name).and_then(|a| a.mailbox).map(|m| String::from_utf8_lossy(&m).into_owned())
}
