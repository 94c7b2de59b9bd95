//! `bushbuck import imap`: copies a user's mail from another IMAP server, as imapsync does.
//!
//! Folders are listed on the remote server, named locally by [`mapping`], created, and their
//! messages copied byte for byte with flags (keywords too) and INTERNALDATE, in batches that
//! are each stored atomically. [`state`] remembers per remote folder and UIDVALIDITY the
//! highest UID copied, so a second run copies only new messages and an interrupted run goes
//! on where it stopped; where UIDs cannot tell, [`dedup`] recognises copies by Message-ID and
//! size. The remote side is only ever EXAMINEd: nothing there changes, not even \Seen.

mod client;
mod dedup;
mod mapping;
mod progress;
mod state;

use std::io::BufRead;
use std::path::PathBuf;

use clap::Args;

use crate::cli::Location;
use crate::imap_client::Security;
use crate::import::{canonical_folder, Destination, Parsed};
use crate::settings::{self, CliError};
use client::{Client, Folder, Listed};
use mapping::Mapping;
use state::{Progress, StateFile};

/// At most this many messages are fetched and stored per batch...
const BATCH_MESSAGES: usize = 50;
/// ...and at most this many octets (a single larger message makes a batch of its own).
const BATCH_BYTES: u64 = 16 << 20;

/// System flags the store keeps; other `\` flags a server may show are not copied.
const SYSTEM_FLAGS: [&str; 5] = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"];

/// `bushbuck import imap ...`
#[derive(Args)]
pub struct ImportImapArgs {
    /// The remote server's host name or address.
    #[arg(long)]
    pub host: String,
    /// The remote port [default: 993 with --tls, else 143].
    #[arg(long)]
    pub port: Option<u16>,
    /// TLS from the first byte (IMAPS).
    #[arg(long, conflicts_with = "starttls")]
    pub tls: bool,
    /// Upgrade the connection with STARTTLS before logging in.
    #[arg(long)]
    pub starttls: bool,
    /// Accept any TLS certificate (self-signed test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// The user to log in as on the remote server.
    #[arg(long, value_name = "REMOTEUSER")]
    pub user: String,
    /// Read the remote password from the first line of standard input.
    #[arg(long, required_unless_present = "password_file", conflicts_with = "password_file")]
    pub password_stdin: bool,
    /// Read the remote password from the first line of this file.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// The local user to import into.
    #[arg(long, value_name = "LOCALUSER")]
    pub to: String,
    /// Name a remote folder (and its subfolders) differently here, e.g. 'INBOX.Sent Items=Sent'
    /// (repeatable).
    #[arg(long = "folder-map", value_name = "REMOTE=LOCAL")]
    pub folder_map: Vec<String>,
    /// Skip folders whose remote or local name matches (`*` and `?` wildcards; repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Show what would be copied; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub location: Location,
}

/// What one run did, over all folders.
#[derive(Default)]
struct Summary {
    folders: usize,
    copied: usize,
    bytes: u64,
    present: usize,
}

/// The remote account and where its progress is recorded.
struct Source {
    client: Client,
    server: String,
    user: String,
}

/// Runs `bushbuck import imap`.
pub fn run(args: ImportImapArgs) -> Result<(), CliError> {
    let password = read_password(&args)?;
    let rules = args.folder_map.iter().map(|r| mapping::parse_rule(r)).collect::<Result<Vec<_>, _>>();
    let rules = rules.map_err(CliError::Config)?;
    let destination = Destination::open(&args.location, &args.to)?;
    let config = settings::load(&args.location)?;
    let mut state = StateFile::load(&config.data, &args.to).map_err(CliError::Failed)?;

    let security = match (args.tls, args.starttls) {
        (true, _) => Security::Tls,
        (_, true) => Security::StartTls,
        _ => Security::Plain,
    };
    let port = args.port.unwrap_or(if args.tls { 993 } else { 143 });
    let remote = |e: String| CliError::TempFail(format!("{}:{port}: {e}", args.host));
    let mut client = Client::connect(&args.host, port, security, args.insecure).map_err(remote)?;
    client.login(&args.user, &password).map_err(remote)?;
    let namespaces = client.namespaces().map_err(remote)?;
    let mapping = Mapping {
        prefix: namespaces.personal.first().cloned().unwrap_or_default(),
        rules,
        exclude: args.exclude.clone(),
    };
    let mut folders = client.list().map_err(remote)?;
    folders.sort_by(|a, b| (a.name != "INBOX", &a.name).cmp(&(b.name != "INBOX", &b.name)));
    let mut source = Source { client, server: format!("{}:{port}", args.host), user: args.user.clone() };

    let mut summary = Summary::default();
    for folder in folders.iter().filter(|f| f.selectable) {
        if namespaces.foreign.iter().any(|p| !p.is_empty() && folder.name.starts_with(p.as_str())) {
            println!("{}: skipped (another user's or a shared folder)", folder.name);
            continue;
        }
        let Some(local) = mapping.local_name(&folder.name, folder.delimiter) else {
            println!("{}: excluded", folder.name);
            continue;
        };
        let local = canonical_folder(&local)?;
        copy_folder(&mut source, folder, &local, &destination, &mut state, args.dry_run, &mut summary)
            .map_err(|e| match e {
                CliError::TempFail(m) => remote(m),
                e => e,
            })?;
    }
    source.client.logout();
    let dry = if args.dry_run { " would be" } else { "" };
    println!(
        "{} folders: {} messages ({} KiB){dry} copied, {} already here",
        summary.folders,
        summary.copied,
        summary.bytes.div_ceil(1024),
        summary.present
    );
    Ok(())
}

