//! Quotas (RFC 9208): one quota root per user, `user/NAME`, covering all their mailboxes,
//! with STORAGE (KiB) and MESSAGE limits from the directory or the configured defaults.

use bushbuck_auth::{Directory, QuotaLimits};
use bushbuck_store::Store;

use crate::config::Config;

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

/// The quota root name of a user.
pub fn root_of(user: &str) -> String {
    format!("user/{user}")
}

/// The user a quota root belongs to, if it names one.
pub fn user_of(root: &str) -> Option<&str> {
    root.strip_prefix("user/").filter(|u| !u.is_empty())
}

/// A user's limits: their own from the directory, else the configured defaults.
pub fn limits(config: &Config, directory: &Directory, user: &str) -> Result<QuotaLimits, String> {
    Ok(directory.quota(user).map_err(|e| e.to_string())?.unwrap_or(QuotaLimits {
        storage_kb: (config.default_quota_storage_kb > 0).then_some(config.default_quota_storage_kb),
        messages: (config.default_quota_messages > 0).then_some(config.default_quota_messages),
    }))
}

/// Reads a user's limits and usage.
pub fn state(
    config: &Config,
    directory: &Directory,
    store: &dyn Store,
    user: &str,
) -> Result<QuotaState, String> {
    let limits = limits(config, directory, user)?;
    // Without limits the usage is not needed: skip reading it.
    let (used_bytes, used_messages) = if limits.storage_kb.is_none() && limits.messages.is_none() {
        (0, 0)
    } else {
        store.usage(user).map_err(|e| e.to_string())?
    };
    Ok(QuotaState { root: root_of(user), used_bytes, used_messages, limits })
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
        assert_eq!(user_of("user/alice"), Some("alice"));
        assert_eq!(user_of("other"), None);
    }
}
