//! `bushbuck ban`: the sources the server banned for failing to log in too often. Works on
//! the data directory while the server runs; a lifted ban stops applying within a second.

use bushbuck_server::throttle::{BanStore, SourceKey};

use crate::cli::{BanAction, BanArgs, Location};
use crate::settings::{self, CliError};

/// Runs a ban subcommand.
pub fn run(args: BanArgs) -> Result<(), CliError> {
    match args.action {
        BanAction::List { location } => {
            for ban in open(&location)?.list().map_err(CliError::Failed)? {
                println!("{} until {} ({} failed logins)", ban.address, ban.until_utc(), ban.failures);
            }
        }
        BanAction::Del { address, location } => {
            let source: SourceKey = address.parse().map_err(CliError::DataErr)?;
            if !open(&location)?.remove(source).map_err(CliError::Failed)? {
                return Err(CliError::NoUser(format!("{source} is not banned (see `bushbuck ban list`)")));
            }
            println!("ban of {source} lifted");
        }
    }
    Ok(())
}

fn open(location: &Location) -> Result<BanStore, CliError> {
    let config = settings::load(location)?;
    BanStore::open(&config.data).map_err(CliError::Failed)
}
