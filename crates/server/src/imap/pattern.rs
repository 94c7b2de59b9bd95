//! LIST patterns: `*` matches anything, `%` anything but the hierarchy separator.

/// True when `name` matches `pattern`. Runs in O(len(pattern) * len(name)).
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // reach[j]: the first i pattern characters can match the first j name characters.
    let mut reach = vec![false; n.len() + 1];
    reach[0] = true;
    for &pc in &p {
        let mut next = vec![false; n.len() + 1];
        match pc {
            '*' | '%' => {
                for j in 0..=n.len() {
                    next[j] = reach[j] || (j > 0 && next[j - 1] && (pc == '*' || n[j - 1] != '/'));
                }
            }
            _ => {
                for j in 1..=n.len() {
                    next[j] = reach[j - 1] && n[j - 1] == pc;
                }
            }
        }
        reach = next;
    }
    reach[n.len()]
}

/// Combines a LIST reference and pattern: the reference is a prefix of the pattern, as
/// Dovecot and Cyrus read RFC 3501 6.3.8.
pub fn combine(reference: &str, pattern: &str) -> String {
    format!("{reference}{pattern}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches("*", "a/b/c"));
        assert!(matches("%", "a"));
        assert!(!matches("%", "a/b"));
        assert!(matches("a/%", "a/b"));
        assert!(!matches("a/%", "a/b/c"));
        assert!(matches("a*c", "a/b/c"));
        assert!(matches("a%c", "abc"));
        assert!(!matches("a%c", "a/c"));
        assert!(matches("INBOX", "INBOX"));
        assert!(!matches("INBOX", "INBOX/x"));
        assert!(matches("%/%", "a/b"));
    }

    #[test]
    fn references() {
        assert_eq!(combine("", "%"), "%");
        assert_eq!(combine("a/", "%"), "a/%");
    }
}
