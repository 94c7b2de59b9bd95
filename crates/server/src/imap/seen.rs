//! Per-user \Seen: in another user's or a shared mailbox, \Seen is the viewer's own (kept by
//! the store apart from the owner's flags). This is the one place where the viewer's state
//! replaces the stored \Seen, so FETCH, SEARCH, STATUS and STORE all agree.

use bushbuck_store::{MailboxId, MessageState, StoreError};

use super::session::Session;

/// Sets or clears \Seen in a state's flags.
pub fn overlay(state: &mut MessageState, seen: bool) {
    state.flags.retain(|f| f != "\\Seen");
    if seen {
        state.flags.push("\\Seen".to_string());
    }
}

impl Session {
    /// Replaces \Seen in `states` (of `owner`'s mailbox `id`) by `viewer`'s own, when there is
    /// a viewer (see [`Session::private_seen_viewer`]).
    pub(super) fn overlay_seen(
        &self,
        owner: &str,
        id: MailboxId,
        viewer: Option<&str>,
        states: &mut [MessageState],
    ) -> Result<(), StoreError> {
        let Some(viewer) = viewer else { return Ok(()) };
        if states.is_empty() {
            return Ok(());
        }
        let seen = self.blocking(|s| s.seen_uids(owner, id, viewer))?;
        for state in states {
            overlay(state, seen.binary_search(&state.uid).is_ok());
        }
        Ok(())
    }

    /// How many of `messages` messages `viewer` has not seen (STATUS UNSEEN).
    pub(super) fn unseen_for(
        &self,
        owner: &str,
        id: MailboxId,
        viewer: &str,
        messages: u32,
    ) -> Result<u32, StoreError> {
        let seen = self.blocking(|s| s.seen_uids(owner, id, viewer))?;
        Ok(messages.saturating_sub(seen.len() as u32))
    }
}
