//! `bushbuck user`: provisioning users in the directory and the mailstore together.

use std::io::BufRead;

use bushbuck_auth::AuthError;
use bushbuck_store::StoreError;

use bushbuck_server::accounts::{self, AccountError};

use crate::cli::{PasswordArgs, UserAction, UserArgs};
use crate::settings::{self, CliError};

/// Runs a user subcommand.
pub fn run(args: UserArgs) -> Result<(), CliError> {
    match args.action {
        UserAction::Add { name, password, partition, no_folders, admin, location } => {
            let config = settings::load(&location)?;
            let password = read_password(&password)?;
            let directory = config.open_directory().map_err(auth_error)?;
            let store = config.open_store().map_err(CliError::Failed)?;
            let folders =
                if no_folders { Vec::new() } else { accounts::provisioned_folders(&config.default_folders) };
            accounts::add_user(
                &directory,
                &*store,
                &name,
                password.as_bytes(),
                partition.as_deref(),
                &folders,
            )
            .map_err(account_error)?;
            if admin {
                directory.set_admin(&name, true).map_err(auth_error)?;
            }
            let names: String = folders.iter().map(|f| format!(", {}", f.name)).collect();
            let role = if admin { " as an administrator" } else { "" };
            println!("user {name} added{role} with INBOX{names} in {}", config.data.display());
            Ok(())
        }
        UserAction::Admin { name, off, location } => {
            let config = settings::load(&location)?;
            let directory = config.open_directory().map_err(auth_error)?;
            directory.set_admin(&name, !off).map_err(auth_error)?;
            let now = if off { "no longer an administrator" } else { "an administrator" };
            println!("user {name} is now {now}");
            Ok(())
        }
        UserAction::List { location } => {
            let config = settings::load(&location)?;
            let directory = config.open_directory().map_err(auth_error)?;
            let admins = directory.list_admins().map_err(auth_error)?;
            for name in directory.list_users().map_err(auth_error)? {
                let mark = if admins.contains(&name) { " (admin)" } else { "" };
                println!("{name}{mark}");
            }
            Ok(())
        }
        UserAction::Passwd { name, password, location } => {
            let config = settings::load(&location)?;
            let password = read_password(&password)?;
            let directory = config.open_directory().map_err(auth_error)?;
            directory.set_password(&name, password.as_bytes()).map_err(auth_error)?;
            println!("password of {name} changed");
            Ok(())
        }
        UserAction::Move { name, partition, location } => {
            let config = settings::load(&location)?;
            let store = config.open_store().map_err(CliError::Failed)?;
            let from = store.partition_of(&name).map_err(|e| store_error(&name, e))?;
            store.move_user(&name, &partition).map_err(|e| store_error(&name, e))?;
            println!("user {name} moved from partition {from} to {partition}");
            Ok(())
        }
        UserAction::Del { name, location } => {
            let config = settings::load(&location)?;
            let directory = config.open_directory().map_err(auth_error)?;
            let store = config.open_store().map_err(CliError::Failed)?;
            let scripts = config.open_scripts().map_err(CliError::Failed)?;
            match accounts::delete_user(&directory, &*store, &scripts, &name) {
                Ok(()) => {}
                Err(e @ AccountError::ScriptsLeft { .. }) => eprintln!("bushbuck: {e}"),
                Err(e) => return Err(account_error(e)),
            }
            println!("user {name} deleted");
            Ok(())
        }
    }
}

fn store_error(name: &str, e: StoreError) -> CliError {
    match e {
        StoreError::NoSuchUser => CliError::NoUser(format!("no mail store for user {name}")),
        StoreError::NotPossible(_) | StoreError::InvalidName(_) => CliError::Config(e.to_string()),
        _ => CliError::Failed(e.to_string()),
    }
}

/// The CLI error (and exit code) for a directory error.
pub(crate) fn auth_error(e: AuthError) -> CliError {
    match e {
        AuthError::NoSuchUser(_) | AuthError::NoSuchGroup(_) => CliError::NoUser(e.to_string()),
        AuthError::InvalidName(_)
        | AuthError::InvalidGroupName(_)
        | AuthError::InvalidPassword(_)
        | AuthError::UserExists(_) => CliError::Config(e.to_string()),
        AuthError::Unavailable(_) => CliError::TempFail(e.to_string()),
        AuthError::Storage(_) => CliError::Failed(e.to_string()),
    }
}

fn account_error(e: AccountError) -> CliError {
    match e {
        AccountError::Directory(e) => auth_error(e),
        other => CliError::Failed(other.to_string()),
    }
}

fn read_password(args: &PasswordArgs) -> Result<String, CliError> {
    if let Some(p) = &args.password {
        return Ok(p.clone());
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Failed(format!("cannot read the password from standard input: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(CliError::Config("the password read from standard input is empty".into()));
    }
    Ok(password)
}
