//! Turning a sequence set into the UIDs it names in the selected mailbox.

use bushbuck_proto::imap::command::{SeqNumber, SequenceSet};

use super::selected::SelectedMailbox;
use super::session::Outcome;

/// Why a message-number set could not be used.
pub const INVALID_SEQUENCE: &str = "Invalid message sequence number: no such message";

/// UIDs named by the set of a FETCH, STORE, COPY or MOVE: UIDs for the UID forms, message
/// numbers otherwise (a number out of range is answered BAD).
pub fn message_uids(uid_cmd: bool, set: &SequenceSet, view: &SelectedMailbox) -> Result<Vec<u32>, Outcome> {
    if uid_cmd {
        Ok(uids_from_uid_set(set, view))
    } else {
        uids_from_sequence(set, view).map_err(|why| Outcome::Bad(why.into()))
    }
}

/// UIDs named by a set of message sequence numbers, ascending and unique. A number above the
/// message count is an error (RFC 9051 6.4.*: the client's view is out of date).
pub fn uids_from_sequence(set: &SequenceSet, view: &SelectedMailbox) -> Result<Vec<u32>, &'static str> {
    let count = view.count();
    let ranges = match set {
        SequenceSet::Saved => return Ok(saved(view)),
        SequenceSet::Ranges(r) => r,
    };
    let mut seqs = Vec::new();
    for range in ranges {
        let (a, b) = (number(range.start, count), number(range.end, count));
        let (lo, hi) = (a.min(b), a.max(b));
        if lo == 0 || hi > count {
            return Err(INVALID_SEQUENCE);
        }
        seqs.extend(lo..=hi);
    }
    seqs.sort_unstable();
    seqs.dedup();
    Ok(seqs.into_iter().map(|s| view.messages.uids()[s as usize - 1]).collect())
}

/// UIDs named by a UID set that exist in the view, ascending and unique. `*` is the largest
/// UID in the mailbox, so `n:*` always names at least the last message.
pub fn uids_from_uid_set(set: &SequenceSet, view: &SelectedMailbox) -> Vec<u32> {
    let ranges = match set {
        SequenceSet::Saved => return saved(view),
        SequenceSet::Ranges(r) => r,
    };
    let largest = view.max_uid();
    let mut spans: Vec<(u32, u32)> = ranges
        .iter()
        .map(|r| {
            let (a, b) = (number(r.start, largest), number(r.end, largest));
            (a.min(b), a.max(b))
        })
        .collect();
    spans.sort_unstable();
    view.messages
        .uids()
        .iter()
        .copied()
        .filter(|uid| spans.iter().any(|(lo, hi)| lo <= uid && uid <= hi))
        .collect()
}

/// True when `n` lies in the set, with `*` standing for `largest` (used by SEARCH keys).
pub fn set_contains(set: &SequenceSet, n: u32, largest: u32, saved_uids: &[u32], uid: u32) -> bool {
    match set {
        SequenceSet::Saved => saved_uids.binary_search(&uid).is_ok(),
        SequenceSet::Ranges(ranges) => ranges.iter().any(|r| {
            let (a, b) = (number(r.start, largest), number(r.end, largest));
            a.min(b) <= n && n <= a.max(b)
        }),
    }
}

fn number(n: SeqNumber, largest: u32) -> u32 {
    match n {
        SeqNumber::Value(v) => v,
        SeqNumber::Largest => largest,
    }
}

fn saved(view: &SelectedMailbox) -> Vec<u32> {
    view.saved_search.iter().copied().filter(|u| view.get(*u).is_some()).collect()
}
