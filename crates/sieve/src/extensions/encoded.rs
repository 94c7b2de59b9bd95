//! `encoded-character` (RFC 5228 section 2.4.2.4): `${hex:..}` and `${unicode:..}` in strings.

/// Replaces every well-formed `${hex: ...}` / `${unicode: ...}` sequence; malformed ones are
/// left as written.
pub fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match try_sequence(after) {
            Some((text, used)) => {
                out.push_str(&text);
                rest = &after[used..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses `hex: 41 42}` (after `${`), returning the decoded text and bytes consumed.
fn try_sequence(s: &str) -> Option<(String, usize)> {
    let colon = s.find(':')?;
    let kind = s[..colon].to_ascii_lowercase();
    let close = s.find('}')?;
    if close < colon {
        return None;
    }
    let body = &s[colon + 1..close];
    let items: Vec<&str> = body.split([' ', '\t', '\r', '\n']).filter(|x| !x.is_empty()).collect();
    let text = match kind.as_str() {
        "hex" => {
            let mut bytes = Vec::new();
            for it in &items {
                if it.is_empty() || it.len() > 2 * 64 || it.len() % 2 == 1 && it.len() > 2 {
                    return None;
                }
                let v = u8::from_str_radix(it, 16).ok()?;
                bytes.push(v);
            }
            String::from_utf8(bytes).ok()?
        }
        "unicode" => {
            let mut t = String::new();
            for it in &items {
                if it.len() > 6 {
                    return None;
                }
                let v = u32::from_str_radix(it, 16).ok()?;
                t.push(char::from_u32(v)?);
            }
            t
        }
        _ => return None,
    };
    Some((text, close + 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes() {
        assert_eq!(super::decode("a${hex:42 43}d"), "aBCd");
        assert_eq!(super::decode("${unicode:1F600}"), "\u{1F600}");
        assert_eq!(super::decode("${hex:zz}${x"), "${hex:zz}${x");
        assert_eq!(super::decode("${HEX: 20 }"), " ");
    }
}
