//! Wire grammars of Bushbuck: IMAP, POP3, LMTP, ManageSieve and PROXY-protocol parsers and response writers, without I/O.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod imap;
pub mod lmtp;
pub mod managesieve;
pub mod pop3;
pub mod proxy;
