//! In-process change notification: one `watch` channel per (user, mailbox), carrying the
//! mailbox's HIGHESTMODSEQ after each committed change, so IDLE sessions wake up.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

use crate::api::MailboxId;

/// The channels of every watched mailbox.
#[derive(Default)]
pub(crate) struct Notifier {
    senders: Mutex<HashMap<(String, MailboxId), watch::Sender<u64>>>,
}

impl Notifier {
    /// A receiver for the mailbox; `current` seeds a channel that does not exist yet.
    pub(crate) fn subscribe(&self, user: &str, mailbox: MailboxId, current: u64) -> watch::Receiver<u64> {
        let mut senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        senders.entry((user.to_string(), mailbox)).or_insert_with(|| watch::channel(current).0).subscribe()
    }

    /// Tells every receiver of the mailbox that it changed; forgets unwatched channels.
    pub(crate) fn notify(&self, user: &str, mailbox: MailboxId, modseq: u64) {
        let mut senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        let key = (user.to_string(), mailbox);
        if let Some(sender) = senders.get(&key) {
            if sender.receiver_count() == 0 {
                senders.remove(&key);
            } else {
                sender.send_replace(modseq);
            }
        }
    }

    /// Wakes every channel without changing what it carries, so its watchers look for
    /// changes themselves (after notifications may have been missed).
    pub(crate) fn wake_all(&self) {
        let senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        for sender in senders.values() {
            sender.send_modify(|_| {});
        }
    }

    /// Wakes and forgets every channel of a user (the user was deleted).
    pub(crate) fn forget_user(&self, user: &str) {
        let mut senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        senders.retain(|(u, _), sender| {
            if u == user {
                sender.send_modify(|v| *v = v.saturating_add(1));
                false
            } else {
                true
            }
        });
    }
}
