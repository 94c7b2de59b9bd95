//! Quota usage from the per-mailbox counters (`used_bytes`, `used_messages`) that every write
//! keeps in its own transaction, and their repair by recounting.

use super::database::{Tx, TxResult};
use super::mailboxes::owner_exists;
use super::statements::Statements;
use crate::api::{MailboxUsage, Usage, UsageFix};
use crate::error::StoreError;

/// A usage from two counter columns.
fn usage(bytes: i64, messages: i64) -> Usage {
    Usage { bytes: bytes.max(0) as u64, messages: messages.max(0) as u64 }
}

/// Fails with `NoSuchUser` unless the owner has a store.
fn known(tx: &mut Tx<'_>, owner: &str) -> TxResult<()> {
    if owner_exists(tx, owner)? {
        Ok(())
    } else {
        Err(StoreError::NoSuchUser.into())
    }
}

/// The owner's total: the sum of the mailbox counters.
pub(crate) fn total(tx: &mut Tx<'_>, owner: &str) -> TxResult<Usage> {
    known(tx, owner)?;
    let row = tx.fetch_one(
        "SELECT COALESCE(sum(used_bytes), 0)::BIGINT, COALESCE(sum(used_messages), 0)::BIGINT
         FROM mail_mailboxes WHERE owner = $1",
        &[&owner],
    )?;
    Ok(usage(row.get(0), row.get(1)))
}

/// Every mailbox's counters, sorted by name.
pub(crate) fn per_mailbox(tx: &mut Tx<'_>, owner: &str) -> TxResult<Vec<MailboxUsage>> {
    known(tx, owner)?;
    let rows = tx.fetch(
        "SELECT name, used_bytes, used_messages FROM mail_mailboxes WHERE owner = $1 ORDER BY name",
        &[&owner],
    )?;
    Ok(rows.iter().map(|r| MailboxUsage { name: r.get(0), usage: usage(r.get(1), r.get(2)) }).collect())
}

/// Recounts every mailbox of the owner from its messages, with the mailbox rows locked (so
/// no write on any node falls between count and store), and corrects the counters that differ.
pub(crate) fn fix(tx: &mut Tx<'_>, owner: &str) -> TxResult<Vec<UsageFix>> {
    known(tx, owner)?;
    tx.exec("SELECT 1 FROM mail_mailboxes WHERE owner = $1 ORDER BY id FOR UPDATE", &[&owner])?;
    let rows = tx.fetch(
        "SELECT mb.id, mb.name, mb.used_bytes, mb.used_messages,
                COALESCE(sum(m.size), 0)::BIGINT, count(m.uid)
         FROM mail_mailboxes mb LEFT JOIN mail_messages m ON m.mailbox = mb.id
         WHERE mb.owner = $1 GROUP BY mb.id ORDER BY mb.name",
        &[&owner],
    )?;
    let mut fixes = Vec::new();
    let (mut ids, mut bytes, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    for r in &rows {
        let (was_bytes, was_messages, now_bytes, now_messages): (i64, i64, i64, i64) =
            (r.get(2), r.get(3), r.get(4), r.get(5));
        if (was_bytes, was_messages) != (now_bytes, now_messages) {
            ids.push(r.get::<_, i64>(0));
            bytes.push(now_bytes);
            counts.push(now_messages);
            fixes.push(UsageFix {
                mailbox: r.get(1),
                was: usage(was_bytes, was_messages),
                now: usage(now_bytes, now_messages),
            });
        }
    }
    if !ids.is_empty() {
        tx.exec(
            "UPDATE mail_mailboxes mb SET used_bytes = n.bytes, used_messages = n.messages
             FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[]) AS n(id, bytes, messages) WHERE mb.id = n.id",
            &[&ids, &bytes, &counts],
        )?;
    }
    Ok(fixes)
}
