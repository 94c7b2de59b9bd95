//! The ESEARCH answer of a SEARCH or SORT with RETURN options: MIN, MAX, ALL, COUNT (RFC
//! 4731; for SORT in sort order, ESORT of RFC 5267 3.1), SAVE (RFC 5182), and UPDATE, which
//! opens a context (RFC 5267 4.3, `contexts.rs`).

use bushbuck_proto::imap::command::SearchReturn;
use bushbuck_proto::imap::response;

use super::contexts::Query;
use super::session::{Outcome, Session};

/// One message of a result, in answer order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Found {
    /// Its sequence number.
    pub seq: u32,
    /// Its UID.
    pub uid: u32,
    /// Its MODSEQ.
    pub modseq: u64,
}

/// The result options among `ret` (those that shape the answer), ALL when there are none
/// (RFC 4731 3.1: `RETURN ()` means ALL; CONTEXT and UPDATE alone ask for no less).
fn result_options(ret: &[SearchReturn]) -> Vec<SearchReturn> {
    let opts: Vec<SearchReturn> =
        ret.iter().copied().filter(|r| !matches!(r, SearchReturn::Context | SearchReturn::Update)).collect();
    if opts.is_empty() {
        vec![SearchReturn::All]
    } else {
        opts
    }
}

/// The UIDs SAVE keeps (RFC 5182 2.4: with MIN or MAX alone, only those).
fn saved_uids(opts: &[SearchReturn], found: &[Found]) -> Vec<u32> {
    let uids = found.iter().map(|f| f.uid);
    if opts.contains(&SearchReturn::All) || opts.contains(&SearchReturn::Count) || opts.len() == 1 {
        return uids.collect();
    }
    let mut keep = Vec::new();
    if opts.contains(&SearchReturn::Min) {
        keep.extend(found.first().map(|f| f.uid));
    }
    if opts.contains(&SearchReturn::Max) {
        keep.extend(found.last().map(|f| f.uid));
    }
    keep.dedup();
    keep
}

impl Session {
    /// Answers a searching command that had RETURN options: `found` in answer order
    /// (mailbox order for SEARCH, sort order for SORT). `modseq` is the MODSEQ data to add
    /// (a search key named MODSEQ).
    pub(super) fn answer_esearch(
        &mut self,
        uid_cmd: bool,
        ret: &[SearchReturn],
        found: &[Found],
        modseq: Option<u64>,
        query: Query,
    ) -> Outcome {
        let done = Outcome::done(query.command_name(uid_cmd));
        let sorted = query.is_sort();
        let opts = result_options(ret);
        if opts.contains(&SearchReturn::Save) {
            let saved = saved_uids(&opts, found);
            if let Some(view) = self.selected.as_mut() {
                view.saved_search = saved;
            }
        }
        if ret.contains(&SearchReturn::Update) {
            self.open_context(uid_cmd, query, found.iter().map(|f| f.uid).collect());
        }
        if opts == [SearchReturn::Save] {
            return done;
        }
        let numbers: Vec<u32> = found.iter().map(|f| if uid_cmd { f.uid } else { f.seq }).collect();
        let mut line = format!("ESEARCH (TAG \"{}\")", self.current_tag());
        if uid_cmd {
            line.push_str(" UID");
        }
        if let (Some(first), Some(last)) = (numbers.first(), numbers.last()) {
            if opts.contains(&SearchReturn::Min) {
                line.push_str(&format!(" MIN {first}"));
            }
            if opts.contains(&SearchReturn::Max) {
                line.push_str(&format!(" MAX {last}"));
            }
            if opts.contains(&SearchReturn::All) {
                let set = if sorted {
                    response::sequence_set_ordered(&numbers)
                } else {
                    response::sequence_set(&numbers)
                };
                line.push_str(&format!(" ALL {set}"));
            }
        }
        if opts.contains(&SearchReturn::Count) {
            line.push_str(&format!(" COUNT {}", numbers.len()));
        }
        if let Some(m) = modseq {
            line.push_str(&format!(" MODSEQ {m}"));
        }
        self.untagged(&line);
        done
    }
}
