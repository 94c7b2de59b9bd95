//! Mailbox rows: hierarchy, UIDVALIDITY, counters, subscriptions. Changes to a user's
//! hierarchy lock the user's row first, so two nodes creating, renaming or deleting the same
//! user's mailboxes at once take turns.

use postgres::Row;

use super::database::{Effects, Failure, Tx, TxResult};
use super::statements::Statements;
use crate::api::{MailboxId, MailboxInfo, MailboxStatus};
use crate::clock::now;
use crate::error::StoreError;
use crate::flagset::{DELETED, SEEN};
use crate::mailbox_row::Mailbox;
use crate::names::{is_inferior, parents};

const COLUMNS: &str = "id, name, uidvalidity, uidnext, highestmodseq, recent_mark, special_use, selectable";

fn from_row(r: &Row) -> Mailbox {
    Mailbox {
        id: MailboxId(r.get(0)),
        name: r.get(1),
        uidvalidity: r.get::<_, i64>(2) as u32,
        uidnext: r.get::<_, i64>(3) as u32,
        highestmodseq: r.get::<_, i64>(4) as u64,
        recent_mark: r.get::<_, i64>(5) as u32,
        special_use: r.get(6),
        selectable: r.get(7),
    }
}

/// The mailbox called `name`, placeholder or not.
pub(crate) fn by_name(tx: &mut Tx<'_>, owner: &str, name: &str) -> TxResult<Option<Mailbox>> {
    let sql = format!("SELECT {COLUMNS} FROM mail_mailboxes WHERE owner = $1 AND name = $2");
    Ok(tx.fetch_opt(&sql, &[&owner, &name])?.as_ref().map(from_row))
}

/// The mailbox with this id, placeholder or not, if it is `owner`'s.
fn by_id(tx: &mut Tx<'_>, owner: &str, id: MailboxId) -> TxResult<Option<Mailbox>> {
    let sql = format!("SELECT {COLUMNS} FROM mail_mailboxes WHERE owner = $1 AND id = $2");
    Ok(tx.fetch_opt(&sql, &[&owner, &id.0])?.as_ref().map(from_row))
}

/// The selectable mailbox called `name`, or why there is none.
pub(crate) fn selectable_by_name(tx: &mut Tx<'_>, owner: &str, name: &str) -> TxResult<Mailbox> {
    match by_name(tx, owner, name)? {
        Some(m) if m.selectable => Ok(m),
        _ => Err(missing(tx, owner)?),
    }
}

/// The selectable mailbox with this id, or why there is none.
pub(crate) fn selectable_by_id(tx: &mut Tx<'_>, owner: &str, id: MailboxId) -> TxResult<Mailbox> {
    match by_id(tx, owner, id)? {
        Some(m) if m.selectable => Ok(m),
        _ => Err(missing(tx, owner)?),
    }
}

/// HIGHESTMODSEQ of the owner's mailbox (0 when there is none), what watchers start from.
pub(crate) fn highest_modseq(tx: &mut Tx<'_>, owner: &str, id: MailboxId) -> TxResult<u64> {
    Ok(by_id(tx, owner, id)?.map_or(0, |m| m.highestmodseq))
}

/// Whether `owner` has a store.
pub(crate) fn owner_exists(tx: &mut Tx<'_>, owner: &str) -> TxResult<bool> {
    Ok(tx.fetch_opt("SELECT 1 FROM mail_users WHERE name = $1", &[&owner])?.is_some())
}

/// The error for a mailbox that was looked for and not found: `NoSuchUser` when the owner
/// has no store at all, else `NoSuchMailbox`.
pub(crate) fn missing(tx: &mut Tx<'_>, owner: &str) -> TxResult<Failure> {
    Ok(if owner_exists(tx, owner)? { StoreError::NoSuchMailbox } else { StoreError::NoSuchUser }.into())
}

/// Locks the owner's row until the transaction ends (hierarchy changes take turns), or
/// `NoSuchUser`.
pub(crate) fn lock_owner(tx: &mut Tx<'_>, owner: &str) -> TxResult<()> {
    match tx.fetch_opt("SELECT 1 FROM mail_users WHERE name = $1 FOR UPDATE", &[&owner])? {
        Some(_) => Ok(()),
        None => Err(StoreError::NoSuchUser.into()),
    }
}

