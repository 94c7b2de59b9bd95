//! Duplicate delivery suppression: which Message-IDs each user's mailboxes have received, so a
//! message the MTA hands over twice (a retry after a lost reply, a list that copies) is filed
//! once; the Sieve `duplicate` test and vacation keep their memory here too. Kept in
//! `duplicates.sqlite3` of the data directory, or in the PostgreSQL database of `store_url`
//! so that every node knows what any node delivered.

use std::path::Path;

use bushbuck_auth::database::Database;

/// The log's table, the same in both engines.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS duplicate_delivered (
        recipient TEXT NOT NULL,
        mailbox TEXT NOT NULL,
        message_id TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (recipient, mailbox, message_id)
    );
    CREATE INDEX IF NOT EXISTS duplicate_delivered_at ON duplicate_delivered (at)";

/// The log of delivered Message-IDs.
pub struct DuplicateLog {
    db: Database,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn failure(e: bushbuck_auth::AuthError) -> String {
    format!("duplicate log: {e}")
}

impl DuplicateLog {
    /// Opens (creating if needed) the embedded log in the data directory.
    pub fn open(data: &Path) -> Result<DuplicateLog, String> {
        let db = Database::open_sqlite(&data.join("duplicates.sqlite3")).map_err(failure)?;
        db.rename_legacy(
            &[("delivered", "duplicate_delivered")],
            &[("duplicate_delivered", "user", "recipient")],
        )
        .map_err(failure)?;
        db.execute_batch("DROP INDEX IF EXISTS delivered_at").map_err(failure)?;
        db.execute_batch(SCHEMA).map_err(failure)?;
        Ok(DuplicateLog { db })
    }

    /// Connects to the log in the PostgreSQL database at `url`, creating its table on first use.
    pub fn connect(url: &str) -> Result<DuplicateLog, String> {
        Ok(DuplicateLog { db: Database::connect_postgres(url, "duplicates", SCHEMA).map_err(failure)? })
    }

    /// True when this Message-ID reached this user's mailbox within the last `window_secs`.
    pub fn seen(
        &self,
        user: &str,
        mailbox: &str,
        message_id: &str,
        window_secs: i64,
    ) -> Result<bool, String> {
        self.db
            .has_row(
                "SELECT 1 FROM duplicate_delivered
                 WHERE recipient = $1 AND mailbox = $2 AND message_id = $3 AND at > $4",
                &[user.into(), mailbox.into(), message_id.into(), now().saturating_sub(window_secs).into()],
            )
            .map_err(failure)
    }

    /// Records a delivery.
    pub fn record(&self, user: &str, mailbox: &str, message_id: &str) -> Result<(), String> {
        self.db
            .execute(
                "INSERT INTO duplicate_delivered (recipient, mailbox, message_id, at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (recipient, mailbox, message_id) DO UPDATE SET at = excluded.at",
                &[user.into(), mailbox.into(), message_id.into(), now().into()],
            )
            .map(|_| ())
            .map_err(failure)
    }

    /// Forgets deliveries older than `days`; returns how many entries went.
    pub fn prune(&self, days: u32) -> Result<usize, String> {
        let cutoff = now() - i64::from(days) * 86_400;
        let gone = self.db.execute("DELETE FROM duplicate_delivered WHERE at < $1", &[cutoff.into()]);
        gone.map(|n| n as usize).map_err(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_within_the_window_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let mut logs = vec![DuplicateLog::open(dir.path()).unwrap()];
        logs.extend(bushbuck_testsvc::postgres_url().map(|url| DuplicateLog::connect(&url).unwrap()));
        for log in logs {
            assert!(!log.seen("alice", "INBOX", "<a@b>", 86_400).unwrap());
            log.record("alice", "INBOX", "<a@b>").unwrap();
            log.record("alice", "INBOX", "<a@b>").unwrap();
            assert!(log.seen("alice", "INBOX", "<a@b>", 86_400).unwrap());
            assert!(!log.seen("alice", "Other", "<a@b>", 86_400).unwrap());
            assert!(!log.seen("bob", "INBOX", "<a@b>", 86_400).unwrap());
            assert!(!log.seen("alice", "INBOX", "<a@b>", 0).unwrap());
            assert_eq!(log.prune(0).unwrap(), 0);
            log.db.execute("UPDATE duplicate_delivered SET at = at - 200000", &[]).unwrap();
            assert_eq!(log.prune(1).unwrap(), 1);
        }
    }

    #[test]
    fn an_embedded_log_of_the_unprefixed_layout_keeps_its_entries() {
        let dir = tempfile::tempdir().unwrap();
        let old = rusqlite::Connection::open(dir.path().join("duplicates.sqlite3")).unwrap();
        old.execute_batch(
            "CREATE TABLE delivered (user TEXT NOT NULL, mailbox TEXT NOT NULL, message_id TEXT NOT NULL,
                 at INTEGER NOT NULL, PRIMARY KEY (user, mailbox, message_id));
             CREATE INDEX delivered_at ON delivered (at);",
        )
        .unwrap();
        old.execute("INSERT INTO delivered VALUES ('alice', 'INBOX', '<a@b>', ?1)", [now()]).unwrap();
        drop(old);
        let log = DuplicateLog::open(dir.path()).unwrap();
        assert!(log.seen("alice", "INBOX", "<a@b>", 86_400).unwrap());
        assert!(DuplicateLog::open(dir.path()).unwrap().seen("alice", "INBOX", "<a@b>", 86_400).unwrap());
    }
}
