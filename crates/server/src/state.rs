//! Opening the state beside the mailstore (the user directory, the duplicate log, the Sieve
//! scripts) where the configuration puts it. Everything that opens one of them goes through
//! these methods, so the choice of backend by `store_url` is made in one place: the data
//! directory by default, the PostgreSQL database of `store_url` when set. The mail store's own
//! opening (`Config::open_store`) still refuses `store_url` and `blob_url` (below).

use bushbuck_auth::Directory;

use crate::config::Config;
use crate::duplicates::DuplicateLog;
use crate::sieve::scripts::ScriptStore;

impl Config {
    /// Refuses `store_url` and `blob_url` for the mail store: this build has only the embedded
    /// mail store (the index and the message files in the data directory), and a node that
    /// silently ran it beside others would disagree with them about mail.
    pub(crate) fn embedded_state_only(&self) -> Result<(), String> {
        let (key, url) = match (&self.store_url, &self.blob_url) {
            (Some(url), _) => ("store_url", url),
            (None, Some(url)) => ("blob_url", url),
            (None, None) => return Ok(()),
        };
        Err(format!(
            "{key} is set ({url}), but this build keeps the mail store only in the data \
             directory; remove store_url and blob_url to run embedded"
        ))
    }

    /// Opens the user directory (users, passwords, administrator marks, groups, quota limits).
    /// Embedded in the data directory, or in the PostgreSQL database of `store_url`.
    pub fn open_directory(&self) -> bushbuck_auth::Result<Directory> {
        let directory = match &self.store_url {
            Some(url) => Directory::connect(url),
            None => Directory::open(&self.data),
        }?;
        Ok(directory.with_login_cache(std::time::Duration::from_secs(self.login_cache_seconds)))
    }

    /// Opens the log of delivered Message-IDs and the Sieve duplicate and vacation memory.
    /// Embedded in the data directory, or in the PostgreSQL database of `store_url`.
    pub fn open_duplicates(&self) -> Result<DuplicateLog, String> {
        match &self.store_url {
            Some(url) => DuplicateLog::connect(url),
            None => DuplicateLog::open(&self.data),
        }
    }

    /// Opens the users' Sieve scripts, with the configured limits: files in the data
    /// directory, or tables in the PostgreSQL database of `store_url`.
    pub fn open_scripts(&self) -> Result<ScriptStore, String> {
        let (max_scripts, max_size) = (self.sieve_max_scripts, self.sieve_max_script_size);
        match &self.store_url {
            Some(url) => ScriptStore::connect(url, max_scripts, max_size),
            None => Ok(ScriptStore::new(&self.data, max_scripts, max_size)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bushbuck_auth::AuthError;

    #[test]
    fn embedded_state_opens_in_the_data_directory_and_a_store_url_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config { data: dir.path().to_path_buf(), ..Config::default() };
        config.open_directory().unwrap().add_user("alice", b"pw").unwrap();
        assert!(config.open_directory().unwrap().exists("alice").unwrap());
        config.open_duplicates().unwrap().record("alice", "INBOX", "<a@b>").unwrap();
        config.open_scripts().unwrap().put("alice", "s", b"keep;").unwrap();
        assert!(dir.path().join("directory.sqlite3").exists() && dir.path().join("sieve/alice").exists());

        config.store_url = Some("postgres://bushbuck@127.0.0.1:5432/mail".into());
        assert!(config.open_store().err().is_some_and(|e| e.contains("store_url is set")));

        config.store_url = None;
        config.blob_url = Some("s3://mail?endpoint=http://127.0.0.1:3900&region=garage".into());
        assert!(config.open_store().err().is_some_and(|e| e.contains("blob_url is set")));
        assert!(config
            .open_embedded_store()
            .err()
            .is_some_and(|e| e.contains("remove store_url and blob_url")));
    }

    #[test]
    fn a_store_url_puts_the_directory_duplicate_log_and_scripts_on_postgresql() {
        let Some(url) = bushbuck_testsvc::postgres_url() else { return };
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config { data: dir.path().to_path_buf(), ..Config::default() };
        config.open_directory().unwrap().add_user("local", b"pw").unwrap();
        config.store_url = Some(url);
        config.open_directory().unwrap().add_user("shared", b"pw").unwrap();
        config.open_duplicates().unwrap().record("shared", "INBOX", "<a@b>").unwrap();
        config.open_scripts().unwrap().put("shared", "s", b"keep;").unwrap();
        let (shared, embedded) = (config.open_directory().unwrap(), Directory::open(dir.path()).unwrap());
        assert_eq!(shared.list_users().unwrap(), vec!["shared".to_string()]);
        assert_eq!(embedded.list_users().unwrap(), vec!["local".to_string()]);
        assert!(config.open_duplicates().unwrap().seen("shared", "INBOX", "<a@b>", 60).unwrap());
        assert!(!DuplicateLog::open(dir.path()).unwrap().seen("shared", "INBOX", "<a@b>", 60).unwrap());
        assert_eq!(config.open_scripts().unwrap().get("shared", "s").unwrap(), b"keep;");
        assert!(!dir.path().join("sieve").exists(), "no script files beside a shared database");
        config.store_url = Some("postgres://bushbuck@127.0.0.1:1/none".into());
        let down = config.open_directory().err().expect("nothing listens on port 1");
        assert!(matches!(down, AuthError::Unavailable(_)), "{down:?}");
    }

    #[test]
    fn the_store_settings_are_read_from_toml() {
        let config = Config::from_toml(
            "store_url = \"postgres://u@db:5432/mail\"\nblob_url = \"s3://mail?endpoint=http://s3:3900&region=garage\"\n\
             blob_access_key = \"AK\"\nblob_secret_key = \"SK\"\n",
        )
        .unwrap();
        assert_eq!(config.store_url.as_deref(), Some("postgres://u@db:5432/mail"));
        assert_eq!(config.blob_url.as_deref(), Some("s3://mail?endpoint=http://s3:3900&region=garage"));
        assert_eq!(
            (config.blob_access_key.as_deref(), config.blob_secret_key.as_deref()),
            (Some("AK"), Some("SK"))
        );
        assert_eq!(Config::default().store_url, None, "embedded by default");
    }
}
