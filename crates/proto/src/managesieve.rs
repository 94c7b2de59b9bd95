//! ManageSieve commands (RFC 5804): incremental parsing of a command (words, quoted strings,
//! literals `{n+}` and `{n}`, numbers) from a buffer, and response string quoting. No I/O.

/// Longest command line accepted outside literals.
pub const MAX_LINE: usize = 8192;

/// A ManageSieve command. Strings are raw octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SieveCommand {
    /// AUTHENTICATE mechanism [initial-response]
    Authenticate(String, Option<Vec<u8>>),
    /// STARTTLS
    StartTls,
    /// LOGOUT
    Logout,
    /// CAPABILITY
    Capability,
    /// HAVESPACE name size
    HaveSpace(Vec<u8>, u64),
    /// PUTSCRIPT name script
    PutScript(Vec<u8>, Vec<u8>),
    /// LISTSCRIPTS
    ListScripts,
    /// SETACTIVE name
    SetActive(Vec<u8>),
    /// GETSCRIPT name
    GetScript(Vec<u8>),
    /// DELETESCRIPT name
    DeleteScript(Vec<u8>),
    /// RENAMESCRIPT old new
    RenameScript(Vec<u8>, Vec<u8>),
    /// CHECKSCRIPT script
    CheckScript(Vec<u8>),
    /// NOOP [tag]
    Noop(Option<Vec<u8>>),
    /// UNAUTHENTICATE
    Unauthenticate,
}

/// What parsing the buffer gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A complete item and how many octets it used.
    Done(T, usize),
    /// More input is needed.
    Incomplete,
    /// Not valid: the message, and how many octets to drop (through the end of the line);
    /// `None` when the stream cannot be resynchronised and must be closed.
    Invalid(String, Option<usize>),
}

/// One token of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Str(Vec<u8>),
}

/// A line's tokens and the octets they used.
type Line = (Vec<Token>, usize);

/// Why a line is invalid, and how far to skip (`None`: cannot resynchronise).
type LineError = (String, Option<usize>);

/// Reads the tokens of one line, literals included; `Ok(None)` when incomplete.
fn tokens(buf: &[u8], max_literal: usize) -> Result<Option<Line>, LineError> {
    let mut out = Vec::new();
    let mut i = 0;
    let line_end = |from: usize| buf[from..].iter().position(|b| *b == b'\n').map(|p| from + p + 1);
    loop {
        while buf.get(i) == Some(&b' ') {
            i += 1;
        }
        match buf.get(i) {
            None => {
                return if buf.len() > MAX_LINE { Err(("Line too long".into(), None)) } else { Ok(None) };
            }
            Some(b'\r') | Some(b'\n') => {
                let Some(end) = line_end(i) else { return Ok(None) };
                return Ok(Some((out, end)));
            }
            Some(b'"') => {
                let mut s = Vec::new();
                let mut j = i + 1;
                loop {
                    match buf.get(j) {
                        None => return Ok(None),
                        Some(b'"') => break,
                        Some(b'\\') => match buf.get(j + 1) {
                            None => return Ok(None),
                            Some(c) => {
                                s.push(*c);
                                j += 2;
                            }
                        },
                        Some(b'\r') | Some(b'\n') => {
                            return Err(("Unterminated quoted string".into(), line_end(j)));
                        }
                        Some(c) => {
                            s.push(*c);
                            j += 1;
                        }
                    }
                }
                out.push(Token::Str(s));
                i = j + 1;
            }
            Some(b'{') => {
                let Some(close) = buf[i..].iter().position(|b| *b == b'}').map(|p| i + p) else {
                    return if buf.len() - i > 32 {
                        Err(("Invalid literal".into(), line_end(i)))
                    } else {
                        Ok(None)
                    };
                };
                let spec = &buf[i + 1..close];
                let digits = spec.strip_suffix(b"+").unwrap_or(spec);
                let n: usize = std::str::from_utf8(digits)
                    .ok()
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(|| ("Invalid literal length".to_string(), line_end(i)))?;
                if n > max_literal {
                    return Err((
                        format!("Literal of {n} octets is larger than the limit of {max_literal}"),
                        None,
                    ));
                }
                let start = match &buf[close + 1..] {
                    [b'\r', b'\n', ..] => close + 3,
                    [b'\n', ..] => close + 2,
                    [] | [b'\r'] => return Ok(None),
                    _ => return Err(("Literal length must end the line".into(), line_end(i))),
                };
                if buf.len() < start + n {
                    return Ok(None);
                }
                out.push(Token::Str(buf[start..start + n].to_vec()));
                i = start + n;
            }
            Some(_) => {
                let j = buf[i..]
                    .iter()
                    .position(|b| matches!(b, b' ' | b'\r' | b'\n'))
                    .map_or(buf.len(), |p| i + p);
                if j == buf.len() {
                    return if buf.len() > MAX_LINE { Err(("Line too long".into(), None)) } else { Ok(None) };
                }
                out.push(Token::Word(String::from_utf8_lossy(&buf[i..j]).into_owned()));
                i = j;
            }
        }
    }
}

