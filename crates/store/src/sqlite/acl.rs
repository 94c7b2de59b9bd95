//! Access control lists and the \Seen state of viewers other than the owner, in the owner's
//! index. Rights are opaque text here: the server interprets them (RFC 4314).

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::mailboxes::{bump_modseq, selectable_by_id};
use super::Effects;
use crate::api::{MailboxId, MessageState, OWNER_RIGHTS, SHARED_OWNER};
use crate::error::{Result, StoreError};
use crate::flagset::Flags;
use crate::names::parents;
use crate::uid_ranges::uid_ranges;

/// Records whose store this index is (new mailboxes give that user [`OWNER_RIGHTS`]) and,
/// for an index older than ACLs (`found_version` below `V_ACL`), gives the owner those
/// rights on every existing mailbox so nobody loses access by the upgrade.
pub(crate) fn init_owner(conn: &Connection, owner: &str, found_version: i64) -> Result<()> {
    let known: Option<String> =
        conn.query_row("SELECT value FROM settings WHERE key = 'owner'", [], |r| r.get(0)).optional()?;
    if known.as_deref() != Some(owner) {
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('owner', ?1)", [owner])?;
    }
    if (1..super::schema::V_ACL).contains(&found_version) && owner != SHARED_OWNER {
        conn.execute(
            "INSERT OR IGNORE INTO acl (mailbox, identifier, rights) SELECT id, ?1, ?2 FROM mailboxes",
            params![owner, OWNER_RIGHTS],
        )?;
    }
    Ok(())
}

/// Gives a new mailbox `name` the ACL of its nearest existing superior, or, at the top of a
/// user's hierarchy, the owner's full rights (shared top-level mailboxes start empty; the
/// server applies its configured default).
pub(crate) fn inherit(conn: &Connection, id: MailboxId, name: &str) -> Result<()> {
    let mut find = conn.prepare_cached("SELECT id FROM mailboxes WHERE name = ?1 AND id != ?2")?;
    for parent in parents(name).into_iter().rev() {
        if let Some(pid) = find.query_row(params![parent, id.0], |r| r.get::<_, i64>(0)).optional()? {
            conn.execute(
                "INSERT OR REPLACE INTO acl (mailbox, identifier, rights)
                 SELECT ?2, identifier, rights FROM acl WHERE mailbox = ?1",
                params![pid, id.0],
            )?;
            return Ok(());
        }
    }
    let owner: Option<String> =
        conn.query_row("SELECT value FROM settings WHERE key = 'owner'", [], |r| r.get(0)).optional()?;
    if let Some(owner) = owner.filter(|o| o != SHARED_OWNER) {
        conn.execute(
            "INSERT OR REPLACE INTO acl (mailbox, identifier, rights) VALUES (?1, ?2, ?3)",
            params![id.0, owner, OWNER_RIGHTS],
        )?;
    }
    Ok(())
}

/// The id of the mailbox called `name` (placeholders too: they have ACLs for LIST).
fn id_of(conn: &Connection, name: &str) -> Result<i64> {
    conn.prepare_cached("SELECT id FROM mailboxes WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NoSuchMailbox)
}

/// The ACL of a mailbox as (identifier, rights), sorted by identifier.
pub(crate) fn get(conn: &Connection, name: &str) -> Result<Vec<(String, String)>> {
    let id = id_of(conn, name)?;
    let mut stmt =
        conn.prepare_cached("SELECT identifier, rights FROM acl WHERE mailbox = ?1 ORDER BY identifier")?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Sets (or with `None` removes) one identifier's rights; an empty string removes too.
/// Returns whether any mailbox of this store still names the identifier.
pub(crate) fn set(conn: &Connection, name: &str, identifier: &str, rights: Option<&str>) -> Result<bool> {
    let id = id_of(conn, name)?;
    match rights.filter(|r| !r.is_empty()) {
        Some(r) => conn.execute(
            "INSERT OR REPLACE INTO acl (mailbox, identifier, rights) VALUES (?1, ?2, ?3)",
            params![id, identifier, r],
        )?,
        None => {
            conn.execute("DELETE FROM acl WHERE mailbox = ?1 AND identifier = ?2", params![id, identifier])?
        }
    };
    Ok(conn.prepare_cached("SELECT 1 FROM acl WHERE identifier = ?1 LIMIT 1")?.exists([identifier])?)
}

/// Every identifier named in any ACL of this store.
pub(crate) fn identifiers(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT DISTINCT identifier FROM acl")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// UIDs of existing messages `viewer` has seen, ascending.
pub(crate) fn seen_uids(conn: &Connection, mailbox: MailboxId, viewer: &str) -> Result<Vec<u32>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.uid FROM seen s JOIN messages m ON m.mailbox = s.mailbox AND m.uid = s.uid
         WHERE s.mailbox = ?1 AND s.viewer = ?2 ORDER BY s.uid",
    )?;
    let rows = stmt.query_map(params![mailbox.0, viewer], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks `uids` seen or unseen for `viewer`. Messages whose state changes get a new MODSEQ
/// (so the viewer's other sessions notice); returns the stored state of every given message
/// that exists, flags as stored for the owner.
pub(crate) fn set_seen(
    conn: &mut Connection,
    mailbox: MailboxId,
    viewer: &str,
    uids: &[u32],
    seen: bool,
    fx: &mut Effects,
) -> Result<Vec<MessageState>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let m = selectable_by_id(&tx, mailbox)?;
    let mut out = Vec::new();
    let mut stamp = None;
    {
        let mut rows = tx.prepare_cached(
            "SELECT uid, modseq, flags, keywords, EXISTS(SELECT 1 FROM seen s WHERE s.mailbox = ?1
                    AND s.viewer = ?4 AND s.uid = messages.uid)
             FROM messages WHERE mailbox = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid",
        )?;
        let mut mark =
            tx.prepare_cached("INSERT OR IGNORE INTO seen (mailbox, viewer, uid) VALUES (?1, ?2, ?3)")?;
        let mut unmark =
            tx.prepare_cached("DELETE FROM seen WHERE mailbox = ?1 AND viewer = ?2 AND uid = ?3")?;
        let mut touch =
            tx.prepare_cached("UPDATE messages SET modseq = ?3 WHERE mailbox = ?1 AND uid = ?2")?;
        for (lo, hi) in uid_ranges(uids) {
            let found = rows
                .query_map(params![m.id.0, lo, hi, viewer], |r| {
                    Ok((
                        r.get::<_, u32>(0)?,
                        r.get::<_, i64>(1)? as u64,
                        Flags::from_columns(r.get(2)?, &r.get::<_, String>(3)?),
                        r.get::<_, bool>(4)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (uid, modseq, flags, was_seen) in found {
                let mut modseq = modseq;
                if was_seen != seen {
                    if seen {
                        mark.execute(params![m.id.0, viewer, uid])?;
                    } else {
                        unmark.execute(params![m.id.0, viewer, uid])?;
                    }
                    let s = match stamp {
                        Some(s) => s,
                        None => *stamp.insert(bump_modseq(&tx, m.id)?),
                    };
                    touch.execute(params![m.id.0, uid, s as i64])?;
                    modseq = s;
                }
                out.push(MessageState { uid, flags: flags.to_strings(), modseq });
            }
        }
    }
    tx.commit()?;
    if let Some(s) = stamp {
        fx.notify.push((m.id, s));
    }
    Ok(out)
}
