//! RFC 2047 encoded-words (`=?charset?B|Q?text?=`) decoded to UTF-8.

use crate::decode;

/// Tries to read one encoded-word at the start of `s`; returns the decoded text and its length.
fn encoded_word(s: &[u8]) -> Option<(String, usize)> {
    if !s.starts_with(b"=?") {
        return None;
    }
    let q1 = 2 + s[2..].iter().position(|&b| b == b'?')?;
    let charset = &s[2..q1];
    let enc = *s.get(q1 + 1)?;
    if s.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let rel_end = s[text_start..].windows(2).position(|w| w == b"?=")?;
    let text = &s[text_start..text_start + rel_end];
    if text.iter().any(|&b| b == b' ' || b == b'\t' || b == b'\n' || b == b'\r') {
        return None;
    }
    let bytes = match enc {
        b'B' | b'b' => decode::base64(text),
        b'Q' | b'q' => decode::quoted_printable(text, true),
        _ => return None,
    };
    let charset = String::from_utf8_lossy(charset);
    // RFC 2231 language suffix: charset*lang
    let charset = charset.split('*').next().unwrap_or("");
    Some((decode::to_utf8(&bytes, charset), text_start + rel_end + 2))
}

/// Decodes every encoded-word in `value`; whitespace between adjacent encoded-words is dropped.
/// Other bytes are read as UTF-8 (lossy).
pub fn decode(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    let mut raw_start = 0;
    let mut i = 0;
    let mut last_was_word = false;
    let mut pending_ws: Option<(usize, usize)> = None;
    while i < value.len() {
        if value[i] == b'=' {
            if let Some((text, len)) = encoded_word(&value[i..]) {
                if let Some((ws_start, _)) = pending_ws.take() {
                    // flush raw text before the whitespace, dropping the whitespace itself
                    out.push_str(&String::from_utf8_lossy(&value[raw_start..ws_start]));
                } else {
                    out.push_str(&String::from_utf8_lossy(&value[raw_start..i]));
                }
                out.push_str(&text);
                i += len;
                raw_start = i;
                last_was_word = true;
                continue;
            }
        }
        if matches!(value[i], b' ' | b'\t' | b'\r' | b'\n') {
            let start = i;
            while i < value.len() && matches!(value[i], b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            pending_ws = if last_was_word { Some((start, i)) } else { None };
            continue;
        }
        pending_ws = None;
        last_was_word = false;
        i += 1;
    }
    out.push_str(&String::from_utf8_lossy(&value[raw_start..]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(decode(b"=?UTF-8?B?w6k=?= =?ISO-8859-1?Q?=E9t=E9?="), "éété");
        assert_eq!(decode(b"Re: =?utf-8?q?caf=C3=A9?= ok"), "Re: café ok");
        assert_eq!(decode(b"plain =?x"), "plain =?x");
        assert_eq!(decode(b"a =?us-ascii*en?q?b?="), "a b");
    }
}
