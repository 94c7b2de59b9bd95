//! Opening a user's index and bringing its schema up to date.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::Result;

/// Schema version written by [`migrate`] into `PRAGMA user_version`.
pub(crate) const SCHEMA_VERSION: i64 = 9;

/// The version that added access control lists and per-user \Seen.
pub(crate) const V_ACL: i64 = 2;

/// The version that added per-mailbox usage counters.
pub(crate) const V_USAGE: i64 = 3;

/// The version that added the search text index.
pub(crate) const V_SEARCH_TEXT: i64 = 4;

/// The version that added a covering index of message states.
pub(crate) const V_STATE_INDEX: i64 = 5;

/// The version that added retained copies of expunged messages.
pub(crate) const V_RETAINED: i64 = 6;

/// The version whose search texts include the header lines of embedded messages.
pub(crate) const V_EMBEDDED_TEXT: i64 = 7;

/// The version that records where a mailbox's expunge log begins.
pub(crate) const V_EXPUNGE_LOG_FROM: i64 = 8;

/// The version whose search texts mark the header lines of embedded messages apart.
pub(crate) const V_EMBEDDED_MARKS: i64 = 9;

/// Version 1: mailboxes, messages, expunged UIDs, keywords, subscriptions, settings.
const V1: &str = "
CREATE TABLE mailboxes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
    name          TEXT NOT NULL UNIQUE,
    uidvalidity   INTEGER NOT NULL,
    uidnext       INTEGER NOT NULL DEFAULT 1,
    highestmodseq INTEGER NOT NULL DEFAULT 1,
    recent_mark   INTEGER NOT NULL DEFAULT 0,        -- highest UID claimed as \\Recent
    special_use   TEXT,
    selectable    INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE messages (
    mailbox              INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid                  INTEGER NOT NULL,
    blob                 TEXT NOT NULL,              -- sha256 hex of the file
    size                 INTEGER NOT NULL,
    internal_date        INTEGER NOT NULL,
    internal_date_offset INTEGER NOT NULL,
    save_date            INTEGER NOT NULL,
    modseq               INTEGER NOT NULL,
    flags                INTEGER NOT NULL DEFAULT 0, -- system flag bits
    keywords             TEXT NOT NULL DEFAULT '',   -- space separated
    envelope             TEXT NOT NULL,
    bodystructure        TEXT NOT NULL,
    body                 TEXT NOT NULL,
    header               BLOB NOT NULL,
    sent_date            INTEGER,
    PRIMARY KEY (mailbox, uid)
);
CREATE INDEX messages_modseq ON messages (mailbox, modseq);
CREATE INDEX messages_blob ON messages (blob);
CREATE TABLE expunged (
    mailbox INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid     INTEGER NOT NULL,
    modseq  INTEGER NOT NULL,
    PRIMARY KEY (mailbox, uid)
);
CREATE INDEX expunged_modseq ON expunged (mailbox, modseq);
CREATE TABLE keywords (
    mailbox INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    lname   TEXT NOT NULL,                           -- lower case, for comparison
    name    TEXT NOT NULL,                           -- spelling first seen
    PRIMARY KEY (mailbox, lname)
);
CREATE TABLE subscriptions (name TEXT PRIMARY KEY);
CREATE TABLE settings (key TEXT PRIMARY KEY, value);
";

/// Version 2 ([`V_ACL`]): access control lists (RFC 4314) and the \Seen state of viewers
/// who are not the owner (per-user \Seen on shared mailboxes). Existing mailboxes get their
/// owner's full rights when the store is opened (see `acl::grant_owner_everywhere`).
const ACL: &str = "
CREATE TABLE acl (
    mailbox    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    rights     TEXT NOT NULL,
    PRIMARY KEY (mailbox, identifier)
);
CREATE INDEX acl_identifier ON acl (identifier);
CREATE TABLE seen (
    mailbox INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    viewer  TEXT NOT NULL,
    uid     INTEGER NOT NULL,
    PRIMARY KEY (mailbox, viewer, uid)
);
";

