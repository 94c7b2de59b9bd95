//! Writers for IMAP response data: strings (atom, quoted or literal as needed), flag lists,
//! mailbox names, compressed sequence sets and date-times.
//!
//! The `String`-returning helpers suit text that is known to be UTF-8; the `write_*`
//! variants append exact octets to a byte buffer and accept any input.

use super::datetime::{civil_from_days, MONTHS};
use super::lexer::is_astring_char;
use super::mutf7;

/// True when `bytes` can be sent as a quoted string: 7-bit, no NUL, CR or LF.
pub fn can_quote(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b != 0 && b != b'\r' && b != b'\n' && b < 0x80)
}

/// A quoted string `"..."` with `"` and `\` escaped, or `None` when `bytes` cannot be quoted
/// (see [`can_quote`]).
pub fn quoted(bytes: &[u8]) -> Option<String> {
    if !can_quote(bytes) {
        return None;
    }
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        if b == b'"' || b == b'\\' {
            out.push('\\');
        }
        out.push(b as char);
    }
    out.push('"');
    Some(out)
}

/// Appends `bytes` as a string: quoted when possible, otherwise as a literal `{n}\r\n...`.
pub fn write_string(out: &mut Vec<u8>, bytes: &[u8]) {
    match quoted(bytes) {
        Some(q) => out.extend_from_slice(q.as_bytes()),
        None => write_literal(out, bytes),
    }
}

/// Appends `bytes` as a literal `{n}\r\n` followed by the octets.
pub fn write_literal(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(format!("{{{}}}\r\n", bytes.len()).as_bytes());
    out.extend_from_slice(bytes);
}

/// Appends `bytes` as an astring: a bare atom when possible, else as [`write_string`].
pub fn write_astring(out: &mut Vec<u8>, bytes: &[u8]) {
    if !bytes.is_empty() && bytes.iter().all(|&b| is_astring_char(b)) {
        out.extend_from_slice(bytes);
    } else {
        write_string(out, bytes);
    }
}

/// Appends `NIL` for `None`, else the string as [`write_string`].
pub fn write_nstring(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => out.extend_from_slice(b"NIL"),
        Some(b) => write_string(out, b),
    }
}

fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `bytes` as a string (quoted or literal) in text form; invalid UTF-8 inside a literal is
/// replaced, so use [`write_string`] for arbitrary octets.
pub fn string(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() + 8);
    write_string(&mut out, bytes);
    into_text(out)
}

/// `bytes` as an astring (atom, quoted or literal) in text form; see [`string`].
pub fn astring(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() + 8);
    write_astring(&mut out, bytes);
    into_text(out)
}

/// `NIL` or the string, in text form; see [`string`].
pub fn nstring(bytes: Option<&[u8]>) -> String {
    let mut out = Vec::with_capacity(bytes.map_or(3, |b| b.len() + 8));
    write_nstring(&mut out, bytes);
    into_text(out)
}

/// A parenthesised, space-separated flag list such as `(\Seen $Forwarded)`.
pub fn flag_list<S: AsRef<str>>(flags: &[S]) -> String {
    let mut out = String::from("(");
    for (i, f) in flags.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(f.as_ref());
    }
    out.push(')');
    out
}

/// A mailbox name as sent to the client: modified UTF-7 unless `utf8` (UTF8=ACCEPT enabled),
/// then written as an astring.
pub fn mailbox(name: &str, utf8: bool) -> String {
    if utf8 {
        astring(name.as_bytes())
    } else {
        astring(mutf7::encode(name).as_bytes())
    }
}

fn push_range(out: &mut String, lo: u32, hi: u32) {
    if !out.is_empty() {
        out.push(',');
    }
    if lo == hi {
        out.push_str(&lo.to_string());
    } else {
        out.push_str(&format!("{lo}:{hi}"));
    }
}

/// A compressed sequence set such as `1:3,5` for a list of numbers, sorted and de-duplicated
/// first. Empty input gives an empty string.
pub fn sequence_set(numbers: &[u32]) -> String {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sequence_set_ordered(&sorted)
}

