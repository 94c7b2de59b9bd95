//! Temporary bans of sources that failed too often, kept in `bans.sqlite3` of the data
//! directory so that a restart keeps them and `bushbuck ban list|del` can see and lift them
//! while the server runs. The server reads the table again at most [`CACHE_TTL`] after its
//! last read, so a lifted ban stops applying within that time.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};

use super::keys::SourceKey;

/// How long the server trusts its copy of the ban table.
pub const CACHE_TTL: Duration = Duration::from_secs(1);

/// One ban.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    /// The banned address or IPv6 /64, as [`SourceKey`] shows it.
    pub address: String,
    /// Unix time the ban ends.
    pub until: i64,
    /// Failed logins counted when the ban began.
    pub failures: u32,
}

impl Ban {
    /// When the ban ends, as `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn until_utc(&self) -> String {
        chrono::DateTime::from_timestamp(self.until, 0)
            .map_or_else(|| self.until.to_string(), |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn failure(e: rusqlite::Error) -> String {
    format!("ban list failure: {e} (is the data directory writable?)")
}

/// The ban table on disk.
pub struct BanStore {
    conn: Connection,
}

impl BanStore {
    /// Opens (creating if needed) the ban table of a data directory.
    pub fn open(data: &Path) -> Result<BanStore, String> {
        let conn = Connection::open(data.join("bans.sqlite3")).map_err(failure)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(failure)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(failure)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS bans (
                address TEXT PRIMARY KEY,
                until INTEGER NOT NULL,
                failures INTEGER NOT NULL
            );",
        )
        .map_err(failure)?;
        Ok(BanStore { conn })
    }

    /// Bans `source` until the Unix time `until`, replacing an earlier ban of it, and drops
    /// bans that have ended.
    pub fn add(&self, source: SourceKey, until: i64, failures: u32) -> Result<(), String> {
        self.conn.execute("DELETE FROM bans WHERE until <= ?1", params![now()]).map_err(failure)?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO bans (address, until, failures) VALUES (?1, ?2, ?3)",
                params![source.to_string(), until, failures],
            )
            .map(|_| ())
            .map_err(failure)
    }

    /// The bans in force, by address.
    pub fn list(&self) -> Result<Vec<Ban>, String> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT address, until, failures FROM bans WHERE until > ?1 ORDER BY address")
            .map_err(failure)?;
        let rows = stmt
            .query_map(params![now()], |r| {
                Ok(Ban { address: r.get(0)?, until: r.get(1)?, failures: r.get(2)? })
            })
            .map_err(failure)?;
        rows.collect::<Result<_, _>>().map_err(failure)
    }

    /// Lifts the ban of `source`; false when it was not banned.
    pub fn remove(&self, source: SourceKey) -> Result<bool, String> {
        self.conn
            .execute("DELETE FROM bans WHERE address = ?1", params![source.to_string()])
            .map(|n| n > 0)
            .map_err(failure)
    }
}

/// The server's copy of the ban table, read again when older than [`CACHE_TTL`].
pub struct BanCache {
    store: Mutex<BanStore>,
    copy: Mutex<Copy>,
}

struct Copy {
    read_at: Option<Instant>,
    until: HashMap<String, i64>,
}

impl BanCache {
    /// Reads the ban table of a data directory.
    pub fn open(data: &Path) -> Result<BanCache, String> {
        let cache = BanCache {
            store: Mutex::new(BanStore::open(data)?),
            copy: Mutex::new(Copy { read_at: None, until: HashMap::new() }),
        };
        cache.refresh();
        Ok(cache)
    }

    /// Re-reads the table when the copy is stale; returns how many bans are in force.
    pub fn refresh(&self) -> usize {
        let mut copy = self.copy.lock().unwrap_or_else(|p| p.into_inner());
        if copy.read_at.is_none_or(|at| at.elapsed() >= CACHE_TTL) {
            match self.store.lock().unwrap_or_else(|p| p.into_inner()).list() {
                Ok(bans) => copy.until = bans.into_iter().map(|b| (b.address, b.until)).collect(),
                Err(e) => tracing::error!(error = %e, "cannot read the ban list; keeping the last copy"),
            }
            copy.read_at = Some(Instant::now());
        }
        let now = now();
        copy.until.values().filter(|until| **until > now).count()
    }

    /// True when `source` is banned now.
    pub fn is_banned(&self, source: SourceKey) -> bool {
        self.refresh();
        let copy = self.copy.lock().unwrap_or_else(|p| p.into_inner());
        copy.until.get(&source.to_string()).is_some_and(|until| *until > now())
    }

    /// Bans `source` for `length`, on disk and in the copy.
    pub fn ban(&self, source: SourceKey, length: Duration, failures: u32) {
        let until = now() + length.as_secs() as i64;
        if let Err(e) = self.store.lock().unwrap_or_else(|p| p.into_inner()).add(source, until, failures) {
            tracing::error!(error = %e, "cannot record a ban on disk; it holds until restart");
        }
        self.copy.lock().unwrap_or_else(|p| p.into_inner()).until.insert(source.to_string(), until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> SourceKey {
        text.parse().unwrap()
    }

    #[test]
    fn bans_are_kept_on_disk_and_can_be_lifted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BanCache::open(dir.path()).unwrap();
        cache.ban(key("192.0.2.1"), Duration::from_secs(600), 10);
        cache.ban(key("2001:db8::5"), Duration::from_secs(600), 12);
        assert!(cache.is_banned(key("192.0.2.1")));
        assert!(cache.is_banned(key("2001:db8::ffff")), "the whole /64");
        assert!(!cache.is_banned(key("192.0.2.2")));
        let store = BanStore::open(dir.path()).unwrap();
        let listed: Vec<String> = store.list().unwrap().into_iter().map(|b| b.address).collect();
        assert_eq!(listed, ["192.0.2.1", "2001:db8::/64"]);
        assert!(store.remove(key("192.0.2.1")).unwrap());
        assert!(!store.remove(key("192.0.2.1")).unwrap());
        assert_eq!(BanCache::open(dir.path()).unwrap().refresh(), 1, "a new reader sees the lifted ban");
    }

    #[test]
    fn ended_bans_do_not_apply() {
        let dir = tempfile::tempdir().unwrap();
        let store = BanStore::open(dir.path()).unwrap();
        store.add(key("192.0.2.1"), now() - 1, 10).unwrap();
        assert!(store.list().unwrap().is_empty());
        assert!(!BanCache::open(dir.path()).unwrap().is_banned(key("192.0.2.1")));
    }
}