/// Version 3 ([`V_USAGE`]): per-mailbox usage counters (`used_bytes`, `used_messages`),
/// backfilled from the messages and kept by triggers, so quota usage is a sum over mailboxes instead of over
/// messages. Triggers run inside the statement that changes `messages`, so every write path
/// (append, copy, move, expunge, mailbox deletion by cascade, INBOX rename, reconstruct,
/// restore) keeps them in the same transaction without having to remember to.
const USAGE: &str = "
ALTER TABLE mailboxes ADD COLUMN used_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN used_messages INTEGER NOT NULL DEFAULT 0;
UPDATE mailboxes SET
    used_bytes = (SELECT COALESCE(SUM(size), 0) FROM messages WHERE mailbox = mailboxes.id),
    used_messages = (SELECT COUNT(*) FROM messages WHERE mailbox = mailboxes.id);
CREATE TRIGGER messages_usage_insert AFTER INSERT ON messages BEGIN
    UPDATE mailboxes SET used_bytes = used_bytes + NEW.size, used_messages = used_messages + 1
    WHERE id = NEW.mailbox;
END;
CREATE TRIGGER messages_usage_delete AFTER DELETE ON messages BEGIN
    UPDATE mailboxes SET used_bytes = used_bytes - OLD.size, used_messages = used_messages - 1
    WHERE id = OLD.mailbox;
END;
CREATE TRIGGER messages_usage_update AFTER UPDATE OF mailbox, size ON messages BEGIN
    UPDATE mailboxes SET used_bytes = used_bytes - OLD.size, used_messages = used_messages - 1
    WHERE id = OLD.mailbox;
    UPDATE mailboxes SET used_bytes = used_bytes + NEW.size, used_messages = used_messages + 1
    WHERE id = NEW.mailbox;
END;
";

/// Version 4 ([`V_SEARCH_TEXT`]): the search text index, the decoded text parts of each
/// message (HTML reduced to its visible text) folded to lower case
/// (`bushbuck_mime::folded_body_text`) and LZ4-compressed, so SEARCH BODY/TEXT
/// scans prepared text instead of reading and decoding every file. Keyed by content address
/// like the files, so copies and multi-recipient deliveries share one row; filled in the
/// transaction that inserts a message row with new content, removed with the file when no
/// row refers to it any more. Stores migrated from version 3 start with no rows: readers
/// fall back to decoding the file and store what they computed.
///
/// A rowid table with an index on `blob` rather than `WITHOUT ROWID`: rows are kilobytes
/// of text, and SQLite advises `WITHOUT ROWID` only for rows well under a page.
const SEARCH_TEXT: &str = "
CREATE TABLE search_text (
    blob TEXT NOT NULL UNIQUE,  -- sha256 hex of the file, as messages.blob
    text BLOB NOT NULL          -- the folded text, LZ4-compressed (search_text.rs)
);
";

/// Version 5 ([`V_STATE_INDEX`]): an index holding every column of a message's state, so
/// SELECT and change polling read UIDs, MODSEQs and flags from the index alone instead of
/// visiting each message row (whose cached header, ENVELOPE and BODYSTRUCTURE fill several
/// pages: SELECT of 20,000 messages read about 60 MB before).
const STATE_INDEX: &str = "
CREATE INDEX IF NOT EXISTS messages_state ON messages (mailbox, uid, modseq, flags, keywords);
";

/// Version 6 ([`V_RETAINED`]): copies of message rows expunged while a session of this process
/// watched the mailbox (`sqlite/retained.rs`), kept with their file until every such session
/// has announced the expunge, so FETCH still serves them. No foreign key: a row outlives a
/// deleted mailbox until it is released (or purged when old), and its file is removed then.
const RETAINED: &str = "
CREATE TABLE retained (
    mailbox              INTEGER NOT NULL,
    uid                  INTEGER NOT NULL,
    expunged_modseq      INTEGER NOT NULL,
    expunged_at          INTEGER NOT NULL,           -- seconds since the epoch
    blob                 TEXT NOT NULL,
    size                 INTEGER NOT NULL,
    internal_date        INTEGER NOT NULL,
    internal_date_offset INTEGER NOT NULL,
    save_date            INTEGER NOT NULL,
    modseq               INTEGER NOT NULL,
    flags                INTEGER NOT NULL,
    keywords             TEXT NOT NULL,
    envelope             TEXT NOT NULL,
    bodystructure        TEXT NOT NULL,
    body                 TEXT NOT NULL,
    header               BLOB NOT NULL,
    PRIMARY KEY (mailbox, uid)
);
CREATE INDEX retained_blob ON retained (blob);
";

