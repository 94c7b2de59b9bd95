//! Opening the state beside the mailstore (the user directory, the duplicate log, the Sieve
//! scripts) where the configuration puts it. Everything that opens one of them goes through
//! these methods, so the choice of backend by `store_url` is made in one place: the data
//! directory by default, the PostgreSQL database of `store_url` when set, as for the mail store
//! (`Config::open_store`).

use bushbuck_auth::Directory;

use crate::config::Config;
use crate::duplicates::DuplicateLog;
use crate::sieve::scripts::ScriptStore;

impl Config {
    /// Refuses a distributed store for the tools that work on the embedded store's files
    /// (reconstruct), and `blob_url` without `store_url` (the embedded index names files in
    /// the data directory, not objects).
    pub(crate) fn embedded_only(&self) -> Result<(), String> {
        match (&self.store_url, &self.blob_url) {
            (Some(url), _) => Err(format!(
                "store_url is set ({}): this works on the embedded store's files in the data directory; \
                 the distributed store's index is the database (use `bushbuck quota fix` to recount usage)",
                crate::config::mask_password(url)
            )),
            (None, Some(url)) => Err(format!(
                "blob_url is set ({url}) without store_url: the embedded store keeps message files in \
                 the data directory; set store_url too, or remove blob_url"
            )),
            (None, None) => Ok(()),
        }
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
    fn embedded_state_opens_in_the_data_directory_and_file_tools_refuse_a_distributed_store() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config { data: dir.path().to_path_buf(), ..Config::default() };
        config.open_directory().unwrap().add_user("alice", b"pw").unwrap();
        assert!(config.open_directory().unwrap().exists("alice").unwrap());
        config.open_duplicates().unwrap().record("alice", "INBOX", "<a@b>").unwrap();
        config.open_scripts().unwrap().put("alice", "s", b"keep;").unwrap();
        assert!(dir.path().join("directory.sqlite3").exists() && dir.path().join("sieve/alice").exists());

        config.store_url = Some("postgres://bushbuck:secret@127.0.0.1:1/mail".into());
        let refused = config.open_embedded_store().err().expect("reconstruct refuses a distributed store");
        assert!(refused.contains("store_url is set") && !refused.contains("secret"), "{refused}");
        let down = config.open_store().err().expect("nothing listens on port 1");
        assert!(down.contains("store_url"), "{down}");

        config.store_url = None;
        config.blob_url = Some("s3://mail?endpoint=http://127.0.0.1:3900&region=garage".into());
        let alone = config.open_store().err().expect("blob_url needs store_url");
        assert!(alone.contains("without store_url"), "{alone}");
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
