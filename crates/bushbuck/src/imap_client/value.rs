//! The client side of IMAP response syntax: atoms, numbers, quoted strings, literals, NIL and
//! parenthesised lists. Literals are read embedded as the connection assembled them (`{n}`,
//! CRLF, then the n octets), so one parser serves every untagged response and also the
//! ENVELOPEs the local store keeps.

/// One value of a server response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An atom or number, e.g. `LIST`, `\Noselect`, `1024`; a section such as
    /// `BODY[HEADER.FIELDS (X)]` or a response code such as `[UIDVALIDITY 3]` stays one atom.
    Atom(Vec<u8>),
    /// A quoted string (unescaped) or a literal.
    Str(Vec<u8>),
    /// `NIL`.
    Nil,
    /// A parenthesised list.
    List(Vec<Value>),
}

impl Value {
    /// The octets of an atom or string; `None` for NIL and lists.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Atom(b) | Value::Str(b) => Some(b),
            Value::Nil | Value::List(_) => None,
        }
    }

    /// The text of an atom or string (lossy for non-UTF-8 octets); `None` for NIL and lists.
    pub fn text(&self) -> Option<String> {
        self.bytes().map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// An atom or string as a number.
    pub fn number(&self) -> Option<u64> {
        std::str::from_utf8(self.bytes()?).ok()?.parse().ok()
    }

    /// The items of a list; empty for anything else.
    pub fn items(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            _ => &[],
        }
    }
}

/// Parses space-separated values up to the end of the input (a final CRLF is ignored).
pub fn parse(input: &[u8]) -> Result<Vec<Value>, String> {
    Parser { input, pos: 0 }.values(false)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Values until the end (or, `in_list`, until the closing parenthesis, consumed).
    fn values(&mut self, in_list: bool) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        loop {
            while self.peek() == Some(b' ') {
                self.pos += 1;
            }
            match self.peek() {
                None | Some(b'\r' | b'\n') if !in_list => return Ok(out),
                None | Some(b'\r' | b'\n') => return Err("a list is not closed".into()),
                Some(b')') if in_list => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b')') => return Err("unexpected ')'".into()),
                Some(b'(') => {
                    self.pos += 1;
                    out.push(Value::List(self.values(true)?));
                }
                Some(b'"') => out.push(Value::Str(self.quoted()?)),
                Some(b'{') => out.push(Value::Str(self.literal()?)),
                Some(_) => {
                    let atom = self.atom();
                    out.push(if atom.eq_ignore_ascii_case(b"NIL") { Value::Nil } else { Value::Atom(atom) });
                }
            }
        }
    }

    fn quoted(&mut self) -> Result<Vec<u8>, String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') if self.pos + 1 < self.input.len() => {
                    out.push(self.input[self.pos + 1]);
                    self.pos += 2;
                }
                Some(b'\r' | b'\n') | None => return Err("a quoted string is not closed".into()),
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    /// `{n}` or `{n+}`, CRLF (or a bare LF), then n octets.
    fn literal(&mut self) -> Result<Vec<u8>, String> {
        let rest = &self.input[self.pos..];
        let close = rest.iter().position(|&b| b == b'}').ok_or("a literal has no '}'")?;
        let digits = std::str::from_utf8(&rest[1..close]).unwrap_or("").trim_end_matches('+');
        let n: usize = digits.parse().map_err(|_| format!("bad literal length {digits:?}"))?;
        let after = &rest[close + 1..];
        let eol = if after.starts_with(b"\r\n") {
            2
        } else if after.starts_with(b"\n") {
            1
        } else {
            return Err("a literal's length is not followed by a line end".into());
        };
        let start = self.pos + close + 1 + eol;
        let data = self.input.get(start..start + n).ok_or("a literal is cut short")?;
        self.pos = start + n;
        Ok(data.to_vec())
    }

    /// An atom; brackets (`BODY[...]`, response codes) are kept whole, spaces included.
    fn atom(&mut self) -> Vec<u8> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b' ' | b'(' | b')' if depth == 0 => break,
                b'\r' | b'\n' => break,
                _ => {}
            }
            self.pos += 1;
        }
        self.input[start..self.pos].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(s: &str) -> Value {
        Value::Atom(s.as_bytes().to_vec())
    }

    #[test]
    fn list_response_with_literal_name() {
        let values = parse(b"LIST (\\HasNoChildren) \"/\" {5}\r\nA \"b\"\r\n").unwrap();
        assert_eq!(
            values,
            [
                atom("LIST"),
                Value::List(vec![atom("\\HasNoChildren")]),
                Value::Str(b"/".to_vec()),
                Value::Str(b"A \"b\"".to_vec())
            ]
        );
        assert_eq!(parse(b"X {2}\nab").unwrap()[1], Value::Str(b"ab".to_vec()));
    }

    #[test]
    fn fetch_with_literal_and_sections() {
        let line = b"* 3 FETCH (UID 7 FLAGS (\\Seen $Work) BODY[HEADER.FIELDS (MESSAGE-ID)] {5}\r\nab\r\nc INTERNALDATE \"01-Jan-2024 00:00:00 +0000\")\r\n";
        let v = parse(line).unwrap();
        assert_eq!(v[..3], [atom("*"), atom("3"), atom("FETCH")]);
        let items = v[3].items();
        assert_eq!(items[1].number(), Some(7));
        assert_eq!(items[3], Value::List(vec![atom("\\Seen"), atom("$Work")]));
        assert_eq!(items[4], atom("BODY[HEADER.FIELDS (MESSAGE-ID)]"));
        assert_eq!(items[5], Value::Str(b"ab\r\nc".to_vec()));
        assert_eq!(items[7].text().unwrap(), "01-Jan-2024 00:00:00 +0000");
    }

    #[test]
    fn namespace_with_nil_and_escapes() {
        let values = parse(b"NAMESPACE ((\"\" \"/\")) ((\"Other \\\"Users\\\"/\" \"/\")) NIL").unwrap();
        assert_eq!(values[0], atom("NAMESPACE"));
        assert_eq!(values[2].items()[0].items()[0].text().unwrap(), "Other \"Users\"/");
        assert_eq!(values[3], Value::Nil);
        assert_eq!(values[3].text(), None);
        assert!(values[1].bytes().is_none() && values[0].items().is_empty());
    }

    #[test]
    fn bracketed_atoms_stay_whole() {
        assert_eq!(parse(b"OK [ALERT] x").unwrap(), [atom("OK"), atom("[ALERT]"), atom("x")]);
        assert_eq!(parse(b"OK [UIDVALIDITY 3] ok").unwrap()[1], atom("[UIDVALIDITY 3]"));
        assert_eq!(parse(b"QUOTA \"user/bob\" (STORAGE 1 1024)").unwrap()[2].items().len(), 3);
    }

    #[test]
    fn malformed_is_an_error() {
        for bad in [&b"LIST (a"[..], b"(a (b)", b"X )", b"X \"open", b"X {9}\r\nab", b"X {x}\r\n", b"X {1}a"]
        {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
