//! Admin notices, as Cyrus has them: `msg/motd` in the data directory is shown to every user
//! who logs in (as an IMAP `[ALERT]`), and while `msg/shutdown` exists the server refuses new
//! connections with its text (e.g. during maintenance). Both are read when needed, so creating
//! or removing the files takes effect at once.

use std::path::Path;

/// The first line of `msg/<name>`, if the file exists and has text.
fn first_line(data: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(data.join("msg").join(name)).ok()?;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.chars().filter(|c| !c.is_control()).take(400).collect())
}

/// The message of the day, if set.
pub fn motd(data: &Path) -> Option<String> {
    first_line(data, "motd")
}

/// Why the server refuses new connections, if it is shutting down.
pub fn shutdown(data: &Path) -> Option<String> {
    if !data.join("msg").join("shutdown").exists() {
        return None;
    }
    Some(first_line(data, "shutdown").unwrap_or_else(|| "Server is shutting down; try again later".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_drive_the_notices() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!((motd(dir.path()), shutdown(dir.path())), (None, None));
        std::fs::create_dir(dir.path().join("msg")).unwrap();
        std::fs::write(dir.path().join("msg/motd"), "\n  Welcome back\x07\nsecond\n").unwrap();
        std::fs::write(dir.path().join("msg/shutdown"), "").unwrap();
        assert_eq!(motd(dir.path()).as_deref(), Some("Welcome back"));
        assert_eq!(shutdown(dir.path()).as_deref(), Some("Server is shutting down; try again later"));
    }
}
