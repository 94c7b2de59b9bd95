//! Header blocks: finding their end and splitting them into fields.

/// One header field of a header block.
#[derive(Debug, Clone)]
pub(crate) struct Field<'a> {
    /// The name, without trailing whitespace before the colon (the whole line when it has no colon).
    pub name: &'a [u8],
    /// The value as Dovecot keeps it: leading whitespace skipped, CRs dropped, folded lines
    /// joined with `\n` and kept with their leading whitespace, NUL as U+FFFD.
    pub value: Vec<u8>,
    /// Offset of the first byte of the field's first line, relative to the block.
    pub start: usize,
    /// Offset just past the field's last line (including its newline).
    pub end: usize,
}

impl Field<'_> {
    /// Whether the field is called `name` (ASCII case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// Returns (end of the line's content without CR/LF, start of the next line).
pub(crate) fn line_at(data: &[u8], pos: usize) -> (usize, usize) {
    match memchr::memchr(b'\n', &data[pos..]) {
        Some(i) => {
            let nl = pos + i;
            let content_end = if nl > pos && data[nl - 1] == b'\r' { nl - 1 } else { nl };
            (content_end, nl + 1)
        }
        None => (data.len(), data.len()),
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Splits a header block into fields. Stops at the first empty line.
pub(crate) fn parse(block: &[u8]) -> Vec<Field<'_>> {
    parse_where(block, |_| true)
}

/// The fields called `name` (ASCII case-insensitive) of a header block, as [`parse`] gives
/// them, without copying the values of the others (SEARCH HEADER on every message).
pub(crate) fn parse_named<'a>(block: &'a [u8], name: &str) -> Vec<Field<'a>> {
    parse_where(block, |n| n.eq_ignore_ascii_case(name.as_bytes()))
}

/// The fields whose name `keep` accepts, as [`parse`] gives them.
pub(crate) fn parse_where(block: &[u8], keep: impl Fn(&[u8]) -> bool) -> Vec<Field<'_>> {
    let mut fields: Vec<Field<'_>> = Vec::new();
    // Whether a field has started, and whether it was kept (its continuation lines go with it).
    let mut previous: Option<bool> = None;
    let mut pos = 0;
    while pos < block.len() {
        let (content_end, next) = line_at(block, pos);
        let line = &block[pos..content_end];
        if line.is_empty() {
            break;
        }
        let continued = matches!(line[0], b' ' | b'\t');
        if continued && previous.is_some() {
            if let (Some(true), Some(last)) = (previous, fields.last_mut()) {
                last.value.push(b'\n');
                push_value(&mut last.value, strip_cr(line));
                last.end = next;
            }
            pos = next;
            continue;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let mut name_end = colon;
                while name_end > 0 && matches!(line[name_end - 1], b' ' | b'\t') {
                    name_end -= 1;
                }
                let raw = &line[colon + 1..];
                let skip = raw.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
                let skip = if skip == raw.len() { skip.min(1) } else { skip };
                (&line[..name_end], &raw[skip..])
            }
            None => (line, &line[line.len()..]),
        };
        let kept = keep(name);
        previous = Some(kept);
        if kept {
            let mut v = Vec::with_capacity(value.len());
            push_value(&mut v, value);
            fields.push(Field { name, value: v, start: pos, end: next });
        }
        pos = next;
    }
    fields
}

fn push_value(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if b == 0 {
            out.extend_from_slice("\u{fffd}".as_bytes());
        } else {
            out.push(b);
        }
    }
}

/// The value unfolded into one line: newlines removed (folding whitespace kept).
pub(crate) fn unfold(value: &[u8]) -> Vec<u8> {
    value.iter().copied().filter(|&b| b != b'\n' && b != b'\r').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let h = b"Subject:  hi\r\n there\r\nX-No-Colon\r\nTo : a@b\r\n\r\nbody";
        let f = parse(h);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].name, b"Subject");
        assert_eq!(f[0].value, b"hi\n there");
        assert_eq!(f[1].name, b"X-No-Colon");
        assert_eq!(f[2].name, b"To");
        assert_eq!(&h[f[0].start..f[0].end], b"Subject:  hi\r\n there\r\n");
    }

    #[test]
    fn named_fields_are_those_of_the_whole_parse() {
        let h = b" lead\r\nTo: x\r\n y\r\nsubject: one\r\n two\r\nX: z\r\nSUBJECT: three\r\n\r\n";
        for name in ["Subject", "to", "X", " lead", "Missing"] {
            let whole: Vec<_> =
                parse(h).into_iter().filter(|f| f.is(name)).map(|f| (f.value, f.start, f.end)).collect();
            let named: Vec<_> = parse_named(h, name).into_iter().map(|f| (f.value, f.start, f.end)).collect();
            assert_eq!(whole, named, "{name}");
        }
    }
}
