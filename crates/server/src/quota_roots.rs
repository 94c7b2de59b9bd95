//! Quota roots (RFC 9208) the way Cyrus has them: a root covers one owner's whole store
//! (`user/NAME`, or `shared` for the shared mailboxes) or a subtree of it
//! (`user/NAME/Archive`, `shared/news`). Every mailbox is governed by exactly one root, the
//! nearest one above it, and a root's usage is what the mailboxes it governs hold: a subtree
//! with its own root does not count against the root above. Pure.

use bushbuck_store::SHARED_OWNER;

/// The spelling of the shared store's roots.
const SHARED_ROOT: &str = "shared";

/// One quota root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QuotaRoot {
    /// The store it is in: a user name or [`SHARED_OWNER`].
    pub owner: String,
    /// The mailbox (in that store) whose subtree it covers; `None`: the whole store.
    pub subtree: Option<String>,
}

impl QuotaRoot {
    /// The root covering all of `owner`'s store.
    pub fn whole(owner: &str) -> QuotaRoot {
        QuotaRoot { owner: owner.to_string(), subtree: None }
    }

    /// Parses `user/NAME[/MAILBOX]` or `shared[/MAILBOX]`.
    pub fn parse(name: &str) -> Option<QuotaRoot> {
        let (owner, subtree) = if let Some(rest) = name.strip_prefix("user/") {
            match rest.split_once('/') {
                Some((user, mailbox)) => (user.to_string(), Some(mailbox)),
                None => (rest.to_string(), None),
            }
        } else if name == SHARED_ROOT {
            (SHARED_OWNER.to_string(), None)
        } else {
            (SHARED_OWNER.to_string(), Some(name.strip_prefix("shared/")?))
        };
        if owner.is_empty() || subtree.is_some_and(|s| s.is_empty() || s.ends_with('/')) {
            return None;
        }
        Some(QuotaRoot { owner, subtree: subtree.map(str::to_string) })
    }

    /// The root's name, as IMAP and the command line spell it.
    pub fn name(&self) -> String {
        let base =
            if self.owner == SHARED_OWNER { SHARED_ROOT.to_string() } else { format!("user/{}", self.owner) };
        match &self.subtree {
            Some(mailbox) => format!("{base}/{mailbox}"),
            None => base,
        }
    }

    /// Whether the root is above (or is) `mailbox` of its owner's store.
    fn covers(&self, mailbox: &str) -> bool {
        match &self.subtree {
            None => true,
            Some(top) => {
                mailbox == top || mailbox.strip_prefix(top.as_str()).is_some_and(|r| r.starts_with('/'))
            }
        }
    }

    /// How many levels deep the root sits (the whole store is 0).
    fn depth(&self) -> usize {
        self.subtree.as_ref().map_or(0, |s| s.split('/').count())
    }
}

/// The root governing `mailbox` of `owner`'s store, among the roots defined (the whole
/// store's root applies when no deeper one covers it).
pub fn governing(defined: &[QuotaRoot], owner: &str, mailbox: &str) -> QuotaRoot {
    defined
        .iter()
        .filter(|r| r.owner == owner && r.covers(mailbox))
        .max_by_key(|r| r.depth())
        .cloned()
        .unwrap_or_else(|| QuotaRoot::whole(owner))
}

/// (octets, messages) charged to `root`: the usage of the mailboxes of its owner it governs.
/// `mailboxes` lists (name, octets, messages) of that owner's store.
pub fn usage_of<'a>(
    root: &QuotaRoot,
    defined: &[QuotaRoot],
    mailboxes: impl IntoIterator<Item = (&'a str, u64, u64)>,
) -> (u64, u64) {
    mailboxes
        .into_iter()
        .filter(|(name, _, _)| governing(defined, &root.owner, name) == *root)
        .fold((0, 0), |(b, m), (_, bytes, messages)| (b + bytes, m + messages))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(name: &str) -> QuotaRoot {
        QuotaRoot::parse(name).unwrap()
    }

    #[test]
    fn names_round_trip() {
        for name in ["user/bob", "user/bob/Archive", "user/bob/Archive/2024", "shared", "shared/news"] {
            assert_eq!(root(name).name(), name);
        }
        assert_eq!(root("shared/news").owner, SHARED_OWNER);
        assert_eq!(root("user/bob/Archive").subtree.as_deref(), Some("Archive"));
        for bad in ["user/", "user/bob/", "other", "", "shared/"] {
            assert_eq!(QuotaRoot::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_nearest_root_governs() {
        let defined = vec![root("user/bob"), root("user/bob/Archive"), root("user/bob/Archive/Big")];
        assert_eq!(governing(&defined, "bob", "INBOX"), root("user/bob"));
        assert_eq!(governing(&defined, "bob", "Archive"), root("user/bob/Archive"));
        assert_eq!(governing(&defined, "bob", "Archive/2024"), root("user/bob/Archive"));
        assert_eq!(governing(&defined, "bob", "Archive/Big/x"), root("user/bob/Archive/Big"));
        assert_eq!(governing(&defined, "bob", "Archived"), root("user/bob"));
        assert_eq!(governing(&defined, "carol", "Archive"), root("user/carol"));
    }

    #[test]
    fn nested_roots_do_not_count_twice() {
        let defined = vec![root("user/bob/Archive")];
        let boxes = [("INBOX", 100, 2), ("Archive", 1000, 3), ("Archive/2024", 10, 1), ("Sent", 5, 1)];
        assert_eq!(usage_of(&root("user/bob"), &defined, boxes), (105, 3));
        assert_eq!(usage_of(&root("user/bob/Archive"), &defined, boxes), (1010, 4));
    }
}
