//! A small blocking IMAP client: connects (plain, STARTTLS or implicit TLS), logs in, sends
//! tagged commands with their strings quoted or as literals, and collects the untagged data
//! up to the tagged answer.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use bushbuck_proto::imap::{mutf7, response};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use super::reply::{self, Value};

/// How long the server may take to answer one command.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Error {
    /// The connection is unusable (network, TLS, protocol, login): the shell must stop.
    Connection(String),
    /// The server refused the command (NO or BAD), or it could not be sent as asked: the
    /// shell may go on with the next one.
    Command(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Connection(m) | Error::Command(m) => f.write_str(m),
        }
    }
}

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

/// A command to send: its words, with strings already encoded as quoted strings or literals.
pub struct Request {
    parts: Vec<Part>,
}

enum Part {
    Text(String),
    Literal(Vec<u8>),
}

impl Request {
    /// Starts a command with its name, e.g. `CREATE`.
    pub fn new(name: &str) -> Request {
        Request { parts: vec![Part::Text(name.to_string())] }
    }

    /// Appends ` text` as it is (atoms, numbers, parenthesised lists).
    pub fn raw(mut self, text: &str) -> Request {
        self.parts.push(Part::Text(format!(" {text}")));
        self
    }

    /// Appends a string: quoted when it can be, else a literal.
    pub fn string(mut self, bytes: &[u8]) -> Request {
        match response::quoted(bytes) {
            Some(q) => self.parts.push(Part::Text(format!(" {q}"))),
            None => {
                self.parts.push(Part::Text(" ".into()));
                self.parts.push(Part::Literal(bytes.to_vec()));
            }
        }
        self
    }

    /// Appends a mailbox name, encoded as modified UTF-7.
    pub fn mailbox(self, name: &str) -> Request {
        self.string(mutf7::encode(name).as_bytes())
    }
}

/// The untagged data of a command that ended in OK.
pub struct Reply {
    untagged: Vec<Vec<u8>>,
}

