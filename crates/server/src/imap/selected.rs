//! A session's view of its selected mailbox: sequence numbers, flags and \Recent as this
//! session knows them, and how to bring the view up to date with the store.

use std::collections::HashSet;
use std::sync::Arc;

use bushbuck_store::{ExpungeHold, MailboxChanges, MailboxId, MessageState};

use super::message_table::{Entry, MessageTable};
use crate::acl::Rights;

/// The selected mailbox as one session sees it.
pub struct SelectedMailbox {
    /// Whose store holds it (a user name or `SHARED_OWNER`).
    pub owner: String,
    /// Store identity.
    pub id: MailboxId,
    /// The session's rights on it, as at SELECT.
    pub rights: Rights,
    /// The viewer whose own \Seen the view shows, when not the owner (per-user \Seen).
    pub viewer: Option<String>,
    /// Opened by EXAMINE (or without write rights).
    pub read_only: bool,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// Messages in sequence order (ascending UID), shared with other sessions whose view is
    /// the same state (changed copy-on-write).
    pub messages: Arc<MessageTable>,
    /// UIDs that are \Recent for this session.
    pub recent: HashSet<u32>,
    /// The MODSEQ up to which this view has taken in changes.
    pub highest_modseq: u64,
    /// UIDNEXT as last seen.
    pub uid_next: u32,
    /// UIDs expunged in the store but not yet announced (announcing is not allowed during
    /// FETCH, STORE and SEARCH).
    pub pending_expunges: Vec<u32>,
    /// The result saved by SEARCH RETURN (SAVE), as UIDs.
    pub saved_search: Vec<u32>,
    /// The keywords announced in the last FLAGS response.
    pub keywords: Vec<String>,
    /// Keeps messages other sessions expunge readable until this view has announced the
    /// expunge (told through [`SelectedMailbox::report_caught_up`]); dropped with the view.
    pub hold: Box<dyn ExpungeHold>,
}

/// Untagged responses that an update produced, in order.
#[derive(Default)]
pub struct ViewUpdate {
    /// Sequence numbers to announce with `* n EXPUNGE`, each computed after the previous
    /// removals, or UIDs for VANISHED when QRESYNC is on.
    pub expunged: Vec<(u32, u32)>,
    /// New EXISTS count, if it changed.
    pub exists: Option<u32>,
    /// New RECENT count, if new messages arrived.
    pub recent: Option<u32>,
    /// Messages whose flags changed: (sequence number, state).
    pub flag_changes: Vec<(u32, MessageState)>,
}

impl SelectedMailbox {
    /// Largest UID in the view, 0 when empty.
    pub fn max_uid(&self) -> u32 {
        self.messages.max_uid()
    }

    /// Number of messages in the view.
    pub fn count(&self) -> u32 {
        self.messages.len() as u32
    }

    /// Sequence number (1-based) of a UID in the view.
    pub fn seq_of(&self, uid: u32) -> Option<u32> {
        self.messages.index_of(uid).map(|i| i as u32 + 1)
    }

