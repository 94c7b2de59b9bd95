//! The lexical layer of IMAP commands: a cursor over one framed command that reads atoms,
//! strings, literals, numbers, dates and flags. Errors are short human messages.

use super::datetime::{days_from_civil, days_in_month, month_from_name};

/// Result of a lexer or parser step; the error is the message for the `BAD` response.
pub(crate) type PResult<T> = Result<T, String>;

/// True for ATOM-CHAR: any CHAR except atom-specials `( ) { SP CTL % * " \ ]`.
pub(crate) fn is_atom_char(b: u8) -> bool {
    b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// True for ASTRING-CHAR: ATOM-CHAR or `]`.
pub(crate) fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// True for list-char: ATOM-CHAR, list-wildcards or `]`.
fn is_list_char(b: u8) -> bool {
    is_astring_char(b) || b == b'%' || b == b'*'
}

/// True for characters of a tag: ASTRING-CHAR except `+`.
pub(crate) fn is_tag_char(b: u8) -> bool {
    is_astring_char(b) && b != b'+'
}

/// A read position in one command.
pub(crate) struct Cursor<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `input`.
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Cursor { input, pos: 0 }
    }

    /// The next byte, if any.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// The byte after the next one, if any.
    pub(crate) fn peek2(&self) -> Option<u8> {
        self.input.get(self.pos + 1).copied()
    }

    /// What is left.
    fn rest(&self) -> &'a [u8] {
        &self.input[self.pos..]
    }

    /// True when only the line end (CRLF, LF or nothing) is left.
    pub(crate) fn at_eol(&self) -> bool {
        matches!(self.rest(), b"" | b"\n" | b"\r\n")
    }

    /// Consumes `b` if it comes next.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Requires `b` next.
    pub(crate) fn expect(&mut self, b: u8, msg: &str) -> PResult<()> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(msg.to_string())
        }
    }

    /// Requires one space before the argument `what`.
    pub(crate) fn sp(&mut self, what: &str) -> PResult<()> {
        if self.eat(b' ') {
            Ok(())
        } else if self.at_eol() {
            Err(format!("Missing argument: {what}"))
        } else {
            Err(format!("Expected space before {what}"))
        }
    }

    /// Requires the end of the command.
    pub(crate) fn end(&mut self) -> PResult<()> {
        if self.at_eol() {
            self.pos = self.input.len();
            Ok(())
        } else {
            Err("Unexpected characters at end of command".to_string())
        }
    }

    /// Fails with "Missing argument" when at the end of the line.
    fn need(&self, what: &str) -> PResult<()> {
        if self.at_eol() {
            Err(format!("Missing argument: {what}"))
        } else {
            Ok(())
        }
    }

    /// Reads bytes while `pred` holds (possibly none).
    pub(crate) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        &self.input[start..self.pos]
    }

    /// Reads 1*ATOM-CHAR.
    pub(crate) fn atom(&mut self, what: &str) -> PResult<&'a [u8]> {
        self.need(what)?;
        let a = self.take_while(is_atom_char);
        if a.is_empty() {
            Err(format!("Invalid {what}"))
        } else {
            Ok(a)
        }
    }

    /// Reads an atom and upper-cases it.
    pub(crate) fn keyword(&mut self, what: &str) -> PResult<String> {
        Ok(String::from_utf8_lossy(self.atom(what)?).to_ascii_uppercase())
    }

    /// Consumes `kw` (case-insensitively) when it comes next as a whole word.
    pub(crate) fn eat_keyword(&mut self, kw: &str) -> bool {
        let n = kw.len();
        let rest = self.rest();
        if rest.len() >= n
            && rest[..n].eq_ignore_ascii_case(kw.as_bytes())
            && !rest.get(n).is_some_and(|&b| is_atom_char(b))
        {
            self.pos += n;
            true
        } else {
            false
        }
    }

    /// Reads a quoted string (the opening `"` next).
    pub(crate) fn quoted(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'"', "Expected quoted string")?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r') | Some(b'\n') => return Err("Unterminated quoted string".into()),
                Some(0) => return Err("NUL in quoted string".into()),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    match self.peek2() {
                        Some(c @ (b'"' | b'\\')) => out.push(c),
                        _ => return Err("Invalid escape in quoted string".into()),
                    }
                    self.pos += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// True when a literal (`{`) or, if `allow8`, a literal8 (`~{`) comes next.
    pub(crate) fn at_literal(&self, allow8: bool) -> bool {
        self.peek() == Some(b'{') || (allow8 && self.peek() == Some(b'~') && self.peek2() == Some(b'{'))
    }

    /// Reads `{n}` / `{n+}` (or `~{n}` when `allow8`) with its line end and octets; returns
    /// the octets and whether it was a literal8.
    pub(crate) fn literal(&mut self, allow8: bool) -> PResult<(Vec<u8>, bool)> {
        let (range, binary) = self.literal_range(allow8)?;
        Ok((self.input[range].to_vec(), binary))
    }

    /// Like [`Cursor::literal`], but returns where the octets are in the input instead of a
    /// copy (a large APPEND need not be copied).
    pub(crate) fn literal_range(&mut self, allow8: bool) -> PResult<(std::ops::Range<usize>, bool)> {
        let binary = allow8 && self.eat(b'~');
        self.expect(b'{', "Expected literal")?;
        let digits = self.take_while(|b| b.is_ascii_digit());
        let size = parse_u64(digits).ok_or("Invalid literal size")?;
        self.eat(b'+');
        self.expect(b'}', "Invalid literal")?;
        self.eat(b'\r');
        self.expect(b'\n', "Literal must end the line")?;
        let left = (self.input.len() - self.pos) as u64;
        if size > left {
            return Err("Literal data truncated".into());
        }
        let data = &self.input[self.pos..self.pos + size as usize];
        if !binary && data.contains(&0) {
            return Err("NUL in literal (use literal8)".into());
        }
        let range = self.pos..self.pos + size as usize;
        self.pos = range.end;
        Ok((range, binary))
    }

    /// Reads a string: quoted or literal.
    pub(crate) fn string(&mut self, what: &str) -> PResult<Vec<u8>> {
        self.need(what)?;
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => Ok(self.literal(false)?.0),
            _ => Err(format!("Invalid {what}: expected a string")),
        }
    }

    /// Reads an astring: 1*ASTRING-CHAR or a string.
    pub(crate) fn astring(&mut self, what: &str) -> PResult<Vec<u8>> {
        self.need(what)?;
        match self.peek() {
            Some(b'"') | Some(b'{') => self.string(what),
            _ => {
                let a = self.take_while(is_astring_char);
                if a.is_empty() {
                    Err(format!("Invalid {what}"))
                } else {
                    Ok(a.to_vec())
                }
            }
        }
    }

    /// Reads an nstring: NIL or a string.
    pub(crate) fn nstring(&mut self, what: &str) -> PResult<Option<Vec<u8>>> {
        if self.eat_keyword("NIL") {
            Ok(None)
        } else {
            self.string(what).map(Some)
        }
    }

    /// Reads a list-mailbox: 1*list-char or a string.
    pub(crate) fn list_mailbox(&mut self, what: &str) -> PResult<Vec<u8>> {
        self.need(what)?;
        match self.peek() {
            Some(b'"') | Some(b'{') => self.string(what),
            _ => {
                let a = self.take_while(is_list_char);
                if a.is_empty() {
                    Err(format!("Invalid {what}"))
                } else {
                    Ok(a.to_vec())
                }
            }
        }
    }

    /// Reads a number that fits in 32 bits.
    pub(crate) fn number(&mut self, what: &str) -> PResult<u32> {
        let n = self.number64(what)?;
        u32::try_from(n).map_err(|_| format!("Invalid {what}: number too large"))
    }

    /// Reads a non-zero number that fits in 32 bits.
    pub(crate) fn nz_number(&mut self, what: &str) -> PResult<u32> {
        match self.number(what)? {
            0 => Err(format!("Invalid {what}: must not be zero")),
            n => Ok(n),
        }
    }

    /// Reads a number up to 2^63 - 1 (number64 of RFC 9051).
    pub(crate) fn number64(&mut self, what: &str) -> PResult<u64> {
        self.need(what)?;
        let digits = self.take_while(|b| b.is_ascii_digit());
        match parse_u64(digits) {
            Some(n) if n <= i64::MAX as u64 => Ok(n),
            Some(_) => Err(format!("Invalid {what}: number too large")),
            None => Err(format!("Invalid {what}: expected a number")),
        }
    }

    /// Reads a flag: `\Name` or a keyword atom. System flags come back as sent.
    pub(crate) fn flag(&mut self) -> PResult<String> {
        let backslash = self.eat(b'\\');
        let a = self.take_while(is_atom_char);
        if a.is_empty() {
            return Err("Invalid flag".into());
        }
        let name = String::from_utf8_lossy(a);
        Ok(if backslash { format!("\\{name}") } else { name.into_owned() })
    }

    /// Reads `(flag *(SP flag))` or `()`.
    pub(crate) fn flag_list(&mut self) -> PResult<Vec<String>> {
        self.expect(b'(', "Expected flag list")?;
        let mut flags = Vec::new();
        if self.eat(b')') {
            return Ok(flags);
        }
        loop {
            flags.push(self.flag()?);
            if self.eat(b')') {
                return Ok(flags);
            }
            self.expect(b' ', "Invalid flag list")?;
        }
    }

    /// Reads a SEARCH date `d-Mon-yyyy`, bare or quoted.
    pub(crate) fn date(&mut self) -> PResult<(i32, u32, u32)> {
        self.need("date")?;
        let quoted = self.eat(b'"');
        let date = self.date_text(false).ok_or("Invalid date")?;
        if quoted {
            self.expect(b'"', "Invalid date")?;
        }
        Ok(date)
    }

    /// Reads `d-Mon-yyyy` (or, when `fixed`, `dd-Mon-yyyy` with a space allowed for the
    /// first digit) and checks the day exists.
    fn date_text(&mut self, fixed: bool) -> Option<(i32, u32, u32)> {
        let day = if fixed {
            let first = self.peek()?;
            let second = self.peek2()?;
            if !(first == b' ' || first.is_ascii_digit()) || !second.is_ascii_digit() {
                return None;
            }
            self.pos += 2;
            u32::from(if first == b' ' { 0 } else { first - b'0' }) * 10 + u32::from(second - b'0')
        } else {
            let d = self.take_while(|b| b.is_ascii_digit());
            if d.is_empty() || d.len() > 2 {
                return None;
            }
            parse_u64(d)? as u32
        };
        if !self.eat(b'-') {
            return None;
        }
        let m = self.rest().get(..3)?;
        let month = month_from_name(m)?;
        self.pos += 3;
        if !self.eat(b'-') {
            return None;
        }
        let y = self.take_while(|b| b.is_ascii_digit());
        if y.len() != 4 {
            return None;
        }
        let year = parse_u64(y)? as i32;
        if day == 0 || day > days_in_month(i64::from(year), month) {
            return None;
        }
        Some((year, month, day))
    }

    /// Reads a quoted date-time `"dd-Mon-yyyy hh:mm:ss +zzzz"` and returns seconds since the
    /// epoch (UTC) and the zone offset in minutes.
    pub(crate) fn date_time(&mut self) -> PResult<(i64, i32)> {
        const BAD: &str = "Invalid date-time";
        self.expect(b'"', BAD)?;
        let (year, month, day) = self.date_text(true).ok_or(BAD)?;
        self.expect(b' ', BAD)?;
        let two = |c: &mut Self, max: u32| -> PResult<u32> {
            let d = c.rest().get(..2).ok_or(BAD)?;
            if !d.iter().all(u8::is_ascii_digit) {
                return Err(BAD.into());
            }
            c.pos += 2;
            let v = u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0');
            if v > max {
                return Err(BAD.into());
            }
            Ok(v)
        };
        let hour = two(self, 23)?;
        self.expect(b':', BAD)?;
        let minute = two(self, 59)?;
        self.expect(b':', BAD)?;
        let second = two(self, 60)?;
        self.expect(b' ', BAD)?;
        let negative = match self.peek() {
            Some(b'+') => false,
            Some(b'-') => true,
            _ => return Err(BAD.into()),
        };
        self.pos += 1;
        let zh = two(self, 99)?;
        let zm = two(self, 59)?;
        self.expect(b'"', BAD)?;
        let offset = (zh * 60 + zm) as i32 * if negative { -1 } else { 1 };
        let days = days_from_civil(i64::from(year), month, day);
        let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - i64::from(offset) * 60;
        Ok((secs, offset))
    }
}

