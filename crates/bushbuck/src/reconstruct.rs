//! `bushbuck reconstruct [USER...|--all]`: rebuilds users' indexes from their message files
//! and reconciles the user directory with the mailstore.
//!
//! Per user (see `bushbuck_store::SqliteStore::reconstruct`): a readable index is repaired in
//! place (rows whose file is missing are dropped, files no row refers to are added to the
//! `Recovered` mailbox); a missing or damaged index is moved aside as
//! `index.sqlite3.corrupt-<time>` and rebuilt, salvaging what rows can still be read, with
//! everything else in INBOX. Then users with mail but no login, and logins without a
//! mailstore, are reported (the latter get an empty store).
//!
//! With `--all`, the shared mailboxes' store (`<data>/shared`) is rebuilt too, and users found on a configured partition but not linked from `<data>/users`
//! are linked again first.
//!
//! Run it with the server stopped. On Linux it refuses (unless `--force`) when another process
//! has a user's index open.

use std::path::{Path, PathBuf};

use bushbuck_auth::Directory;
use bushbuck_store::{validate_user_name, ReconstructReport, SqliteStore, Store, StoreError, SHARED_OWNER};
use clap::Args;

use crate::cli::Location;
use crate::settings::{self, CliError};

/// `bushbuck reconstruct [USER...] [--all] [--force]`
#[derive(Args)]
pub struct ReconstructArgs {
    /// Users to rebuild.
    #[arg(value_name = "USER", required_unless_present = "all", conflicts_with = "all")]
    pub users: Vec<String>,
    /// Rebuild every user that has a directory under <data>/users.
    #[arg(long)]
    pub all: bool,
    /// Go on even when another process (a running server) has an index open.
    #[arg(long)]
    pub force: bool,
    /// Only report what would be repaired (every row of every index is read); change
    /// nothing. Exits 65 when damage was found, 0 when none.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub location: Location,
}

/// Runs `bushbuck reconstruct`.
pub fn run(args: ReconstructArgs) -> Result<(), CliError> {
    let config = settings::load(&args.location)?;
    let data = &config.data;
    let store = config.open_embedded_store().map_err(CliError::Failed)?;
    if args.all {
        let relinked = store.relink_partitions().map_err(|e| CliError::Failed(e.to_string()))?;
        for (user, partition) in relinked {
            println!(
                "user {user}: found on partition {partition}; linked into {}",
                data.join("users").display()
            );
        }
    }
    let mut users = if args.all { user_dirs(data)? } else { args.users.clone() };
    let shared_dir = store.user_dir(SHARED_OWNER).map_err(|e| CliError::Failed(e.to_string()))?;
    if args.all && shared_dir.is_dir() {
        users.push(SHARED_OWNER.to_string());
    }
    for user in users.iter().filter(|u| *u != SHARED_OWNER) {
        validate_user_name(user).map_err(|e| CliError::Config(format!("{user}: {e}")))?;
        if !data.join("users").join(user).is_dir() {
            return Err(CliError::NoUser(format!(
                "{user} has no mailstore in {}; check --data or the name",
                data.join("users").display()
            )));
        }
    }
    // A check only reads, so a running server is no obstacle.
    if !args.force && !args.check {
        for user in &users {
            let dir = store.user_dir(user).map_err(|e| CliError::Failed(e.to_string()))?;
            let index = dir.join("index.sqlite3");
            if let Some(pid) = open_by_other_process(&index) {
                return Err(CliError::TempFail(format!(
                    "process {pid} (a running server?) has the index of {user} open; stop the server \
                     and run reconstruct again (or pass --force if that process is not using it)"
                )));
            }
        }
    }
    if args.check {
        return check(&store, &users);
    }
    let mut failed = Vec::new();
    for user in &users {
        match store.reconstruct(user) {
            Ok(report) => {
                println!("{report}");
                if let Some(aside) = &report.moved_aside {
                    println!("  damaged index kept as {}", aside.display());
                }
                print_details(&report);
            }
            Err(e) => {
                eprintln!("bushbuck reconstruct: user {user}: {e}");
                failed.push(user.clone());
            }
        }
    }
    reconcile_directory(data, &store, args.all)?;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(format!("could not reconstruct {}; see the messages above", failed.join(", "))))
    }
}

