//! Quotas (RFC 9208): what a quota root allows and holds. Every user has the root
//! `user/NAME` (limits from the directory or the configured defaults); admins may define
//! more roots below it or on shared mailboxes (see [`crate::quota_roots`] for which root
//! governs a mailbox), with STORAGE (KiB) and MESSAGE limits.

use bushbuck_auth::{Directory, QuotaLimits};
use bushbuck_store::{Store, SHARED_OWNER};

use crate::config::Config;
use crate::quota_roots::{self, QuotaRoot};

/// A user's quota: limits and what is used now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaState {
    /// The quota root name, `user/NAME`.
    pub root: String,
    /// Octets used.
    pub used_bytes: u64,
    /// Messages stored.
    pub used_messages: u64,
    /// The limits.
    pub limits: QuotaLimits,
}

/// Whether something may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Fits.
    Fits,
    /// Does not fit now; may after the user deletes mail (temporary).
    Over,
    /// Larger than the whole quota: will never fit (permanent).
    NeverFits,
}

/// A user's limits: their own from the directory, else the configured defaults.
pub fn limits(config: &Config, directory: &Directory, user: &str) -> Result<QuotaLimits, String> {
    Ok(directory.quota(user).map_err(|e| e.to_string())?.unwrap_or(QuotaLimits {
        storage_kb: (config.default_quota_storage_kb > 0).then_some(config.default_quota_storage_kb),
        messages: (config.default_quota_messages > 0).then_some(config.default_quota_messages),
    }))
}

/// The quota roots of one owner's store, read from the directory once per operation.
pub struct OwnerRoots {
    owner: String,
    /// Roots defined below the whole store (or on the shared store), in directory order.
    roots: Vec<QuotaRoot>,
    /// Their limits, in the same order.
    limits: Vec<QuotaLimits>,
}

impl OwnerRoots {
    /// Reads the roots defined in `owner`'s store.
    pub fn read(directory: &Directory, owner: &str) -> Result<OwnerRoots, String> {
        let all = directory.root_quotas().map_err(|e| e.to_string())?;
        let (roots, limits) = all
            .into_iter()
            .filter_map(|(name, limits)| QuotaRoot::parse(&name).map(|r| (r, limits)))
            .filter(|(r, _)| r.owner == owner)
            .unzip();
        Ok(OwnerRoots { owner: owner.to_string(), roots, limits })
    }

    /// Every root of the store: a user's whole-store root first, then the defined ones.
    pub fn all(&self) -> Vec<QuotaRoot> {
        let whole = (self.owner != SHARED_OWNER).then(|| QuotaRoot::whole(&self.owner));
        whole.into_iter().chain(self.roots.iter().cloned()).collect()
    }

    /// True when no root is defined below the whole store: the whole-store root then counts
    /// every mailbox, so its usage is the store's.
    pub fn whole_store_only(&self) -> bool {
        self.roots.is_empty()
    }

    /// The root governing `mailbox`.
    pub fn governing(&self, mailbox: &str) -> QuotaRoot {
        quota_roots::governing(&self.roots, &self.owner, mailbox)
    }

    /// (octets, messages) charged to `root` by `mailboxes` (name, octets, messages) of the
    /// store.
    pub fn usage<'a>(
        &self,
        root: &QuotaRoot,
        mailboxes: impl IntoIterator<Item = (&'a str, u64, u64)>,
    ) -> (u64, u64) {
        quota_roots::usage_of(root, &self.roots, mailboxes)
    }

    /// Reads a root's limits and usage. A user's whole-store root always exists; other roots
    /// have limits only once defined (an undefined one is unlimited).
    pub fn state(
        &self,
        config: &Config,
        directory: &Directory,
        store: &dyn Store,
        root: &QuotaRoot,
    ) -> Result<QuotaState, String> {
        let limits = if root.subtree.is_none() && root.owner != SHARED_OWNER {
            limits(config, directory, &root.owner)?
        } else {
            self.roots.iter().position(|r| r == root).map(|i| self.limits[i]).unwrap_or_default()
        };
        let name = root.name();
        let (used_bytes, used_messages) = if self.whole_store_only() && root.subtree.is_none() {
            store.usage(&root.owner).map_err(|e| e.to_string())?
        } else {
            let boxes = store.mailbox_usage(&root.owner).map_err(|e| e.to_string())?;
            self.usage(root, boxes.iter().map(|b| (b.name.as_str(), b.usage.bytes, b.usage.messages)))
        };
        Ok(QuotaState { root: name, used_bytes, used_messages, limits })
    }
}

/// Reads a root's limits and usage (see [`OwnerRoots::state`]).
pub fn state_of_root(
    config: &Config,
    directory: &Directory,
    store: &dyn Store,
    root: &QuotaRoot,
) -> Result<QuotaState, String> {
    OwnerRoots::read(directory, &root.owner)?.state(config, directory, store, root)
}

