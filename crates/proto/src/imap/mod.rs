//! IMAP4rev1 / IMAP4rev2: command framing, parsing, modified UTF-7 and response writing.

mod admin_parser;
pub mod command;
pub mod datetime;
mod fetch_parser;
pub mod framer;
mod lexer;
pub mod mutf7;
pub mod parser;
mod partial;
pub mod response;
mod search_parser;
pub mod sequence;
mod thread_parser;
