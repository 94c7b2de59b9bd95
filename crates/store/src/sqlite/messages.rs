//! Message rows: APPEND, SELECT, changes, FETCH metadata, COPY/MOVE, EXPUNGE, \Recent.

use rusqlite::types::{Type, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::damage::is_imap_list;
use super::flags::canonical_keywords;
use super::mailboxes::{allocate_uids, bump_modseq, selectable_by_id, selectable_by_name};
use super::{now, retained, Effects};
use crate::api::*;
use crate::blobs::BlobDir;
use crate::error::{Result, StoreError};
use crate::flagset::{Flags, DELETED};
use crate::prepared::{email_id, Prepared};
use crate::search_text::StoredText;
use crate::uid_ranges::uid_ranges;

/// A message's state from `uid, modseq, flags, keywords` columns.
fn state_from_row(r: &Row<'_>) -> rusqlite::Result<MessageState> {
    let flags = Flags::from_columns(r.get(2)?, &r.get::<_, String>(3)?);
    Ok(MessageState { uid: r.get(0)?, flags: flags.to_strings(), modseq: r.get::<_, i64>(1)? as u64 })
}

/// States of messages matching `condition` (over `?1` = mailbox, `?2`, `?3`), by UID, read
/// from `source` (the table, perhaps with the index to use).
fn states(
    conn: &Connection,
    source: &str,
    condition: &str,
    a: i64,
    b: i64,
    c: i64,
) -> Result<Vec<MessageState>> {
    let sql = format!(
        "SELECT uid, modseq, flags, keywords FROM {source} WHERE mailbox = ?1 AND {condition} ORDER BY uid"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![a, b, c], state_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// UIDs from `expunged` matching `condition`, ascending.
fn expunged_uids(
    conn: &Connection,
    condition: &str,
    mailbox: MailboxId,
    since: u64,
    max: u32,
) -> Result<Vec<u32>> {
    // By MODSEQ: the table keeps every expunge, and a session asks for the few since it last
    // looked (the planner would otherwise walk every expunged UID of the mailbox).
    let sql = format!(
        "SELECT uid FROM expunged INDEXED BY expunged_modseq WHERE mailbox = ?1 AND modseq > ?2 {condition} ORDER BY uid"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![mailbox.0, since as i64, max], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Keywords in use in a mailbox, in the order first used.
fn keywords(conn: &Connection, mailbox: MailboxId) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM keywords WHERE mailbox = ?1 ORDER BY rowid")?;
    let rows = stmt.query_map([mailbox.0], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Number of messages in a mailbox, from its usage counter.
fn message_count(conn: &Connection, mailbox: MailboxId) -> Result<u32> {
    let n: i64 = conn
        .prepare_cached("SELECT used_messages FROM mailboxes WHERE id = ?1")?
        .query_row([mailbox.0], |r| r.get(0))?;
    Ok(n as u32)
}

/// A mailbox's identity and counters, without its messages.
pub(crate) fn open_mailbox(conn: &mut Connection, name: &str) -> Result<MailboxHeader> {
    let tx = conn.transaction()?;
    let m = selectable_by_name(&tx, name)?;
    Ok(MailboxHeader {
        id: m.id,
        uid_validity: m.uidvalidity,
        uid_next: m.uidnext,
        highest_modseq: m.highestmodseq,
        messages: message_count(&tx, m.id)?,
        recent_mark: m.recent_mark,
        keywords: keywords(&tx, m.id)?,
    })
}

/// The state a session sees on SELECT.
pub(crate) fn select(conn: &mut Connection, name: &str) -> Result<MailboxSnapshot> {
    let tx = conn.transaction()?;
    let m = selectable_by_name(&tx, name)?;
    let messages = states(&tx, "messages", "?2 = ?3", m.id.0, 0, 0)?;
    let keywords = keywords(&tx, m.id)?;
    Ok(MailboxSnapshot {
        id: m.id,
        uid_validity: m.uidvalidity,
        uid_next: m.uidnext,
        highest_modseq: m.highestmodseq,
        messages,
        keywords,
    })
}

/// Claims \Recent on every UID above the mailbox's recent mark.
pub(crate) fn claim_recent(conn: &mut Connection, mailbox: MailboxId) -> Result<Vec<u32>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let m = selectable_by_id(&tx, mailbox)?;
    let uids: Vec<u32> = {
        let mut stmt =
            tx.prepare_cached("SELECT uid FROM messages WHERE mailbox = ?1 AND uid > ?2 ORDER BY uid")?;
        let rows = stmt.query_map(params![m.id.0, m.recent_mark], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if let Some(last) = uids.last() {
        tx.execute("UPDATE mailboxes SET recent_mark = ?2 WHERE id = ?1", params![m.id.0, last])?;
        tx.commit()?;
    }
    Ok(uids)
}

/// Changes since `since` for a session knowing UIDs up to `known_max_uid`. Expunged UIDs are
/// limited to those the session can know (at most `known_max_uid`).
pub(crate) fn changes(
    conn: &mut Connection,
    mailbox: MailboxId,
    since: u64,
    known_max_uid: u32,
) -> Result<MailboxChanges> {
    let tx = conn.transaction()?;
    let m = selectable_by_id(&tx, mailbox)?;
    let known = i64::from(known_max_uid);
    Ok(MailboxChanges {
        new_messages: states(&tx, "messages", "uid > ?2 AND ?3 = ?3", m.id.0, known, 0)?,
        // By MODSEQ: few messages change between two looks, and many may lie below `known`.
        changed: states(
            &tx,
            "messages INDEXED BY messages_modseq",
            "uid <= ?2 AND modseq > ?3",
            m.id.0,
            known,
            since as i64,
        )?,
        expunged: expunged_uids(&tx, "AND uid <= ?3", m.id, since, known_max_uid)?,
        highest_modseq: m.highestmodseq,
        uid_next: m.uidnext,
        messages: message_count(&tx, m.id)?,
    })
}

/// UIDs expunged with a MODSEQ above `since`. When the expunge log does not reach back to
/// `since` (the mailbox was copied from another store, see `expunge_log_from`), every UID below
/// UIDNEXT that has no message, since any of them may have been expunged.
pub(crate) fn expunged_since(conn: &mut Connection, mailbox: MailboxId, since: u64) -> Result<Vec<u32>> {
    let tx = conn.transaction()?;
    let m = selectable_by_id(&tx, mailbox)?;
    let log_from: i64 = tx
        .prepare_cached("SELECT expunge_log_from FROM mailboxes WHERE id = ?1")?
        .query_row([m.id.0], |r| r.get(0))?;
    if (since as i64) >= log_from {
        return expunged_uids(&tx, "AND ?3 = ?3", m.id, since, 0);
    }
    let present: Vec<u32> = {
        let mut stmt = tx.prepare_cached("SELECT uid FROM messages WHERE mailbox = ?1 ORDER BY uid")?;
        let rows = stmt.query_map([m.id.0], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    Ok((1..m.uidnext).filter(|uid| present.binary_search(uid).is_err()).collect())
}

/// Where [`fetch_meta`] reads rows: the messages, or the retained copies of expunged ones.
#[derive(Clone, Copy)]
pub(crate) enum Rows {
    Messages,
    Retained,
}

/// FETCH metadata of the UIDs among `uids` that have a row in `rows`, ascending.
pub(crate) fn fetch_meta(
    conn: &mut Connection,
    rows: Rows,
    mailbox: MailboxId,
    uids: &[u32],
    parts: MetaParts,
) -> Result<Vec<MessageMeta>> {
    let tx = conn.transaction()?;
    let m = selectable_by_id(&tx, mailbox)?;
    let structure = if parts.structure { "envelope, bodystructure, body, blob" } else { "'', '', '', NULL" };
    let header = if parts.header { "header" } else { "NULL" };
    let table = match rows {
        Rows::Messages => "messages",
        Rows::Retained => "retained",
    };
    let sql = format!(
        "SELECT uid, modseq, flags, keywords, internal_date, internal_date_offset, save_date, size,
                {structure}, {header}
         FROM {table} WHERE mailbox = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut out = Vec::new();
    for (lo, hi) in uid_ranges(uids) {
        let rows = stmt.query_map(params![m.id.0, lo, hi], |r| {
            let state = state_from_row(r)?;
            let blob: Option<String> = r.get(11)?;
            Ok(MessageMeta {
                uid: state.uid,
                flags: state.flags,
                modseq: state.modseq,
                internal_date: r.get(4)?,
                internal_date_offset: r.get(5)?,
                save_date: r.get(6)?,
                size: r.get::<_, i64>(7)? as u64,
                envelope: cached_list(r, 8, parts.structure)?,
                body_structure: cached_list(r, 9, parts.structure)?,
                body: cached_list(r, 10, parts.structure)?,
                email_id: blob.as_deref().map(email_id).unwrap_or_default(),
                header: r.get(12)?,
            })
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

/// A cached ENVELOPE/BODYSTRUCTURE/BODY column (when `read`, else the empty placeholder);
/// a value not shaped like an IMAP list is an error, so the row is repaired, not sent.
fn cached_list(r: &Row<'_>, i: usize, read: bool) -> rusqlite::Result<String> {
    let value: String = r.get(i)?;
    if read && !is_imap_list(&value) {
        return Err(rusqlite::Error::FromSqlConversionFailure(i, Type::Text, "not an IMAP list".into()));
    }
    Ok(value)
}

/// Content address of one message's file and the size the index recorded (also of a message
/// expunged but retained, see `retained`).
pub(crate) fn blob_of(conn: &Connection, mailbox: MailboxId, uid: u32) -> Result<(String, u64)> {
    let m = selectable_by_id(conn, mailbox)?;
    conn.prepare_cached(
        "SELECT blob, size FROM messages WHERE mailbox = ?1 AND uid = ?2
         UNION ALL SELECT blob, size FROM retained WHERE mailbox = ?1 AND uid = ?2 LIMIT 1",
    )?
    .query_row(params![m.id.0, uid], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
    .optional()?
    .ok_or_else(|| StoreError::NotPossible(format!("no message with UID {uid}")))
}

/// APPEND: files first (durable), then all index rows in one transaction, with the search
/// text of content the index has no text for yet. `prepared` is [`prepare`]`(messages)`.
pub(crate) fn append(
    conn: &mut Connection,
    blobs: &BlobDir,
    name: &str,
    messages: &[NewMessage<'_>],
    prepared: &[Prepared],
    fx: &mut Effects,
) -> Result<Placed> {
    debug_assert_eq!(messages.len(), prepared.len());
    let flags = messages.iter().map(|m| Flags::parse(&m.flags)).collect::<Result<Vec<_>>>()?;
    let shas: Vec<&str> = prepared.iter().map(|p| p.sha()).collect();
    // The callers have the files on disk already (APPEND writes them before taking the
    // index lock, reconstruct reads them): only the re-check inside the transaction is needed.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let m = selectable_by_name(&tx, name)?;
    if messages.is_empty() {
        return Ok(Placed { uid_validity: m.uidvalidity, uids: Vec::new() });
    }
    let first = allocate_uids(&tx, &m, messages.len())?;
    let modseq = bump_modseq(&tx, m.id)?;
    let saved = now();
    let mut uids = Vec::with_capacity(messages.len());
    for (i, msg) in messages.iter().enumerate() {
        // Re-check under the write lock: another process may have just removed the file.
        blobs.ensure(shas[i], msg.data)?;
        let uid = first + i as u32;
        let identity = Identity {
            uid,
            modseq,
            save_date: saved,
            internal_date: msg.internal_date.unwrap_or((saved, 0)),
        };
        insert_message(&tx, m.id, &identity, &flags[i], msg.data, &prepared[i])?;
        uids.push((0, uid));
    }
    tx.commit()?;
    fx.notify.push((m.id, modseq));
    Ok(Placed { uid_validity: m.uidvalidity, uids })
}

/// Where a new message row goes and the dates and MODSEQ it carries.
struct Identity {
    uid: u32,
    modseq: u64,
    save_date: i64,
    internal_date: (i64, i32),
}

/// Inserts one message row and the search text of its content (unless the index has it).
/// The caller holds the write transaction and has made sure the file exists.
fn insert_message(
    tx: &Connection,
    mailbox: MailboxId,
    at: &Identity,
    flags: &Flags,
    data: &[u8],
    prepared: &Prepared,
) -> Result<()> {
    let keywords = canonical_keywords(tx, mailbox, &flags.keywords)?;
    let f = Flags { system: flags.system, keywords };
    let s = prepared.summary();
    let header = &data[..s.header_len.min(data.len())];
    tx.prepare_cached(
        "INSERT INTO messages (mailbox, uid, blob, size, internal_date, internal_date_offset, save_date,
                               modseq, flags, keywords, envelope, bodystructure, body, header, sent_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        mailbox.0,
        at.uid,
        prepared.sha(),
        data.len() as i64,
        at.internal_date.0,
        at.internal_date.1,
        at.save_date,
        at.modseq as i64,
        f.system,
        f.keywords_column(),
        s.envelope,
        s.body_structure,
        s.body,
        header,
        s.sent_date,
    ])?;
    tx.prepare_cached(INSERT_TEXT)?.execute(params![prepared.sha(), prepared.text()])?;
    Ok(())
}

/// Stores messages of another store under their own UIDs and MODSEQs (see
/// `Store::import_messages`); files first, as for APPEND. `prepared` is [`prepare`] of the
/// messages' octets.
pub(crate) fn import(
    conn: &mut Connection,
    blobs: &BlobDir,
    mailbox: MailboxId,
    messages: &[ImportedMessage<'_>],
    prepared: &[Prepared],
    fx: &mut Effects,
) -> Result<usize> {
    let flags = messages.iter().map(|m| Flags::parse(&m.flags)).collect::<Result<Vec<_>>>()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let m = selectable_by_id(&tx, mailbox)?;
    let (mut stored, mut top_uid, mut top_modseq) = (0, 0, 0);
    for (i, msg) in messages.iter().enumerate() {
        let present = tx
            .prepare_cached("SELECT 1 FROM messages WHERE mailbox = ?1 AND uid = ?2")?
            .exists(params![m.id.0, msg.uid])?;
        if present {
            continue;
        }
        if msg.uid == 0 || msg.uid == u32::MAX {
            return Err(StoreError::NotPossible(format!("UID {} cannot be stored", msg.uid)));
        }
        blobs.ensure(prepared[i].sha(), msg.data)?;
        let identity = Identity {
            uid: msg.uid,
            modseq: msg.modseq.max(1),
            save_date: msg.save_date,
            internal_date: msg.internal_date,
        };
        insert_message(&tx, m.id, &identity, &flags[i], msg.data, &prepared[i])?;
        let mut seen =
            tx.prepare_cached("INSERT OR IGNORE INTO seen (mailbox, viewer, uid) VALUES (?1, ?2, ?3)")?;
        for viewer in &msg.seen_by {
            seen.execute(params![m.id.0, viewer, msg.uid])?;
        }
        (stored, top_uid, top_modseq) = (stored + 1, top_uid.max(msg.uid), top_modseq.max(identity.modseq));
    }
    tx.execute(
        "UPDATE mailboxes SET uidnext = MAX(uidnext, ?2), highestmodseq = MAX(highestmodseq, ?3) WHERE id = ?1",
        params![m.id.0, top_uid + 1, top_modseq as i64],
    )?;
    tx.commit()?;
    if stored > 0 {
        fx.notify.push((m.id, top_modseq.max(m.highestmodseq)));
    }
    Ok(stored)
}

/// Adds the search text of a content address unless it has one.
const INSERT_TEXT: &str = "INSERT OR IGNORE INTO search_text (blob, text) VALUES (?1, ?2)";

/// The search text of the existing UIDs among `uids`, ascending: (UID, content address,
/// the stored (compressed, see `search_text::unpack`) text or None when the index has none
/// for that content, as in a store migrated from schema version 3). A value that is not a
/// blob (text or a number written by hand) is returned as its bytes, and fails to unpack.
pub(crate) fn search_texts(
    conn: &mut Connection,
    mailbox: MailboxId,
    uids: &[u32],
) -> Result<Vec<StoredText>> {
    let tx = conn.transaction()?;
    let m = selectable_by_id(&tx, mailbox)?;
    let mut stmt = tx.prepare_cached(
        "SELECT m.uid, m.blob, t.text FROM messages m LEFT JOIN search_text t ON t.blob = m.blob
         WHERE m.mailbox = ?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid",
    )?;
    let mut out = Vec::new();
    for (lo, hi) in uid_ranges(uids) {
        let rows = stmt.query_map(params![m.id.0, lo, hi], |r| {
            let packed = match r.get_ref(2)? {
                ValueRef::Null => None,
                ValueRef::Blob(b) | ValueRef::Text(b) => Some(b.to_vec()),
                ValueRef::Integer(_) | ValueRef::Real(_) => Some(Vec::new()),
            };
            Ok((r.get(0)?, r.get(1)?, packed))
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

/// Stores search texts ([`crate::search_text::pack`]ed) computed by a reader for content that
/// had none or an unreadable one (which is replaced), in one transaction. Content no message refers to any more (expunged
/// meanwhile) gets no row, so a row never outlives its file. Returns how many rows were
/// written.
pub(crate) fn backfill_search_texts(conn: &mut Connection, texts: &[(String, Vec<u8>)]) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut added = 0;
    {
        // REPLACE, not IGNORE: the text of a content address depends only on its octets, so
        // overwriting a row another reader just wrote changes nothing, and a damaged row
        // gets repaired.
        let mut insert = tx.prepare_cached(
            "INSERT OR REPLACE INTO search_text (blob, text)
             SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM messages WHERE blob = ?1)",
        )?;
        for (blob, text) in texts {
            added += insert.execute(params![blob, text])?;
        }
    }
    tx.commit()?;
    Ok(added)
}

/// Sets the search text ([`crate::search_text::pack`]ed) of content addresses, replacing what
/// was there
/// (reconstruct).
pub(crate) fn replace_search_texts(conn: &Connection, texts: &[(String, Vec<u8>)]) -> Result<()> {
    let mut insert =
        conn.prepare_cached("INSERT OR REPLACE INTO search_text (blob, text) VALUES (?1, ?2)")?;
    for (blob, text) in texts {
        insert.execute(params![blob, text])?;
    }
    Ok(())
}

/// What MOVE and EXPUNGE do with the rows they remove.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Removal {
    /// Delete them.
    Delete,
    /// Keep a copy in `retained` (a session watches the mailbox).
    Retain,
}

/// COPY, or with `expunge_source` MOVE: new rows sharing the same files, and for MOVE the
/// source rows expunged (as `removal` says), all in one transaction.
pub(crate) fn copy(
    conn: &mut Connection,
    mailbox: MailboxId,
    uids: &[u32],
    to: &str,
    expunge_source: Option<Removal>,
    fx: &mut Effects,
) -> Result<Placed> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let src = selectable_by_id(&tx, mailbox)?;
    let dst = selectable_by_name(&tx, to)?;
    let mut sources: Vec<(u32, i64, String)> = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT uid, flags, keywords FROM messages WHERE mailbox = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid",
        )?;
        for (lo, hi) in uid_ranges(uids) {
            for row in stmt.query_map(params![src.id.0, lo, hi], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
                sources.push(row?);
            }
        }
    }
    if sources.is_empty() {
        return Ok(Placed { uid_validity: dst.uidvalidity, uids: Vec::new() });
    }
    let first = allocate_uids(&tx, &dst, sources.len())?;
    let dst_modseq = bump_modseq(&tx, dst.id)?;
    let saved = now();
    let mut placed = Vec::with_capacity(sources.len());
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO messages (mailbox, uid, blob, size, internal_date, internal_date_offset, save_date,
                                   modseq, flags, keywords, envelope, bodystructure, body, header, sent_date)
             SELECT ?1, ?2, blob, size, internal_date, internal_date_offset, ?3, ?4, flags, ?5,
                    envelope, bodystructure, body, header, sent_date
             FROM messages WHERE mailbox = ?6 AND uid = ?7",
        )?;
        for (i, (uid, system, keywords)) in sources.iter().enumerate() {
            let new_uid = first + i as u32;
            let f = Flags::from_columns(*system, keywords);
            let keywords = Flags { system: 0, keywords: canonical_keywords(&tx, dst.id, &f.keywords)? };
            insert.execute(params![
                dst.id.0,
                new_uid,
                saved,
                dst_modseq as i64,
                keywords.keywords_column(),
                src.id.0,
                uid
            ])?;
            placed.push((*uid, new_uid));
        }
    }
    fx.notify.push((dst.id, dst_modseq));
    if let Some(removal) = expunge_source {
        let src_modseq = bump_modseq(&tx, src.id)?;
        let source_uids: Vec<u32> = sources.iter().map(|s| s.0).collect();
        remove_rows(&tx, src.id, &source_uids, src_modseq, removal)?;
        fx.notify.push((src.id, src_modseq));
        if removal == Removal::Retain {
            fx.retained.push((src.id, src_modseq));
        }
    }
    tx.commit()?;
    Ok(Placed { uid_validity: dst.uidvalidity, uids: placed })
}

/// Deletes message rows (retaining copies when `removal` says so) and records them as
/// expunged at `modseq`.
fn remove_rows(
    conn: &Connection,
    mailbox: MailboxId,
    uids: &[u32],
    modseq: u64,
    removal: Removal,
) -> Result<()> {
    if removal == Removal::Retain {
        retained::keep(conn, mailbox, uids, modseq)?;
    }
    let mut delete = conn.prepare_cached("DELETE FROM messages WHERE mailbox = ?1 AND uid = ?2")?;
    let mut record =
        conn.prepare_cached("INSERT OR REPLACE INTO expunged (mailbox, uid, modseq) VALUES (?1, ?2, ?3)")?;
    for uid in uids {
        delete.execute(params![mailbox.0, uid])?;
        record.execute(params![mailbox.0, uid, modseq as i64])?;
    }
    Ok(())
}

/// EXPUNGE / UID EXPUNGE: removes \Deleted messages (among `uids` if given) as `removal`
/// says.
pub(crate) fn expunge(
    conn: &mut Connection,
    mailbox: MailboxId,
    uids: Option<&[u32]>,
    removal: Removal,
    fx: &mut Effects,
) -> Result<Vec<u32>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let m = selectable_by_id(&tx, mailbox)?;
    let ranges = match uids {
        Some(uids) => uid_ranges(uids),
        None => vec![(1, u32::MAX)],
    };
    let mut doomed: Vec<(u32, String)> = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT uid, blob FROM messages
             WHERE mailbox = ?1 AND uid BETWEEN ?2 AND ?3 AND flags & ?4 != 0 ORDER BY uid",
        )?;
        for (lo, hi) in ranges {
            for row in stmt.query_map(params![m.id.0, lo, hi, DELETED], |r| Ok((r.get(0)?, r.get(1)?)))? {
                doomed.push(row?);
            }
        }
    }
    if doomed.is_empty() {
        return Ok(Vec::new());
    }
    let modseq = bump_modseq(&tx, m.id)?;
    let uids: Vec<u32> = doomed.iter().map(|d| d.0).collect();
    remove_rows(&tx, m.id, &uids, modseq, removal)?;
    tx.commit()?;
    fx.notify.push((m.id, modseq));
    match removal {
        Removal::Delete => fx.garbage.extend(doomed.into_iter().map(|d| d.1)),
        Removal::Retain => fx.retained.push((m.id, modseq)),
    }
    Ok(uids)
}
