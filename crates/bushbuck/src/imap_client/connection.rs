//! A blocking IMAP connection: connects (plain, STARTTLS or implicit TLS), logs in, sends
//! tagged commands (literals synchronising, or LITERAL+ when offered) and collects the
//! untagged responses, literals included, up to the tagged answer.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;

use super::reply::Reply;
use super::request::{Part, Request};
use super::stream::Stream;
use super::Error;

/// How long the server may take to answer one command.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// How to protect the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (IMAPS).
    Tls,
    /// STARTTLS, which the server must offer.
    StartTls,
    /// STARTTLS when the server offers it, else plain text.
    Opportunistic,
    /// Never TLS.
    Plain,
}

/// What to suggest when setting up the connection fails, in the terms of the caller's
/// command line; each is added after the error, so empty means no advice.
#[derive(Debug, Clone, Copy)]
pub struct Advice {
    /// When the TCP connection cannot be made.
    pub unreachable: &'static str,
    /// When the TLS handshake fails, most often over a self-signed certificate.
    pub certificate: &'static str,
    /// When STARTTLS is required but the server does not offer it.
    pub no_starttls: &'static str,
}

/// A logged-in (or about to be) IMAP connection.
pub struct Connection {
    stream: Stream,
    buf: Vec<u8>,
    tags: u32,
    capabilities: Vec<String>,
    /// The server's last `* BYE` text, reported if the connection then ends.
    bye: Option<String>,
}

impl Connection {
    /// Connects to `host:port`, reads the greeting and sets up TLS as `security` asks.
    pub fn open(
        host: &str,
        port: u16,
        security: Security,
        tls: Arc<ClientConfig>,
        advice: Advice,
    ) -> Result<Connection, Error> {
        let tcp = TcpStream::connect((host, port)).map_err(|e| {
            Error::Connection(advised(format!("cannot connect to {host}:{port}: {e}"), advice.unreachable))
        })?;
        tcp.set_read_timeout(Some(ANSWER_TIMEOUT))
            .and_then(|()| tcp.set_write_timeout(Some(ANSWER_TIMEOUT)))
            .map_err(|e| Error::Connection(format!("socket set-up failed: {e}")))?;
        let mut conn = Connection {
            stream: Stream::Plain(tcp),
            buf: Vec::new(),
            tags: 0,
            capabilities: Vec::new(),
            bye: None,
        };
        if security == Security::Tls {
            conn.start_tls(host, tls.clone(), advice)?;
        }
        let greeting = conn.read_response()?;
        if !(greeting.starts_with(b"* OK") || greeting.starts_with(b"* PREAUTH")) {
            let text =
                String::from_utf8_lossy(greeting.strip_prefix(b"* ").unwrap_or(&greeting)).trim().to_string();
            return Err(Error::Connection(format!("the server refused the connection: {text}")));
        }
        conn.refresh_capabilities()?;
        let offered = conn.has_capability("STARTTLS");
        match security {
            Security::StartTls if !offered => {
                let refusal = format!("{host}:{port} does not offer STARTTLS");
                return Err(Error::Connection(advised(refusal, advice.no_starttls)));
            }
            Security::StartTls | Security::Opportunistic if offered => {
                conn.command(Request::new("STARTTLS"))?;
                if !conn.buf.is_empty() {
                    return Err(Error::Connection(
                        "the server sent data after its STARTTLS answer; refusing to continue".into(),
                    ));
                }
                conn.start_tls(host, tls, advice)?;
                conn.refresh_capabilities()?;
            }
            _ => {}
        }
        Ok(conn)
    }