/// Parses ASCII digits as u64; `None` when empty or overflowing.
pub(crate) fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &d| {
        if !d.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_literals() {
        let mut c = Cursor::new(b"\"a\\\"b\" {3}\r\nxyz {2+}\nab ~{1}\r\n\0 atom]");
        assert_eq!(c.astring("x").unwrap(), b"a\"b");
        c.sp("x").unwrap();
        assert_eq!(c.astring("x").unwrap(), b"xyz");
        c.sp("x").unwrap();
        assert_eq!(c.string("x").unwrap(), b"ab");
        c.sp("x").unwrap();
        assert_eq!(c.literal(true).unwrap(), (vec![0], true));
        c.sp("x").unwrap();
        assert_eq!(c.astring("x").unwrap(), b"atom]");
        assert!(c.at_eol());
        assert!(Cursor::new(b"{5}\r\nab").literal(false).is_err());
        assert!(Cursor::new(b"{99999999999999999999}\r\n").literal(false).is_err());
        assert!(Cursor::new(b"\"abc").quoted().is_err());
        assert!(Cursor::new(b"\"a\\bc\"").quoted().is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(Cursor::new(b"1-Feb-2024").date().unwrap(), (2024, 2, 1));
        assert_eq!(Cursor::new(b"\"29-feb-2024\"").date().unwrap(), (2024, 2, 29));
        assert!(Cursor::new(b"29-Feb-2023").date().is_err());
        assert!(Cursor::new(b"001-Feb-2023").date().is_err());
        assert!(Cursor::new(b"1-Fob-2023").date().is_err());
        assert_eq!(Cursor::new(b"\"14-Nov-2023 23:13:20 +0100\"").date_time().unwrap(), (1_700_000_000, 60));
        assert_eq!(Cursor::new(b"\" 1-Jan-1970 00:00:00 -0130\"").date_time().unwrap(), (5400, -90));
        assert!(Cursor::new(b"\"14-Nov-2023 24:13:20 +0100\"").date_time().is_err());
        assert!(Cursor::new(b"\"14-Nov-2023 23:13:20 0100\"").date_time().is_err());
        assert!(Cursor::new(b"\"1-Nov-2023 23:13:20 +0100\"").date_time().is_err());
    }
}
