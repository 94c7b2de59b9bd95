//! `bushbuck import mbox|maildir`: bringing mail from other systems into a user's store
//! (`import imap` lives in [`crate::import_imap`] and writes through [`Destination`] too).
//!
//! - mbox (mboxrd reading): a message starts at a `From ` line at the start of the file or
//!   after an empty line; its date is the message's internal date. One `>` is removed from
//!   lines matching `>+From `. `Status:` (R = \Seen), `X-Status:` (A F T D = \Answered
//!   \Flagged \Draft \Deleted) and `X-Keywords:` header fields become flags and are removed
//!   from the stored message (what `export mbox` writes back).
//! - Maildir++: `DIR/{cur,new}` is INBOX, `DIR/.Sub.Folder` is `Sub/Folder`. Flags come from
//!   the `:2,` suffix (D F R S T = \Draft \Flagged \Answered \Seen \Deleted; lower-case
//!   letters are keywords numbered in the folder's `dovecot-keywords` file), the internal
//!   date from the file time. Files are imported in name order (Maildir names start with
//!   their delivery time).
//!
//! Line ends are stored as CRLF, as IMAP has them. Imports go through the store like any
//! append, so they are safe while the server runs; an interrupted import can simply be run
//! again into an empty folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bushbuck_store::{canonical_mailbox_name, MessageMeta, MetaParts, NewMessage, Store, StoreError};
use clap::{Args, Subcommand};

use crate::cli::Location;
use crate::settings::{self, CliError};

/// Messages appended per store transaction.
const BATCH: usize = 100;

/// `bushbuck import ...`
#[derive(Args)]
pub struct ImportArgs {
    /// The format to import.
    #[command(subcommand)]
    pub format: ImportFormat,
}

/// Import formats.
#[derive(Subcommand)]
pub enum ImportFormat {
    /// Import mbox files; a directory stands for every *.mbox file under it, each into the
    /// folder named by its path (Sub/Folder.mbox -> Sub/Folder).
    Mbox {
        /// User name.
        user: String,
        /// mbox files or directories of them.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Folder for every message [default: the file name without .mbox, or INBOX].
        #[arg(long, value_name = "NAME")]
        folder: Option<String>,
        /// Only count what would be imported.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        location: Location,
    },
    /// Copy a user's mail from another IMAP server (resumable; only new messages on later runs).
    Imap(crate::import_imap::ImportImapArgs),
    /// Import a Maildir++ tree (INBOX and its .Sub.Folder folders).
    Maildir {
        /// User name.
        user: String,
        /// The Maildir (containing cur/ and new/).
        dir: PathBuf,
        /// Only count what would be imported.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        location: Location,
    },
}

/// One message read from a file: octets (CRLF line ends), flags and internal date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The message.
    pub data: Vec<u8>,
    /// IMAP flags.
    pub flags: Vec<String>,
    /// Internal date.
    pub date: Option<Date>,
}

/// An internal date: seconds since the epoch and zone offset in minutes.
pub(crate) type Date = (i64, i32);

/// Runs `bushbuck import`.
pub fn run(args: ImportArgs) -> Result<(), CliError> {
    match args.format {
        ImportFormat::Mbox { user, files, folder, dry_run, location } => {
            let mut sources: Vec<(String, PathBuf)> = Vec::new();
            for path in files {
                if path.is_dir() {
                    for (name, file) in mbox_files_under(&path)? {
                        sources.push((folder.clone().unwrap_or(name), file));
                    }
                } else {
                    let name = folder.clone().unwrap_or_else(|| folder_of_file(&path));
                    sources.push((name, path));
                }
            }
            let mut folders: Vec<(String, Vec<Parsed>)> = Vec::new();
            for (name, file) in sources {
                let bytes = std::fs::read(&file)
                    .map_err(|e| CliError::Config(format!("cannot read {}: {e}", file.display())))?;
                folders.push((name, parse_mbox(&bytes)));
            }
            import(&location, &user, folders, dry_run)
        }
        ImportFormat::Maildir { user, dir, dry_run, location } => {
            let folders = read_maildir_tree(&dir)?;
            import(&location, &user, folders, dry_run)
        }
        ImportFormat::Imap(args) => crate::import_imap::run(args),
    }
}

/// Stores parsed folders for `user`, printing a count per folder.
fn import(
    location: &Location,
    user: &str,
    folders: Vec<(String, Vec<Parsed>)>,
    dry_run: bool,
) -> Result<(), CliError> {
    let destination = Destination::open(location, user)?;
    let mut total = 0;
    for (name, messages) in folders {
        if dry_run {
            let name = canonical_folder(&name)?;
            println!("{name}: {} messages (dry run, nothing stored)", messages.len());
            total += messages.len();
            continue;
        }
        let name = destination.ensure_folder(&name)?;
        let mut done = 0;
        for chunk in messages.chunks(BATCH) {
            destination.append(&name, chunk, done)?;
            done += chunk.len();
            if messages.len() > BATCH {
                eprint!("\r{name}: {done}/{}", messages.len());
            }
        }
        if messages.len() > BATCH {
            eprintln!();
        }
        println!("{name}: {done} messages imported");
        total += done;
    }
    println!("{total} messages in total");
    Ok(())
}