    /// The message with this UID.
    pub fn get(&self, uid: u32) -> Option<Entry<'_>> {
        self.messages.get(uid)
    }

    /// Whether the view holds exactly the store's state at `highest_modseq`, so other
    /// sessions may share its table.
    pub fn is_exact(&self) -> bool {
        self.pending_expunges.is_empty()
    }

    /// Tells the store's hold how far this view has announced expunges: every one up to its
    /// MODSEQ, unless some wait in `pending_expunges`.
    pub fn report_caught_up(&self) {
        if self.is_exact() {
            self.hold.caught_up(self.highest_modseq);
        }
    }

    /// Records a state this session caused itself (STORE), so the next update does not
    /// announce it again. A state older than the one the view holds is ignored: a MODSEQ the
    /// session has reported never goes back.
    pub fn record(&mut self, state: &MessageState) {
        let newer =
            |m: Entry<'_>| state.modseq > m.modseq || (state.modseq == m.modseq && m.flags != state.flags);
        if self.get(state.uid).is_some_and(newer) {
            Arc::make_mut(&mut self.messages).update(state);
        }
    }

    /// Removes UIDs this session expunged itself; returns (sequence number, UID) of each in
    /// the order they must be announced.
    pub fn remove_own(&mut self, uids: &[u32]) -> Vec<(u32, u32)> {
        let mut seqs = Vec::with_capacity(uids.len());
        for uid in uids {
            if let Some(i) = self.messages.index_of(*uid) {
                Arc::make_mut(&mut self.messages).remove(i);
                self.recent.remove(uid);
                seqs.push((i as u32 + 1, *uid));
            }
        }
        self.pending_expunges.retain(|u| !uids.contains(u));
        seqs
    }

    /// Takes in changes from the store. Expunges are only applied when `expunge_ok`;
    /// otherwise they wait in `pending_expunges`. `recent` lists UIDs this session has just
    /// claimed as \Recent. With `report_modseq` (CONDSTORE enabled) a message whose MODSEQ
    /// rose is announced even when its flags ended up as they were, so the MODSEQ the session
    /// reported for it stays true until it announces another (RFC 7162 3.1).
    pub fn apply(
        &mut self,
        changes: MailboxChanges,
        recent: &[u32],
        expunge_ok: bool,
        report_modseq: bool,
    ) -> ViewUpdate {
        let mut update = ViewUpdate::default();
        for uid in changes.expunged {
            if self.get(uid).is_some() && !self.pending_expunges.contains(&uid) {
                self.pending_expunges.push(uid);
            }
        }
        if expunge_ok {
            let mut pending = std::mem::take(&mut self.pending_expunges);
            pending.sort_unstable();
            for uid in pending {
                if let Some(i) = self.messages.index_of(uid) {
                    Arc::make_mut(&mut self.messages).remove(i);
                    self.recent.remove(&uid);
                    update.expunged.push((i as u32 + 1, uid));
                }
            }
        }
        for state in changes.changed {
            if let Some(i) = self.messages.index_of(state.uid) {
                let known = self.messages.entry(i);
                if state.modseq > known.modseq && (report_modseq || state.flags != known.flags) {
                    update.flag_changes.push((i as u32 + 1, state.clone()));
                }
                if state.modseq > known.modseq {
                    Arc::make_mut(&mut self.messages).set(i, state.modseq, &state.flags);
                }
            }
        }
        let before = self.messages.len();
        for state in changes.new_messages {
            if state.uid > self.max_uid() {
                Arc::make_mut(&mut self.messages).push(&state);
            }
        }
        self.recent.extend(recent.iter().copied());
        if self.messages.len() != before || !update.expunged.is_empty() {
            update.exists = Some(self.messages.len() as u32);
        }
        if self.messages.len() != before {
            update.recent = Some(self.recent.len() as u32);
        }
        self.highest_modseq = self.highest_modseq.max(changes.highest_modseq);
        self.uid_next = self.uid_next.max(changes.uid_next);
        update
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(uid: u32, modseq: u64, flags: &[&str]) -> MessageState {
        MessageState { uid, modseq, flags: flags.iter().map(|s| s.to_string()).collect() }
    }

    fn view(uids: &[u32]) -> SelectedMailbox {
        SelectedMailbox {
            owner: "alice".into(),
            id: MailboxId(1),
            rights: Rights::ALL,
            viewer: None,
            read_only: false,
            uid_validity: 1,
            messages: Arc::new(MessageTable::from_states(uids.iter().map(|u| state(*u, 1, &[])).collect())),
            recent: HashSet::new(),
            highest_modseq: 1,
            uid_next: uids.last().map_or(1, |u| u + 1),
            pending_expunges: vec![],
            saved_search: vec![],
            keywords: vec![],
            hold: Box::new(bushbuck_store::NoExpungeHold),
        }
    }

    #[test]
    fn expunges_are_numbered_after_previous_removals() {
        let mut v = view(&[10, 11, 12, 13]);
        let changes =
            MailboxChanges { expunged: vec![11, 12], highest_modseq: 5, uid_next: 14, ..Default::default() };
        let u = v.apply(changes, &[], true, false);
        assert_eq!(u.expunged, vec![(2, 11), (2, 12)]);
        assert_eq!(u.exists, Some(2));
        assert_eq!(v.messages.uids(), &[10, 13]);
    }

    #[test]
    fn expunges_wait_while_not_allowed() {
        let mut v = view(&[1, 2]);
        let changes =
            MailboxChanges { expunged: vec![1], highest_modseq: 3, uid_next: 3, ..Default::default() };
        let u = v.apply(changes, &[], false, false);
        assert!(u.expunged.is_empty());
        assert_eq!(v.messages.len(), 2);
        let u = v.apply(
            MailboxChanges { highest_modseq: 3, uid_next: 3, ..Default::default() },
            &[],
            true,
            false,
        );
        assert_eq!(u.expunged, vec![(1, 1)]);
    }

    #[test]
    fn own_flag_changes_are_not_announced_twice() {
        let mut v = view(&[1]);
        v.record(&state(1, 4, &["\\Seen"]));
        let changes = MailboxChanges {
            changed: vec![state(1, 4, &["\\Seen"])],
            highest_modseq: 4,
            uid_next: 2,
            ..Default::default()
        };
        assert!(v.apply(changes, &[], true, false).flag_changes.is_empty());
        let changes = MailboxChanges {
            changed: vec![state(1, 6, &["\\Seen", "\\Flagged"])],
            highest_modseq: 6,
            uid_next: 2,
            ..Default::default()
        };
        assert_eq!(v.apply(changes, &[], true, false).flag_changes.len(), 1);
    }

    #[test]
    fn a_modseq_change_with_equal_flags_is_announced_only_under_condstore() {
        let unflagged_again = || MailboxChanges {
            changed: vec![state(1, 9, &[])],
            highest_modseq: 9,
            uid_next: 2,
            ..Default::default()
        };
        let mut v = view(&[1]);
        assert!(v.apply(unflagged_again(), &[], true, false).flag_changes.is_empty());
        assert_eq!(v.get(1).unwrap().modseq, 9);
        let mut v = view(&[1]);
        assert_eq!(v.apply(unflagged_again(), &[], true, true).flag_changes, vec![(1, state(1, 9, &[]))]);
    }

    #[test]
    fn an_older_state_does_not_replace_a_newer_one() {
        let mut v = view(&[1]);
        v.record(&state(1, 7, &["\\Seen"]));
        v.record(&state(1, 5, &[]));
        assert_eq!(v.get(1).unwrap().to_state(), state(1, 7, &["\\Seen"]));
    }

    #[test]
    fn new_messages_raise_exists_and_recent() {
        let mut v = view(&[1]);
        let changes = MailboxChanges {
            new_messages: vec![state(2, 2, &[])],
            highest_modseq: 2,
            uid_next: 3,
            ..Default::default()
        };
        let u = v.apply(changes, &[2], true, false);
        assert_eq!((u.exists, u.recent), (Some(2), Some(1)));
    }
}