/// Parses the next command in `buf`; literals may be at most `max_literal` octets.
pub fn parse_command(buf: &[u8], max_literal: usize) -> Parsed<SieveCommand> {
    let (tokens, used) = match tokens(buf, max_literal) {
        Ok(Some(t)) => t,
        Ok(None) => return Parsed::Incomplete,
        Err((why, skip)) => return Parsed::Invalid(why, skip),
    };
    let invalid = |why: &str| Parsed::Invalid(why.to_string(), Some(used));
    let mut args = tokens.into_iter();
    let name = match args.next() {
        Some(Token::Word(w)) => w.to_ascii_uppercase(),
        Some(Token::Str(_)) => return invalid("Expected a command name"),
        None => return invalid("Empty command"),
    };
    let rest: Vec<Token> = args.collect();
    let string = |t: &Token| match t {
        Token::Str(s) => Some(s.clone()),
        Token::Word(_) => None,
    };
    let strings: Option<Vec<Vec<u8>>> = rest.iter().map(string).collect();
    let command = match (name.as_str(), rest.as_slice(), strings) {
        ("STARTTLS", [], _) => SieveCommand::StartTls,
        ("LOGOUT", [], _) => SieveCommand::Logout,
        ("CAPABILITY", [], _) => SieveCommand::Capability,
        ("LISTSCRIPTS", [], _) => SieveCommand::ListScripts,
        ("UNAUTHENTICATE", [], _) => SieveCommand::Unauthenticate,
        ("NOOP", [], _) => SieveCommand::Noop(None),
        ("NOOP", [_], Some(s)) => SieveCommand::Noop(s.into_iter().next()),
        ("AUTHENTICATE", [_] | [_, _], Some(mut s)) => {
            let mechanism = String::from_utf8_lossy(&s.remove(0)).to_ascii_uppercase();
            SieveCommand::Authenticate(mechanism, s.pop())
        }
        ("HAVESPACE", [Token::Str(name), Token::Word(size)], _) => match size.parse() {
            Ok(n) => SieveCommand::HaveSpace(name.clone(), n),
            Err(_) => return invalid("HAVESPACE needs a number"),
        },
        ("PUTSCRIPT", [_, _], Some(s)) => SieveCommand::PutScript(s[0].clone(), s[1].clone()),
        ("SETACTIVE", [_], Some(s)) => SieveCommand::SetActive(s[0].clone()),
        ("GETSCRIPT", [_], Some(s)) => SieveCommand::GetScript(s[0].clone()),
        ("DELETESCRIPT", [_], Some(s)) => SieveCommand::DeleteScript(s[0].clone()),
        ("RENAMESCRIPT", [_, _], Some(s)) => SieveCommand::RenameScript(s[0].clone(), s[1].clone()),
        ("CHECKSCRIPT", [_], Some(s)) => SieveCommand::CheckScript(s[0].clone()),
        (
            "STARTTLS" | "LOGOUT" | "CAPABILITY" | "LISTSCRIPTS" | "UNAUTHENTICATE" | "NOOP" | "AUTHENTICATE"
            | "HAVESPACE" | "PUTSCRIPT" | "SETACTIVE" | "GETSCRIPT" | "DELETESCRIPT" | "RENAMESCRIPT"
            | "CHECKSCRIPT",
            _,
            _,
        ) => return invalid(&format!("Wrong arguments for {name}")),
        _ => return invalid("Unknown command"),
    };
    Parsed::Done(command, used)
}

