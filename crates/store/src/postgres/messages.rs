//! Message rows: APPEND, SELECT, changes, FETCH metadata, COPY/MOVE, EXPUNGE, \Recent.
//!
//! Every statement takes all of a command's messages at once (`uid = ANY($n)`, `unnest` of
//! column arrays), so a command costs a few round trips however many messages it names. UIDs
//! and MODSEQs come from one `UPDATE mail_mailboxes ... RETURNING`, which also locks the
//! mailbox row until commit: concurrent writers to one mailbox, on any node, take turns, and
//! commit in MODSEQ order.

use postgres::Row;

use super::database::{Effects, Tx, TxResult};
use super::flags::Spellings;
use super::mailboxes::{missing, selectable_by_id, selectable_by_name};
use super::objects;
use super::statements::Statements;
use crate::api::*;
use crate::clock::now;
use crate::error::StoreError;
use crate::flagset::{Flags, DELETED};
use crate::prepared::{email_id, Prepared};

/// UIDs as the BIGINT array statements take.
pub(crate) fn uid_array(uids: &[u32]) -> Vec<i64> {
    uids.iter().map(|&u| i64::from(u)).collect()
}

/// A message's state from `uid, modseq, flags, keywords` columns.
pub(crate) fn state_from_row(r: &Row) -> MessageState {
    let flags = Flags::from_columns(r.get(2), r.get(3));
    MessageState {
        uid: r.get::<_, i64>(0) as u32,
        flags: flags.to_strings(),
        modseq: r.get::<_, i64>(1) as u64,
    }
}

