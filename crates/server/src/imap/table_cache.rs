//! Message tables of recently selected mailboxes, shared by every session of the server.
//!
//! A session that selects a mailbox takes the cached table and reads only what changed since
//! (SELECT of a 20,000-message mailbox then reads a few rows instead of 20,000), and sessions
//! whose view is the same state hold one table between them instead of a copy each (idle
//! sessions on a big INBOX cost little memory). A table is only ever offered by a session
//! whose view is exactly the store's state at a MODSEQ, and every use checks UIDVALIDITY,
//! that the store's MODSEQ is not older, and the message count after the update.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bushbuck_store::MailboxId;

use super::message_table::MessageTable;

/// The tables of recently selected mailboxes, least recently used dropped first.
pub struct TableCache {
    inner: Mutex<Inner>,
    budget: usize,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<(String, MailboxId), Cached>,
    bytes: usize,
    clock: u64,
}

struct Cached {
    uid_validity: u32,
    highest_modseq: u64,
    table: Arc<MessageTable>,
    bytes: usize,
    used: u64,
}

/// What the server's cache keeps by default: 64 MiB, the tables of about four million
/// messages.
const DEFAULT_BUDGET: usize = 64 << 20;

impl Default for TableCache {
    fn default() -> Self {
        TableCache::new(DEFAULT_BUDGET)
    }
}

/// A cached table and the state it shows.
pub struct CachedTable {
    /// The MODSEQ up to which it has taken in changes.
    pub highest_modseq: u64,
    /// The messages.
    pub table: Arc<MessageTable>,
}

impl TableCache {
    /// A cache keeping tables up to about `budget` bytes in all (sessions may hold more:
    /// a table stays alive while a session uses it).
    pub fn new(budget: usize) -> Self {
        TableCache { inner: Mutex::new(Inner::default()), budget }
    }

    /// The table of `owner`'s mailbox `id` if one is cached for this UIDVALIDITY at a MODSEQ
    /// no newer than the store's `highest_modseq`.
    pub fn get(
        &self,
        owner: &str,
        id: MailboxId,
        uid_validity: u32,
        highest_modseq: u64,
    ) -> Option<CachedTable> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let clock = inner.clock;
        let entry = inner.entries.get_mut(&(owner.to_string(), id))?;
        if entry.uid_validity != uid_validity || entry.highest_modseq > highest_modseq {
            return None;
        }
        entry.used = clock;
        Some(CachedTable { highest_modseq: entry.highest_modseq, table: entry.table.clone() })
    }

    /// Offers a table that shows exactly the store's state of the mailbox at
    /// `highest_modseq`. Returns the table the caller should keep: the cached one when it
    /// holds the same messages (so the two sessions share it), else the caller's own, which
    /// replaces an older cached one.
    pub fn share(
        &self,
        owner: &str,
        id: MailboxId,
        uid_validity: u32,
        highest_modseq: u64,
        table: Arc<MessageTable>,
    ) -> Arc<MessageTable> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let clock = inner.clock;
        let key = (owner.to_string(), id);
        if let Some(entry) = inner.entries.get_mut(&key) {
            if entry.uid_validity == uid_validity && entry.highest_modseq == highest_modseq {
                entry.used = clock;
                if Arc::ptr_eq(&entry.table, &table) || *entry.table == *table {
                    return entry.table.clone();
                }
            }
            if entry.uid_validity == uid_validity && entry.highest_modseq > highest_modseq {
                return table;
            }
        }
        let bytes = table.heap_bytes();
        if bytes > self.budget {
            return table;
        }
        let cached = Cached { uid_validity, highest_modseq, table: table.clone(), bytes, used: clock };
        if let Some(old) = inner.entries.insert(key, cached) {
            inner.bytes -= old.bytes;
        }
        inner.bytes += bytes;
        while inner.bytes > self.budget {
            let Some(oldest) = inner.entries.iter().min_by_key(|(_, c)| c.used).map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(gone) = inner.entries.remove(&oldest) {
                inner.bytes -= gone.bytes;
            }
        }
        table
    }

    /// Drops every table of an owner (their store was deleted, moved or rebuilt).
    pub fn forget_owner(&self, owner: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let gone: Vec<_> = inner.entries.keys().filter(|(o, _)| o == owner).cloned().collect();
        for key in gone {
            if let Some(c) = inner.entries.remove(&key) {
                inner.bytes -= c.bytes;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bushbuck_store::MessageState;

    fn table(uids: &[u32]) -> Arc<MessageTable> {
        Arc::new(MessageTable::from_states(
            uids.iter().map(|u| MessageState { uid: *u, modseq: 1, flags: vec![] }).collect(),
        ))
    }

    #[test]
    fn equal_tables_are_shared() {
        let cache = TableCache::new(1 << 20);
        let a = cache.share("alice", MailboxId(1), 7, 5, table(&[1, 2]));
        let b = cache.share("alice", MailboxId(1), 7, 5, table(&[1, 2]));
        assert!(Arc::ptr_eq(&a, &b));
        let c = cache.share("alice", MailboxId(1), 7, 6, table(&[1]));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(cache.get("alice", MailboxId(1), 7, 6).unwrap().highest_modseq, 6);
    }

    #[test]
    fn stale_or_foreign_tables_are_not_handed_out() {
        let cache = TableCache::new(1 << 20);
        cache.share("alice", MailboxId(1), 7, 5, table(&[1, 2]));
        assert!(cache.get("alice", MailboxId(1), 8, 5).is_none(), "other UIDVALIDITY");
        assert!(cache.get("alice", MailboxId(1), 7, 4).is_none(), "store older than the table");
        assert!(cache.get("bob", MailboxId(1), 7, 5).is_none());
        let older = cache.share("alice", MailboxId(1), 7, 3, table(&[1]));
        assert_eq!(older.len(), 1, "an older offer is not cached");
        assert_eq!(cache.get("alice", MailboxId(1), 7, 9).unwrap().highest_modseq, 5);
        cache.forget_owner("alice");
        assert!(cache.get("alice", MailboxId(1), 7, 5).is_none());
    }

    #[test]
    fn the_budget_drops_least_recently_used() {
        let one = table(&(1..=1000).collect::<Vec<_>>()).heap_bytes();
        let cache = TableCache::new(one * 2 + one / 2);
        for id in 1..=3 {
            cache.share("alice", MailboxId(id), 1, 1, table(&(1..=1000).collect::<Vec<_>>()));
        }
        assert!(cache.get("alice", MailboxId(1), 1, 1).is_none());
        assert!(cache.get("alice", MailboxId(3), 1, 1).is_some());
    }
}