/// Parses a client's answer to an AUTHENTICATE continuation: one string (quoted or literal)
/// and the line end.
pub fn parse_string_line(buf: &[u8], max_literal: usize) -> Parsed<Vec<u8>> {
    match tokens(buf, max_literal) {
        Ok(Some((tokens, used))) => match tokens.as_slice() {
            [Token::Str(s)] => Parsed::Done(s.clone(), used),
            _ => Parsed::Invalid("Expected a string".into(), Some(used)),
        },
        Ok(None) => Parsed::Incomplete,
        Err((why, skip)) => Parsed::Invalid(why, skip),
    }
}

/// A string for a response: quoted when it can be, else a literal `{n}`.
pub fn string(text: &[u8]) -> Vec<u8> {
    if text.len() < 1024 && !text.iter().any(|b| matches!(b, b'"' | b'\\' | b'\r' | b'\n' | 0)) {
        let mut out = Vec::with_capacity(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text);
        out.push(b'"');
        out
    } else {
        let mut out = format!("{{{}}}\r\n", text.len()).into_bytes();
        out.extend_from_slice(text);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(input: &[u8]) -> SieveCommand {
        match parse_command(input, 1000) {
            Parsed::Done(c, used) => {
                assert_eq!(used, input.len());
                c
            }
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
        }
    }

    #[test]
    fn commands() {
        assert_eq!(done(b"capability\r\n"), SieveCommand::Capability);
        assert_eq!(
            done(b"AUTHENTICATE \"PLAIN\" \"AGEAYg==\"\r\n"),
            SieveCommand::Authenticate("PLAIN".into(), Some(b"AGEAYg==".to_vec()))
        );
        assert_eq!(
            done(b"PUTSCRIPT \"s\" {5+}\r\nkeep;\r\n"),
            SieveCommand::PutScript(b"s".to_vec(), b"keep;".to_vec())
        );
        assert_eq!(done(b"HAVESPACE \"s\" 100\r\n"), SieveCommand::HaveSpace(b"s".to_vec(), 100));
        assert_eq!(done(b"SETACTIVE \"\"\r\n"), SieveCommand::SetActive(Vec::new()));
        assert_eq!(
            done(b"RENAMESCRIPT \"a\" \"b\"\r\n"),
            SieveCommand::RenameScript(b"a".to_vec(), b"b".to_vec())
        );
        assert_eq!(done(b"NOOP \"x\"\r\n"), SieveCommand::Noop(Some(b"x".to_vec())));
    }

    #[test]
    fn incomplete_and_invalid() {
        assert_eq!(parse_command(b"PUTSCRIPT \"s\" {5+}\r\nke", 1000), Parsed::Incomplete);
        assert_eq!(parse_command(b"LISTSCRIPTS", 1000), Parsed::Incomplete);
        assert!(matches!(parse_command(b"FOO\r\n", 1000), Parsed::Invalid(_, Some(5))));
        assert!(matches!(parse_command(b"GETSCRIPT\r\n", 1000), Parsed::Invalid(_, Some(11))));
        assert!(matches!(parse_command(b"PUTSCRIPT \"s\" {5000+}\r\n", 1000), Parsed::Invalid(_, None)));
        assert!(matches!(parse_command(&[b'x'; MAX_LINE + 10], 1000), Parsed::Invalid(_, None)));
    }

    #[test]
    fn response_strings() {
        assert_eq!(string(b"abc"), b"\"abc\"");
        assert_eq!(string(b"a\r\nb"), b"{4}\r\na\r\nb");
    }
}
