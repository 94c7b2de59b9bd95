//! Validation and canonical spelling of user and mailbox names.
//!
//! User names become directory names, so they are restricted to a small safe alphabet that
//! can never climb out of the data directory. Mailbox names live only in the index, but are
//! still checked so that every back end and client sees the same well-formed hierarchy.

use crate::error::{Result, StoreError};

/// Longest accepted user name, in bytes.
pub const MAX_USER_NAME: usize = 128;
/// Longest accepted mailbox name, in bytes.
pub const MAX_MAILBOX_NAME: usize = 1024;

/// Checks a user name: 1..=128 of `a-z 0-9 . _ - @ +`, not starting with a dot.
pub fn validate_user_name(user: &str) -> Result<()> {
    let invalid = |why: &str| Err(StoreError::InvalidName(format!("user name {why}")));
    if user.is_empty() || user.len() > MAX_USER_NAME {
        return invalid("must be 1 to 128 characters long");
    }
    if user.starts_with('.') {
        return invalid("must not start with a dot");
    }
    let allowed =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@' | '+');
    if !user.chars().all(allowed) {
        return invalid("may only contain lowercase letters, digits and . _ - @ +");
    }
    Ok(())
}

/// Checks a mailbox name and returns its canonical spelling (`INBOX` in upper case, also as
/// the first level of a hierarchy such as `INBOX/child`).
pub fn canonical_mailbox_name(name: &str) -> Result<String> {
    let invalid = |why: &str| Err(StoreError::InvalidName(why.to_string()));
    if name.is_empty() {
        return invalid("the name is empty");
    }
    if name.len() > MAX_MAILBOX_NAME {
        return invalid("the name is longer than 1024 bytes");
    }
    if name.starts_with('/') || name.ends_with('/') {
        return invalid("the name must not start or end with the separator /");
    }
    if name.chars().any(char::is_control) {
        return invalid("the name contains a control character");
    }
    if name.contains(['*', '%']) {
        return invalid("the name contains a wildcard (* or %)");
    }
    let mut out = String::with_capacity(name.len());
    for (i, part) in name.split('/').enumerate() {
        match part {
            "" => return invalid("the name has an empty hierarchy level (//)"),
            "." | ".." => return invalid("the name has a . or .. hierarchy level"),
            _ => {}
        }
        if i > 0 {
            out.push('/');
            out.push_str(part);
        } else if part.eq_ignore_ascii_case("INBOX") {
            out.push_str("INBOX");
        } else {
            out.push_str(part);
        }
    }
    Ok(out)
}

/// The names of every superior level of `name`, outermost first (`a/b/c` → `a`, `a/b`).
pub(crate) fn parents(name: &str) -> Vec<&str> {
    name.match_indices('/').map(|(i, _)| &name[..i]).collect()
}

/// Whether `name` is strictly inferior to `parent` in the hierarchy.
pub(crate) fn is_inferior(name: &str, parent: &str) -> bool {
    name.len() > parent.len() + 1 && name.starts_with(parent) && name.as_bytes()[parent.len()] == b'/'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names() {
        assert!(validate_user_name("alice@example.org").is_ok());
        assert!(validate_user_name("a+b_c-d.e").is_ok());
        for bad in ["", ".hidden", "../x", "a/b", "Alice", "a b", "a\0b", &"a".repeat(129)] {
            assert!(validate_user_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn mailbox_names() {
        assert_eq!(canonical_mailbox_name("inbox").unwrap(), "INBOX");
        assert_eq!(canonical_mailbox_name("InBox/child").unwrap(), "INBOX/child");
        assert_eq!(canonical_mailbox_name("Archive/inbox").unwrap(), "Archive/inbox");
        assert_eq!(canonical_mailbox_name("Entwürfe").unwrap(), "Entwürfe");
        for bad in ["", "/abs", "a/", "a//b", "../x", "a/./b", "a\0b", "a\tb", "a*", "b%", &"x".repeat(1025)]
        {
            assert!(canonical_mailbox_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hierarchy() {
        assert_eq!(parents("a/b/c"), vec!["a", "a/b"]);
        assert!(parents("a").is_empty());
        assert!(is_inferior("a/b", "a"));
        assert!(!is_inferior("ab", "a"));
        assert!(!is_inferior("a", "a"));
    }
}