impl Reply {
    /// The values of every untagged response whose first word is `keyword` (e.g. `LIST`),
    /// without that word.
    pub fn data(&self, keyword: &str) -> Result<Vec<Vec<Value>>, Error> {
        let mut found = Vec::new();
        for line in self.untagged.iter().filter_map(|l| l.strip_prefix(b"* ")) {
            let first = line.split(|&b| b == b' ').next().unwrap_or_default();
            if first.eq_ignore_ascii_case(keyword.as_bytes()) {
                let mut values = reply::parse(line).map_err(Error::Connection)?;
                values.remove(0);
                found.push(values);
            }
        }
        Ok(found)
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    Closed,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Closed => Ok(0),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Closed => Err(std::io::ErrorKind::NotConnected.into()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Closed => Ok(()),
        }
    }
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
    ) -> Result<Connection, Error> {
        let tcp = TcpStream::connect((host, port)).map_err(|e| {
            Error::Connection(format!(
                "cannot connect to {host}:{port}: {e}; is bushbuck serve running there?"
            ))
        })?;
        tcp.set_read_timeout(Some(ANSWER_TIMEOUT)).map_err(io)?;
        let mut conn = Connection {
            stream: Stream::Plain(tcp),
            buf: Vec::new(),
            tags: 0,
            capabilities: Vec::new(),
            bye: None,
        };
        if security == Security::Tls {
            conn.start_tls(host, tls.clone())?;
        }
        let greeting = conn.read_response()?;
        if greeting.starts_with(b"* BYE") {
            let text = String::from_utf8_lossy(&greeting[5..]).trim().to_string();
            return Err(Error::Connection(format!("the server refused the connection: {text}")));
        }
        conn.refresh_capabilities()?;
        let offered = conn.has_capability("STARTTLS");
        match security {
            Security::StartTls if !offered => {
                return Err(Error::Connection(format!(
                    "{host}:{port} does not offer STARTTLS; use --tls with its IMAPS port, or --plain"
                )))
            }
            Security::StartTls | Security::Opportunistic if offered => {
                conn.command(Request::new("STARTTLS"))?;
                conn.start_tls(host, tls)?;
                conn.refresh_capabilities()?;
            }
            _ => {}
        }
        Ok(conn)
    }

    /// Logs in with LOGIN, then learns the capabilities of the authenticated state.
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), Error> {
        if self.has_capability("LOGINDISABLED") {
            return Err(Error::Connection(
                "the server accepts no plaintext login on this connection; use --tls or --starttls".into(),
            ));
        }
        let login = Request::new("LOGIN").string(user.as_bytes()).string(password.as_bytes());
        self.command(login).map_err(|e| Error::Connection(format!("login as {user} failed: {e}")))?;
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
        for part in request.parts {
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
                return status.map(|()| Reply { untagged });
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

    fn start_tls(&mut self, host: &str, config: Arc<ClientConfig>) -> Result<(), Error> {
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Closed) else {
            return Err(Error::Connection("TLS is already active".into()));
        };
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| Error::Connection(format!("{host} is not a valid host name for TLS")))?;
        let mut tls =
            ClientConnection::new(config, name).map_err(|e| Error::Connection(format!("TLS: {e}")))?;
        let mut tcp = tcp;
        while tls.is_handshaking() {
            tls.complete_io(&mut tcp).map_err(|e| {
                Error::Connection(format!(
                    "TLS handshake with {host} failed: {e}; for the server's default self-signed \
                     certificate use --insecure or --ca FILE"
                ))
            })?;
        }
        self.stream = Stream::Tls(Box::new(StreamOwned::new(tls, tcp)));
        Ok(())
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

fn io(e: std::io::Error) -> Error {
    Error::Connection(format!("socket set-up failed: {e}"))
}

/// For `TAG OK|NO|BAD text` of this tag: `Ok` or the refusal; `None` for other lines.
fn tagged_status(line: &[u8], tag: &str) -> Option<Result<(), Error>> {
    let rest = line.strip_prefix(tag.as_bytes())?.strip_prefix(b" ")?;
    let text = String::from_utf8_lossy(rest).trim_end().to_string();
    if text.len() >= 2 && text[..2].eq_ignore_ascii_case("OK") {
        Some(Ok(()))
    } else {
        Some(Err(Error::Command(text)))
    }
}

/// The length of the literal a line ends with (`{n}` or `{n+}` before CRLF).
fn literal_length(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\r\n").or_else(|| line.strip_suffix(b"\n"))?;
    let body = line.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&body[open + 1..]).ok()?.trim_end_matches('+').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_literals_at_line_end() {
        assert_eq!(literal_length(b"* LIST () \"/\" {12}\r\n"), Some(12));
        assert_eq!(literal_length(b"* X {3+}\r\n"), Some(3));
        assert_eq!(literal_length(b"* OK {not}\r\n"), None);
        assert_eq!(literal_length(b"* OK done\r\n"), None);
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
    fn data_picks_untagged_responses_by_keyword() {
        let reply =
            Reply { untagged: vec![b"* LIST () \"/\" INBOX\r\n".to_vec(), b"* OK [ALERT] hi\r\n".to_vec()] };
        let lists = reply.data("list").unwrap();
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0][2], Value::Atom("INBOX".into()));
        assert!(reply.data("ACL").unwrap().is_empty());
    }

    #[test]
    fn strings_become_quoted_or_literals() {
        let r = Request::new("LOGIN").string(b"bob").string(b"p\"w\r\n");
        assert!(matches!(&r.parts[1], Part::Text(t) if t == " \"bob\""));
        assert!(matches!(&r.parts[3], Part::Literal(b) if b == b"p\"w\r\n"));
        let m = Request::new("CREATE").mailbox("Entwürfe");
        assert!(matches!(&m.parts[1], Part::Text(t) if t == " \"Entw&APw-rfe\""));
    }
}
