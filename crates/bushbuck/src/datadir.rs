//! Finding the data directory, so that `serve` and every other subcommand run from any
//! working directory agree on it.
//!
//! In order: `--data DIR`; the file's `data` key; `./bushbuck-data` when it exists in the
//! working directory (where earlier versions always put it); else the user's default,
//! `$XDG_DATA_HOME/bushbuck`, `/var/lib/bushbuck` for root, `~/.local/share/bushbuck`
//! otherwise. A relative path is made absolute against the working directory.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::live_servers;
use crate::settings::CliError;

/// Where the data directory in effect was taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// `--data DIR` on the command line.
    Flag,
    /// The `data` key of the configuration file.
    File,
    /// `./bushbuck-data`, found in the working directory.
    WorkingDir,
    /// The user's default directory (XDG, or /var/lib/bushbuck for root).
    UserDefault,
}

impl DataSource {
    /// Whether the operator named the directory (flag or file) rather than letting it be found.
    pub fn is_explicit(self) -> bool {
        matches!(self, DataSource::Flag | DataSource::File)
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataSource::Flag => "flag",
            DataSource::File => "file",
            DataSource::WorkingDir => "default (./bushbuck-data exists here)",
            DataSource::UserDefault => "default",
        })
    }
}

/// The directory kept for compatibility when it exists in the working directory.
const WORKING_DIR_NAME: &str = "bushbuck-data";

/// Picks the data directory from the flag, the file's value (if the file set one) and the
/// defaults, and refuses to make up a new, empty one while a running server uses another.
pub fn resolve(flag: Option<&Path>, from_file: Option<&Path>) -> Result<(PathBuf, DataSource), CliError> {
    let (path, source) = find(flag, from_file)?;
    if !source.is_explicit() && !path.exists() {
        refuse_beside_a_live_server(&path)?;
    }
    Ok((path, source))
}

/// The data directory the flag, the file's value or the defaults name, made absolute.
pub fn find(flag: Option<&Path>, from_file: Option<&Path>) -> Result<(PathBuf, DataSource), CliError> {
    let (path, source) = match (flag, from_file) {
        (Some(path), _) => (path.to_path_buf(), DataSource::Flag),
        (None, Some(path)) => (path.to_path_buf(), DataSource::File),
        (None, None) if Path::new(WORKING_DIR_NAME).is_dir() => {
            (PathBuf::from(WORKING_DIR_NAME), DataSource::WorkingDir)
        }
        (None, None) => (user_default()?, DataSource::UserDefault),
    };
    let path = std::path::absolute(&path).map_err(|e| {
        CliError::Config(format!("cannot make the data directory {} absolute: {e}", path.display()))
    })?;
    Ok((path, source))
}

/// `$XDG_DATA_HOME/bushbuck`, else `/var/lib/bushbuck` for root, else `~/.local/share/bushbuck`.
fn user_default() -> Result<PathBuf, CliError> {
    if let Some(base) = env_dir("XDG_DATA_HOME") {
        return Ok(base.join("bushbuck"));
    }
    if rustix::process::getuid().is_root() {
        return Ok(PathBuf::from("/var/lib/bushbuck"));
    }
    env_dir("HOME").map(|home| home.join(".local/share/bushbuck")).ok_or_else(|| {
        CliError::Config(
            "no default data directory: neither XDG_DATA_HOME nor HOME is set; pass --data DIR".into(),
        )
    })
}

/// An environment variable holding an absolute directory (the XDG rule: others are ignored).
pub(crate) fn env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).map(PathBuf::from).filter(|p| p.is_absolute())
}

/// Fails when a live server serves a data directory other than `path`, which does not
/// exist yet: going on would create an empty store that the server never reads.
pub fn refuse_beside_a_live_server(path: &Path) -> Result<(), CliError> {
    let Some(server) = live_servers::list().into_iter().find(|s| s.data != path) else {
        return Ok(());
    };
    Err(CliError::Config(format!(
        "the data directory {new} does not exist, and a running server (pid {pid}) uses {used}; \
         refusing to create a second, empty store. Pass --data {used} to work on the server's \
         data, or --data {new} to create a new store there",
        new = path.display(),
        pid = server.pid,
        used = server.data.display(),
    )))
}
