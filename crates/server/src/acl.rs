//! RFC 4314 rights: parsing, the obsolete `c` and `d`, and who gets which rights from an
//! access control list. Pure: the ACL comes from the store, the groups from the directory.

use std::fmt;

/// Every right, in the order they are written.
const LETTERS: &str = "lrswipkxtea";

/// A set of RFC 4314 rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rights(u16);

impl Rights {
    /// `l`: see the mailbox in LIST.
    pub const LOOKUP: Rights = Rights(1);
    /// `r`: SELECT, EXAMINE, STATUS, FETCH, SEARCH, COPY from.
    pub const READ: Rights = Rights(1 << 1);
    /// `s`: keep \Seen.
    pub const SEEN: Rights = Rights(1 << 2);
    /// `w`: write flags other than \Seen and \Deleted.
    pub const WRITE: Rights = Rights(1 << 3);
    /// `i`: APPEND, COPY and MOVE into.
    pub const INSERT: Rights = Rights(1 << 4);
    /// `p`: post (deliver via plus-address or to a shared mailbox).
    pub const POST: Rights = Rights(1 << 5);
    /// `k`: create mailboxes below (and rename into).
    pub const CREATE: Rights = Rights(1 << 6);
    /// `x`: delete or rename the mailbox.
    pub const DELETE_MAILBOX: Rights = Rights(1 << 7);
    /// `t`: set or clear \Deleted.
    pub const DELETE_MESSAGES: Rights = Rights(1 << 8);
    /// `e`: EXPUNGE.
    pub const EXPUNGE: Rights = Rights(1 << 9);
    /// `a`: administer (SETACL, DELETEACL, GETACL, LISTRIGHTS).
    pub const ADMIN: Rights = Rights(1 << 10);
    /// No rights.
    pub const NONE: Rights = Rights(0);
    /// Every right.
    pub const ALL: Rights = Rights((1 << 11) - 1);
    /// The rights that change a selected mailbox's messages (`s w t e`): a SELECT without
    /// any of them is READ-ONLY (RFC 4314 section 4).
    pub const WRITES: Rights = Rights((1 << 2) | (1 << 3) | (1 << 8) | (1 << 9));

    /// Parses rights as a client writes them; `c` means `kx` and `d` means `te` (RFC 4314
    /// 2.1.1, the "former group"). Unknown letters are an error naming them.
    pub fn parse(text: &str) -> Result<Rights, String> {
        let mut rights = Rights::NONE;
        for c in text.chars() {
            rights = rights
                | match c {
                    'c' => Rights::CREATE | Rights::DELETE_MAILBOX,
                    'd' => Rights::DELETE_MESSAGES | Rights::EXPUNGE,
                    _ => match LETTERS.find(c) {
                        Some(i) => Rights(1 << i),
                        None => {
                            return Err(format!("unknown right {c:?}; rights are letters of {LETTERS}cd"))
                        }
                    },
                };
        }
        Ok(rights)
    }

    /// Parses rights as stored (never fails: unknown letters are ignored).
    pub fn from_stored(text: &str) -> Rights {
        text.chars().filter_map(|c| Rights::parse(&c.to_string()).ok()).fold(Rights::NONE, |a, b| a | b)
    }

    /// True when every right of `other` is here.
    pub fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when any right of `other` is here.
    pub fn intersects(self, other: Rights) -> bool {
        self.0 & other.0 != 0
    }

    /// These rights without those of `other`.
    pub fn without(self, other: Rights) -> Rights {
        Rights(self.0 & !other.0)
    }

    /// True when empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The rights as stored: letters of `lrswipkxtea` only.
    pub fn stored(self) -> String {
        LETTERS.char_indices().filter(|(i, _)| self.0 & (1 << i) != 0).map(|(_, c)| c).collect()
    }
}

impl std::ops::BitOr for Rights {
    type Output = Rights;
    fn bitor(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }
}

