//! Small helpers for writing IMAP response data that the session needs often.

/// A flag list `(\Seen kw)`, adding `\Recent` when asked.
pub fn flag_list(flags: &[String], recent: bool) -> String {
    let mut out = String::from("(");
    for (i, f) in flags.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(f);
    }
    if recent {
        if !flags.is_empty() {
            out.push(' ');
        }
        out.push_str("\\Recent");
    }
    out.push(')');
    out
}
