//! `THREAD algorithm charset search-keys` (RFC 5256 4).

use super::command::{Command, ThreadAlgorithm};
use super::lexer::{Cursor, PResult};
use super::parser::shorten;
use super::search_parser::read_search_program;

/// Reads the arguments of THREAD or UID THREAD, after the command name.
pub(crate) fn read_thread(c: &mut Cursor<'_>, uid: bool) -> PResult<Command> {
    c.sp("threading algorithm")?;
    let name = c.keyword("threading algorithm")?;
    let algorithm = match name.as_str() {
        "ORDEREDSUBJECT" => ThreadAlgorithm::OrderedSubject,
        "REFERENCES" => ThreadAlgorithm::References,
        "REFS" => ThreadAlgorithm::Refs,
        other => {
            return Err(format!(
                "Unknown threading algorithm {} (use ORDEREDSUBJECT, REFERENCES or REFS)",
                shorten(other)
            ))
        }
    };
    c.sp("charset")?;
    let charset = String::from_utf8_lossy(&c.astring("charset")?).to_ascii_uppercase();
    c.sp("search key")?;
    let search = read_search_program(c)?;
    Ok(Command::Thread { uid, algorithm, charset, search })
}
