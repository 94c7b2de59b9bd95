//! The remote side of `bushbuck import imap`: what importing asks of the other server
//! (NAMESPACE, LIST, EXAMINE, UID FETCH), over the shared IMAP connection.

use bushbuck_proto::imap::{datetime, mutf7, response as writer};

use crate::imap_client::{Advice, Connection, Error, Reply, Request, Security, Value};
use crate::tls_client;

/// What importing suggests when it cannot connect.
const ADVICE: Advice = Advice {
    unreachable: "",
    certificate: "a self-signed certificate needs --insecure",
    no_starttls: "use --tls with its IMAPS port, or leave out --starttls",
};

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

/// A logged-in (or about to be) session with the remote server.
pub struct Client {
    conn: Connection,
}

impl Client {
    /// Connects, reads the greeting and protects the connection as `security` asks.
    pub fn connect(host: &str, port: u16, security: Security, insecure: bool) -> Result<Client, String> {
        let tls = tls_client::client_config(insecure, None)?;
        let conn = Connection::open(host, port, security, tls, ADVICE).map_err(|e| e.to_string())?;
        Ok(Client { conn })
    }

    /// Logs in with LOGIN (the connection then learns the capabilities of the authenticated
    /// state).
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), String> {
        self.conn.login(user, password).map_err(|e| match e {
            Error::Command(text) => format!(
                "LOGIN refused by the server: {text} (check the user and password; a server \
                 refusing plaintext wants --tls or --starttls)"
            ),
            Error::Connection(why) => why,
        })
    }

    /// The server's namespaces; one personal namespace without prefix when it has no
    /// NAMESPACE command.
    pub fn namespaces(&mut self) -> Result<Namespaces, String> {
        if !self.conn.has_capability("NAMESPACE") {
            return Ok(Namespaces { personal: vec![String::new()], foreign: Vec::new() });
        }
        let reply = self.run(Request::new("NAMESPACE"))?;
        let Some(values) = reply.data("NAMESPACE").map_err(|e| e.to_string())?.pop() else {
            return Ok(Namespaces::default());
        };
        let prefixes = |v: Option<&Value>| -> Vec<String> {
            let namespaces = v.map(Value::items).unwrap_or_default();
            namespaces.iter().filter_map(|ns| ns.items().first()?.bytes().map(decode_name)).collect()
        };
        Ok(Namespaces {
            personal: prefixes(values.first()),
            foreign: prefixes(values.get(1)).into_iter().chain(prefixes(values.get(2))).collect(),
        })
    }

    /// Every folder (`LIST "" "*"`).
    pub fn list(&mut self) -> Result<Vec<Folder>, String> {
        let reply = self.run(Request::new("LIST").string(b"").string(b"*"))?;
        let mut out = Vec::new();
        for values in reply.data("LIST").map_err(|e| e.to_string())? {
            let attributes: Vec<String> =
                values.first().map(Value::items).unwrap_or_default().iter().filter_map(Value::text).collect();
            let raw = values.get(2).and_then(Value::bytes).ok_or("LIST reply without a name")?.to_vec();
            let selectable = !attributes
                .iter()
                .any(|a| a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent"));
            out.push(Folder {
                name: decode_name(&raw),
                raw,
                delimiter: values.get(1).and_then(delimiter),
                selectable,
            });
        }
        Ok(out)
    }

    /// Opens a folder read-only; returns (UIDVALIDITY, number of messages).
    pub fn examine(&mut self, folder: &Folder) -> Result<(u32, u32), String> {
        let in_folder = |e: String| format!("{}: {e}", folder.name);
        let reply = self.run(Request::new("EXAMINE").string(&folder.raw)).map_err(in_folder)?;
        let codes = reply.data("OK").map_err(|e| in_folder(e.to_string()))?;
        let uid_validity = codes
            .iter()
            .filter_map(|values| values.first()?.text())
            .find_map(|code| code.strip_prefix("[UIDVALIDITY ")?.strip_suffix(']')?.trim().parse().ok())
            .ok_or_else(|| in_folder("the server sent no UIDVALIDITY".into()))?;
        let exists = reply.numbered("EXISTS").map_err(|e| in_folder(e.to_string()))?;
        let exists = exists.last().map_or(0, |(n, _)| u32::try_from(*n).unwrap_or(u32::MAX));
        Ok((uid_validity, exists))
    }

    /// UID, size and Message-ID of the messages above `after_uid`, ascending.
    pub fn list_messages(&mut self, after_uid: u32) -> Result<Vec<Listed>, String> {
        let range = format!("{}:*", after_uid.saturating_add(1));
        let items = "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])";
        let reply = self.run(Request::new("UID FETCH").raw(&range).raw(items))?;
        let mut out = Vec::new();
        for items in fetch_items(&reply)? {
            let uid = uid_of(&items)?;
            let size = item(&items, "RFC822.SIZE").and_then(Value::number).unwrap_or(0);
            let header =
                items.iter().find(|(k, _)| k.starts_with("BODY[HEADER.FIELDS")).and_then(|(_, v)| v.bytes());
            // "n:*" names the last message even when its UID is below n.
            if uid > after_uid {
                out.push(Listed { uid, size, message_id: header.and_then(message_id_field) });
            }
        }
        out.sort_by_key(|l| l.uid);
        Ok(out)
    }

    /// Flags, INTERNALDATE and octets of the given UIDs, ascending by UID.
    pub fn fetch(&mut self, uids: &[u32]) -> Result<Vec<Fetched>, String> {
        let set = writer::sequence_set(uids);
        let request = Request::new("UID FETCH").raw(&set).raw("(UID FLAGS INTERNALDATE BODY.PEEK[])");
        let reply = self.run(request)?;
        let mut out = Vec::with_capacity(uids.len());
        for items in fetch_items(&reply)? {
            let uid = uid_of(&items)?;
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
        }
        out.sort_by_key(|f| f.uid);
        Ok(out)
    }

    /// Says goodbye (errors are of no interest any more).
    pub fn logout(self) {
        self.conn.logout();
    }

    /// Runs a command; a refusal names it.
    fn run(&mut self, request: Request) -> Result<Reply, String> {
        let name = request.name().to_string();
        self.conn.command(request).map_err(|e| match e {
            Error::Command(text) => format!("{name} refused by the server: {text}"),
            Error::Connection(why) => why,
        })
    }
}

