//! CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 4): a UID SEARCH or UID SORT with RETURN
//! (UPDATE) stays open, and whenever its result changes (new messages, flag changes,
//! expunges, by any session) the session announces `* ESEARCH (TAG "t") UID REMOVEFROM
//! (...) ADDTO (...)` until CANCELUPDATE or the mailbox is left.
//!
//! Updates are given for UID commands only: RFC 5267 4.3.1 lets a server refuse UPDATE
//! (`* NO [NOUPDATE "tag"]`, the client retries with UID SEARCH), and UIDs stay valid across
//! EXPUNGE and EXISTS, so announcements never need to be interleaved with them.

use std::collections::HashSet;

use bushbuck_proto::imap::command::{SearchKey, SearchReturn, SortCriterion};
use bushbuck_proto::imap::response;

use super::session::{Outcome, Session};

/// How many update contexts one session may hold (RFC 5267 4.3.1 asks for at least one).
const MAX_CONTEXTS: usize = 16;

/// A searching command, kept to be run again.
#[derive(Debug, Clone)]
pub(super) enum Query {
    /// SEARCH: the charset and the search program.
    Search { charset: Option<String>, key: SearchKey },
    /// SORT: the sort criteria, the charset and the search program.
    Sort { criteria: Vec<SortCriterion>, charset: String, key: SearchKey },
}

impl Query {
    /// Whether results are in sort order (positions count) rather than mailbox order.
    pub(super) fn is_sort(&self) -> bool {
        matches!(self, Query::Sort { .. })
    }

    /// The command's name for its tagged OK.
    pub(super) fn command_name(&self, uid: bool) -> &'static str {
        match (self, uid) {
            (Query::Search { .. }, false) => "SEARCH",
            (Query::Search { .. }, true) => "UID SEARCH",
            (Query::Sort { .. }, false) => "SORT",
            (Query::Sort { .. }, true) => "UID SORT",
        }
    }
}

/// An open update context.
pub(super) struct UpdateContext {
    /// The tag of the command that opened it (the ESEARCH correlator).
    tag: String,
    query: Query,
    /// The UIDs of the result as last announced, in answer order.
    uids: Vec<u32>,
    /// The view's state when `uids` was computed; the query runs again only once it moved.
    seen: ViewStamp,
}

/// What changes when the selected mailbox does: its HIGHESTMODSEQ (flag changes and
/// expunges raise it), its message count and its largest UID.
type ViewStamp = (u64, u32, u32);

/// The ADDTO/REMOVEFROM data that turns `old` into `new` (both UIDs in answer order), or
/// `None` when they are equal. A SEARCH result is in mailbox order, so both are given at
/// position 0 (RFC 5267 4.3.3, 4.3.4). For SORT, sort keys never change, so the messages
/// in both keep their relative order: removals are given from the last position back (each
/// position then holds in the list as the client has it), then additions in ascending final
/// position, each inserted where it ends up (1-based).
fn changes(old: &[u32], new: &[u32], sorted: bool) -> Option<String> {
    let kept: HashSet<u32> = new.iter().copied().collect();
    let had: HashSet<u32> = old.iter().copied().collect();
    let mut items = Vec::new();
    if sorted {
        for (i, uid) in old.iter().enumerate().rev() {
            if !kept.contains(uid) {
                items.push(format!("REMOVEFROM ({} {uid})", i + 1));
            }
        }
        for (i, uid) in new.iter().enumerate() {
            if !had.contains(uid) {
                items.push(format!("ADDTO ({} {uid})", i + 1));
            }
        }
    } else {
        let removed: Vec<u32> = old.iter().copied().filter(|u| !kept.contains(u)).collect();
        let added: Vec<u32> = new.iter().copied().filter(|u| !had.contains(u)).collect();
        if !removed.is_empty() {
            items.push(format!("REMOVEFROM (0 {})", response::sequence_set(&removed)));
        }
        if !added.is_empty() {
            items.push(format!("ADDTO (0 {})", response::sequence_set(&added)));
        }
    }
    (!items.is_empty()).then(|| items.join(" "))
}

impl Session {
    /// Opens an update context for the current command, whose result is `uids` (in answer
    /// order); refuses with `* NO [NOUPDATE "tag"]` (the command still answers) for a
    /// non-UID command or when the session holds too many.
    pub(super) fn open_context(&mut self, uid_cmd: bool, query: Query, uids: Vec<u32>) {
        let tag = self.current_tag().to_string();
        let why = if !uid_cmd {
            Some("Updates are sent for UID SEARCH and UID SORT only")
        } else if self.contexts.len() >= MAX_CONTEXTS {
            Some("Too many update contexts; CANCELUPDATE one first")
        } else {
            None
        };
        match why {
            Some(why) => self.untagged(&format!("NO [NOUPDATE \"{tag}\"] {why}")),
            None => {
                let seen = self.view_stamp();
                self.contexts.push(UpdateContext { tag, query, uids, seen })
            }
        }
    }

