//! QRESYNC (RFC 7162 section 3.2): the resynchronisation SELECT/EXAMINE parameter,
//! `UID FETCH ... (CHANGEDSINCE n VANISHED)` and VANISHED in place of EXPUNGE once enabled.
//! The store keeps every expunge in its log for the mailbox's life (`Store::expunged_since`),
//! so a resync from any MODSEQ is answered exactly.

use bushbuck_proto::imap::command::QresyncParams;
use bushbuck_proto::imap::response;

use bushbuck_proto::imap::command::{SelectParams, SequenceSet};

use super::session::{Outcome, Session};
use super::wire;

/// Why QRESYNC parameters are refused before `ENABLE QRESYNC` (RFC 7162 3.2.3).
pub const NOT_ENABLED: &str = "QRESYNC must be enabled first (ENABLE QRESYNC)";

/// The untagged lines (without `* `) announcing that the messages `removed` ((sequence
/// number, UID), each number counted after the previous removals) are gone: `n EXPUNGE`
/// each, or one `VANISHED uids` once QRESYNC is enabled (RFC 7162 3.2.10).
pub fn expunge_lines(qresync: bool, removed: &[(u32, u32)]) -> Vec<String> {
    if removed.is_empty() {
        return Vec::new();
    }
    if qresync {
        let uids: Vec<u32> = removed.iter().map(|(_, uid)| *uid).collect();
        return vec![format!("VANISHED {}", response::sequence_set(&uids))];
    }
    removed.iter().map(|(seq, _)| format!("{seq} EXPUNGE")).collect()
}

impl Session {
    /// SELECT or EXAMINE with their parameters: CONDSTORE, and QRESYNC's resynchronisation
    /// (only reached once QRESYNC is enabled).
    pub(super) fn select_with(&mut self, raw: &[u8], params: &SelectParams, read_only: bool) -> Outcome {
        let outcome = self.select(raw, params.condstore, read_only);
        if let (Outcome::Ok(_), Some(resync)) = (&outcome, &params.qresync) {
            if let Err(o) = self.resync(resync) {
                return o;
            }
        }
        outcome
    }

    /// `UID FETCH set ... (CHANGEDSINCE since VANISHED)`: first the UIDs of `set` expunged
    /// since (RFC 7162 3.2.6).
    pub(super) fn vanished_in(&mut self, since: u64, set: &SequenceSet) -> Result<(), Outcome> {
        let Some(view) = self.selected.as_ref() else {
            return Ok(());
        };
        let largest = view.uid_next.saturating_sub(1);
        let saved = view.saved_search.clone();
        self.vanished_earlier(since, |uid| super::sequence::set_contains(set, uid, largest, &saved, uid))
    }

    /// After a SELECT/EXAMINE with the QRESYNC parameter succeeded: when the client's
    /// UIDVALIDITY is still valid, `* VANISHED (EARLIER)` for the known UIDs expunged since
    /// its MODSEQ and a FETCH (UID, FLAGS, MODSEQ) of each known message changed since
    /// (RFC 7162 3.2.5.1); the sequence match data only narrows what may be reported, so
    /// reporting every one is correct.
    pub(super) fn resync(&mut self, params: &QresyncParams) -> Result<(), Outcome> {
        let Some(view) = self.selected.as_ref() else {
            return Ok(());
        };
        if params.uid_validity != view.uid_validity {
            return Ok(());
        }
        let largest = view.uid_next.saturating_sub(1);
        let known = |uid: u32| params.known_uids.as_ref().is_none_or(|k| k.contains(uid, largest));
        self.vanished_earlier(params.mod_seq, known)?;
        let view = self.selected.as_ref().expect("selected");
        let mut lines = Vec::new();
        for (i, uid) in view.messages.uids().iter().enumerate() {
            let entry = view.messages.entry(i);
            if entry.modseq <= params.mod_seq || !known(*uid) {
                continue;
            }
            let flags = wire::flag_list(entry.flags, !self.rev2 && view.recent.contains(uid));
            lines.push(format!("{} FETCH (UID {uid} FLAGS {flags} MODSEQ ({}))", i + 1, entry.modseq));
        }
        for line in lines {
            self.untagged(&line);
        }
        Ok(())
    }

    /// `* VANISHED (EARLIER) uids`: the UIDs `wanted` expunged with a MODSEQ above `since`
    /// (RFC 7162 3.2.6), nothing when there are none.
    pub(super) fn vanished_earlier(
        &mut self,
        since: u64,
        wanted: impl Fn(u32) -> bool,
    ) -> Result<(), Outcome> {
        let Some(view) = self.selected.as_ref() else {
            return Ok(());
        };
        let (owner, id) = (view.owner.clone(), view.id);
        let expunged = self.blocking(|s| s.expunged_since(&owner, id, since)).map_err(Outcome::from)?;
        let uids: Vec<u32> = expunged.into_iter().filter(|u| wanted(*u)).collect();
        if !uids.is_empty() {
            self.untagged(&format!("VANISHED (EARLIER) {}", response::sequence_set(&uids)));
        }
        Ok(())
    }
}
