//! The transport under a connection: plain TCP, or TLS with rustls after the handshake.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

/// A connection's byte stream.
pub(super) enum Stream {
    /// Plain TCP (before STARTTLS, or never protected).
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// Left behind while the plain stream is being upgraded.
    Closed,
}

impl Stream {
    /// Upgrades a plain stream with a TLS handshake for `host`; `advice` follows the error
    /// when the handshake fails (most often over the server's certificate).
    pub(super) fn start_tls(
        &mut self,
        host: &str,
        config: Arc<ClientConfig>,
        advice: &str,
    ) -> Result<(), String> {
        let Stream::Plain(mut tcp) = std::mem::replace(self, Stream::Closed) else {
            return Err("TLS is already active".into());
        };
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| format!("{host} is not a valid host name for TLS"))?;
        let mut tls = ClientConnection::new(config, name).map_err(|e| format!("TLS: {e}"))?;
        while tls.is_handshaking() {
            tls.complete_io(&mut tcp)
                .map_err(|e| format!("TLS handshake with {host} failed: {e}; {advice}"))?;
        }
        *self = Stream::Tls(Box::new(StreamOwned::new(tls, tcp)));
        Ok(())
    }
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
