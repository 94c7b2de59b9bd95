//! `<data>/grants.sqlite3`: which stores name which identifiers in an ACL, so LIST can find
//! the mailboxes shared with a user without opening every user's index.
//!
//! Derived data: entries are added when an ACL entry is set and removed when the store no
//! longer names the identifier; a stale entry only costs LIST a look into one index. A
//! missing file is rebuilt from every store on first use (delete it to rebuild).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection};

use crate::error::Result;

/// File name of the grants index in the data directory.
const GRANTS_FILE: &str = "grants.sqlite3";

/// The grants index, opened on first use.
pub(crate) struct Grants {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

impl Grants {
    /// The grants index of the data directory `root` (not opened yet).
    pub(crate) fn new(root: &Path) -> Grants {
        Grants { path: root.join(GRANTS_FILE), conn: Mutex::new(None) }
    }

    /// Runs `op` on the open index; `rebuild` lists (owner, identifiers) of every store and
    /// is only called when the file did not exist.
    fn with<T>(
        &self,
        rebuild: impl FnOnce() -> Result<Vec<(String, Vec<String>)>>,
        op: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        let mut guard: MutexGuard<'_, Option<Connection>> =
            self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let fresh = !self.path.exists();
            let conn = Connection::open(&self.path)?;
            conn.busy_timeout(Duration::from_secs(10))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS grants (
                    owner      TEXT NOT NULL,
                    identifier TEXT NOT NULL,
                    PRIMARY KEY (identifier, owner)
                );",
            )?;
            if fresh {
                for (owner, identifiers) in rebuild()? {
                    for identifier in identifiers {
                        add(&conn, &owner, &identifier)?;
                    }
                }
            }
            *guard = Some(conn);
        }
        op(guard.as_ref().expect("opened above"))
    }

    /// Records that `owner`'s store names `identifier` (`present`) or no longer does.
    pub(crate) fn record(
        &self,
        owner: &str,
        identifier: &str,
        present: bool,
        rebuild: impl FnOnce() -> Result<Vec<(String, Vec<String>)>>,
    ) -> Result<()> {
        self.with(rebuild, |conn| {
            if present {
                add(conn, owner, identifier)
            } else {
                conn.execute(
                    "DELETE FROM grants WHERE owner = ?1 AND identifier = ?2",
                    params![owner, identifier],
                )?;
                Ok(())
            }
        })
    }

    /// Owners whose stores name any of `identifiers`, sorted.
    pub(crate) fn owners(
        &self,
        identifiers: &[String],
        rebuild: impl FnOnce() -> Result<Vec<(String, Vec<String>)>>,
    ) -> Result<Vec<String>> {
        self.with(rebuild, |conn| {
            let mut stmt = conn.prepare_cached("SELECT owner FROM grants WHERE identifier = ?1")?;
            let mut out = Vec::new();
            for identifier in identifiers {
                for owner in stmt.query_map([identifier], |r| r.get::<_, String>(0))? {
                    out.push(owner?);
                }
            }
            out.sort();
            out.dedup();
            Ok(out)
        })
    }
}

fn add(conn: &Connection, owner: &str, identifier: &str) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO grants (owner, identifier) VALUES (?1, ?2)",
        params![owner, identifier],
    )?;
    Ok(())
}