/// Copies what is new in one remote folder into `local`.
fn copy_folder(
    source: &mut Source,
    folder: &Folder,
    local: &str,
    destination: &Destination,
    state: &mut StateFile,
    dry_run: bool,
    summary: &mut Summary,
) -> Result<(), CliError> {
    let remote = |e: String| CliError::TempFail(e);
    let (uidvalidity, exists) = source.client.examine(folder).map_err(remote)?;
    let progress = state.progress(&source.server, &source.user, &folder.name, uidvalidity);
    let since = match progress {
        Progress::Since(uid) => uid,
        Progress::New => 0,
        Progress::UidValidityChanged => {
            println!(
                "{}: UIDVALIDITY changed since the last import; recognising copies by Message-ID and size",
                folder.name
            );
            0
        }
    };
    let listed = if exists == 0 { Vec::new() } else { source.client.list_messages(since).map_err(remote)? };
    let known = dedup::existing(&destination.existing(local)?);
    let (wanted, present): (Vec<&Listed>, Vec<&Listed>) = listed
        .iter()
        .partition(|l| dedup::key(l.message_id.as_deref(), l.size).is_none_or(|k| !known.contains(&k)));
    summary.folders += 1;
    summary.present += present.len();
    if dry_run {
        let bytes: u64 = wanted.iter().map(|l| l.size).sum();
        println!(
            "{} -> {local}: would copy {} messages ({} KiB), {} already here",
            folder.name,
            wanted.len(),
            bytes.div_ceil(1024),
            present.len()
        );
        summary.copied += wanted.len();
        summary.bytes += bytes;
        return Ok(());
    }
    destination.ensure_folder(local)?;
    let record = |state: &mut StateFile, uid: u32| {
        state.record(&source.server, &source.user, &folder.name, uidvalidity, uid).map_err(CliError::Failed)
    };
    let mut bar = progress::Bar::new(local, wanted.len() as u64);
    let mut copied = 0;
    for batch in batches(&wanted) {
        let uids: Vec<u32> = batch.iter().map(|l| l.uid).collect();
        // Messages expunged remotely meanwhile are simply not in the answer.
        let fetched = source.client.fetch(&uids).map_err(remote)?;
        let messages: Vec<Parsed> = fetched
            .into_iter()
            .map(|f| Parsed { flags: storable_flags(f.flags), date: f.internal_date, data: f.data })
            .collect();
        destination.append(local, &messages, copied)?;
        record(state, uids[uids.len() - 1])?;
        copied += messages.len();
        summary.bytes += messages.iter().map(|m| m.data.len() as u64).sum::<u64>();
        bar.advance(batch.len() as u64);
    }
    bar.finish();
    // Also past trailing messages that were already here, and remember a new UIDVALIDITY.
    record(state, listed.last().map_or(since, |l| l.uid.max(since)))?;
    summary.copied += copied;
    println!("{} -> {local}: {copied} copied, {} already here", folder.name, present.len());
    Ok(())
}

/// Splits messages into batches of at most [`BATCH_MESSAGES`] and [`BATCH_BYTES`].
fn batches<'a>(messages: &[&'a Listed]) -> Vec<Vec<&'a Listed>> {
    let mut out: Vec<Vec<&Listed>> = Vec::new();
    let mut bytes = 0;
    for &m in messages {
        match out.last_mut() {
            Some(batch) if batch.len() < BATCH_MESSAGES && bytes + m.size <= BATCH_BYTES => {
                bytes += m.size;
                batch.push(m);
            }
            _ => {
                bytes = m.size;
                out.push(vec![m]);
            }
        }
    }
    out
}

/// Keywords and the system flags the store keeps.
fn storable_flags(flags: Vec<String>) -> Vec<String> {
    flags
        .into_iter()
        .filter(|f| !f.starts_with('\\') || SYSTEM_FLAGS.iter().any(|s| s.eq_ignore_ascii_case(f)))
        .collect()
}

/// The remote password from standard input or a file (first line, without its line end).
fn read_password(args: &ImportImapArgs) -> Result<String, CliError> {
    let mut line = String::new();
    match &args.password_file {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| {
                CliError::Config(format!("cannot read the password file {}: {e}", path.display()))
            })?;
            std::io::BufReader::new(file).read_line(&mut line)
        }
        None => std::io::stdin().lock().read_line(&mut line),
    }
    .map_err(|e| CliError::Config(format!("cannot read the password: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(CliError::Config("the remote password is empty; give it on the first line".into()));
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_by_count_and_size() {
        let listed: Vec<Listed> = (1..=120)
            .map(|uid| Listed { uid, size: if uid == 60 { BATCH_BYTES } else { 10 }, message_id: None })
            .collect();
        let refs: Vec<&Listed> = listed.iter().collect();
        let sizes: Vec<usize> = batches(&refs).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![50, 9, 1, 50, 10]);
        assert_eq!(
            storable_flags(vec!["\\Seen".into(), "\\Junk".into(), "$Work".into()]),
            vec!["\\Seen", "$Work"]
        );
    }
}
