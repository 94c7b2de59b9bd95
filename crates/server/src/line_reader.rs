//! Line-oriented reading over a client stream, for POP3 (and other line protocols), with a
//! length limit and a STARTTLS-style upgrade that drops pipelined plaintext.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

use crate::stream::ClientStream;

/// What reading a line gave.
pub enum Line {
    /// A line: without its line end from [`LineConnection::read_line`], with it from
    /// [`LineConnection::read_line_with_end`].
    Text(Vec<u8>),
    /// The line went past the limit; the connection should be closed.
    TooLong,
    /// The client closed the connection.
    Closed,
}

/// A buffered line reader and writer.
pub struct LineConnection {
    stream: ClientStream,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    max_line: usize,
}

impl LineConnection {
    /// Wraps a stream; lines longer than `max_line` octets are refused.
    pub fn new(stream: ClientStream, max_line: usize) -> LineConnection {
        LineConnection { stream, inbuf: Vec::new(), out: Vec::new(), max_line }
    }

    /// Changes the longest line accepted from now on (LMTP: commands, then DATA lines).
    pub fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line;
    }

    /// True when TLS protects the connection.
    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// Queues bytes for the client.
    pub fn write(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Sends what is queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        self.stream.flush().await
    }

    /// Reads the next line (CRLF or bare LF ended), without its line end.
    pub async fn read_line(&mut self) -> io::Result<Line> {
        let line = self.read_line_with_end().await?;
        Ok(match line {
            Line::Text(mut line) => {
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                Line::Text(line)
            }
            other => other,
        })
    }

    /// Reads the next line up to and including its LF, as received (for LMTP DATA, where
    /// only CRLF ends a line).
    pub async fn read_line_with_end(&mut self) -> io::Result<Line> {
        // Room for the line end besides `max_line` octets of content.
        let longest = self.max_line + 2;
        let mut scanned = 0;
        loop {
            if let Some(i) = self.inbuf[scanned..].iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.inbuf.drain(..=scanned + i).collect();
                let content = line.len() - 1 - usize::from(line.ends_with(b"\r\n"));
                if content > self.max_line {
                    return Ok(Line::TooLong);
                }
                return Ok(Line::Text(line));
            }
            scanned = self.inbuf.len();
            if self.inbuf.len() > longest {
                return Ok(Line::TooLong);
            }
            let mut buf = [0u8; 8192];
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Ok(Line::Closed);
            }
            self.inbuf.extend_from_slice(&buf[..n]);
        }
    }

    /// Upgrades to TLS, discarding anything pipelined before the handshake.
    pub async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        self.inbuf.clear();
        self.stream.upgrade(acceptor).await
    }
}