/// Increments the mailbox's HIGHESTMODSEQ (locking its row until commit) and returns it.
pub(crate) fn bump_modseq(tx: &mut Tx<'_>, id: MailboxId) -> TxResult<u64> {
    let sql =
        "UPDATE mail_mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = $1 RETURNING highestmodseq";
    Ok(tx.fetch_one(sql, &[&id.0])?.get::<_, i64>(0) as u64)
}

/// A UIDVALIDITY the owner never had: the current time in seconds, or one more than the last
/// one handed out if that is not larger.
fn new_uidvalidity(tx: &mut Tx<'_>, owner: &str) -> TxResult<u32> {
    let sql = "UPDATE mail_users SET last_uidvalidity = LEAST(GREATEST(last_uidvalidity + 1, $2), 4294967295)
               WHERE name = $1 RETURNING last_uidvalidity";
    match tx.fetch_opt(sql, &[&owner, &now().max(1)])? {
        Some(row) => Ok(row.get::<_, i64>(0) as u32),
        None => Err(StoreError::NoSuchUser.into()),
    }
}

/// Makes sure UIDVALIDITYs handed out later are above `used` (a mailbox imported with it).
pub(crate) fn note_uidvalidity(tx: &mut Tx<'_>, owner: &str, used: u32) -> TxResult<()> {
    let sql = "UPDATE mail_users SET last_uidvalidity = GREATEST(last_uidvalidity, $2) WHERE name = $1";
    tx.exec(sql, &[&owner, &i64::from(used)])?;
    Ok(())
}

/// Inserts a mailbox row with a fresh UIDVALIDITY and its inherited ACL.
pub(crate) fn insert(
    tx: &mut Tx<'_>,
    owner: &str,
    name: &str,
    special_use: Option<&str>,
    selectable: bool,
) -> TxResult<MailboxId> {
    let uidvalidity = i64::from(new_uidvalidity(tx, owner)?);
    let row = tx.fetch_one(
        "INSERT INTO mail_mailboxes (owner, name, uidvalidity, special_use, selectable)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[&owner, &name, &uidvalidity, &special_use, &selectable],
    )?;
    let id = MailboxId(row.get(0));
    super::acl::inherit(tx, owner, id, name)?;
    Ok(id)
}

/// Whether any mailbox is inferior to `name` (names in `[name/, name0)` in byte order).
fn has_inferiors(tx: &mut Tx<'_>, owner: &str, name: &str) -> TxResult<bool> {
    let sql = "SELECT 1 FROM mail_mailboxes WHERE owner = $1
               AND name > $2 || '/' COLLATE \"C\" AND name < $2 || '0' COLLATE \"C\" LIMIT 1";
    Ok(tx.fetch_opt(sql, &[&owner, &name])?.is_some())
}

/// Creates any missing superior mailboxes of `name` as ordinary mailboxes.
pub(crate) fn create_parents(tx: &mut Tx<'_>, owner: &str, name: &str) -> TxResult<()> {
    let wanted: Vec<&str> = parents(name);
    if wanted.is_empty() {
        return Ok(());
    }
    let present: Vec<String> = tx
        .fetch("SELECT name FROM mail_mailboxes WHERE owner = $1 AND name = ANY($2)", &[&owner, &wanted])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for parent in wanted {
        if !present.iter().any(|p| p == parent) {
            insert(tx, owner, parent, None, true)?;
        }
    }
    Ok(())
}

/// Removes `\Noselect` placeholders above `name` that no longer have inferiors.
fn prune_placeholders(tx: &mut Tx<'_>, owner: &str, name: &str) -> TxResult<()> {
    for parent in parents(name).into_iter().rev() {
        match by_name(tx, owner, parent)? {
            Some(m) if !m.selectable && !has_inferiors(tx, owner, parent)? => {
                tx.exec("DELETE FROM mail_mailboxes WHERE id = $1", &[&m.id.0])?;
            }
            _ => return Ok(()),
        }
    }
    Ok(())
}

