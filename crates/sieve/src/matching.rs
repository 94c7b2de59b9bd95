//! Comparators (RFC 4790) and match types: `:is`, `:contains`, `:matches` with captures for
//! match variables, and the relational `:value` / `:count` (RFC 5231).

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::program::{Comparator, MatchSpec, MatchType, Relation};

fn fold(c: Comparator, ch: char) -> char {
    match c {
        Comparator::AsciiCasemap => ch.to_ascii_lowercase(),
        _ => ch,
    }
}

/// The leading digits of `s` without leading zeros, or None (positive infinity).
fn numeric(s: &str) -> Option<&str> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    let digits = s[..end].trim_start_matches('0');
    Some(digits)
}

/// Orders `a` against `b` under a comparator.
pub fn compare(c: Comparator, a: &str, b: &str) -> Ordering {
    match c {
        Comparator::Octet => a.as_bytes().cmp(b.as_bytes()),
        Comparator::AsciiCasemap => {
            a.bytes().map(|b| b.to_ascii_lowercase()).cmp(b.bytes().map(|b| b.to_ascii_lowercase()))
        }
        Comparator::AsciiNumeric => match (numeric(a), numeric(b)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        },
    }
}

/// Equality under a comparator.
pub fn is(c: Comparator, a: &str, b: &str) -> bool {
    match c {
        Comparator::Octet => a == b,
        Comparator::AsciiCasemap => a.eq_ignore_ascii_case(b),
        Comparator::AsciiNumeric => compare(c, a, b) == Ordering::Equal,
    }
}

/// Substring test under a comparator.
pub fn contains(c: Comparator, hay: &str, needle: &str) -> bool {
    match c {
        Comparator::AsciiCasemap => hay.to_ascii_lowercase().contains(&needle.to_ascii_lowercase()),
        _ => hay.contains(needle),
    }
}

/// Whether `a <rel> b` holds.
pub fn relational(c: Comparator, rel: Relation, a: &str, b: &str) -> bool {
    let o = compare(c, a, b);
    match rel {
        Relation::Gt => o == Ordering::Greater,
        Relation::Ge => o != Ordering::Less,
        Relation::Lt => o == Ordering::Less,
        Relation::Le => o != Ordering::Greater,
        Relation::Eq => o == Ordering::Equal,
        Relation::Ne => o != Ordering::Equal,
    }
}

#[derive(Clone, Copy)]
enum Tok {
    Lit(char),
    One,
    Many,
}

fn compile(pattern: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut it = pattern.chars();
    while let Some(ch) = it.next() {
        out.push(match ch {
            '*' => Tok::Many,
            '?' => Tok::One,
            '\\' => match it.next() {
                Some(n) => Tok::Lit(n),
                None => Tok::Lit('\\'),
            },
            c => Tok::Lit(c),
        });
    }
    out
}

/// Yes/no wildcard match in O(pattern × value) without captures.
fn glob_fast(c: Comparator, p: &[Tok], v: &[char]) -> bool {
    let (mut pi, mut vi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some(Tok::Many) => {
                star = Some((pi, vi));
                pi += 1;
                continue;
            }
            Some(Tok::One) => {
                pi += 1;
                vi += 1;
                continue;
            }
            Some(Tok::Lit(l)) if fold(c, *l) == fold(c, v[vi]) => {
                pi += 1;
                vi += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, sv)) => {
                pi = sp + 1;
                vi = sv + 1;
                star = Some((sp, sv + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|t| matches!(t, Tok::Many))
}

struct Glob<'a> {
    c: Comparator,
    p: &'a [Tok],
    v: &'a [char],
    failed: HashSet<(usize, usize)>,
    caps: Vec<(usize, usize)>,
}

impl Glob<'_> {
    /// Matches p[pi..] against v[vi..]; `*` takes as little as possible (RFC 5229 3.2).
    /// Failed states are memoised, so the search is polynomial.
    fn run(&mut self, mut pi: usize, mut vi: usize) -> bool {
        let caps_len = self.caps.len();
        let start = (pi, vi);
        if self.failed.contains(&start) {
            return false;
        }
        loop {
            match self.p.get(pi) {
                None => {
                    if vi == self.v.len() {
                        return true;
                    }
                    break;
                }
                Some(Tok::Lit(l)) => match self.v.get(vi) {
                    Some(ch) if fold(self.c, *ch) == fold(self.c, *l) => {
                        pi += 1;
                        vi += 1;
                    }
                    _ => break,
                },
                Some(Tok::One) => {
                    if vi >= self.v.len() {
                        break;
                    }
                    self.caps.push((vi, vi + 1));
                    pi += 1;
                    vi += 1;
                }
                Some(Tok::Many) => {
                    let next_lit = match self.p.get(pi + 1) {
                        Some(Tok::Lit(l)) => Some(fold(self.c, *l)),
                        _ => None,
                    };
                    for end in vi..=self.v.len() {
                        if let Some(l) = next_lit {
                            if self.v.get(end).map(|ch| fold(self.c, *ch)) != Some(l) {
                                continue;
                            }
                        }
                        self.caps.push((vi, end));
                        if self.run(pi + 1, end) {
                            return true;
                        }
                        self.caps.pop();
                    }
                    break;
                }
            }
        }
        self.caps.truncate(caps_len);
        self.failed.insert(start);
        false
    }
}