/// A sequence set keeping the order given, merging only runs that ascend by one; for
/// COPYUID and APPENDUID, where source and destination sets must correspond element by element.
pub fn sequence_set_ordered(numbers: &[u32]) -> String {
    let mut out = String::new();
    let mut iter = numbers.iter().copied();
    let Some(first) = iter.next() else {
        return out;
    };
    let (mut lo, mut hi) = (first, first);
    for n in iter {
        if hi != u32::MAX && n == hi + 1 {
            hi = n;
        } else {
            push_range(&mut out, lo, hi);
            lo = n;
            hi = n;
        }
    }
    push_range(&mut out, lo, hi);
    out
}

/// An IMAP date-time `dd-Mon-yyyy hh:mm:ss +zzzz` (without the surrounding quotes) for
/// `secs` since the epoch shown in the zone `offset_minutes` east of UTC.
pub fn date_time(secs: i64, offset_minutes: i32) -> String {
    let offset = offset_minutes.clamp(-(99 * 60 + 59), 99 * 60 + 59);
    let local = secs.saturating_add(i64::from(offset) * 60);
    let (days, rem) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    format!(
        "{day:02}-{}-{year:04} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        MONTHS[month as usize - 1],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        abs / 60,
        abs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        assert_eq!(astring(b"INBOX"), "INBOX");
        assert_eq!(astring(b"a]b"), "a]b");
        assert_eq!(astring(b""), "\"\"");
        assert_eq!(astring(b"Sent Items"), "\"Sent Items\"");
        assert_eq!(astring(b"a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(astring(b"a{b"), "\"a{b\"");
        assert_eq!(astring(b"a%"), "\"a%\"");
        assert_eq!(astring(b"l1\r\nl2"), "{6}\r\nl1\r\nl2");
        assert_eq!(astring("ü".as_bytes()), "{2}\r\nü");
        assert_eq!(string(b"NIL"), "\"NIL\"");
        assert_eq!(nstring(None), "NIL");
        assert_eq!(nstring(Some(b"x")), "\"x\"");
        assert_eq!(quoted(b"a\0"), None);
        let mut out = Vec::new();
        write_astring(&mut out, b"\xff");
        assert_eq!(out, b"{1}\r\n\xff");
    }

    #[test]
    fn flags_and_mailboxes() {
        assert_eq!(flag_list(&["\\Seen", "$Junk"]), "(\\Seen $Junk)");
        assert_eq!(flag_list::<&str>(&[]), "()");
        assert_eq!(mailbox("Entwürfe", false), "Entw&APw-rfe");
        assert_eq!(mailbox("A & B", false), "\"A &- B\"");
        assert_eq!(mailbox("Entwürfe", true), "{9}\r\nEntwürfe");
    }

    #[test]
    fn sequence_sets() {
        assert_eq!(sequence_set(&[]), "");
        assert_eq!(sequence_set(&[1, 2, 3, 5]), "1:3,5");
        assert_eq!(sequence_set(&[5, 3, 1, 2, 2]), "1:3,5");
        assert_eq!(sequence_set(&[7]), "7");
        assert_eq!(sequence_set(&[1, 3, 5, 6, u32::MAX - 1, u32::MAX]), "1,3,5:6,4294967294:4294967295");
        assert_eq!(sequence_set_ordered(&[5, 6, 7, 1, 2, 9]), "5:7,1:2,9");
        assert_eq!(sequence_set_ordered(&[3, 2, 1]), "3,2,1");
    }

    #[test]
    fn date_times() {
        assert_eq!(date_time(0, 0), "01-Jan-1970 00:00:00 +0000");
        assert_eq!(date_time(1_700_000_000, 60), "14-Nov-2023 23:13:20 +0100");
        assert_eq!(date_time(1_700_000_000, -330), "14-Nov-2023 16:43:20 -0530");
        assert_eq!(date_time(951_782_400, 0), "29-Feb-2000 00:00:00 +0000");
        assert_eq!(date_time(-1, 0), "31-Dec-1969 23:59:59 +0000");
    }
}