/// Every mailbox of the owner, sorted by name.
pub(crate) fn list(tx: &mut Tx<'_>, owner: &str) -> TxResult<Vec<MailboxInfo>> {
    let sql = format!("SELECT {COLUMNS} FROM mail_mailboxes WHERE owner = $1");
    let rows = tx.fetch(&sql, &[&owner])?;
    if rows.is_empty() && !owner_exists(tx, owner)? {
        return Err(StoreError::NoSuchUser.into());
    }
    let mut out: Vec<MailboxInfo> = rows
        .iter()
        .map(from_row)
        .map(|m| MailboxInfo { name: m.name, id: m.id, special_use: m.special_use, selectable: m.selectable })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Creates `name` and missing parents; turns a placeholder into a real mailbox (with a new
/// UIDVALIDITY).
pub(crate) fn create(
    tx: &mut Tx<'_>,
    owner: &str,
    name: &str,
    special_use: Option<&str>,
) -> TxResult<MailboxId> {
    lock_owner(tx, owner)?;
    match by_name(tx, owner, name)? {
        Some(m) if m.selectable => Err(StoreError::MailboxExists.into()),
        Some(m) => {
            let uidvalidity = i64::from(new_uidvalidity(tx, owner)?);
            tx.exec(
                "UPDATE mail_mailboxes SET selectable = TRUE, special_use = $2, uidvalidity = $3, uidnext = 1,
                        highestmodseq = 1, recent_mark = 0 WHERE id = $1",
                &[&m.id.0, &special_use, &uidvalidity],
            )?;
            tx.exec("DELETE FROM mail_expunged WHERE mailbox = $1", &[&m.id.0])?;
            Ok(m.id)
        }
        None => {
            create_parents(tx, owner, name)?;
            insert(tx, owner, name, special_use, true)
        }
    }
}

/// Deletes a mailbox and its messages; one with inferiors becomes a placeholder (with a new
/// id, so sessions that had it selected find it gone). Its objects are left to the sweeper.
pub(crate) fn delete(tx: &mut Tx<'_>, owner: &str, name: &str, fx: &mut Effects) -> TxResult<()> {
    if name == "INBOX" {
        return Err(StoreError::NotPossible("INBOX cannot be deleted".into()).into());
    }
    lock_owner(tx, owner)?;
    let mailbox = by_name(tx, owner, name)?.ok_or(StoreError::NoSuchMailbox)?;
    let children = has_inferiors(tx, owner, name)?;
    if children && !mailbox.selectable {
        return Err(StoreError::NotPossible(
            "the mailbox has inferior mailboxes and no messages to delete".into(),
        )
        .into());
    }
    tx.exec("DELETE FROM mail_mailboxes WHERE id = $1", &[&mailbox.id.0])?;
    if children {
        insert(tx, owner, name, None, false)?;
    } else {
        prune_placeholders(tx, owner, name)?;
    }
    fx.notify.push((mailbox.id, mailbox.highestmodseq + 1));
    Ok(())
}

/// Renames a mailbox and its inferiors (ids and UIDVALIDITY kept). Renaming INBOX instead
/// creates `to` (new id and UIDVALIDITY, same UIDs) holding INBOX's messages; INBOX keeps its
/// id, UIDVALIDITY and UIDNEXT, its inferiors stay, and the moved UIDs are recorded as
/// expunged from it.
pub(crate) fn rename(tx: &mut Tx<'_>, owner: &str, from: &str, to: &str, fx: &mut Effects) -> TxResult<()> {
    lock_owner(tx, owner)?;
    let source = by_name(tx, owner, from)?.ok_or(StoreError::NoSuchMailbox)?;
    if by_name(tx, owner, to)?.is_some() {
        return Err(StoreError::MailboxExists.into());
    }
    if from == "INBOX" {
        create_parents(tx, owner, to)?;
        let target = insert(tx, owner, to, None, true)?;
        let modseq = bump_modseq(tx, source.id)? as i64;
        tx.exec(
            "UPDATE mail_mailboxes t SET uidnext = s.uidnext, highestmodseq = $3, recent_mark = s.recent_mark,
                    used_bytes = s.used_bytes, used_messages = s.used_messages
             FROM mail_mailboxes s WHERE t.id = $1 AND s.id = $2",
            &[&target.0, &source.id.0, &modseq],
        )?;
        tx.exec(
            "UPDATE mail_mailboxes SET used_bytes = 0, used_messages = 0 WHERE id = $1",
            &[&source.id.0],
        )?;
        tx.exec(
            "INSERT INTO mail_expunged (mailbox, uid, modseq) SELECT mailbox, uid, $2 FROM mail_messages
             WHERE mailbox = $1 ON CONFLICT (mailbox, uid) DO UPDATE SET modseq = excluded.modseq",
            &[&source.id.0, &modseq],
        )?;
        tx.exec(
            "INSERT INTO mail_keywords (mailbox, lname, name)
             SELECT $2, lname, name FROM mail_keywords WHERE mailbox = $1 ORDER BY position",
            &[&source.id.0, &target.0],
        )?;
        tx.exec("UPDATE mail_messages SET mailbox = $2 WHERE mailbox = $1", &[&source.id.0, &target.0])?;
        fx.notify.push((source.id, modseq as u64));
        return Ok(());
    }
    if is_inferior(to, from) {
        return Err(StoreError::NotPossible("a mailbox cannot be moved inside itself".into()).into());
    }
    let moving: Vec<String> = tx
        .fetch(
            "SELECT name FROM mail_mailboxes WHERE owner = $1
             AND (name = $2 OR (name > $2 || '/' COLLATE \"C\" AND name < $2 || '0' COLLATE \"C\"))",
            &[&owner, &from],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let new_names: Vec<String> = moving.iter().map(|n| format!("{to}{}", &n[from.len()..])).collect();
    let taken = tx.fetch_opt(
        "SELECT 1 FROM mail_mailboxes WHERE owner = $1 AND name = ANY($2) LIMIT 1",
        &[&owner, &new_names],
    )?;
    if taken.is_some() {
        return Err(StoreError::MailboxExists.into());
    }
    tx.exec(
        "UPDATE mail_mailboxes m SET name = n.new FROM unnest($2::text[], $3::text[]) AS n(old, new)
         WHERE m.owner = $1 AND m.name = n.old",
        &[&owner, &moving, &new_names],
    )?;
    create_parents(tx, owner, to)?;
    prune_placeholders(tx, owner, from)?;
    Ok(())
}

/// STATUS counters.
pub(crate) fn status(tx: &mut Tx<'_>, owner: &str, name: &str) -> TxResult<MailboxStatus> {
    let m = selectable_by_name(tx, owner, name)?;
    let row = tx.fetch_one(
        "SELECT count(*), count(*) FILTER (WHERE uid > $2), count(*) FILTER (WHERE flags & $3 = 0),
                count(*) FILTER (WHERE flags & $4 != 0), COALESCE(sum(size), 0)::BIGINT
         FROM mail_messages WHERE mailbox = $1",
        &[&m.id.0, &i64::from(m.recent_mark), &SEEN, &DELETED],
    )?;
    let count = |i: usize| row.get::<_, i64>(i) as u32;
    Ok(MailboxStatus {
        messages: count(0),
        recent: count(1),
        unseen: count(2),
        deleted: count(3),
        uid_next: m.uidnext,
        uid_validity: m.uidvalidity,
        highest_modseq: m.highestmodseq,
        size: row.get::<_, i64>(4) as u64,
    })
}

/// Subscribed names, sorted.
pub(crate) fn subscriptions(tx: &mut Tx<'_>, owner: &str) -> TxResult<Vec<String>> {
    let rows = tx.fetch("SELECT name FROM mail_subscriptions WHERE owner = $1 ORDER BY name", &[&owner])?;
    if rows.is_empty() && !owner_exists(tx, owner)? {
        return Err(StoreError::NoSuchUser.into());
    }
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Adds or removes a subscription.
pub(crate) fn set_subscribed(tx: &mut Tx<'_>, owner: &str, name: &str, subscribed: bool) -> TxResult<()> {
    if !owner_exists(tx, owner)? {
        return Err(StoreError::NoSuchUser.into());
    }
    if subscribed {
        tx.exec(
            "INSERT INTO mail_subscriptions (owner, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&owner, &name],
        )?;
    } else {
        tx.exec("DELETE FROM mail_subscriptions WHERE owner = $1 AND name = $2", &[&owner, &name])?;
    }
    Ok(())
}