/// Stores a root's limits: a user's whole-store root with the user, other roots as root
/// definitions (a root left without any limit is removed). The user or mailbox must exist.
pub fn set_limits(
    directory: &Directory,
    store: &dyn Store,
    root: &QuotaRoot,
    limits: QuotaLimits,
) -> Result<(), String> {
    let keep = (limits.storage_kb.is_some() || limits.messages.is_some()).then_some(limits);
    match &root.subtree {
        None if root.owner != SHARED_OWNER => {
            directory.set_quota(&root.owner, limits).map_err(|e| e.to_string())
        }
        None => directory.set_root_quota(&root.name(), keep).map_err(|e| e.to_string()),
        Some(mailbox) => {
            store
                .status(&root.owner, mailbox)
                .map_err(|_| format!("{} names no mailbox: create {mailbox} first", root.name()))?;
            directory.set_root_quota(&root.name(), keep).map_err(|e| e.to_string())
        }
    }
}

/// Whether one message of `bytes` octets fits into each of `mailboxes` of `owner`'s store,
/// each root checked for all the copies it would govern; the worst verdict.
pub fn admits_copies(
    config: &Config,
    directory: &Directory,
    store: &dyn Store,
    owner: &str,
    mailboxes: &[&str],
    bytes: u64,
) -> Result<Verdict, String> {
    let roots = OwnerRoots::read(directory, owner)?;
    let mut counted: Vec<(QuotaRoot, u64)> = Vec::new();
    for mailbox in mailboxes {
        let root = roots.governing(mailbox);
        match counted.iter_mut().find(|(r, _)| *r == root) {
            Some((_, n)) => *n += 1,
            None => counted.push((root, 1)),
        }
    }
    let mut worst = Verdict::Fits;
    for (root, copies) in counted {
        match roots.state(config, directory, store, &root)?.admits(bytes * copies, copies) {
            Verdict::NeverFits => return Ok(Verdict::NeverFits),
            Verdict::Over => worst = Verdict::Over,
            Verdict::Fits => {}
        }
    }
    Ok(worst)
}

/// The state of the root governing `mailbox` of `owner`'s store.
pub fn state_for_mailbox(
    config: &Config,
    directory: &Directory,
    store: &dyn Store,
    owner: &str,
    mailbox: &str,
) -> Result<QuotaState, String> {
    let roots = OwnerRoots::read(directory, owner)?;
    roots.state(config, directory, store, &roots.governing(mailbox))
}

impl QuotaState {
    /// Whether `bytes` more octets in `messages` more messages fit.
    pub fn admits(&self, bytes: u64, messages: u64) -> Verdict {
        let storage = self.limits.storage_kb.map(|kb| kb.saturating_mul(1024));
        if storage.is_some_and(|l| bytes > l) || self.limits.messages.is_some_and(|l| messages > l) {
            return Verdict::NeverFits;
        }
        let over_storage = storage.is_some_and(|l| self.used_bytes + bytes > l);
        let over_count = self.limits.messages.is_some_and(|l| self.used_messages + messages > l);
        if over_storage || over_count {
            Verdict::Over
        } else {
            Verdict::Fits
        }
    }

    /// The highest percentage of any limit in use, if there is a limit.
    pub fn percent_used(&self) -> Option<u64> {
        let storage = self.limits.storage_kb.map(|kb| self.used_bytes / 1024 * 100 / kb.max(1));
        let messages = self.limits.messages.map(|l| self.used_messages * 100 / l.max(1));
        storage.into_iter().chain(messages).max()
    }

    /// The `QUOTA root (STORAGE used limit MESSAGE used limit)` response, without `* `.
    pub fn response(&self) -> String {
        let mut resources = Vec::new();
        if let Some(kb) = self.limits.storage_kb {
            resources.push(format!("STORAGE {} {kb}", self.used_bytes.div_ceil(1024)));
        }
        if let Some(n) = self.limits.messages {
            resources.push(format!("MESSAGE {} {n}", self.used_messages));
        }
        format!("QUOTA \"{}\" ({})", self.root, resources.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(
        storage_kb: Option<u64>,
        messages: Option<u64>,
        used_bytes: u64,
        used_messages: u64,
    ) -> QuotaState {
        QuotaState {
            root: "user/a".into(),
            used_bytes,
            used_messages,
            limits: QuotaLimits { storage_kb, messages },
        }
    }

    #[test]
    fn verdicts() {
        let q = state(Some(10), Some(3), 9 * 1024, 2);
        assert_eq!(q.admits(1024, 1), Verdict::Fits);
        assert_eq!(q.admits(1025, 1), Verdict::Over);
        assert_eq!(q.admits(11 * 1024, 1), Verdict::NeverFits);
        assert_eq!(state(None, Some(3), 0, 3).admits(1, 1), Verdict::Over);
        assert_eq!(state(None, None, u64::MAX / 2, 0).admits(1 << 40, 1), Verdict::Fits);
    }

    #[test]
    fn responses_and_percentages() {
        let q = state(Some(10), Some(4), 9 * 1024, 1);
        assert_eq!(q.response(), "QUOTA \"user/a\" (STORAGE 9 10 MESSAGE 1 4)");
        assert_eq!(q.percent_used(), Some(90));
        assert_eq!(state(None, None, 5, 5).response(), "QUOTA \"user/a\" ()");
        assert_eq!(state(None, None, 5, 5).percent_used(), None);
    }
}
