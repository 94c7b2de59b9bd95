//! Server-side filtering: users' Sieve scripts, running them at delivery, and sending what
//! they send (redirects, vacation replies).

pub mod filter;
mod redirect_mark;
mod script_files;
mod script_table;
pub mod scripts;
mod smtp;
