//! Opening the state beside the mailstore (the user directory, the duplicate log, the Sieve
//! scripts) where the configuration puts it. Everything that opens one of them goes through
//! these methods, so the choice of backend by `store_url` is made in one place.

use bushbuck_auth::{AuthError, Directory};

use crate::config::Config;
use crate::duplicates::DuplicateLog;
use crate::sieve::scripts::ScriptStore;

impl Config {
    /// Refuses a `store_url`: this build keeps the directory, the duplicate log and the
    /// Sieve scripts in the data directory only, and nodes that each kept their own would
    /// silently disagree about users and passwords.
    fn embedded_state_only(&self) -> Result<(), String> {
        match &self.store_url {
            Some(url) => Err(format!(
                "store_url is set ({url}), but this build keeps the user directory, duplicate log \
                 and Sieve scripts only in the data directory; remove store_url to run embedded"
            )),
            None => Ok(()),
        }
    }

    /// Opens the user directory (users, passwords, administrator marks, groups, quota limits).
    pub fn open_directory(&self) -> bushbuck_auth::Result<Directory> {
        self.embedded_state_only().map_err(AuthError::Storage)?;
        Directory::open(&self.data)
    }

    /// Opens the log of delivered Message-IDs and the Sieve duplicate and vacation memory.
    pub fn open_duplicates(&self) -> Result<DuplicateLog, String> {
        self.embedded_state_only()?;
        DuplicateLog::open(&self.data)
    }

    /// Opens the users' Sieve scripts, with the configured limits.
    pub fn open_scripts(&self) -> Result<ScriptStore, String> {
        self.embedded_state_only()?;
        Ok(ScriptStore::new(&self.data, self.sieve_max_scripts, self.sieve_max_script_size))
    }
}
