//! Modified UTF-7 for mailbox names (RFC 3501 section 5.1.3).
//!
//! Printable US-ASCII other than `&` stands for itself, `&` is written `&-`, and every other
//! character goes into a shifted run `&...-` holding its UTF-16 code units in base64 with `,`
//! instead of `/` and no padding. Decoding is strict: only the canonical encoding is accepted.

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Why a mailbox name is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutf7Error(pub &'static str);

impl fmt::Display for Mutf7Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Mutf7Error {}

/// Encodes a UTF-8 name as modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Writes a shifted run for the pending UTF-16 units, if any.
fn flush(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let mut bits: u32 = 0;
    let mut nbits = 0;
    for &u in units.iter() {
        bits = (bits << 16) | u32::from(u);
        nbits += 16;
        while nbits >= 6 {
            nbits -= 6;
            out.push(ALPHABET[((bits >> nbits) & 0x3f) as usize] as char);
        }
        bits &= (1 << nbits) - 1;
    }
    if nbits > 0 {
        out.push(ALPHABET[((bits << (6 - nbits)) & 0x3f) as usize] as char);
    }
    out.push('-');
    units.clear();
}

fn sextet(b: u8) -> Option<u32> {
    let v = match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes a modified UTF-7 name, rejecting anything but the canonical encoding: bytes outside
/// printable ASCII, unterminated or empty shifted runs, non-zero padding bits, printable ASCII
/// inside a shifted run, adjacent shifted runs, and unpaired surrogates.
pub fn decode(input: &[u8]) -> Result<String, Mutf7Error> {
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    let mut last_run_end = None;
    while i < input.len() {
        let b = input[i];
        if !(0x20..=0x7e).contains(&b) {
            return Err(Mutf7Error("character outside printable ASCII"));
        }
        if b != b'&' {
            out.push(b as char);
            i += 1;
            continue;
        }
        i += 1;
        if input.get(i) == Some(&b'-') {
            out.push('&');
            i += 1;
            continue;
        }
        if last_run_end == Some(i - 1) {
            return Err(Mutf7Error("adjacent encoded runs must be merged"));
        }
        let mut units: Vec<u16> = Vec::new();
        let (mut bits, mut nbits) = (0u32, 0u32);
        loop {
            let Some(&c) = input.get(i) else {
                return Err(Mutf7Error("unterminated encoded run"));
            };
            i += 1;
            if c == b'-' {
                break;
            }
            let v = sextet(c).ok_or(Mutf7Error("invalid character in encoded run"))?;
            bits = (bits << 6) | v;
            nbits += 6;
            if nbits >= 16 {
                nbits -= 16;
                units.push((bits >> nbits) as u16);
                bits &= (1 << nbits) - 1;
            }
        }
        if units.is_empty() {
            return Err(Mutf7Error("empty encoded run"));
        }
        if nbits >= 6 || bits != 0 {
            return Err(Mutf7Error("bad padding in encoded run"));
        }
        for c in char::decode_utf16(units.iter().copied()) {
            let c = c.map_err(|_| Mutf7Error("unpaired UTF-16 surrogate"))?;
            if (' '..='~').contains(&c) {
                return Err(Mutf7Error("printable ASCII must not be encoded"));
            }
            out.push(c);
        }
        last_run_end = Some(i);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_encodings() {
        let table: &[(&str, &str)] = &[
            ("INBOX", "INBOX"),
            ("&", "&-"),
            ("a&b", "a&-b"),
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("😀", "&2D3eAA-"),
            ("é&é", "&AOk-&-&AOk-"),
            ("", ""),
        ];
        for (plain, enc) in table {
            assert_eq!(encode(plain), *enc, "encode {plain}");
            assert_eq!(decode(enc.as_bytes()).unwrap(), *plain, "decode {enc}");
        }
    }

    #[test]
    fn rejects_ill_formed() {
        let bad: &[&[u8]] = &[
            b"&",
            b"&U,BTFw",
            b"&-&",
            b"&AGE-",      // encoded 'a'
            b"&AOk-&AOk-", // adjacent runs
            b"&AOl-",      // non-zero padding bits
            b"&AOkA-",     // dangling sextet
            b"&2D0-",      // lone high surrogate
            b"&3gA-",      // lone low surrogate
            b"&--",        // fine prefix then... '&-' '-' is valid; checked below
            b"\xc3\xa9",   // raw 8-bit
            b"a\tb",
            b"&A=k-",
        ];
        for b in bad {
            if *b == b"&--" {
                assert_eq!(decode(b).unwrap(), "&-");
                continue;
            }
            assert!(decode(b).is_err(), "{:?}", String::from_utf8_lossy(b));
        }
    }

    #[test]
    fn round_trips() {
        let samples = [
            "Sent Items",
            "Входящие",
            "a&&b",
            "日本語&中文",
            "mixed ü and 😀 and ascii",
            "\u{7f}\u{1}x",
            "𝄞𝄞𝄞",
            "&-&",
        ];
        for s in samples {
            let e = encode(s);
            assert!(e.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            assert_eq!(decode(e.as_bytes()).unwrap(), s);
        }
        // Every single code point class boundary.
        for c in ['\u{80}', '\u{7ff}', '\u{800}', '\u{ffff}', '\u{10000}', '\u{10ffff}'] {
            let s = c.to_string();
            assert_eq!(decode(encode(&s).as_bytes()).unwrap(), s);
        }
    }
}
