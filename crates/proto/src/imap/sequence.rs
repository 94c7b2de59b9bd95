//! Sequence sets: parsing `1:3,5,7:*` / `$`, and resolving them against the largest number
//! in use (message count or highest UID).

use super::command::{SeqNumber, SeqRange, SequenceSet};
use super::lexer::{parse_u64, Cursor, PResult};

/// Parses a complete sequence set such as `1:3,5,*` or `$`; `None` when it is not one.
pub fn parse_sequence_set(text: &[u8]) -> Option<SequenceSet> {
    let mut c = Cursor::new(text);
    let set = read_sequence_set(&mut c).ok()?;
    c.end().ok()?;
    Some(set)
}

/// True when a sequence set (a digit, `*` or `$`) starts at the cursor.
pub(crate) fn at_sequence_set(c: &Cursor<'_>) -> bool {
    matches!(c.peek(), Some(b'0'..=b'9' | b'*' | b'$'))
}

/// Reads a sequence set at the cursor.
pub(crate) fn read_sequence_set(c: &mut Cursor<'_>) -> PResult<SequenceSet> {
    const BAD: &str = "Invalid sequence set";
    if c.at_eol() {
        return Err("Missing argument: sequence set".into());
    }
    if c.eat(b'$') {
        return Ok(SequenceSet::Saved);
    }
    let mut ranges = Vec::new();
    loop {
        let start = read_seq_number(c).ok_or(BAD)?;
        let end = if c.eat(b':') { read_seq_number(c).ok_or(BAD)? } else { start };
        ranges.push(SeqRange { start, end });
        if !c.eat(b',') {
            break;
        }
    }
    if c.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'$' || b == b'*' || b == b':') {
        return Err(BAD.into());
    }
    Ok(SequenceSet::Ranges(ranges))
}

fn read_seq_number(c: &mut Cursor<'_>) -> Option<SeqNumber> {
    if c.eat(b'*') {
        return Some(SeqNumber::Largest);
    }
    let digits = c.take_while(|b| b.is_ascii_digit());
    match parse_u64(digits)? {
        0 => None,
        n => u32::try_from(n).ok().map(SeqNumber::Value),
    }
}

impl SeqNumber {
    /// The number, with `*` standing for `largest`.
    pub fn value(self, largest: u32) -> u32 {
        match self {
            SeqNumber::Value(n) => n,
            SeqNumber::Largest => largest,
        }
    }
}

impl SeqRange {
    /// The range as `(low, high)` with low <= high, `*` standing for `largest`.
    pub fn bounds(&self, largest: u32) -> (u32, u32) {
        let (a, b) = (self.start.value(largest), self.end.value(largest));
        (a.min(b), a.max(b))
    }
}

impl SequenceSet {
    /// True for `$` (the saved search result), which only the session can resolve.
    pub fn is_saved(&self) -> bool {
        matches!(self, SequenceSet::Saved)
    }

    /// Each range as `(low, high)`, low <= high, in the order written, `*` standing for
    /// `largest`. Yields nothing for `$`.
    pub fn iter_ranges(&self, largest: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let ranges: &[SeqRange] = match self {
            SequenceSet::Ranges(r) => r,
            SequenceSet::Saved => &[],
        };
        ranges.iter().map(move |r| r.bounds(largest))
    }

    /// True when `n` lies in one of the ranges (`*` standing for `largest`). Always false
    /// for `$`.
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.iter_ranges(largest).any(|(lo, hi)| lo <= n && n <= hi)
    }

    /// The highest number the set names (`*` standing for `largest`); 0 for `$`. For message
    /// sequence numbers, a value above the message count means the set is invalid.
    pub fn max_value(&self, largest: u32) -> u32 {
        self.iter_ranges(largest).map(|(_, hi)| hi).max().unwrap_or(0)
    }

    /// The ranges clamped to `1..=largest`, sorted and merged, so every number is named once
    /// (UID sets name non-existent UIDs freely). Empty for `$` or when `largest` is 0.
    pub fn clamped_ranges(&self, largest: u32) -> Vec<(u32, u32)> {
        let mut spans: Vec<(u32, u32)> = self
            .iter_ranges(largest)
            .filter(|&(lo, _)| lo <= largest && largest > 0)
            .map(|(lo, hi)| (lo.max(1), hi.min(largest)))
            .collect();
        spans.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(spans.len());
        for (lo, hi) in spans {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        merged
    }

    /// The numbers the set names within `1..=largest`, ascending and unique. Allocates one
    /// entry per number: meant for message sequence numbers, where `largest` is the count.
    pub fn resolve(&self, largest: u32) -> Vec<u32> {
        self.clamped_ranges(largest).into_iter().flat_map(|(lo, hi)| lo..=hi).collect()
    }

    /// Filters ascending, unique `existing` numbers (e.g. the UIDs in a mailbox) down to those
    /// in the set, `*` standing for the last of them.
    pub fn select_from(&self, existing: &[u32]) -> Vec<u32> {
        let largest = existing.last().copied().unwrap_or(0);
        let spans = self.clamped_ranges(largest);
        existing
            .iter()
            .copied()
            .filter(|n| {
                let i = spans.partition_point(|&(_, hi)| hi < *n);
                spans.get(i).is_some_and(|&(lo, _)| lo <= *n)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> SequenceSet {
        parse_sequence_set(s.as_bytes()).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn parses() {
        use SeqNumber::*;
        assert_eq!(
            set("1:3,5,*,7:*"),
            SequenceSet::Ranges(vec![
                SeqRange { start: Value(1), end: Value(3) },
                SeqRange { start: Value(5), end: Value(5) },
                SeqRange { start: Largest, end: Largest },
                SeqRange { start: Value(7), end: Largest },
            ])
        );
        assert_eq!(set("$"), SequenceSet::Saved);
        assert_eq!(
            set("4294967295"),
            SequenceSet::Ranges(vec![SeqRange { start: Value(u32::MAX), end: Value(u32::MAX) }])
        );
        for bad in
            ["", "0", "1:0", "1,", ",1", "1::2", "a", "1:a", "4294967296", "$,1", "1,$", "1 2", "-1", "1:*:2"]
        {
            assert!(parse_sequence_set(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn resolves() {
        let s = set("5:3,9,7:*,1");
        assert_eq!(s.iter_ranges(8).collect::<Vec<_>>(), vec![(3, 5), (9, 9), (7, 8), (1, 1)]);
        assert_eq!(s.iter_ranges(6).collect::<Vec<_>>(), vec![(3, 5), (9, 9), (6, 7), (1, 1)]);
        assert!(s.contains(4, 8));
        assert!(!s.contains(2, 8));
        assert!(s.contains(6, 6));
        assert_eq!(s.max_value(8), 9);
        assert_eq!(s.clamped_ranges(8), vec![(1, 1), (3, 5), (7, 8)]);
        assert_eq!(s.resolve(6), vec![1, 3, 4, 5, 6]);
        assert_eq!(s.resolve(0), Vec::<u32>::new());
        assert_eq!(set("*").resolve(3), vec![3]);
        assert_eq!(set("1:*").clamped_ranges(u32::MAX), vec![(1, u32::MAX)]);
        assert_eq!(set("100:*").select_from(&[3, 50, 70]), vec![70]);
        assert_eq!(set("2:60").select_from(&[3, 50, 70]), vec![3, 50]);
        assert!(!SequenceSet::Saved.contains(1, 1));
        assert!(SequenceSet::Saved.is_saved());
    }
}
