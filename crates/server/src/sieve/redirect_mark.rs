//! The mark a redirected copy carries, so that mail two users redirect to each other is
//! sent at most once per user and then kept: `X-Loop: USER@HOST (Bushbuck Sieve redirect)`
//! names this server and the user whose script redirected it (as Pigeonhole and Cyrus mark
//! theirs).

/// The header field of the mark.
const FIELD: &str = "X-Loop";

/// `user` on `host` as the mark writes it.
fn who(user: &str, host: &str) -> String {
    format!("{user}@{host}")
}

/// The copy to send: the mark for `user` on `host` on top of `message`.
pub fn marked(message: &[u8], user: &str, host: &str) -> Vec<u8> {
    let mut out = format!("{FIELD}: {} (Bushbuck Sieve redirect)\r\n", who(user, host)).into_bytes();
    out.extend_from_slice(message);
    out
}

/// True when `message` already went out through a redirect of `user` on `host`.
pub fn already_redirected(message: &[u8], user: &str, host: &str) -> bool {
    let (header, _, _) = bushbuck_sieve::headers::split(message);
    let who = who(user, host);
    bushbuck_mime::header_values(header, FIELD)
        .iter()
        .any(|value| value.split_whitespace().next().is_some_and(|first| first.eq_ignore_ascii_case(&who)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &[u8] = b"Subject: s\r\n\r\nX-Loop: alice@mx (Bushbuck Sieve redirect)\r\n";

    #[test]
    fn a_marked_copy_is_recognised_for_its_user_and_host_only() {
        let copy = marked(MESSAGE, "alice", "mx");
        assert!(copy.starts_with(b"X-Loop: alice@mx (Bushbuck Sieve redirect)\r\nSubject: s\r\n"));
        assert!(already_redirected(&copy, "alice", "mx"));
        assert!(already_redirected(&copy, "Alice", "MX"));
        assert!(!already_redirected(&copy, "bob", "mx"));
        assert!(!already_redirected(&copy, "alice", "other-host"));
        let twice = marked(&copy, "bob", "mx");
        assert!(already_redirected(&twice, "alice", "mx") && already_redirected(&twice, "bob", "mx"));
    }

    #[test]
    fn a_mark_in_the_body_does_not_count() {
        assert!(!already_redirected(MESSAGE, "alice", "mx"));
        assert!(!already_redirected(b"X-Loop: list@example.org\r\n\r\n", "alice", "mx"));
    }
}
