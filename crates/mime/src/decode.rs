//! Content-Transfer-Encoding removal and charset conversion, lenient on broken input.

/// Decodes base64, skipping characters outside the alphabet and stopping at padding.
pub(crate) fn base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                // Padding ends a quantum; restart so concatenated base64 still decodes.
                acc = 0;
                bits = 0;
                continue;
            }
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes quoted-printable; `header` selects the RFC 2047 "Q" variant (`_` is a space).
/// Broken escapes are kept as they are.
pub(crate) fn quoted_printable(input: &[u8], header: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        match b {
            b'=' => {
                if let (Some(h), Some(l)) =
                    (input.get(i + 1).and_then(|&c| hex(c)), input.get(i + 2).and_then(|&c| hex(c)))
                {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                // Soft line break: "=" followed by optional whitespace and a newline.
                let mut j = i + 1;
                while j < input.len() && matches!(input[j], b' ' | b'\t') {
                    j += 1;
                }
                if j < input.len() && input[j] == b'\r' && input.get(j + 1) == Some(&b'\n') {
                    i = j + 2;
                    continue;
                }
                if j < input.len() && input[j] == b'\n' {
                    i = j + 1;
                    continue;
                }
                if j == input.len() && !header {
                    i = j;
                    continue;
                }
                out.push(b'=');
                i += 1;
            }
            b'_' if header => {
                out.push(b' ');
                i += 1;
            }
            b' ' | b'\t' if !header => {
                // Trailing whitespace at the end of a line is transport padding.
                let mut j = i;
                while j < input.len() && matches!(input[j], b' ' | b'\t') {
                    j += 1;
                }
                let at_eol = j == input.len()
                    || input[j] == b'\n'
                    || (input[j] == b'\r' && input.get(j + 1) == Some(&b'\n'));
                if !at_eol {
                    out.extend_from_slice(&input[i..j]);
                }
                i = j;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Converts `bytes` in `charset` to UTF-8; unknown charsets are read as UTF-8 (lossy).
pub(crate) fn to_utf8(bytes: &[u8], charset: &str) -> String {
    let label = charset.trim().trim_matches('"');
    match encoding_rs::Encoding::for_label(label.as_bytes()) {
        Some(enc) => enc.decode_without_bom_handling(bytes).0.into_owned(),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Removes the Content-Transfer-Encoding `encoding` (None = 7bit). Err(()) when unknown.
pub(crate) fn transfer(body: &[u8], encoding: Option<&[u8]>) -> Result<Vec<u8>, ()> {
    let enc = encoding.map(|e| String::from_utf8_lossy(e).to_ascii_lowercase()).unwrap_or_default();
    match enc.as_str() {
        "" | "7bit" | "8bit" | "binary" => Ok(body.to_vec()),
        "base64" => Ok(base64(body)),
        "quoted-printable" => Ok(quoted_printable(body, false)),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders() {
        assert_eq!(base64(b"aGVs\r\nbG8="), b"hello");
        assert_eq!(base64(b"!!"), b"");
        assert_eq!(quoted_printable(b"a=3Db=\r\nc  \r\nd=ZZ", false), b"a=bc\r\nd=ZZ");
        assert_eq!(quoted_printable(b"a_b=C3=A9", true), "a bé".as_bytes());
        assert_eq!(to_utf8(b"\xe9", "iso-8859-1"), "é");
        assert!(transfer(b"x", Some(b"x-uue")).is_err());
    }
}
