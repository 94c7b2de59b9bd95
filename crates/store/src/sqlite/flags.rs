//! STORE: flag changes with UNCHANGEDSINCE, and the per-mailbox keyword spellings.

use rusqlite::{params, Connection, TransactionBehavior};

use super::mailboxes::{bump_modseq, selectable_by_id};
use super::Effects;
use crate::api::{FlagChange, FlagUpdate, MailboxId, MessageState};
use crate::error::Result;
use crate::flagset::Flags;
use crate::uid_ranges::uid_ranges;

/// Maps keywords to the spelling first seen in the mailbox, registering new ones.
pub(crate) fn canonical_keywords(
    conn: &Connection,
    mailbox: MailboxId,
    keywords: &[String],
) -> Result<Vec<String>> {
    let mut register =
        conn.prepare_cached("INSERT OR IGNORE INTO keywords (mailbox, lname, name) VALUES (?1, ?2, ?3)")?;
    let mut lookup = conn.prepare_cached("SELECT name FROM keywords WHERE mailbox = ?1 AND lname = ?2")?;
    let mut out = Vec::with_capacity(keywords.len());
    for keyword in keywords {
        let lname = keyword.to_ascii_lowercase();
        register.execute(params![mailbox.0, lname, keyword])?;
        out.push(lookup.query_row(params![mailbox.0, lname], |r| r.get(0))?);
    }
    Ok(out)
}

/// Changes flags of `uids`; messages changed after `unchanged_since` are refused. Messages
/// whose flags end up as they were keep their MODSEQ; the others share one new MODSEQ.
pub(crate) fn store(
    conn: &mut Connection,
    mailbox: MailboxId,
    uids: &[u32],
    change: FlagChange,
    flags: &[String],
    unchanged_since: Option<u64>,
    fx: &mut Effects,
) -> Result<FlagUpdate> {
    let mut given = Flags::parse(flags)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let m = selectable_by_id(&tx, mailbox)?;
    if change != FlagChange::Remove {
        given.keywords = canonical_keywords(&tx, m.id, &given.keywords)?;
    }
    let mut rows: Vec<(u32, u64, Flags)> = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT uid, modseq, flags, keywords FROM messages WHERE mailbox = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid",
        )?;
        for (lo, hi) in uid_ranges(uids) {
            let found = stmt.query_map(params![m.id.0, lo, hi], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, i64>(1)? as u64,
                    Flags::from_columns(r.get(2)?, &r.get::<_, String>(3)?),
                ))
            })?;
            for row in found {
                rows.push(row?);
            }
        }
    }
    let mut update = FlagUpdate::default();
    let mut new_modseq = None;
    {
        let mut write = tx.prepare_cached(
            "UPDATE messages SET flags = ?3, keywords = ?4, modseq = ?5 WHERE mailbox = ?1 AND uid = ?2",
        )?;
        for (uid, modseq, current) in rows {
            if unchanged_since.is_some_and(|since| modseq > since) {
                update.modified.push(uid);
                continue;
            }
            let next = current.apply(change, &given);
            if next.same_as(&current) {
                update.updated.push(MessageState { uid, flags: current.to_strings(), modseq });
                continue;
            }
            let stamp = match new_modseq {
                Some(s) => s,
                None => *new_modseq.insert(bump_modseq(&tx, m.id)?),
            };
            write.execute(params![m.id.0, uid, next.system, next.keywords_column(), stamp as i64])?;
            update.updated.push(MessageState { uid, flags: next.to_strings(), modseq: stamp });
        }
    }
    tx.commit()?;
    if let Some(stamp) = new_modseq {
        fx.notify.push((m.id, stamp));
    }
    Ok(update)
}
