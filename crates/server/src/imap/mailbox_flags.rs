//! The FLAGS and PERMANENTFLAGS responses of a selected mailbox: sent by SELECT, and again
//! whenever a keyword the session has not been told of appears (RFC 3501 7.2.6), so that no
//! FETCH shows a flag missing from the last FLAGS response.

use super::session::Session;
use crate::acl::Rights;

/// The system flags every mailbox supports.
const SYSTEM_FLAGS: &str = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

/// PERMANENTFLAGS for these rights: \Seen with `s`, \Deleted with `t`, the other flags and
/// new keywords with `w` (RFC 4314 section 4).
fn permanent_flags(rights: Rights, keywords: &str) -> String {
    let mut flags = Vec::new();
    if rights.contains(Rights::WRITE) {
        flags.extend(["\\Answered", "\\Flagged"]);
    }
    if rights.contains(Rights::DELETE_MESSAGES) {
        flags.push("\\Deleted");
    }
    if rights.contains(Rights::SEEN) {
        flags.push("\\Seen");
    }
    if rights.contains(Rights::WRITE) {
        flags.push("\\Draft");
        if !keywords.is_empty() {
            flags.push(keywords);
        }
        flags.push("\\*");
    }
    flags.join(" ")
}

/// Adds to `known` the keywords among `flags` it lacks (keywords compare without regard to
/// case); true when any was added.
pub fn learn_keywords<'a>(known: &mut Vec<String>, flags: impl IntoIterator<Item = &'a String>) -> bool {
    let mut grew = false;
    for flag in flags {
        if !flag.starts_with('\\') && !known.iter().any(|k| k.eq_ignore_ascii_case(flag)) {
            known.push(flag.clone());
            grew = true;
        }
    }
    grew
}

impl Session {
    /// Writes `* FLAGS (...)` and `* OK [PERMANENTFLAGS (...)]` for the mailbox being
    /// viewed with these rights and keywords.
    pub(super) fn announce_flags(&mut self, rights: Rights, read_only: bool, keywords: &[String]) {
        let keywords = keywords.join(" ");
        let sep = if keywords.is_empty() { "" } else { " " };
        self.untagged(&format!("FLAGS ({SYSTEM_FLAGS}{sep}{keywords})"));
        if read_only {
            self.untagged("OK [PERMANENTFLAGS ()] Read-only mailbox");
        } else {
            let permitted = permanent_flags(rights, &keywords);
            self.untagged(&format!("OK [PERMANENTFLAGS ({permitted})] Flags permitted"));
        }
    }

    /// Announces FLAGS and PERMANENTFLAGS again when the selected mailbox's view learnt a
    /// keyword in `flags` (a STORE's or another session's change, a new message).
    pub(super) fn announce_new_keywords<'a>(&mut self, flags: impl IntoIterator<Item = &'a String>) {
        let Some(view) = self.selected.as_mut() else {
            return;
        };
        if learn_keywords(&mut view.keywords, flags) {
            let (rights, read_only, keywords) = (view.rights, view.read_only, view.keywords.clone());
            self.announce_flags(rights, read_only, &keywords);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_learnt_once_without_regard_to_case() {
        let mut known = vec!["$Work".to_string()];
        let flags = ["\\Seen".to_string(), "$work".to_string(), "$Hello".to_string()];
        assert!(learn_keywords(&mut known, &flags));
        assert_eq!(known, ["$Work", "$Hello"]);
        assert!(!learn_keywords(&mut known, &["$HELLO".to_string()]));
    }
}
