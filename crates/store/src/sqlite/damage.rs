//! Index rows whose stored values do not decode (a damaged page, a value written by hand):
//! finding them by reading every value, and repairing each from its message file so that
//! one bad row costs only that row's cached data.
//!
//! What a repair does per column of a message row:
//! - cached data (ENVELOPE, BODYSTRUCTURE, BODY, header block, sent date, size): recomputed
//!   from the message file (a missing file gives the summary of an empty message, so the
//!   row decodes and reading the message reports the missing file);
//! - flags and keywords: reset to none (they are not in the file), and logged;
//! - dates: internal date from the file's time, save date now; MODSEQ: a new one;
//! - a row whose mailbox, UID or content address does not decode names no message and is
//!   removed (recorded as expunged when its mailbox and UID can be read).
//!
//! Keyword spellings (`keywords` table) that do not decode are dropped and registered again
//! from the mailbox's messages.

use std::collections::BTreeSet;
use std::time::UNIX_EPOCH;

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, TransactionBehavior};

use super::flags::canonical_keywords;
use super::mailboxes::bump_modseq;
use super::now;
use crate::api::MailboxId;
use crate::blobs::BlobDir;
use crate::error::Result;
use crate::flagset::Flags;
use crate::hex;

/// A message row with values that do not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedRow {
    /// Name of the row's mailbox ("?" when the mailbox cannot be named).
    pub mailbox: String,
    /// The row's UID (0 when it does not decode).
    pub uid: u32,
    /// The columns that do not decode.
    pub columns: Vec<&'static str>,
}

/// The message columns read by the scan, in query order.
const COLUMNS: [&str; 15] = [
    "mailbox",
    "uid",
    "blob",
    "size",
    "internal_date",
    "internal_date_offset",
    "save_date",
    "modseq",
    "flags",
    "keywords",
    "envelope",
    "bodystructure",
    "body",
    "header",
    "sent_date",
];

/// Columns recomputed from the message file.
const CACHED: [&str; 6] = ["size", "envelope", "bodystructure", "body", "header", "sent_date"];

/// Whether `value` is acceptable for `column`.
fn decodes(column: &str, value: ValueRef<'_>) -> bool {
    let text = |v: ValueRef<'_>| match v {
        ValueRef::Text(t) => std::str::from_utf8(t).ok().map(str::to_owned),
        _ => None,
    };
    match column {
        "mailbox" | "modseq" => matches!(value, ValueRef::Integer(n) if n > 0),
        "uid" => matches!(value, ValueRef::Integer(n) if n > 0 && n <= i64::from(u32::MAX)),
        "size" => matches!(value, ValueRef::Integer(n) if n >= 0),
        "internal_date" | "save_date" | "flags" => matches!(value, ValueRef::Integer(_)),
        "internal_date_offset" => {
            matches!(value, ValueRef::Integer(n) if i32::try_from(n).is_ok())
        }
        "sent_date" => matches!(value, ValueRef::Integer(_) | ValueRef::Null),
        "header" => matches!(value, ValueRef::Blob(_) | ValueRef::Text(_)),
        "blob" => text(value).is_some_and(|s| hex::is_sha256(&s)),
        "keywords" => text(value).is_some(),
        // The cached IMAP strings are parenthesised lists.
        _ => text(value).is_some_and(|s| is_imap_list(&s)),
    }
}

/// Whether a cached ENVELOPE/BODYSTRUCTURE/BODY value has the shape of one: a
/// parenthesised list. Values that do not are served as damaged rather than sent.
pub(crate) fn is_imap_list(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('(') && s.ends_with(')')
}

/// A damaged row as found by the scan, with what is needed to repair it.
struct Found {
    rowid: i64,
    mailbox: Option<i64>,
    uid: Option<u32>,
    blob: Option<String>,
    columns: Vec<&'static str>,
}

