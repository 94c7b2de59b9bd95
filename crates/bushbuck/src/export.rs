//! `bushbuck export mbox|maildir USER DIR`: writes every mailbox of a user out in a format
//! other software reads. Reading goes through the store, so it is safe while the server runs
//! (each mailbox is exported as it was when the export reached it).
//!
//! - mbox: `DIR/<mailbox>.mbox` (hierarchy as directories: `Sub/Folder.mbox`), mboxrd quoting
//!   (`>` added to lines matching `>*From `), LF line ends, the internal date in the `From `
//!   line, flags as `Status:` / `X-Status:` / `X-Keywords:` header fields added at the end of
//!   the header. `bushbuck import mbox USER DIR` reads such a tree back.
//! - Maildir++: `DIR` is INBOX, `DIR/.Sub.Folder` is `Sub/Folder`; messages in `cur/` with
//!   flags in the `:2,` suffix, keywords as letters listed in `dovecot-keywords`, the internal
//!   date as file time, LF line ends. Mailbox names containing `.` cannot be told apart from
//!   hierarchy in Maildir++ and are refused.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use bushbuck_store::{MetaParts, Store, StoreError};
use clap::{Args, Subcommand};

use crate::cli::Location;
use crate::import::{asctime, MAILDIR_FLAGS};
use crate::settings::{self, CliError};

/// `bushbuck export ...`
#[derive(Args)]
pub struct ExportArgs {
    /// The format to write.
    #[command(subcommand)]
    pub format: ExportFormat,
}

/// Export formats.
#[derive(Subcommand)]
pub enum ExportFormat {
    /// One mbox file per mailbox under DIR.
    Mbox {
        /// User name.
        user: String,
        /// Output directory (created; must be empty if it exists).
        dir: PathBuf,
        #[command(flatten)]
        location: Location,
    },
    /// A Maildir++ tree at DIR.
    Maildir {
        /// User name.
        user: String,
        /// Output directory (created; must be empty if it exists).
        dir: PathBuf,
        #[command(flatten)]
        location: Location,
    },
}

/// One message as exported.
struct Exported {
    data: Vec<u8>,
    flags: Vec<String>,
    date: i64,
}

/// Runs `bushbuck export`.
pub fn run(args: ExportArgs) -> Result<(), CliError> {
    let (user, dir, location, maildir) = match args.format {
        ExportFormat::Mbox { user, dir, location } => (user, dir, location, false),
        ExportFormat::Maildir { user, dir, location } => (user, dir, location, true),
    };
    let config = settings::load(&location)?;
    let store = config.open_store().map_err(CliError::Failed)?;
    let mailboxes = match store.list_mailboxes(&user) {
        Ok(m) => m,
        Err(StoreError::NoSuchUser) => return Err(CliError::NoUser(format!("{user} has no mailstore"))),
        Err(e) => return Err(CliError::Failed(format!("cannot list the mailboxes of {user}: {e}"))),
    };
    if dir.exists() && fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(CliError::Config(format!(
            "{} exists and is not empty; choose a new directory",
            dir.display()
        )));
    }
    fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
    if maildir {
        if let Some(bad) = mailboxes.iter().find(|m| m.name.contains('.')) {
            return Err(CliError::Config(format!(
                "mailbox {:?} contains '.', which Maildir++ uses as hierarchy separator; export mbox instead",
                bad.name
            )));
        }
    }
    let mut total = 0;
    for mailbox in mailboxes.iter().filter(|m| m.selectable) {
        let messages = read_mailbox(store.as_ref(), &user, &mailbox.name)?;
        if maildir {
            write_maildir_folder(&maildir_path(&dir, &mailbox.name), &messages)?;
        } else {
            write_mbox(&mbox_path(&dir, &mailbox.name), &messages)?;
        }
        println!("{}: {} messages exported", mailbox.name, messages.len());
        total += messages.len();
    }
    println!("{total} messages in total");
    Ok(())
}

fn io_error(path: &Path, e: std::io::Error) -> CliError {
    CliError::Failed(format!("{}: {e}", path.display()))
}

/// Every message of a mailbox in UID order.
fn read_mailbox(store: &dyn Store, user: &str, name: &str) -> Result<Vec<Exported>, CliError> {
    let fail = |e: StoreError| CliError::Failed(format!("{name}: {e}"));
    let snapshot = store.select(user, name).map_err(fail)?;
    let uids: Vec<u32> = snapshot.messages.iter().map(|m| m.uid).collect();
    let mut out = Vec::with_capacity(uids.len());
    for chunk in uids.chunks(500) {
        for meta in store.fetch_meta(user, snapshot.id, chunk, MetaParts::FACTS).map_err(fail)? {
            let data = match store.read_message(user, snapshot.id, meta.uid) {
                Ok(d) => d,
                // Expunged since the snapshot.
                Err(StoreError::NotPossible(_)) => continue,
                Err(e) => return Err(fail(e)),
            };
            out.push(Exported { data, flags: meta.flags, date: meta.internal_date });
        }
    }
    Ok(out)
}

/// `DIR/Sub/Folder.mbox` for `Sub/Folder`.
fn mbox_path(dir: &Path, name: &str) -> PathBuf {
    let mut path = dir.to_path_buf();
    for part in name.split('/') {
        path.push(part);
    }
    path.set_extension(match path.extension() {
        Some(ext) => format!("{}.mbox", ext.to_string_lossy()),
        None => "mbox".to_string(),
    });
    path
}

