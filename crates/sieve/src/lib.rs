//! Sieve mail filtering for Bushbuck (RFC 5228 and extensions), pure code without I/O.
//!
//! [`parse_script`] lexes, parses and validates a script into a [`Script`]; [`evaluate`]
//! runs it against a [`MessageContext`] in an [`Environment`] under [`Limits`] and returns
//! an [`Outcome`]: the actions to perform (implicit keep included), header edits to apply
//! with [`apply_edits`], and runtime errors (after which the outcome is a plain keep).
//!
//! Supported extensions: see [`SUPPORTED_EXTENSIONS`]. `regex` is refused.

pub mod actions;
pub mod address;
pub mod ast;
pub mod env;
pub mod error;
pub mod extensions;
pub mod headers;
pub mod includes;
pub mod interpret;
pub mod lexer;
pub mod matching;
pub mod parser;
pub mod program;
pub mod validate;

pub use actions::{Action, HeaderEdit, Outcome};
pub use env::{
    DuplicateTracker, Environment, Limits, Location, MailboxChecker, MessageContext, NoState, ScriptLoader,
    VacationTracker,
};
pub use error::{ParseError, RuntimeError};
pub use extensions::editheader::apply_edits;
pub use includes::check_includes;
pub use interpret::evaluate;
pub use program::Script;
pub use validate::SUPPORTED_EXTENSIONS;

/// Parses and validates a script. Scripts larger than `limits.max_script_size` are refused
/// before lexing.
pub fn parse_script(src: &str, limits: &Limits) -> Result<Script, ParseError> {
    if src.len() > limits.max_script_size {
        return Err(ParseError::new(
            1,
            1,
            format!("script is {} bytes, over the limit of {}", src.len(), limits.max_script_size),
        ));
    }
    let tree = parser::parse_tree(src)?;
    validate::validate(tree)
}

/// Like [`parse_script`] for raw bytes: the script must be UTF-8.
pub fn parse_script_bytes(src: &[u8], limits: &Limits) -> Result<Script, ParseError> {
    if src.len() > limits.max_script_size {
        return Err(ParseError::new(
            1,
            1,
            format!("script is {} bytes, over the limit of {}", src.len(), limits.max_script_size),
        ));
    }
    match std::str::from_utf8(src) {
        Ok(s) => parse_script(s, limits),
        Err(e) => {
            let before = &src[..e.valid_up_to()];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let col_start = before.iter().rposition(|&b| b == b'\n').map(|p| p + 1).unwrap_or(0);
            let column = String::from_utf8_lossy(&before[col_start..]).chars().count() + 1;
            Err(ParseError::new(line, column, "script is not valid UTF-8"))
        }
    }
}
