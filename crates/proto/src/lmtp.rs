//! LMTP commands (RFC 2033 over RFC 5321 syntax, with SIZE and 8BITMIME) and DATA
//! un-stuffing. No I/O.

/// Longest command line accepted (RFC 5321 4.5.3.1.4: 512 octets; extensions add more).
pub const MAX_LINE: usize = 2048;

/// An LMTP command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LmtpCommand {
    /// LHLO domain
    Lhlo(String),
    /// MAIL FROM:<reverse-path> [SIZE=n] [BODY=7BIT|8BITMIME]
    MailFrom {
        /// The reverse path without angle brackets (empty for the null sender `<>`).
        from: String,
        /// Declared size, if given.
        size: Option<u64>,
    },
    /// RCPT TO:<forward-path>
    RcptTo(String),
    /// DATA
    Data,
    /// RSET
    Rset,
    /// NOOP
    Noop,
    /// QUIT
    Quit,
    /// VRFY (answered with 252)
    Vrfy,
}

/// A refused command: reply code, enhanced status code and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LmtpError {
    /// Reply code, e.g. 500.
    pub code: u16,
    /// Enhanced status code, e.g. "5.5.2".
    pub status: &'static str,
    /// Human text.
    pub text: String,
}

fn syntax(text: impl Into<String>) -> LmtpError {
    LmtpError { code: 501, status: "5.5.4", text: text.into() }
}

/// Parses one command line (with or without CRLF).
pub fn parse_command(line: &[u8]) -> Result<LmtpCommand, LmtpError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = std::str::from_utf8(line).map_err(|_| syntax("Command is not UTF-8"))?;
    let upper = text.to_ascii_uppercase();
    let word = upper.split(' ').next().unwrap_or("");
    match word {
        "LHLO" => {
            let domain = text[4..].trim();
            if domain.is_empty() {
                return Err(syntax("LHLO needs a domain"));
            }
            Ok(LmtpCommand::Lhlo(domain.to_string()))
        }
        "MAIL" if upper.starts_with("MAIL FROM:") => {
            let (path, params) = path_and_params(&text[10..])?;
            let mut size = None;
            for p in params {
                let (key, value) = p.split_once('=').unwrap_or((p, ""));
                match key.to_ascii_uppercase().as_str() {
                    "SIZE" => size = Some(value.parse().map_err(|_| syntax("SIZE needs a number"))?),
                    "BODY" if ["7BIT", "8BITMIME"].contains(&value.to_ascii_uppercase().as_str()) => {}
                    _ => {
                        return Err(LmtpError {
                            code: 555,
                            status: "5.5.4",
                            text: format!("Unsupported MAIL parameter {p}"),
                        })
                    }
                }
            }
            Ok(LmtpCommand::MailFrom { from: path, size })
        }
        "RCPT" if upper.starts_with("RCPT TO:") => {
            let (path, params) = path_and_params(&text[8..])?;
            if let Some(p) = params.first() {
                return Err(LmtpError {
                    code: 555,
                    status: "5.5.4",
                    text: format!("Unsupported RCPT parameter {p}"),
                });
            }
            if path.is_empty() {
                return Err(syntax("RCPT TO needs an address"));
            }
            Ok(LmtpCommand::RcptTo(path))
        }
        "DATA" if upper.trim_end() == "DATA" => Ok(LmtpCommand::Data),
        "RSET" if upper.trim_end() == "RSET" => Ok(LmtpCommand::Rset),
        "NOOP" => Ok(LmtpCommand::Noop),
        "QUIT" if upper.trim_end() == "QUIT" => Ok(LmtpCommand::Quit),
        "VRFY" => Ok(LmtpCommand::Vrfy),
        "HELO" | "EHLO" => {
            Err(LmtpError { code: 500, status: "5.5.1", text: "This is LMTP; use LHLO".into() })
        }
        "MAIL" | "RCPT" | "DATA" | "RSET" | "QUIT" => Err(syntax("Syntax error in parameters")),
        _ => Err(LmtpError { code: 500, status: "5.5.2", text: "Unknown command".into() }),
    }
}

/// Splits `<path> params...` (spaces after the colon tolerated).
fn path_and_params(rest: &str) -> Result<(String, Vec<&str>), LmtpError> {
    let rest = rest.trim_start();
    let Some(inner) = rest.strip_prefix('<') else {
        return Err(syntax("Address must be in angle brackets"));
    };
    let Some(end) = inner.find('>') else {
        return Err(syntax("Missing closing angle bracket"));
    };
    let path = &inner[..end];
    // A source route (@a,@b:user@host) is obsolete; keep the mailbox part.
    let path = path.rsplit_once(':').map_or(path, |(_, mailbox)| mailbox);
    let params = inner[end + 1..].split(' ').filter(|p| !p.is_empty()).collect();
    Ok((path.to_string(), params))
}

/// Why DATA did not give a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataRefused {
    /// The message was over the size limit.
    TooLarge,
    /// A line ended with a bare LF, or a bare CR was inside a line: refused (RFC 5321 2.3.8),
    /// so that no `LF.LF`-style end of data can smuggle a second message past this server
    /// or the MTA in front of it.
    BareLineEnd,
}

