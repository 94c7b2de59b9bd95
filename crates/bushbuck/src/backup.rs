//! `bushbuck backup DIR` and `bushbuck restore DIR`: online backups of a data directory.
//!
//! A backup has the layout of a data directory. While the server runs, `backup` takes a
//! consistent snapshot of every SQLite database at the top of the data directory (the user
//! directory, the duplicate log, ...) and of every user's index with `VACUUM INTO`, and
//! hard-links (across file systems: copies) the message files each index snapshot refers to;
//! other top-level files and directories (TLS key and certificate, scripts) are copied. Each
//! user's snapshot is consistent in itself; users are backed up one after another.
//!
//! `restore` copies a backup into a new, empty data directory (message files hard-linked when
//! possible: they are never modified in place) and checks that every index opens. Start the
//! server on the new directory afterwards.
//!
//! With a distributed store (`store_url`), a backup is logical: the whole site (directory,
//! mail, ACLs, scripts, every UID and MODSEQ) copied through the store interface into an
//! embedded data directory and verified by counts and content hashes, as `store migrate`
//! does; `restore` copies such a backup (or any embedded data directory) into the configured
//! database and object store the same way. A backup of either kind restores into either.

use std::fs;
use std::path::{Path, PathBuf};

use bushbuck_store::{link_or_copy, snapshot_database, SqliteStore, Store, SHARED_OWNER};
use clap::Args;

use crate::cli::Location;
use crate::settings::{self, CliError};
use crate::store_migrate;

/// `bushbuck backup DIR`
#[derive(Args)]
pub struct BackupArgs {
    /// Where to write the backup (created; must be empty if it exists).
    pub dir: PathBuf,
    #[command(flatten)]
    pub location: Location,
}

/// `bushbuck restore DIR`
#[derive(Args)]
pub struct RestoreArgs {
    /// The backup to restore (a directory written by `bushbuck backup`).
    pub dir: PathBuf,
    #[command(flatten)]
    pub location: Location,
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Failed(format!("{}: {e}", path.display()))
}

/// Fails unless `dir` is missing or empty, then creates it.
fn fresh_dir(dir: &Path, what: &str) -> Result<(), CliError> {
    if dir.exists() && fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(CliError::Config(format!(
            "{} exists and is not empty; give a new directory for the {what}",
            dir.display()
        )));
    }
    fs::create_dir_all(dir).map_err(|e| io_error(dir, e))
}

/// Whether a top-level file is a SQLite side file that must not be copied on its own.
fn is_sqlite_side_file(name: &str) -> bool {
    name.ends_with("-wal") || name.ends_with("-shm") || name.ends_with("-journal")
}

/// Runs `bushbuck backup`.
pub fn run_backup(args: BackupArgs) -> Result<(), CliError> {
    let config = settings::load(&args.location)?;
    if config.store_url.is_some() {
        fresh_dir(&args.dir, "backup")?;
        let target = store_migrate::embedded_at(&config, &args.dir)?;
        store_migrate::copy_and_verify(&config, &target, None)?;
        println!(
            "backup of the distributed store written to {} (an embedded data directory)",
            args.dir.display()
        );
        return Ok(());
    }
    let data = &config.data;
    if !data.join("users").is_dir() {
        return Err(CliError::Config(format!(
            "{} is not a Bushbuck data directory (no users/ in it); check --data or --config",
            data.display()
        )));
    }
    fresh_dir(&args.dir, "backup")?;
    let mut entries: Vec<_> = fs::read_dir(data).map_err(|e| io_error(data, e))?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let (from, to) = (entry.path(), args.dir.join(name));
        // tmp/ is the IMAP spool of literals being received: unnamed files, nothing to keep.
        if name == "users" || name == "shared" || name == "tmp" || is_sqlite_side_file(name) {
            continue;
        }
        if name.ends_with(".sqlite3") || name.ends_with(".db") {
            snapshot_database(&from, &to).map_err(|e| io_error(&from, e))?;
            println!("{name}: snapshot");
        } else if from.is_dir() {
            copy_tree(&from, &to, false)?;
            println!("{name}/: copied");
        } else if from.is_file() {
            fs::copy(&from, &to).map_err(|e| io_error(&from, e))?;
        }
    }
    let store = SqliteStore::open(data).map_err(|e| io_error(data, e))?;
    let users = store.list_users().map_err(|e| io_error(data, e))?;
    let mut damaged = Vec::new();
    for user in &users {
        let stats = store
            .backup_user(user, &args.dir.join("users").join(user))
            .map_err(|e| CliError::Failed(format!("backing up {user} failed: {e}")))?;
        println!(
            "user {user}: {} messages, {} files ({} linked, {} copied)",
            stats.messages, stats.files, stats.linked, stats.copied
        );
        if !stats.missing.is_empty() {
            println!(
                "  warning: {} message files the index refers to are missing in the live store; \
                 run `bushbuck reconstruct {user}` with the server stopped",
                stats.missing.len()
            );
            damaged.push(user.clone());
        }
    }
    if data.join("shared").join("index.sqlite3").is_file() {
        let stats = store
            .backup_user(SHARED_OWNER, &args.dir.join("shared"))
            .map_err(|e| CliError::Failed(format!("backing up the shared mailboxes failed: {e}")))?;
        println!("shared mailboxes: {} messages, {} files", stats.messages, stats.files);
    }
    println!("backup of {} users written to {}", users.len(), args.dir.display());
    if damaged.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(format!("the backup is complete but {} have missing files", damaged.join(", "))))
    }
}

