//! Which user names Bushbuck accepts.

use crate::error::{AuthError, Result};

/// Longest user name accepted.
const MAX_NAME: usize = 128;

/// Checks a user name: 1 to 128 characters of lowercase ASCII letters, digits and `. _ - @ +`,
/// not starting with a dot. Such a name is safe as a directory name.
pub fn validate_user_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(AuthError::InvalidName(format!("{name:?} must be 1 to {MAX_NAME} characters long")));
    }
    if name.starts_with('.') {
        return Err(AuthError::InvalidName(format!("{name:?} must not start with a dot")));
    }
    if let Some(bad) =
        name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@+".contains(*c)))
    {
        return Err(AuthError::InvalidName(format!(
            "{name:?} contains {bad:?}; use lowercase letters, digits and . _ - @ +"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for n in ["alice", "bob.smith", "a_b-c", "x@example.org", "u+1"] {
            assert!(validate_user_name(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn refuses_names_that_could_escape_or_confuse() {
        for n in ["", ".hidden", "../x", "a/b", "Alice", "a b", "a\0b", &"x".repeat(129)] {
            assert!(validate_user_name(n).is_err(), "{n:?}");
        }
    }
}
