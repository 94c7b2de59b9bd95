//! Bushbuck's blocking IMAP client, shared by `bushbuck admin` and `bushbuck import imap`:
//! a connection over plain TCP, STARTTLS or implicit TLS (`connection.rs`, `stream.rs`), commands whose
//! strings go as quoted strings or literals (`request.rs`), and the untagged data of the answer
//! (`reply.rs`) read into values (`value.rs`).

mod connection;
mod reply;
mod request;
mod stream;
mod value;

pub use connection::{Advice, Connection, Security};
pub use reply::Reply;
pub use request::Request;
pub use value::{parse, Value};

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Error {
    /// The connection is unusable (network, TLS, protocol, login set-up): the caller must stop.
    Connection(String),
    /// The server refused the command (its `NO` or `BAD` text), or it could not be sent as
    /// asked: the connection can go on with the next command.
    Command(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Connection(m) | Error::Command(m) => f.write_str(m),
        }
    }
}
