//! `bushbuck group`: the groups ACLs grant rights to as `group:NAME`.

use bushbuck_auth::Directory;

use crate::cli::{GroupAction, GroupArgs, Location};
use crate::settings::{self, CliError};
use crate::user::auth_error;

/// Runs a group subcommand.
pub fn run(args: GroupArgs) -> Result<(), CliError> {
    match args.action {
        GroupAction::Add { name, members, location } => {
            open(&location)?.add_group_members(&name, &members).map_err(auth_error)?;
            println!("group {name}: added {}", members.join(" "));
        }
        GroupAction::Del { name, members, location } => {
            open(&location)?.remove_group_members(&name, &members).map_err(auth_error)?;
            if members.is_empty() {
                println!("group {name} deleted");
            } else {
                println!("group {name}: removed {}", members.join(" "));
            }
        }
        GroupAction::List { location } => {
            for (name, members) in open(&location)?.list_groups().map_err(auth_error)? {
                println!("{name}: {}", members.join(" "));
            }
        }
    }
    Ok(())
}

fn open(location: &Location) -> Result<Directory, CliError> {
    let config = settings::load(location)?;
    config.open_directory().map_err(auth_error)
}