/// A mailbox name from the wire: modified UTF-7, or taken as UTF-8 when it is not valid.
fn decode_name(raw: &[u8]) -> String {
    mutf7::decode(raw).unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
}

/// A hierarchy delimiter value (a one-character string, or NIL).
fn delimiter(v: &Value) -> Option<char> {
    v.text().and_then(|t| t.chars().next())
}

/// The (upper-case name, value) pairs of each `* n FETCH (...)` response.
fn fetch_items(reply: &Reply) -> Result<Vec<Vec<(String, Value)>>, String> {
    let fetches = reply.numbered("FETCH").map_err(|e| e.to_string())?;
    let pairs = |values: &[Value]| -> Vec<(String, Value)> {
        let items = values.first().map(Value::items).unwrap_or_default();
        items
            .chunks(2)
            .filter_map(|kv| Some((kv[0].text()?.to_ascii_uppercase(), kv.get(1)?.clone())))
            .collect()
    };
    Ok(fetches.iter().map(|(_, values)| pairs(values)).collect())
}

/// The value of the item `name` among a FETCH response's pairs.
fn item<'a>(items: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    items.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The UID among a FETCH response's pairs.
fn uid_of(items: &[(String, Value)]) -> Result<u32, String> {
    let uid = item(items, "UID").and_then(Value::number).ok_or("FETCH reply without UID")?;
    u32::try_from(uid).map_err(|_| format!("FETCH reply with UID {uid} out of range"))
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
    fn message_id_fields() {
        assert_eq!(message_id_field(b"Message-ID: <a@b>\r\n\r\n").as_deref(), Some("<a@b>"));
        assert_eq!(message_id_field(b"message-id:\r\n  <long@b>\r\n\r\n").as_deref(), Some("<long@b>"));
        assert_eq!(message_id_field(b"\r\n"), None);
    }

    #[test]
    fn fetch_items_by_upper_case_name() {
        let line = b"* 2 FETCH (uid 9 FLAGS (\\Seen) BODY[] {3}\r\nabc)\r\n".to_vec();
        let reply = Reply::new(vec![line, b"* 3 EXPUNGE\r\n".to_vec()]);
        let items = fetch_items(&reply).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(uid_of(&items[0]), Ok(9));
        assert_eq!(item(&items[0], "BODY[]").and_then(Value::bytes), Some(&b"abc"[..]));
        assert!(uid_of(&[]).is_err());
    }
}
