//! A minimal, blocking IMAP4rev1 client: just what importing needs (LOGIN, CAPABILITY,
//! NAMESPACE, LIST, EXAMINE, UID FETCH with literals), over plain TCP, implicit TLS or
//! STARTTLS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bushbuck_proto::imap::{datetime, mutf7, response as writer};
use rustls::pki_types::ServerName;

use super::response::{self, Value};
use crate::tls_client;

/// How long to wait for the server before giving up.
const TIMEOUT: Duration = Duration::from_secs(120);

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain TCP (fine on loopback; the password travels in clear otherwise).
    Plain,
    /// TLS from the first byte (port 993).
    Tls,
    /// Plain TCP upgraded with STARTTLS before logging in.
    StartTls,
}

/// Anything the session can run over.
trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// A remote folder as LIST shows it.
#[derive(Debug, Clone)]
pub struct Folder {
    /// The name exactly as the server sent it (modified UTF-7), for EXAMINE.
    pub raw: Vec<u8>,
    /// The name decoded to UTF-8.
    pub name: String,
    /// The hierarchy delimiter, if the server has one.
    pub delimiter: Option<char>,
    /// False for `\Noselect` / `\NonExistent` entries.
    pub selectable: bool,
}

/// The prefixes of the server's namespaces (RFC 2342).
#[derive(Debug, Clone, Default)]
pub struct Namespaces {
    /// Personal namespaces, e.g. `INBOX.` on Courier or Cyrus, empty on Dovecot.
    pub personal: Vec<String>,
    /// Other users' and shared namespaces (not imported).
    pub foreign: Vec<String>,
}

/// A message as listed before copying: enough to decide whether to copy it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// UID.
    pub uid: u32,
    /// RFC822.SIZE.
    pub size: u64,
    /// The Message-ID header field's value, if any.
    pub message_id: Option<String>,
}

/// A message fetched for copying.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// UID.
    pub uid: u32,
    /// Flags without `\Recent`.
    pub flags: Vec<String>,
    /// INTERNALDATE (seconds since the epoch, zone offset in minutes).
    pub internal_date: Option<(i64, i32)>,
    /// The exact octets.
    pub data: Vec<u8>,
}

