//! The POP3 server (RFC 1939 with CAPA, STLS, SASL and UIDL) over the INBOX of the mailstore.

mod maildrop;
mod session;

pub use session::{Pop3Locks, Pop3Session};
