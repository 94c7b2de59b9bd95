//! The messages of a selected mailbox as a compact table: UIDs, MODSEQs and flags in UID
//! order, with each distinct flag list stored once. About 16 bytes a message instead of a
//! `MessageState` with its own strings, and cheap to compare and to share between sessions
//! (see `table_cache`).

use std::collections::HashMap;

use bushbuck_store::{MailboxChanges, MessageState};

/// Messages in sequence order (ascending UID).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageTable {
    uids: Vec<u32>,
    modseqs: Vec<u64>,
    /// Index into `flag_lists` of each message's flags.
    flag_ids: Vec<u32>,
    /// The distinct flag lists in use (and perhaps a few no longer used, until compaction).
    flag_lists: Vec<Vec<String>>,
}

/// One message of a table, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// UID.
    pub uid: u32,
    /// MODSEQ of its last change.
    pub modseq: u64,
    /// Its flags, as the store spells them.
    pub flags: &'a [String],
}

impl Entry<'_> {
    /// Whether the message has this flag (system flags compared without regard to case).
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }

    /// An owned copy, as the store hands states out.
    pub fn to_state(self) -> MessageState {
        MessageState { uid: self.uid, modseq: self.modseq, flags: self.flags.to_vec() }
    }
}

impl MessageTable {
    /// A table of these states, which must be in ascending UID order.
    pub fn from_states(states: Vec<MessageState>) -> Self {
        let mut table = MessageTable {
            uids: Vec::with_capacity(states.len()),
            modseqs: Vec::with_capacity(states.len()),
            flag_ids: Vec::with_capacity(states.len()),
            flag_lists: Vec::new(),
        };
        let mut ids: HashMap<Vec<String>, u32> = HashMap::new();
        for state in states {
            let next = ids.len() as u32;
            let id = *ids.entry(state.flags).or_insert(next);
            table.uids.push(state.uid);
            table.modseqs.push(state.modseq);
            table.flag_ids.push(id);
        }
        table.flag_lists = vec![Vec::new(); ids.len()];
        for (flags, id) in ids {
            table.flag_lists[id as usize] = flags;
        }
        table
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.uids.len()
    }

    /// True when the mailbox is empty.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }

    /// Every UID, ascending.
    pub fn uids(&self) -> &[u32] {
        &self.uids
    }

    /// Largest UID, 0 when empty.
    pub fn max_uid(&self) -> u32 {
        self.uids.last().copied().unwrap_or(0)
    }

    /// Position (sequence number - 1) of a UID.
    pub fn index_of(&self, uid: u32) -> Option<usize> {
        self.uids.binary_search(&uid).ok()
    }