    /// Whether a context is open under `tag` (RFC 5267 4.3: reusing it for another UPDATE is
    /// answered BAD).
    fn has_context(&self, tag: &str) -> bool {
        self.contexts.iter().any(|c| c.tag == tag)
    }

    /// The BAD answer to RETURN (UPDATE) under a tag an open context already has (RFC 5267
    /// 4.3: tags are the correlators of updates).
    pub(super) fn refuse_update_tag(&self, ret: Option<&[SearchReturn]>) -> Option<Outcome> {
        let update = ret.is_some_and(|r| r.contains(&SearchReturn::Update));
        (update && self.has_context(self.current_tag()))
            .then(|| Outcome::Bad("Tag reuse: an update context already has this tag".into()))
    }

    /// CANCELUPDATE: closes the named contexts.
    pub(super) fn cancel_update(&mut self, tags: &[String]) -> Outcome {
        if tags.iter().any(|t| !self.has_context(t)) {
            return Outcome::Bad(
                "No update context has that tag (see the tags of UID SEARCH/SORT RETURN (UPDATE))".into(),
            );
        }
        self.contexts.retain(|c| !tags.contains(&c.tag));
        Outcome::done("CANCELUPDATE")
    }

    /// Runs every open context's command again and announces how each result changed.
    pub(super) fn announce_context_changes(&mut self) {
        let now = self.view_stamp();
        let mut contexts = std::mem::take(&mut self.contexts);
        for context in contexts.iter_mut().filter(|c| c.seen != now) {
            context.seen = now;
            let uids: Vec<u32> = match self.run_query(&context.query) {
                Ok(found) => found.iter().map(|f| f.uid).collect(),
                Err(_) => continue,
            };
            if let Some(data) = changes(&context.uids, &uids, context.query.is_sort()) {
                self.untagged(&format!("ESEARCH (TAG \"{}\") UID {data}", context.tag));
                context.uids = uids;
            }
        }
        // A command run meanwhile cannot have opened one (this runs between commands).
        self.contexts = contexts;
    }

    fn view_stamp(&self) -> ViewStamp {
        self.selected.as_ref().map_or((0, 0, 0), |v| (v.highest_modseq, v.count(), v.max_uid()))
    }

    /// Closes every context (the mailbox was left).
    pub(super) fn drop_contexts(&mut self) {
        self.contexts.clear();
    }

    /// The result of a searching command, in answer order.
    fn run_query(&mut self, query: &Query) -> Result<Vec<super::esearch::Found>, Outcome> {
        match query {
            Query::Search { charset, key } => self.search_found(charset.as_deref(), key),
            Query::Sort { criteria, charset, key } => self.sort_found(criteria, charset, key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies announced data to `list` as RFC 5267 4.3.3/4.3.4 say a client does.
    fn apply(list: &mut Vec<u32>, data: &str) {
        let mut rest = data;
        while let Some(open) = rest.find('(') {
            let verb = rest[..open].trim();
            let close = rest.find(')').unwrap();
            let (pos, set) = rest[open + 1..close].split_once(' ').unwrap();
            let pos: usize = pos.parse().unwrap();
            let uids: Vec<u32> = set
                .split(',')
                .flat_map(|r| match r.split_once(':') {
                    Some((a, b)) => (a.parse::<u32>().unwrap()..=b.parse().unwrap()).collect::<Vec<_>>(),
                    None => vec![r.parse().unwrap()],
                })
                .collect();
            match (verb, pos) {
                ("REMOVEFROM", 0) => list.retain(|u| !uids.contains(u)),
                ("REMOVEFROM", p) => {
                    list.drain(p - 1..p - 1 + uids.len());
                }
                ("ADDTO", 0) => {
                    list.extend(uids);
                    list.sort_unstable();
                }
                ("ADDTO", p) => {
                    for (i, u) in uids.into_iter().enumerate() {
                        list.insert(p - 1 + i, u);
                    }
                }
                _ => panic!("{verb}"),
            }
            rest = &rest[close + 1..];
        }
    }

    #[test]
    fn sorted_changes_rebuild_the_new_order() {
        let old = vec![9, 3, 7, 1, 5];
        let new = vec![9, 8, 7, 1, 2, 6];
        let data = changes(&old, &new, true).unwrap();
        assert_eq!(data, "REMOVEFROM (5 5) REMOVEFROM (2 3) ADDTO (2 8) ADDTO (5 2) ADDTO (6 6)");
        let mut list = old.clone();
        apply(&mut list, &data);
        assert_eq!(list, new);
    }

    #[test]
    fn search_changes_use_position_zero() {
        let data = changes(&[1, 2, 3, 7], &[1, 3, 4, 5, 7], false).unwrap();
        assert_eq!(data, "REMOVEFROM (0 2) ADDTO (0 4:5)");
        let mut list = vec![1, 2, 3, 7];
        apply(&mut list, &data);
        assert_eq!(list, vec![1, 3, 4, 5, 7]);
        assert_eq!(changes(&[1, 2], &[1, 2], false), None);
    }
}
