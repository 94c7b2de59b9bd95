//! `bushbuck store migrate --to TARGET`: copies the configured store (users' directory
//! records, mailboxes, messages, ACLs, subscriptions, per-user \Seen, Sieve scripts) into
//! another one, an embedded data directory or a PostgreSQL database, keeping every
//! UIDVALIDITY, UID, MODSEQ, flag and date so clients' caches stay valid; then verifies the
//! copy by counts and content hashes per mailbox.
//!
//! - [`side`]: the three stores of one installation (mail, directory, scripts).
//! - [`target`]: the target's configuration, from `--to` and `--blobs`.
//! - [`marks`]: done marks kept in the target, so a rerun after a crash skips what is copied.
//! - [`copy`]: copying one user (or the shared mailboxes), idempotently.
//! - [`verify`]: comparing source and target.
//! - [`progress`]: the progress bar, or one line per user when not on a terminal.

mod copy;
mod marks;
mod progress;
mod side;
mod target;
mod verify;

use bushbuck_server::Config;
use bushbuck_store::SHARED_OWNER;
use clap::{Args, Subcommand};

use crate::cli::Location;
use crate::settings::{self, CliError};
use crate::user::auth_error;

use copy::Copier;
use marks::Marks;
use progress::Progress;
use side::Side;

/// `bushbuck store ...`
#[derive(Args)]
pub struct StoreArgs {
    /// The store operation.
    #[command(subcommand)]
    pub action: StoreAction,
}

/// Store operations.
#[derive(Subcommand)]
pub enum StoreAction {
    /// Copy the configured store into another one (a data directory, or postgres://...) and
    /// verify the copy; run it again after an interruption to continue.
    Migrate(MigrateArgs),
}

/// `bushbuck store migrate --to TARGET [--blobs URL] [--user USER]`
#[derive(Args)]
pub struct MigrateArgs {
    /// Where to copy to: a data directory (the embedded store) or a PostgreSQL database
    /// (postgres://USER@HOST:PORT/DB).
    #[arg(long, value_name = "STORE")]
    pub to: String,
    /// With a postgres:// target: object storage for the message contents
    /// (s3://BUCKET?endpoint=URL&region=R); default: files in the data directory.
    #[arg(long, value_name = "URL")]
    pub blobs: Option<String>,
    /// Copy only this user (their directory record, mail and scripts), not the whole site.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    #[command(flatten)]
    pub location: Location,
}

/// Runs a store subcommand.
pub fn run(args: StoreArgs) -> Result<(), CliError> {
    match args.action {
        StoreAction::Migrate(args) => migrate(args),
    }
}

/// Copies, then verifies; fails (exit 70) unless the target matches the source.
fn migrate(args: MigrateArgs) -> Result<(), CliError> {
    let source_config = settings::load(&args.location)?;
    let target_config = target::config(&source_config, &args.to, args.blobs.as_deref())?;
    copy_and_verify(&source_config, &target_config, args.user.as_deref())
}

/// The configuration of an embedded store in `dir`, otherwise as `config`: the target of a
/// logical backup, or the source of a restore, of a distributed store.
pub fn embedded_at(config: &Config, dir: &std::path::Path) -> Result<Config, CliError> {
    let mut embedded = config.clone();
    embedded.store_url = None;
    embedded.blob_url = None;
    target::config(
        &embedded,
        dir.to_str().ok_or_else(|| CliError::Config(format!("{} is not UTF-8", dir.display())))?,
        None,
    )
}

/// Copies the store `source_config` opens (every user and the shared mailboxes, or only
/// `user`) into the one `target_config` opens, then verifies the copy by counts and content
/// hashes; fails (exit 70) unless the target matches the source. Rerunning continues.
pub fn copy_and_verify(
    source_config: &Config,
    target_config: &Config,
    user: Option<&str>,
) -> Result<(), CliError> {
    let source = Side::open(source_config)?;
    let target = Side::open(target_config)?;
    let marks = Marks::open(target_config)?;
    let owners = owners(&source, user)?;
    let directory_users = source.directory.list_users().map_err(auth_error)?;
    println!("copying {} from {} to {}", owners_text(&owners), source.label, target.label);

    let progress = Progress::new(source.count_messages(&owners)?);
    let copier = Copier { source: &source, target: &target, marks: &marks, viewers: &directory_users };
    for owner in &owners {
        progress.start(owner);
        let copied = copier.copy_owner(owner, &progress)?;
        progress.finish_owner(&copied.summary(owner));
    }
    if user.is_none() {
        copier.copy_shared_quota_roots()?;
    }
    progress.finish();

    println!("verifying");
    let mut mismatches = Vec::new();
    for owner in &owners {
        mismatches.extend(verify::owner(&source, &target, owner, &directory_users)?);
    }
    if user.is_none() {
        mismatches.extend(verify::shared_quota_roots(&source, &target)?);
    }
    if !mismatches.is_empty() {
        let shown: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
        return Err(CliError::Failed(format!(
            "the copy does not match the source in {} places (changed during the copy? run it again with \
             the server stopped):\n  {}",
            shown.len(),
            shown.join("\n  ")
        )));
    }
    println!("verified: {} match in {}", owners_text(&owners), target.label);
    Ok(())
}

/// The owners to copy: the named user, or every user of the directory and of the store
/// and then the shared mailboxes.
fn owners(source: &Side, user: Option<&str>) -> Result<Vec<String>, CliError> {
    let stored = source.store.list_users().map_err(|e| CliError::Failed(format!("listing users: {e}")))?;
    let known = source.directory.list_users().map_err(auth_error)?;
    if let Some(user) = user {
        if !stored.iter().chain(&known).any(|u| u == user) {
            return Err(CliError::NoUser(format!("no user {user} in {}", source.label)));
        }
        return Ok(vec![user.to_string()]);
    }
    let mut all: Vec<String> = stored.into_iter().chain(known).collect();
    all.sort();
    all.dedup();
    all.push(SHARED_OWNER.to_string());
    Ok(all)
}

/// "3 users and the shared mailboxes", "user alice".
fn owners_text(owners: &[String]) -> String {
    match owners {
        [one] if one != SHARED_OWNER => format!("user {one}"),
        _ => format!("{} users and the shared mailboxes", owners.len().saturating_sub(1)),
    }
}

/// The name an owner is shown with.
fn owner_label(owner: &str) -> String {
    if owner == SHARED_OWNER {
        "shared mailboxes".to_string()
    } else {
        format!("user {owner}")
    }
}

/// A store error while working on `what`, as a CLI error (a temporary one for an outage).
fn store_failed(what: &str, e: bushbuck_store::StoreError) -> CliError {
    match e {
        bushbuck_store::StoreError::Unavailable(_) => CliError::TempFail(format!("{what}: {e}")),
        _ => CliError::Failed(format!("{what}: {e}")),
    }
}
