//! Error types: compile-time errors with a position, runtime errors with a message.

use std::fmt;

/// A lexing, parsing or validation error at a position in the script (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Line of the offending token, starting at 1.
    pub line: usize,
    /// Column (in characters) of the offending token, starting at 1.
    pub column: usize,
    /// What went wrong.
    pub message: String,
}

impl ParseError {
    /// Builds an error at `line`/`column`.
    pub fn new(line: usize, column: usize, message: impl Into<String>) -> Self {
        ParseError { line, column, message: message.into() }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// An error raised while running a script; the caller falls back to keeping the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeError {
    /// Line of the command that failed (0 when unknown).
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for RuntimeError {}
