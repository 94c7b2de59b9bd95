//! Spreading CPU-bound work over the machine's cores (parsing messages, unpacking search
//! texts), with scoped threads: no pool to keep, order kept.

/// `f` applied to every item, in order: on the calling thread for fewer than `min` items (or
/// on a single core), else split evenly over the cores.
pub fn map<T: Sync, U: Send>(items: &[T], min: usize, f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = cores();
    if items.len() < min.max(2) || threads < 2 {
        return items.iter().map(f).collect();
    }
    let per_thread = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// The number of cores this process may use, read once: the standard library reads the
/// cgroup files on every call, which cost a single delivery four opens.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn order_is_kept() {
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(super::map(&items, 8, |x| x * 2), items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(super::map(&items[..3], 8, |x| x + 1), vec![1, 2, 3]);
    }
}