/// Collects DATA lines into a message: removes the dot-stuffing and stops at the lone `.`
/// line. Only `CRLF . CRLF` ends the data; a bare LF or CR anywhere makes the message refused
/// (read to its real end all the same, so nothing in it runs as commands).
#[derive(Debug)]
pub struct DataReader {
    message: Vec<u8>,
    refused: Option<DataRefused>,
    max: usize,
    /// The previous line ended with CRLF (true at the start of the data).
    after_crlf: bool,
}

impl DataReader {
    /// A reader that refuses (but keeps consuming) messages larger than `max` octets.
    pub fn new(max: usize) -> DataReader {
        DataReader { message: Vec::new(), refused: None, max, after_crlf: true }
    }

    /// Takes one line with its line end as received (up to and including the LF, if any);
    /// true when it was the final `.` line.
    pub fn line(&mut self, raw: &[u8]) -> bool {
        let (content, crlf) = match raw.strip_suffix(b"\r\n") {
            Some(content) => (content, true),
            None => (raw.strip_suffix(b"\n").unwrap_or(raw), false),
        };
        if crlf && self.after_crlf && content == b"." {
            return true;
        }
        if !crlf || content.contains(&b'\r') {
            self.refused.get_or_insert(DataRefused::BareLineEnd);
        }
        self.after_crlf = crlf;
        if self.refused.is_some() {
            return false;
        }
        let content = content.strip_prefix(b".").unwrap_or(content);
        if self.message.len() + content.len() + 2 > self.max {
            self.refused = Some(DataRefused::TooLarge);
            self.message = Vec::new();
            return false;
        }
        self.message.extend_from_slice(content);
        self.message.extend_from_slice(b"\r\n");
        false
    }

    /// The message with CRLF line ends, or why it is refused.
    pub fn finish(self) -> Result<Vec<u8>, DataRefused> {
        match self.refused {
            Some(why) => Err(why),
            None => Ok(self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(parse_command(b"LHLO mx.example\r\n").unwrap(), LmtpCommand::Lhlo("mx.example".into()));
        assert_eq!(
            parse_command(b"MAIL FROM:<a@b.c> SIZE=100 BODY=8BITMIME").unwrap(),
            LmtpCommand::MailFrom { from: "a@b.c".into(), size: Some(100) }
        );
        assert_eq!(
            parse_command(b"MAIL FROM:<>").unwrap(),
            LmtpCommand::MailFrom { from: String::new(), size: None }
        );
        assert_eq!(parse_command(b"rcpt to: <bob@x>").unwrap(), LmtpCommand::RcptTo("bob@x".into()));
        assert_eq!(parse_command(b"DATA").unwrap(), LmtpCommand::Data);
    }

    #[test]
    fn refusals() {
        assert_eq!(parse_command(b"EHLO x").unwrap_err().code, 500);
        assert_eq!(parse_command(b"MAIL FROM:a@b").unwrap_err().code, 501);
        assert_eq!(parse_command(b"MAIL FROM:<a@b> FOO=1").unwrap_err().code, 555);
        assert_eq!(parse_command(b"RCPT TO:<>").unwrap_err().code, 501);
        assert_eq!(parse_command(b"BOGUS").unwrap_err().code, 500);
        assert_eq!(parse_command(b"\xff").unwrap_err().code, 501);
    }

    #[test]
    fn data_unstuffing_and_limit() {
        let mut r = DataReader::new(100);
        assert!(!r.line(b"Subject: x\r\n"));
        assert!(!r.line(b"\r\n"));
        assert!(!r.line(b"..leading dot\r\n"));
        assert!(r.line(b".\r\n"));
        assert_eq!(r.finish().unwrap(), b"Subject: x\r\n\r\n.leading dot\r\n");
        let mut r = DataReader::new(5);
        r.line(b"too long a line\r\n");
        assert!(!r.line(b"more\r\n"));
        assert!(r.line(b".\r\n"));
        assert_eq!(r.finish(), Err(DataRefused::TooLarge));
    }

    /// Feeds `data` split after each LF; returns whether `.` ended it and the result.
    fn feed(data: &[u8]) -> (bool, Result<Vec<u8>, DataRefused>) {
        let mut r = DataReader::new(1000);
        let ended = data.split_inclusive(|b| *b == b'\n').any(|line| r.line(line));
        (ended, r.finish())
    }

    #[test]
    fn only_crlf_dot_crlf_ends_data() {
        for smuggled in [&b"a\n.\nMAIL FROM:<x>\r\n"[..], b"a\r\n.\nRCPT TO:<y>\r\n", b"a\n.\r\nDATA\r\n"] {
            let mut r = DataReader::new(1000);
            let lines: Vec<&[u8]> = smuggled.split_inclusive(|b| *b == b'\n').collect();
            assert!(!lines.iter().any(|line| r.line(line)), "{smuggled:?} ended the data");
            assert!(r.line(b".\r\n"));
            assert_eq!(r.finish(), Err(DataRefused::BareLineEnd), "{smuggled:?}");
        }
        assert_eq!(feed(b"a\rb\r\n.\r\n"), (true, Err(DataRefused::BareLineEnd)));
        assert_eq!(feed(b"a\r\n\r\n.\r\n"), (true, Ok(b"a\r\n\r\n".to_vec())));
    }
}
