//! Mailbox rows: hierarchy, UIDVALIDITY, counters, subscriptions.

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{now, Effects};
use crate::api::{MailboxId, MailboxImage, MailboxInfo, MailboxStatus};
use crate::error::{Result, StoreError};
use crate::flagset::{DELETED, SEEN};
pub(crate) use crate::mailbox_row::Mailbox;
use crate::names::{is_inferior, parents};

const COLUMNS: &str = "id, name, uidvalidity, uidnext, highestmodseq, recent_mark, special_use, selectable";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Mailbox> {
    Ok(Mailbox {
        id: MailboxId(r.get(0)?),
        name: r.get(1)?,
        uidvalidity: r.get(2)?,
        uidnext: r.get(3)?,
        highestmodseq: r.get::<_, i64>(4)? as u64,
        recent_mark: r.get(5)?,
        special_use: r.get(6)?,
        selectable: r.get(7)?,
    })
}

/// The mailbox called `name`, placeholder or not.
pub(crate) fn by_name(conn: &Connection, name: &str) -> Result<Option<Mailbox>> {
    let sql = format!("SELECT {COLUMNS} FROM mailboxes WHERE name = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([name], from_row).optional()?)
}

/// The mailbox with this id, placeholder or not.
pub(crate) fn by_id(conn: &Connection, id: MailboxId) -> Result<Option<Mailbox>> {
    let sql = format!("SELECT {COLUMNS} FROM mailboxes WHERE id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([id.0], from_row).optional()?)
}

/// The selectable mailbox called `name`, or `NoSuchMailbox`.
pub(crate) fn selectable_by_name(conn: &Connection, name: &str) -> Result<Mailbox> {
    by_name(conn, name)?.filter(|m| m.selectable).ok_or(StoreError::NoSuchMailbox)
}

/// The selectable mailbox with this id, or `NoSuchMailbox`.
pub(crate) fn selectable_by_id(conn: &Connection, id: MailboxId) -> Result<Mailbox> {
    by_id(conn, id)?.filter(|m| m.selectable).ok_or(StoreError::NoSuchMailbox)
}

/// Increments the mailbox's HIGHESTMODSEQ and returns the new value.
pub(crate) fn bump_modseq(conn: &Connection, id: MailboxId) -> Result<u64> {
    let sql = "UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = ?1 RETURNING highestmodseq";
    Ok(conn.prepare_cached(sql)?.query_row([id.0], |r| r.get::<_, i64>(0))? as u64)
}

/// Reserves `count` UIDs in the mailbox and returns the first, or `NotPossible` when the
/// UID space is exhausted.
pub(crate) fn allocate_uids(conn: &Connection, mailbox: &Mailbox, count: usize) -> Result<u32> {
    let next = u64::from(mailbox.uidnext) + count as u64;
    if next > u64::from(u32::MAX) {
        return Err(StoreError::NotPossible("the mailbox has run out of UIDs".into()));
    }
    let sql = "UPDATE mailboxes SET uidnext = uidnext + ?2 WHERE id = ?1 RETURNING uidnext";
    let new_next: u32 =
        conn.prepare_cached(sql)?.query_row(params![mailbox.id.0, count as i64], |r| r.get(0))?;
    Ok(new_next - count as u32)
}

/// A UIDVALIDITY never used before in this store: the current time in seconds, or one more
/// than the last one handed out if that is not larger.
fn new_uidvalidity(conn: &Connection) -> Result<u32> {
    let last: i64 = conn.query_row(
        "SELECT MAX(COALESCE((SELECT value FROM settings WHERE key = 'last_uidvalidity'), 0),
                    COALESCE((SELECT MAX(uidvalidity) FROM mailboxes), 0))",
        [],
        |r| r.get(0),
    )?;
    let value = now().max(last + 1).clamp(1, i64::from(u32::MAX));
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('last_uidvalidity', ?1)", [value])?;
    Ok(value as u32)
}

/// Inserts a mailbox row with a fresh UIDVALIDITY.
fn insert(conn: &Connection, name: &str, special_use: Option<&str>, selectable: bool) -> Result<MailboxId> {
    let uidvalidity = new_uidvalidity(conn)?;
    conn.execute(
        "INSERT INTO mailboxes (name, uidvalidity, special_use, selectable) VALUES (?1, ?2, ?3, ?4)",
        params![name, uidvalidity, special_use, selectable],
    )?;
    let id = MailboxId(conn.last_insert_rowid());
    super::acl::inherit(conn, id, name)?;
    Ok(id)
}

/// Whether any mailbox is inferior to `name` (names in `[name/, name0)` in byte order).
fn has_inferiors(conn: &Connection, name: &str) -> Result<bool> {
    let sql = "SELECT 1 FROM mailboxes WHERE name > ?1 || '/' AND name < ?1 || '0' LIMIT 1";
    Ok(conn.prepare_cached(sql)?.exists([name])?)
}

/// Creates any missing superior mailboxes of `name` as ordinary mailboxes.
fn create_parents(conn: &Connection, name: &str) -> Result<()> {
    for parent in parents(name) {
        if by_name(conn, parent)?.is_none() {
            insert(conn, parent, None, true)?;
        }
    }
    Ok(())
}

/// Removes `\Noselect` placeholders above `name` that no longer have inferiors.
fn prune_placeholders(conn: &Connection, name: &str) -> Result<()> {
    for parent in parents(name).into_iter().rev() {
        match by_name(conn, parent)? {
            Some(m) if !m.selectable && !has_inferiors(conn, parent)? => {
                conn.execute("DELETE FROM mailboxes WHERE id = ?1", [m.id.0])?;
            }
            _ => return Ok(()),
        }
    }
    Ok(())
}

/// Creates INBOX if it is missing (new user, or a crash during creation).
pub(crate) fn ensure_inbox(conn: &mut Connection) -> Result<()> {
    if by_name(conn, "INBOX")?.is_some_and(|m| m.selectable) {
        return Ok(());
    }
    match create(conn, "INBOX", None) {
        Ok(_) | Err(StoreError::MailboxExists) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Every mailbox, sorted by name.
pub(crate) fn list(conn: &Connection) -> Result<Vec<MailboxInfo>> {
    let sql = format!("SELECT {COLUMNS} FROM mailboxes");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out = stmt
        .query_map([], from_row)?
        .map(|m| {
            m.map(|m| MailboxInfo {
                name: m.name,
                id: m.id,
                special_use: m.special_use,
                selectable: m.selectable,
            })
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Creates `name` and missing parents; turns a placeholder into a real mailbox (with a new
/// UIDVALIDITY).
pub(crate) fn create(conn: &mut Connection, name: &str, special_use: Option<&str>) -> Result<MailboxId> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = match by_name(&tx, name)? {
        Some(m) if m.selectable => return Err(StoreError::MailboxExists),
        Some(m) => {
            let uidvalidity = new_uidvalidity(&tx)?;
            tx.execute(
                "UPDATE mailboxes SET selectable = 1, special_use = ?2, uidvalidity = ?3, uidnext = 1,
                        highestmodseq = 1, recent_mark = 0 WHERE id = ?1",
                params![m.id.0, special_use, uidvalidity],
            )?;
            tx.execute("DELETE FROM expunged WHERE mailbox = ?1", [m.id.0])?;
            m.id
        }
        None => {
            create_parents(&tx, name)?;
            insert(&tx, name, special_use, true)?
        }
    };
    tx.commit()?;
    Ok(id)
}

/// Recreates a mailbox of another store under its UIDVALIDITY (see `Store::import_mailbox`).
pub(crate) fn import(conn: &mut Connection, name: &str, image: &MailboxImage) -> Result<MailboxId> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = match by_name(&tx, name)? {
        Some(m) if m.selectable => {
            let holds = tx.prepare_cached("SELECT 1 FROM messages WHERE mailbox = ?1")?.exists([m.id.0])?;
            if m.uidvalidity != image.uid_validity && holds {
                return Err(StoreError::NotPossible(format!(
                    "{name} exists with UIDVALIDITY {} and holds messages, so copying UIDVALIDITY {} \
                     into it would change its messages' UIDs; delete it from the target or copy elsewhere",
                    m.uidvalidity, image.uid_validity
                )));
            }
            m.id
        }
        Some(placeholder) => {
            tx.execute("DELETE FROM expunged WHERE mailbox = ?1", [placeholder.id.0])?;
            placeholder.id
        }
        None => {
            create_parents(&tx, name)?;
            insert(&tx, name, image.special_use.as_deref(), true)?
        }
    };
    tx.execute(
        "UPDATE mailboxes SET selectable = 1, uidvalidity = ?2, special_use = COALESCE(special_use, ?3),
                uidnext = MAX(uidnext, ?4), highestmodseq = MAX(highestmodseq, ?5),
                expunge_log_from = MAX(expunge_log_from, ?5) WHERE id = ?1",
        params![id.0, image.uid_validity, image.special_use, image.uid_next, image.highest_modseq as i64],
    )?;
    // Mailboxes created later must still get a UIDVALIDITY above every one in use.
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ('last_uidvalidity', ?1)
         ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)",
        [image.uid_validity],
    )?;
    tx.commit()?;
    Ok(id)
}

/// Deletes a mailbox and its messages; one with inferiors becomes a placeholder (with a new
/// id, so sessions that had it selected find it gone).
pub(crate) fn delete(conn: &mut Connection, name: &str, fx: &mut Effects) -> Result<()> {
    if name == "INBOX" {
        return Err(StoreError::NotPossible("INBOX cannot be deleted".into()));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mailbox = by_name(&tx, name)?.ok_or(StoreError::NoSuchMailbox)?;
    let children = has_inferiors(&tx, name)?;
    if children && !mailbox.selectable {
        return Err(StoreError::NotPossible(
            "the mailbox has inferior mailboxes and no messages to delete".into(),
        ));
    }
    let blobs = {
        let mut stmt = tx.prepare_cached("SELECT DISTINCT blob FROM messages WHERE mailbox = ?1")?;
        let rows = stmt.query_map([mailbox.id.0], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    tx.execute("DELETE FROM mailboxes WHERE id = ?1", [mailbox.id.0])?;
    if children {
        insert(&tx, name, None, false)?;
    } else {
        prune_placeholders(&tx, name)?;
    }
    tx.commit()?;
    fx.garbage.extend(blobs);
    fx.notify.push((mailbox.id, mailbox.highestmodseq + 1));
    Ok(())
}

/// Renames a mailbox and its inferiors (ids and UIDVALIDITY kept). Renaming INBOX instead
/// creates `to` (new id and UIDVALIDITY, same UIDs) holding INBOX's messages; INBOX keeps its
/// id, UIDVALIDITY and UIDNEXT, its inferiors stay, and the moved UIDs are recorded as
/// expunged from it so that sessions and QRESYNC clients see them go.
pub(crate) fn rename(conn: &mut Connection, from: &str, to: &str, fx: &mut Effects) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let source = by_name(&tx, from)?.ok_or(StoreError::NoSuchMailbox)?;
    if by_name(&tx, to)?.is_some() {
        return Err(StoreError::MailboxExists);
    }
    if from == "INBOX" {
        create_parents(&tx, to)?;
        let target = insert(&tx, to, None, true)?;
        let modseq = bump_modseq(&tx, source.id)?;
        tx.execute(
            "UPDATE mailboxes SET uidnext = ?2, highestmodseq = ?3, recent_mark = ?4 WHERE id = ?1",
            params![target.0, source.uidnext, modseq as i64, source.recent_mark],
        )?;
        tx.execute(
            "INSERT OR REPLACE INTO expunged (mailbox, uid, modseq) SELECT ?1, uid, ?2 FROM messages WHERE mailbox = ?1",
            params![source.id.0, modseq as i64],
        )?;
        tx.execute(
            "INSERT INTO keywords (mailbox, lname, name) SELECT ?2, lname, name FROM keywords WHERE mailbox = ?1",
            params![source.id.0, target.0],
        )?;
        tx.execute("UPDATE messages SET mailbox = ?2 WHERE mailbox = ?1", params![source.id.0, target.0])?;
        tx.commit()?;
        fx.notify.push((source.id, modseq));
        return Ok(());
    }
    if is_inferior(to, from) {
        return Err(StoreError::NotPossible("a mailbox cannot be moved inside itself".into()));
    }
    let moving: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, name FROM mailboxes")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, String>(1)?)))?;
        rows.filter(|r| r.as_ref().map_or(true, |(_, n)| n == from || is_inferior(n, from)))
            .collect::<rusqlite::Result<_>>()?
    };
    for (id, name) in &moving {
        let new_name = format!("{to}{}", &name[from.len()..]);
        if by_name(&tx, &new_name)?.is_some() {
            return Err(StoreError::MailboxExists);
        }
        tx.execute("UPDATE mailboxes SET name = ?2 WHERE id = ?1", params![id, new_name])?;
    }
    create_parents(&tx, to)?;
    prune_placeholders(&tx, from)?;
    tx.commit()?;
    Ok(())
}

/// STATUS counters.
pub(crate) fn status(conn: &mut Connection, name: &str) -> Result<MailboxStatus> {
    let tx = conn.transaction()?;
    let m = selectable_by_name(&tx, name)?;
    let sql = "SELECT COUNT(*), COALESCE(SUM(uid > ?2), 0), COALESCE(SUM(flags & ?3 = 0), 0),
                      COALESCE(SUM(flags & ?4 != 0), 0), COALESCE(SUM(size), 0)
               FROM messages WHERE mailbox = ?1";
    let status = tx.prepare_cached(sql)?.query_row(params![m.id.0, m.recent_mark, SEEN, DELETED], |r| {
        Ok(MailboxStatus {
            messages: r.get(0)?,
            recent: r.get(1)?,
            unseen: r.get(2)?,
            deleted: r.get(3)?,
            uid_next: m.uidnext,
            uid_validity: m.uidvalidity,
            highest_modseq: m.highestmodseq,
            size: r.get::<_, i64>(4)? as u64,
        })
    })?;
    Ok(status)
}

/// Subscribed names, sorted.
pub(crate) fn subscriptions(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM subscriptions ORDER BY name")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Adds or removes a subscription.
pub(crate) fn set_subscribed(conn: &Connection, name: &str, subscribed: bool) -> Result<()> {
    if subscribed {
        conn.execute("INSERT OR IGNORE INTO subscriptions (name) VALUES (?1)", [name])?;
    } else {
        conn.execute("DELETE FROM subscriptions WHERE name = ?1", [name])?;
    }
    Ok(())
}