/// Keywords in use in a mailbox, in the order first used.
fn keywords(tx: &mut Tx<'_>, mailbox: MailboxId) -> TxResult<Vec<String>> {
    let rows =
        tx.fetch("SELECT name FROM mail_keywords WHERE mailbox = $1 ORDER BY position", &[&mailbox.0])?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Number of messages in a mailbox, from its usage counter.
fn message_count(tx: &mut Tx<'_>, mailbox: MailboxId) -> TxResult<u32> {
    let row = tx.fetch_one("SELECT used_messages FROM mail_mailboxes WHERE id = $1", &[&mailbox.0])?;
    Ok(row.get::<_, i64>(0) as u32)
}

/// A mailbox's identity and counters, without its messages.
pub(crate) fn open_mailbox(tx: &mut Tx<'_>, owner: &str, name: &str) -> TxResult<MailboxHeader> {
    let m = selectable_by_name(tx, owner, name)?;
    Ok(MailboxHeader {
        id: m.id,
        uid_validity: m.uidvalidity,
        uid_next: m.uidnext,
        highest_modseq: m.highestmodseq,
        messages: message_count(tx, m.id)?,
        recent_mark: m.recent_mark,
        keywords: keywords(tx, m.id)?,
    })
}

/// The state a session sees on SELECT.
pub(crate) fn select(tx: &mut Tx<'_>, owner: &str, name: &str) -> TxResult<MailboxSnapshot> {
    let m = selectable_by_name(tx, owner, name)?;
    let rows = tx.fetch(
        "SELECT uid, modseq, flags, keywords FROM mail_messages WHERE mailbox = $1 ORDER BY uid",
        &[&m.id.0],
    )?;
    Ok(MailboxSnapshot {
        id: m.id,
        uid_validity: m.uidvalidity,
        uid_next: m.uidnext,
        highest_modseq: m.highestmodseq,
        messages: rows.iter().map(state_from_row).collect(),
        keywords: keywords(tx, m.id)?,
    })
}

/// Claims \Recent on every UID above the mailbox's recent mark (the row lock makes two
/// sessions on two nodes claim each message once).
pub(crate) fn claim_recent(tx: &mut Tx<'_>, owner: &str, mailbox: MailboxId) -> TxResult<Vec<u32>> {
    let locked = tx.fetch_opt(
        "SELECT recent_mark FROM mail_mailboxes WHERE id = $1 AND owner = $2 AND selectable FOR UPDATE",
        &[&mailbox.0, &owner],
    )?;
    let Some(mark) = locked.map(|r| r.get::<_, i64>(0)) else {
        return Err(missing(tx, owner)?);
    };
    let rows = tx.fetch(
        "SELECT uid FROM mail_messages WHERE mailbox = $1 AND uid > $2 ORDER BY uid",
        &[&mailbox.0, &mark],
    )?;
    let uids: Vec<u32> = rows.iter().map(|r| r.get::<_, i64>(0) as u32).collect();
    if let Some(&last) = uids.last() {
        tx.exec("UPDATE mail_mailboxes SET recent_mark = $2 WHERE id = $1", &[&mailbox.0, &i64::from(last)])?;
    }
    Ok(uids)
}

/// UIDs expunged with a MODSEQ above `since`, at most `max_uid`, ascending.
fn expunged_uids(tx: &mut Tx<'_>, mailbox: MailboxId, since: u64, max_uid: u32) -> TxResult<Vec<u32>> {
    let rows = tx.fetch(
        "SELECT uid FROM mail_expunged WHERE mailbox = $1 AND modseq > $2 AND uid <= $3 ORDER BY uid",
        &[&mailbox.0, &(since as i64), &i64::from(max_uid)],
    )?;
    Ok(rows.iter().map(|r| r.get::<_, i64>(0) as u32).collect())
}

/// Changes since `since` for a session knowing UIDs up to `known_max_uid` (expunged UIDs
/// limited to those it can know).
pub(crate) fn changes(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    since: u64,
    known_max_uid: u32,
) -> TxResult<MailboxChanges> {
    let m = selectable_by_id(tx, owner, mailbox)?;
    let known = i64::from(known_max_uid);
    // Two index ranges in one statement: new messages by UID, changed ones by MODSEQ (few
    // change between two looks, and many may lie below `known`).
    let rows = tx.fetch(
        "SELECT uid, modseq, flags, keywords FROM mail_messages WHERE mailbox = $1 AND uid > $2
         UNION ALL
         SELECT uid, modseq, flags, keywords FROM mail_messages WHERE mailbox = $1 AND uid <= $2 AND modseq > $3
         ORDER BY uid",
        &[&m.id.0, &known, &(since as i64)],
    )?;
    let (new_messages, changed): (Vec<MessageState>, Vec<MessageState>) =
        rows.iter().map(state_from_row).partition(|s| s.uid > known_max_uid);
    Ok(MailboxChanges {
        new_messages,
        changed,
        expunged: expunged_uids(tx, m.id, since, known_max_uid)?,
        highest_modseq: m.highestmodseq,
        uid_next: m.uidnext,
        messages: message_count(tx, m.id)?,
    })
}

/// UIDs expunged with a MODSEQ above `since`. When the expunge log does not reach back to
/// `since` (the mailbox was copied from another store, see `schema::V3`), every UID below
/// UIDNEXT that has no message, since any of them may have been expunged.
pub(crate) fn expunged_since(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    since: u64,
) -> TxResult<Vec<u32>> {
    let m = selectable_by_id(tx, owner, mailbox)?;
    let log_from: i64 =
        tx.fetch_one("SELECT expunge_log_from FROM mail_mailboxes WHERE id = $1", &[&m.id.0])?.get(0);
    if since as i64 >= log_from {
        return expunged_uids(tx, m.id, since, u32::MAX);
    }
    let rows = tx.fetch(
        "SELECT u FROM generate_series(1, $2 - 1) AS u
         WHERE NOT EXISTS (SELECT 1 FROM mail_messages WHERE mailbox = $1 AND uid = u) ORDER BY u",
        &[&m.id.0, &i64::from(m.uidnext)],
    )?;
    Ok(rows.iter().map(|r| r.get::<_, i64>(0) as u32).collect())
}

/// FETCH metadata of the existing UIDs among `uids`, ascending.
pub(crate) fn fetch_meta(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    uids: &[u32],
    parts: MetaParts,
) -> TxResult<Vec<MessageMeta>> {
    meta_from(tx, "mail_messages", owner, mailbox, uids, parts)
}

/// FETCH metadata of those of `uids` that were expunged but are still retained, ascending.
pub(crate) fn retained_meta(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    uids: &[u32],
    parts: MetaParts,
) -> TxResult<Vec<MessageMeta>> {
    meta_from(tx, "mail_retained", owner, mailbox, uids, parts)
}

/// Metadata of `uids` from `table` (messages, or retained expunged messages).
fn meta_from(
    tx: &mut Tx<'_>,
    table: &str,
    owner: &str,
    mailbox: MailboxId,
    uids: &[u32],
    parts: MetaParts,
) -> TxResult<Vec<MessageMeta>> {
    let m = selectable_by_id(tx, owner, mailbox)?;
    let structure =
        if parts.structure { "envelope, bodystructure, body, blob" } else { "'', '', '', NULL::TEXT" };
    let header = if parts.header { "header" } else { "NULL::BYTEA" };
    let sql = format!(
        "SELECT uid, modseq, flags, keywords, internal_date, internal_date_offset, save_date, size,
                {structure}, {header}
         FROM {table} WHERE mailbox = $1 AND uid = ANY($2) ORDER BY uid"
    );
    let rows = tx.fetch(&sql, &[&m.id.0, &uid_array(uids)])?;
    Ok(rows
        .iter()
        .map(|r| {
            let state = state_from_row(r);
            let blob: Option<String> = r.get(11);
            MessageMeta {
                uid: state.uid,
                flags: state.flags,
                modseq: state.modseq,
                internal_date: r.get(4),
                internal_date_offset: r.get(5),
                save_date: r.get(6),
                size: r.get::<_, i64>(7) as u64,
                envelope: r.get(8),
                body_structure: r.get(9),
                body: r.get(10),
                email_id: blob.as_deref().map(email_id).unwrap_or_default(),
                header: r.get(12),
            }
        })
        .collect())
}

/// Object name of one message (or of one expunged but retained) and the size the index
/// recorded.
pub(crate) fn blob_of(tx: &mut Tx<'_>, owner: &str, mailbox: MailboxId, uid: u32) -> TxResult<(String, u64)> {
    let m = selectable_by_id(tx, owner, mailbox)?;
    let row = tx
        .fetch_opt(
            "SELECT blob, size FROM mail_messages WHERE mailbox = $1 AND uid = $2
             UNION ALL SELECT blob, size FROM mail_retained WHERE mailbox = $1 AND uid = $2 LIMIT 1",
            &[&m.id.0, &i64::from(uid)],
        )?
        .ok_or_else(|| StoreError::NotPossible(format!("no message with UID {uid}")))?;
    Ok((row.get(0), row.get::<_, i64>(1) as u64))
}

/// The search text rows of the existing UIDs among `uids`, ascending: (UID, object name,
/// packed text if the index has one).
pub(crate) fn search_texts(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    uids: &[u32],
) -> TxResult<Vec<crate::search_text::StoredText>> {
    let m = selectable_by_id(tx, owner, mailbox)?;
    let rows = tx.fetch(
        "SELECT m.uid, m.blob, t.text FROM mail_messages m LEFT JOIN mail_search_text t ON t.blob = m.blob
         WHERE m.mailbox = $1 AND m.uid = ANY($2) ORDER BY m.uid",
        &[&m.id.0, &uid_array(uids)],
    )?;
    Ok(rows.iter().map(|r| (r.get::<_, i64>(0) as u32, r.get(1), r.get(2))).collect())
}

/// Whether a message of `owner` names the object `sha` (so it is stored, and an append of the
/// same octets to anyone needs no second copy).
pub(crate) fn owner_holds(tx: &mut Tx<'_>, owner: &str, sha: &str) -> TxResult<bool> {
    let row = tx.fetch_opt(
        "SELECT 1 FROM mail_messages m JOIN mail_mailboxes b ON b.id = m.mailbox
         WHERE m.blob = $1 AND b.owner = $2 LIMIT 1",
        &[&sha, &owner],
    )?;
    Ok(row.is_some())
}

/// Stores search texts computed by a reader for content whose row was unreadable.
pub(crate) fn backfill_search_texts(tx: &mut Tx<'_>, texts: &[(String, Vec<u8>)]) -> TxResult<()> {
    let (blobs, packed): (Vec<&str>, Vec<&[u8]>) =
        texts.iter().map(|(b, t)| (b.as_str(), t.as_slice())).unzip();
    tx.exec(
        "INSERT INTO mail_search_text (blob, text) SELECT * FROM unnest($1::TEXT[], $2::BYTEA[])
         ON CONFLICT (blob) DO UPDATE SET text = excluded.text",
        &[&blobs, &packed],
    )?;
    Ok(())
}

/// UIDs and a MODSEQ taken for new messages in a mailbox.
struct Allocated {
    id: MailboxId,
    uid_validity: u32,
    first_uid: u32,
    modseq: u64,
}

/// Takes `count` UIDs and one MODSEQ in the selectable mailbox `name` and adds `bytes` and
/// `count` to its usage, in one statement that locks the row until commit; `NotPossible` when
/// the UID space is exhausted.
fn allocate(tx: &mut Tx<'_>, owner: &str, name: &str, count: usize, bytes: u64) -> TxResult<Allocated> {
    let count = count as i64;
    let row = tx.fetch_opt(
        "UPDATE mail_mailboxes SET uidnext = uidnext + $3, highestmodseq = highestmodseq + 1,
                used_bytes = used_bytes + $4, used_messages = used_messages + $3
         WHERE owner = $1 AND name = $2 AND selectable
         RETURNING id, uidvalidity, uidnext, highestmodseq",
        &[&owner, &name, &count, &(bytes as i64)],
    )?;
    let Some(row) = row else {
        return Err(missing(tx, owner)?);
    };
    let next: i64 = row.get(2);
    if next > i64::from(u32::MAX) {
        return Err(StoreError::NotPossible("the mailbox has run out of UIDs".into()).into());
    }
    Ok(Allocated {
        id: MailboxId(row.get(0)),
        uid_validity: row.get::<_, i64>(1) as u32,
        first_uid: (next - count) as u32,
        modseq: row.get::<_, i64>(3) as u64,
    })
}

/// A new message row: where it goes, the dates and MODSEQ it carries, and its content.
pub(crate) struct NewRow<'a> {
    /// UID.
    pub uid: u32,
    /// MODSEQ.
    pub modseq: u64,
    /// SAVEDATE.
    pub save_date: i64,
    /// INTERNALDATE and its zone offset.
    pub internal_date: (i64, i32),
    /// Flags as given (keywords mapped to the mailbox's spelling here).
    pub flags: &'a Flags,
    /// The octets.
    pub data: &'a [u8],
    /// What was computed from them.
    pub prepared: &'a Prepared,
}

