//! Users: one `mail_users` row each (plus the shared store's), created with an INBOX; their
//! mailboxes, messages, subscriptions and ACLs go with the row (`ON DELETE CASCADE`), their
//! objects to the sweeper.

use super::database::{Tx, TxResult};
use super::mailboxes::insert;
use super::statements::Statements;
use crate::api::SHARED_OWNER;
use crate::error::StoreError;
use crate::names::validate_user_name;
use crate::partitions::DEFAULT_PARTITION;

/// Refuses a partition other than the default: the database is the one place users live.
pub(crate) fn check_partition(partition: Option<&str>) -> TxResult<()> {
    match partition {
        None | Some(DEFAULT_PARTITION) => Ok(()),
        Some(other) => Err(StoreError::NotPossible(format!(
            "partition {other:?} does not exist: a store in PostgreSQL keeps every user in its \
             database (partition {DEFAULT_PARTITION:?})"
        ))
        .into()),
    }
}

/// Creates the user's row and INBOX, or `UserExists`.
pub(crate) fn create(tx: &mut Tx<'_>, user: &str) -> TxResult<()> {
    validate_user_name(user)?;
    if tx.exec("INSERT INTO mail_users (name) VALUES ($1) ON CONFLICT DO NOTHING", &[&user])? == 0 {
        return Err(StoreError::UserExists.into());
    }
    insert(tx, user, "INBOX", None, true)?;
    Ok(())
}

/// Deletes the user and everything the rows say they have, or `NoSuchUser`.
pub(crate) fn delete(tx: &mut Tx<'_>, user: &str) -> TxResult<()> {
    if user == SHARED_OWNER || tx.exec("DELETE FROM mail_users WHERE name = $1", &[&user])? == 0 {
        return Err(StoreError::NoSuchUser.into());
    }
    Ok(())
}

/// Users that have a store, sorted (the shared store is none).
pub(crate) fn list(tx: &mut Tx<'_>) -> TxResult<Vec<String>> {
    let rows = tx.fetch("SELECT name FROM mail_users WHERE name != $1", &[&SHARED_OWNER])?;
    let mut out: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    out.sort();
    Ok(out)
}