/// A command argument.
enum Arg<'a> {
    /// Sent as is.
    Text(&'a str),
    /// Sent as a quoted string, or as a literal when it cannot be quoted.
    String(&'a [u8]),
}

/// A logged-in (or about to be) IMAP session.
pub struct Client {
    conn: BufReader<Box<dyn Stream>>,
    tag: u32,
    capabilities: Vec<String>,
}

impl Client {
    /// Connects, reads the greeting and, for [`Security::StartTls`], upgrades the connection.
    pub fn connect(host: &str, port: u16, security: Security, insecure: bool) -> Result<Client, String> {
        let tcp =
            TcpStream::connect((host, port)).map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        tcp.set_read_timeout(Some(TIMEOUT)).and_then(|_| tcp.set_write_timeout(Some(TIMEOUT))).ok();
        let stream: Box<dyn Stream> = match security {
            Security::Plain => Box::new(tcp),
            Security::Tls => Box::new(wrap_tls(tcp, host, insecure)?),
            Security::StartTls => {
                let mut plain = Client {
                    conn: BufReader::new(Box::new(tcp.try_clone().map_err(io)?)),
                    tag: 0,
                    capabilities: Vec::new(),
                };
                plain.greeting()?;
                plain.run("STARTTLS", &[], |_| Ok(()))?;
                if !plain.conn.buffer().is_empty() {
                    return Err("the server sent data after its STARTTLS answer; refusing to continue".into());
                }
                Box::new(wrap_tls(tcp, host, insecure)?)
            }
        };
        let mut client = Client { conn: BufReader::new(stream), tag: 0, capabilities: Vec::new() };
        if security != Security::StartTls {
            client.greeting()?;
        }
        Ok(client)
    }

    /// Logs in with LOGIN and learns the capabilities of the authenticated state.
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), String> {
        self.run("LOGIN", &[Arg::String(user.as_bytes()), Arg::String(password.as_bytes())], |_| Ok(()))
            .map_err(|e| format!("{e} (check the user and password; a server refusing plaintext wants --tls or --starttls)"))?;
        let mut caps = Vec::new();
        self.run("CAPABILITY", &[], |line| {
            if let Some(rest) = line.strip_prefix(b"* CAPABILITY ") {
                caps =
                    String::from_utf8_lossy(rest).split_whitespace().map(str::to_ascii_uppercase).collect();
            }
            Ok(())
        })?;
        self.capabilities = caps;
        Ok(())
    }

    /// The server's namespaces; one personal namespace without prefix when it has no
    /// NAMESPACE command.
    pub fn namespaces(&mut self) -> Result<Namespaces, String> {
        if !self.capabilities.iter().any(|c| c == "NAMESPACE") {
            return Ok(Namespaces { personal: vec![String::new()], foreign: Vec::new() });
        }
        let mut out = Namespaces::default();
        self.run("NAMESPACE", &[], |line| {
            let values = response::parse(line)?;
            if values.get(1).and_then(Value::text).is_some_and(|t| t.eq_ignore_ascii_case("NAMESPACE")) {
                let prefixes = |v: Option<&Value>| -> Vec<String> {
                    let namespaces = v.map(Value::items).unwrap_or_default();
                    namespaces.iter().filter_map(|ns| ns.items().first()?.bytes().map(decode_name)).collect()
                };
                out.personal = prefixes(values.get(2));
                out.foreign = prefixes(values.get(3)).into_iter().chain(prefixes(values.get(4))).collect();
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Every folder (`LIST "" "*"`).
    pub fn list(&mut self) -> Result<Vec<Folder>, String> {
        let mut out = Vec::new();
        self.run("LIST", &[Arg::Text("\"\" \"*\"")], |line| {
            let values = response::parse(line)?;
            if !values.get(1).and_then(Value::text).is_some_and(|t| t.eq_ignore_ascii_case("LIST")) {
                return Ok(());
            }
            let attributes: Vec<String> =
                values.get(2).map(Value::items).unwrap_or_default().iter().filter_map(Value::text).collect();
            let raw = values.get(4).and_then(Value::bytes).ok_or("LIST reply without a name")?.to_vec();
            let selectable = !attributes
                .iter()
                .any(|a| a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent"));
            out.push(Folder {
                name: decode_name(&raw),
                raw,
                delimiter: values.get(3).and_then(delimiter),
                selectable,
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// Opens a folder read-only; returns (UIDVALIDITY, number of messages).
    pub fn examine(&mut self, folder: &Folder) -> Result<(u32, u32), String> {
        let (mut uid_validity, mut exists) = (None, 0);
        self.run("EXAMINE", &[Arg::String(&folder.raw)], |line| {
            let text = String::from_utf8_lossy(line);
            if let Some(rest) = text.split("[UIDVALIDITY ").nth(1) {
                uid_validity = rest.split(']').next().and_then(|n| n.trim().parse().ok());
            }
            let words: Vec<&str> = text.split_whitespace().collect();
            if words.len() == 3 && words[2].eq_ignore_ascii_case("EXISTS") {
                exists = words[1].parse().unwrap_or(0);
            }
            Ok(())
        })
        .map_err(|e| format!("{}: {e}", folder.name))?;
        let uid_validity =
            uid_validity.ok_or_else(|| format!("{}: the server sent no UIDVALIDITY", folder.name))?;
        Ok((uid_validity, exists))
    }

    /// UID, size and Message-ID of the messages above `after_uid`, ascending.
    pub fn list_messages(&mut self, after_uid: u32) -> Result<Vec<Listed>, String> {
        let range = format!("{}:*", after_uid.saturating_add(1));
        let items = "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])";
        let mut out = Vec::new();
        self.run("UID FETCH", &[Arg::Text(&range), Arg::Text(items)], |line| {
            let Some(items) = fetch_items(line)? else { return Ok(()) };
            let uid = item(&items, "UID").and_then(Value::number).ok_or("FETCH reply without UID")? as u32;
            let size = item(&items, "RFC822.SIZE").and_then(Value::number).unwrap_or(0);
            let header =
                items.iter().find(|(k, _)| k.starts_with("BODY[HEADER.FIELDS")).and_then(|(_, v)| v.bytes());
            // "n:*" names the last message even when its UID is below n.
            if uid > after_uid {
                out.push(Listed { uid, size, message_id: header.and_then(message_id_field) });
            }
            Ok(())
        })?;
        out.sort_by_key(|l| l.uid);
        Ok(out)
    }

    /// Flags, INTERNALDATE and octets of the given UIDs, ascending by UID.
    pub fn fetch(&mut self, uids: &[u32]) -> Result<Vec<Fetched>, String> {
        let set = writer::sequence_set(uids);
        let mut out = Vec::with_capacity(uids.len());
        self.run(
            "UID FETCH",
            &[Arg::Text(&set), Arg::Text("(UID FLAGS INTERNALDATE BODY.PEEK[])")],
            |line| {
                let Some(items) = fetch_items(line)? else { return Ok(()) };
                let uid =
                    item(&items, "UID").and_then(Value::number).ok_or("FETCH reply without UID")? as u32;
                let flags = item(&items, "FLAGS")
                    .map(Value::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Value::text)
                    .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
                    .collect();
                let internal_date = item(&items, "INTERNALDATE")
                    .and_then(Value::text)
                    .and_then(|d| datetime::parse_date_time(format!("\"{d}\"").as_bytes()));
                let data = item(&items, "BODY[]")
                    .and_then(Value::bytes)
                    .ok_or_else(|| format!("UID {uid}: no message body in the FETCH reply"))?
                    .to_vec();
                out.push(Fetched { uid, flags, internal_date, data });
                Ok(())
            },
        )?;
        out.sort_by_key(|f| f.uid);
        Ok(out)
    }

    /// Says goodbye (errors are of no interest any more).
    pub fn logout(mut self) {
        let _ = self.run("LOGOUT", &[], |_| Ok(()));
    }

    /// Reads the greeting; refuses `BYE`.
    fn greeting(&mut self) -> Result<(), String> {
        let line = self.read_response()?;
        if line.starts_with(b"* OK") || line.starts_with(b"* PREAUTH") {
            Ok(())
        } else {
            Err(format!("the server refused the connection: {}", String::from_utf8_lossy(&line).trim_end()))
        }
    }

    /// Sends a command and feeds every untagged response to `untagged` until the tagged one;
    /// `NO`/`BAD` become an error naming the command.
    fn run(
        &mut self,
        command: &str,
        args: &[Arg<'_>],
        mut untagged: impl FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        self.tag += 1;
        let tag = format!("I{}", self.tag);
        let mut pending = format!("{tag} {command}").into_bytes();
        for arg in args {
            pending.push(b' ');
            match arg {
                Arg::Text(t) => pending.extend_from_slice(t.as_bytes()),
                Arg::String(s) => match writer::quoted(s) {
                    Some(q) => pending.extend_from_slice(q.as_bytes()),
                    None => {
                        pending.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
                        self.write(&pending)?;
                        pending.clear();
                        self.await_continuation(&tag, &mut untagged)?;
                        pending.extend_from_slice(s);
                    }
                },
            }
        }
        pending.extend_from_slice(b"\r\n");
        self.write(&pending)?;
        loop {
            let line = self.read_response()?;
            if let Some(rest) = line.strip_prefix(format!("{tag} ").as_bytes()) {
                let text = String::from_utf8_lossy(rest).trim_end().to_string();
                return if text.get(..2).is_some_and(|s| s.eq_ignore_ascii_case("OK")) {
                    Ok(())
                } else {
                    Err(format!("{command} refused by the server: {text}"))
                };
            }
            if line.starts_with(b"*") {
                untagged(&line)?;
            }
        }
    }

    /// Waits for the `+` that lets a literal follow.
    fn await_continuation(
        &mut self,
        tag: &str,
        untagged: &mut impl FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        loop {
            let line = self.read_response()?;
            if line.starts_with(b"+") {
                return Ok(());
            }
            if line.starts_with(tag.as_bytes()) {
                return Err(format!(
                    "the server refused a literal: {}",
                    String::from_utf8_lossy(&line).trim_end()
                ));
            }
            untagged(&line)?;
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        let stream = self.conn.get_mut();
        stream.write_all(bytes).and_then(|_| stream.flush()).map_err(io)
    }

    /// One response line with its literals embedded (`{n}\r\n` followed by n octets).
    fn read_response(&mut self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        loop {
            let start = out.len();
            if self.conn.read_until(b'\n', &mut out).map_err(io)? == 0 {
                return Err("the server closed the connection".into());
            }
            match literal_length(&out[start..]) {
                Some(n) => {
                    let at = out.len();
                    out.resize(at + n, 0);
                    self.conn.read_exact(&mut out[at..]).map_err(io)?;
                }
                None => return Ok(out),
            }
        }
    }
}

/// Wraps a TCP connection in TLS for `host`.
fn wrap_tls(
    tcp: TcpStream,
    host: &str,
    insecure: bool,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, String> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host} is not a valid TLS server name: {e}"))?;
    let conn = rustls::ClientConnection::new(tls_client::client_config(insecure, None)?, name)
        .map_err(|e| format!("TLS: {e}"))?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock).map_err(|e| {
            format!("TLS handshake with {host} failed: {e} (a self-signed certificate needs --insecure)")
        })?;
    }
    Ok(stream)
}

fn io(e: std::io::Error) -> String {
    format!("connection: {e}")
}

/// The length of the literal announced at the end of `line` (`{n}` or `{n+}` before CRLF).
fn literal_length(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line).strip_suffix(b"}")?;
    let open = line.iter().rposition(|&b| b == b'{')?;
    let digits = &line[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// A mailbox name from the wire: modified UTF-7, or taken as UTF-8 when it is not valid.
fn decode_name(raw: &[u8]) -> String {
    mutf7::decode(raw).unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
}

/// A hierarchy delimiter value (a one-character string, or NIL).
fn delimiter(v: &Value) -> Option<char> {
    v.text().and_then(|t| t.chars().next())
}

/// The (upper-case name, value) pairs of a `* n FETCH (...)` response, or None for another
/// response.
fn fetch_items(line: &[u8]) -> Result<Option<Vec<(String, Value)>>, String> {
    let values = response::parse(line)?;
    if !values.get(2).and_then(Value::text).is_some_and(|t| t.eq_ignore_ascii_case("FETCH")) {
        return Ok(None);
    }
    let items = values.get(3).map(Value::items).unwrap_or_default();
    Ok(Some(
        items
            .chunks(2)
            .filter_map(|kv| Some((kv[0].text()?.to_ascii_uppercase(), kv.get(1)?.clone())))
            .collect(),
    ))
}

fn item<'a>(items: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    items.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The value of the Message-ID field in a header block (unfolded, trimmed).
fn message_id_field(header: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(header);
    let mut value: Option<String> = None;
    for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        match value.as_mut() {
            Some(v) if line.starts_with([' ', '\t']) => v.push_str(line.trim()),
            Some(_) => break,
            None => {
                if let Some((name, rest)) = line.split_once(':') {
                    if name.trim().eq_ignore_ascii_case("Message-ID") {
                        value = Some(rest.trim().to_string());
                    }
                }
            }
        }
    }
    value.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_lengths() {
        assert_eq!(literal_length(b"* 1 FETCH (BODY[] {12}\r\n"), Some(12));
        assert_eq!(literal_length(b"* 1 FETCH (BODY[] {7+}\n"), Some(7));
        assert_eq!(literal_length(b"* OK done\r\n"), None);
    }

    #[test]
    fn message_id_fields() {
        assert_eq!(message_id_field(b"Message-ID: <a@b>\r\n\r\n").as_deref(), Some("<a@b>"));
        assert_eq!(message_id_field(b"message-id:\r\n  <long@b>\r\n\r\n").as_deref(), Some("<long@b>"));
        assert_eq!(message_id_field(b"\r\n"), None);
    }
}
