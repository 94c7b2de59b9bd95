//! RFC 5256 base subject extraction for SORT SUBJECT and THREAD.

use crate::encoded_word;

fn strip_blob(s: &str) -> Option<&str> {
    // subj-blob = "[" *BLOBCHAR "]" *WSP
    let rest = s.strip_prefix('[')?;
    let end = rest.find([']', '['])?;
    if rest.as_bytes()[end] != b']' {
        return None;
    }
    Some(rest[end + 1..].trim_start_matches(' '))
}

fn strip_refwd(s: &str) -> Option<&str> {
    // subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
    let lower = s.to_ascii_lowercase();
    let n = if lower.starts_with("re") {
        2
    } else if lower.starts_with("fwd") {
        3
    } else if lower.starts_with("fw") {
        2
    } else {
        return None;
    };
    let mut rest = s[n..].trim_start_matches(' ');
    if rest.starts_with('[') {
        rest = strip_blob(rest)?;
    }
    rest.strip_prefix(':')
}

/// The base subject of RFC 5256: encoded-words decoded, whitespace folded, `(fwd)` trailers,
/// `Re:`/`Fwd:` leaders, `[blob]` prefixes and `[fwd: ...]` wrappers removed.
pub fn base_subject(subject: &str) -> String {
    base_subject_of_reply(subject).0
}

/// [`base_subject`], and whether the subject marks a reply or forward (RFC 5256 2.1: a
/// `(fwd)` trailer, a `Re:`/`Fwd:` leader or a `[fwd: ...]` wrapper was removed), which
/// THREAD=REFERENCES uses to merge threads by subject.
pub fn base_subject_of_reply(subject: &str) -> (String, bool) {
    let mut reply = false;
    let decoded = encoded_word::decode(subject.as_bytes());
    let mut s = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        let c = if c == '\t' || c == '\r' || c == '\n' { ' ' } else { c };
        if c == ' ' && s.ends_with(' ') {
            continue;
        }
        s.push(c);
    }
    let mut s = s.trim().to_string();
    loop {
        // (2) trailers
        loop {
            let t = s.trim_end();
            if t.len() >= 5
                && t.is_char_boundary(t.len() - 5)
                && t[t.len() - 5..].eq_ignore_ascii_case("(fwd)")
            {
                s = t[..t.len() - 5].trim_end().to_string();
                reply = true;
            } else {
                s = t.to_string();
                break;
            }
        }
        // (3)(4) leaders and blobs
        loop {
            let t = s.trim_start();
            if let Some(rest) = strip_refwd(t) {
                s = rest.trim_start().to_string();
                reply = true;
                continue;
            }
            if let Some(rest) = strip_blob(t) {
                if !rest.trim().is_empty() {
                    s = rest.to_string();
                    continue;
                }
            }
            s = t.to_string();
            break;
        }
        // (6) [fwd: ...] wrapper
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("[fwd:") && s.ends_with(']') {
            s = s[5..s.len() - 1].trim().to_string();
            reply = true;
            continue;
        }
        break;
    }
    (s, reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        assert_eq!(base_subject("Re: Fwd: hello"), "hello");
        assert_eq!(base_subject("[list] Re:  hi  there (fwd)"), "hi there");
        assert_eq!(base_subject("RE [x]: topic"), "topic");
        assert_eq!(base_subject("[fwd: Re: x]"), "x");
        assert_eq!(base_subject("[only]"), "[only]");
        assert_eq!(base_subject("=?utf-8?q?Re=3A_caf=C3=A9?="), "café");
        assert_eq!(base_subject(""), "");
    }

    #[test]
    fn replies_and_forwards() {
        for (subject, reply) in [
            ("Re: hello", true),
            ("hello (fwd)", true),
            ("[fwd: hello]", true),
            ("[list] hello", false),
            ("hello", false),
            ("Rejected", false),
        ] {
            assert_eq!(base_subject_of_reply(subject).1, reply, "{subject}");
        }
    }
}
