//! Raw header fields of a message: splitting header from body, fields with their original
//! bytes (for editing) and unfolded / decoded values (for tests).

/// One header field as it appears in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Field name as written (empty for a malformed line kept verbatim).
    pub name: String,
    /// The original bytes of the field, folded lines and line ending included.
    pub raw: Vec<u8>,
}

impl Field {
    /// The value after the colon, unfolded, surrounding whitespace trimmed, undecoded.
    pub fn raw_value(&self) -> Vec<u8> {
        let Some(colon) = self.raw.iter().position(|&b| b == b':') else {
            return Vec::new();
        };
        let mut out: Vec<u8> =
            self.raw[colon + 1..].iter().copied().filter(|&b| b != b'\r' && b != b'\n').collect();
        while out.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            out.remove(0);
        }
        while out.last().is_some_and(|b| *b == b' ' || *b == b'\t') {
            out.pop();
        }
        out
    }

    /// The value unfolded with RFC 2047 encoded-words decoded.
    pub fn text_value(&self) -> String {
        bushbuck_mime::decode_encoded_words(&self.raw_value()).trim().to_string()
    }

    /// Whether the field has this name (case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        !self.name.is_empty() && self.name.eq_ignore_ascii_case(name)
    }
}

/// Splits a message into its header block (without the empty line), the separator and the body.
pub fn split(message: &[u8]) -> (&[u8], &[u8], &[u8]) {
    if message.starts_with(b"\r\n") {
        return (&[], &message[..2], &message[2..]);
    }
    if message.starts_with(b"\n") {
        return (&[], &message[..1], &message[1..]);
    }
    let mut i = 0;
    while let Some(off) = message[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        let rest = &message[nl + 1..];
        if rest.starts_with(b"\r\n") {
            return (&message[..nl + 1], &rest[..2], &rest[2..]);
        }
        if rest.starts_with(b"\n") {
            return (&message[..nl + 1], &rest[..1], &rest[1..]);
        }
        i = nl + 1;
    }
    (message, &[], &[])
}

/// Parses a header block into fields, keeping every byte.
pub fn parse(header: &[u8]) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    let mut i = 0;
    while i < header.len() {
        let end = header[i..].iter().position(|&b| b == b'\n').map(|p| i + p + 1).unwrap_or(header.len());
        let line = &header[i..end];
        let cont = matches!(line.first(), Some(b' ' | b'\t'));
        if let (true, Some(f)) = (cont, out.last_mut()) {
            f.raw.extend_from_slice(line);
        } else {
            let name = match line.iter().position(|&b| b == b':') {
                Some(p) if p > 0 && line[..p].iter().all(|&b| b > 32 && b < 127) => {
                    String::from_utf8_lossy(&line[..p]).into_owned()
                }
                _ => String::new(),
            };
            out.push(Field { name, raw: line.to_vec() });
        }
        i = end;
    }
    out
}

/// Whether the message uses CRLF line endings.
pub fn uses_crlf(message: &[u8]) -> bool {
    match message.iter().position(|&b| b == b'\n') {
        Some(p) => p > 0 && message[p - 1] == b'\r',
        None => true,
    }
}
