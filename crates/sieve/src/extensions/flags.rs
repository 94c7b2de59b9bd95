//! `imap4flags` (RFC 5232): flag lists stored as space-separated variable values.

/// Splits flag strings on whitespace and removes case-insensitive duplicates.
pub fn normalize(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in list {
        for f in s.split_whitespace() {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(f)) {
                out.push(f.to_string());
            }
        }
    }
    out
}

/// Adds flags to a flag variable value.
pub fn add(current: &str, flags: &[String]) -> String {
    let mut all = vec![current.to_string()];
    all.extend(flags.iter().cloned());
    normalize(&all).join(" ")
}

/// Removes flags from a flag variable value.
pub fn remove(current: &str, flags: &[String]) -> String {
    let gone = normalize(flags);
    normalize(&[current.to_string()])
        .into_iter()
        .filter(|f| !gone.iter().any(|g| g.eq_ignore_ascii_case(f)))
        .collect::<Vec<_>>()
        .join(" ")
}
