//! Quota usage from the per-mailbox counters (`used_bytes`, `used_messages`) that the schema's
//! triggers keep, and their repair by recounting.

use rusqlite::{params, Connection, TransactionBehavior};

use crate::api::{MailboxUsage, Usage, UsageFix};
use crate::error::Result;

/// A usage from two counter columns.
fn usage(bytes: i64, messages: i64) -> Usage {
    Usage { bytes: bytes.max(0) as u64, messages: messages.max(0) as u64 }
}

/// The user's total: the sum of the mailbox counters.
pub(crate) fn total(conn: &Connection) -> Result<Usage> {
    let sql = "SELECT COALESCE(SUM(used_bytes), 0), COALESCE(SUM(used_messages), 0) FROM mailboxes";
    Ok(conn.prepare_cached(sql)?.query_row([], |r| Ok(usage(r.get(0)?, r.get(1)?)))?)
}

/// Every mailbox's counters, sorted by name.
pub(crate) fn per_mailbox(conn: &Connection) -> Result<Vec<MailboxUsage>> {
    let mut stmt =
        conn.prepare_cached("SELECT name, used_bytes, used_messages FROM mailboxes ORDER BY name")?;
    let rows =
        stmt.query_map([], |r| Ok(MailboxUsage { name: r.get(0)?, usage: usage(r.get(1)?, r.get(2)?) }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Recounts every mailbox from its messages in one write transaction (so no write of another
/// session or process falls between count and store) and corrects the counters that differ.
pub(crate) fn fix(conn: &mut Connection) -> Result<Vec<UsageFix>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let wrong: Vec<(i64, UsageFix)> = {
        let mut stmt = tx.prepare(
            "SELECT mb.id, mb.name, mb.used_bytes, mb.used_messages,
                    COALESCE(SUM(m.size), 0), COUNT(m.uid)
             FROM mailboxes mb LEFT JOIN messages m ON m.mailbox = mb.id
             GROUP BY mb.id ORDER BY mb.name",
        )?;
        let rows = stmt.query_map([], |r| {
            let (was_bytes, was_messages): (i64, i64) = (r.get(2)?, r.get(3)?);
            let (bytes, messages): (i64, i64) = (r.get(4)?, r.get(5)?);
            let stored_right = was_bytes == bytes && was_messages == messages;
            let fix = UsageFix {
                mailbox: r.get(1)?,
                was: usage(was_bytes, was_messages),
                now: usage(bytes, messages),
            };
            Ok((!stored_right).then_some((r.get(0)?, fix)))
        })?;
        rows.filter_map(|r| r.transpose()).collect::<rusqlite::Result<_>>()?
    };
    for (id, fix) in &wrong {
        tx.execute(
            "UPDATE mailboxes SET used_bytes = ?2, used_messages = ?3 WHERE id = ?1",
            params![id, fix.now.bytes as i64, fix.now.messages as i64],
        )?;
    }
    tx.commit()?;
    Ok(wrong.into_iter().map(|(_, fix)| fix).collect())
}
