//! IMAP string output as Dovecot 2.3 writes it: `NIL`, "quoted" or `{n}\r\n` literals.
//!
//! Output is a Rust `String`. Bytes that are not valid UTF-8 are converted lossily (U+FFFD)
//! and the literal length counts the converted string, so the result is always well-formed.

/// Appends a literal holding `bytes`.
fn literal(out: &mut String, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    out.push('{');
    out.push_str(&text.len().to_string());
    out.push_str("}\r\n");
    out.push_str(&text);
}

/// NIL, a quoted string, or a literal when the value holds CR, LF, 8-bit bytes or more than
/// four quoted-specials (Dovecot's `imap_append_nstring`).
pub(crate) fn nstring(out: &mut String, value: Option<&[u8]>) {
    let Some(value) = value else {
        out.push_str("NIL");
        return;
    };
    let mut escapes = 0;
    for &b in value {
        match b {
            b'"' | b'\\' => {
                escapes += 1;
                if escapes > 4 {
                    return literal(out, value);
                }
            }
            b'\r' | b'\n' => return literal(out, value),
            0x80.. => return literal(out, value),
            _ => {}
        }
    }
    out.push('"');
    for &b in value {
        if b == b'"' || b == b'\\' {
            out.push('\\');
        }
        if b != 0 {
            out.push(b as char);
        }
    }
    out.push('"');
}

/// Like [`nstring`] but CRs and LFs are dropped first (a space is kept between lines).
pub(crate) fn nstring_nolf(out: &mut String, value: Option<&[u8]>) {
    match value {
        Some(v) if v.iter().any(|&b| b == b'\r' || b == b'\n') => {
            let mut clean = Vec::with_capacity(v.len());
            for (i, &b) in v.iter().enumerate() {
                if b != b'\r' && b != b'\n' {
                    clean.push(b);
                } else if !matches!(v.get(i + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n')) {
                    clean.push(b' ');
                }
            }
            nstring(out, Some(&clean));
        }
        _ => nstring(out, value),
    }
}

/// A string cleaned up for humans (Dovecot's `imap_append_string_for_humans`): runs of
/// whitespace, CR and LF become one space, leading and trailing whitespace go, NUL becomes
/// 0x80; written quoted when nothing had to change, else as a literal.
pub(crate) fn for_humans(out: &mut String, src: &[u8]) {
    let is_ws = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut modify = false;
    let mut last_ws = true;
    for &b in src {
        match b {
            0 | b'"' | b'\\' | 0x80.. => modify = true,
            b'\t' | b'\r' | b'\n' => modify = true,
            b' ' if last_ws => modify = true,
            _ => {}
        }
        last_ws = is_ws(b);
    }
    if last_ws && !src.is_empty() {
        modify = true;
    }
    if !modify {
        out.push('"');
        out.push_str(&String::from_utf8_lossy(src));
        out.push('"');
        return;
    }
    let mut clean: Vec<u8> = Vec::with_capacity(src.len());
    let mut pending_space = false;
    for &b in src {
        if is_ws(b) {
            pending_space = !clean.is_empty();
            continue;
        }
        if pending_space {
            clean.push(b' ');
            pending_space = false;
        }
        clean.push(if b == 0 { 0x80 } else { b });
    }
    if clean.is_empty() {
        out.push_str("\"\"");
    } else {
        literal(out, &clean);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(v: &[u8]) -> String {
        let mut s = String::new();
        nstring(&mut s, Some(v));
        s
    }
    fn human(v: &[u8]) -> String {
        let mut s = String::new();
        for_humans(&mut s, v);
        s
    }

    #[test]
    fn quoting() {
        assert_eq!(ns(b"abc"), "\"abc\"");
        assert_eq!(ns(b"a\"b"), "\"a\\\"b\"");
        assert_eq!(ns(b"\"\"\"\"\""), "{5}\r\n\"\"\"\"\"");
        assert_eq!(ns(b"a\nb"), "{3}\r\na\nb");
        assert_eq!(ns("é".as_bytes()), "{2}\r\né");
        assert_eq!(human(b"  hello   world "), "{11}\r\nhello world");
        assert_eq!(human(b"plain"), "\"plain\"");
        assert_eq!(human(b"a\"b"), "{3}\r\na\"b");
        assert_eq!(human(b"   "), "\"\"");
        assert_eq!(human(b""), "\"\"");
    }
}