/// Inserts message rows and the search text of their content (where the index has none),
/// two statements for any number of rows. Their objects must be stored already.
pub(crate) fn insert_rows(tx: &mut Tx<'_>, mailbox: MailboxId, rows: &[NewRow<'_>]) -> TxResult<()> {
    let spellings = Spellings::of(tx, mailbox, rows.iter().map(|r| r.flags))?;
    let uids: Vec<i64> = rows.iter().map(|r| i64::from(r.uid)).collect();
    let blobs: Vec<&str> = rows.iter().map(|r| r.prepared.sha()).collect();
    let sizes: Vec<i64> = rows.iter().map(|r| r.data.len() as i64).collect();
    let dates: Vec<i64> = rows.iter().map(|r| r.internal_date.0).collect();
    let offsets: Vec<i32> = rows.iter().map(|r| r.internal_date.1).collect();
    let saved: Vec<i64> = rows.iter().map(|r| r.save_date).collect();
    let modseqs: Vec<i64> = rows.iter().map(|r| r.modseq as i64).collect();
    let systems: Vec<i64> = rows.iter().map(|r| r.flags.system).collect();
    let keywords: Vec<String> = rows.iter().map(|r| spellings.column(r.flags)).collect();
    let envelopes: Vec<&str> = rows.iter().map(|r| r.prepared.summary().envelope.as_str()).collect();
    let structures: Vec<&str> = rows.iter().map(|r| r.prepared.summary().body_structure.as_str()).collect();
    let bodies: Vec<&str> = rows.iter().map(|r| r.prepared.summary().body.as_str()).collect();
    let headers: Vec<&[u8]> =
        rows.iter().map(|r| &r.data[..r.prepared.summary().header_len.min(r.data.len())]).collect();
    let sent: Vec<Option<i64>> = rows.iter().map(|r| r.prepared.summary().sent_date).collect();
    tx.exec(
        "INSERT INTO mail_messages (mailbox, uid, blob, size, internal_date, internal_date_offset, save_date,
                                    modseq, flags, keywords, envelope, bodystructure, body, header, sent_date)
         SELECT $1, * FROM unnest($2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[], $6::INTEGER[],
                                  $7::BIGINT[], $8::BIGINT[], $9::BIGINT[], $10::TEXT[], $11::TEXT[],
                                  $12::TEXT[], $13::TEXT[], $14::BYTEA[], $15::BIGINT[])",
        &[
            &mailbox.0,
            &uids,
            &blobs,
            &sizes,
            &dates,
            &offsets,
            &saved,
            &modseqs,
            &systems,
            &keywords,
            &envelopes,
            &structures,
            &bodies,
            &headers,
            &sent,
        ],
    )?;
    let texts: Vec<&[u8]> = rows.iter().map(|r| r.prepared.text()).collect();
    tx.exec(
        "INSERT INTO mail_search_text (blob, text) SELECT * FROM unnest($1::TEXT[], $2::BYTEA[]) ON CONFLICT DO NOTHING",
        &[&blobs, &texts],
    )?;
    Ok(())
}

