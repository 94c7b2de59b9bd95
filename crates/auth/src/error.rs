//! Errors of the user directory.

/// A directory operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The user name is not acceptable; the text says why.
    #[error("invalid user name: {0}")]
    InvalidName(String),
    /// The user already exists.
    #[error("user {0} already exists")]
    UserExists(String),
    /// The user does not exist.
    #[error("no such user: {0}")]
    NoSuchUser(String),
    /// The group name is not acceptable.
    #[error("invalid group name {0:?}: use 1 to 128 lowercase letters, digits and . _ - @ +")]
    InvalidGroupName(String),
    /// The group does not exist.
    #[error("no such group: {0} (bushbuck group list shows the groups)")]
    NoSuchGroup(String),
    /// The password is not acceptable (empty, or too long).
    #[error("invalid password: {0}")]
    InvalidPassword(String),
    /// The database holding the directory (PostgreSQL, with `store_url`) is down or
    /// unreachable: a temporary failure that passes by itself. Protocols answer it as one
    /// (IMAP `NO [UNAVAILABLE]`, POP3 `-ERR [SYS/TEMP]`, LMTP 451) so clients retry.
    #[error("database unavailable: {0} (it is down or unreachable; retry later)")]
    Unavailable(String),
    /// The database could not be read or written; the text says where and what to check.
    #[error("database failure: {0}")]
    Storage(String),
}

impl From<rusqlite::Error> for AuthError {
    fn from(e: rusqlite::Error) -> Self {
        AuthError::Storage(format!("SQLite: {e} (check that the data directory is writable)"))
    }
}

/// Result of a directory operation.
pub type Result<T> = std::result::Result<T, AuthError>;
