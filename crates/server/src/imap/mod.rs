//! The IMAP server: IMAP4rev1 (RFC 3501) with the extensions real clients use.

mod access;
mod acl;
mod admin;
mod append;
mod auth;
mod connection;
mod contexts;
mod copy;
mod esearch;
mod fetch;
mod flags;
mod idle;
mod list;
mod mailbox_flags;
pub(crate) mod mailbox_name;
mod mailboxes;
mod message_table;
mod pattern;
mod qresync;
mod quota;
mod search;
mod seen;
mod select;
mod selected;
mod sequence;
mod session;
mod sort;
mod spool;
mod table_cache;
mod thread;
mod thread_command;
mod visible;
mod wire;

pub use session::Session;
pub use table_cache::TableCache;