/// As RFC 4314 2.1.1 asks of ACL and MYRIGHTS answers: the letters, plus `c` when `k` or `x`
/// is there and `d` when `t` or `e` is.
impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stored())?;
        if self.intersects(Rights::CREATE | Rights::DELETE_MAILBOX) {
            f.write_str("c")?;
        }
        if self.intersects(Rights::DELETE_MESSAGES | Rights::EXPUNGE) {
            f.write_str("d")?;
        }
        Ok(())
    }
}

/// How SETACL changes an identifier's rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modification {
    /// `+rights`: add.
    Add,
    /// `-rights`: remove.
    Remove,
    /// `rights`: replace.
    Replace,
}

/// Splits a SETACL rights argument into its modifier and rights.
pub fn parse_modification(text: &str) -> Result<(Modification, Rights), String> {
    let (m, rest) = match text.as_bytes().first() {
        Some(b'+') => (Modification::Add, &text[1..]),
        Some(b'-') => (Modification::Remove, &text[1..]),
        _ => (Modification::Replace, text),
    };
    Ok((m, Rights::parse(rest)?))
}

/// Applies a SETACL modification to the current rights.
pub fn modify(current: Rights, how: Modification, rights: Rights) -> Rights {
    match how {
        Modification::Add => current | rights,
        Modification::Remove => current.without(rights),
        Modification::Replace => rights,
    }
}

/// Who asks: the facts rights depend on.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The user name; `None` for the anonymous poster (LMTP plus-addressing, shared posts).
    pub user: Option<String>,
    /// Groups the user belongs to (without the `group:` prefix).
    pub groups: Vec<String>,
    /// An administrator (config `admins`).
    pub admin: bool,
}

impl Identity {
    /// The anonymous poster: matches only `anyone` and `anonymous`.
    pub fn anonymous() -> Identity {
        Identity::default()
    }

    /// Whether an ACL identifier (without a leading `-`) names this identity.
    fn matches(&self, identifier: &str) -> bool {
        match (identifier, &self.user) {
            ("anyone", _) => true,
            ("anonymous", None) => true,
            (_, None) => false,
            (id, Some(user)) => {
                id == user || id.strip_prefix("group:").is_some_and(|g| self.groups.iter().any(|m| m == g))
            }
        }
    }

    /// The identifiers that may name this identity positively (for the grants index).
    pub fn identifiers(&self) -> Vec<String> {
        let mut out = vec!["anyone".to_string()];
        match &self.user {
            None => out.push("anonymous".to_string()),
            Some(user) => {
                out.push(user.clone());
                out.extend(self.groups.iter().map(|g| format!("group:{g}")));
            }
        }
        out
    }
}

/// The rights `who` has on a mailbox of `owner` with this ACL: the union of the matching
/// positive entries minus the union of the matching negative (`-identifier`) ones; the owner
/// always keeps `l` and `a` (cannot be locked out), administrators always have `lkxa` (they
/// create, delete, rename and administer, but read nobody's mail without a grant).
pub fn effective(acl: &[(String, String)], owner: Option<&str>, who: &Identity) -> Rights {
    let mut granted = Rights::NONE;
    let mut denied = Rights::NONE;
    for (identifier, rights) in acl {
        let rights = Rights::from_stored(rights);
        match identifier.strip_prefix('-') {
            Some(id) if who.matches(id) => denied = denied | rights,
            None if who.matches(identifier) => granted = granted | rights,
            _ => {}
        }
    }
    let mut rights = granted.without(denied);
    if who.user.is_some() && who.user.as_deref() == owner {
        rights = rights | Rights::LOOKUP | Rights::ADMIN;
    }
    if who.admin {
        rights = rights | Rights::LOOKUP | Rights::CREATE | Rights::DELETE_MAILBOX | Rights::ADMIN;
    }
    rights
}

