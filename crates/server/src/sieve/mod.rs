//! Server-side filtering: users' Sieve scripts, running them at delivery, and sending what
//! they send (redirects, vacation replies).

pub mod filter;
mod redirect_mark;
pub mod scripts;
mod smtp;
