//! The MIME tree: where each part's header and body are in the message bytes, following
//! Dovecot's message parser (the newline before a boundary line belongs to the boundary,
//! boundaries match by prefix, innermost first and longest wins, LF-only lines accepted).
//! Nesting deeper than [`MAX_DEPTH`] and parts beyond [`MAX_PARTS`] are treated as opaque.

use crate::header::{self, line_at, Field};
use crate::params::{self, ContentInfo};

/// Nesting depth beyond which multiparts and message/rfc822 parts are not descended into.
pub const MAX_DEPTH: usize = 100;
/// Number of parts beyond which multiparts are no longer split.
pub const MAX_PARTS: usize = 10_000;

/// What a part contains.
#[derive(Debug)]
pub(crate) enum Kind {
    /// A leaf part (or anything treated as opaque).
    Leaf,
    /// A multipart with its children (may be empty when no boundary line was found).
    Multipart(Vec<Part>),
    /// A message/rfc822 part and the encapsulated message.
    Message(Box<Part>),
}

/// One entity of the message.
#[derive(Debug)]
pub(crate) struct Part {
    /// Offset of the header block.
    pub header_start: usize,
    /// Offset of the body (end of the header block including its blank line).
    pub body_start: usize,
    /// End of the body (exclusive).
    pub end: usize,
    /// Parsed Content-* fields.
    pub info: ContentInfo,
    /// Children.
    pub kind: Kind,
}

impl Part {
    /// The body bytes.
    pub fn body<'a>(&self, msg: &'a [u8]) -> &'a [u8] {
        &msg[self.body_start..self.end]
    }
    /// The header block bytes (including the blank line).
    pub fn header<'a>(&self, msg: &'a [u8]) -> &'a [u8] {
        &msg[self.header_start..self.body_start]
    }
    /// Number of LF characters in the body.
    pub fn lines(&self, msg: &[u8]) -> usize {
        self.body(msg).iter().filter(|&&b| b == b'\n').count()
    }
}

#[derive(Clone, Copy)]
struct Hit {
    /// Start of the newline preceding the boundary line (part content ends here).
    pre: usize,
    /// Start of the line after the boundary line.
    next: usize,
    /// Index of the matched boundary in the active list.
    idx: usize,
    /// Whether this is a close delimiter (`--boundary--`).
    close: bool,
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    parent_multipart: bool,
    parent_digest: bool,
}

struct Parser<'a> {
    msg: &'a [u8],
    parts: usize,
}

fn match_boundary(line: &[u8], bounds: &[Vec<u8>]) -> Option<(usize, bool)> {
    let rest = line.strip_prefix(b"--")?;
    let mut best: Option<usize> = None;
    for (idx, b) in bounds.iter().enumerate().rev() {
        if rest.starts_with(b) && best.is_none_or(|bi| bounds[bi].len() < b.len()) {
            best = Some(idx);
            if rest.len() == b.len() || (rest.len() == b.len() + 2 && rest.ends_with(b"--")) {
                break;
            }
        }
    }
    best.map(|idx| (idx, rest[bounds[idx].len()..].starts_with(b"--")))
}

