//! Extension-specific helpers used by the validator and the interpreter.

pub mod body;
pub mod date;
pub mod editheader;
pub mod encoded;
pub mod flags;
pub mod vacation;
pub mod variables;