/// The per-message lines of a report.
fn print_details(report: &ReconstructReport) {
    let (dropped, repaired) =
        if report.check_only { ("would drop", "damaged") } else { ("dropped", "repaired") };
    for (mailbox, uid) in &report.missing {
        println!("  {dropped} {mailbox} UID {uid}: its message file is missing");
    }
    for sha in &report.damaged {
        println!("  file {sha} has a different size than the index recorded; restore it from a backup");
    }
    for sha in &report.altered {
        println!("  file {sha} does not match its content hash (altered); restore it from a backup");
    }
    for row in &report.repaired {
        if row.uid == 0 {
            println!("  {repaired} {}: keyword spellings ({})", row.mailbox, row.columns.join(", "));
        } else {
            println!(
                "  {repaired} {} UID {}: {} did not decode",
                row.mailbox,
                row.uid,
                row.columns.join(", ")
            );
        }
    }
}

/// `reconstruct --check`: reports every user's damage, changes nothing.
fn check(store: &SqliteStore, users: &[String]) -> Result<(), CliError> {
    let mut damaged = Vec::new();
    for user in users {
        let report =
            store.check_index(user).map_err(|e| CliError::Failed(format!("checking {user}: {e}")))?;
        println!("{report}");
        print_details(&report);
        if report.found_damage() {
            damaged.push(user.clone());
        }
    }
    if damaged.is_empty() {
        Ok(())
    } else {
        Err(CliError::DataErr(format!(
            "damage found for {}; run `bushbuck reconstruct` without --check (server stopped) to repair it",
            damaged.join(", ")
        )))
    }
}

/// Reports users with a mailstore but no directory entry; with `create`, gives directory
/// users without a mailstore an empty one.
fn reconcile_directory(data: &Path, store: &SqliteStore, create: bool) -> Result<(), CliError> {
    let directory = match Directory::open(data) {
        Ok(d) => d,
        Err(e) => {
            println!("user directory: cannot open ({e}); logins cannot be checked");
            return Ok(());
        }
    };
    let known = directory.list_users().map_err(|e| CliError::Failed(format!("user directory: {e}")))?;
    let stores = user_dirs(data)?;
    for user in &stores {
        if !known.contains(user) {
            println!(
                "user {user}: has mail but no login in the user directory; \
                 add one with `bushbuck user add {user}` to give access"
            );
        }
    }
    if create {
        for user in &known {
            if !stores.contains(user) {
                match store.create_user(user) {
                    Ok(()) | Err(StoreError::UserExists) => {
                        println!("user {user}: had a login but no mailstore; created an empty one")
                    }
                    Err(e) => {
                        println!("user {user}: has a login but no mailstore, and creating one failed: {e}")
                    }
                }
            }
        }
    }
    Ok(())
}

/// Names of the directories under `<data>/users` that are valid user names, sorted.
fn user_dirs(data: &Path) -> Result<Vec<String>, CliError> {
    let dir = data.join("users");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CliError::Failed(format!("cannot list {}: {e}", dir.display()))),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else { continue };
        if entry.path().is_dir() && validate_user_name(&name).is_ok() {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// The pid of another process that has `path` open, even if it was deleted meanwhile
/// (Linux: scans /proc/*/fd), if any.
fn open_by_other_process(path: &Path) -> Option<u32> {
    let target: PathBuf = std::fs::canonicalize(path.parent()?).ok()?.join(path.file_name()?);
    let deleted = PathBuf::from(format!("{} (deleted)", target.display()));
    let me = std::process::id();
    for proc_entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = proc_entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(proc_entry.path().join("fd")) else { continue };
        for fd in fds.flatten() {
            if std::fs::read_link(fd.path()).is_ok_and(|l| l == target || l == deleted) {
                return Some(pid);
            }
        }
    }
    None
}