/// Checks an ACL identifier from SETACL: a user name, `anyone`, `anonymous` or `group:NAME`,
/// optionally negated with a leading `-`.
pub fn valid_identifier(identifier: &str) -> bool {
    let id = identifier.strip_prefix('-').unwrap_or(identifier);
    let name = id.strip_prefix("group:").unwrap_or(id);
    !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@+".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(i, r)| (i.to_string(), r.to_string())).collect()
    }

    fn user(name: &str, groups: &[&str]) -> Identity {
        Identity {
            user: Some(name.into()),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            admin: false,
        }
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(Rights::parse("lrswipkxtea").unwrap(), Rights::ALL);
        assert_eq!(Rights::parse("lrc").unwrap().stored(), "lrkx");
        assert_eq!(Rights::parse("lrd").unwrap().stored(), "lrte");
        assert_eq!(Rights::parse("lrswipkxtea").unwrap().to_string(), "lrswipkxteacd");
        assert_eq!(Rights::parse("lr").unwrap().to_string(), "lr");
        assert_eq!(Rights::parse("lrswida").unwrap().to_string(), "lrswitead");
        assert!(Rights::parse("lrz").unwrap_err().contains("'z'"));
    }

    #[test]
    fn setacl_modifiers() {
        let lr = Rights::parse("lr").unwrap();
        let (m, r) = parse_modification("+w").unwrap();
        assert_eq!(modify(lr, m, r).stored(), "lrw");
        let (m, r) = parse_modification("-r").unwrap();
        assert_eq!(modify(lr, m, r).stored(), "l");
        let (m, r) = parse_modification("i").unwrap();
        assert_eq!(modify(lr, m, r).stored(), "i");
    }

    /// One row of the resolution table: ACL, who, owner, expected rights.
    type Case<'a> = (&'a Vec<(String, String)>, Identity, Option<&'a str>, &'a str);

    #[test]
    fn resolution_table() {
        let helpdesk = acl(&[("group:helpdesk", "lrswipte"), ("-carol", "w")]);
        let public = acl(&[("anyone", "lr")]);
        let personal = acl(&[("alice", "lrswipkxtea"), ("bob", "lr")]);
        let post = acl(&[("anonymous", "p"), ("-anyone", "r")]);
        let admin = Identity { admin: true, ..user("root", &[]) };
        let cases: &[Case<'_>] = &[
            (&helpdesk, user("bob", &["helpdesk"]), None, "lrswipte"),
            (&helpdesk, user("carol", &["helpdesk"]), None, "lrsipte"),
            (&helpdesk, user("dave", &[]), None, ""),
            (&public, user("dave", &[]), None, "lr"),
            (&public, Identity::anonymous(), None, "lr"),
            (&personal, user("alice", &[]), Some("alice"), "lrswipkxtea"),
            (&personal, user("bob", &[]), Some("alice"), "lr"),
            (&personal, user("carol", &[]), Some("alice"), ""),
            (&acl(&[]), user("alice", &[]), Some("alice"), "la"),
            (&acl(&[("-alice", "lrswipkxtea")]), user("alice", &[]), Some("alice"), "la"),
            (&personal, admin.clone(), Some("alice"), "lkxa"),
            (&public, admin, None, "lrkxa"),
            (&post, Identity::anonymous(), None, "p"),
            (&post, user("bob", &[]), None, ""),
        ];
        for (acl, who, owner, want) in cases {
            assert_eq!(effective(acl, *owner, who).stored(), *want, "{who:?} on {acl:?}");
        }
    }

    #[test]
    fn identifiers() {
        for good in ["bob", "anyone", "anonymous", "group:helpdesk", "-carol", "-group:x", "a@b.org"] {
            assert!(valid_identifier(good), "{good}");
        }
        for bad in ["", "-", "group:", "Bob", "a b", "x/y"] {
            assert!(!valid_identifier(bad), "{bad}");
        }
        assert_eq!(user("bob", &["h"]).identifiers(), vec!["anyone", "bob", "group:h"]);
    }
}