/// `DIR` for INBOX, `DIR/.Sub.Folder` for `Sub/Folder`.
fn maildir_path(dir: &Path, name: &str) -> PathBuf {
    if name == "INBOX" {
        dir.to_path_buf()
    } else {
        dir.join(format!(".{}", name.replace('/', ".")))
    }
}

/// Lines of a message without their line ends (CRLF or LF).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let trimmed = data.strip_suffix(b"\n").unwrap_or(data);
    trimmed.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// Writes an mbox file with mboxrd quoting and status header fields.
fn write_mbox(path: &Path, messages: &[Exported]) -> Result<(), CliError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    }
    let file = File::create(path).map_err(|e| io_error(path, e))?;
    let mut out = BufWriter::new(file);
    let write = |out: &mut BufWriter<File>| -> std::io::Result<()> {
        for m in messages {
            writeln!(out, "From MAILER-DAEMON {}", asctime(m.date))?;
            let mut status = Vec::new();
            if has(&m.flags, "\\Seen") {
                status.push("Status: RO".to_string());
            }
            let x: String = [("\\Answered", 'A'), ("\\Flagged", 'F'), ("\\Draft", 'T'), ("\\Deleted", 'D')]
                .iter()
                .filter(|(f, _)| has(&m.flags, f))
                .map(|(_, c)| *c)
                .collect();
            if !x.is_empty() {
                status.push(format!("X-Status: {x}"));
            }
            let keywords: Vec<&str> =
                m.flags.iter().filter(|f| !f.starts_with('\\')).map(String::as_str).collect();
            if !keywords.is_empty() {
                status.push(format!("X-Keywords: {}", keywords.join(" ")));
            }
            let mut in_header = true;
            for line in lines(&m.data) {
                if in_header && line.is_empty() {
                    for s in status.drain(..) {
                        writeln!(out, "{s}")?;
                    }
                    in_header = false;
                }
                let quote =
                    line.iter().position(|&b| b != b'>').is_some_and(|n| line[n..].starts_with(b"From "));
                if quote {
                    out.write_all(b">")?;
                }
                out.write_all(line)?;
                out.write_all(b"\n")?;
            }
            for s in status {
                writeln!(out, "{s}")?;
            }
            out.write_all(b"\n")?;
        }
        out.flush()?;
        out.get_ref().sync_all()
    };
    write(&mut out).map_err(|e| io_error(path, e))
}

fn has(flags: &[String], flag: &str) -> bool {
    flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
}

/// Writes one Maildir folder: cur/new/tmp, the messages in cur/ and `dovecot-keywords`.
fn write_maildir_folder(dir: &Path, messages: &[Exported]) -> Result<(), CliError> {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub)).map_err(|e| io_error(dir, e))?;
    }
    let mut keywords: Vec<String> = Vec::new();
    for (seq, m) in messages.iter().enumerate() {
        let mut letters: Vec<char> =
            MAILDIR_FLAGS.iter().filter(|(_, f)| has(&m.flags, f)).map(|(c, _)| *c).collect();
        for keyword in m.flags.iter().filter(|f| !f.starts_with('\\')) {
            let index = match keywords.iter().position(|k| k.eq_ignore_ascii_case(keyword)) {
                Some(i) => i,
                None => {
                    keywords.push(keyword.clone());
                    keywords.len() - 1
                }
            };
            if index < 26 {
                letters.push((b'a' + index as u8) as char);
            } else {
                eprintln!(
                    "bushbuck export: {}: more than 26 keywords; {keyword} not exported",
                    dir.display()
                );
            }
        }
        letters.sort_unstable();
        let info: String = letters.into_iter().collect();
        let path = dir.join("cur").join(format!("{:010}.B{seq}.bushbuck:2,{info}", seq + 1));
        let mut data = Vec::with_capacity(m.data.len());
        for line in lines(&m.data) {
            data.extend_from_slice(line);
            data.push(b'\n');
        }
        let written = (|| {
            let mut file = File::create(&path)?;
            file.write_all(&data)?;
            file.set_modified(UNIX_EPOCH + Duration::from_secs(m.date.max(0) as u64))?;
            file.sync_all()
        })();
        written.map_err(|e| io_error(&path, e))?;
    }
    if !keywords.is_empty() {
        let text: String = keywords.iter().take(26).enumerate().map(|(i, k)| format!("{i} {k}\n")).collect();
        let path = dir.join("dovecot-keywords");
        fs::write(&path, text).map_err(|e| io_error(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let d = Path::new("/x");
        assert_eq!(mbox_path(d, "INBOX"), Path::new("/x/INBOX.mbox"));
        assert_eq!(mbox_path(d, "Sub/Folder"), Path::new("/x/Sub/Folder.mbox"));
        assert_eq!(maildir_path(d, "INBOX"), Path::new("/x"));
        assert_eq!(maildir_path(d, "Sub/Folder"), Path::new("/x/.Sub.Folder"));
    }

    #[test]
    fn mbox_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.mbox");
        let data = b"Subject: x\r\n\r\nFrom me\r\n>From you\r\n".to_vec();
        let flags = vec!["\\Seen".to_string(), "\\Flagged".to_string(), "$Work".to_string()];
        write_mbox(&path, &[Exported { data: data.clone(), flags: flags.clone(), date: 86_400 }]).unwrap();
        let back = crate::import::parse_mbox(&fs::read(&path).unwrap());
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].data, data);
        assert_eq!(back[0].date, Some((86_400, 0)));
        let mut got = back[0].flags.clone();
        got.sort();
        let mut want = flags;
        want.sort();
        assert_eq!(got, want);
    }
}
