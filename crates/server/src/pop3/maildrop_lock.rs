//! The POP3 maildrop lock (RFC 1939 section 8: one session in TRANSACTION state per maildrop)
//! and the LOGIN-DELAY memory. The lock holds on this node (a set of users) and, when the store
//! is shared (`store_url`), across every node: an advisory lock in PostgreSQL held on a
//! connection of its own, which also ends when a node dies.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bushbuck_auth::database::{Database, HeldLock};

/// Users with a POP3 session in TRANSACTION state, and when each user last logged in.
pub struct Pop3Locks {
    here: Mutex<HashSet<String>>,
    last_login: Mutex<HashMap<String, Instant>>,
    /// The shared database of `store_url`, for the lock across nodes.
    shared: Option<Database>,
}

/// Why a maildrop could not be locked.
pub enum LockRefused {
    /// Another POP3 session (on any node) holds it.
    InUse,
    /// The shared database cannot be reached: try later.
    Unavailable(String),
}

/// A held maildrop lock, released when dropped.
pub struct MaildropLock {
    locks: Arc<Pop3Locks>,
    user: String,
    /// The lock across nodes, when the store is shared.
    _shared: Option<HeldLock>,
}

impl Drop for MaildropLock {
    fn drop(&mut self) {
        self.locks.here.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.user);
    }
}

impl Pop3Locks {
    /// Locks for one node (`None`), or for every node sharing the PostgreSQL `store_url`.
    pub fn new(store_url: Option<&str>) -> Result<Pop3Locks, String> {
        let shared = store_url
            .map(|url| Database::connect_postgres(url, "pop3 locks", "SELECT 1"))
            .transpose()
            .map_err(|e| {
                format!("cannot open the POP3 locks in {url}: {e}", url = store_url.unwrap_or_default())
            })?;
        Ok(Pop3Locks { here: Mutex::default(), last_login: Mutex::default(), shared })
    }

    /// Whether `user` logged in less than `delay` ago; if not, records this login.
    pub fn too_soon(&self, user: &str, delay: Duration) -> bool {
        let mut last = self.last_login.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if last.get(user).is_some_and(|t| now.duration_since(*t) < delay) {
            return true;
        }
        last.insert(user.to_string(), now);
        false
    }

    /// Locks `user`'s maildrop. Blocks on the shared database: call it off the async threads
    /// (`block_in_place`).
    pub fn lock(self: &Arc<Self>, user: &str) -> Result<MaildropLock, LockRefused> {
        if !self.here.lock().unwrap_or_else(|p| p.into_inner()).insert(user.to_string()) {
            return Err(LockRefused::InUse);
        }
        let release_here = || {
            self.here.lock().unwrap_or_else(|p| p.into_inner()).remove(user);
        };
        let shared = match &self.shared {
            None => None,
            Some(db) => match db.try_lock(&format!("bushbuck pop3 maildrop {user}")) {
                Ok(Some(held)) => Some(held),
                Ok(None) => {
                    release_here();
                    return Err(LockRefused::InUse);
                }
                Err(e) => {
                    release_here();
                    return Err(LockRefused::Unavailable(e.to_string()));
                }
            },
        };
        Ok(MaildropLock { locks: self.clone(), user: user.to_string(), _shared: shared })
    }
}
