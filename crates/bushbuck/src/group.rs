//! `bushbuck group`: the groups ACLs grant rights to as `group:NAME`.

use std::path::PathBuf;

use bushbuck_auth::Directory;

use crate::cli::{GroupAction, GroupArgs, Location};
use crate::settings::{self, CliError};
use crate::user::auth_error;

/// Runs a group subcommand.
pub fn run(args: GroupArgs) -> Result<(), CliError> {
    match args.action {
        GroupAction::Add { name, members, location } => {
            let (directory, data) = open(&location)?;
            directory.add_group_members(&name, &members).map_err(auth_error)?;
            println!("group {name}: added {} in {}", members.join(" "), data.display());
        }
        GroupAction::Del { name, members, location } => {
            open(&location)?.0.remove_group_members(&name, &members).map_err(auth_error)?;
            if members.is_empty() {
                println!("group {name} deleted");
            } else {
                println!("group {name}: removed {}", members.join(" "));
            }
        }
        GroupAction::List { location } => {
            for (name, members) in open(&location)?.0.list_groups().map_err(auth_error)? {
                println!("{name}: {}", members.join(" "));
            }
        }
    }
    Ok(())
}

/// The directory of users and groups, and the data directory it is in.
fn open(location: &Location) -> Result<(Directory, PathBuf), CliError> {
    let config = settings::load(location)?;
    Ok((config.open_directory().map_err(auth_error)?, config.data))
}
