//! The POP3 server (RFC 1939 with CAPA, STLS, SASL and UIDL) over the INBOX of the mailstore.

mod maildrop;
mod maildrop_lock;
mod session;

pub use maildrop_lock::Pop3Locks;
pub use session::Pop3Session;
