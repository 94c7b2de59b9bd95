//! `bushbuck quota`: limits and usage of quota roots (users' whole stores, and roots below
//! them or on shared mailboxes).

use bushbuck_auth::QuotaLimits;
use bushbuck_server::quota::{self, OwnerRoots};
use bushbuck_server::quota_roots::QuotaRoot;
use bushbuck_store::{MailboxUsage, StoreError, Usage, SHARED_OWNER};

use crate::cli::{Location, QuotaAction, QuotaArgs};
use crate::settings::{self, CliError};

/// Runs a quota subcommand.
pub fn run(args: QuotaArgs) -> Result<(), CliError> {
    let action = match (args.action, args.fix) {
        (Some(action), _) => action,
        (None, true) => QuotaAction::Fix { names: args.names, location: args.location },
        (None, false) => {
            return Err(CliError::Config(
                "say what to do: bushbuck quota set|list|fix (see bushbuck quota --help)".into(),
            ))
        }
    };
    match action {
        QuotaAction::Fix { names, location } => fix(&names, &location),
        QuotaAction::Set { name, storage, messages, location } => {
            let config = settings::load(&location)?;
            let directory = config.open_directory().map_err(|e| CliError::Failed(e.to_string()))?;
            let store = config.open_store().map_err(CliError::Failed)?;
            let root = root_named(&name)?;
            if root.subtree.is_none()
                && root.owner != SHARED_OWNER
                && !directory.exists(&root.owner).unwrap_or(false)
            {
                return Err(CliError::NoUser(format!("no user {} (see bushbuck user list)", root.owner)));
            }
            quota::set_limits(&directory, &*store, &root, QuotaLimits { storage_kb: storage, messages })
                .map_err(CliError::Config)?;
            let limit = |v: Option<u64>| v.map_or("unlimited".to_string(), |n| n.to_string());
            println!(
                "quota of {}: storage {} KiB, messages {} in {}",
                root.name(),
                limit(storage),
                limit(messages),
                config.data.display()
            );
            Ok(())
        }
        QuotaAction::List { names, location } => {
            let config = settings::load(&location)?;
            let directory = config.open_directory().map_err(|e| CliError::Failed(e.to_string()))?;
            let store = config.open_store().map_err(CliError::Failed)?;
            let mut owners = if names.is_empty() {
                directory.list_users().map_err(|e| CliError::Failed(e.to_string()))?
            } else {
                names
            };
            owners.push(SHARED_OWNER.to_string());
            println!(
                "{:<32} {:>12} {:>12} {:>9} {:>9}",
                "root", "used KiB", "limit KiB", "messages", "limit"
            );
            for owner in owners {
                let roots = OwnerRoots::read(&directory, &owner).map_err(CliError::Failed)?;
                for root in roots.all() {
                    let state = roots.state(&config, &directory, &*store, &root).map_err(CliError::Failed)?;
                    let limit = |v: Option<u64>| v.map_or("-".to_string(), |n| n.to_string());
                    println!(
                        "{:<32} {:>12} {:>12} {:>9} {:>9}",
                        state.root,
                        state.used_bytes.div_ceil(1024),
                        limit(state.limits.storage_kb),
                        state.used_messages,
                        limit(state.limits.messages)
                    );
                }
            }
            Ok(())
        }
    }
}

/// A quota root named on the command line: a user name, or a root name (`user/NAME/Folder`,
/// `shared`, `shared/Folder`).
fn root_named(name: &str) -> Result<QuotaRoot, CliError> {
    if !name.contains('/') && name != "shared" {
        return Ok(QuotaRoot::whole(name));
    }
    QuotaRoot::parse(name).ok_or_else(|| {
        CliError::Config(format!(
            "{name} is no quota root: name a user, user/NAME/Folder, shared or shared/Folder"
        ))
    })
}

/// `quota fix`: recounts every named user's mailboxes (and the shared ones when no user is
/// named) and prints each quota root's usage before and after.
fn fix(names: &[String], location: &Location) -> Result<(), CliError> {
    let config = settings::load(location)?;
    let directory = config.open_directory().map_err(|e| CliError::Failed(e.to_string()))?;
    let store = config.open_store().map_err(CliError::Failed)?;
    let owners = if names.is_empty() {
        let mut all = store.list_users().map_err(|e| CliError::Failed(e.to_string()))?;
        all.push(SHARED_OWNER.to_string());
        all
    } else {
        names.to_vec()
    };
    for owner in owners {
        let no_user = |e: StoreError| match e {
            StoreError::NoSuchUser => {
                CliError::NoUser(format!("{owner} has no mailstore (see bushbuck user list)"))
            }
            e => CliError::Failed(format!("{owner}: {e}")),
        };
        let fixes = match store.fix_usage(&owner) {
            Err(StoreError::NoSuchUser) if owner == SHARED_OWNER => continue,
            r => r.map_err(no_user)?,
        };
        let now = store.mailbox_usage(&owner).map_err(no_user)?;
        // Before: the recount with each fixed mailbox's old counters.
        let was: Vec<MailboxUsage> = now
            .iter()
            .map(|m| match fixes.iter().find(|f| f.mailbox == m.name) {
                Some(f) => MailboxUsage { name: m.name.clone(), usage: f.was },
                None => m.clone(),
            })
            .collect();
        let roots = OwnerRoots::read(&directory, &owner).map_err(CliError::Failed)?;
        let sum = |boxes: &[MailboxUsage], root: &QuotaRoot| {
            let (bytes, messages) =
                roots.usage(root, boxes.iter().map(|b| (b.name.as_str(), b.usage.bytes, b.usage.messages)));
            Usage { bytes, messages }
        };
        for root in roots.all() {
            let (before, after) = (sum(&was, &root), sum(&now, &root));
            if before == after {
                println!("{}: usage unchanged, {}", root.name(), describe(after));
            } else {
                println!("{}: usage was {}, now {}", root.name(), describe(before), describe(after));
            }
        }
    }
    Ok(())
}

/// `12 KiB/3 messages`, KiB rounded up as QUOTA reports them.
fn describe(usage: Usage) -> String {
    format!("{} KiB/{} messages", usage.bytes.div_ceil(1024), usage.messages)
}
