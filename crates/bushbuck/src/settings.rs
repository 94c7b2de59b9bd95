//! Building the effective configuration from the embedded defaults, a TOML file and flags,
//! and the error type of the command.

use std::fmt;

use bushbuck_server::Config;

use crate::cli::Location;
use crate::datadir;

/// A failure of a subcommand, with the exit code it maps to (sysexits).
#[derive(Debug)]
pub enum CliError {
    /// Bad usage or configuration (EX_CONFIG 78).
    Config(String),
    /// A named thing does not exist (EX_NOUSER 67).
    NoUser(String),
    /// The input data is wrong, e.g. a script that does not compile (EX_DATAERR 65).
    DataErr(String),
    /// Refused for good, e.g. rejected by a filter (EX_UNAVAILABLE 69).
    Unavailable(String),
    /// A temporary failure worth retrying (EX_TEMPFAIL 75).
    TempFail(String),
    /// Anything else that failed (EX_SOFTWARE 70).
    Failed(String),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(_) => 78,
            CliError::NoUser(_) => 67,
            CliError::TempFail(_) => 75,
            CliError::Unavailable(_) => 69,
            CliError::DataErr(_) => 65,
            CliError::Failed(_) => 70,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Config(m)
            | CliError::NoUser(m)
            | CliError::Unavailable(m)
            | CliError::DataErr(m)
            | CliError::TempFail(m)
            | CliError::Failed(m) => f.write_str(m),
        }
    }
}

/// The configuration: defaults, then the file, then `--data`, with the data directory
/// found as [`datadir::resolve`] says and made absolute.
pub fn load(location: &Location) -> Result<Config, CliError> {
    let (mut config, file_sets_data) = load_file(location)?;
    let from_file = file_sets_data.then(|| config.data.clone());
    (config.data, _) = datadir::resolve(location.data.as_deref(), from_file.as_deref())?;
    Ok(config)
}

/// The defaults and the file only, for the commands that never touch the data directory;
/// also whether the file set `data`.
pub fn load_file(location: &Location) -> Result<(Config, bool), CliError> {
    let Some(path) = &location.config else { return Ok((Config::default(), false)) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Config(format!("cannot read {}: {e}", path.display())))?;
    let config =
        Config::from_toml(&text).map_err(|e| CliError::Config(format!("{}: {e}", path.display())))?;
    let file_sets_data = text.parse::<toml::Table>().is_ok_and(|table| table.contains_key("data"));
    Ok((config, file_sets_data))
}
