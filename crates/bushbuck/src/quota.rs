//! `bushbuck quota`: per-user limits and usage.

use bushbuck_auth::{AuthError, Directory, QuotaLimits};
use bushbuck_server::quota;
use bushbuck_store::SqliteStore;

use crate::cli::{QuotaAction, QuotaArgs};
use crate::settings::{self, CliError};

/// Runs a quota subcommand.
pub fn run(args: QuotaArgs) -> Result<(), CliError> {
    match args.action {
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