/// Runs `bushbuck restore`.
pub fn run_restore(args: RestoreArgs) -> Result<(), CliError> {
    let config = settings::load(&args.location)?;
    let data = &config.data;
    if !args.dir.join("users").is_dir() {
        return Err(CliError::Config(format!(
            "{} is not a Bushbuck backup (no users/ in it)",
            args.dir.display()
        )));
    }
    if config.store_url.is_some() {
        let source = store_migrate::embedded_at(&config, &args.dir)?;
        store_migrate::copy_and_verify(&source, &config, None)?;
        println!("restored {} into the distributed store", args.dir.display());
        return Ok(());
    }
    fresh_dir(data, "restored data")?;
    copy_tree(&args.dir, data, true)?;
    let store = SqliteStore::open(data).map_err(|e| io_error(data, e))?;
    let users = store.list_users().map_err(|e| io_error(data, e))?;
    for user in &users {
        let (bytes, messages) = store
            .usage(user)
            .map_err(|e| CliError::Failed(format!("restored index of {user} is unusable: {e}")))?;
        println!("user {user}: {messages} messages, {bytes} octets");
    }
    println!(
        "restored {} users into {}; start the server with --data {}",
        users.len(),
        data.display(),
        data.display()
    );
    Ok(())
}

/// Copies a directory tree. With `link_blobs`, files under a `blobs` directory are
/// hard-linked when possible. Temporary and partial files are skipped.
fn copy_tree(from: &Path, to: &Path, link_blobs: bool) -> Result<(), CliError> {
    fs::create_dir_all(to).map_err(|e| io_error(to, e))?;
    let mut stack = vec![(from.to_path_buf(), to.to_path_buf(), false)];
    while let Some((src, dst, in_blobs)) = stack.pop() {
        for entry in fs::read_dir(&src).map_err(|e| io_error(&src, e))?.flatten() {
            let name = entry.file_name();
            let name_str = name.to_string_lossy();
            let (s, d) = (entry.path(), dst.join(&name));
            let kind = entry.file_type().map_err(|e| io_error(&s, e))?;
            if kind.is_dir() {
                if in_blobs && name_str == "tmp" {
                    continue;
                }
                fs::create_dir_all(&d).map_err(|e| io_error(&d, e))?;
                stack.push((s, d, in_blobs || name_str == "blobs"));
            } else if kind.is_file() {
                if name_str.ends_with(".partial") || is_sqlite_side_file(&name_str) {
                    continue;
                }
                if link_blobs && in_blobs {
                    link_or_copy(&s, &d).map_err(|e| io_error(&s, e))?;
                } else {
                    fs::copy(&s, &d).map_err(|e| io_error(&s, e))?;
                    fs::File::open(&d).and_then(|f| f.sync_all()).map_err(|e| io_error(&d, e))?;
                }
            }
        }
    }
    Ok(())
}