impl Parser<'_> {
    fn hit_at(&self, line_start: usize, floor: usize, bounds: &[Vec<u8>]) -> Option<Hit> {
        let (content_end, next) = line_at(self.msg, line_start);
        let (idx, close) = match_boundary(&self.msg[line_start..content_end], bounds)?;
        let mut pre = line_start;
        if pre > floor && self.msg[pre - 1] == b'\n' {
            pre -= 1;
            if pre > floor && self.msg[pre - 1] == b'\r' {
                pre -= 1;
            }
        }
        Some(Hit { pre, next, idx, close })
    }

    /// The next boundary line at or after `pos` (which is at a line start).
    fn find_boundary(&self, pos: usize, bounds: &[Vec<u8>]) -> Option<Hit> {
        if bounds.is_empty() {
            return None;
        }
        let mut line = pos;
        while line < self.msg.len() {
            if self.msg[line] == b'-' {
                if let Some(hit) = self.hit_at(line, pos, bounds) {
                    return Some(hit);
                }
            }
            line = match memchr::memchr(b'\n', &self.msg[line..]) {
                Some(i) => line + i + 1,
                None => self.msg.len(),
            };
        }
        None
    }

    /// Parses the entity starting at `start`; returns it and the boundary line that ended it.
    fn entity(
        &mut self,
        start: usize,
        bounds: &mut Vec<Vec<u8>>,
        depth: usize,
        ctx: Ctx,
    ) -> (Part, Option<Hit>) {
        self.parts += 1;
        // The header block: up to the blank line, a boundary line or the end.
        let mut pos = start;
        let mut header_hit = None;
        let body_start = loop {
            if pos >= self.msg.len() {
                break self.msg.len();
            }
            if !bounds.is_empty() && self.msg[pos] == b'-' {
                if let Some(hit) = self.hit_at(pos, pos, bounds) {
                    header_hit = Some(hit);
                    break pos;
                }
            }
            let (content_end, next) = line_at(self.msg, pos);
            if content_end == pos {
                break next;
            }
            pos = next;
        };
        let fields = header::parse(&self.msg[start..body_start]);
        let info = content_info(&fields, ctx);
        if let Some(hit) = header_hit {
            let kind = if info.is_multipart() { Kind::Multipart(Vec::new()) } else { Kind::Leaf };
            let part = Part { header_start: start, body_start, end: body_start, info, kind };
            return (part, Some(hit));
        }
        let can_nest = depth < MAX_DEPTH && self.parts < MAX_PARTS;
        if info.is_multipart() && !(can_nest && info.boundary().is_some()) {
            // No usable boundary (or too deep): a multipart without children, which
            // BODYSTRUCTURE shows as one empty text part, as Dovecot does.
            let hit = self.find_boundary(body_start, bounds);
            let end = hit.map_or(self.msg.len(), |h| h.pre);
            let part = Part { header_start: start, body_start, end, info, kind: Kind::Multipart(Vec::new()) };
            return (part, hit);
        }
        if let Some(boundary) = info.boundary().filter(|_| info.is_multipart()) {
            let digest = info.subtype_is("digest");
            bounds.push(boundary);
            let own = bounds.len() - 1;
            let mut children = Vec::new();
            let mut hit = self.find_boundary(body_start, bounds);
            let (end, out_hit) = loop {
                match hit {
                    None => break (self.msg.len(), None),
                    Some(h) if h.idx < own => break (h.pre, Some(h)),
                    Some(h) if h.close => {
                        bounds.truncate(own);
                        let after = self.find_boundary(h.next, bounds);
                        break (after.map_or(self.msg.len(), |a| a.pre), after);
                    }
                    Some(h) => {
                        let child_ctx = Ctx { parent_multipart: true, parent_digest: digest };
                        let (child, child_hit) = self.entity(h.next, bounds, depth + 1, child_ctx);
                        children.push(child);
                        hit = child_hit;
                    }
                }
            };
            bounds.truncate(own);
            let part = Part { header_start: start, body_start, end, info, kind: Kind::Multipart(children) };
            return (part, out_hit);
        }
        if info.is_message_rfc822() && can_nest {
            let (child, hit) = self.entity(body_start, bounds, depth + 1, Ctx::default());
            let end = child.end;
            let part =
                Part { header_start: start, body_start, end, info, kind: Kind::Message(Box::new(child)) };
            return (part, hit);
        }
        let hit = self.find_boundary(body_start, bounds);
        let end = hit.map_or(self.msg.len(), |h| h.pre);
        (Part { header_start: start, body_start, end, info, kind: Kind::Leaf }, hit)
    }
}

/// The Content-* data of a part, forgotten when the part is not MIME (no MIME-Version nor
/// Content-Type and not inside a multipart), as Dovecot does.
fn content_info(fields: &[Field<'_>], ctx: Ctx) -> ContentInfo {
    let is_mime = ctx.parent_multipart || fields.iter().any(|f| f.is("MIME-Version") || f.is("Content-Type"));
    let mut info = if is_mime { params::content_info(fields) } else { ContentInfo::default() };
    if ctx.parent_digest && info.content_type.is_none() {
        info.default_rfc822 = true;
    }
    info
}

/// Parses the whole message into its MIME tree.
pub(crate) fn parse(msg: &[u8]) -> Part {
    let mut parser = Parser { msg, parts: 0 };
    let mut bounds = Vec::new();
    parser.entity(0, &mut bounds, 0, Ctx::default()).0
}

/// The part addressed by an IMAP section part number (empty = the message itself), as
/// RFC 3501 6.4.5 and Dovecot number them: a number picks a child of a multipart, number 1
/// of a message that is not multipart is its body, and the numbers after a message/rfc822
/// part apply to the encapsulated message. So when the whole body of the message is
/// message/rfc822, `1` is the encapsulated message and `1.1` its first part. A number
/// below a part that is neither multipart nor message/rfc822 (`1.1` of a text part 1 of a
/// multipart) names no part.
pub(crate) fn find<'p>(root: &'p Part, path: &[u32]) -> Option<&'p Part> {
    let mut part = root;
    // Whether `part` is a message (the root or an encapsulated one), whose part 1 is its body.
    let mut is_message = true;
    for (i, &n) in path.iter().enumerate() {
        if i > 0 {
            is_message = false;
            if let Kind::Message(inner) = &part.kind {
                part = inner;
                is_message = true;
            }
        }
        match &part.kind {
            Kind::Multipart(children) => part = children.get((n as usize).checked_sub(1)?)?,
            _ if n == 1 && is_message => {}
            _ => return None,
        }
    }
    Some(part)
}

/// Whether `path` names the part BODYSTRUCTURE invents for a multipart without children
/// (its only part, number 1, empty): it exists for the client but has no bytes.
pub(crate) fn is_phantom(root: &Part, path: &[u32]) -> bool {
    let Some((&last, parent)) = path.split_last() else { return false };
    if last != 1 {
        return false;
    }
    let Some(mut p) = find(root, parent) else { return false };
    if !parent.is_empty() {
        if let Kind::Message(inner) = &p.kind {
            p = inner;
        }
    }
    matches!(&p.kind, Kind::Multipart(c) if c.is_empty())
}
