//! The LMTP server (RFC 2033): an MTA hands over mail, one reply per recipient after DATA.

mod session;

pub use session::LmtpSession;
