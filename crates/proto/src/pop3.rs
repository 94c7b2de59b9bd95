//! POP3 commands (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH): parsing one
//! command line into a [`Pop3Command`]. No I/O.

/// Longest command line accepted, CRLF included (RFC 2449 allows 255 octets; some clients
/// send long SASL initial responses, so AUTH lines may be longer).
pub const MAX_LINE: usize = 8192;

/// A POP3 command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3Command {
    /// USER name
    User(String),
    /// PASS password (the rest of the line, spaces included)
    Pass(Vec<u8>),
    /// AUTH [mechanism [initial-response]]; without a mechanism it lists mechanisms.
    Auth {
        /// Mechanism name upper-cased, if given.
        mechanism: Option<String>,
        /// Initial response, still base64.
        initial: Option<String>,
    },
    /// STAT
    Stat,
    /// LIST [msg]
    List(Option<u32>),
    /// RETR msg
    Retr(u32),
    /// DELE msg
    Dele(u32),
    /// NOOP
    Noop,
    /// RSET
    Rset,
    /// QUIT
    Quit,
    /// TOP msg n
    Top(u32, u32),
    /// UIDL [msg]
    Uidl(Option<u32>),
    /// CAPA
    Capa,
    /// STLS
    Stls,
}

/// Parses one command line (with or without the trailing CRLF). The error text is what
/// follows `-ERR ` in the answer.
pub fn parse_command(line: &[u8]) -> Result<Pop3Command, String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (keyword, rest) = match line.iter().position(|b| *b == b' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &b""[..]),
    };
    let keyword =
        std::str::from_utf8(keyword).map_err(|_| "Command is not ASCII".to_string())?.to_ascii_uppercase();
    let text = String::from_utf8_lossy(rest).into_owned();
    let args: Vec<&str> = text.split(' ').filter(|a| !a.is_empty()).collect();
    let arity = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("{keyword} takes {n} argument(s)"))
        }
    };
    Ok(match keyword.as_str() {
        "USER" => {
            arity(1)?;
            Pop3Command::User(args[0].to_string())
        }
        "PASS" if !rest.is_empty() => Pop3Command::Pass(rest.to_vec()),
        "PASS" => return Err("PASS needs a password".into()),
        "AUTH" => {
            if args.len() > 2 {
                return Err("AUTH takes a mechanism and an optional initial response".into());
            }
            Pop3Command::Auth {
                mechanism: args.first().map(|m| m.to_ascii_uppercase()),
                initial: args.get(1).map(|s| s.to_string()),
            }
        }
        "STAT" => arity(0).map(|_| Pop3Command::Stat)?,
        "LIST" => Pop3Command::List(optional_number(&args, &keyword)?),
        "RETR" => {
            arity(1)?;
            Pop3Command::Retr(number(args[0])?)
        }
        "DELE" => {
            arity(1)?;
            Pop3Command::Dele(number(args[0])?)
        }
        "NOOP" => arity(0).map(|_| Pop3Command::Noop)?,
        "RSET" => arity(0).map(|_| Pop3Command::Rset)?,
        "QUIT" => arity(0).map(|_| Pop3Command::Quit)?,
        "TOP" => {
            arity(2)?;
            Pop3Command::Top(number(args[0])?, lines(args[1])?)
        }
        "UIDL" => Pop3Command::Uidl(optional_number(&args, &keyword)?),
        "CAPA" => arity(0).map(|_| Pop3Command::Capa)?,
        "STLS" => arity(0).map(|_| Pop3Command::Stls)?,
        "" => return Err("Empty command".into()),
        other => return Err(format!("Unknown command {}", other.chars().take(16).collect::<String>())),
    })
}

fn optional_number(args: &[&str], keyword: &str) -> Result<Option<u32>, String> {
    match args {
        [] => Ok(None),
        [n] => number(n).map(Some),
        _ => Err(format!("{keyword} takes at most one argument")),
    }
}

/// A message number: a positive decimal.
fn number(arg: &str) -> Result<u32, String> {
    match arg.parse::<u32>() {
        Ok(n) if n > 0 && arg.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!("Invalid message number {}", arg.chars().take(16).collect::<String>())),
    }
}

/// A line count for TOP: zero or more.
fn lines(arg: &str) -> Result<u32, String> {
    match arg.parse::<u32>() {
        Ok(n) if arg.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!("Invalid line count {}", arg.chars().take(16).collect::<String>())),
    }
}

/// Byte-stuffs a message for a multi-line answer: every line starting with `.` gets another,
/// bare LF becomes CRLF, and the answer ends with `.CRLF`.
pub fn dot_stuff(message: &[u8], out: &mut Vec<u8>) {
    let mut at_line_start = true;
    let mut prev = 0u8;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        at_line_start = b == b'\n';
        prev = b;
    }
    if !at_line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(parse_command(b"user alice\r\n").unwrap(), Pop3Command::User("alice".into()));
        assert_eq!(parse_command(b"PASS my secret\r\n").unwrap(), Pop3Command::Pass(b"my secret".to_vec()));
        assert_eq!(parse_command(b"LIST\r\n").unwrap(), Pop3Command::List(None));
        assert_eq!(parse_command(b"list 3").unwrap(), Pop3Command::List(Some(3)));
        assert_eq!(parse_command(b"TOP 1 0").unwrap(), Pop3Command::Top(1, 0));
        assert_eq!(
            parse_command(b"AUTH plain AGEAYg==").unwrap(),
            Pop3Command::Auth { mechanism: Some("PLAIN".into()), initial: Some("AGEAYg==".into()) }
        );
        assert_eq!(parse_command(b"AUTH").unwrap(), Pop3Command::Auth { mechanism: None, initial: None });
    }

    #[test]
    fn bad_commands() {
        for bad in
            [&b"RETR"[..], b"RETR 0", b"RETR -1", b"RETR x", b"DELE 1 2", b"FOO", b"", b"TOP 1", b"PASS"]
        {
            assert!(parse_command(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn stuffing() {
        let mut out = Vec::new();
        dot_stuff(b"a\r\n.b\n..c", &mut out);
        assert_eq!(out, b"a\r\n..b\r\n...c\r\n.\r\n");
    }
}