    /// The message at a position (sequence number - 1); panics when out of range.
    pub fn entry(&self, index: usize) -> Entry<'_> {
        Entry {
            uid: self.uids[index],
            modseq: self.modseqs[index],
            flags: &self.flag_lists[self.flag_ids[index] as usize],
        }
    }

    /// The message with this UID.
    pub fn get(&self, uid: u32) -> Option<Entry<'_>> {
        self.index_of(uid).map(|i| self.entry(i))
    }

    /// Position of the first message without \Seen.
    pub fn first_unseen(&self) -> Option<usize> {
        (0..self.len()).find(|i| !self.entry(*i).has("\\Seen"))
    }

    /// The distinct flag lists messages have (perhaps a few no longer used).
    pub fn distinct_flag_lists(&self) -> &[Vec<String>] {
        &self.flag_lists
    }

    /// Approximate heap size in bytes, for the cache's budget.
    pub fn heap_bytes(&self) -> usize {
        let lists: usize =
            self.flag_lists.iter().map(|l| 24 + l.iter().map(|f| 24 + f.len()).sum::<usize>()).sum();
        self.uids.capacity() * 4 + self.modseqs.capacity() * 8 + self.flag_ids.capacity() * 4 + lists
    }

    /// Replaces the MODSEQ and flags of the message at `index`.
    pub fn set(&mut self, index: usize, modseq: u64, flags: &[String]) {
        self.modseqs[index] = modseq;
        self.flag_ids[index] = self.intern(flags);
    }

    /// Updates the message with the state's UID, if present.
    pub fn update(&mut self, state: &MessageState) {
        if let Some(i) = self.index_of(state.uid) {
            self.set(i, state.modseq, &state.flags);
        }
    }

    /// Appends a message whose UID is above every other.
    pub fn push(&mut self, state: &MessageState) {
        debug_assert!(state.uid > self.max_uid());
        let id = self.intern(&state.flags);
        self.uids.push(state.uid);
        self.modseqs.push(state.modseq);
        self.flag_ids.push(id);
    }

    /// Takes in every change the store reported, without announcing any: the table then
    /// shows the mailbox at `changes.highest_modseq`.
    pub fn apply(&mut self, changes: MailboxChanges) {
        self.remove_uids(&changes.expunged);
        for state in &changes.changed {
            self.update(state);
        }
        for state in &changes.new_messages {
            if state.uid > self.max_uid() {
                self.push(state);
            }
        }
    }

    /// Removes the messages with these UIDs (ascending), in one pass.
    fn remove_uids(&mut self, uids: &[u32]) {
        if uids.is_empty() {
            return;
        }
        let mut kept = 0;
        for i in 0..self.uids.len() {
            if uids.binary_search(&self.uids[i]).is_err() {
                self.uids[kept] = self.uids[i];
                self.modseqs[kept] = self.modseqs[i];
                self.flag_ids[kept] = self.flag_ids[i];
                kept += 1;
            }
        }
        self.uids.truncate(kept);
        self.modseqs.truncate(kept);
        self.flag_ids.truncate(kept);
    }

    /// Removes the message at `index`.
    pub fn remove(&mut self, index: usize) {
        self.uids.remove(index);
        self.modseqs.remove(index);
        self.flag_ids.remove(index);
    }

    fn intern(&mut self, flags: &[String]) -> u32 {
        if let Some(i) = self.flag_lists.iter().position(|l| l == flags) {
            return i as u32;
        }
        // Lists left unused by earlier changes are dropped before the table can grow past
        // a bound set by its size.
        if self.flag_lists.len() > 2 * self.len() + 16 {
            self.compact();
        }
        self.flag_lists.push(flags.to_vec());
        (self.flag_lists.len() - 1) as u32
    }

    /// Drops flag lists no message uses and renumbers the rest.
    fn compact(&mut self) {
        let mut renumber = vec![u32::MAX; self.flag_lists.len()];
        let mut kept = Vec::new();
        for id in self.flag_ids.iter_mut() {
            let old = *id as usize;
            if renumber[old] == u32::MAX {
                renumber[old] = kept.len() as u32;
                kept.push(std::mem::take(&mut self.flag_lists[old]));
            }
            *id = renumber[old];
        }
        self.flag_lists = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(uid: u32, modseq: u64, flags: &[&str]) -> MessageState {
        MessageState { uid, modseq, flags: flags.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn equal_flag_lists_are_stored_once() {
        let t = MessageTable::from_states(vec![
            state(1, 1, &["\\Seen"]),
            state(2, 2, &[]),
            state(5, 3, &["\\Seen"]),
        ]);
        assert_eq!(t.flag_lists.len(), 2);
        assert_eq!(t.get(5).unwrap().flags, ["\\Seen".to_string()]);
        assert_eq!(t.index_of(2), Some(1));
        assert_eq!(t.first_unseen(), Some(1));
        assert_eq!(t.max_uid(), 5);
    }

    #[test]
    fn updates_keep_entries_in_step() {
        let mut t = MessageTable::from_states(vec![state(1, 1, &[]), state(2, 1, &[])]);
        t.update(&state(2, 7, &["$Work"]));
        t.push(&state(9, 8, &["\\Flagged"]));
        t.remove(0);
        assert_eq!(t.uids(), &[2, 9]);
        assert_eq!(t.entry(0).to_state(), state(2, 7, &["$Work"]));
        assert!(t.entry(1).has("\\flagged"));
    }

    #[test]
    fn changes_are_taken_in_whole() {
        let mut t = MessageTable::from_states(vec![state(1, 1, &[]), state(2, 1, &[]), state(3, 1, &[])]);
        t.apply(MailboxChanges {
            new_messages: vec![state(4, 5, &["\\Seen"])],
            changed: vec![state(3, 4, &["\\Flagged"])],
            expunged: vec![1, 2],
            highest_modseq: 5,
            uid_next: 5,
            messages: 2,
        });
        assert_eq!(t.uids(), &[3, 4]);
        assert_eq!(t.entry(0).to_state(), state(3, 4, &["\\Flagged"]));
        assert!(t.entry(1).has("\\Seen"));
    }

    #[test]
    fn unused_flag_lists_are_compacted() {
        let mut t = MessageTable::from_states(vec![state(1, 1, &[])]);
        for i in 0..100 {
            t.set(0, i + 2, &[format!("k{i}")]);
        }
        assert!(t.flag_lists.len() <= 2 * t.len() + 18, "{} lists kept", t.flag_lists.len());
        assert_eq!(t.entry(0).flags, ["k99".to_string()]);
    }
}