    /// Logs in with LOGIN, then learns the capabilities of the authenticated state. A refusal
    /// is an [`Error::Command`] with the server's words.
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), Error> {
        if self.has_capability("LOGINDISABLED") {
            return Err(Error::Connection(
                "the server accepts no plaintext login on this connection; use --tls or --starttls".into(),
            ));
        }
        self.command(Request::new("LOGIN").string(user.as_bytes()).string(password.as_bytes()))?;
        self.refresh_capabilities()
    }

    /// Whether the server announced `name` in its last CAPABILITY answer.
    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    /// Sends a command and waits for its tagged answer: the untagged data on OK, the
    /// server's words on NO or BAD.
    pub fn command(&mut self, request: Request) -> Result<Reply, Error> {
        self.tags += 1;
        let tag = format!("A{:04}", self.tags);
        let mut untagged = Vec::new();
        let literal_plus = self.has_capability("LITERAL+");
        let mut out = tag.clone().into_bytes();
        out.push(b' ');
        for part in request.into_parts() {
            match part {
                Part::Text(text) => out.extend_from_slice(text.as_bytes()),
                Part::Literal(bytes) if literal_plus => {
                    out.extend_from_slice(format!("{{{}+}}\r\n", bytes.len()).as_bytes());
                    out.extend_from_slice(&bytes);
                }
                Part::Literal(bytes) => {
                    out.extend_from_slice(format!("{{{}}}\r\n", bytes.len()).as_bytes());
                    self.send(&std::mem::take(&mut out))?;
                    if let Some(refused) = self.await_continuation(&tag, &mut untagged)? {
                        return Err(refused);
                    }
                    out = bytes;
                }
            }
        }
        out.extend_from_slice(b"\r\n");
        self.send(&out)?;
        loop {
            let line = self.read_response()?;
            if let Some(status) = tagged_status(&line, &tag) {
                return status.map(|()| Reply::new(untagged));
            }
            self.note_untagged(&line);
            untagged.push(line);
        }
    }

    /// Sends LOGOUT; errors do not matter any more.
    pub fn logout(mut self) {
        let _ = self.command(Request::new("LOGOUT"));
    }

    fn refresh_capabilities(&mut self) -> Result<(), Error> {
        let reply = self.command(Request::new("CAPABILITY"))?;
        self.capabilities =
            reply.data("CAPABILITY")?.into_iter().flatten().filter_map(|v| v.text()).collect();
        Ok(())
    }

    fn start_tls(&mut self, host: &str, config: Arc<ClientConfig>, advice: Advice) -> Result<(), Error> {
        self.stream.start_tls(host, config, advice.certificate).map_err(Error::Connection)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.stream.write_all(bytes).and_then(|()| self.stream.flush()).map_err(|e| self.lost(e))
    }

    /// Waits for `+` after a synchronising literal; `Some(error)` if the server refused.
    fn await_continuation(&mut self, tag: &str, untagged: &mut Vec<Vec<u8>>) -> Result<Option<Error>, Error> {
        loop {
            let line = self.read_response()?;
            if line.starts_with(b"+") {
                return Ok(None);
            }
            if let Some(status) = tagged_status(&line, tag) {
                return Ok(Some(status.err().unwrap_or_else(|| Error::Connection("unexpected OK".into()))));
            }
            self.note_untagged(&line);
            untagged.push(line);
        }
    }

    /// Shows alerts and remembers BYE.
    fn note_untagged(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        if let Some(bye) = text.strip_prefix("* BYE ") {
            self.bye = Some(bye.trim_end().to_string());
        } else if let Some(alert) = text.strip_prefix("* OK [ALERT] ") {
            eprintln!("server alert: {}", alert.trim_end());
        }
    }

    /// Reads one response: a line, with any literals it announces and the line after each.
    fn read_response(&mut self) -> Result<Vec<u8>, Error> {
        let mut response = Vec::new();
        loop {
            let line = self.read_line()?;
            response.extend_from_slice(&line);
            match literal_length(&line) {
                Some(n) => {
                    let bytes = self.read_exact(n)?;
                    response.extend_from_slice(&bytes);
                }
                None => return Ok(response),
            }
        }
    }

    fn read_line(&mut self) -> Result<Vec<u8>, Error> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                return Ok(self.buf.drain(..=end).collect());
            }
            self.fill()?;
        }
    }

    fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, Error> {
        while self.buf.len() < n {
            self.fill()?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    fn fill(&mut self) -> Result<(), Error> {
        let mut chunk = [0u8; 16384];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err(self.lost(std::io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) => Err(self.lost(e)),
        }
    }

    fn lost(&self, e: std::io::Error) -> Error {
        match (&self.bye, e.kind()) {
            (Some(bye), _) => Error::Connection(format!("the server closed the connection: {bye}")),
            (None, std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                Error::Connection(format!("the server did not answer within {} s", ANSWER_TIMEOUT.as_secs()))
            }
            (None, _) => Error::Connection(format!("connection to the server lost: {e}")),
        }
    }
}

/// `error; advice`, or the error alone without advice.
fn advised(error: String, advice: &str) -> String {
    if advice.is_empty() {
        error
    } else {
        format!("{error}; {advice}")
    }
}

/// For `TAG OK|NO|BAD text` of this tag: `Ok` or the refusal; `None` for other lines.
fn tagged_status(line: &[u8], tag: &str) -> Option<Result<(), Error>> {
    let rest = line.strip_prefix(tag.as_bytes())?.strip_prefix(b" ")?;
    let text = String::from_utf8_lossy(rest).trim_end().to_string();
    if text.get(..2).is_some_and(|s| s.eq_ignore_ascii_case("OK")) {
        Some(Ok(()))
    } else {
        Some(Err(Error::Command(text)))
    }
}

/// The length of the literal a line ends with (`{n}` or `{n+}` before CRLF or LF).
fn literal_length(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\n")?;
    let body = line.strip_suffix(b"\r").unwrap_or(line).strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let digits = &body[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_literals_at_line_end() {
        assert_eq!(literal_length(b"* LIST () \"/\" {12}\r\n"), Some(12));
        assert_eq!(literal_length(b"* 1 FETCH (BODY[] {7+}\n"), Some(7));
        assert_eq!(literal_length(b"* OK {not}\r\n"), None);
        assert_eq!(literal_length(b"* OK {3++}\r\n"), None);
        assert_eq!(literal_length(b"* OK done\r\n"), None);
        assert_eq!(literal_length(b"* X {3}"), None);
    }

    #[test]
    fn reads_tagged_status() {
        assert!(matches!(tagged_status(b"A0001 OK done\r\n", "A0001"), Some(Ok(()))));
        assert!(
            matches!(tagged_status(b"A0001 NO [NOPERM] no\r\n", "A0001"), Some(Err(Error::Command(t))) if t == "NO [NOPERM] no")
        );
        assert!(tagged_status(b"A00012 OK\r\n", "A0001").is_none());
        assert!(tagged_status(b"* OK\r\n", "A0001").is_none());
    }

    #[test]
    fn advice_follows_the_error() {
        assert_eq!(advised("cannot connect".into(), ""), "cannot connect");
        assert_eq!(advised("cannot connect".into(), "is it running?"), "cannot connect; is it running?");
    }
}
