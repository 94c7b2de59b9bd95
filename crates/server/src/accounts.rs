//! Creating and deleting users: the directory entry and the mailstore kept together. Shared
//! by `bushbuck user` (offline) and the admin-only IMAP command `XADMIN` (online).

use bushbuck_auth::{AuthError, Directory};
use bushbuck_store::{Store, StoreError};

use crate::sieve::scripts::ScriptStore;

/// A mailbox to create with a new user, with its SPECIAL-USE attribute if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFolder {
    /// Mailbox name (UTF-8, `/`-separated).
    pub name: String,
    /// RFC 6154 attribute such as `\Sent`.
    pub special_use: Option<String>,
}

/// The folders a new user gets besides INBOX unless configured otherwise (`default_folders`).
pub const DEFAULT_FOLDERS: [&str; 5] = ["Sent", "Drafts", "Trash", "Junk", "Archive"];

/// The RFC 6154 SPECIAL-USE attribute a folder's name suggests (its last level, any case).
pub fn special_use_of(name: &str) -> Option<&'static str> {
    const USES: [(&str, &str); 5] = [
        ("sent", "\\Sent"),
        ("drafts", "\\Drafts"),
        ("trash", "\\Trash"),
        ("junk", "\\Junk"),
        ("archive", "\\Archive"),
    ];
    let last = name.rsplit('/').next().unwrap_or(name);
    USES.iter().find(|(n, _)| n.eq_ignore_ascii_case(last)).map(|(_, u)| *u)
}

/// The folders to provision for a new user from their names: each with the special use its
/// name suggests. The one place that decides what a new user's folders are.
pub fn provisioned_folders<S: AsRef<str>>(names: &[S]) -> Vec<NewFolder> {
    names
        .iter()
        .map(|n| NewFolder {
            name: n.as_ref().to_string(),
            special_use: special_use_of(n.as_ref()).map(String::from),
        })
        .collect()
}

/// Why creating or deleting a user failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The directory refused or failed (bad name, user exists, no such user, disk).
    #[error("{0}")]
    Directory(#[from] AuthError),
    /// The mailstore failed; nothing of the user was left behind when creating.
    #[error("the mailstore of {user} could not be {action}: {error}")]
    Store {
        /// The user.
        user: String,
        /// "created" or "deleted".
        action: &'static str,
        /// The store's error.
        error: StoreError,
    },
    /// The user is gone, but their Sieve directory could not be removed.
    #[error("user {user} deleted, but the Sieve scripts could not be removed: {error}")]
    ScriptsLeft {
        /// The user.
        user: String,
        /// What the file system said.
        error: String,
    },
}

/// Creates a user: the directory entry with the password's hash, then the mailstore with
/// INBOX and `folders` on `partition` (default: the configured one). When that fails, what this call made is removed again.
pub fn add_user(
    directory: &Directory,
    store: &dyn Store,
    name: &str,
    password: &[u8],
    partition: Option<&str>,
    folders: &[NewFolder],
) -> Result<(), AccountError> {
    directory.add_user(name, password)?;
    // A store left from an earlier life of the name (e.g. after a lost directory) is kept.
    let created = match store.create_user_on(name, partition) {
        Ok(()) => true,
        Err(StoreError::UserExists) => false,
        Err(error) => {
            let _ = directory.delete_user(name);
            return Err(AccountError::Store { user: name.to_string(), action: "created", error });
        }
    };
    let made = folders.iter().try_for_each(|f| {
        match store.create_mailbox(name, &f.name, f.special_use.as_deref()) {
            Ok(_) | Err(StoreError::MailboxExists) => Ok(()),
            Err(e) => Err(e),
        }
    });
    made.map_err(|error| {
        if created {
            let _ = store.delete_user(name);
        }
        let _ = directory.delete_user(name);
        AccountError::Store { user: name.to_string(), action: "created", error }
    })
}

/// Deletes a user: the directory entry, every message, and the Sieve scripts.
pub fn delete_user(
    directory: &Directory,
    store: &dyn Store,
    scripts: &ScriptStore,
    name: &str,
) -> Result<(), AccountError> {
    directory.delete_user(name)?;
    match store.delete_user(name) {
        Ok(()) | Err(StoreError::NoSuchUser) => {}
        Err(error) => return Err(AccountError::Store { user: name.to_string(), action: "deleted", error }),
    }
    scripts
        .delete_user(name)
        .map_err(|e| AccountError::ScriptsLeft { user: name.to_string(), error: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bushbuck_store::SqliteStore;

    #[test]
    fn adds_with_folders_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let directory = Directory::open(dir.path()).unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let scripts = ScriptStore::new(dir.path(), 4, 1024);
        let sent = NewFolder { name: "Sent".into(), special_use: Some("\\Sent".into()) };
        add_user(&directory, &store, "carol", b"pw", None, &[sent]).unwrap();
        let names: Vec<_> = store.list_mailboxes("carol").unwrap().into_iter().map(|m| m.name).collect();
        assert_eq!(names, ["INBOX", "Sent"]);
        delete_user(&directory, &store, &scripts, "carol").unwrap();
        assert!(!directory.exists("carol").unwrap());
        assert!(store.list_mailboxes("carol").is_err());
    }

    #[test]
    fn a_bad_folder_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let directory = Directory::open(dir.path()).unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let bad = NewFolder { name: String::new(), special_use: None };
        assert!(add_user(&directory, &store, "dave", b"pw", None, &[bad]).is_err());
        assert!(!directory.exists("dave").unwrap());
    }
}
