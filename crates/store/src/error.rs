//! Errors of the mailstore, each saying what the caller can do about it.

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The user has no store.
    #[error("no such user")]
    NoSuchUser,
    /// The user exists already.
    #[error("user already exists")]
    UserExists,
    /// The mailbox does not exist (or is a \Noselect placeholder where one is needed).
    #[error("no such mailbox")]
    NoSuchMailbox,
    /// The mailbox exists already.
    #[error("mailbox already exists")]
    MailboxExists,
    /// The name is not acceptable; the text says why.
    #[error("invalid mailbox name: {0}")]
    InvalidName(String),
    /// The operation is not possible on this mailbox; the text says why (e.g. deleting INBOX).
    #[error("{0}")]
    NotPossible(String),
    /// The disk or index failed; the text says what, for the log and the admin.
    #[error("storage failure: {0}")]
    Io(String),
    /// The file system holding the store is full (ENOSPC, SQLITE_FULL): nothing was
    /// acknowledged; the operation may succeed once space is freed. The text says where.
    #[error("storage full: {0}")]
    Full(String),
    /// Stored data does not decode or does not match what the index recorded (a damaged
    /// index row, a truncated or altered message file); the text says which. Other messages
    /// are not affected; `bushbuck reconstruct` repairs what can be repaired.
    #[error("damaged data: {0}")]
    Damaged(String),
    /// A storage engine the store depends on (database, object store) cannot be reached
    /// now; nothing was changed and the same operation may succeed later. The text says which.
    #[error("storage temporarily unavailable: {0}")]
    Unavailable(String),
}

/// Result of a store operation.
pub type Result<T> = std::result::Result<T, StoreError>;
