//! Duplicate delivery suppression: which Message-IDs each user's mailboxes have received, so a
//! message the MTA hands over twice (a retry after a lost reply, a list that copies) is filed
//! once. Kept in `duplicates.sqlite3` of the data directory.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

/// The log of delivered Message-IDs.
pub struct DuplicateLog {
    conn: Mutex<Connection>,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn failure(e: rusqlite::Error) -> String {
    format!("duplicate log failure: {e}")
}

impl DuplicateLog {
    /// Opens (creating if needed) the log in the data directory.
    pub fn open(data: &Path) -> Result<DuplicateLog, String> {
        let conn = Connection::open(data.join("duplicates.sqlite3")).map_err(failure)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(failure)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(failure)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS delivered (
                user TEXT NOT NULL,
                mailbox TEXT NOT NULL,
                message_id TEXT NOT NULL,
                at INTEGER NOT NULL,
                PRIMARY KEY (user, mailbox, message_id)
            );
            CREATE INDEX IF NOT EXISTS delivered_at ON delivered (at);",
        )
        .map_err(failure)?;
        Ok(DuplicateLog { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True when this Message-ID reached this user's mailbox within the last `window_secs`.
    pub fn seen(
        &self,
        user: &str,
        mailbox: &str,
        message_id: &str,
        window_secs: i64,
    ) -> Result<bool, String> {
        let at: Option<i64> = self
            .conn()
            .query_row(
                "SELECT at FROM delivered WHERE user = ?1 AND mailbox = ?2 AND message_id = ?3",
                params![user, mailbox, message_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(failure)?;
        Ok(at.is_some_and(|at| now() - at < window_secs))
    }

    /// Records a delivery.
    pub fn record(&self, user: &str, mailbox: &str, message_id: &str) -> Result<(), String> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO delivered (user, mailbox, message_id, at) VALUES (?1, ?2, ?3, ?4)",
                params![user, mailbox, message_id, now()],
            )
            .map(|_| ())
            .map_err(failure)
    }

    /// Forgets deliveries older than `days`; returns how many entries went.
    pub fn prune(&self, days: u32) -> Result<usize, String> {
        let cutoff = now() - i64::from(days) * 86_400;
        self.conn().execute("DELETE FROM delivered WHERE at < ?1", params![cutoff]).map_err(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_within_the_window_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let log = DuplicateLog::open(dir.path()).unwrap();
        assert!(!log.seen("alice", "INBOX", "<a@b>", 86_400).unwrap());
        log.record("alice", "INBOX", "<a@b>").unwrap();
        assert!(log.seen("alice", "INBOX", "<a@b>", 86_400).unwrap());
        assert!(!log.seen("alice", "Other", "<a@b>", 86_400).unwrap());
        assert!(!log.seen("bob", "INBOX", "<a@b>", 86_400).unwrap());
        assert!(!log.seen("alice", "INBOX", "<a@b>", 0).unwrap());
        assert_eq!(log.prune(0).unwrap(), 0);
        log.conn().execute("UPDATE delivered SET at = at - 200000", []).unwrap();
        assert_eq!(log.prune(1).unwrap(), 1);
    }
}
