//! Tiny IMAP and LMTP clients: enough protocol to drive a server and count what comes back.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

fn err(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

/// Refuses any address that is not loopback: benchmarks only ever target this machine.
pub fn check_loopback(addr: &str) -> io::Result<()> {
    use std::net::ToSocketAddrs;
    for a in addr.to_socket_addrs()? {
        if !a.ip().is_loopback() {
            return Err(err(format!("{addr}: only loopback addresses are benchmark targets")));
        }
    }
    Ok(())
}

pub async fn connect(addr: &str) -> io::Result<BufReader<TcpStream>> {
    connect_from(addr, None).await
}

/// Connects from the loopback address `source` (any 127.x on Linux), or from the default one.
pub async fn connect_from(addr: &str, source: Option<IpAddr>) -> io::Result<BufReader<TcpStream>> {
    use std::net::ToSocketAddrs;
    check_loopback(addr)?;
    let target = addr.to_socket_addrs()?.next().ok_or_else(|| err(format!("{addr}: no address")))?;
    let socket = if target.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if let Some(source) = source {
        if !source.is_loopback() {
            return Err(err(format!("{source}: only loopback source addresses")));
        }
        socket.bind(SocketAddr::new(source, 0))?;
    }
    let s = tokio::time::timeout(Duration::from_secs(30), socket.connect(target))
        .await
        .map_err(|_| err("connect timeout"))??;
    s.set_nodelay(true)?;
    Ok(BufReader::with_capacity(64 * 1024, s))
}

/// The end of one IMAP command.
pub struct Reply {
    /// OK, NO or BAD.
    pub status: String,
    /// The tagged line.
    pub text: String,
    /// Untagged lines (first 512 octets each), when asked for.
    pub untagged: Vec<String>,
    /// Octets read, literals included.
    pub bytes: usize,
}

impl Reply {
    /// A reply whose tagged line is `line` (tag included); its status is the word after the tag.
    pub(crate) fn tagged(tag: &str, line: &[u8], untagged: Vec<String>, bytes: usize) -> Reply {
        let text = String::from_utf8_lossy(line).trim_end().to_string();
        let status =
            text.get(tag.len() + 1..).unwrap_or("").split(' ').next().unwrap_or("").to_ascii_uppercase();
        Reply { status, text, untagged, bytes }
    }
    pub fn ok(&self) -> bool {
        self.status == "OK"
    }
    /// N of `* N EXISTS`, the last one seen.
    pub fn exists(&self) -> Option<u64> {
        self.untagged.iter().rev().find_map(|l| {
            let mut it = l.split_ascii_whitespace();
            let (_, n, w) = (it.next()?, it.next()?, it.next()?);
            if w.eq_ignore_ascii_case("EXISTS") {
                n.parse().ok()
            } else {
                None
            }
        })
    }
    /// Numbers of `* SEARCH` lines.
    pub fn search_count(&self) -> usize {
        self.untagged
            .iter()
            .filter(|l| l.len() > 8 && l[..8].eq_ignore_ascii_case("* SEARCH"))
            .map(|l| l.split_ascii_whitespace().count() - 2)
            .sum()
    }
}

pub struct Imap {
    io: BufReader<TcpStream>,
    tag: u64,
    line: Vec<u8>,
    /// Timeout for one reply.
    pub timeout: Duration,
}

/// `{N}` or `{N+}` at the end of a line (before CRLF): N.
fn literal_len(line: &[u8]) -> Option<usize> {
    let l = line.strip_suffix(b"\r\n").or_else(|| line.strip_suffix(b"\n"))?;
    let l = l.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&c| c == b'{')?;
    let digits = &l[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

impl Imap {
    pub async fn connect(addr: &str) -> io::Result<Imap> {
        Imap::connect_from(addr, None).await
    }

    /// Connects from a given loopback source address; a greeting other than OK is an error
    /// starting with "greeting:".
    pub async fn connect_from(addr: &str, source: Option<IpAddr>) -> io::Result<Imap> {
        let io = connect_from(addr, source).await?;
        let mut c = Imap { io, tag: 0, line: Vec::new(), timeout: Duration::from_secs(600) };
        c.read_line().await?;
        if !c.line.starts_with(b"* OK") && !c.line.starts_with(b"* PREAUTH") {
            return Err(err(format!("greeting: {}", String::from_utf8_lossy(&c.line))));
        }
        Ok(c)
    }

    async fn read_line(&mut self) -> io::Result<()> {
        self.line.clear();
        let n = self.io.read_until(b'\n', &mut self.line).await?;
        if n == 0 {
            return Err(err("connection closed by server"));
        }
        Ok(())
    }

    /// Reads one whole response (line plus literals); returns its first line and octets.
    async fn read_response(&mut self, first: &mut Vec<u8>) -> io::Result<usize> {
        self.read_line().await?;
        first.clear();
        first.extend_from_slice(&self.line[..self.line.len().min(512)]);
        let mut bytes = self.line.len();
        while let Some(n) = literal_len(&self.line) {
            let mut left = n;
            let mut buf = [0u8; 16 * 1024];
            while left > 0 {
                let k = left.min(buf.len());
                self.io.read_exact(&mut buf[..k]).await?;
                left -= k;
            }
            bytes += n;
            self.read_line().await?;
            bytes += self.line.len();
            if first.len() < 512 {
                let room = 512 - first.len();
                first.extend_from_slice(&self.line[..self.line.len().min(room)]);
            }
        }
        Ok(bytes)
    }

    fn next_tag(&mut self) -> String {
        self.tag += 1;
        format!("a{}", self.tag)
    }

    async fn finish(&mut self, tag: &str, keep: bool) -> io::Result<Reply> {
        let timeout = self.timeout;
        let fut = async {
            let mut bytes = 0;
            let mut untagged = Vec::new();
            let mut first = Vec::new();
            loop {
                bytes += self.read_response(&mut first).await?;
                if first.starts_with(tag.as_bytes()) && first.get(tag.len()) == Some(&b' ') {
                    return Ok(Reply::tagged(tag, &first, untagged, bytes));
                }
                if keep && first.starts_with(b"*") {
                    untagged.push(String::from_utf8_lossy(&first).trim_end().to_string());
                }
            }
        };
        tokio::time::timeout(timeout, fut).await.map_err(|_| err("reply timeout"))?
    }

    /// Sends `command` (without tag and CRLF) and reads to its tagged reply.
    pub async fn cmd(&mut self, command: &str, keep: bool) -> io::Result<Reply> {
        let tag = self.next_tag();
        let line = format!("{tag} {command}\r\n");
        self.io.get_mut().write_all(line.as_bytes()).await?;
        self.finish(&tag, keep).await
    }

    pub async fn login(&mut self, user: &str, pass: &str) -> io::Result<()> {
        let r = self.cmd(&format!("LOGIN \"{user}\" \"{pass}\""), false).await?;
        if !r.ok() {
            return Err(err(format!("LOGIN {user}: {}", r.text)));
        }
        Ok(())
    }

    /// APPEND with a synchronizing literal.
    pub async fn append(&mut self, mailbox: &str, flags: &str, message: &[u8]) -> io::Result<Reply> {
        let tag = self.next_tag();
        let line = format!("{tag} APPEND \"{mailbox}\" ({flags}) {{{}}}\r\n", message.len());
        self.io.get_mut().write_all(line.as_bytes()).await?;
        let mut first = Vec::new();
        self.read_response(&mut first).await?;
        if !first.starts_with(b"+") {
            if first.starts_with(tag.as_bytes()) {
                // Refused before the literal (NO or BAD): the message is not sent.
                return Ok(Reply::tagged(&tag, &first, vec![], first.len()));
            }
            let text = String::from_utf8_lossy(&first).trim_end().to_string();
            return Err(err(format!("APPEND: no continuation: {text}")));
        }
        let w = self.io.get_mut();
        w.write_all(message).await?;
        w.write_all(b"\r\n").await?;
        self.finish(&tag, false).await
    }

    /// Starts IDLE and waits for the continuation; returns the tag for [`Imap::idle_done`].
    pub async fn idle(&mut self) -> io::Result<String> {
        let tag = self.next_tag();
        self.io.get_mut().write_all(format!("{tag} IDLE\r\n").as_bytes()).await?;
        let mut first = Vec::new();
        loop {
            self.read_response(&mut first).await?;
            if first.starts_with(b"+") {
                return Ok(tag);
            }
            if first.starts_with(tag.as_bytes()) {
                return Err(err(format!("IDLE: {}", String::from_utf8_lossy(&first))));
            }
        }
    }

    /// Ends the IDLE started with `tag` (sends DONE) and reads its tagged reply.
    pub async fn idle_done(&mut self, tag: &str) -> io::Result<Reply> {
        self.io.get_mut().write_all(b"DONE\r\n").await?;
        self.finish(tag, false).await
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.io.get_mut().write_all(bytes).await
    }
}

/// An LMTP client session.
pub struct Lmtp {
    io: BufReader<TcpStream>,
    line: Vec<u8>,
}

impl Lmtp {
    pub async fn connect(addr: &str) -> io::Result<Lmtp> {
        let io = connect(addr).await?;
        let mut c = Lmtp { io, line: Vec::new() };
        let (code, text) = c.reply().await?;
        if code != 220 {
            return Err(err(format!("LMTP greeting: {text}")));
        }
        c.expect("LHLO loadgen.example.org", 250).await?;
        Ok(c)
    }

    /// Reads one (possibly multi-line) reply.
    async fn reply(&mut self) -> io::Result<(u16, String)> {
        let fut = async {
            let mut text = String::new();
            loop {
                self.line.clear();
                if self.io.read_until(b'\n', &mut self.line).await? == 0 {
                    return Err(err("LMTP connection closed"));
                }
                let l = String::from_utf8_lossy(&self.line).trim_end().to_string();
                let code: u16 =
                    l.get(..3).and_then(|c| c.parse().ok()).ok_or_else(|| err(format!("bad reply {l}")))?;
                text.push_str(&l);
                if l.as_bytes().get(3) != Some(&b'-') {
                    return Ok((code, text));
                }
                text.push('\n');
            }
        };
        tokio::time::timeout(Duration::from_secs(120), fut).await.map_err(|_| err("LMTP reply timeout"))?
    }

    async fn expect(&mut self, line: &str, code: u16) -> io::Result<()> {
        self.io.get_mut().write_all(format!("{line}\r\n").as_bytes()).await?;
        let (c, text) = self.reply().await?;
        if c != code {
            return Err(err(format!("{line}: {text}")));
        }
        Ok(())
    }

    /// One transaction with one recipient; returns once the server accepted the message.
    pub async fn deliver(&mut self, from: &str, to: &str, message: &[u8]) -> io::Result<()> {
        self.expect(&format!("MAIL FROM:<{from}>"), 250).await?;
        self.expect(&format!("RCPT TO:<{to}>"), 250).await?;
        self.expect("DATA", 354).await?;
        let mut data = Vec::with_capacity(message.len() + 64);
        for line in message.split_inclusive(|&c| c == b'\n') {
            if line.first() == Some(&b'.') {
                data.push(b'.');
            }
            data.extend_from_slice(line);
        }
        if !data.ends_with(b"\r\n") {
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b".\r\n");
        self.io.get_mut().write_all(&data).await?;
        let (c, text) = self.reply().await?;
        if c != 250 {
            return Err(err(format!("DATA: {text}")));
        }
        Ok(())
    }

    pub async fn quit(mut self) {
        let _ = self.io.get_mut().write_all(b"QUIT\r\n").await;
        let _ = self.reply().await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn literal_len() {
        assert_eq!(super::literal_len(b"* 1 FETCH (BODY[] {12}\r\n"), Some(12));
        assert_eq!(super::literal_len(b"* 1 FETCH (BODY[] {12+}\r\n"), Some(12));
        assert_eq!(super::literal_len(b"* OK {x}\r\n"), None);
        assert_eq!(super::literal_len(b"* OK\r\n"), None);
    }
}
