//! The ESEARCH answer of a SEARCH or SORT with RETURN options: MIN, MAX, ALL, COUNT (RFC
//! 4731; for SORT in sort order, ESORT of RFC 5267 3.1), PARTIAL (RFC 9394 3.1), SAVE (RFC
//! 5182, RFC 9394 3.2), and UPDATE, which opens a context (RFC 5267 4.3, `contexts.rs`).

use bushbuck_proto::imap::command::{PartialRange, SearchReturn};
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

/// The result options among `ret` (those that shape the answer). CONTEXT is only a hint, so
/// a list of nothing else means ALL as `RETURN ()` does (RFC 4731 3.1); UPDATE alone asks
/// for no result data (the client adds ALL to get the result), as Dovecot answers both.
fn result_options(ret: &[SearchReturn]) -> Vec<SearchReturn> {
    let opts: Vec<SearchReturn> =
        ret.iter().copied().filter(|r| !matches!(r, SearchReturn::Context | SearchReturn::Update)).collect();
    if opts.is_empty() && !ret.contains(&SearchReturn::Update) {
        vec![SearchReturn::All]
    } else {
        opts
    }
}

/// The PARTIAL option among `opts`, if any.
fn partial_of(opts: &[SearchReturn]) -> Option<PartialRange> {
    opts.iter().find_map(|o| match o {
        SearchReturn::Partial(range) => Some(*range),
        _ => None,
    })
}

/// The UIDs SAVE keeps: everything with ALL or COUNT (or SAVE alone); else the MIN and MAX
/// messages and the PARTIAL window that were asked for (RFC 5182 2.4, RFC 9394 3.2).
fn saved_uids(opts: &[SearchReturn], found: &[Found]) -> Vec<u32> {
    if opts.contains(&SearchReturn::All) || opts.contains(&SearchReturn::Count) || opts.len() == 1 {
        return found.iter().map(|f| f.uid).collect();
    }
    let mut keep = Vec::new();
    if opts.contains(&SearchReturn::Min) {
        keep.extend(found.first().map(|f| f.uid));
    }
    if opts.contains(&SearchReturn::Max) {
        keep.extend(found.last().map(|f| f.uid));
    }
    if let Some(range) = partial_of(opts) {
        keep.extend(range.window(found).iter().map(|f| f.uid));
    }
    keep.sort_unstable();
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
        if let Some(range) = partial_of(&opts) {
            let part: Vec<u32> =
                range.window(found).iter().map(|f| if uid_cmd { f.uid } else { f.seq }).collect();
            let sign = if range.from_end { "-" } else { "" };
            let set = match (part.is_empty(), sorted) {
                (true, _) => "NIL".to_string(),
                (false, true) => response::sequence_set_ordered(&part),
                (false, false) => response::sequence_set(&part),
            };
            line.push_str(&format!(" PARTIAL ({sign}{}:{sign}{} {set})", range.low, range.high));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn found(n: u32) -> Vec<Found> {
        (1..=n).map(|i| Found { seq: i, uid: i * 10, modseq: 1 }).collect()
    }

    #[test]
    fn save_keeps_what_was_returned() {
        let all = found(5);
        let partial = SearchReturn::Partial(PartialRange { low: 1, high: 2, from_end: false });
        use SearchReturn::*;
        assert_eq!(saved_uids(&[Save, partial], &all), vec![10, 20]);
        assert_eq!(saved_uids(&[Save, partial, Max], &all), vec![10, 20, 50]);
        assert_eq!(saved_uids(&[Save, partial, Count], &all), vec![10, 20, 30, 40, 50]);
        assert_eq!(saved_uids(&[Save, Min], &all), vec![10]);
    }
}
