//! The IMAP byte stream: command framing with literals, continuation requests, raw lines for
//! AUTHENTICATE and IDLE, spooling of large literals, buffered writes, and the STARTTLS upgrade.

use std::io;
use std::path::PathBuf;

use bushbuck_proto::imap::framer::{FrameEvent, Framer, FramerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

use super::spool::{CommandBytes, Spool, SPOOL_FROM};
use crate::stream::ClientStream;
use crate::telemetry::Telemetry;

/// What the client sent next.
pub enum Incoming {
    /// A complete command, literals included.
    Command(CommandBytes),
    /// A synchronizing literal was over the limit; the command was dropped unanswered.
    LiteralTooLarge {
        /// Tag of the dropped command (`*` when unknown).
        tag: String,
    },
    /// A line went past the length limit.
    LineTooLong,
    /// The stream cannot go on (e.g. a non-synchronizing literal over the limit).
    Fatal(String),
    /// The client closed the connection.
    Closed,
}

/// A client connection with its framer and output buffer.
pub struct Connection {
    stream: ClientStream,
    framer: Framer,
    out: Vec<u8>,
    buf: Box<[u8]>,
    telemetry: Option<Telemetry>,
    /// Where large literals are spooled (`DATA/tmp`).
    spool_dir: PathBuf,
    /// The command being spooled, if any.
    spool: Option<Spool>,
}

impl Connection {
    /// Wraps a stream with the given limits, spooling large literals (once allowed with
    /// [`Connection::set_limits`]) in `spool_dir`.
    pub fn new(stream: ClientStream, limits: FramerConfig, spool_dir: PathBuf) -> Connection {
        Connection {
            stream,
            framer: Framer::with_config(limits),
            out: Vec::with_capacity(16 * 1024),
            buf: vec![0u8; 64 * 1024].into_boxed_slice(),
            telemetry: None,
            spool_dir,
            spool: None,
        }
    }

    /// Sets the limits for the next commands and whether literals of [`SPOOL_FROM`] octets
    /// or more go to a file instead of memory. Call it between commands.
    pub fn set_limits(&mut self, limits: FramerConfig, spool: bool) {
        self.framer.set_config(limits);
        self.framer.spill_literals_from(spool.then_some(SPOOL_FROM));
    }

    /// The limits in force.
    pub fn limits(&self) -> FramerConfig {
        self.framer.config()
    }

    /// True when TLS protects the connection.
    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// Queues bytes for the client.
    pub fn write(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Records this session's traffic from now on (see [`Telemetry`]).
    pub fn record_to(&mut self, telemetry: Telemetry) {
        self.telemetry = Some(telemetry);
    }

    /// Sends what is queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            if let Some(t) = self.telemetry.as_mut() {
                t.server(&self.out);
            }
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        self.stream.flush().await
    }

    /// Reads more bytes into the framer; false at end of stream. Cancel-safe.
    async fn fill(&mut self) -> io::Result<bool> {
        let n = self.stream.read(&mut self.buf).await?;
        if n == 0 {
            return Ok(false);
        }
        if let Some(t) = self.telemetry.as_mut() {
            t.client(&self.buf[..n]);
        }
        self.framer.push(&self.buf[..n]);
        Ok(true)
    }

    /// Reads the next command, answering synchronizing literals with a continuation request.
    pub async fn read_command(&mut self) -> io::Result<Incoming> {
        loop {
            while let Some(event) = self.framer.next_event() {
                match event {
                    FrameEvent::Command(bytes) => match self.spool.take() {
                        None => return Ok(Incoming::Command(CommandBytes::Memory(bytes))),
                        Some(mut spool) => match tokio::task::block_in_place(|| {
                            spool.write(&bytes).and_then(|()| spool.finish())
                        }) {
                            Ok(bytes) => return Ok(Incoming::Command(bytes)),
                            Err(e) => return Ok(spool_failed(e)),
                        },
                    },
                    FrameEvent::Partial(piece) => {
                        // File writes may block: not on the runtime's other sessions.
                        let spooled = tokio::task::block_in_place(|| match self.spool.as_mut() {
                            Some(spool) => spool.write(&piece),
                            None => Spool::create(&self.spool_dir)
                                .and_then(|mut spool| spool.write(&piece).map(|()| spool))
                                .map(|spool| self.spool = Some(spool)),
                        });
                        if let Err(e) = spooled {
                            self.spool = None;
                            return Ok(spool_failed(e));
                        }
                    }
                    FrameEvent::NeedContinuation => {
                        self.write(b"+ Ready for literal data\r\n");
                        self.flush().await?;
                    }
                    FrameEvent::LiteralTooLarge { tag, .. } => {
                        return Ok(Incoming::LiteralTooLarge { tag: tag.unwrap_or_else(|| "*".into()) })
                    }
                    FrameEvent::LineTooLong => return Ok(Incoming::LineTooLong),
                    FrameEvent::Fatal(why) => return Ok(Incoming::Fatal(why)),
                }
            }
            if !self.fill().await? {
                return Ok(Incoming::Closed);
            }
        }
    }

    /// Reads one raw line (without CRLF); `None` at end of stream. Cancel-safe.
    pub async fn read_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            match self.framer.next_line() {
                Some(Ok(line)) => return Ok(Some(line)),
                Some(Err(_)) => return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long")),
                None => {}
            }
            if !self.fill().await? {
                return Ok(None);
            }
        }
    }

    /// Upgrades to TLS after STARTTLS, discarding anything the client pipelined in plaintext
    /// (so it cannot be injected into the protected session).
    pub async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        self.framer.reset();
        self.spool = None;
        self.stream.upgrade(acceptor).await
    }
}

/// A literal could not be written to its file: the stream cannot be resynchronised.
fn spool_failed(e: io::Error) -> Incoming {
    tracing::error!(error = %e, "cannot spool a large literal to the data directory's tmp/");
    Incoming::Fatal("Server cannot store this command now (out of disk space?); try again later".into())
}
