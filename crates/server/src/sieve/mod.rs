//! Server-side filtering: users' Sieve scripts, running them at delivery, and sending what
//! they send (redirects, vacation replies).

pub mod filter;
pub mod scripts;
mod smtp;
