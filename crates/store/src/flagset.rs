//! Message flags: system flags as a bitmask in canonical spelling, keywords as a list
//! compared case-insensitively. `\Recent` is per session and never stored.

use crate::api::FlagChange;
use crate::error::{Result, StoreError};

/// `\Seen`.
pub(crate) const SEEN: i64 = 1;
/// `\Deleted`.
pub(crate) const DELETED: i64 = 8;

/// System flags in canonical spelling and their bits, in the order they are reported.
const SYSTEM: [(&str, i64); 5] =
    [("\\Seen", SEEN), ("\\Answered", 2), ("\\Flagged", 4), ("\\Deleted", DELETED), ("\\Draft", 16)];

/// A set of flags: system bits plus keywords (no two equal ignoring case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    /// Bitmask of system flags.
    pub system: i64,
    /// Keywords in their stored spelling.
    pub keywords: Vec<String>,
}

impl Flags {
    /// Parses flags given by a client: canonicalises system flags, drops `\Recent`, refuses
    /// unknown `\` flags and malformed keywords, removes duplicate keywords.
    pub(crate) fn parse(flags: &[String]) -> Result<Flags> {
        let mut out = Flags::default();
        for flag in flags {
            if let Some(name) = flag.strip_prefix('\\') {
                if name.eq_ignore_ascii_case("Recent") {
                    continue;
                }
                let bit = SYSTEM.iter().find(|(n, _)| n[1..].eq_ignore_ascii_case(name)).map(|(_, b)| *b);
                match bit {
                    Some(bit) => out.system |= bit,
                    None => return Err(StoreError::NotPossible(format!("unknown system flag {flag}"))),
                }
            } else {
                if !is_keyword(flag) {
                    return Err(StoreError::NotPossible(format!("invalid keyword {flag:?}")));
                }
                if !out.has_keyword(flag) {
                    out.keywords.push(flag.clone());
                }
            }
        }
        Ok(out)
    }

    /// Rebuilds flags from the index columns.
    pub(crate) fn from_columns(system: i64, keywords: &str) -> Flags {
        Flags { system, keywords: keywords.split(' ').filter(|k| !k.is_empty()).map(String::from).collect() }
    }

    /// The keywords column: keywords separated by spaces (atoms never contain one).
    pub(crate) fn keywords_column(&self) -> String {
        self.keywords.join(" ")
    }

    /// Whether a keyword equal ignoring case is in the set.
    pub(crate) fn has_keyword(&self, keyword: &str) -> bool {
        self.keywords.iter().any(|k| k.eq_ignore_ascii_case(keyword))
    }

    /// The flags as the API reports them: system flags first, then keywords.
    pub(crate) fn to_strings(&self) -> Vec<String> {
        SYSTEM
            .iter()
            .filter(|(_, bit)| self.system & bit != 0)
            .map(|(name, _)| name.to_string())
            .chain(self.keywords.iter().cloned())
            .collect()
    }

    /// The result of applying a STORE of `given` to these flags.
    pub(crate) fn apply(&self, change: FlagChange, given: &Flags) -> Flags {
        match change {
            FlagChange::Replace => given.clone(),
            FlagChange::Add => {
                let mut out = self.clone();
                out.system |= given.system;
                for k in &given.keywords {
                    if !out.has_keyword(k) {
                        out.keywords.push(k.clone());
                    }
                }
                out
            }
            FlagChange::Remove => Flags {
                system: self.system & !given.system,
                keywords: self.keywords.iter().filter(|k| !given.has_keyword(k)).cloned().collect(),
            },
        }
    }

    /// Equal as sets (keywords ignoring order and case).
    pub(crate) fn same_as(&self, other: &Flags) -> bool {
        self.system == other.system
            && self.keywords.len() == other.keywords.len()
            && self.keywords.iter().all(|k| other.has_keyword(k))
    }
}

/// Whether `s` is an IMAP atom usable as a keyword.
fn is_keyword(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes().all(|b| (0x21..0x7f).contains(&b) && !b"(){%*\"\\]".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_and_normalises() {
        let f = Flags::parse(&strings(&["\\seen", "\\RECENT", "Work", "work", "$Junk"])).unwrap();
        assert_eq!(f.to_strings(), strings(&["\\Seen", "Work", "$Junk"]));
        assert!(matches!(Flags::parse(&strings(&["\\Bogus"])), Err(StoreError::NotPossible(_))));
        assert!(Flags::parse(&strings(&["a b"])).is_err());
        assert!(Flags::parse(&strings(&["a(b"])).is_err());
    }

    #[test]
    fn applies_changes() {
        let cur = Flags::parse(&strings(&["\\Seen", "Work"])).unwrap();
        let given = Flags::parse(&strings(&["\\Flagged", "WORK", "Home"])).unwrap();
        let added = cur.apply(FlagChange::Add, &given);
        assert_eq!(added.to_strings(), strings(&["\\Seen", "\\Flagged", "Work", "Home"]));
        let removed = added.apply(FlagChange::Remove, &Flags::parse(&strings(&["work", "\\seen"])).unwrap());
        assert_eq!(removed.to_strings(), strings(&["\\Flagged", "Home"]));
        assert!(removed.same_as(&Flags::from_columns(4, "home")));
        assert_eq!(cur.apply(FlagChange::Replace, &given), given);
        assert_eq!(Flags::from_columns(0, ""), Flags::default());
        assert_eq!(added.keywords_column(), "Work Home");
    }
}
