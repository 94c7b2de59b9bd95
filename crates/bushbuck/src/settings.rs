//! Building the effective configuration from the embedded defaults, a TOML file and flags,
//! and the error type of the command.

use std::collections::BTreeSet;
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
    let FromFile { mut config, keys, .. } = load_file(location)?;
    let from_file = keys.contains("data").then(|| config.data.clone());
    (config.data, _) = datadir::resolve(location.data.as_deref(), from_file.as_deref())?;
    Ok(config)
}

/// The embedded defaults overlaid with the configuration file and then the environment, and
/// the keys each of them set.
pub struct FromFile {
    /// The configuration, `data` not resolved yet.
    pub config: Config,
    /// The top-level keys the file gave.
    pub keys: BTreeSet<String>,
    /// The keys an environment variable gave (see [`ENVIRONMENT_KEYS`]); they override the file.
    pub env_keys: BTreeSet<String>,
}

/// The keys an environment variable may set for every subcommand, so that one variable points
/// the server and every tool of a node at the shared engines (a container's environment, the
/// test suite's distributed run). Flags of `serve` still override them.
pub const ENVIRONMENT_KEYS: [(&str, &str); 2] =
    [("BUSHBUCK_STORE_URL", "store_url"), ("BUSHBUCK_BLOB_URL", "blob_url")];

/// Applies the non-empty [`ENVIRONMENT_KEYS`] variables to `config`; returns the keys set.
fn apply_environment(config: &mut Config) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for (variable, key) in ENVIRONMENT_KEYS {
        let Some(value) = std::env::var(variable).ok().filter(|v| !v.is_empty()) else { continue };
        match key {
            "store_url" => config.store_url = Some(value),
            _ => config.blob_url = Some(value),
        }
        set.insert(key.to_string());
    }
    set
}

/// The defaults, the file and the environment only, for the commands that never touch the
/// data directory (and for `config check`, which reports on it). An unknown key is an error
/// naming the nearest known one.
pub fn load_file(location: &Location) -> Result<FromFile, CliError> {
    let FromFile { mut config, keys, .. } = read_file(location)?;
    let env_keys = apply_environment(&mut config);
    Ok(FromFile { config, keys, env_keys })
}

/// The defaults overlaid with the file alone.
fn read_file(location: &Location) -> Result<FromFile, CliError> {
    let Some(path) = &location.config else {
        return Ok(FromFile { config: Config::default(), keys: BTreeSet::new(), env_keys: BTreeSet::new() });
    };
    let invalid = |e: String| CliError::Config(format!("{}: {e}", path.display()));
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Config(format!("cannot read {}: {e}", path.display())))?;
    let table: toml::Table = text.parse().map_err(|e| invalid(format!("invalid configuration: {e}")))?;
    let known = known_keys();
    if let Some(unknown) = table.keys().find(|key| !known.contains(*key)) {
        return Err(invalid(unknown_key(unknown, &known)));
    }
    let config = Config::from_toml(&text).map_err(invalid)?;
    Ok(FromFile { config, keys: table.keys().cloned().collect(), env_keys: BTreeSet::new() })
}

/// The configuration's keys (the fields of `Config`), sorted.
pub fn known_keys() -> BTreeSet<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

/// The error for an unknown key, naming the known key nearest to it.
fn unknown_key(unknown: &str, known: &BTreeSet<String>) -> String {
    let nearest = known.iter().min_by_key(|key| strsim::damerau_levenshtein(unknown, key));
    let hint = nearest.map(|key| format!("; did you mean {key:?}?")).unwrap_or_default();
    format!("unknown key {unknown:?}{hint} (`bushbuck config check` lists every key)")
}
