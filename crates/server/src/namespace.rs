//! IMAP namespaces (RFC 2342): the personal one (`""`), other users' mailboxes under
//! `Other Users/NAME/...` (`Other Users/bob` is bob's INBOX) and shared mailboxes under
//! `Shared/...`. Maps a name as the client sees it to the store that holds it and back. Pure.

use bushbuck_store::SHARED_OWNER;

/// Prefix of the other users' namespace, without the separator.
pub const OTHER_USERS: &str = "Other Users";
/// Prefix of the shared namespace, without the separator.
pub const SHARED: &str = "Shared";
/// The NAMESPACE response's data.
pub const NAMESPACE_RESPONSE: &str =
    "NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) ((\"Shared/\" \"/\"))";

/// A mailbox in some store: whose, and its name there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The store's owner: a user name or [`SHARED_OWNER`].
    pub owner: String,
    /// The name inside that store (`INBOX`, `Projects/2024`, ...).
    pub name: String,
}

/// What an IMAP name means for `user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A mailbox (that may or may not exist).
    Mailbox(Located),
    /// A namespace prefix (`Other Users`, `Shared`): never a mailbox.
    Prefix,
}

/// Resolves an IMAP mailbox name (INBOX already folded) for `user`.
pub fn resolve(user: &str, imap_name: &str) -> Resolved {
    let mut parts = imap_name.splitn(2, '/');
    let first = parts.next().unwrap_or("");
    let rest = parts.next();
    let located =
        |owner: &str, name: &str| Resolved::Mailbox(Located { owner: owner.into(), name: name.into() });
    if first == OTHER_USERS {
        let Some(rest) = rest.filter(|r| !r.is_empty()) else { return Resolved::Prefix };
        return match rest.split_once('/') {
            None => located(rest, "INBOX"),
            Some((owner, name)) => located(owner, &crate::imap::mailbox_name::fold_inbox(name)),
        };
    }
    if first == SHARED {
        return match rest.filter(|r| !r.is_empty()) {
            None => Resolved::Prefix,
            Some(name) => located(SHARED_OWNER, name),
        };
    }
    located(user, imap_name)
}

/// The IMAP name of `name` in `owner`'s store as `user` sees it.
pub fn imap_name(user: &str, owner: &str, name: &str) -> String {
    if owner == user {
        name.to_string()
    } else if owner == SHARED_OWNER {
        format!("{SHARED}/{name}")
    } else if name == "INBOX" {
        format!("{OTHER_USERS}/{owner}")
    } else {
        format!("{OTHER_USERS}/{owner}/{name}")
    }
}

/// Whether a personal mailbox may be created with this name: its first level must not be
/// spelled like a namespace prefix (in any case, to avoid confusion).
pub fn personal_name_allowed(name: &str) -> bool {
    let first = name.split('/').next().unwrap_or("");
    !first.eq_ignore_ascii_case(OTHER_USERS) && !first.eq_ignore_ascii_case(SHARED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(owner: &str, name: &str) -> Resolved {
        Resolved::Mailbox(Located { owner: owner.into(), name: name.into() })
    }

    #[test]
    fn resolves_each_namespace() {
        assert_eq!(resolve("alice", "INBOX"), at("alice", "INBOX"));
        assert_eq!(resolve("alice", "Projects/2024"), at("alice", "Projects/2024"));
        assert_eq!(resolve("alice", "Other Users/bob"), at("bob", "INBOX"));
        assert_eq!(resolve("alice", "Other Users/bob/Projects"), at("bob", "Projects"));
        assert_eq!(resolve("alice", "Other Users/bob/inbox/x"), at("bob", "INBOX/x"));
        assert_eq!(resolve("alice", "Shared/news"), at(SHARED_OWNER, "news"));
        assert_eq!(resolve("alice", "Shared/news/local"), at(SHARED_OWNER, "news/local"));
        assert_eq!(resolve("alice", "Other Users"), Resolved::Prefix);
        assert_eq!(resolve("alice", "Shared"), Resolved::Prefix);
        assert_eq!(resolve("alice", "Sharedstuff"), at("alice", "Sharedstuff"));
    }

    #[test]
    fn names_round_trip() {
        for (owner, name) in
            [("alice", "INBOX"), ("bob", "INBOX"), ("bob", "Projects/x"), (SHARED_OWNER, "news")]
        {
            let imap = imap_name("alice", owner, name);
            assert_eq!(resolve("alice", &imap), at(owner, name), "{imap}");
        }
        assert_eq!(imap_name("alice", "bob", "INBOX"), "Other Users/bob");
        assert_eq!(imap_name("alice", SHARED_OWNER, "news"), "Shared/news");
    }

    #[test]
    fn personal_names_cannot_shadow_prefixes() {
        assert!(!personal_name_allowed("Other Users"));
        assert!(!personal_name_allowed("shared/x"));
        assert!(personal_name_allowed("Shared stuff"));
        assert!(personal_name_allowed("Archive/Shared"));
    }
}
