//! UID sets as ranges, so a query over many UIDs costs one statement per run of
//! consecutive UIDs instead of one per UID.

/// Sorted, deduplicated UIDs folded into inclusive ranges, for `uid BETWEEN` queries.
pub(crate) fn uid_ranges(uids: &[u32]) -> Vec<(u32, u32)> {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for uid in sorted {
        match out.last_mut() {
            Some((_, hi)) if *hi + 1 == uid => *hi = uid,
            _ => out.push((uid, uid)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges() {
        assert_eq!(super::uid_ranges(&[5, 1, 2, 3, 3, 9, 10]), vec![(1, 3), (5, 5), (9, 10)]);
        assert_eq!(super::uid_ranges(&[u32::MAX, u32::MAX - 1]), vec![(u32::MAX - 1, u32::MAX)]);
        assert!(super::uid_ranges(&[]).is_empty());
    }
}