/// Version 7 ([`V_EMBEDDED_TEXT`]): search texts now include the decoded header lines of
/// embedded messages (`bushbuck_mime::folded_body_text`). The rows of content holding a
/// message/rfc822 part (its cached BODYSTRUCTURE says so) are dropped, so the first SEARCH
/// BODY/TEXT that reads such a message computes the new text from the file and stores it, as
/// for a store from before the index; other rows are unchanged.
const EMBEDDED_TEXT: &str = r#"
DELETE FROM search_text WHERE blob IN
    (SELECT blob FROM messages WHERE bodystructure LIKE '%"message" "rfc822"%');
"#;

/// Version 8 ([`V_EXPUNGE_LOG_FROM`]): `mailboxes.expunge_log_from`, the MODSEQ from which the
/// expunge log is complete. 0 for a mailbox created here; a mailbox copied from another store
/// (`import_mailbox`, whose log is not copied) starts its log at the source's HIGHESTMODSEQ, and
/// `expunged_since` an older MODSEQ answers every UID below UIDNEXT that has no message.
const EXPUNGE_LOG_FROM: &str = "
ALTER TABLE mailboxes ADD COLUMN expunge_log_from INTEGER NOT NULL DEFAULT 0;
";

/// Version 9 ([`V_EMBEDDED_MARKS`]): the header lines of embedded messages in a search text
/// are marked (`bushbuck_mime::EMBEDDED_HEADER_START`), so SEARCH BODY leaves them out and
/// TEXT matches them, as Dovecot does. The texts written by version 7 have them unmarked: the
/// same rows are dropped again, to be recomputed on their first search.
const EMBEDDED_MARKS: &str = EMBEDDED_TEXT;

/// Opens (or with `create`, creates) an index with WAL, `synchronous=FULL`, foreign keys and
/// a 10 s busy timeout, and migrates it to [`SCHEMA_VERSION`]. Also returns the version the
/// file had before (0 for a new index).
pub(crate) fn open(path: &Path, create: bool) -> Result<(Connection, i64)> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), mode, "index is not in WAL mode");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let before = migrate(&mut conn)?;
    Ok((conn, before))
}

/// Opens a second connection to an index that [`open`] has already brought up to date, for
/// reading only (`query_only`): in WAL mode it reads the last committed state while the
/// writing connection holds its transaction.
pub(crate) fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "query_only", true)?;
    // Reads of whole mailboxes (SEARCH, SORT, FETCH 1:*) take the index's pages straight from
    // the page cache instead of copying each one with a read(2): a header search of 20,000
    // messages went from 47 to 41 ms. Address space only; SQLite falls back to reads when it
    // cannot map.
    conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
    Ok(conn)
}

/// How much of an index the reading connection maps into memory (1 GiB: about 600,000
/// messages' rows).
const READER_MMAP_BYTES: i64 = 1 << 30;

/// Upgrades the schema step by step to [`SCHEMA_VERSION`], each step in a transaction;
/// returns the version found.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        match version {
            0 => tx.execute_batch(V1)?,
            v if v == V_ACL - 1 => tx.execute_batch(ACL)?,
            v if v == V_USAGE - 1 => tx.execute_batch(USAGE)?,
            v if v == V_SEARCH_TEXT - 1 => tx.execute_batch(SEARCH_TEXT)?,
            v if v == V_STATE_INDEX - 1 => tx.execute_batch(STATE_INDEX)?,
            v if v == V_RETAINED - 1 => tx.execute_batch(RETAINED)?,
            v if v == V_EMBEDDED_TEXT - 1 => tx.execute_batch(EMBEDDED_TEXT)?,
            v if v == V_EXPUNGE_LOG_FROM - 1 => tx.execute_batch(EXPUNGE_LOG_FROM)?,
            v if v == V_EMBEDDED_MARKS - 1 => tx.execute_batch(EMBEDDED_MARKS)?,
            SCHEMA_VERSION => return Ok(found),
            v => {
                return Err(crate::StoreError::Io(format!(
                    "index schema version {v} is newer than this program ({SCHEMA_VERSION})"
                )))
            }
        }
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}
