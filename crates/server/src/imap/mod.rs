//! The IMAP server: IMAP4rev1 (RFC 3501) with the extensions real clients use.

mod admin;
mod append;
mod auth;
mod connection;
mod copy;
mod fetch;
mod flags;
mod idle;
mod list;
mod mailbox_name;
mod mailboxes;
mod pattern;
mod quota;
mod search;
mod select;
mod selected;
mod sequence;
mod session;
mod sort;
mod wire;

pub use session::Session;
