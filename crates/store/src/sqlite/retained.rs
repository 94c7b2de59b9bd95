//! Retained copies of expunged message rows (schema step `V_RETAINED`): an expunge made while
//! a session of this process watches the mailbox copies each row here before deleting it, so
//! the file stays referenced and FETCH can still serve the message to sessions not yet told
//! of the expunge (RFC 2180 4.1.1, as Dovecot does). The rows go, and their files with them
//! when nothing else refers to them, when every watching session has caught up (`release`),
//! or, for rows left by a process that ended without releasing (`kill -9`), when an index is
//! opened after [`STALE_AFTER_SECS`] or by `collect_garbage`.

use rusqlite::{params, Connection, TransactionBehavior};

use super::now;
use crate::api::MailboxId;
use crate::error::Result;

/// Age after which a retained row no live session can still need is purged when an index is
/// opened: longer than any session goes without a command (the autologout is 30 minutes).
pub(crate) const STALE_AFTER_SECS: i64 = 3600;

/// Copies the rows of `uids` (about to be deleted by an expunge at `modseq`) into `retained`.
pub(crate) fn keep(conn: &Connection, mailbox: MailboxId, uids: &[u32], modseq: u64) -> Result<()> {
    let mut copy = conn.prepare_cached(
        "INSERT OR REPLACE INTO retained (mailbox, uid, expunged_modseq, expunged_at, blob, size,
             internal_date, internal_date_offset, save_date, modseq, flags, keywords, envelope,
             bodystructure, body, header)
         SELECT mailbox, uid, ?3, ?4, blob, size, internal_date, internal_date_offset, save_date,
                modseq, flags, keywords, envelope, bodystructure, body, header
         FROM messages WHERE mailbox = ?1 AND uid = ?2",
    )?;
    let at = now();
    for uid in uids {
        copy.execute(params![mailbox.0, uid, modseq as i64, at])?;
    }
    Ok(())
}

/// Deletes the rows of `mailbox` expunged at or below `through`; returns their content
/// addresses (for the caller to remove when unreferenced).
pub(crate) fn release(conn: &mut Connection, mailbox: MailboxId, through: u64) -> Result<Vec<String>> {
    let through = i64::try_from(through).unwrap_or(i64::MAX);
    delete_where(conn, "mailbox = ?1 AND expunged_modseq <= ?2", params![mailbox.0, through])
}

/// Deletes rows retained for longer than `secs` (left by a process that ended without
/// releasing them); returns their content addresses.
pub(crate) fn purge_older_than(conn: &mut Connection, secs: i64) -> Result<Vec<String>> {
    delete_where(conn, "expunged_at <= ?1", params![now() - secs])
}

fn delete_where(
    conn: &mut Connection,
    condition: &str,
    args: impl rusqlite::Params + Copy,
) -> Result<Vec<String>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let blobs = {
        let mut stmt = tx.prepare(&format!("SELECT DISTINCT blob FROM retained WHERE {condition}"))?;
        let rows = stmt.query_map(args, |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    if !blobs.is_empty() {
        tx.execute(&format!("DELETE FROM retained WHERE {condition}"), args)?;
        tx.commit()?;
    }
    Ok(blobs)
}
