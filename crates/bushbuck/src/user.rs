//! `bushbuck user`: provisioning users in the directory and the mailstore together.

use std::io::BufRead;

use bushbuck_auth::{AuthError, Directory};
use bushbuck_store::SqliteStore;

use bushbuck_server::accounts::{self, AccountError};
use bushbuck_server::sieve::scripts::ScriptStore;

use crate::cli::{PasswordArgs, UserAction, UserArgs};
use crate::settings::{self, CliError};

/// Runs a user subcommand.
pub fn run(args: UserArgs) -> Result<(), CliError> {
    match args.action {
        UserAction::Add { name, password, location } => {
            let config = settings::load(&location)?;
            let password = read_password(&password)?;
            let directory = Directory::open(&config.data).map_err(auth_error)?;
            let store = open_store(&config.data)?;
            accounts::add_user(&directory, &store, &name, password.as_bytes(), &[]).map_err(account_error)?;
            println!("user {name} added");
            Ok(())
        }
        UserAction::List { location } => {
            let config = settings::load(&location)?;
            let directory = Directory::open(&config.data).map_err(auth_error)?;
            for name in directory.list_users().map_err(auth_error)? {
                println!("{name}");
            }
            Ok(())
        }
        UserAction::Passwd { name, password, location } => {
            let config = settings::load(&location)?;
            let password = read_password(&password)?;
            let directory = Directory::open(&config.data).map_err(auth_error)?;
            directory.set_password(&name, password.as_bytes()).map_err(auth_error)?;
            println!("password of {name} changed");
            Ok(())
        }
        UserAction::Del { name, location } => {
            let config = settings::load(&location)?;
            let directory = Directory::open(&config.data).map_err(auth_error)?;
            let store = open_store(&config.data)?;
            let scripts =
                ScriptStore::new(&config.data, config.sieve_max_scripts, config.sieve_max_script_size);
            match accounts::delete_user(&directory, &store, &scripts, &name) {
                Ok(()) => {}
                Err(e @ AccountError::ScriptsLeft { .. }) => eprintln!("bushbuck: {e}"),
                Err(e) => return Err(account_error(e)),
            }
            println!("user {name} deleted");
            Ok(())
        }
    }
}

fn open_store(data: &std::path::Path) -> Result<SqliteStore, CliError> {
    SqliteStore::open(data)
        .map_err(|e| CliError::Failed(format!("cannot open the mail store in {}: {e}", data.display())))
}

fn auth_error(e: AuthError) -> CliError {
    match e {
        AuthError::NoSuchUser(_) => CliError::NoUser(e.to_string()),
        AuthError::InvalidName(_) | AuthError::InvalidPassword(_) | AuthError::UserExists(_) => {
            CliError::Config(e.to_string())
        }
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