/// A user's mailstore opened for importing into: what every importer (mbox, Maildir, IMAP)
/// writes through. Appends go through the store like any APPEND, so importing is safe while
/// the server runs.
pub(crate) struct Destination {
    store: Arc<dyn Store>,
    user: String,
}

impl Destination {
    /// Opens the store of `location` for `user`, who must have a mailstore.
    pub(crate) fn open(location: &Location, user: &str) -> Result<Destination, CliError> {
        let config = settings::load(location)?;
        let store = config.open_store().map_err(CliError::Failed)?;
        if !store.list_users().map_err(store_error)?.iter().any(|u| u == user) {
            return Err(CliError::NoUser(format!(
                "{user} has no mailstore; add the user first (bushbuck user add)"
            )));
        }
        Ok(Destination { store, user: user.to_string() })
    }

    /// What folder `name` already holds (no message files read); empty when it does not exist.
    pub(crate) fn existing(&self, name: &str) -> Result<Vec<MessageMeta>, CliError> {
        let snapshot = match self.store.select(&self.user, &canonical_folder(name)?) {
            Ok(snapshot) => snapshot,
            Err(StoreError::NoSuchMailbox) => return Ok(Vec::new()),
            Err(e) => return Err(store_error(e)),
        };
        let uids: Vec<u32> = snapshot.messages.iter().map(|m| m.uid).collect();
        self.store.fetch_meta(&self.user, snapshot.id, &uids, MetaParts::WITH_STRUCTURE).map_err(store_error)
    }

    /// Creates folder `name` (and its parents) unless it exists; returns its canonical name.
    pub(crate) fn ensure_folder(&self, name: &str) -> Result<String, CliError> {
        let name = canonical_folder(name)?;
        match self.store.create_mailbox(&self.user, &name, None) {
            Ok(_) | Err(StoreError::MailboxExists) => Ok(name),
            Err(e) => Err(CliError::Failed(format!("cannot create {name}: {e}"))),
        }
    }

    /// Appends `messages` to `folder` in one transaction (all or none); `done` is how many
    /// were stored before, for the error message.
    pub(crate) fn append(&self, folder: &str, messages: &[Parsed], done: usize) -> Result<(), CliError> {
        let batch: Vec<NewMessage<'_>> = messages
            .iter()
            .map(|m| NewMessage { data: &m.data, flags: m.flags.clone(), internal_date: m.date })
            .collect();
        self.store.append(&self.user, folder, &batch).map(|_| ()).map_err(|e| {
            CliError::Failed(format!(
                "{folder}: storing failed after {done} messages: {e}; the first {done} are stored"
            ))
        })
    }
}

/// The canonical spelling of a folder name, or an error naming it.
pub(crate) fn canonical_folder(name: &str) -> Result<String, CliError> {
    canonical_mailbox_name(name).map_err(|e| CliError::Config(format!("cannot import into {name:?}: {e}")))
}

/// A store failure as a command failure.
pub(crate) fn store_error(e: StoreError) -> CliError {
    CliError::Failed(format!("mail store: {e}"))
}

/// Folder for a single mbox file: its name without `.mbox`, or INBOX for other names.
fn folder_of_file(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("INBOX");
    name.strip_suffix(".mbox").filter(|s| !s.is_empty()).unwrap_or("INBOX").to_string()
}