/// Reads every message row and keyword row and returns the damaged ones (keyword rows are
/// reported with their mailbox, UID 0 and the column `keywords-table`).
pub(crate) fn find(conn: &Connection) -> Result<Vec<DamagedRow>> {
    let found = scan(conn)?;
    let mut out = Vec::with_capacity(found.len());
    for f in found {
        out.push(DamagedRow {
            mailbox: mailbox_name(conn, f.mailbox),
            uid: f.uid.unwrap_or(0),
            columns: f.columns,
        });
    }
    for mailbox in damaged_keyword_mailboxes(conn)? {
        out.push(DamagedRow {
            mailbox: mailbox_name(conn, Some(mailbox)),
            uid: 0,
            columns: vec!["keywords-table"],
        });
    }
    Ok(out)
}

/// The name of a mailbox for reports, "?" when it has none that decodes.
fn mailbox_name(conn: &Connection, id: Option<i64>) -> String {
    id.and_then(|id| {
        conn.query_row("SELECT name FROM mailboxes WHERE id = ?1", [id], |r| r.get::<_, String>(0)).ok()
    })
    .unwrap_or_else(|| "?".to_string())
}

fn scan(conn: &Connection) -> Result<Vec<Found>> {
    let sql = format!("SELECT rowid, {} FROM messages", COLUMNS.join(", "));
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut columns = Vec::new();
        for (i, column) in COLUMNS.iter().enumerate() {
            if !decodes(column, r.get_ref(i + 1)?) {
                columns.push(*column);
            }
        }
        if columns.is_empty() {
            continue;
        }
        let int = |i: usize| match r.get_ref(i) {
            Ok(ValueRef::Integer(n)) => Some(n),
            _ => None,
        };
        out.push(Found {
            rowid: r.get(0)?,
            mailbox: int(1).filter(|_| !columns.contains(&"mailbox")),
            uid: int(2).filter(|_| !columns.contains(&"uid")).map(|n| n as u32),
            blob: r.get::<_, String>(3).ok().filter(|_| !columns.contains(&"blob")),
            columns,
        });
    }
    Ok(out)
}

/// Mailboxes with keyword rows whose values do not decode.
fn damaged_keyword_mailboxes(conn: &Connection) -> Result<BTreeSet<i64>> {
    let mut stmt = conn.prepare("SELECT mailbox, lname, name FROM keywords")?;
    let mut rows = stmt.query([])?;
    let mut out = BTreeSet::new();
    while let Some(r) = rows.next()? {
        let ok = |i: usize| matches!(r.get_ref(i), Ok(ValueRef::Text(t)) if std::str::from_utf8(t).is_ok());
        if !(ok(1) && ok(2)) {
            if let Ok(ValueRef::Integer(m)) = r.get_ref(0) {
                out.insert(m);
            }
        }
    }
    Ok(out)
}

/// Finds and repairs every damaged row of one user's index (see the module documentation),
/// in one transaction, logging each. Returns the rows repaired.
pub(crate) fn repair(conn: &mut Connection, blobs: &BlobDir, user: &str) -> Result<Vec<DamagedRow>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = scan(&tx)?;
    let keyword_mailboxes = damaged_keyword_mailboxes(&tx)?;
    let mut repaired = Vec::new();
    for f in found {
        let row = DamagedRow {
            mailbox: mailbox_name(&tx, f.mailbox),
            uid: f.uid.unwrap_or(0),
            columns: f.columns.clone(),
        };
        repair_row(&tx, blobs, user, &row, f)?;
        repaired.push(row);
    }
    for mailbox in keyword_mailboxes {
        let rows: Vec<(i64, Option<String>, Option<String>)> = {
            let mut stmt = tx.prepare("SELECT rowid, lname, name FROM keywords WHERE mailbox = ?1")?;
            let rows = stmt.query_map([mailbox], |r| Ok((r.get(0)?, r.get(1).ok(), r.get(2).ok())))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (rowid, lname, name) in rows {
            if lname.is_none() || name.is_none() {
                tx.execute("DELETE FROM keywords WHERE rowid = ?1", [rowid])?;
            }
        }
        reregister_keywords(&tx, mailbox)?;
        let row =
            DamagedRow { mailbox: mailbox_name(&tx, Some(mailbox)), uid: 0, columns: vec!["keywords-table"] };
        tracing::warn!(user, mailbox = row.mailbox, "damaged keyword spellings dropped and registered again");
        repaired.push(row);
    }
    tx.commit()?;
    Ok(repaired)
}

