//! Access control lists and the \Seen state of viewers other than the owner. Rights are
//! opaque text here: the server interprets them (RFC 4314). Every node reads the same table,
//! so the owners that grant an identifier anything are one query away (no grants index).

use super::database::{Effects, Tx, TxResult};
use super::mailboxes::{bump_modseq, missing, selectable_by_id};
use super::messages::{state_from_row, uid_array};
use super::statements::Statements;
use crate::api::{MailboxId, MessageState, OWNER_RIGHTS, SHARED_OWNER};
use crate::names::parents;

/// Gives a new mailbox `name` the ACL of its nearest existing superior, or, at the top of a
/// user's hierarchy, the owner's full rights (shared top-level mailboxes start empty).
pub(crate) fn inherit(tx: &mut Tx<'_>, owner: &str, id: MailboxId, name: &str) -> TxResult<()> {
    let superiors = parents(name);
    let nearest: Option<i64> = tx
        .fetch_opt(
            "SELECT id FROM mail_mailboxes WHERE owner = $1 AND name = ANY($2) AND id != $3
             ORDER BY length(name) DESC LIMIT 1",
            &[&owner, &superiors, &id.0],
        )?
        .map(|r| r.get(0));
    if let Some(parent) = nearest {
        tx.exec(
            "INSERT INTO mail_acl (mailbox, identifier, rights) SELECT $2, identifier, rights
             FROM mail_acl WHERE mailbox = $1 ON CONFLICT (mailbox, identifier) DO UPDATE SET rights = excluded.rights",
            &[&parent, &id.0],
        )?;
    } else if owner != SHARED_OWNER {
        set_entry(tx, id.0, owner, OWNER_RIGHTS)?;
    }
    Ok(())
}

fn set_entry(tx: &mut Tx<'_>, mailbox: i64, identifier: &str, rights: &str) -> TxResult<()> {
    tx.exec(
        "INSERT INTO mail_acl (mailbox, identifier, rights) VALUES ($1, $2, $3)
         ON CONFLICT (mailbox, identifier) DO UPDATE SET rights = excluded.rights",
        &[&mailbox, &identifier, &rights],
    )?;
    Ok(())
}

/// The id of the mailbox called `name` (placeholders too: they have ACLs for LIST).
fn id_of(tx: &mut Tx<'_>, owner: &str, name: &str) -> TxResult<i64> {
    match tx.fetch_opt("SELECT id FROM mail_mailboxes WHERE owner = $1 AND name = $2", &[&owner, &name])? {
        Some(row) => Ok(row.get(0)),
        None => Err(missing(tx, owner)?),
    }
}

/// The ACL of a mailbox as (identifier, rights), sorted by identifier.
pub(crate) fn get(tx: &mut Tx<'_>, owner: &str, name: &str) -> TxResult<Vec<(String, String)>> {
    let id = id_of(tx, owner, name)?;
    let rows = tx.fetch("SELECT identifier, rights FROM mail_acl WHERE mailbox = $1", &[&id])?;
    let mut out: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    out.sort();
    Ok(out)
}

/// Sets (or with `None` or an empty string removes) one identifier's rights.
pub(crate) fn set(
    tx: &mut Tx<'_>,
    owner: &str,
    name: &str,
    identifier: &str,
    rights: Option<&str>,
) -> TxResult<()> {
    let id = id_of(tx, owner, name)?;
    match rights.filter(|r| !r.is_empty()) {
        Some(rights) => set_entry(tx, id, identifier, rights)?,
        None => {
            tx.exec("DELETE FROM mail_acl WHERE mailbox = $1 AND identifier = $2", &[&id, &identifier])?;
        }
    }
    Ok(())
}

/// Owners whose ACLs name any of `identifiers` (other than themselves), sorted.
pub(crate) fn grantors(tx: &mut Tx<'_>, identifiers: &[String]) -> TxResult<Vec<String>> {
    let rows = tx.fetch(
        "SELECT DISTINCT m.owner FROM mail_acl a JOIN mail_mailboxes m ON m.id = a.mailbox
         WHERE a.identifier = ANY($1) AND a.identifier != m.owner",
        &[&identifiers],
    )?;
    let mut out: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    out.sort();
    Ok(out)
}

/// UIDs of existing messages `viewer` has seen, ascending.
pub(crate) fn seen_uids(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    viewer: &str,
) -> TxResult<Vec<u32>> {
    let m = selectable_by_id(tx, owner, mailbox)?;
    let rows = tx.fetch(
        "SELECT s.uid FROM mail_seen s JOIN mail_messages m ON m.mailbox = s.mailbox AND m.uid = s.uid
         WHERE s.mailbox = $1 AND s.viewer = $2 ORDER BY s.uid",
        &[&m.id.0, &viewer],
    )?;
    Ok(rows.iter().map(|r| r.get::<_, i64>(0) as u32).collect())
}

/// Marks `uids` seen or unseen for `viewer`. Messages whose state changes get one new MODSEQ
/// (so the viewer's other sessions notice); returns the stored state of every given message
/// that exists, flags as stored for the owner.
pub(crate) fn set_seen(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    viewer: &str,
    uids: &[u32],
    seen: bool,
    fx: &mut Effects,
) -> TxResult<Vec<MessageState>> {
    let m = selectable_by_id(tx, owner, mailbox)?;
    let rows = tx.fetch(
        "SELECT uid, modseq, flags, keywords, EXISTS (SELECT 1 FROM mail_seen s WHERE s.mailbox = $1
                AND s.viewer = $3 AND s.uid = mail_messages.uid)
         FROM mail_messages WHERE mailbox = $1 AND uid = ANY($2) ORDER BY uid FOR UPDATE",
        &[&m.id.0, &uid_array(uids), &viewer],
    )?;
    let mut out: Vec<MessageState> = rows.iter().map(state_from_row).collect();
    let changing: Vec<i64> =
        rows.iter().filter(|r| r.get::<_, bool>(4) != seen).map(|r| r.get::<_, i64>(0)).collect();
    if changing.is_empty() {
        return Ok(out);
    }
    let stamp = bump_modseq(tx, m.id)?;
    if seen {
        tx.exec(
            "INSERT INTO mail_seen (mailbox, viewer, uid) SELECT $1, $2, unnest($3::BIGINT[]) ON CONFLICT DO NOTHING",
            &[&m.id.0, &viewer, &changing],
        )?;
    } else {
        tx.exec(
            "DELETE FROM mail_seen WHERE mailbox = $1 AND viewer = $2 AND uid = ANY($3)",
            &[&m.id.0, &viewer, &changing],
        )?;
    }
    tx.exec(
        "UPDATE mail_messages SET modseq = $3 WHERE mailbox = $1 AND uid = ANY($2)",
        &[&m.id.0, &changing, &(stamp as i64)],
    )?;
    // Both ascending by UID.
    for state in out.iter_mut().filter(|s| changing.binary_search(&i64::from(s.uid)).is_ok()) {
        state.modseq = stamp;
    }
    fx.notify.push((m.id, stamp));
    Ok(out)
}
