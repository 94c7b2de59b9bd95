//! The client side of IMAP response syntax: enough to read the untagged data the admin shell
//! asks for (LIST, ACL, QUOTA, QUOTAROOT, NAMESPACE, CAPABILITY, XADMIN).

/// One value of an untagged response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An atom or number, e.g. `LIST`, `\Noselect`, `1024`.
    Atom(String),
    /// A quoted string or literal.
    Str(Vec<u8>),
    /// `NIL`.
    Nil,
    /// A parenthesised list.
    List(Vec<Value>),
}

impl Value {
    /// The text of an atom or string (lossy for non-UTF-8 octets); `None` for NIL and lists.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Atom(a) => Some(a.clone()),
            Value::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
            Value::Nil | Value::List(_) => None,
        }
    }

    /// The items of a list; empty for anything else.
    pub fn items(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            _ => &[],
        }
    }
}

/// Parses the values of one untagged response (the text after `* `), literals inline as the
/// connection assembled them (`{n}\r\n` followed by n octets).
pub fn parse(input: &[u8]) -> Result<Vec<Value>, String> {
    let mut p = Parser { input, pos: 0 };
    let values = p.values(false)?;
    Ok(values)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn values(&mut self, in_list: bool) -> Result<Vec<Value>, String> {
        let mut values = Vec::new();
        loop {
            while self.peek() == Some(b' ') {
                self.pos += 1;
            }
            match self.peek() {
                None | Some(b'\r') | Some(b'\n') if !in_list => return Ok(values),
                None | Some(b'\r') | Some(b'\n') => {
                    return Err("unterminated list in a server response".into())
                }
                Some(b')') if in_list => {
                    self.pos += 1;
                    return Ok(values);
                }
                Some(b'(') => {
                    self.pos += 1;
                    values.push(Value::List(self.values(true)?));
                }
                Some(b'"') => values.push(Value::Str(self.quoted()?)),
                Some(b'{') => values.push(Value::Str(self.literal()?)),
                Some(_) => values.push(self.atom()?),
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn quoted(&mut self) -> Result<Vec<u8>, String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r') | Some(b'\n') => {
                    return Err("unterminated quoted string in a server response".into())
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.peek().ok_or("unterminated quoted string in a server response")?);
                }
                Some(b) => out.push(b),
            }
            self.pos += 1;
        }
    }

    fn literal(&mut self) -> Result<Vec<u8>, String> {
        let rest = &self.input[self.pos..];
        let close = rest.iter().position(|&b| b == b'}').ok_or("malformed literal in a server response")?;
        let digits = std::str::from_utf8(&rest[1..close]).unwrap_or("").trim_end_matches('+');
        let n: usize = digits.parse().map_err(|_| "malformed literal length in a server response")?;
        let start = self.pos + close + 1 + 2;
        if self.input.get(self.pos + close + 1..start) != Some(b"\r\n") || self.input.len() < start + n {
            return Err("truncated literal in a server response".into());
        }
        self.pos = start + n;
        Ok(self.input[start..start + n].to_vec())
    }

    fn atom(&mut self) -> Result<Value, String> {
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
        if self.pos == start {
            return Err(format!("unexpected {:?} in a server response", self.peek().map(char::from)));
        }
        let atom = String::from_utf8_lossy(&self.input[start..self.pos]).into_owned();
        Ok(if atom.eq_ignore_ascii_case("NIL") { Value::Nil } else { Value::Atom(atom) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(s: &str) -> Value {
        Value::Atom(s.into())
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
    }

    #[test]
    fn namespace_with_nil_and_escapes() {
        let values = parse(b"NAMESPACE ((\"\" \"/\")) ((\"Other \\\"Users\\\"/\" \"/\")) NIL").unwrap();
        assert_eq!(values[0], atom("NAMESPACE"));
        assert_eq!(values[2].items()[0].items()[0].text().unwrap(), "Other \"Users\"/");
        assert_eq!(values[3], Value::Nil);
    }

    #[test]
    fn bracketed_atoms_stay_whole() {
        assert_eq!(parse(b"OK [ALERT] x").unwrap(), [atom("OK"), atom("[ALERT]"), atom("x")]);
        assert_eq!(parse(b"QUOTA \"user/bob\" (STORAGE 1 1024)").unwrap()[2].items().len(), 3);
    }

    #[test]
    fn malformed_is_an_error() {
        for bad in [&b"LIST (a"[..], b"X \"open", b"X {9}\r\nab", b"X {x}\r\n"] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
