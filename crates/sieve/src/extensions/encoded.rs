//! `encoded-character` (RFC 5228 section 2.4.2.4): `${hex:..}` and `${unicode:..}` in strings.

/// Replaces every well-formed `${hex: ...}` / `${unicode: ...}` sequence; malformed ones are
/// left as written. A `${unicode:..}` value outside 0-D7FF and E000-10FFFF is an error, as
/// the RFC demands.
pub fn decode(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match try_sequence(after)? {
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
    Ok(out)
}

/// Parses `hex: 41 42}` (after `${`), returning the decoded text and bytes consumed, None
/// when it is not an encoded character at all.
fn try_sequence(s: &str) -> Result<Option<(String, usize)>, String> {
    let (Some(colon), Some(close)) = (s.find(':'), s.find('}')) else {
        return Ok(None);
    };
    if close < colon {
        return Ok(None);
    }
    let kind = s[..colon].to_ascii_lowercase();
    let body = &s[colon + 1..close];
    let items: Vec<&str> = body.split([' ', '\t', '\r', '\n']).filter(|x| !x.is_empty()).collect();
    if !items.iter().all(|it| it.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Ok(None);
    }
    let text = match kind.as_str() {
        "hex" => {
            let mut bytes = Vec::new();
            for it in &items {
                if it.len() > 2 {
                    return Ok(None);
                }
                bytes.push(u8::from_str_radix(it, 16).map_err(|e| e.to_string())?);
            }
            match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => return Ok(None),
            }
        }
        "unicode" => {
            let mut t = String::new();
            for it in &items {
                let digits = it.trim_start_matches('0');
                let v = if digits.len() > 6 { None } else { u32::from_str_radix(it, 16).ok() };
                match v.and_then(char::from_u32) {
                    Some(c) => t.push(c),
                    None => {
                        return Err(format!(
                            "${{unicode:{it}}} is not a Unicode scalar value (0-D7FF or E000-10FFFF)"
                        ))
                    }
                }
            }
            t
        }
        _ => return Ok(None),
    };
    Ok(Some((text, close + 1)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes() {
        assert_eq!(super::decode("a${hex:42 43}d").unwrap(), "aBCd");
        assert_eq!(super::decode("${unicode:1F600}").unwrap(), "\u{1F600}");
        assert_eq!(super::decode("${hex:zz}${x").unwrap(), "${hex:zz}${x");
        assert_eq!(super::decode("${HEX: 20 }").unwrap(), " ");
        assert_eq!(super::decode("${unicode:0000041}").unwrap(), "A");
        assert!(super::decode("${unicode:D800}").is_err());
    }
}
