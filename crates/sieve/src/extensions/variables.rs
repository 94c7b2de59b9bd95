//! `variables` (RFC 5229): names, `${...}` expansion and `set` modifiers.

use crate::program::Modifier;

fn is_ident(s: &str) -> bool {
    let mut it = s.chars();
    matches!(it.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && it.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `name` is a valid (possibly namespaced) variable name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.split('.').all(is_ident)
}

/// The names of the `${namespace.name}` references in `s`.
pub fn namespaced_references(s: &str) -> impl Iterator<Item = &str> {
    s.match_indices("${").filter_map(move |(i, _)| {
        let after = &s[i + 2..];
        let name = &after[..after.find('}')?];
        (name.contains('.') && valid_name(name)).then_some(name)
    })
}

/// Expands `${name}` and `${digits}` references; `lookup` gets the lowercased name (or the
/// digits) and returns None for an unset variable, which expands to the empty string.
/// Malformed references are kept literally.
pub fn expand(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    if !s.contains("${") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let close = after.find('}');
        let name = close.map(|c| &after[..c]);
        match name {
            Some(n) if !n.is_empty() && (n.bytes().all(|b| b.is_ascii_digit()) || valid_name(n)) => {
                let key = if n.bytes().all(|b| b.is_ascii_digit()) {
                    n.trim_start_matches('0').to_string()
                } else {
                    n.to_ascii_lowercase()
                };
                let key = if key.is_empty() { "0".to_string() } else { key };
                out.push_str(&lookup(&key).unwrap_or_default());
                rest = &after[n.len() + 1..];
            }
            _ => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Applies `set` modifiers (already sorted by descending precedence). Case modifiers change
/// only ASCII letters (RFC 5229 section 4.1.3).
pub fn apply_modifiers(value: &str, mods: &[Modifier]) -> String {
    let mut v = value.to_string();
    for m in mods {
        v = match m {
            Modifier::Lower => v.to_ascii_lowercase(),
            Modifier::Upper => v.to_ascii_uppercase(),
            Modifier::LowerFirst => first(&v, |c| c.to_ascii_lowercase()),
            Modifier::UpperFirst => first(&v, |c| c.to_ascii_uppercase()),
            Modifier::QuoteWildcard => quote_wildcard(&v),
            Modifier::Length => v.chars().count().to_string(),
        };
    }
    v
}

fn first(s: &str, f: impl Fn(&char) -> char) -> String {
    let mut it = s.chars();
    match it.next() {
        Some(c) => format!("{}{}", f(&c), it.as_str()),
        None => String::new(),
    }
}

/// Escapes `*`, `?` and `\` with a backslash.
pub fn quote_wildcard(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Truncates `s` to at most `max` bytes on a character boundary.
pub fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let look = |n: &str| match n {
            "a" => Some("X".to_string()),
            "1" => Some("one".to_string()),
            _ => None,
        };
        assert_eq!(expand("${a}-${A}-${1}-${01}-${b}-${-}-${", &look), "X-X-one-one--${-}-${");
        assert_eq!(apply_modifiers("hello*", &[Modifier::UpperFirst, Modifier::QuoteWildcard]), "Hello\\*");
        assert_eq!(apply_modifiers("héllo", &[Modifier::Length]), "5");
    }
}
