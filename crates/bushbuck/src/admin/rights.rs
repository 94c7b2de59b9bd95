//! ACL rights as `setaclmailbox` takes them: RFC 4314 letters, or cyradm's macros.

/// What `setaclmailbox` does for one identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rights {
    /// SETACL with these rights (possibly starting with `+` or `-` to add or remove).
    Set(String),
    /// DELETEACL: the `none` macro.
    Remove,
}

/// cyradm's macros and the rights they stand for.
pub const MACROS: [(&str, &str); 6] = [
    ("read", "lrs"),
    ("post", "lrsp"),
    ("append", "lrsip"),
    ("write", "lrswipkxte"),
    ("delete", "lrxte"),
    ("all", "lrswipkxtea"),
];

/// RFC 4314 rights, the obsolete RFC 2086 `c` and `d`, and the digits servers may define.
const LETTERS: &str = "lrswipkxteacd0123456789";

/// Expands a macro (any case) or checks a string of rights letters.
pub fn parse(text: &str) -> Result<Rights, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(Rights::Remove);
    }
    if let Some((_, rights)) = MACROS.iter().find(|(name, _)| name.eq_ignore_ascii_case(text)) {
        return Ok(Rights::Set(rights.to_string()));
    }
    let letters = text.strip_prefix(['+', '-']).unwrap_or(text);
    match letters.chars().find(|c| !LETTERS.contains(*c)) {
        None if !letters.is_empty() => Ok(Rights::Set(text.to_string())),
        None => Err(format!(
            "\"{text}\" names no rights; give letters of {LETTERS} or a macro ({})",
            macro_names()
        )),
        Some(c) => Err(format!(
            "'{c}' in \"{text}\" is not an ACL right; use letters of {LETTERS} or a macro ({})",
            macro_names()
        )),
    }
}

fn macro_names() -> String {
    let mut names: Vec<&str> = vec!["none"];
    names.extend(MACROS.iter().map(|(n, _)| *n));
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_as_cyradm_defines_them() {
        let set = |s: &str| Ok(Rights::Set(s.to_string()));
        assert_eq!(parse("none"), Ok(Rights::Remove));
        assert_eq!(parse("read"), set("lrs"));
        assert_eq!(parse("post"), set("lrsp"));
        assert_eq!(parse("append"), set("lrsip"));
        assert_eq!(parse("write"), set("lrswipkxte"));
        assert_eq!(parse("delete"), set("lrxte"));
        assert_eq!(parse("ALL"), set("lrswipkxtea"));
    }

    #[test]
    fn letters_pass_through() {
        assert_eq!(parse("lrs"), Ok(Rights::Set("lrs".into())));
        assert_eq!(parse("+w"), Ok(Rights::Set("+w".into())));
        assert_eq!(parse("-a"), Ok(Rights::Set("-a".into())));
        assert_eq!(parse("lrswipcd"), Ok(Rights::Set("lrswipcd".into())));
    }

    #[test]
    fn refuses_unknown_letters() {
        let e = parse("lrz").unwrap_err();
        assert!(e.contains("'z'") && e.contains("macro"), "{e}");
        assert!(parse("+").is_err());
        assert!(parse("").is_err());
        assert!(parse("rood").is_err());
    }
}