/// Registers the keywords used by a mailbox's messages again.
fn reregister_keywords(tx: &Connection, mailbox: i64) -> Result<()> {
    let used: Vec<String> = {
        let mut stmt = tx.prepare("SELECT keywords FROM messages WHERE mailbox = ?1 AND keywords != ''")?;
        let rows = stmt.query_map([mailbox], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut all = BTreeSet::new();
    for column in used {
        all.extend(Flags::from_columns(0, &column).keywords);
    }
    canonical_keywords(tx, MailboxId(mailbox), &all.into_iter().collect::<Vec<_>>())?;
    Ok(())
}

/// Repairs one message row inside the caller's transaction.
fn repair_row(tx: &Connection, blobs: &BlobDir, user: &str, row: &DamagedRow, f: Found) -> Result<()> {
    let (Some(mailbox), Some(uid), Some(blob)) = (f.mailbox, f.uid, f.blob) else {
        tx.execute("DELETE FROM messages WHERE rowid = ?1", [f.rowid])?;
        if let (Some(mailbox), Some(uid)) = (f.mailbox, f.uid) {
            let modseq = bump_modseq(tx, MailboxId(mailbox))? as i64;
            tx.execute(
                "INSERT OR REPLACE INTO expunged (mailbox, uid, modseq) VALUES (?1, ?2, ?3)",
                params![mailbox, uid, modseq],
            )?;
        }
        tracing::error!(
            user,
            mailbox = row.mailbox,
            uid = row.uid,
            columns = ?row.columns,
            "damaged index row names no message file; removed it"
        );
        return Ok(());
    };
    let has = |c: &str| f.columns.contains(&c);
    let file = blobs.path(&blob).ok().and_then(|p| std::fs::metadata(p).ok());
    if f.columns.iter().any(|c| CACHED.contains(c)) {
        let data = match blobs.read(&blob) {
            Ok(data) => data,
            Err(e) => {
                tracing::error!(user, mailbox = row.mailbox, uid, error = %e, "message file of a damaged row cannot be read");
                Vec::new()
            }
        };
        let s = bushbuck_mime::summarize(&data);
        let header = &data[..s.header_len.min(data.len())];
        tx.execute(
            "UPDATE messages SET envelope = ?2, bodystructure = ?3, body = ?4, header = ?5, sent_date = ?6,
                                 size = ?7 WHERE rowid = ?1",
            params![f.rowid, s.envelope, s.body_structure, s.body, header, s.sent_date, data.len() as i64],
        )?;
    }
    if has("flags") {
        tx.execute("UPDATE messages SET flags = 0 WHERE rowid = ?1", [f.rowid])?;
    }
    if has("keywords") {
        tx.execute("UPDATE messages SET keywords = '' WHERE rowid = ?1", [f.rowid])?;
    }
    if has("internal_date") || has("internal_date_offset") {
        let mtime = file
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or_else(now, |d| d.as_secs() as i64);
        tx.execute(
            "UPDATE messages SET internal_date = ?2, internal_date_offset = 0 WHERE rowid = ?1",
            params![f.rowid, mtime],
        )?;
    }
    if has("save_date") {
        tx.execute("UPDATE messages SET save_date = ?2 WHERE rowid = ?1", params![f.rowid, now()])?;
    }
    // Every repaired row gets a new MODSEQ, so CONDSTORE clients fetch it again.
    let modseq = bump_modseq(tx, MailboxId(mailbox))? as i64;
    tx.execute("UPDATE messages SET modseq = ?2 WHERE rowid = ?1", params![f.rowid, modseq])?;
    let lost: Vec<&str> = f.columns.iter().copied().filter(|c| matches!(*c, "flags" | "keywords")).collect();
    tracing::warn!(
        user,
        mailbox = row.mailbox,
        uid,
        columns = ?row.columns,
        lost = ?lost,
        "damaged index row repaired from its message file"
    );
    Ok(())
}