/// APPEND: the objects are stored already; all rows in this one transaction.
pub(crate) fn append(
    tx: &mut Tx<'_>,
    owner: &str,
    name: &str,
    messages: &[NewMessage<'_>],
    flags: &[Flags],
    prepared: &[Prepared],
    fx: &mut Effects,
) -> TxResult<Placed> {
    if messages.is_empty() {
        let m = selectable_by_name(tx, owner, name)?;
        return Ok(Placed { uid_validity: m.uidvalidity, uids: Vec::new() });
    }
    let bytes = messages.iter().map(|m| m.data.len() as u64).sum();
    let at = allocate(tx, owner, name, messages.len(), bytes)?;
    let saved = now();
    let rows: Vec<NewRow<'_>> = messages
        .iter()
        .zip(flags)
        .zip(prepared)
        .enumerate()
        .map(|(i, ((msg, flags), prepared))| NewRow {
            uid: at.first_uid + i as u32,
            modseq: at.modseq,
            save_date: saved,
            internal_date: msg.internal_date.unwrap_or((saved, 0)),
            flags,
            data: msg.data,
            prepared,
        })
        .collect();
    insert_rows(tx, at.id, &rows)?;
    fx.notify.push((at.id, at.modseq));
    Ok(Placed { uid_validity: at.uid_validity, uids: rows.iter().map(|r| (0, r.uid)).collect() })
}

/// COPY, or with `expunge_source` MOVE: new rows naming the same objects, and for MOVE the
/// source rows expunged, all in one transaction.
pub(crate) fn copy(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    uids: &[u32],
    to: &str,
    expunge_source: bool,
    fx: &mut Effects,
) -> TxResult<Placed> {
    let src = selectable_by_id(tx, owner, mailbox)?;
    let dst = selectable_by_name(tx, owner, to)?;
    let sources = tx.fetch(
        "SELECT uid, flags, keywords, blob, size FROM mail_messages WHERE mailbox = $1 AND uid = ANY($2) ORDER BY uid",
        &[&src.id.0, &uid_array(uids)],
    )?;
    if sources.is_empty() {
        return Ok(Placed { uid_validity: dst.uidvalidity, uids: Vec::new() });
    }
    let bytes = sources.iter().map(|r| r.get::<_, i64>(4) as u64).sum();
    let at = allocate(tx, owner, to, sources.len(), bytes)?;
    let blobs: Vec<String> = sources.iter().map(|r| r.get(3)).collect();
    objects::keep_alive(tx, &blobs)?;
    let flags: Vec<Flags> = sources.iter().map(|r| Flags::from_columns(r.get(1), r.get(2))).collect();
    let spellings = Spellings::of(tx, at.id, &flags)?;
    let keywords: Vec<String> = flags.iter().map(|f| spellings.column(f)).collect();
    let source_uids: Vec<i64> = sources.iter().map(|r| r.get(0)).collect();
    let new_uids: Vec<i64> = (0..sources.len()).map(|i| i64::from(at.first_uid) + i as i64).collect();
    tx.exec(
        "INSERT INTO mail_messages (mailbox, uid, blob, size, internal_date, internal_date_offset, save_date,
                                    modseq, flags, keywords, envelope, bodystructure, body, header, sent_date)
         SELECT $1, n.new_uid, m.blob, m.size, m.internal_date, m.internal_date_offset, $2, $3, m.flags,
                n.keywords, m.envelope, m.bodystructure, m.body, m.header, m.sent_date
         FROM unnest($4::BIGINT[], $5::BIGINT[], $6::TEXT[]) AS n(source, new_uid, keywords)
         JOIN mail_messages m ON m.mailbox = $7 AND m.uid = n.source",
        &[&at.id.0, &now(), &(at.modseq as i64), &source_uids, &new_uids, &keywords, &src.id.0],
    )?;
    fx.notify.push((at.id, at.modseq));
    if expunge_source {
        if let Some((_, modseq)) = remove_rows(tx, src.id, Some(&source_uids), false)? {
            fx.notify.push((src.id, modseq));
        }
    }
    let placed = source_uids.iter().zip(&new_uids).map(|(&s, &n)| (s as u32, n as u32)).collect();
    Ok(Placed { uid_validity: at.uid_validity, uids: placed })
}

