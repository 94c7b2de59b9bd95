//! Lower-case hexadecimal encoding (for content hashes and temporary names).

/// Encodes bytes as lower-case hex.
pub(crate) fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Whether `s` is a SHA-256 digest in lower-case hex (64 digits).
pub(crate) fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes() {
        assert_eq!(super::encode(&[0, 0x1f, 0xab, 0xff]), "001fabff");
        assert!(super::is_sha256(&"0a".repeat(32)));
        assert!(!super::is_sha256(&"0A".repeat(32)));
        assert!(!super::is_sha256("../../etc/passwd"));
    }
}
