//! Which expunged messages open sessions of this process may still refer to: per mailbox,
//! each watching session's "told" MODSEQ (every expunge at or below it has been announced to
//! it), so an expunge made while a mailbox is watched keeps the message readable until every
//! watcher has caught up (see [`crate::ExpungeHold`]). Pure bookkeeping, no I/O.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::api::MailboxId;

/// The watchers of every watched mailbox.
#[derive(Default)]
pub(crate) struct Retention {
    mailboxes: Mutex<HashMap<(String, MailboxId), Watchers>>,
    next_token: AtomicU64,
}

#[derive(Default)]
struct Watchers {
    /// Token of each watching session → its told MODSEQ (0 until it has read the mailbox).
    told: HashMap<u64, u64>,
    /// The MODSEQs of expunges whose rows this process retained and has not released.
    retained: BTreeSet<u64>,
}

impl Retention {
    /// Registers a watcher of `mailbox` that has been told nothing yet; returns its token.
    pub(crate) fn watch(&self, user: &str, mailbox: MailboxId) -> u64 {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let mut all = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        all.entry((user.to_string(), mailbox)).or_default().told.insert(token, 0);
        token
    }

    /// Whether an expunge in `mailbox` must retain what it removes (someone watches it).
    pub(crate) fn is_watched(&self, user: &str, mailbox: MailboxId) -> bool {
        let all = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        all.get(&(user.to_string(), mailbox)).is_some_and(|w| !w.told.is_empty())
    }

    /// Notes that rows expunged at `modseq` were retained.
    pub(crate) fn retained(&self, user: &str, mailbox: MailboxId, modseq: u64) {
        let mut all = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        all.entry((user.to_string(), mailbox)).or_default().retained.insert(modseq);
    }

    /// Records that watcher `token` has been told every expunge up to `modseq`. Returns the
    /// MODSEQ through which retained rows may now be released, when there are any.
    pub(crate) fn told(&self, user: &str, mailbox: MailboxId, token: u64, modseq: u64) -> Option<u64> {
        let mut all = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        let w = all.get_mut(&(user.to_string(), mailbox))?;
        if let Some(told) = w.told.get_mut(&token) {
            *told = (*told).max(modseq);
        }
        Self::releasable(w)
    }

    /// Forgets watcher `token`; returns what [`Retention::told`] returns.
    pub(crate) fn unwatch(&self, user: &str, mailbox: MailboxId, token: u64) -> Option<u64> {
        let mut all = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        let key = (user.to_string(), mailbox);
        let w = all.get_mut(&key)?;
        w.told.remove(&token);
        let through = Self::releasable(w);
        if w.told.is_empty() && w.retained.is_empty() {
            all.remove(&key);
        }
        through
    }

    /// The MODSEQ every watcher has been told (all of them when none is left) if rows
    /// retained at or below it exist; marks them released.
    fn releasable(w: &mut Watchers) -> Option<u64> {
        let through = w.told.values().copied().min().unwrap_or(u64::MAX);
        let later = match through.checked_add(1) {
            Some(next) => w.retained.split_off(&next),
            None => BTreeSet::new(),
        };
        let released = std::mem::replace(&mut w.retained, later);
        (!released.is_empty()).then_some(through)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_released_when_the_slowest_watcher_caught_up() {
        let r = Retention::default();
        let inbox = MailboxId(1);
        let (a, b) = (r.watch("u", inbox), r.watch("u", inbox));
        assert_eq!(r.told("u", inbox, a, 5), None, "nothing retained yet");
        r.told("u", inbox, b, 5);
        assert!(r.is_watched("u", inbox));
        r.retained("u", inbox, 6);
        assert_eq!(r.told("u", inbox, a, 6), None, "b has not been told");
        assert_eq!(r.told("u", inbox, b, 6), Some(6));
        assert_eq!(r.told("u", inbox, b, 7), None, "already released");
        r.retained("u", inbox, 8);
        assert_eq!(r.unwatch("u", inbox, a), None, "b still at 7");
        assert_eq!(r.unwatch("u", inbox, b), Some(u64::MAX), "nobody left");
        assert!(!r.is_watched("u", inbox));
    }
}