/// Deletes message rows (those among `uids`, or all; with `only_deleted` only those flagged
/// \Deleted), records them as expunged at one new MODSEQ and lowers the mailbox's usage.
/// Returns the UIDs removed, ascending, and that MODSEQ; `None` when nothing matched (and
/// nothing changed).
fn remove_rows(
    tx: &mut Tx<'_>,
    mailbox: MailboxId,
    uids: Option<&[i64]>,
    only_deleted: bool,
) -> TxResult<Option<(Vec<u32>, u64)>> {
    let flag_mask = if only_deleted { DELETED } else { 0 };
    // The rows go to `mail_retained` in the same statement (see `schema::V2`).
    let gone = tx.fetch(
        "WITH gone AS (
             DELETE FROM mail_messages WHERE mailbox = $1 AND ($2::BIGINT[] IS NULL OR uid = ANY($2))
                    AND flags & $3 = $3
             RETURNING *
         ), kept AS (
             INSERT INTO mail_retained (mailbox, uid, expunged_at, blob, size, internal_date,
                    internal_date_offset, save_date, modseq, flags, keywords, envelope, bodystructure,
                    body, header)
             SELECT mailbox, uid, $4, blob, size, internal_date, internal_date_offset, save_date, modseq,
                    flags, keywords, envelope, bodystructure, body, header FROM gone
             ON CONFLICT (mailbox, uid) DO NOTHING
         )
         SELECT uid, size FROM gone",
        &[&mailbox.0, &uids, &flag_mask, &now()],
    )?;
    if gone.is_empty() {
        return Ok(None);
    }
    let mut removed: Vec<i64> = gone.iter().map(|r| r.get(0)).collect();
    removed.sort_unstable();
    let bytes: i64 = gone.iter().map(|r| r.get::<_, i64>(1)).sum();
    let row = tx.fetch_one(
        "UPDATE mail_mailboxes SET highestmodseq = highestmodseq + 1, used_bytes = used_bytes - $2,
                used_messages = used_messages - $3 WHERE id = $1 RETURNING highestmodseq",
        &[&mailbox.0, &bytes, &(removed.len() as i64)],
    )?;
    let modseq: i64 = row.get(0);
    tx.exec(
        "INSERT INTO mail_expunged (mailbox, uid, modseq) SELECT $1, unnest($2::BIGINT[]), $3
         ON CONFLICT (mailbox, uid) DO UPDATE SET modseq = excluded.modseq",
        &[&mailbox.0, &removed, &modseq],
    )?;
    Ok(Some((removed.into_iter().map(|u| u as u32).collect(), modseq as u64)))
}

/// EXPUNGE / UID EXPUNGE: removes \Deleted messages (among `uids` if given). Their objects
/// are left to the sweeper.
pub(crate) fn expunge(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    uids: Option<&[u32]>,
    fx: &mut Effects,
) -> TxResult<Vec<u32>> {
    let m = selectable_by_id(tx, owner, mailbox)?;
    let uids = uids.map(uid_array);
    match remove_rows(tx, m.id, uids.as_deref(), true)? {
        Some((removed, modseq)) => {
            fx.notify.push((m.id, modseq));
            Ok(removed)
        }
        None => Ok(Vec::new()),
    }
}
