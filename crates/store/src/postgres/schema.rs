//! The mailstore's tables in PostgreSQL (`mail_*`, beside the directory's `directory_*` and
//! the others), created when missing; the version row says which schema the database has.

use super::database::Database;
use super::statements::Statements;
use crate::api::SHARED_OWNER;
use crate::error::{Result, StoreError};

/// The schema version this program writes and reads.
pub(crate) const SCHEMA_VERSION: i64 = 3;

/// Version 1. Every user (and [`SHARED_OWNER`]) has a row in `mail_users`; mailbox ids are
/// unique across the site. Message octets are not here: `blob` names the object (SHA-256)
/// in the blob store, and `mail_objects` records when each object was last put or newly
/// referenced, which is what the sweeper's grace period counts from. Mailbox names compare
/// in byte order (`COLLATE "C"`), as hierarchy ranges (`name > 'a/' AND name < 'a0'`) need.
const V1: &str = r#"
CREATE TABLE IF NOT EXISTS mail_schema (version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS mail_users (
    name             TEXT PRIMARY KEY,
    last_uidvalidity BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS mail_mailboxes (
    id            BIGSERIAL PRIMARY KEY,
    owner         TEXT NOT NULL REFERENCES mail_users (name) ON DELETE CASCADE,
    name          TEXT COLLATE "C" NOT NULL,
    uidvalidity   BIGINT NOT NULL,
    uidnext       BIGINT NOT NULL DEFAULT 1,
    highestmodseq BIGINT NOT NULL DEFAULT 1,
    recent_mark   BIGINT NOT NULL DEFAULT 0,
    special_use   TEXT,
    selectable    BOOLEAN NOT NULL DEFAULT TRUE,
    used_bytes    BIGINT NOT NULL DEFAULT 0,
    used_messages BIGINT NOT NULL DEFAULT 0,
    UNIQUE (owner, name)
);
CREATE TABLE IF NOT EXISTS mail_messages (
    mailbox              BIGINT NOT NULL REFERENCES mail_mailboxes (id) ON DELETE CASCADE,
    uid                  BIGINT NOT NULL,
    blob                 TEXT NOT NULL,
    size                 BIGINT NOT NULL,
    internal_date        BIGINT NOT NULL,
    internal_date_offset INTEGER NOT NULL,
    save_date            BIGINT NOT NULL,
    modseq               BIGINT NOT NULL,
    flags                BIGINT NOT NULL DEFAULT 0,
    keywords             TEXT NOT NULL DEFAULT '',
    envelope             TEXT NOT NULL,
    bodystructure        TEXT NOT NULL,
    body                 TEXT NOT NULL,
    header               BYTEA NOT NULL,
    sent_date            BIGINT,
    PRIMARY KEY (mailbox, uid)
);
CREATE INDEX IF NOT EXISTS mail_messages_modseq ON mail_messages (mailbox, modseq);
CREATE INDEX IF NOT EXISTS mail_messages_blob ON mail_messages (blob);
CREATE TABLE IF NOT EXISTS mail_expunged (
    mailbox BIGINT NOT NULL REFERENCES mail_mailboxes (id) ON DELETE CASCADE,
    uid     BIGINT NOT NULL,
    modseq  BIGINT NOT NULL,
    PRIMARY KEY (mailbox, uid)
);
CREATE INDEX IF NOT EXISTS mail_expunged_modseq ON mail_expunged (mailbox, modseq);
CREATE TABLE IF NOT EXISTS mail_keywords (
    mailbox  BIGINT NOT NULL REFERENCES mail_mailboxes (id) ON DELETE CASCADE,
    lname    TEXT NOT NULL,
    name     TEXT NOT NULL,
    position BIGSERIAL,
    PRIMARY KEY (mailbox, lname)
);
CREATE TABLE IF NOT EXISTS mail_subscriptions (
    owner TEXT NOT NULL REFERENCES mail_users (name) ON DELETE CASCADE,
    name  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (owner, name)
);
CREATE TABLE IF NOT EXISTS mail_acl (
    mailbox    BIGINT NOT NULL REFERENCES mail_mailboxes (id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    rights     TEXT NOT NULL,
    PRIMARY KEY (mailbox, identifier)
);
CREATE INDEX IF NOT EXISTS mail_acl_identifier ON mail_acl (identifier);
CREATE TABLE IF NOT EXISTS mail_seen (
    mailbox BIGINT NOT NULL REFERENCES mail_mailboxes (id) ON DELETE CASCADE,
    viewer  TEXT NOT NULL,
    uid     BIGINT NOT NULL,
    PRIMARY KEY (mailbox, viewer, uid)
);
CREATE TABLE IF NOT EXISTS mail_objects (
    sha       TEXT PRIMARY KEY,
    stored_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS mail_search_text (
    blob TEXT PRIMARY KEY,
    text BYTEA NOT NULL
);
INSERT INTO mail_schema (version) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM mail_schema);
"#;

/// Version 2: expunged messages' rows, kept for sessions on any node that have not been told
/// of the expunge yet (FETCH still serves them, RFC 2180 4.1.1) until the sweeper purges them
/// after its grace period; the objects they name are not swept while they are here.
const V2: &str = r#"
CREATE TABLE IF NOT EXISTS mail_retained (
    mailbox              BIGINT NOT NULL REFERENCES mail_mailboxes (id) ON DELETE CASCADE,
    uid                  BIGINT NOT NULL,
    expunged_at          BIGINT NOT NULL,
    blob                 TEXT NOT NULL,
    size                 BIGINT NOT NULL,
    internal_date        BIGINT NOT NULL,
    internal_date_offset INTEGER NOT NULL,
    save_date            BIGINT NOT NULL,
    modseq               BIGINT NOT NULL,
    flags                BIGINT NOT NULL,
    keywords             TEXT NOT NULL,
    envelope             TEXT NOT NULL,
    bodystructure        TEXT NOT NULL,
    body                 TEXT NOT NULL,
    header               BYTEA NOT NULL,
    PRIMARY KEY (mailbox, uid)
);
CREATE INDEX IF NOT EXISTS mail_retained_blob ON mail_retained (blob);
CREATE INDEX IF NOT EXISTS mail_retained_expunged_at ON mail_retained (expunged_at);
UPDATE mail_schema SET version = 2 WHERE version < 2;
"#;

/// Version 3: `mail_mailboxes.expunge_log_from`, the MODSEQ from which the expunge log is
/// complete: 0 for a mailbox created here, the source's HIGHESTMODSEQ for one copied in by
/// `import_mailbox` (whose log is not copied); `expunged_since` an older MODSEQ then answers
/// every UID below UIDNEXT without a message.
const V3: &str = "
ALTER TABLE mail_mailboxes ADD COLUMN IF NOT EXISTS expunge_log_from BIGINT NOT NULL DEFAULT 0;
UPDATE mail_schema SET version = 3 WHERE version < 3;
";

/// Creates the tables that are missing (under an advisory lock, so nodes starting together do
/// not race) and the shared store's owner row; refuses a database written by a newer program.
pub(crate) fn create(db: &Database) -> Result<()> {
    let (version, _) = db.write(|tx, _| {
        tx.batch_execute("SELECT pg_advisory_xact_lock(hashtext('bushbuck schema mailstore'))")?;
        tx.batch_execute(V1)?;
        tx.batch_execute(V2)?;
        tx.batch_execute(V3)?;
        tx.exec("INSERT INTO mail_users (name) VALUES ($1) ON CONFLICT DO NOTHING", &[&SHARED_OWNER])?;
        Ok(tx.fetch_one("SELECT max(version) FROM mail_schema", &[])?.get::<_, i64>(0))
    })?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Io(format!(
            "the mailstore's tables have schema version {version}, newer than this program's \
             ({SCHEMA_VERSION}): run a newer Bushbuck"
        )));
    }
    Ok(())
}
