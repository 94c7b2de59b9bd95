//! Copying mailboxes from another store (`bushbuck store migrate`): mailboxes under their
//! UIDVALIDITY, messages under their UIDs and MODSEQs, resumable.

use super::database::{Effects, Tx, TxResult};
use super::mailboxes::{by_name, create_parents, insert, lock_owner, note_uidvalidity, selectable_by_id};
use super::messages::{insert_rows, uid_array, NewRow};
use super::statements::Statements;
use crate::api::{ImportedMessage, MailboxId, MailboxImage};
use crate::error::StoreError;
use crate::flagset::Flags;
use crate::prepared::Prepared;

/// Recreates a mailbox of another store under its UIDVALIDITY (see `Store::import_mailbox`).
pub(crate) fn mailbox(tx: &mut Tx<'_>, owner: &str, name: &str, image: &MailboxImage) -> TxResult<MailboxId> {
    lock_owner(tx, owner)?;
    let id = match by_name(tx, owner, name)? {
        Some(m) if m.selectable => {
            let holds =
                tx.fetch_opt("SELECT 1 FROM mail_messages WHERE mailbox = $1 LIMIT 1", &[&m.id.0])?.is_some();
            if m.uidvalidity != image.uid_validity && holds {
                return Err(StoreError::NotPossible(format!(
                    "{name} exists with UIDVALIDITY {} and holds messages, so copying UIDVALIDITY {} \
                     into it would change its messages' UIDs; delete it from the target or copy elsewhere",
                    m.uidvalidity, image.uid_validity
                ))
                .into());
            }
            m.id
        }
        Some(placeholder) => {
            tx.exec("DELETE FROM mail_expunged WHERE mailbox = $1", &[&placeholder.id.0])?;
            placeholder.id
        }
        None => {
            create_parents(tx, owner, name)?;
            insert(tx, owner, name, image.special_use.as_deref(), true)?
        }
    };
    tx.exec(
        "UPDATE mail_mailboxes SET selectable = TRUE, uidvalidity = $2, special_use = COALESCE(special_use, $3),
                uidnext = GREATEST(uidnext, $4), highestmodseq = GREATEST(highestmodseq, $5),
                expunge_log_from = GREATEST(expunge_log_from, $5) WHERE id = $1",
        &[
            &id.0,
            &i64::from(image.uid_validity),
            &image.special_use,
            &i64::from(image.uid_next),
            &(image.highest_modseq as i64),
        ],
    )?;
    // Mailboxes created later must still get a UIDVALIDITY above every one in use.
    note_uidvalidity(tx, owner, image.uid_validity)?;
    Ok(id)
}

/// Stores messages of another store under their own UIDs and MODSEQs, skipping UIDs the
/// mailbox holds (see `Store::import_messages`); their objects are stored already.
pub(crate) fn messages(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    messages: &[ImportedMessage<'_>],
    flags: &[Flags],
    prepared: &[Prepared],
    fx: &mut Effects,
) -> TxResult<usize> {
    let m = selectable_by_id(tx, owner, mailbox)?;
    tx.exec("SELECT 1 FROM mail_mailboxes WHERE id = $1 FOR UPDATE", &[&m.id.0])?;
    let given: Vec<u32> = messages.iter().map(|msg| msg.uid).collect();
    let present: Vec<u32> = tx
        .fetch(
            "SELECT uid FROM mail_messages WHERE mailbox = $1 AND uid = ANY($2)",
            &[&m.id.0, &uid_array(&given)],
        )?
        .iter()
        .map(|r| r.get::<_, i64>(0) as u32)
        .collect();
    let mut rows: Vec<NewRow<'_>> = Vec::new();
    let (mut seen_uids, mut seen_viewers): (Vec<i64>, Vec<&str>) = (Vec::new(), Vec::new());
    for ((msg, flags), prepared) in messages.iter().zip(flags).zip(prepared) {
        if present.contains(&msg.uid) || rows.iter().any(|r| r.uid == msg.uid) {
            continue;
        }
        if msg.uid == 0 || msg.uid == u32::MAX {
            return Err(StoreError::NotPossible(format!("UID {} cannot be stored", msg.uid)).into());
        }
        rows.push(NewRow {
            uid: msg.uid,
            modseq: msg.modseq.max(1),
            save_date: msg.save_date,
            internal_date: msg.internal_date,
            flags,
            data: msg.data,
            prepared,
        });
        for viewer in &msg.seen_by {
            seen_uids.push(i64::from(msg.uid));
            seen_viewers.push(viewer);
        }
    }
    if rows.is_empty() {
        return Ok(0);
    }
    insert_rows(tx, m.id, &rows)?;
    tx.exec(
        "INSERT INTO mail_seen (mailbox, uid, viewer) SELECT $1, * FROM unnest($2::BIGINT[], $3::TEXT[])
         ON CONFLICT DO NOTHING",
        &[&m.id.0, &seen_uids, &seen_viewers],
    )?;
    let top_uid = rows.iter().map(|r| r.uid).max().unwrap_or(0);
    let top_modseq = rows.iter().map(|r| r.modseq).max().unwrap_or(1);
    let bytes: i64 = rows.iter().map(|r| r.data.len() as i64).sum();
    tx.exec(
        "UPDATE mail_mailboxes SET uidnext = GREATEST(uidnext, $2), highestmodseq = GREATEST(highestmodseq, $3),
                used_bytes = used_bytes + $4, used_messages = used_messages + $5 WHERE id = $1",
        &[&m.id.0, &(i64::from(top_uid) + 1), &(top_modseq as i64), &bytes, &(rows.len() as i64)],
    )?;
    fx.notify.push((m.id, top_modseq.max(m.highestmodseq)));
    Ok(rows.len())
}