/// Every `*.mbox` file under `dir` with its folder name (relative path without `.mbox`).
fn mbox_files_under(dir: &Path) -> Result<Vec<(String, PathBuf)>, CliError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| CliError::Config(format!("cannot read {}: {e}", d.display())))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(rel) = path.strip_prefix(dir).ok().and_then(|r| r.to_str()) {
                if let Some(name) = rel.strip_suffix(".mbox") {
                    out.push((name.replace(std::path::MAIN_SEPARATOR, "/"), path.clone()));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Splits bytes into lines, each without its line end (LF or CRLF).
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.into_iter().map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect()
}

/// Parses an mbox (mboxrd quoting) into messages.
pub(crate) fn parse_mbox(data: &[u8]) -> Vec<Parsed> {
    let all = lines(data);
    let mut out = Vec::new();
    let mut current: Option<(Option<Date>, Vec<&[u8]>)> = None;
    for (i, line) in all.iter().enumerate() {
        let separator = line.starts_with(b"From ") && (i == 0 || all[i - 1].is_empty());
        if separator {
            if let Some((date, body)) = current.take() {
                out.push(finish_mbox_message(date, body));
            }
            current = Some((parse_from_line_date(line).map(|d| (d, 0)), Vec::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push(line);
        }
    }
    if let Some((date, body)) = current {
        out.push(finish_mbox_message(date, body));
    }
    out
}

/// Builds one message from its mbox lines: drops the separating empty line, unquotes
/// `>From`, reads and removes the status header fields.
fn finish_mbox_message(date: Option<Date>, mut body: Vec<&[u8]>) -> Parsed {
    if body.last().is_some_and(|l| l.is_empty()) {
        body.pop();
    }
    let mut flags = Vec::new();
    let mut data = Vec::new();
    let mut in_header = true;
    let mut skipping = false;
    for line in body {
        if in_header {
            if line.is_empty() {
                in_header = false;
            } else if skipping && (line[0] == b' ' || line[0] == b'\t') {
                continue;
            } else {
                skipping = false;
                if let Some(value) = header_value(line, "Status") {
                    if value.contains('R') {
                        push_flag(&mut flags, "\\Seen");
                    }
                    skipping = true;
                    continue;
                }
                if let Some(value) = header_value(line, "X-Status") {
                    for (letter, flag) in
                        [('A', "\\Answered"), ('F', "\\Flagged"), ('T', "\\Draft"), ('D', "\\Deleted")]
                    {
                        if value.contains(letter) {
                            push_flag(&mut flags, flag);
                        }
                    }
                    skipping = true;
                    continue;
                }
                if let Some(value) = header_value(line, "X-Keywords") {
                    for keyword in value.split([',', ' ']).filter(|k| !k.is_empty()) {
                        push_flag(&mut flags, keyword);
                    }
                    skipping = true;
                    continue;
                }
            }
        }
        let unquoted = match line.iter().position(|&b| b != b'>') {
            Some(n) if n > 0 && line[n..].starts_with(b"From ") => &line[1..],
            _ => line,
        };
        data.extend_from_slice(unquoted);
        data.extend_from_slice(b"\r\n");
    }
    Parsed { data, flags, date }
}

fn push_flag(flags: &mut Vec<String>, flag: &str) {
    if !flags.iter().any(|f| f.eq_ignore_ascii_case(flag)) {
        flags.push(flag.to_string());
    }
}

/// The value of a header line `Name: value` (name compared case-insensitively).
fn header_value(line: &[u8], name: &str) -> Option<String> {
    let colon = line.iter().position(|&b| b == b':')?;
    if !line[..colon].eq_ignore_ascii_case(name.as_bytes()) {
        return None;
    }
    Some(String::from_utf8_lossy(&line[colon + 1..]).trim().to_string())
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The date of a `From sender Www Mmm dd hh:mm:ss yyyy` line, as seconds since the epoch
/// (UTC; a numeric zone before or after the year is applied).
pub(crate) fn parse_from_line_date(line: &[u8]) -> Option<i64> {
    let text = String::from_utf8_lossy(line);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let i = (2..tokens.len()).find(|&i| {
        MONTHS.contains(&tokens[i]) && WEEKDAYS.iter().any(|w| tokens[i - 1].eq_ignore_ascii_case(w))
    })?;
    let month = MONTHS.iter().position(|m| *m == tokens[i])? as u32 + 1;
    let day: u32 = tokens.get(i + 1)?.parse().ok()?;
    let mut hms = tokens.get(i + 2)?.split(':').map(|p| p.parse::<i64>());
    let (h, m) = (hms.next()?.ok()?, hms.next()?.ok()?);
    let s = hms.next().map_or(Ok(0), |r| r).ok()?;
    let mut zone = 0;
    let mut year = None;
    for token in tokens.iter().skip(i + 3).take(2) {
        if let Ok(y) = token.parse::<i64>() {
            if token.len() == 4 && !token.starts_with(['+', '-']) {
                year = Some(y);
                continue;
            }
        }
        if let Some(z) = parse_zone(token) {
            zone = z;
        }
    }
    let days = days_from_civil(year?, month, day);
    Some(days * 86_400 + h * 3600 + m * 60 + s - zone)
}

/// `+hhmm` / `-hhmm` as seconds east of UTC.
fn parse_zone(token: &str) -> Option<i64> {
    let (sign, digits) = match token.as_bytes().first()? {
        b'+' => (1, &token[1..]),
        b'-' => (-1, &token[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    Some(sign * ((n / 100) * 3600 + (n % 100) * 60))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `Www Mmm dd hh:mm:ss yyyy` (asctime, UTC) of seconds since the epoch.
pub(crate) fn asctime(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let weekday = WEEKDAYS[(days + 4).rem_euclid(7) as usize];
    format!(
        "{weekday} {} {d:2} {:02}:{:02}:{:02} {y}",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Maildir flag letters and IMAP system flags, in the order Maildir writes them.
pub(crate) const MAILDIR_FLAGS: [(char, &str); 5] =
    [('D', "\\Draft"), ('F', "\\Flagged"), ('R', "\\Answered"), ('S', "\\Seen"), ('T', "\\Deleted")];

/// Every folder of a Maildir++ tree with its messages.
fn read_maildir_tree(root: &Path) -> Result<Vec<(String, Vec<Parsed>)>, CliError> {
    if !root.join("cur").is_dir() && !root.join("new").is_dir() {
        return Err(CliError::Config(format!("{} is not a Maildir (no cur/ or new/ in it)", root.display())));
    }
    let mut folders = vec![("INBOX".to_string(), read_maildir_folder(root)?)];
    let entries = std::fs::read_dir(root)
        .map_err(|e| CliError::Config(format!("cannot read {}: {e}", root.display())))?;
    let mut subs: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else { continue };
        let path = entry.path();
        let Some(rest) = name.strip_prefix('.') else { continue };
        if rest.is_empty() || rest == "." || !(path.join("cur").is_dir() || path.join("new").is_dir()) {
            continue;
        }
        subs.push((rest.split('.').collect::<Vec<_>>().join("/"), path));
    }
    subs.sort();
    for (name, path) in subs {
        folders.push((name, read_maildir_folder(&path)?));
    }
    Ok(folders)
}

/// The messages of one Maildir folder (cur/ and new/), in name order.
fn read_maildir_folder(dir: &Path) -> Result<Vec<Parsed>, CliError> {
    let keywords = read_dovecot_keywords(dir);
    let mut files: Vec<(u64, String, PathBuf)> = Vec::new();
    for sub in ["cur", "new"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else { continue };
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else { continue };
            if name.starts_with('.') || !entry.path().is_file() {
                continue;
            }
            let lead: u64 =
                name.split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse().ok()).unwrap_or(0);
            files.push((lead, name, entry.path()));
        }
    }
    files.sort();
    let mut out = Vec::with_capacity(files.len());
    for (_, name, path) in files {
        let raw = std::fs::read(&path)
            .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", path.display())))?;
        let date = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| (d.as_secs() as i64, 0));
        let mut flags = Vec::new();
        if let Some((_, info)) = name.rsplit_once(":2,") {
            for c in info.chars() {
                if let Some((_, flag)) = MAILDIR_FLAGS.iter().find(|(l, _)| *l == c) {
                    push_flag(&mut flags, flag);
                } else if let Some(keyword) = keywords.get(&c) {
                    push_flag(&mut flags, keyword);
                }
            }
        }
        let mut data = Vec::with_capacity(raw.len() + raw.len() / 32);
        for line in lines(&raw) {
            data.extend_from_slice(line);
            data.extend_from_slice(b"\r\n");
        }
        out.push(Parsed { data, flags, date });
    }
    Ok(out)
}

/// Keyword letters (a-z) of a folder's `dovecot-keywords` file (`<n> <keyword>` lines).
pub(crate) fn read_dovecot_keywords(dir: &Path) -> BTreeMap<char, String> {
    let mut out = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(dir.join("dovecot-keywords")) else { return out };
    for line in text.lines() {
        let Some((n, keyword)) = line.split_once(' ') else { continue };
        if let Ok(n) = n.parse::<u8>() {
            if n < 26 && !keyword.trim().is_empty() {
                out.insert((b'a' + n) as char, keyword.trim().to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_line_dates() {
        assert_eq!(parse_from_line_date(b"From a@b Thu Jan  1 00:00:00 1970"), Some(0));
        assert_eq!(parse_from_line_date(b"From a@b Sat Feb 29 12:30:05 2020"), Some(1_582_979_405));
        assert_eq!(parse_from_line_date(b"From a@b Sat Feb 29 12:30:05 2020 +0100"), Some(1_582_975_805));
        assert_eq!(parse_from_line_date(b"From nobody"), None);
        assert_eq!(asctime(1_582_979_405), "Sat Feb 29 12:30:05 2020");
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
    }

    #[test]
    fn mbox_parsing() {
        let mbox = b"From a@b Thu Jan  1 00:00:00 1970\nStatus: RO\nX-Status: AF\nSubject: one\n\n>From here\n>>From there\n\nFrom b@c Thu Jan  1 00:00:01 1970\nSubject: two\n\nbody\nFrom inside\n";
        let msgs = parse_mbox(mbox);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].data, b"Subject: one\r\n\r\nFrom here\r\n>From there\r\n");
        assert_eq!(msgs[0].flags, vec!["\\Seen", "\\Answered", "\\Flagged"]);
        assert_eq!(msgs[1].data, b"Subject: two\r\n\r\nbody\r\nFrom inside\r\n");
        assert_eq!(msgs[1].date, Some((1, 0)));
    }
}
