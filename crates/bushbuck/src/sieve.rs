//! `bushbuck sieve`: admins manage users' filter scripts without a ManageSieve client.

use bushbuck_server::sieve::scripts::ScriptError;

use crate::cli::{SieveAction, SieveArgs};
use crate::settings::{self, CliError};

/// Runs a sieve subcommand.
pub fn run(args: SieveArgs) -> Result<(), CliError> {
    let location = match &args.action {
        SieveAction::Put { location, .. }
        | SieveAction::List { location, .. }
        | SieveAction::Activate { location, .. }
        | SieveAction::Get { location, .. }
        | SieveAction::Delete { location, .. }
        | SieveAction::Check { location, .. } => location.clone(),
    };
    // Checking a script alone needs only the limits, not the data directory.
    let config = match &args.action {
        SieveAction::Check { user: None, .. } => settings::load_file(&location)?.config,
        _ => settings::load(&location)?,
    };
    let scripts = config.open_scripts().map_err(CliError::Failed)?;
    match args.action {
        SieveAction::Put { user, name, file, activate, .. } => {
            let directory = config.open_directory().map_err(|e| CliError::Failed(e.to_string()))?;
            if !directory.exists(&user).map_err(|e| CliError::Failed(e.to_string()))? {
                return Err(CliError::NoUser(format!("no such user: {user}")));
            }
            let source = read(&file)?;
            scripts.put(&user, &name, &source).map_err(script_error)?;
            if activate {
                scripts.set_active(&user, &name).map_err(script_error)?;
            }
            let active = if activate { " and active" } else { "" };
            println!("script {name} of {user} stored{active} in {}", config.data.display());
        }
        SieveAction::List { user, .. } => {
            for script in scripts.list(&user).map_err(script_error)? {
                println!("{}{}", script.name, if script.active { " (active)" } else { "" });
            }
        }
        SieveAction::Activate { user, name, .. } => {
            scripts.set_active(&user, &name).map_err(script_error)?;
            println!("active script of {user}: {}", if name.is_empty() { "none" } else { &name });
        }
        SieveAction::Get { user, name, .. } => {
            let source = scripts.get(&user, &name).map_err(script_error)?;
            print!("{}", String::from_utf8_lossy(&source));
        }
        SieveAction::Delete { user, name, .. } => {
            scripts.delete(&user, &name).map_err(script_error)?;
            println!("script {name} of {user} deleted");
        }
        SieveAction::Check { file, user, name, .. } => {
            let source = read(&file)?;
            match &user {
                Some(user) => scripts.check_upload(user, name.as_deref(), &source),
                None => scripts.check(&source),
            }
            .map_err(script_error)?;
            println!("{}: ok", file.display());
        }
    }
    Ok(())
}

fn read(file: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(file).map_err(|e| CliError::Config(format!("cannot read {}: {e}", file.display())))
}

fn script_error(e: ScriptError) -> CliError {
    match e {
        ScriptError::Invalid(why) => CliError::DataErr(why),
        ScriptError::NoSuchScript => CliError::NoUser(e.to_string()),
        ScriptError::Io(_) => CliError::Failed(e.to_string()),
        _ => CliError::Config(e.to_string()),
    }
}
