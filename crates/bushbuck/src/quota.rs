//! `bushbuck quota`: per-user limits and usage.

use bushbuck_auth::{AuthError, Directory, QuotaLimits};
use bushbuck_server::quota;
use bushbuck_store::{SqliteStore, Store, StoreError, Usage};

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
            let directory = Directory::open(&config.data).map_err(|e| CliError::Failed(e.to_string()))?;
            directory.set_quota(&name, QuotaLimits { storage_kb: storage, messages }).map_err(
                |e| match e {
                    AuthError::NoSuchUser(_) => CliError::NoUser(e.to_string()),
                    _ => CliError::Failed(e.to_string()),
                },
            )?;
            let limit = |v: Option<u64>| v.map_or("unlimited".to_string(), |n| n.to_string());
            println!("quota of {name}: storage {} KiB, messages {}", limit(storage), limit(messages));
            Ok(())
        }
        QuotaAction::List { names, location } => {
            let config = settings::load(&location)?;
            let directory = Directory::open(&config.data).map_err(|e| CliError::Failed(e.to_string()))?;
            let store = SqliteStore::open(&config.data).map_err(|e| CliError::Failed(e.to_string()))?;
            let names = if names.is_empty() {
                directory.list_users().map_err(|e| CliError::Failed(e.to_string()))?
            } else {
                names
            };
            println!(
                "{:<24} {:>12} {:>12} {:>9} {:>9}",
                "root", "used KiB", "limit KiB", "messages", "limit"
            );
            for name in names {
                let state = quota::state(&config, &directory, &store, &name).map_err(CliError::Failed)?;
                let limit = |v: Option<u64>| v.map_or("-".to_string(), |n| n.to_string());
                println!(
                    "{:<24} {:>12} {:>12} {:>9} {:>9}",
                    state.root,
                    state.used_bytes.div_ceil(1024),
                    limit(state.limits.storage_kb),
                    state.used_messages,
                    limit(state.limits.messages)
                );
            }
            Ok(())
        }
    }
}

/// `quota fix`: recounts every named user's mailboxes and prints each root's usage before
/// and after.
fn fix(names: &[String], location: &Location) -> Result<(), CliError> {
    let config = settings::load(location)?;
    let store = SqliteStore::open(&config.data).map_err(|e| CliError::Failed(e.to_string()))?;
    let users = if names.is_empty() {
        store.list_users().map_err(|e| CliError::Failed(e.to_string()))?
    } else {
        names.to_vec()
    };
    for user in users {
        let root = quota::root_of(&user);
        let no_user = |e: StoreError| match e {
            StoreError::NoSuchUser => {
                CliError::NoUser(format!("{user} has no mailstore (see bushbuck user list)"))
            }
            e => CliError::Failed(format!("{root}: {e}")),
        };
        let fixes = store.fix_usage(&user).map_err(no_user)?;
        let (bytes, messages) = store.usage(&user).map_err(no_user)?;
        let now = Usage { bytes, messages };
        if fixes.is_empty() {
            println!("{root}: usage unchanged, {}", describe(now));
            continue;
        }
        // What the counters summed to before: the recount with each fixed mailbox's old value.
        let mut was = now;
        for f in &fixes {
            was.bytes = (was.bytes + f.was.bytes).saturating_sub(f.now.bytes);
            was.messages = (was.messages + f.was.messages).saturating_sub(f.now.messages);
        }
        println!("{root}: usage was {}, now {}", describe(was), describe(now));
    }
    Ok(())
}

/// `12 KiB/3 messages`, KiB rounded up as QUOTA reports them.
fn describe(usage: Usage) -> String {
    format!("{} KiB/{} messages", usage.bytes.div_ceil(1024), usage.messages)
}