/// `:matches`: on success returns what each wildcard matched, in order.
pub fn glob(c: Comparator, value: &str, pattern: &str) -> Option<Vec<String>> {
    let p = compile(pattern);
    let v: Vec<char> = value.chars().collect();
    if !glob_fast(c, &p, &v) {
        return None;
    }
    if !p.iter().any(|t| !matches!(t, Tok::Lit(_))) {
        return Some(Vec::new());
    }
    let mut g = Glob { c, p: &p, v: &v, failed: HashSet::new(), caps: Vec::new() };
    if g.run(0, 0) {
        Some(g.caps.iter().map(|&(s, e)| v[s..e].iter().collect()).collect())
    } else {
        None
    }
}

/// Matches values against keys; on a `:matches` success, `captures` receives `${0}`
/// (the whole value) followed by the wildcard captures.
pub fn match_values(
    spec: &MatchSpec,
    values: &[String],
    keys: &[String],
    captures: &mut Option<Vec<String>>,
) -> bool {
    let c = spec.comparator;
    match spec.match_type {
        MatchType::Count(rel) => {
            let n = values.len().to_string();
            keys.iter().any(|k| relational(c, rel, &n, k))
        }
        MatchType::Value(rel) => values.iter().any(|v| keys.iter().any(|k| relational(c, rel, v, k))),
        MatchType::Is => values.iter().any(|v| keys.iter().any(|k| is(c, v, k))),
        MatchType::Contains => values.iter().any(|v| keys.iter().any(|k| contains(c, v, k))),
        MatchType::Matches => {
            for v in values {
                for k in keys {
                    if let Some(caps) = glob(c, v, k) {
                        let mut all = vec![v.clone()];
                        all.extend(caps);
                        *captures = Some(all);
                        return true;
                    }
                }
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_captures_shortest_first() {
        let caps = glob(Comparator::AsciiCasemap, "[acme-users] [fwd] version 1.0 is out", "[*] *").unwrap();
        assert_eq!(caps, vec!["acme-users", "[fwd] version 1.0 is out"]);
        assert!(glob(Comparator::AsciiCasemap, "ABC", "a?c").is_some());
        assert!(glob(Comparator::Octet, "ABC", "a?c").is_none());
        assert!(glob(Comparator::Octet, "a*b", "a\\*b").is_some());
        assert!(glob(Comparator::Octet, "axb", "a\\*b").is_none());
        let long = "a".repeat(200);
        assert!(glob(Comparator::Octet, &long, "*a*a*a*a*a*b").is_none());
    }

    #[test]
    fn numeric_ordering() {
        assert!(relational(Comparator::AsciiNumeric, Relation::Gt, "10", "9"));
        assert!(relational(Comparator::AsciiNumeric, Relation::Eq, "007", "7"));
        assert!(relational(Comparator::AsciiNumeric, Relation::Gt, "abc", "99999"));
        assert!(relational(Comparator::AsciiNumeric, Relation::Eq, "x", "y"));
    }
}
